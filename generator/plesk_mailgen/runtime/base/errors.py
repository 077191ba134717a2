"""Exceptions of the generated package, and Plesk's documented error codes.

Everything raised on purpose derives from ``PleskError``. Packet-level
failures carry Plesk's ``errcode`` and ``errtext``; code against ``errcode``,
the text varies with the server's language and version. No exception ever
holds a password or secret key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

X = TypeVar("X", bound=BaseException)


class ErrorCode(enum.IntEnum):
    """Every error code of Plesk's "Reduced List of Error Codes" (XML API docs, 33765).

    The text that comes with a code varies by server language and version:
    code against the number.
    """

    AUTHENTICATION_FAILED = 1001
    USER_ACCOUNT_ALREADY_EXISTS = 1002
    AGENT_INITIALIZATION_FAILED = 1003
    INITIAL_SETUP_NOT_COMPLETED = 1004
    PROTOCOL_VERSION_NOT_SUPPORTED = 1005
    PERMISSION_DENIED = 1006
    DATA_ALREADY_EXISTS = 1007
    MULTIPLE_ACCESS_DENIED = 1008
    INVALID_VIRTUOZZO_KEY = 1009
    ACCESS_TO_PANEL_DENIED = 1010
    ACCOUNT_DISABLED = 1011
    LOCKED_LOGIN = 1012
    OBJECT_DOES_NOT_EXIST = 1013
    PARSE_ERROR = 1014
    OBJECT_OWNER_NOT_FOUND = 1015
    FEATURE_NOT_SUPPORTED = 1017
    IP_ADDRESS_NOT_FOUND = 1018
    INVALID_VALUE = 1019
    OPERATION_FAILED = 1023
    LIMIT_REACHED = 1024
    WRONG_STATUS_VALUE = 1025
    COMPONENT_NOT_INSTALLED = 1026
    IP_OPERATION_FAILED = 1027
    UNKNOWN_AUTHENTICATION_METHOD = 1029
    LICENSE_EXPIRED = 1030
    COMPONENT_NOT_CONFIGURED = 1031
    WRONG_NETWORK_INTERFACE = 1032
    CLIENT_ACCOUNT_INCOMPLETE = 1033
    WEBMAIL_NOT_INSTALLED = 1050
    SECRET_KEY_VALIDATION_FAILED = 11003
    WRONG_DATABASE_SERVER_TYPE = 14008
    DATABASE_SERVER_NOT_CONFIGURED = 14009


AUTHENTICATION_CODES = frozenset(
    {
        ErrorCode.AUTHENTICATION_FAILED,
        ErrorCode.ACCESS_TO_PANEL_DENIED,
        ErrorCode.ACCOUNT_DISABLED,
        ErrorCode.LOCKED_LOGIN,
        ErrorCode.UNKNOWN_AUTHENTICATION_METHOD,
        ErrorCode.SECRET_KEY_VALIDATION_FAILED,
    }
)


class PleskError(Exception):
    """Base of every error this package raises on purpose.

    ``progress`` is set when the error stopped a call that had sent packets
    already: what each call had done (see ``CallProgress``).
    """

    progress: list[CallProgress] = []  # noqa: RUF012  (replaced, never mutated)

    def _mask(self, mask: Callable[[str], str]) -> None:
        """Hide secrets in what this error shows (see ``masked``)."""
        self.args = tuple(mask(a) if isinstance(a, str) else a for a in self.args)
        for name in ("problem", "errtext"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                setattr(self, name, mask(value))


@dataclass(frozen=True)
class CallProgress:
    """How far one call got before an error or an interrupt stopped it.

    ``results`` holds the answers of the items whose packets completed (a
    ``Results``, in input order); ``in_flight`` the input indexes of the packet
    that was under way, which the server may or may not have applied;
    ``unsent`` the indexes of items never sent.
    """

    operation: str
    results: Sequence[object]
    in_flight: tuple[int, ...]
    unsent: tuple[int, ...]


EXCERPT_SHOWN = 200
"""How much of an answer an error message quotes."""


def shortened(text: str, limit: int = 300) -> str:
    """``text``, or its start and how much was left out, for one readable line."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def masked(exc: X, mask: Callable[[str], str]) -> X:
    """``exc`` with ``mask`` applied to what it shows, in place.

    A ``PleskError`` masks its parts first and then builds its message, so a
    secret is never cut in two by a shortened text (half a password shown).
    """
    if isinstance(exc, PleskError):
        exc._mask(mask)
        return exc
    exc.args = tuple(mask(a) if isinstance(a, str) else a for a in exc.args)
    return exc


class ValidationError(PleskError, ValueError):
    """A request the schema would reject, refused before anything was sent."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ConfigurationError(PleskError, ValueError):
    """Arguments that cannot make a connection: no host name, no credentials."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stops a run the way Ctrl-C does, ledger included."""

    def __init__(self, signum: int) -> None:
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StoppedError(PleskError):
    """A run was stopped (Ctrl-C, a signal) before this call had its answer.

    ``progress`` says what had been sent; ``sent`` whether its packet may
    have reached the server.
    """

    sent: bool = False


class ClientClosedError(PleskError, RuntimeError):
    """A call on a client that was closed: nothing was sent."""


class UnknownProtocolError(PleskError, ValueError):
    """A protocol version this package was not generated for."""


class TransportError(PleskError):
    """The request did not get an HTTP answer: refused, unreachable, TLS failure.

    ``sent`` says whether the request may have reached the server (its
    headers had started out): then a packet that changes something may have
    been applied. ``False`` means it never left (refused, TLS, DNS).
    """

    sent: bool = True


class DeadlineExceededError(TransportError, TimeoutError):
    """No complete answer within the deadline of one packet.

    The deadline (the client's ``timeout``) covers connecting, sending and
    receiving the whole response, headers included, from the start of the
    packet's exchange: a server that trickles cannot hold a call longer.
    """


ConnectTimeoutError = DeadlineExceededError
"""The earlier name of ``DeadlineExceededError``."""


class TLSError(TransportError):
    """The TLS handshake failed, usually an untrusted or mismatched certificate."""


class ResponseError(PleskError):
    """The server answered something that is not a valid response packet.

    ``excerpt`` holds the start of what came back, for diagnosis (the message
    shows its first ``EXCERPT_SHOWN`` characters).
    """

    def __init__(self, message: str, excerpt: str = "") -> None:
        self.message = message
        self.excerpt = excerpt
        super().__init__(self._text())

    def _text(self) -> str:
        if not self.excerpt:
            return self.message
        shown = " ".join(self.excerpt.split())
        if len(shown) > EXCERPT_SHOWN:
            shown = shown[:EXCERPT_SHOWN] + "..."
        return f"{self.message} (received: {shown!r})"

    def _mask(self, mask: Callable[[str], str]) -> None:
        self.message = mask(self.message)
        # An excerpt is the start of a longer answer: a secret it cuts in two
        # must not show its beginning either (the masker knows the secrets).
        masker = getattr(mask, "__self__", mask)
        cut = getattr(masker, "cut", None)
        self.excerpt = cut(self.excerpt) if callable(cut) else mask(self.excerpt)
        self.args = (mask(self._text()), *self.args[1:])  # the framing counts too


class UnexpectedElementError(ResponseError):
    """An element the chosen protocol version does not know.

    Usually the server answered with a newer schema than the client asked for;
    ``since`` names the first protocol version that has the element, if known.
    """

    def __init__(self, message: str, path: str, since: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.since = since


class PacketError(PleskError):
    """The server refused the whole packet (``<system>`` error, HTTP 401/403)."""

    def __init__(
        self, errcode: int | None, errtext: str, http_status: int | None = None
    ) -> None:
        self.errcode = errcode
        self.errtext = errtext
        self.http_status = http_status
        self.hint = ""
        """What to do about it, in our words (the server's stay in ``errtext``)."""
        super().__init__(self._text())

    def _text(self) -> str:
        label = (
            f"Plesk error {self.errcode}" if self.errcode is not None else "Plesk error"
        )
        text = shortened(" ".join(self.errtext.split()))  # one line
        return f"{label}: {text}{self.hint}"

    def _mask(self, mask: Callable[[str], str]) -> None:
        self.errtext = mask(self.errtext)
        self.args = (mask(self._text()), *self.args[1:])  # the framing counts too


class AuthenticationError(PacketError):
    """Wrong login, password or secret key, or the account may not log in."""


class ProtocolVersionError(PacketError):
    """The server does not speak the requested protocol version (1005)."""

    def asked(self, protocol: str) -> None:
        """Say which version was asked for, and how to let the server choose."""
        self.hint = (
            f" (asked in protocol {protocol}, pinned by the protocol option or the"
            " server's config entry; give 'auto' there to use the newest one the"
            " server speaks)"
        )
        self.args = (self._text(), *self.args[1:])


def packet_error(
    errcode: int | None, errtext: str, http_status: int | None = None
) -> PacketError:
    """The most specific ``PacketError`` for a packet-level failure."""
    if errcode in AUTHENTICATION_CODES:
        return AuthenticationError(errcode, errtext, http_status)
    if errcode == ErrorCode.PROTOCOL_VERSION_NOT_SUPPORTED:
        return ProtocolVersionError(errcode, errtext, http_status)
    return PacketError(errcode, errtext, http_status)


class ItemResult(Protocol):
    """What every per-item result has: Plesk's ``resultType``."""

    @property
    def ok(self) -> bool: ...

    @property
    def errcode(self) -> int | None: ...

    @property
    def errtext(self) -> str | None: ...


SHOWN_FAILURES = 50
"""Failed items an ``ItemErrors`` message lists, one line each (all are in ``failures``)."""


class ItemErrors(PleskError):
    """Some items of an operation failed; ``failures`` pairs input index and result.

    Its message is a summary line, then one line per failed item.
    """

    def __init__(
        self,
        operation: str,
        failures: Sequence[tuple[int, ItemResult]],
        mask: Callable[[str], str] = str,
    ) -> None:
        lines = [f"{operation}: {len(failures)} item(s) failed"]  # a summary first
        lines += [
            f"  #{index}: error {result.errcode}: "
            f"{shortened(' '.join((result.errtext or '').split()))}"
            for index, result in failures[:SHOWN_FAILURES]
        ]
        if len(failures) > SHOWN_FAILURES:
            lines.append(f"  ... and {len(failures) - SHOWN_FAILURES} more (.failures)")
        message = "\n".join(lines)
        super().__init__(mask(message))  # whole: a secret may meet the framing too
        self.operation = operation
        self.failures = list(failures)
