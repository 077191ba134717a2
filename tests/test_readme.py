"""The README's client example runs as written against the loopback emulator."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

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
    assert lines[0].endswith("info []") and lines[1].endswith("sales ['orders']")
    assert lines[2] == "rename: True"
    assert lines[3] == "removed: ['info', 'team']"
    assert emulator.store.accounts(1) == {}
    assert len(emulator.exchanges) == 4  # create (one packet), get_info, rename, remove
    assert all(not e.request_errors for e in emulator.exchanges)


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
