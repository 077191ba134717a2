"""``write_tree``: the output is replaced all at once, or not at all.

The generator CLI cases (disk full, a failing swap) are in the bad-input
corpus; these drive ``write_tree`` directly and compare the previous tree
byte for byte, so a version that deletes first and writes after cannot pass.
"""

from __future__ import annotations

import errno
import os
import pathlib
from pathlib import Path
from typing import Any

import pytest
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.writing import existing_files, write_tree

OLD = {"pkg/__init__.py": "old = 1\n", "pkg/gone.py": "x = 1\n", "README.md": "old\n"}
NEW = {"pkg/__init__.py": "new = 2\n", "pkg/added.py": "y = 2\n", "README.md": "new\n"}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "generated"
    write_tree(OLD, folder)
    assert existing_files(folder) == OLD
    return folder


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p != out)


def test_a_successful_write_replaces_exactly(out: Path) -> None:
    write_tree(NEW, out)
    assert existing_files(out) == NEW
    assert leftovers(out) == []


def test_a_write_failing_midway_leaves_the_previous_tree(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pathlib.Path.write_text
    written: list[Path] = []

    def write_text(path: Path, *args: Any, **kwargs: Any) -> int:
        written.append(path)
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    with pytest.raises(
        GeneratorError, match=r"No space left.*previous output is intact"
    ):
        write_tree(NEW, out)
    monkeypatch.undo()
    assert existing_files(out) == OLD
    assert leftovers(out) == []


def test_a_failing_swap_is_rolled_back(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old tree is moved aside, the new one cannot move in: the old one returns."""
    real = os.rename
    moves: list[tuple[str, str]] = []

    def rename(source: Any, target: Any) -> None:
        moves.append((Path(source).name, Path(target).name))
        if Path(source).name.startswith(".generated.new-"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(
        GeneratorError, match=r"cross-device.*previous output is intact"
    ):
        write_tree(NEW, out)
    monkeypatch.undo()
    assert existing_files(out) == OLD
    assert leftovers(out) == []
    # out -> backup, staging -> out (refused), backup -> out: the rollback ran.
    assert [m[1] for m in moves][-1] == "generated" and len(moves) == 3
