"""``plesk-mail --servers ...``: one command on many servers, and ``plesk-mail servers``.

The servers come from the config file (names, groups or ``all``); each
negotiates its own protocol version unless its entry names one, and at most
``--parallel`` are talked to at a time. Results are grouped per server; a
server that fails is reported for itself and the others go on. Exit codes:
0 all ok, 1 some items failed, 5 some servers failed, 3 every server failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from .cli_complete import complete_server_names
from .cli_ledger import (
    ALL_STOPS,
    call_may_have_applied,
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    tell,
)
from .cli_output import (
    already_there,
    apply_output,
    cut,
    output_options,
    plain,
    print_rows,
    table,
)
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
from .errors import ConfigurationError, PleskError, TLSError

if TYPE_CHECKING:  # asyncio and the config are loaded by the commands that use them
    from .config import Config, Server

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
) -> int:
    """Run one command on every selected server; print per server; the exit code.

    However the run ends, each server that did not answer gets a line on
    stderr saying whether the command may have been applied there.
    """
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
        from .routing import AmbiguousSiteError

        code = EXIT_USAGE if isinstance(exc, AmbiguousSiteError) else EXIT_CONNECTION
        click.echo(f"plesk-mail: error: {exc}; nothing was sent", err=True)
        settings.accounted = True
        return code
    with held_signals():
        settings.accounted = True
        if numbers is None:
            numbers = _row_numbers(command, kwargs, rows, fleet.last_plan, outcomes)
        return _report(settings, command, app, outcomes, stop, already_done, numbers)


def _report(
    settings: Settings,
    command: Command,
    app: App,
    outcomes: dict[str, Any],
    stop: BaseException | None,
    already_done: int | None,
    numbers: dict[str, list[int]] | None = None,
) -> int:
    writes = not command.read_only
    records = []
    maybe = False
    for name, outcome in outcomes.items():

        def has(cls: type, field: str, protocol: str | None = outcome.protocol) -> bool:
            return protocol is None or app.supports(protocol, cls, field)

        answers = outcome.value if isinstance(outcome.value, list) else [outcome.value]
        error = outcome.error
        applied = _applied(outcome, writes)
        maybe = maybe or applied == "maybe"
        results = []
        rows = (numbers or {}).get(name, [])
        for index, answer in enumerate(answers if error is None else []):
            result = plain(answer, has, _mask_of(outcome))
            if already_there(answer, already_done):
                result["status"] = "exists"
            if index < len(rows):
                result = {"row": rows[index], **result}
            results.append(result)
        records.append(
            {
                "server": name,
                "protocol": outcome.protocol,
                "ok": error is None
                and all(r.get("status", "ok") in ("ok", "exists") for r in results),
                "seconds": round(outcome.seconds, 3),
                "error": None if error is None else str(error),
                "applied": applied,
                "results": results,
            }
        )
        if error is not None:
            said = _ledger_line(command, applied, error, rows)
            tell(f"{name}: {_shown_error(command, error)}; {said}")
    try:
        _print(settings, command, app, records)
    except BrokenPipeError as closed:
        drop_stdout()
        stop = stop or closed
    if stop is not None:
        for record in records:  # what the output could not say
            if record["error"] is None and writes:
                done = sum(1 for r in record["results"] if r.get("status") != "error")
                tell(
                    f"{record['server']}: the {command.name} was answered there: "
                    f"{done} item(s) ok, {len(record['results']) - done} failed"
                )
        tell(f"error: {reason_of(stop)}")
        return stop_code(stop) or EXIT_STOPPED
    failed_servers = sum(1 for r in records if r["error"] is not None)
    if maybe:
        return EXIT_STOPPED
    if failed_servers == len(records):
        return EXIT_CONNECTION
    if failed_servers:
        return EXIT_SOME_SERVERS
    return EXIT_OK if all(r["ok"] for r in records) else EXIT_ITEMS_FAILED


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
    from .addressing import Address, item_name, split_address

    address = Address("name" if command.item_class is not None else None, ())
    found: dict[str, list[int]] = {}
    for server, hosted in plan.hosted.items():
        found[server] = [
            number
            for number, item in rows
            if split_address(str(item_name(item, address)))[1] in hosted
        ]
    return found


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
    from .cli_values import option_problem
    from .errors import ValidationError

    if isinstance(error, ValidationError):
        return option_problem(command, error.path, error.problem) or str(error)
    return str(error)


def _mask_of(outcome: Any) -> Any:
    """What hides the server's secrets in its error fields (results know it)."""
    return getattr(outcome.value, "mask", str)


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


def _print(
    settings: Settings, command: Command, app: App, records: list[dict[str, Any]]
) -> None:
    """The servers' results in the columns one server would have, ``server`` first."""
    if settings.quiet:  # the same in every format: the summary only
        failed = sum(1 for r in records if r["error"])
        items = [r for record in records for r in record["results"]]
        bad = sum(1 for r in items if r.get("status") == "error")
        click.echo(
            f"{len(items) - bad} ok, {bad} failed on {len(records) - failed} "
            f"server(s); {failed} server(s) failed"
        )
        return
    if settings.format == "json":
        document = {
            "command": command.name,
            "ok": all(r["ok"] for r in records),
            "servers": {r.pop("server"): r for r in records},
        }
        click.echo(json.dumps(document, indent=2))
        return
    from .cli_run import shape_of

    shape = shape_of(
        command, app, any("row" in r for x in records for r in x["results"]), True
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
        click.echo(table(rows, columns))


# -- plesk-mail servers ---------------------------------------------------------------


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

        from .fleet import stoppable

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
    from .config import load

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
                    **{k: v for k, v in _overrides(settings).items() if k == "verify"},
                )
                async with client:
                    version = client.protocol_version
                    ms = round((time.perf_counter() - started) * 1000)
                    said = await _plesk_version(client, version)
                    from .negotiate import release

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


async def _plesk_version(client: Any, version: str) -> str | None:
    """What product version the server says it runs (``None`` if it does not say)."""
    from .negotiate import plesk_version_in, stat_packet

    try:
        data = await client.transport.post(stat_packet(version), "server.get")
    except PleskError:
        return None
    return plesk_version_in(data, client.transport.max_response_size)


def _at(server: Server) -> str:
    from .endpoint import split_host

    try:
        host, port = split_host(server.host, server.port)
    except PleskError:
        return server.host
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"
