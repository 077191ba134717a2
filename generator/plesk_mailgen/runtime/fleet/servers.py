"""One call on many servers at once: a fleet, on the async client.

Each server gets its own connection and negotiates its own protocol version
(from its config entry, ``auto`` by default); at most ``parallel`` servers are
talked to at a time. A server that fails (an unusable config entry, a slow
or failing credential command, refused, TLS, authentication, timeout, a
value its version lacks, even an unexpected error) is an ``Outcome`` with an
``error``, and the others go on within their own deadlines: credential
commands run in threads, never in the event loop. ``Fleet`` runs the event
loop itself; ``AsyncFleet`` is for programs that already have one. Ctrl-C
stops a ``Fleet`` call with ``KeyboardInterrupt`` whose ``outcomes`` say
what each server had done (``StoppedError`` for those it stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
import signal
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ..base.errors import PleskError, StoppedError, Terminated
from . import routing
from .config import Config, Server, load

T = TypeVar("T")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_PARALLEL = 64


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one server answered, or why it did not."""

    server: str
    protocol: str | None
    value: T | None
    error: PleskError | None
    seconds: float
    started: bool = False
    """The call itself had begun: its packets may have reached the server. When
    ``False``, the error came before (config, credentials, connecting,
    negotiation) and the call changed nothing there."""

    @property
    def ok(self) -> bool:
        """No error, and every item (if the answer has items) ok."""
        return self.error is None and bool(getattr(self.value, "ok", True))


class _FleetBase:
    _connect: Callable[..., Any]
    """``connect_async`` of the generated package."""
    _codec: Any
    """The generated client's ``Codec``: its operations and how names are found."""

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
        self.last_plan: routing.Plan | None = None
        """Where the last call that named domains sent them (server -> domains)."""
        self.stop_signals: tuple[int, ...] = ()
        """Signals (SIGTERM, ...) that stop a call as Ctrl-C does, with
        ``Terminated``; the command line sets them, a library leaves them be."""

    async def _gather(
        self,
        operation: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        found: dict[str, Outcome[Any]] | None = None,
        work: dict[str, tuple[dict[str, Any], dict[str, int]]] | None = None,
    ) -> dict[str, Outcome[Any]]:
        """Run the call on every server (or those of ``work``, each with its own
        arguments and known site ids); ``found`` fills as each one ends."""
        servers = [s for s in self.servers if work is None or s.name in work]
        gate = asyncio.Semaphore(self.parallel)
        found = {} if found is None else found

        async def one(server: Server) -> None:
            started = time.perf_counter()
            run = _Run(server.name)
            try:
                mine, known = (work or {}).get(server.name, (kwargs, {}))
                async with gate:
                    started = time.perf_counter()
                    await self._one(server, operation, args, mine, known, run)
            except asyncio.CancelledError as exc:
                stop = StoppedError("stopped before this server answered")
                stop.progress = getattr(exc, "progress", [])
                stop.sent = getattr(exc, "sent", True)
                run.error = stop
            except PleskError as exc:
                run.error = exc
            except Exception as exc:  # a bug must not cost the other servers
                run.error = PleskError(f"unexpected {type(exc).__name__}: {exc}")
            found[server.name] = run.outcome(_since(started))

        with _stopping(self.stop_signals) as stopped:
            try:
                await asyncio.gather(*(one(server) for server in servers))
            except asyncio.CancelledError:
                if stopped:
                    raise Terminated(stopped[0]) from None
                raise
        return {server.name: found[server.name] for server in servers}

    async def _routed(
        self,
        operation: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        found: dict[str, Outcome[Any]],
    ) -> dict[str, Outcome[Any]]:
        """Run the call; one that names domains goes only where each domain lives."""
        codec = self._codec
        spec = codec.specs.get(operation)
        domains = routing.named_domains(spec, kwargs) if spec is not None else []
        if not domains or codec.lookup is None:
            return await self._gather(operation, args, kwargs, found)
        lookup = codec.lookup
        lookups = await self._gather(lookup.spec.name, (), {lookup.filter: domains}, {})
        assert spec is not None
        plan = routing.plan(domains, lookups, lookup, writes=not spec.read_only)
        self.last_plan = plan
        work = {
            server: (routing.routed(spec, kwargs, hosted), hosted)
            for server, hosted in plan.hosted.items()
        }
        done = await self._gather(operation, args, kwargs, found, work)
        for server in plan.silent:  # a read went on without them: say so
            found[server] = done[server] = lookups[server]
        return {s.name: done[s.name] for s in self.servers if s.name in done}

    async def _one(
        self,
        server: Server,
        operation: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        known: dict[str, int],
        run: _Run,
    ) -> None:
        options = dict(self.options)
        if options.get("password") is None and options.get("secret_key") is None:
            secret = await _secret(server)
            if secret is not None:
                options[secret[0]] = secret[1]
        async with type(self)._connect(server=server, **options) as client:
            run.protocol = client.protocol_version
            client.know_sites(known)
            run.started = True
            run.value = await getattr(client, operation)(*args, **kwargs)


@contextlib.contextmanager
def _stopping(signals: tuple[int, ...]) -> Iterator[list[int]]:
    """While the block runs, ``signals`` cancel the current task (safely, in the
    loop); the list names the signal that did."""
    stopped: list[int] = []
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed: dict[int, Any] = {}
    for signum in signals:
        if task is None or threading.current_thread() is not threading.main_thread():
            break

        def stop(signum: int = signum, task: asyncio.Task[Any] = task) -> None:
            stopped.append(signum)
            task.cancel()

        installed[signum] = signal.getsignal(signum)
        loop.add_signal_handler(signum, stop)
    try:
        yield stopped
    finally:
        for signum, previous in installed.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, previous)  # the caller's handler, not the default


async def stoppable(work: Coroutine[Any, Any, T], signals: tuple[int, ...]) -> T:
    """Await ``work``; ``signals`` cancel it from the event loop (``Terminated``)."""
    with _stopping(signals) as stopped:
        try:
            return await work
        except asyncio.CancelledError:
            if stopped:
                raise Terminated(stopped[0]) from None
            raise


async def _secret(server: Server) -> tuple[str, str] | None:
    """The server's secret: a credential command runs beside the other servers."""
    if server.problem is not None:
        return None  # connecting says what is wrong with the entry
    return await server.secret_async()


@dataclass
class _Run:
    """One server's run, as far as it got."""

    server: str
    protocol: str | None = None
    value: Any = None
    error: PleskError | None = None
    started: bool = False

    def outcome(self, seconds: float) -> Outcome[Any]:
        value = None if self.error is not None else self.value
        return Outcome(
            self.server, self.protocol, value, self.error, seconds, self.started
        )


def _since(started: float) -> float:
    return time.perf_counter() - started


class FleetBase(_FleetBase):
    """Runs each call on every server and waits for all of them."""

    def each(
        self, operation: str, work: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Outcome[Any]]:
        """``operation`` with each server's own arguments, on the servers of
        ``work`` only: a file whose rows name their servers (an export of the
        fleet, edited) sends each server its own rows."""
        found: dict[str, Outcome[Any]] = {}
        chosen: dict[str, tuple[dict[str, Any], dict[str, int]]] = {
            name: (dict(kwargs), {}) for name, kwargs in work.items()
        }
        return _waited(
            self._gather(operation, (), {}, found, chosen), found, list(work)
        )


def _waited(
    work: Coroutine[Any, Any, dict[str, Outcome[Any]]],
    found: dict[str, Outcome[Any]],
    names: Sequence[str],
) -> dict[str, Outcome[Any]]:
    """Run a fleet's call to its end; a stop says what each server had done."""
    try:
        return asyncio.run(work)
    except KeyboardInterrupt as stop:
        stop.outcomes = {  # type: ignore[attr-defined]
            name: found.get(name)
            or Outcome(
                name,
                None,
                None,
                StoppedError("stopped before this server was started"),
                0.0,
            )
            for name in names
        }
        raise


class AsyncFleetBase(_FleetBase):
    """The same, awaited, for programs that already run an event loop."""


def _returning_outcomes(call: F, method: Callable[..., Any]) -> F:
    """What ``help()`` and editors show: ``-> dict[str, Outcome[<the client's>]]``."""
    signature = inspect.signature(method)
    returns = signature.return_annotation
    name = returns if isinstance(returns, str) else getattr(returns, "__name__", "Any")
    outcome = f"dict[str, Outcome[{name}]]"
    call.__signature__ = signature.replace(return_annotation=outcome)  # type: ignore[attr-defined]
    call.__annotations__ = {**method.__annotations__, "return": outcome}
    return call


def fleet_call(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[FleetBase, P], dict[str, Outcome[T]]]:
    """The fleet form of a client method: the same arguments, an outcome per server."""

    @functools.wraps(method)
    def call(
        fleet: FleetBase, /, *args: P.args, **kwargs: P.kwargs
    ) -> dict[str, Outcome[T]]:
        found: dict[str, Outcome[Any]] = {}
        names = [server.name for server in fleet.servers]
        work = fleet._routed(method.__name__, args, kwargs, found)
        return _waited(work, found, names)

    return _returning_outcomes(call, method)


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
        return await fleet._routed(method.__name__, args, kwargs, {})

    return _returning_outcomes(call, method)
