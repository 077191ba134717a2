"""The machinery behind the generated ``MailClient``: one client for every version.

A client speaks one protocol version, fixed when it is made. Requests are
checked against that version (a field it lacks is refused, always), validated
against the schema (unless switched off), split into packets of at most
``chunk_size`` items, sent, and their replies matched back to the calls in
order, so a caller can tell exactly which item failed. Per-item errors never
raise on their own: ``Results.raise_for_errors()`` turns them into one
exception.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Self, TypeVar

from . import addressing
from . import xml as rt
from .addressing import Address, Lookup, Named, Site, UnknownSiteError
from .checks import Rules, answer_conflict, check
from .closing import Closing
from .envelope import SystemResult
from .errors import (
    CallProgress,
    ClientClosedError,
    ItemErrors,
    ItemResult,
    PacketError,
    PleskError,
    ProtocolVersionError,
    ResponseError,
    UnexpectedElementError,
    UnknownProtocolError,
    ValidationError,
    masked,
    packet_error,
)
from .masking import NO_SECRETS, Masker, masking, secret_values
from .protocols import Conflict, availability

if TYPE_CHECKING:
    from .transport import Transport

AUTO = "auto"
R = TypeVar("R", bound=ItemResult)
T = TypeVar("T")
P = ParamSpec("P")
DEFAULT_CHUNK_SIZE = 100
logger = logging.getLogger("plesk_mail")


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
class _Call:
    spec: OperationSpec[Any]
    request: Any
    pending: Pending[Any]
    everything: bool = False
    named: Named | None = None
    """How the call names its site, when it may name it by domain."""
    routes: list[tuple[int, list[tuple[int, Any]]]] | None = None
    """A call by address: per site id, its items (input index, item by local name)."""


@dataclass
class _Piece:
    """The part of one call that goes into one packet."""

    call: _Call
    request: Any
    items: int
    """How much of the packet's room it takes (at least 1)."""
    places: tuple[int, ...] = ()
    """Input indexes of the list items it carries (none for a call without a list)."""

    @property
    def indexes(self) -> tuple[int, ...]:
        return self.places or (0,)


class Core:
    """Everything a client does but the I/O: checks, packets, answers, results.

    ``_steps`` is a generator that yields each packet to send (bytes, label,
    whether it only reads) and is sent each answer; the synchronous and the
    async client only move bytes between it and their transport, so both
    behave the same to the letter.
    """

    _codec: Codec
    transport: Any

    def __init__(
        self,
        transport: Any,
        *,
        protocol: str,
        validate: bool = True,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        lenient: bool = False,
    ) -> None:
        known = self._codec.rules.versions
        if protocol not in known and protocol != AUTO:
            raise UnknownProtocolError(
                f"unknown Plesk protocol version {protocol!r}; known: {', '.join(known)}"
            )
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self.transport = transport
        self.validate = validate
        self.chunk_size = chunk_size
        self.lenient = lenient
        self.last_unknown_elements: list[rt.UnknownElement] = []
        self._protocol = protocol
        self._closed = False
        self._site_ids: dict[str, int] = {}
        """Site ids by ASCII domain name, as the server said: kept for the client's life."""

    @property
    def protocol_version(self) -> str:
        """The protocol version this client speaks (negotiated, with ``auto``)."""
        if self._protocol == AUTO:
            raise RuntimeError(
                "the protocol version is not negotiated yet: use 'async with' or "
                "'await client.open()' first"
            )
        return self._protocol

    def forget_sites(self) -> None:
        """Drop the site ids looked up so far (a site was renamed or moved, say)."""
        self._site_ids.clear()

    def know_sites(self, ids: Mapping[str, int]) -> None:
        """Site ids by domain name that the caller knows already (a fleet's lookup):
        calls naming those domains then need no lookup packet."""
        for name, site_id in ids.items():
            self._site_ids[addressing.ascii_name(name)] = site_id

    @property
    def masker(self) -> Masker:
        """Hides this client's login secrets in text (see ``plesk_mail.runtime.masking``)."""
        masker: Masker = self.transport.masker
        return masker

    def mask(self, text: str) -> str:
        """``text`` with this client's secrets hidden, for showing it to people."""
        return self.masker.text(text)

    def supports(self, what: type | str, field: str | None = None) -> bool:
        """Whether this connection's protocol has an operation, a model class or a field.

        ``client.supports(Autoresponder, "end_date")``, ``client.supports("rename")``.
        An unknown name raises ``ValueError``.
        """
        return self._codec.rules.has(self.protocol_version, what, field)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(protocol={self._protocol!r}, "
            f"transport={self.transport!r})"
        )

    # -- running calls ------------------------------------------------------

    def _check(self, call: _Call) -> None:
        """Refuse, before anything is sent, what this protocol version cannot carry."""
        spec, version = call.spec, self._protocol
        known = self._codec.rules.versions
        wide = spec.everything
        if wide and not call.everything and not getattr(call.request, wide.field):
            raise ValidationError(
                spec.name,
                f"no {wide.field} given, which means {wide.means}; pass "
                f"{wide.flag}=True to mean it",
            )
        if spec.versions is not None and version not in spec.versions:
            raise ValidationError(
                spec.name,
                f"the operation needs {availability(spec.versions, known)}; "
                f"this connection speaks protocol {version}",
            )
        conflict = check(
            self._codec.rules,
            call.request,
            version,
            root=spec.name,
            validate=self.validate,
        )
        if conflict is not None:
            raise ValidationError(
                f"{spec.name}.{conflict.path}",
                f"needs {availability(conflict.versions, known)}; this connection "
                f"speaks protocol {version}, which would drop it",
            )

    def _steps(self, calls: list[_Call]) -> Generator[Packet, bytes, None]:
        """Run ``calls``: yield each packet to send, take its answer, set the results.

        An error or an interrupt while packets are under way gets ``progress``:
        what each call had done (``CallProgress``).
        """
        if self._closed:
            raise ClientClosedError(
                "this client was closed; make a new one (or use it inside 'with')"
            )
        try:  # before any of the calls' packets: whatever stops them, none was sent
            ids = dict.fromkeys(self._domains(calls), 1)  # checked before a lookup
            for call in calls:
                self._check(self._resolved(call, ids, checking=True))
            missing = addressing.wanted(ids, self._site_ids)
            if missing:
                yield from self._lookup(missing)
            resolved = [self._resolved(call, self._site_ids) for call in calls]
        except BaseException as exc:
            exc.progress = [_unsent(call) for call in calls]  # type: ignore[attr-defined]
            exc.sent = False  # type: ignore[attr-defined]
            raise
        yield from self._exchange(resolved)

    def _call_masker(self, call: _Call) -> Masker:
        """Hides the login secrets and the call's own (account passwords)."""
        return self.masker.adding(partial(secret_values, call.request))

    def _domains(self, calls: list[_Call]) -> list[str]:
        """The domain names ``calls`` give, by ``site=`` or by address."""
        found: list[str] = []
        for call in calls:
            if call.named is None:
                continue
            found += [addressing.ascii_name(name) for name in call.named.names]
            if self._by_address(call):
                address = call.spec.address
                assert address is not None and call.spec.batch_field is not None
                items = getattr(call.request, call.spec.batch_field)
                found += addressing.domains_of(items, address)
        return found

    def _by_address(self, call: _Call) -> bool:
        """A call that names no site: its account names must be addresses."""
        named, spec = call.named, call.spec
        if named is None:
            return False
        if named.given or named.names:
            address = spec.address
            items = getattr(call.request, str(spec.batch_field), None) or []
            if address is not None and any(
                addressing.is_address(addressing.item_name(i, address)) for i in items
            ):
                raise ValidationError(
                    spec.name, "an address names its own site: give no site with it"
                )
            return False
        if isinstance(getattr(call.request, str(spec.site_field)), list):
            return False  # no site_ids and no sites: what that means is the operation's
        items = getattr(call.request, str(spec.batch_field), None) or []
        address = spec.address
        if address is None or not items:
            raise ValidationError(
                spec.name, f"give {spec.site_field} or its name (site=...)"
            )
        for item in items:
            name = addressing.item_name(item, address)
            if not addressing.is_address(name):
                raise ValidationError(
                    spec.name,
                    f"{name!r} is no address (info@example.com); with no "
                    f"{spec.site_field} and no site=, every account is named by address",
                )
        return True

    def _resolved(
        self, call: _Call, ids: Mapping[str, int], checking: bool = False
    ) -> _Call:
        """``call`` with its site ids filled in from ``ids`` (by ASCII name)."""
        named, spec = call.named, call.spec
        if named is None:
            return call
        field = str(spec.site_field)
        if (
            named.given
            and named.names
            and not isinstance(getattr(call.request, field), list)
        ):
            raise ValidationError(
                spec.name, f"{field} and site= name the site twice; give one"
            )
        if self._by_address(call):
            address = spec.address
            assert address is not None
            items = getattr(call.request, str(spec.batch_field))
            routes = addressing.routes(items, address, ids)
            request = call.request
            if checking:  # the schema's rules, on every item by its local name
                request = dataclasses.replace(
                    call.request,
                    **{
                        field: routes[0][0],
                        str(spec.batch_field): [i for _, g in routes for _, i in g],
                    },
                )
            return dataclasses.replace(call, request=request, routes=routes)
        found = [ids[addressing.ascii_name(name)] for name in named.names]
        if isinstance(getattr(call.request, field), list):
            value: Any = [*getattr(call.request, field), *found]
        else:
            value = found[0] if found else getattr(call.request, field)
        return dataclasses.replace(
            call, request=dataclasses.replace(call.request, **{field: value})
        )

    def _lookup(self, names: list[str]) -> Generator[Packet, bytes, None]:
        """Find the site ids of ``names`` (one packet), into the client's cache."""
        lookup = self._codec.lookup
        if lookup is None:
            raise ValidationError("site", "this package has no site lookup")
        pending: Pending[Any] = Pending(lookup.spec.name)
        yield from self._exchange([_Call(lookup.spec, lookup.request(names), pending)])
        self._site_ids.update(addressing.learned(lookup, names, pending.value))

    def _exchange(self, calls: list[_Call]) -> Generator[Packet, bytes, None]:
        """Send ``calls`` in as few packets as the chunk size allows; set their answers."""
        pieces = [piece for call in calls for piece in self._split(call)]
        answers: dict[int, list[tuple[_Piece, Any]]] = {id(call): [] for call in calls}
        unknown: list[rt.UnknownElement] = []
        packets = list(self._packets(pieces))
        done = 0
        try:
            for packet in packets:
                outgoing = self._outgoing(packet)
                data = yield outgoing
                bodies = self._answer(packet, outgoing, data, unknown)
                for piece, body in zip(packet, bodies, strict=True):
                    answers[id(piece.call)].append((piece, body))
                done += 1
        except BaseException as exc:  # an interrupt too: say what was applied
            exc.progress = self._progress(  # type: ignore[attr-defined]
                calls, answers, packets, done, unknown, reached_server(exc)
            )
            raise
        self.last_unknown_elements = unknown
        for call in calls:
            try:
                call.pending._set(self._merge(call, answers[id(call)], unknown))
            except PleskError as exc:  # a result may quote what the server echoed
                raise masked(exc, self._call_masker(call)) from None

    def _progress(
        self,
        calls: list[_Call],
        answers: dict[int, list[tuple[_Piece, Any]]],
        packets: list[list[_Piece]],
        done: int,
        unknown: list[rt.UnknownElement],
        reached: bool,
    ) -> list[CallProgress]:
        """What each call had done when packet ``done`` failed.

        ``reached``: that packet may have been applied (else it counts as unsent).
        """
        progress = []
        for call in calls:
            answered = answers[id(call)]
            try:
                results = self._merge(call, answered, unknown) if answered else []
            except PleskError:
                results = []  # the answers of the completed packets do not add up
            current = [
                piece
                for packet in packets[done : done + 1]
                for piece in packet
                if piece.call is call
            ]
            later = [
                piece
                for packet in packets[done + 1 :]
                for piece in packet
                if piece.call is call
            ]
            in_flight = current if reached else []
            if not reached:
                later = current + later
            progress.append(
                CallProgress(
                    operation=call.spec.name,
                    results=results,
                    in_flight=tuple(i for p in in_flight for i in p.indexes),
                    unsent=tuple(i for p in later for i in p.indexes),
                )
            )
        return progress

    def _split(self, call: _Call) -> Iterator[_Piece]:
        field = call.spec.batch_field
        if field is None:
            yield _Piece(call, call.request, 1)
            return
        if call.routes is not None:  # by address: one operation per site
            site = str(call.spec.site_field)
            for site_id, items in call.routes:
                for start in range(0, len(items), self.chunk_size):
                    chunk = items[start : start + self.chunk_size]
                    request = dataclasses.replace(
                        call.request, **{site: site_id, field: [i for _, i in chunk]}
                    )
                    yield _Piece(call, request, len(chunk), tuple(p for p, _ in chunk))
            return
        values = list(getattr(call.request, field))
        if len(values) <= self.chunk_size:
            places = tuple(range(len(values)))
            yield _Piece(call, call.request, max(1, len(values)), places)
            return
        for start in range(0, len(values), self.chunk_size):
            chunk = values[start : start + self.chunk_size]
            request = dataclasses.replace(call.request, **{field: chunk})
            places = tuple(range(start, start + len(chunk)))
            yield _Piece(call, request, len(chunk), places)

    def _packets(self, pieces: list[_Piece]) -> Iterator[list[_Piece]]:
        packet: list[_Piece] = []
        size = 0
        for piece in pieces:
            if packet and size + piece.items > self.chunk_size:
                yield packet
                packet, size = [], 0
            packet.append(piece)
            size += piece.items
        if packet:
            yield packet

    def _outgoing(self, pieces: list[_Piece]) -> Packet:
        packet = self._codec.make_packet(
            [piece.request for piece in pieces], self._protocol
        )
        names = sorted({_key(piece.call.spec) for piece in pieces})
        requests = [piece.request for piece in pieces]
        return Packet(
            body=self._codec.encode_request(packet),
            label=f"{'+'.join(names)} x{len(pieces)}",
            read_only=all(piece.call.spec.read_only for piece in pieces),
            masker=self.masker.adding(partial(secret_values, requests)),
        )

    def _answer(
        self,
        pieces: list[_Piece],
        packet: Packet,
        data: bytes,
        unknown: list[rt.UnknownElement],
    ) -> list[Any]:
        """The reply bodies of one packet's answer, in the packet's order, checked."""
        names = [_key(piece.call.spec) for piece in pieces]
        mask = packet.masker.text
        try:
            answer = self._decode(data, unknown)
        except PleskError as exc:  # a server may echo a secret into what we quote
            raise masked(exc, mask) from None
        if isinstance(answer, SystemResult):
            error = packet_error(answer.errcode, answer.errtext or "packet refused")
            if isinstance(error, ProtocolVersionError):
                error.asked(self._protocol)
            raise masked(error, mask)
        if not answer.version:  # Plesk's documentation shows such answers
            logger.debug(
                "%s: the answer names no protocol version; decoded as %s",
                packet.label,
                self._protocol,
            )
        elif answer.version != self._protocol:
            logger.warning(
                "%s: asked in protocol %s, answered in %r; decoded and checked as %s",
                packet.label,
                self._protocol,
                mask(answer.version),
                self._protocol,
            )
        replies = answer.replies
        got = [f"{reply.operator}.{reply.operation}" for reply in replies]
        try:
            if got != names:
                raise ResponseError(
                    f"expected replies for {', '.join(names)}; got "
                    f"{', '.join(got) or 'none'}"
                )
            for reply in replies:
                self._check_reply(reply.operation, reply.body)
        except PleskError as exc:
            raise masked(exc, mask) from None
        return [reply.body for reply in replies]

    def _decode(self, data: bytes, unknown: list[rt.UnknownElement]) -> Any:
        limit = self.transport.max_response_size
        if not self.lenient:
            return self._codec.decode_response(data, limit)
        with rt.collecting_unknown() as skipped:
            answer = self._codec.decode_response(data, limit)
        unknown.extend(skipped)
        for element in skipped:
            logger.warning("skipped unknown element %s", element.path)
        return answer

    def _check_reply(self, operation: str, body: Any) -> None:
        """An element newer (or older) than this connection's protocol version.

        The decoder knows every version's elements; a server that answers with
        one this version lacks answers in another schema than it was asked for.
        """
        found = answer_conflict(self._codec.rules, operation, body, self._protocol)
        if found is None:
            return
        error = unexpected_answer(found, self._protocol, self._codec.rules.versions)
        if self.lenient:
            logger.warning(
                "%s; kept (lenient)", error.message.partition("; connect")[0]
            )
            return
        raise error

    def _merge(
        self,
        call: _Call,
        answers: list[tuple[_Piece, Any]],
        unknown: list[rt.UnknownElement],
    ) -> Any:
        spec = call.spec
        if spec.result_field is None:
            return answers[0][1]
        merged = spec.results_class(operation=spec.name, masker=self._call_masker(call))
        by_place: list[tuple[int, Any]] = []
        for piece, body in answers:
            if self._protocol in spec.bare_versions and spec.unwrap is not None:
                results = spec.unwrap(body)
            elif spec.results_repeated:
                results = getattr(body, spec.result_field)
            else:
                results = [getattr(body, spec.result_field)]
            if spec.results_per_item and spec.batch_field is not None:
                items = getattr(piece.request, spec.batch_field)
                if len(results) != len(items):
                    raise ResponseError(
                        f"{spec.name}: sent {len(items)} item(s), got "
                        f"{len(results)} result(s)"
                    )
                if spec.identity is not None:
                    results = _matched(spec.name, spec.identity, items, results)
            if call.routes is not None and spec.address is not None:
                items = getattr(piece.request, str(spec.batch_field))
                by_place += addressing.placed(
                    spec.name, spec.address, piece.places, items, results
                )
            else:
                merged.extend(results)
        if call.routes is not None:  # back in the order of the addresses
            merged.extend(result for _, result in sorted(by_place, key=lambda p: p[0]))
        merged.unknown_elements = list(unknown)
        return merged


class BaseClient(Core, Closing):
    """Sends requests in one protocol version; the generated subclass adds methods."""

    transport: Transport

    def close(self) -> None:
        """Close the connection pool; ``with`` does it for you."""
        self._closed = True
        self.transport.close()

    def _call(
        self,
        spec: OperationSpec[T],
        request: object,
        *,
        everything: bool = False,
        named: Named | None = None,
    ) -> T:
        pending: Pending[T] = Pending(spec.name)
        self._run([_Call(spec, request, pending, everything, named)])
        return pending.value

    def _run(self, calls: list[_Call]) -> None:
        with masking(self.mask):
            self._drive(calls)

    def _drive(self, calls: list[_Call]) -> None:
        steps = self._steps(calls)
        try:
            packet = next(steps)
            while True:
                try:
                    data = self.transport.post(
                        packet.body,
                        packet.label,
                        read_only=packet.read_only,
                        mask=packet.masker.text,
                    )
                except BaseException as exc:
                    steps.throw(exc)  # attaches the progress, raises it again
                    raise  # pragma: no cover  (throw always raises here)
                packet = steps.send(data)
        except StopIteration:
            return


def unexpected_answer(
    found: tuple[str, Conflict], version: str, known: Sequence[str]
) -> UnexpectedElementError:
    """The error for an answer element that protocol ``version`` lacks."""
    where, conflict = found
    return UnexpectedElementError(
        f"{where}: the server answered with an element of "
        f"{availability(conflict.versions, known)}, but this connection speaks "
        f"protocol {version}; connect with that protocol, or lenient=True to keep it",
        where,
        conflict.first_version(known),
    )


def _key(spec: OperationSpec[Any]) -> str:
    """An operation's identity as logs and errors spell it: ``mail.get_info``."""
    return f"{spec.operator}.{spec.name}"


def _unsent(call: _Call) -> CallProgress:
    """A call none of whose packets left (its site lookup failed, say)."""
    items = getattr(call.request, str(call.spec.batch_field), None)
    count = len(items) if isinstance(items, list) and items else 1
    return CallProgress(call.spec.name, [], (), tuple(range(count)))


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        value = getattr(value, name, None)
    return value


def _matched(
    operation: str,
    identity: tuple[str, tuple[str, ...]],
    items: Sequence[Any],
    results: Sequence[Any],
) -> list[Any]:
    """``results`` in item order, matched by what each names (case-insensitive).

    A result that names no item (an error without ``mailname``) keeps its
    position; one that names another item than the one there, or an item
    that was not sent, is an error: never attribute a result to the wrong item.
    """
    field, path = identity
    keys = [str(getattr(item, field)).casefold() for item in items]
    named = [_dig(result, path) for result in results]
    if all(name is not None for name in named):
        order = {key: index for index, key in enumerate(keys)}
        places = [order.get(str(name).casefold(), -1) for name in named]
        if sorted(places) == list(range(len(keys))):
            by_place = dict(zip(places, results, strict=True))
            return [by_place[place] for place in range(len(keys))]
    for index, name in enumerate(named):
        if name is not None and str(name).casefold() != keys[index]:
            raise ResponseError(
                f"{operation}: result {index} names {name!r}, but the item sent "
                f"there is {getattr(items[index], field)!r}, and the results do not "
                "match the items one to one"
            )
    return list(results)


class Collector:
    """Collects calls to send together, in as few packets as the chunk size allows."""

    def __init__(self, client: Core) -> None:
        self._client = client
        self._calls: list[_Call] = []
        self.sent = False

    def _call(
        self,
        spec: OperationSpec[T],
        request: object,
        *,
        everything: bool = False,
        named: Named | None = None,
    ) -> Pending[T]:
        """Where a client method, run on behalf of the batch, leaves its request."""
        if self.sent:
            raise RuntimeError("this batch was already sent; start a new one")
        pending: Pending[T] = Pending(spec.name)
        self._calls.append(_Call(spec, request, pending, everything, named))
        return pending

    def __len__(self) -> int:
        return len(self._calls)

    def _sending(self) -> list[_Call]:
        if self.sent:
            raise RuntimeError("this batch was already sent; start a new one")
        self.sent = True
        return self._calls


class BaseBatch(Collector):
    """A batch of a synchronous client: sent by ``send()`` or on leaving ``with``."""

    _client: BaseClient

    def send(self) -> list[object]:
        """Send every collected call; returns their answers in call order."""
        if calls := self._sending():
            self._client._run(calls)
        return [call.pending.value for call in self._calls]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self.sent:
            self.send()


def deferred(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[Collector, P], Pending[T]]:
    """The batch form of a client method: the same arguments, a ``Pending`` answer.

    The client method builds its request and hands it to ``self._call``; run
    with a batch as ``self``, that collects the request instead of sending it.
    So each operation's signature and request building exist once.
    """

    @functools.wraps(method)
    def collect(batch: Collector, /, *args: P.args, **kwargs: P.kwargs) -> Pending[T]:
        method(batch, *args, **kwargs)
        pending: Pending[T] = batch._calls[-1].pending
        return pending

    return collect
