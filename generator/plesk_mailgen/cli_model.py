"""The command-line model: one command per operation, options across versions.

Derived from the operation models of all versions at once, so an option that
only newer protocol versions have carries the versions that do; the generated
CLI refuses it, naming the first version that has it, when ``--protocol`` is
older. Templates render this model; they never walk structs themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .errors import GeneratorError
from .model import Field, Operation, Protocol
from .naming import Overrides, snake

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
    versions: tuple[str, ...] = ()
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
    item_field: str | None = None
    item_class: str | None = None
    versions: tuple[str, ...] = ()
    required_structs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Required request structs lifted into options: (field, their flags)."""

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


def build_commands(
    protocols: list[Protocol], overrides: Overrides
) -> tuple[CliCommand, ...]:
    """Commands of all versions merged; ``protocols`` sorted oldest first."""
    merged: dict[str, CliCommand] = {}
    for protocol in protocols:
        for operation in protocol.operations:
            command = _command(protocol, operation, overrides)
            known = merged.get(command.name)
            merged[command.name] = command if known is None else _merge(known, command)
    return tuple(merged.values())


def _merge(old: CliCommand, new: CliCommand) -> CliCommand:
    options = {o.dest: o for o in old.options}
    for option in new.options:
        if option.dest in options:
            before = options[option.dest]
            options[option.dest] = replace(
                option,
                versions=before.versions + option.versions,
                required=before.required and option.required,
            )
        else:
            options[option.dest] = option
    return replace(
        new, options=tuple(options.values()), versions=old.versions + new.versions
    )


def _command(
    protocol: Protocol, operation: Operation, overrides: Overrides
) -> CliCommand:
    request = protocol.struct(operation.request)
    options: list[CliOption] = []
    item_field = item_class = None
    for field in request.fields:
        if field.name == operation.batch_field and field.type.kind == "struct":
            item_field, item_class = field.name, field.type.ref
            item = protocol.struct(str(field.type.ref))
            for sub in item.fields:
                options += _options(protocol, sub, (), (), "item", overrides, 0)
        elif field.name == operation.batch_field:
            item_field = field.name
            options += _options(protocol, field, (), (), "item", overrides, 0)
        else:
            options += _options(protocol, field, (), (), "request", overrides, 0)
    flags = [o.flag for o in options]
    for flag in flags:
        if flags.count(flag) > 1:
            raise GeneratorError(
                f"{protocol.version}: CLI option {flag} of {operation.command} is used "
                f"twice; rename one under [cli] in {overrides.path}"
            )
    options = [replace(o, versions=(protocol.version,)) for o in options]
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
        help=operation.doc or operation.name,
        options=tuple(options),
        item_field=item_field,
        item_class=item_class,
        versions=(protocol.version,),
        required_structs=required_structs,
    )


def _options(
    protocol: Protocol,
    field: Field,
    path: tuple[str, ...],
    classes: tuple[str, ...],
    target: Target,
    overrides: Overrides,
    depth: int,
) -> list[CliOption]:
    here = (*path, field.name)
    if field.type.kind == "struct":
        if field.repeated or depth >= MAX_DEPTH:
            return []  # lists of structs are for the Python API and --from-file JSON
        struct = protocol.struct(str(field.type.ref))
        # A required struct at the top (set_prefs' prefs) adds no prefix.
        lifted = field.required and depth == 0 and target == "request"
        prefix = path if lifted else here
        result: list[CliOption] = []
        for sub in struct.fields:
            result += _options(
                protocol,
                sub,
                prefix,
                (*classes, struct.name),
                target,
                overrides,
                depth + 1,
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
            choices=_enum_values(protocol, field),
            help=field.doc or "",
            secret=field.secret,
            needed=field.required and depth > 0,
        )
    ]


def _enum_values(protocol: Protocol, field: Field) -> tuple[str, ...]:
    if field.type.kind != "enum":
        return ()
    for enum in protocol.enums:
        if enum.name == field.type.ref:
            return tuple(v.value for v in enum.values)
    return ()
