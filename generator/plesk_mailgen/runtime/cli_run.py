"""What a ``plesk-mail`` command does once parsed: one server, a file of rows, a dry run.

Options become a typed request, rows of ``--from-file`` become batch items
(validated row by row: a bad row is reported by its line and skipped), the
client sends them a packet at a time, and the results are written as they
arrive. However the run ends (done, an error, a deadline, Ctrl-C, SIGTERM,
SIGHUP, a closed output pipe), a ledger line on stderr says what was
answered, what may have been applied and what was not sent
(``cli_ledger``). Imports nothing heavy: lxml, httpx and the client load
when a command runs.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from .cli_fleet import run_fleet
from .cli_ledger import (
    RowLedger,
    call_ledger,
    call_may_have_applied,
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    tell,
)
from .cli_output import Output
from .cli_rows import ERROR, Rows
from .cli_shape import SERVER, Shape
from .cli_values import (
    ADDRESS,
    check_columns,
    check_versions,
    given,
    item_of,
    option_problem,
    row_values,
    singles,
)
from .cli_values import build as build_values
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
from .errors import PleskError, ValidationError, shortened


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"plesk-mail: error: {shortened(message, 1000)}", err=True)
    sys.exit(code)


def configure_logging(verbose: int) -> None:
    if verbose <= 0:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("plesk_mail")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose == 1 else 5)


def password_of(settings: Settings) -> str | None:
    if settings.secret_key or settings.password:
        return settings.password
    if settings.server is not None:
        from .config import load

        try:
            if load(settings.config).server(settings.server).secret_source:
                return None  # the config entry says where the secret comes from
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
    if sys.stdin.isatty():
        value: str = click.prompt(
            f"Plesk password for {settings.login or 'admin'}", hide_input=True
        )
        return value
    if settings.server is not None:  # the PLESK_* variables do not count for it
        raise click.UsageError(
            f"no password for server {settings.server!r}: give its config entry "
            "password_env, password_command or password, or use a terminal"
        )
    raise click.UsageError(
        "no password: set PLESK_PASSWORD, PLESK_SECRET_KEY or use a terminal"
    )


def _connect(settings: Settings, app: App) -> Any:
    password = password_of(settings) if not settings.secret_key else None
    try:  # no network traffic yet, unless the version is negotiated
        return app.connect(
            settings.host,
            server=settings.server,
            config=settings.config,
            login=None if settings.secret_key else settings.login,
            password=password,
            secret_key=settings.secret_key,
            protocol=settings.protocol,
            port=settings.port,
            timeout=settings.timeout,
            verify=False if settings.insecure else settings.ca_file,
            chunk_size=settings.chunk_size,
        )
    except ValidationError as exc:
        fail(str(exc), EXIT_USAGE)
    except PleskError as exc:
        if isinstance(exc, ValueError):  # a host that is no host, bad credentials
            raise click.UsageError(str(exc)) from None
        fail(str(exc), EXIT_CONNECTION)


def _confirm_everything(
    command: Command, kwargs: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """The client keyword for ``--all``; refuse an empty list without it."""
    if command.everything is None:
        return {}
    field, flag, means = command.everything
    if kwargs.get(field):
        return {}
    if not values.get("everything"):
        raise click.UsageError(
            f"{command.name}: no {field.replace('_', '-')} given, which means {means}; "
            "add --all to mean it"
        )
    asked = sys.stdin.isatty() and not values.get("yes")
    if asked and not click.confirm(f"{command.name} {means}?", err=True):
        fail(f"{command.name}: not confirmed; nothing was sent", EXIT_USAGE)
    return {flag: True}


def _protocol(settings: Settings, app: App) -> str:
    """The version to use: the option's, else a named server's, else ``auto``
    (one rule for a bare host, a named server and a fleet: see README)."""
    if settings.protocol:
        return settings.protocol
    if settings.server is not None:
        from .config import load

        try:
            entry = load(settings.config).server(settings.server)
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        return entry.protocol or app.auto
    return app.auto


def _dry_run_protocol(settings: Settings, app: App) -> str:
    """A dry run asks no server: the protocol given, the one every named server
    pins, else the newest, said on stderr."""
    if settings.protocol != app.auto:
        return settings.protocol
    if settings.servers:
        from .config import load

        try:
            entries = load(settings.config).select(settings.servers)
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        pinned = {entry.protocol for entry in entries}
        if len(pinned) == 1 and None not in pinned:
            return str(pinned.pop())
    newest = app.versions[-1]
    click.echo(
        f"plesk-mail: --dry-run: protocol {newest}, the newest (no server is "
        "asked; --protocol picks another)",
        err=True,
    )
    return newest


def _no_item_options_with_a_file(command: Command, values: dict[str, Any]) -> None:
    """Options that describe one item and a file of items contradict each other."""
    given_here = [o.flag for o in command.item_options if given(values.get(o.dest))]
    given_here += [
        f"{o.flag}-env"
        for o in command.item_options
        if o.secret and values.get(f"{o.dest}_env")
    ]
    if given_here:
        raise click.UsageError(
            f"{', '.join(given_here)} cannot be combined with --from-file: "
            "give them as columns of the file, one value per row"
        )


def run(
    settings: Settings, command: Command, values: dict[str, Any], app: App
) -> NoReturn:
    if not (settings.host or settings.server or settings.servers or settings.dry_run):
        raise click.UsageError("no host: use --host, PLESK_HOST, --server or --servers")
    settings.protocol = _protocol(settings, app)
    from_file = values.pop("from_file", None)
    file_format = values.pop("file_format", None)
    start_at = values.pop("start_at_row", None)
    skip_existing = bool(values.pop("skip_existing", False))
    addresses = tuple(values.pop("addresses", None) or ())
    if from_file is None:
        for flag, given_here in (
            ("--start-at-row", start_at),
            ("--file-format", file_format),
        ):
            if given_here is not None:
                raise click.UsageError(f"{flag} goes with --from-file")
    else:
        _no_item_options_with_a_file(command, values)
        if values.get("everything"):
            raise click.UsageError(
                "--all goes without --from-file (its rows name items)"
            )
        if addresses:
            raise click.UsageError("addresses go as arguments or in the file, not both")
    values = singles(command, values)
    if addresses:
        _by_address(command, values, addresses)
    if settings.dry_run:
        settings.protocol = _dry_run_protocol(settings, app)
    negotiate = settings.protocol == app.auto
    if not negotiate:
        check_versions(command, values, settings.protocol, app)
    kwargs = build_values(app.models, command.request_options, values)
    for field_name, flags in command.required_structs:
        if field_name not in kwargs:
            raise click.UsageError(
                f"{command.name} needs at least one of {', '.join(flags)}"
            )
    rows = Rows(from_file, file_format) if from_file is not None else None
    if rows is None and not addresses:
        _needs_a_site(command, kwargs)
    if rows is not None and rows.columns is not None:
        check_columns(command, rows.columns, app)
    if rows is None and command.item_field is not None:
        kwargs[command.item_field] = _items(command, values, app)
    extra = {} if rows is not None else _confirm_everything(command, kwargs, values)
    columns = shape_of(command, app, rows is not None, bool(settings.servers)).columns
    unknown = [f for f in settings.fields if f not in columns]
    if unknown and columns:
        raise click.UsageError(
            f"--fields: no column {', '.join(unknown)}; the columns are {', '.join(columns)}"
        )
    configure_logging(settings.verbose)
    if settings.dry_run:
        _dry_run(settings, command, kwargs, rows, start_at, app)
    if settings.servers:
        already_done = command.already_done if skip_existing else None
        pairs, targets = None, None
        if rows is not None:  # every row first: each goes to the server of its domain
            pairs, targets = _all_rows(settings, command, kwargs, rows, start_at, app)
            kwargs[str(command.item_field)] = [item for _, item in pairs]
        code = run_fleet(
            settings, command, kwargs, extra, app, already_done, pairs, targets
        )
        sys.exit(code)
    job = _Job(settings, command, app, skip_existing)
    code = job.run(kwargs, extra, values, rows, start_at, negotiate)
    settings.accounted = True
    sys.exit(code)


def shape_of(command: Command, app: App, bulk: bool, servers: bool) -> Shape:
    """The columns of the command's output (the same in every format)."""
    result = getattr(app.models, command.result_class) if command.result_class else None
    return Shape(result, app.inputs, bulk=bulk, servers=servers)


def _needs_a_site(command: Command, kwargs: dict[str, Any]) -> None:
    """A command on one site needs it, by id or by name (or accounts by address)."""
    field = command.site_field
    if field is None or kwargs.get(field) is not None or kwargs.get("site"):
        return
    if field.endswith("s"):
        return  # a list of sites: none means every site, the command says what then
    flags = [o.flag for o in command.request_options if o.path[0] in (field, "site")]
    also = " or accounts by address (info@example.com)" if command.addresses else ""
    raise click.UsageError(f"Missing option {' or '.join(flags)}{also}")


def _by_address(
    command: Command, values: dict[str, Any], addresses: tuple[str, ...]
) -> None:
    """Accounts named by address: they name their sites, and no --name is given."""
    site = [o.flag for o in command.request_options if o.path[0] in ("site_id", "site")]
    given = [o.flag for o in command.options if o.flag in site and values.get(o.dest)]
    if given:
        raise click.UsageError(
            f"addresses name their own sites: leave out {', '.join(given)}"
        )
    name = next(o for o in command.item_options if o.column == "name")
    if values.get(name.dest):
        raise click.UsageError(f"give {name.flag} or addresses, not both")
    values["__addresses__"] = addresses


def _items(command: Command, values: dict[str, Any], app: App) -> list[Any]:
    """The batch items the options give (one account, or a list of names)."""
    options = command.item_options
    addresses = values.pop("__addresses__", ())
    if addresses and command.item_class is None:
        return list(addresses)
    if addresses:  # each address gets the item options
        name = next(o for o in options if o.column == "name")
        try:
            return [
                item_of(command, app, {**values, name.dest: address})
                for address in addresses
            ]
        except RowError as exc:
            raise click.UsageError(str(exc)) from None
    if command.item_class is None:
        return list(values.get(options[0].dest) or ()) if options else []
    missing = [o.flag for o in options if o.required and not values.get(o.dest)]
    if missing:
        raise click.UsageError(
            f"missing option {', '.join(missing)} (or use --from-file)"
        )
    try:
        return [item_of(command, app, values)]
    except RowError as exc:
        raise click.UsageError(str(exc)) from None


def _all_rows(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows,
    start_at: int | None,
    app: App,
) -> tuple[list[tuple[int, Any]], dict[int, str]]:
    """The valid rows of a file, for a fleet (which routes them all at once), and
    the server each names, if the file names servers (an export of a fleet).

    Checked against the protocol named, else the newest: each server's client
    checks its own version again before anything is sent.
    """
    from .config import load

    protocol = settings.protocol if settings.protocol != app.auto else app.versions[-1]
    job = _Job(settings, command, app, False)
    job.settings = Settings(**{**vars(settings), "protocol": protocol})
    job.out = Output(
        "table", command=command.name, protocol=protocol, stream=sys.stderr
    )
    try:
        job.fleet = [s.name for s in load(settings.config).select(settings.servers)]
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None
    pairs = list(job._row_items(kwargs, rows, start_at))
    if not rows.read:
        fail(f"{rows.path} has no rows", EXIT_USAGE)
    if job.targets:  # every row names its server, or none does
        for number, _ in pairs:
            if number not in job.targets:
                job.out.bad_row(number, "server: empty (other rows name theirs)")
        pairs = [pair for pair in pairs if pair[0] in job.targets]
    if not pairs:
        fail(f"{rows.path}: no row can be sent", EXIT_ITEMS_FAILED)
    return pairs, job.targets


class _Job:
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
            client = _connect(self.settings, self.app)
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
                    shape=shape_of(self.command, self.app, rows is not None, False),
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
            fail(_option_message(self.command, str(exc), exc), EXIT_USAGE)
        except PleskError as exc:
            return self._stop(exc, bulk=False)
        answers = self.answers
        self.out.results(answers, None, self.has)
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
                self._target(number, row.get(SERVER))
                typed = rows.format == "jsonl"
                values = row_values(command, row, protocol, app, typed)
                item = item_of(command, app, values, in_file=True)
                app.validate(
                    _row_request(command, request_class, kwargs, item), protocol
                )
            except RowError as exc:
                out.bad_row(number, str(exc))
                continue
            except ValidationError as exc:
                out.bad_row(number, _row_problem(command, exc))
                continue
            except click.UsageError as exc:
                out.bad_row(number, exc.format_message())
                continue
            yield number, item

    def _target(self, number: int, cell: Any) -> None:
        """A row's ``server`` cell (a fleet's export): with ``--servers`` the row
        goes there only; a run on one server refuses a row meant for another."""
        if cell is None or cell == "":
            return
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
            for chunk in _chunks(
                self._row_items(kwargs, rows, start_at), self.settings.chunk_size
            ):
                numbers = [number for number, _ in chunk]
                ledger.sending(numbers)
                answer = method(
                    **kwargs, **{str(self.command.item_field): [i for _, i in chunk]}
                )
                ledger.answered(numbers)
                out.results(answer, numbers, self.has)
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
            reason = _option_message(self.command, reason, stop)
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


def _row_request(
    command: Command, request_class: Any, kwargs: dict[str, Any], item: Any
) -> Any:
    """The request one row makes, to check it as the schema would: a site named by
    domain (or by the row's address) stands in with a placeholder id."""
    from .addressing import Address, is_address, item_name, renamed, split_address

    fields = {f.name for f in dataclasses.fields(request_class)}
    values = {k: v for k, v in kwargs.items() if k in fields}
    if command.site_field is not None and values.get(command.site_field) is None:
        values[command.site_field] = 1
    address = Address("name" if command.item_class is not None else None, ())
    name = item_name(item, address)
    if is_address(name):
        item = renamed(item, address, split_address(str(name))[0])
    return request_class(**{**values, str(command.item_field): [item]})


def _option_message(command: Command, text: str, exc: ValidationError) -> str:
    """A validation error in the words of the command line (``--site-id``, not ``site_id``)."""
    return option_problem(command, exc.path, exc.problem) or text


def _row_problem(command: Command, exc: ValidationError) -> str:
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


def _chunks(
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


# -- dry run ---------------------------------------------------------------------------


def _dry_run(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows | None,
    start_at: int | None,
    app: App,
) -> NoReturn:
    """Print the packets the command would send (secrets masked) and stop."""
    from .transport import mask_secrets
    from .xml import indented

    request_class = app.models.OPERATIONS[command.operation][0]
    out = Output(
        "table", command=command.name, protocol=settings.protocol, stream=sys.stderr
    )
    job = _Job(settings, command, app, False)
    job.out = out
    requests: Iterator[Any]
    if rows is None:
        requests = iter([request_class(**kwargs)])
    else:
        chunks = _chunks(job._row_items(kwargs, rows, start_at), settings.chunk_size)
        requests = (
            request_class(**{**kwargs, str(command.item_field): [i for _, i in chunk]})
            for chunk in chunks
        )
    packets = items = 0
    try:
        for request in requests:
            app.validate(request, settings.protocol)
            packets += 1
            items += len(getattr(request, str(command.item_field), None) or ())
            if not settings.quiet:
                packet = app.encode([request], settings.protocol)
                click.echo(indented(mask_secrets(packet)))
    except ValidationError as exc:
        fail(_option_message(command, str(exc), exc), EXIT_USAGE)
    if rows is not None or settings.quiet:
        summary = f"dry run: {packets} packet(s) would be sent"
        if rows is not None:
            numbers = [str(r["row"]) for r in out.bad_rows]
            refused = ", ".join(numbers[:20]) or "none"
            refused += f" and {len(numbers) - 20} more" if len(numbers) > 20 else ""
            summary += f"; {items} row(s) valid, {out.bad} refused (rows: {refused})"
        click.echo(summary, err=not settings.quiet)
    sys.exit(EXIT_ITEMS_FAILED if out.bad else EXIT_OK)


def read_secret(
    flag: str, env_flag: str, typed: str | None, variable: str | None
) -> str | None:
    """An item secret from exactly one place: typed, ``-`` (asked), or a named variable."""
    if typed is not None and variable:
        raise click.UsageError(f"{flag} and {env_flag} contradict each other; give one")
    if variable:
        found = os.environ.get(variable)
        if not found:
            raise click.UsageError(
                f"{env_flag}: environment variable {variable} is not set"
            )
        return found
    if typed != "-":
        return typed
    if sys.stdin.isatty():
        asked: str = click.prompt(
            flag.removeprefix("--").replace("-", " ").capitalize(),
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
        return asked
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError(f"{flag} -: standard input gave no line")
    return line
