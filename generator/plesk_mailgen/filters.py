"""Jinja filters: how a model field is spelled in Python source.

Templates ask these for annotations, defaults and conversion expressions;
they never look at the schema themselves.
"""

from __future__ import annotations

import textwrap
from typing import Any

from .model import Field, FieldType, Operation
from .naming import snake

_PY_SCALARS = {
    "str": "str",
    "int": "int",
    "bool": "bool",
    "date": "datetime.date",
    "datetime": "datetime.datetime",
    "float": "float",
    "bytes": "bytes",
}
_TO_TEXT = {
    "str": "{v}",
    "int": "str({v})",
    "bool": '"true" if {v} else "false"',
    "date": "{v}.isoformat()",
    "datetime": "{v}.isoformat()",
    "float": "rt.float_text({v})",
    "bytes": "rt.base64_text({v})",
}
_FROM_XML = {
    "int": "rt.to_int({e})",
    "bool": "rt.to_bool({e})",
    "date": "rt.to_date({e})",
    "datetime": "rt.to_datetime({e})",
    "float": "rt.to_float({e})",
    "bytes": "rt.to_bytes({e})",
}


def item_type(field_type: FieldType) -> str:
    """Python type of one value of the field."""
    if field_type.kind == "flag":
        return "bool"
    if field_type.kind in ("enum", "struct"):
        return str(field_type.ref)
    return _PY_SCALARS[str(field_type.scalar)]


def annotation(field: Field, container: str = "list") -> str:
    """Python type of a model attribute (``container`` holds repeated values)."""
    base = item_type(field.type)
    if field.repeated:
        return f"{container}[{base}]"
    if field.type.kind == "flag" or field.required:
        return base
    return f"{base} | None"


def default(field: Field) -> str:
    """The ``= ...`` part of a dataclass field, or '' for a required one."""
    extra = ", repr=False" if field.secret else ""
    if field.repeated:
        if field.min_items > 0:
            return f" = field({extra.lstrip(', ')})" if extra else ""
        return f" = field(default_factory=list{extra})"
    if field.required:
        return " = field(repr=False)" if field.secret else ""
    value = "False" if field.type.kind == "flag" else "None"
    return f" = field(default={value}{extra})" if extra else f" = {value}"


def to_text(field: Field, value: str) -> str:
    """Expression turning ``value`` into element text."""
    if field.type.kind == "enum":
        return f"str({value})"
    return _TO_TEXT[str(field.type.scalar)].format(v=value)


def enum_table(name: str) -> str:
    """Name of the generated ``{value: member}`` dict of enum ``name``."""
    return f"_{snake(name).upper()}_VALUES"


def from_xml(field: Field, element: str) -> str:
    """Expression reading one value of ``field`` from ``element``.

    Common, well-formed values take an inline fast path; anything else (odd
    whitespace, bad values) falls back to the strict helper in ``runtime.xml``,
    which also produces the error message.
    """
    kind = field.type.kind
    if kind == "flag":
        return "True"
    if kind == "struct":
        return f"_decode_{snake(str(field.type.ref))}({element})"
    if kind == "enum":
        ref = field.type.ref
        return (
            f"e if (e := {enum_table(str(ref))}.get({element}.text)) is not None"
            f" else rt.to_enum({ref}, {element})"
        )
    scalar = field.type.scalar
    if scalar == "str":
        if field.type.collapse:
            return f'_collapse(t) if (t := {element}.text) else ""'
        return f'{element}.text or ""'
    if scalar == "int":
        return (
            f"int(t) if (t := {element}.text) and t.isdigit() and t.isascii()"
            f" else rt.to_int({element})"
        )
    if scalar == "bool":
        return (
            f'True if (t := {element}.text) == "true" else False if t == "false"'
            f" else rt.to_bool({element})"
        )
    return _FROM_XML[str(scalar)].format(e=element)


def pyrepr(value: Any) -> str:
    """A Python literal for strings and tuples in generated source."""
    return repr(value)


def docstring(text: str | None, indent: int = 4) -> str:
    """A triple-quoted docstring, safe for any schema text, wrapped to fit."""
    if not text:
        return ""
    safe = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if safe.endswith('"'):
        safe += " "
    if len(safe) + indent + 6 <= 88:
        return f'"""{safe}"""'
    pad = " " * indent
    lines = textwrap.wrap(safe, width=88 - indent, break_on_hyphens=False)
    return '"""' + f"\n{pad}".join(lines) + f"\n{pad}" + '"""'


def param_annotation(field: Field) -> str:
    """Type of a client method parameter: lists are accepted as any sequence."""
    return annotation(field, "Sequence")


def param_default(field: Field) -> str:
    if field.repeated:
        return "" if field.min_items > 0 else " = ()"
    if field.required:
        return ""
    return " = False" if field.type.kind == "flag" else " = None"


def returns(operation: Operation) -> str:
    """What a client method returns: its results, or the whole response."""
    if operation.result_type is None:
        return operation.response
    if operation.results_repeated:
        return f"Results[{operation.result_type}]"
    return operation.result_type


FILTERS = {
    "enum_table": enum_table,
    "param_annotation": param_annotation,
    "param_default": param_default,
    "returns": returns,
    "snake": snake,
    "annotation": annotation,
    "field_default": default,
    "item_type": item_type,
    "to_text": to_text,
    "from_xml": from_xml,
    "pyrepr": pyrepr,
    "docstring": docstring,
}
