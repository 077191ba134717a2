"""Both clients, one body, on the hard paths (issue 18).

Deadlines (a server that answers late, trickles, or never finishes the TLS
handshake), interruption (Ctrl-C for the synchronous client, a cancelled task
for the async one: what ``.progress`` and ``sent`` say afterwards), and a
caller's own httpx client with short timeouts of its own. Every test runs the
synchronous and the async client through the same body (``kind``); only how
a call is stopped differs, in ``stop_when``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import plesk_mail
import pytest

from tests.emulator.fixtures import PINNED, SITE_ID, connect_to
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception

M = plesk_mail
SLACK = 1.5
"""Seconds a call may run past its deadline on a loaded two-core machine."""


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def accounts(count: int) -> list[plesk_mail.NewMailAccount]:
    return [M.NewMailAccount(name=f"u{i:03d}") for i in range(count)]


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP (the kernel does) but never says a word: the TLS
    handshake waits forever, so the request never leaves."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


# -- deadlines ----------------------------------------------------------------------


@dataclass
class Late:
    """A server that holds an answer; the call must end by its deadline."""

    answer: RawAnswer | None
    sent: bool
    """Whether the request got out (headers sent) before the deadline."""


LATE = [
    pytest.param(Late(RawAnswer(b"", delay=4), sent=True), id="answer-late"),
    pytest.param(
        Late(RawAnswer(b"<packet/>" * 60, trickle=0.1), sent=True), id="body-trickles"
    ),
    pytest.param(
        Late(RawAnswer(b"<packet/>" * 4, trickle=0.1, trickle_headers=True), True),
        id="headers-trickle",
    ),
    pytest.param(Late(None, sent=False), id="handshake-never-answers"),
]


@pytest.mark.parametrize("late", LATE)
def test_a_write_ends_by_its_deadline_and_says_whether_it_was_sent(
    emulator: Emulator, tls: TestTLS, kind: str, late: Late
) -> None:
    """Catches a deadline that one client does not keep, or a ``sent`` that lies."""
    with contextlib.ExitStack() as stack:
        options: dict[str, Any] = {"timeout": 1.0}
        if late.answer is None:
            options["port"] = stack.enter_context(silent_server())
        else:
            emulator.scripted.append(late.answer)
        client = stack.enter_context(connect_to(emulator, tls, kind=kind, **options))
        started = time.monotonic()
        with pytest.raises(plesk_mail.DeadlineExceededError) as caught:
            client.create(site_id=SITE_ID, mailnames=accounts(1))
        spent = time.monotonic() - started
    assert 0.9 <= spent < 1.0 + SLACK
    assert_clean_exception(
        caught.value, plesk_mail.DeadlineExceededError, "within the 1 s deadline"
    )
    assert caught.value.sent is late.sent
    [progress] = caught.value.progress
    assert progress.in_flight == ((0,) if late.sent else ())
    assert progress.unsent == (() if late.sent else (0,))
    assert len(emulator.exchanges) == (1 if late.sent else 0)


# -- interruption: Ctrl-C (sync) and cancellation (async) ---------------------------


def stop_when(
    kind: str,
    emulator: Emulator,
    tls: TestTLS,
    ready: Callable[[], bool],
    **options: Any,
) -> Callable[[Callable[[Any], object]], BaseException]:
    """How a call is stopped once ``ready()``: SIGINT for a synchronous call (the
    ``KeyboardInterrupt`` of Ctrl-C), ``task.cancel()`` for an async one."""

    def sync(call: Callable[[Any], object]) -> BaseException:
        armed = threading.Event()
        main = threading.get_ident()

        def interrupt(signum: int, frame: Any) -> None:
            if armed.is_set():  # a signal that comes late must not stop pytest
                armed.clear()
                raise KeyboardInterrupt

        def fire() -> None:
            _wait(ready)
            signal.pthread_kill(main, signal.SIGINT)

        previous = signal.signal(signal.SIGINT, interrupt)
        try:
            with connect_to(emulator, tls, **options) as client:
                armed.set()
                threading.Thread(target=fire, daemon=True).start()
                with pytest.raises(KeyboardInterrupt) as caught:
                    call(client)
                armed.clear()
            return caught.value
        finally:
            armed.clear()
            signal.signal(signal.SIGINT, previous)

    def asynchronous(call: Callable[[Any], object]) -> BaseException:
        settings = {
            "login": emulator.login,
            "password": emulator.password,
            "port": emulator.port,
            "verify": str(tls.ca_file),
            "timeout": 10,
            "protocol": PINNED,
            **options,
        }

        async def scenario() -> BaseException:
            async with plesk_mail.connect_async("127.0.0.1", **settings) as client:
                task = asyncio.ensure_future(call(client))  # type: ignore[arg-type]
                while not ready():
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError) as caught:
                    await task
                return caught.value

        return asyncio.run(scenario())

    return sync if kind == "sync" else asynchronous


def _wait(ready: Callable[[], bool], limit: float = 20.0) -> None:
    ends = time.monotonic() + limit
    while not ready() and time.monotonic() < ends:
        time.sleep(0.01)
    time.sleep(0.2)  # the request is in the server's hands (or the handshake's)


def test_a_stopped_chunked_call_says_what_was_answered_sent_and_unsent(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a ``.progress`` after Ctrl-C or cancellation that mixes up the answered, in-flight and unsent packets of a call of three packets."""
    emulator.scripted += [None, RawAnswer(b"", delay=30)]  # the second one hangs
    stop = stop_when(
        kind, emulator, tls, lambda: len(emulator.exchanges) >= 2, chunk_size=100
    )
    stopped = stop(lambda c: c.create(site_id=SITE_ID, mailnames=accounts(250)))
    assert stopped.sent is True  # type: ignore[attr-defined]
    [progress] = stopped.progress  # type: ignore[attr-defined]
    assert progress.operation == "create"
    assert [r.mailname.name for r in progress.results] == [
        f"u{i:03d}" for i in range(100)
    ]
    assert progress.in_flight == tuple(range(100, 200))
    assert progress.unsent == tuple(range(200, 250))
    assert len(emulator.store.accounts(SITE_ID)) == 100
    assert len(emulator.exchanges) == 2


def test_a_call_stopped_in_the_handshake_was_not_sent(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a stop before the request left that is reported as maybe applied."""
    with silent_server() as port:
        began = time.monotonic()
        stop = stop_when(
            kind, emulator, tls, lambda: time.monotonic() - began > 0.3, port=port
        )
        stopped = stop(lambda c: c.create(site_id=SITE_ID, mailnames=accounts(3)))
    assert stopped.sent is False  # type: ignore[attr-defined]
    [progress] = stopped.progress  # type: ignore[attr-defined]
    assert list(progress.results) == []
    assert progress.in_flight == ()
    assert progress.unsent == (0, 1, 2)


def test_a_call_stopped_during_its_site_lookup_sent_nothing_of_its_own(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a stop in the lookup of ``site=`` that claims the call's own items were sent (only the lookup was)."""
    emulator.scripted.append(RawAnswer(b"", delay=30))  # the lookup hangs
    stop = stop_when(kind, emulator, tls, lambda: len(emulator.exchanges) >= 1)
    stopped = stop(lambda c: c.create(site="site1.example", mailnames=accounts(2)))
    assert stopped.sent is False  # type: ignore[attr-defined]
    [progress] = stopped.progress  # type: ignore[attr-defined]
    assert (list(progress.results), progress.in_flight) == ([], ())
    assert progress.unsent == (0, 1)
    [lookup] = emulator.exchanges
    assert b"<site>" in lookup.body and b"<mail>" not in lookup.body
    assert emulator.store.accounts(SITE_ID) == {}


def test_a_stopped_batch_says_what_each_call_had_done(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches progress pinned on the wrong call of a batch: two calls share the packet that was in flight, a third had its packet answered."""
    emulator.store.add_account(SITE_ID, Account(name="old"))
    emulator.scripted += [None, RawAnswer(b"", delay=30)]
    stop = stop_when(
        kind, emulator, tls, lambda: len(emulator.exchanges) >= 2, chunk_size=2
    )

    def batch(client: Any) -> object:
        if kind == "sync":
            with client.batch() as b:
                b.create(site_id=SITE_ID, mailnames=accounts(2))
                b.rename(site_id=SITE_ID, name="old", new_name="new")
                b.enable(site_id=SITE_ID)
            return None

        async def send() -> object:
            async with client.batch() as b:
                b.create(site_id=SITE_ID, mailnames=accounts(2))
                b.rename(site_id=SITE_ID, name="old", new_name="new")
                b.enable(site_id=SITE_ID)
            return None

        return send()

    stopped = stop(batch)
    create, rename, enable = stopped.progress  # type: ignore[attr-defined]
    assert [r.mailname.name for r in create.results] == ["u000", "u001"]
    assert (create.in_flight, create.unsent) == ((), ())
    assert (rename.in_flight, rename.unsent, list(rename.results)) == ((0,), (), [])
    assert (enable.in_flight, enable.unsent, list(enable.results)) == ((0,), (), [])


# -- a caller's own httpx client ------------------------------------------------------


def own_client(kind: str, tls: TestTLS, **options: Any) -> Any:
    trust = ssl.create_default_context(cafile=str(tls.ca_file))
    if kind == "sync":
        return httpx.Client(verify=trust, **options)
    return httpx.AsyncClient(verify=trust, **options)


def test_an_own_client_with_short_timeouts_gives_way_to_the_deadline(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a client whose caller's 0.2 s timeouts cut a call short (and blame the call's deadline for it): the deadline governs, in both clients alike."""
    emulator.latency = 0.6
    own = own_client(kind, tls, timeout=0.2)
    with connect_to(
        emulator, tls, kind=kind, timeout=3, http_client=own, retry=None
    ) as client:
        assert client.enable(site_id=SITE_ID).ok
        assert client.get_info(site_id=SITE_ID).ok
    assert not own.is_closed  # the caller's, left open
    assert len(emulator.exchanges) == 2


def test_an_own_client_with_long_timeouts_still_keeps_the_deadline(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a deadline lost when the caller's client allows 60 s per read."""
    emulator.scripted.append(RawAnswer(b"", delay=5))
    own = own_client(kind, tls, timeout=60)
    started = time.monotonic()
    with (
        connect_to(emulator, tls, kind=kind, timeout=1, http_client=own) as client,
        pytest.raises(plesk_mail.DeadlineExceededError) as caught,
    ):
        client.enable(site_id=SITE_ID)
    assert time.monotonic() - started < 1 + SLACK
    assert caught.value.sent is True
    assert_clean_exception(
        caught.value, plesk_mail.DeadlineExceededError, "within the 1 s deadline"
    )
