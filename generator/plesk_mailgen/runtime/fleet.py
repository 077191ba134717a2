"""One call on many servers at once: a fleet, on the async client.

Each server gets its own connection and negotiates its own protocol version
(from its config entry, ``auto`` by default); at most ``parallel`` servers are
talked to at a time. A server that fails (refused, TLS, authentication,
timeout, a value its version lacks) is an ``Outcome`` with an ``error``, and
the others go on. ``Fleet`` runs the event loop itself; ``AsyncFleet`` is for
programs that already have one.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from .config import Config, Server, load
from .errors import PleskError

T = TypeVar("T")
P = ParamSpec("P")
DEFAULT_PARALLEL = 64


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one server answered, or why it did not."""

    server: str
    protocol: str | None
    value: T | None
    error: PleskError | None
    seconds: float

    @property
    def ok(self) -> bool:
        """No error, and every item (if the answer has items) ok."""
        return self.error is None and bool(getattr(self.value, "ok", True))


class _FleetBase:
    _connect: Callable[..., Any]
    """``connect_async`` of the generated package."""

    def __init__(
        self,
        servers: Sequence[str | Server],
        *,
        config: Config | str | os.PathLike[str] | None = None,
        parallel: int = DEFAULT_PARALLEL,
        **options: Any,
    ) -> None:
        if parallel < 1:
            raise ValueError(f"parallel must be at least 1, got {parallel}")
        names = [s for s in servers if isinstance(s, str)]
        loaded = (
            config if isinstance(config, Config) else (load(config) if names else None)
        )
        chosen = loaded.select(names) if loaded is not None else []
        self.servers = [*chosen, *(s for s in servers if isinstance(s, Server))]
        self.parallel = parallel
        self.options = options

    async def _gather(
        self, operation: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Outcome[Any]]:
        gate = asyncio.Semaphore(self.parallel)

        async def one(server: Server) -> Outcome[Any]:
            async with gate:
                started = time.perf_counter()
                protocol: str | None = None
                try:
                    async with type(self)._connect(
                        server=server, **self.options
                    ) as client:
                        protocol = client.protocol_version
                        value = await getattr(client, operation)(*args, **kwargs)
                except PleskError as exc:
                    return Outcome(server.name, protocol, None, exc, _since(started))
                return Outcome(server.name, protocol, value, None, _since(started))

        found = await asyncio.gather(*(one(server) for server in self.servers))
        return {outcome.server: outcome for outcome in found}


def _since(started: float) -> float:
    return time.perf_counter() - started


class FleetBase(_FleetBase):
    """Runs each call on every server and waits for all of them."""


class AsyncFleetBase(_FleetBase):
    """The same, awaited, for programs that already run an event loop."""


def fleet_call(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[FleetBase, P], dict[str, Outcome[T]]]:
    """The fleet form of a client method: the same arguments, an outcome per server."""

    @functools.wraps(method)
    def call(
        fleet: FleetBase, /, *args: P.args, **kwargs: P.kwargs
    ) -> dict[str, Outcome[T]]:
        return asyncio.run(fleet._gather(method.__name__, args, kwargs))

    return call


def async_fleet_call(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[
    Concatenate[AsyncFleetBase, P], Coroutine[Any, Any, dict[str, Outcome[T]]]
]:
    """The async fleet form of a client method."""

    @functools.wraps(method)
    async def call(
        fleet: AsyncFleetBase, /, *args: P.args, **kwargs: P.kwargs
    ) -> dict[str, Outcome[T]]:
        return await fleet._gather(method.__name__, args, kwargs)

    return call
