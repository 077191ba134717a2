"""A file of rows for a fleet: each row checked once, and the server it goes to
(its ``server`` cell, or every server selected)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..base.errors import PleskError
from .commands import (
    EXIT_ITEMS_FAILED,
    EXIT_USAGE,
    App,
    Command,
    Settings,
)
from .connection import fail
from .filejob import FileJob
from .output import Output
from .rows import Rows


def all_rows(
    settings: Settings,
    command: Command,
    kwargs: dict[str, Any],
    rows: Rows,
    start_at: int | None,
    app: App,
) -> tuple[list[tuple[int, Any]], dict[int, str], list[dict[str, Any]]]:
    """The valid rows of a file, for a fleet (which routes them all at once), and
    the server each names, if the file names servers (an export of a fleet),
    and the rows refused (reported on stderr already, and in the summary).

    Checked against the protocol named, else the newest: each server's client
    checks its own version again before anything is sent.
    """
    protocol = settings.protocol if settings.protocol != app.auto else app.versions[-1]
    job = FileJob(settings, command, app, False)
    job.settings = Settings(**{**vars(settings), "protocol": protocol})
    job.out = Output(
        "table", command=command.name, protocol=protocol, stream=sys.stderr
    )
    job.fleet = selected_servers(settings)
    pairs = fleet_rows(job, kwargs, rows, start_at)
    if not pairs:
        fail(f"{rows.path}: no row can be sent", EXIT_ITEMS_FAILED)
    return pairs, job.targets, job.out.bad_rows


def selected_servers(settings: Settings) -> list[str]:
    """The names ``--servers`` selects in the config file (read, never contacted)."""
    from ..fleet.config import load

    try:
        return [s.name for s in load(settings.config).select(settings.servers)]
    except PleskError as exc:
        raise click.UsageError(str(exc)) from None


def fleet_rows(
    job: FileJob, kwargs: dict[str, Any], rows: Rows, start_at: int | None
) -> list[tuple[int, Any]]:
    """The valid rows for a fleet: each names its server, or none does."""
    assert job.out is not None
    pairs = list(job._row_items(kwargs, rows, start_at))
    if not rows.read:
        fail(f"{rows.path} has no rows", EXIT_USAGE)
    if job.targets:
        for number, _ in pairs:
            if number not in job.targets:
                job.out.bad_row(number, "server: empty (other rows name theirs)")
        pairs = [pair for pair in pairs if pair[0] in job.targets]
    kept = {number for number, _ in pairs}  # a server whose rows were all refused
    job.targets = {n: name for n, name in job.targets.items() if n in kept}
    return pairs
