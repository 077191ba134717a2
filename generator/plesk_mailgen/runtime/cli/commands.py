"""What the generated ``cli`` module describes, and what the runtime needs besides.

``Option`` and ``Command`` are the generator's command-line model, one table
entry per operation; ``App`` carries what the generated package provides
(models, ``connect``, the version rules); ``Settings`` are the global options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import click

EXIT_OK = 0
EXIT_ITEMS_FAILED = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_STOPPED = 4
"""A bulk run stopped by a failure after some rows were applied."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT); a bulk run says what was applied first."""
FORMATS = ("table", "json", "jsonl", "csv")


@dataclass(frozen=True)
class Option:
    """One command option, as the generator's CLI model describes it."""

    flag: str
    dest: str
    path: tuple[str, ...]
    classes: tuple[str, ...]
    kind: str
    target: str
    multiple: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    versions: frozenset[str] | None = None
    """The protocol versions that have the option; ``None``: every version."""
    needed: bool = False
    """Required within its parent structure: needed as soon as a sibling is given."""
    help: str = ""
    secret: bool = False

    @property
    def column(self) -> str:
        """Column (CSV) or key (JSON lines) name in ``--from-file`` input."""
        return self.flag.removeprefix("--")


@dataclass(frozen=True)
class Command:
    """One operation as a command: its options, and how it takes bulk input."""

    name: str
    operation: str
    options: tuple[Option, ...]
    item_field: str | None = None
    item_class: str | None = None
    result_class: str | None = None
    required_structs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Required request structures whose fields all come from options."""
    everything: tuple[str, str, str] | None = None
    """(list field, client flag, what an empty list means): needs ``--all``."""
    help: str = ""
    examples: tuple[str, ...] = ()
    read_only: bool = False
    """Changes nothing: a run that stops has no writes to account for."""
    already_done: int | None = None
    """The item error code meaning "already there": ``--skip-existing`` counts it done."""
    addresses: bool = False
    """Accounts may be named by address (``info@example.com``) when no site is named."""
    site_field: str | None = None
    """The request field ``--site`` names by domain (``site_id``)."""

    @property
    def request_options(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.target == "request")

    @property
    def item_options(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.target == "item")


@dataclass(frozen=True)
class App:
    """What the generated package hands the runtime."""

    name: str
    version: str
    versions: tuple[str, ...]
    auto: str
    load_models: Callable[[], ModuleType]
    """Imports the models: ``--help`` and completion never need them."""
    connect: Callable[..., Any]
    supports: Callable[[str, type, str], bool]
    """Whether a protocol version has a field of a model class."""
    validate: Callable[[Any, str], None]
    """Raise ``ValidationError`` for a request the version's schema refuses."""
    encode: Callable[[list[Any], str], bytes]
    """The request packet of some requests, in a version (``--dry-run``)."""
    connect_async: Callable[..., Any]
    fleet: Callable[..., Any]
    releases: Mapping[str, tuple[str, ...]]
    """Plesk releases of each protocol version."""
    inputs: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """Every item option's column name by the path it sets (filled by ``make_main``):
    output columns of the same path take the same name, so output reads back."""
    commands: tuple[Command, ...] = ()
    """Every command (filled by ``make_main``)."""

    @property
    def models(self) -> ModuleType:
        return self.load_models()

    @functools.cached_property
    def outputs(self) -> frozenset[str]:
        """Every column of every command's output: a file may carry those its
        command does not take (an export read back)."""
        from .shape import Shape

        return frozenset(
            column
            for command in self.commands
            for column in Shape(
                (
                    getattr(self.models, command.result_class)
                    if command.result_class
                    else None
                ),
                self.inputs,
                bulk=True,
                servers=True,
            ).columns
        )


@dataclass
class Settings:
    """The global options."""

    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    protocol: str = ""
    """Empty: the named server's entry, else the newest version."""
    protocol_typed: str = ""
    """``--protocol`` as typed: it overrides even a fleet's entries (``auto`` too)."""
    server: str | None = None
    servers: tuple[str, ...] = ()
    config: str | None = None
    parallel: int = 64
    ca_file: str | None = None
    insecure: bool = False
    timeout: float | None = None
    chunk_size: int = 100
    format: str = "table"
    fields: tuple[str, ...] = ()
    quiet: bool = False
    dry_run: bool = False
    verbose: int = 0
    accounted: bool = False
    """A ledger was written (or the run ended): a late Ctrl-C has nothing to add."""


class VersionError(click.UsageError):
    """An option or column that the chosen protocol version does not have."""


class RowError(Exception):
    """A ``--from-file`` row that cannot become an item."""
