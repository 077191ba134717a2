"""The generated distribution as its users meet it: the page, the wheel, the sdist.

Its README (the user guide) is run by ``tests/test_readme.py``; here the
page names every protocol version, and the wheel and sdist
build from a copy of ``generated/`` and pass ``twine check --strict``, with the
license file, the classifiers and ``py.typed`` where installers look.
"""

from __future__ import annotations

import email
import re
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
