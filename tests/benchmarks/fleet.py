"""Fleet figures: one command on many emulated servers with a simulated latency.

Sequential is the obvious loop of a person with one client: each server in
turn. Fleet mode is ``plesk-mail --servers all`` (one process), and the async
Python API (``plesk_mail.fleet``) in a fresh process whose peak memory is read
with ``wait4``. The servers are ``tests.emulator.many.ManyServers``: one
process, one port each, every answer after the same latency.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.emulator.many import ManyServers
from tests.emulator.tls import make_tls

from .paths import GENERATED_DIR, PROJECT_DIR

FLEET_SCRIPT = """
import sys, plesk_mail
outcomes = plesk_mail.fleet(["all"], parallel=int(sys.argv[1])).get_info(site_id=1)
failed = [n for n, o in outcomes.items() if not o.ok]
print(len(outcomes), len(failed))
sys.exit(1 if failed else 0)
"""


def servers(count: int, latency: float, folder: Path) -> tuple[ManyServers, Path, Any]:
    """Started servers, a config file naming them, and their TLS."""
    tls = make_tls(folder / "tls")
    fleet = ManyServers(count, tls, latency=latency).start()
    config = folder / f"fleet-{count}.toml"
    config.write_text(
        "\n".join(
            f'[servers.emu{i}]\nhost = "127.0.0.1:{port}"\nca_file = "{tls.ca_file}"\n'
            f'password = "{fleet.password}"\n'
            for i, port in enumerate(fleet.ports)
        ),
        encoding="utf-8",
    )
    config.chmod(0o600)
    return fleet, config, tls


def sequential(fleet: ManyServers, tls: Any) -> float:
    """Seconds for the plain loop: connect to each server in turn, ask, close."""
    import plesk_mail

    start = time.perf_counter()
    for port in fleet.ports:
        with plesk_mail.connect(
            f"127.0.0.1:{port}",
            password=fleet.password,
            verify=str(tls.ca_file),
            protocol="auto",
        ) as client:
            client.get_info(site_id=1).raise_for_errors()
    return time.perf_counter() - start


def _env(config: Path) -> dict[str, str]:
    path = os.pathsep.join([str(GENERATED_DIR), str(PROJECT_DIR)])
    return {**os.environ, "PLESK_MAIL_CONFIG": str(config), "PYTHONPATH": path}


def timed(command: list[str], config: Path) -> dict[str, float]:
    """Wall seconds and peak RSS (KiB) of a command, in its own process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command[:4])} failed: {err[-500:]}")
    return {"seconds": seconds, "peak_kib": float(usage.ru_maxrss)}


def cli(plesk_mail: list[str], config: Path, *selection: str) -> dict[str, float]:
    return timed(
        [*plesk_mail, "--quiet", *selection, "get-info", "--site-id", "1"], config
    )


def python_api(config: Path, parallel: int) -> dict[str, float]:
    return timed([sys.executable, "-c", FLEET_SCRIPT, str(parallel)], config)
