"""Documentation of the generated symbols, from ``schemas/docs.toml`` and the schema.

Applied to the merged API, by final Python names: a class, field or value
takes its text from the table, else from the schema's annotation, else a
placeholder that ``generate`` reports and the docs test refuses.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import GeneratorError
from .model import Api, Enum, Field, Operation, Struct

DOCS_PATH = Path("schemas") / "docs.toml"
PLACEHOLDER = "Not documented yet"
SUMMARY_WIDTH = 76
"""Room on a method's first docstring line: 88 columns less indent and quotes."""


@dataclass(frozen=True)
class Docs:
    """The documentation table."""

    operations: dict[str, str] = field(default_factory=dict)
    returns: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    """Method parameters that are no request field (``site`` for ``site_id``)."""


def read_docs(project_dir: Path) -> Docs:
    path = project_dir / DOCS_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Docs()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GeneratorError(
            f"documentation table {path} is unreadable: {exc}"
        ) from None
    known = {"operations", "returns", "classes", "fields", "values", "examples"}
    known |= {"params"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GeneratorError(f"{path}: unknown table [{unknown[0]}]")
    return Docs(
        operations=dict(data.get("operations", {})),
        returns=dict(data.get("returns", {})),
        classes=dict(data.get("classes", {})),
        fields=dict(data.get("fields", {})),
        values=dict(data.get("values", {})),
        examples={k: tuple(v) for k, v in data.get("examples", {}).items()},
        params=dict(data.get("params", {})),
    )


def document(api: Api, docs: Docs) -> tuple[Api, list[str]]:
    """``api`` with every doc filled in, and the symbols left with a placeholder."""
    missing: list[str] = []

    def text(found: str | None, what: str) -> str:
        if found:
            return " ".join(found.split())
        missing.append(what)
        return f"{PLACEHOLDER}: ``{what}``."

    def one_field(struct: Struct, item: Field) -> Field:
        key = f"{struct.name}.{item.name}"
        found = docs.fields.get(key) or docs.fields.get(item.name) or item.doc
        return replace(item, doc=text(found, key))

    def one_struct(struct: Struct) -> Struct:
        inherited = struct.fields[: struct.inherited_count]
        own = tuple(one_field(struct, f) for f in struct.own_fields)
        bases = {s.name: s for s in api.structs}
        if struct.base is not None:  # inherited fields read as their base declares them
            inherited = tuple(one_field(bases[struct.base], f) for f in inherited)
        return replace(
            struct,
            doc=text(docs.classes.get(struct.name) or struct.doc, struct.name),
            fields=(*inherited, *own),
        )

    def one_enum(enum: Enum) -> Enum:
        values = tuple(
            replace(v, doc=text(docs.values.get(f"{enum.name}.{v.value}"), key))
            for v in enum.values
            if (key := f"{enum.name}.{v.value}")
        )
        doc = text(docs.classes.get(enum.name) or enum.doc, enum.name)
        return replace(enum, doc=doc, values=values)

    def one_operation(operation: Operation) -> Operation:
        summary = docs.operations.get(operation.name, "")
        if len(summary) > SUMMARY_WIDTH:
            raise GeneratorError(
                f"{DOCS_PATH}: [operations] {operation.name} is longer than a"
                f" docstring summary line ({SUMMARY_WIDTH} characters)"
            )
        named = operation.by_name
        if named is not None:
            param = named.param
            named = replace(named, doc=text(docs.params.get(param), f"{param} (param)"))
        return replace(
            operation,
            by_name=named,
            doc=text(docs.operations.get(operation.name), operation.name),
            returns_doc=text(
                docs.returns.get(operation.name), f"{operation.name} (returns)"
            ),
            examples=docs.examples.get(operation.command, ()),
        )

    documented = replace(
        api,
        structs=tuple(one_struct(s) for s in api.structs),
        enums=tuple(one_enum(e) for e in api.enums),
        operations=tuple(one_operation(o) for o in api.operations),
    )
    return documented, sorted(set(missing))
