"""Every way a run ends says what was applied: the signal matrix of issue 23.

Ctrl-C (SIGINT), SIGTERM and a closed stdout, each at random moments, during
a single create, a 1,000-row bulk create and a three-server fleet create
(``RUNS`` times each, 20 by default; ``PLESK_SIGNAL_RUNS`` changes it). For
every run, the ledger the command printed must match the emulators'
databases exactly: what it calls answered exists, what it calls not sent
does not, what it calls in flight is all there or all absent (a packet is
one transaction); and resuming as the ledger says ends with every account
present exactly once and exit 0.

The moments are drawn from a seeded generator, so a failure names the seed
that reproduces it.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.emulator.fixtures import SITE_ID, cli_env, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR
from tests.test_fleet import write_config

RUNS = int(os.environ.get("PLESK_SIGNAL_RUNS", "20"))
LATEST = "1.6.9.1"
STOPS = {"int": 130, "term": 143, "pipe": 141}
ROWS = 1000
SCRIPT = Path(sys.executable).with_name("plesk-mail")
TALLY: dict[str, dict[str, int]] = {}
"""Per scenario and stop: how the runs ended (``pytest -rP`` shows them)."""


@dataclass
class Ended:
    code: int
    out: str
    err: str


def run(args: list[str], env: dict[str, str], stop: str | None, at: float) -> Ended:
    """Start ``plesk-mail``; after ``at`` seconds, deliver ``stop`` (if still running)."""
    process = subprocess.Popen(
        [str(SCRIPT), *args],
        env={**os.environ, "PYTHONPATH": str(GENERATED_DIR), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    if stop is not None:
        try:
            process.wait(at)
        except subprocess.TimeoutExpired:
            if stop == "pipe":
                process.stdout.close()
            else:
                process.send_signal(signal.SIGINT if stop == "int" else signal.SIGTERM)
    out = "" if process.stdout.closed else process.stdout.read()
    err = process.stderr.read()
    process.wait(60)
    return Ended(process.returncode, out, err)


def tally(scenario: str, stop: str, outcome: str) -> None:
    key = f"{scenario}/{stop}"
    counts = TALLY.setdefault(key, {})
    counts[outcome] = counts.get(outcome, 0) + 1
    if sum(counts.values()) == RUNS:
        print(f"{key}: {counts}")


SIGNUMS = {"int": signal.SIGINT, "term": signal.SIGTERM}


def assert_clean(ended: Ended, stop: str) -> None:
    """No traceback, and the exit code of the stop (or 0: it finished first).

    A signal that lands after the command finished (its answer printed, the
    interpreter on its way out) ends the process by that signal: the run is
    complete, and the test checks its output like a finished one.
    """
    assert "Traceback" not in ended.err, ended.err
    late = -SIGNUMS[stop] if stop in SIGNUMS else None
    assert ended.code in (0, STOPS[stop], late), (ended.code, ended.err)
    if ended.code == late:  # finished: nothing went wrong, nothing to account for
        assert "plesk-mail:" not in ended.err, ended.err
        ended.code = 0


def nothing_sent(ended: Ended) -> bool:
    """The stop came before anything could be sent, and the command says so."""
    return "nothing was sent" in ended.err


# == one create ======================================================================


@pytest.fixture
def slow(tls: TestTLS) -> Iterator[Emulator]:
    emulator = new_emulator(tls, latency=0.3).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.mark.slow
@pytest.mark.parametrize("stop", STOPS)
def test_a_stopped_create_says_whether_it_was_applied(
    slow: Emulator, tls: TestTLS, stop: str
) -> None:
    env = cli_env(slow, tls)
    for seed in range(RUNS):
        at = random.Random(f"single/{stop}/{seed}").uniform(0.1, 1.4)
        name = f"s{seed}"
        args = ["--protocol", LATEST, "create", "--site-id", "1", "--name", name]
        ended = run(args, env, stop, at)
        assert_clean(ended, stop)
        exists = slow.store.account(SITE_ID, name) is not None
        if ended.code == 0:
            outcome = "finished"
            assert exists, (seed, ended)
        elif (
            nothing_sent(ended)
            or "was not sent" in ended.err
            or "was not applied" in ended.err
        ):
            outcome = "not sent"
            assert not exists, (seed, ended.err)
        elif "answered: 1 item(s) ok" in ended.err:
            outcome = "answered"
            assert exists, (seed, ended.err)
        else:
            outcome = "in flight"
            assert (
                "the create was sent and may or may not have been applied" in ended.err
            ), (
                seed,
                ended.err,
            )
        tally("single", stop, outcome)
        again = run([*args, "--skip-existing"], env, None, 0)
        assert again.code == 0, (seed, again.err)
        assert slow.store.account(SITE_ID, name) is not None


# == a file of 1,000 rows =============================================================

LEDGER = re.compile(
    r"(?:rows through (?P<answered>\d+) were answered|no row was answered)"
    r"(?:; rows (?P<first>\d+)-(?P<last>\d+) were sent and may or may not have been applied)?"
    r"; (?:rows after (?P<after>\d+) were not sent|no row was sent)"
    r"(?:; resume with (?P<resume>--start-at-row \d+ --skip-existing))?"
)


@pytest.fixture
def bulk_server(tls: TestTLS) -> Iterator[Emulator]:
    emulator = new_emulator(tls, latency=0.04).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.mark.slow
@pytest.mark.parametrize("stop", STOPS)
def test_a_stopped_bulk_run_says_which_rows_were_applied(
    bulk_server: Emulator, tls: TestTLS, tmp_path: Path, stop: str
) -> None:
    env = cli_env(bulk_server, tls)
    for seed in range(RUNS):
        prefix = f"r{seed}x"
        rows = tmp_path / f"rows{seed}.csv"
        rows.write_text("name\n" + "".join(f"{prefix}{i:04d}\n" for i in range(ROWS)))
        at = random.Random(f"bulk/{stop}/{seed}").uniform(0.1, 1.6)
        fmt = ["--format", "jsonl"] if stop == "pipe" else []
        args = [
            "--protocol",
            LATEST,
            *fmt,
            "create",
            "--site-id",
            "1",
            "--from-file",
            str(rows),
        ]
        ended = run(args, env, stop, at)
        assert_clean(ended, stop)

        def present(prefix: str = prefix) -> set[int]:
            names = bulk_server.store.accounts(SITE_ID)
            return {int(n[len(prefix) :]) + 2 for n in names if n.startswith(prefix)}

        have = present()
        if ended.code == 0:
            tally("bulk", stop, "finished")
            assert have == set(range(2, ROWS + 2))
            continue
        if nothing_sent(ended):
            tally("bulk", stop, "before sending")
            assert not have, (seed, ended.err)
            continue
        found = LEDGER.search(ended.err)
        assert found is not None, (seed, ended.err)
        answered = int(found["answered"] or 1)
        assert set(range(2, answered + 1)) <= have, (seed, ended.err)
        last = int(found["after"] or 1)
        assert not {row for row in have if row > last}, (
            seed,
            ended.err,
            sorted(have)[-3:],
        )
        if found["first"]:
            flight = set(range(int(found["first"]), int(found["last"]) + 1))
            assert flight <= have or not flight & have, (seed, "half a packet")
            tally("bulk", stop, "in flight")
        else:
            tally("bulk", stop, "between packets")
        resume = (found["resume"] or "--start-at-row 2 --skip-existing").split()
        again = run([*args, *resume], env, None, 0)
        assert again.code == 0, (seed, again.err)
        assert present() == set(range(2, ROWS + 2))


# == three servers ====================================================================


@pytest.fixture
def three(tls: TestTLS, tmp_path: Path) -> Iterator[tuple[list[Emulator], Path]]:
    servers = [new_emulator(tls, latency=0.3).start() for _ in range(3)]
    entries = {
        f"emu{i}": {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            "password_env": "SIGNAL_PW",
            "protocol": LATEST,
        }
        for i, server in enumerate(servers)
    }
    config = write_config(tmp_path / "fleet.toml", entries)
    try:
        yield servers, config
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("stop", STOPS)
def test_a_stopped_fleet_says_what_each_server_applied(
    three: tuple[list[Emulator], Path], stop: str
) -> None:
    servers, config = three
    env = {"SIGNAL_PW": servers[0].password, "PLESK_HOST": "", "PLESK_PASSWORD": ""}
    for seed in range(RUNS):
        name = f"f{seed}"
        at = random.Random(f"fleet/{stop}/{seed}").uniform(0.1, 1.4)
        base = ["--config", str(config), "--servers", "all", "create"]
        args = [*base, "--site-id", "1", "--name", name]
        ended = run(args, env, stop, at)
        assert_clean(ended, stop)
        outcome = "finished" if ended.code == 0 else "stopped"
        if nothing_sent(ended):
            outcome = "before sending"
            assert not any(s.store.account(SITE_ID, name) for s in servers), ended.err
        for index, server in enumerate(servers):
            exists = server.store.account(SITE_ID, name) is not None
            said = [
                line
                for line in ended.err.splitlines()
                if line.startswith(f"plesk-mail: emu{index}: ")
            ]
            if outcome == "before sending":
                continue
            if not said:  # it answered: the account is there
                assert exists, (seed, index, ended.err)
            elif "was not applied there" in said[0]:
                assert not exists, (seed, index, said)
            elif "was answered there: 1 item(s) ok" in said[0]:
                assert exists, (seed, index, said)
            else:
                assert "may or may not have been applied" in said[0], said
                outcome = "in flight"
        tally("fleet", stop, outcome)
        again = run([*args, "--skip-existing"], env, None, 0)
        assert again.code == 0, (seed, again.err)
        for server in servers:
            assert server.store.account(SITE_ID, name) is not None


def test_the_matrix_covers_every_scenario_and_stop() -> None:
    """The runs above are what issue 23 asks: three scenarios, three stops."""
    assert set(STOPS) == {"int", "term", "pipe"} and RUNS >= 1


@pytest.mark.parametrize(("settle", "code"), [(True, 0), (False, 1)])
def test_a_stop_after_the_run_changes_nothing_in_the_console_script(
    settle: bool, code: int
) -> None:
    """Catches a Ctrl-C that lands after the run said what it did and turns its
    exit code into click's "Aborted!" (1): the console script settles the signals."""
    script = (
        "import os, signal, sys, time\n"
        "from plesk_mail.runtime.cli.ledger import stop_signals\n"
        f"with stop_signals(settle={settle}):\n"
        "    pass\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.2)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(1)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert done.returncode == code


@pytest.mark.parametrize(("deferred", "done"), [(True, "block"), (False, "")])
def test_a_stop_while_modules_load_waits_for_the_load(
    deferred: bool, done: str
) -> None:
    """Catches a Ctrl-C that lands inside an extension module's initialisation
    (lxml, loaded when the first command connects) and comes out as an
    ImportError and a traceback: loading defers the stop to right after it."""
    block = "deferred_stops()" if deferred else "contextlib.nullcontext()"
    script = (
        "import contextlib, os, signal, sys, time\n"
        "from plesk_mail.runtime.cli.ledger import deferred_stops, stop_signals\n"
        "done = []\n"
        "try:\n"
        "    with stop_signals():\n"
        f"        with {block}:\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "            time.sleep(0.2)\n"
        "            done.append('block')\n"
        "        done.append('after')\n"
        "except KeyboardInterrupt:\n"
        "    print(','.join(done))\n"
        "    sys.exit(3)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (ran.returncode, ran.stdout.strip()) == (3, done)
