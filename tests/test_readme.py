"""The README's examples run as written, and type-check as a user's code would.

The client example and the CLI session run against the loopback emulator;
every Python block (and the fleet example it shows) passes ``mypy --strict``
as user code, with no casts or ignores.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator.fixtures import cli_env
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR, PROJECT_DIR


def readme_block(marker: str) -> str:
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- example: {marker}\b.*?-->\s*```python\n(.*?)```", text, re.S
    )
    assert match, f"README has no example marked {marker!r}"
    return match.group(1)


def test_readme_client_example(emulator: Emulator, tls: TestTLS) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        **cli_env(emulator, tls),
    }
    result = subprocess.run(
        [sys.executable, "-c", readme_block("client")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" info []") and lines[1].endswith(" sales ['orders']")
    assert lines[2] == "rename: True"
    assert lines[3] == "removed: ['info', 'team']"
    assert emulator.store.accounts(1) == {}
    # get_protos (protocol="auto"), create (one packet), get_info, rename, remove
    assert len(emulator.exchanges) == 5
    assert b"<get_protos/>" in emulator.exchanges[0].body
    assert all(not e.request_errors for e in emulator.exchanges)


def test_readme_codec_example() -> None:
    result = subprocess.run(
        [sys.executable, "-c", readme_block("codec")],
        env={**os.environ, "PYTHONPATH": str(GENERATED_DIR)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ResponsePacket(replies=[Reply(operation='create'")
    assert "CreatedMailname(id=7, name='info')" in result.stdout


def test_readme_fleet_block_is_the_tested_example() -> None:
    example = PROJECT_DIR / "tests" / "examples" / "fleet.py"
    assert readme_block("fleet") == example.read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.slow
def test_readme_python_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 3
    for index, block in enumerate(blocks):
        assert "type: ignore" not in block and "cast(" not in block
        (tmp_path / f"readme_{index}.py").write_text(block, encoding="utf-8")
    example = PROJECT_DIR / "tests" / "examples" / "fleet.py"
    (tmp_path / "fleet.py").write_text(example.read_text(encoding="utf-8"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / ".c"),
            ".",
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(GENERATED_DIR)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_cli_session(emulator: Emulator, tls: TestTLS) -> None:
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example: cli -->\s*```console\n(.*?)```", text, re.S)
    assert match, "README has no CLI session"
    commands = [
        line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")
    ]
    assert [c.split()[1] for c in commands] == [
        "create",
        "get-info",
        "rename",
        "remove",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        **cli_env(emulator, tls),
    }
    outputs = []
    # The console script the README's set-up installs (`pip install -e ./generated`).
    script = Path(sys.executable).with_name("plesk-mail")
    assert script.is_file(), "plesk-mail is not installed in this environment"
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "plesk-mail"
        result = subprocess.run(
            [str(script), *words[1:]],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, (command, result.stderr)
        outputs.append(result.stdout)
    assert "info" in outputs[0]
    assert json.loads(outputs[1])["results"][0]["mailname"]["name"] == "info"
    assert emulator.store.accounts(1) == {}
