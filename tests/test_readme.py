"""The user guide's examples run as written, and type-check as a user's code would.

The guide is the generated package's page (``generated/README.md``, rendered
from ``templates/README.md.jinja``); the top-level README keeps the generator.

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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.__main__ import write_config
from tests.emulator.fixtures import cli_env, new_emulator
from tests.emulator.many import ManyServers
from tests.emulator.server import Emulator
from tests.emulator.store import Account, SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS

LATEST = VERSIONS[-1]
GUIDE = GENERATED_DIR / "README.md"
"""The user guide: the generated package's page, where the examples live."""


def readme_block(marker: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- example: {marker}\b.*?-->\s*```python\n(.*?)```", text, re.S
    )
    assert match, f"README has no example marked {marker!r}"
    return match.group(1)


@pytest.fixture
def example_com(tls: TestTLS) -> Iterator[Emulator]:
    """The emulator README's examples talk to: site 1 is example.com."""
    emulator = new_emulator(tls, sites=(SiteSpec(1, "example.com"),)).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_readme_client_example(example_com: Emulator, tls: TestTLS) -> None:
    emulator = example_com
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
    # get_protos (protocol="auto"), the lookup of example.com, create (one
    # packet), get_info, rename, remove: the name was looked up once
    assert len(emulator.exchanges) == 6
    assert b"<get_protos/>" in emulator.exchanges[0].body
    assert b"<site>" in emulator.exchanges[1].body
    assert all(not e.request_errors for e in emulator.exchanges)


def test_readme_sites_example(emulator: Emulator, tls: TestTLS) -> None:
    emulator.store.seed(SiteSpec(2, "example.com"))
    emulator.store.seed(SiteSpec(3, "shop.example.net", parent=2))
    emulator.store.add_account(2, Account(name="info"))
    result = subprocess.run(
        [sys.executable, "-c", readme_block("sites")],
        env={**os.environ, "PYTHONPATH": str(GENERATED_DIR), **cli_env(emulator, tls)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "nowhere.example: error 1013",
        "{'example.com': 2, 'shop.example.net': 3}",
        "[2] True",
    ]
    protos, lookup, batch = emulator.exchanges  # a bare host negotiates first
    assert b"<get_protos/>" in protos.body
    assert b"<site>" in lookup.body and b"<mail>" not in lookup.body
    assert batch.body.index(b"<site>") < batch.body.index(b"<mail>")
    assert not lookup.request_errors and not batch.request_errors


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
    text = GUIDE.read_text(encoding="utf-8")
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


def test_readme_cli_session(example_com: Emulator, tls: TestTLS) -> None:
    emulator = example_com
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: cli -->\s*```console\n(.*?)```", text, re.S)
    assert match, "README has no CLI session"
    commands = [
        line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")
    ]
    assert [c.split()[1] for c in commands] == [
        "create",
        "get-info",
        "get-info",
        "rename",
        "remove",
        "sites",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        **cli_env(emulator, tls),
        "PLESK_PROTOCOL": "",  # what the emulator's export line sets: negotiated
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
    assert json.loads(outputs[1])["results"][0]["mailname"]["name"] == "info"
    for index in (0, 2, 3, 4, 5):  # tables and CSV: exactly as shown
        assert outputs[index] == _shown_output(match.group(1), commands[index])
    assert emulator.store.accounts(1) == {}


def test_readme_round_trip_session(
    example_com: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    """Export, edit with sed, apply, read back: each command's output as shown."""
    example_com.store.add_account(
        1, Account(name="info", mailbox_enabled=True, quota=500 * 2**20)
    )
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- example: round-trip -->\s*```console\n(.*?)```", text, re.S
    )
    assert match, "README has no round-trip session"
    commands = [
        line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(GENERATED_DIR),
        **cli_env(example_com, tls),
        "PLESK_PROTOCOL": "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, (command, done.stderr)
        shown = _shown_output(match.group(1), command).splitlines(keepends=True)
        said = [line for line in shown if line.startswith("plesk-mail: ")]
        assert done.stdout == "".join(x for x in shown if x not in said), command
        assert done.stderr == "".join(said), command
    account = example_com.store.account(1, "info")
    assert account is not None and account.quota == 2**30


def _shown_output(session: str, command: str) -> str:
    """What the README prints under ``$ command``, up to the next prompt."""
    lines = session.splitlines()
    start = lines.index(f"$ {command}") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("$ ")), len(lines)
    )
    return "".join(f"{line}\n" for line in lines[start:end])


def test_readme_dry_run_session(tmp_path: Path) -> None:
    """Exactly the packet shown, with no server, host or credentials about."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: dry-run -->\s*```console\n(.*?)```", text, re.S)
    assert match, "README has no dry-run session"
    (command,) = [
        line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")
    ]
    words = shlex.split(command)
    assert words[0] == "plesk-mail" and "--dry-run" in words
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLESK_")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("plesk-mail")), *words[1:]],
        env={**env, "PLESK_MAIL_CONFIG": str(tmp_path / "none.toml")},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == _shown_output(match.group(1), command)
    assert "s3cret" not in result.stdout + result.stderr


@pytest.fixture
def three_servers(tls: TestTLS, tmp_path: Path) -> Iterator[tuple[ManyServers, Path]]:
    servers = ManyServers(3, tls).start()
    config = tmp_path / "fleet.toml"
    write_config(
        config,
        {f"emu{i + 1}": port for i, port in enumerate(servers.ports)},
        tls,
        servers.password,
    )
    try:
        yield servers, config
    finally:
        servers.stop()


def test_readme_config_example_is_a_valid_config(tmp_path: Path) -> None:
    from plesk_mail.runtime.fleet.config import load

    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(.*?)```", text, re.S)
    assert match, "README has no config example"
    path = tmp_path / "config.toml"
    path.write_text(match.group(1), encoding="utf-8")
    config = load(path)
    assert list(config.servers) == ["web1", "web2"]
    assert config.groups == {"eu": ("web1", "web2")}
    assert config.server("web2").protocol == "1.6.6.0"
    assert config.server("web1").describe_secret() == "$WEB1_PLESK_PASSWORD"


def test_readme_fleet_python_example(three_servers: tuple[ManyServers, Path]) -> None:
    servers, config = three_servers
    servers.servers[1].emulator.store.add_account(1, Account(name="info"))
    result = subprocess.run(
        [sys.executable, "-c", readme_block("fleet-python")],
        env={
            **os.environ,
            "PYTHONPATH": str(GENERATED_DIR),
            "PLESK_MAIL_CONFIG": str(config),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        f"emu1: protocol {LATEST}, 0 account(s)",
        f"emu2: protocol {LATEST}, 1 account(s)",
        f"emu3: protocol {LATEST}, 0 account(s)",
    ]


def test_readme_fleet_cli_session(three_servers: tuple[ManyServers, Path]) -> None:
    servers, config = three_servers
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: fleet-cli -->\s*```console\n(.*?)```", text, re.S)
    assert match, "README has no fleet session"
    commands = [
        line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")
    ]
    script = Path(sys.executable).with_name("plesk-mail")
    outputs = []
    for command in commands:
        words = shlex.split(command.replace("fleet.toml", str(config)))
        assert words[0] == "plesk-mail"
        done = subprocess.run(
            [str(script), *words[1:]],
            env={**os.environ, "PYTHONPATH": str(GENERATED_DIR)},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, (command, done.stderr)
        outputs.append(done.stdout)
    checked = [line.split() for line in outputs[0].splitlines()]
    assert checked[0] == ["server", "at", "status", "protocol", "plesk", "ms"]
    assert [row[:3] for row in checked[1:]] == [
        [f"emu{i + 1}", f"127.0.0.1:{port}", "ok"]
        for i, port in enumerate(servers.ports)
    ]
    assert {" ".join(row[4:6]) for row in checked[1:]} == {"Obsidian 18.0.60"}
    created = outputs[1].splitlines()
    assert created[0].split() == ["server", "status", "id", "name"]
    assert [line.split()[0] for line in created[1:]] == ["emu1", "emu2", "emu3"]
    document = json.loads(outputs[2])
    assert document["ok"] is True and sorted(document["servers"]) == ["emu1", "emu2"]
    assert document["servers"]["emu1"]["results"][0]["mailname"]["name"] == "info"


@pytest.mark.parametrize(
    "page", ["README.md", "generated/README.md", "generated/REFERENCE.md"]
)
def test_code_fences_stand_alone(page: str) -> None:
    """Catches a fence with text after it (the rest of the page renders as code)."""
    text = (PROJECT_DIR / page).read_text(encoding="utf-8")
    fences = [line for line in text.splitlines() if line.lstrip().startswith("```")]
    bad = [line for line in fences if not re.fullmatch(r"\s*```[a-z]*", line)]
    assert bad == []
    assert len(fences) % 2 == 0
