"""The golden record: ``generated/`` is exactly what the generator produces.

A failure lists missing, extra and differing files with a unified diff, and
names the one command that regenerates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import black
import pytest
from plesk_mailgen.formatting import MODE
from plesk_mailgen.pipeline import generate_files
from plesk_mailgen.writing import compare, existing_files

from tests.support.paths import GENERATED_DIR, PROJECT_DIR

REGENERATE = "plesk-mailgen generate  (from the project folder)"
MAX_DIFF_LINES = 200


def test_generated_tree_matches_the_generator() -> None:
    drift = compare(generate_files(PROJECT_DIR), GENERATED_DIR)
    if drift.clean:
        return
    diff_lines = "".join(drift.diffs.values()).splitlines()[:MAX_DIFF_LINES]
    pytest.fail(
        f"generated/ is stale: {drift.summary()}\n"
        f"missing: {drift.missing}\nextra: {drift.extra}\nchanged: {drift.changed}\n"
        + "\n".join(diff_lines)
        + f"\n\nTo update the golden record run: {REGENERATE}",
        pytrace=False,
    )


def test_every_generated_file_is_what_two_black_passes_give() -> None:
    """The generator runs black once per file; this is why that is enough.

    ``black.format_str`` runs a second pass only when the first changed the
    text, so a file that is already its own fixed point comes out identical.
    """
    python = sorted(GENERATED_DIR.rglob("*.py"))
    assert len(python) > 10
    unsettled = [
        str(path.relative_to(GENERATED_DIR))
        for path in python
        if black.format_str(text := path.read_text("utf-8"), mode=MODE) != text
    ]
    assert unsettled == []


def test_check_command_passes_on_a_clean_checkout() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "plesk_mailgen",
            "--project-dir",
            str(PROJECT_DIR),
            "generate",
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def _generate(tmp: Path, seed: str) -> dict[str, str]:
    out = tmp / f"seed-{seed}"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "plesk_mailgen",
            "--project-dir",
            str(PROJECT_DIR),
            "generate",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    return {name: (out / name).read_bytes().hex() for name in existing_files(out)}


@pytest.mark.slow
def test_generation_is_deterministic_across_hash_seeds(tmp_path: Path) -> None:
    first = _generate(tmp_path, "0")
    second = _generate(tmp_path, "1")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, f"output depends on PYTHONHASHSEED: {differing}"


def test_no_timestamps_in_generated_files() -> None:
    import re

    stamp = re.compile(r"20\d\d-\d\d-\d\d[T ]\d\d:\d\d")
    offenders = [
        name
        for name, text in existing_files(GENERATED_DIR).items()
        if stamp.search(text)
    ]
    assert not offenders


def test_check_fast_path_trusts_hashes_but_catches_edits(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "generated"
    shutil.copytree(GENERATED_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    command = [
        sys.executable,
        "-m",
        "plesk_mailgen",
        "--project-dir",
        str(PROJECT_DIR),
        "generate",
        "--check",
        "--output",
        str(copy),
    ]
    clean = subprocess.run(command, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stderr
    assert "match their hashes" in clean.stdout  # answered without regenerating
    target = copy / "plesk_mail" / "models.py"
    target.write_text(
        target.read_text().replace("class Mailbox:", "class Mailbox:  # edited")
    )
    edited = subprocess.run(command, capture_output=True, text=True, check=False)
    assert edited.returncode == 1
    assert "1 differ (plesk_mail/models.py)" in edited.stderr
    (copy / "plesk_mail" / "stray.py").write_text("")
    target.unlink()
    broken = subprocess.run(command, capture_output=True, text=True, check=False)
    assert broken.returncode == 1
    assert "missing" in broken.stderr and "extra" in broken.stderr
