"""The command-line model: one command per operation, options across versions.

Derived from the version-neutral API, so an option that only some protocol
versions have carries the versions that do; the generated CLI refuses it,
naming the versions that have it, when ``--protocol`` is another. Templates render this model; they never walk structs themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .errors import GeneratorError
from .model import Api, ByName, Field, Operation, Versions
from .naming import Overrides, snake
from .runtime.base.protocols import availability

OptionKind = Literal["text", "int", "size", "bool", "flag", "enum", "date"]
Target = Literal["request", "item"]
MAX_DEPTH = 2


@dataclass(frozen=True)
class CliOption:
    """One ``--option``: where its value goes and in which versions it exists.

    ``path`` is the attribute path from the request (``target == "request"``)
    or from one batch item (``"item"``); ``classes`` names the model class of
    every struct along the path (one fewer than the path's length).
    """

    flag: str
    dest: str
    path: tuple[str, ...]
    classes: tuple[str, ...]
    kind: OptionKind
    target: Target
    multiple: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    versions: Versions = None
    secret: bool = False
    needed: bool = False
    """Required within its parent struct: needed as soon as a sibling is given."""

    @property
    def column(self) -> str:
        """Column (CSV) or key (JSON lines) name in ``--from-file`` input."""
        return self.flag.removeprefix("--")


@dataclass(frozen=True)
class CliCommand:
    name: str
    operation: str
    help: str
    options: tuple[CliOption, ...]
    examples: tuple[str, ...] = ()
    item_field: str | None = None
    item_class: str | None = None
    result_class: str | None = None
    everything: tuple[str, str, str] | None = None
    """(list field, client flag, what an empty list means): the CLI's ``--all``."""
    versions: Versions = None
    required_structs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Required request structs lifted into options: (field, their flags)."""
    read_only: bool = False
    """Changes nothing on the server: a run that stops has nothing to account for."""
    already_done: int | None = None
    """The item error code that means "already there" (``--skip-existing``)."""
    addresses: bool = False
    """Accounts may be named by address (``info@example.com``) when no site is."""
    site_field: str | None = None
    """The request field that ``--site`` names by domain (``site_id``)."""

    @property
    def request_options(self) -> tuple[CliOption, ...]:
        return tuple(o for o in self.options if o.target == "request")

    @property
    def item_options(self) -> tuple[CliOption, ...]:
        return tuple(o for o in self.options if o.target == "item")

    @property
    def reads_files(self) -> bool:
        """Bulk input: one item per row, for list-of-struct or list-of-name operations."""
        return self.item_field is not None


def build_commands(api: Api, overrides: Overrides) -> tuple[CliCommand, ...]:
    """One command per operation of the neutral API."""
    return tuple(_command(api, operation, overrides) for operation in api.operations)


def _command(api: Api, operation: Operation, overrides: Overrides) -> CliCommand:
    request = api.struct(operation.request)
    options: list[CliOption] = []
    item_field = item_class = None
    for field in request.fields:
        if field.name == operation.batch_field and field.type.kind == "struct":
            item_field, item_class = field.name, field.type.ref
            item = api.struct(str(field.type.ref))
            for sub in item.fields:
                options += _options(api, sub, (), (), "item", overrides, 0, None)
        elif field.name == operation.batch_field:
            item_field = field.name
            options += _options(api, field, (), (), "item", overrides, 0, None)
        else:
            found = _options(api, field, (), (), "request", overrides, 0, None)
            named = operation.by_name
            if named is not None and named.field == field.name:
                found = [replace(o, required=False) for o in found]
                found.append(_named_option(named))
            options += found
    flags = [o.flag for o in options]
    for flag in flags:
        if flags.count(flag) > 1:
            raise GeneratorError(
                f"CLI option {flag} of {operation.command} is used twice; rename one "
                f"under [cli] in {overrides.path}"
            )
    required_structs = tuple(
        (
            f.name,
            tuple(
                o.flag for o in options if o.target == "request" and o.path[0] == f.name
            ),
        )
        for f in request.fields
        if f.type.kind == "struct"
        and f.required
        and not f.repeated
        and f.name != operation.batch_field
    )
    return CliCommand(
        name=operation.command,
        operation=operation.name,
        help=(operation.doc or "").replace("``", ""),
        options=tuple(options),
        examples=operation.examples,
        item_field=item_field,
        item_class=item_class,
        result_class=operation.result_type,
        everything=(
            (wide.field, wide.flag, wide.means)
            if (wide := operation.everything)
            else None
        ),
        versions=operation.versions,
        required_structs=required_structs,
        read_only=operation.read_only,
        already_done=overrides.already_done.get(operation.name),
        addresses=operation.address is not None,
        site_field=operation.by_name.field if operation.by_name else None,
    )


def _named_option(named: ByName) -> CliOption:
    """``--site example.com``: the site by its name, beside ``--site-id``."""
    return CliOption(
        flag=f"--{named.param.removesuffix('s') if named.many else named.param}",
        dest=named.param,
        path=(named.param,),
        classes=(),
        kind="text",
        target="request",
        multiple=named.many,
        help=(named.doc or "").replace("``", ""),
    )


def _narrow(outer: Versions, inner: Versions) -> Versions:
    """The versions that have both a struct field and a field inside it."""
    if outer is None or inner is None:
        return outer if inner is None else inner
    return tuple(v for v in outer if v in inner)


def _options(
    api: Api,
    field: Field,
    path: tuple[str, ...],
    classes: tuple[str, ...],
    target: Target,
    overrides: Overrides,
    depth: int,
    versions: Versions,
) -> list[CliOption]:
    here = (*path, field.name)
    versions = _narrow(versions, field.versions)
    if field.type.kind == "struct":
        if field.repeated or depth >= MAX_DEPTH:
            return []  # lists of structs are for the Python API and --from-file JSON
        struct = api.struct(str(field.type.ref))
        # A required struct at the top (set_prefs' prefs) adds no prefix.
        lifted = field.required and depth == 0 and target == "request"
        prefix = path if lifted else here
        result: list[CliOption] = []
        for sub in struct.fields:
            result += _options(
                api,
                sub,
                prefix,
                (*classes, struct.name),
                target,
                overrides,
                depth + 1,
                _narrow(versions, struct.versions),
            )
        return [
            replace(o, path=(*here, *o.path[len(prefix) :])) if lifted else o
            for o in result
        ]
    words = [*path, snake(field.tag) if field.repeated else field.name]
    dotted = ".".join(here)
    name = overrides.cli.get(dotted) or "-".join(w.replace("_", "-") for w in words)
    kind: OptionKind
    if field.type.kind == "flag":
        kind = "flag"
    elif field.type.kind == "enum":
        kind = "enum"
    elif field.type.scalar == "int":
        kind = "size" if field.tag in overrides.cli_sizes else "int"
    elif field.type.scalar == "bool":
        kind = "bool"
    elif field.type.scalar == "date":
        kind = "date"
    else:
        kind = "text"
    return [
        CliOption(
            flag=f"--{name}",
            dest=name.replace("-", "_"),
            path=here,
            classes=classes,
            kind=kind,
            target=target,
            multiple=field.repeated,
            required=field.required and depth == 0,
            choices=_enum_values(api, field),
            help=_option_help(field, kind, versions, api.versions),
            versions=versions,
            secret=field.secret,
            needed=field.required and depth > 0,
        )
    ]


def _option_help(
    field: Field, kind: OptionKind, versions: Versions, everywhere: tuple[str, ...]
) -> str:
    """What ``--help`` says: the field's documentation, as plain text, and the
    units and protocol versions where they matter."""
    text = (field.doc or "").replace("``", "")
    if kind == "size":
        text += " Units: K, M, G or T (500M); a plain number is bytes."
    if versions is not None:
        text += f" In {availability(versions, everywhere)}."
    return text


def _enum_values(api: Api, field: Field) -> tuple[str, ...]:
    if field.type.kind != "enum":
        return ()
    return tuple(v.value for v in api.enum(str(field.type.ref)).values)
