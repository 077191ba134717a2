"""``plesk-mail --servers ...``: one command on many servers.

The servers come from the config file (names, groups or ``all``); each
negotiates its own protocol version unless its entry names one, and at most
``--parallel`` are talked to at a time. Results are grouped per server; a
server that fails is reported for itself and the others go on. Exit codes:
0 all ok, 1 some items failed, 5 some servers failed, 3 every server failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..base.errors import PleskError
from .commands import (
    EXIT_CONNECTION,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    App,
    Command,
    Settings,
)
from .ledger import (
    ALL_STOPS,
    call_may_have_applied,
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    tell,
)
from .output import (
    already_there,
    cut,
    plain,
    table,
)
from .shape import ADDRESS

if TYPE_CHECKING:  # asyncio and the config are loaded by the commands that use them
    pass

EXIT_SOME_SERVERS = 5
"""Some servers failed (refused, TLS, authentication, timeout); others answered."""


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
    fleet = _fleet(settings, app)
    fleet.stop_signals = ALL_STOPS  # handled in the event loop, never inside a task
    stop: BaseException | None = None
    numbers: dict[str, list[int]] | None = None
    try:
        if targets and rows is not None:  # each row goes to the server it names
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
        if numbers is None:
            numbers = _row_numbers(command, kwargs, rows, fleet.last_plan, outcomes)
        named = _addressed(addresses, fleet.last_plan, outcomes)
        return _report(
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


def _fleet(settings: Settings, app: App) -> Any:
    """The fleet ``--servers`` selects; a config problem is one line, as with --server."""
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


def _report(
    settings: Settings,
    command: Command,
    app: App,
    outcomes: dict[str, Any],
    stop: BaseException | None,
    already_done: int | None,
    numbers: dict[str, list[int]] | None = None,
    refused: Sequence[dict[str, Any]] = (),
    named: dict[str, list[str]] | None = None,
) -> int:
    records = []
    for name, outcome in outcomes.items():
        rows = (numbers or {}).get(name, [])
        addresses = (named or {}).get(name, [])
        record = _record(command, app, name, outcome, already_done, rows, addresses)
        records.append(record)
        if outcome.error is not None:
            said = _ledger_line(command, record["applied"], outcome.error, rows)
            tell(f"{name}: {_shown_error(command, outcome.error)}; {said}")
    try:
        _print(settings, command, app, records, refused)
    except BrokenPipeError as closed:
        drop_stdout()
        stop = stop or closed
    if stop is not None:
        return _stopped(command, records, stop)
    failed_servers = sum(1 for r in records if r["error"] is not None)
    if any(r["applied"] == "maybe" for r in records):
        return EXIT_STOPPED
    if failed_servers == len(records):
        return EXIT_CONNECTION
    if failed_servers:
        return EXIT_SOME_SERVERS
    ok = all(r["ok"] for r in records) and not refused
    return EXIT_OK if ok else EXIT_ITEMS_FAILED


def _record(
    command: Command,
    app: App,
    name: str,
    outcome: Any,
    already_done: int | None,
    rows: list[int],
    addresses: Sequence[str] = (),
) -> dict[str, Any]:
    """One server's part of the report: its results, or its error."""

    def has(cls: type, field: str, protocol: str | None = outcome.protocol) -> bool:
        return protocol is None or app.supports(protocol, cls, field)

    answers = outcome.value if isinstance(outcome.value, list) else [outcome.value]
    error = outcome.error
    results = []
    for index, answer in enumerate(answers if error is None else []):
        result = plain(answer, has, _mask_of(outcome))
        if already_there(answer, already_done):
            result["status"] = "exists"
        if index < len(addresses):
            result = {ADDRESS: addresses[index], **result}
        if index < len(rows):
            result = {"row": rows[index], **result}
        results.append(result)
    return {
        "server": name,
        "protocol": outcome.protocol,
        "ok": error is None
        and all(r.get("status", "ok") in ("ok", "exists") for r in results),
        "seconds": round(outcome.seconds, 3),
        "error": None if error is None else str(error),
        "applied": _applied(outcome, not command.read_only),
        "results": results,
    }


def _stopped(
    command: Command, records: list[dict[str, Any]], stop: BaseException
) -> int:
    """A run stopped while reporting: say what the output could not."""
    for record in records:
        if record["error"] is None and not command.read_only:
            done = sum(1 for r in record["results"] if r.get("status") != "error")
            tell(
                f"{record['server']}: the {command.name} was answered there: "
                f"{done} item(s) ok, {len(record['results']) - done} failed"
            )
    tell(f"error: {reason_of(stop)}")
    return stop_code(stop) or EXIT_STOPPED


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


def _addressed(
    addresses: Sequence[str], plan: Any, outcomes: dict[str, Any]
) -> dict[str, list[str]] | None:
    """The addresses each server answered for, in its order (each went where
    its domain is), so every result row names its account whole."""
    if not addresses:
        return None
    if plan is None:
        return {name: list(addresses) for name in outcomes}
    from ..engine.addressing import split_address

    return {
        server: [a for a in addresses if split_address(a)[1] in hosted]
        for server, hosted in plan.hosted.items()
    }


def _applied(outcome: Any, writes: bool) -> str | None:
    """``"yes"`` (answered), ``"maybe"`` (sent, no complete answer), ``"no"``; ``None``
    for a command that changes nothing."""
    if not writes:
        return None
    if outcome.error is None:
        return "yes"
    if not outcome.started:
        return "no"
    return "maybe" if call_may_have_applied(outcome.error, writes=True) else "no"


def _ledger_line(
    command: Command, applied: str | None, error: Any, rows: list[int]
) -> str:
    """What a server that did not answer had done: by file row where there are rows."""
    if applied is None:
        return "nothing to apply"
    if applied == "no":
        return f"the {command.name} was not applied there"
    progress = getattr(error, "progress", None) or []
    if not rows or len(progress) != 1:
        return f"the {command.name} was sent there and may or may not have been applied"
    [call] = progress
    pending = {*call.in_flight, *call.unsent}
    answered = [row for index, row in enumerate(rows) if index not in pending]
    flight = [rows[i] for i in call.in_flight if i < len(rows)]
    unsent = [rows[i] for i in call.unsent if i < len(rows)]
    parts = [
        f"rows {_span(answered)} were answered" if answered else "no row was answered"
    ]
    if flight:
        parts.append(
            f"rows {_span(flight)} were sent and may or may not have been applied"
        )
    if unsent:
        parts.append(f"rows {_span(unsent)} were not sent")
    if command.already_done is not None:
        parts.append("to finish, run the file again with --skip-existing")
    return "; ".join(parts)


def _span(rows: list[int]) -> str:
    return f"{rows[0]}-{rows[-1]}" if len(rows) > 1 else str(rows[0])


def _shown_error(command: Command, error: Any) -> str:
    """An error in the words of the command line (``--site-id``, not ``site_id``)."""
    from ..base.errors import ValidationError
    from .values import option_problem

    if isinstance(error, ValidationError):
        return option_problem(command, error.path, error.problem) or str(error)
    return str(error)


def _mask_of(outcome: Any) -> Any:
    """What hides the server's secrets in its error fields (results know it)."""
    return getattr(outcome.value, "mask", str)


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


def _print(
    settings: Settings,
    command: Command,
    app: App,
    records: list[dict[str, Any]],
    refused: Sequence[dict[str, Any]] = (),
) -> None:
    """The servers' results in the columns one server would have, ``server`` first."""
    counts = _counts(records, refused)
    if settings.quiet:  # the same in every format: the summary only
        click.echo(_summary(counts, len(records)))
        return
    if settings.format == "json":
        document = {
            "command": command.name,
            "ok": all(r["ok"] for r in records) and not refused,
            "servers": {r.pop("server"): r for r in records},
            "failed_rows": list(refused),
            "summary": counts,
        }
        click.echo(json.dumps(document, indent=2))
        return
    from .filejob import shape_of

    results = [r for x in records for r in x["results"]]
    shape = shape_of(
        command,
        app,
        any("row" in r for r in results),
        True,
        any(ADDRESS in r for r in results),
    )
    typed = settings.format == "jsonl"
    rows = []
    for record in records:
        head = {"server": record["server"]}
        if record["error"] is not None:  # whole, where machines read it
            text = (
                record["error"] if settings.format != "table" else cut(record["error"])
            )
            rows.append({**head, "status": "error", "errtext": text})
        rows += [{**shape.row(result, typed), **head} for result in record["results"]]
    columns = list(settings.fields) or None
    if typed:
        for row in rows:
            click.echo(json.dumps({k: row.get(k) for k in columns or shape.columns}))
    elif settings.format == "csv":
        import csv
        import sys

        writer = csv.DictWriter(
            sys.stdout,
            fieldnames=columns or shape.columns,
            extrasaction="ignore",
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        click.echo(table(rows, columns, shape.columns))


def _counts(
    records: list[dict[str, Any]], refused: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Items ok and failed over every server, rows refused, servers failed."""
    items = [r for record in records for r in record["results"]]
    bad = sum(1 for r in items if r.get("status") == "error")
    return {
        "ok": len(items) - bad,
        "failed": bad,
        "bad_rows": len(refused),
        "servers_failed": sum(1 for r in records if r["error"]),
    }


def _summary(counts: dict[str, int], servers: int) -> str:
    failed = counts["servers_failed"]
    summary = (
        f"{counts['ok']} ok, {counts['failed']} failed on {servers - failed} "
        f"server(s); {failed} server(s) failed"
    )
    if counts["bad_rows"]:
        summary += f"; {counts['bad_rows']} bad row(s) not sent"
    return summary
