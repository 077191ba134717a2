"""Recorded exchanges: each request and its answer as files, secrets replaced.

``connect(record=DIR)`` (and ``plesk-mail --record DIR``) writes, for every
HTTP exchange that got an answer, a numbered set of files::

    0001-mail.create.request.xml
    0001-mail.create.response.xml
    0001-mail.create.json   (versions, HTTP status, timing, sizes)

so that a person with a real Plesk can give the package's authors real
answers to test against. Nothing secret is written: the login password, the
secret key and the account passwords of the request (the text of its
password-like elements) are replaced by ``MARKER`` wherever they stand, in
every escaped form a server may echo them in (see ``masking``), and the text
of every password-like element becomes ``MARKER`` too. The structure stays,
so a recorded packet still validates against its version's schema. A body in
which a secret could still be read afterwards (one shorter than
``MIN_IN_PLACE`` characters, which cannot be cut out of ordinary text) is
not written at all; its JSON says it was withheld.

Recording never breaks a call: a folder that cannot be written is refused
when the client is made, a write that fails later is a warning in the log.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import itertools
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..base.errors import ConfigurationError
from ..base.masking import MASK, MIN_IN_PLACE, Masker, escaped_forms

MARKER = MASK
"""What every secret becomes in a recorded file."""
_SECRET_LEAVES = re.compile(
    r"(<(password|passwd|value|secret[-_]?key)>)([^<]*)(</\2>)", re.IGNORECASE
)
_VERSION = re.compile(rb"<packet\b[^>]*?\bversion\s*=\s*[\"']([^\"']*)[\"']")
_NUMBERED = re.compile(r"^(\d{4,})-")
_SLUG = re.compile(r"[^A-Za-z0-9_.+-]+")
_lock = threading.Lock()  # numbering: clients of one process share a folder
logger = logging.getLogger("plesk_mail")


def _text(data: bytes) -> str:
    """Bytes as text that encodes back to exactly the same bytes."""
    return data.decode("utf-8", "surrogateescape")


def request_secrets(body: bytes) -> list[str]:
    """The account passwords a request carries: its password-like elements' text
    (``MARKER`` itself is none: a recorded request sent again holds it)."""
    found = (html.unescape(m.group(3)) for m in _SECRET_LEAVES.finditer(_text(body)))
    return [text for text in found if text.strip() and text != MARKER]


def scrub(data: bytes, secrets: Iterable[str]) -> bytes | None:
    """``data`` with every secret replaced by ``MARKER``; ``None`` if one stays readable."""
    known = sorted({s for s in secrets if s}, key=len, reverse=True)
    text = _SECRET_LEAVES.sub(
        lambda m: f"{m.group(1)}{MARKER}{m.group(4)}", _text(data)
    )
    forms = {
        written
        for secret in known
        if len(secret) >= MIN_IN_PLACE
        for form in escaped_forms(secret)
        for written in (form, _xml_escaped(form))  # as element text, escaped again
    }
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MARKER)
    if known and Masker(known).text(text) != text:
        return None  # a secret is still there in some view of the text
    return text.encode("utf-8", "surrogateescape")


def _xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _version(data: bytes) -> str | None:
    found = _VERSION.search(data[:1024])
    return found.group(1).decode("utf-8", "replace") if found else None


class Recorder:
    """Writes the exchanges of one or more clients into ``folder``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot record into {str(self.folder)!r}: {exc.strerror or exc}"
            ) from None
        if not os.access(self.folder, os.W_OK):
            raise ConfigurationError(
                f"cannot record into {str(self.folder)!r}: not writable"
            )

    def __repr__(self) -> str:
        return f"Recorder({str(self.folder)!r})"

    def write(
        self,
        label: str,
        request: bytes,
        status: int,
        response: bytes,
        seconds: float,
        login_secrets: Iterable[str | None],
    ) -> None:
        """Record one exchange; a failure to write is logged, never raised."""
        try:
            self._write(label, request, status, response, seconds, login_secrets)
        except OSError as exc:
            logger.warning(
                "recording into %s failed: %s", self.folder, exc.strerror or exc
            )

    def _write(
        self,
        label: str,
        request: bytes,
        status: int,
        response: bytes,
        seconds: float,
        login_secrets: Iterable[str | None],
    ) -> None:
        secrets = [s for s in login_secrets if s] + request_secrets(request)
        bodies = {
            "request": scrub(request, secrets),
            "response": scrub(response, secrets),
        }
        operations = label.rsplit(" x", 1)[0]
        stem = self._reserve(_SLUG.sub("_", operations) or "packet")
        for side, body in bodies.items():
            if body is not None:
                self._create(self.folder / f"{stem}.{side}.xml", body)
        facts = {
            "operations": operations,
            "protocol": _version(request),
            "answer_version": _version(response),
            "http_status": status,
            "milliseconds": round(seconds * 1000, 1),
            "request_bytes": len(request),
            "response_bytes": len(response),
            "withheld": [side for side, body in bodies.items() if body is None],
        }
        text = json.dumps(facts, indent=2) + "\n"
        (self.folder / f"{stem}.json").write_text(text, encoding="utf-8")

    def _reserve(self, slug: str) -> str:
        """The next free ``NNNN-slug``, its JSON file created empty to hold it."""
        with _lock:
            taken = [
                int(found.group(1))
                for entry in os.scandir(self.folder)
                if (found := _NUMBERED.match(entry.name))
            ]
            for number in itertools.count(max(taken, default=0) + 1):
                stem = f"{number:04d}-{slug}"
                try:
                    self._create(self.folder / f"{stem}.json", b"")
                except FileExistsError:  # another process took it
                    continue
                return stem
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _create(path: Path, data: bytes) -> None:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)


_EVERY_CONNECTION: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "plesk_mail_record", default=None
)


@contextlib.contextmanager
def recording_to(folder: str | os.PathLike[str]) -> Iterator[Recorder]:
    """Inside the block, every client made without ``record=`` records into
    ``folder``: how ``plesk-mail --record`` reaches the clients its commands
    and fleets make, without a parameter through each of them."""
    token = _EVERY_CONNECTION.set(Recorder(folder))
    try:
        yield _EVERY_CONNECTION.get()  # type: ignore[misc]
    finally:
        _EVERY_CONNECTION.reset(token)


def recorder_for(record: str | os.PathLike[str] | Recorder | None) -> Recorder | None:
    """The recorder of ``connect(record=...)``: the folder given, else the
    command line's ``--record`` while a command runs, else none."""
    if isinstance(record, Recorder):
        return record
    if record is not None:
        return Recorder(record)
    return _EVERY_CONNECTION.get()
