"""End to end, for every protocol version and every operation.

``plesk-mail`` (the generated CLI) -> the generated client -> HTTPS -> the
emulator (every packet validated both ways) -> SQLite in a file, and back:
what the CLI prints, and what the database file holds, read with plain
``sqlite3``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, cli_env, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account, Store
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exit, assert_no_traceback
from tests.support.protocols import VERSIONS, generated_module

OTHER_SITE = 2


class Plesk:
    """An emulator with its state in a SQLite file, and a CLI pointed at it."""

    def __init__(self, emulator: Emulator, tls: TestTLS, database: Path) -> None:
        self.emulator = emulator
        self.database = database
        self.env = {
            **cli_env(emulator, tls),
        }
        self.protocol = VERSIONS[-1]

    def cli(self, *args: str) -> Result:
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
        """The JSON document of a command that must exit with ``exit_code``."""
        result = self.cli("--json", *args)
        assert result.exit_code == exit_code, result.output
        document: dict[str, Any] = json.loads(result.stdout)
        return document

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
def test_every_operation_through_the_cli(
    plesk: Plesk, version: str, tmp_path: Path
) -> None:
    plesk.protocol = version
    created = plesk.json(
        "create",
        "--site-id=1",
        "--name=info",
        "--cp-access",
        "--mailbox-enabled",
        "--mailbox-quota=100M",
        "--forwarding-enabled",
        "--forwarding-address=boss@example.com",
        "--alias=contact",
        "--autoresponder-enabled",
        "--autoresponder-subject=Away",
        "--autoresponder-text=Back soon",
        "--account-password=Mailbox-Secret-1",
        "--antivirus=inout",
        "--outgoing-messages-mbox-limit=25",
        "--description=Front desk",
    )
    assert created["ok"] and created["results"][0]["mailname"]["name"] == "info"
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "name,alias,mailbox-enabled,mailbox-quota\nsales,s1;s2,true,1G\nteam,,,\n"
    )
    assert plesk.json("create", "--site-id=1", f"--from-file={rows}")["ok"]

    plesk.ok(
        "update-add",
        "--site-id=1",
        "--name=info",
        "--alias=hello",
        "--forwarding-address=deputy@example.com",
    )
    plesk.ok("update-remove", "--site-id=1", "--name=info", "--alias=contact")
    plesk.ok(
        "update-set",
        "--site-id=1",
        "--name=sales",
        "--description=Sales desk",
        "--mailbox-enabled",
        "--mailbox-quota=2G",
    )

    info = plesk.json(
        "get-info",
        "--site-id=1",
        "--mailbox",
        "--mailbox-usage",
        "--forwarding",
        "--aliases",
        "--autoresponder",
    )
    accounts = {r["mailname"]["name"]: r["mailname"] for r in info["results"]}
    assert list(accounts) == ["info", "sales", "team"]
    assert accounts["info"]["aliases"] == ["hello"]
    assert accounts["info"]["forwarding"] == {
        "enabled": True,
        "addresses": ["boss@example.com", "deputy@example.com"],
    }
    assert accounts["info"]["mailbox"] == {
        "enabled": True,
        "quota": 100 * 2**20,
        "usage": 0,
    }
    assert accounts["info"]["autoresponder"]["subject"] == "Away"
    assert accounts["info"]["antivirus"] == "inout"
    assert accounts["info"]["password"] == {"value": None, "type": None}  # <password/>
    assert accounts["sales"]["description"] == "Sales desk"
    assert accounts["sales"]["mailbox"]["quota"] == 2 * 2**30
    assert accounts["sales"]["aliases"] == ["s1", "s2"]

    # ...and the same, straight from the database file.
    assert plesk.rows(
        "SELECT name, aliases, quota, password, cp_access FROM accounts ORDER BY id"
    ) == [
        ("info", '["hello"]', 100 * 2**20, "Mailbox-Secret-1", 1),
        ("sales", '["s1", "s2"]', 2 * 2**30, None, None),
        ("team", "[]", None, None, None),
    ]

    plesk.ok("rename", "--site-id=1", "--name=sales", "--new-name=desk")
    taken = plesk.json(
        "rename", "--site-id=1", "--name=desk", "--new-name=info", exit_code=1
    )
    unknown = plesk.json(
        "rename", "--site-id=1", "--name=ghost", "--new-name=x", exit_code=1
    )
    assert taken["results"][0]["errcode"] == 1007
    assert unknown["results"][0]["errcode"] == 1013

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

    providers = plesk.ok("--json", "get-available-mail-providers")
    assert '"local": true' in providers.stdout

    removed = plesk.json("remove", "--site-id=1", "--name=info")
    assert [r["mailname"]["name"] for r in removed["results"]] == ["info"]
    rest = plesk.json("remove", "--site-id=1", "--all")
    assert sorted(r["mailname"]["name"] for r in rest["results"]) == ["desk", "team"]
    assert plesk.rows("SELECT count(*) FROM accounts") == [(0,)]


@pytest.mark.parametrize("version", VERSIONS)
def test_mixed_batches_report_each_failed_item(
    plesk: Plesk, tls: TestTLS, version: str, tmp_path: Path
) -> None:
    plesk.protocol = version
    plesk.emulator.store.add_account(SITE_ID, Account(name="info"))
    rows = tmp_path / "accounts.csv"
    rows.write_text("name,antivirus\nanna,in\ninfo,\nbert,sometimes\ncarl,\nanna,\n")
    result = plesk.cli("--json", "create", "--site-id=1", f"--from-file={rows}")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    outcome = [(r["row"], r["status"], r.get("errcode")) for r in document["results"]]
    assert outcome == [
        (2, "ok", None),
        (3, "error", 1007),
        (5, "ok", None),
        (6, "error", 1007),
    ]
    assert document["failed_rows"][0]["row"] == 4
    assert plesk.rows("SELECT name FROM accounts ORDER BY id") == [
        ("info",),
        ("anna",),
        ("carl",),
    ]

    # One packet, five operations, failures in most of them.
    m = generated_module(version)
    client = plesk_mail.connect(
        "127.0.0.1",
        secret_key=plesk.emulator.secret_key,
        port=plesk.emulator.port,
        verify=str(tls.ca_file),
        protocol=version,
    )
    before = len(plesk.emulator.exchanges)
    with client, client.batch() as batch:
        created = batch.create(
            site_id=SITE_ID,
            mailnames=[m.NewMailAccount(name="dora"), m.NewMailAccount(name="anna")],
        )
        added = batch.update_add(
            site_id=SITE_ID,
            mailnames=[
                m.MailAccountListChange(name="dora", aliases=["d"]),
                m.MailAccountListChange(name="ghost", aliases=["g"]),
            ],
        )
        renamed = batch.rename(site_id=SITE_ID, name="carl", new_name="anna")
        elsewhere = batch.get_info(site_id=99)
        removed = batch.remove(site_id=SITE_ID, names=["carl", "ghost"])
    assert len(plesk.emulator.exchanges) == before + 1
    assert [r.errcode for r in created.value] == [None, 1007]
    assert [r.errcode for r in added.value] == [None, 1013]
    assert [r.errcode for r in renamed.value] == [1007]
    assert [r.errcode for r in elsewhere.value] == [1013]
    assert [r.errcode for r in removed.value] == [None, 1013]
    assert plesk.rows("SELECT name, aliases FROM accounts ORDER BY id") == [
        ("info", "[]"),
        ("anna", "[]"),
        ("dora", '["d"]'),
    ]


def version_has(version: str, since: str) -> bool:
    return VERSIONS.index(version) >= VERSIONS.index(since)


@pytest.mark.parametrize("version", VERSIONS)
def test_version_specific_fields(plesk: Plesk, version: str) -> None:
    """``autoresponder end_date`` (requests 1.6.7.0, get_info 1.6.8.0) and
    ``webmail-certificate`` (1.6.8.0): used where they exist, refused before."""
    plesk.protocol = version
    create = [
        "create",
        "--site-id=1",
        "--name=away",
        "--autoresponder-enabled",
        "--autoresponder-end-date=2026-12-31",
    ]
    certificate = ["set-prefs", "--site-id=1", "--webmail-certificate=cert-1"]
    if not version_has(version, "1.6.7.0"):
        assert_clean_exit(plesk.cli(*create), 2, "needs protocol 1.6.7.0 or newer")
        assert plesk.rows("SELECT count(*) FROM accounts") == [(0,)]
    else:
        plesk.ok(*create)
        assert plesk.rows(
            "SELECT json_extract(autoresponder, '$.end_date') FROM accounts"
        ) == [("2026-12-31",)]
        info = plesk.json("get-info", "--site-id=1", "--autoresponder")
        responder = info["results"][0]["mailname"]["autoresponder"]
        if version_has(version, "1.6.8.0"):
            assert responder["end_date"] == "2026-12-31"
        else:  # stored, but 1.6.7.0's get_info has no element for it
            assert "end_date" not in responder and responder["enabled"] is True
    if not version_has(version, "1.6.8.0"):
        assert_clean_exit(plesk.cli(*certificate), 2, "needs protocol 1.6.8.0 or newer")
        assert plesk.rows("SELECT prefs FROM sites WHERE id = 1") == [("{}",)]
    else:
        plesk.ok(*certificate)
        prefs = plesk.json("get-prefs", "--site-id=1")["results"][0]["prefs"]
        assert prefs["webmail_certificate"] == "cert-1"
