"""HTTP(S) front of the emulator: authentication, envelope, validation, dispatch.

Answers like Plesk: packet-level failures as ``<system>`` errors (1001 bad
login, 11003 bad key, 1005 unknown version, 1014 invalid packet), everything
else per operation. Tests can script raw answers to exercise the client's
error paths.
"""

from __future__ import annotations

import importlib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from .mail import MailOperator, Store

AGENT_PATH = "/enterprise/control/agent.php"


@dataclass
class RawAnswer:
    """A scripted answer: status, body and an optional delay before it."""

    body: bytes
    status: int = 200
    delay: float = 0.0
    content_type: str = "text/xml"


@dataclass
class Exchange:
    """One request the emulator received, and what it answered."""

    headers: dict[str, str]
    body: bytes
    answer: bytes = b""
    request_errors: list[str] = field(default_factory=list)


def _system_error(version: str, code: int, text: str) -> bytes:
    from plesk_mail.runtime.envelope import SystemResult, encode_system

    return encode_system(version or "1.6.9.1", SystemResult(errcode=code, errtext=text))


class Emulator:
    """A Plesk XML API endpoint on 127.0.0.1 for the ``mail`` operator."""

    def __init__(
        self,
        *,
        login: str = "admin",
        password: str = "setup-password",
        secret_key: str = "0123456789abcdef0123456789abcdef",
        versions: dict[str, str] | None = None,
        validator: Callable[[str, str, bytes], list[str]] | None = None,
        tls_context: ssl.SSLContext | None = None,
        store: Store | None = None,
    ) -> None:
        self.login = login
        self.password = password
        self.secret_key = secret_key
        self.versions = versions or {}
        self.validator = validator
        self.tls_context = tls_context
        self.store = store or Store()
        self.exchanges: list[Exchange] = []
        self.scripted: list[RawAnswer] = []
        self.response_errors: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self, port: int = 0) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, answer, content_type, delay = emulator.handle(
                    self.path, dict(self.headers), body
                )
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        if self.tls_context is not None:
            server.socket = self.tls_context.wrap_socket(
                server.socket, server_side=True
            )
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- handling ------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str, float]:
        exchange = Exchange(headers=headers, body=body)
        with self._lock:
            self.exchanges.append(exchange)
            scripted = self.scripted.pop(0) if self.scripted else None
        if scripted is not None:
            exchange.answer = scripted.body
            return scripted.status, scripted.body, scripted.content_type, scripted.delay
        if path != AGENT_PATH:
            return 404, b"<html><body>Not Found</body></html>", "text/html", 0.0
        answer = self._answer(headers, body, exchange)
        exchange.answer = answer
        return 200, answer, "text/xml", 0.0

    def _answer(
        self, headers: dict[str, str], body: bytes, exchange: Exchange
    ) -> bytes:
        version = _packet_version(body)
        lowered = {k.lower(): v for k, v in headers.items()}
        if "key" in lowered:
            if lowered["key"] != self.secret_key:
                return _system_error(version, 11003, "Secret key validation failed")
        elif (lowered.get("http_auth_login"), lowered.get("http_auth_passwd")) != (
            self.login,
            self.password,
        ):
            return _system_error(
                version, 1001, "Authentication failed - wrong password."
            )
        if version not in self.versions:
            return _system_error(
                version, 1005, f"Protocol version {version!r} is not supported"
            )
        module = importlib.import_module(f"plesk_mail.{self.versions[version]}")
        if self.validator is not None:
            exchange.request_errors = self.validator(version, "request", body)
            if exchange.request_errors:
                return _system_error(
                    version, 1014, "Parser error: " + exchange.request_errors[0]
                )
        try:
            packet = module.decode_request(body)
        except (
            Exception
        ) as exc:  # the emulator answers anything it cannot read with 1014
            return _system_error(version, 1014, f"Parser error: {exc}")
        operator = MailOperator(module, self.store)
        names = {request: name for name, (request, _) in module.OPERATIONS.items()}
        with self._lock:
            replies = [
                module.Reply(names[type(op)], operator.answer(names[type(op)], op))
                for op in packet.operations
            ]
        answer: bytes = module.encode_response(
            module.ResponsePacket(replies=replies, version=version)
        )
        if self.validator is not None:
            errors = self.validator(version, "response", answer)
            if errors:
                self.response_errors.extend(errors)
        return answer


def _packet_version(body: bytes) -> str:
    try:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False
        )
        return str(etree.fromstring(body, parser).get("version", ""))
    except etree.XMLSyntaxError:
        return ""
