"""Transport controls: retries only where safe, the caller's own httpx client, headers.

A packet that changes something and may have reached the server is never sent
twice; one that only reads, or one whose connection failed before it was
sent, is tried again with capped, jittered backoff. Both clients, one body.
"""

from __future__ import annotations

import ssl

import httpx
import plesk_mail
import pytest
from plesk_mail.runtime.transport.retry import Retry

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception

FAST = Retry(attempts=3, backoff=0.01, cap=0.05)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def posts(emulator: Emulator, operation: bytes) -> int:
    return sum(f"<{operation.decode()}".encode() in e.body for e in emulator.exchanges)


def test_a_create_that_may_have_arrived_is_never_sent_twice(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    emulator.scripted.append(RawAnswer(b"", drop=True))
    with (
        connect_to(emulator, tls, kind=kind, retry=FAST) as client,
        pytest.raises(plesk_mail.TransportError) as info,
    ):
        client.create(site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="a")])
    assert_clean_exception(info.value, plesk_mail.TransportError, emulator.url)
    assert posts(emulator, b"create") == 1


def test_a_read_is_tried_again_after_the_answer_was_lost(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    emulator.store.add_account(SITE_ID, Account(name="a"))
    emulator.scripted += [RawAnswer(b"", drop=True), None]
    with connect_to(emulator, tls, kind=kind, retry=FAST) as client:
        found = client.get_info(site_id=SITE_ID).accounts()
    assert [a.name for a in found] == ["a"]
    assert posts(emulator, b"get_info") == 2


@pytest.mark.parametrize("operation", ["get_info", "create"])
def test_a_refused_connection_is_tried_again_for_any_operation(
    emulator: Emulator, tls: TestTLS, kind: str, operation: str
) -> None:
    """Nothing was sent, so even a create is safe to send again."""
    with connect_to(emulator, tls, kind=kind, retry=FAST) as client:
        emulator.hang_up(1)
        if operation == "create":
            answer = client.create(
                site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="b")]
            )
        else:
            answer = client.get_info(site_id=SITE_ID)
    assert answer.ok
    assert posts(emulator, operation.encode()) == 1
    assert len(emulator.store.accounts(SITE_ID)) == (operation == "create")


def test_no_retry_when_switched_off(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect_to(emulator, tls, kind=kind, retry=None) as client:
        emulator.hang_up(1)
        with pytest.raises(plesk_mail.TransportError):
            client.get_info(site_id=SITE_ID)
        assert client.get_info(site_id=SITE_ID).ok  # the next connection is fine


def test_backoff_is_capped_and_jittered() -> None:
    retry = Retry(attempts=10, backoff=0.5, cap=4.0, jitter=0.5)
    for attempt, full in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        waits = [retry.wait(attempt) for _ in range(200)]
        assert all(full / 2 <= w <= full for w in waits)
        assert max(waits) - min(waits) > full / 10  # jittered, not in step


def test_your_own_httpx_client_is_used_and_left_open(
    emulator: Emulator, tls: TestTLS
) -> None:
    seen: list[str] = []
    own = httpx.Client(
        verify=ssl.create_default_context(cafile=str(tls.ca_file)),
        event_hooks={"request": [lambda request: seen.append(str(request.url))]},
    )
    with connect_to(emulator, tls, http_client=own, verify=None) as client:
        assert client.enable(site_id=SITE_ID).ok
    assert seen == [emulator.url]
    assert not own.is_closed  # the caller's, closed by the caller
    own.close()


def test_the_wrong_kind_of_httpx_client_is_refused() -> None:
    with pytest.raises(plesk_mail.ConfigurationError, match=r"httpx\.Client"):
        plesk_mail.connect("h", secret_key="k", http_client=httpx.AsyncClient())
    with pytest.raises(plesk_mail.ConfigurationError, match=r"httpx\.AsyncClient"):
        plesk_mail.connect_async("h", secret_key="k", http_client=httpx.Client())


@pytest.mark.parametrize("name", ["KEY", "http_auth_passwd", "Content-Type"])
def test_headers_cannot_replace_the_clients_own(name: str) -> None:
    with pytest.raises(plesk_mail.ConfigurationError, match="set by the client itself"):
        plesk_mail.connect("h", secret_key="k", headers={name: "x"})


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 1e10, 0.0, -1.0])
def test_an_impossible_timeout_is_refused_at_connect(timeout: float) -> None:
    with pytest.raises(plesk_mail.ConfigurationError, match="timeout must be"):
        plesk_mail.connect("127.0.0.1", password="pw", timeout=timeout)
