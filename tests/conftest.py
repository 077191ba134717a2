"""Make the generated package importable from the checkout, as the tests use it."""

from __future__ import annotations

import sys
from typing import Any

from tests.support.paths import GENERATED_DIR

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

pytest_plugins = ["tests.emulator.fixtures"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show the load test's throughput (recorded as ``load.*`` properties),
    also when it ran on an xdist worker whose stdout is not shown."""
    for report in terminalreporter.stats.get("passed", []):
        figures = {
            name.removeprefix("load."): value
            for name, value in getattr(report, "user_properties", [])
            if name.startswith("load.")
        }
        if figures and report.when == "call":
            terminalreporter.write_sep("-", "load test throughput")
            terminalreporter.write_line(
                ", ".join(f"{name} {value}" for name, value in figures.items())
            )
