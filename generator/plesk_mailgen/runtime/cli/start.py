"""The ``plesk-mail`` command's first step: load the rest, answering a stop meanwhile.

Ctrl-C, SIGTERM or SIGHUP while the command loads (before anything can be
sent) is one line and the exit code of that signal, never a traceback. Only
the standard library is imported before the handlers are in place.
"""

from __future__ import annotations

import importlib
import signal
import sys
from typing import Any


def main() -> None:
    """The console script: ``plesk-mail`` (and ``python -m plesk_mail``)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(signum)

    watched = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {signum: signal.signal(signum, stop) for signum in watched}
    package = (__package__ or "").removesuffix(".runtime.cli")
    try:
        command = importlib.import_module(f"{package}.cli").main
    except KeyboardInterrupt as interrupt:
        signum = interrupt.args[0] if interrupt.args else signal.SIGINT
        name = signal.Signals(signum).name
        sys.stderr.write(
            f"plesk-mail: error: {name} while starting; nothing was sent\n"
        )
        sys.exit(128 + signum)
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    command.settle_signals = True  # this process ends with the run
    try:
        command()
    finally:  # the run said what it did; a signal now must not add a traceback
        for signum in (signal.SIGINT, *watched):
            signal.signal(signum, signal.SIG_IGN)
