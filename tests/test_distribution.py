"""The generated distribution as its users meet it: the page, the wheel, the sdist.

Its README's Python examples run against the emulator and pass ``mypy
--strict``; its CLI session prints what the page shows; the wheel and sdist
build from a copy of ``generated/`` and pass ``twine check --strict``, with the
license file, the classifiers and ``py.typed`` where installers look.
"""

from __future__ import annotations

import email
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from importlib.metadata import version
from pathlib import Path

import plesk_mail
import pytest

from tests.emulator.fixtures import cli_env
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR

README = GENERATED_DIR / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_python_examples_run_as_written(emulator: Emulator, tls: TestTLS) -> None:
    connect, batch = _blocks("python")
    env = {**os.environ, "PYTHONPATH": str(GENERATED_DIR), **cli_env(emulator, tls)}
    printed = _run([sys.executable, "-c", connect], env)
    assert printed.splitlines() == ["info []", "sales ['orders']"]
    printed = _run([sys.executable, "-c", batch], env)
    assert printed.splitlines()[:2] == ["renamed: True", "preferences of 1 site(s)"]
    assert "quota=1073741824" in printed.splitlines()[2]
    assert sorted(emulator.store.accounts(1)) == ["info", "team"]
    batch_packets = [e.body for e in emulator.exchanges if b"<rename>" in e.body]
    assert len(batch_packets) == 1 and b"<get_prefs>" in batch_packets[0]


def test_python_examples_pass_mypy_strict(tmp_path: Path) -> None:
    for number, block in enumerate(_blocks("python")):
        (tmp_path / f"example_{number}.py").write_text(block, encoding="utf-8")
    _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".c")]
        + [str(p) for p in sorted(tmp_path.glob("example_*.py"))],
        {**os.environ, "MYPYPATH": str(GENERATED_DIR)},
    )


def test_cli_session_prints_what_the_page_shows(
    emulator: Emulator, tls: TestTLS
) -> None:
    (session,) = _blocks("console")
    script = str(Path(sys.executable).with_name("plesk-mail"))
    env = {**os.environ, **cli_env(emulator, tls)}
    lines = session.splitlines()
    prompts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    assert len(prompts) == 3
    for start, end in zip(prompts, [*prompts[1:], len(lines)], strict=True):
        words = shlex.split(lines[start][2:])
        assert words[0] == "plesk-mail"
        shown = "".join(f"{line}\n" for line in lines[start + 1 : end])
        assert _run([script, *words[1:]], env) == shown


def test_version_table_names_every_protocol() -> None:
    text = README.read_text(encoding="utf-8")
    for protocol in plesk_mail.PROTOCOL_VERSIONS:
        assert f"| {protocol} |" in text
    assert plesk_mail.__version__ == version("plesk-mail")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheel and sdist built from a copy of ``generated/`` (the tree stays clean)."""
    root = tmp_path_factory.mktemp("dist")
    source = root / "source"
    shutil.copytree(
        GENERATED_DIR,
        source,
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
    )
    out = root / "out"
    build = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel"]
    _run([*build, "--outdir", str(out), str(source)])
    return out


def _wheel_metadata(wheel: Path) -> tuple[list[str], Message]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, email.message_from_bytes(archive.read(metadata))


@pytest.mark.slow
def test_wheel_and_sdist_pass_twine_check(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    printed = _run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)]
    )
    assert printed.count("PASSED") == 2


@pytest.mark.slow
def test_wheel_carries_license_classifiers_and_types(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    names, metadata = _wheel_metadata(wheel)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "plesk_mail/py.typed" in names
    assert "plesk_mail/runtime/engine/client.py" in names
    assert metadata["License-Expression"] == "MIT"
    assert "Typing :: Typed" in metadata.get_all("Classifier", [])
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "## Install" in str(metadata.get_payload())
    assert metadata["Version"] == plesk_mail.__version__
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = [Path(m).name for m in archive.getnames()]
    assert {"LICENSE", "README.md", "pyproject.toml"} <= set(members)
