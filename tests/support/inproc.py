"""The emulator inside the test's own process: no socket, no TLS, no thread.

``inproc(emulator, kind=...)`` gives a client whose own httpx client (the
``http_client=`` a caller may pass) answers every request through
``Emulator.handle``, by an ``httpx.MockTransport``: the same packets, checks
and answers as the served emulator, in a millisecond. Scripted answers work
as there (``drop`` is a lost connection; delays and trickles are the served
emulator's business). The protocol is pinned, as ``connect_to`` pins it, so
packet counts are the calls' own; a test of negotiation passes ``protocol=``. The engine's edge tests use it, so the mutation run
(tests/mutation) can afford them for every mutant.
"""

from __future__ import annotations

from typing import Any

import httpx
import plesk_mail

from tests.emulator.fixtures import PINNED
from tests.emulator.server import Emulator

from .both import Blocking


def answer(emulator: Emulator, request: httpx.Request) -> httpx.Response:
    """What the emulator answers ``request``, as httpx's response."""
    raw = emulator.handle(request.url.path, dict(request.headers), request.read())
    if raw.drop:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response."
        )
    headers = {"Content-Type": raw.content_type, **raw.headers}
    return httpx.Response(raw.status, content=raw.body, headers=headers)


def inproc(emulator: Emulator, *, kind: str = "sync", **options: Any) -> Any:
    """A client of ``emulator`` in this process (``kind="async"``: driven blocking)."""
    settings: dict[str, Any] = {
        "login": emulator.login,
        "password": emulator.password,
        "timeout": 10,
        "protocol": PINNED,
        **options,
    }
    if kind == "async":

        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            return answer(emulator, request)

        own: Any = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        client = Blocking(
            plesk_mail.connect_async("127.0.0.1", http_client=own, **settings)
        )
        return client.__enter__()
    own = httpx.Client(transport=httpx.MockTransport(lambda r: answer(emulator, r)))
    return plesk_mail.connect("127.0.0.1", http_client=own, **settings)
