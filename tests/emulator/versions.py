"""Which protocol version a packet's ``version`` attribute selects, and what the
answer is stamped with: the emulator's reading of Plesk's rules.

- No attribute (or an empty one): the server's newest version. api-php-lib
  sends every packet without one unless told otherwise, and Plesk's 12.5
  documentation answers such a packet (a mail update) with
  ``<packet version="1.6.7.0">``, 12.5's newest protocol.
- A version the server speaks: that one.
- A short version, one to three numbers (``1.6``, ``1.6.5``): accepted, as
  api-php-lib's ``testLatestMajorProtocol`` and ``testLatestMinorProtocol``
  expect of a real Plesk. No source says which schema Plesk then answers in;
  the emulator takes the newest version it speaks of the same major and
  minor number (``1.6`` and ``1.6.5`` both select 1.6.9.1), since it has no
  schemas older than 1.6.6.0.
- Anything else (``100.0.0``, ``1.5.0.0``, ``abc``): error 1005, for
  ``get_protos`` too (api-php-lib's ``testWrongProtocol``).

An answer carries the request's attribute as it was sent (``1.6`` stays
``1.6``), or the selected version when the request had none: the
documentation's samples echo the version asked, down to the unsupported
``1.40.2.0`` of Plesk 9.0's 1005 sample. A ``<system>`` error echoes the
attribute too, and has none when the request had none (Plesk 12.5's 1005
sample is a bare ``<packet>``).
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_SHORT_PARTS = 3


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def newest(versions: Sequence[str]) -> str:
    return max(versions, key=version_key)


def asked_version(attribute: str | None) -> str | None:
    """The version a request asks for: ``None`` when it names none."""
    if attribute is None or not attribute.strip():
        return None
    return attribute


def select(asked: str | None, versions: Sequence[str]) -> str | None:
    """The version to answer in, or ``None`` for "not supported" (1005)."""
    if asked is None:
        return newest(versions)
    if asked in versions:
        return asked
    parts = asked.split(".")
    if not 1 <= len(parts) <= MAX_SHORT_PARTS or not all(
        part.isascii() and part.isdigit() for part in parts
    ):
        return None
    family = [int(part) for part in parts[:2]]
    same = [v for v in versions if list(version_key(v)[: len(family)]) == family]
    return newest(same) if same else None


def stamp(asked: str | None, selected: str) -> str:
    """The ``version`` attribute of an answer that was not refused."""
    return asked if asked is not None else selected
