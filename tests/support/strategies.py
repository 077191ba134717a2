"""Hypothesis strategies: random valid instances of every model class.

Guided by the generator's operation model (``plesk_mailgen.model``), like
``instances.py``, but drawing values instead of fixing them:

- ``xs:choice``: at most one branch is used, exactly one when the choice is
  required; a branch of a single field forces that field (a flag is True);
- lists honour ``min_items`` (and stay short: at most 3 items, for speed);
- enumerations draw from their members; ``int`` from the XSD type's range
  (``min_value``/``max_value``: ``id_type`` >= 1, ``xs:long``, ``xs:unsignedInt``
  ...), or +-2**63 for unbounded ``xs:integer``;
- strings hold only characters XML 1.0 can carry, within the type's length
  facets (``domainName``: 1 to 255); a field whose schema type collapses
  whitespace (``type.collapse``) only gets strings already in collapsed form,
  since the decoder collapses them;
- dates, date-times, floats and bytes use Hypothesis' own strategies.

One rule of the schemas is not in the operation model and is added here by
hand: an optional ``xs:sequence`` of several required elements, whose
elements come all together or not at all (``ALL_OR_NONE``).

``xsdata_safe=True`` leaves out the shapes stock xsdata cannot round-trip;
tests/test_codec_properties.py documents which and why.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from hypothesis import strategies as st
from plesk_mailgen.model import Field, Operation, Protocol, Struct

MAX_ITEMS = 3

# Optional sequences of several required elements: all of them or none. The
# operation model makes each field optional on its own, so the model classes
# can hold what the XSD refuses (e.g. ``prefs`` without ``site_id``).
# mail_output.xsd, MailResponseType/get_prefs/result:
#   <xs:sequence minOccurs="0"> site-id, prefs </xs:sequence>
ALL_OR_NONE: dict[str, tuple[tuple[str, ...], ...]] = {
    "GetPrefsResult": (("site_id", "prefs"),),
}
# Bounds for xs:integer-based types, which have none of their own.
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)

# Characters XML 1.0 cannot carry (besides surrogates, excluded by category).
NOT_XML = frozenset(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]
)
# Whitespace as xs:whiteSpace="collapse" defines it: only these four.
XSD_WHITESPACE = frozenset("\t\n\r ")


def xml_text(max_size: int = 12) -> st.SearchStrategy[str]:
    """Any string XML 1.0 can carry, whitespace included."""
    return st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters=NOT_XML),
        max_size=max_size,
    )


def collapsed_text(max_words: int = 3) -> st.SearchStrategy[str]:
    """Strings in collapsed form: words joined by single spaces, no edges."""
    word = st.text(
        st.characters(
            exclude_categories=("Cs",),
            # NBSP, U+3000 ... are content, not whitespace, and must survive.
            exclude_characters=NOT_XML | XSD_WHITESPACE,
        ),
        min_size=1,
        max_size=8,
    )
    return st.lists(word, max_size=max_words).map(" ".join)


def scalar(field: Field) -> st.SearchStrategy[Any]:
    kind = field.type.scalar
    if kind == "str":
        text = collapsed_text() if field.type.collapse else xml_text()
        low, high = field.type.min_length or 0, field.type.max_length
        return text.filter(lambda t: low <= len(t) <= (high or len(t)))
    if kind == "int":
        low, high = field.type.min_value, field.type.max_value
        return st.integers(
            min_value=INT_MIN if low is None else low,
            max_value=INT_MAX if high is None else high,
        )
    if kind == "bool":
        return st.booleans()
    if kind == "date":
        return st.dates()
    if kind == "datetime":
        return st.datetimes()
    if kind == "float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "bytes":
        return st.binary(max_size=16)
    raise NotImplementedError(f"no strategy for scalar kind {kind!r}")


def xsdata_cannot_serialise(struct: Struct, branch: tuple[str, ...]) -> bool:
    """A choice branch that is one flag: an empty element of type xs:anyType.

    In the mail schemas these are ``MailPreferences/none``,
    ``nonexistent-user/reject`` and ``MailProvider/local``. Stock xsdata types
    them ``object``, parses ``<none/>`` as ``""`` and its serializer then
    fails with "XmlElements undefined choice".
    """
    return len(branch) == 1 and struct.field_named(branch[0]).type.kind == "flag"


class Strategies:
    """Strategies for the model classes of one generated version module."""

    def __init__(
        self, protocol: Protocol, models: ModuleType, *, xsdata_safe: bool = False
    ) -> None:
        self.protocol = protocol
        self.models = models
        self.xsdata_safe = xsdata_safe
        self._structs: dict[str, st.SearchStrategy[Any]] = {}

    # -- classes ----------------------------------------------------------

    def struct(self, name: str) -> st.SearchStrategy[Any]:
        """Random valid instances of model class ``name``."""
        if name not in self._structs:
            self._structs[name] = self._build(self.protocol.struct(name))
        return self._structs[name]

    def _value(self, field: Field) -> st.SearchStrategy[Any]:
        kind = field.type.kind
        if kind == "struct":
            return st.deferred(lambda: self.struct(str(field.type.ref)))
        if kind == "enum":
            return st.sampled_from(list(getattr(self.models, str(field.type.ref))))
        if kind == "flag":
            return st.booleans()
        return scalar(field)

    def _build(self, struct: Struct) -> st.SearchStrategy[Any]:
        cls = getattr(self.models, struct.name)
        values = {f.name: self._value(f) for f in struct.fields}
        branch_options: list[list[int | None]] = []
        for choice in struct.choices:
            options: list[int | None] = [
                i
                for i, branch in enumerate(choice.branches)
                if not (self.xsdata_safe and xsdata_cannot_serialise(struct, branch))
            ]
            if not choice.required:
                options.append(None)
            assert options, f"{struct.name}: no usable branch of {choice}"
            branch_options.append(options)

        @st.composite
        def instances(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
            excluded: set[str] = set()
            forced: set[str] = set()
            for choice, options in zip(struct.choices, branch_options, strict=True):
                chosen = draw(st.sampled_from(options))
                for index, branch in enumerate(choice.branches):
                    if index != chosen:
                        excluded.update(branch)
                    elif len(branch) == 1:
                        forced.update(branch)
            together: dict[str, bool] = {}
            for group in ALL_OR_NONE.get(struct.name, ()):
                present = draw(st.booleans())
                together.update(dict.fromkeys(group, present))
            kwargs: dict[str, Any] = {}
            for field in struct.fields:
                if field.name in excluded or together.get(field.name) is False:
                    continue
                value = values[field.name]
                is_forced = field.name in forced
                if field.repeated:
                    low = max(field.min_items, 1 if is_forced else 0)
                    high = max(low, min(field.max_items or MAX_ITEMS, MAX_ITEMS))
                    kwargs[field.name] = draw(
                        st.lists(value, min_size=low, max_size=high)
                    )
                elif field.type.kind == "flag":
                    kwargs[field.name] = True if is_forced else draw(value)
                elif field.required or is_forced or together.get(field.name):
                    kwargs[field.name] = draw(value)
                else:
                    kwargs[field.name] = draw(st.none() | value)
            return cls(**kwargs)

        return instances()

    # -- packets ----------------------------------------------------------

    def operations(self, side: str) -> tuple[Operation, ...]:
        """Operations drawn on ``side`` (all of them, unless ``xsdata_safe``)."""
        return tuple(
            op
            for op in self.protocol.operations
            if not (
                self.xsdata_safe
                and side == "request"
                and xsdata_cannot_serialise_request(self, op)
            )
        )

    def request(self, operation: Operation) -> st.SearchStrategy[Any]:
        return self.struct(operation.request)

    def reply(self, operation: Operation) -> st.SearchStrategy[Any]:
        return self.struct(operation.response).map(
            lambda body: self.models.Reply(operation.name, body, operation.operator)
        )

    def request_packet(
        self, operations: tuple[Operation, ...], max_size: int = 2
    ) -> st.SearchStrategy[Any]:
        ops = st.one_of([self.request(op) for op in operations])
        return st.lists(ops, min_size=1, max_size=max_size).map(
            lambda items: self.models.RequestPacket(
                operations=items, version=self.models.PROTOCOL_VERSION
            )
        )

    def response_packet(
        self, operations: tuple[Operation, ...], max_size: int = 2
    ) -> st.SearchStrategy[Any]:
        replies = st.one_of([self.reply(op) for op in operations])
        return st.lists(replies, min_size=1, max_size=max_size).map(
            lambda items: self.models.ResponsePacket(
                replies=items, version=self.models.PROTOCOL_VERSION
            )
        )


def xsdata_cannot_serialise_request(
    strategies: Strategies, operation: Operation
) -> bool:
    """A request that is an empty ``xs:anyType`` element in ``MailTypeRequest``.

    ``<get-available-mail-providers/>``: the same xsdata failure as
    :func:`xsdata_cannot_serialise`, one level up.
    """
    return not strategies.protocol.struct(operation.request).fields


def reachable_structs(protocol: Protocol) -> set[str]:
    """Every model class reachable from some operation's request or response,
    through fields and base classes (``FilterResult`` only as a base)."""
    seen: set[str] = set()
    todo = [n for op in protocol.operations for n in (op.request, op.response)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        struct = protocol.struct(name)
        todo.extend(str(f.type.ref) for f in struct.fields if f.type.kind == "struct")
        todo.extend([struct.base] if struct.base else [])
    return seen


# -- lexical forms at the edge of the schema (issue 18) ------------------------------
#
# What a server may write for one value, drawn as text: every form the XSD type's
# lexical space has (``1`` and `` true `` for xs:boolean; a sign, leading zeros and
# white space around an integer; a time zone on a date) and near misses it does
# not (``TRUE``, ``1.0``, ``2024-02-30``). ``lexical_verdict`` says, from the XSD
# specification and independently of the runtime, what the text means.

XSD_SPACE = st.sampled_from(["", " ", "\t", "\n", " \r\n "])
BOOLEAN_FORMS = ["true", "false", "1", "0"]
BOOLEAN_MISSES = ["TRUE", "True", "FALSE", "yes", "no", "on", "t", "f", "1.0", "01"]
BOOLEAN_MISSES += ["+1", "-0", "true false", "", "\u00a0true"]
INTEGER_MISSES = ["1.0", "1e3", "0x10", "1_000", "\uff11", "\u0661", "--1", "+-1"]
INTEGER_MISSES += ["1 2", "", "+", "-", "1,000", "one", "\u00a01"]
DATE_MISSES = ["20240101", "2024-W01-1", "2024-001", "2024-1-01", "24-01-01"]
DATE_MISSES += ["+2024-01-01", "2024-01-01T00:00:00", "2024/01/01", "2024-01-01 Z"]
DATE_MISSES += ["\uff12024-01-01", "2024-01-01+2:00", "2024-01-01+0200"]


@st.composite
def boolean_text(draw: st.DrawFn) -> str:
    """A form of xs:boolean or a near miss, with white space around it or not."""
    core = draw(st.sampled_from(BOOLEAN_FORMS + BOOLEAN_MISSES))
    return draw(XSD_SPACE) + core + draw(XSD_SPACE)


@st.composite
def integer_text(draw: st.DrawFn, low: int | None, high: int | None) -> str:
    """An integer at or around the type's bounds (or anywhere), written with a sign,
    leading zeros and white space as the lexical space allows; or a near miss."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(INTEGER_MISSES))
    edges = [e for b in (low, high) if b is not None for e in (b - 1, b, b + 1)]
    value = draw(st.sampled_from([*edges, 0, 1, -1]) | st.integers(-(2**70), 2**70))
    sign = "-" if value < 0 else draw(st.sampled_from(["", "+"]))
    digits = "0" * draw(st.integers(0, 3)) + str(abs(value))
    return draw(XSD_SPACE) + sign + digits + draw(XSD_SPACE)


@st.composite
def date_text(draw: st.DrawFn) -> str:
    """An xs:date (any day of years 1 to 9999, maybe with a time zone), a day that
    does not exist (2023-02-29, month 13), or a near miss."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(DATE_MISSES))
    year = draw(st.integers(0, 9999))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    zone = draw(
        st.sampled_from(["", "", "Z", "+00:00", "+02:00", "-05:30", "+14:00", "-14:00"])
        | st.sampled_from(["+14:01", "-15:00", "+02:60", "+24:00"])
    )
    return draw(XSD_SPACE) + f"{year:04d}-{month:02d}-{day:02d}{zone}" + draw(XSD_SPACE)


def lexical_verdict(
    kind: str, text: str, low: int | None = None, high: int | None = None
) -> object:
    """What the XSD specification makes of ``text`` as ``kind`` ("boolean",
    "integer" with ``low``/``high``, "date"): the value, or ``None`` when the
    type refuses it. Written from the specification, not from the runtime."""
    import datetime
    import re

    value = text.strip(" \t\r\n")  # whiteSpace="collapse": only these four
    if kind == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(value)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return None
        number = int(value)
        if (low is not None and number < low) or (high is not None and number > high):
            return None
        return number
    found = re.fullmatch(
        r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?", value
    )
    if found is None:
        return None
    year, month, day, zone = found.groups()
    if zone not in (None, "Z"):
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None  # year 0 (XSD 1.0 has none), 2023-02-29, month 13
