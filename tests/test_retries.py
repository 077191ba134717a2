"""Retries, counted in the emulator's request log: both clients, one body (issue 18).

A packet is tried again only where that cannot apply a change twice: when
its connection failed before the request left (refused), or when it only
reads (``get_info``) and got no usable answer (502, 503, 504, a connection
dropped after sending). A write that may have arrived is never sent twice,
whatever went wrong. Every attempt together fits in the call's one deadline.
Each row names an answer just inside the line and its neighbour just outside.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plesk_mail
import pytest
from plesk_mail.runtime.transport.retry import Retry

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception

FAST = Retry(attempts=3, backoff=0.01, cap=0.05, jitter=0.0)
SLACK = 1.5
"""Seconds a call may run past its deadline on a loaded two-core machine."""


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def read(client: Any) -> Any:
    return client.get_info(site_id=SITE_ID)


def write(client: Any) -> Any:
    return client.create(
        site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="w")]
    )


def html(status: int) -> RawAnswer:
    return RawAnswer(b"<html>busy</html>", status, content_type="text/html")


@dataclass
class Case:
    """One failed first attempt: is the packet tried again?"""

    failure: Callable[[Emulator], None]
    """Arranges the failure of the next request."""
    call: Callable[[Any], Any]
    retried: bool
    error: type[Exception] | None = None
    """What the call raises when it is not retried."""
    says: str = ""
    timeout: float = 10.0


def scripted(answer: RawAnswer) -> Callable[[Emulator], None]:
    return lambda emulator: emulator.scripted.append(answer)


def refused(emulator: Emulator) -> None:
    emulator.hang_up(1)


DROP = RawAnswer(b"", drop=True)
CASES = [
    *[
        pytest.param(Case(scripted(html(s)), read, True), id=f"read-{s}-retried")
        for s in (502, 503, 504)
    ],
    *[
        pytest.param(
            Case(scripted(html(s)), read, False, plesk_mail.ResponseError, f"HTTP {s}"),
            id=f"read-{s}-not-retried",
        )
        for s in (500, 501, 505)
    ],
    *[
        pytest.param(
            Case(
                scripted(html(s)), write, False, plesk_mail.ResponseError, f"HTTP {s}"
            ),
            id=f"write-{s}-not-retried",
        )
        for s in (502, 503, 504)
    ],
    pytest.param(Case(scripted(DROP), read, True), id="read-dropped-retried"),
    pytest.param(
        Case(scripted(DROP), write, False, plesk_mail.TransportError, "disconnected"),
        id="write-dropped-not-retried",
    ),
    pytest.param(Case(refused, read, True), id="read-refused-retried"),
    pytest.param(Case(refused, write, True), id="write-refused-retried"),
    *[
        pytest.param(
            Case(
                scripted(RawAnswer(b"", delay=3)),
                call,
                False,
                plesk_mail.DeadlineExceededError,
                "within the 1 s deadline",
                timeout=1.0,
            ),
            id=f"{call.__name__}-read-timeout-not-retried",
        )
        for call in (read, write)
    ],
]


@pytest.mark.parametrize("case", CASES)
def test_a_failed_first_attempt_is_retried_only_where_safe(
    emulator: Emulator, tls: TestTLS, kind: str, case: Case
) -> None:
    """Catches a retry of a write that may have arrived, or a safe retry left out."""
    emulator.store.add_account(SITE_ID, Account(name="kept"))
    with connect_to(
        emulator, tls, kind=kind, retry=FAST, timeout=case.timeout
    ) as client:
        case.failure(emulator)
        if case.error is None:
            answer = case.call(client)
        else:
            with pytest.raises(case.error) as caught:
                case.call(client)
            assert_clean_exception(caught.value, case.error, case.says)
            assert not isinstance(caught.value, plesk_mail.TransportError) or (
                caught.value.sent is True
            )
    reached = len(emulator.exchanges)
    hung_up = emulator._server is None or emulator._server.hangups == 0
    assert hung_up  # a refused connection was tried (and refused) once
    if case.retried:
        assert answer.ok
        # A refused connection never reaches the application: one request is seen.
        assert reached == (1 if case.failure is refused else 2)
    else:
        assert reached == 1
    created = "w" in emulator.store.accounts(SITE_ID)
    assert created == (case.call is write and case.retried)


@pytest.mark.parametrize("attempts", [1, 2, 3])
@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_read_that_keeps_failing_is_tried_exactly_attempts_times(
    emulator: Emulator, tls: TestTLS, kind: str, status: int, attempts: int
) -> None:
    """Catches an off-by-one in counting attempts (one try more, or one less)."""
    emulator.scripted += [html(status)] * (attempts + 2)
    retry = Retry(attempts=attempts, backoff=0.01, cap=0.05, jitter=0.0)
    with (
        connect_to(emulator, tls, kind=kind, retry=retry) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        read(client)
    assert_clean_exception(caught.value, plesk_mail.ResponseError, f"HTTP {status}")
    assert len(emulator.exchanges) == attempts


def test_no_retry_means_one_attempt_for_reads_too(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches ``retry=None`` treated as the default (three tries)."""
    emulator.scripted += [html(503), None]
    with (
        connect_to(emulator, tls, kind=kind, retry=None) as client,
        pytest.raises(plesk_mail.ResponseError, match="HTTP 503"),
    ):
        read(client)
    assert len(emulator.exchanges) == 1


def test_a_certificate_problem_is_not_tried_again(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches retries of a TLS verification failure (it will not change)."""
    with (
        connect_to(emulator, tls, kind=kind, retry=FAST, verify=True) as client,
        pytest.raises(plesk_mail.TLSError) as caught,
    ):
        read(client)
    assert caught.value.sent is False
    assert emulator.exchanges == []
    failed = emulator._server.connection_errors  # type: ignore[union-attr]
    ends = time.monotonic() + 5
    while not failed and time.monotonic() < ends:  # the server's side, in its thread
        time.sleep(0.02)
    time.sleep(0.3)  # a second handshake would be there by now
    assert len(failed) == 1, failed


# -- one deadline for every attempt ---------------------------------------------------

SLOW = 0.7
"""Each attempt's answer takes this long; the call's deadline is 1 s."""


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(RawAnswer(b"<html/>", 503, delay=SLOW), id="slow-503s"),
        pytest.param(RawAnswer(b"", delay=SLOW, drop=True), id="slow-drops"),
        # ~75 bytes of headers and body, one every 10 ms: no single read is slow,
        # only the whole answer is (the socket layer's deadline must stop it).
        pytest.param(
            RawAnswer(b"<html/>", 503, trickle=0.01, trickle_headers=True),
            id="slow-trickled-503s",
        ),
    ],
)
def test_every_slow_attempt_of_a_read_fits_in_one_deadline(
    emulator: Emulator, tls: TestTLS, kind: str, answer: RawAnswer
) -> None:
    """Catches a deadline restarted per attempt: ten slow attempts would take 7 s."""
    emulator.scripted += [answer] * 10
    retry = Retry(attempts=10, backoff=0.01, cap=0.01, jitter=0.0)
    started = time.monotonic()
    with (
        connect_to(emulator, tls, kind=kind, retry=retry, timeout=1.0) as client,
        pytest.raises(plesk_mail.DeadlineExceededError) as caught,
    ):
        read(client)
    spent = time.monotonic() - started
    assert 0.95 <= spent < 1.0 + SLACK
    assert_clean_exception(
        caught.value, plesk_mail.DeadlineExceededError, "within the 1 s deadline"
    )
    assert len(emulator.exchanges) == 2  # the second attempt ran into the deadline


def test_a_retry_gets_only_what_is_left_of_the_deadline(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a retry given a fresh deadline: its headers trickle for 6 s (a byte every 20 ms, so no single read is slow), and only the 0.5 s left of the call's 3 s may be spent on them."""
    padded = "text/html; padding=" + "x" * 280
    emulator.scripted += [
        RawAnswer(b"<html/>", 503, delay=2.5),
        RawAnswer(b"<html/>", trickle=0.02, trickle_headers=True, content_type=padded),
    ]
    started = time.monotonic()
    with (
        connect_to(emulator, tls, kind=kind, retry=FAST, timeout=3.0) as client,
        pytest.raises(plesk_mail.DeadlineExceededError),
    ):
        read(client)
    assert time.monotonic() - started < 3.0 + SLACK
    assert len(emulator.exchanges) == 2


def test_a_slow_failing_write_is_not_tried_again_within_its_deadline(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a write retried because its deadline still had room."""
    emulator.scripted += [RawAnswer(b"<html/>", 503, delay=0.3)] * 3
    retry = Retry(attempts=10, backoff=0.01, cap=0.01, jitter=0.0)
    with (
        connect_to(emulator, tls, kind=kind, retry=retry, timeout=5) as client,
        pytest.raises(plesk_mail.ResponseError, match="HTTP 503") as caught,
    ):
        write(client)
    assert len(emulator.exchanges) == 1
    [progress] = caught.value.progress
    assert (progress.in_flight, progress.unsent) == ((0,), ())


def test_a_backoff_that_would_pass_the_deadline_is_not_waited(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Catches a retry that sleeps past the deadline: the last 503 is the answer."""
    emulator.scripted += [html(503)] * 3
    retry = Retry(attempts=3, backoff=5.0, cap=5.0, jitter=0.0)
    started = time.monotonic()
    with (
        connect_to(emulator, tls, kind=kind, retry=retry, timeout=2) as client,
        pytest.raises(plesk_mail.ResponseError, match="HTTP 503"),
    ):
        read(client)
    assert time.monotonic() - started < 1.5
    assert len(emulator.exchanges) == 1
