"""Hiding secrets in what people read: messages, excerpts, log lines, error fields.

Masking is presentation only. Decoded data is exactly what the server sent;
a secret is hidden where text is shown: exception messages, excerpts of
answers, log lines, and the error fields of tables and JSON.

A server may echo a secret as it was sent, XML-escaped, HTML-escaped (PHP's
``htmlspecialchars`` and ``htmlentities``), as character references or
URL-encoded. Each of those forms is replaced by ``***`` where it stands. A
text in which the secret can still be read once unescaped (a form nobody
listed, a mix of forms) is replaced whole, as is any text containing a
secret shorter than ``MIN_IN_PLACE`` characters: a password such as ``e`` or
``1`` cannot be cut out of ordinary words and numbers without garbling them,
and must not be left in them either.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import html
import html.entities
import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property

MASK = "***"
MIN_IN_PLACE = 4
"""Shorter secrets hide the whole text they appear in."""
_FALLBACK_MASKS = (MASK, "###", "[hidden]")
_SPACE = re.compile(r"[ \t\r\n]+")
_ENTITY_NAMES = {chr(code): name for code, name in html.entities.codepoint2name.items()}


_APOSTROPHES = ("'", "&#x27;", "&#039;", "&#39;", "&apos;")
"""How HTML escapers write ``'`` (Python's html.escape, PHP's ENT_QUOTES, ...)."""
_QUOTES = ('"', "&quot;", "&#34;", "&#x22;")


def _html_forms(secret: str) -> set[str]:
    """``secret`` as HTML escapers write it: every apostrophe, quote and non-ASCII style."""
    forms = set()
    for apostrophe in _APOSTROPHES:
        for quote in _QUOTES:
            for wide in ("raw", "named", "decimal", "hex"):
                parts = []
                for char in secret:
                    if char == "&":
                        parts.append("&amp;")
                    elif char == "<":
                        parts.append("&lt;")
                    elif char == ">":
                        parts.append("&gt;")
                    elif char == "'":
                        parts.append(apostrophe)
                    elif char == '"':
                        parts.append(quote)
                    elif char.isascii() or wide == "raw":
                        parts.append(char)
                    elif wide == "named" and char in _ENTITY_NAMES:
                        parts.append(f"&{_ENTITY_NAMES[char]};")
                    elif wide == "hex":
                        parts.append(f"&#x{ord(char):x};")
                    else:
                        parts.append(f"&#{ord(char)};")
                forms.add("".join(parts))
    return forms


def escaped_forms(secret: str) -> set[str]:
    """How a server may write ``secret`` back: plain, escaped, referenced, encoded."""
    forms = {
        secret,
        *_html_forms(secret),
        "".join(f"&#{ord(c)};" for c in secret),
        "".join(f"&#x{ord(c):x};" for c in secret),
        "".join(f"&#x{ord(c):X};" for c in secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }
    forms.update(f.lower() for f in list(forms) if "%" in f)  # %2f as well as %2F
    return {form for form in forms if form}


_BACKSLASHED = re.compile(
    r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2}))"
)


def _unbackslashed(text: str) -> str:
    """``\\u00e4``, ``\\U0001f600``, ``\\xe4`` (JSON and Python escapes) as characters."""

    def char(match: re.Match[str]) -> str:
        code = int(next(g for g in match.groups() if g), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    decoded = _BACKSLASHED.sub(char, text)  # a pair of surrogates is one character:
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _views(text: str) -> Iterable[str]:
    """``text`` as a person might read it once unescaped or decoded."""
    yield text
    if "\\" in text:
        yield _unbackslashed(text)
    unescaped = html.unescape(text)
    yield unescaped
    yield html.unescape(unescaped)
    for decoded in (urllib.parse.unquote(text), urllib.parse.unquote_plus(text)):
        yield decoded
        yield html.unescape(decoded)
    yield json.dumps(text)[1:-1]
    yield repr(text)


class Masker:
    """Hides a set of secrets in text; empty (hides nothing) without secrets.

    ``more`` supplies further secrets only when a text is masked (the account
    passwords of a packet, say), so a call that shows nothing costs nothing.
    """

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        more: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._given = tuple(s for s in secrets if s)
        self._more = more

    def __bool__(self) -> bool:
        return bool(self._given) or self._more is not None

    def __repr__(self) -> str:
        return f"Masker({len(self._given)} secret(s))"

    def adding(self, more: Callable[[], Iterable[str]]) -> Masker:
        """This masker, also hiding what ``more`` returns (asked on first use)."""
        previous = self._more

        def everything() -> Iterable[str]:
            yield from previous() if previous is not None else ()
            yield from more()

        return Masker(self._given, everything)

    @cached_property
    def _secrets(self) -> tuple[str, ...]:
        found = {*self._given, *(s for s in (self._more() if self._more else ()) if s)}
        return tuple(sorted(found, key=len, reverse=True))

    @cached_property
    def _forms(self) -> tuple[str, ...]:
        forms = {
            form
            for secret in self._secrets
            if len(secret) >= MIN_IN_PLACE
            for form in escaped_forms(secret)
        }
        return tuple(sorted(forms, key=len, reverse=True))

    @cached_property
    def _whole(self) -> str:
        """The mask of a whole text: one that contains no secret itself."""
        return next(
            (m for m in _FALLBACK_MASKS if not any(s in m for s in self._secrets)),
            "",
        )

    def text(self, text: str) -> str:
        """``text`` with every secret hidden, in place or as a whole."""
        if not text or not self:
            return text
        secrets = self._secrets
        if not secrets:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        if self._readable(text):
            return self._whole
        return text

    def _readable(self, text: str) -> bool:
        """Whether a secret can still be read in ``text`` in some view of it."""
        collapsed = {_SPACE.sub(" ", s) for s in self._secrets}
        for view in _views(text):
            if any(secret in view for secret in self._secrets):
                return True
            spaced = _SPACE.sub(" ", view)
            if any(secret in spaced for secret in collapsed):
                return True
        return False

    def __call__(self, text: str) -> str:
        return self.text(text)


NO_SECRETS = Masker()


_SECRET_FIELDS: dict[type, tuple[str, ...]] = {}
_ALL_FIELDS: dict[type, tuple[str, ...]] = {}


def secret_values(value: object) -> Iterator[str]:
    """The values of secret fields (``repr=False``) anywhere in a message."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from secret_values(item)
        return
    cls = type(value)
    if cls not in _ALL_FIELDS:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return
        fields = dataclasses.fields(value)
        _ALL_FIELDS[cls] = tuple(f.name for f in fields)
        _SECRET_FIELDS[cls] = tuple(f.name for f in fields if not f.repr)
    for name in _SECRET_FIELDS[cls]:
        found = getattr(value, name)
        if isinstance(found, str):
            yield found
    for name in _ALL_FIELDS[cls]:
        inner = getattr(value, name)
        if inner is not None and not isinstance(inner, str | int | float | bytes):
            yield from secret_values(inner)


Mask = Callable[[str], str]
_ACTIVE: contextvars.ContextVar[Mask | None] = contextvars.ContextVar(
    "plesk_mail_mask", default=None
)


@contextlib.contextmanager
def masking(mask: Mask) -> Iterator[None]:
    """Log lines written inside the block pass ``mask`` (the calling client's secrets)."""
    token = _ACTIVE.set(mask)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


class MaskingFilter(logging.Filter):
    """Every line the package logs during a call is masked as a whole line."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask = _ACTIVE.get()
        if mask is not None:
            record.msg = mask(record.getMessage())
            record.args = None
        return True


def mask_log_lines(logger: logging.Logger) -> None:
    """Install the filter once on the package's logger."""
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
