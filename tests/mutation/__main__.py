"""``python -m tests.mutation``: mutation testing where a silent bug costs most.

mutmut changes one operator, constant or call at a time in the client engine,
the transport, the schema lock and the tree writer, and runs the tests that
reach the changed function; a change no test notices (a surviving mutant) is
a gap in the suite or an equivalent rewrite. Too slow for CI (tens of minutes
on two cores): run it after touching these modules.

Works on a copy of the project in a temporary folder, so the checkout never
holds mutated code or mutmut's ``mutants/``. In the copy both packages are
also copied to the top, and imported from there (mutmut names a function by
its file's path, which must be its import name). The runtime is mutated where the tests import it (``plesk_mail.runtime``,
a verbatim copy of ``plesk_mailgen/runtime/``). Tests that compare the
generated tree with the generator's output are left out: every mutant would
"fail" them.

    .venv/bin/python -m tests.mutation            # all targets
    .venv/bin/python -m tests.mutation writing    # targets whose path has "writing"
    .venv/bin/python -m tests.mutation --keep     # keep the copy, to browse with mutmut
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.support.paths import PROJECT_DIR

TARGETS = (
    "plesk_mail/runtime/client.py",
    "plesk_mail/runtime/transport.py",
    "plesk_mailgen/schemalock.py",
    "plesk_mailgen/writing.py",
)
PACKAGES = {"plesk_mail": "generated", "plesk_mailgen": "generator"}
TESTS = (
    "tests/test_client.py",
    "tests/test_client_errors.py",
    "tests/test_chunking.py",
    "tests/test_transport_controls.py",
    "tests/test_tls_default.py",
    "tests/test_hostile_input.py",
    "tests/test_version_gates.py",
    "tests/test_pins.py",
    "tests/test_schemalock.py",
    "tests/test_writing.py",
    "tests/test_generator_bad_input.py",
)
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-m", "not load"]
DESELECTED = (
    "tests/test_hostile_input.py::test_the_emulator_ca_folder_is_ignored",
    "tests/test_hostile_input.py::test_ctrl_c_during_a_bulk_run_says_what_was_applied",
)
"""The first asks git, and the copy is no checkout; the second times a signal
to a CLI process (which runs unmutated code) and is too tight for a loaded
machine."""
PYTEST_ARGS += [arg for test in DESELECTED for arg in ("--deselect", test)]
COPIED = (*PACKAGES, *PACKAGES.values(), "schemas", "templates", "README.md")
SKIPPED = (".git", ".venv", "mutants", "__pycache__", ".emulator", "*.egg-info")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS |= {34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout"}


def config(targets: list[str], project: Path) -> str:
    """mutmut's settings, as a ``[tool.mutmut]`` table for the copy's pyproject."""
    tests = [test for test in TESTS if (project / test).exists()]
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {json.dumps(targets)}",
        f"also_copy = {json.dumps(list(COPIED))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        f"pytest_add_cli_args = {json.dumps(PYTEST_ARGS)}",
        # A mutant that makes a call wait for its deadline counts as killed after
        # twice the clean tests' time plus 10 s, not mutmut's default 15 times.
        "timeout_multiplier = 2.0",
        "timeout_constant = 10.0",
    ]
    return "\n".join(lines) + "\n"


def copy_project(folder: Path) -> Path:
    """The project under ``folder``, with the shared schemas where it expects them."""
    project = folder / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(*SKIPPED))
    for package, folder_name in PACKAGES.items():
        shutil.copytree(project / folder_name / package, project / package)
    shared = (PROJECT_DIR.parent / "shared").resolve()
    for place in (folder / "shared", project / "shared"):  # mutmut runs in mutants/
        place.symlink_to(shared, target_is_directory=True)
    return project


def tally(project: Path, targets: list[str]) -> dict[str, Counter[str]]:
    """Outcomes per target file, from mutmut's per-file records."""
    counts: dict[str, Counter[str]] = {}
    for target in targets:
        meta = project / "mutants" / f"{target}.meta"
        data = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
        codes = data.get("exit_code_by_key", {})
        counts[target] = Counter(
            STATUS.get(code, "other") for code in codes.values() if code is not None
        )
    return counts


def survivors(project: Path) -> list[str]:
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "results"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [
        line.split(":")[0].strip() for line in shown.splitlines() if "survived" in line
    ]


def report(counts: dict[str, Counter[str]], seconds: float) -> str:
    rows = []
    total: Counter[str] = Counter()
    for target, count in [*counts.items(), ("all targets", None)]:
        count = count if count is not None else total
        if target != "all targets":
            total.update(count)
        # A mutant no test reaches counts as not killed.
        tested = sum(count[k] for k in ("killed", "survived", "timeout", "no tests"))
        rate = (count["killed"] + count["timeout"]) / tested if tested else 0.0
        rows.append(
            f"{target:45} {rate:6.1%}  killed {count['killed']:4}  "
            f"survived {count['survived']:4}  timeout {count['timeout']:3}  "
            f"no tests {count['no tests']:3}"
        )
    return "\n".join([*rows, f"{seconds:.0f} s"])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation")
    parser.add_argument("only", nargs="*", help="only targets whose path has this")
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    parser.add_argument(
        "--jobs", type=int, default=4, help="mutants at a time (most tests wait on I/O)"
    )
    args = parser.parse_args()
    targets = [t for t in TARGETS if not args.only or any(o in t for o in args.only)]
    folder = Path(tempfile.mkdtemp(prefix="plesk-mutation-"))
    try:
        project = copy_project(folder)
        with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
            stream.write(config(targets, project))
        started = time.perf_counter()
        log = folder / "mutmut.log"
        with log.open("w", encoding="utf-8") as stream:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "mutmut",
                    "run",
                    "--max-children",
                    str(args.jobs),
                ],
                cwd=project,
                env={**os.environ, "PLESK_MAIL_MUTATION": "1"},
                stdout=stream,
                stderr=subprocess.STDOUT,
                check=False,
            )
        counts = tally(project, targets)
        if not any(sum(count.values()) for count in counts.values()):
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
            print("mutmut tested nothing; the end of its output:", *tail, sep="\n")
            return 1
        for name in survivors(project):
            print("survived:", name)
        print(report(counts, time.perf_counter() - started))
        if args.keep:
            print(f"copy kept in {project}: `mutmut show NAME` there")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
