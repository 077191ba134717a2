"""Format generated Python with black, in-process, with a fixed mode.

No settings come from the environment (no pyproject lookup): the golden
record must not depend on where the generator runs.
"""

from __future__ import annotations

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


def format_files(files: dict[str, str]) -> dict[str, str]:
    """Format every ``.py`` file; other files pass through unchanged."""
    formatted: dict[str, str] = {}
    for path, text in files.items():
        if not path.endswith(".py"):
            formatted[path] = text
            continue
        try:
            formatted[path] = black.format_str(text, mode=MODE)
        except InvalidInput as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise GeneratorError(
                f"rendered {path} is not valid Python ({first}); a template is broken"
            ) from None
    return formatted
