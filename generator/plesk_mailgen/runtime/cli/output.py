"""How results reach the person or the script: table, JSON, JSON lines or CSV.

Results are written as they arrive, so a bulk run of a million rows holds
one packet's results at a time. Tables cut long cells (a server's 9 MB
``errtext`` must not become a 9 MB table); JSON, JSON lines and CSV keep every
value whole. ``--fields`` picks columns, ``--quiet`` prints only the summary.
Secret fields are masked in every format.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import enum
import json
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

import click

from .commands import FORMATS, Settings
from .shape import ADDRESS, Shape, spelled

MAX_CELL = 120
"""Longest table cell; the rest is cut and counted."""
TABLE_ROWS = 1000
"""A table is printed at least every this many rows, each part with its header."""
Has = Callable[[type, str], bool]


ERROR_FIELDS = frozenset({"errtext"})
"""Fields that carry a server's words about a failure: a secret echoed there is hidden."""


def plain(
    value: Any, has: Has = lambda cls, name: True, mask: Callable[[str], str] = str
) -> Any:
    """JSON-ready form of a result; secret fields (repr=False) are masked.

    ``has`` says whether the protocol version in use has a field: fields it
    lacks are left out rather than shown as null. ``mask`` hides secrets a
    server echoed in an error field.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            inner = getattr(value, item.name)
            if not has(type(value), item.name):
                continue
            if not item.repr and inner is not None:
                result[item.name] = "***"
            elif item.name in ERROR_FIELDS and isinstance(inner, str):
                result[item.name] = mask(inner)
            else:
                result[item.name] = plain(inner, has, mask)
        return result
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v, has, mask) for v in value]
    return value


def already_there(answer: Any, code: int | None) -> bool:
    """A failed item whose error means it was there already (``--skip-existing``)."""
    return (
        code is not None
        and not getattr(answer, "ok", True)
        and getattr(answer, "errcode", None) == code
    )


def cut(value: object) -> str:
    text = str(value)
    if len(text) <= MAX_CELL:
        return text
    return f"{text[:MAX_CELL]}... ({len(text) - MAX_CELL} more)"


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] | None,
    order: Sequence[str] = (),
) -> str:
    """A plain-text table; without ``columns``, those with any value, in
    ``order`` (the CSV's), then any others as they come."""
    if columns is None:
        filled: list[str] = []
        for row in rows:
            for key, value in row.items():
                if key not in filled and value not in ("", None):
                    filled.append(key)
        columns = [c for c in order if c in filled]
        columns += [c for c in filled if c not in columns]
    if not columns:
        return "(no results)"
    cells = [[cut(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


class Output:
    """Writes results as they come, in one format, and counts them.

    Table, CSV and JSON lines share one set of columns (``cli.shape.Shape``);
    the JSON document keeps each result whole and nested.
    """

    def __init__(
        self,
        fmt: str,
        *,
        command: str,
        protocol: str,
        fields: Sequence[str] = (),
        shape: Shape | None = None,
        quiet: bool = False,
        stream: IO[str] | None = None,
        mask: Callable[[str], str] = str,
        already_done: int | None = None,
    ) -> None:
        self.format = fmt
        self.mask = mask
        self.already_done = already_done
        """An item error code that counts as done (``--skip-existing``)."""
        self.command = command
        self.protocol = protocol
        self.fields = list(fields)
        self.shape = shape or Shape(None, {})
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.ok = self.failed = self.bad = self.existing = 0
        self.bad_rows: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self._started = False
        self._finished = False
        self._csv: Any = None
        self._index = 0

    def _write(self, text: str) -> None:
        click.echo(text, file=self.stream)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.format == "json" and not self.quiet:
            header = json.dumps({"command": self.command, "protocol": self.protocol})
            self.stream.write(header[:-1] + ', "results": [')

    def results(
        self,
        answers: Sequence[Any],
        rows: Sequence[int] | None,
        has: Has,
        addresses: Sequence[str] = (),
    ) -> None:
        """Write ``answers`` (results, or one response); ``rows`` are their file
        rows, ``addresses`` the accounts they answer for, when named so.

        Results know their call's secrets (account passwords too): a server
        that echoes one in an error text finds it hidden here.
        """
        self.start()
        mask = getattr(answers, "mask", self.mask)
        for index, answer in enumerate(answers):
            ok = getattr(answer, "ok", True)
            exists = already_there(answer, self.already_done)
            self.ok += ok
            self.existing += exists
            self.failed += not ok and not exists
            if self.quiet:
                continue
            record = plain(answer, has, mask)
            if not isinstance(record, dict):
                record = {"value": record}
            if exists:
                record["status"] = "exists"
            if index < len(addresses) and addresses[index]:
                record = {ADDRESS: addresses[index], **record}
            if rows is not None:
                record = {"row": rows[index], **record}
            self._one(record)
        if self.format == "table" and len(self._pending) >= TABLE_ROWS:
            self._flush_table()

    def _one(self, record: dict[str, Any]) -> None:
        if self.format == "json":
            if self.fields:
                flat = self.shape.row(record, typed=True)
                record = {k: flat.get(k) for k in self.fields}
            self.stream.write(
                ("\n  " if not self._index else ",\n  ") + json.dumps(record)
            )
        else:
            flat = self.shape.row(record, typed=self.format == "jsonl")
            if self.fields:
                flat = {k: flat.get(k) for k in self.fields}
            if self.format == "jsonl":
                self._write(json.dumps(flat))
            elif self.format == "csv":
                self._csv_row(flat)
            else:
                self._pending.append(flat)
        self._index += 1

    def _csv_row(self, flat: dict[str, Any]) -> None:
        if self._csv is None:
            self._csv = csv.DictWriter(
                self.stream,
                fieldnames=self.fields or self.shape.columns,
                extrasaction="ignore",
                lineterminator="\n",
            )
            self._csv.writeheader()
        self._csv.writerow({k: "" if v is None else v for k, v in flat.items()})

    def _flush_table(self) -> None:
        if self._pending:
            self._write(table(self._pending, self.fields or None, self.shape.columns))
            self._pending = []

    def bad_row(self, number: int, message: str) -> None:
        self.bad += 1
        self.bad_rows.append({"row": number, "error": message})
        click.echo(f"plesk-mail: row {number}: {message}", err=True)

    @property
    def summary(self) -> str:
        text = f"{self.ok} ok, {self.failed} failed"
        if self.existing:
            text = f"{self.ok} ok, {self.existing} already there, {self.failed} failed"
        if self.bad:
            text += f", {self.bad} bad row(s) not sent"
        return text

    def finish(self, stopped: dict[str, Any] | None = None) -> None:
        """Close the output (once); ``stopped`` describes a run that did not finish."""
        if self._finished:
            return
        self._finished = True
        self.start()
        if self.format == "table" and not self.quiet:
            if self._pending or (not self._index and stopped is None):
                self._write(
                    table(self._pending, self.fields or None, self.shape.columns)
                )
            self._pending = []
        if self.format == "csv" and not self.quiet and self._csv is None:
            header = self.fields or self.shape.columns  # a run without results
            csv.writer(self.stream, lineterminator="\n").writerow(header)
        if self.format == "json" and not self.quiet:
            tail: dict[str, Any] = {
                "failed_rows": self.bad_rows,
                "ok": not (self.failed or self.bad or stopped),
                "summary": {
                    "ok": self.ok,
                    "already_there": self.existing,
                    "failed": self.failed,
                    "bad_rows": self.bad,
                },
            }
            if stopped is not None:
                tail["stopped"] = stopped
            self._write(("\n" if self._index else "") + "], " + json.dumps(tail)[1:])
        if self.quiet:
            self._write(self.summary)
        elif self.format == "table" and (self._index > 1 or self.failed or self.bad):
            click.echo(self.summary, err=True)


def print_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    fields: Sequence[str],
    columns: Sequence[str],
) -> None:
    """Plain rows (``sites``, ``servers``) in the chosen format: every column in
    JSON, JSON lines and CSV, spelled as files are in CSV and tables; a table
    leaves out the columns no row has a value in (``--fields`` shows them)."""
    unknown = [f for f in fields if f not in columns]
    if unknown:
        raise click.UsageError(
            f"--fields: no column {', '.join(unknown)}; the columns are {', '.join(columns)}"
        )
    columns = list(fields or columns)
    picked = [{c: row.get(c) for c in columns} for row in rows]
    if fmt == "json":
        click.echo(json.dumps(picked, indent=2))
    elif fmt == "jsonl":
        for row in picked:
            click.echo(json.dumps(row))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: spelled(v) for k, v in r.items()} for r in picked)
    else:
        shown = [{k: spelled(v) for k, v in r.items()} for r in picked]
        click.echo(
            table(shown, list(fields) or None, columns) if shown else "(no results)"
        )


# -- the output options, on the group and on every command --------------------------


def output_options(dry_run: bool = True) -> list[click.Option]:
    """Output options, on the group and on every command (either place works);
    ``--dry-run`` only where there is a packet to show."""
    options = [
        click.Option(
            ["--format", "fmt"],
            type=click.Choice(FORMATS),
            default=None,
            help="Output: a table (default), one JSON document, JSON lines or CSV.",
        ),
        click.Option(
            ["--json", "as_json"], is_flag=True, help="Short for --format json."
        ),
        click.Option(
            ["--fields"],
            default=None,
            metavar="A,B,...",
            help="Only these columns, as the table names them (status,name,mailbox-quota; with --servers also server).",
        ),
        click.Option(
            ["--quiet", "-q"],
            is_flag=True,
            help="Print only the summary (2000 ok, 0 failed).",
        ),
        click.Option(
            ["--dry-run"],
            is_flag=True,
            help="Print the packets that would be sent (secrets masked); connect to nothing.",
        ),
    ]
    return options if dry_run else options[:-1]


def apply_output(
    settings: Settings, values: dict[str, Any], dry_run: bool = True
) -> None:
    """Merge a command's output options into the group's; ``dry_run=False`` for a
    command that has no packet to show (a ``--dry-run`` before it is refused:
    it must not connect)."""
    fmt, as_json = values.pop("fmt", None), values.pop("as_json", False)
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} contradict each other")
    if fmt is not None or as_json:
        settings.format = fmt or "json"
    fields = values.pop("fields", None)
    if fields is not None:
        settings.fields = _fields(fields)
    settings.quiet = settings.quiet or values.pop("quiet", False)
    settings.dry_run = settings.dry_run or values.pop("dry_run", False)
    if settings.dry_run and not dry_run:
        name = click.get_current_context().command_path.removeprefix("plesk-mail ")
        raise click.UsageError(f"--dry-run: {name} has no packet to show; leave it out")


def _fields(text: str) -> tuple[str, ...]:
    """``--fields a,b``: named columns, each once (an export must read back)."""
    names = [f.strip() for f in text.split(",")]
    if not any(names):
        raise click.UsageError("--fields: name at least one column")
    if "" in names:
        raise click.UsageError(f"--fields: an empty name in {text!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise click.UsageError(f"--fields: {', '.join(twice)} named twice")
    return tuple(names)
