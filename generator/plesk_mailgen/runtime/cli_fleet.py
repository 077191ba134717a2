"""``plesk-mail --servers ...``: one command on many servers, and ``plesk-mail servers``.

The servers come from the config file (names, groups or ``all``); each
negotiates its own protocol version unless its entry names one, and at most
``--parallel`` are talked to at a time. Results are grouped per server; a
server that fails is reported for itself and the others go on. Exit codes:
0 all ok, 1 some items failed, 5 some servers failed, 3 every server failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import click

from .cli_output import cut, flatten, plain, table
from .commands import (
    EXIT_CONNECTION,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    App,
    Command,
    Settings,
)
from .config import Config, Server, load
from .endpoint import split_host
from .errors import PleskError, TLSError

EXIT_SOME_SERVERS = 5
"""Some servers failed (refused, TLS, authentication, timeout); others answered."""


def run_fleet(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    extra: dict[str, Any],
    app: App,
) -> int:
    """Run one command on every selected server; print per server; the exit code."""
    try:  # a config problem is one line, as with --server
        fleet = app.fleet(
            list(settings.servers),
            config=settings.config,
            parallel=settings.parallel,
            timeout=settings.timeout,
            chunk_size=settings.chunk_size,
            **_overrides(settings),
        )
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None
    if not fleet.servers:
        raise click.UsageError("--servers selects no server")
    outcomes = getattr(fleet, command.operation)(**kwargs, **extra)
    records = []
    for name, outcome in outcomes.items():

        def has(cls: type, field: str, protocol: str | None = outcome.protocol) -> bool:
            return protocol is None or app.supports(protocol, cls, field)

        answers = outcome.value if isinstance(outcome.value, list) else [outcome.value]
        records.append(
            {
                "server": name,
                "protocol": outcome.protocol,
                "ok": outcome.ok,
                "seconds": round(outcome.seconds, 3),
                "error": None if outcome.error is None else str(outcome.error),
                "results": (
                    [plain(a, has) for a in answers] if outcome.error is None else []
                ),
            }
        )
    _print(settings, command, records)
    failed_servers = sum(1 for r in records if r["error"] is not None)
    if failed_servers == len(records):
        return EXIT_CONNECTION
    if failed_servers:
        return EXIT_SOME_SERVERS
    return EXIT_OK if all(r["ok"] for r in records) else EXIT_ITEMS_FAILED


def _overrides(settings: Settings) -> dict[str, Any]:
    """What the command line says for every server, over their config entries."""
    from .client import AUTO  # not at import: --help stays light

    found: dict[str, Any] = {}
    if settings.protocol and settings.protocol != AUTO:  # entries keep their own
        found["protocol"] = settings.protocol
    if settings.insecure:
        found["verify"] = False
    elif settings.ca_file:
        found["verify"] = settings.ca_file
    return found


def _print(settings: Settings, command: Command, records: list[dict[str, Any]]) -> None:
    if settings.format == "json":
        document = {
            "command": command.name,
            "ok": all(r["ok"] for r in records),
            "servers": {r.pop("server"): r for r in records},
        }
        click.echo(json.dumps(document, indent=2))
        return
    rows = []
    for record in records:
        head = {"server": record["server"], "protocol": record["protocol"] or ""}
        if record["error"] is not None:
            rows.append({**head, "status": "error", "error": cut(record["error"])})
        rows += [{**head, **flatten(result)} for result in record["results"]]
    if settings.format == "jsonl":
        for row in rows:
            click.echo(json.dumps(row))
        return
    if settings.quiet:
        failed = sum(1 for r in records if r["error"])
        click.echo(f"{len(records) - failed} server(s) answered, {failed} failed")
        return
    columns = list(settings.fields) or None
    if settings.format == "csv":
        import csv
        import sys

        names = columns or list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(
            sys.stdout, fieldnames=names, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        return
    click.echo(table(rows, columns))


# -- plesk-mail servers ---------------------------------------------------------------


def servers_command(app: App) -> click.Group:
    """``plesk-mail servers``: list the configured servers; ``servers check``: try each."""

    @click.group(name="servers", invoke_without_command=True)
    @click.pass_context
    def servers(ctx: click.Context) -> None:
        """The servers of the config file: name, where, how they log in."""
        if ctx.invoked_subcommand is not None:
            return
        settings = ctx.find_object(Settings)
        config = _config(settings)
        rows = [
            {
                "server": s.name,
                "host": s.host,
                "port": s.port or "",
                "login": s.login
                or ("(secret key)" if s.secret_kind == "secret_key" else "admin"),
                "protocol": s.protocol or "auto",
                "secret": s.describe_secret(),
                "groups": ", ".join(g for g, m in config.groups.items() if s.name in m),
            }
            for s in config.servers.values()
        ]
        click.echo(table(rows, None) if rows else f"no servers in {config.path}")

    @servers.command(name="check")
    @click.argument("names", nargs=-1)
    @click.pass_context
    def check(ctx: click.Context, names: Sequence[str]) -> None:
        """Connect to each server (or NAMES): protocol, Plesk release, round trip, TLS."""
        settings = ctx.find_object(Settings) or Settings()
        config = _config(settings)
        try:
            chosen = config.select(list(names) or ["all"])
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        results = asyncio.run(_check_all(app, chosen, settings))
        click.echo(table(results, None) if results else f"no servers in {config.path}")
        ctx.exit(
            EXIT_OK if all(r["status"] == "ok" for r in results) else EXIT_SOME_SERVERS
        )

    return servers


def _config(settings: Settings | None) -> Config:
    try:
        return load(settings.config if settings else None)
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None


async def _check_all(
    app: App, servers: list[Server], settings: Settings
) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(settings.parallel)

    async def one(server: Server) -> dict[str, Any]:
        async with gate:
            started = time.perf_counter()
            host, port = split_host(server.host, server.port)
            shown = f"[{host}]" if ":" in host else host
            row: dict[str, Any] = {"server": server.name, "at": f"{shown}:{port}"}
            try:
                client = app.connect_async(
                    server=server, protocol="auto", timeout=settings.timeout, retry=None
                )
                async with client:
                    version = client.protocol_version
                    row.update(
                        status="ok",
                        protocol=version,
                        plesk=", ".join(app.releases.get(version, ())),
                        ms=round((time.perf_counter() - started) * 1000),
                    )
            except TLSError as exc:
                row.update(status="certificate problem", error=cut(str(exc)))
            except PleskError as exc:
                row.update(status="error", error=cut(str(exc)))
            return row

    return list(await asyncio.gather(*(one(s) for s in servers)))
