"""End to end, for every protocol version and every account operation.

``plesk-mail`` (the generated CLI) -> the generated client -> HTTPS -> a
server, and back. The server is ``target``: a fresh emulator (every packet
validated both ways against the version's XSDs) in the ordinary run, a real
Plesk in live mode (``PLESK_LIVE_*``, README "Live mode"); what it holds
afterwards is read back through the API, as a user would. The tests at the
end need the emulator itself: its SQLite file, read with plain ``sqlite3``,
and the site-wide commands (``enable``, ``disable``, ``set-prefs``, ``remove
--all``) a live run must never send to a real server.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import Result

from tests.emulator.fixtures import SITE_ID, cli_env, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account, Store
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exit, assert_no_traceback
from tests.support.protocols import VERSIONS, generated_module
from tests.support.target import STRONG_PASSWORD, Target

OTHER_SITE = 2


def json_of(result: Result, exit_code: int = 0) -> dict[str, Any]:
    """The JSON document of a command that must exit with ``exit_code``."""
    assert result.exit_code == exit_code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def version_has(version: str, since: str) -> bool:
    return VERSIONS.index(version) >= VERSIONS.index(since)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_account_operation_through_the_cli(
    target: Target, version: str, tmp_path: Path
) -> None:
    protocol = target.use(version)
    site = f"--site-id={target.site_id}"
    n = target.name

    def cli(*args: str, exit_code: int = 0) -> dict[str, Any]:
        return json_of(target.cli("--json", *args, protocol=protocol), exit_code)

    created = cli(
        "create",
        site,
        f"--name={n('info')}",
        "--cp-access",
        "--mailbox-enabled",
        "--mailbox-quota=100M",
        "--forwarding-enabled",
        "--forwarding-address=boss@example.com",
        f"--alias={n('contact')}",
        "--autoresponder-enabled",
        "--autoresponder-subject=Away",
        "--autoresponder-text=Back soon",
        "--account-password=" + STRONG_PASSWORD,
        "--antivirus=inout",
        "--outgoing-messages-mbox-limit=25",
        "--description=Front desk",
    )
    assert created["ok"] and created["results"][0]["mailname"]["name"] == n("info")
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "name,alias,mailbox-enabled,mailbox-quota\n"
        f"{n('sales')},{n('s1')};{n('s2')},true,1G\n{n('team')},,,\n"
    )
    assert cli("create", site, f"--from-file={rows}")["ok"]

    cli(
        "update-add",
        site,
        f"--name={n('info')}",
        f"--alias={n('hello')}",
        "--forwarding-address=deputy@example.com",
    )
    cli("update-remove", site, f"--name={n('info')}", f"--alias={n('contact')}")
    cli(
        "update-set",
        site,
        f"--name={n('sales')}",
        "--description=Sales desk",
        "--mailbox-enabled",
        "--mailbox-quota=2G",
    )

    names = [f"--name={n(base)}" for base in ("info", "sales", "team")]
    info = cli(
        "get-info",
        site,
        *names,
        "--mailbox",
        "--mailbox-usage",
        "--forwarding",
        "--aliases",
        "--autoresponder",
    )
    accounts = {r["mailname"]["name"]: r["mailname"] for r in info["results"]}
    assert list(accounts) == [n("info"), n("sales"), n("team")]
    mine = accounts[n("info")]
    assert mine["aliases"] == [n("hello")]
    assert mine["forwarding"] == {
        "enabled": True,
        "addresses": ["boss@example.com", "deputy@example.com"],
    }
    assert mine["mailbox"]["enabled"] is True
    assert mine["mailbox"]["quota"] == 100 * 2**20
    assert isinstance(mine["mailbox"]["usage"], int)
    assert mine["autoresponder"]["subject"] == "Away"
    assert mine["antivirus"] == "inout"
    assert (mine.get("password") or {}).get("value") is None  # never sent back
    assert accounts[n("sales")]["description"] == "Sales desk"
    assert accounts[n("sales")]["mailbox"]["quota"] == 2 * 2**30
    assert accounts[n("sales")]["aliases"] == [n("s1"), n("s2")]

    cli("rename", site, f"--name={n('sales')}", f"--new-name={n('desk')}")
    taken = cli(
        "rename", site, f"--name={n('desk')}", f"--new-name={n('info')}", exit_code=1
    )
    unknown = cli(
        "rename", site, f"--name={n('ghost')}", f"--new-name={n('x')}", exit_code=1
    )
    assert taken["results"][0]["errcode"] == 1007
    assert unknown["results"][0]["errcode"] == 1013

    [prefs] = cli("get-prefs", site)["results"]
    assert prefs["site_id"] == target.site_id
    assert isinstance(prefs["prefs"]["mailservice"], bool)
    providers = cli("get-available-mail-providers")
    assert providers["ok"] and providers["results"]

    removed = cli("remove", site, f"--name={n('info')}")
    assert [r["mailname"]["name"] for r in removed["results"]] == [n("info")]
    rest = tmp_path / "rest.csv"
    rest.write_text(f"name\n{n('desk')}\n{n('team')}\n")
    gone = cli("remove", site, f"--from-file={rest}")
    assert sorted(r["mailname"]["name"] for r in gone["results"]) == [
        n("desk"),
        n("team"),
    ]
    after = cli("get-info", site, *names, exit_code=1)
    assert [r["errcode"] for r in after["results"]] == [1013, 1013, 1013]


@pytest.mark.parametrize("version", VERSIONS)
def test_mixed_batches_report_each_failed_item(
    target: Target, version: str, tmp_path: Path
) -> None:
    protocol = target.use(version)
    n = target.name
    assert (
        target.cli(
            "create",
            f"--site-id={target.site_id}",
            f"--name={n('info')}",
            protocol=protocol,
        ).exit_code
        == 0
    )
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        f"name,antivirus\n{n('anna')},in\n{n('info')},\n{n('bert')},sometimes\n"
        f"{n('carl')},\n{n('anna')},\n"
    )
    document = json_of(
        target.cli(
            "--json",
            "create",
            f"--site-id={target.site_id}",
            f"--from-file={rows}",
            protocol=protocol,
        ),
        exit_code=1,
    )
    outcome = [(r["row"], r["status"], r.get("errcode")) for r in document["results"]]
    assert outcome == [
        (2, "ok", None),
        (3, "error", 1007),
        (5, "ok", None),
        (6, "error", 1007),
    ]
    assert document["failed_rows"][0]["row"] == 4

    # One packet, five operations, failures in most of them.
    m = generated_module(version)
    site = target.site_id
    with target.connect(protocol=protocol) as client:
        before = target.packets
        with client.batch() as batch:
            created = batch.create(
                site_id=site,
                mailnames=[
                    m.NewMailAccount(name=n("dora")),
                    m.NewMailAccount(name=n("anna")),
                ],
            )
            added = batch.update_add(
                site_id=site,
                mailnames=[
                    m.MailAccountListChange(name=n("dora"), aliases=[n("d")]),
                    m.MailAccountListChange(name=n("ghost"), aliases=[n("g")]),
                ],
            )
            renamed = batch.rename(site_id=site, name=n("carl"), new_name=n("anna"))
            missing = batch.get_info(site_id=site, names=[n("ghost")])
            removed = batch.remove(site_id=site, names=[n("carl"), n("ghost")])
        assert target.packets == before + 1
        accounts = target.accounts(client)
    assert [r.errcode for r in created.value] == [None, 1007]
    assert [r.errcode for r in added.value] == [None, 1013]
    assert [r.errcode for r in renamed.value] == [1007]
    assert [r.errcode for r in missing.value] == [1013]
    assert [r.errcode for r in removed.value] == [None, 1013]
    assert {name: a.aliases for name, a in accounts.items()} == {
        n("info"): [],
        n("anna"): [],
        n("dora"): [n("d")],
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_the_autoresponder_end_date_where_it_exists(
    target: Target, version: str
) -> None:
    """``autoresponder end_date``: requests from 1.6.7.0, get_info from 1.6.8.0;
    refused before, without a packet."""
    protocol = target.use(version)
    create = [
        "create",
        f"--site-id={target.site_id}",
        f"--name={target.name('away')}",
        "--autoresponder-enabled",
        "--autoresponder-end-date=2026-12-31",
    ]
    if not version_has(version, "1.6.7.0"):
        before = target.packets
        result = target.cli(*create, protocol=protocol)
        assert_clean_exit(result, 2, "needs protocol 1.6.7.0 or newer")
        assert target.packets == before
        return
    assert target.cli(*create, protocol=protocol).exit_code == 0
    info = json_of(
        target.cli(
            "--json",
            "get-info",
            f"--site-id={target.site_id}",
            f"--name={target.name('away')}",
            "--autoresponder",
            protocol=protocol,
        )
    )
    responder = info["results"][0]["mailname"]["autoresponder"]
    assert responder["enabled"] is True
    if version_has(version, "1.6.8.0"):
        assert responder["end_date"] == "2026-12-31"
    else:  # stored, but 1.6.7.0's get_info has no element for it
        assert "end_date" not in responder


def test_a_site_by_name_then_its_mail_in_one_packet(target: Target) -> None:
    """``get-sites --name`` finds the sandbox's id; a batch asks for a site
    and creates an account in one packet of two operators."""
    found = json_of(
        target.cli("--json", "get-sites", f"--name={target.site_name}", "--gen-info")
    )
    [site] = found["results"]
    assert site["id"] == target.site_id
    assert site["gen_info"]["name"] == target.site_name
    with target.connect(protocol="auto") as client:
        before = target.packets
        with client.batch() as batch:
            sites = batch.get_sites(names=[target.site_name])
            created = batch.create(
                site_id=target.site_id,
                mailnames=[plesk_mail.NewMailAccount(name=target.name("both"))],
            )
        assert target.packets == before + 1
        assert b"<site>" in target.bodies[-1] and b"<mail>" in target.bodies[-1]
        assert [s.id for s in sites.value.sites()] == [target.site_id]
        assert [a.name for a in created.value.accounts()] == [target.name("both")]
        assert list(target.accounts(client)) == [target.name("both")]


# -- what only the emulator shows ----------------------------------------------------


class Plesk:
    """An emulator with its state in a SQLite file, and a CLI pointed at it."""

    def __init__(self, emulator: Emulator, tls: TestTLS, database: Path) -> None:
        self.emulator = emulator
        self.database = database
        self.env = cli_env(emulator, tls)
        self.protocol = VERSIONS[-1]

    def cli(self, *args: str) -> Result:
        from click.testing import CliRunner
        from plesk_mail.cli import main

        result = CliRunner().invoke(
            main, ["--protocol", self.protocol, *args], env=self.env
        )
        assert_no_traceback(result)
        return result

    def ok(self, *args: str) -> Result:
        result = self.cli(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, exit_code: int = 0) -> dict[str, Any]:
        return json_of(self.cli("--json", *args), exit_code)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """What the database file holds, read without the emulator's code."""
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def plesk(tls: TestTLS, tmp_path: Path) -> Iterator[Plesk]:
    database = tmp_path / "plesk.sqlite"
    store = Store(database)
    emulator = new_emulator(tls, store=store, sites=(SITE_ID, OTHER_SITE)).start()
    try:
        yield Plesk(emulator, tls, database)
    finally:
        emulator.stop()
        store.close()
    assert not emulator.response_errors, emulator.response_errors
    assert all(not e.request_errors for e in emulator.exchanges if e.answer)
    assert emulator.responses_checked == len(emulator.exchanges)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_database_file_holds_what_the_cli_did(
    plesk: Plesk, version: str, tmp_path: Path
) -> None:
    plesk.protocol = version
    plesk.ok(
        "create",
        "--site-id=1",
        "--name=info",
        "--cp-access",
        "--mailbox-enabled",
        "--mailbox-quota=100M",
        "--alias=contact",
        "--account-password=Mailbox-Secret-1",
    )
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "name,alias,mailbox-enabled,mailbox-quota\nsales,s1;s2,true,1G\nteam,,,\n"
    )
    plesk.ok("create", "--site-id=1", f"--from-file={rows}")
    plesk.ok("update-add", "--site-id=1", "--name=info", "--alias=hello")
    plesk.ok("update-remove", "--site-id=1", "--name=info", "--alias=contact")
    plesk.ok("update-set", "--site-id=1", "--name=sales", "--mailbox-quota=2G")
    assert plesk.rows(
        "SELECT name, aliases, quota, password, cp_access FROM accounts ORDER BY id"
    ) == [
        ("info", '["hello"]', 100 * 2**20, "Mailbox-Secret-1", 1),
        ("sales", '["s1", "s2"]', 2 * 2**30, None, None),
        ("team", "[]", None, None, None),
    ]
    plesk.ok("rename", "--site-id=1", "--name=sales", "--new-name=desk")
    plesk.ok("remove", "--site-id=1", "--name=info")
    assert plesk.rows("SELECT name FROM accounts ORDER BY id") == [
        ("desk",),
        ("team",),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_site_wide_commands(plesk: Plesk, version: str) -> None:
    """What a live run never sends: the mail service and preferences of a
    site, and ``remove --all``."""
    plesk.protocol = version
    plesk.emulator.store.add_account(SITE_ID, Account(name="a"))
    plesk.emulator.store.add_account(SITE_ID, Account(name="b"))
    plesk.emulator.store.add_account(OTHER_SITE, Account(name="elsewhere"))
    plesk.ok("disable", "--site-id=1")
    assert (
        plesk.json("get-prefs", "--site-id=1")["results"][0]["prefs"]["mailservice"]
        is False
    )
    plesk.ok("enable", "--site-id=1")
    plesk.ok(
        "set-prefs",
        "--site-id=1",
        "--nonexistent-user-reject",
        "--spam-protect-sign",
        "--webmail=horde",
    )
    prefs = plesk.json("get-prefs", "--site-id=1", "--site-id=2")["results"]
    assert [p["site_id"] for p in prefs] == [1, 2]
    assert prefs[0]["prefs"]["mailservice"] is True
    assert prefs[0]["prefs"]["nonexistent_user"]["reject"] is True
    assert (prefs[0]["prefs"]["webmail"], prefs[1]["prefs"]["webmail"]) == (
        "horde",
        "roundcube",
    )
    assert plesk.rows("SELECT id, mail_enabled FROM sites") == [(1, 1), (2, 1)]
    rest = plesk.json("remove", "--site-id=1", "--all")
    assert sorted(r["mailname"]["name"] for r in rest["results"]) == ["a", "b"]
    assert plesk.rows("SELECT name FROM accounts") == [("elsewhere",)]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_webmail_certificate_where_it_exists(plesk: Plesk, version: str) -> None:
    """``webmail-certificate`` (1.6.8.0): used where it exists, refused before."""
    plesk.protocol = version
    certificate = ["set-prefs", "--site-id=1", "--webmail-certificate=cert-1"]
    if not version_has(version, "1.6.8.0"):
        assert_clean_exit(plesk.cli(*certificate), 2, "needs protocol 1.6.8.0 or newer")
        assert plesk.rows("SELECT prefs FROM sites WHERE id = 1") == [("{}",)]
    else:
        plesk.ok(*certificate)
        prefs = plesk.json("get-prefs", "--site-id=1")["results"][0]["prefs"]
        assert prefs["webmail_certificate"] == "cert-1"
