"""``plesk-mailgen diff OLD NEW``: what changed between two protocol versions.

Changes are reported per operation and side. A subtree that appears or
disappears as a whole is reported once, at its top, with the number of
elements below it, so one wrapped response reads as one change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from .inventory import Element, elements, enum_values
from .model import Protocol

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    operation: str
    side: str
    path: str
    old: str | None = None
    new: str | None = None
    nested: int = 0

    def line(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        if self.kind == "changed":
            detail = f"{self.old} -> {self.new}"
        else:
            detail = str(self.new if self.kind == "added" else self.old)
        if self.nested:
            detail += f"; {self.nested} nested element(s)"
        where = f"{self.operation} {self.side}" if self.side else self.operation
        return f"{sign} {where}: {self.path} ({detail})"


def diff(old: Protocol, new: Protocol) -> list[Change]:
    changes: list[Change] = []
    old_ops = [op.name for op in old.operations]
    new_ops = [op.name for op in new.operations]
    for name in new_ops:
        if name not in old_ops:
            changes.append(Change("added", name, "", "(operation)", new="operation"))
    for name in old_ops:
        if name not in new_ops:
            changes.append(Change("removed", name, "", "(operation)", old="operation"))
    before, after = elements(old), elements(new)
    common_ops = set(old_ops) & set(new_ops)
    changes += _subtrees(
        "added", [e for k, e in after.items() if k not in before], common_ops
    )
    changes += _subtrees(
        "removed", [e for k, e in before.items() if k not in after], common_ops
    )
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if (a.type, a.cardinality) != (b.type, b.cardinality):
            changes.append(
                Change(
                    "changed", a.operation, a.side, a.path, a.describe(), b.describe()
                )
            )
    changes += _enum_changes(old, new)
    order = {name: index for index, name in enumerate(new_ops + old_ops)}
    return sorted(
        changes, key=lambda c: (order.get(c.operation, 999), c.side, c.path, c.kind)
    )


def _subtrees(
    kind: ChangeKind, items: list[Element], operations: set[str]
) -> list[Change]:
    paths = {(e.operation, e.side, e.path) for e in items}
    result = []
    for element in items:
        if element.operation not in operations:
            continue  # reported as a whole operation
        parent = element.path.rsplit("/", 1)[0] if "/" in element.path else None
        if parent is not None and (element.operation, element.side, parent) in paths:
            continue
        nested = sum(
            1
            for e in items
            if (e.operation, e.side) == (element.operation, element.side)
            and e.path.startswith(element.path + "/")
        )
        value = element.describe()
        result.append(
            Change(
                kind,
                element.operation,
                element.side,
                element.path,
                old=value if kind == "removed" else None,
                new=value if kind == "added" else None,
                nested=nested,
            )
        )
    return result


def _enum_changes(old: Protocol, new: Protocol) -> list[Change]:
    result = []
    before, after = enum_values(old), enum_values(new)
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name, ()), after.get(name, ())
        for value in b:
            if value not in a:
                result.append(Change("added", f"enum {name}", "", value, new="value"))
        for value in a:
            if value not in b:
                result.append(Change("removed", f"enum {name}", "", value, old="value"))
    return result


def as_text(old: Protocol, new: Protocol, changes: list[Change]) -> str:
    head = f"{old.version} -> {new.version}: "
    if not changes:
        return head + "no changes in the generated operators"
    return (
        head
        + f"{len(changes)} change(s)\n"
        + "\n".join("  " + c.line() for c in changes)
    )


def as_json(old: Protocol, new: Protocol, changes: list[Change]) -> dict[str, object]:
    return {
        "old": old.version,
        "new": new.version,
        "changes": [asdict(c) for c in changes],
    }
