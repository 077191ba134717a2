"""``plesk-mail --servers ...``: one command on many servers.

The servers come from the config file (names, groups or ``all``); each
negotiates its own protocol version unless its entry names one, and at most
``--parallel`` are talked to at a time. Results are grouped per server; a
server that fails is reported for itself and the others go on. Exit codes:
0 all ok, 1 some items failed, 5 some servers failed, 3 every server failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ..base.errors import PleskError
from .commands import (
    EXIT_CONNECTION,
    EXIT_USAGE,
    App,
    Command,
    Settings,
)
from .fleet_report import report
from .ledger import ALL_STOPS, held_signals, load_quietly


def run_fleet(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    extra: dict[str, Any],
    app: App,
    already_done: int | None = None,
    rows: list[tuple[int, Any]] | None = None,
    targets: dict[int, str] | None = None,
    refused: Sequence[dict[str, Any]] = (),
    addresses: Sequence[str] = (),
) -> int:
    """Run one command on every selected server; print per server; the exit code.

    ``refused`` are the rows of a file refused before anything was sent: in
    the summary and the JSON document, and exit code 1 if nothing else failed.

    However the run ends, each server that did not answer gets a line on
    stderr saying whether the command may have been applied there.
    """
    fleet = open_fleet(settings, app)
    fleet.stop_signals = ALL_STOPS  # handled in the event loop, never inside a task
    stop: BaseException | None = None
    numbers: dict[str, list[int]] | None = None
    try:
        if targets and rows is not None:  # each row goes to the server it names
            numbers, work = _by_target(fleet, command, kwargs, rows, targets)
            outcomes = fleet.each(command.operation, work)
        else:
            outcomes = getattr(fleet, command.operation)(**kwargs, **extra)
    except KeyboardInterrupt as interrupt:
        stop, outcomes = interrupt, getattr(interrupt, "outcomes", {})
    except PleskError as exc:  # the call named domains it could not route: none sent
        from ..fleet.routing import AmbiguousSiteError

        code = EXIT_USAGE if isinstance(exc, AmbiguousSiteError) else EXIT_CONNECTION
        click.echo(f"plesk-mail: error: {exc}; nothing was sent", err=True)
        settings.accounted = True
        return code
    with held_signals():
        settings.accounted = True
        plan = fleet.last_plan
        if numbers is None:
            numbers = _row_numbers(command, kwargs, rows, plan, outcomes)
        items = list(enumerate(kwargs.get(str(command.item_field)) or []))
        typed = items if addresses else None  # accounts typed by address
        named = _row_addresses(rows, numbers) or _row_addresses(
            typed, _row_numbers(command, kwargs, typed, plan, outcomes)
        )
        return report(
            settings,
            command,
            app,
            outcomes,
            stop,
            already_done,
            numbers,
            refused,
            named,
        )


def _by_target(
    fleet: Any,
    command: Command,
    kwargs: dict[str, Any],
    rows: list[tuple[int, Any]],
    targets: dict[int, str],
) -> tuple[dict[str, list[int]], dict[str, dict[str, Any]]]:
    """Each named server's rows (their numbers) and its call's arguments."""
    field = str(command.item_field)
    numbers = {
        s.name: [n for n, _ in rows if targets[n] == s.name]
        for s in fleet.servers
        if s.name in targets.values()
    }
    work = {
        name: {**kwargs, field: [i for n, i in rows if targets[n] == name]}
        for name in numbers
    }
    return numbers, work


def open_fleet(settings: Settings, app: App) -> Any:
    """The fleet ``--servers`` selects; a config problem is one line, as with --server."""
    package = app.connect.__module__
    load_quietly(f"{package}._fleet", f"{package}.runtime.transport.http", "asyncio")
    try:
        fleet = app.fleet(
            list(settings.servers),
            config=settings.config,
            parallel=settings.parallel,
            timeout=settings.timeout,
            chunk_size=settings.chunk_size,
            **overrides(settings),
        )
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None
    if not fleet.servers:
        raise click.UsageError("--servers selects no server")
    return fleet


def _row_numbers(
    command: Command,
    kwargs: dict[str, Any],
    rows: list[tuple[int, Any]] | None,
    plan: Any,
    outcomes: dict[str, Any],
) -> dict[str, list[int]] | None:
    """The file rows each server got, in its order (rows went where their domain is)."""
    if rows is None:
        return None
    if plan is None:  # not routed: every server got every row
        return {name: [number for number, _ in rows] for name in outcomes}
    from ..engine.addressing import Address, item_name, split_address

    address = Address("name" if command.item_class is not None else None, ())
    found: dict[str, list[int]] = {}
    for server, hosted in plan.hosted.items():
        found[server] = [
            number
            for number, item in rows
            if split_address(str(item_name(item, address)))[1] in hosted
        ]
    return found


def _row_addresses(
    rows: list[tuple[int, Any]] | None, numbers: dict[str, list[int]] | None
) -> dict[str, list[str]] | None:
    """The address of each row (of a file, or of the accounts typed) each server
    got, where they named accounts so: a column of the output."""
    from .filejob import address_of

    if not rows or not numbers:
        return None
    by_number = {number: address_of(item) for number, item in rows}
    if not any(by_number.values()):
        return None
    return {name: [by_number[n] for n in got] for name, got in numbers.items()}


def overrides(settings: Settings) -> dict[str, Any]:
    """What the command line says for every server, over their config entries."""
    found: dict[str, Any] = {}
    if settings.protocol_typed:  # typed, even 'auto': over every entry's own
        found["protocol"] = settings.protocol_typed
    if settings.insecure:
        found["verify"] = False
    elif settings.ca_file:
        found["verify"] = settings.ca_file
    return found
