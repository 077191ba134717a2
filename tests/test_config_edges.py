"""The config file's edges: what ``runtime/fleet/config.py`` reads, refuses and says (issue 18).

Named servers, groups and defaults; every value checked as the options are,
just inside and just outside its range; where a secret comes from and how it
is described without being shown; credential commands that fail, print
nothing or time out. Pure functions on files in a temporary folder: each test
takes milliseconds, so the mutation run (tests/mutation) affords them all.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from plesk_mail.runtime.base.errors import ConfigurationError
from plesk_mail.runtime.fleet import config, credential_commands
from plesk_mail.runtime.fleet.config import Server, load, program_of

from tests.support.corpus import assert_clean_exception


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def toml(
    entries: dict[str, dict[str, Any]], defaults: dict[str, Any] | None = None
) -> str:
    lines = []
    if defaults is not None:
        lines.append("[defaults]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in defaults.items()]
    for name, entry in entries.items():
        lines.append(f'[servers."{name}"]')
        lines += [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def refused(path: Path, name: str = "web") -> str:
    """The problem of the entry ``name``, as ``server()`` raises it (one line)."""
    loaded = load(path)
    with pytest.raises(ConfigurationError) as caught:
        loaded.server(name)
    return assert_clean_exception(caught.value, ConfigurationError)


# -- values, just inside and just outside -------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"port": 1}, None),
        ({"port": 65535}, None),
        ({"port": 0}, "servers.web.port must be 1 to 65535, got 0"),
        ({"port": 65536}, "servers.web.port must be 1 to 65535, got 65536"),
        ({"timeout": 0.001}, None),
        ({"timeout": 86400}, None),
        (
            {"timeout": 0},
            "servers.web.timeout must be more than 0 and at most 86400 seconds, got 0",
        ),
        ({"timeout": 86400.5}, "got 86400.5"),
        ({"timeout": -1}, "got -1"),
        ({"timeout": "nan"}, "servers.web.timeout must be a int or float"),
        ({"timeout": True}, "servers.web.timeout must be a int or float"),
        ({"port": True}, "servers.web.port must be a int"),
        ({"insecure": 1}, "servers.web.insecure must be a bool"),
        ({"login": " "}, "servers.web.login is empty"),
        (
            {"login": "a\tb"},
            "servers.web.login holds a line break or control character",
        ),
        ({"login": "admin"}, None),
        ({"protocol": " "}, "servers.web.protocol is empty"),
        ({"ca_file": " "}, "servers.web.ca_file is not a file name"),
        ({"ca_file": "a\u0000b"}, "servers.web.ca_file is not a file name"),
        (
            {"ca_file": "ca.pem", "insecure": True},
            "insecure = true and ca_file contradict",
        ),
        ({"ca_file": "ca.pem", "insecure": False}, None),
        ({"host": ""}, "servers.web has no host"),
        ({"host": "bad host"}, "servers.web.host: "),
        ({"host": "h:1", "port": 2}, "servers.web.host: "),
        ({"hots": "h"}, "unknown key servers.web.hots (known: ca_file, host, insecure"),
        ({"password_env": ""}, "servers.web.password_env must be a non-empty string"),
        ({"password_env": 7}, "servers.web.password_env must be a non-empty string"),
        (
            {"password_env": "A", "secret_key_env": "B"},
            "servers.web names password_env and secret_key_env; give one source of secret",
        ),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else "",
)
def test_an_entry_value_at_its_edge(
    tmp_path: Path, entry: dict[str, Any], problem: str | None
) -> None:
    """Catches a value range loosened or tightened by one (port 0 or 65535, a timeout of a day), or a type taken for another."""
    fields = {"host": "plesk.example.com", **entry}
    path = write(tmp_path / "c.toml", toml({"web": fields}))
    if problem is None:
        server = load(path).server("web")
        for key, value in entry.items():
            expected = float(value) if key == "timeout" else value
            assert getattr(server, key) == expected
        return
    message = refused(path)
    assert problem in message and str(path) in message


@pytest.mark.parametrize(
    ("name", "usable"),
    [
        ("web1", True),
        ("a.b_c-d@e", True),
        ("ALL", True),
        ("all", False),
        ("web 1", False),
        ("web/1", False),
        ("wéb", False),
    ],
)
def test_a_server_name(tmp_path: Path, name: str, usable: bool) -> None:
    """Catches a name that a selection cannot name accepted, or a good one refused."""
    path = write(tmp_path / "c.toml", toml({name: {"host": "h"}}))
    entry = load(path).entry(name)
    assert (entry.problem is None) == usable
    if not usable:
        assert entry.problem is not None
        assert (
            f"servers.{name}: a server name is letters, digits and '_.@-'"
            in entry.problem
        )
        assert "and not 'all' (which selects every server)" in entry.problem


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        ('eu = ["a", "b"]', None),
        ('eu = "a"', "groups.eu must be a list of server names"),
        ("eu = [1]", "groups.eu must be a list of server names"),
        ('eu = ["a", "zz", "yy"]', "groups.eu names unknown server(s) zz, yy"),
        (
            'a = ["b"]',
            "group 'a': a group name is letters, digits and '_.@-', and not a server's name or 'all'",
        ),
        ('all = ["b"]', "group 'all'"),
        ('"e u" = ["b"]', "group 'e u'"),
    ],
)
def test_groups(tmp_path: Path, groups: str, problem: str | None) -> None:
    """Catches a group of unknown servers, or named like a server or ``all``, accepted."""
    text = toml({"a": {"host": "h"}, "b": {"host": "h"}}) + "[groups]\n" + groups + "\n"
    path = write(tmp_path / "c.toml", text)
    if problem is None:
        assert load(path).groups == {"eu": ("a", "b")}
        return
    with pytest.raises(ConfigurationError) as caught:
        load(path)
    assert problem in assert_clean_exception(
        caught.value, ConfigurationError, str(path)
    )


def test_a_selection_keeps_order_and_takes_each_server_once(tmp_path: Path) -> None:
    """Catches a selection that repeats a server, loses the order, or forgets the groups."""
    text = toml({n: {"host": "h"} for n in ("a", "b", "c", "d")})
    text += '[groups]\nodd = ["c", "a"]\n'
    loaded = load(write(tmp_path / "c.toml", text))
    assert [s.name for s in loaded.select(["b", "odd", "a"])] == ["b", "c", "a"]
    assert [s.name for s in loaded.select(["all"])] == ["a", "b", "c", "d"]
    assert [s.name for s in loaded.select(["d", "all"])] == ["d", "a", "b", "c"]
    with pytest.raises(ConfigurationError) as caught:
        loaded.select(["a", "nope"])
    assert_clean_exception(
        caught.value, ConfigurationError, "no server 'nope' (servers: a, b, c, d)"
    )


def test_an_empty_config_has_no_servers_to_name(tmp_path: Path) -> None:
    """Catches the error for an unknown server without its list of known ones (``none``)."""
    loaded = load(write(tmp_path / "c.toml", ""))
    with pytest.raises(ConfigurationError, match=r"no server 'web' \(servers: none\)"):
        loaded.server("web")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[servers.web\n", "not valid TOML"),
        ("servers = 3\n", "servers must be a table"),
        ("[servers]\nweb = 3\n", "servers.web must be a table"),
        ("defaults = 3\n", "defaults must be a table"),
        ("[colours]\n", "unknown key colours (known: defaults, groups, servers)"),
        ('[defaults]\nhost = "h"\n', "unknown key defaults.host"),
    ],
)
def test_a_file_of_the_wrong_shape(tmp_path: Path, text: str, problem: str) -> None:
    """Catches a config of the wrong shape read as something (or refused without saying where)."""
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigurationError) as caught:
        load(path).server("web")
    assert problem in assert_clean_exception(
        caught.value, ConfigurationError, str(path)
    )


def test_a_file_too_big_or_not_utf8(tmp_path: Path) -> None:
    """Catches a megabyte of config read (a log by mistake), or a Latin-1 file decoded as something."""
    path = tmp_path / "c.toml"
    path.write_bytes(b"#" * (config.MAX_SIZE + 1))
    with pytest.raises(ConfigurationError) as caught:
        load(path)
    assert_clean_exception(
        caught.value,
        ConfigurationError,
        f"is {config.MAX_SIZE + 1} bytes; a config file is at most 1048576",
    )
    path.write_bytes(b"#" * config.MAX_SIZE)
    assert load(path).servers == {}
    path.write_bytes(b'[servers.w]\nhost = "caf\xe9"\n')
    with pytest.raises(ConfigurationError, match="cannot read"):
        load(path)


# -- defaults and where secrets come from ------------------------------------------------------


def test_defaults_fill_what_an_entry_leaves_out(tmp_path: Path) -> None:
    """Catches defaults that override an entry, or a default secret source kept beside the entry's own."""
    defaults = {
        "login": "ops",
        "timeout": 9,
        "password_env": "ALL_PW",
        "insecure": True,
    }
    entries = {
        "plain": {"host": "h"},
        "own": {
            "host": "h",
            "login": "me",
            "secret_key_env": "OWN_KEY",
            "ca_file": "ca.pem",
        },
    }
    loaded = load(write(tmp_path / "c.toml", toml(entries, defaults)))
    plain, own = loaded.server("plain"), loaded.server("own")
    assert (plain.login, plain.timeout, plain.insecure) == ("ops", 9.0, True)
    assert plain.secret_source == ("password_env", "ALL_PW")
    assert plain.verify is False
    assert (own.login, own.timeout, own.insecure, own.ca_file) == (
        "me",
        9.0,
        False,
        "ca.pem",
    )
    assert own.secret_source == ("secret_key_env", "OWN_KEY")
    assert own.secret_kind == "secret_key" and plain.secret_kind == "password"
    assert own.verify == "ca.pem"


def test_verify_of_an_entry(tmp_path: Path) -> None:
    """Catches ``verify`` off without ``insecure``, or a CA file path not expanded."""
    assert Server("a", "h").verify is True
    assert Server("a", "h", insecure=True).verify is False
    assert Server("a", "h", ca_file="~/ca.pem").verify == str(
        Path("~/ca.pem").expanduser()
    )


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (None, "none (asks, on a terminal)"),
        (("password_env", "WEB_PW"), "$WEB_PW"),
        (("secret_key_env", "WEB_KEY"), "$WEB_KEY"),
        (
            ("password_command", "pass show plesk/web --token s3cr3t"),
            "command: pass ...",
        ),
        (("password_command", "/usr/bin/op"), "command: op"),
        (("password", "hunter2"), "in the file"),
    ],
)
def test_where_a_secret_comes_from_is_said_without_it(
    source: tuple[str, str] | None, shown: str
) -> None:
    """Catches a description that shows a secret, a command's arguments, or the wrong source."""
    described = Server("web", "h", secret_source=source).describe_secret()
    assert described == shown
    assert "s3cr3t" not in described and "hunter2" not in described


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("pass show x", "pass ..."),
        ("/opt/bin/vault", "vault"),
        ("TOKEN=abc pass show", "<command>"),
        ("", "<command>"),
        ("'unclosed", "<command>"),
    ],
)
def test_what_may_be_shown_of_a_command(command: str, shown: str) -> None:
    """Catches a credential command shown with its arguments or the variables set before it."""
    assert program_of(command) == shown


def test_a_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches an unset (or empty) variable read as an empty password, or the kind mixed up."""
    server = Server(
        "web", "h", secret_source=("secret_key_env", "WEB_KEY"), origin=Path("c.toml")
    )
    monkeypatch.setenv("WEB_KEY", "k-1")
    assert server.secret() == ("secret_key", "k-1")
    monkeypatch.setenv("WEB_KEY", "")
    with pytest.raises(ConfigurationError) as caught:
        server.secret()
    assert_clean_exception(
        caught.value,
        ConfigurationError,
        "c.toml: servers.web.secret_key_env: environment variable WEB_KEY is not set",
    )
    assert Server("web", "h").secret() is None
    stored = Server("web", "h", secret_source=("password", "in-file"))
    assert stored.secret() == ("password", "in-file")
    assert asyncio.run(stored.secret_async()) == ("password", "in-file")
    assert asyncio.run(Server("web", "h").secret_async()) is None


PY = sys.executable


@pytest.mark.parametrize("how", ["thread", "event loop"])
@pytest.mark.parametrize(
    ("command", "result"),
    [
        (f'{PY} -c \'print("pw-1"); print("second line")\'', "pw-1"),
        (
            f"{PY} -c 'import sys; sys.stderr.write(\"locked\\nmore\\n\"); sys.exit(3)'",
            "failed with exit status 3 (locked)",
        ),
        (f"{PY} -c 'import sys; sys.exit(4)'", "failed with exit status 4"),
        (f"{PY} -c 'pass'", "printed nothing"),
        (f"{PY} -c 'print()'", "printed nothing"),
        (
            "/nonexistent/helper --flag",
            "cannot run helper ...: No such file or directory",
        ),
        ("'unclosed", "the command cannot be read"),
        ("   ", "the command is empty"),
    ],
    ids=[
        "first-line",
        "fails-with-stderr",
        "fails-silently",
        "nothing",
        "empty-line",
        "missing",
        "unreadable",
        "empty",
    ],
)
def test_a_credential_command(command: str, result: str, how: str) -> None:
    """Catches a failing command taken as a password, its failure shown in more than one line, or the secret's second line kept."""
    server = Server(
        "web", "h", secret_source=("password_command", command), origin=Path("c.toml")
    )
    if result == "pw-1":
        found = (
            server.secret() if how == "thread" else asyncio.run(server.secret_async())
        )
        assert found == ("password", "pw-1")
        return
    with pytest.raises(ConfigurationError) as caught:
        if how == "thread":
            server.secret()
        else:
            asyncio.run(server.secret_async())
    message = assert_clean_exception(
        caught.value,
        ConfigurationError,
        "c.toml: servers.web.password_command: ",
        result,
    )
    assert "more" not in message


def test_a_command_that_never_answers_is_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Catches a credential command that holds a call forever (its time limit ignored)."""
    monkeypatch.setattr(credential_commands, "COMMAND_TIMEOUT", 0.3)
    slow = f"{PY} -c 'import time; time.sleep(30)'"
    server = Server(
        "web", "h", secret_source=("password_command", slow), origin=Path("c.toml")
    )
    for fetch in (server.secret, lambda: asyncio.run(server.secret_async())):
        with pytest.raises(ConfigurationError) as caught:
            fetch()
        assert_clean_exception(
            caught.value, ConfigurationError, "python", "printed nothing within 0.3 s"
        )


def test_the_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches ``PLESK_MAIL_CONFIG`` ignored (or an empty one taken), or ``~`` not expanded."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PLESK_MAIL_CONFIG", "")
    assert config.default_path() == tmp_path / "xdg" / "plesk-mail" / "config.toml"
    monkeypatch.setenv("PLESK_MAIL_CONFIG", "~/mine.toml")
    assert config.default_path() == Path("~/mine.toml").expanduser()
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path / "none.toml")
    assert_clean_exception(
        caught.value,
        ConfigurationError,
        f"no config file at {tmp_path / 'none.toml'} (create it, or point PLESK_MAIL_CONFIG at one)",
    )


@pytest.mark.parametrize("how", ["thread", "event loop"])
@pytest.mark.parametrize(
    ("command", "ending"),
    [
        pytest.param(
            f"{PY} -c 'import sys; sys.exit(4)'", "exit status 4", id="no-stderr"
        ),
        pytest.param(
            f"{PY} -c 'import sys; sys.stderr.write(\"e\" * 300); sys.exit(2)'",
            f"exit status 2 ({'e' * 200})",
            id="stderr-cut-at-200",
        ),
        pytest.param(
            f"{PY} -c 'import sys; sys.stderr.buffer.write(b\"bad \\xff\"); sys.exit(5)'",
            "exit status 5 (bad \ufffd)",
            id="stderr-not-utf-8",
        ),
    ],
)
def test_a_failed_commands_words_end_where_they_should(
    command: str, ending: str, how: str
) -> None:
    """Catches an empty "()" after a silent failure, a stderr line cut elsewhere
    than at 200 characters, or bytes that are not UTF-8 stopping the message."""
    server = Server(
        "web", "h", secret_source=("password_command", command), origin=Path("c.toml")
    )
    with pytest.raises(ConfigurationError) as caught:
        if how == "thread":
            server.secret()
        else:
            asyncio.run(server.secret_async())
    assert str(caught.value).endswith(ending)


@pytest.mark.parametrize("how", ["thread", "event loop"])
def test_a_secret_that_is_not_utf_8_is_read_with_replacements(how: str) -> None:
    """Catches output that is not UTF-8 failing the call (it is the person's
    secret: shown nowhere, sent as the command printed it, replacements marked)."""
    command = f"{PY} -c 'import sys; sys.stdout.buffer.write(b\"pw\\xff\\n\")'"
    server = Server(
        "web", "h", secret_source=("password_command", command), origin=Path("c.toml")
    )
    found = server.secret() if how == "thread" else asyncio.run(server.secret_async())
    assert found == ("password", "pw\ufffd")
