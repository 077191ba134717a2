"""Format generated Python with black, in-process, with a fixed mode.

No settings come from the environment (no pyproject lookup): the golden
record must not depend on where the generator runs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

from .errors import GeneratorError

MODE = Mode(
    target_versions={TargetVersion.PY310},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


def black_version() -> str:
    return version("black")


def format_source(path: str, text: str) -> str:
    try:
        return str(black.format_str(text, mode=MODE))
    except InvalidInput as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise GeneratorError(
            f"rendered {path} is not valid Python ({first}); a template is broken"
        ) from None


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
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = pool.map(format_source, python, [files[p] for p in python])
            done = dict(zip(python, results, strict=True))
    else:
        done = {path: format_source(path, files[path]) for path in python}
    return {path: done.get(path, text) for path, text in files.items()}
