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
from typing import Any

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
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="wait this long before every answer (a simulated network)",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=1,
        help="serve this many servers from this process, on free ports "
        "(with --write-config to use them by name)",
    )
    parser.add_argument(
        "--write-config",
        type=Path,
        default=None,
        help="write a plesk-mail config file naming every server (emu1, emu2, ...)",
    )
    args = parser.parse_args(argv)
    tls = make_tls(args.ca_dir.resolve())
    if args.count > 1:
        return serve_many(args, tls)
    try:
        store = Store(args.db)
    except Exception as exc:  # sqlite3.Error, or an OSError
        print(f"emulator: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 1
    emulator = new_emulator(
        tls,
        store=store,
        sites=tuple(args.site or [SITE_ID]),
        latency=args.latency_ms / 1000,
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
    if args.write_config:
        write_config(args.write_config, {"emu1": emulator.port}, tls, emulator.password)
        print(f"config: {args.write_config} (plesk-mail --config ... --server emu1)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emulator.stop()
    store.close()
    return 0


def write_config(path: Path, ports: dict[str, int], tls: Any, password: str) -> None:
    """A plesk-mail config naming the emulated servers (password inline: mode 0600)."""
    lines = [
        f'[servers.{name}]\nhost = "127.0.0.1:{port}"\nca_file = "{tls.ca_file}"\n'
        f'password = "{password}"\n'
        for name, port in ports.items()
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)


def serve_many(args: argparse.Namespace, tls: Any) -> int:
    """``--count N``: N servers in this process, until Ctrl-C or SIGTERM."""
    from tests.emulator.many import ManyServers

    servers = ManyServers(
        args.count,
        tls,
        latency=args.latency_ms / 1000,
        versions=args.protos,
        sites=tuple(args.site or [SITE_ID]),
    ).start()
    names = {f"emu{i + 1}": port for i, port in enumerate(servers.ports)}
    print(f"{args.count} Plesk emulators on 127.0.0.1, ports {servers.ports[0]}...")
    if args.write_config:
        write_config(args.write_config, names, tls, servers.password)
        print(f"config: {args.write_config} (plesk-mail --config ... --servers all)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
