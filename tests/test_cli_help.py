"""What ``plesk-mail --help`` tells a person, and that its examples work.

Every option's help is a sentence in the user's words (no field paths, no
Python names); every operation's ``--help`` ends with examples, and each
example runs as written against the emulator.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from plesk_mail.cli import COMMANDS, main

from tests.emulator.__main__ import write_config
from tests.emulator.fixtures import SITE_ID, cli_env
from tests.emulator.server import Emulator
from tests.emulator.store import Account, SiteSpec
from tests.emulator.tls import TestTLS

PYTHON_NAME = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|=True|``")
FIELD_PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield prefix, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


ALL = dict(_commands(main))
EXAMPLES = [
    (command.name, example)
    for command in COMMANDS.values()
    for example in command.examples
]


def test_every_operation_is_a_command() -> None:
    assert set(COMMANDS) <= {words[-1] for words in ALL if words}
    assert len(COMMANDS) == 13  # 12 of mail, get-sites of site


@pytest.mark.parametrize("words", list(ALL), ids=[" ".join(w) or "-" for w in ALL])
def test_every_option_help_is_a_sentence(words: tuple[str, ...]) -> None:
    options = [p for p in ALL[words].params if isinstance(p, click.Option)]
    assert options or words, "the group has options"
    for option in options:
        text = option.help or ""
        where = (words, option.opts)
        assert text[:1].isupper() or text.startswith("-"), where
        assert text.endswith("."), where
        assert len(text.split()) >= 3, where
        assert not FIELD_PATH.match(text), where
        assert not PYTHON_NAME.search(text), (where, PYTHON_NAME.search(text))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_help_ends_with_examples(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    examples = [line.strip() for line in lines[lines.index("  Examples:") + 1 :]]
    shown = [line.removeprefix("$ ") for line in examples if line]
    assert 1 <= len(shown) <= 2
    for example in shown:
        assert example.startswith("plesk-mail ")
        assert name in shlex.split(example), example
    assert all(line.startswith("$ ") for line in examples if line)


@pytest.fixture
def example_site(emulator: Emulator, tls: TestTLS, tmp_path: Path) -> Path:
    """A site with an account ``info`` (alias ``sales``), a CSV and a config;
    and the sites the ``get-sites`` examples name: the subscription
    ``example.com`` with its add-on domain ``shop.example.net``."""
    emulator.store.seed(SiteSpec(2, "example.com"))
    emulator.store.seed(SiteSpec(3, "shop.example.net", parent=2))
    (tmp_path / "accounts.csv").write_text(
        "name,alias,mailbox-enabled,mailbox-quota\nanna,a,true,1G\nbob,,false,\n",
        encoding="utf-8",
    )
    write_config(
        tmp_path / "config.toml", {"emu": emulator.port}, tls, emulator.password
    )
    return tmp_path


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_help_example_runs(
    name: str,
    example: str,
    emulator: Emulator,
    tls: TestTLS,
    example_site: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if name != "create":
        emulator.store.add_account(SITE_ID, Account(name="info", aliases=["sales"]))
    monkeypatch.chdir(example_site)
    env = {
        **cli_env(emulator, tls),
        "PLESK_MAIL_CONFIG": str(example_site / "config.toml"),
    }
    words = shlex.split(example)
    result = CliRunner().invoke(main, words[1:], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if name == "remove":
        assert emulator.store.accounts(SITE_ID) == {}
    if name == "create":
        assert emulator.store.accounts(SITE_ID)
