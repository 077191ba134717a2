"""The bad-input corpus: generator, client and CLI, each case table-driven.

Every case checks the four properties of ``tests/support/corpus.py``: one line
that names the problem; the documented exit code (generator 1, interrupted
130, click usage 2; CLI 1 items/rows failed, 2 usage, 3 connection or server)
or exception type; no traceback; nothing lost (the previous ``generated/``
intact with no staging or backup folder left, accounts stored before a
failure still there, none duplicated).

This file holds the cases the older suites did not have; those suites carry
the same checks. Corpus size, by category (``CORPUS`` below names the tests;
``test_corpus_size_is_as_documented`` recounts them from the collected
items whenever the whole suite runs, so these numbers cannot drift):

============  ===================================================  =====
category      where                                                cases
============  ===================================================  =====
generator     test_generator_bad_input.py                             24
generator     this file                                               23
generator     test_hostile_input.py                                    4
generator     test_guards.py (issue 18)                                9
client        test_client_errors.py                                   64
client        this file                                               30
client        test_hostile_input.py                                   48
client        test_trust.py (issue 23)                                60
client        test_addressing.py (issue 19)                            4
client        test_guards.py (issue 18)                               53
client        test_retries.py (issue 18)                              64
client        test_hard_paths.py (issue 18)                            8
client        test_lexical_edges.py (issue 18)                       118
CLI           test_cli.py                                             19
CLI           this file                                               24
CLI           test_hostile_input.py                                   15
CLI           test_trust.py (issue 23)                                54
CLI           test_addressing.py (issue 19)                            7
CLI           test_signals.py (issue 23: 3 stops x 3 scenarios)        9
CLI           test_guards.py (issue 18)                               28
total                                                                665
============  ===================================================  =====

Counted as collected by pytest: one per parametrized case; since issue 18
every client case of test_client_errors.py, this file and
test_hostile_input.py runs the synchronous and the async client (two cases
each), and the guards' tables hold the accepted neighbour of each refusal
beside it. Six CLI cases of
this file (from-file-missing, csv-not-utf8, csv-column-of-newer-version,
negative-timeout, host-not-a-name, set-prefs-without-preferences) began as
strict ``xfail`` reproducers of bugs in the generated CLI and are regression
tests since those were fixed. The emulator's own packet-level refusals
(test_emulator.py) are not counted.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import shutil
import ssl
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
import tomli_w
import trustme
from click.testing import CliRunner, Result
from plesk_mail.cli import main as plesk_mail_main
from plesk_mailgen import cli as mailgen_cli
from plesk_mailgen import pipeline, writing

from tests.emulator.fixtures import PINNED, SITE_ID, cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS, Blocking
from tests.support.corpus import (
    assert_clean_exception,
    assert_clean_exit,
    assert_no_traceback,
    row_errors,
)
from tests.support.paths import PROJECT_DIR
from tests.support.protocols import VERSIONS, generated_module
from tests.test_client_errors import BILLION_LAUGHS
from tests.test_generator_bad_input import SHARED_FOLDER, VERSION, Tree, copy_writable

LATEST = VERSIONS[-1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# Which tests make up the corpus, by category (function names; every
# parametrized case counts once).
CORPUS: dict[str, dict[str, tuple[str, ...]]] = {
    "generator": {
        "tests/test_generator_bad_input.py": (
            "test_bad_input_is_one_line",
            "test_failed_generate_leaves_output_untouched",
            "test_generate_check_and_stale_output",
        ),
        "tests/test_bad_input_corpus.py": ("test_generator_bad_input",),
        "tests/test_hostile_input.py": (
            "test_a_swap_killed_midway_is_recovered_by_the_next_run",
            "test_an_immutable_file_fails_clearly_and_leaves_no_backup",
            "test_black_workers_die_with_a_killed_generator",
            "test_the_emulator_ca_folder_is_ignored",
        ),
        "tests/test_guards.py": ("test_a_schema_include_stays_in_its_version_folder",),
    },
    "client": {
        "tests/test_client_errors.py": (
            "test_wrong_password_raises_authentication_error",
            "test_bad_secret_key_raises_authentication_error",
            "test_http_401_403_raise_packet_errors",
            "test_unsupported_protocol_version_on_the_server",
            "test_malformed_responses_raise_response_error",
            "test_external_entity_is_not_read",
            "test_response_over_the_size_cap",
            "test_connection_refused",
            "test_timeout",
            "test_tls_failure_with_an_untrusted_certificate",
            "test_missing_ca_file_is_a_tls_error",
            "test_invalid_requests_are_refused_before_sending",
            "test_validation_can_be_switched_off",
            "test_element_of_a_newer_schema_names_the_version_that_has_it",
        ),
        "tests/test_bad_input_corpus.py": (
            "test_client_bad_response",
            "test_client_tls_mismatch",
        ),
        "tests/test_hostile_input.py": (
            "test_client_hostile",
            "test_credentials_that_http_cannot_carry_are_refused_unseen",
            "test_non_ascii_password_is_sent_as_utf8",
            "test_an_echoed_secret_never_reaches_the_trace_log",
            "test_hosts_as_people_write_them",
            "test_hosts_that_are_no_hosts",
            "test_host_with_its_port_reaches_the_server",
            "test_interrupted_call_says_what_was_applied",
            "test_results_out_of_order_are_matched_to_their_items",
            "test_answer_in_another_version_is_logged",
            "test_negotiation_with_a_hostile_server",
        ),
        "tests/test_trust.py": (
            "test_masking_never_rewrites_what_was_decoded",
            "test_escaped_echoes_are_hidden_in_exceptions_and_logs",
            "test_a_config_value_is_checked_like_an_option",
            "test_a_server_name_that_a_selection_cannot_name_is_refused",
            "test_connect_refuses_a_port_that_is_no_port",
            "test_an_own_http_client_keeps_the_deadline_on_trickled_headers",
            "test_a_call_after_close_is_refused_before_sending",
            "test_a_decoded_system_error_encodes_back",
            "test_a_log_of_a_short_password_shows_no_trace_of_it",
            "test_a_huge_number_from_the_server_is_a_response_error",
            "test_an_echoed_account_password_is_hidden_in_results_and_errors",
            "test_a_password_listed_as_a_protocol_is_hidden",
            "test_a_password_named_as_a_result_is_hidden",
            "test_an_excerpt_never_shows_the_start_of_a_secret_it_cuts",
            "test_a_ca_file_that_is_a_fifo_is_refused",
        ),
        "tests/test_addressing.py": (
            "test_an_unknown_name_is_an_error_that_names_it_and_sends_nothing",
            "test_a_site_given_twice_or_not_at_all_is_refused",
        ),
        "tests/test_guards.py": (
            "test_a_file_holding_a_secret_is_for_its_owner_only",
            "test_tls_is_verified_unless_switched_off_or_given_the_ca",
            "test_a_named_server_verifies_tls_unless_its_entry_says_otherwise",
            "test_a_call_on_everything_needs_the_flag",
            "test_an_answer_field_is_read_from_the_version_that_has_it",
        ),
        "tests/test_retries.py": (
            "test_a_failed_first_attempt_is_retried_only_where_safe",
            "test_a_read_that_keeps_failing_is_tried_exactly_attempts_times",
            "test_no_retry_means_one_attempt_for_reads_too",
            "test_a_certificate_problem_is_not_tried_again",
            "test_every_slow_attempt_of_a_read_fits_in_one_deadline",
            "test_a_retry_gets_only_what_is_left_of_the_deadline",
            "test_a_slow_failing_write_is_not_tried_again_within_its_deadline",
            "test_a_backoff_that_would_pass_the_deadline_is_not_waited",
        ),
        "tests/test_hard_paths.py": (
            "test_a_write_ends_by_its_deadline_and_says_whether_it_was_sent",
        ),
        "tests/test_lexical_edges.py": (
            "test_an_answer_value_at_the_edge_of_its_type",
        ),
    },
    "CLI": {
        "tests/test_cli.py": (
            "test_bad_usage_is_one_line_and_exit_2",
            "test_connection_failures_exit_3",
            "test_item_failures_exit_1_and_are_reported",
            "test_from_file_processes_valid_rows_and_reports_bad_ones",
            "test_from_file_json_lines",
        ),
        "tests/test_bad_input_corpus.py": (
            "test_cli_bad_input",
            "test_cli_row_failing_midway_loses_and_duplicates_nothing",
            "test_cli_server_failing_midway_loses_and_duplicates_nothing",
        ),
        "tests/test_hostile_input.py": (
            "test_cli_hostile",
            "test_cli_json_keeps_a_huge_errtext_whole",
            "test_cli_remove_all_needs_the_flag_and_keeps_other_sites",
            "test_cli_host_with_port_and_unbracketed_ipv6",
            "test_cli_malformed_get_protos_is_a_server_fault",
            "test_ctrl_c_during_a_bulk_run_says_what_was_applied",
        ),
        "tests/test_trust.py": (
            "test_an_exported_account_password_changes_nothing",
            "test_an_item_secret_comes_from_where_the_person_said",
            "test_the_cli_prints_data_as_sent_and_hides_secrets_in_errors",
            "test_an_escaped_echo_of_the_password_is_hidden",
            "test_file_rows_keep_their_values_or_are_refused",
            "test_a_file_that_cannot_mean_what_it_says_stops_before_sending",
            "test_rows_from_a_pipe_are_read",
            "test_contradicting_options_are_refused",
            "test_a_config_file_that_is_a_fifo_is_refused",
            "test_one_bad_entry_is_that_servers_error_only",
            "test_a_slow_credential_command_holds_up_no_other_server",
            "test_servers_shows_no_command_line",
            "test_a_deadline_after_the_write_says_it_may_have_been_applied",
            "test_a_fleet_deadline_after_the_write_says_so_per_server",
            "test_a_refused_connection_says_nothing_was_applied",
            "test_the_tls_advice_names_no_python_argument",
            "test_a_dated_item_round_trips",
            "test_a_huge_number_in_a_json_line_is_a_row_error",
            "test_a_fleet_value_refused_before_sending_is_not_applied",
            "test_an_echoed_account_password_is_hidden_in_error_fields",
            "test_text_cells_are_sent_as_written",
            "test_a_credential_command_is_never_shown_whole",
            "test_ctrl_c_at_a_prompt_says_nothing_was_sent",
        ),
        "tests/test_addressing.py": (
            "test_cli_names_one_clear_line",
            "test_a_domain_on_no_server_or_on_two_stops_the_call",
        ),
        "tests/test_signals.py": (
            "test_a_stopped_create_says_whether_it_was_applied",
            "test_a_stopped_bulk_run_says_which_rows_were_applied",
            "test_a_stopped_fleet_says_what_each_server_applied",
        ),
        "tests/test_guards.py": (
            "test_an_exported_password_never_reaches_a_named_server",
            "test_without_a_named_server_the_exported_password_is_the_one_used",
            "test_a_fleets_exit_code_counts_failed_servers",
            "test_a_fleet_with_a_failed_item_but_no_failed_server_exits_1",
            "test_a_fleet_where_one_write_may_have_applied_exits_4",
            "test_the_cli_verifies_tls_unless_told_otherwise",
            "test_the_cli_wants_all_for_everything",
            "test_a_cli_option_is_taken_from_the_version_that_has_it",
        ),
    },
}
DOCUMENTED = {"generator": 60, "client": 449, "CLI": 156}
DOCUMENTED_XFAIL = 0


# == generator ==================================================================

FAKE_FILES = {
    "pyproject.toml": "[project]\nname = 'plesk-mail'\n",
    "plesk_mail/__init__.py": '"""new"""\n',
    "plesk_mail/v1/models.py": "X = 1\n",
    "plesk_mail/v1/codec.py": "Y = 2\n",
}


@dataclass
class Run:
    """One generator case: the scratch tree, its output folder, and patches."""

    tree: Tree
    out: Path
    monkeypatch: pytest.MonkeyPatch
    undo: list[Callable[[], object]] = field(default_factory=list)

    def fast_pipeline(self) -> None:
        """Skip schema loading and rendering: the case is about writing."""

        def fake(*args: Any, **kwargs: Any) -> dict[str, str]:
            return dict(FAKE_FILES)

        self.monkeypatch.setattr(pipeline, "generate_files", fake)
        self.monkeypatch.setattr(mailgen_cli, "generate_files", fake, raising=False)

    def fail_writing_after(self, count: int, error: BaseException) -> None:
        """The ``count``-th file written into the staging folder raises ``error``."""
        real = pathlib.Path.write_text
        written: list[Path] = []

        def write_text(path: Path, *args: Any, **kwargs: Any) -> int:
            if path.parent.name.startswith(f".{self.out.name}.new-") or any(
                p.name.startswith(f".{self.out.name}.new-") for p in path.parents
            ):
                written.append(path)
                if len(written) == count:
                    raise error
            return real(path, *args, **kwargs)

        self.monkeypatch.setattr(pathlib.Path, "write_text", write_text)


def unwritable_output_folder(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    parent = run.out.parent
    if IS_ROOT:  # root writes anywhere: make the folder refuse as it would a user
        real = writing.tempfile.mkdtemp

        def mkdtemp(*args: Any, **kwargs: Any) -> str:
            if Path(kwargs.get("dir", "")) == parent:
                raise PermissionError(errno.EACCES, "Permission denied", str(parent))
            return real(*args, **kwargs)

        run.monkeypatch.setattr(writing.tempfile, "mkdtemp", mkdtemp)
    else:
        parent.chmod(0o555)
        run.undo.append(lambda: parent.chmod(0o755))
    return 1, ["cannot write to", str(parent), "Permission denied"]


def output_parent_is_a_file(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    blocker = run.tree.root / "blocker"
    blocker.write_text("not a folder\n", encoding="utf-8")
    run.out = blocker / "generated"
    return 1, ["cannot write to", str(blocker)]


def output_is_a_file(run: Run) -> tuple[int, list[str]]:
    target = run.tree.root / "notes.txt"
    target.write_text("user data\n", encoding="utf-8")
    run.out = target
    return 2, ["--output", "is a file"]


def disk_full_while_writing(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    run.fail_writing_after(3, OSError(errno.ENOSPC, "No space left on device"))
    return 1, ["No space left on device", "previous output is intact"]


def interrupted_while_writing(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    run.fail_writing_after(2, KeyboardInterrupt())
    return 130, ["interrupted", "nothing was changed"]


def swap_fails(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    real = os.rename

    def rename(source: Any, target: Any) -> None:
        if Path(source).name.startswith(f".{run.out.name}.new-"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(source, target)

    run.monkeypatch.setattr(writing.os, "rename", rename)
    return 1, ["Invalid cross-device link", "previous output is intact"]


def interrupted_while_formatting(run: Run) -> tuple[int, list[str]]:
    def format_files(files: dict[str, str]) -> dict[str, str]:
        raise KeyboardInterrupt

    run.monkeypatch.setattr(pipeline, "format_files", format_files)
    return 130, ["interrupted", "nothing was changed"]


def interrupted_while_loading(run: Run) -> tuple[int, list[str]]:
    def load_schema(*args: Any) -> Any:
        raise KeyboardInterrupt

    run.monkeypatch.setattr(pipeline, "load_schema", load_schema)
    return 130, ["interrupted", "nothing was changed"]


def template_renders_broken_python(run: Run) -> tuple[int, list[str]]:
    real = pipeline.render

    def render(*args: Any) -> dict[str, str]:
        files = real(*args)
        files["plesk_mail/__init__.py"] += "\ndef broken(:\n"
        return files

    run.monkeypatch.setattr(pipeline, "render", render)
    return 1, ["plesk_mail/__init__.py", "is not valid Python", "template is broken"]


def schema_root_is_a_file(run: Run) -> tuple[int, list[str]]:
    shutil.rmtree(run.tree.schema_root)
    run.tree.schema_root.write_text("not a folder\n", encoding="utf-8")
    return 2, ["--schema-root", "is a file"]


def empty_schema_file(run: Run) -> tuple[int, list[str]]:
    path = run.tree.folder / "descriptor.xsd"
    path.write_text("", encoding="utf-8")
    return 1, [str(path), "is not XML", "Document is empty"]


def binary_schema_file(run: Run) -> tuple[int, list[str]]:
    path = run.tree.folder / "descriptor.xsd"
    path.write_bytes(b"\xff\xfe\x00\x01garbage\x00")
    return 1, [str(path), "is not XML"]


def entry_type_renamed(run: Run) -> tuple[int, list[str]]:
    run.tree.edit(
        "mail_input.xsd", 'name="MailTypeRequest"', 'name="MailTypeRequestV2"'
    )
    run.tree.relock()
    return 1, ["no complex type 'MailTypeRequest'"]


def names_file_missing(run: Run) -> tuple[int, list[str]]:
    run.tree.names_file.unlink()
    return 1, ["name clash", str(run.tree.names_file)]


def version_without_schemas(run: Run) -> tuple[int, list[str]]:
    data = run.tree.lock_data()
    versions = data["versions"]
    assert isinstance(versions, dict)
    versions["9.9.9.9"] = {**versions[VERSION], "folder": "9.9.9.9"}
    run.tree.lock_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return 1, ["9.9.9.9", "not found"]


def type_named_like_the_runtime(run: Run) -> tuple[int, list[str]]:
    run.tree.rename_type("Antivir", "Results")  # as a schema type `results` would be
    return 1, ["'Results' for Antivir is taken by the generated package", "[types]"]


def _edit_site_operator(run: Run, **changes: object) -> None:
    data = run.tree.lock_data()
    operators = data["operators"]
    assert isinstance(operators, dict)
    operators["site"].update(changes)
    run.tree.lock_file.write_text(tomli_w.dumps(data), encoding="utf-8")


def operation_not_in_the_schema(run: Run) -> tuple[int, list[str]]:
    _edit_site_operator(run, operations=["gett"])
    return 1, ["operator <site>", "no operation 'gett' in SiteTypeRequest", "get"]


def omitted_element_matches_nothing(run: Run) -> tuple[int, list[str]]:
    _edit_site_operator(run, omit=["siteDatasetType/hostin"])
    return 1, ["operators.site.omit", "'siteDatasetType/hostin'", "no optional element"]


def omitted_element_is_required(run: Run) -> tuple[int, list[str]]:
    _edit_site_operator(run, omit=["siteGenInfoType/guid"])
    return 1, ["siteGenInfoType/guid", "required by the schema", "cannot be omitted"]


def two_operators_one_method_name(run: Run) -> tuple[int, list[str]]:
    data = tomllib.loads(run.tree.names_file.read_text(encoding="utf-8"))
    data["methods"] = {"site.get": "get_info"}
    run.tree.names_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return 1, ["'get_info' of <site>", "one of <mail>", "[methods]"]


def method_name_for_no_operation(run: Run) -> tuple[int, list[str]]:
    data = tomllib.loads(run.tree.names_file.read_text(encoding="utf-8"))
    data["methods"] = {"site.gett": "get_sites"}
    run.tree.names_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return 1, ["[methods] 'site.gett' names no generated operation"]


def check_without_output(run: Run) -> tuple[int, list[str]]:
    run.fast_pipeline()
    run.out = run.tree.root / "never-generated"
    return 1, ["is stale", "missing", "plesk-mailgen generate"]


GENERATOR_CASES = [
    pytest.param(unwritable_output_folder, ["generate"], id="unwritable-output-folder"),
    pytest.param(output_parent_is_a_file, ["generate"], id="output-parent-is-a-file"),
    pytest.param(output_is_a_file, ["generate"], id="output-is-a-file"),
    pytest.param(disk_full_while_writing, ["generate"], id="disk-full-while-writing"),
    pytest.param(interrupted_while_writing, ["generate"], id="interrupted-writing"),
    pytest.param(swap_fails, ["generate"], id="swap-into-place-fails"),
    pytest.param(
        interrupted_while_formatting, ["generate"], id="interrupted-formatting"
    ),
    pytest.param(interrupted_while_loading, ["generate"], id="interrupted-loading"),
    pytest.param(template_renders_broken_python, ["generate"], id="broken-template"),
    pytest.param(schema_root_is_a_file, ["verify"], id="schema-root-is-a-file"),
    pytest.param(empty_schema_file, ["lock"], id="empty-schema-lock"),
    pytest.param(empty_schema_file, ["generate"], id="empty-schema-generate"),
    pytest.param(binary_schema_file, ["generate"], id="binary-schema"),
    pytest.param(entry_type_renamed, ["generate"], id="changed-entry-type"),
    pytest.param(names_file_missing, ["generate"], id="names-file-missing"),
    pytest.param(version_without_schemas, ["verify"], id="unknown-version-in-lock"),
    pytest.param(check_without_output, ["generate", "--check"], id="check-no-output"),
    pytest.param(
        type_named_like_the_runtime, ["generate"], id="type-named-like-the-runtime"
    ),
    pytest.param(
        operation_not_in_the_schema, ["generate"], id="lock-unknown-operation"
    ),
    pytest.param(
        omitted_element_matches_nothing, ["generate"], id="lock-omit-matches-nothing"
    ),
    pytest.param(omitted_element_is_required, ["generate"], id="lock-omit-required"),
    pytest.param(
        two_operators_one_method_name, ["generate"], id="two-operators-one-name"
    ),
    pytest.param(
        method_name_for_no_operation, ["generate"], id="methods-names-nothing"
    ),
]


@pytest.fixture(scope="module")
def pristine_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """A scratch project locked to one version (as test_generator_bad_input's)."""
    tree = Tree(tmp_path_factory.mktemp("corpus-pristine"))
    copy_writable(PROJECT_DIR / "schemas", tree.project / "schemas")
    copy_writable(SHARED_FOLDER, tree.folder)
    data = tree.lock_data()
    versions = data["versions"]
    assert isinstance(versions, dict)
    data["versions"] = {VERSION: versions[VERSION]}
    tree.lock_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    tree.relock()
    return tree


def files_under(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path, name: str) -> list[str]:
    """Staging (``.NAME.new-*``) or backup (``.NAME.old-*``) folders left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


@pytest.mark.parametrize(("break_it", "command"), GENERATOR_CASES)
def test_generator_bad_input(
    pristine_tree: Tree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    break_it: Callable[[Run], tuple[int, list[str]]],
    command: list[str],
) -> None:
    tree = Tree(tmp_path / "tree")
    copy_writable(pristine_tree.root, tree.root)
    previous = tree.root / "out"  # the previous generated/ of this project
    (previous / "plesk_mail").mkdir(parents=True)
    (previous / "plesk_mail" / "__init__.py").write_text(
        '"""old"""\n', encoding="utf-8"
    )
    before = files_under(previous)

    run = Run(tree, previous, monkeypatch)
    code, names = break_it(run)
    target = run.out
    target_before = target.read_bytes() if target.is_file() else target.exists()
    lock_before = tree.lock_file.read_bytes()
    output = ["--output", str(target)] if command[0] == "generate" else []
    try:
        result = tree.invoke(*command, *output)
    finally:
        monkeypatch.undo()
        for undo in run.undo:
            undo()

    assert_clean_exit(result, code, *names)
    assert files_under(previous) == before, "the previous output changed"
    assert leftovers(previous.parent, previous.name) == []
    if target != previous:  # a failed run creates nothing and changes nothing
        if isinstance(target_before, bytes):
            assert target.read_bytes() == target_before
        else:
            assert target.exists() == target_before
    assert tree.lock_file.read_bytes() == lock_before, "a failed run changed the lock"


# == client =======================================================================

GOOD_RENAME = (
    b'<packet version="1.6.9.1"><mail><rename><result><status>ok</status>'
    b"</result></rename></mail></packet>"
)


def rename(client: Any) -> Any:
    return client.rename(site_id=SITE_ID, name="a", new_name="b")


def create_two(client: Any) -> Any:
    m = generated_module(LATEST)
    return client.create(
        site_id=SITE_ID,
        mailnames=[m.NewMailAccount(name="x1"), m.NewMailAccount(name="x2")],
    )


CLIENT_CASES = [
    pytest.param(
        RawAnswer(b"", 500, content_type="text/plain"),
        rename,
        plesk_mail.ResponseError,
        ["HTTP 500"],
        id="http-500-empty",
    ),
    pytest.param(
        RawAnswer(b"<html><h1>Bad Gateway</h1></html>", 502, content_type="text/html"),
        rename,
        plesk_mail.ResponseError,
        ["HTTP 502", "Bad Gateway"],
        id="http-502-html",
    ),
    pytest.param(
        RawAnswer(b"", 302, headers={"Location": "https://elsewhere.example/"}),
        rename,
        plesk_mail.ResponseError,
        ["HTTP 302"],
        id="redirect-not-followed",
    ),
    pytest.param(
        RawAnswer(GOOD_RENAME, declared_length=len(GOOD_RENAME) + 100),
        rename,
        plesk_mail.TransportError,
        ["without sending complete message body"],
        id="connection-drops-mid-body",
    ),
    pytest.param(
        RawAnswer(GOOD_RENAME * 40, close_delimited=True),
        rename,
        plesk_mail.ResponseError,
        ["exceeds the limit of 2000 bytes"],
        id="oversized-without-length",
    ),
    pytest.param(
        RawAnswer(GOOD_RENAME, declared_length=10**9),
        rename,
        plesk_mail.ResponseError,
        ["1000000000 bytes exceeds the limit of 2000 bytes"],
        id="oversized-declared-length",
    ),
    pytest.param(
        RawAnswer(
            b'<?xml version="1.0"?><!DOCTYPE packet SYSTEM "file:///etc/passwd">'
            b'<packet version="1.6.9.1"/>'
        ),
        rename,
        plesk_mail.ResponseError,
        ["DOCTYPE", "refused"],
        id="external-dtd",
    ),
    pytest.param(
        RawAnswer(
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY % x SYSTEM "file:///etc/passwd">'
            b"%x;]><packet/>"
        ),
        rename,
        plesk_mail.ResponseError,
        ["DOCTYPE"],
        id="parameter-entity",
    ),
    pytest.param(
        RawAnswer(
            b'<?xml version="1.0" encoding="UTF-16"?><packet version="1.6.9.1"/>'
        ),
        rename,
        plesk_mail.ResponseError,
        ["not well-formed"],
        id="wrong-encoding-declared",
    ),
    pytest.param(
        RawAnswer(
            b'<packet version="1.6.9.1"><mail><create><result><status>ok</status>'
            b"<mailname><id>1</id><name>x1</name></mailname></result></create></mail></packet>"
        ),
        create_two,
        plesk_mail.ResponseError,
        ["sent 2 item(s), got 1 result(s)"],
        id="fewer-results-than-items",
    ),
    pytest.param(
        RawAnswer(
            b'<packet version="1.6.9.1"><mail><rename><result><errcode>5</errcode>'
            b"</result></rename></mail></packet>"
        ),
        rename,
        plesk_mail.ResponseError,
        ["element <status> missing"],
        id="missing-required-element",
    ),
    pytest.param(
        RawAnswer(
            b'<packet version="1.6.9.1"><system><status>error</status><errcode>1023'
            b"</errcode><errtext>Operation\n failed</errtext></system></packet>"
        ),
        rename,
        plesk_mail.PacketError,
        ["Plesk error 1023: Operation failed"],
        id="system-error-other-code",
    ),
    pytest.param(
        RawAnswer(
            b"<packet version='1.6.9.1'><mail><rename><result><status>ok</status>"
        ),
        rename,
        plesk_mail.ResponseError,
        ["not well-formed"],
        id="truncated-document",
    ),
]


@pytest.fixture
def kept(emulator: Emulator) -> Iterator[Account]:
    """An account stored before the case; it must survive it, once."""
    account = emulator.store.add_account(SITE_ID, Account(name="kept", aliases=["k"]))
    yield account
    assert emulator.store.account(SITE_ID, "kept") == account
    assert [a.name for a in emulator.store.all_accounts()].count("kept") == 1


@pytest.mark.parametrize("client_kind", KINDS)
@pytest.mark.parametrize(("answer", "call", "kind", "names"), CLIENT_CASES)
def test_client_bad_response(
    emulator: Emulator,
    tls: TestTLS,
    kept: Account,
    answer: RawAnswer,
    call: Callable[[Any], Any],
    kind: type[Exception],
    names: list[str],
    client_kind: str,
) -> None:
    emulator.scripted.append(answer)
    client = connect_to(
        emulator, tls, kind=client_kind, timeout=5, max_response_size=2000
    )
    with client:
        with pytest.raises(kind) as info:
            call(client)
        assert_clean_exception(info.value, kind, *names)
        # Nothing lost: the same client carries on, the stored account is there.
        again = client.get_info(site_id=SITE_ID, names=["kept"], aliases=True)
    assert again[0].mailname.aliases == ["k"]


def other_host_certificate(tmp_path: Path) -> tuple[TestTLS, Path]:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("plesk.example.com").configure_cert(context)
    ca_file = tmp_path / "other-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestTLS(server_context=context, ca_file=ca_file), ca_file


@pytest.mark.parametrize(
    ("server", "names"),
    [
        pytest.param(
            "other-host",
            ["TLS verification failed", "not valid for '127.0.0.1'"],
            id="certificate-for-another-host",
        ),
        pytest.param(
            "plain-http", ["TLS", "WRONG_VERSION_NUMBER"], id="server-speaks-plain-http"
        ),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_client_tls_mismatch(
    tmp_path: Path, tls: TestTLS, server: str, names: list[str], kind: str
) -> None:
    if server == "other-host":
        server_tls, ca_file = other_host_certificate(tmp_path)
        emulator = new_emulator(server_tls)
    else:
        emulator, ca_file = new_emulator(None), tls.ca_file
    emulator.start()
    try:
        stored = emulator.store.add_account(SITE_ID, Account(name="kept"))
        options: dict[str, Any] = {
            "secret_key": emulator.secret_key,
            "port": emulator.port,
            "verify": str(ca_file),
            "protocol": PINNED,
        }
        client = (
            plesk_mail.connect("127.0.0.1", **options)
            if kind == "sync"
            else Blocking(plesk_mail.connect_async("127.0.0.1", **options))
        )
        with client, pytest.raises(plesk_mail.TLSError) as info:
            client.enable(site_id=SITE_ID)
    finally:
        emulator.stop()
    assert_clean_exception(info.value, plesk_mail.TLSError, *names)
    assert not emulator.exchanges  # nothing reached the application
    assert emulator.store.all_accounts() == [stored]


# == CLI ============================================================================


def cli(emulator: Emulator, tls: TestTLS, *args: str, **env: str) -> Result:
    environment = {
        **cli_env(emulator, tls),
        **env,
    }
    return CliRunner().invoke(plesk_mail_main, list(args), env=environment)


@dataclass
class CliCase:
    args: list[str]
    code: int
    names: list[str]
    env: dict[str, str] | None = None
    answer: RawAnswer | None = None
    files: dict[str, bytes] | None = None
    sends: bool = True  # does the case reach the server at all?
    rows: dict[int, str] | None = None  # row number -> what its line must name


ENABLE = ["enable", "--site-id", "1"]
READ = ["get-prefs", "--site-id", "1"]
MAYBE = "the enable was sent and may or may not have been applied"
"""A write whose answer never came whole: never reported as "nothing applied" (3)."""
CLI_CASES = [
    pytest.param(
        CliCase(
            ENABLE,
            4,
            ["HTTP 500", MAYBE],
            answer=RawAnswer(b"oops", 500, content_type="text/plain"),
        ),
        id="http-500",
    ),
    pytest.param(
        CliCase(
            READ,
            3,
            ["HTTP 500"],
            answer=RawAnswer(b"oops", 500, content_type="text/plain"),
        ),
        id="http-500-read-only",
    ),
    pytest.param(
        CliCase(
            ENABLE, 4, ["not well-formed", MAYBE], answer=RawAnswer(b"\x00\xffgarbage")
        ),
        id="garbage-answer",
    ),
    pytest.param(
        CliCase(READ, 3, ["not well-formed"], answer=RawAnswer(b"\x00\xffgarbage")),
        id="garbage-answer-read-only",
    ),
    pytest.param(
        CliCase(ENABLE, 4, ["DOCTYPE", MAYBE], answer=RawAnswer(BILLION_LAUGHS)),
        id="entity-expansion",
    ),
    pytest.param(
        CliCase(
            ["--timeout", "0.3", *ENABLE],
            4,
            ["no complete answer within the 0.3 s deadline", MAYBE],
            answer=RawAnswer(b"", delay=2),
        ),
        id="timeout",
    ),
    pytest.param(
        CliCase(
            ["--timeout", "0.3", *READ],
            3,
            ["no complete answer within the 0.3 s deadline"],
            answer=RawAnswer(b"", delay=2),
        ),
        id="timeout-read-only",
    ),
    pytest.param(
        CliCase(
            ENABLE,
            3,
            ["11003", "the enable was not applied"],
            env={"PLESK_SECRET_KEY": "wrong-key", "PLESK_PASSWORD": ""},
        ),
        id="wrong-secret-key",
    ),
    pytest.param(
        CliCase(ENABLE, 2, ["no host"], env={"PLESK_HOST": ""}, sends=False),
        id="no-host",
    ),
    pytest.param(
        CliCase(ENABLE, 2, ["no password"], env={"PLESK_PASSWORD": ""}, sends=False),
        id="no-password-without-terminal",
    ),
    pytest.param(
        CliCase(
            ENABLE,
            2,
            ["PLESK_CA_FILE (from the environment)", "does not exist"],
            env={"PLESK_CA_FILE": "/nonexistent/ca.pem"},
            sends=False,
        ),
        id="ca-file-missing",
    ),
    pytest.param(
        CliCase(
            ["--port", "https", *ENABLE],
            2,
            ["--port", "is not a port"],
            sends=False,
        ),
        id="port-not-a-number",
    ),
    pytest.param(
        CliCase(
            ["--chunk-size", "0", *ENABLE], 2, ["--chunk-size", "x>=1"], sends=False
        ),
        id="chunk-size-zero",
    ),
    pytest.param(
        CliCase(
            ["enabel", "--site-id", "1"], 2, ["No such command 'enabel'"], sends=False
        ),
        id="unknown-command",
    ),
    pytest.param(
        CliCase(
            ["create", "--site-id", "1", "--from-file", "{empty.csv}"],
            2,
            ["empty.csv has no rows"],
            files={"empty.csv": b"name\n"},
            sends=False,
        ),
        id="csv-without-rows",
    ),
    pytest.param(
        CliCase(
            ["create", "--site-id", "1", "--from-file", "{colour.csv}"],
            2,
            ["unknown column(s) colour"],
            files={"colour.csv": b"name,colour\na,red\n"},
            sends=False,
        ),
        id="csv-unknown-column",
    ),
    pytest.param(
        CliCase(
            ["create", "--site-id", "1", "--from-file", "{missing.csv}"],
            2,
            ["missing.csv"],
            sends=False,
        ),
        id="from-file-missing",
    ),
    pytest.param(
        CliCase(
            ["create", "--site-id", "1", "--from-file", "{latin1.csv}"],
            2,
            ["UTF-8"],
            files={
                "latin1.csv": "name,description\nj\xf6rg,caf\xe9\n".encode("latin-1")
            },
            sends=False,
        ),
        id="csv-not-utf8",
    ),
    pytest.param(
        CliCase(
            [
                "--protocol",
                "1.6.6.0",
                "create",
                "--site-id",
                "1",
                "--from-file",
                "{end.csv}",
            ],
            1,  # a bad row, named: the column is checked where it has a value
            [],
            files={"end.csv": b"name,autoresponder-end-date\nx,2026-01-01\n"},
            sends=False,
            rows={
                2: "autoresponder-end-date needs protocol 1.6.7.0 or newer "
                "(protocol 1.6.6.0 in use)"
            },
        ),
        id="csv-column-of-newer-version",
    ),
    pytest.param(
        CliCase(["--timeout", "-1", *ENABLE], 2, ["--timeout"], sends=False),
        id="negative-timeout",
    ),
    pytest.param(
        CliCase(["--host", "bad host/x", *ENABLE], 2, ["not a host name"], sends=False),
        id="host-not-a-name",
    ),
    pytest.param(
        CliCase(["set-prefs", "--site-id", "1"], 2, ["set-prefs"], sends=False),
        id="set-prefs-without-preferences",
    ),
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_bad_input(
    emulator: Emulator, tls: TestTLS, kept: Account, tmp_path: Path, case: CliCase
) -> None:
    files = {name: tmp_path / name for name in (case.files or {})}
    for name, data in (case.files or {}).items():
        files[name].write_bytes(data)
    args = [
        str(tmp_path / a[1:-1]) if a.startswith("{") and a.endswith("}") else a
        for a in case.args
    ]
    if case.answer is not None:
        emulator.scripted.append(case.answer)
    result = cli(emulator, tls, *args, **(case.env or {}))
    if case.code == 1:  # rows failed: each names itself, nothing else is an error
        assert_no_traceback(result)
        assert result.exit_code == 1, result.output
        assert "error:" not in result.stderr
    else:
        assert_clean_exit(result, case.code, *case.names)
    problems = row_errors(result)
    assert sorted(problems) == sorted(case.rows or {})
    for number, name in (case.rows or {}).items():
        assert name in problems[number]
    assert bool(emulator.exchanges) == case.sends
    assert [a.name for a in emulator.store.all_accounts()] == ["kept"]


def created(emulator: Emulator) -> list[str]:
    return [a.name for a in emulator.store.all_accounts()]


def test_cli_row_failing_midway_loses_and_duplicates_nothing(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "name,mailbox-enabled,mailbox-quota\n"
        "a1,true,1M\na2,true,1M\nbad,true,a lot\na3,true,1M\na4,true,1M\n"
    )
    args = ["--chunk-size", "2", "create", "--site-id", "1", "--from-file", str(rows)]
    first = cli(emulator, tls, *args)
    assert_no_traceback(first)
    assert first.exit_code == 1, first.output
    [(number, problem)] = row_errors(first).items()
    assert number == 4 and "mailbox-quota" in problem and "is not a size" in problem
    assert created(emulator) == ["a1", "a2", "a3", "a4"]
    # Fixing the row and running the same file again adds it, and only it.
    rows.write_text(rows.read_text().replace("a lot", "2M"))
    second = cli(emulator, tls, "--json", *args)
    assert second.exit_code == 1, second.output
    assert created(emulator) == ["a1", "a2", "a3", "a4", "bad"]
    assert emulator.store.account(SITE_ID, "bad").quota == 2 * 2**20  # type: ignore[union-attr]
    assert second.stdout.count('"errcode": 1007') == 4


def test_cli_server_failing_midway_loses_and_duplicates_nothing(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    rows = tmp_path / "accounts.csv"
    rows.write_text("name\n" + "".join(f"u{i}\n" for i in range(6)))
    args = ["--chunk-size", "2", "create", "--site-id", "1", "--from-file", str(rows)]
    emulator.scripted += [
        None,
        RawAnswer(b"<html>Bad Gateway</html>", 502, content_type="text/html"),
    ]
    first = cli(emulator, tls, "--json", *args)
    line = assert_clean_exit(
        first,
        4,
        "HTTP 502",
        "rows through 3 were answered",
        "rows 4-5 were sent and may or may not have been applied",
        "resume with --start-at-row 4 --skip-existing",
    )
    assert created(emulator) == ["u0", "u1"]  # the first packet went through
    document = json.loads(first.stdout)  # still one valid document, saying so
    assert [r["row"] for r in document["results"]] == [2, 3]
    assert document["stopped"]["applied_through_row"] == 3
    assert document["stopped"]["resume_at_row"] == 4 and not document["ok"]
    # Resuming where it stopped sends the rest, and nothing twice.
    resume = line.rpartition("resume with ")[2].split()
    assert document["stopped"]["resume"] == " ".join(resume)
    second = cli(emulator, tls, "--json", *args, *resume)
    assert second.exit_code == 0, second.output
    assert created(emulator) == [f"u{i}" for i in range(6)]
    assert [r["row"] for r in json.loads(second.stdout)["results"]] == [4, 5, 6, 7]


# == a fixed bug that was not bad input: --no-... switches were dropped ==============


def test_cli_false_switch_reaches_the_server(emulator: Emulator, tls: TestTLS) -> None:
    emulator.store.add_account(SITE_ID, Account(name="a"))
    result = cli(
        emulator,
        tls,
        "update-set",
        "--site-id",
        "1",
        "--name",
        "a",
        "--no-mailbox-enabled",
    )
    assert result.exit_code == 0, result.output
    assert b"<enabled>false</enabled>" in emulator.exchanges[0].body
    assert emulator.store.account(SITE_ID, "a").mailbox_enabled is False  # type: ignore[union-attr]


# == the corpus, counted ===============================================================


def test_corpus_size_is_as_documented(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    files = {path for category in CORPUS.values() for path in category}
    collected = {item.nodeid.split("::")[0] for item in items}
    selecting = request.config.getoption("keyword") or request.config.getoption(
        "markexpr"
    )
    if not files <= collected or selecting:
        pytest.skip("only part of the corpus was collected")
    counts = {}
    xfails = 0
    for category, tests in CORPUS.items():
        members = [
            item
            for item in items
            if item.nodeid.split("::")[0] in tests
            and item.nodeid.split("::")[1].split("[")[0]
            in tests[item.nodeid.split("::")[0]]
        ]
        counts[category] = len(members)
        xfails += sum(1 for item in members if item.get_closest_marker("xfail"))
    assert counts == DOCUMENTED
    assert xfails == DOCUMENTED_XFAIL
    assert sum(counts.values()) >= 60
