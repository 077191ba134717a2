"""The generated package: typed (mypy --strict), and importable on its own.

"On its own" means with nothing but the package and its runtime dependency
(lxml) on sys.path: no jinja2, black, xsdata or generator code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS, protocol_model


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "target"),
    [(GENERATED_DIR, "plesk_mail"), (PROJECT_DIR, "generator/plesk_mailgen")],
    ids=["generated-package", "generator"],
)
def test_mypy_strict_passes(tmp_path: Path, folder: Path, target: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path),
            target,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_generated_package_installs_and_imports_on_its_own(tmp_path: Path) -> None:
    """A fresh venv with only ``pip install generated/``: no generator dependencies."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(GENERATED_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    modules = [f"plesk_mail.{protocol_model(v).module}" for v in VERSIONS]
    script = (
        "import importlib, importlib.util, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "banned = ['jinja2', 'black', 'xsdata', 'plesk_mailgen', 'toposort']\n"
        "present = [m for m in banned if importlib.util.find_spec(m)]\n"
        "assert not present, present\n"
        "import plesk_mail\n"
        "print(plesk_mail.__file__)\n"
    )
    result = subprocess.run(
        [str(python), "-I", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout  # the installed copy, not the checkout
    typed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.resources as r; "
            "print(r.files('plesk_mail').joinpath('py.typed').is_file())",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert typed.stdout.strip() == "True"
    command = subprocess.run(
        [str(venv / "bin" / "plesk-mail"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert command.returncode == 0 and "get-available-mail-providers" in command.stdout


def test_importing_the_package_stays_light() -> None:
    """Models and errors, yes; the client, lxml and httpx only on first use."""
    script = (
        f"import sys; sys.path.insert(0, {str(GENERATED_DIR)!r})\n"
        "import plesk_mail\n"
        "heavy = [m for m in ('lxml', 'httpx', 'plesk_mail.client', 'plesk_mail.v1_6_9_1')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert plesk_mail.NewMailAccount(name='x').name == 'x'\n"
        "assert plesk_mail.MailClient.__module__ == 'plesk_mail.client'\n"
        "assert 'lxml' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_unknown_protocol_lists_the_known_ones() -> None:
    import plesk_mail

    with pytest.raises(plesk_mail.UnknownProtocolError) as info:
        plesk_mail.connect("127.0.0.1", secret_key="k", protocol="1.0.0.0")
    message = str(info.value)
    assert "1.0.0.0" in message
    assert all(version in message for version in VERSIONS)


def test_metadata_records_tool_versions_and_pins() -> None:
    import black
    from plesk_mail import _metadata
    from plesk_mailgen import __version__

    assert __version__ == _metadata.GENERATOR_VERSION
    assert black.__version__ == _metadata.BLACK_VERSION
    assert set(_metadata.SCHEMA_PINS) == set(VERSIONS)
    for version in VERSIONS:
        assert _metadata.SCHEMA_PINS[version] == protocol_model(version).schema_pins
