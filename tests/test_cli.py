"""``plesk-mail`` against the loopback emulator, for every command of every version.

The packet the server receives must validate against that version's XSD and
carry exactly the options given; bad input gives one line and exit code 2.
The bad-usage, connection-failure and bad-row cases are part of the bad-input
corpus (see test_bad_input_corpus.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import COMMANDS, main
from plesk_mail.runtime.cli.main import Command, Option

from tests.emulator.fixtures import SITE_ID, cli_env
from tests.emulator.server import Emulator
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exit
from tests.support.instances import choice_fields
from tests.support.protocols import VERSIONS, generated_module, protocol_model
from tests.support.target import STRONG_PASSWORD, Target

LATEST = VERSIONS[-1]
EXISTING = "existing"


def invoke(
    emulator: Emulator, tls: TestTLS, *args: str, env: dict[str, str] | None = None
) -> Result:
    environment = {
        **cli_env(emulator, tls),
    }
    environment.update(env or {})
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=True)


def sample(option: Option) -> tuple[list[str], Any]:
    """Command-line words for ``option`` and the value the request must carry."""
    if option.kind == "flag":
        return [option.flag], True
    if option.kind == "bool":
        return [option.flag], True
    if option.kind == "int":
        value = SITE_ID if option.dest == "site_id" else 7
        return [option.flag, str(value)], value
    if option.kind == "size":
        return [option.flag, "2M"], 2 * 2**20
    if option.kind == "enum":
        return [option.flag, option.choices[-1]], option.choices[-1]
    if option.kind == "date":
        return [option.flag, "2026-12-31"], datetime.date(2026, 12, 31)
    if option.dest == "name":
        return [option.flag, EXISTING], EXISTING
    return [option.flag, f"v-{option.dest}"], f"v-{option.dest}"


def usable(version: str, command: Command, option: Option) -> bool:
    """In this version, and in the first branch of every choice along its path."""
    if option.versions is not None and version not in option.versions:
        return False
    protocol = protocol_model(version)
    operation = next(op for op in protocol.operations if op.name == command.operation)
    struct = protocol.struct(command.item_class or operation.request)
    if option.target == "request":
        struct = protocol.struct(operation.request)
        if option.path[0] not in {f.name for f in struct.fields}:
            return False  # --site: the site by name, tested in test_addressing.py
    for part in option.path:
        excluded, _ = choice_fields(struct, 0)
        if part in excluded:
            return False
        field = struct.field_named(part)
        if field.type.kind != "struct":
            break
        struct = protocol.struct(str(field.type.ref))
    return True


def _default(item: dataclasses.Field[Any]) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return None if item.default is dataclasses.MISSING else item.default


def leaves(value: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every leaf of a request object that differs from its default, by path.

    ``False`` counts where the default is ``None``; a list counts whole.
    """
    found: dict[tuple[str, ...], Any] = {}
    for item in dataclasses.fields(value):
        inner = getattr(value, item.name)
        path = (*prefix, item.name)
        if dataclasses.is_dataclass(inner):
            found.update(leaves(inner, path))
        elif inner != _default(item):
            found[path] = inner
    return found


def normal(value: Any) -> Any:
    if isinstance(value, list):
        return [normal(v) for v in value]
    return value.value if isinstance(value, enum.Enum) else value


CASES = [(v, name) for v in VERSIONS for name in COMMANDS]
# create names the account that exists already (Plesk's 1007); get-sites asks
# for site id 7, which the emulator does not have (Plesk's 1013)
EXIT_CODES = {"create": 1, "get-sites": 1}


@pytest.mark.parametrize(("version", "name"), CASES, ids=[f"{v}-{n}" for v, n in CASES])
def test_every_command_sends_exactly_the_options_given(
    emulator: Emulator, tls: TestTLS, version: str, name: str
) -> None:
    emulator.store.add_account(SITE_ID, Account(name=EXISTING))
    command = COMMANDS[name]
    words: list[str] = []
    expected: dict[tuple[str, ...], Any] = {}
    for option in command.options:
        if not usable(version, command, option):
            continue
        args, value = sample(option)
        words += args
        if option.target == "item" and command.item_class:
            path = (str(command.item_field), *option.path)
        else:
            path = option.path
        expected[path] = [value] if option.multiple else value
    result = invoke(emulator, tls, "--protocol", version, name, *words)
    assert result.exit_code == EXIT_CODES.get(name, 0), result.output
    [exchange] = emulator.exchanges
    assert not exchange.request_errors, exchange.request_errors
    [request] = generated_module(version).decode_request(exchange.body).operations
    sent: dict[tuple[str, ...], Any] = {}
    for path, value in leaves(request).items():
        if command.item_class and path[0] == command.item_field:
            [item] = value  # one item from the options
            sent.update({(path[0], *k): v for k, v in leaves(item).items()})
        else:
            sent[path] = value
    assert {k: normal(v) for k, v in sent.items()} == expected


def test_get_info_of_an_empty_site_exits_0(emulator: Emulator, tls: TestTLS) -> None:
    result = invoke(emulator, tls, "--json", "get-info", "--site-id", str(SITE_ID))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["results"] == [
        {"status": "ok", "errcode": None, "errtext": None, "mailname": None}
    ]
    table = invoke(emulator, tls, "get-info", "--site-id", str(SITE_ID))
    assert table.exit_code == 0 and table.stdout.split() == ["status", "ok"]


def test_item_failures_exit_1_and_are_reported(target: Target) -> None:
    site = str(target.site_id)
    assert (
        target.cli("create", "--site-id", site, "--name", target.name("kept")).exit_code
        == 0
    )
    ghost = target.name("ghost")
    result = target.cli(
        "rename", "--site-id", site, "--name", ghost, "--new-name", target.name("x")
    )
    assert result.exit_code == 1
    [row] = [line for line in result.stdout.splitlines() if "1013" in line]
    assert ghost in row
    with target.connect() as client:
        assert list(target.accounts(client)) == [target.name("kept")]


def test_json_output_is_one_stable_document(target: Target) -> None:
    site = str(target.site_id)
    name = target.name("info")
    assert target.cli("create", "--site-id", site, "--name", name).exit_code == 0
    result = target.cli(
        "get-info", "--site-id", site, "--name", name, "--mailbox", "--json"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert sorted(document) == [
        "command",
        "failed_rows",
        "ok",
        "protocol",
        "results",
        "summary",
    ]
    assert document["summary"] == {
        "ok": 1,
        "already_there": 0,
        "failed": 0,
        "bad_rows": 0,
    }
    assert document["results"][0]["mailname"]["name"] == name
    assert document["results"][0]["status"] == "ok"


BAD_USAGE = [
    pytest.param(
        ["create", "--site-id", "1", "--name", "a", "--colour", "red"],
        "No such option",
        id="unknown-option",
    ),
    pytest.param(
        ["enable", "--site-id", "one"], "is not a valid integer", id="wrong-type"
    ),
    pytest.param(
        ["enable"], "Missing option --site-id or --site", id="missing-required"
    ),
    pytest.param(
        ["create", "--site-id", "1"], "missing option --name", id="missing-item-option"
    ),
    pytest.param(
        ["create", "--site-id", "1", "--name", "a", "--mailbox-quota", "lots"],
        "is not a size",
        id="bad-size",
    ),
    pytest.param(
        ["create", "--site-id", "1", "--name", "a", "--antivirus", "maybe"],
        "is not one of",
        id="bad-enum",
    ),
    pytest.param(
        [
            "create",
            "--site-id",
            "1",
            "--name",
            "a",
            "--autoresponder-end-date",
            "31.12.2026",
        ],
        "does not match the format",
        id="bad-date",
    ),
    pytest.param(
        [
            "--protocol",
            "1.6.6.0",
            "create",
            "--site-id",
            "1",
            "--name",
            "a",
            "--autoresponder-end-date",
            "2026-12-31",
        ],
        "needs protocol 1.6.7.0 or newer",
        id="newer-option-1.6.6.0",
    ),
    pytest.param(
        [
            "--protocol",
            "1.6.7.0",
            "set-prefs",
            "--site-id",
            "1",
            "--webmail-certificate",
            "c",
        ],
        "needs protocol 1.6.8.0 or newer",
        id="newer-option-1.6.7.0",
    ),
    pytest.param(
        ["--protocol", "9.9", "enable", "--site-id", "1"],
        "is not one of",
        id="unknown-protocol",
    ),
    pytest.param(
        ["enable", "--site-id", "0"],
        "--site-id: must be at least 1",
        id="site-id-zero",
    ),
    pytest.param(
        ["set-prefs", "--site-id", "1", "--no-preferences", "--greylisting"],
        "exclude each other",
        id="choice-conflict",
    ),
    pytest.param(
        ["create", "--site-id", "1", "--name", "a", "--mailbox-quota", "1G"],
        "--mailbox-enabled is required",
        id="nested-required",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_USAGE)
def test_bad_usage_is_one_line_and_exit_2(
    emulator: Emulator, tls: TestTLS, args: list[str], message: str
) -> None:
    result = invoke(emulator, tls, *args)
    assert_clean_exit(result, 2, message)
    assert isinstance(result.exception, SystemExit)
    assert not emulator.exchanges  # nothing sent, so nothing changed


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"PLESK_PASSWORD": "wrong"}, ["enable", "--site-id", "1"], "1001"),
        ({"PLESK_PORT": "1"}, ["enable", "--site-id", "1"], "cannot connect"),
        ({"PLESK_CA_FILE": ""}, ["enable", "--site-id", "1"], "TLS verification"),
    ],
    ids=["authentication", "refused", "tls"],
)
def test_connection_failures_exit_3(
    emulator: Emulator,
    tls: TestTLS,
    env: dict[str, str],
    args: list[str],
    expected: str,
) -> None:
    emulator.store.add_account(SITE_ID, Account(name="kept"))
    result = invoke(emulator, tls, *args, env=env)
    assert_clean_exit(result, 3, expected)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("plesk-mail: error:")
    assert list(emulator.store.accounts(SITE_ID)) == ["kept"]


def test_from_file_processes_valid_rows_and_reports_bad_ones(
    target: Target, tmp_path: Path
) -> None:
    n = target.name
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "name,alias,mailbox-enabled,mailbox-quota\n"
        f"{n('anna')},{n('a1')};{n('a2')},true,1G\n"
        f"{n('bert')},,true,lots\n"
        f"{n('carl')},,,\n"
        ",,,\n"
        f"{n('anna')},,,\n"
        f"{n('dora')},,yes,100M\n"
    )
    before = target.packets
    result = target.cli(
        "--chunk-size",
        "2",
        "create",
        "--site-id",
        str(target.site_id),
        "--from-file",
        str(rows),
    )
    assert result.exit_code == 1, result.output
    assert target.packets - before == 2  # 4 valid rows in packets of 2
    with target.connect() as client:
        accounts = target.accounts(client)
    assert sorted(accounts) == [n("anna"), n("carl"), n("dora")]
    assert accounts[n("anna")].aliases == [n("a1"), n("a2")]
    assert accounts[n("anna")].mailbox.quota == 2**30
    assert (
        "row 3: mailbox-quota" in result.stderr
        and "row 5: missing name" in result.stderr
    )
    assert "1007" in result.stdout  # the duplicate anna, reported with its row


def test_from_file_json_lines(target: Target, tmp_path: Path) -> None:
    n = target.name
    rows = tmp_path / "accounts.jsonl"
    rows.write_text(
        f'{{"name": "{n("eva")}", "alias": ["{n("x")}", "{n("y")}"]}}\nnot json\n'
        f'{{"name": "{n("fred")}", "antivirus": "in"}}\n'
    )
    result = target.cli(
        "--json", "create", "--site-id", str(target.site_id), "--from-file", str(rows)
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["failed_rows"] == [{"row": 2, "error": "not JSON: Expecting value"}]
    assert [r["mailname"]["name"] for r in document["results"]] == [n("eva"), n("fred")]
    with target.connect() as client:
        assert target.accounts(client)[n("eva")].aliases == [n("x"), n("y")]


def test_remove_from_file_of_names(target: Target, tmp_path: Path) -> None:
    n = target.name
    site = str(target.site_id)
    for base in ("a", "b", "c"):
        assert target.cli("create", "--site-id", site, "--name", n(base)).exit_code == 0
    rows = tmp_path / "names.csv"
    rows.write_text(f"name\n{n('a')}\n{n('c')}\n")
    result = target.cli("remove", "--site-id", site, "--from-file", str(rows))
    assert result.exit_code == 0, result.output
    with target.connect() as client:
        assert sorted(target.accounts(client)) == [n("b")]


def test_password_never_printed(target: Target) -> None:
    result = target.cli(
        "-vv",
        "create",
        "--site-id",
        str(target.site_id),
        "--name",
        target.name("z"),
        "--account-password",
        STRONG_PASSWORD,
    )
    assert result.exit_code == 0, result.output
    assert STRONG_PASSWORD not in result.output
    for secret in (target.settings.password, target.settings.secret_key):
        assert not secret or secret not in result.output
    assert "request body" in result.stderr  # -vv logs packets, masked


def test_help_does_not_import_heavy_modules() -> None:
    import subprocess

    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from plesk_mail.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0\n"
        "result = CliRunner().invoke(main, ['create', '--help'])\n"
        "assert result.exit_code == 0\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'lxml', 'asyncio', 'ssl')"
        " or m in ('plesk_mail.models', 'plesk_mail.codec', 'plesk_mail.rules')"
        " or m.startswith('plesk_mail.v1_')]\n"
        "print(heavy)\n"
    )
    from tests.support.paths import GENERATED_DIR

    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(GENERATED_DIR), "PATH": ""},
    )
    assert result.stdout.strip() == "[]"


DRY_RUN_WORDS = ["--chunk-size", "2", "--dry-run", "create", "--site-id", "1"]


def test_dry_run_from_a_file_prints_one_packet_per_chunk(tmp_path: Path) -> None:
    rows = tmp_path / "names.csv"
    rows.write_text("name\n" + "".join(f"u{i}\n" for i in range(3)), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [*DRY_RUN_WORDS, "--from-file", str(rows)],
        env={"PLESK_HOST": "", "PLESK_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("<packet ") == 2
    assert result.stdout.count("<name>") == 3
