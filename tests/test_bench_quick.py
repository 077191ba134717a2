"""The quick benchmark runs end to end and reports every figure.

It checks that the suite cannot rot, never how fast anything is: timing
assertions do not belong in unit tests (machines differ, CI is noisy). The
figures themselves are read from ``python -m tests.benchmarks`` (see the README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks import run

EXPECTED_KEYS = [
    "parse.100",
    "parse.100.lxml_dicts",
    "parse.100.xsdata",
    "parse.1000",
    "parse.1000.lxml_dicts",
    "parse.1000.xsdata",
    "serialise.100",
    "serialise.100.xsdata",
    "serialise.1000",
    "serialise.1000.xsdata",
    "memory.1000",
    "generate",
    "generate.schemas",
    "generate.model",
    "generate.render",
    "generate.black",
    "generate.fingerprint",
    "generate.black.format_str",
    "generate.check",
    "generate.unchanged",
    "round_trips.client",
    "round_trips.cli",
    "bulk.memory",
    "bulk.seconds",
    "fleet.cli",
    "fleet.single",
    "fleet.async",
    "cold_start",
    "cold_start.command",
]


@pytest.mark.slow
def test_quick_benchmark_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "bench.json"
    assert run.main(["--quick", "--json", str(report)]) == 0
    table = capsys.readouterr().out

    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["mode"] == "quick"
    rows = {row["key"]: row for row in document["rows"]}
    assert list(rows) == EXPECTED_KEYS
    for key, row in rows.items():
        assert row["result"] in (run.PASS, run.FAIL, run.INFO), key
        assert row["values"]["ours"] > 0 and row["values"]["baseline"] > 0, key
        assert (row["goal"] == "") == (row["result"] == run.INFO), key
        assert row["figure"] in table, key
    assert "goals pass" in table


def test_every_section_of_the_suite_has_rows() -> None:
    """The suite's sections, as run.py lists them, are the ones the keys cover."""
    assert list(run.SECTIONS) == list(
        dict.fromkeys(key.split(".")[0] for key in EXPECTED_KEYS)
    )
