"""HTTP transport to Plesk's XML API endpoint, on httpx: synchronous and async.

One httpx client per transport, so connections are reused; or the caller's
own (proxies, custom TLS, event hooks), which is then never closed here. TLS
verification is on unless switched off explicitly; a CA file can be trusted
instead. Credentials live only in request headers and never in a repr, log
line or exception.

Each packet has a deadline (``timeout``): connecting, sending and receiving
the whole answer, retries included. Retries happen only where they are safe:
a connection that failed before the request was sent, or a read-only packet
(``get_info``, ``get_prefs``, ...). A packet that changes something and may
have reached the server is never sent twice.
"""

# long module: the synchronous and the async transport side by side, so that
# each step (deadline, retry, error wording, masking) is visibly the same in
# both; apart, they would drift.

from __future__ import annotations

import functools
import logging
import os
import re
import ssl
import stat
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import httpcore
import httpx

from ..base.closing import Closing
from ..base.errors import (
    ClientClosedError,
    ConfigurationError,
    DeadlineExceededError,
    ErrorCode,
    PleskError,
    ResponseError,
    TLSError,
    TransportError,
    masked,
    packet_error,
)
from ..base.masking import Masker, mask_log_lines, masking
from ..base.xml import DEFAULT_MAX_SIZE, excerpt
from .credentials import Credentials
from .deadline import DeadlineBackend, deadline
from .endpoint import DEFAULT_PORT, split_host, url
from .recording import Recorder
from .retry import NO_RETRY, Retry

__all__ = ["DEFAULT_PORT", "AsyncTransport", "Credentials", "Retry", "Transport"]

DEFAULT_TIMEOUT = 30.0
MAX_CONNECTIONS = 10
KEEPALIVE_SECONDS = 5.0
TRACE = 5
"""Log level below DEBUG at which request and response bodies are logged, masked."""
_RESERVED_HEADERS = {"key", "http_auth_login", "http_auth_passwd", "content-type"}
_RETRY_STATUS = {502, 503, 504}

logger = logging.getLogger("plesk_mail")
logging.addLevelName(TRACE, "TRACE")
mask_log_lines(logger)
for _name in ("httpx", "httpcore"):  # their DEBUG lines show headers and reasons
    mask_log_lines(logging.getLogger(_name))
_SECRET_ELEMENTS = re.compile(
    rb"(<(password|passwd|value|secret[-_]?key)>)(.*?)(</\2>)", re.S
)


def mask_secrets(body: bytes) -> bytes:
    """The body with every password-like element's content replaced by ``***``."""
    return _SECRET_ELEMENTS.sub(rb"\1***\4", body)


def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """``True``: the usual CAs (certifi's); a path: that CA file; ``False``: no checks.

    Made once per setting (and per version of a CA file): loading a CA bundle
    costs milliseconds, which a fleet of hundreds of clients would pay
    hundreds of times.
    """
    if verify is True or verify is False:
        return _context(verify, None)
    try:
        found = os.stat(verify)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise TLSError(f"cannot load CA file {verify!r}: {exc}") from None
    if not stat.S_ISREG(found.st_mode):  # a FIFO would block the read forever
        raise TLSError(f"cannot load CA file {verify!r}: not a regular file")
    return _context(verify, (found.st_ino, found.st_size, found.st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _context(verify: bool | str, stamp: tuple[int, int, int] | None) -> ssl.SSLContext:
    if verify is True or verify is False:
        return httpx.create_ssl_context(verify=verify)
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise TLSError(f"cannot load CA file {verify!r}: {exc}") from None


Mask = Callable[[str], str]


class _Stage:
    """How far one exchange got, from httpcore's trace events.

    Once the request's headers start out, the server may apply the packet;
    before that (resolving, connecting, the TLS handshake) it cannot. A
    transport that reports no events at all (a caller's custom one) is
    assumed to have sent.
    """

    def __init__(self) -> None:
        self.traced = False
        self.sent = False

    def see(self, name: str, info: Mapping[str, Any]) -> None:
        self.traced = True
        if "send_request_headers" in name:
            self.sent = True

    async def asee(self, name: str, info: Mapping[str, Any]) -> None:
        self.see(name, info)

    def may_have_sent(self, exc: BaseException) -> bool:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return False
        return self.sent or not self.traced


class _Http:
    """What the synchronous and the async transport share: everything but the I/O."""

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        port: int | None,
        timeout: float,
        max_response_size: int,
        scheme: str,
        retry: Retry | None,
        headers: Mapping[str, str] | None,
        user_agent: str,
        recorder: Recorder | None = None,
    ) -> None:
        name, number = split_host(host, port)
        if not timeout > 0:
            raise ConfigurationError(f"the timeout must be positive, got {timeout!r}")
        clash = sorted(h for h in (headers or {}) if h.lower() in _RESERVED_HEADERS)
        if clash:
            raise ConfigurationError(
                f"headers {', '.join(clash)} are set by the client itself"
            )
        self.url = url(name, number, scheme)
        self.timeout = timeout
        self.max_response_size = max_response_size
        self.retry = retry or NO_RETRY
        self._credentials = credentials
        self._recorder = recorder
        self._headers = {
            "Content-Type": "text/xml; charset=UTF-8",
            "User-Agent": user_agent,
            **(headers or {}),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, credentials={self._credentials!r})"

    @property
    def masker(self) -> Masker:
        """Hides the login secrets (see ``masking``)."""
        return self._credentials.masker

    def mask(self, text: str) -> str:
        """``text`` with the login secrets hidden (see ``masking``)."""
        return self._credentials.mask(text)

    def _request_headers(self) -> dict[bytes, bytes]:
        encoded = {k.encode(): v.encode("utf-8") for k, v in self._headers.items()}
        return {**encoded, **self._credentials.headers()}

    def _trace(self, label: str, what: str, body: bytes, mask: Mask) -> None:
        if logger.isEnabledFor(TRACE):
            text = mask_secrets(body).decode(errors="replace")
            logger.log(TRACE, "%s %s body: %s", label, what, mask(text))

    def _expired(self) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{self.url}: no complete answer within the {self.timeout:g} s deadline "
            "(connect, send and receive)"
        )

    def _failure(self, exc: Exception, sent: bool, mask: Mask) -> PleskError:
        """The package's error for what httpx raised; ``sent``: it may have arrived."""
        error: TransportError
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            error = self._expired()
        elif isinstance(exc, httpx.ConnectError):
            error = self._connect_error(exc)
        else:
            error = TransportError(f"{self.url}: {type(exc).__name__}: {exc}")
        error.sent = sent
        return masked(error, mask)

    def _retryable(self, exc: Exception, read_only: bool, stage: _Stage) -> bool:
        """Whether trying again cannot apply a change twice (and may help)."""
        if isinstance(exc, httpx.ConnectError) and _tls_problem(exc):
            return False  # a certificate will not change
        if not stage.may_have_sent(exc):
            return True  # the request never left
        return read_only and isinstance(exc, httpx.TransportError | TimeoutError)

    def _read_limit(self, declared: str | None) -> None:
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_response_size
        ):
            raise ResponseError(
                f"response of {declared} bytes exceeds the limit of "
                f"{self.max_response_size} bytes"
            )

    def _grow(self, size: int) -> None:
        if size > self.max_response_size:
            raise ResponseError(
                f"response exceeds the limit of {self.max_response_size} bytes"
            )

    def _connect_error(self, exc: httpx.ConnectError) -> TransportError:
        text = _reason(exc)
        if "WRONG_VERSION_NUMBER" in text.upper() or "RECORD_LAYER" in text.upper():
            return TLSError(
                f"{self.url}: TLS handshake failed ({text}); the server does not seem "
                "to speak HTTPS on this port"
            )
        if _tls_problem(exc):
            return TLSError(
                f"{self.url}: TLS verification failed ({text}); trust the server's "
                "CA certificate (a CA file), or switch verification off knowingly"
            )
        return TransportError(f"{self.url}: cannot connect ({text})")

    def _finish(
        self,
        label: str,
        body: bytes,
        status: int,
        data: bytes,
        started: float,
        mask: Mask,
    ) -> bytes:
        logger.debug(
            "%s -> %s: sent %d bytes, HTTP %d, received %d bytes in %.0f ms",
            label,
            self.url,
            len(body),
            status,
            len(data),
            (time.perf_counter() - started) * 1000,
        )
        self._trace(label, "response", data, mask)
        if self._recorder is not None:  # connect(record=...): secrets replaced
            credentials = self._credentials
            self._recorder.write(
                label,
                body,
                status,
                data,
                time.perf_counter() - started,
                (credentials.password, credentials.secret_key),
            )
        if status == 200:  # exactly as sent: masking is for what people read
            return data
        if status == 401:
            raise packet_error(
                ErrorCode.AUTHENTICATION_FAILED, "HTTP 401 Unauthorized", status
            )
        if status == 403:
            raise packet_error(
                ErrorCode.PERMISSION_DENIED, "HTTP 403 Forbidden", status
            )
        error = ResponseError(f"{self.url}: HTTP {status}", excerpt(data))
        raise masked(error, mask)

    def _give_up(
        self, exc: Exception, attempt: int, read_only: bool, ends: float, stage: _Stage
    ) -> float | None:
        """Seconds to wait before the next try, or ``None`` to raise now."""
        if not self._retryable(exc, read_only, stage):
            return None
        return self._wait(type(exc).__name__, attempt, ends)

    def _status_wait(
        self, status: int, attempt: int, read_only: bool, ends: float
    ) -> float | None:
        """Seconds to wait before asking again after a 502/503/504, or ``None``."""
        if status not in _RETRY_STATUS or not read_only:
            return None
        return self._wait(f"HTTP {status}", attempt, ends)

    def _wait(self, what: str, attempt: int, ends: float) -> float | None:
        if attempt + 1 >= self.retry.attempts:
            return None
        wait = self.retry.wait(attempt)
        if time.monotonic() + wait >= ends:
            return None
        logger.info("%s: %s; trying again in %.2f s", self.url, what, wait)
        return wait


def _reason(exc: BaseException) -> str:
    """What went wrong, from the first error in the chain that says anything
    (httpx may wrap a bare one: a server that closes during the handshake)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if str(seen).strip():
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return "the connection was closed before a TLS session was set up"


def _tls_problem(exc: Exception) -> bool:
    """A certificate or protocol mismatch, which trying again will not fix."""
    text = str(exc).upper()
    if "EOF" in text:  # the peer hung up mid-handshake: a connection problem
        return False
    return "CERTIFICATE" in text or "SSL" in text


def _keep_deadline(client: httpx.Client, url: str) -> None:
    """Give a caller's client the socket layer that keeps the deadline.

    It changes nothing outside this package's calls (no deadline is set
    there). A client whose transport has no httpcore connection pool (a
    custom or mock transport) keeps its own timeouts: the deadline is then
    checked between the chunks of the answer only.
    """
    transport = client._transport_for_url(httpx.URL(url))
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
        backend, DeadlineBackend
    ):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]


class Transport(_Http, Closing):
    """Posts one XML packet and returns the raw answer."""

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        port: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        max_response_size: int = DEFAULT_MAX_SIZE,
        scheme: str = "https",
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str = "plesk-mail",
        http_client: httpx.Client | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        super().__init__(
            host,
            credentials,
            port=port,
            timeout=timeout,
            max_response_size=max_response_size,
            scheme=scheme,
            retry=retry,
            headers=headers,
            user_agent=user_agent,
            recorder=recorder,
        )
        self._owned = http_client is None
        if http_client is not None:
            self._client = http_client
            _keep_deadline(http_client, self.url)
            return
        context = ssl_context(verify)
        transport = httpx.HTTPTransport(verify=context)
        # httpx's pool, rebuilt on a socket backend that keeps the deadline.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=DeadlineBackend(),
        )
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False
        )

    def post(
        self,
        body: bytes,
        label: str = "packet",
        *,
        read_only: bool = False,
        mask: Mask | None = None,
    ) -> bytes:
        """Send ``body``; return the response body of an HTTP 200 answer.

        ``mask`` hides secrets in what an error or log line shows (default:
        the login secrets); a ``TransportError`` says in ``sent`` whether the
        packet may have reached the server.
        """
        mask = mask or self.mask
        with masking(mask):
            return self._post(body, label, read_only, mask)

    def _post(self, body: bytes, label: str, read_only: bool, mask: Mask) -> bytes:
        self._trace(label, "request", body, mask)
        ends = time.monotonic() + self.timeout
        attempt = 0
        sent = False
        while True:
            started = time.perf_counter()
            stage = _Stage()
            try:
                with deadline(ends - time.monotonic()):
                    status, data = self._exchange(body, ends, stage)
            except PleskError as exc:
                raise masked(exc, mask) from None
            except httpx.HTTPError as exc:
                sent = sent or stage.may_have_sent(exc)
                wait = self._give_up(exc, attempt, read_only, ends, stage)
                if wait is None:
                    raise self._failure(exc, sent, mask) from None
            except RuntimeError:
                if self._client.is_closed:  # the caller's own client, closed by them
                    raise ClientClosedError(
                        f"{self.url}: the httpx client given as http_client is closed"
                    ) from None
                raise
            except BaseException as exc:  # Ctrl-C: say whether the packet left
                exc.sent = sent or stage.may_have_sent(exc)  # type: ignore[attr-defined]
                raise
            else:
                wait = self._status_wait(status, attempt, read_only, ends)
                if wait is None:
                    return self._finish(label, body, status, data, started, mask)
                sent = True
            time.sleep(wait)
            attempt += 1

    def _exchange(self, body: bytes, ends: float, stage: _Stage) -> tuple[int, bytes]:
        left = max(ends - time.monotonic(), 0.001)
        with self._client.stream(
            "POST",
            self.url,
            content=body,
            headers=self._request_headers(),
            timeout=left,
            follow_redirects=False,
            extensions={"trace": stage.see},
        ) as response:
            self._read_limit(response.headers.get("Content-Length"))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                self._grow(size)
                if time.monotonic() > ends:
                    raise httpx.ReadTimeout("the deadline of the exchange passed")
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

    def close(self) -> None:
        if self._owned:
            self._client.close()


class AsyncTransport(_Http):
    """The same, for asyncio (or trio): ``await transport.post(...)``."""

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        port: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        max_response_size: int = DEFAULT_MAX_SIZE,
        scheme: str = "https",
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str = "plesk-mail",
        http_client: httpx.AsyncClient | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        super().__init__(
            host,
            credentials,
            port=port,
            timeout=timeout,
            max_response_size=max_response_size,
            scheme=scheme,
            retry=retry,
            headers=headers,
            user_agent=user_agent,
            recorder=recorder,
        )
        self._owned = http_client is None
        self._client = http_client or httpx.AsyncClient(
            verify=ssl_context(verify),
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_CONNECTIONS,
                keepalive_expiry=KEEPALIVE_SECONDS,
            ),
        )

    async def post(
        self,
        body: bytes,
        label: str = "packet",
        *,
        read_only: bool = False,
        mask: Mask | None = None,
    ) -> bytes:
        """Send ``body``; return the response body of an HTTP 200 answer (see ``Transport.post``)."""
        mask = mask or self.mask
        with masking(mask):
            return await self._post(body, label, read_only, mask)

    async def _post(
        self, body: bytes, label: str, read_only: bool, mask: Mask
    ) -> bytes:
        self._trace(label, "request", body, mask)
        ends = time.monotonic() + self.timeout
        attempt = 0
        sent = False
        while True:
            started = time.perf_counter()
            stage = _Stage()
            try:
                with anyio.fail_after(max(ends - time.monotonic(), 0.001)):
                    status, data = await self._exchange(body, ends, stage)
            except PleskError as exc:
                raise masked(exc, mask) from None
            except (httpx.HTTPError, TimeoutError) as exc:
                sent = sent or stage.may_have_sent(exc)
                wait = self._give_up(exc, attempt, read_only, ends, stage)
                if wait is None:
                    raise self._failure(exc, sent, mask) from None
            except RuntimeError:
                if self._client.is_closed:  # the caller's own client, closed by them
                    raise ClientClosedError(
                        f"{self.url}: the httpx client given as http_client is closed"
                    ) from None
                raise
            except BaseException as exc:  # cancelled: say whether the packet left
                exc.sent = sent or stage.may_have_sent(exc)  # type: ignore[attr-defined]
                raise
            else:
                wait = self._status_wait(status, attempt, read_only, ends)
                if wait is None:
                    return self._finish(label, body, status, data, started, mask)
                sent = True
            await anyio.sleep(wait)
            attempt += 1

    async def _exchange(
        self, body: bytes, ends: float, stage: _Stage
    ) -> tuple[int, bytes]:
        # The time left, as httpx's timeout of every step: the deadline governs,
        # also over the shorter timeouts of a caller's own client (as in ``Transport``).
        left = max(ends - time.monotonic(), 0.001)
        async with self._client.stream(
            "POST",
            self.url,
            content=body,
            headers=self._request_headers(),
            timeout=left,
            follow_redirects=False,
            extensions={"trace": stage.asee},
        ) as response:
            self._read_limit(response.headers.get("Content-Length"))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                self._grow(size)
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
