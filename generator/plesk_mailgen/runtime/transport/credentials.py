"""Login and password, or a secret key: checked when made, masked everywhere.

HTTP headers cannot carry line breaks, control characters or white space at
either end: such a value is refused when the client is made, in a message that
never shows it. Non-ASCII values are sent UTF-8 encoded (Plesk compares the
bytes). ``mask`` replaces every known secret in a text with ``***``, for
excerpts of answers and log lines: a server that echoes the password back
must not get it into an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..base.errors import ConfigurationError
from ..base.masking import Masker


def _check(what: str, value: str) -> None:
    if not value:
        raise ConfigurationError(f"the {what} is empty")
    if value != value.strip(" \t"):
        raise ConfigurationError(
            f"the {what} starts or ends with white space, which an HTTP header "
            "cannot carry; remove it"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigurationError(
            f"the {what} contains a line break or control character, which an "
            "HTTP header cannot carry"
        )


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
        for what, value in (
            ("login", self.login),
            ("password", self.password),
            ("secret key", self.secret_key),
        ):
            if value is not None:
                _check(what, value)

    def headers(self) -> dict[bytes, bytes]:
        if self.secret_key is not None:
            return {b"KEY": self.secret_key.encode("utf-8")}
        assert self.login is not None and self.password is not None
        return {
            b"HTTP_AUTH_LOGIN": self.login.encode("utf-8"),
            b"HTTP_AUTH_PASSWD": self.password.encode("utf-8"),
        }

    @cached_property
    def masker(self) -> Masker:
        """Hides the password and secret key in text meant for people."""
        return Masker((self.password, self.secret_key))

    def mask(self, text: str) -> str:
        """``text`` with the password and secret key hidden (see ``masking``)."""
        return self.masker.text(text)

    def __repr__(self) -> str:
        kind = "secret_key=***" if self.secret_key is not None else "password=***"
        return f"Credentials(login={self.login!r}, {kind})"
