"""``plesk-mail``: the click group, its global options and one command per operation.

Every value a command sends comes from an option the person typed, a file
cell, or a documented default. The connection options (host, port, login,
password, secret key, protocol, CA file) also read ``PLESK_*`` variables;
no variable ever supplies an item's value: an account password comes from
``--account-password``, ``--account-password -`` (asked, or one line of
standard input) or ``--account-password-env VAR``. What a command does once
parsed lives in ``cli.run``; this module only builds the click objects.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

import click

from .commands import EXIT_USAGE, App, Command, Option, Settings
from .ledger import (
    drop_stdout,
    held_signals,
    reason_of,
    stop_code,
    stop_signals,
    tell,
)
from .options import global_options, global_settings
from .output import apply_output, output_options
from .run import read_secret, run
from .servers import servers_command
from .shape import inputs_of
from .sites import sites_command, where_command
from .values import click_type

__all__ = ["App", "Command", "Option", "Settings", "make_main"]

ENVIRONMENT = """Environment (connection only, never an item's value): PLESK_HOST,
PLESK_PORT, PLESK_LOGIN, PLESK_PASSWORD, PLESK_SECRET_KEY, PLESK_PROTOCOL,
PLESK_CA_FILE. Exit codes: 0 all ok, 1 some items or rows failed, 2 usage
error, 3 failure before anything was applied, 4 stopped after something was
or may have been applied (see the line on stderr), 5 some servers failed,
130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 output closed. Shell completion (bash):
eval "$(_PLESK_MAIL_COMPLETE=bash_source plesk-mail)"
"""


# -- building the commands ----------------------------------------------------------


def _click_options(option: Option) -> list[click.Option]:
    if option.kind == "flag":
        return [
            click.Option(
                [option.flag, option.dest],
                is_flag=True,
                default=False,
                help=option.help,
            )
        ]
    if option.kind == "bool":
        switch = f"{option.flag}/--no-{option.flag[2:]}"
        return [click.Option([switch, option.dest], default=None, help=option.help)]
    found = click.Option(
        [option.flag, option.dest],
        type=click_type(option),
        multiple=True,  # single options too: a repeat is refused, not dropped
        required=option.required and option.target == "request" and not option.secret,
        help=option.help
        + (
            " '-' asks for it (hidden), or reads one line of standard input."
            if option.secret
            else ""
        ),
    )
    if not option.secret:
        return [found]
    return [
        found,
        click.Option(
            [f"{option.flag}-env", f"{option.dest}_env"],
            metavar="VAR",
            help=f"Take {option.flag} from the environment variable VAR.",
        ),
    ]


def _read_secrets(command: Command, values: dict[str, Any]) -> None:
    """Each secret option's value from where the person said it is."""
    for option in command.options:
        if not option.secret:
            continue
        variable = values.pop(f"{option.dest}_env", None)
        typed = values.get(option.dest) or ()
        if len(typed) > 1:
            continue  # refused as a repeat, without reading anything
        value = read_secret(
            option.flag, f"{option.flag}-env", typed[0] if typed else None, variable
        )
        values[option.dest] = (value,) if value is not None else ()


def _flag_of(command: Command, field: str) -> str:
    """The option that sets a request field (``site_ids``: ``--site-id``)."""
    return next(o.flag for o in command.options if o.path == (field,))


def _command_options(command: Command) -> list[click.Parameter]:
    """The options of one operation's command, and those its kind adds
    (addresses, files of rows, ``--all``)."""
    params: list[click.Parameter] = [
        p for o in command.options for p in _click_options(o)
    ]
    if command.addresses:
        params.append(click.Argument(["addresses"], nargs=-1, metavar="[ADDRESS]..."))
    if command.already_done is not None:
        params.append(
            click.Option(
                ["--skip-existing"],
                is_flag=True,
                help=f"Count an item answered with error {command.already_done} "
                "(it exists already) as done, not failed: a resumed run that "
                "sends the rows that were in flight again ends quietly.",
            )
        )
    if command.item_field is not None:
        params += [
            click.Option(
                ["--from-file"],
                type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                default=None,
                help="CSV (header row of option names) or JSON lines: one item per row; "
                "the options of one item (--name, ...) are its columns, not options.",
            ),
            click.Option(
                ["--file-format"],
                type=click.Choice(("csv", "jsonl")),
                default=None,
                help="Format of --from-file (default: by its name; '-' is CSV).",
            ),
            click.Option(
                ["--start-at-row"],
                type=click.IntRange(min=1),
                default=None,
                help="Skip the rows before this line of --from-file (resume a run).",
            ),
        ]
    if command.everything is not None:
        params += [
            click.Option(
                ["--all", "everything"],
                is_flag=True,
                help=f"Act on {command.everything[2]} when no "
                f"{_flag_of(command, command.everything[0])} is given.",
            ),
            click.Option(["--yes"], is_flag=True, help="Do not ask before --all."),
        ]
    return params


def make_command(command: Command, app: App) -> click.Command:
    """The click command of one operation, built from its table entry."""
    params = _command_options(command)
    params += output_options()
    epilog = None
    if command.addresses:
        help_text = (command.help or "") + (
            "\n\nAccounts may be named by address (info@example.com) as arguments: "
            "each domain's site is looked up, and no --site-id or --site is needed."
        )
    else:
        help_text = command.help
    if command.examples:  # \b: click keeps the lines as they are
        epilog = "Examples:\n\n\b\n" + "\n".join(f"  $ {e}" for e in command.examples)

    def callback(**values: Any) -> None:
        settings = click.get_current_context().find_object(Settings)
        assert settings is not None, "the plesk-mail group sets Settings"
        apply_output(settings, values)
        _read_secrets(command, values)
        run(settings, command, values, app)

    return click.Command(
        command.name, params=params, callback=callback, help=help_text, epilog=epilog
    )


class _Main(click.Group):
    """The group: SIGTERM and SIGHUP stop a run as Ctrl-C does, from the first
    option parsed; an interrupt no run accounted for sent nothing, and says so."""

    settle_signals = False
    """Set by the console script, whose process ends with the run: a stop that
    comes after the run is ignored (see ``stop_signals``)."""

    def invoke(self, ctx: click.Context) -> Any:
        with stop_signals(settle=self.settle_signals):
            try:
                return super().invoke(ctx)
            except BrokenPipeError as closed:  # `plesk-mail servers | head -1`
                drop_stdout()
                sys.exit(stop_code(closed))
            except KeyboardInterrupt as stop:
                with held_signals():
                    settings = ctx.find_object(Settings)
                    if settings is None or not settings.accounted:
                        tell(f"error: {reason_of(stop)}; nothing was sent")
                sys.exit(stop_code(stop))
            except (
                click.exceptions.Abort
            ) as abort:  # Ctrl-C or end of input at a prompt
                if isinstance(abort.__context__, KeyboardInterrupt):
                    tell("error: interrupted; nothing was sent")
                    sys.exit(stop_code(abort.__context__))
                tell("error: no answer at the prompt; nothing was sent")
                sys.exit(EXIT_USAGE)


def make_main(app: App, commands: Sequence[Command]) -> click.Group:
    """The ``plesk-mail`` group: global options, then one command per operation."""
    creating = sorted(commands, key=lambda c: c.already_done is None)  # create first
    options = [o for c in creating for o in c.item_options if not o.secret]
    app = dataclasses.replace(app, inputs=inputs_of(options), commands=tuple(commands))

    def main(**values: Any) -> None:
        global_settings(values)

    group = _Main(
        app.name,
        params=global_options(app),
        callback=main,
        help="Manage Plesk mail accounts through the XML API.",
        epilog=ENVIRONMENT,
        context_settings={
            "help_option_names": ["-h", "--help"],
            "max_content_width": 100,
        },
    )
    click.version_option(app.version, prog_name=app.name)(group)
    for command in commands:
        group.add_command(make_command(command, app))
    group.add_command(servers_command(app))
    group.add_command(sites_command(app))
    group.add_command(where_command(app))
    return group
