"""Where the project, its generated package and the Plesk schemas are."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
GENERATED_DIR = PROJECT_DIR / "generated"
GENERATOR_DIR = PROJECT_DIR / "generator"
ENVELOPE_DIR = PROJECT_DIR / "schemas" / "envelope"
