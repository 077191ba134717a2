"""Make the generated package importable from the checkout, as the tests use it."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
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


@functools.cache
def _mutation_durations() -> dict[str, float]:
    """Each test's time in mutmut's stats run (``mutants/mutmut-stats.json``)."""
    stats = Path("mutmut-stats.json")  # a mutation run works in mutants/
    if not stats.is_file():
        return {}
    durations = json.loads(stats.read_text(encoding="utf-8")).get("duration_by_test")
    return durations if isinstance(durations, dict) else {}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """In a mutation run (tests/mutation), the fastest tests first: a mutant is
    judged at its first failing test (``-x``), so it is judged sooner."""
    if os.environ.get("PLESK_MAIL_MUTATION"):
        durations = _mutation_durations()
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


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
