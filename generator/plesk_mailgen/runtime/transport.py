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
from dataclasses import dataclass, field

import httpx

from .closing import Closing
from .errors import (
    ConfigurationError,
    ConnectTimeoutError,
    ErrorCode,
    ResponseError,
    TLSError,
    TransportError,
    packet_error,
)
from .xml import DEFAULT_MAX_SIZE, excerpt

PATH = "/enterprise/control/agent.php"
DEFAULT_PORT = 8443
DEFAULT_TIMEOUT = 30.0
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


@dataclass(frozen=True)
class Credentials:
    """Login and password, or a secret key. Shown as ``***`` everywhere."""

    login: str | None = field(default=None)
    password: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.secret_key is None and (self.login is None or self.password is None):
            raise ConfigurationError("give login and password, or a secret key")
        if self.secret_key is not None and self.password is not None:
            raise ConfigurationError(
                "give login and password, or a secret key, not both"
            )

    def headers(self) -> dict[str, str]:
        if self.secret_key is not None:
            return {"KEY": self.secret_key}
        assert self.login is not None and self.password is not None
        return {"HTTP_AUTH_LOGIN": self.login, "HTTP_AUTH_PASSWD": self.password}

    def __repr__(self) -> str:
        kind = "secret_key=***" if self.secret_key is not None else "password=***"
        return f"Credentials(login={self.login!r}, {kind})"


def ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """``True``: system CAs; a path: trust that CA file; ``False``: no verification."""
    if verify is True or verify is False:
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"cannot load CA file {verify}: {exc}") from None


class Transport(Closing):
    """Posts one XML packet and returns the raw answer."""

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        port: int = DEFAULT_PORT,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        max_response_size: int = DEFAULT_MAX_SIZE,
        scheme: str = "https",
    ) -> None:
        if not host or any(c in host for c in "/?#@ "):
            raise ConfigurationError(f"not a host name: {host!r}")
        self.url = f"{scheme}://{host}:{port}{PATH}"
        self.max_response_size = max_response_size
        self._credentials = credentials
        self._client = httpx.Client(
            verify=ssl_context(verify),
            timeout=timeout,
            headers={"Content-Type": "text/xml; charset=UTF-8"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Transport(url={self.url!r}, credentials={self._credentials!r})"

    def post(self, body: bytes, label: str = "packet") -> bytes:
        """Send ``body``; return the response body of an HTTP 200 answer."""
        started = time.perf_counter()
        if logger.isEnabledFor(TRACE):
            logger.log(TRACE, "%s request body: %s", label, mask_secrets(body).decode())
        try:
            with self._client.stream(
                "POST", self.url, content=body, headers=self._credentials.headers()
            ) as response:
                data = self._read_capped(response)
                status = response.status_code
        except httpx.TimeoutException as exc:
            raise ConnectTimeoutError(
                f"{self.url}: no answer in time ({type(exc).__name__})"
            ) from None
        except httpx.ConnectError as exc:
            raise self._connect_error(exc) from None
        except httpx.TransportError as exc:
            raise TransportError(f"{self.url}: {type(exc).__name__}: {exc}") from None
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s -> %s: sent %d bytes, HTTP %d, received %d bytes in %.0f ms",
            label,
            self.url,
            len(body),
            status,
            len(data),
            elapsed,
        )
        if logger.isEnabledFor(TRACE):
            logger.log(
                TRACE,
                "%s response body: %s",
                label,
                mask_secrets(data).decode(errors="replace"),
            )
        self._check_status(status, data)
        return data

    def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_response_size
        ):
            raise ResponseError(
                f"response of {declared} bytes exceeds the limit of {self.max_response_size} bytes"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_size:
                raise ResponseError(
                    f"response exceeds the limit of {self.max_response_size} bytes"
                )
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
        raise ResponseError(f"{self.url}: HTTP {status}", excerpt(data))

    def close(self) -> None:
        self._client.close()
