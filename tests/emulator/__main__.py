"""Run the emulator standalone: ``python -m tests.emulator --port 8443``.

Prints the endpoint, the credentials it accepts and the CA file to trust, as
``export`` lines a shell can paste.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from tests.support.paths import GENERATED_DIR

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

import contextlib

from tests.emulator.fixtures import new_emulator
from tests.emulator.tls import make_tls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator", description=__doc__
    )
    parser.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    parser.add_argument(
        "--ca-dir", type=Path, default=Path(".emulator"), help="where ca.pem is written"
    )
    parser.add_argument(
        "--site",
        type=int,
        action="append",
        default=None,
        help="site id to seed (repeatable)",
    )
    args = parser.parse_args(argv)
    tls = make_tls(args.ca_dir.resolve())
    emulator = new_emulator(tls)
    for site in args.site or []:
        emulator.store.add_site(site)
    try:
        emulator.start(args.port)
    except OSError as exc:
        print(
            f"emulator: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    print(
        f"Plesk emulator on https://127.0.0.1:{emulator.port}/enterprise/control/agent.php"
    )
    print(
        f"protocols: {', '.join(emulator.versions)}; sites: {', '.join(map(str, sorted(emulator.store.sites)))}"
    )
    print(
        f"export PLESK_HOST=127.0.0.1 PLESK_PORT={emulator.port} PLESK_LOGIN={emulator.login} "
        f"PLESK_PASSWORD={emulator.password} PLESK_CA_FILE={tls.ca_file}",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
