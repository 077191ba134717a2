"""One server for a command: its login, protocol, connection, and how a run fails.

Shared by the single-server run, the file of rows and ``sites``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

import click

from ..base.errors import PleskError, ValidationError, shortened
from .commands import (
    EXIT_CONNECTION,
    EXIT_USAGE,
    App,
    Settings,
)
from .ledger import load_quietly


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
        from ..fleet.config import load

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


def connect(settings: Settings, app: App) -> Any:
    password = password_of(settings) if not settings.secret_key else None
    package = app.connect.__module__
    load_quietly(f"{package}.client", f"{package}.runtime.transport.http")
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


def protocol_of(settings: Settings, app: App) -> str:
    """The version to use: the option's, else a named server's, else ``auto``
    (one rule for a bare host, a named server and a fleet: see README)."""
    if settings.protocol:
        return settings.protocol
    if settings.server is not None:
        from ..fleet.config import load

        try:
            entry = load(settings.config).server(settings.server)
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        return entry.protocol or app.auto
    return app.auto


def dry_run_protocol(settings: Settings, app: App) -> tuple[str, str]:
    """A dry run asks no server: the protocol given, the one every named server
    pins, else the newest; and the note that says so (for stderr), if any."""
    if settings.protocol != app.auto:
        return settings.protocol, ""
    if settings.servers:
        from ..fleet.config import load

        try:
            entries = load(settings.config).select(settings.servers)
        except PleskError as exc:
            raise click.UsageError(str(exc)) from None
        pinned = {entry.protocol for entry in entries}
        if len(pinned) == 1 and None not in pinned:
            return str(pinned.pop()), ""
    newest = app.versions[-1]
    return newest, (
        f"plesk-mail: --dry-run: protocol {newest}, the newest (no server is "
        "asked; --protocol picks another)"
    )
