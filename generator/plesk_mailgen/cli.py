"""``plesk-mailgen``: generate, check and lock.

Expected failures print one line on stderr and exit 1; usage errors exit 2
(click's convention); nothing prints a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import GeneratorError
from .schemalock import SCHEMA_ROOT_ENV, verified_lock, write_lock
from .writing import compare, write_tree

F = TypeVar("F", bound=Callable[..., Any])
REGENERATE = "plesk-mailgen generate"


def _one_line_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GeneratorError as exc:
            click.echo(f"plesk-mailgen: error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("plesk-mailgen: interrupted; nothing was changed", err=True)
            sys.exit(130)
        except OSError as exc:
            click.echo(
                f"plesk-mailgen: error: {exc.strerror or exc}: {exc.filename}", err=True
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plesk-mailgen")
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder holding schemas/ and generated/.",
)
@click.option(
    "--schema-root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=SCHEMA_ROOT_ENV,
    default=None,
    help=f"Folder of the Plesk schema sets (default: the lock's schema_root; "
    f"env {SCHEMA_ROOT_ENV}).",
)
@click.pass_context
def main(ctx: click.Context, project_dir: Path, schema_root: Path | None) -> None:
    """Generate a typed Plesk mail client and CLI from Plesk's XML API schemas."""
    ctx.obj = {"project_dir": project_dir, "schema_root": schema_root}


@main.command()
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the output is stale."
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: PROJECT_DIR/generated).",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="With --check, print a unified diff."
)
@click.option(
    "--force",
    is_flag=True,
    help="Render and write even when inputs and files match their hashes.",
)
@click.pass_obj
@_one_line_errors
def generate(
    obj: dict[str, Any],
    check: bool,
    output: Path | None,
    show_diff: bool,
    force: bool,
) -> None:
    """Verify the schema pins and (re)generate the client package.

    With nothing changed (inputs and every file match the hashes recorded in
    the last output) nothing is rendered or written: as fast as ``--check``.
    """
    project_dir: Path = obj["project_dir"]
    out_dir = output or project_dir / "generated"
    if not force:
        from .fingerprint import unchanged
        from .render import templates_dir

        verified_lock(project_dir, obj["schema_root"])  # the pins, always
        if unchanged(project_dir, templates_dir(), out_dir):
            said = "" if check else "nothing changed, nothing written: "
            click.echo(
                f"{said}{out_dir} is up to date (inputs and files match their hashes)"
            )
            return
    from .pipeline import generate_files

    files = generate_files(
        project_dir,
        obj["schema_root"],
        warn=lambda message: click.echo(f"plesk-mailgen: warning: {message}", err=True),
    )
    if check:
        drift = compare(files, out_dir)
        if drift.clean:
            click.echo(f"{out_dir} is up to date ({len(files)} files)")
            return
        if show_diff:
            for text in drift.diffs.values():
                click.echo(text, nl=False)
        click.echo(
            f"plesk-mailgen: {out_dir} is stale: {drift.summary()}; run `{REGENERATE}`",
            err=True,
        )
        sys.exit(1)
    write_tree(files, out_dir)
    click.echo(f"wrote {len(files)} files to {out_dir}")


@main.command()
@click.option(
    "--add", "add", metavar="VERSION", default=None, help="Add a new protocol version."
)
@click.option(
    "--plesk",
    multiple=True,
    help="Plesk release shipping the added version (repeatable).",
)
@click.pass_obj
@_one_line_errors
def lock(obj: dict[str, Any], add: str | None, plesk: tuple[str, ...]) -> None:
    """Re-pin the sha256 of every schema file, after a person reviewed the change."""
    changes = write_lock(obj["project_dir"], obj["schema_root"], add=add, plesk=plesk)
    for line in changes:
        click.echo(line)
    click.echo(f"lock written: {len(changes)} pin(s) changed")


@main.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.pass_obj
@_one_line_errors
def diff_command(obj: dict[str, Any], old: str, new: str, as_json: bool) -> None:
    """What changed in the generated operators between protocol versions OLD and NEW."""
    from .diff import as_json as json_document
    from .diff import as_text, diff
    from .pipeline import build_protocols

    lock = verified_lock(obj["project_dir"], obj["schema_root"])
    for version in (old, new):
        lock.version(version)  # an unknown version is one clear line
    protocols = {
        p.version: p for p in build_protocols(lock, obj["project_dir"], only=(old, new))
    }
    changes = diff(protocols[old], protocols[new])
    if as_json:
        click.echo(
            json.dumps(json_document(protocols[old], protocols[new], changes), indent=2)
        )
    else:
        click.echo(as_text(protocols[old], protocols[new], changes))


@main.command()
@click.pass_obj
@_one_line_errors
def verify(obj: dict[str, Any]) -> None:
    """Check every schema file against its pin; write nothing."""
    lock_data = verified_lock(obj["project_dir"], obj["schema_root"])
    click.echo(f"{len(lock_data.versions)} protocol versions match their pins")
