"""Named servers: a TOML file that says where each Plesk is and how to log in.

The file lives at ``$PLESK_MAIL_CONFIG``, else in the platform's user config
folder (``$XDG_CONFIG_HOME/plesk-mail/config.toml`` on Linux, usually
``~/.config/plesk-mail/config.toml``)::

    [defaults]                      # optional, for every server
    login = "admin"                 # the default
    protocol = "auto"               # the default: each server negotiates

    [servers.web1]
    host = "web1.example.com"       # or "203.0.113.5:8443"
    ca_file = "~/plesk/web1-ca.pem"
    password_env = "WEB1_PASSWORD"  # or password_command, or password (0600 file only)

    [servers.web2]
    host = "web2.example.com"
    secret_key_command = "pass show plesk/web2"

    [groups]
    eu = ["web1", "web2"]

A secret comes from an environment variable, from a command that prints it
(as git credential helpers and AWS ``credential_process`` do), or from the
file itself, which is then refused when others can read it, as ssh refuses a
readable key. Every problem is one ``ConfigurationError`` line naming the
file and the key; a secret never appears in one.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import ConfigurationError
from .credential_commands import (
    program_of,
    run_command,
    run_command_async,
)

CONFIG_ENV = "PLESK_MAIL_CONFIG"
APP_NAME = "plesk-mail"
SECRETS = ("password", "secret_key")
SOURCES = {f"{s}{suffix}" for s in SECRETS for suffix in ("", "_env", "_command")}
PLAIN_KEYS = {"host", "port", "login", "protocol", "ca_file", "insecure", "timeout"}
SERVER_KEYS = PLAIN_KEYS | SOURCES
ALL = "all"
"""The selection that means every server: no server or group may be called so."""
MAX_TIMEOUT = 86_400.0
MAX_SIZE = 1 << 20
"""A config file of more than a megabyte is a mistake (a log, a dump)."""
_NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")


def default_path() -> Path:
    """Where the config file is: ``$PLESK_MAIL_CONFIG``, else the user config folder."""
    given = os.environ.get(CONFIG_ENV)
    if given:
        return Path(given).expanduser()
    import click  # click knows each platform's folder and honours XDG_CONFIG_HOME

    return Path(click.get_app_dir(APP_NAME)) / "config.toml"


@dataclass(frozen=True)
class Server:
    """One named server: where it is, how to log in, what to trust."""

    name: str
    host: str
    port: int | None = None
    login: str | None = None
    protocol: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    timeout: float | None = None
    secret_source: tuple[str, str] | None = field(default=None, repr=False)
    """(key, value): how to get the secret; ``password_env`` and the like."""
    origin: Path = Path()
    problem: str | None = None
    """Why the entry cannot be used (one line); the other servers are unaffected."""

    @property
    def verify(self) -> bool | str:
        """httpx's ``verify``: the CA file, the system store (``True``) or off."""
        if self.insecure:
            return False
        return str(Path(self.ca_file).expanduser()) if self.ca_file else True

    @property
    def secret_kind(self) -> str | None:
        """``password`` or ``secret_key``, if the entry names a source for one."""
        if self.secret_source is None:
            return None
        return (
            "password" if self.secret_source[0].startswith("password") else "secret_key"
        )

    def describe_secret(self) -> str:
        """Where the secret comes from, never the secret itself."""
        if self.secret_source is None:
            return "none (asks, on a terminal)"
        key, value = self.secret_source
        if key.endswith("_env"):
            return f"${value}"
        if key.endswith("_command"):  # its arguments may hold a token: never shown
            return f"command: {program_of(value)}"
        return "in the file"

    def secret(self) -> tuple[str, str] | None:
        """``("password" | "secret_key", value)``, fetched now; ``None`` if not configured."""
        if self.secret_source is None:
            return None
        key, value = self.secret_source
        if key.endswith("_command"):
            return str(self.secret_kind), run_command(value, self._where(key))
        return self._stored()

    async def secret_async(self) -> tuple[str, str] | None:
        """The same, for an event loop: a slow command holds up nothing else, and a
        cancelled call (Ctrl-C) ends the command at once."""
        if self.secret_source is None:
            return None
        key, value = self.secret_source
        if key.endswith("_command"):
            return str(self.secret_kind), await run_command_async(
                value, self._where(key)
            )
        return self._stored()

    def _where(self, key: str) -> str:
        return f"{self.origin}: servers.{self.name}.{key}"

    def _stored(self) -> tuple[str, str]:
        """A secret from the environment or the file itself."""
        assert self.secret_source is not None
        key, value = self.secret_source
        kind = str(self.secret_kind)
        if key.endswith("_env"):
            found = os.environ.get(value)
            if not found:
                raise ConfigurationError(
                    f"{self._where(key)}: environment variable {value} is not set"
                )
            return kind, found
        return kind, value


@dataclass(frozen=True)
class Config:
    """The servers and groups of one config file."""

    path: Path
    servers: Mapping[str, Server]
    groups: Mapping[str, tuple[str, ...]]

    def server(self, name: str) -> Server:
        """The entry of ``name``; ``ConfigurationError`` if there is none or it is unusable."""
        entry = self.entry(name)
        if entry.problem is not None:
            raise ConfigurationError(entry.problem)
        return entry

    def entry(self, name: str) -> Server:
        """The entry of ``name`` as written, usable or not (``problem`` says)."""
        try:
            return self.servers[name]
        except KeyError:
            known = ", ".join(self.servers) or "none"
            raise ConfigurationError(
                f"{self.path}: no server {name!r} (servers: {known})"
            ) from None

    def select(self, names: Sequence[str]) -> list[Server]:
        """Servers by name, group name or ``all``, each once, in the order named.

        An unusable entry is selected too (its ``problem`` says why), so that
        a fleet reports it as that server's error and runs the others.
        """
        chosen: dict[str, Server] = {}
        for name in names:
            if name == ALL:
                chosen.update(self.servers)
            elif name in self.groups:
                chosen.update({n: self.entry(n) for n in self.groups[name]})
            else:
                chosen[name] = self.entry(name)
        return list(chosen.values())


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file (``default_path()`` unless given); refuse what is unclear."""
    where = Path(path).expanduser() if path is not None else default_path()
    try:
        found = where.stat()
        if not stat.S_ISREG(found.st_mode):  # a FIFO would block forever
            raise ConfigurationError(f"{where} is not a regular file")
        if found.st_size > MAX_SIZE:
            raise ConfigurationError(
                f"{where} is {found.st_size} bytes; a config file is at most {MAX_SIZE}"
            )
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"no config file at {where} (create it, or point {CONFIG_ENV} at one)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {where}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{where}: not valid TOML: {exc}") from None
    _known(data, {"defaults", "servers", "groups"}, where, "")
    defaults = _table(data, "defaults", where)
    _known(defaults, SERVER_KEYS - {"host"}, where, "defaults.")
    servers = {
        name: _entry(name, entry, defaults, where)
        for name, entry in _table(data, "servers", where).items()
    }
    entries = [defaults, *_table(data, "servers", where).values()]
    if any(isinstance(e, dict) and set(e) & set(SECRETS) for e in entries):
        _private(where)  # even when that entry is unusable: the file holds a secret
    groups: dict[str, tuple[str, ...]] = {}
    for name, members in _table(data, "groups", where).items():
        if not isinstance(members, list) or not all(
            isinstance(m, str) for m in members
        ):
            raise ConfigurationError(
                f"{where}: groups.{name} must be a list of server names"
            )
        unknown = [m for m in members if m not in servers]
        if unknown:
            raise ConfigurationError(
                f"{where}: groups.{name} names unknown server(s) {', '.join(unknown)}"
            )
        if name in servers or name == ALL or not _NAME.match(name):
            raise ConfigurationError(
                f"{where}: group {name!r}: a group name is letters, digits and '_.@-',"
                " and not a server's name or 'all'"
            )
        groups[name] = tuple(members)
    return Config(path=where, servers=servers, groups=groups)


def _table(data: Any, key: str | None, where: Path, label: str = "") -> dict[str, Any]:
    value = data.get(key, {}) if key is not None else data
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: {label or key} must be a table")
    return value


def _known(data: Mapping[str, Any], keys: set[str], where: Path, prefix: str) -> None:
    unknown = sorted(set(data) - keys)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key {prefix}{unknown[0]} (known: {', '.join(sorted(keys))})"
        )


def _entry(name: str, entry: Any, defaults: dict[str, Any], where: Path) -> Server:
    """One server's entry, or a placeholder saying in one line why it is unusable."""
    try:
        if name == ALL or not _NAME.match(name):
            raise ConfigurationError(
                f"{where}: servers.{name}: a server name is letters, digits and "
                f"'_.@-', and not {ALL!r} (which selects every server)"
            )
        own = _table(entry, None, where, f"servers.{name}")
        return _server(name, {**_defaults_for(own, defaults), **own}, where)
    except ConfigurationError as exc:
        return Server(name=name, host="", origin=where, problem=str(exc))


def _defaults_for(own: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The defaults an entry takes: not those its own keys replace (a secret source
    of its own replaces the default one; its own ca_file, a default insecure)."""
    dropped: set[str] = set()
    if set(own) & SOURCES:
        dropped |= SOURCES
    if "ca_file" in own or "insecure" in own:
        dropped |= {"ca_file", "insecure"}
    return {key: value for key, value in defaults.items() if key not in dropped}


_TYPES: dict[str, tuple[type, ...]] = {
    "host": (str,),
    "port": (int,),
    "login": (str,),
    "protocol": (str,),
    "ca_file": (str,),
    "insecure": (bool,),
    "timeout": (int, float),
}


def _server(name: str, entry: dict[str, Any], where: Path) -> Server:
    _known(entry, SERVER_KEYS, where, f"servers.{name}.")
    label = f"{where}: servers.{name}"
    sources = [k for k in SOURCES if k in entry]
    if len(sources) > 1:
        raise ConfigurationError(
            f"{label} names {' and '.join(sorted(sources))}; give one source of secret"
        )
    for key, allowed in _TYPES.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, allowed) or (
            isinstance(value, bool) and bool not in allowed
        ):
            names = " or ".join(t.__name__ for t in allowed)
            raise ConfigurationError(f"{label}.{key} must be a {names}")
    for key in sources:
        if not isinstance(entry[key], str) or not entry[key]:
            raise ConfigurationError(f"{label}.{key} must be a non-empty string")
    _check_values(entry, label)
    source = (sources[0], entry[sources[0]]) if sources else None
    return Server(
        name=name,
        host=entry["host"],
        port=entry.get("port"),
        login=entry.get("login"),
        protocol=entry.get("protocol"),
        ca_file=entry.get("ca_file"),
        insecure=entry.get("insecure", False),
        timeout=float(entry["timeout"]) if "timeout" in entry else None,
        secret_source=source,
        origin=where,
    )


def _check_values(entry: dict[str, Any], label: str) -> None:
    """Values checked as the options are: none is replaced by a default silently."""
    from ..transport.endpoint import split_host

    if not entry.get("host"):
        raise ConfigurationError(f"{label} has no host")
    port = entry.get("port")
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError(f"{label}.port must be 1 to 65535, got {port}")
    try:
        split_host(entry["host"], port)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{label}.host: {exc}") from None
    timeout = entry.get("timeout")
    if timeout is not None and not (
        math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT
    ):
        raise ConfigurationError(
            f"{label}.timeout must be more than 0 and at most {MAX_TIMEOUT:g} "
            f"seconds, got {timeout}"
        )
    if "login" in entry and not entry["login"].strip():
        raise ConfigurationError(f"{label}.login is empty")
    if "login" in entry and not entry["login"].isprintable():
        raise ConfigurationError(
            f"{label}.login holds a line break or control character"
        )
    if "protocol" in entry and not entry["protocol"].strip():
        raise ConfigurationError(f"{label}.protocol is empty")
    ca_file = entry.get("ca_file")
    if ca_file is not None and (not ca_file.strip() or "\0" in ca_file):
        raise ConfigurationError(f"{label}.ca_file is not a file name")
    if entry.get("insecure") and ca_file:
        raise ConfigurationError(
            f"{label}: insecure = true and ca_file contradict each other; give one"
        )


def _private(where: Path) -> None:
    """Refuse a file that holds a secret when others may read it."""
    try:
        mode = where.stat().st_mode
    except OSError:
        return
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{where} holds a password or secret key but others can read it "
            f"(mode {stat.S_IMODE(mode):04o}); chmod 600 it, or use password_env "
            "or password_command"
        )
