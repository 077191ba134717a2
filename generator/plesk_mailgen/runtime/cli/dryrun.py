"""``--dry-run``: what a command would send, checked as it would be, sent nowhere."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from ..base.errors import ValidationError
from .commands import (
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    App,
    Command,
    Settings,
)
from .connection import fail
from .filejob import FileJob, in_chunks, option_message
from .fleet_rows import fleet_rows, selected_servers
from .output import Output
from .rows import Rows


def dry_run(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows | None,
    start_at: int | None,
    app: App,
    note: str = "",
) -> NoReturn:
    """Print the packets the command would send (secrets masked) and stop.

    With ``--servers``, rows go where their ``server`` cell says (else to every
    server selected), and the count is of packets over all servers.
    """
    from ..base.xml import indented
    from ..transport.http import mask_secrets

    out = Output(
        "table", command=command.name, protocol=settings.protocol, stream=sys.stderr
    )
    job = FileJob(settings, command, app, False)
    job.out = out
    fleet = selected_servers(settings) if settings.servers else None
    servers: list[str | None] = [*fleet] if fleet else [None]
    valid = 0
    if rows is None:
        groups = {tuple(servers): [(0, None)]}
    else:
        job.fleet = fleet
        pairs = fleet_rows(job, kwargs, rows, start_at)
        valid = len(pairs)
        groups = _by_server(pairs, job.targets, servers)
    _no_domains(command, kwargs, groups)
    if note:  # the version it checks against, once nothing stops it
        click.echo(note, err=True)
    packets = 0
    reached: set[str] = set()
    try:
        for where, pairs in groups.items():
            for request in _requests(command, app, kwargs, pairs, settings.chunk_size):
                app.validate(request, settings.protocol)
                packets += len(where)
                reached.update(s for s in where if s is not None)
                if not settings.quiet:
                    if where != (None,):
                        click.echo(f"# to {', '.join(map(str, where))}", err=True)
                    packet = app.encode([request], settings.protocol)
                    click.echo(indented(mask_secrets(packet)))
    except ValidationError as exc:
        fail(option_message(command, str(exc), exc), EXIT_USAGE)
    _summary(settings, rows is not None, out, packets, valid, len(reached))
    sys.exit(EXIT_ITEMS_FAILED if out.bad else EXIT_OK)


def _by_server(
    pairs: list[tuple[int, Any]], targets: dict[int, str], servers: list[str | None]
) -> dict[tuple[Any, ...], list[tuple[int, Any]]]:
    """Rows grouped by where they would go: their server, or every one selected."""
    if not targets:
        return {tuple(servers): pairs}
    groups: dict[tuple[Any, ...], list[tuple[int, Any]]] = {}
    for number, item in pairs:
        groups.setdefault((targets[number],), []).append((number, item))
    return groups


def _requests(
    command: Command,
    app: App,
    kwargs: dict[str, Any],
    pairs: list[tuple[int, Any]],
    chunk_size: int,
) -> Iterator[Any]:
    request_class = app.models.OPERATIONS[command.operation][0]
    if pairs == [(0, None)]:  # no file: the one request of the options
        yield request_class(**kwargs)
        return
    for chunk in in_chunks(iter(pairs), chunk_size):
        yield request_class(
            **{**kwargs, str(command.item_field): [i for _, i in chunk]}
        )


def _no_domains(
    command: Command,
    kwargs: dict[str, Any],
    groups: dict[tuple[Any, ...], list[tuple[int, Any]]],
) -> None:
    """A site named by domain needs a server to say its id: a dry run asks none."""
    named = kwargs.get("site") or kwargs.get("sites")
    if isinstance(named, list):
        named = named[0] if named else None
    items = [*(kwargs.get(str(command.item_field)) or [])]
    items += [item for pairs in groups.values() for _, item in pairs if item]
    names = [i if isinstance(i, str) else getattr(i, "name", None) for i in items]
    address = next((str(n) for n in names if n and "@" in str(n)), None)
    if named is None and address is None:
        return
    domain = str(named) if named else str(address).rpartition("@")[2]
    if named:
        advice = "give --site-id instead of --site"
    else:
        advice = "give --site-id and the mail name (--name, or a name column)"
    what = f"site {domain}" if named else f"address {address}"
    fail(
        f"--dry-run: the {what} names its site by domain, and a dry run asks no "
        f"server for its id; {advice} (plesk-mail sites {domain} tells the id)",
        EXIT_USAGE,
    )


def _summary(
    settings: Settings,
    bulk: bool,
    out: Output,
    packets: int,
    valid: int,
    servers: int,
) -> None:
    if not (bulk or settings.quiet):
        return
    summary = f"dry run: {packets} packet(s) would be sent"
    if settings.servers:
        summary += f" to {servers} server(s)"
    if bulk:
        numbers = [str(r["row"]) for r in sorted(out.bad_rows, key=lambda r: r["row"])]
        refused = ", ".join(numbers[:20]) or "none"
        refused += f" and {len(numbers) - 20} more" if len(numbers) > 20 else ""
        summary += f"; {valid} row(s) valid, {out.bad} refused (rows: {refused})"
    click.echo(summary, err=not settings.quiet)
