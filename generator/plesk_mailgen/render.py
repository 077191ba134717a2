"""Render the generated package from the operation models, in memory.

Returns ``{relative path: text}``; formatting and writing come after, so a
failure here never touches ``generated/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from . import __version__
from .cli_model import CliCommand
from .errors import GeneratorError
from .filters import FILTERS
from .inventory import same_api
from .matrix import matrix
from .model import Protocol
from .paths import first_seen

PACKAGE = "plesk_mail"
DISTRIBUTION = "plesk-mail"

RUNTIME_FILES = (
    "__init__.py",
    "cli.py",
    "client.py",
    "envelope.py",
    "errors.py",
    "negotiate.py",
    "transport.py",
    "validate.py",
    "xml.py",
)
VERSION_FILES = ("__init__.py", "client.py", "codec.py", "models.py", "validation.py")
ALIAS_FILES = ("__init__.py", "client.py")
PACKAGE_FILES = {
    "pyproject.toml": "pyproject.toml.jinja",
    "README.md": "README.md.jinja",
    f"{PACKAGE}/__init__.py": "package/__init__.py.jinja",
    f"{PACKAGE}/_elements.py": "package/_elements.py.jinja",
    f"{PACKAGE}/cli.py": "package/cli.py.jinja",
    f"{PACKAGE}/compatibility.py": "package/compatibility.py.jinja",
    "COMPATIBILITY.md": "COMPATIBILITY.md.jinja",
    f"{PACKAGE}/__main__.py": "package/__main__.py.jinja",
    f"{PACKAGE}/py.typed": "package/py.typed.jinja",
}


@dataclass(frozen=True)
class BuildInfo:
    """What the metadata file records about the run that produced the output."""

    generator_version: str
    black_version: str


def templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the top."""
    packaged = Path(str(resources.files("plesk_mailgen"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise GeneratorError("templates not found: the plesk-mailgen install is broken")


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir or templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


def exports(protocol: Protocol) -> list[str]:
    """Public names of a version's models module."""
    names = [e.name for e in protocol.enums] + [s.name for s in protocol.structs]
    names += ["MailRequest", "MailResponse", "OPERATIONS", "OperationName", "Reply"]
    names += ["RequestPacket", "ResponsePacket"]
    return sorted(names)


def render_metadata(
    protocols: list[Protocol], info: BuildInfo, fingerprint: str, files: dict[str, str]
) -> str:
    """``_metadata.py``: rendered last, since it records every other file's hash."""
    template = environment().get_template("package/_metadata.py.jinja")
    return template.render(
        protocols=protocols, info=info, fingerprint=fingerprint, manifest=files
    )


def shared_versions(protocols: list[Protocol]) -> dict[str, str]:
    """Versions whose API equals an older one's, mapped to the oldest such version.

    Such a version gets a thin module over the older one's models and codecs;
    a later version identical to both maps to the same, oldest, module, so the
    modules that exist never change when a version is added.
    """
    shared: dict[str, str] = {}
    for index, protocol in enumerate(protocols):
        for older in protocols[:index]:
            if older.version not in shared and same_api(older, protocol):
                shared[protocol.version] = older.version
                break
    return shared


def render(
    protocols: list[Protocol], commands: tuple[CliCommand, ...], info: BuildInfo
) -> dict[str, str]:
    env = environment()
    shared = shared_versions(protocols)
    context = {
        "protocols": protocols,
        "latest": protocols[-1],
        "info": info,
        "package": PACKAGE,
        "distribution": DISTRIBUTION,
        "generator_version": __version__,
        "first_seen": first_seen(protocols, "response"),
        "commands": commands,
        "matrix": matrix(protocols),
        "shared": shared,
    }
    files: dict[str, str] = {}
    try:
        for path, template in PACKAGE_FILES.items():
            files[path] = env.get_template(template).render(context)
        for name in RUNTIME_FILES:
            files[f"{PACKAGE}/runtime/{name}"] = env.get_template(
                f"runtime/{name}.jinja"
            ).render(context)
        by_version = {p.version: p for p in protocols}
        for protocol in protocols:
            version_context = {
                **context,
                "protocol": protocol,
                "exports": exports(protocol),
            }
            target = shared.get(protocol.version)
            if target is not None:
                version_context["target"] = by_version[target]
            folder, names = (
                ("version_alias", ALIAS_FILES) if target else ("version", VERSION_FILES)
            )
            for name in names:
                files[f"{PACKAGE}/{protocol.module}/{name}"] = env.get_template(
                    f"{folder}/{name}.jinja"
                ).render(version_context)
    except jinja2.TemplateError as exc:
        raise GeneratorError(f"template error: {type(exc).__name__}: {exc}") from None
    return dict(sorted(files.items()))
