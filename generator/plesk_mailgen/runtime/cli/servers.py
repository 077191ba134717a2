"""``plesk-mail servers``: list the configured servers; ``servers check`` tries each.

Read from the config file only; ``check`` asks each server for its protocol
versions and its Plesk release, in parallel, and reports one row per server.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..base.errors import ConfigurationError, PleskError, TLSError
from .commands import (
    EXIT_OK,
    App,
    Settings,
)
from .complete import complete_server_names
from .ledger import (
    ALL_STOPS,
)
from .output import (
    apply_output,
    output_options,
    print_rows,
)

if TYPE_CHECKING:  # asyncio and the config are loaded by the commands that use them
    from ..fleet.config import Config, Server

from .fleet import overrides
from .fleet_report import EXIT_SOME_SERVERS


def servers_command(app: App) -> click.Group:
    """``plesk-mail servers``: list the configured servers; ``servers check``: try each."""

    def formatted(**values: Any) -> Settings:
        settings = click.get_current_context().find_object(Settings) or Settings()
        apply_output(settings, values, dry_run=False)
        return settings

    @click.group(
        name="servers", invoke_without_command=True, params=output_options(False)
    )
    @click.pass_context
    def servers(ctx: click.Context, /, **values: Any) -> None:
        """The servers of the config file: name, where, how they log in."""
        settings = formatted(**values)
        if ctx.invoked_subcommand is not None:
            return
        config = _config(settings)
        rows = [_listed(s, config) for s in config.servers.values()]
        if settings.quiet:
            click.echo(f"{len(rows)} server(s) in {config.path}")
        elif not rows and settings.format == "table":
            click.echo(f"no servers in {config.path}")
        else:
            print_rows(rows, settings.format, settings.fields, LISTED)

    @servers.command(name="check", params=output_options(False))
    @click.argument("names", nargs=-1, shell_complete=complete_server_names)
    @click.pass_context
    def check(ctx: click.Context, /, names: Sequence[str], **values: Any) -> None:
        """Connect to each server (or NAMES): protocol, Plesk release, round trip, TLS."""
        settings = formatted(**values)
        config = _config(settings)
        try:
            chosen = config.select(list(names) or ["all"])
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        import asyncio

        from ..fleet.servers import stoppable

        results = asyncio.run(stoppable(_check_all(app, chosen, settings), ALL_STOPS))
        if settings.quiet:  # the same in every format: the summary only
            ok = sum(r["status"] == "ok" for r in results)
            click.echo(f"{ok} server(s) ok, {len(results) - ok} failed")
        elif results or settings.format != "table":
            print_rows(results, settings.format, settings.fields, CHECKED)
        else:
            click.echo(f"no servers in {config.path}")
        ctx.exit(
            EXIT_OK if all(r["status"] == "ok" for r in results) else EXIT_SOME_SERVERS
        )

    return servers


def _config(settings: Settings | None) -> Config:
    from ..fleet.config import load

    try:
        return load(settings.config if settings else None)
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None


LISTED = ("server", "host", "port", "login", "protocol", "secret", "groups", "status")
"""The columns of ``plesk-mail servers``, in every format."""
CHECKED = ("server", "at", "status", "protocol", "plesk", "ms", "error")
"""The columns of ``plesk-mail servers check``, in every format."""


def _listed(server: Server, config: Config) -> dict[str, Any]:
    """One line of ``plesk-mail servers``: never a secret, nor a command that may hold one."""
    row: dict[str, Any] = dict.fromkeys(LISTED)
    row["server"] = server.name
    if server.problem is not None:
        row["status"] = f"unusable: {server.problem}"
        return row
    row.update(
        host=server.host,
        port=server.port,
        login=server.login
        or ("(secret key)" if server.secret_kind == "secret_key" else "admin"),
        protocol=server.protocol or "auto",
        secret=server.describe_secret(),
        groups=[g for g, m in config.groups.items() if server.name in m],
        status="ok",
    )
    return row


async def _check_all(
    app: App, servers: list[Server], settings: Settings
) -> list[dict[str, Any]]:
    import asyncio

    gate = asyncio.Semaphore(settings.parallel)

    async def one(server: Server) -> dict[str, Any]:
        async with gate:
            row: dict[str, Any] = dict.fromkeys(CHECKED)
            row.update(server=server.name, at=_at(server))
            try:
                if server.problem is not None:
                    raise ConfigurationError(server.problem)
                secret = await server.secret_async()
                started = time.perf_counter()  # the round trip, not the command
                client = app.connect_async(
                    server=server,
                    protocol="auto",
                    timeout=settings.timeout,
                    retry=None,
                    **({secret[0]: secret[1]} if secret else {}),
                    **{k: v for k, v in overrides(settings).items() if k == "verify"},
                )
                async with client:
                    version = _pinned(server, settings) or client.protocol_version
                    ms = round((time.perf_counter() - started) * 1000)
                    spoken = client.server_protocols
                    if version not in spoken:
                        raise PleskError(
                            f"protocol {version} is pinned, which the server does "
                            f"not speak (it speaks {', '.join(spoken)}); pin one of "
                            "those, or leave the protocol out to negotiate"
                        )
                    said = await _plesk_version(client, version)
                    from ..engine.negotiate import release

                    row.update(
                        status="ok",
                        protocol=version,
                        plesk=release(said, app.releases.get(version, ())),
                        ms=ms,
                    )
            except TLSError as exc:  # whole: a table cuts it, machines read it all
                row.update(status="certificate problem", error=str(exc))
            except PleskError as exc:
                row.update(status="error", error=str(exc))
            except Exception as exc:  # one server's surprise is not everyone's
                row.update(status="error", error=f"{type(exc).__name__}: {exc}")
            return row

    return list(await asyncio.gather(*(one(s) for s in servers)))


def _pinned(server: Server, settings: Settings) -> str | None:
    """The version commands will speak to ``server`` if one is pinned: a typed
    ``--protocol`` (over every entry), else the entry's own."""
    typed = settings.protocol_typed
    if typed:
        return None if typed == "auto" else typed
    return None if server.protocol in (None, "auto") else server.protocol


async def _plesk_version(client: Any, version: str) -> str | None:
    """What product version the server says it runs (``None`` if it does not say)."""
    from ..engine.negotiate import plesk_version_in, stat_packet

    try:
        data = await client.transport.post(stat_packet(version), "server.get")
    except PleskError:
        return None
    return plesk_version_in(data, client.transport.max_response_size)


def _at(server: Server) -> str:
    from ..transport.endpoint import split_host

    try:
        host, port = split_host(server.host, server.port)
    except PleskError:
        return server.host
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"
