"""Format generated Python with black, in-process, with a fixed mode.

No settings come from the environment (no pyproject lookup): the golden
record must not depend on where the generator runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

from .errors import GeneratorError

PR_SET_PDEATHSIG = 1
MODE = Mode(
    target_versions={TargetVersion.PY310},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


def black_version() -> str:
    return version("black")


# ``black.format_str`` formats a second time whenever the first pass changed
# anything, to settle trailing commas; the templates emit text on which one pass
# already settles, and tests/test_golden.py proves every generated file is a
# fixed point of ``format_str``, so one pass gives byte-identical output.
_format_once = getattr(black, "_format_str_once", black.format_str)


def format_source(path: str, text: str) -> str:
    try:
        return str(_format_once(text, mode=MODE))
    except InvalidInput as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise GeneratorError(
            f"rendered {path} is not valid Python ({first}); a template is broken"
        ) from None


def die_with_parent(parent: int) -> None:
    """Make a worker end when the generator (pid ``parent``) ends, even when killed.

    Linux delivers SIGKILL to the worker at once (``PR_SET_PDEATHSIG``);
    elsewhere, and as a second line, a thread notices the new parent. The
    parent's pid comes from the parent itself: one that died while this
    worker was starting is noticed here, not mistaken for the new parent.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the death signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def format_files(files: dict[str, str]) -> dict[str, str]:
    """Format every ``.py`` file, on all cores; other files pass through unchanged.

    black is most of a generation's time, and files format independently.
    """
    python = sorted(
        (path for path in files if path.endswith(".py")),
        key=lambda path: -len(files[path]),
    )
    workers = min(len(python), os.cpu_count() or 1)
    if workers > 1:
        context = multiprocessing.get_context(
            "fork" if sys.platform == "linux" else "spawn"
        )
        with ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            results = pool.map(format_source, python, [files[p] for p in python])
            done = dict(zip(python, results, strict=True))
    else:
        done = {path: format_source(path, files[path]) for path in python}
    return {path: done.get(path, text) for path, text in files.items()}
