"""Run the emulator standalone: ``python -m tests.emulator --port 8443``.

Prints the endpoint, the credentials it accepts and the CA file to trust, as
``export`` lines a shell can paste. State lives in SQLite: in memory, or in
the file given with ``--db`` (kept across runs).

Sites: ``--site 1=example.com --site 2=example.org`` seeds two subscriptions'
main domains; ``--site 4=shop.example.net@1`` an add-on domain of site 1's
subscription, ``--site 5=blog.example.com@1`` a subdomain of site 1 (its name
ends in site 1's); a bare ``--site 3`` is the main domain ``site3.example``.
Names may be Unicode (``bücher.example``); ``site/get`` finds them by their
punycode too.
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
from tests.emulator.store import SiteNameTaken, SiteSpec, Store, UnknownParent
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


def site_spec(text: str) -> SiteSpec:
    """``ID``, ``ID=NAME`` or ``ID=NAME@PARENT`` (see the module's help)."""
    number, equals, rest = text.partition("=")
    name, at, parent = rest.partition("@")
    try:
        site_id = int(number)
        parent_id = int(parent) if at else None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ID, ID=NAME or ID=NAME@PARENT (ids are numbers)"
        ) from None
    if (
        site_id < 1
        or (parent_id is not None and parent_id < 1)
        or (equals and not name.strip())
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r}: ids count from 1 and a name is not empty"
        )
    return SiteSpec(site_id, name.strip() or None, parent_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file for the state (default: memory)"
    )
    parser.add_argument(
        "--site",
        type=site_spec,
        action="append",
        default=None,
        metavar="ID[=NAME[@PARENT]]",
        help=f"a site to seed (repeatable; default {SITE_ID}): a main domain, or "
        "with @PARENT an add-on domain of that site's subscription (a subdomain "
        "when NAME ends in the parent's name); a parent comes before its sites",
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
        "--plesk-version",
        default=None,
        help="the product version <server><get><stat/> reports (default: a "
        "release whose newest protocol is the newest one spoken, 18.0.60 for 1.6.9.1)",
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
        try:
            return serve_many(args, tls)
        except (UnknownParent, SiteNameTaken) as exc:
            return _bad_site(exc)
    try:
        store = Store(args.db)
    except Exception as exc:  # sqlite3.Error, or an OSError
        print(f"emulator: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 1
    try:
        emulator = new_emulator(
            tls,
            store=store,
            sites=tuple(args.site or [SITE_ID]),
            latency=args.latency_ms / 1000,
            protos=args.protos,
            versions=args.protos,
            **({"plesk_version": args.plesk_version} if args.plesk_version else {}),
        )
    except (UnknownParent, SiteNameTaken) as exc:
        return _bad_site(exc)
    sites = ", ".join(f"{site.id}={site.name}" for site in store.sites())
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
        f"sites: {sites}; database: {store.path}"
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


def _bad_site(exc: UnknownParent | SiteNameTaken) -> int:
    """A ``--site`` the store refused: one line, usage exit code."""
    what = "is not seeded before it" if isinstance(exc, UnknownParent) else "is taken"
    print(f"emulator: --site: {exc} {what}", file=sys.stderr)
    return 2


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
