"""Load: 50 concurrent clients against one emulator, on loopback, bounded in time.

Every client has its own HTTPS connection and, round after round, creates a
batch of its own accounts plus one name that all clients race for, renames
its accounts in one multi-operation packet, and removes half of them.
Afterwards the SQLite store holds exactly the expected accounts (none lost,
none duplicated, one winner per race), every request and every answer was
validated against the protocol's XSDs, and the throughput is recorded:
as test properties (``--junitxml``), in ``load.json`` under the test's
temporary folder, on stdout (``-s``) and in the run's summary (see
``conftest.py``), also under ``-n auto``.

Runs by default (CI runs the README's command); skip it locally with
``-m "not load"``; run it alone with ``-m load -s``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from lxml import etree

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.store import Store
from tests.emulator.tls import TestTLS
from tests.support.protocols import VERSIONS, generated_module

CLIENTS = 50
ROUNDS = 4
BATCH = 8  # own accounts per client and round, created in one packet
TIME_LIMIT = 90.0  # seconds, for the whole run; a few seconds is usual
LATEST = VERSIONS[-1]


@dataclass
class Tally:
    requests: int = 0
    created: int = 0
    renamed: int = 0
    removed: int = 0
    races_won: list[int] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)


def run_client(index: int, port: int, tls: TestTLS, start: threading.Barrier) -> Tally:
    m = generated_module(LATEST)
    tally = Tally()
    client = plesk_mail.connect(
        "127.0.0.1",
        secret_key="0123456789abcdef0123456789abcdef",
        port=port,
        verify=str(tls.ca_file),
        protocol=LATEST,
        timeout=30,
    )
    with client:
        start.wait(timeout=30)
        for round_ in range(ROUNDS):
            own = [f"c{index:02d}-r{round_}-{i}" for i in range(BATCH)]
            race = f"race-{round_}"
            created = client.create(
                site_id=SITE_ID,
                mailnames=[m.NewMailAccount(name=n) for n in [*own, race]],
            )
            assert all(r.ok for r in created[:BATCH]), created.failed
            last = created[BATCH]
            assert last.ok or last.errcode == plesk_mail.ErrorCode.DATA_ALREADY_EXISTS
            if last.ok:
                tally.races_won.append(round_)
            tally.created += sum(r.ok for r in created)

            with client.batch() as batch:
                renames = [
                    batch.rename(site_id=SITE_ID, name=n, new_name=f"{n}-x")
                    for n in own
                ]
            assert all(p.value.ok for p in renames)
            tally.renamed += len(renames)

            gone = [f"{n}-x" for n in own[: BATCH // 2]]
            removed = client.remove(site_id=SITE_ID, names=gone)
            assert removed.ok and [r.mailname.name for r in removed] == gone
            tally.removed += len(removed)
            tally.expected |= {f"{n}-x" for n in own[BATCH // 2 :]}
            tally.requests += 3
    return tally


def items_per_operation(request: bytes) -> list[int]:
    """Items each operation of a request packet carries (one for a rename)."""
    mail = etree.fromstring(request).find("mail")
    assert mail is not None
    counts = []
    for operation in mail:
        items = operation.findall("filter/mailname") + operation.findall("filter/name")
        counts.append(len(items) if operation.tag != "rename" else 1)
    return counts


def results_per_operation(answer: bytes) -> list[int]:
    """``<result>`` elements of each operation of a response packet."""
    mail = etree.fromstring(answer).find("mail")
    assert mail is not None
    return [len(operation.findall("result")) for operation in mail]


@pytest.mark.load
def test_fifty_concurrent_clients(
    tls: TestTLS, tmp_path: Path, record_property: Any
) -> None:
    store = Store(tmp_path / "load.sqlite")
    emulator = new_emulator(tls, store=store).start()
    start = threading.Barrier(CLIENTS)
    pool = ThreadPoolExecutor(CLIENTS, thread_name_prefix="load-client")
    try:
        began = time.perf_counter()
        futures = [
            pool.submit(run_client, i, emulator.port, tls, start)
            for i in range(CLIENTS)
        ]
        done, late = wait(futures, timeout=TIME_LIMIT, return_when=FIRST_EXCEPTION)
        seconds = time.perf_counter() - began
        for future in done:
            failure = future.exception()
            if failure is not None:
                raise failure
        assert not late, f"{len(late)} clients still running after {TIME_LIMIT:.0f} s"
        tallies = [f.result() for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        emulator.stop()

    store.close()
    # What the database file holds, read without the emulator's code.
    with sqlite3.connect(tmp_path / "load.sqlite") as db:
        rows = db.execute("SELECT name FROM accounts WHERE site_id = ?", (SITE_ID,))
        stored = {name for (name,) in rows}
    expected = set().union(*(t.expected for t in tallies))
    expected |= {f"race-{r}" for r in range(ROUNDS)}
    assert stored == expected, (
        f"lost: {sorted(expected - stored)[:5]}, "
        f"extra: {sorted(stored - expected)[:5]}"
    )
    wins = sorted(r for t in tallies for r in t.races_won)
    assert wins == list(range(ROUNDS)), "each raced name must be won exactly once"

    requests = sum(t.requests for t in tallies)
    assert len(emulator.exchanges) == requests
    for exchange in emulator.exchanges:
        assert results_per_operation(exchange.answer) == items_per_operation(
            exchange.body
        ), exchange.body[:200]
    assert emulator.responses_checked == requests, "an answer was not validated"
    assert not emulator.response_errors, emulator.response_errors[:3]
    assert not any(e.request_errors for e in emulator.exchanges)

    items = sum(t.created + t.renamed + t.removed for t in tallies)
    figures = {
        "clients": CLIENTS,
        "requests": requests,
        "account_operations": items,
        "accounts_created": sum(t.created for t in tallies),
        "seconds": round(seconds, 3),
        "requests_per_s": round(requests / seconds, 1),
        "accounts_per_s": round(items / seconds, 1),
        "accounts_created_per_s": round(sum(t.created for t in tallies) / seconds, 1),
    }
    for name, value in figures.items():
        record_property(f"load.{name}", value)
    (tmp_path / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nload test: {json.dumps(figures)} ({tmp_path / 'load.json'})")
