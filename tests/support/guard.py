"""What an end-to-end test may send to a live server, checked before it leaves.

A live test works inside one sandbox site and only on accounts whose names
start with its own prefix. Every packet a test sends to the server passes
``Guard.check`` first (``watch`` hooks httpx's transports, so the client, the
async client and the in-process CLI are all covered); a packet that would
touch anything else is refused before it is sent, and the test fails:

- ``<server>``: only ``get_protos``; ``<site>``: only ``get`` (reads).
- ``<mail>``: ``create``, ``update``, ``remove`` and ``rename`` on the sandbox
  site and prefixed names only (``remove`` names its accounts: never "every
  account of the site"); ``get_info`` and ``get_prefs`` of the sandbox site
  (``get_info`` without names reads the whole site, which changes nothing);
  ``get-available-mail-providers``. ``enable``, ``disable`` and ``set_prefs``
  change the site itself: refused.

The same guard runs in emulator mode, so a test that would break these rules
fails in the ordinary run, long before anybody points it at a real Plesk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from lxml import etree

NAMED = {"create", "add", "remove", "set"}
READS_SITE = {"get_info", "get_prefs", "get-available-mail-providers"}
CHANGES_SITE = {"enable", "disable", "set_prefs"}


class GuardError(AssertionError):
    """A test tried to send what a live run must never send."""


@dataclass
class Guard:
    """The rules for one test: its sandbox site, its prefix, its server."""

    site_id: int
    prefix: str
    netloc: tuple[str, int]
    packets: int = 0
    bodies: list[bytes] = field(default_factory=list)
    created: int = 0
    refused: list[str] = field(default_factory=list)

    def see(self, request: httpx.Request) -> None:
        """Check one outgoing request; count it; raise ``GuardError`` if refused."""
        if (request.url.host, request.url.port) != self.netloc:
            return
        body = request.content
        problems = self.check(body)
        if problems:
            self.refused += problems
            raise GuardError("; ".join(problems))
        self.packets += 1
        self.bodies.append(body)
        self.created += len(
            etree.fromstring(body).findall("mail/create/filter/mailname")
        )

    def check(self, body: bytes) -> list[str]:
        """What is wrong with sending ``body`` (nothing: an empty list)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            packet = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as exc:
            return [f"not XML: {exc}"]
        problems: list[str] = []
        for part in packet.iterchildren(etree.Element):
            check = getattr(self, f"_{part.tag}", None)
            if check is None:
                problems.append(f"operator <{part.tag}>")
            else:
                problems += check(part)
        return problems

    def _server(self, part: Any) -> list[str]:
        return [f"<server><{op.tag}>" for op in part if op.tag != "get_protos"]

    def _site(self, part: Any) -> list[str]:
        return [f"<site><{op.tag}>" for op in part if op.tag != "get"]

    def _mail(self, part: Any) -> list[str]:
        problems: list[str] = []
        for operation in part:
            tag = operation.tag
            if tag in CHANGES_SITE:
                problems.append(f"<mail><{tag}> changes the site itself")
            elif tag == "update":
                for change in operation:
                    problems += self._named(f"update/{change.tag}", change)
            elif tag in ("create", "remove"):
                problems += self._named(tag, operation)
            elif tag == "rename":
                problems += self._sites(tag, operation.findall("site-id"))
                names = [operation.findtext("name"), operation.findtext("new-name")]
                problems += self._prefixed(tag, names)
            elif tag in READS_SITE:
                problems += self._reads(tag, operation)
            else:
                problems.append(f"<mail><{tag}>")
        return problems

    def _named(self, what: str, operation: Any) -> list[str]:
        problems = self._sites(what, operation.findall("filter/site-id"))
        names = [n.text for n in operation.iterfind("filter/mailname/name")]
        names += [n.text for n in operation.iterfind("filter/name")]
        if not names:
            problems.append(f"{what} without names (every account of the site)")
        return problems + self._prefixed(what, names)

    def _reads(self, what: str, operation: Any) -> list[str]:
        if what == "get-available-mail-providers":
            return []
        problems = self._sites(what, operation.findall("filter/site-id"))
        return problems + self._prefixed(
            what, [n.text for n in operation.iterfind("filter/name")]
        )

    def _sites(self, what: str, ids: list[Any]) -> list[str]:
        found = [(i.text or "").strip() for i in ids]
        if not found or any(i != str(self.site_id) for i in found):
            return [
                f"{what} on site(s) {found or 'all'}, not the sandbox {self.site_id}"
            ]
        return []

    def _prefixed(self, what: str, names: list[str | None]) -> list[str]:
        return [
            f"{what} of {name!r}, which lacks this test's prefix {self.prefix!r}"
            for name in names
            if not (name or "").casefold().startswith(self.prefix)
        ]


def watch(monkeypatch: pytest.MonkeyPatch, guard: Guard) -> None:
    """Pass every request of httpx's own transports through ``guard`` first."""
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> Any:
        guard.see(request)
        return sync_send(self, request)

    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> Any:
        guard.see(request)
        return await async_send(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    monkeypatch.setattr(
        httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request
    )
