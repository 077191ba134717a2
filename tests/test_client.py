"""The generated clients against a server over HTTPS.

Every operation of every version, through the synchronous and the async
client (one test body for both: ``kind``): the typed result says what the
server did. Tests on ``target`` run against a fresh emulator (which checks
every packet against the version's XSD) or, in live mode, a real Plesk; the
site-wide operations and the headers the server saw need the emulator.
"""

from __future__ import annotations

from typing import Any

import plesk_mail
import pytest
from plesk_mail.runtime.engine.results import Results

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.protocols import VERSIONS, generated_module
from tests.support.target import STRONG_PASSWORD, Target


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Which client a test drives: the synchronous or the async one."""
    return str(request.param)


def connect(
    emulator: Emulator, tls: TestTLS, version: str, kind: str, **kwargs: object
) -> Any:
    return connect_to(
        emulator, tls, protocol=version, kind=kind, **{"timeout": 5, **kwargs}
    )


def assert_requests_valid(emulator: Emulator) -> None:
    assert emulator.exchanges, "nothing reached the server"
    for exchange in emulator.exchanges:
        assert not exchange.request_errors, exchange.request_errors


@pytest.mark.parametrize("version", VERSIONS)
def test_every_account_operation_against_the_server(
    target: Target, version: str, kind: str
) -> None:
    m = generated_module(version)
    n = target.name
    site = target.site_id
    with target.connect(protocol=target.use(version), kind=kind) as client:
        assert client.protocol_version == version
        created = client.create(
            site_id=site,
            mailnames=[
                m.NewMailAccount(
                    name=n("info"),
                    mailbox=m.Mailbox(enabled=True, quota=1_000_000),
                    password=m.Password(
                        value=STRONG_PASSWORD, type=m.PasswordType.PLAIN
                    ),
                    aliases=[n("contact")],
                ),
                m.NewMailAccount(name=n("sales"), description="Sales desk"),
            ],
        )
        assert isinstance(created, Results) and created.ok
        assert [r.mailname.name for r in created] == [n("info"), n("sales")]
        assert all(r.mailname.id for r in created)

        added = client.update_add(
            site_id=site,
            mailnames=[m.MailAccountListChange(name=n("info"), aliases=[n("hello")])],
        )
        removed = client.update_remove(
            site_id=site,
            mailnames=[m.MailAccountListChange(name=n("info"), aliases=[n("contact")])],
        )
        updated = client.update_set(
            site_id=site,
            mailnames=[m.MailAccountUpdate(name=n("sales"), description="Sales")],
        )
        assert added.ok and removed.ok and updated.ok

        info = client.get_info(
            site_id=site, names=[n("info"), n("sales")], mailbox=True, aliases=True
        )
        assert [r.mailname.name for r in info] == [n("info"), n("sales")]
        assert info[0].mailname.aliases == [n("hello")]
        assert info[0].mailname.mailbox.enabled is True
        assert info[0].mailname.mailbox.quota == 1_000_000
        assert info[1].mailname.description == "Sales"

        renamed = client.rename(site_id=site, name=n("sales"), new_name=n("team"))
        assert isinstance(renamed, Results) and renamed.ok and len(renamed) == 1

        got = client.get_prefs(site_ids=[site])
        assert got[0].site_id == site and isinstance(got[0].prefs.mailservice, bool)

        # 1.6.6.0 answers without <result>: the same typed results either way.
        providers = client.get_available_mail_providers()
        assert providers.ok and providers.providers()

        gone = client.remove(site_id=site, names=[n("info"), n("team")])
        assert gone.ok and len(gone) == 2
        assert target.accounts(client) == {}


@pytest.mark.parametrize("version", VERSIONS)
def test_site_wide_operations_against_the_server(
    emulator: Emulator, tls: TestTLS, version: str, kind: str
) -> None:
    """What a live run never sends: the mail service and the preferences of a site."""
    m = generated_module(version)
    with connect(emulator, tls, version, kind) as client:
        assert client.disable(site_id=SITE_ID).ok
        assert client.enable(site_id=SITE_ID).ok
        reject = m.NonexistentUserPolicy(reject=True)
        prefs = m.MailPreferences(nonexistent_user=reject, greylisting=False)
        assert client.set_prefs(site_ids=[SITE_ID], prefs=prefs).ok
        got = client.get_prefs(site_ids=[SITE_ID])
        assert got[0].site_id == SITE_ID
        assert got[0].prefs.nonexistent_user == reject
        assert got[0].prefs.greylisting is False and got[0].prefs.mailservice is True
        providers = client.get_available_mail_providers()
        assert providers.providers() == [m.MailProvider(local=True)]
    assert_requests_valid(emulator)


def test_per_item_errors_do_not_raise_and_name_the_items(
    target: Target, kind: str
) -> None:
    m = generated_module(VERSIONS[-1])
    n = target.name
    with target.connect(kind=kind) as client:
        client.create(
            site_id=target.site_id,
            mailnames=[m.NewMailAccount(name=n("b")), m.NewMailAccount(name=n("d"))],
        )
        names = [n(base) for base in "abcde"]
        results = client.create(
            site_id=target.site_id, mailnames=[m.NewMailAccount(name=x) for x in names]
        )
        assert sorted(target.accounts(client)) == names
    assert len(results) == 5 and not results.ok
    assert [index for index, _ in results.failed] == [1, 3]
    assert all(
        r.errcode == plesk_mail.ErrorCode.DATA_ALREADY_EXISTS for _, r in results.failed
    )
    with pytest.raises(plesk_mail.ItemErrors) as info:
        results.raise_for_errors()
    assert len(info.value.failures) == 2
    assert "#1: error 1007" in str(info.value) and "#3: error 1007" in str(info.value)


def test_large_batches_are_chunked_and_keep_input_order(
    target: Target, kind: str
) -> None:
    """Five accounts in packets of two: three packets, results in input order
    (tests/test_chunking.py has the large sizes, against the emulator)."""
    m = generated_module(VERSIONS[-1])
    names = [target.name(f"user{i}") for i in (4, 1, 3, 0, 2)]
    with target.connect(kind=kind, chunk_size=2) as client:
        before = target.packets
        results = client.create(
            site_id=target.site_id, mailnames=[m.NewMailAccount(name=x) for x in names]
        )
        assert target.packets - before == 3
    assert [r.mailname.name for r in results] == names


def test_batch_sends_many_operations_in_one_packet(target: Target, kind: str) -> None:
    m = generated_module(VERSIONS[-1])
    n = target.name
    site = target.site_id
    with target.connect(kind=kind) as client:
        before = target.packets
        with client.batch() as batch:
            created = batch.create(
                site_id=site, mailnames=[m.NewMailAccount(name=n("x"))]
            )
            renamed = batch.rename(site_id=site, name=n("x"), new_name=n("y"))
            info = batch.get_info(site_id=site, names=[n("y")])
            missing = batch.rename(site_id=site, name=n("nobody"), new_name=n("z"))
        assert target.packets == before + 1
    body = target.bodies[-1]
    assert body.index(b"<create>") < body.index(b"<rename>") < body.index(b"<get_info>")
    assert created.value.ok and renamed.value.ok
    assert info.value[0].mailname.name == n("y")
    assert missing.value[0].errcode == plesk_mail.ErrorCode.OBJECT_DOES_NOT_EXIST


def test_batch_value_before_send_is_an_error(target: Target, kind: str) -> None:
    with target.connect(kind=kind) as client:
        batch = client.batch()
        pending = batch.get_prefs(site_ids=[target.site_id])
        with pytest.raises(RuntimeError, match="not been sent"):
            _ = pending.value
        batch.send()
        assert pending.value.ok
        with pytest.raises(RuntimeError, match="already sent"):
            batch.send()


def test_a_secret_key_logs_in(target: Target, kind: str) -> None:
    key = target.secret_key
    options = {"login": None, "password": None, "secret_key": key}
    with target.connect(kind=kind, **options) as client:
        assert client.get_prefs(site_ids=[target.site_id]).ok
    with pytest.raises(plesk_mail.AuthenticationError) as refused:  # noqa: SIM117
        # negotiating, connect asks first; pinned, the first call does
        with target.connect(kind=kind, **{**options, "secret_key": "not-" + key}) as c:
            c.get_prefs(site_ids=[target.site_id])
    assert refused.value.errcode == plesk_mail.ErrorCode.SECRET_KEY_VALIDATION_FAILED


def test_secret_key_authentication(emulator: Emulator, tls: TestTLS, kind: str) -> None:
    client = connect_to(
        emulator,
        tls,
        kind=kind,
        login=None,
        password=None,
        secret_key=emulator.secret_key,
        headers={"X-Request-Source": "billing"},
    )
    with client:
        assert client.enable(site_id=SITE_ID).ok
    headers = {k.lower(): v for k, v in emulator.exchanges[0].headers.items()}
    assert headers["key"] == emulator.secret_key
    assert "http_auth_login" not in headers
    assert headers["content-type"].startswith("text/xml")
    assert headers["user-agent"].startswith(
        f"plesk-mail/{plesk_mail.__version__} httpx/"
    )
    assert headers["x-request-source"] == "billing"


def test_unknown_protocol_lists_known_versions() -> None:
    with pytest.raises(plesk_mail.UnknownProtocolError) as info:
        plesk_mail.connect("127.0.0.1", secret_key="k", protocol="1.5.0.0")
    assert all(v in str(info.value) for v in VERSIONS)
