"""Shell completion of server names: ``--server``, ``--servers`` and ``servers check``.

Click completes commands and options by itself (``_PLESK_MAIL_COMPLETE=bash_source
plesk-mail``); these callbacks add the names of the config file. Completion
must never fail loudly or run anything: an unreadable config file completes
nothing, and no credential command is run (only names are read).
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem


def _names(ctx: click.Context, groups: bool) -> list[tuple[str, str]]:
    """``(name, where)`` of every server (and group, and ``all``) of the config file."""
    from ..fleet.config import ALL, load

    root = ctx.find_root()
    try:
        config = load(root.params.get("config"))
    except Exception:  # completion says nothing rather than a traceback
        return []
    found = [(name, entry.host or "") for name, entry in config.servers.items()]
    if groups:
        found += [(name, "group: " + ",".join(m)) for name, m in config.groups.items()]
        found.append((ALL, "every server"))
    return found


def complete_server(
    ctx: click.Context, param: Any, incomplete: str
) -> list[CompletionItem]:
    return [
        CompletionItem(name, help=where)
        for name, where in _names(ctx, groups=False)
        if name.startswith(incomplete)
    ]


def complete_servers(
    ctx: click.Context, param: Any, incomplete: str
) -> list[CompletionItem]:
    """The last name of a comma-separated list (``web1,we`` -> ``web1,web2``)."""
    done, _, last = incomplete.rpartition(",")
    head = f"{done}," if done else ""
    taken = set(done.split(","))
    return [
        CompletionItem(head + name, help=where)
        for name, where in _names(ctx, groups=True)
        if name.startswith(last) and name not in taken
    ]


def complete_server_names(
    ctx: click.Context, param: Any, incomplete: str
) -> list[CompletionItem]:
    """``servers check NAMES``: servers and groups, each once."""
    taken = set(ctx.params.get(param.name) or ()) if param.name else set()
    return [
        CompletionItem(name, help=where)
        for name, where in _names(ctx, groups=True)
        if name.startswith(incomplete) and name not in taken
    ]
