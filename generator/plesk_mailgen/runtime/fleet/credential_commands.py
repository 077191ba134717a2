"""Credential commands (``password_command``): run as a subprocess, first line kept.

The command is shown by its program only (its arguments may hold a secret);
it runs with a timeout, cancellable, and its failure is one line.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from ..base.errors import ConfigurationError

COMMAND_TIMEOUT = 30.0


def program_of(command: str) -> str:
    """What may be shown of a credential command: its program's name, never its
    arguments or the variables set before it (either may hold a token)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return "<command>"
    if not words or "=" in words[0]:
        return "<command>"
    return os.path.basename(words[0]) + (" ..." if len(words) > 1 else "")


def _words(command: str, where: str) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError:
        raise ConfigurationError(f"{where}: the command cannot be read") from None
    if not words:
        raise ConfigurationError(f"{where}: the command is empty")
    return words


def _first_line(code: int, out: str, err: str, where: str, shown: str) -> str:
    """The first line a credential command printed; its failure in one line."""
    if code != 0:
        said = (err.strip().splitlines() or [""])[0][:200]
        raise ConfigurationError(
            f"{where}: {shown} failed with exit status {code}"
            + (f" ({said})" if said else "")
        )
    line = (out.splitlines() or [""])[0]
    if not line:
        raise ConfigurationError(f"{where}: {shown} printed nothing")
    return line


def run_command(command: str, where: str) -> str:
    """The first line a credential command prints; its failure in one line."""
    shown = program_of(command)
    try:
        done = subprocess.run(
            _words(command, where),
            capture_output=True,
            text=True,
            errors="replace",  # as the async path reads it: bytes, never a crash
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"{where}: cannot run {shown}: {exc.strerror if isinstance(exc, OSError) else exc}"
        ) from None
    except subprocess.TimeoutExpired:
        raise ConfigurationError(
            f"{where}: {shown} printed nothing within {COMMAND_TIMEOUT:g} s"
        ) from None
    return _first_line(done.returncode, done.stdout, done.stderr, where, shown)


async def run_command_async(command: str, where: str) -> str:
    """``run_command`` in an event loop; the command is killed if the call is cancelled."""
    import asyncio

    shown = program_of(command)
    try:
        process = await asyncio.create_subprocess_exec(
            *_words(command, where),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"{where}: cannot run {shown}: {exc.strerror if isinstance(exc, OSError) else exc}"
        ) from None
    try:
        out, err = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        raise ConfigurationError(
            f"{where}: {shown} printed nothing within {COMMAND_TIMEOUT:g} s"
        ) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    code = process.returncode if process.returncode is not None else -1
    return _first_line(
        code, out.decode(errors="replace"), err.decode(errors="replace"), where, shown
    )
