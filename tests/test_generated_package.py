"""The generated package: typed (mypy --strict), and importable on its own.

"On its own" means with nothing but the package and its runtime dependency
(lxml) on sys.path: no jinja2, black, xsdata or generator code.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS, protocol_model


@pytest.mark.slow
def test_mypy_strict_passes_on_generated_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path),
            "plesk_mail",
        ],
        cwd=GENERATED_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_passes_on_generator(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path),
            "generator/plesk_mailgen",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _only_lxml_on_path(tmp_path: Path) -> Path:
    """A folder holding nothing but a link to the installed lxml package."""
    spec = importlib.util.find_spec("lxml")
    assert spec is not None and spec.submodule_search_locations
    lxml_dir = Path(next(iter(spec.submodule_search_locations)))
    site = tmp_path / "site"
    site.mkdir()
    (site / "lxml").symlink_to(lxml_dir, target_is_directory=True)
    return site


def test_generated_package_imports_without_generator_dependencies(
    tmp_path: Path,
) -> None:
    site = _only_lxml_on_path(tmp_path)
    modules = [f"plesk_mail.{protocol_model(v).module}" for v in VERSIONS]
    script = (
        "import sys\n"
        f"sys.path[:0] = [{str(GENERATED_DIR)!r}, {str(site)!r}]\n"
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "banned = {'jinja2', 'black', 'xsdata', 'plesk_mailgen', 'click'}\n"
        "loaded = banned & {m.split('.')[0] for m in sys.modules}\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    # -I: isolated (no site-packages, no PYTHON* env, no cwd on sys.path); -S: no site.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_the_package_does_not_import_any_version() -> None:
    script = (
        f"import sys; sys.path.insert(0, {str(GENERATED_DIR)!r})\n"
        "import plesk_mail\n"
        "loaded = [m for m in sys.modules if m.startswith('plesk_mail.v')]\n"
        "assert not loaded, loaded\n"
        "assert plesk_mail.protocol(plesk_mail.LATEST_PROTOCOL).PROTOCOL_VERSION"
        " == plesk_mail.LATEST_PROTOCOL\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_unknown_protocol_lists_the_known_ones() -> None:
    import plesk_mail

    with pytest.raises(plesk_mail.UnknownProtocolError) as info:
        plesk_mail.protocol("1.0.0.0")
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
