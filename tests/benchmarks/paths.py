"""Where the console scripts of the benchmark's virtual environment are."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.paths import GENERATED_DIR, PROJECT_DIR

BIN_DIR = Path(sys.executable).parent

__all__ = ["BIN_DIR", "GENERATED_DIR", "PROJECT_DIR", "console_script"]


def console_script(name: str) -> Path:
    """A console script of this interpreter's environment (``.venv/bin/NAME``)."""
    return BIN_DIR / name
