"""What every emulated operator shares: one protocol version, one store, and
building that version's models (a field the version lacks is left out, so the
codec never has to refuse one)."""

from __future__ import annotations

import enum
from typing import Any

from plesk_mail import models
from plesk_mail.rules import RULES

from .store import Store

DATA_ALREADY_EXISTS = 1007
OBJECT_DOES_NOT_EXIST = 1013


class Operator:
    """Answers the requests of one protocol version against a store."""

    def __init__(self, version: str, store: Store) -> None:
        self.version = version
        self.m = models
        self.store = store

    def answer(self, operation: str, request: Any) -> Any:
        """The response to ``request``: the method named after the operation,
        run in one store transaction."""
        with self.store.transaction():
            return getattr(self, operation)(request)

    def new(self, cls: str, **values: Any) -> Any:
        """An instance of ``cls``, without the fields this version lacks."""
        model = getattr(self.m, cls)
        kept = {
            name: value
            for name, value in values.items()
            if RULES.has(self.version, model, name)
        }
        return model(**kept)

    def ok(self, cls: str, **fields: Any) -> Any:
        return self.new(cls, status=self.m.ResultStatus.OK, **fields)

    def error(self, cls: str, code: int, text: str, **fields: Any) -> Any:
        return self.new(
            cls, status=self.m.ResultStatus.ERROR, errcode=code, errtext=text, **fields
        )

    def _enum(self, cls: str, value: str | None) -> enum.Enum | None:
        return None if value is None else getattr(self.m, cls)(value)
