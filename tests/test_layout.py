"""The runtime's layout holds: packages in layers, and README's table names every module.

The layers (``cli`` over ``fleet`` over ``engine`` over ``transport`` over
``base``) are import-linter contracts in ``pyproject.toml``; these tests run
them on the tree as it is, and on a copy with one import planted where it
must not be, so a contract that stopped seeing imports fails here too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_DIR

RUNTIME = PROJECT_DIR / "generator" / "plesk_mailgen" / "runtime"
PACKAGES = ("cli", "fleet", "engine", "transport", "base")


def lint_imports(pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_runtime_imports_only_downwards() -> None:
    """Catches an import from a lower layer up (the transport using the client, the client the CLI)."""
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def planted_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the generator package to plant imports in (found before the installed one)."""
    root = tmp_path_factory.mktemp("planted")
    shutil.copytree(
        PROJECT_DIR / "generator" / "plesk_mailgen",
        root / "plesk_mailgen",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        pytest.param(
            "engine/client.py",
            "from ..cli import main as _planted",
            "plesk_mailgen.runtime.engine.client -> plesk_mailgen.runtime.cli.main",
            id="engine-imports-cli",
        ),
        pytest.param(
            "transport/http.py",
            "from ..engine import envelope as _planted",
            "plesk_mailgen.runtime.transport.http -> plesk_mailgen.runtime.engine.envelope",
            id="transport-imports-engine",
        ),
        pytest.param(
            "base/errors.py",
            "def _planted() -> None:\n    from ..fleet import config  # noqa: F401",
            "plesk_mailgen.runtime.base.errors -> plesk_mailgen.runtime.fleet.config",
            id="late-import-in-a-function",
        ),
        pytest.param(
            "engine/aio.py",
            "from ...pipeline import generate as _planted",
            "plesk_mailgen.runtime.engine.aio -> plesk_mailgen.pipeline",
            id="runtime-imports-the-generator",
        ),
    ],
)
def test_an_upward_import_is_refused(
    planted_copy: Path, module: str, line: str, broken: str
) -> None:
    """Catches a contract that no longer sees an import it must refuse."""
    path = planted_copy / "plesk_mailgen" / "runtime" / module
    original = path.read_text(encoding="utf-8")
    path.write_text(f"{original}\n{line}\n", encoding="utf-8")
    try:
        result = lint_imports(planted_copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken in result.stdout, result.stdout


def test_a_downward_import_is_kept(planted_copy: Path) -> None:
    """Catches a contract so strict it refuses what the layers allow (the CLI using the fleet)."""
    path = planted_copy / "plesk_mailgen" / "runtime" / "cli" / "rows.py"
    original = path.read_text(encoding="utf-8")
    path.write_text(f"{original}\nfrom ..fleet import config as _allowed\n")
    try:
        result = lint_imports(planted_copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 0, result.stdout


def test_a_module_outside_the_packages_is_refused(planted_copy: Path) -> None:
    """Catches a module added beside the packages, where no layer says what it may import."""
    stray = planted_copy / "plesk_mailgen" / "runtime" / "stray.py"
    stray.write_text('"""A module in no layer."""\n', encoding="utf-8")
    try:
        result = lint_imports(planted_copy)
    finally:
        stray.unlink()
    assert result.returncode != 0
    assert "plesk_mailgen.runtime.stray" in result.stdout


def runtime_modules() -> dict[str, list[str]]:
    """Each runtime package's modules, as they are on disk."""
    return {
        package: sorted(
            p.stem for p in (RUNTIME / package).glob("*.py") if p.name != "__init__.py"
        )
        for package in PACKAGES
    }


def test_the_packages_are_all_there_is() -> None:
    """Catches a package added or a module left at the top without the layers knowing."""
    assert sorted(p.name for p in RUNTIME.iterdir() if p.suffix == ".py") == [
        "__init__.py"
    ]
    assert sorted(
        p.name for p in RUNTIME.iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(PACKAGES)


def layout_rows() -> dict[str, str]:
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `runtime/(\w+)/` \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


@pytest.mark.parametrize("package", PACKAGES)
def test_readme_layout_names_every_runtime_module(package: str) -> None:
    """Catches a runtime module that README's layout table does not mention, or one it names that is gone."""
    rows = layout_rows()
    assert package in rows, f"README's layout table has no row for runtime/{package}/"
    named = sorted(set(re.findall(r"`(\w+)` \(", rows[package])))
    assert named == runtime_modules()[package]


def test_modules_and_functions_stay_small() -> None:
    """Catches a runtime module past 400 lines, or a function past 60, without a reason beside it."""
    import ast

    too_long = []
    for path in sorted(RUNTIME.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        name = path.relative_to(RUNTIME).as_posix()
        if len(lines) > 400 and not any(
            "# long module:" in line for line in lines[:40]
        ):
            too_long.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                said = "# long function:" in lines[node.lineno - 2]
                if length > 60 and not said:
                    too_long.append(f"{name}: {node.name}() {length} lines")
    assert too_long == []
