"""What a hostile review of the one command line (issue 22) found, each fixed.

A fleet of three emulators, each hosting its own named domains, plus, where
a case needs it, a server in the config that does not answer: a dry run by
domain, a dry run of a fleet's export, a ``server`` cell left empty, a server
whose rows were all refused, refused rows in a fleet's summary, a server that
cannot say whether it hosts a domain, ``--protocol auto`` over pinned entries,
a TLS failure with no words, ``--fields`` that cannot read back, and the
table's columns in the CSV's order.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import main

from tests.emulator.fixtures import new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account, SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exit, assert_no_traceback
from tests.support.protocols import VERSIONS
from tests.test_fleet import write_config

PASSWORD_ENV = "REVIEW_TEST_PASSWORD"
DOMAINS = {"old": "alpha.example", "mid": "beta.example", "new": "gamma.example"}
VERSION_SETS = {"old": ["1.6.6.0"], "mid": ["1.6.7.0", "1.6.6.0"], "new": VERSIONS}


@dataclass
class Fleet:
    servers: dict[str, Emulator]
    config: Path
    env: dict[str, str]
    folder: Path

    def cli(self, *args: str, input: str | None = None) -> Result:
        result = CliRunner().invoke(
            main, ["--config", str(self.config), *args], env=self.env, input=input
        )
        assert_no_traceback(result)
        return result

    def file(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def sent(self) -> int:
        """Packets the servers got that change or read mail (not lookups)."""
        return sum(
            1
            for server in self.servers.values()
            for exchange in server.exchanges
            if b"<mail>" in exchange.body
        )


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts a connection and closes it at once (no TLS, no answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    running = True

    def serve() -> None:
        while running:
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        running = False
        thread.join(2)
        listener.close()


def make_fleet(
    tls: TestTLS, folder: Path, extra: dict[str, dict[str, object]] | None = None
) -> Fleet:
    servers = {
        name: new_emulator(
            tls, versions=versions, protos=versions, sites=(SiteSpec(1, DOMAINS[name]),)
        ).start()
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
    entries.update(extra or {})
    config = write_config(folder / "config.toml", entries)
    env = {
        PASSWORD_ENV: servers["old"].password,
        "PLESK_HOST": "",
        "PLESK_PASSWORD": "",
        "PLESK_PROTOCOL": "",
    }
    return Fleet(servers, config, env, folder)


@pytest.fixture
def fleet(tls: TestTLS, tmp_path: Path) -> Iterator[Fleet]:
    made = make_fleet(tls, tmp_path)
    try:
        yield made
    finally:
        for server in made.servers.values():
            server.stop()


@pytest.fixture
def fleet_with_a_silent_server(
    tls: TestTLS, tmp_path: Path, silent_port: int
) -> Iterator[Fleet]:
    extra: dict[str, dict[str, object]] = {
        "silent": {
            "host": f"127.0.0.1:{silent_port}",
            "ca_file": str(tls.ca_file),
            "password_env": PASSWORD_ENV,
            "timeout": 3,
        }
    }
    made = make_fleet(tls, tmp_path, extra)
    try:
        yield made
    finally:
        for server in made.servers.values():
            server.stop()


# -- 1. a dry run by domain ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("create", "--site", "alpha.example", "--name", "x"), id="site"),
        pytest.param(("create", "x@alpha.example"), id="address"),
        pytest.param(("get-info", "x@alpha.example"), id="read-by-address"),
    ],
)
@pytest.mark.parametrize("where", ["--server=old", "--servers=all"])
def test_a_dry_run_by_domain_is_one_line(
    fleet: Fleet, args: tuple[str, ...], where: str
) -> None:
    """A dry run of a call by domain was a traceback (the request had no site id)."""
    result = fleet.cli(where, *args, "--dry-run")
    assert_clean_exit(result, 2, "--dry-run", "alpha.example", "--site-id")
    assert all(server.exchanges == [] for server in fleet.servers.values())


def test_a_dry_run_of_a_file_by_address_is_one_line(fleet: Fleet) -> None:
    rows = fleet.file("a.csv", "address,mailbox-enabled\nx@alpha.example,true\n")
    result = fleet.cli(
        "--servers", "all", "create", "--from-file", rows, "--dry-run", "--quiet"
    )
    assert_clean_exit(result, 2, "--dry-run", "x@alpha.example")


def test_a_dry_run_by_site_id_still_prints_the_packet(fleet: Fleet) -> None:
    """The neighbour: by id, a dry run needs no server and prints what it would send."""
    result = fleet.cli("--server", "old", "create", "--site-id", "1", "--name", "x")
    assert result.exit_code == 0, result.output
    result = fleet.cli(
        "--server", "old", "create", "--site-id", "1", "--name", "y", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "<name>y</name>" in result.stdout
    assert fleet.servers["old"].store.accounts(1).keys() == {"x"}


# -- 2. a dry run of a fleet's export -----------------------------------------------------


def test_a_dry_run_of_a_fleet_file_routes_rows_as_the_run_would(fleet: Fleet) -> None:
    """Every row naming a server was refused ("this run is on None")."""
    rows = fleet.file(
        "q.csv",
        "server,name,mailbox-quota\nold,info,1G\nnew,info,1G\nghost,info,1G\n",
    )
    result = fleet.cli(
        "--servers",
        "old,mid,new",
        "update-set",
        "--site-id",
        "1",
        "--from-file",
        rows,
        "--dry-run",
        "--quiet",
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == (
        "dry run: 2 packet(s) would be sent to 2 server(s); "
        "2 row(s) valid, 1 refused (rows: 4)"
    )
    assert "row 4: server ghost is not one of --servers" in result.stderr
    assert fleet.sent() == 0


def test_a_dry_run_of_a_file_without_servers_counts_every_server(fleet: Fleet) -> None:
    rows = fleet.file("p.csv", "name,mailbox-quota\ninfo,1G\npost,2G\n")
    result = fleet.cli(
        "--servers", "all", "update-set", "--site-id", "1", "--from-file", rows,
        "--dry-run", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dry run: 3 packet(s) would be sent to 3 server(s)")


# -- 3. an empty server cell --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("s.csv", "server,name,mailbox-quota\n,info,2G\n", id="csv-empty"),
        pytest.param(
            "n.jsonl",
            '{"server": null, "name": "info", "mailbox-quota": "2G"}\n',
            id="jsonl-null",
        ),
        pytest.param(
            "e.jsonl",
            '{"server": "", "name": "info", "mailbox-quota": "2G"}\n',
            id="jsonl-empty",
        ),
    ],
)
def test_an_empty_server_cell_goes_nowhere(fleet: Fleet, name: str, text: str) -> None:
    """It went to every server of the fleet."""
    for server in fleet.servers.values():
        server.store.add_account(1, Account(name="info"))
    rows = fleet.file(name, text)
    result = fleet.cli(
        "--servers", "all", "update-set", "--site-id", "1", "--from-file", rows
    )
    assert result.exit_code == 1, result.output
    row = 2 if name.endswith(".csv") else 1  # JSON lines have no header line
    assert f"row {row}: server: empty" in result.stderr
    assert fleet.sent() == 0


def test_an_empty_server_cell_is_refused_on_one_server_too(fleet: Fleet) -> None:
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    rows = fleet.file("s.csv", "server,name,mailbox-quota\n,info,2G\nold,info,3G\n")
    result = fleet.cli(
        "--server", "old", "update-set", "--site-id", "1", "--from-file", rows
    )
    assert result.exit_code == 1, result.output
    assert "row 2: server: empty" in result.stderr
    assert fleet.sent() == 1  # row 3, named for this server


# -- 4 and 5. refused rows in a fleet -------------------------------------------------------


def test_a_server_whose_rows_were_all_refused_is_not_a_failed_server(
    fleet: Fleet,
) -> None:
    """It got an empty call ("needs at least 1 item"), reported as its failure."""
    for server in fleet.servers.values():
        server.store.add_account(1, Account(name="info"))
    rows = fleet.file("q.csv", "server,name,mailbox-quota\nold,info,6G\nnew,info,zz\n")
    result = fleet.cli(
        "--servers", "old,mid,new", "--json", "update-set", "--site-id", "1",
        "--from-file", rows,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert list(document["servers"]) == ["old"]
    assert document["servers"]["old"]["ok"] is True
    assert [r["row"] for r in document["failed_rows"]] == [3]
    assert document["summary"] == {
        "ok": 1,
        "failed": 0,
        "bad_rows": 1,
        "servers_failed": 0,
    }
    assert "new:" not in result.stderr
    assert fleet.servers["new"].exchanges == []


def test_a_fleet_summary_counts_refused_rows(fleet: Fleet) -> None:
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    rows = fleet.file("q.csv", "server,name,mailbox-quota\nold,info,6G\nnew,info,zz\n")
    result = fleet.cli(
        "--servers", "all", "--quiet", "update-set", "--site-id", "1",
        "--from-file", rows,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == (
        "1 ok, 0 failed on 1 server(s); 0 server(s) failed; 1 bad row(s) not sent"
    )


# -- 6. a server that cannot say whether it hosts a domain ----------------------------


def test_a_write_by_domain_stops_while_a_server_is_silent(
    fleet_with_a_silent_server: Fleet,
) -> None:
    """The account was created on the one that answered, the silent one ignored."""
    fleet = fleet_with_a_silent_server
    result = fleet.cli("--servers", "all", "create", "new1@alpha.example")
    assert_clean_exit(
        result, 3, "cannot tell which server hosts alpha.example", "silent"
    )
    assert "nothing was sent" in result.stderr
    assert fleet.servers["old"].store.accounts(1) == {}


def test_a_read_by_domain_goes_on_and_reports_the_silent_server(
    fleet_with_a_silent_server: Fleet,
) -> None:
    fleet = fleet_with_a_silent_server
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    result = fleet.cli("--servers", "all", "--json", "get-info", "info@alpha.example")
    assert result.exit_code == 5, result.output
    document = json.loads(result.stdout)
    assert document["servers"]["old"]["ok"] is True
    assert document["servers"]["silent"]["error"]
    assert "silent:" in result.stderr


@pytest.mark.parametrize("command", ["where", "sites"])
def test_where_and_sites_say_a_silent_server_in_the_exit_code(
    fleet_with_a_silent_server: Fleet, command: str
) -> None:
    result = fleet_with_a_silent_server.cli(
        "--servers", "all", command, "alpha.example"
    )
    assert result.exit_code == 5, result.output
    assert "alpha.example" in result.stdout
    assert "silent:" in result.stderr


# -- 8. --protocol auto over pinned entries ------------------------------------------------


def test_a_typed_protocol_auto_overrides_a_fleets_pins(
    tls: TestTLS, tmp_path: Path
) -> None:
    """``--servers ... --protocol auto`` kept an entry's pin the server lacks (1005)."""
    made = make_fleet(tls, tmp_path)
    try:
        text = made.config.read_text(encoding="utf-8").replace(
            "[servers.old]", f'[servers.old]\nprotocol = "{VERSIONS[-1]}"'
        )
        made.config.write_text(text, encoding="utf-8")
        pinned = made.cli("--servers", "old,new", "get-info", "--site-id", "1")
        assert pinned.exit_code == 5, pinned.output
        assert "give 'auto' there" in pinned.stderr
        auto = made.cli(
            "--servers", "old,new", "--protocol", "auto", "get-info", "--site-id", "1"
        )
        assert auto.exit_code == 0, auto.output
    finally:
        for server in made.servers.values():
            server.stop()


# -- 9. a TLS failure with no words ------------------------------------------------------


def test_a_connection_closed_in_the_handshake_says_why(
    fleet_with_a_silent_server: Fleet,
) -> None:
    result = fleet_with_a_silent_server.cli("--servers", "silent", "servers", "check")
    assert "()" not in result.output
    result = fleet_with_a_silent_server.cli(
        "--servers", "all", "get-info", "--site-id", "1"
    )
    assert result.exit_code == 5, result.output
    lines = [x for x in result.stderr.splitlines() if "silent: https://" in x]
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert "()" not in line and "cannot connect (" in line


# -- 10 and 11. columns --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ("name,mailbox-quota,name", "name named twice"),
        ("", "name at least one column"),
        ("name,,id", "an empty name"),
    ],
)
def test_fields_that_cannot_read_back_are_refused(
    fleet: Fleet, fields: str, said: str
) -> None:
    result = fleet.cli(
        "--server", "old", "get-info", "--site-id", "1", "--fields", fields
    )
    assert_clean_exit(result, 2, "--fields", said)


def test_the_table_has_the_csvs_columns_in_the_csvs_order(fleet: Fleet) -> None:
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    rows = fleet.file("mix.csv", "name\ninfo\nfreshX\n")
    args = ("--server", "old", "create", "--site-id", "1", "--from-file", rows)
    table = fleet.cli(*args)
    fleet.servers["old"].store.remove_account(1, "freshX")
    csv_out = fleet.cli("--format", "csv", *args)
    header = csv_out.stdout.splitlines()[0].split(",")
    shown = table.stdout.splitlines()[0].split()
    assert shown == [c for c in header if c in shown]


# -- 7. an export by address reads back ----------------------------------------------------


@pytest.mark.parametrize("where", ["--server=old", "--servers=all"])
def test_an_export_by_address_names_each_account_whole_and_reads_back(
    fleet: Fleet, where: str
) -> None:
    """Rows of ``get-info info@a info@b`` named ``info`` twice: no domain, no way back."""
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    fleet.servers["old"].store.add_account(1, Account(name="post"))
    exported = fleet.cli(
        where, "get-info", "info@alpha.example", "post@alpha.example", "--mailbox",
        "--format", "csv", "--fields", "address,mailbox-enabled,mailbox-quota",
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    lines = exported.stdout.splitlines()
    assert lines[0] == "address,mailbox-enabled,mailbox-quota"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "info@alpha.example",
        "post@alpha.example",
    ]
    edited = fleet.file("back.csv", "\n".join(lines).replace(",-1", ",1G") + "\n")
    applied = fleet.cli(where, "update-set", "--from-file", edited)
    assert applied.exit_code == 0, applied.output
    stored = fleet.servers["old"].store.accounts(1)
    assert {stored[n].quota for n in ("info", "post")} == {1 << 30}


def test_a_file_that_names_no_site_is_refused_before_sending(fleet: Fleet) -> None:
    """It reached the client's wording ("is no address ...") as a server failure, exit 3."""
    rows = fleet.file("n.csv", "name,mailbox-quota\ninfo,1G\n")
    for where in ("--server=old", "--servers=all"):
        result = fleet.cli(where, "update-set", "--from-file", rows)
        assert_clean_exit(result, 2, "name no site", "--site-id", "address column")
    assert fleet.sent() == 0


# -- the second review ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["--server=old", "--servers=all"])
def test_a_whole_export_by_address_reads_back_unchanged(
    fleet: Fleet, where: str
) -> None:
    """The export had both name and address; reading it back said "not both"."""
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    fleet.servers["new"].store.add_account(1, Account(name="info"))
    args = ("get-info", "info@alpha.example", "info@gamma.example", "--mailbox")
    if where == "--server=old":
        args = args[:2] + args[3:]
    for fmt, suffix in (("csv", "csv"), ("jsonl", "jsonl")):
        exported = fleet.cli(where, *args, "--format", fmt)
        assert exported.exit_code == 0, exported.output
        back = fleet.file(f"back.{suffix}", exported.stdout)
        applied = fleet.cli(where, "update-set", "--from-file", back)
        assert applied.exit_code == 0, applied.output


def test_a_name_that_is_not_the_addresss_mail_name_is_refused(fleet: Fleet) -> None:
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    rows = fleet.file("x.csv", "address,name,description\ninfo@alpha.example,post,x\n")
    result = fleet.cli("--server", "old", "update-set", "--from-file", rows)
    assert result.exit_code == 1, result.output
    assert "not the mail name of address" in result.stderr
    assert fleet.sent() == 0


def test_a_file_by_address_gives_an_address_column(fleet: Fleet) -> None:
    fleet.servers["old"].store.add_account(1, Account(name="info"))
    rows = fleet.file("ga.csv", "address\ninfo@alpha.example\n")
    result = fleet.cli(
        "--server", "old", "get-info", "--from-file", rows, "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    header, line = result.stdout.splitlines()
    assert header.startswith("row,address,")
    assert line.startswith("2,info@alpha.example,")


def test_a_file_by_address_with_a_site_too_is_refused_before_sending(
    fleet: Fleet,
) -> None:
    rows = fleet.file("sa.csv", "address,mailbox-enabled\nx@alpha.example,true\n")
    result = fleet.cli(
        "--server", "old", "create", "--site-id", "1", "--from-file", rows
    )
    assert_clean_exit(result, 2, "address column", "leave out --site-id")
    assert fleet.sent() == 0


def test_a_dry_run_refusal_is_the_only_line_and_says_what_works(fleet: Fleet) -> None:
    result = fleet.cli("--server", "old", "create", "q3@alpha.example", "--dry-run")
    line = assert_clean_exit(result, 2, "--dry-run", "--name")
    assert result.stderr.strip() == line.strip()


def test_a_dry_run_counts_the_servers_that_get_a_packet(fleet: Fleet) -> None:
    rows = fleet.file("one.csv", "server,name\nold,r1\nold,r2\n")
    result = fleet.cli(
        "--servers", "all", "create", "--site-id", "1", "--from-file", rows,
        "--dry-run", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dry run: 1 packet(s) would be sent to 1 server(s)")


def test_odd_server_cells_are_refused_in_row_order(fleet: Fleet) -> None:
    rows = fleet.file(
        "s.jsonl",
        "\n".join(
            json.dumps({"server": server, "name": f"n{i}"}) if server != "-" else
            json.dumps({"name": f"n{i}"})
            for i, server in enumerate([" ", "old", "-", ["old"], "old"], start=1)
        ) + "\n",
    )  # fmt: skip
    result = fleet.cli(
        "--servers", "all", "create", "--site-id", "1", "--from-file", rows,
        "--dry-run", "--quiet",
    )  # fmt: skip
    assert "row 1: server: empty" in result.stderr
    assert "row 4: server: a name (text), not list" in result.stderr
    assert "refused (rows: 1, 3, 4)" in result.stdout


def test_servers_check_reports_a_pin_the_server_does_not_speak(
    tls: TestTLS, tmp_path: Path
) -> None:
    made = make_fleet(tls, tmp_path)
    try:
        text = made.config.read_text(encoding="utf-8").replace(
            "[servers.old]", f'[servers.old]\nprotocol = "{VERSIONS[-1]}"'
        )
        made.config.write_text(text, encoding="utf-8")
        result = made.cli("--format", "json", "servers", "check")
        rows = {row["server"]: row for row in json.loads(result.stdout)}
        assert rows["old"]["status"] == "error"
        assert f"protocol {VERSIONS[-1]} is pinned" in rows["old"]["error"]
        assert rows["new"]["status"] == "ok"
        typed = made.cli("--protocol", "auto", "--format", "json", "servers", "check")
        rows = {row["server"]: row for row in json.loads(typed.stdout)}
        assert rows["old"]["status"] == "ok"  # a typed 'auto' is over every pin
        assert rows["old"]["protocol"] == "1.6.6.0"
    finally:
        for server in made.servers.values():
            server.stop()
