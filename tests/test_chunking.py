"""Exact packet boundaries: ``chunk_size`` items per packet, never one more.

For the client (both kinds), ``batch()`` and the CLI's ``--from-file``:
100, 101 and 201 items with chunk 100 travel as ``[100]``, ``[100, 1]`` and
``[100, 100, 1]`` items per packet, and every result lands on its own item,
including failures on both sides of a boundary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner
from lxml import etree
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, cli_env, connect_to
from tests.emulator.server import Emulator
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS

CHUNK = 100
BOUNDARIES = {100: [100], 101: [100, 1], 201: [100, 100, 1]}
TAKEN = (99, 100)
"""Indexes of accounts that exist already: the last of a packet, the first of the next."""


def items_per_packet(emulator: Emulator) -> list[int]:
    """Accounts created plus renames, per packet the server received."""
    counts = []
    for exchange in emulator.exchanges:
        assert not exchange.request_errors, exchange.request_errors
        mail = etree.fromstring(exchange.body).find("mail")
        assert mail is not None
        counts.append(
            len(mail.findall("create/filter/mailname")) + len(mail.findall("rename"))
        )
    return counts


def names(count: int, prefix: str = "u") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def taken(emulator: Emulator, wanted: list[str]) -> list[int]:
    """Create the accounts at ``TAKEN`` beforehand; the indexes that will fail."""
    indexes = [i for i in TAKEN if i < len(wanted)]
    for index in indexes:
        emulator.store.add_account(SITE_ID, Account(name=wanted[index]))
    return indexes


@pytest.mark.parametrize("via", ["call", "batch"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", list(BOUNDARIES))
def test_client_and_batch_send_exactly_chunk_size_items(
    emulator: Emulator, tls: TestTLS, count: int, kind: str, via: str
) -> None:
    wanted = names(count)
    failing = taken(emulator, wanted)
    accounts = [plesk_mail.NewMailAccount(name=n) for n in wanted]
    with connect_to(emulator, tls, kind=kind, chunk_size=CHUNK) as client:
        if via == "call":
            results = client.create(site_id=SITE_ID, mailnames=accounts)
        else:
            results = _batched(
                client, lambda b: b.create(site_id=SITE_ID, mailnames=accounts)
            ).value
    assert items_per_packet(emulator) == BOUNDARIES[count]
    assert len(results) == count
    assert [index for index, _ in results.failed] == failing
    assert [r.mailname.name for r in results if r.ok and r.mailname] == [
        n for i, n in enumerate(wanted) if i not in failing
    ]
    assert all(r.errcode == 1007 for _, r in results.failed)


def _batched(client: Any, collect: Any) -> Any:
    """Run ``collect(batch)`` in a batch (sent on leaving ``with``); its answers."""
    with client.batch() as batch:
        return collect(batch)


@pytest.mark.parametrize("kind", KINDS)
def test_mixed_batch_packs_calls_greedily_and_keeps_each_answer(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """150 + rename + 60 items: packets of 100, 50 + 1, and 60."""
    first, second = names(150, "a"), names(60, "b")
    emulator.store.add_account(SITE_ID, Account(name="old"))
    failing = taken(emulator, first)

    def collect(batch: Any) -> tuple[Any, Any, Any]:
        return (
            batch.create(
                site_id=SITE_ID,
                mailnames=[plesk_mail.NewMailAccount(name=n) for n in first],
            ),
            batch.rename(site_id=SITE_ID, name="old", new_name="new"),
            batch.create(
                site_id=SITE_ID,
                mailnames=[plesk_mail.NewMailAccount(name=n) for n in second],
            ),
        )

    with connect_to(emulator, tls, kind=kind, chunk_size=CHUNK) as client:
        created, renamed, more = _batched(client, collect)
    assert items_per_packet(emulator) == [100, 51, 60]
    assert [index for index, _ in created.value.failed] == failing
    # Every result names its account, the failed ones too (as Plesk's do).
    assert [r.mailname.name for r in created.value] == first
    assert [r.mailname.name for r in created.value if r.ok] == [
        n for i, n in enumerate(first) if i not in failing
    ]
    assert renamed.value.ok and len(renamed.value) == 1
    assert [r.mailname.name for r in more.value if r.mailname] == second
    assert sorted(emulator.store.accounts(SITE_ID)) == sorted([*first, *second, "new"])


@pytest.mark.parametrize("count", list(BOUNDARIES))
def test_cli_from_file_sends_exactly_chunk_size_rows(
    emulator: Emulator, tls: TestTLS, tmp_path: Path, count: int
) -> None:
    wanted = names(count)
    failing = taken(emulator, wanted)
    rows = tmp_path / "accounts.csv"
    rows.write_text("name\n" + "".join(f"{n}\n" for n in wanted), encoding="utf-8")
    words = ["--chunk-size", str(CHUNK), "--json", "create", "--site-id", "1"]
    result = CliRunner().invoke(
        main, [*words, "--from-file", str(rows)], env=cli_env(emulator, tls)
    )
    assert result.exit_code == 1, result.output  # the taken names fail
    assert items_per_packet(emulator) == BOUNDARIES[count]
    document = json.loads(result.stdout)
    reported = [(r["row"], r["status"]) for r in document["results"]]
    # Row numbers count the header line: item i is on line i + 2.
    assert reported == [
        (i + 2, "error" if i in failing else "ok") for i in range(count)
    ]
    ok_names = [
        r["mailname"]["name"] for r in document["results"] if r["status"] == "ok"
    ]
    assert ok_names == [n for i, n in enumerate(wanted) if i not in failing]
