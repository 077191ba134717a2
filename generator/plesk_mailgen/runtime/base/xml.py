"""XML helpers of the generated codecs: a safe parser and value conversions.

Responses come from the network and are untrusted: the parser never expands
entities, loads DTDs or touches the network, and a document with a DOCTYPE is
refused outright (Plesk never sends one).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import datetime
import enum
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from lxml import etree

from .errors import ResponseError, UnexpectedElementError

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
EXCERPT_LENGTH = 4096
"""How much of an answer an error keeps: more than it shows (``EXCERPT_SHOWN``),
so that a secret starting in the part shown is masked whole before the cut."""
Element = etree._Element


def excerpt(data: bytes) -> str:
    """The start of a payload, printable, for error messages."""
    return data[:EXCERPT_LENGTH].decode("utf-8", errors="replace")


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    """One safe parser per thread (lxml parsers must not be shared across threads)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _LOCAL.parser = parser
    return parser


def parse(data: bytes, max_size: int = DEFAULT_MAX_SIZE) -> Element:
    """Parse untrusted bytes into an element tree, or raise ``ResponseError``."""
    if len(data) > max_size:
        raise ResponseError(
            f"response of {len(data)} bytes exceeds the limit of {max_size} bytes",
            excerpt(data),
        )
    if not data.strip():
        raise ResponseError("empty response", "")
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ResponseError(
            f"response is not well-formed XML: {exc}", excerpt(data)
        ) from None
    if root.getroottree().docinfo.doctype:
        raise ResponseError("response declares a DOCTYPE; refused", excerpt(data))
    return root


def serialize(root: Element) -> bytes:
    """A packet as sent: no whitespace between elements."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def indented(packet: bytes) -> str:
    """A packet for people to read (``--dry-run``): one element per line."""
    root = parse(packet, max_size=len(packet) + 1)
    etree.indent(root, space="  ")
    text: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return text.decode("utf-8")


def path_of(element: Element) -> str:
    return str(element.getroottree().getpath(element))


@dataclass(frozen=True)
class UnknownElement:
    """An element a lenient decoder skipped: where it was, and its XML."""

    path: str
    xml: str


_COLLECTOR: contextvars.ContextVar[list[UnknownElement] | None] = (
    contextvars.ContextVar("plesk_mail_unknown_elements", default=None)
)


@contextlib.contextmanager
def collecting_unknown() -> Iterator[list[UnknownElement]]:
    """Within this block, unknown elements are collected instead of raising."""
    collected: list[UnknownElement] = []
    token = _COLLECTOR.set(collected)
    try:
        yield collected
    finally:
        _COLLECTOR.reset(token)


def unexpected(element: Element) -> None:
    """Refuse an element the schema does not have (or collect it, when lenient)."""
    path = path_of(element)
    collector = _COLLECTOR.get()
    if collector is None:
        raise UnexpectedElementError(
            f"unexpected element <{element.tag!s}> at {path}", path
        )
    collector.append(
        UnknownElement(
            path, etree.tostring(element, encoding="unicode", with_tail=False)
        )
    )


_INDEX = re.compile(r"\[\d+\]")


def schema_path(path: str) -> str:
    """``/packet/mail/get_info[2]/result[3]/x`` -> ``get_info/result/x``."""
    return _INDEX.sub("", path).removeprefix("/packet/mail/")


def decode_items(element: Element, tag: str, decode: Callable[[Element], T]) -> list[T]:
    """The children ``tag`` of an element that holds nothing else, decoded."""
    items = []
    for child in element:
        if child.tag == tag:
            items.append(decode(child))
        else:
            unexpected(child)
    return items


def missing(parent: Element, tag: str) -> NoReturn:
    raise ResponseError(f"element <{tag}> missing in {path_of(parent)}")


def _bad(element: Element, kind: str) -> NoReturn:
    value = (element.text or "")[:EXCERPT_LENGTH]
    if not value:
        raise ResponseError(f"{path_of(element)}: empty, not a valid {kind}")
    raise ResponseError(f"{path_of(element)}: not a valid {kind}", value)


def text(element: Element) -> str:
    return element.text or ""


_XML_SPACE = re.compile("[ \t\n\r]+")
_XML_SPACE_CHARS = " \t\n\r"


def collapse(text: str) -> str:
    """XSD ``whiteSpace=collapse``: only space, tab, CR and LF count as whitespace.

    (``str.split()`` would also eat U+00A0 and friends, which are content.)
    """
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        return _XML_SPACE.sub(" ", text).strip(" ")
    if text[:1] == " " or text[-1:] == " ":
        return text.strip(" ")
    return text


def collapsed(element: Element) -> str:
    """Element text collapsed, as Plesk's ``string`` type defines it."""
    text = element.text
    return collapse(text) if text else ""


def _token(element: Element) -> str:
    return (element.text or "").strip(_XML_SPACE_CHARS)


_INTEGER = re.compile(r"[+-]?[0-9]+")
_MOST_DIGITS = 40
"""Significant digits of the longest integer read: thousands of digits are no
value Plesk sends (and ``int()`` would refuse them)."""


def to_int(element: Element, low: int | None = None, high: int | None = None) -> int:
    """The element's xs:integer, within the type's range (``low``, ``high``: the
    bounds of ``xs:long``, ``xs:positiveInteger``, ...): a sign, ASCII digits,
    leading zeros and white space around it are all the lexical space allows."""
    text = _token(element)
    # int() would also take "1_000", inner spaces and non-ASCII digits; xs:integer does not.
    if _INTEGER.fullmatch(text) and len(text.lstrip("+-0")) <= _MOST_DIGITS:
        value = int(text)
        if (low is None or value >= low) and (high is None or value <= high):
            return value
        _bad(element, f"integer {_range(low, high)}")
    _bad(element, "integer")


def _range(low: int | None, high: int | None) -> str:
    if high is None:
        return f"(at least {low})"
    if low is None:
        return f"(at most {high})"
    return f"(from {low} to {high})"


def to_bool(element: Element) -> bool:
    value = _token(element)
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    _bad(element, "boolean")


def _parsed(element: Element, parse: Callable[[str], T], kind: str) -> T:
    """``parse`` of the element's text, or ``ResponseError`` naming ``kind``."""
    try:
        return parse(_token(element))
    except (ValueError, binascii.Error):
        pass  # not from inside the handler: the error must not chain this one
    _bad(element, kind)


_DATE = re.compile(
    r"(?P<year>-?[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?P<zone>Z|[+-](?P<hours>[0-9]{2}):(?P<minutes>[0-9]{2}))?"
)


def _xs_date(text: str) -> datetime.date:
    """An xs:date: ``2024-02-29``, with an optional time zone (``Z``, ``+02:00``),
    which names the day's zone and is dropped. ``date.fromisoformat`` alone would
    also take ``20240229`` and week dates (``2024-W09-4``), which xs:date does not;
    years outside 1 to 9999 (``-0044-03-15``, ``12024-01-01``) are valid there but
    no ``datetime.date``."""
    found = _DATE.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year = found["year"]
    if len(year.lstrip("-")) > 4 and year.lstrip("-").startswith("0"):
        raise ValueError(text)  # more than four digits only without leading zeros
    if found["zone"] not in (None, "Z"):
        hours, minutes = int(found["hours"]), int(found["minutes"])
        if minutes > 59 or hours > 14 or (hours == 14 and minutes):
            raise ValueError(text)
    return datetime.date(int(year), int(found["month"]), int(found["day"]))


def to_date(element: Element) -> datetime.date:
    return _parsed(element, _xs_date, "date")


def to_datetime(element: Element) -> datetime.datetime:
    return _parsed(element, datetime.datetime.fromisoformat, "date and time")


def to_float(element: Element) -> float:
    return _parsed(element, float, "number")


def _base64(text: str) -> bytes:
    return base64.b64decode(_XML_SPACE.sub("", text), validate=True)


def to_bytes(element: Element) -> bytes:
    return _parsed(element, _base64, "base64 value")


def to_enum(enum_type: type[E], element: Element) -> E:
    try:
        return enum_type(collapse(element.text or ""))
    except ValueError:
        pass
    _bad(element, f"{enum_type.__name__} value")


def float_text(value: float) -> str:
    return repr(float(value))


def base64_text(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
