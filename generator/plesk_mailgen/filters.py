"""Jinja filters: how a model field is spelled in Python source.

Templates ask these for annotations, defaults and conversion expressions;
they never look at the schema themselves.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from .cli_model import CliCommand, CliOption
from .errors import GeneratorError
from .matrix import Row
from .model import Api, ByName, Field, FieldType, Operation
from .naming import snake
from .runtime.base.protocols import availability as said_availability

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
    if field.type.kind == "flag" or field.mandatory:
        return base
    return f"{base} | None"


def default(field: Field) -> str:
    """The ``= ...`` part of a dataclass field, or '' for a mandatory one."""
    extra = ", repr=False" if field.secret else ""
    if field.mandatory:
        return " = field(repr=False)" if field.secret else ""
    if field.repeated:
        return f" = field(default_factory=list{extra})"
    value = "False" if field.type.kind == "flag" else "None"
    return f" = field(default={value}{extra})" if extra else f" = {value}"


def availability(versions: tuple[str, ...] | None, everywhere: Sequence[str]) -> str:
    """Which protocol versions have something, worded as the runtime's errors."""
    if versions is None:
        return "every protocol version"
    return said_availability(versions, everywhere)


def version_set(versions: tuple[str, ...], everywhere: Sequence[str]) -> str:
    """Name of the generated ``frozenset`` constant holding ``versions``."""
    spelled = [v.replace(".", "_") for v in versions]
    if versions == tuple(everywhere[-len(versions) :]):
        return f"SINCE_{spelled[0]}"
    if versions == tuple(everywhere[: len(versions)]):
        return f"UNTIL_{spelled[-1]}"
    return "IN_" + "_OR_".join(spelled)


def to_text(field: Field, value: str) -> str:
    """Expression turning ``value`` into element text."""
    if field.type.kind == "enum":
        return f"str({value})"
    return _TO_TEXT[str(field.type.scalar)].format(v=value)


def enum_table(name: str) -> str:
    """Name of the generated ``{value: member}`` dict of enum ``name``."""
    return f"_{snake(name).upper()}_VALUES"


def decode_call(ref: str, element: str, api: Api) -> str:
    """Call decoding ``element`` into struct ``ref`` (a shared function takes the class)."""
    shared = api.codec_shared.get(ref)
    if shared is None:
        return f"_decode_{snake(ref)}({element})"
    return f"_decode_{snake(shared)}({element}, {ref})"


def encode_call(ref: str, parent: str, tag: str, value: str, api: Api) -> str:
    """Call writing ``value`` (a struct ``ref``) as element ``tag`` below ``parent``."""
    return f"_encode_{snake(api.codec_shared.get(ref, ref))}({parent}, {tag}, {value})"


def from_xml(field: Field, element: str, api: Api, scope: Sequence[Field] = ()) -> str:
    """Expression reading one value of ``field`` from ``element``.

    Common, well-formed values take an inline fast path; anything else (odd
    whitespace, bad values) falls back to the strict helper in ``runtime.xml``,
    which also produces the error message. ``scope`` holds the fields decoded
    in the same function, so each enum type there gets a variable of its own.
    """
    kind = field.type.kind
    if kind == "flag":
        return "True"
    if kind == "struct":
        return decode_call(str(field.type.ref), element, api)
    if kind == "enum":
        ref = field.type.ref
        e = _enum_variable(str(ref), scope)
        return (
            f"{e} if ({e} := {enum_table(str(ref))}.get({element}.text)) is not None"
            f" else rt.to_enum({ref}, {element})"
        )
    scalar = field.type.scalar
    if scalar == "str":
        if field.type.collapse:
            return f'_collapse(t) if (t := {element}.text) else ""'
        return f'{element}.text or ""'
    if scalar == "int":
        return _int_from_xml(field.type, element)
    if scalar == "bool":
        return (
            f'True if (t := {element}.text) == "true" else False if t == "false"'
            f" else rt.to_bool({element})"
        )
    return _FROM_XML[str(scalar)].format(e=element)


def _int_from_xml(field_type: FieldType, element: str) -> str:
    """An integer within the type's range: plain digits short enough to be in
    range are read inline; anything else (a sign, leading zeros, white space, a
    value at the edge of the range) by ``rt.to_int``, which checks the range."""
    low, high = field_type.min_value, field_type.max_value
    strict = (
        f"rt.to_int({element}, {low}, {high})"
        if (low, high) != (None, None)
        else f"rt.to_int({element})"
    )
    if (low is not None and low > 1) or (high is not None and high < 1):
        return strict  # no plain digit string is sure to be in range
    # Fewer digits than the upper bound has: below it. No leading zero: at least 1.
    digits = 19 if high is None else min(19, len(str(high)))
    first = ' and t[0] != "0"' if low == 1 else ""
    return (
        f"int(t) if (t := {element}.text) and len(t) < {digits} and t.isdigit()"
        f" and t.isascii(){first} else {strict}"
    )


def elements(names: Sequence[str], opening: str = "``", closing: str = "``") -> str:
    """Operator elements in prose: ``mail`` and ``site`` (or ``<mail>, <site>``)."""
    spelled = [f"{opening}{name}{closing}" for name in names]
    if opening == "<":
        return ", ".join(spelled)
    if len(spelled) < 2:
        return "".join(spelled)
    return ", ".join(spelled[:-1]) + " and " + spelled[-1]


def is_set(field: Field, obj: str) -> str:
    """Expression: whether ``field`` of ``obj`` holds something to write."""
    if field.repeated or field.type.kind == "flag":
        return f"{obj}.{field.name}"
    return f"{obj}.{field.name} is not None"


def _enum_variable(ref: str, scope: Sequence[Field]) -> str:
    """``e`` for the first enum type of a function, ``e_<enum>`` for the others
    (one variable holding two enum types would not type-check)."""
    first = next((f.type.ref for f in scope if f.type.kind == "enum"), ref)
    return "e" if ref == first else f"e_{snake(ref)}"


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


RAISES = (
    (
        "ValidationError",
        "A value the schema, or the connection's protocol version, refuses; "
        "nothing is sent.",
    ),
    (
        "PacketError",
        "The server refused the whole packet (``AuthenticationError``: the "
        "credentials).",
    ),
    (
        "TransportError",
        "No complete answer: refused, TLS, or the deadline passed "
        "(``DeadlineExceededError``).",
    ),
    ("ResponseError", "The answer is not a valid response packet."),
)


def method_doc(operation: Operation, api: Api, indent: int = 8) -> str:
    """The docstring of a client method: summary, Args, Returns, Raises."""
    pad = " " * indent
    width = 88 - indent - 4

    def entry(name: str, text: str) -> list[str]:
        lines = textwrap.wrap(
            f"{name}: {text}",
            width=width,
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
        return [f"    {line}" for line in lines]

    body = [str(operation.doc)]
    request = api.struct(operation.request)
    arguments = []
    for item in request.fields:
        arguments += entry(item.name, str(item.doc))
        named = operation.by_name
        if named is not None and named.field == item.name:
            arguments += entry(named.param, str(named.doc))
    if operation.everything is not None:
        wide = operation.everything
        arguments += entry(
            wide.flag, f"Mean it when {wide.field} is empty: act on {wide.means}."
        )
    if arguments:
        body += ["", "Args:", *arguments]
    body += ["", "Returns:"]
    returns = textwrap.wrap(
        f"{operation.returns_doc} Per-item errors are results (``ok``, "
        "``errcode``), never exceptions.",
        width=width,
    )
    body += [f"    {line}" for line in returns]
    body += ["", "Raises:"]
    for name, text in RAISES:
        body += entry(name, text)
    if operation.by_name is not None or operation.address is not None:
        body += entry(
            "UnknownSiteError",
            "A domain named (by site or address) that no site of the server has; "
            "nothing of the call was sent.",
        )
    safe = [line.replace("\\", "\\\\").replace('"""', "'''") for line in body]
    return '"""' + f"\n{pad}".join(safe) + f"\n{pad}" + '"""'


def param_annotation(field: Field) -> str:
    """Type of a client method parameter: lists are accepted as any sequence."""
    return annotation(field, "Sequence")


def param_default(field: Field) -> str:
    if field.mandatory:
        return ""
    if field.repeated:
        return " = ()"
    return " = False" if field.type.kind == "flag" else " = None"


def field_rule(field: Field, api: Api) -> str:
    """A ``FieldRule(...)`` for what the Python type of ``field`` does not say, or ''."""
    parts = []
    if field.type.kind == "scalar" and field.type.scalar == "int":
        if field.type.min_value is not None:
            parts.append(f"min_value={field.type.min_value}")
        if field.type.max_value is not None:
            parts.append(f"max_value={field.type.max_value}")
    if field.type.min_length is not None:
        parts.append(f"min_length={field.type.min_length}")
    if field.type.max_length is not None:
        parts.append(f"max_length={field.type.max_length}")
    if field.repeated and field.min_items:
        parts.append(f"min_items={field.min_items}")
    if field.repeated and field.max_items is not None:
        parts.append(f"max_items={field.max_items}")
    if field.versions is not None:
        parts.append(f"versions={version_set(field.versions, api.versions)}")
        if field.required:
            parts.append("required=True")
    return f"FieldRule({', '.join(parts)})" if parts else ""


def groupby_side(rows: Sequence[Row]) -> list[tuple[tuple[str, str], list[str]]]:
    """Matrix rows as ``((operation, side), [paths])``, in row order."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        paths = grouped.setdefault((row.operation, row.side), [])
        if row.path:
            paths.append(row.path)
    return list(grouped.items())


def shared_item_options(
    commands: Sequence[CliCommand],
) -> dict[str, tuple[CliOption, ...]]:
    """Item options that several commands share, by item class (written once)."""
    users: dict[str, list[tuple[CliOption, ...]]] = {}
    for command in commands:
        if command.item_class is not None:
            users.setdefault(command.item_class, []).append(command.item_options)
    return {
        name: options[0]
        for name, options in users.items()
        if len(options) > 1 and all(o == options[0] for o in options)
    }


def named_call(named: ByName) -> str:
    """How a client method tells the engine which site it names, and how."""
    if named.many:
        return f"Named(bool({named.field}), tuple({named.param}))"
    return (
        f"Named({named.field} is not None, "
        f"({named.param},) if {named.param} is not None else ())"
    )


def lookups(api: Api) -> list[ByName]:
    """The name lookup of the API (one operation finds every name), if any."""
    found = {op.by_name.lookup: op.by_name for op in api.operations if op.by_name}
    if len(found) > 1:
        raise GeneratorError(
            f"names are looked up by several operations: {sorted(found)}"
        )
    return list(found.values())


def operation_named(api: Api, name: str) -> Operation:
    return next(op for op in api.operations if op.name == name)


def results_class(operation: Operation) -> str:
    """The ``Results`` subclass with the operation's payload method."""
    return f"{operation.result_type}s"


def returns(operation: Operation) -> str:
    """What a client method returns: its results, or the whole response.

    A single ``result`` (``rename``) comes back as a one-item ``Results`` too,
    so every operation's answer is handled the same way.
    """
    if operation.result_type is None:
        return operation.response
    if operation.payload is not None:
        return results_class(operation)
    return f"Results[{operation.result_type}]"


FILTERS = {
    "named_call": named_call,
    "lookups": lookups,
    "operation": operation_named,
    "availability": availability,
    "version_set": version_set,
    "enum_table": enum_table,
    "param_annotation": param_annotation,
    "param_default": param_default,
    "returns": returns,
    "results_class": results_class,
    "field_rule": field_rule,
    "groupby_side": groupby_side,
    "shared_item_options": shared_item_options,
    "snake": snake,
    "annotation": annotation,
    "field_default": default,
    "item_type": item_type,
    "to_text": to_text,
    "from_xml": from_xml,
    "decode_call": decode_call,
    "encode_call": encode_call,
    "pyrepr": pyrepr,
    "elements": elements,
    "is_set": is_set,
    "docstring": docstring,
    "method_doc": method_doc,
}
