"""Rows of a ``--from-file``: CSV with a header row, or JSON lines, streamed.

A row is read when it is needed, so a file of a million rows costs the memory
of one packet. Problems of the whole file (not UTF-8, a column named twice)
stop the run before anything is sent; problems of one row (a cell too many,
a line that is not a JSON object, a key given twice) make that row an error
that names its line, and the other rows go on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

ERROR = "__error__"
"""Key of a row that could not be read; its value says why."""
JSON_LINES = (".jsonl", ".ndjson", ".json")


def _not_utf8(path: str) -> str | None:
    """Where a file stops being UTF-8, read in blocks (constant memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 16):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return f"byte {offset + exc.start}"
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "its end"
    return None


def _quotes_closed(path: str) -> None:
    """Refuse, before anything is sent, a quote that swallows the rest of the file."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, strict=True)
        started = 0
        try:
            for _ in reader:
                started = reader.line_num
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise click.UsageError(
                    f"{path}: a quote opened after line {started} is never closed; "
                    "nothing was sent"
                ) from None


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # let the read say what is wrong


class Rows:
    """The rows of one input file, as ``(line number, {column: value})``."""

    def __init__(self, path: str, file_format: str | None = None) -> None:
        self.path = path
        self.format = file_format or ("jsonl" if path.endswith(JSON_LINES) else "csv")
        self.columns: list[str] | None = None
        """The CSV header, once the file is opened."""
        self.read = 0
        """How many rows were read so far (good or bad)."""
        if path != "-" and _regular(path):  # a pipe can be read once only
            try:
                where = _not_utf8(path)
            except OSError as exc:
                raise click.UsageError(
                    f"cannot read {path}: {exc.strerror or exc}"
                ) from None
            if where is not None:
                raise click.UsageError(f"{path} is not UTF-8 text ({where})")
            if self.format == "csv":
                _quotes_closed(path)
        self._stream = self._open()
        if self.format == "csv":
            self._reader = csv.reader(self._stream, strict=True)
            self.columns = self._header()

    def _open(self) -> IO[str]:
        if self.path == "-":
            return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        try:
            return open(self.path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise click.UsageError(
                f"cannot read {self.path}: {exc.strerror or exc}"
            ) from None

    def _header(self) -> list[str]:
        try:
            header = [name.strip() for name in next(self._reader, [])]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise click.UsageError(f"{self.path}: unreadable header: {exc}") from None
        seen: set[str] = set()
        for name in header:
            if not name:
                raise click.UsageError(f"{self.path}: a header column has no name")
            if name in seen:
                raise click.UsageError(
                    f"{self.path}: column {name!r} appears twice in the header"
                )
            seen.add(name)
        return header

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            rows = self._csv_rows() if self.format == "csv" else self._json_rows()
            for row in rows:
                self.read += 1
                yield row
        finally:
            if self.path != "-":
                self._stream.close()

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        header = self.columns or []
        while True:
            started = self._reader.line_num
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise click.UsageError(
                    f"{self.path}: not UTF-8 text after line {self._reader.line_num}"
                    f" ({exc.reason})"
                ) from None
            except csv.Error as exc:
                if "end of data" in str(exc):  # the rest of the file is one cell
                    raise click.UsageError(
                        f"{self.path}: a quote opened after line {started} is never "
                        "closed; nothing after that line was read"
                    ) from None
                yield self._reader.line_num, {ERROR: f"unreadable: {exc}"}
                continue
            number = self._reader.line_num
            if not cells:  # an empty line; a line of empty cells is a row
                continue
            if len(cells) > len(header):
                extra = len(cells) - len(header)
                yield number, {
                    ERROR: f"{extra} cell(s) more than the {len(header)} columns "
                    "of the header"
                }
                continue
            yield number, dict(zip(header, cells, strict=False))

    def _json_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        try:
            for number, line in enumerate(self._stream, start=1):
                if line.strip():
                    yield number, _json_row(line)
        except UnicodeDecodeError as exc:
            raise click.UsageError(
                f"{self.path}: not UTF-8 text after line {number} ({exc.reason})"
            ) from None


def _json_row(line: str) -> dict[str, Any]:
    """One JSON line as a row, or a row that says why it is none."""
    try:
        row = json.loads(
            line, object_pairs_hook=_no_repeats, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        return {ERROR: f"not JSON: {exc.msg}"}
    except _NotANumber as exc:
        return {ERROR: f"{exc.args[0]} is not a number JSON allows"}
    except _RepeatedKey as exc:
        return {ERROR: f"key {exc.args[0]!r} appears twice"}
    except ValueError as exc:  # an integer of thousands of digits, say
        return {ERROR: f"not readable: {str(exc)[:100]}"}
    except RecursionError:
        return {ERROR: "not readable: nested too deeply"}
    if not isinstance(row, dict):
        return {ERROR: "not a JSON object"}
    return row


class _RepeatedKey(ValueError):
    pass


class _NotANumber(ValueError):
    pass


def _no_constant(name: str) -> Any:
    """``NaN``, ``Infinity``: Python's json reads them, JSON has no such numbers."""
    raise _NotANumber(name)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RepeatedKey(key)
        result[key] = value
    return result
