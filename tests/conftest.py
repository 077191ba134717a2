"""Make the generated package importable from the checkout, as the tests use it."""

from __future__ import annotations

import sys

from tests.support.paths import GENERATED_DIR

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

pytest_plugins = ["tests.emulator.fixtures"]
