"""``plesk-mail sites example.com`` and ``plesk-mail --servers all where example.com``.

``sites`` shows what Plesk knows of each domain name (its site id, the
subscription's id, its status), on one server or on every server of a fleet;
``where`` says which server of a fleet hosts each name. A name no server has
is one line on stderr and exit 1. Both only read.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..base.errors import PleskError
from .commands import EXIT_CONNECTION, EXIT_ITEMS_FAILED, EXIT_OK, App, Settings
from .output import apply_output, output_options, print_rows


def sites_command(app: App) -> click.Command:
    @click.command(name="sites", params=output_options(dry_run=False))
    @click.argument("names", nargs=-1, required=True)
    @click.pass_context
    def sites(ctx: click.Context, /, names: Sequence[str], **values: Any) -> None:
        """Each domain name's site: its id (what --site-id takes), subscription, status.

        Example: plesk-mail sites example.com shop.example.net
        """
        settings = ctx.find_object(Settings) or Settings()
        apply_output(settings, values, dry_run=False)
        found, silent = _lookup(app, settings, list(names))
        rows = [_row(server, site) for server, site in found]
        lead = ("server",) if settings.servers else ()
        if settings.quiet:
            click.echo(f"{len(rows)} site(s) found")
        else:
            print_rows(rows, settings.format, settings.fields, (*lead, *SITE_COLUMNS))
        ctx.exit(_exit_code(names, found, silent))

    return sites


def where_command(app: App) -> click.Command:
    @click.command(name="where", params=output_options(dry_run=False))
    @click.argument("names", nargs=-1, required=True)
    @click.pass_context
    def where(ctx: click.Context, /, names: Sequence[str], **values: Any) -> None:
        """Which server of the fleet (--servers) hosts each domain name.

        Example: plesk-mail --servers all where example.com
        """
        settings = ctx.find_object(Settings) or Settings()
        apply_output(settings, values, dry_run=False)
        if not settings.servers:
            raise click.UsageError("where asks the servers of --servers")
        from ..engine.addressing import ascii_name

        found, silent = _lookup(app, settings, list(names))
        by_name: dict[str, list[str]] = {}
        for name in names:  # in the order asked
            for server, site in found:
                if site.ascii_name.casefold() == ascii_name(name).casefold():
                    by_name.setdefault(site.name, []).append(str(server))
        rows = [{"name": name, "servers": servers} for name, servers in by_name.items()]
        if settings.quiet:
            click.echo(f"{len(rows)} name(s) found")
        else:
            print_rows(rows, settings.format, settings.fields, ("name", "servers"))
        twice = [n for n, servers in by_name.items() if len(servers) > 1]
        for name in twice:
            click.echo(f"plesk-mail: {name} is on more than one server", err=True)
        code = _exit_code(names, found, silent)
        ctx.exit(code or (EXIT_ITEMS_FAILED if twice else EXIT_OK))

    return where


SITE_COLUMNS = ("name", "ascii_name", "id", "webspace_id", "status")


def _row(server: str | None, site: Any) -> dict[str, Any]:
    row = {
        "name": site.name,
        "ascii_name": site.ascii_name,
        "id": site.id,
        "webspace_id": site.webspace_id,
        "status": site.status,
    }
    return {"server": server, **row} if server is not None else row


def _exit_code(
    names: Sequence[str], found: list[tuple[str | None, Any]], silent: int
) -> int:
    """Exit code: 5 when some servers did not answer (each said on stderr: a
    name may be there), else 1 (a line each) for the names no site has."""
    from .fleet_report import EXIT_SOME_SERVERS

    missing = _missing(names, found)
    return EXIT_SOME_SERVERS if silent else missing


def _missing(names: Sequence[str], found: list[tuple[str | None, Any]]) -> int:
    """Exit code: 1 (a line each) for the names no site has."""
    from ..engine.addressing import ascii_name

    known = {site.ascii_name.casefold() for _, site in found}
    missing = [n for n in names if ascii_name(n).casefold() not in known]
    for name in missing:
        click.echo(f"plesk-mail: no site named {name}", err=True)
    return EXIT_ITEMS_FAILED if missing else EXIT_OK


def _lookup(
    app: App, settings: Settings, names: list[str]
) -> tuple[list[tuple[str | None, Any]], int]:
    """``(server, Site)`` of each name found: on the one server, or on each of a
    fleet; and how many servers did not answer."""
    from ..engine.addressing import ascii_name, site_of

    try:
        asked = [ascii_name(name) for name in names]
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None
    if settings.servers:
        return _on_fleet(app, settings, asked)
    from .connection import connect, fail

    settings.protocol = settings.protocol or app.auto
    client = connect(settings, app)
    try:
        with client:
            results = client.get_sites(names=asked, gen_info=True)
    except PleskError as exc:
        fail(str(exc), EXIT_CONNECTION)
    return [(None, site_of(r)) for r in results if r.ok], 0


def _on_fleet(
    app: App, settings: Settings, asked: list[str]
) -> tuple[list[tuple[str | None, Any]], int]:
    from ..engine.addressing import site_of
    from .fleet import open_fleet

    fleet = open_fleet(settings, app)
    outcomes = fleet.get_sites(names=asked, gen_info=True)
    found: list[tuple[str | None, Any]] = []
    failed = 0
    for name, outcome in outcomes.items():
        if outcome.error is not None:
            failed += 1
            click.echo(f"plesk-mail: {name}: {outcome.error}", err=True)
            continue
        found += [(name, site_of(r)) for r in outcome.value if r.ok]
    if failed == len(outcomes):
        sys.exit(EXIT_CONNECTION)
    return found, failed
