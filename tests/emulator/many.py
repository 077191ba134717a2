"""Many emulated Plesk servers in one process: one port and one store each.

A fleet of hundreds cannot be hundreds of processes or thread pools on a
test machine, so these servers share one asyncio loop (in a thread of its
own): each connection is a coroutine, and the simulated network latency is an
``asyncio.sleep`` before every answer, so 500 servers waiting 200 ms cost no
CPU while they wait. Each server answers through an ``Emulator``'s own
``handle`` (same semantics as the threaded one), without schema validation.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from .server import Emulator, RawAnswer
from .store import SiteSpec
from .tls import TestTLS

MAX_HEADER = 64 * 1024


@dataclass
class _Served:
    emulator: Emulator
    port: int = 0


class ManyServers:
    """``count`` emulators on ports of 127.0.0.1, each answering after ``latency`` s."""

    def __init__(
        self,
        count: int,
        tls: TestTLS,
        *,
        latency: float = 0.0,
        versions: Sequence[str] | None = None,
        sites: tuple[int | SiteSpec, ...] = (1,),
    ) -> None:
        self.tls = tls
        self.latency = latency
        self.servers = [_Served(Emulator(versions=versions)) for _ in range(count)]
        for served in self.servers:
            for site in sites:
                served.emulator.store.seed(site)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listeners: list[asyncio.Server] = []

    @property
    def ports(self) -> list[int]:
        return [served.port for served in self.servers]

    @property
    def password(self) -> str:
        return self.servers[0].emulator.password

    def start(self) -> ManyServers:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(60)
        return self

    async def _listen(self) -> None:
        for served in self.servers:

            async def handle(
                reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter,
                served: _Served = served,
            ) -> None:
                await self._connection(served.emulator, reader, writer)

            listener = await asyncio.start_server(
                handle, "127.0.0.1", 0, ssl=self.tls.server_context, backlog=512
            )
            served.port = listener.sockets[0].getsockname()[1]
            self._listeners.append(listener)

    async def _connection(
        self,
        emulator: Emulator,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > MAX_HEADER:
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if " " in lines[0] else "/"
                headers = dict(
                    line.split(": ", 1) for line in lines[1:] if ": " in line
                )
                length = int(headers.get("Content-Length", "0") or 0)
                body = await reader.readexactly(length)
                answer = emulator.handle(path, headers, body)
                await asyncio.sleep(self.latency + answer.delay)
                writer.write(_response(answer))
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
        ):
            pass
        except OSError:
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def close() -> None:
            for listener in self._listeners:
                listener.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        for served in self.servers:
            served.emulator.store.close()


def _response(answer: RawAnswer) -> bytes:
    reason = HTTPStatus(answer.status).phrase
    head = (
        f"HTTP/1.1 {answer.status} {reason}\r\n"
        f"Content-Type: {answer.content_type}\r\n"
        f"Content-Length: {len(answer.body)}\r\n\r\n"
    )
    return head.encode("latin-1") + answer.body
