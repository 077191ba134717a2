"""One test body for both clients: the async one, driven from synchronous tests.

``Blocking`` wraps an ``AsyncMailClient`` so a test written for the
synchronous client runs it unchanged: every awaitable method is run to its end
on an event loop in a thread of its own; ``with`` opens and closes it (and
negotiates, with ``protocol="auto"``); ``batch()`` sends on leaving ``with``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

KINDS = ("sync", "async")
TIMEOUT = 60.0


class _Loop:
    """An event loop running in a daemon thread, shared by the blocking wrappers."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)


_LOOP: _Loop | None = None


def loop() -> _Loop:
    """The shared loop; a new one in a forked process (a mutation run forks its
    test runs), where the parent's loop is there but its thread is not."""
    global _LOOP
    if _LOOP is None or _LOOP.pid != os.getpid():
        _LOOP = _Loop()
    return _LOOP


class Blocking:
    """An async client (or batch) that a synchronous test can use like a sync one."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name == "batch":
            return lambda: BlockingBatch(value())
        if inspect.iscoroutinefunction(value):
            return lambda *args, **kwargs: loop().run(value(*args, **kwargs))
        return value

    def __enter__(self) -> Blocking:
        loop().run(self._target.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop().run(self._target.__aexit__(exc_type, exc, tb))

    def close(self) -> None:
        loop().run(self._target.aclose())


class BlockingBatch(Blocking):
    """An async batch: collects like a sync one, sent on leaving ``with``."""

    def __len__(self) -> int:
        return len(self._target)

    def __enter__(self) -> BlockingBatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop().run(self._target.__aexit__(exc_type, exc, tb))  # sends, as async with
