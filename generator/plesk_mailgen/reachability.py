"""Keep only the classes the mail operator can reach.

The included Plesk files declare types of other operators (``phpSettings``,
``dbServerInput``, ...); they must not reach the generated package.
"""

from __future__ import annotations

from collections.abc import Iterable

from xsdata.codegen.models import Class

from .errors import GeneratorError

ROOTS = ("MailTypeRequest", "MailResponseType")


def reachable(classes: Iterable[Class], roots: Iterable[str] = ROOTS) -> list[Class]:
    """Top-level classes reachable from ``roots`` by attribute types and bases.

    Inner classes travel with their parent; the result keeps the input order.
    """
    classes = list(classes)
    by_qname = {cls.qname: cls for cls in classes}
    by_name: dict[str, Class] = {cls.name: cls for cls in classes}
    pending: list[Class] = []
    for root in roots:
        if root not in by_name:
            raise GeneratorError(f"schema declares no complex type {root!r}")
        pending.append(by_name[root])
    seen: set[str] = set()
    while pending:
        cls = pending.pop()
        if cls.qname in seen:
            continue
        seen.add(cls.qname)
        for qname in _references(cls):
            if qname in by_qname:
                pending.append(by_qname[qname])
    return [cls for cls in classes if cls.qname in seen]


def _references(cls: Class) -> Iterable[str]:
    for ext in cls.extensions:
        yield ext.type.qname
    for attr in cls.attrs:
        for attr_type in attr.types:
            if not attr_type.native and not attr_type.forward:
                yield attr_type.qname
    for inner in cls.inner:
        yield from _references(inner)
