"""Protocol versions: their order, how to name a set of them, and a conflict.

A ``Conflict`` is what the checks report when a message holds a value the
protocol version in use does not have: where it is and which versions have
it, so the error can say both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


def version_key(version: str) -> tuple[int, ...]:
    """``1.6.10.0`` sorts after ``1.6.9.1``."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def availability(versions: Collection[str], known: Sequence[str]) -> str:
    """``protocol 1.6.7.0 or newer``, ``protocol 1.6.6.0 only``, or a list."""
    ordered = [v for v in known if v in versions]
    if ordered and ordered == list(known[-len(ordered) :]):
        return f"protocol {ordered[0]} or newer"
    if len(ordered) == 1:
        return f"protocol {ordered[0]} only"
    return "protocols " + ", ".join(ordered)


@dataclass(frozen=True)
class Conflict:
    """A value the protocol version in use does not have.

    ``path`` is the Python path below the message (``mailnames[0].autoresponder.
    end_date``); ``versions`` are the protocol versions that have it.
    """

    path: str
    versions: frozenset[str]

    def inside(self, prefix: str) -> Conflict:
        """The same conflict, seen from the object that holds ``prefix``."""
        return Conflict(f"{prefix}.{self.path}", self.versions)

    def first_version(self, known: Sequence[str]) -> str:
        return min(self.versions, key=version_key, default=known[-1])
