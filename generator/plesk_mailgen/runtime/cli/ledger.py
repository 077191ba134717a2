"""What a command did to the server, kept current so every way a run ends can say it.

A run ends normally, with an error, at a deadline, by Ctrl-C (SIGINT),
SIGTERM or SIGHUP, or because the pipe it prints to closed. Whichever it is,
one line on stderr says what was answered (each item's status says whether
it was applied), what was sent without a complete answer (it may or may not
have been applied) and what was not sent, and how to resume. The exit code
never claims "nothing applied" (3) when something may have been.

The state changes by single assignments, so an interrupt between any two
steps leaves it true: a packet is "in flight" from just before it is handed
to the client until its answer is counted, never less.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..base.errors import CallProgress, PleskError, Terminated
from .commands import EXIT_CONNECTION, EXIT_INTERRUPTED, EXIT_STOPPED

EXIT_CLOSED_OUTPUT = 141
"""The pipe stdout goes to was closed (``| head``): 128 + SIGPIPE, as a shell says."""
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that stop a run the way Ctrl-C does."""
ALL_STOPS = (signal.SIGINT, *STOP_SIGNALS)


def reason_of(stop: BaseException) -> str:
    """How a stop reads in the ledger line."""
    if isinstance(stop, Terminated) and stop.signum != signal.SIGINT:
        return f"stopped by {stop.args[0]}"
    if isinstance(stop, KeyboardInterrupt):
        return "interrupted"
    if isinstance(stop, BrokenPipeError):
        return "the output was closed"
    return str(stop)


def stop_code(stop: BaseException) -> int | None:
    """The exit code of a signal or closed output; ``None`` for an error."""
    if isinstance(stop, Terminated):
        return 128 + stop.signum
    if isinstance(stop, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(stop, BrokenPipeError):
        return EXIT_CLOSED_OUTPUT
    return None


@contextlib.contextmanager
def stop_signals(settle: bool = False) -> Iterator[None]:
    """While the block runs, Ctrl-C, SIGTERM and SIGHUP stop it once (main thread only).

    The first of them raises (``KeyboardInterrupt``, or ``Terminated``) and
    ignores the others from then on, so the ledger it leads to is written
    whole: a second Ctrl-C cannot cut it short or turn it into a traceback.
    ``settle`` (a process that ends with the block: the console script)
    ignores them after the block instead of restoring the handlers before it,
    so a stop that comes once the run has said what it did changes nothing
    (click would print "Aborted!" and exit 1).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        for sig in ALL_STOPS:
            signal.signal(sig, signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, stop) for sig in ALL_STOPS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_IGN if settle else handler)


@contextlib.contextmanager
def deferred_stops() -> Iterator[None]:
    """While the block runs, a stop waits and is raised right after it.

    For loading modules: an interrupt inside an extension module's
    initialisation (lxml, ``_ssl``) comes out as an ``ImportError`` and a
    traceback, not as the stop it was.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: pending.append(signum))
        for sig in ALL_STOPS
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending:  # as if it had come now: the handler in place decides
        signal.raise_signal(pending[0])


def load_quietly(*modules: str) -> None:
    """Import ``modules`` with stops deferred (see ``deferred_stops``)."""
    import importlib

    with deferred_stops():
        for name in modules:
            importlib.import_module(name)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Ignore further stops while the ledger is written: it must come out whole."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, signal.SIG_IGN)
        for sig in (signal.SIGINT, *STOP_SIGNALS)
    }
    try:
        yield
    finally:  # the caller's handlers again (a test runner's, say)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def drop_stdout() -> None:
    """After a closed pipe, send what is left of stdout nowhere (no second error)."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())


def tell(message: str) -> None:
    """One line on stderr, even when stdout is gone."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"plesk-mail: {message}\n")
        sys.stderr.flush()


@dataclass(frozen=True)
class _RowState:
    answered_through: int | None = None
    """The last row of the last packet that was answered."""
    in_flight: tuple[int, int] | None = None
    """First and last row of the packet under way."""


class RowLedger:
    """A bulk run's ledger: rows answered, rows in flight, rows not sent."""

    def __init__(self, operation: str, *, writes: bool, resume: str = "") -> None:
        self.operation = operation
        self.writes = writes
        self.resume = resume
        """Options to add to a resume (``--skip-existing`` for create)."""
        self._state = _RowState()

    def sending(self, rows: Sequence[int]) -> None:
        self._state = _RowState(self._state.answered_through, (rows[0], rows[-1]))

    def answered(self, rows: Sequence[int]) -> None:
        self._state = _RowState(rows[-1], None)

    @property
    def anything_sent(self) -> bool:
        state = self._state
        return state.answered_through is not None or state.in_flight is not None

    def may_have_applied(self, stop: BaseException | None) -> bool:
        """Whether something was or may have been applied when the run stopped."""
        if not self.writes:
            return False
        state = self._state
        if state.answered_through is not None:
            return True
        return state.in_flight is not None and _reached(stop)

    def _sent(self, stop: BaseException) -> tuple[int, int] | None:
        """The rows in flight, if they may have reached the server."""
        in_flight = self._state.in_flight
        return in_flight if in_flight is not None and _reached(stop) else None

    def _last_sent(self, stop: BaseException) -> int | None:
        sent = self._sent(stop)
        return sent[1] if sent is not None else self._state.answered_through

    def _resume_row(self, stop: BaseException) -> int | None:
        state = self._state
        if state.in_flight is not None:
            return state.in_flight[0]
        if state.answered_through is not None:
            return state.answered_through + 1
        return None

    def _resume_options(self, row: int | None) -> str | None:
        if row is None:
            return None
        return f"--start-at-row {row}" + (f" {self.resume}" if self.resume else "")

    def stopped(self, stop: BaseException) -> dict[str, Any]:
        """The ledger as JSON (the ``stopped`` member of ``--format json``)."""
        sent = self._sent(stop)
        resume = self._resume_row(stop)
        return {
            "reason": reason_of(stop),
            "applied_through_row": self._state.answered_through,
            "in_flight_rows": list(sent) if sent is not None else None,
            "not_sent_after_row": self._last_sent(stop),
            "resume_at_row": resume,
            "resume": self._resume_options(resume),
        }

    def line(self, stop: BaseException) -> str:
        """The ledger as one line: what was answered, in flight, not sent; how to go on."""
        answered = self._state.answered_through
        parts = [
            (
                f"rows through {answered} were answered"
                if answered is not None
                else "no row was answered"
            )
        ]
        sent = self._sent(stop)
        if sent is not None:
            verb = (
                "may or may not have been applied" if self.writes else "had no answer"
            )
            parts.append(f"rows {sent[0]}-{sent[1]} were sent and {verb}")
        last = self._last_sent(stop)
        parts.append(
            f"rows after {last} were not sent"
            if last is not None
            else "no row was sent"
        )
        resume = self._resume_options(self._resume_row(stop))
        if resume is not None:
            parts.append(f"resume with {resume}")
        return "; ".join(parts)

    def exit_code(self, stop: BaseException) -> int:
        return stop_code(stop) or (
            EXIT_STOPPED if self.may_have_applied(stop) else EXIT_CONNECTION
        )


def _reached(stop: BaseException | None) -> bool:
    """Whether the packet under way may have reached the server."""
    if stop is None:
        return True
    from ..engine.calls import reached_server  # loads only when a command runs

    return reached_server(stop)


def call_ledger(operation: str, stop: BaseException, *, writes: bool) -> str:
    """What one (single-command) call had done when ``stop`` ended it."""
    progress: Sequence[CallProgress] = getattr(stop, "progress", None) or []
    name = operation.replace("_", "-")
    if not writes:
        return ""  # a command that only reads has nothing to account for
    if not progress:
        if isinstance(stop, PleskError) and not _reached(stop):
            return f"the {name} was not applied (nothing reached the server)"
        return f"the {name} may or may not have been applied"
    [call] = progress
    answered, in_flight, unsent = (
        len(call.results),
        len(call.in_flight),
        len(call.unsent),
    )
    if not answered and not in_flight:
        return f"the {name} was not applied (nothing reached the server)"
    if not answered and not unsent:
        return (
            f"the {name} was sent and may or may not have been applied "
            "(no complete answer)"
        )
    return (
        f"the {name} was answered for {answered} item(s); {in_flight} item(s) were "
        f"sent and may or may not have been applied; {unsent} were not sent"
    )


def call_may_have_applied(stop: BaseException, *, writes: bool) -> bool:
    """Whether a stopped single call may have changed something."""
    if not writes:
        return False
    progress: Sequence[CallProgress] = getattr(stop, "progress", None) or []
    if not progress:
        return _reached(stop)
    [call] = progress
    return bool(call.results or call.in_flight)
