"""The generated reference page (``generated/REFERENCE.md``) says what the package does.

Every command has its section, every option its row with the meaning the
documentation table gives (what ``--help`` shows), the versions a limited
option needs, a Python method that exists on both clients, and examples
that name only options the command has.
"""

from __future__ import annotations

import re
import shlex

import plesk_mail
import pytest
from plesk_mail.cli import COMMANDS, main

from tests.support.paths import GENERATED_DIR

TEXT = (GENERATED_DIR / "REFERENCE.md").read_text(encoding="utf-8")


def section(name: str) -> str:
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", TEXT, re.S | re.M)
    assert match, f"REFERENCE.md has no section for {name}"
    return match.group(1)


def test_every_command_has_a_section_and_nothing_else_does() -> None:
    """Catches an operation left out of the page, or one the package no longer has."""
    assert re.findall(r"^## (\S+)$", TEXT, re.M) == [c.name for c in COMMANDS.values()]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_has_its_meaning_and_versions(name: str) -> None:
    """Catches an option missing from the page, or a meaning that is not ``--help``'s."""
    command = COMMANDS[name]
    text = section(command.name)
    for option in command.options:
        [row] = [r for r in text.splitlines() if r.startswith(f"| `{option.flag}`")]
        assert " ".join(option.help.split()).replace("|", "\\|") in row
        if option.versions is not None:
            assert "every protocol version" not in row
    method = f"client.{command.operation}(...)"
    assert method in text
    assert callable(getattr(plesk_mail.MailClient, command.operation))
    assert callable(getattr(plesk_mail.AsyncMailClient, command.operation))


OUTPUT = {"--format", "--json", "--fields", "--quiet", "--dry-run"}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_of_the_command_line_is_on_the_page(name: str) -> None:
    """Catches an option ``--help`` lists (``--skip-existing``, ``--all``, a
    secret's ``-env``) that the page leaves out."""
    text = section(name)
    for param in main.commands[name].params:
        flag = param.opts[0]
        if flag in OUTPUT:
            assert flag in TEXT.split("## ", 2)[0] or flag in text
        elif flag == "addresses":
            assert "`ADDRESS...` (arguments)" in text
        else:
            assert f"| `{flag}`" in text, f"{name}: {flag} is not on the page"


def test_a_limited_option_names_its_versions() -> None:
    text = section("create")
    [row] = [r for r in text.splitlines() if "`--autoresponder-end-date`" in r]
    assert "protocol 1.6.7.0 or newer" in row


@pytest.mark.parametrize("name", list(COMMANDS))
def test_examples_name_only_options_the_command_has(name: str) -> None:
    """Catches an example that would fail with "no such option"."""
    click_command = main.commands[name]
    flags = {flag for p in click_command.params for flag in p.opts}
    examples = re.findall(r"^\$ (.*)$", section(name), re.M)
    assert len(examples) == len(COMMANDS[name].examples)
    top = {flag for p in main.params for flag in p.opts}
    for example in examples:
        words = shlex.split(example)
        at = words.index(name)
        assert words[0] == "plesk-mail"
        before = {w.split("=")[0] for w in words[1:at] if w.startswith("--")}
        used = {w.split("=")[0] for w in words[at + 1 :] if w.startswith("--")}
        assert before <= top, before - top
        assert used <= flags | top, used - flags - top
