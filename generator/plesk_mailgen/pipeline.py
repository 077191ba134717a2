"""The whole run: verify pins, load, build, render, format.

Each stage lives in its own module; this one only wires them together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .api import merge
from .build import build_protocol, schema_name
from .cli_model import build_commands
from .docs import DOCS_PATH, document, read_docs
from .errors import GeneratorError
from .fingerprint import METADATA, inputs_fingerprint, manifest
from .formatting import black_version, format_files, format_source
from .loading import load_schema
from .model import Protocol
from .naming import Overrides, read_overrides
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
        loaded = load_schema(version)
        protocols.append(
            build_protocol(
                version, loaded.classes, overrides, loaded.optional_in_choice
            )
        )
    if only is None:
        _check_omissions(lock, protocols)
        _check_methods(overrides, protocols)
    return protocols


def _check_methods(overrides: Overrides, protocols: list[Protocol]) -> None:
    """Refuse a ``[methods]`` entry no operation has: a typo would rename nothing."""
    generated = {
        f"{op.operator}.{schema_name(op.path)}"
        for p in protocols
        for op in p.operations
    }
    for key in overrides.methods:
        if key not in generated:
            raise GeneratorError(
                f"{overrides.path}: [methods] {key!r} names no generated operation "
                f"(operator.operation, e.g. {sorted(generated)[0]!r})"
            )


def _check_omissions(lock: SchemaLock, protocols: list[Protocol]) -> None:
    """Refuse an ``omit`` entry no version has: a typo would omit nothing."""
    found = frozenset().union(*(p.omitted for p in protocols))
    for version in lock.versions.values():
        for operator in version.operators:
            for entry in operator.omit:
                if entry not in found:
                    raise GeneratorError(
                        f"{lock.path}: operators.{operator.element}.omit: "
                        f"{entry!r} is no optional element of any version's schemas"
                    )


def generate_files(
    project_dir: Path,
    schema_root: Path | None = None,
    warn: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, str]:
    """Every generated file, formatted, in memory.

    ``warn`` hears what is undocumented; ``timings`` receives seconds per stage
    (the benchmark reports where a generation's time goes).
    """
    clock = _Stages(timings)
    with clock("schemas: verify pins, xsdata parse"):
        lock = verified_lock(project_dir, schema_root)
        overrides = read_overrides(project_dir)
        protocols = build_protocols(lock, project_dir)
    with clock("model: merge versions, documentation, commands"):
        api, undocumented = document(
            merge(protocols, overrides), read_docs(project_dir)
        )
        commands = build_commands(api, overrides)
    if undocumented and warn is not None:
        shown = ", ".join(undocumented[:10]) + (
            ", ..." if len(undocumented) > 10 else ""
        )
        warn(f"{len(undocumented)} symbol(s) not documented in {DOCS_PATH}: {shown}")
    info = BuildInfo(generator_version=__version__, black_version=black_version())
    with clock("render: Jinja2 templates"):
        rendered = render(api, commands, info)
    with clock("black: one pass per file"):
        files = {**format_files(rendered), **runtime_files()}
    with clock("fingerprint and metadata"):
        fingerprint = inputs_fingerprint(project_dir, templates_dir())
        metadata = render_metadata(protocols, info, fingerprint, manifest(files))
        files[METADATA] = format_source(METADATA, metadata)
    return dict(sorted(files.items()))


class _Stages:
    """Adds the wall time of each ``with`` block to a dict, when one is given."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            if self.timings is not None:
                elapsed = time.perf_counter() - started
                self.timings[stage] = self.timings.get(stage, 0.0) + elapsed
