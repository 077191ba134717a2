"""One command line for one server or many (issue 22): defaults that work,
one output shape, output that reads back, files that fit the server.

The fleet: three emulators of different protocol versions (Plesk 12.0,
12.5 and Obsidian) named in a config file, as the sysadmin's trial had it.
Each numbered item of the issue's "What was seen" has a case here (or, where
named, in another module) that failed on the code before it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import plesk_mail
import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exit, assert_no_traceback
from tests.support.paths import GENERATED_DIR
from tests.support.protocols import VERSIONS
from tests.test_fleet import write_config

PASSWORD_ENV = "SHAPE_TEST_PASSWORD"
VERSION_SETS = {"old": ["1.6.6.0"], "mid": ["1.6.7.0", "1.6.6.0"], "new": VERSIONS}
FORMATS = ("table", "json", "jsonl", "csv")


@dataclass
class Three:
    servers: dict[str, Emulator]
    config: Path
    env: dict[str, str]

    def cli(self, *args: str, input: str | None = None) -> Result:
        result = CliRunner().invoke(
            main, ["--config", str(self.config), *args], env=self.env, input=input
        )
        assert_no_traceback(result)
        return result


@pytest.fixture
def three(tls: TestTLS, tmp_path: Path) -> Iterator[Three]:
    servers = {
        name: new_emulator(tls, versions=versions, protos=versions).start()
        for name, versions in VERSION_SETS.items()
    }
    entries: dict[str, dict[str, object]] = {
        name: {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            "password_env": PASSWORD_ENV,
        }
        for name, server in servers.items()
    }
    config = write_config(tmp_path / "config.toml", entries)
    env = {
        PASSWORD_ENV: servers["old"].password,
        "PLESK_HOST": "",
        "PLESK_PASSWORD": "",
        "PLESK_PROTOCOL": "",
    }
    try:
        yield Three(servers, config, env)
    finally:
        for server in servers.values():
            server.stop()


def bare_host(server: Emulator, tls: TestTLS) -> dict[str, str]:
    """A user's environment for one server by host, as the emulator prints it."""
    return {
        "PLESK_HOST": f"127.0.0.1:{server.port}",
        "PLESK_PASSWORD": server.password,
        "PLESK_CA_FILE": str(tls.ca_file),
        "PLESK_PROTOCOL": "",
        "PLESK_PORT": "",
        "PLESK_SECRET_KEY": "",
    }


# -- 1. defaults that work everywhere --------------------------------------------------


def test_a_bare_host_of_plesk_12_0_works_without_a_protocol(
    three: Three, tls: TestTLS
) -> None:
    """(1) --host against a 12.0 server failed with 1005 (it sent 1.6.9.1)."""
    old = three.servers["old"]
    old.store.add_account(SITE_ID, Account(name="info"))
    found = CliRunner().invoke(
        main, ["--json", "get-info", "--site-id", "1"], env=bare_host(old, tls)
    )
    assert found.exit_code == 0, found.output
    document = json.loads(found.stdout)
    assert document["protocol"] == "1.6.6.0"
    assert document["results"][0]["mailname"]["name"] == "info"
    with plesk_mail.connect(
        f"127.0.0.1:{old.port}", password=old.password, verify=str(tls.ca_file)
    ) as client:
        assert client.protocol_version == "1.6.6.0"
        assert [a.name for a in client.get_info(site_id=SITE_ID).accounts()] == ["info"]


def test_a_pinned_version_the_server_lacks_says_how_to_negotiate(
    three: Three, tls: TestTLS
) -> None:
    old = three.servers["old"]
    refused = CliRunner().invoke(
        main,
        ["--protocol", VERSIONS[-1], "get-info", "--site-id", "1"],
        env=bare_host(old, tls),
    )
    line = assert_clean_exit(refused, 3, "1005", f"asked in protocol {VERSIONS[-1]}")
    assert "give 'auto' there" in line
    client = plesk_mail.connect(
        f"127.0.0.1:{old.port}",
        password=old.password,
        verify=str(tls.ca_file),
        protocol=VERSIONS[-1],
    )
    with client, pytest.raises(plesk_mail.ProtocolVersionError) as info:
        client.get_info(site_id=SITE_ID)
    assert "'auto'" in str(info.value) and "\n" not in str(info.value)
    assert info.value.errcode == 1005 and "asked" not in info.value.errtext


def test_dry_run_works_with_a_named_server_and_with_auto(three: Three) -> None:
    """(2) --dry-run with --server NAME or --protocol auto was refused."""
    words = ["--dry-run", "enable", "--site-id", "1"]
    for how in (["--server", "old"], ["--protocol", "auto"], ["--servers", "all"]):
        shown = three.cli(*how, *words)
        assert shown.exit_code == 0, shown.output
        assert f'<packet version="{VERSIONS[-1]}">' in shown.stdout
        assert f"protocol {VERSIONS[-1]}, the newest" in shown.stderr
    assert not any(server.exchanges for server in three.servers.values())
    pinned = three.config.read_text() + "\n"
    three.config.write_text(
        pinned.replace("[servers.old]\n", '[servers.old]\nprotocol = "1.6.6.0"\n')
    )
    shown = three.cli("--server", "old", *words)
    assert shown.exit_code == 0 and '<packet version="1.6.6.0">' in shown.stdout
    assert "newest" not in shown.stderr  # the entry's own version: nothing to say


def test_dry_run_quiet_checks_every_row_and_prints_a_summary(
    three: Three, tmp_path: Path
) -> None:
    """(2) --dry-run --quiet on 1,000 rows printed all ten packets."""
    rows = ["name,mailbox-quota,mailbox-enabled"]
    rows += [f"user{i},1M,true" for i in range(1000)]
    rows[10] = "bad-size,lots,true"
    rows[500] = "quota-only,1M,"
    path = tmp_path / "many.csv"
    path.write_text("\n".join(rows) + "\n")
    done = three.cli(
        "--server", "new", "--dry-run", "--quiet", "create", "--site-id", "1",
        "--from-file", str(path),
    )  # fmt: skip
    assert done.exit_code == 1, done.output  # some rows refused
    assert done.stdout.splitlines() == [
        "dry run: 10 packet(s) would be sent; 998 row(s) valid, 2 refused "
        "(rows: 11, 501)"
    ]
    assert "<packet" not in done.output
    assert "row 501: mailbox-quota needs mailbox-enabled" in done.stderr
    assert not three.servers["new"].exchanges


# -- 2. one output shape ----------------------------------------------------------------


def columns_of(fmt: str, stdout: str) -> list[str]:
    """The columns a format shows (the JSON document: its results' keys)."""
    if fmt == "table":
        return stdout.splitlines()[0].split()
    if fmt == "csv":
        return next(csv.reader(io.StringIO(stdout)))
    if fmt == "jsonl":
        keys = [list(json.loads(line)) for line in stdout.splitlines()]
        assert all(k == keys[0] for k in keys), keys  # every line alike
        return keys[0]
    document = json.loads(stdout)
    results = document.get("results")
    if results is None:  # many servers: each one's results
        results = [r for s in document["servers"].values() for r in s["results"]]
    keys = [list(r) for r in results]
    assert all(k == keys[0] for k in keys), keys
    return keys[0]


def sequence(name: str) -> list[list[str]]:
    """Every command, on the account ``name`` (which ``create`` makes)."""
    site = ["--site-id", "1"]
    return [
        ["create", *site, "--name", name, "--mailbox-enabled", "--alias", "a1"],
        ["update-add", *site, "--name", name, "--alias", "a2"],
        ["update-remove", *site, "--name", name, "--alias", "a2"],
        ["update-set", *site, "--name", name, "--mailbox-quota", "5M"],
        ["get-info", *site, "--name", name, "--mailbox", "--aliases"],
        ["enable", *site],
        ["disable", *site],
        ["set-prefs", *site, "--greylisting"],
        ["get-prefs", *site],
        ["get-available-mail-providers"],
        ["get-sites", "--id", "1"],
        ["rename", *site, "--name", name, "--new-name", f"{name}-2"],
        ["remove", *site, "--name", f"{name}-2"],
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_has_the_same_columns_on_one_server_and_on_three(
    three: Three, fmt: str
) -> None:
    """(3, 4) The columns of every command and format with --server new and
    with --servers of three, equal apart from ``server`` (first, with many)."""
    for one, many in zip(sequence(f"one-{fmt}"), sequence(f"many-{fmt}"), strict=True):
        single = three.cli("--server", "new", "--format", fmt, *one)
        assert single.exit_code == 0, (one, single.output)
        fleet = three.cli("--servers", "old,mid,new", "--format", fmt, *many)
        assert fleet.exit_code == 0, (many, fleet.output)
        alone, together = columns_of(fmt, single.stdout), columns_of(fmt, fleet.stdout)
        if fmt == "json":
            assert together == alone, one[0]
        else:
            assert together == ["server", *alone], (one[0], together, alone)
        if fmt != "table":
            assert "mailname.name" not in alone  # named like the option
            assert not any("password" in c for c in alone)


def test_fields_take_the_server_column_and_error_texts_stay_whole(
    three: Three, tls: TestTLS
) -> None:
    """(3) --fields server,... was "no column server"; (4) fleet CSV and JSON
    lines cut error texts at 120 characters."""
    long_text = "Mail name bob is not valid: " + "x" * 300
    three.servers["mid"].scripted.append(None)  # negotiation as usual
    three.servers["mid"].scripted.append(
        RawAnswer(
            b'<packet version="1.6.7.0"><mail><get_info><result><status>error'
            b"</status><errcode>1013</errcode><errtext>"
            + long_text.encode()
            + b"</errtext></result></get_info></mail></packet>"
        )
    )
    words = ["--servers", "old,mid", "get-info", "--site-id", "1"]
    shown = three.cli("--format", "csv", "--fields", "server,status,errtext", *words)
    assert shown.exit_code == 1, shown.output
    rows = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert [r["server"] for r in rows] == ["old", "mid"]
    assert rows[1] == {"server": "mid", "status": "error", "errtext": long_text}
    three.servers["mid"].scripted.clear()
    lines = three.cli("--format", "jsonl", "--fields", "server,status", *words)
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [
        {"server": "old", "status": "ok"},
        {"server": "mid", "status": "ok"},
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_quiet_is_the_summary_in_every_format(three: Three, fmt: str) -> None:
    """(3) --quiet was ignored with --format json and jsonl (with --servers)."""
    for how in (["--server", "new"], ["--servers", "all"]):
        done = three.cli(*how, "--quiet", "--format", fmt, "enable", "--site-id", "1")
        assert done.exit_code == 0, done.output
        assert len(done.stdout.splitlines()) == 1
        assert "ok" in done.stdout and "{" not in done.stdout


def test_json_lines_are_typed_and_flat_with_one_server_and_with_three(
    three: Three,
) -> None:
    """(4) JSON lines were nested with --server, flattened with "" for null
    and for an empty list with --servers."""
    three.servers["new"].store.add_account(SITE_ID, Account(name="bob"))
    three.servers["mid"].store.add_account(SITE_ID, Account(name="bob"))
    words = ["--format", "jsonl", "get-info", "--site-id", "1", "--name", "bob"]
    [alone] = [
        json.loads(x)
        for x in three.cli("--server", "new", *words).stdout.split("\n")
        if x
    ]
    both = [
        json.loads(x)
        for x in three.cli("--servers", "mid,new", *words).stdout.splitlines()
    ]
    assert [{k: v for k, v in row.items() if k != "server"} for row in both] == [
        alone,
        alone,
    ]
    assert alone["name"] == "bob" and alone["alias"] == []
    assert alone["errcode"] is None and alone["mailbox-quota"] is None
    assert not any(isinstance(v, dict) for v in alone.values())


@pytest.mark.parametrize("fmt", FORMATS)
def test_servers_and_servers_check_honour_the_format(three: Three, fmt: str) -> None:
    """(5) servers and servers check ignored --format and --json (and --json
    after servers was "No such option")."""
    listed = three.cli("servers", "--format", fmt)
    checked = three.cli("servers", "check", "--format", fmt)
    assert listed.exit_code == 0 and checked.exit_code == 0, checked.output
    assert columns_of_rows(fmt, listed.stdout)[0] == "server"
    assert columns_of_rows(fmt, checked.stdout) == [
        "server", "at", "status", "protocol", "plesk", "ms", "error"
    ] or fmt == "table"  # fmt: skip
    assert "--json" not in three.cli("servers", "--json").output


def columns_of_rows(fmt: str, stdout: str) -> list[str]:
    if fmt == "json":
        return list(json.loads(stdout)[0])
    return columns_of(fmt, stdout)


def test_servers_check_names_the_release_as_precisely_as_the_server_says(
    three: Three,
) -> None:
    """(5) servers check could not tell Onyx 17.8 from Obsidian (both 1.6.9.1)."""
    three.servers["new"].plesk_version = "17.8.11"
    rows = json.loads(three.cli("servers", "check", "--json").stdout)
    by_name = {r["server"]: r for r in rows}
    assert by_name["new"]["plesk"] == "Onyx 17.8.11"
    assert by_name["old"]["plesk"] == "Plesk 12.0.18"
    assert by_name["mid"]["plesk"] == "Plesk 12.5.30"
    three.servers["new"].plesk_version = "18.0.60"
    rows = json.loads(three.cli("servers", "check", "--json", "new").stdout)
    assert rows[0]["plesk"] == "Obsidian 18.0.60" and rows[0]["error"] is None


# -- 3. output that round-trips --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_edited_and_applied_reads_back_exactly_the_edit(
    three: Three, fmt: str, tmp_path: Path
) -> None:
    """(6) CSV joined lists with ', ', printed booleans as True and named
    columns mailname.name: an export could not be applied."""
    new = three.servers["new"]
    new.store.add_account(
        SITE_ID, Account(name="anna", aliases=["a1", "a2"], quota=2**20)
    )
    new.store.add_account(SITE_ID, Account(name="bert", aliases=[]))
    words = ["--server", "new", "--format", fmt, "get-info", "--site-id", "1"]
    exported = three.cli(*words, "--mailbox", "--aliases")
    assert exported.exit_code == 0, exported.output
    before = exported.stdout
    path = tmp_path / f"accounts.{fmt}"
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(before)))
        assert rows[0]["alias"] == "a1;a2" and rows[0]["mailbox-enabled"] == "true"
        rows[0]["mailbox-quota"] = "5M"
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        records = [json.loads(line) for line in before.splitlines()]
        assert records[0]["alias"] == ["a1", "a2"]
        records[0]["mailbox-quota"] = 5 * 2**20
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    applied = three.cli(
        "--server", "new", "update-set", "--site-id", "1", "--from-file", str(path)
    )
    assert applied.exit_code == 0, applied.output
    assert "ignoring" in applied.stderr and "status" in applied.stderr
    after = three.cli(*words, "--mailbox", "--aliases").stdout
    assert after == before.replace(
        "1048576", "5242880"
    ), "exactly the edited cell changed"
    assert before != after


def test_an_export_is_valid_create_input_on_another_server(
    three: Three, tmp_path: Path
) -> None:
    """The same file makes the accounts on another server (ids are ignored)."""
    three.servers["new"].store.add_account(
        SITE_ID, Account(name="carl", aliases=["c1"], quota=2**20)
    )
    exported = three.cli(
        "--server", "new", "--format", "csv", "get-info", "--site-id", "1",
        "--mailbox", "--aliases",
    )  # fmt: skip
    path = tmp_path / "carl.csv"
    path.write_text(exported.stdout)
    made = three.cli(
        "--server", "mid", "create", "--site-id", "1", "--from-file", str(path)
    )
    assert made.exit_code == 0, made.output
    assert "id" in made.stderr.split("ignoring", 1)[1]
    carl = three.servers["mid"].store.account(SITE_ID, "carl")
    assert carl is not None and carl.aliases == ["c1"] and carl.quota == 2**20


def test_a_column_no_output_and_no_option_has_is_still_refused(
    three: Three, tmp_path: Path
) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("name,mailbox_quota\nx,1M\n")
    refused = three.cli(
        "--server", "new", "create", "--site-id", "1", "--from-file", str(path)
    )
    assert_clean_exit(refused, 2, "unknown column(s) mailbox_quota")


# -- 4. files that fit the server ------------------------------------------------------


def test_an_empty_column_the_version_lacks_is_no_error(
    three: Three, tmp_path: Path
) -> None:
    """(7) An empty autoresponder-end-date column was refused on 12.0 with
    "(--protocol is 1.6.6.0)" though no --protocol was given."""
    path = tmp_path / "end.csv"
    path.write_text("name,autoresponder-end-date\nempty,\ndated,2027-01-31\n")
    done = three.cli(
        "--server", "old", "create", "--site-id", "1", "--from-file", str(path)
    )
    assert done.exit_code == 1, done.output  # one row refused, one sent
    assert three.servers["old"].store.account(SITE_ID, "empty") is not None
    assert three.servers["old"].store.account(SITE_ID, "dated") is None
    assert (
        "row 3: autoresponder-end-date needs protocol 1.6.7.0 or newer "
        "(protocol 1.6.6.0 in use)" in done.stderr
    )
    assert "--protocol" not in done.stderr


def test_a_row_that_needs_another_column_says_which(
    three: Three, tmp_path: Path
) -> None:
    """(7) mailbox-quota without mailbox-enabled was a bad row that did not say
    what to add."""
    path = tmp_path / "quota.csv"
    path.write_text("name,mailbox-quota\nq,1M\n")
    done = three.cli(
        "--server", "new", "create", "--site-id", "1", "--from-file", str(path)
    )
    assert done.exit_code == 1
    assert (
        "row 2: mailbox-quota needs mailbox-enabled: add a mailbox-enabled column "
        "(true or false)" in done.stderr
    )


# -- 5. the Python surface -------------------------------------------------------------


def test_accounts_raises_and_a_long_item_errors_is_a_line_per_item(
    three: Three, tls: TestTLS
) -> None:
    """(8) One behaviour for accounts(), as README says; 50 failed items were
    one 3 KB line."""
    new = three.servers["new"]
    names = [f"dup{i}" for i in range(60)]
    for name in names[:55]:
        new.store.add_account(SITE_ID, Account(name=name))
    with plesk_mail.connect(
        f"127.0.0.1:{new.port}", password=new.password, verify=str(tls.ca_file)
    ) as client:
        created = client.create(
            site_id=SITE_ID,
            mailnames=[plesk_mail.NewMailAccount(name=n) for n in names],
        )
    with pytest.raises(plesk_mail.ItemErrors) as info:
        created.accounts()
    lines = str(info.value).splitlines()
    assert lines[0] == "create: 55 item(s) failed"
    assert lines[1] == "  #0: error 1007: Mail name dup0 already exists"
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "  ... and 5 more (.failures)"
    assert len(info.value.failures) == 55
    assert [r.mailname.name for r in created if r.ok and r.mailname] == names[55:]


def test_compatibility_supports_refuses_a_path_it_does_not_know() -> None:
    """(8) supports(..., "mailname/autoresponder/end_date") was False for a
    path that needs filter/; client.supports raises on a typo."""
    from plesk_mail import compatibility

    path = "filter/mailname/autoresponder/end_date"
    assert compatibility.supports("1.6.9.1", "create", "request", path)
    assert not compatibility.supports("1.6.6.0", "create", "request", path)
    with pytest.raises(ValueError, match=f"did you mean {path}"):
        compatibility.supports("1.6.9.1", "create", "request", path[7:])
    with pytest.raises(ValueError, match="unknown operation"):
        compatibility.supports("1.6.9.1", "craete")
    with pytest.raises(ValueError, match="unknown protocol version"):
        compatibility.supports("9.9", "create")
    with pytest.raises(ValueError, match="no request element"):
        compatibility.versions_with("create", "request", "nothing/here")


def test_fleet_methods_show_their_real_return_type() -> None:
    """(8) help(fleet.create) showed -> CreateResults."""
    import inspect
    import pydoc

    shown = str(inspect.signature(plesk_mail.Fleet.create).return_annotation)
    assert shown == "dict[str, Outcome[CreateResults]]"
    assert "-> 'dict[str, Outcome[CreateResults]]'" in pydoc.render_doc(
        plesk_mail.Fleet.create, renderer=pydoc.plaintext
    )


# -- 6. regeneration with nothing to do ------------------------------------------------


def test_generate_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    """(9) A second generate rewrote every file (5.5 s) and said "wrote 45 files"."""
    from tests.support.paths import PROJECT_DIR

    output = tmp_path / "out"
    command = [
        sys.executable, "-m", "plesk_mailgen", "--project-dir", str(PROJECT_DIR),
        "generate", "--output", str(output),
    ]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    stamps = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing changed, nothing written")
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()} == stamps
    forced = subprocess.run(
        [*command, "--force"], capture_output=True, text=True, check=False
    )
    assert forced.returncode == 0 and forced.stdout.startswith("wrote ")


# -- 7. shell completion ---------------------------------------------------------------


def complete(three: Three, words: str, shell: str = "bash") -> list[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "_PLESK_MAIL_COMPLETE": f"{shell}_complete",
    }
    script = Path(sys.executable).with_name("plesk-mail")  # as the shell runs it
    done = subprocess.run(
        [str(script)], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_shell_completion_offers_the_servers_of_the_config(three: Three) -> None:
    config = f"plesk-mail --config {three.config}"
    assert complete(three, f"{config} --server m") == ["mid"]
    assert complete(three, f"{config} --servers old,") == [
        "old,mid",
        "old,new",
        "old,all",
    ]
    assert "new" in complete(three, f"{config} servers check ")
    assert complete(three, f"{config} get-info --form") == ["--format"]


def test_shell_completion_of_plesk_mailgen() -> None:
    env = {
        **os.environ,
        "COMP_WORDS": "plesk-mailgen gen",
        "COMP_CWORD": "1",
        "_PLESK_MAILGEN_COMPLETE": "bash_complete",
    }
    script = Path(sys.executable).with_name("plesk-mailgen")
    done = subprocess.run(
        [str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.splitlines() == ["plain,generate"], done.stderr


def test_a_fleet_export_edited_and_applied_goes_back_to_each_server(
    three: Three, tmp_path: Path
) -> None:
    """The export of three servers carries each row's server; applied with
    --servers, each row goes to that server only; on one server, the rows of
    the others are refused, not sent to the wrong server."""
    for name, server in three.servers.items():
        server.store.add_account(SITE_ID, Account(name=f"u-{name}", quota=2**20))
    words = ["--format", "csv", "get-info", "--site-id", "1", "--mailbox"]
    exported = three.cli("--servers", "all", *words)
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["server"], r["name"]) for r in rows] == [
        ("old", "u-old"),
        ("mid", "u-mid"),
        ("new", "u-new"),
    ]
    rows[1]["mailbox-quota"] = "2M"
    path = tmp_path / "fleet.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = {n: len(s.exchanges) for n, s in three.servers.items()}
    applied = three.cli(
        "--servers", "all", "update-set", "--site-id", "1", "--from-file", str(path)
    )
    assert applied.exit_code == 0, applied.output
    assert [line.split()[:2] for line in applied.stdout.splitlines()[1:]] == [
        ["old", "2"],
        ["mid", "3"],
        ["new", "4"],
    ]
    quotas = {
        name: server.store.account(SITE_ID, f"u-{name}").quota  # type: ignore[union-attr]
        for name, server in three.servers.items()
    }
    assert quotas == {"old": 2**20, "mid": 2 * 2**20, "new": 2**20}
    for name, server in three.servers.items():  # one update packet each
        sent = server.exchanges[before[name] :]
        assert sum(b"<update>" in e.body for e in sent) == 1, name
        assert all(
            f"u-{name}".encode() in e.body for e in sent if b"<update>" in e.body
        )
    one = three.cli(
        "--server", "mid", "update-set", "--site-id", "1", "--from-file", str(path)
    )
    assert one.exit_code == 1
    assert "row 2: server old: this run is on mid" in one.stderr
    assert "row 4: server new: this run is on mid" in one.stderr
    assert (
        "u-old" not in b"".join(e.body for e in three.servers["mid"].exchanges).decode()
    )
