"""``with`` support for everything that holds a connection and has ``close()``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``with obj: ...`` closes ``obj`` on the way out, also on an error."""

    def close(self) -> None:
        """Release what the object holds; the subclass says what."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
