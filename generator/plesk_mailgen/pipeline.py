"""The whole run: verify pins, load, build, render, format.

Each stage lives in its own module; this one only wires them together.
"""

from __future__ import annotations

from pathlib import Path

from . import __version__
from .api import merge
from .build import build_protocol
from .cli_model import build_commands
from .fingerprint import METADATA, inputs_fingerprint, manifest
from .formatting import black_version, format_files, format_source
from .loading import load_classes
from .model import Protocol
from .naming import read_overrides
from .render import BuildInfo, render, render_metadata, runtime_files, templates_dir
from .schemalock import SchemaLock, verified_lock


def version_key(protocol: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in protocol.split("."))


def build_protocols(
    lock: SchemaLock, project_dir: Path, only: tuple[str, ...] | None = None
) -> list[Protocol]:
    overrides = read_overrides(project_dir)
    protocols = []
    for name in sorted(lock.versions, key=version_key):
        if only is not None and name not in only:
            continue
        version = lock.versions[name]
        protocols.append(build_protocol(version, load_classes(version), overrides))
    return protocols


def generate_files(
    project_dir: Path, schema_root: Path | None = None
) -> dict[str, str]:
    """Every generated file, formatted, in memory."""
    lock = verified_lock(project_dir, schema_root)
    overrides = read_overrides(project_dir)
    protocols = build_protocols(lock, project_dir)
    api = merge(protocols, overrides)
    commands = build_commands(api, overrides)
    info = BuildInfo(generator_version=__version__, black_version=black_version())
    files = {**format_files(render(api, commands, info)), **runtime_files()}
    fingerprint = inputs_fingerprint(project_dir, templates_dir())
    metadata = render_metadata(protocols, info, fingerprint, manifest(files))
    files[METADATA] = format_source(METADATA, metadata)
    return dict(sorted(files.items()))
