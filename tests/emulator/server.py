"""HTTP(S) front of the emulator: authentication, envelope, validation, dispatch.

Answers like Plesk, on ``POST /enterprise/control/agent.php`` only (other
paths 404, other methods 405). Packet-level failures are ``<system>`` errors:
1014 a packet that is not XML, 1005 a version the emulator does not speak,
1001 bad login or password, 11003 bad secret key, 1014 a packet that does
not validate against the version's schema (with the parser's message), in
that order. Which version a packet's ``version`` attribute selects (none, a
short one such as ``1.6``) and what answers are stamped with is ``versions``. Everything else is
answered per operation by the emulated operators (``MailOperator``,
``SiteOperator``) against the SQLite ``Store``, several operator elements of
one packet in order (``dispatch``); ``<server><get_protos/></server>`` lists
the versions it speaks, alone or among them.

With a ``validator`` (the tests' and the standalone emulator's case) every
request is checked before it is answered and every answer after it is built;
an answer that does not validate is a bug in the emulator: it is recorded in
``response_errors`` and, when ``strict``, sent as HTTP 500 instead so the
test that caused it fails at once.

Tests can script raw answers (``scripted``) to exercise a client's error paths.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree
from plesk_mail.runtime.base.errors import PleskError

from . import dispatch
from . import protos as get_protos
from .store import Store
from .versions import asked_version, newest, select, stamp, version_key

AGENT_PATH = "/enterprise/control/agent.php"
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0
POLL_INTERVAL = 0.05  # how soon stop() takes effect (the default 0.5 s adds up)

AUTHENTICATION_FAILED = 1001
PROTOCOL_VERSION_NOT_SUPPORTED = 1005
PARSE_ERROR = 1014
SECRET_KEY_VALIDATION_FAILED = 11003

Validator = Callable[[str, str, bytes], list[str]]


@dataclass
class RawAnswer:
    """A scripted (or computed) answer.

    ``declared_length`` announces a ``Content-Length`` other than the body's
    (larger: the connection drops mid-body); ``close_delimited`` sends no
    length at all and ends the body by closing the connection; ``trickle``
    sends one byte at a time, the way a hostile or dying server holds a
    client that only bounds each read.
    """

    body: bytes
    status: int = 200
    delay: float = 0.0
    content_type: str = "text/xml"
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None
    close_delimited: bool = False
    drop: bool = False
    """Read the request, then close the connection without a word."""
    trickle: float = 0.0
    """Seconds between bytes: the answer drips out (headers too, with ``trickle_headers``)."""
    trickle_headers: bool = False


@dataclass
class Exchange:
    """One request the emulator received, and what it answered."""

    headers: dict[str, str]
    body: bytes
    answer: bytes = b""
    request_errors: list[str] = field(default_factory=list)
    response_errors: list[str] = field(default_factory=list)


def _system_error(version: str | None, code: int, text: str) -> bytes:
    """``<packet [version=...]><system>...</system></packet>``: the version the
    request asked for as it was written, or none (see ``versions``)."""
    packet = etree.Element("packet")
    if version is not None:
        packet.set("version", version)
    system = etree.SubElement(packet, "system")
    etree.SubElement(system, "status").text = "error"
    etree.SubElement(system, "errcode").text = str(code)
    etree.SubElement(system, "errtext").text = text
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))


def _parse(body: bytes) -> tuple[etree._Element | None, str]:
    """The packet's root element, or the parser's message."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(body, parser), ""
    except etree.XMLSyntaxError as exc:
        return None, str(exc) or "empty document"


class _HTTPServer(ThreadingHTTPServer):
    """One thread per connection; the TLS handshake runs in that thread too,
    so a client that connects and says nothing cannot stall the others."""

    daemon_threads = True
    request_queue_size = 128
    tls_context: ssl.SSLContext | None = None
    connection_errors: list[str]

    hangups = 0
    """Connections still to close at once, before any TLS: a refused connection."""

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.hangups > 0:
            self.hangups -= 1
            request.close()
            return
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HANDSHAKE_TIMEOUT)
        with self.tls_context.wrap_socket(request, server_side=True) as secure:
            super().finish_request(secure, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed handshakes and clients that hang up (tests do both on purpose).
        self.connection_errors.append(repr(sys.exc_info()[1]))


class Emulator:
    """A Plesk XML API endpoint on 127.0.0.1 for the ``mail`` and ``site`` operators.

    ``versions`` are the protocol versions it speaks (default: every version
    the generated package knows); ``protos`` is what ``get_protos`` announces
    (default: those versions, newest first).
    """

    def __init__(
        self,
        *,
        login: str = "admin",
        password: str = "setup-password",
        secret_key: str = "0123456789abcdef0123456789abcdef",
        versions: list[str] | tuple[str, ...] | None = None,
        validator: Validator | None = None,
        tls_context: ssl.SSLContext | None = None,
        store: Store | None = None,
        protos: list[str] | None = None,
        strict: bool = True,
        latency: float = 0.0,
        result_order: str = "request",
        plesk_version: str | None = None,
    ) -> None:
        self.login = login
        self.password = password
        self.secret_key = secret_key
        from plesk_mail import PROTOCOL_VERSIONS

        self.versions = list(PROTOCOL_VERSIONS if versions is None else versions)
        self.validator = validator
        self.tls_context = tls_context
        self.store = store if store is not None else Store()
        self.strict = strict
        self.latency = latency
        """Seconds every answer waits: a simulated network."""
        self.plesk_version = plesk_version or get_protos.RELEASE_OF.get(
            max(self.versions, key=version_key), "18.0.60"
        )
        """What ``<server><get><stat/>`` says the product version is (by default a
        release whose newest protocol is the newest this emulator speaks)."""
        self.result_order = result_order
        """``"reversed"``: per-item results come back last item first, as a
        server may send them (each names its account, so a client can match)."""
        self._protos = list(protos) if protos is not None else None
        self.exchanges: list[Exchange] = []
        self.scripted: list[RawAnswer | None] = []
        """Answers to send instead of the emulator's own, in order; ``None``
        lets one request through to the emulator."""
        self.response_errors: list[str] = []
        self.responses_checked = 0
        self._lock = threading.Lock()
        self._server: _HTTPServer | None = None

    @property
    def protos(self) -> list[str]:
        if self._protos is not None:
            return list(self._protos)
        return sorted(self.versions, key=version_key, reverse=True)

    @property
    def newest(self) -> str:
        return newest(self.versions)

    # -- lifecycle -----------------------------------------------------------

    def hang_up(self, count: int) -> None:
        """Close the next ``count`` connections right after accepting them."""
        assert self._server is not None
        self._server.hangups = count

    def start(self, port: int = 0) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = IDLE_TIMEOUT

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = emulator.handle(self.path, dict(self.headers), body)
                if answer.delay or emulator.latency:
                    time.sleep(answer.delay + emulator.latency)
                if answer.drop:  # the request arrived; the answer never leaves
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send(answer)

            def not_allowed(self) -> None:
                self.send(
                    RawAnswer(
                        b"<html><body>Method Not Allowed</body></html>",
                        405,
                        content_type="text/html",
                        headers={"Allow": "POST"},
                    )
                )

            do_GET = do_PUT = do_DELETE = do_PATCH = not_allowed

            def drip(self, answer: RawAnswer) -> None:
                head = (
                    f"HTTP/1.1 {answer.status} Slow\r\nContent-Type: "
                    f"{answer.content_type}\r\nContent-Length: {len(answer.body)}"
                    "\r\n\r\n"
                ).encode()
                self.close_connection = True
                if not answer.trickle_headers:
                    self.wfile.write(head)
                    self.wfile.flush()
                    head = b""
                for index in range(len(head) + len(answer.body)):
                    data = (head + answer.body)[index : index + 1]
                    self.wfile.write(data)
                    self.wfile.flush()
                    time.sleep(answer.trickle)

            def send(self, answer: RawAnswer) -> None:
                try:
                    if answer.trickle:
                        self.drip(answer)
                        return
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if answer.close_delimited:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    else:
                        length = answer.declared_length
                        if length is None:
                            length = len(answer.body)
                        self.send_header("Content-Length", str(length))
                        if length != len(answer.body):
                            self.close_connection = True
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    self.close_connection = True

        server = _HTTPServer(("127.0.0.1", port), Handler)
        server.tls_context = self.tls_context
        server.connection_errors = []
        self._server = server
        threading.Thread(
            target=server.serve_forever, args=(POLL_INTERVAL,), daemon=True
        ).start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}{AGENT_PATH}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- handling ------------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> RawAnswer:
        exchange = Exchange(headers=headers, body=body)
        with self._lock:
            self.exchanges.append(exchange)
            scripted = self.scripted.pop(0) if self.scripted else None
        if scripted is not None:
            exchange.answer = scripted.body
            return scripted
        if path != AGENT_PATH:
            return RawAnswer(
                b"<html><body>Not Found</body></html>", 404, content_type="text/html"
            )
        try:
            version, answer, check = self._answer(headers, body, exchange)
        except Exception as exc:  # a bug in the emulator, never the client's fault
            self._bug(exchange, f"emulator failed: {exc!r}")
            return RawAnswer(b"emulator failed", 500, content_type="text/plain")
        exchange.answer = answer
        if self.validator is not None:
            errors = check(version, answer)
            with self._lock:
                self.responses_checked += 1
            if errors:
                self._bug(exchange, *errors)
                if self.strict:
                    text = "emulator answer does not validate: " + errors[0]
                    return RawAnswer(text.encode(), 500, content_type="text/plain")
        return RawAnswer(answer)

    def _bug(self, exchange: Exchange, *errors: str) -> None:
        exchange.response_errors.extend(errors)
        with self._lock:
            self.response_errors.extend(errors)

    def _system_errors(self, version: str, answer: bytes) -> list[str]:
        assert self.validator is not None
        return self.validator(version, "response", answer)

    def _answer(
        self, headers: dict[str, str], body: bytes, exchange: Exchange
    ) -> tuple[str, bytes, Callable[[str, bytes], list[str]]]:
        """(version, answer, how to check the answer) for one request.

        The checks run in the order of Plesk's "Handling Errors" page (the
        version is supported, then authentication, then the packet's
        validity); no source shows a packet failing two of them at once, so
        the page's order is the emulator's (README, "The emulator"). The
        packet is parsed first: its version lives in it.
        """
        root, parse_error = _parse(body)
        asked = asked_version(root.get("version") if root is not None else None)
        selected = select(asked, self.versions)
        version = selected or self.newest  # the schema the answer is checked against

        def system(code: int, text: str) -> tuple[str, bytes, Any]:
            return version, _system_error(asked, code, text), self._system_errors

        if root is None:
            return system(PARSE_ERROR, f"Parser error: {parse_error}")
        if selected is None:
            return system(
                PROTOCOL_VERSION_NOT_SUPPORTED,
                f"Protocol version {asked!r} is not supported",
            )
        refused = self._refused_login(headers)
        if refused is not None:
            return system(*refused)
        if self.validator is not None:
            exchange.request_errors = (
                get_protos.schema_errors("request", body)
                if dispatch.only_server(root)
                else dispatch.schema_errors(self.validator, version, "request", root)
            )
            if exchange.request_errors:
                return system(
                    PARSE_ERROR, "Parser error: " + exchange.request_errors[0]
                )
        try:
            answer = dispatch.answer(
                version,
                root,
                self.store,
                self.protos,
                self.result_order,
                self.plesk_version,
            )
        except PleskError as exc:  # answer whatever it cannot read with 1014
            return system(PARSE_ERROR, f"Parser error: {exc}")
        answer = dispatch.stamped(answer, stamp(asked, version))
        if dispatch.only_server(root):
            return (
                version,
                answer,
                lambda _, data: get_protos.schema_errors("response", data),
            )
        return version, answer, self._packet_errors

    def _refused_login(self, headers: dict[str, str]) -> tuple[int, str] | None:
        """The system error of bad credentials, or ``None`` when they are right."""
        # Header values arrive as Latin-1 text; the client sends UTF-8 bytes.
        lowered = {
            k.lower(): v.encode("latin-1", "replace").decode("utf-8", "replace")
            for k, v in headers.items()
        }
        if "key" in lowered:
            if lowered["key"] != self.secret_key:
                return SECRET_KEY_VALIDATION_FAILED, "Secret key validation failed"
            return None
        if (lowered.get("http_auth_login"), lowered.get("http_auth_passwd")) != (
            self.login,
            self.password,
        ):
            return AUTHENTICATION_FAILED, "Authentication failed - wrong password."
        return None

    def _packet_errors(self, version: str, answer: bytes) -> list[str]:
        root, _ = _parse(answer)
        assert root is not None and self.validator is not None
        return dispatch.schema_errors(self.validator, version, "response", root)
