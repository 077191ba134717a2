"""The async client: the same calls, checks and results, awaited.

``AsyncBaseClient`` drives the same ``Core`` as the synchronous client (one
engine, two ways of moving bytes), so batching, chunking, validation, version
checks, errors and secrets behave identically. Its operation methods are the
synchronous client's, run on it (``asynchronous``): each builds its request
once, in one place, for both clients. With ``protocol="auto"`` the version is
negotiated when the client is opened (``async with``, or ``await open()``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

from ..base.errors import ClientClosedError, PleskError, masked
from ..base.masking import masking
from .addressing import Named
from .calls import Call, OperationSpec
from .client import AUTO, Collector, Core
from .negotiate import GET_PROTOS, choose, protocols_in
from .results import Pending

if TYPE_CHECKING:
    from ..transport.http import AsyncTransport

T = TypeVar("T")
P = ParamSpec("P")


class AsyncBaseClient(Core):
    """Sends requests in one protocol version, awaiting the network."""

    transport: AsyncTransport
    server_protocols: tuple[str, ...] = ()
    """The versions the server said it speaks, once negotiated (``auto``)."""

    async def open(self) -> Self:
        """Negotiate the protocol version if it is ``auto``; harmless otherwise."""
        if self._closed:
            raise ClientClosedError(
                "this client was closed; make a new one (or use it inside 'async with')"
            )
        if self._protocol == AUTO:
            data = await self.transport.post(GET_PROTOS, "server.get_protos")
            try:
                offered = protocols_in(data, self.transport.max_response_size)
                self.server_protocols = tuple(offered)
                self._protocol = choose(offered, self._codec.rules.versions)
            except PleskError as exc:  # the versions it lists are the server's words
                raise masked(exc, self.transport.masker) from None
        return self

    async def aclose(self) -> None:
        """Close the connection pool; ``async with`` does it for you."""
        self._closed = True
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        try:
            return await self.open()
        except BaseException:
            await self.aclose()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        spec: OperationSpec[T],
        request: object,
        *,
        everything: bool = False,
        named: Named | None = None,
    ) -> T:
        pending: Pending[T] = Pending(spec.name)
        await self._run([Call(spec, request, pending, everything, named)])
        return pending.value

    async def _run(self, calls: list[Call]) -> None:
        await self.open()
        with masking(self.mask):
            await self._drive(calls)

    async def _drive(self, calls: list[Call]) -> None:
        steps = self._steps(calls)
        try:
            packet = next(steps)
            while True:
                try:
                    data = await self.transport.post(
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


class AsyncBaseBatch(Collector):
    """A batch of an async client: sent by ``await send()`` or on leaving ``async with``."""

    _client: AsyncBaseClient

    async def send(self) -> list[object]:
        """Send every collected call; returns their answers in call order."""
        if calls := self._sending():
            await self._client._run(calls)
        return [call.pending.value for call in self._calls]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self.sent:
            await self.send()


def asynchronous(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[AsyncBaseClient, P], Coroutine[Any, Any, T]]:
    """The async form of a client method: the same arguments, awaited.

    The method builds its request and returns ``self._call(...)``; run on an
    async client, that is the coroutine that sends it.
    """

    @functools.wraps(method)
    async def call(client: AsyncBaseClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        sending: Any = method(client, *args, **kwargs)
        result: T = await sending
        return result

    return call
