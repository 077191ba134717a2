"""The transport's edges: what ``runtime/transport/http.py``, ``deadline.py`` and ``retry.py``
decide about one exchange (issue 18).

Limits at their edge (a response exactly at ``max_response_size`` and one byte
over), the words of each failure and whether it says the packet was sent,
which failures are retried, how long a retry waits, the socket layer that
keeps the deadline, and a caller's own httpx client (left open, closed by its
owner). Most run on ``httpx.MockTransport``: no socket, milliseconds each,
both transports through one body where both have the path.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import plesk_mail
import pytest
import trustme
from plesk_mail.runtime.base.errors import ErrorCode
from plesk_mail.runtime.transport import deadline, retry
from plesk_mail.runtime.transport import http as transport
from plesk_mail.runtime.transport.credentials import Credentials
from plesk_mail.runtime.transport.http import (
    AsyncTransport,
    Transport,
    mask_secrets,
    ssl_context,
)
from plesk_mail.runtime.transport.retry import NO_RETRY, Retry

from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception

LOGIN = Credentials(login="admin", password="Pass-Word-9")
URL = "https://plesk.example:8443/enterprise/control/agent.php"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Handler = Callable[[httpx.Request], httpx.Response]


class Mocked:
    """A transport of ``kind`` whose own httpx client answers by ``handler``."""

    def __init__(self, kind: str, handler: Handler, **options: Any) -> None:
        self.kind = kind
        self.requests: list[httpx.Request] = []

        def seen(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        if kind == "sync":
            self.client: Any = httpx.Client(transport=httpx.MockTransport(seen))
            self.transport: Any = Transport(
                "plesk.example", LOGIN, http_client=self.client, **options
            )
        else:

            async def aseen(request: httpx.Request) -> httpx.Response:
                await request.aread()
                return seen(request)

            self.client = httpx.AsyncClient(transport=httpx.MockTransport(aseen))
            self.transport = AsyncTransport(
                "plesk.example", LOGIN, http_client=self.client, **options
            )

    def post(self, body: bytes = b"<packet/>", **options: Any) -> bytes:
        if self.kind == "sync":
            return bytes(self.transport.post(body, "mail.enable x1", **options))
        return bytes(
            asyncio.run(self.transport.post(body, "mail.enable x1", **options))
        )


def streamed(kind: str, chunks: list[bytes]) -> Any:
    """A body without a length, as the kind of client reads it."""
    if kind == "sync":
        return iter(chunks)

    async def chunked() -> Any:
        for chunk in chunks:
            yield chunk

    return chunked()


def answering(status: int = 200, body: bytes = b"<packet/>", **headers: str) -> Handler:
    return lambda request: httpx.Response(status, content=body, headers=headers)


# -- what is sent ----------------------------------------------------------------------------


def test_a_request_carries_the_login_type_agent_and_extra_headers(kind: str) -> None:
    """Catches a header of the caller's lost, or one of the client's own replaced."""
    mocked = Mocked(
        kind, answering(), headers={"X-Trace": "t-1"}, user_agent="plesk-mail/9"
    )
    assert mocked.post(b"<packet>x</packet>") == b"<packet/>"
    [request] = mocked.requests
    assert str(request.url) == URL and request.method == "POST"
    assert request.headers["HTTP_AUTH_LOGIN"] == "admin"
    assert request.headers["HTTP_AUTH_PASSWD"] == "Pass-Word-9"
    assert request.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert request.headers["User-Agent"] == "plesk-mail/9"
    assert request.headers["X-Trace"] == "t-1"
    assert request.content == b"<packet>x</packet>"


def test_headers_the_client_sets_itself_are_refused_all_named() -> None:
    """Catches one reserved header (of several) accepted, or the refusal naming them out of order."""
    with pytest.raises(plesk_mail.ConfigurationError) as caught:
        Transport("h", LOGIN, headers={"key": "1", "X-Ok": "2", "Content-type": "3"})
    assert_clean_exception(
        caught.value,
        plesk_mail.ConfigurationError,
        "headers Content-type, key are set by the client itself",
    )


@pytest.mark.parametrize("timeout", [0.0, -0.5])
def test_a_timeout_must_be_positive(timeout: float) -> None:
    """Catches a zero timeout accepted by the transport itself."""
    with pytest.raises(plesk_mail.ConfigurationError, match=f"got {timeout!r}$"):
        Transport("h", LOGIN, timeout=timeout)
    assert Transport("h", LOGIN, timeout=0.001).timeout == 0.001


def test_a_transport_shows_no_secret() -> None:
    """Catches a repr that shows the password."""
    shown = repr(Transport("h", LOGIN))
    assert shown.startswith(
        "Transport(url='https://h:8443/enterprise/control/agent.php'"
    )
    assert "Pass-Word-9" not in shown


@pytest.mark.parametrize(
    ("body", "masked"),
    [
        (b"<password>p1</password>", b"<password>***</password>"),
        (
            b"<passwd>p2</passwd><value>p3</value>",
            b"<passwd>***</passwd><value>***</value>",
        ),
        (
            b"<secret-key>k</secret-key><secret_key>k</secret_key>",
            b"<secret-key>***</secret-key><secret_key>***</secret_key>",
        ),
        (b"<secretkey>k</secretkey>", b"<secretkey>***</secretkey>"),
        (
            b"<password>a\nb</password><name>n</name>",
            b"<password>***</password><name>n</name>",
        ),
        (b"<password>a</passwd>", b"<password>a</passwd>"),
        (b"<name>password</name>", b"<name>password</name>"),
    ],
)
def test_password_elements_are_masked_in_logged_bodies(
    body: bytes, masked: bytes
) -> None:
    """Catches a password-like element shown in a logged body, or another element masked."""
    assert mask_secrets(body) == masked


# -- what comes back ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "code", "says"),
    [
        (
            401,
            plesk_mail.AuthenticationError,
            ErrorCode.AUTHENTICATION_FAILED,
            "HTTP 401 Unauthorized",
        ),
        (
            403,
            plesk_mail.PacketError,
            ErrorCode.PERMISSION_DENIED,
            "HTTP 403 Forbidden",
        ),
        (500, plesk_mail.ResponseError, None, "HTTP 500"),
        (204, plesk_mail.ResponseError, None, "HTTP 204"),
        (302, plesk_mail.ResponseError, None, "HTTP 302"),
    ],
)
def test_an_answer_that_is_not_200(
    kind: str, status: int, error: type[Exception], code: int | None, says: str
) -> None:
    """Catches an HTTP status read as success, or 401/403 not read as a refusal of the login."""
    mocked = Mocked(kind, answering(status, b"denied Pass-Word-9"))
    with pytest.raises(error) as caught:
        mocked.post()
    message = assert_clean_exception(caught.value, error, says)
    assert "Pass-Word-9" not in message
    if code is not None:
        assert caught.value.errcode == code and caught.value.http_status == status  # type: ignore[attr-defined]
    else:
        assert message.startswith(f"{URL}: HTTP {status} (received: 'denied ***')")


@pytest.mark.parametrize(
    ("size", "declared", "limit", "refused"),
    [
        (100, True, 100, None),
        (101, True, 100, "response of 101 bytes exceeds the limit of 100 bytes"),
        (100, False, 100, None),
        (101, False, 100, "response exceeds the limit of 100 bytes"),
    ],
    ids=[
        "declared-at-the-limit",
        "declared-one-over",
        "streamed-at-the-limit",
        "streamed-one-over",
    ],
)
def test_the_response_size_limit_at_its_edge(
    kind: str, size: int, declared: bool, limit: int, refused: str | None
) -> None:
    """Catches the size limit off by one, or a declared length not checked before reading."""
    body = b"x" * size

    def handler(request: httpx.Request) -> httpx.Response:
        if declared:
            return httpx.Response(200, content=body)
        return httpx.Response(200, content=streamed(kind, [body[:50], body[50:]]))

    mocked = Mocked(kind, handler, max_response_size=limit)
    if refused is None:
        assert mocked.post() == body
        return
    with pytest.raises(plesk_mail.ResponseError) as caught:
        mocked.post()
    assert_clean_exception(caught.value, plesk_mail.ResponseError, refused)


def test_a_declared_length_that_is_no_number_is_not_a_limit(kind: str) -> None:
    """Catches a garbled Content-Length read as a size (or crashing the check)."""

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, content=streamed(kind, [b"<packet/>"]))
        response.headers["Content-Length"] = "-5"
        return response

    assert Mocked(kind, handler, max_response_size=100).post() == b"<packet/>"


def test_debug_and_trace_lines_of_an_exchange(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches the exchange's debug line with the wrong figures, or a body logged unmasked."""
    caplog.set_level(transport.TRACE, logger="plesk_mail")
    mocked = Mocked(kind, answering(body=b"<packet>answer</packet>"))
    mocked.post(b"<packet><password>Pass-Word-9</password></packet>")
    lines = [r.getMessage() for r in caplog.records]
    [debug] = [line for line in lines if "HTTP 200" in line]
    assert debug.startswith(
        f"mail.enable x1 -> {URL}: sent 49 bytes, HTTP 200, received 23 bytes in "
    )
    assert debug.endswith(" ms")
    assert (
        "mail.enable x1 request body: <packet><password>***</password></packet>"
        in lines
    )
    assert "mail.enable x1 response body: <packet>answer</packet>" in lines
    assert "Pass-Word-9" not in caplog.text


# -- failures: what they say, whether they were sent, whether they are retried ---------------


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "error", "says", "sent"),
    [
        (
            httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            plesk_mail.TLSError,
            "TLS handshake failed ([SSL: WRONG_VERSION_NUMBER] wrong version number); the server does not seem to speak HTTPS on this port",
            False,
        ),
        (
            httpx.ConnectError("record_layer_failure"),
            plesk_mail.TLSError,
            "does not seem to speak HTTPS",
            False,
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed"),
            plesk_mail.TLSError,
            "TLS verification failed ([SSL: CERTIFICATE_VERIFY_FAILED] self-signed); trust the server's CA certificate (a CA file), or switch verification off knowingly",
            False,
        ),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            plesk_mail.TransportError,
            "cannot connect ([Errno 111] Connection refused)",
            False,
        ),
        (
            httpx.ConnectError("EOF occurred in violation of protocol (_ssl.c:992)"),
            plesk_mail.TransportError,
            "cannot connect (EOF occurred",
            False,
        ),
        (
            httpx.ReadTimeout("timed out"),
            plesk_mail.DeadlineExceededError,
            "no complete answer within the 30 s deadline (connect, send and receive)",
            True,
        ),
        (
            httpx.RemoteProtocolError("Server disconnected"),
            plesk_mail.TransportError,
            f"{URL}: RemoteProtocolError: Server disconnected",
            True,
        ),
    ],
    ids=[
        "plain-http",
        "record-layer",
        "certificate",
        "refused",
        "eof-in-handshake",
        "timeout",
        "dropped",
    ],
)
def test_a_failed_exchange_says_what_and_whether_it_was_sent(
    kind: str, exc: Exception, error: type[Exception], says: str, sent: bool
) -> None:
    """Catches a failure with the wrong words or the wrong ``sent`` (a refusal that may have applied, or a drop that did not)."""
    mocked = Mocked(kind, raising(exc), retry=NO_RETRY)
    with pytest.raises(error) as caught:
        mocked.post()
    assert_clean_exception(caught.value, error, says)
    assert caught.value.sent is sent  # type: ignore[attr-defined]
    assert (
        not isinstance(caught.value, plesk_mail.TLSError)
        or error is plesk_mail.TLSError
    )


@pytest.mark.parametrize(
    ("exc", "read_only", "tries"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), False, 3),
        (httpx.ConnectTimeout("connect timed out"), False, 3),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x"), True, 1),
        (httpx.ConnectError("SSL: WRONG_VERSION_NUMBER"), True, 1),
        (httpx.ConnectError("EOF occurred in violation of protocol"), False, 3),
        (httpx.RemoteProtocolError("dropped"), True, 3),
        (httpx.RemoteProtocolError("dropped"), False, 1),
        (httpx.ReadError("reset"), True, 3),
        (httpx.ReadError("reset"), False, 1),
    ],
    ids=[
        "refused-write",
        "connect-timeout-write",
        "certificate-read",
        "plain-http-read",
        "eof-in-handshake-write",
        "dropped-read",
        "dropped-write",
        "reset-read",
        "reset-write",
    ],
)
def test_which_failures_are_tried_again(
    kind: str,
    exc: Exception,
    read_only: bool,
    tries: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Catches a retry that could apply a write twice, one of a certificate problem, or a safe retry left out."""
    caplog.set_level(logging.INFO, logger="plesk_mail")
    fast = Retry(attempts=3, backoff=0.001, cap=0.001)
    mocked = Mocked(kind, raising(exc), retry=fast)
    with pytest.raises(plesk_mail.TransportError):
        mocked.post(read_only=read_only)
    assert len(mocked.requests) == tries
    retried = [
        r.getMessage() for r in caplog.records if "trying again" in r.getMessage()
    ]
    assert len(retried) == tries - 1
    if retried:
        assert retried[0].startswith(
            f"{URL}: {type(exc).__name__}; trying again in 0.00 s"
        )


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_busy_server_is_asked_again_for_a_read_only(kind: str, status: int) -> None:
    """Catches a 50x retried for a write, or not for a read."""
    answers = iter([httpx.Response(status), httpx.Response(200, content=b"<ok/>")])
    fast = Retry(attempts=2, backoff=0.001, cap=0.001)
    mocked = Mocked(kind, lambda request: next(answers), retry=fast)
    assert mocked.post(read_only=True) == b"<ok/>"
    assert len(mocked.requests) == 2
    again = Mocked(kind, answering(status), retry=fast)
    with pytest.raises(plesk_mail.ResponseError, match=f"HTTP {status}"):
        again.post(read_only=False)
    assert len(again.requests) == 1


def test_a_failed_exchange_after_a_busy_answer_counts_as_sent(kind: str) -> None:
    """Catches a refused retry reported "not sent" when the first attempt reached the server."""
    answers: Iterator[Any] = iter([httpx.Response(503), httpx.ConnectError("refused")])

    def handler(request: httpx.Request) -> httpx.Response:
        found = next(answers)
        if isinstance(found, Exception):
            raise found
        return found

    mocked = Mocked(kind, handler, retry=Retry(attempts=2, backoff=0.001, cap=0.001))
    with pytest.raises(plesk_mail.TransportError) as caught:
        mocked.post(read_only=True)
    assert caught.value.sent is True


def test_a_closed_own_client_is_a_clear_error(kind: str) -> None:
    """Catches the caller's closed httpx client surfacing as httpx's RuntimeError."""
    mocked = Mocked(kind, answering())
    if kind == "sync":
        mocked.client.close()
    else:
        asyncio.run(mocked.client.aclose())
    with pytest.raises(plesk_mail.ClientClosedError) as caught:
        mocked.post()
    assert_clean_exception(
        caught.value,
        plesk_mail.ClientClosedError,
        f"{URL}: the httpx client given as http_client is closed",
    )


def test_an_own_client_is_left_open_and_an_owned_one_closed(kind: str) -> None:
    """Catches closing the caller's httpx client, or leaking the transport's own."""
    mocked = Mocked(kind, answering())
    owned: Any = Transport("h", LOGIN) if kind == "sync" else AsyncTransport("h", LOGIN)
    if kind == "sync":
        mocked.transport.close()
        owned.close()
    else:

        async def close() -> None:
            await mocked.transport.aclose()
            await owned.aclose()

        asyncio.run(close())
    assert not mocked.client.is_closed
    assert owned._client.is_closed


def test_a_mock_transport_keeps_the_deadline_between_chunks() -> None:
    """Catches a deadline lost on a client without a socket layer (checked between the chunks of the answer)."""

    def slow(request: httpx.Request) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(20):
                time.sleep(0.1)
                yield b"<x/>"

        return httpx.Response(200, content=chunks())

    started = time.monotonic()
    mocked = Mocked("sync", slow, timeout=0.5, retry=NO_RETRY)
    with pytest.raises(
        plesk_mail.DeadlineExceededError, match=r"within the 0\.5 s deadline"
    ):
        mocked.post()
    assert time.monotonic() - started < 1.2


# -- TLS contexts --------------------------------------------------------------------------------


def test_ssl_contexts_are_made_once_per_setting_and_ca_file(tmp_path: Path) -> None:
    """Catches a context rebuilt for every client, or an edited CA file not read again."""
    assert ssl_context(True) is ssl_context(True)
    assert ssl_context(False) is ssl_context(False)
    assert ssl_context(False).verify_mode == ssl.CERT_NONE
    assert ssl_context(True).verify_mode == ssl.CERT_REQUIRED
    ca_file = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    first = ssl_context(str(ca_file))
    assert ssl_context(str(ca_file)) is first
    assert first.verify_mode == ssl.CERT_REQUIRED
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    os.utime(ca_file, ns=(1, 1))
    assert ssl_context(str(ca_file)) is not first


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.pem", "No such file or directory"),
        (lambda d: d, "not a regular file"),
        (
            lambda d: (d / "junk.pem", (d / "junk.pem").write_text("junk"))[0],
            "cannot load CA file",
        ),
        (lambda d: str(d / "a\0b"), "cannot load CA file"),
    ],
    ids=["missing", "a-folder", "not-a-certificate", "nul-byte"],
)
def test_a_ca_file_that_cannot_be_used_is_a_tls_error(
    tmp_path: Path, make: Callable[[Path], Any], says: str
) -> None:
    """Catches an unusable CA file that fails later, elsewhere, or as another error."""
    with pytest.raises(plesk_mail.TLSError) as caught:
        ssl_context(str(make(tmp_path)))
    assert_clean_exception(
        caught.value, plesk_mail.TLSError, "cannot load CA file", says
    )


# -- the socket layer that keeps the deadline -----------------------------------------------------


class Recorded(httpcore.NetworkStream):
    """A stream that records the timeouts it is given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        return b"x"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(timeout)

    def close(self) -> None:
        self.timeouts.append(-1.0)

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> Recorded:
        self.timeouts.append(timeout)
        return self

    def get_extra_info(self, info: str) -> Any:
        return f"info:{info}"


class Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.stream = Recorded()
        self.timeouts: list[float | None] = []
        self.slept: list[float] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Recorded:
        self.timeouts.append(timeout)
        self.options = (local_address, socket_options)
        return self.stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Recorded:
        self.timeouts.append(timeout)
        return self.stream

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_every_socket_step_gets_at_most_the_time_left() -> None:
    """Catches a socket step given its full timeout past the exchange's deadline, or the deadline left set after the exchange."""
    inner = Backend()
    layer = deadline.DeadlineBackend(inner)
    stream = layer.connect_tcp("h", 1, timeout=None)
    stream.read(1, timeout=None)
    assert inner.timeouts == [None] and inner.stream.timeouts == [
        None
    ]  # no deadline set
    inner.timeouts.clear()
    inner.stream.timeouts.clear()
    with deadline.deadline(5.0) as at:
        assert at - time.monotonic() <= 5.0
        stream = layer.connect_tcp("h", 1, timeout=60)
        stream.write(b"x", timeout=60)
        secure = stream.start_tls(ssl.create_default_context(), "h", timeout=60)
        secure.read(1, timeout=0.5)
        layer.connect_unix_socket("/s", timeout=60)
    steps = [*inner.timeouts, *inner.stream.timeouts]
    assert all(t is not None for t in steps)
    assert all(4.0 < t <= 5.0 for t in steps if t != 0.5)  # type: ignore[operator]
    assert 0.5 in steps  # a shorter timeout of its own is kept
    assert secure.get_extra_info("ssl_object") == "info:ssl_object"
    secure.close()
    assert inner.stream.timeouts[-1] == -1.0
    layer.sleep(0.25)
    assert inner.slept == [0.25]
    stream.read(1, timeout=None)
    assert inner.stream.timeouts[-1] is None  # the deadline ended with its block


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (lambda layer, stream: layer.connect_tcp("h", 1), httpcore.ConnectTimeout),
        (
            lambda layer, stream: layer.connect_unix_socket("/s"),
            httpcore.ConnectTimeout,
        ),
        (lambda layer, stream: stream.read(1), httpcore.ReadTimeout),
        (lambda layer, stream: stream.write(b"x"), httpcore.WriteTimeout),
        (
            lambda layer, stream: stream.start_tls(ssl.create_default_context()),
            httpcore.ConnectTimeout,
        ),
    ],
    ids=["connect", "unix-socket", "read", "write", "tls"],
)
def test_a_step_after_the_deadline_fails_at_once(
    step: Any, error: type[Exception]
) -> None:
    """Catches a socket step that still waits once the deadline has passed."""
    inner = Backend()
    layer = deadline.DeadlineBackend(inner)
    stream = layer.connect_tcp("h", 1)
    with (
        deadline.deadline(0.0),
        pytest.raises(error, match=r"^the deadline of the exchange passed$"),
    ):
        step(layer, stream)


def test_a_callers_pool_gets_the_deadline_layer_once() -> None:
    """Catches a caller's client left without the deadline layer, or wrapped twice."""
    own = httpx.Client()
    Transport("h", LOGIN, http_client=own)
    Transport("h", LOGIN, http_client=own)
    pool = own._transport_for_url(httpx.URL(URL))._pool  # type: ignore[attr-defined]
    backend = pool._network_backend
    assert isinstance(backend, deadline.DeadlineBackend)
    assert not isinstance(backend._inner, deadline.DeadlineBackend)
    custom = Backend()
    mine = httpx.Client(transport=httpx.HTTPTransport())
    mine._transport._pool._network_backend = custom  # type: ignore[attr-defined]
    Transport("h", LOGIN, http_client=mine)
    layer = mine._transport._pool._network_backend  # type: ignore[attr-defined]
    assert isinstance(layer, deadline.DeadlineBackend) and layer._inner is custom
    own.close()


# -- retry waits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "drawn", "wait"),
    [
        (0, 0.0, 0.25),
        (1, 0.0, 0.5),
        (2, 0.0, 1.0),
        (4, 0.0, 4.0),
        (5, 0.0, 4.0),
        (0, 1.0, 0.125),
        (3, 1.0, 1.0),
    ],
)
def test_a_retry_waits_doubling_capped_and_jittered(
    monkeypatch: pytest.MonkeyPatch, attempt: int, drawn: float, wait: float
) -> None:
    """Catches a backoff that does not double, ignores its cap, or jitters by more than half."""
    monkeypatch.setattr(retry.random, "random", lambda: drawn)
    assert Retry().wait(attempt) == pytest.approx(wait)
    assert Retry() == Retry(attempts=3, backoff=0.25, cap=4.0, jitter=0.5)
    assert NO_RETRY.attempts == 1


def test_a_shorter_timeout_of_a_step_is_kept_and_its_options_passed() -> None:
    """Catches a step's own shorter timeout replaced by the time left, or a connection's options dropped."""
    inner = Backend()
    layer = deadline.DeadlineBackend(inner)
    with deadline.deadline(30.0):
        stream = layer.connect_tcp("h", 1, 0.25, "127.0.0.2", [(1, 2, 3)])
        stream.write(b"x", timeout=0.25)
        stream.start_tls(ssl.create_default_context(), "h", timeout=0.25)
        layer.connect_unix_socket("/s", timeout=0.25)
    assert inner.timeouts == [0.25, 0.25]
    assert inner.stream.timeouts == [0.25, 0.25]
    assert inner.options == ("127.0.0.2", [(1, 2, 3)])


@pytest.mark.parametrize("kind", KINDS)
def test_a_transport_made_without_options(kind: str) -> None:
    """Catches defaults of a transport made directly: verification off, another User-Agent, another pool."""
    made: Any = Transport("h", LOGIN) if kind == "sync" else AsyncTransport("h", LOGIN)
    pool = made._client._transport._pool
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert (pool._max_connections, pool._max_keepalive_connections) == (10, 10)
    assert pool._keepalive_expiry == 5.0
    assert made._headers["User-Agent"] == "plesk-mail"
    assert Transport("h", LOGIN, scheme="http").url == (
        "http://h:8443/enterprise/control/agent.php"
    )


def test_a_post_without_a_label_or_read_only_is_a_write_called_packet(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches a post that defaults to read-only (a write retried) or logs under another label."""
    caplog.set_level(logging.DEBUG, logger="plesk_mail")
    mocked = Mocked(
        kind, answering(503), retry=Retry(attempts=3, backoff=0.001, cap=0.001)
    )
    with pytest.raises(plesk_mail.ResponseError):
        if kind == "sync":
            mocked.transport.post(b"<packet/>")
        else:
            asyncio.run(mocked.transport.post(b"<packet/>"))
    assert len(mocked.requests) == 1
    assert any(r.getMessage().startswith(f"packet -> {URL}: ") for r in caplog.records)


def test_a_redirect_is_never_followed_even_by_an_own_client_that_would(
    kind: str,
) -> None:
    """Catches the packet sent on to where a redirect points (a caller's client set to follow them)."""
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})

    if kind == "sync":
        own: Any = httpx.Client(
            transport=httpx.MockTransport(handler), follow_redirects=True
        )
        transport: Any = Transport("h", LOGIN, http_client=own)
        call = lambda: transport.post(b"<packet/>")  # noqa: E731
    else:

        async def ahandler(request: httpx.Request) -> httpx.Response:
            return handler(request)

        own = httpx.AsyncClient(
            transport=httpx.MockTransport(ahandler), follow_redirects=True
        )
        transport = AsyncTransport("h", LOGIN, http_client=own)
        call = lambda: asyncio.run(transport.post(b"<packet/>"))  # noqa: E731
    with pytest.raises(plesk_mail.ResponseError, match="HTTP 302"):
        call()
    assert len(requests) == 1


def test_a_body_that_is_not_utf8_is_traced_readably(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches a traced answer that is not UTF-8 failing the call instead of showing replacement characters."""
    caplog.set_level(transport.TRACE, logger="plesk_mail")
    assert Mocked(kind, answering(body=b"<p>\xff</p>")).post() == b"<p>\xff</p>"
    assert "mail.enable x1 response body: <p>\ufffd</p>" in [
        r.getMessage() for r in caplog.records
    ]


def test_the_exchange_time_is_logged_in_milliseconds(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches the time of an exchange logged in another unit (or from another start)."""
    caplog.set_level(logging.DEBUG, logger="plesk_mail")

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.06)
        return httpx.Response(200, content=b"<ok/>")

    Mocked(kind, slow).post()
    [line] = [r.getMessage() for r in caplog.records if " ms" in r.getMessage()]
    spent = float(line.rsplit(" in ", 1)[1].removesuffix(" ms"))
    assert 55 <= spent < 5000


@pytest.mark.parametrize(
    ("text", "error", "tries"),
    [
        ("hostname mismatch, certificate is not valid for 'x'", plesk_mail.TLSError, 1),
        ("[SSL] handshake failure", plesk_mail.TLSError, 1),
        ("[Errno -2] Name or service not known", plesk_mail.TransportError, 3),
    ],
    ids=["certificate-without-ssl", "ssl-without-certificate", "dns"],
)
def test_a_tls_problem_is_named_by_either_word(
    kind: str, text: str, error: type[Exception], tries: int
) -> None:
    """Catches a TLS problem recognised only when both "SSL" and "certificate" are in its text."""
    mocked = Mocked(
        kind,
        raising(httpx.ConnectError(text)),
        retry=Retry(attempts=3, backoff=0.001, cap=0.001),
    )
    with pytest.raises(error) as caught:
        mocked.post()
    assert type(caught.value) is error
    assert len(mocked.requests) == tries


def test_an_async_retry_gets_only_what_is_left_of_the_deadline() -> None:
    """Catches an async attempt given at least a second whatever is left of the deadline."""
    calls: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            await asyncio.sleep(0.7)
            return httpx.Response(503)
        await asyncio.sleep(5)
        return httpx.Response(200)

    own = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    made = AsyncTransport(
        "h",
        LOGIN,
        http_client=own,
        timeout=1.0,
        retry=Retry(attempts=3, backoff=0.001, cap=0.001),
    )
    started = time.monotonic()
    with pytest.raises(plesk_mail.DeadlineExceededError):
        asyncio.run(made.post(b"<packet/>", read_only=True))
    assert time.monotonic() - started < 1.45
    assert len(calls) == 2
