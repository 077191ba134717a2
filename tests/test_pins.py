"""Every pinned schema file of every version is verified, not just one of them.

For each file the lock pins: a changed byte, a deleted file, and an unpinned
file it starts to include each stop ``plesk-mailgen verify`` with one line
naming that file. Works on a scratch copy of ``schemas/`` and of the shared
schema root; the shared folder itself is never written.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner, Result
from plesk_mailgen.cli import main
from plesk_mailgen.schemalock import read_lock, sha256_of

from tests.support.paths import PROJECT_DIR

LOCK = read_lock(PROJECT_DIR)
PINNED = [
    (version, name)
    for version, entry in sorted(LOCK.versions.items())
    for name in sorted(entry.files)
]
SCHEMA_ROOT = LOCK.version(PINNED[0][0]).folder.parent
EXTRA = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n'
)
SCHEMA_START = re.compile(r"<xs:schema\b[^>]*?(?<!/)>")


def test_every_version_pins_several_files() -> None:
    assert len(LOCK.versions) == 4
    assert all(len(entry.files) >= 6 for entry in LOCK.versions.values())


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A project folder (its schemas/) and a schema root beside it, writable."""
    shutil.copytree(PROJECT_DIR / "schemas", tmp_path / "project" / "schemas")
    shutil.copytree(SCHEMA_ROOT, tmp_path / "root", copy_function=shutil.copyfile)
    for path in (tmp_path / "root").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert verify(tmp_path).exit_code == 0
    return tmp_path


def verify(scratch: Path) -> Result:
    project, root = str(scratch / "project"), str(scratch / "root")
    return CliRunner().invoke(
        main, ["--project-dir", project, "--schema-root", root, "verify"]
    )


def refused(result: Result, *parts: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for part in parts:
        assert part in lines[0], (part, lines[0])


def schema_file(scratch: Path, version: str, name: str) -> Path:
    return scratch / "root" / LOCK.version(version).folder.name / name


@pytest.mark.parametrize(("version", "name"), PINNED, ids=["/".join(p) for p in PINNED])
def test_a_changed_file_is_refused(scratch: Path, version: str, name: str) -> None:
    path = schema_file(scratch, version, name)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("<!-- changed after review -->\n")
    refused(
        verify(scratch),
        f"{version}/{name}",
        LOCK.version(version).files[name],
        sha256_of(path),
    )


@pytest.mark.parametrize(("version", "name"), PINNED, ids=["/".join(p) for p in PINNED])
def test_a_deleted_file_is_refused(scratch: Path, version: str, name: str) -> None:
    path = schema_file(scratch, version, name)
    path.unlink()
    refused(verify(scratch), str(path), "not found")


@pytest.mark.parametrize(("version", "name"), PINNED, ids=["/".join(p) for p in PINNED])
def test_an_unpinned_include_is_refused(scratch: Path, version: str, name: str) -> None:
    """``name`` includes a new file, and its own pin is updated by hand."""
    path = schema_file(scratch, version, name)
    extra = path.with_name("extra.xsd")
    extra.write_text(EXTRA, encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    start = SCHEMA_START.search(text)
    assert start, f"{name}: no <xs:schema> start tag"
    include = '<xs:include schemaLocation="extra.xsd"/>'
    path.write_text(text[: start.end()] + include + text[start.end() :], "utf-8")
    lock = scratch / "project" / "schemas" / "versions.toml"
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    data["versions"][version]["files"][name] = sha256_of(path)
    lock.write_text(tomli_w.dumps(data), encoding="utf-8")
    refused(verify(scratch), f"{version}/extra.xsd", sha256_of(extra), "not pinned")
