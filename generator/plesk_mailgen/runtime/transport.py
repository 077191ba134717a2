"""HTTP transport to Plesk's XML API endpoint, on httpx.

One ``httpx.Client`` per transport, so connections are reused. TLS
verification is on unless switched off explicitly; a CA file can be trusted
instead. Credentials live only in request headers and never in a repr, log
line or exception.
"""

from __future__ import annotations

import logging
import re
import ssl
import time

import httpcore
import httpx

from .closing import Closing
from .credentials import Credentials
from .deadline import DeadlineBackend, deadline
from .endpoint import DEFAULT_PORT, split_host, url
from .errors import (
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
from .xml import DEFAULT_MAX_SIZE, excerpt

__all__ = ["DEFAULT_PORT", "Credentials", "Transport"]

DEFAULT_TIMEOUT = 30.0
MAX_CONNECTIONS = 10
KEEPALIVE_SECONDS = 5.0
TRACE = 5
"""Log level below DEBUG at which request and response bodies are logged, masked."""

logger = logging.getLogger("plesk_mail")
logging.addLevelName(TRACE, "TRACE")
_SECRET_ELEMENTS = re.compile(
    rb"(<(password|passwd|value|secret[-_]?key)>)(.*?)(</\2>)", re.S
)


def mask_secrets(body: bytes) -> bytes:
    """The body with every password-like element's content replaced by ``***``."""
    return _SECRET_ELEMENTS.sub(rb"\1***\4", body)


def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """``True``: the usual CAs (certifi's); a path: that CA file; ``False``: no checks."""
    if verify is True or verify is False:
        return httpx.create_ssl_context(verify=verify)
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"cannot load CA file {verify}: {exc}") from None


class Transport(Closing):
    """Posts one XML packet and returns the raw answer.

    ``timeout`` is the deadline of each packet's whole exchange: connecting,
    sending and receiving the complete response, measured from its start.
    """

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
    ) -> None:
        name, number = split_host(host, port)
        if not timeout > 0:
            raise ConfigurationError(f"the timeout must be positive, got {timeout!r}")
        self.url = url(name, number, scheme)
        self.timeout = timeout
        self.max_response_size = max_response_size
        self._credentials = credentials
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
            transport=transport,
            timeout=timeout,
            headers={"Content-Type": "text/xml; charset=UTF-8"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Transport(url={self.url!r}, credentials={self._credentials!r})"

    def mask(self, text: str) -> str:
        """``text`` with every known secret masked."""
        return self._credentials.mask(text)

    def post(self, body: bytes, label: str = "packet") -> bytes:
        """Send ``body``; return the response body of an HTTP 200 answer."""
        started = time.perf_counter()
        self._trace(label, "request", body)
        try:
            with (
                deadline(self.timeout) as ends,
                self._client.stream(
                    "POST", self.url, content=body, headers=self._credentials.headers()
                ) as response,
            ):
                data = self._read_capped(response, ends)
                status = response.status_code
        except httpx.TimeoutException:
            raise self._expired() from None
        except httpx.ConnectError as exc:
            raise masked(self._connect_error(exc), self.mask) from None
        except httpx.TransportError as exc:
            raise TransportError(
                self.mask(f"{self.url}: {type(exc).__name__}: {exc}")
            ) from None
        except PleskError as exc:
            raise masked(exc, self.mask) from None
        logger.debug(
            "%s -> %s: sent %d bytes, HTTP %d, received %d bytes in %.0f ms",
            label,
            self.url,
            len(body),
            status,
            len(data),
            (time.perf_counter() - started) * 1000,
        )
        self._trace(label, "response", data)
        self._check_status(status, data)
        return data

    def _trace(self, label: str, what: str, body: bytes) -> None:
        if logger.isEnabledFor(TRACE):
            text = mask_secrets(body).decode(errors="replace")
            logger.log(TRACE, "%s %s body: %s", label, what, self.mask(text))

    def _expired(self) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{self.url}: no complete answer within the {self.timeout:g} s deadline "
            "(connect, send and receive)"
        )

    def _read_capped(self, response: httpx.Response, ends: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_response_size
        ):
            raise ResponseError(
                f"response of {declared} bytes exceeds the limit of "
                f"{self.max_response_size} bytes"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_size:
                raise ResponseError(
                    f"response exceeds the limit of {self.max_response_size} bytes"
                )
            if time.monotonic() > ends:
                raise self._expired()
            chunks.append(chunk)
        return b"".join(chunks)

    def _connect_error(self, exc: httpx.ConnectError) -> TransportError:
        text = str(exc)
        if "WRONG_VERSION_NUMBER" in text.upper() or "RECORD_LAYER" in text.upper():
            return TLSError(
                f"{self.url}: TLS handshake failed ({text}); the server does not seem "
                "to speak HTTPS on this port"
            )
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            return TLSError(
                f"{self.url}: TLS verification failed ({text}); trust the server's CA "
                "with verify='/path/ca.pem' or, knowingly, verify=False"
            )
        return TransportError(f"{self.url}: cannot connect ({text})")

    def _check_status(self, status: int, data: bytes) -> None:
        if status == 200:
            return
        if status == 401:
            raise packet_error(
                ErrorCode.AUTHENTICATION_FAILED, "HTTP 401 Unauthorized", status
            )
        if status == 403:
            raise packet_error(
                ErrorCode.PERMISSION_DENIED, "HTTP 403 Forbidden", status
            )
        raise ResponseError(f"{self.url}: HTTP {status}", self.mask(excerpt(data)))

    def close(self) -> None:
        self._client.close()
