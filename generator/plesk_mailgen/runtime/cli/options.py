"""The global options of ``plesk-mail``: declared, then checked together.

Where a value came from (typed, or a ``PLESK_*`` variable) is part of every
refusal, and a named server's entry outranks the variables.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import click
from click.core import ParameterSource

from .commands import App, Settings
from .complete import complete_server, complete_servers
from .output import apply_output, output_options


def global_options(app: App) -> list[click.Parameter]:
    """Every option of the group, before the command's name."""
    return [
        *_server_options(),
        *_login_options(),
        *_connection_options(app),
        *output_options(),
    ]


def _server_options() -> list[click.Parameter]:
    """Which server or servers, and where the config file is."""
    return [
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
    ]


def _login_options() -> list[click.Parameter]:
    """How to log in: a login and password, or a secret key."""
    return [
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
    ]


def _connection_options(app: App) -> list[click.Parameter]:
    """How to talk to the server: protocol, TLS, deadline, packets, logs."""
    return [
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
    ]


def global_settings(values: dict[str, Any]) -> None:
    """The global options, checked together, as the run's ``Settings``."""
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
        protocol_typed=values["protocol"] or "",
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
        from ..base.errors import ConfigurationError
        from ..transport.endpoint import split_host

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
    from ..base.errors import ConfigurationError
    from ..transport.recording import recording_to

    try:
        context.with_resource(recording_to(folder))
    except ConfigurationError as exc:
        raise click.UsageError(f"--record: {exc}") from None
