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
``plesk_mailgen/runtime/``). No group runs ``tests/test_golden.py``: its
fingerprint hashes the generator's source, which mutmut rewrites, so even
the clean run would "fail"; the generator's group compares the rendered
files with the golden record in-process (``tests/test_generator_edges.py``).

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
HOSTILE = "tests/test_hostile_input.py::test_"
TRUST = "tests/test_trust.py::test_"
GATES = "tests/test_version_gates.py::test_limited_field_is_sent_where_it_exists_and_refused_elsewhere"
ENGINE_TESTS = (
    "tests/test_engine_edges.py",
    "tests/test_hard_paths.py",
    "tests/test_client.py",
    "tests/test_chunking.py",
    "tests/test_client_errors.py",
    "tests/test_transport_controls.py",
    "tests/test_sites.py",
    "tests/test_version_gates.py::test_every_limited_request_field_has_a_case",
    *(
        f"{GATES}[{v}-{kind}]"
        for v in ("1.6.6.0-create", "1.6.9.1-set_prefs")
        for kind in ("sync", "async")
    ),
    *(
        f"tests/test_addressing.py::test_{name}"
        for name in (
            "every_site_id_method_takes_the_site_by_name",
            "a_unicode_name_is_found_by_its_ascii_form",
            "an_unknown_name_is_an_error_that_names_it_and_sends_nothing",
            "a_site_given_twice_or_not_at_all_is_refused",
            "addresses_over_domains_take_two_round_trips_and_keep_their_order",
            "results_out_of_order_are_put_back_by_name",
            "the_cache_lives_with_the_client_and_can_be_dropped",
            "named_gives_typed_sites_and_names_the_unknown",
            "a_batch_looks_every_name_up_in_one_packet",
        )
    ),
    *(
        f"{HOSTILE}{name}"
        for name in (
            "client_hostile",
            "interrupted_call_says_what_was_applied",
            "results_out_of_order_are_matched_to_their_items",
            "answer_in_another_version_is_logged",
            "negotiation_with_a_hostile_server",
            "a_secret_echoed_in_an_item_error_is_masked",
        )
    ),
    f"{TRUST}a_call_after_close_is_refused_before_sending",
    f"{TRUST}an_echoed_account_password_is_hidden_in_results_and_errors",
    f"{TRUST}a_huge_number_from_the_server_is_a_response_error",
)
TRANSPORT_TESTS = (
    "tests/test_transport_edges.py",
    "tests/test_retries.py",
    "tests/test_hard_paths.py",
    "tests/test_transport_controls.py",
    "tests/test_client_errors.py",
    "tests/test_tls_default.py",
    *(
        f"{HOSTILE}{name}"
        for name in (
            "client_hostile",
            "credentials_that_http_cannot_carry_are_refused_unseen",
            "non_ascii_password_is_sent_as_utf8",
            "an_echoed_secret_never_reaches_the_trace_log",
            "hosts_as_people_write_them",
            "hosts_that_are_no_hosts",
            "interrupted_call_says_what_was_applied",
        )
    ),
    "tests/test_bad_input_corpus.py::test_client_bad_response",
    "tests/test_bad_input_corpus.py::test_client_tls_mismatch",
    f"{TRUST}an_own_http_client_keeps_the_deadline_on_trickled_headers",
    f"{TRUST}a_ca_file_that_is_a_fifo_is_refused",
    f"{TRUST}a_call_after_close_is_refused_before_sending",
    f"{TRUST}an_excerpt_never_shows_the_start_of_a_secret_it_cuts",
    "tests/test_recording.py::test_a_recorded_session_replays_byte_for_byte_and_holds_no_secret",
    "tests/test_recording.py::test_the_async_client_records_the_same_files",
    "tests/test_recording.py::test_a_failed_write_is_a_warning_and_the_call_goes_on",
)
FLEET_CONFIG = tuple(
    f"tests/test_fleet.py::test_{name}"
    for name in (
        "python_fleet_finds_sites_on_every_server",
        "python_fleet_reports_every_server",
        "python_fleet_refuses_a_field_only_where_the_version_lacks_it",
        "cli_fleet_table_json_and_exit_code",
        "cli_single_named_server",
        "a_named_server_ignores_the_plesk_variables",
        "config_problems_are_one_line",
        "config_location_honours_xdg_and_the_override",
        "a_secret_from_a_command_or_a_private_file",
        "config_problems_under_servers_are_one_line",
        "a_missing_config_under_servers_is_one_line",
        "servers_keep_the_protocol_their_entry_names",
    )
)
GROUPS = (
    Group(
        "engine",
        (
            *(
                f"{RT}/engine/{name}.py"
                for name in (
                    "client",
                    "aio",
                    "calls",
                    "results",
                    "answers",
                    "packing",
                    "sites",
                )
            ),
        ),
        ENGINE_TESTS,
    ),
    Group(
        "transport",
        (
            f"{RT}/transport/http.py",
            f"{RT}/transport/deadline.py",
            f"{RT}/transport/retry.py",
        ),
        TRANSPORT_TESTS,
    ),
    Group(
        "config",
        (f"{RT}/fleet/config.py", f"{RT}/fleet/credential_commands.py"),
        (
            "tests/test_config_edges.py",
            "tests/test_guards.py::test_a_file_holding_a_secret_is_for_its_owner_only",
            "tests/test_guards.py::test_an_exported_password_never_reaches_a_named_server",
            "tests/test_guards.py::test_a_named_server_verifies_tls_unless_its_entry_says_otherwise",
            *FLEET_CONFIG,
            f"{TRUST}a_config_value_is_checked_like_an_option",
            f"{TRUST}a_server_name_that_a_selection_cannot_name_is_refused",
            f"{TRUST}a_config_file_that_is_a_fifo_is_refused",
            f"{TRUST}one_bad_entry_is_that_servers_error_only",
            f"{TRUST}servers_shows_no_command_line",
            f"{TRUST}a_credential_command_is_never_shown_whole",
        ),
    ),
    Group(
        "fleet",
        (f"{RT}/fleet/servers.py", f"{RT}/fleet/routing.py"),
        (
            "tests/test_routing.py",
            "tests/test_fleet_edges.py",
            "tests/test_guards.py::test_a_fleets_exit_code_counts_failed_servers",
            "tests/test_guards.py::test_a_fleet_where_one_write_may_have_applied_exits_4",
            *FLEET_CONFIG[:5],
            *(
                f"tests/test_addressing.py::test_{name}"
                for name in (
                    "a_call_by_name_goes_only_where_the_domain_is",
                    "a_domain_on_no_server_or_on_two_stops_the_call",
                    "where_says_which_server_hosts_a_domain",
                )
            ),
            f"{TRUST}one_bad_entry_is_that_servers_error_only",
            f"{TRUST}a_slow_credential_command_holds_up_no_other_server",
            f"{TRUST}a_fleet_deadline_after_the_write_says_so_per_server",
            f"{TRUST}a_fleet_value_refused_before_sending_is_not_applied",
        ),
    ),
    Group(
        "masking",
        (f"{RT}/base/masking.py",),
        (
            "tests/test_masking_edges.py",
            "tests/test_secret_property.py",
            *(
                f"{TRUST}{name}"
                for name in (
                    "masking_never_rewrites_what_was_decoded",
                    "escaped_echoes_are_hidden_in_exceptions_and_logs",
                    "a_log_of_a_short_password_shows_no_trace_of_it",
                    "an_echoed_account_password_is_hidden_in_results_and_errors",
                    "a_password_listed_as_a_protocol_is_hidden",
                    "a_password_named_as_a_result_is_hidden",
                    "an_excerpt_never_shows_the_start_of_a_secret_it_cuts",
                )
            ),
            "tests/test_client_errors.py::test_secrets_never_appear_in_logs_exceptions_or_reprs",
            f"{HOSTILE}an_echoed_secret_never_reaches_the_trace_log",
            f"{HOSTILE}a_secret_echoed_in_an_item_error_is_masked",
        ),
    ),
    Group(
        "addressing",
        (f"{RT}/engine/addressing.py",),
        (
            "tests/test_addressing_edges.py",
            "tests/test_addressing.py",
            "tests/test_sites.py",
        ),
    ),
    Group(
        "schemalock",
        ("plesk_mailgen/schemalock.py",),
        (
            "tests/test_schemalock.py",
            "tests/test_pins.py",
            "tests/test_generator_bad_input.py::test_bad_input_is_one_line",
            "tests/test_guards.py::test_a_schema_include_stays_in_its_version_folder",
        ),
    ),
    Group(
        "writing",
        ("plesk_mailgen/writing.py",),
        (
            "tests/test_writing_edges.py",
            "tests/test_writing.py",
            "tests/test_generator_bad_input.py",
            "tests/test_bad_input_corpus.py::test_generator_bad_input",
        ),
    ),
    Group(
        "generator",
        ("plesk_mailgen/filters.py", "plesk_mailgen/api.py"),
        (
            "tests/test_generator_edges.py",  # the golden record, rendered in-process
            "tests/test_naming.py",
            "tests/test_versions.py::test_compatibility_matrix_data",
            "tests/test_versions.py::test_every_version_module_is_a_pin_over_the_neutral_api",
        ),
    ),
)
PACKAGES = {"plesk_mail": "generated", "plesk_mailgen": "generator"}
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-m", "not load"]
COPIED = (*PACKAGES, *PACKAGES.values(), "schemas", "templates", "README.md")
SKIPPED = (".git", ".venv", "mutants", "__pycache__", ".emulator", "*.egg-info")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS |= {34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 37: "mypy"}


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
        # twice the clean tests' time plus 15 s, not mutmut's default 15 times.
        "timeout_multiplier = 2.0",
        "timeout_constant = 15.0",
        # A mutant mypy --strict refuses would fail the suite's type check (the
        # generated package and the generator are checked strictly): no test runs.
        f"type_check_command = {json.dumps(type_check(group))}",
        # The copy is no git checkout: every file counts as changed otherwise.
        "use_git_change_detection = false",
    ]
    return "\n".join(lines) + "\n"


def type_check(group: Group) -> list[str]:
    """mypy --strict on the group's mutated modules, as JSON for mutmut."""
    return [
        *(sys.executable, "-m", "mypy", "--strict", "--no-warn-unused-ignores"),
        *("--output", "json", *group.targets),
    ]


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


KILLED = ("killed", "mypy", "timeout")
"""A failing test, mypy --strict refusing the mutant, or a run past its time."""


def rate(count: Counter[str]) -> float:
    """Killed among every mutant (one no test reaches counts as not killed)."""
    tested = sum(count[k] for k in (*KILLED, "survived", "no tests"))
    return sum(count[k] for k in KILLED) / tested if tested else 0.0


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
        f"{target:38} {rate(count):6.1%}  killed {count['killed']:4}  "
        f"mypy {count['mypy']:4}  timeout {count['timeout']:3}  "
        f"survived {count['survived']:4}  no tests {count['no tests']:3}"
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
