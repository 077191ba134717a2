"""``plesk-mail``: the click group, its global options and one command per operation.

Every value a command sends comes from an option the person typed, a file
cell, or a documented default. The connection options (host, port, login,
password, secret key, protocol, CA file) also read ``PLESK_*`` variables;
no variable ever supplies an item's value: an account password comes from
``--account-password``, ``--account-password -`` (asked, or one line of
standard input) or ``--account-password-env VAR``. What a command does once
parsed lives in ``cli_run``; this module only builds the click objects.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.core import ParameterSource

from .cli_complete import complete_server, complete_servers
from .cli_fleet import servers_command
from .cli_ledger import (
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    stop_signals,
    tell,
)
from .cli_output import apply_output, output_options
from .cli_run import read_secret, run
from .cli_shape import inputs_of
from .cli_sites import sites_command, where_command
from .cli_values import click_type
from .commands import EXIT_USAGE, App, Command, Option, Settings

__all__ = ["App", "Command", "Option", "Settings", "make_main"]

ENVIRONMENT = """Environment (connection only, never an item's value): PLESK_HOST,
PLESK_PORT, PLESK_LOGIN, PLESK_PASSWORD, PLESK_SECRET_KEY, PLESK_PROTOCOL,
PLESK_CA_FILE. Exit codes: 0 all ok, 1 some items or rows failed, 2 usage
error, 3 failure before anything was applied, 4 stopped after something was
or may have been applied (see the line on stderr), 5 some servers failed,
130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 output closed. Shell completion (bash):
eval "$(_PLESK_MAIL_COMPLETE=bash_source plesk-mail)"
"""


# -- building the commands ----------------------------------------------------------


def _click_options(option: Option) -> list[click.Option]:
    if option.kind == "flag":
        return [
            click.Option(
                [option.flag, option.dest],
                is_flag=True,
                default=False,
                help=option.help,
            )
        ]
    if option.kind == "bool":
        switch = f"{option.flag}/--no-{option.flag[2:]}"
        return [click.Option([switch, option.dest], default=None, help=option.help)]
    found = click.Option(
        [option.flag, option.dest],
        type=click_type(option),
        multiple=True,  # single options too: a repeat is refused, not dropped
        required=option.required and option.target == "request" and not option.secret,
        help=option.help
        + (
            " '-' asks for it (hidden), or reads one line of standard input."
            if option.secret
            else ""
        ),
    )
    if not option.secret:
        return [found]
    return [
        found,
        click.Option(
            [f"{option.flag}-env", f"{option.dest}_env"],
            metavar="VAR",
            help=f"Take {option.flag} from the environment variable VAR.",
        ),
    ]


def _read_secrets(command: Command, values: dict[str, Any]) -> None:
    """Each secret option's value from where the person said it is."""
    for option in command.options:
        if not option.secret:
            continue
        variable = values.pop(f"{option.dest}_env", None)
        typed = values.get(option.dest) or ()
        if len(typed) > 1:
            continue  # refused as a repeat, without reading anything
        value = read_secret(
            option.flag, f"{option.flag}-env", typed[0] if typed else None, variable
        )
        values[option.dest] = (value,) if value is not None else ()


def _flag_of(command: Command, field: str) -> str:
    """The option that sets a request field (``site_ids``: ``--site-id``)."""
    return next(o.flag for o in command.options if o.path == (field,))


def make_command(command: Command, app: App) -> click.Command:
    """The click command of one operation, built from its table entry."""
    params: list[click.Parameter] = [
        p for o in command.options for p in _click_options(o)
    ]
    if command.addresses:
        params.append(click.Argument(["addresses"], nargs=-1, metavar="[ADDRESS]..."))
    if command.already_done is not None:
        params.append(
            click.Option(
                ["--skip-existing"],
                is_flag=True,
                help=f"Count an item answered with error {command.already_done} "
                "(it exists already) as done, not failed: a resumed run that "
                "sends the rows that were in flight again ends quietly.",
            )
        )
    if command.item_field is not None:
        params += [
            click.Option(
                ["--from-file"],
                type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                default=None,
                help="CSV (header row of option names) or JSON lines: one item per row; "
                "the options of one item (--name, ...) are its columns, not options.",
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
    params += output_options()
    epilog = None
    if command.addresses:
        help_text = (command.help or "") + (
            "\n\nAccounts may be named by address (info@example.com) as arguments: "
            "each domain's site is looked up, and no --site-id or --site is needed."
        )
    else:
        help_text = command.help
    if command.examples:  # \b: click keeps the lines as they are
        epilog = "Examples:\n\n\b\n" + "\n".join(f"  $ {e}" for e in command.examples)

    def callback(**values: Any) -> None:
        settings = click.get_current_context().find_object(Settings)
        assert settings is not None, "the plesk-mail group sets Settings"
        apply_output(settings, values)
        _read_secrets(command, values)
        run(settings, command, values, app)

    return click.Command(
        command.name, params=params, callback=callback, help=help_text, epilog=epilog
    )


NAMED_SERVER_TAKES = (
    *("host", "port", "login", "password", "secret_key", "ca_file", "protocol"),
)
"""What a named server's config entry says: the PLESK_* variables do not count.

A password exported for one server must not be sent to another one.
"""


def _ignore_environment(values: dict[str, Any], names: Sequence[str]) -> None:
    context = click.get_current_context()
    for name in names:
        if context.get_parameter_source(name) is ParameterSource.ENVIRONMENT:
            values[name] = None


def _source(name: str) -> str:
    """``--port`` or ``PLESK_PORT`` (the environment): where a value came from."""
    context = click.get_current_context()
    option = next(p for p in context.command.params if p.name == name)
    flag = option.opts[0]
    if context.get_parameter_source(name) is ParameterSource.ENVIRONMENT:
        return f"{option.envvar} (from the environment)"
    return flag


def _no_single_server_options(values: dict[str, Any]) -> None:
    """With --servers each server's entry says these: typed ones would be ignored."""
    context = click.get_current_context()
    typed = [
        f"--{name.replace('_', '-')}"
        for name in ("port", "login", "password", "secret_key")
        if values.get(name) is not None
        and context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]
    if typed:
        raise click.UsageError(
            f"{', '.join(typed)} go with --host or --server; with --servers each "
            "server's config entry says them"
        )


def _port(value: Any) -> int | None:
    """``--port`` (or ``PLESK_PORT``), checked only when it is used."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise click.UsageError(
            f"{_source('port')}: {text!r} is not a port (1 to 65535)"
        )
    return int(text)


def _ca_file(value: Any) -> None:
    if value is None or os.path.isfile(value):
        return
    problem = "is not a regular file" if os.path.exists(value) else "does not exist"
    raise click.UsageError(f"{_source('ca_file')}: {value!r} {problem}")


def _refuse_contradictions(values: dict[str, Any]) -> None:
    """Options that cannot both hold: say so instead of picking one silently."""
    pairs = (("password", "secret_key"), ("insecure", "ca_file"))
    for first, second in pairs:
        if values.get(first) and values.get(second):
            raise click.UsageError(
                f"{_source(first)} and {_source(second)} contradict each other; "
                "give one"
            )
    host, port = values.get("host"), values.get("port")
    if host and port is not None:
        from .endpoint import split_host
        from .errors import ConfigurationError

        try:
            split_host(host, port)
        except ConfigurationError as exc:
            if "names port" not in str(exc):
                raise click.UsageError(str(exc)) from None
            named = host.rpartition(":")[2]
            raise click.UsageError(
                f"{_source('host')} {host!r} names port {named}, but "
                f"{_source('port')} says {port}; give one"
            ) from None


def _record(context: click.Context, folder: str) -> None:
    """``--record DIR``: clients made while the command runs record into DIR."""
    from .errors import ConfigurationError
    from .recording import recording_to

    try:
        context.with_resource(recording_to(folder))
    except ConfigurationError as exc:
        raise click.UsageError(f"--record: {exc}") from None


class _Main(click.Group):
    """The group: SIGTERM and SIGHUP stop a run as Ctrl-C does, from the first
    option parsed; an interrupt no run accounted for sent nothing, and says so."""

    def invoke(self, ctx: click.Context) -> Any:
        with stop_signals():
            try:
                return super().invoke(ctx)
            except BrokenPipeError as closed:  # `plesk-mail servers | head -1`
                drop_stdout()
                sys.exit(stop_code(closed))
            except KeyboardInterrupt as stop:
                with held_signals():
                    settings = ctx.find_object(Settings)
                    if settings is None or not settings.accounted:
                        tell(f"error: {reason_of(stop)}; nothing was sent")
                sys.exit(stop_code(stop))
            except (
                click.exceptions.Abort
            ) as abort:  # Ctrl-C or end of input at a prompt
                if isinstance(abort.__context__, KeyboardInterrupt):
                    tell("error: interrupted; nothing was sent")
                    sys.exit(stop_code(abort.__context__))
                tell("error: no answer at the prompt; nothing was sent")
                sys.exit(EXIT_USAGE)


def make_main(app: App, commands: Sequence[Command]) -> click.Group:
    """The ``plesk-mail`` group: global options, then one command per operation."""
    creating = sorted(commands, key=lambda c: c.already_done is None)  # create first
    options = [o for c in creating for o in c.item_options if not o.secret]
    app = dataclasses.replace(app, inputs=inputs_of(options), commands=tuple(commands))

    def main(**values: Any) -> None:
        servers = values["servers"]
        if servers is not None or values["server"] is not None:
            _ignore_environment(values, NAMED_SERVER_TAKES)
        if servers is not None and (values["server"] or values["host"]):
            raise click.UsageError("--servers goes without --server and --host")
        if servers is not None:
            _no_single_server_options(values)
        values["port"] = _port(values["port"])
        _ca_file(values["ca_file"])
        _refuse_contradictions(values)
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
        apply_output(settings, values)
        context = click.get_current_context()
        context.obj = settings
        if values["record"] is not None:  # every client this command makes
            _record(context, values["record"])

    params: list[click.Parameter] = [
        click.Option(
            ["--host"],
            envvar="PLESK_HOST",
            help="The Plesk server: a host name or address, with :port if not 8443.",
        ),
        click.Option(
            ["--port"],
            envvar="PLESK_PORT",
            default=None,  # checked when used: a stale PLESK_PORT must not stop --server
            help="The port of the XML API: 8443 unless --host names one.",
        ),
        click.Option(
            ["--server"],
            help="A server named in the config file (see 'plesk-mail servers').",
            shell_complete=complete_server,
        ),
        click.Option(
            ["--servers"],
            metavar="A,B,...",
            help="Run on these servers, groups or 'all' of the config file, at once.",
            shell_complete=complete_servers,
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
            help="The protocol version to speak (default: the server entry's, "
            "else auto: the newest one both sides speak, asked once per connection).",
        ),
        click.Option(
            ["--ca-file"],
            envvar="PLESK_CA_FILE",
            type=click.Path(dir_okay=False),  # checked when used, as --port
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
            ["--record"],
            type=click.Path(file_okay=False),
            default=None,
            metavar="DIR",
            help="Write each request and answer into DIR as numbered files, "
            "passwords and keys replaced by ***.",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            help="Log to stderr: -v operations and timings, -vv also the packets (secrets masked).",
        ),
        *output_options(),
    ]
    group = _Main(
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
    group.add_command(sites_command(app))
    group.add_command(where_command(app))
    return group
