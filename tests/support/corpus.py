"""The properties every bad-input case checks, wherever it lives.

1. One line that names the problem.
2. The documented exit code (CLI) or exception type (library).
3. No traceback: a CLI prints none; a library exception does not drag the
   internal one it replaced along (raised ``from None``, or outside any
   ``except``), so an uncaught one shows a single, readable frame chain.
4. Nothing lost: each case checks its own state (previous ``generated/``
   intact, accounts created before a failure still there, none duplicated).
"""

from __future__ import annotations

import traceback

import pytest
from click.testing import Result

ERROR_PREFIXES = (
    "Error:",  # click's usage errors (exit 2)
    "plesk-mail: error:",
    "plesk-mailgen: ",  # error:, interrupted, and --check's "... is stale"
)


def assert_clean_exception(
    exc: BaseException, kind: type[BaseException], *names: str
) -> str:
    """``exc`` is a ``kind`` with a one-line message naming ``names``."""
    assert isinstance(exc, kind), f"expected {kind.__name__}, got {exc!r}"
    message = str(exc).strip()
    assert message, f"{type(exc).__name__} without a message"
    assert "\n" not in message, f"message of more than one line:\n{message}"
    for name in names:
        assert name in message, f"{name!r} missing from: {message}"
    assert exc.__cause__ is None, f"chained to {exc.__cause__!r}"
    assert (
        exc.__context__ is None or exc.__suppress_context__
    ), f"shows the internal {exc.__context__!r} it replaced"
    assert "Traceback" not in message
    return message


def assert_no_traceback(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        shown = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"the command raised instead of printing one line:\n{shown}")
    assert "Traceback" not in result.output


def row_errors(result: Result) -> dict[int, str]:
    """``plesk-mail: row N: problem`` lines of a bulk run, by row number."""
    rows: dict[int, str] = {}
    for line in result.stderr.splitlines():
        if line.startswith("plesk-mail: row "):
            number, _, problem = line.removeprefix("plesk-mail: row ").partition(": ")
            assert number.isdigit() and int(number) not in rows, line
            rows[int(number)] = problem
    return rows


def assert_clean_exit(result: Result, code: int, *names: str) -> str:
    """Exit ``code``, no traceback, exactly one error line naming ``names``."""
    assert_no_traceback(result)
    assert result.exit_code == code, result.output
    errors = [
        line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIXES)
    ]
    assert len(errors) == 1, f"expected one error line, got:\n{result.stderr}"
    for name in names:
        assert name in errors[0], f"{name!r} missing from: {errors[0]}"
    return errors[0]
