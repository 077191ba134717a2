"""The machinery behind the generated ``MailClient``: one client for every version.

A client speaks one protocol version, fixed when it is made. Requests are
checked against that version (a field it lacks is refused, always), validated
against the schema (unless switched off), split into packets of at most
``chunk_size`` items, sent, and their replies matched back to the calls in
order, so a caller can tell exactly which item failed. Per-item errors never
raise on their own: ``Results.raise_for_errors()`` turns them into one
exception.

``Core`` is the last of a line of classes, one concern each: ``answers``
(reading a packet's answer), ``packing`` (calls into packets, progress),
``sites`` (names to site ids), and here the checks and the steps of a run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

from ..base import xml as rt
from ..base.closing import Closing
from ..base.errors import (
    ClientClosedError,
    UnknownProtocolError,
    ValidationError,
)
from ..base.masking import masking
from ..base.protocols import availability
from . import addressing
from .addressing import Named
from .calls import Call, Codec, OperationSpec, Packet, unsent
from .checks import check
from .results import Pending
from .sites import SiteNames

if TYPE_CHECKING:
    from ..transport.http import Transport

AUTO = "auto"
T = TypeVar("T")
P = ParamSpec("P")
DEFAULT_CHUNK_SIZE = 100


class Core(SiteNames):
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

    def _check(self, call: Call) -> None:
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

    def _steps(self, calls: list[Call]) -> Generator[Packet, bytes, None]:
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
            exc.progress = [unsent(call) for call in calls]  # type: ignore[attr-defined]
            exc.sent = False  # type: ignore[attr-defined]
            raise
        yield from self._exchange(resolved)


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
        self._run([Call(spec, request, pending, everything, named)])
        return pending.value

    def _run(self, calls: list[Call]) -> None:
        with masking(self.mask):
            self._drive(calls)

    def _drive(self, calls: list[Call]) -> None:
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


class Collector:
    """Collects calls to send together, in as few packets as the chunk size allows."""

    def __init__(self, client: Core) -> None:
        self._client = client
        self._calls: list[Call] = []
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
        self._calls.append(Call(spec, request, pending, everything, named))
        return pending

    def __len__(self) -> int:
        return len(self._calls)

    def _sending(self) -> list[Call]:
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
