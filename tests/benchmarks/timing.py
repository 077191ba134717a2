"""Wall-clock timing: the best of several runs, with the garbage collector on.

``timeit`` switches the garbage collector off while it times; decoding ten
thousand accounts allocates enough objects to trigger it, and a user's program
runs with it on, so these timings keep it on.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any


def per_call(func: Callable[[], Any], *, repeat: int, min_time: float) -> float:
    """Seconds per call: the best of ``repeat`` runs of enough calls for ``min_time``."""
    func()  # warm up: imports, caches, first allocations
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or number >= 1_000_000:
            break
        number *= 2 if elapsed * 4 >= min_time else 10
    best = elapsed / number
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def command_time(
    command: Sequence[str],
    *,
    repeat: int,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> float:
    """Best wall-clock seconds of running ``command``; it must exit 0."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, check=False
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n"
                f"{done.stdout.decode(errors='replace')}"
                f"{done.stderr.decode(errors='replace')}"
            )
        best = min(best, elapsed)
    return best
