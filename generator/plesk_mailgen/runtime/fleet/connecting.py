"""From what ``connect()`` was given (and a named server's entry) to a transport.

Explicit arguments win over the config file's entry, which wins over the
defaults. The same plan serves the synchronous and the async client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx

from ..base.errors import ConfigurationError, PleskError, UnknownProtocolError, masked
from ..engine.client import AUTO
from ..transport.credentials import Credentials
from ..transport.recording import recorder_for
from .config import Config, Server, load

MAX_TIMEOUT = 86_400.0
"""A day: longer deadlines are mistakes (and overflow the socket layer)."""

if TYPE_CHECKING:
    from ..engine.aio import AsyncBaseClient
    from ..engine.client import BaseClient

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound="BaseClient")
A = TypeVar("A", bound="AsyncBaseClient")

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Plan:
    """Everything a transport and a client need, resolved."""

    host: str
    port: int | None
    credentials: Credentials
    protocol: str
    timeout: float
    verify: bool | str
    server: str | None


def plan(
    *,
    host: str | None,
    server: str | Server | None,
    config: Config | str | os.PathLike[str] | None,
    login: str | None,
    password: str | None,
    secret_key: str | None,
    protocol: str | None,
    port: int | None,
    timeout: float | None,
    verify: bool | str | None,
) -> Plan:
    """Resolve ``connect()``'s arguments, reading the named server if there is one."""
    entry: Server | None = None
    if isinstance(server, Server):
        entry = server
    elif server is not None:
        entry = (config if isinstance(config, Config) else load(config)).server(server)
    elif host is None:
        raise ConfigurationError("give a host, or a server named in the config file")
    if entry is not None and entry.problem is not None:
        raise ConfigurationError(entry.problem)
    if entry is not None and password is None and secret_key is None:
        found = entry.secret()
        if found is not None:
            kind, value = found
            password, secret_key = (
                (value, None) if kind == "password" else (None, value)
            )
    name = host if host is not None else (entry.host if entry else None)
    assert name is not None
    chosen = Plan(
        host=name,
        port=_first(port, _get(entry, "port")),
        credentials=Credentials(
            login=(
                None
                if secret_key is not None
                else _first(login, _get(entry, "login"), "admin")
            ),
            password=password,
            secret_key=secret_key,
        ),
        protocol=_first(
            protocol, _get(entry, "protocol"), AUTO
        ),  # see DEFAULT_PROTOCOL
        timeout=_first(timeout, _get(entry, "timeout"), DEFAULT_TIMEOUT),
        verify=_first(verify, entry.verify if entry else None, True),
        server=entry.name if entry else None,
    )
    if not 0 < chosen.timeout <= MAX_TIMEOUT:  # also refuses inf and nan
        raise ConfigurationError(
            f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, "
            f"got {chosen.timeout!r}"
        )
    return chosen


def _first(*values: Any) -> Any:
    """The first value that was given (``None`` is "not given"; 0 and "" are given)."""
    return next((value for value in values if value is not None), None)


def _get(entry: Server | None, key: str) -> Any:
    return getattr(entry, key) if entry is not None else None


def _transport(
    kind: type[Any], plan: Plan, given: Mapping[str, Any], version: str
) -> Any:
    return kind(
        plan.host,
        plan.credentials,
        port=plan.port,
        timeout=plan.timeout,
        verify=plan.verify,
        max_response_size=given["max_response_size"],
        retry=given["retry"],
        headers=given["headers"],
        user_agent=f"plesk-mail/{version} httpx/{httpx.__version__}",
        http_client=given["http_client"],
        recorder=recorder_for(given.get("record")),
    )


def _plan(given: Mapping[str, Any], versions: Sequence[str]) -> Plan:
    return plan(
        host=given["host"],
        server=given["server"],
        config=given["config"],
        login=given["login"],
        password=given["password"],
        secret_key=given["secret_key"],
        protocol=given["protocol"],
        port=given["port"],
        timeout=given["timeout"],
        verify=given["verify"],
    )


def _check_protocol(resolved: Plan, versions: Sequence[str]) -> None:
    protocol = resolved.protocol
    if protocol != AUTO and protocol not in versions:
        where = f"server {resolved.server!r}: " if resolved.server else ""
        raise UnknownProtocolError(
            f"{where}unknown Plesk protocol version {protocol!r}; known: "
            f"{', '.join(versions)} (or {AUTO!r})"
        )


def open_sync(client: type[C], given: Mapping[str, Any], version: str) -> C:
    """A synchronous client for ``connect()``'s arguments (negotiating if ``auto``)."""
    from ..engine.negotiate import choose, server_protocols
    from ..transport.http import Transport

    versions = client._codec.rules.versions
    if given["http_client"] is not None and not isinstance(
        given["http_client"], httpx.Client
    ):
        raise ConfigurationError("connect() takes an httpx.Client as http_client")
    resolved = _plan(given, versions)
    _check_protocol(resolved, versions)
    transport = _transport(Transport, resolved, given, version)
    protocol = resolved.protocol
    if protocol == AUTO:
        try:
            protocol = choose(server_protocols(transport), versions)
        except PleskError as exc:  # the versions it lists are the server's words
            transport.close()
            raise masked(exc, transport.masker) from None
        except BaseException:
            transport.close()
            raise
    return client(
        transport,
        protocol=protocol,
        validate=given["validate"],
        chunk_size=given["chunk_size"],
        lenient=given["lenient"],
    )


def open_async(client: type[A], given: Mapping[str, Any], version: str) -> A:
    """An async client for ``connect_async()``'s arguments; ``auto`` negotiates on open."""
    from ..transport.http import AsyncTransport

    versions = client._codec.rules.versions
    kind = given["http_client"]
    if kind is not None and not isinstance(kind, httpx.AsyncClient):
        raise ConfigurationError(
            "connect_async() takes an httpx.AsyncClient as http_client"
        )
    resolved = _plan(given, versions)
    _check_protocol(resolved, versions)
    return client(
        _transport(AsyncTransport, resolved, given, version),
        protocol=resolved.protocol,
        validate=given["validate"],
        chunk_size=given["chunk_size"],
        lenient=given["lenient"],
    )
