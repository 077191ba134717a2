"""``write_tree``: the output is replaced all at once, or not at all.

The generator CLI cases (disk full, a failing swap) are in the bad-input
corpus; these drive ``write_tree`` directly and compare the previous tree
byte for byte, so a version that deletes first and writes after cannot pass.
"""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.writing import (
    Drift,
    compare,
    existing_files,
    recover,
    unremovable,
    write_tree,
)

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


def test_nested_files_and_missing_parents_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "generated"
    files = {"pkg/runtime/deep/module.py": "x = 1\n", "top.txt": "é\n"}
    write_tree(files, out)
    assert existing_files(out) == files
    assert (out / "top.txt").read_bytes() == "é\n".encode()


def test_recover_puts_a_stranded_tree_back_and_removes_the_rest(tmp_path: Path) -> None:
    """What SIGKILL between the two renames leaves: a backup, no tree, a staging."""
    out = tmp_path / "generated"
    for name, files in ((".generated.old-older", OLD), (".generated.old-newer", NEW)):
        for relative, text in files.items():
            (tmp_path / name / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / relative).write_text(text, encoding="utf-8")
    os.utime(tmp_path / ".generated.old-older", (1, 1))  # the older of the two
    (tmp_path / ".generated.new-half" / "pkg").mkdir(parents=True)
    recover(out)
    assert existing_files(out) == NEW  # the newest backup is the tree that was live
    assert leftovers(out) == []


def test_recover_keeps_a_live_tree_and_removes_leftovers(out: Path) -> None:
    (out.parent / ".generated.old-abc" / "pkg").mkdir(parents=True)
    (out.parent / ".generated.new-def").mkdir()
    recover(out)
    assert existing_files(out) == OLD
    assert leftovers(out) == []


def test_compare_names_missing_extra_and_changed_files(out: Path) -> None:
    (out / "pkg" / "bad.bin").write_bytes(b"\xff\xfe not utf-8\n")
    files = {**OLD, "pkg/__init__.py": "old = 2\n", "pkg/new.py": "z = 3\n"}
    del files["pkg/gone.py"]
    drift = compare(files, out)
    assert (drift.missing, drift.extra, drift.changed) == (
        ["pkg/new.py"],
        ["pkg/bad.bin", "pkg/gone.py"],
        ["pkg/__init__.py"],
    )
    assert drift.diffs["pkg/__init__.py"].splitlines()[2:] == [
        "@@ -1 +1 @@",
        "-old = 1",
        "+old = 2",
    ]
    assert existing_files(out)["pkg/bad.bin"] == "\ufffd\ufffd not utf-8\n"
    assert not drift.clean and compare(OLD, out).clean is False
    assert drift.summary() == (
        "1 differ (pkg/__init__.py); 1 missing (pkg/new.py); "
        "2 extra (pkg/bad.bin, pkg/gone.py)"
    )


def test_summary_shows_three_names_then_dots() -> None:
    names = [f"f{i}.py" for i in range(5)]
    assert Drift(changed=names).summary() == "5 differ (f0.py, f1.py, f2.py, ...)"
    assert Drift(extra=names[:3]).summary() == "3 extra (f0.py, f1.py, f2.py)"
    assert Drift().summary() == "" and Drift().clean


def test_an_immutable_file_is_found_before_anything_moves(out: Path) -> None:
    pinned = out / "pkg" / "gone.py"
    if (
        shutil.which("chattr") is None
        or subprocess.run(
            ["chattr", "+i", str(pinned)], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("chattr +i is not available here (needs root and ext4/xfs/btrfs)")
    try:
        assert unremovable(out) == pinned
        with pytest.raises(GeneratorError, match=r"gone\.py cannot be removed"):
            write_tree(NEW, out)
        assert existing_files(out) == OLD
        assert leftovers(out) == []
    finally:
        subprocess.run(["chattr", "-i", str(pinned)], check=False)
    assert unremovable(out) is None
