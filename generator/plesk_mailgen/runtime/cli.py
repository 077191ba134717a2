"""``plesk-mail``: the click group and what every command does once parsed.

Options become a typed request, rows of ``--from-file`` become batch items
(validated row by row: a bad row is reported by its line and skipped), the
client sends them a packet at a time, and the results are written as they
arrive. Exit codes: 0 all ok; 1 some items or rows failed; 2 usage error;
3 connection, TLS, authentication or server failure before anything was
applied; 4 a bulk run stopped by such a failure after some packets were
applied; 130 interrupted (Ctrl-C). A run that stops says which rows were
applied, which were in flight and where to resume (``--start-at-row``).
Imports nothing heavy: lxml, httpx and the client load when a command runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from .cli_fleet import run_fleet, servers_command
from .cli_output import Output, columns_of
from .cli_rows import ERROR, Rows
from .cli_values import build as build_values
from .cli_values import (
    check_columns,
    check_versions,
    click_type,
    item_of,
    row_values,
    singles,
)
from .commands import (
    EXIT_CONNECTION,
    EXIT_INTERRUPTED,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    FORMATS,
    App,
    Command,
    Option,
    RowError,
    Settings,
    VersionError,
)
from .errors import PleskError, ValidationError, shortened

__all__ = ["App", "Command", "Option", "Settings", "make_main"]

ENVIRONMENT = """Environment: PLESK_HOST, PLESK_PORT, PLESK_LOGIN, PLESK_PASSWORD,
PLESK_SECRET_KEY, PLESK_PROTOCOL, PLESK_CA_FILE. Exit codes: 0 all ok,
1 some items or rows failed, 2 usage error, 3 connection, TLS, authentication
or server failure, 4 a bulk run stopped after some rows were applied,
130 interrupted. Shell completion (bash):
eval "$(_PLESK_MAIL_COMPLETE=bash_source plesk-mail)"
"""


# -- building the commands ----------------------------------------------------------


def _click_option(option: Option) -> click.Option:
    if option.kind == "flag":
        return click.Option(
            [option.flag, option.dest], is_flag=True, default=False, help=option.help
        )
    if option.kind == "bool":
        switch = f"{option.flag}/--no-{option.flag[2:]}"
        return click.Option([switch, option.dest], default=None, help=option.help)
    return click.Option(
        [option.flag, option.dest],
        type=click_type(option),
        multiple=True,  # single options too: a repeat is refused, not dropped
        required=option.required and option.target == "request",
        envvar=f"PLESK_{option.dest.upper()}" if option.secret else None,
        help=option.help,
    )


def _flag_of(command: Command, field: str) -> str:
    """The option that sets a request field (``site_ids``: ``--site-id``)."""
    return next(o.flag for o in command.options if o.path == (field,))


def _output_options() -> list[click.Option]:
    """Output options, on the group and on every command (either place works)."""
    return [
        click.Option(
            ["--format", "fmt"],
            type=click.Choice(FORMATS),
            default=None,
            help="Output: a table (default), one JSON document, JSON lines or CSV.",
        ),
        click.Option(
            ["--json", "as_json"], is_flag=True, help="Short for --format json."
        ),
        click.Option(
            ["--fields"],
            default=None,
            metavar="A,B,...",
            help="Only these columns (as the table names them: status,mailname.name).",
        ),
        click.Option(
            ["--quiet", "-q"],
            is_flag=True,
            help="Print only the summary (2000 ok, 0 failed).",
        ),
        click.Option(
            ["--dry-run"],
            is_flag=True,
            help="Print the packets that would be sent (secrets masked); connect to nothing.",
        ),
    ]


def _apply_output(settings: Settings, values: dict[str, Any]) -> None:
    fmt, as_json = values.pop("fmt", None), values.pop("as_json", False)
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} contradict each other")
    if fmt is not None or as_json:
        settings.format = fmt or "json"
    fields = values.pop("fields", None)
    if fields is not None:
        settings.fields = tuple(f.strip() for f in fields.split(",") if f.strip())
    settings.quiet = settings.quiet or values.pop("quiet", False)
    settings.dry_run = settings.dry_run or values.pop("dry_run", False)


def make_command(command: Command, app: App) -> click.Command:
    """The click command of one operation, built from its table entry."""
    params: list[click.Parameter] = [_click_option(o) for o in command.options]
    if command.item_field is not None:
        params += [
            click.Option(
                ["--from-file"],
                type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                default=None,
                help="CSV (header row of option names) or JSON lines: one item per row.",
            ),
            click.Option(
                ["--file-format"],
                type=click.Choice(("csv", "jsonl")),
                default=None,
                help="Format of --from-file (default: by its name; '-' is CSV).",
            ),
            click.Option(
                ["--start-at-row"],
                type=click.IntRange(min=1),
                default=None,
                help="Skip the rows before this line of --from-file (resume a run).",
            ),
        ]
    if command.everything is not None:
        params += [
            click.Option(
                ["--all", "everything"],
                is_flag=True,
                help=f"Act on {command.everything[2]} when no "
                f"{_flag_of(command, command.everything[0])} is given.",
            ),
            click.Option(["--yes"], is_flag=True, help="Do not ask before --all."),
        ]
    params += _output_options()
    epilog = None
    if command.examples:  # \b: click keeps the lines as they are
        epilog = "Examples:\n\n\b\n" + "\n".join(f"  $ {e}" for e in command.examples)

    def callback(**values: Any) -> None:
        settings = click.get_current_context().find_object(Settings)
        assert settings is not None, "the plesk-mail group sets Settings"
        _apply_output(settings, values)
        run(settings, command, values, app)

    return click.Command(
        command.name, params=params, callback=callback, help=command.help, epilog=epilog
    )


NAMED_SERVER_TAKES = ("host", "port", "login", "password", "secret_key", "ca_file")
"""What a named server's config entry says: the PLESK_* variables do not count.

A password exported for one server must not be sent to another one.
"""


def _ignore_environment(values: dict[str, Any], names: Sequence[str]) -> None:
    context = click.get_current_context()
    for name in names:
        if context.get_parameter_source(name) is ParameterSource.ENVIRONMENT:
            values[name] = None


def make_main(app: App, commands: Sequence[Command]) -> click.Group:
    """The ``plesk-mail`` group: global options, then one command per operation."""

    def main(**values: Any) -> None:
        servers = values["servers"]
        if servers is not None or values["server"] is not None:
            _ignore_environment(values, NAMED_SERVER_TAKES)
        if servers is not None and (values["server"] or values["host"]):
            raise click.UsageError("--servers goes without --server and --host")
        settings = Settings(
            host=values["host"],
            port=values["port"],
            login=values["login"],
            password=values["password"],
            secret_key=values["secret_key"],
            protocol=values["protocol"] or "",
            server=values["server"],
            servers=tuple(n.strip() for n in (servers or "").split(",") if n.strip()),
            config=values["config"],
            parallel=values["parallel"],
            ca_file=values["ca_file"],
            insecure=values["insecure"],
            timeout=values["timeout"],
            chunk_size=values["chunk_size"],
            verbose=values["verbose"],
        )
        _apply_output(settings, values)
        click.get_current_context().obj = settings

    latest = app.versions[-1]
    params: list[click.Parameter] = [
        click.Option(
            ["--host"],
            envvar="PLESK_HOST",
            help="The Plesk server: a host name or address, with :port if not 8443.",
        ),
        click.Option(
            ["--port"],
            envvar="PLESK_PORT",
            type=click.IntRange(1, 65535),
            default=None,
            help="The port of the XML API: 8443 unless --host names one.",
        ),
        click.Option(
            ["--server"],
            help="A server named in the config file (see 'plesk-mail servers').",
        ),
        click.Option(
            ["--servers"],
            metavar="A,B,...",
            help="Run on these servers, groups or 'all' of the config file, at once.",
        ),
        click.Option(
            ["--parallel"],
            type=click.IntRange(min=1),
            default=64,
            show_default=True,
            help="How many servers --servers works on at a time.",
        ),
        click.Option(
            ["--config"],
            envvar="PLESK_MAIL_CONFIG",
            type=click.Path(dir_okay=False),
            help="The file of named servers (default: plesk-mail/config.toml in "
            "the user config folder).",
        ),
        click.Option(
            ["--login"],
            envvar="PLESK_LOGIN",
            default=None,
            help="The Plesk login (default admin; not with a secret key).",
        ),
        click.Option(
            ["--password"],
            envvar="PLESK_PASSWORD",
            help="The Plesk password; safer in PLESK_PASSWORD or at the prompt.",
        ),
        click.Option(
            ["--secret-key"],
            envvar="PLESK_SECRET_KEY",
            help="A Plesk secret key instead of a password; safer in PLESK_SECRET_KEY.",
        ),
        click.Option(
            ["--protocol"],
            envvar="PLESK_PROTOCOL",
            type=click.Choice((*app.versions, app.auto)),
            default=None,
            help=f"The protocol version to speak (default: the server entry's, else {latest}); 'auto' asks the server.",
        ),
        click.Option(
            ["--ca-file"],
            envvar="PLESK_CA_FILE",
            type=click.Path(exists=True, dir_okay=False),
            help="Trust this CA certificate file (for a self-signed Plesk).",
        ),
        click.Option(
            ["--insecure"], is_flag=True, help="Do not verify the TLS certificate."
        ),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(min=0, min_open=True, max=86_400),
            default=None,
            help="Seconds for each packet: connect, send and the whole answer "
            "(default 30).",
        ),
        click.Option(
            ["--chunk-size"],
            type=click.IntRange(min=1),
            default=100,
            show_default=True,
            help="How many items go in one packet.",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            help="Log to stderr: -v operations and timings, -vv also the packets (secrets masked).",
        ),
        *_output_options(),
    ]
    group = click.Group(
        app.name,
        params=params,
        callback=main,
        help="Manage Plesk mail accounts through the XML API.",
        epilog=ENVIRONMENT,
        context_settings={
            "help_option_names": ["-h", "--help"],
            "max_content_width": 100,
        },
    )
    click.version_option(app.version, prog_name=app.name)(group)
    for command in commands:
        group.add_command(make_command(command, app))
    group.add_command(servers_command(app))
    return group


# -- running --------------------------------------------------------------------------


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
            f"Plesk password for {settings.login}", hide_input=True
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
    if sys.stdin.isatty() and not values.get("yes"):
        click.confirm(f"{command.name} {means}?", abort=True, err=True)
    return {flag: True}


def _protocol(settings: Settings, app: App) -> str:
    """The version to use: the option's, else a named server's (``auto`` by default),
    else the newest one."""
    if settings.protocol:
        return settings.protocol
    if settings.server is not None:
        from .config import load

        try:
            entry = load(settings.config).server(settings.server)
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        return entry.protocol or app.auto
    return app.versions[-1] if not settings.servers else app.auto


def run(
    settings: Settings, command: Command, values: dict[str, Any], app: App
) -> NoReturn:
    if not (settings.host or settings.server or settings.servers or settings.dry_run):
        raise click.UsageError("no host: use --host, PLESK_HOST, --server or --servers")
    settings.protocol = _protocol(settings, app)
    values = singles(command, values)
    from_file = values.pop("from_file", None)
    file_format = values.pop("file_format", None)
    start_at = values.pop("start_at_row", None)
    negotiate = settings.protocol == app.auto
    if settings.dry_run and negotiate:
        raise click.UsageError("--dry-run needs a --protocol: 'auto' asks the server")
    if not negotiate:
        check_versions(command, values, settings.protocol, app)
    kwargs = build_values(app.models, command.request_options, values)
    for field_name, flags in command.required_structs:
        if field_name not in kwargs:
            raise click.UsageError(
                f"{command.name} needs at least one of {', '.join(flags)}"
            )
    rows = Rows(from_file, file_format) if from_file is not None else None
    if rows is None and command.item_field is not None:
        kwargs[command.item_field] = _items(command, values, app)
    extra = {} if rows is not None else _confirm_everything(command, kwargs, values)
    columns = _columns(command, app, bulk=rows is not None)
    unknown = [f for f in settings.fields if f not in columns]
    if unknown and columns:
        raise click.UsageError(
            f"--fields: no column {', '.join(unknown)}; the columns are {', '.join(columns)}"
        )
    configure_logging(settings.verbose)
    if settings.dry_run:
        _dry_run(settings, command, kwargs, rows, start_at, app)
    if settings.servers:
        if rows is not None:
            raise click.UsageError("--from-file goes with one server, not --servers")
        sys.exit(run_fleet(settings, command, kwargs, extra, app))
    client = _connect(settings, app)
    with client:
        if negotiate:
            settings.protocol = client.protocol_version
            check_versions(command, values, settings.protocol, app)
        out = Output(
            settings.format,
            command=command.name,
            protocol=settings.protocol,
            fields=settings.fields,
            columns=columns,
            quiet=settings.quiet,
        )
        if rows is not None:
            code = _bulk(client, command, kwargs, rows, start_at, settings, app, out)
        else:
            code = _single(client, command, kwargs, extra, settings, app, out)
    sys.exit(code)


def _columns(command: Command, app: App, *, bulk: bool) -> list[str]:
    if command.result_class is None:
        return []
    found = columns_of(getattr(app.models, command.result_class))
    return ["row", *found] if bulk else found


def _items(command: Command, values: dict[str, Any], app: App) -> list[Any]:
    """The batch items the options give (one account, or a list of names)."""
    options = command.item_options
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


def _has(app: App, settings: Settings) -> Any:
    def has(cls: type, name: str) -> bool:
        return app.supports(settings.protocol, cls, name)

    return has


def _single(
    client: Any,
    command: Command,
    kwargs: dict[str, Any],
    extra: dict[str, Any],
    settings: Settings,
    app: App,
    out: Output,
) -> int:
    try:
        answer = getattr(client, command.operation)(**kwargs, **extra)
    except ValidationError as exc:
        fail(str(exc), EXIT_USAGE)
    except PleskError as exc:
        fail(str(exc), EXIT_CONNECTION)
    answers = answer if isinstance(answer, list) else [answer]
    out.results(answers, None, _has(app, settings))
    out.finish()
    return EXIT_ITEMS_FAILED if out.failed else EXIT_OK


# -- bulk input ------------------------------------------------------------------------


def _row_items(
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows,
    start_at: int | None,
    protocol: str,
    app: App,
    out: Output,
) -> Iterator[tuple[int, Any]]:
    """``(row, item)`` of every row that makes a valid item; the others are reported."""
    if rows.columns is not None:
        check_columns(command, rows.columns, protocol, app)
    request_class = app.models.OPERATIONS[command.operation][0]
    for number, row in rows:
        if start_at is not None and number < start_at:
            continue
        try:
            if ERROR in row:
                raise RowError(row[ERROR])
            item = item_of(command, app, row_values(command, row, protocol, app))
            request = request_class(**{**kwargs, str(command.item_field): [item]})
            app.validate(request, protocol)
        except RowError as exc:
            out.bad_row(number, str(exc))
            continue
        except ValidationError as exc:
            out.bad_row(number, _row_problem(command, exc))
            continue
        except VersionError as exc:
            out.bad_row(number, exc.format_message())
            continue
        except click.UsageError as exc:
            out.bad_row(number, exc.format_message())
            continue
        yield number, item


def _row_problem(command: Command, exc: ValidationError) -> str:
    """``mailbox-quota: must be at least -1`` from ``CreateRequest.mailnames[0].mailbox.quota``."""
    marker = f".{command.item_field}[0]"
    _, found, rest = exc.path.partition(marker)
    if not found:
        return str(exc)
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


def _bulk(
    client: Any,
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows,
    start_at: int | None,
    settings: Settings,
    app: App,
    out: Output,
) -> int:
    """Send the rows a packet at a time; on a failure, say exactly what was applied."""
    method = getattr(client, command.operation)
    has = _has(app, settings)
    applied: list[int] = []  # the last row of every packet that completed
    in_flight: list[int] = []
    show = sys.stderr.isatty() and not settings.quiet
    sent = 0
    try:
        for chunk in _chunks(
            _row_items(command, kwargs, rows, start_at, settings.protocol, app, out),
            settings.chunk_size,
        ):
            in_flight = [number for number, _ in chunk]
            answer = method(
                **kwargs, **{str(command.item_field): [i for _, i in chunk]}
            )
            in_flight = []
            applied.append(chunk[-1][0])
            out.results(list(answer), [number for number, _ in chunk], has)
            sent += len(chunk)
            if show:
                click.echo(f"\r{command.name}: {sent} row(s) sent", err=True, nl=False)
        if show and sent:
            click.echo(err=True)
        if not rows.read:
            fail(f"{rows.path} has no rows", EXIT_USAGE)
    except KeyboardInterrupt:
        return _stopped(out, "interrupted", applied, in_flight, EXIT_INTERRUPTED)
    except ValidationError as exc:
        return _stopped(out, str(exc), applied, in_flight, EXIT_USAGE)
    except PleskError as exc:
        code = EXIT_STOPPED if applied else EXIT_CONNECTION
        return _stopped(out, str(exc), applied, in_flight, code)
    out.finish()
    return EXIT_ITEMS_FAILED if out.failed or out.bad else EXIT_OK


def _stopped(
    out: Output, reason: str, applied: list[int], in_flight: list[int], code: int
) -> int:
    """Finish a bulk run that stopped, saying what was applied and how to go on."""
    stopped: dict[str, Any] = {
        "reason": reason,
        "applied_through_row": applied[-1] if applied else None,
    }
    if in_flight:
        stopped["in_flight_rows"] = [in_flight[0], in_flight[-1]]
        stopped["resume_at_row"] = in_flight[0]
    out.finish(stopped)
    done = (
        f"rows through {applied[-1]} were applied" if applied else "no row was applied"
    )
    message = f"{shortened(reason, 500)}; {done}"
    if in_flight:
        message += (
            f"; rows {in_flight[0]}-{in_flight[-1]} were in flight and may or may not "
            f"have been applied; resume with --start-at-row {in_flight[0]}"
        )
    click.echo(f"plesk-mail: error: {message}", err=True)
    return code


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
    requests: Iterator[Any]
    if rows is None:
        requests = iter([request_class(**kwargs)])
    else:
        chunks = _chunks(
            _row_items(command, kwargs, rows, start_at, settings.protocol, app, out),
            settings.chunk_size,
        )
        requests = (
            request_class(**{**kwargs, str(command.item_field): [i for _, i in chunk]})
            for chunk in chunks
        )
    try:
        for request in requests:
            app.validate(request, settings.protocol)
            packet = app.encode([request], settings.protocol)
            click.echo(indented(mask_secrets(packet)))
    except ValidationError as exc:
        fail(str(exc), EXIT_USAGE)
    sys.exit(EXIT_ITEMS_FAILED if out.bad else EXIT_OK)
