"""A file of rows (``--from-file``) sent to one server: rows to items, items to
packets, answers to output, and the ledger of what each row did.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..base.errors import PleskError, ValidationError, shortened
from .commands import (
    EXIT_CONNECTION,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    App,
    Command,
    RowError,
    Settings,
)
from .connection import connect, fail
from .ledger import (
    RowLedger,
    call_ledger,
    call_may_have_applied,
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    tell,
)
from .output import Output
from .rows import ERROR, Rows
from .shape import ADDRESS, SERVER, Shape
from .values import (
    check_versions,
    item_of,
    option_problem,
    row_values,
)


def shape_of(
    command: Command, app: App, bulk: bool, servers: bool, addresses: bool = False
) -> Shape:
    """The columns of the command's output (the same in every format)."""
    result = getattr(app.models, command.result_class) if command.result_class else None
    return Shape(result, app.inputs, bulk=bulk, servers=servers, addresses=addresses)


class FileJob:
    """One command against one server, accounting for everything it sends."""

    def __init__(
        self, settings: Settings, command: Command, app: App, skip_existing: bool
    ) -> None:
        self.settings = settings
        self.command = command
        self.app = app
        self.writes = not command.read_only
        self.already_done = command.already_done if skip_existing else None
        resume = "--skip-existing" if command.already_done is not None else ""
        self.ledger = RowLedger(command.name, writes=self.writes, resume=resume)
        self.out: Output | None = None
        self.stage = "before"
        """Of a single call: ``before`` it is made, ``calling``, ``answered``."""
        self.answers: list[Any] = []
        self.fleet: list[str] | None = None
        """The servers of ``--servers``, for a file whose rows name theirs."""
        self.targets: dict[int, str] = {}
        """File row -> the server its ``server`` cell names (fleets only)."""
        self.addresses: tuple[str, ...] = ()
        """The accounts named by address as arguments: a column of the output."""

    def has(self, cls: type, name: str) -> bool:
        return self.app.supports(self.settings.protocol, cls, name)

    def run(
        self,
        kwargs: dict[str, Any],
        extra: dict[str, Any],
        values: dict[str, Any],
        rows: Rows | None,
        start_at: int | None,
        negotiate: bool,
    ) -> int:
        try:
            client = connect(self.settings, self.app)
            with client:
                if negotiate:
                    self.settings.protocol = client.protocol_version
                    check_versions(
                        self.command, values, self.settings.protocol, self.app
                    )
                self.out = Output(
                    self.settings.format,
                    command=self.command.name,
                    protocol=self.settings.protocol,
                    fields=self.settings.fields,
                    shape=shape_of(
                        self.command,
                        self.app,
                        rows is not None,
                        False,
                        bool(self.addresses) or _by_address(rows),
                    ),
                    quiet=self.settings.quiet,
                    mask=client.mask,
                    already_done=self.already_done,
                )
                if rows is not None:
                    return self._bulk(client, kwargs, rows, start_at)
                return self._single(client, kwargs, extra)
        except (KeyboardInterrupt, BrokenPipeError) as stop:
            return self._stop(stop, rows is not None)

    # -- one request ----------------------------------------------------------

    def _single(
        self, client: Any, kwargs: dict[str, Any], extra: dict[str, Any]
    ) -> int:
        assert self.out is not None
        method = getattr(client, self.command.operation)
        try:
            self.stage = "calling"
            answer = method(**kwargs, **extra)
            self.answers = answer if isinstance(answer, list) else [answer]
            self.stage = "answered"
        except ValidationError as exc:
            fail(option_message(self.command, str(exc), exc), EXIT_USAGE)
        except PleskError as exc:
            return self._stop(exc, bulk=False)
        answers = self.answers
        self.out.results(answers, None, self.has, self.addresses)
        self.out.finish()
        return EXIT_ITEMS_FAILED if self.out.failed else EXIT_OK

    # -- a file of rows -------------------------------------------------------

    def _row_items(
        self, kwargs: dict[str, Any], rows: Rows, start_at: int | None
    ) -> Iterator[tuple[int, Any]]:
        """``(row, item)`` of every row that makes a valid item; the others are reported."""
        command, app, out = self.command, self.app, self.out
        assert out is not None
        request_class = app.models.OPERATIONS[command.operation][0]
        protocol = self.settings.protocol
        taken = {o.column for o in command.item_options} | {ADDRESS, SERVER}
        noted: set[str] = set(rows.columns or ())  # the header's were noted
        for number, row in rows:
            if start_at is not None and number < start_at:
                continue
            ignored = sorted(set(row) - taken - noted - {ERROR} & app.outputs)
            if ignored:  # JSON lines have no header: noted as they appear
                noted.update(ignored)
                click.echo(
                    f"plesk-mail: ignoring {', '.join(ignored)} (output that "
                    f"{command.name} does not take)",
                    err=True,
                )
            try:
                if ERROR in row:
                    raise RowError(row[ERROR])
                self._target(number, row)
                typed = rows.format == "jsonl"
                values = row_values(command, row, protocol, app, typed)
                item = item_of(command, app, values, in_file=True)
                app.validate(
                    row_request(command, request_class, kwargs, item), protocol
                )
            except RowError as exc:
                out.bad_row(number, str(exc))
                continue
            except ValidationError as exc:
                out.bad_row(number, row_problem(command, exc))
                continue
            except click.UsageError as exc:
                out.bad_row(number, exc.format_message())
                continue
            yield number, item

    def _target(self, number: int, row: dict[str, Any]) -> None:
        """A row's ``server`` cell (a fleet's export): with ``--servers`` the row
        goes there only; a run on one server refuses a row meant for another.
        A file with a ``server`` column names the server in every row: an empty
        cell is refused, never read as "every server"."""
        if SERVER not in row:
            return
        cell = row[SERVER]
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            raise RowError("server: empty; name the server this row goes to")
        if not isinstance(cell, str):
            raise RowError(f"server: a name (text), not {type(cell).__name__}")
        named, fleet, settings = str(cell), self.fleet, self.settings
        if fleet is not None:
            if named not in fleet:
                raise RowError(
                    f"server {named} is not one of --servers ({', '.join(fleet)})"
                )
            self.targets[number] = named
        elif named != settings.server:
            raise RowError(
                f"server {named}: this run is on {settings.server or settings.host}; "
                "--servers sends each row to the server it names"
            )

    def _bulk(
        self, client: Any, kwargs: dict[str, Any], rows: Rows, start_at: int | None
    ) -> int:
        """Send the rows a packet at a time, keeping the ledger current."""
        out, ledger = self.out, self.ledger
        assert out is not None
        method = getattr(client, self.command.operation)
        show = sys.stderr.isatty() and not self.settings.quiet
        sent = 0
        try:
            for chunk in in_chunks(
                self._row_items(kwargs, rows, start_at), self.settings.chunk_size
            ):
                numbers = [number for number, _ in chunk]
                ledger.sending(numbers)
                answer = method(
                    **kwargs, **{str(self.command.item_field): [i for _, i in chunk]}
                )
                ledger.answered(numbers)
                named = [address_of(item) for _, item in chunk]
                out.results(answer, numbers, self.has, named)
                sent += len(chunk)
                if show:
                    click.echo(
                        f"\r{self.command.name}: {sent} row(s) sent", err=True, nl=False
                    )
            if show and sent:
                click.echo(err=True)
        except ValidationError as exc:
            return self._stop(exc, bulk=True, code=EXIT_USAGE)
        except PleskError as exc:
            return self._stop(exc, bulk=True)
        except click.UsageError as exc:  # found mid-file (a pipe is read only once)
            code = None if ledger.anything_sent else EXIT_USAGE
            return self._stop(exc, bulk=True, code=code)
        if not rows.read:
            fail(f"{rows.path} has no rows", EXIT_USAGE)
        out.finish()
        return EXIT_ITEMS_FAILED if out.failed or out.bad else EXIT_OK

    # -- however it ends ------------------------------------------------------

    def _stop(self, stop: BaseException, bulk: bool, code: int | None = None) -> int:
        """Finish a run that did not end normally: the ledger, then the exit code."""
        with held_signals():
            self.settings.accounted = True
            return self._account(stop, bulk, code)

    def _account(self, stop: BaseException, bulk: bool, code: int | None) -> int:
        if isinstance(stop, BrokenPipeError):
            drop_stdout()
        if bulk:
            line = self.ledger.line(stop)
            record = self.ledger.stopped(stop)
            exit_code = code or self.ledger.exit_code(stop)
        else:
            line, record, exit_code = self._single_ledger(stop)
        if self.out is not None and not isinstance(stop, BrokenPipeError):
            try:
                self.out.finish(record)
            except BrokenPipeError:
                drop_stdout()
        reason = reason_of(stop)
        if isinstance(stop, click.UsageError):
            reason = stop.format_message()
        if isinstance(stop, ValidationError):
            reason = option_message(self.command, reason, stop)
        tell(f"error: {shortened(reason, 500)}" + (f"; {line}" if line else ""))
        return exit_code

    def _single_ledger(self, stop: BaseException) -> tuple[str, dict[str, Any], int]:
        name = self.command.name
        if self.stage == "before":  # stopped before the request was handed over
            record = {"reason": reason_of(stop), "may_have_applied": False}
            return (
                f"the {name} was not sent",
                record,
                stop_code(stop) or EXIT_CONNECTION,
            )
        if self.stage == "answered":  # the answer is in: its items say what happened
            ok = sum(1 for a in self.answers if getattr(a, "ok", True))
            failed = len(self.answers) - ok
            record = {"reason": reason_of(stop), "ok": ok, "failed": failed}
            line = f"the {name} was answered: {ok} item(s) ok, {failed} failed"
            return line, record, stop_code(stop) or EXIT_STOPPED
        maybe = call_may_have_applied(stop, writes=self.writes)
        line = call_ledger(self.command.operation, stop, writes=self.writes)
        record = {"reason": reason_of(stop), "may_have_applied": maybe}
        code = stop_code(stop) or (EXIT_STOPPED if maybe else EXIT_CONNECTION)
        return line, record, code


def _by_address(rows: Rows | None) -> bool:
    """A file whose header has an ``address`` column: its output has one too."""
    return rows is not None and ADDRESS in (rows.columns or ())


def address_of(item: Any) -> str:
    """The address an item names its account by (``info@example.com``), or ''."""
    name = item if isinstance(item, str) else getattr(item, "name", None)
    return str(name) if name and "@" in str(name) else ""


def row_request(
    command: Command, request_class: Any, kwargs: dict[str, Any], item: Any
) -> Any:
    """The request one row makes, to check it as the schema would: a site named by
    domain (or by the row's address) stands in with a placeholder id."""
    from ..engine.addressing import (
        Address,
        is_address,
        item_name,
        renamed,
        split_address,
    )

    fields = {f.name for f in dataclasses.fields(request_class)}
    values = {k: v for k, v in kwargs.items() if k in fields}
    if command.site_field is not None and values.get(command.site_field) is None:
        values[command.site_field] = 1
    address = Address("name" if command.item_class is not None else None, ())
    name = item_name(item, address)
    if is_address(name):
        item = renamed(item, address, split_address(str(name))[0])
    return request_class(**{**values, str(command.item_field): [item]})


def option_message(command: Command, text: str, exc: ValidationError) -> str:
    """A validation error in the words of the command line (``--site-id``, not ``site_id``)."""
    return option_problem(command, exc.path, exc.problem) or text


def row_problem(command: Command, exc: ValidationError) -> str:
    """``mailbox-quota: must be at least -1`` from ``create.mailnames[0].mailbox.quota``."""
    marker = f".{command.item_field}[0]"
    _, found, rest = exc.path.partition(marker)
    if not found:
        return option_problem(command, exc.path, exc.problem) or str(exc)
    path = tuple(part for part in rest.split(".") if part)
    for option in command.item_options:
        if option.path == path:
            return f"{option.column}: {exc.problem}"
    return f"{'.'.join(path) or command.item_field}: {exc.problem}"


def in_chunks(
    pairs: Iterator[tuple[int, Any]], size: int
) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
