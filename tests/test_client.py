"""The generated clients against a real HTTPS server on 127.0.0.1.

Every operation of every version, through the synchronous and the async
client (one test body for both: ``kind``): the packet the server receives
validates against that version's XSD, and the typed result says what the
server did.
"""

from __future__ import annotations

from typing import Any

import plesk_mail
import pytest
from plesk_mail.runtime.client import Results

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.protocols import VERSIONS, generated_module


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
def test_every_operation_against_the_server(
    emulator: Emulator, tls: TestTLS, version: str, kind: str
) -> None:
    m = generated_module(version)
    with connect(emulator, tls, version, kind) as client:
        assert client.protocol_version == version
        created = client.create(
            site_id=SITE_ID,
            mailnames=[
                m.NewMailAccount(
                    name="info",
                    mailbox=m.Mailbox(enabled=True, quota=1_000_000),
                    password=m.Password(value="Secret-1", type=m.PasswordType.PLAIN),
                    aliases=["contact"],
                ),
                m.NewMailAccount(name="sales", description="Sales desk"),
            ],
        )
        assert isinstance(created, Results) and created.ok
        assert [r.mailname.name for r in created] == ["info", "sales"]
        assert all(r.mailname.id for r in created)

        added = client.update_add(
            site_id=SITE_ID,
            mailnames=[m.MailAccountListChange(name="info", aliases=["hello"])],
        )
        removed = client.update_remove(
            site_id=SITE_ID,
            mailnames=[m.MailAccountListChange(name="info", aliases=["contact"])],
        )
        updated = client.update_set(
            site_id=SITE_ID,
            mailnames=[m.MailAccountUpdate(name="sales", description="Sales")],
        )
        assert added.ok and removed.ok and updated.ok

        info = client.get_info(
            site_id=SITE_ID, names=["info", "sales"], mailbox=True, aliases=True
        )
        assert [r.mailname.name for r in info] == ["info", "sales"]
        assert info[0].mailname.aliases == ["hello"]
        assert info[0].mailname.mailbox == m.MailboxInfo(enabled=True, quota=1_000_000)
        assert info[1].mailname.description == "Sales"

        renamed = client.rename(site_id=SITE_ID, name="sales", new_name="team")
        assert isinstance(renamed, Results) and renamed.ok and len(renamed) == 1
        assert client.disable(site_id=SITE_ID).ok
        assert client.enable(site_id=SITE_ID).ok

        reject = m.NonexistentUserPolicy(reject=True)
        prefs = m.MailPreferences(nonexistent_user=reject, greylisting=False)
        assert client.set_prefs(site_ids=[SITE_ID], prefs=prefs).ok
        got = client.get_prefs(site_ids=[SITE_ID])
        assert got[0].site_id == SITE_ID
        assert got[0].prefs.nonexistent_user == reject
        assert got[0].prefs.greylisting is False and got[0].prefs.mailservice is True

        # 1.6.6.0 answers without <result>: the same typed results either way.
        providers = client.get_available_mail_providers()
        assert providers.ok and providers.providers() == [m.MailProvider(local=True)]

        gone = client.remove(site_id=SITE_ID, names=["info", "team"])
        assert gone.ok and len(gone) == 2
        assert emulator.store.accounts(SITE_ID) == {}
    assert_requests_valid(emulator)


def test_per_item_errors_do_not_raise_and_name_the_items(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    m = generated_module(VERSIONS[-1])
    with connect(emulator, tls, VERSIONS[-1], kind) as client:
        client.create(
            site_id=SITE_ID,
            mailnames=[m.NewMailAccount(name="b"), m.NewMailAccount(name="d")],
        )
        names = ["a", "b", "c", "d", "e"]
        results = client.create(
            site_id=SITE_ID, mailnames=[m.NewMailAccount(name=n) for n in names]
        )
    assert len(results) == 5 and not results.ok
    assert [index for index, _ in results.failed] == [1, 3]
    assert all(
        r.errcode == plesk_mail.ErrorCode.DATA_ALREADY_EXISTS for _, r in results.failed
    )
    with pytest.raises(plesk_mail.ItemErrors) as info:
        results.raise_for_errors()
    assert len(info.value.failures) == 2
    assert "#1: error 1007" in str(info.value) and "#3: error 1007" in str(info.value)
    assert sorted(emulator.store.accounts(SITE_ID)) == names


def test_large_batches_are_chunked_and_keep_input_order(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    m = generated_module(VERSIONS[-1])
    names = [f"user{i:04d}" for i in range(250)]
    with connect(emulator, tls, VERSIONS[-1], kind, chunk_size=100) as client:
        results = client.create(
            site_id=SITE_ID, mailnames=[m.NewMailAccount(name=n) for n in names]
        )
    assert len(emulator.exchanges) == 3
    assert [r.mailname.name for r in results] == names
    assert_requests_valid(emulator)


def test_batch_sends_many_operations_in_one_packet(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    m = generated_module(VERSIONS[-1])
    with connect(emulator, tls, VERSIONS[-1], kind) as client, client.batch() as batch:
        created = batch.create(site_id=SITE_ID, mailnames=[m.NewMailAccount(name="x")])
        renamed = batch.rename(site_id=SITE_ID, name="x", new_name="y")
        info = batch.get_info(site_id=SITE_ID, names=["y"])
        missing = batch.rename(site_id=SITE_ID, name="nobody", new_name="z")
    assert len(emulator.exchanges) == 1
    body = emulator.exchanges[0].body
    assert body.index(b"<create>") < body.index(b"<rename>") < body.index(b"<get_info>")
    assert created.value.ok and renamed.value.ok
    assert info.value[0].mailname.name == "y"
    assert missing.value[0].errcode == plesk_mail.ErrorCode.OBJECT_DOES_NOT_EXIST
    assert_requests_valid(emulator)


def test_batch_value_before_send_is_an_error(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, VERSIONS[-1], kind) as client:
        batch = client.batch()
        pending = batch.enable(site_id=SITE_ID)
        with pytest.raises(RuntimeError, match="not been sent"):
            _ = pending.value
        batch.send()
        assert pending.value.ok
        with pytest.raises(RuntimeError, match="already sent"):
            batch.send()


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
