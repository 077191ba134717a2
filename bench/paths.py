"""Where the project, its generated package and its virtual environment are."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
GENERATED_DIR = PROJECT_DIR / "generated"
BIN_DIR = Path(sys.executable).parent


def console_script(name: str) -> Path:
    """A console script of this interpreter's environment (``.venv/bin/NAME``)."""
    return BIN_DIR / name
