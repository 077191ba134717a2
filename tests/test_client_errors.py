"""The client's failure modes, each a distinct, clear exception.

Transport failures, malformed and hostile responses, packet-level errors,
local validation, answers in a newer schema, and secrets that must never leak.
These cases are part of the bad-input corpus (see test_bad_input_corpus.py):
each checks the exception type, a one-line message naming the problem, no
chained internal traceback, and (``nothing_lost``) that the server's accounts
survive the failure unchanged.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from plesk_mail.runtime.transport.http import TRACE

from tests.emulator.fixtures import PINNED, SITE_ID, connect_to
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS, Blocking
from tests.support.corpus import assert_clean_exception
from tests.support.protocols import VERSIONS, generated_module

LATEST = VERSIONS[-1]


def connect(emulator: Emulator, tls: TestTLS, **kwargs: object) -> Any:
    return connect_to(emulator, tls, **{"timeout": 5, **kwargs})


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Every case runs the synchronous and the async client (issue 18)."""
    return str(request.param)


def make(kind: str, host: str, **options: Any) -> Any:
    """``plesk_mail.connect`` or, for ``async``, ``connect_async`` driven blocking."""
    if kind == "sync":
        return plesk_mail.connect(host, **options)
    return Blocking(plesk_mail.connect_async(host, **options))


def script(emulator: Emulator, body: bytes, **kwargs: object) -> None:
    emulator.scripted.append(RawAnswer(body=body, **kwargs))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def nothing_lost(request: pytest.FixtureRequest) -> Iterator[None]:
    """An account stored before the case is there, unchanged, after it."""
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator: Emulator = request.getfixturevalue("emulator")
    kept = emulator.store.add_account(SITE_ID, Account(name="kept", aliases=["k"]))
    yield
    assert emulator.store.account(SITE_ID, "kept") == kept
    assert sum(a.name == "kept" for a in emulator.store.all_accounts()) == 1


# -- packet-level and HTTP-level refusals ------------------------------------


def test_wrong_password_raises_authentication_error(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with (
        connect(emulator, tls, kind=kind, password="wrong") as client,
        pytest.raises(plesk_mail.AuthenticationError) as info,
    ):
        client.enable(site_id=SITE_ID)
    assert info.value.errcode == plesk_mail.ErrorCode.AUTHENTICATION_FAILED
    assert "Authentication failed" in info.value.errtext
    assert_clean_exception(info.value, plesk_mail.AuthenticationError, "1001")


def test_bad_secret_key_raises_authentication_error(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    client = connect(
        emulator, tls, kind=kind, login=None, password=None, secret_key="nope"
    )
    with client, pytest.raises(plesk_mail.AuthenticationError) as info:
        client.enable(site_id=SITE_ID)
    assert info.value.errcode == plesk_mail.ErrorCode.SECRET_KEY_VALIDATION_FAILED
    assert_clean_exception(info.value, plesk_mail.AuthenticationError, "11003")


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [(401, plesk_mail.AuthenticationError, 1001), (403, plesk_mail.PacketError, 1006)],
)
def test_http_401_403_raise_packet_errors(
    emulator: Emulator, tls: TestTLS, status: int, error: type, code: int, kind: str
) -> None:
    script(emulator, b"<html>denied</html>", status=status, content_type="text/html")
    with connect(emulator, tls, kind=kind) as client, pytest.raises(error) as info:
        client.enable(site_id=SITE_ID)
    assert info.value.errcode == code and info.value.http_status == status
    assert_clean_exception(info.value, error, f"HTTP {status}")


def test_unsupported_protocol_version_on_the_server(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    emulator.versions.remove(LATEST)
    with (
        connect(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ProtocolVersionError) as info,
    ):
        client.enable(site_id=SITE_ID)
    assert info.value.errcode == 1005
    assert_clean_exception(info.value, plesk_mail.ProtocolVersionError, LATEST)


# -- malformed and hostile responses ------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<packet version="1.6.9.1"><mail><rename><result><status>ok</status><errtext>&lol9;</errtext>
</result></rename></mail></packet>"""

MALFORMED = [
    pytest.param(
        b"<html><body><h1>500 Internal Server Error</h1></body></html>",
        500,
        "HTTP 500",
        id="html-500",
    ),
    pytest.param(
        b"<html><body>Service Unavailable</body></html>",
        200,
        "expected a <packet>",
        id="html-200",
    ),
    pytest.param(b"", 200, "empty response", id="empty"),
    pytest.param(
        b'<packet version="1.6.9.1"><mail><rename><result><sta',
        200,
        "not well-formed",
        id="truncated",
    ),
    pytest.param(b"\x00\xffgarbage\x13", 200, "not well-formed", id="garbage"),
    pytest.param(
        b"<response><ok/></response>", 200, "expected a <packet>", id="wrong-root"
    ),
    pytest.param(
        b'<packet version="1.6.9.1"/>',
        200,
        "neither an operator element (<mail>, <site>) nor <system>",
        id="empty-packet",
    ),
    pytest.param(
        b'<packet version="1.6.9.1"><mail><enable><result><status>ok</status></result></enable></mail></packet>',
        200,
        "expected replies for mail.rename; got mail.enable",
        id="wrong-operation",
    ),
    pytest.param(
        b'<packet version="1.6.9.1"><mail><rename><result><status>maybe</status></result></rename></mail></packet>',
        200,
        "not a valid ResultStatus",
        id="bad-enum",
    ),
    pytest.param(BILLION_LAUGHS, 200, "DOCTYPE", id="billion-laughs"),
]


@pytest.mark.parametrize(("body", "status", "message"), MALFORMED)
def test_malformed_responses_raise_response_error(
    emulator: Emulator, tls: TestTLS, body: bytes, status: int, message: str, kind: str
) -> None:
    script(emulator, body, status=status)
    started = time.perf_counter()
    with (
        connect(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as info,
    ):
        client.rename(site_id=SITE_ID, name="a", new_name="b")
    assert_clean_exception(info.value, plesk_mail.ResponseError, message)
    assert time.perf_counter() - started < 5


def test_external_entity_is_not_read(
    emulator: Emulator, tls: TestTLS, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE packet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<packet version="1.6.9.1"><mail><rename><result><status>error</status>'
        "<errtext>&x;</errtext></result></rename></mail></packet>"
    ).encode()
    script(emulator, body)
    with (
        connect(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as info,
    ):
        client.rename(site_id=SITE_ID, name="a", new_name="b")
    assert "TOP-SECRET" not in str(info.value) and "TOP-SECRET" not in repr(info.value)
    assert_clean_exception(info.value, plesk_mail.ResponseError, "DOCTYPE")


def test_response_over_the_size_cap(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    m = generated_module(LATEST)
    names = [f"user{i}" for i in range(50)]
    with connect(emulator, tls, kind=kind, max_response_size=2_000) as client:
        client.transport.max_response_size = 10**9
        client.create(
            site_id=SITE_ID, mailnames=[m.NewMailAccount(name=n) for n in names]
        )
        client.transport.max_response_size = 2_000
        with pytest.raises(plesk_mail.ResponseError) as info:
            client.get_info(site_id=SITE_ID)
    assert_clean_exception(
        info.value, plesk_mail.ResponseError, "exceeds the limit of 2000 bytes"
    )


# -- transport failures -------------------------------------------------------


def test_connection_refused(tls: TestTLS, kind: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make(
        kind,
        "127.0.0.1",
        secret_key="k",
        port=port,
        verify=str(tls.ca_file),
        protocol=PINNED,
    )
    with client, pytest.raises(plesk_mail.TransportError) as info:
        client.enable(site_id=1)
    assert_clean_exception(info.value, plesk_mail.TransportError, "cannot connect")


def test_timeout(emulator: Emulator, tls: TestTLS, kind: str) -> None:
    script(emulator, b"", delay=2.0)
    with (
        connect(emulator, tls, kind=kind, timeout=0.3) as client,
        pytest.raises(plesk_mail.DeadlineExceededError) as info,
    ):
        client.enable(site_id=SITE_ID)
    assert isinstance(info.value, TimeoutError)
    assert_clean_exception(
        info.value, plesk_mail.DeadlineExceededError, "within the 0.3 s deadline"
    )


def test_tls_failure_with_an_untrusted_certificate(
    emulator: Emulator, kind: str
) -> None:
    client = make(
        kind,
        "127.0.0.1",
        secret_key=emulator.secret_key,
        port=emulator.port,
        protocol=PINNED,
    )
    with client, pytest.raises(plesk_mail.TLSError) as info:
        client.enable(site_id=SITE_ID)
    assert_clean_exception(info.value, plesk_mail.TLSError, "verif")
    assert not emulator.exchanges


def test_tls_success_with_its_ca_file_and_insecure_switch(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, kind=kind) as client:
        assert client.enable(site_id=SITE_ID).ok
    with connect(emulator, tls, kind=kind, verify=False) as client:
        assert client.enable(site_id=SITE_ID).ok


def test_missing_ca_file_is_a_tls_error(tmp_path: Path, kind: str) -> None:
    with pytest.raises(plesk_mail.TLSError) as info:
        make(kind, "127.0.0.1", secret_key="k", verify=str(tmp_path / "none.pem"))
    assert_clean_exception(info.value, plesk_mail.TLSError, "cannot load CA file")


# -- local validation -----------------------------------------------------------


def invalid_requests() -> list[object]:
    m = generated_module(LATEST)
    return [
        pytest.param(
            lambda c: c.create(site_id=SITE_ID, mailnames=[]),
            "create.mailnames",
            "at least 1",
            id="empty-required-list",
        ),
        pytest.param(
            lambda c: c.enable(site_id=0),
            "enable.site_id",
            "at least 1",
            id="site-id-zero",
        ),
        pytest.param(
            lambda c: c.get_info(site_id=-5),
            "get_info.site_id",
            "at least 1",
            id="site-id-negative",
        ),
        pytest.param(
            lambda c: c.set_prefs(
                site_ids=[1], prefs=m.MailPreferences(none=True, greylisting=True)
            ),
            "set_prefs.prefs",
            "exclude each other",
            id="two-choice-branches",
        ),
        pytest.param(
            lambda c: c.set_prefs(
                site_ids=[1],
                prefs=m.MailPreferences(nonexistent_user=m.NonexistentUserPolicy()),
            ),
            "set_prefs.prefs.nonexistent_user",
            "needs one of",
            id="required-choice-empty",
        ),
        pytest.param(
            lambda c: c.create(
                site_id=1, mailnames=[m.NewMailAccount(name="a", antivirus="sometimes")]
            ),
            "create.mailnames[0].antivirus",
            "not one of",
            id="enum-value",
        ),
        pytest.param(
            lambda c: c.update_set(
                site_id=1,
                mailnames=[
                    m.MailAccountUpdate(
                        name="a", password=m.PasswordUpdate(value="x"), user_guid="g"
                    )
                ],
            ),
            "update_set.mailnames[0]",
            "exclude each other",
            id="password-or-guid",
        ),
        pytest.param(
            lambda c: c.rename(site_id="1", name="a", new_name="b"),
            "rename.site_id",
            "expected an integer",
            id="wrong-type",
        ),
        pytest.param(
            lambda c: c.rename(site_id=1, name="a\x00", new_name="b"),
            "rename.name",
            "cannot be sent in XML",
            id="control-char",
        ),
    ]


@pytest.mark.parametrize(("call", "path", "problem"), invalid_requests())
def test_invalid_requests_are_refused_before_sending(
    emulator: Emulator, tls: TestTLS, call: object, path: str, problem: str, kind: str
) -> None:
    with (
        connect(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ValidationError) as info,
    ):
        call(client)  # type: ignore[operator]
    assert info.value.path == path
    assert_clean_exception(info.value, plesk_mail.ValidationError, path, problem)
    assert not emulator.exchanges, "an invalid request reached the network"


def test_validation_can_be_switched_off(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with (
        connect(emulator, tls, kind=kind, validate=False) as client,
        pytest.raises(plesk_mail.PacketError) as info,
    ):
        client.enable(site_id=0)
    assert info.value.errcode == plesk_mail.ErrorCode.PARSE_ERROR
    assert_clean_exception(info.value, plesk_mail.PacketError, "1014", "site-id")
    assert len(emulator.exchanges) == 1


# -- answers in a newer schema ----------------------------------------------------

NEWER_PREFS = (
    b'<packet version="1.6.6.0"><mail><get_prefs><result><status>ok</status>'
    b"<site-id>1</site-id><prefs><greylisting>true</greylisting>"
    b"<webmail-certificate>cert-1</webmail-certificate></prefs></result></get_prefs></mail></packet>"
)


def test_element_of_a_newer_schema_names_the_version_that_has_it(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    script(emulator, NEWER_PREFS)
    client = connect(emulator, tls, kind=kind, protocol="1.6.6.0")
    with client, pytest.raises(plesk_mail.UnexpectedElementError) as info:
        client.get_prefs(site_ids=[1])
    assert info.value.since == "1.6.8.0"
    assert info.value.path == "get_prefs.results[0].prefs.webmail_certificate"
    assert_clean_exception(
        info.value,
        plesk_mail.UnexpectedElementError,
        "webmail_certificate",
        "protocol 1.6.8.0 or newer",
        "speaks protocol 1.6.6.0",
    )


def test_lenient_client_keeps_a_newer_element_on_the_model(
    emulator: Emulator, tls: TestTLS, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    script(emulator, NEWER_PREFS)
    with connect(emulator, tls, kind=kind, protocol="1.6.6.0", lenient=True) as client:
        results = client.get_prefs(site_ids=[1])
    assert results[0].prefs is not None
    assert results[0].prefs.webmail_certificate == "cert-1"
    assert results.unknown_elements == []
    assert "webmail_certificate" in caplog.text and "kept (lenient)" in caplog.text


UNKNOWN_ELEMENT = (
    b'<packet version="1.6.9.1"><mail><get_prefs><result><status>ok</status>'
    b"<site-id>1</site-id><prefs><greylisting>true</greylisting>"
    b"<quantum-filter>on</quantum-filter></prefs></result></get_prefs></mail></packet>"
)


def test_element_no_version_has_is_refused_or_kept_reachable(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    script(emulator, UNKNOWN_ELEMENT)
    with (
        connect(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.UnexpectedElementError, match="quantum-filter"),
    ):
        client.get_prefs(site_ids=[1])
    script(emulator, UNKNOWN_ELEMENT)
    with connect(emulator, tls, kind=kind, lenient=True) as client:
        results = client.get_prefs(site_ids=[1])
    assert results[0].prefs is not None and results[0].prefs.greylisting is True
    [unknown] = results.unknown_elements
    assert unknown.path == "/packet/mail/get_prefs/result/prefs/quantum-filter"
    assert "on" in unknown.xml
    assert client.last_unknown_elements == [unknown]


# -- secrets ------------------------------------------------------------------------

PASSWORD = "Api-Pw-S3cret-4711"
SECRET_KEY = "Key-S3cret-0815-abcdef"
MAILBOX_PASSWORD = "Mailbox-S3cret-9999"


def test_secrets_never_appear_in_logs_exceptions_or_reprs(
    emulator: Emulator, tls: TestTLS, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    m = generated_module(LATEST)
    caplog.set_level(TRACE, logger="plesk_mail")
    texts: list[str] = []
    account = m.NewMailAccount(name="a", password=m.Password(value=MAILBOX_PASSWORD))
    texts += [repr(account), str(account), repr(account.password)]
    for options in (
        {"password": PASSWORD},
        {"login": None, "password": None, "secret_key": SECRET_KEY},
    ):
        client = connect(emulator, tls, kind=kind, **options)
        shown = getattr(client, "_target", client)  # the async client, not its wrapper
        texts += [repr(shown), repr(client.transport)]  # type: ignore[attr-defined]
        with client, pytest.raises(plesk_mail.AuthenticationError) as info:  # type: ignore[attr-defined]
            client.create(site_id=SITE_ID, mailnames=[account])  # type: ignore[attr-defined]
        texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    assert any("request body" in r.getMessage() for r in caplog.records)
    assert any("<password>***</password>" in r.getMessage() for r in caplog.records)
    everything = caplog.text + "\n".join(texts)
    for secret in (PASSWORD, SECRET_KEY, MAILBOX_PASSWORD):
        assert secret not in everything
    # ...yet the mailbox password did travel to the server, as it must.
    assert MAILBOX_PASSWORD.encode() in emulator.exchanges[0].body


def test_debug_log_names_operations_sizes_and_timings(
    emulator: Emulator, tls: TestTLS, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="plesk_mail")
    with connect(emulator, tls, kind=kind) as client:
        client.enable(site_id=SITE_ID)
    [record] = [r for r in caplog.records if r.levelno == logging.DEBUG]
    message = record.getMessage()
    assert "mail.enable" in message and "HTTP 200" in message and "ms" in message
    assert "request body" not in caplog.text  # bodies only at TRACE
