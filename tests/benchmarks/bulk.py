"""Peak memory of a bulk run: ``plesk-mail create --from-file`` of many rows.

The CLI reads, validates and sends one packet at a time, so its memory must
not grow with the file. A fast stand-in server answers every packet with one
``ok`` result per account (no database, no schema check: the client's work
is what is measured), and the CLI runs in its own process; its peak resident
set size comes from ``wait4``. The baseline is the same run with 1,000 rows,
in the same session: the ratio says how much the memory grows with the file.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.tls import make_tls

_NAME = re.compile(rb"<mailname><name>([^<]*)</name>")


def _fast_answer(body: bytes) -> RawAnswer:
    names = _NAME.findall(body)
    version = re.search(rb'version="([^"]+)"', body)
    results = b"".join(
        b"<result><status>ok</status><mailname><id>%d</id><name>%s</name></mailname>"
        b"</result>" % (index + 1, name)
        for index, name in enumerate(names)
    )
    packet = b'<packet version="%s"><mail><create>%s</create></mail></packet>' % (
        version.group(1) if version else b"1.6.9.1",
        results,
    )
    return RawAnswer(packet)


class _FastServer(Emulator):
    """Answers every create at once, without a store or a schema check."""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> RawAnswer:
        return _fast_answer(body)


def write_rows(path: Path, count: int) -> int:
    """A CSV of ``count`` accounts; returns its size in bytes."""
    with path.open("w", encoding="utf-8") as stream:
        stream.write("name,alias,mailbox-enabled,mailbox-quota,description\n")
        for index in range(count):
            stream.write(
                f"user{index:07d},u{index},true,1G,Account {index} of the bulk run\n"
            )
    return path.stat().st_size


def peak_of_run(command: list[str], rows: Path, folder: Path) -> dict[str, Any]:
    """Run the CLI on ``rows`` against a fast server; its peak RSS and time."""
    tls = make_tls(folder / "tls")
    emulator = _FastServer(tls_context=tls.server_context).start()
    try:
        env = {
            **os.environ,
            "PLESK_HOST": "127.0.0.1",
            "PLESK_PORT": str(emulator.port),
            "PLESK_LOGIN": emulator.login,
            "PLESK_PASSWORD": emulator.password,
            "PLESK_CA_FILE": str(tls.ca_file),
            "PLESK_PROTOCOL": "1.6.9.1",  # the fast server answers creates only
        }
        args = ["--quiet", "--chunk-size", "500", "create", "--site-id", "1"]
        start = time.perf_counter()
        process = subprocess.Popen(
            [*command, *args, "--from-file", str(rows)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        out = process.stdout.read().decode() if process.stdout else ""
        err = process.stderr.read().decode() if process.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"the bulk run failed: {err or out}")
        return {
            "peak_kib": usage.ru_maxrss,
            "seconds": seconds,
            "summary": out.strip(),
        }
    finally:
        emulator.stop()
