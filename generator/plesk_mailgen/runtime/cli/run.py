"""What a ``plesk-mail`` command does once parsed: one server, a file of rows, a dry run.

Options become a typed request, rows of ``--from-file`` become batch items
(validated row by row: a bad row is reported by its line and skipped), the
client sends them a packet at a time, and the results are written as they
arrive. However the run ends (done, an error, a deadline, Ctrl-C, SIGTERM,
SIGHUP, a closed output pipe), a ledger line on stderr says what was
answered, what may have been applied and what was not sent
(``cli.ledger``). Imports nothing heavy: lxml, httpx and the client load
when a command runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from .commands import (
    EXIT_USAGE,
    App,
    Command,
    RowError,
    Settings,
)
from .connection import configure_logging, dry_run_protocol, fail, protocol_of
from .dryrun import dry_run
from .filejob import FileJob, shape_of
from .fleet import run_fleet
from .fleet_rows import all_rows
from .rows import Rows
from .shape import ADDRESS
from .values import build as build_values
from .values import (
    check_columns,
    check_versions,
    given,
    item_of,
    singles,
)


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
    settings.protocol = protocol_of(settings, app)
    from_file, file_format, start_at, skip_existing, addresses = _file_options(
        command, values
    )
    values = singles(command, values)
    if addresses:
        _by_address(command, values, addresses)
    note = ""
    if settings.dry_run:
        settings.protocol, note = dry_run_protocol(settings, app)
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
    _one_site_source(command, kwargs, rows, addresses)
    if rows is not None and rows.columns is not None:
        check_columns(command, rows.columns, app)
    if rows is None and command.item_field is not None:
        kwargs[command.item_field] = _items(command, values, app)
    extra = {} if rows is not None else _confirm_everything(command, kwargs, values)
    _check_fields(settings, command, app, rows is not None, bool(addresses))
    configure_logging(settings.verbose)
    if settings.dry_run:
        dry_run(settings, command, kwargs, rows, start_at, app, note)
    if settings.servers:
        already_done = command.already_done if skip_existing else None
        code = _on_fleet(
            settings,
            command,
            kwargs,
            extra,
            app,
            already_done,
            rows,
            start_at,
            addresses,
        )
        sys.exit(code)
    job = FileJob(settings, command, app, skip_existing)
    job.addresses = addresses
    code = job.run(kwargs, extra, values, rows, start_at, negotiate)
    settings.accounted = True
    sys.exit(code)


def _on_fleet(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    extra: dict[str, Any],
    app: App,
    already_done: int | None,
    rows: Rows | None,
    start_at: int | None,
    addresses: tuple[str, ...],
) -> int:
    """The run on every server of ``--servers``: a file's rows are all read
    and checked first, each then goes to its server."""
    pairs, targets = None, None
    refused: list[dict[str, Any]] = []
    if rows is not None:
        pairs, targets, refused = all_rows(
            settings, command, kwargs, rows, start_at, app
        )
        kwargs[str(command.item_field)] = [item for _, item in pairs]
    return run_fleet(
        settings,
        command,
        kwargs,
        extra,
        app,
        already_done,
        pairs,
        targets,
        refused,
        addresses,
    )


def _file_options(
    command: Command, values: dict[str, Any]
) -> tuple[str | None, str | None, int | None, bool, tuple[str, ...]]:
    """``--from-file`` and the options that go with it (or must not)."""
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
    return from_file, file_format, start_at, skip_existing, addresses


def _check_fields(
    settings: Settings, command: Command, app: App, bulk: bool, addresses: bool
) -> None:
    """``--fields`` names columns this command's output has."""
    columns = shape_of(command, app, bulk, bool(settings.servers), addresses).columns
    unknown = [f for f in settings.fields if f not in columns]
    if unknown and columns:
        raise click.UsageError(
            f"--fields: no column {', '.join(unknown)}; the columns are {', '.join(columns)}"
        )


def _one_site_source(
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows | None,
    addresses: tuple[str, ...],
) -> None:
    """Each account's site comes from exactly one place: an option, the
    addresses typed, or a file's ``address`` column (a CSV's header says)."""
    if rows is None:
        if not addresses:
            _needs_a_site(command, kwargs)
        return
    if rows.columns is None:
        return  # JSON lines: each row is checked when it is read
    if ADDRESS not in rows.columns:
        _needs_a_site(command, kwargs, in_file=True)
        return
    pairs = (("--site-id", command.site_field), ("--site", "site"))
    given = [flag for flag, key in pairs if key and kwargs.get(key)]
    if given:
        raise click.UsageError(
            "the file's address column names each account's site: leave out "
            f"{' and '.join(given)}"
        )


def _needs_a_site(
    command: Command, kwargs: dict[str, Any], in_file: bool = False
) -> None:
    """A command on one site needs it, by id or by name (or accounts by address:
    arguments, or a file's ``address`` column)."""
    field = command.site_field
    if field is None or kwargs.get(field) is not None or kwargs.get("site"):
        return
    if field.endswith("s"):
        return  # a list of sites: none means every site, the command says what then
    flags = [o.flag for o in command.request_options if o.path[0] in (field, "site")]
    if in_file:
        also = f" or an {ADDRESS} column" if command.addresses else ""
        raise click.UsageError(
            f"the file's rows name no site: give {' or '.join(flags)}{also}"
        )
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
