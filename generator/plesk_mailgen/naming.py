"""Python names for schema names, and the override table that fixes poor ones.

Rules are deliberately few; anything they get wrong goes in
``schemas/names.toml``, keyed by where the type or element comes from.
"""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GeneratorError

NAMES_PATH = Path("schemas") / "names.toml"
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAME_LENGTH = 40
RESERVED = frozenset(
    {
        # What the generated modules define or import beside the models: a
        # model class of the same name would shadow it (or be shadowed).
        *("MailRequest", "MailResponse", "OperationName", "Reply", "OPERATIONS"),
        *("OperatorName", "OPERATORS"),
        *("RequestPacket", "ResponsePacket", "MailClient", "Batch", "Results"),
        *("Pending", "BaseClient", "BaseBatch", "Codec", "Everything"),
        *("OperationSpec", "FieldRule", "Rules", "Conflict", "SystemResult"),
        *("ResponseError", "ValidationError", "PleskError", "ItemErrors"),
        *("Any", "Final", "Literal", "NamedTuple", "Sequence", "TypeAlias"),
        *("TypeVar", "SubElement", "App", "Command", "Option"),
    }
)
"""Class names the generated package keeps for itself."""


def words(name: str) -> list[str]:
    """Split ``mailnameAddType``, ``mail-provider`` or ``end_date`` into words."""
    return [w.lower() for w in _WORD.findall(name)]


def pascal(name: str) -> str:
    return "".join(w.capitalize() for w in words(name))


def snake(name: str) -> str:
    result = "_".join(words(name))
    return result + "_" if keyword.iskeyword(result) else result


def constant(value: str) -> str:
    """Enum member name for a value such as ``text/html`` -> ``TEXT_HTML``."""
    result = "_".join(w.upper() for w in words(value)) or "EMPTY"
    return "_" + result if result[0].isdigit() else result


def plural(name: str) -> str:
    """English plural of a snake_case name's last word."""
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and len(name) > 1 and name[-2] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def check_type_name(name: str, source: str) -> str:
    """A class name for ``source``: an identifier the package does not keep for itself."""
    check_identifier(name, source)
    if name in RESERVED:
        raise GeneratorError(
            f"name {name!r} for {source} is taken by the generated package itself; "
            f"give the type another name under [types] in {NAMES_PATH}"
        )
    return name


def check_identifier(name: str, source: str) -> str:
    if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise GeneratorError(f"name {name!r} for {source} is not a Python identifier")
    if len(name) > MAX_NAME_LENGTH:
        raise GeneratorError(
            f"name {name!r} for {source} is longer than {MAX_NAME_LENGTH} characters;"
            f" give it a shorter one in {NAMES_PATH}"
        )
    return name


@dataclass(frozen=True)
class Overrides:
    """The override table: type names by source, field names by tag, flags."""

    types: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    inline: frozenset[str] = frozenset()
    secrets: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    cli: dict[str, str] = field(default_factory=dict)
    cli_sizes: frozenset[str] = frozenset()
    methods: dict[str, str] = field(default_factory=dict)
    """``operator.operation`` -> the operation's Python name (``site.get``)."""
    payloads: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    identities: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """operation -> (item field, path of the same value in its result)."""
    everything: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """operation -> (list field, flag argument, what an empty list means)."""
    already_done: dict[str, int] = field(default_factory=dict)
    """operation -> the item error code meaning "already there" (create: 1007)."""
    by_name: dict[str, dict[str, str]] = field(default_factory=dict)
    """request field -> param, lookup, filter, value, key: the field given by name."""
    addresses: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """operation -> (item name field, result path) of accounts named by address."""
    path: Path = NAMES_PATH

    def type_name(self, source: str, default: str) -> str:
        return self.types.get(source, default)

    def field_name(self, struct: str, tag: str, default: str) -> str:
        return self.fields.get(f"{struct}.{tag}", self.fields.get(tag, default))

    def is_secret(self, struct: str, tag: str) -> bool:
        return f"{struct}.{tag}" in self.secrets or tag in self.secrets

    def method_name(self, operator: str, operation: str) -> str:
        """The Python name of ``operation`` of ``operator``: its own, unless renamed."""
        return self.methods.get(f"{operator}.{operation}", operation)


_SECTIONS = frozenset(
    {"types", "fields", "inline", "secrets", "read_only", "cli", "methods"}
    | {"payloads", "everything", "identities", "already_done", "by_name"}
    | {"addresses"}
)


def read_overrides(project_dir: Path) -> Overrides:
    path = project_dir / NAMES_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Overrides(path=path)
    except tomllib.TOMLDecodeError as exc:
        raise GeneratorError(
            f"override table {path} is not valid TOML: {exc}"
        ) from None
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        moved = " (operation texts live in schemas/docs.toml)" * (
            unknown[0] == "operations"
        )
        raise GeneratorError(f"{path}: unknown entry {unknown[0]!r}{moved}")
    return Overrides(
        types=dict(data.get("types", {})),
        fields=dict(data.get("fields", {})),
        inline=frozenset(data.get("inline", ())),
        secrets=frozenset(data.get("secrets", ())),
        read_only=frozenset(data.get("read_only", ())),
        cli={k: v for k, v in data.get("cli", {}).items() if k != "sizes"},
        cli_sizes=frozenset(data.get("cli", {}).get("sizes", ())),
        methods=_methods(data.get("methods", {}), path),
        payloads=_payloads(data.get("payloads", {}), path),
        everything=_everything(data.get("everything", {}), path),
        identities=_identities(data.get("identities", {}), path),
        already_done=_codes(data.get("already_done", {}), path),
        by_name=_by_name(data.get("by_name", {}), path),
        addresses=_identities(data.get("addresses", {}), path),
        path=path,
    )


BY_NAME_KEYS = ("param", "lookup", "filter", "value", "key")


def _by_name(table: dict[str, object], path: Path) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for field_name, entry in table.items():
        if not isinstance(entry, dict) or set(entry) != set(BY_NAME_KEYS):
            raise GeneratorError(
                f"{path}: [by_name.{field_name}] needs exactly "
                f"{', '.join(BY_NAME_KEYS)}"
            )
        check_identifier(str(entry["param"]), f"[by_name.{field_name}] param")
        result[field_name] = {key: str(entry[key]) for key in BY_NAME_KEYS}
    return result


def _codes(table: dict[str, object], path: Path) -> dict[str, int]:
    for operation, code in table.items():
        if isinstance(code, bool) or not isinstance(code, int):
            raise GeneratorError(
                f"{path}: [already_done] {operation} must be an error code (a number)"
            )
    return {operation: int(str(code)) for operation, code in table.items()}


def _identities(
    table: dict[str, object], path: Path
) -> dict[str, tuple[str, tuple[str, ...]]]:
    result: dict[str, tuple[str, tuple[str, ...]]] = {}
    for operation, entry in table.items():
        item, equals, where = str(entry).partition("=")
        if not equals or not item.strip() or not where.strip():
            raise GeneratorError(
                f'{path}: [identities] {operation} must read "field = result.path"'
            )
        result[operation] = (item.strip(), tuple(where.strip().split(".")))
    return result


def _everything(
    table: dict[str, object], path: Path
) -> dict[str, tuple[str, str, str]]:
    result: dict[str, tuple[str, str, str]] = {}
    for operation, entry in table.items():
        keys = ("field", "flag", "means")
        if not isinstance(entry, dict) or sorted(entry) != sorted(keys):
            raise GeneratorError(
                f"{path}: [everything] {operation} needs exactly field, flag and means"
            )
        field_name, flag, means = (str(entry[k]) for k in keys)
        result[operation] = (
            field_name,
            check_identifier(flag, f"[everything] {operation}"),
            means,
        )
    return result


def _methods(table: dict[str, object], path: Path) -> dict[str, str]:
    """``"operator.operation" = "python_name"`` entries, checked."""
    result: dict[str, str] = {}
    for key, name in table.items():
        operator, dot, operation = key.partition(".")
        if not dot or not operator or not operation or not isinstance(name, str):
            raise GeneratorError(
                f'{path}: [methods] entries read "operator.operation" = "name", '
                f"got {key!r}"
            )
        result[key] = check_identifier(name, f"[methods] {key}")
    return result


def _payloads(
    table: dict[str, object], path: Path
) -> dict[str, tuple[str, str | None]]:
    """``operation = "method: field"`` (or ``"method"``: the results themselves)."""
    result: dict[str, tuple[str, str | None]] = {}
    for operation, entry in table.items():
        method, colon, field_name = str(entry).partition(":")
        if not method.strip() or (colon and not field_name.strip()):
            raise GeneratorError(
                f'{path}: [payloads] {operation} must read "method: field" or '
                f'"method", got {entry!r}'
            )
        result[operation] = (
            check_identifier(method.strip(), f"[payloads] {operation}"),
            field_name.strip() or None,
        )
    return result
