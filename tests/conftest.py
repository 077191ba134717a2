"""Make the generated package importable from the checkout, as the tests use it."""

from __future__ import annotations

import os
import sys
from typing import Any

from hypothesis import settings

from tests.support.paths import GENERATED_DIR, GENERATOR_DIR

# This checkout's code first, also where the environment has another one
# installed; a mutation run (tests/mutation) puts its mutated copies first.
if not os.environ.get("PLESK_MAIL_MUTATION"):
    for folder in (GENERATOR_DIR, GENERATED_DIR):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))

# Property tests replay exactly: the default profile draws the same examples on
# every run (CI included), so a red run is reproduced by running it again.
# HYPOTHESIS_PROFILE=explore draws new random examples, more of them, and
# prints the seed and a reproduce blob of a failure.
settings.register_profile("ci", derandomize=True, print_blob=True, max_examples=25)
settings.register_profile(
    "explore", derandomize=False, print_blob=True, max_examples=500
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ["tests.emulator.fixtures", "tests.support.target"]


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
