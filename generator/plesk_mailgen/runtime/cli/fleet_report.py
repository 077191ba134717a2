"""What a fleet run says: per server results in one shape, errors, ledgers,
the summary and the exit code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from .commands import (
    EXIT_CONNECTION,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    App,
    Command,
    Settings,
)
from .ledger import (
    call_may_have_applied,
    drop_stdout,
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


def report(
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
        if index < len(addresses) and addresses[index]:
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
