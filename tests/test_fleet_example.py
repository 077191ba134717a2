"""README's "One program, many Plesk versions": the fleet example, run for real.

Three emulators speak {1.6.6.0}, {1.6.7.0, 1.6.6.0} and every version; the
example negotiates with each, lists the accounts of site 1, and creates an
account whose autoresponder carries an end date only where the connection has
one. The same typed code, no branch per version.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS

EXAMPLE = PROJECT_DIR / "tests" / "examples" / "fleet.py"
FLEET = [["1.6.6.0"], ["1.6.7.0", "1.6.6.0"], list(VERSIONS)]


@pytest.fixture
def fleet(tls: TestTLS) -> Iterator[list[Emulator]]:
    servers = [new_emulator(tls, versions=v, protos=v).start() for v in FLEET]
    servers[2].store.add_account(SITE_ID, Account(name="info"))
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
            assert not server.response_errors, server.response_errors


def test_fleet_example_runs_against_three_versions(
    fleet: list[Emulator], tls: TestTLS
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        "PLESK_LOGIN": fleet[0].login,
        "PLESK_PASSWORD": fleet[0].password,
        "PLESK_CA_FILE": str(tls.ca_file),
    }
    servers = [f"127.0.0.1:{server.port}" for server in fleet]
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *servers],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(": protocol ")[1].split()[0] for line in lines] == [
        "1.6.6.0",
        "1.6.7.0",
        VERSIONS[-1],
    ]
    assert [line.split("), ")[1].split(" account")[0] for line in lines] == [
        "0",
        "0",
        "1",
    ]
    assert [line.endswith("end date set") for line in lines] == [False, True, True]
    for server, dated in zip(fleet, (False, True, True), strict=True):
        away = server.store.account(SITE_ID, "away")
        assert away is not None and away.autoresponder is not None
        assert away.autoresponder.end_date == ("2027-01-31" if dated else None)
        assert all(not e.request_errors for e in server.exchanges)
    assert b"end_date" not in b"".join(e.body for e in fleet[0].exchanges)
