"""The columns of the command line's output, the same in every format and on any
number of servers, named and spelled so that they read back as input.

A result column whose path is also an option's (``mailname.mailbox.quota`` and
``--mailbox-quota``) takes the option's name (``mailbox-quota``), and its
value the spelling ``--from-file`` reads (``true``, ``524288000``, a list as
``a;b``): what ``get-info --format csv`` prints, ``create --from-file`` and
``update-set --from-file`` take back. Other columns keep their path
(``mailname.id``, ``status``). Secret columns are not exported at all: a
masked ``***`` read back would become a password. With several servers a
``server`` column comes first; a bulk run has ``row`` first.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

Path = tuple[str, ...]
SERVER = "server"
"""The lead column of a fleet's output; in a file, the server a row goes to."""
ROW = "row"
"""The lead column of a run from a file: the row's line."""
ADDRESS = "address"
"""The column that names an account with its domain (``info@example.com``): read
from a file, and written for a command given addresses, so its output reads back."""


def result_columns(
    cls: type, prefix: Path = (), depth: int = 0
) -> list[tuple[Path, bool]]:
    """Every column a result class can fill, in field order: (path, secret)."""
    hints = typing.get_type_hints(cls)
    found: list[tuple[Path, bool]] = []
    secret_struct = any(not f.repr for f in dataclasses.fields(cls))
    for item in dataclasses.fields(cls):
        hint = hints[item.name]
        if isinstance(hint, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        path = (*prefix, item.name)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type) and depth < 3:
            found += result_columns(hint, path, depth + 1)
        else:
            found.append((path, secret_struct or not item.repr))
    return found


class Shape:
    """How one command's results become rows: which columns, named how."""

    def __init__(
        self,
        result_class: type | None,
        inputs: Mapping[Path, str],
        *,
        bulk: bool = False,
        servers: bool = False,
        addresses: bool = False,
    ) -> None:
        self.names: dict[str, str] = {}
        """Dotted result path -> column name."""
        self.hidden: set[str] = set()
        """Dotted paths of secret columns: never exported."""
        columns = result_columns(result_class) if result_class is not None else []
        for path, secret in columns:
            dotted = ".".join(path)
            if secret:
                self.hidden.add(dotted)
                continue
            self.names[dotted] = inputs.get(path[1:]) or inputs.get(path) or dotted
        lead = ([SERVER] if servers else []) + ([ROW] if bulk else [])
        lead += [ADDRESS] if addresses else []
        self.columns = lead + list(self.names.values())

    def row(self, record: Mapping[str, Any], typed: bool) -> dict[str, Any]:
        """A flat row of ``record`` (a result as ``plain`` gives it): every column,
        in order, ``None`` where the result has no value.

        ``typed`` keeps JSON's types (JSON lines); otherwise each value is
        spelled as ``--from-file`` reads it (CSV and tables).
        """
        row: dict[str, Any] = dict.fromkeys(self.columns)
        for key, value in _flatten(record).items():
            if key in self.hidden or (value is None and key not in self.names):
                continue  # a secret, or a structure the result does not have
            row[self.names.get(key, key)] = value
        if typed:
            return row
        return {key: spelled(value) for key, value in row.items()}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"mailname": {"id": 1}}`` -> ``{"mailname.id": 1}``; lists stay whole."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: value}


def spelled(value: Any) -> str:
    """A value as a file cell spells it: ``true``, ``12``, ``a;b``, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return ";".join(spelled(v) for v in value)
        return json.dumps(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def inputs_of(options: Iterable[Any]) -> dict[Path, str]:
    """Option column names by the path they set (the first command's name wins)."""
    found: dict[Path, str] = {}
    for option in options:
        found.setdefault(tuple(option.path), option.column)
    return found
