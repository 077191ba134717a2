"""Run the emulator standalone: ``python -m tests.emulator --port 8443``.

Prints the endpoint, the credentials it accepts and the CA file to trust, as
``export`` lines a shell can paste. State lives in SQLite: in memory, or in
the file given with ``--db`` (kept across runs).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from tests.support.paths import GENERATED_DIR

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.store import Store
from tests.emulator.tls import make_tls
from tests.support.protocols import VERSIONS


def protocol_list(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in VERSIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown protocol version(s) {', '.join(unknown) or '(none)'}; "
            f"known: {', '.join(VERSIONS)}"
        )
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator", description=__doc__
    )
    parser.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file for the state (default: memory)"
    )
    parser.add_argument(
        "--site",
        type=int,
        action="append",
        default=None,
        help=f"site id to seed (repeatable; default {SITE_ID})",
    )
    parser.add_argument(
        "--ca-dir", type=Path, default=Path(".emulator"), help="where ca.pem is written"
    )
    parser.add_argument(
        "--protos",
        type=protocol_list,
        default=None,
        help="protocol versions to speak and announce, comma-separated "
        "(default: all, newest first)",
    )
    args = parser.parse_args(argv)
    tls = make_tls(args.ca_dir.resolve())
    try:
        store = Store(args.db)
    except Exception as exc:  # sqlite3.Error, or an OSError
        print(f"emulator: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 1
    emulator = new_emulator(
        tls,
        store=store,
        sites=tuple(args.site or [SITE_ID]),
        protos=args.protos,
        versions=args.protos,
    )
    try:
        emulator.start(args.port)
    except OSError as exc:
        print(
            f"emulator: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    print(f"Plesk emulator on {emulator.url}")
    print(
        f"protocols: {', '.join(emulator.protos)}; "
        f"sites: {', '.join(map(str, store.site_ids()))}; database: {store.path}"
    )
    print(
        f"export PLESK_HOST=127.0.0.1 PLESK_PORT={emulator.port} PLESK_LOGIN={emulator.login} "
        f"PLESK_PASSWORD={emulator.password} PLESK_CA_FILE={tls.ca_file}",
        flush=True,
    )
    print(f"# or, with a secret key: export PLESK_SECRET_KEY={emulator.secret_key}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emulator.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
