"""What the engine passes around: operation specs, calls, their pieces, packets.

A call is one client method's request; a piece is the part of it that fits
in one packet; a packet is the bytes of several pieces. Nothing here sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..base.errors import CallProgress, ClientClosedError, PacketError, PleskError
from ..base.masking import NO_SECRETS, Masker
from .addressing import Address, Lookup, Named
from .checks import Rules
from .results import Pending, Results

T = TypeVar("T")


@dataclass(frozen=True)
class Everything:
    """An empty ``field`` means ``means``: the call must say ``flag=True``."""

    field: str
    flag: str
    means: str


@dataclass(frozen=True)
class OperationSpec(Generic[T]):
    """How one operation batches and answers; ``T`` is what the client returns.

    ``operator`` and ``name`` identify it (``("site", "get_sites")``): replies
    are matched by both, so a packet may mix operators.
    ``batch_field`` is the request list that may be split across packets;
    ``results_per_item`` says Plesk answers one result per item of it.
    ``versions`` limits the operation to some protocol versions; in
    ``bare_versions`` the response holds the result's fields without the
    ``result`` wrapper, and ``unwrap`` turns it into results.
    """

    name: str
    operator: str
    batch_field: str | None
    result_field: str | None
    results_repeated: bool
    results_per_item: bool
    results_class: type[Results[Any]] = Results
    versions: frozenset[str] | None = None
    bare_versions: frozenset[str] = frozenset()
    unwrap: Callable[[Any], list[Any]] | None = None
    everything: Everything | None = None
    read_only: bool = False
    """Sending it twice changes nothing: a failed packet of only such calls may be retried."""
    identity: tuple[str, tuple[str, ...]] | None = None
    site_field: str | None = None
    """The request field a call may give by domain name (``site_id``, ``site_ids``)."""
    site_param: str | None = None
    """The method's parameter that gives it by name (``site``, ``sites``)."""
    address: Address | None = None
    """Where the items' account names are, when a call names them by address."""
    """(item field, result path) that name the same item: results match by it."""


@dataclass(frozen=True)
class Codec:
    """What the client needs of the generated modules: rules and packet functions."""

    rules: Rules
    make_packet: Callable[[list[Any], str], Any]
    encode_request: Callable[[Any], bytes]
    decode_response: Callable[[bytes, int], Any]
    lookup: Lookup | None = None
    """How domain names become site ids (the ``site`` operator's ``get``)."""
    specs: Mapping[str, OperationSpec[Any]] = dataclasses.field(default_factory=dict)
    """Every operation's spec by method name (a fleet routes calls by them)."""


@dataclass(frozen=True)
class Packet:
    """One packet on its way out: its bytes, a label for logs, and whether it only reads.

    ``masker`` hides the login secrets and the packet's own (account
    passwords) in whatever an error or log line shows of its answer.
    """

    body: bytes
    label: str
    read_only: bool
    masker: Masker = NO_SECRETS


def reached_server(exc: BaseException) -> bool:
    """Whether a packet that ``exc`` stopped may have been applied.

    Not when it never left (a ``TransportError`` that was not sent) or when
    the server refused the whole packet (``PacketError``); otherwise, an
    interrupt or a lost answer included, it may have been.
    """
    sent = getattr(exc, "sent", None)  # set by the transport, interrupts included
    if isinstance(sent, bool):
        return sent
    if isinstance(exc, PleskError) and isinstance(exc, ValueError):
        return False  # refused here (validation, configuration): nothing left
    return not isinstance(exc, PacketError | ClientClosedError)


@dataclass
class Call:
    spec: OperationSpec[Any]
    request: Any
    pending: Pending[Any]
    everything: bool = False
    named: Named | None = None
    """How the call names its site, when it may name it by domain."""
    routes: list[tuple[int, list[tuple[int, Any]]]] | None = None
    """A call by address: per site id, its items (input index, item by local name)."""


@dataclass
class Piece:
    """The part of one call that goes into one packet."""

    call: Call
    request: Any
    items: int
    """How much of the packet's room it takes (at least 1)."""
    places: tuple[int, ...] = ()
    """Input indexes of the list items it carries (none for a call without a list)."""

    @property
    def indexes(self) -> tuple[int, ...]:
        return self.places or (0,)


def key(spec: OperationSpec[Any]) -> str:
    """An operation's identity as logs and errors spell it: ``mail.get_info``."""
    return f"{spec.operator}.{spec.name}"


def unsent(call: Call) -> CallProgress:
    """A call none of whose packets left (its site lookup failed, say)."""
    items = getattr(call.request, str(call.spec.batch_field), None)
    count = len(items) if isinstance(items, list) and items else 1
    return CallProgress(call.spec.name, [], (), tuple(range(count)))
