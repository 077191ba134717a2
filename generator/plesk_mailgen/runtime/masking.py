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

import dataclasses
import html
import html.entities
import json
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


def _char_refs(secret: str, pattern: str) -> str:
    return "".join(
        pattern.format(ord(c)) if not c.isalnum() or not c.isascii() else c
        for c in secret
    )


def escaped_forms(secret: str) -> set[str]:
    """How a server may write ``secret`` back: plain, escaped, referenced, encoded."""
    forms = {
        secret,
        html.escape(secret, quote=False),
        html.escape(secret, quote=True),
        html.escape(secret, quote=True).replace("&#x27;", "&#039;"),
        html.escape(secret, quote=True).replace("&#x27;", "&apos;"),
        "".join(f"&{_ENTITY_NAMES[c]};" if c in _ENTITY_NAMES else c for c in secret),
        _char_refs(secret, "&#{};"),
        _char_refs(secret, "&#x{:x};"),
        _char_refs(secret, "&#x{:X};"),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }
    forms.update(f.lower() for f in list(forms) if "%" in f)  # %2f as well as %2F
    return {form for form in forms if form}


def _views(text: str) -> Iterable[str]:
    """``text`` as a person might read it once unescaped or decoded."""
    yield text
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
