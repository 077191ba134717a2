"""What a call gives back: its results, in the order of its items, or a pending answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Self, TypeVar

from ..base import xml as rt
from ..base.errors import ItemErrors, ItemResult
from ..base.masking import NO_SECRETS, Masker
from . import addressing
from .addressing import Site, UnknownSiteError

R = TypeVar("R", bound=ItemResult)
T = TypeVar("T")


class Results(list[R]):
    """Per-item results of one call, in the order of its input items.

    ``unknown_elements`` lists elements a lenient client skipped: the paths
    and XML of what the chosen protocol version does not know.
    """

    unknown_elements: list[rt.UnknownElement]

    def __init__(
        self, items: Sequence[R] = (), operation: str = "", masker: Masker = NO_SECRETS
    ) -> None:
        super().__init__(items)
        self.operation = operation
        self.unknown_elements = []
        self._masker = masker

    def __repr__(self) -> str:
        """The items' repr, with any secret a server echoed in them hidden."""
        return self._masker.text(super().__repr__())

    def mask(self, text: str) -> str:
        """``text`` with the secrets of the call's connection hidden, to show it."""
        return self._masker.text(text)

    @property
    def ok(self) -> bool:
        """Whether every item succeeded (``True`` for no items)."""
        return all(item.ok for item in self)

    @property
    def failed(self) -> list[tuple[int, R]]:
        """``(input index, result)`` of every failed item."""
        return [(index, item) for index, item in enumerate(self) if not item.ok]

    def raise_for_errors(self) -> Self:
        """Raise ``ItemErrors`` listing every failed item; return self otherwise."""
        failed = self.failed
        if failed:
            raise ItemErrors(self.operation, failed, self._masker.text)
        return self


class LookupResults(Results[R]):
    """Results of a name lookup (``get_sites``): the sites found, by name."""

    def named(self) -> list[Site]:
        """Each site asked for by name, with its id (ask with ``gen_info=True``);
        ``UnknownSiteError`` naming every name no site has."""
        unknown = [str(getattr(r, "filter_id", "?")) for r in self if not r.ok]
        if unknown:
            raise UnknownSiteError(unknown, "error 1013: no such site")
        return [addressing.site_of(result) for result in self]


class Pending(Generic[T]):
    """The answer of one call in a batch, available once the batch was sent."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self._value: T | None = None
        self._done = False

    def _set(self, value: T) -> None:
        self._value = value
        self._done = True

    @property
    def done(self) -> bool:
        """Whether the batch has been sent and this answer is in."""
        return self._done

    @property
    def value(self) -> T:
        """The answer; ``RuntimeError`` before the batch is sent."""
        if not self._done:
            raise RuntimeError(f"{self.operation}: the batch has not been sent yet")
        return self._value  # type: ignore[return-value]  # set by _set when done

    def __repr__(self) -> str:
        state = repr(self._value) if self._done else "not sent"
        return f"Pending({self.operation}: {state})"
