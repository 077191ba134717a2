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
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property

MASK = "***"
MIN_IN_PLACE = 4
"""Shorter secrets hide the whole text they appear in."""
_FALLBACK_MASKS = (MASK, "###", "[hidden]")
_SPACE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
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
    r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|([/'\"\\]))"
)
_REFS = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));?")
_PERCENT_BYTES = re.compile(r"(?:%[0-9a-fA-F]{2})+")


def _joined(text: str) -> str:
    """A pair of UTF-16 surrogates as the one character it stands for."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _unbackslashed(text: str) -> str:
    """JSON, PHP and Python escapes (``\\u00e4``, ``\\xc3\\xa4``, ``\\/``, ``\\'``)
    as characters; ``\\x`` runs read as UTF-8 bytes, as a bytes repr writes them."""

    def char(match: re.Match[str]) -> str:
        four, eight, byte, plain = match.groups()
        if plain is not None:
            return plain
        if byte is not None:
            value = int(byte, 16)  # a high byte is decoded below, with its neighbours
            return chr(value) if value < 0x80 else chr(0xDC00 + value)
        code = int(four or eight, 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    decoded = _BACKSLASHED.sub(char, text)
    try:
        raw = decoded.encode("utf-8", "surrogateescape")  # the escaped bytes, as bytes
    except UnicodeEncodeError:  # other lone surrogates: escapes of a pair
        return _joined(decoded)
    return _joined(raw.decode("utf-8", "replace"))


def _references(text: str) -> str:
    """Character references, surrogate pairs included (``&#55357;&#56832;``)."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return _joined(_REFS.sub(char, text))


def _views(text: str) -> Iterable[str]:
    """``text`` as a person might read it once unescaped or decoded."""
    yield text
    if "\\" in text:
        yield _unbackslashed(text)
    if "&" in text:
        unescaped = html.unescape(_references(text))
        yield unescaped
        yield html.unescape(unescaped)
    if "%" in text or "+" in text:
        once = urllib.parse.unquote(text)
        for decoded in (once, urllib.parse.unquote_plus(text)):
            yield decoded
            yield html.unescape(decoded)
        yield urllib.parse.unquote(once)  # encoded twice
        yield _PERCENT_BYTES.sub(
            lambda m: urllib.parse.unquote(m.group(), encoding="latin-1"), text
        )
    yield json.dumps(text)[1:-1]
    yield repr(text)


def _normal(text: str) -> str:
    """The form two texts are compared in: NFC, and any run of space one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text))


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
    def _forms(self) -> re.Pattern[str] | None:
        """Every form of every secret long enough to cut out where it stands."""
        forms = {
            form
            for secret in self._secrets
            if len(secret) >= MIN_IN_PLACE
            for form in escaped_forms(secret)
        }
        if not forms:
            return None
        ordered = sorted(forms, key=len, reverse=True)
        return re.compile("|".join(re.escape(form) for form in ordered))

    @cached_property
    def _seen(self) -> re.Pattern[str]:
        """Any secret, as a reader compares texts (normalized)."""
        found = {_normal(secret) for secret in self._secrets} - {"", " "}
        if not found:
            return re.compile(r"(?!)")  # matches nothing
        ordered = sorted(found, key=len, reverse=True)
        return re.compile("|".join(re.escape(secret) for secret in ordered))

    @cached_property
    def _whole(self) -> str:
        """The mask of a whole text: one that contains no secret itself."""
        return next(
            (m for m in _FALLBACK_MASKS if not any(s in m for s in self._secrets)),
            "",
        )

    def text(self, text: str) -> str:
        """``text`` with every secret hidden, in place or as a whole."""
        if not text or not self or not self._secrets:
            return text
        if self._forms is not None:
            text = self._forms.sub(MASK, text)
        if self._readable(text):
            return self._whole
        return text

    def cut(self, text: str) -> str:
        """``text``, cut from a longer one, without an end that begins a secret.

        What was cut off may hold the rest of a secret; its beginning must not
        show either. Masked as ``text()`` does, then the tail that starts any
        form of a secret is dropped.
        """
        text = self.text(text)
        if not self or text == self._whole:
            return text
        forms = [f for s in self._secrets for f in escaped_forms(s)]
        for length in range(min(len(text), max(map(len, forms), default=0)), 0, -1):
            tail = text[-length:]
            if any(form.startswith(tail) for form in forms):
                return text[:-length]
        return text

    def _readable(self, text: str) -> bool:
        """Whether a secret can still be read in ``text`` in some view of it."""
        return any(self._seen.search(_normal(view)) for view in _views(text))

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
