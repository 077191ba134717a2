"""``python -m tests.mutation``: mutation testing where a silent bug costs most.

mutmut changes one operator, constant or call at a time in the runtime's
client engine, transport, config, fleet, masking and addressing and in the
generator's schema lock, tree writer, filters and version merge, and runs
the tests that reach the changed function; a change no test notices (a
surviving mutant) is a gap in the suite or an equivalent rewrite.

Each group of target modules runs with its own test selection (``GROUPS``:
the tests written for that module, chosen by hand), in a copy of its own,
one group after the other: a mutant of the transport runs the transport's
tests that reach the changed function, not the whole suite's. That is what
makes the whole run finish in well under an hour on two cores (the README's
"Mutation testing" says how long, and the kill rates).

Works on copies of the project in a temporary folder, so the checkout never
holds mutated code or mutmut's ``mutants/``. In a copy both packages are also
copied to the top, and imported from there (mutmut names a function by its
file's path, which must be its import name). The runtime is mutated where the
tests import it (``plesk_mail.runtime``, a verbatim copy of
``plesk_mailgen/runtime/``). Tests that compare the generated tree with the
generator's output run only for the generator's own modules: a mutated
runtime differs from its source on disk, so every runtime mutant would "fail"
them.

    .venv/bin/python -m tests.mutation                # every group
    .venv/bin/python -m tests.mutation transport      # groups or targets naming "transport"
    .venv/bin/python -m tests.mutation --keep         # keep the copies, to browse with mutmut
    .venv/bin/python -m tests.mutation --json out.json  # also the figures and survivors
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
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import PROJECT_DIR


@dataclass(frozen=True)
class Group:
    """Target modules mutated together, and the tests that exercise them.

    ``tests`` are pytest arguments: files or ``file::test`` node ids (every
    parametrized case of a test). mutmut runs, for each mutant, those of them
    that reached the mutated function when it ran them once unmutated.
    """

    name: str
    targets: tuple[str, ...]
    tests: tuple[str, ...]


RT = "plesk_mail/runtime"
ENGINE_TESTS = (
    "tests/test_client.py",
    "tests/test_chunking.py",
    "tests/test_client_errors.py",
    "tests/test_version_gates.py",
    "tests/test_transport_controls.py",
    "tests/test_hard_paths.py",
    "tests/test_retries.py",
    "tests/test_engine_edges.py",
    "tests/test_hostile_input.py::test_client_hostile",
    "tests/test_hostile_input.py::test_interrupted_call_says_what_was_applied",
    "tests/test_hostile_input.py::test_results_out_of_order_are_matched_to_their_items",
    "tests/test_hostile_input.py::test_answer_in_another_version_is_logged",
    "tests/test_hostile_input.py::test_negotiation_with_a_hostile_server",
    "tests/test_hostile_input.py::test_a_secret_echoed_in_an_item_error_is_masked",
    "tests/test_trust.py::test_a_call_after_close_is_refused_before_sending",
    "tests/test_trust.py::test_an_echoed_account_password_is_hidden_in_results_and_errors",
    "tests/test_trust.py::test_a_huge_number_from_the_server_is_a_response_error",
    "tests/test_sites.py",
)
TRANSPORT_TESTS = (
    "tests/test_transport_controls.py",
    "tests/test_client_errors.py",
    "tests/test_tls_default.py",
    "tests/test_hard_paths.py",
    "tests/test_retries.py",
    "tests/test_transport_edges.py",
    "tests/test_hostile_input.py::test_client_hostile",
    "tests/test_hostile_input.py::test_credentials_that_http_cannot_carry_are_refused_unseen",
    "tests/test_hostile_input.py::test_non_ascii_password_is_sent_as_utf8",
    "tests/test_hostile_input.py::test_an_echoed_secret_never_reaches_the_trace_log",
    "tests/test_hostile_input.py::test_hosts_as_people_write_them",
    "tests/test_hostile_input.py::test_hosts_that_are_no_hosts",
    "tests/test_hostile_input.py::test_interrupted_call_says_what_was_applied",
    "tests/test_bad_input_corpus.py::test_client_bad_response",
    "tests/test_bad_input_corpus.py::test_client_tls_mismatch",
    "tests/test_trust.py::test_an_own_http_client_keeps_the_deadline_on_trickled_headers",
    "tests/test_trust.py::test_a_ca_file_that_is_a_fifo_is_refused",
    "tests/test_trust.py::test_a_call_after_close_is_refused_before_sending",
    "tests/test_trust.py::test_an_excerpt_never_shows_the_start_of_a_secret_it_cuts",
    "tests/test_recording.py",
)
GROUPS = (
    Group("engine", (f"{RT}/client.py", f"{RT}/aio.py"), ENGINE_TESTS),
    Group(
        "transport",
        (f"{RT}/transport.py", f"{RT}/deadline.py", f"{RT}/retry.py"),
        TRANSPORT_TESTS,
    ),
    Group(
        "config",
        (f"{RT}/config.py",),
        (
            "tests/test_fleet.py",
            "tests/test_guards.py",
            "tests/test_config_edges.py",
            "tests/test_trust.py::test_a_config_value_is_checked_like_an_option",
            "tests/test_trust.py::test_a_server_name_that_a_selection_cannot_name_is_refused",
            "tests/test_trust.py::test_a_config_file_that_is_a_fifo_is_refused",
            "tests/test_trust.py::test_one_bad_entry_is_that_servers_error_only",
            "tests/test_trust.py::test_servers_shows_no_command_line",
            "tests/test_trust.py::test_a_credential_command_is_never_shown_whole",
            "tests/test_trust.py::test_a_slow_credential_command_holds_up_no_other_server",
        ),
    ),
    Group(
        "fleet",
        (f"{RT}/fleet.py",),
        (
            "tests/test_fleet.py",
            "tests/test_guards.py",
            "tests/test_hard_paths.py",
            "tests/test_fleet_edges.py",
            "tests/test_addressing.py",
            "tests/test_trust.py::test_one_bad_entry_is_that_servers_error_only",
            "tests/test_trust.py::test_a_slow_credential_command_holds_up_no_other_server",
            "tests/test_trust.py::test_a_fleet_deadline_after_the_write_says_so_per_server",
            "tests/test_trust.py::test_a_fleet_value_refused_before_sending_is_not_applied",
        ),
    ),
    Group(
        "masking",
        (f"{RT}/masking.py",),
        (
            "tests/test_secret_property.py",
            "tests/test_trust.py",
            "tests/test_masking_edges.py",
            "tests/test_client_errors.py::test_secrets_never_appear_in_logs_exceptions_or_reprs",
            "tests/test_hostile_input.py::test_an_echoed_secret_never_reaches_the_trace_log",
            "tests/test_hostile_input.py::test_a_secret_echoed_in_an_item_error_is_masked",
        ),
    ),
    Group(
        "addressing",
        (f"{RT}/addressing.py",),
        (
            "tests/test_addressing.py",
            "tests/test_sites.py",
            "tests/test_addressing_edges.py",
        ),
    ),
    Group(
        "schemalock",
        ("plesk_mailgen/schemalock.py",),
        (
            "tests/test_schemalock.py",
            "tests/test_pins.py",
            "tests/test_generator_bad_input.py",
            "tests/test_guards.py",
        ),
    ),
    Group(
        "writing",
        ("plesk_mailgen/writing.py",),
        (
            "tests/test_writing.py",
            "tests/test_generator_bad_input.py",
            "tests/test_bad_input_corpus.py::test_generator_bad_input",
        ),
    ),
    Group(
        "generator",
        ("plesk_mailgen/filters.py", "plesk_mailgen/api.py"),
        (
            "tests/test_golden.py::test_generated_tree_matches_the_generator",
            "tests/test_naming.py",
            "tests/test_versions.py",
            "tests/test_generator_edges.py",
        ),
    ),
)
PACKAGES = {"plesk_mail": "generated", "plesk_mailgen": "generator"}
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-m", "not load"]
COPIED = (*PACKAGES, *PACKAGES.values(), "schemas", "templates", "README.md")
SKIPPED = (".git", ".venv", "mutants", "__pycache__", ".emulator", "*.egg-info")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS |= {34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout"}


def selected(group: Group, project: Path) -> list[str]:
    """The group's tests that exist (a test file may be newer than a checkout)."""
    return [t for t in group.tests if (project / t.partition("::")[0]).exists()]


def config(group: Group, project: Path) -> str:
    """mutmut's settings, as a ``[tool.mutmut]`` table for the copy's pyproject."""
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {json.dumps(list(group.targets))}",
        f"also_copy = {json.dumps(list(COPIED))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(selected(group, project))}",
        f"pytest_add_cli_args = {json.dumps(PYTEST_ARGS)}",
        # A mutant that makes a call wait for its deadline counts as killed after
        # twice the clean tests' time plus 10 s, not mutmut's default 15 times.
        "timeout_multiplier = 2.0",
        "timeout_constant = 10.0",
        # The copy is no git checkout: every file counts as changed otherwise.
        "use_git_change_detection = false",
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


def tally(project: Path, targets: tuple[str, ...]) -> dict[str, Counter[str]]:
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


def rate(count: Counter[str]) -> float:
    """Killed (a failing test or a timeout) among the mutants tests reach or should."""
    tested = sum(count[k] for k in ("killed", "survived", "timeout", "no tests"))
    return (count["killed"] + count["timeout"]) / tested if tested else 0.0


def report(counts: dict[str, Counter[str]], seconds: dict[str, float]) -> str:
    rows = []
    total: Counter[str] = Counter()
    for target, count in counts.items():
        total.update(count)
        rows.append(_row(target, count))
    rows.append(_row("all targets", total))
    spent = ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items())
    return "\n".join([*rows, f"{sum(seconds.values()):.0f} s ({spent})"])


def _row(target: str, count: Counter[str]) -> str:
    return (
        f"{target:45} {rate(count):6.1%}  killed {count['killed']:4}  "
        f"survived {count['survived']:4}  timeout {count['timeout']:3}  "
        f"no tests {count['no tests']:3}"
    )


def run_group(group: Group, folder: Path, jobs: int) -> tuple[Path, list[str]]:
    """Run mutmut on one group in a copy of its own; the copy and mutmut's output."""
    project = copy_project(folder / group.name)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write(config(group, project))
    log = folder / f"{group.name}.log"
    with log.open("w", encoding="utf-8") as stream:
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
            cwd=project,
            env={**os.environ, "PLESK_MAIL_MUTATION": "1"},
            stdout=stream,
            stderr=subprocess.STDOUT,
            check=False,
        )
    tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
    return project, tail


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation")
    parser.add_argument("only", nargs="*", help="only groups or targets naming this")
    parser.add_argument("--keep", action="store_true", help="keep the copies")
    parser.add_argument(
        "--jobs", type=int, default=4, help="mutants at a time (most tests wait on I/O)"
    )
    parser.add_argument("--json", type=Path, help="also write figures and survivors")
    args = parser.parse_args()
    groups = [
        g
        for g in GROUPS
        if not args.only
        or any(o in g.name or any(o in t for t in g.targets) for o in args.only)
    ]
    folder = Path(tempfile.mkdtemp(prefix="plesk-mutation-"))
    counts: dict[str, Counter[str]] = {}
    seconds: dict[str, float] = {}
    survived: dict[str, list[str]] = {}
    try:
        for group in groups:
            started = time.perf_counter()
            project, tail = run_group(group, folder, args.jobs)
            seconds[group.name] = time.perf_counter() - started
            found = tally(project, group.targets)
            if not any(sum(count.values()) for count in found.values()):
                print(f"{group.name}: mutmut tested nothing; the end of its output:")
                print(*tail, sep="\n")
            counts.update(found)
            survived[group.name] = survivors(project)
            for name in survived[group.name]:
                print("survived:", name)
            print(report(found, {group.name: seconds[group.name]}), flush=True)
        print(report(counts, seconds))
        if args.json is not None:
            args.json.write_text(
                json.dumps(
                    {
                        "targets": {t: dict(c) for t, c in counts.items()},
                        "rates": {t: rate(c) for t, c in counts.items()},
                        "seconds": seconds,
                        "survived": survived,
                    },
                    indent=1,
                ),
                encoding="utf-8",
            )
        if args.keep:
            print(f"copies kept in {folder}: `mutmut show NAME` in <group>/project")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if counts else 1


if __name__ == "__main__":
    sys.exit(main())
