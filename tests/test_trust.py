"""Issue 23's bad-input corpus: where two features meet, nothing is altered,
nothing applied goes unreported, no secret goes astray.

Each case names the numbered finding it reproduces ("(1)" ... "(17)", or
"small" for the smaller ones) and, in one line, the slip it exists to catch.
Every case failed on the code before the fix (see the closing note of issue
23 for the run against that commit). The cases are counted in the corpus of
``tests/test_bad_input_corpus.py``.
"""

from __future__ import annotations

import datetime
import json
import os
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import plesk_mail
import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import main
from plesk_mail.runtime.engine.envelope import SystemResult
from plesk_mail.runtime.fleet.config import load
from plesk_mail.runtime.transport.http import TRACE

from tests.emulator.fixtures import SITE_ID, cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import (
    assert_clean_exception,
    assert_clean_exit,
    assert_no_traceback,
    row_errors,
)
from tests.test_fleet import write_config

LATEST = plesk_mail.PROTOCOL_VERSIONS[-1]
MAYBE = "may or may not have been applied"


def cli(
    emulator: Emulator,
    tls: TestTLS,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> Result:
    return CliRunner().invoke(
        main, list(args), env={**cli_env(emulator, tls), **(env or {})}, input=input
    )


def escaped(secret: str) -> list[str]:
    """The forms a server may echo ``secret`` in (written here independently of
    the runtime's masking, so a form it forgets is caught)."""
    import html
    import html.entities
    import urllib.parse

    php = html.escape(secret).replace("&#x27;", "&#039;")  # htmlspecialchars
    forms = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        php,
        "".join(  # htmlentities: named entities for what has a name
            (
                f"&{html.entities.codepoint2name[ord(c)]};"
                if not c.isascii() and ord(c) in html.entities.codepoint2name
                else c
            )
            for c in php
        ),
        "".join(f"&#{ord(c)};" for c in secret),
        "".join(f"&#x{ord(c):x};" for c in secret),
        urllib.parse.quote(secret, safe=""),
    }
    forms |= {json.dumps(form)[1:-1] for form in forms}  # as --json prints them
    return sorted(forms)


def assert_hidden(secret: str, *texts: str) -> None:
    for text in texts:
        for form in escaped(secret):
            assert form not in text, f"{form!r} shows in: {text[:300]}"


# == (1) no environment variable supplies an item's value ===========================


def test_an_exported_account_password_changes_nothing(
    emulator: Emulator, tls: TestTLS
) -> None:
    """(1) PLESK_ACCOUNT_PASSWORD must not reach an update-set that never named it."""
    emulator.store.add_account(SITE_ID, Account(name="victim", password="Original-1"))
    result = cli(
        emulator,
        tls,
        "update-set",
        "--site-id",
        "1",
        "--name",
        "victim",
        "--description",
        "just a note",
        env={"PLESK_ACCOUNT_PASSWORD": "Leftover-Env-9"},
    )
    assert result.exit_code == 0, result.output
    victim = emulator.store.account(SITE_ID, "victim")
    assert victim is not None and victim.description == "just a note"
    assert victim.password == "Original-1"
    assert b"Leftover-Env-9" not in b"".join(e.body for e in emulator.exchanges)


@dataclass
class SecretCase:
    args: list[str]
    code: int
    stored: str | None = None
    names: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    input: str | None = None


CREATE = ["create", "--site-id", "1", "--name", "fresh"]
SECRET_CASES = [
    pytest.param(
        SecretCase(
            [*CREATE, "--account-password-env", "NEW_PW"],
            0,
            "From-Env-2",
            env={"NEW_PW": "From-Env-2"},
        ),
        id="named-variable",
    ),
    pytest.param(
        SecretCase(
            [*CREATE, "--account-password-env", "NEW_PW"],
            2,
            None,
            ["NEW_PW", "not set"],
        ),
        id="named-variable-unset",
    ),
    pytest.param(
        SecretCase(
            [*CREATE, "--account-password", "-"], 0, "Piped-3", input="Piped-3\n"
        ),
        id="dash-reads-standard-input",
    ),
    pytest.param(
        SecretCase(
            [*CREATE, "--account-password", "x1", "--account-password-env", "NEW_PW"],
            2,
            None,
            ["contradict"],
            env={"NEW_PW": "From-Env-2"},
        ),
        id="typed-and-variable",
    ),
]


@pytest.mark.parametrize("case", SECRET_CASES)
def test_an_item_secret_comes_from_where_the_person_said(
    emulator: Emulator, tls: TestTLS, case: SecretCase
) -> None:
    """(1) The ways an account password may be given, and their refusals."""
    result = cli(emulator, tls, *case.args, env=case.env, input=case.input)
    if case.code:
        assert_clean_exit(result, case.code, *case.names)
        assert emulator.store.account(SITE_ID, "fresh") is None
        return
    assert result.exit_code == 0, result.output
    account = emulator.store.account(SITE_ID, "fresh")
    assert account is not None and account.password == case.stored
    assert case.stored not in result.output


# == (2) decoding sees exactly what the server sent ===================================

SHORT_PASSWORDS = ["x", "1", "e", "s", "ok", "info", "mail", "UTF-8", "status"]
SHORT_PASSWORDS += ["packet", "result"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("password", ["Welcome2024", *SHORT_PASSWORDS])
def test_masking_never_rewrites_what_was_decoded(
    tls: TestTLS, kind: str, password: str
) -> None:
    """(2) A password inside data (or the envelope) must not alter or break answers."""
    emulator = new_emulator(tls, password=password).start()
    try:
        description = f"{password} campaign inbox"
        with connect_to(emulator, tls, kind=kind, protocol="auto") as client:
            created = client.create(
                site_id=SITE_ID,
                mailnames=[
                    plesk_mail.NewMailAccount(name="info", description=description)
                ],
            )
            assert created.ok, created
            [account] = client.get_info(site_id=SITE_ID, names=["info"]).accounts()
        assert account.description == description
        assert account.name == "info"
    finally:
        emulator.stop()


def test_the_cli_prints_data_as_sent_and_hides_secrets_in_errors(tls: TestTLS) -> None:
    """(2) and (8): data whole in --json; the password hidden in error fields."""
    password = "Welcome2024"
    emulator = new_emulator(tls, password=password).start()
    try:
        create = ["create", "--site-id", "1", "--name", "info"]
        made = cli(
            emulator, tls, *create, "--description", f"{password} campaign inbox"
        )
        assert made.exit_code == 0, made.output
        shown = cli(emulator, tls, "--json", "get-info", "--site-id", "1")
        document = json.loads(shown.stdout)
        [result] = document["results"]
        assert result["mailname"]["description"] == f"{password} campaign inbox"
    finally:
        emulator.stop()


# == (8) a secret echoed in any escaped form stays hidden =============================

ECHO_PASSWORD = "P\u00e4ss\"w'rd&<9>"


@pytest.mark.parametrize(
    "echo",
    [
        "&amp;quot;{html}&amp;quot;",  # htmlspecialchars, ENT_QUOTES
        "{refs}",  # every character as a decimal reference
        "{url}",
        "{entities}",  # htmlentities: &auml; and friends
    ],
)
@pytest.mark.parametrize("fmt", ["table", "json", "csv", "jsonl"])
def test_an_escaped_echo_of_the_password_is_hidden(
    tls: TestTLS, echo: str, fmt: str
) -> None:
    """(8) errtext carrying the password HTML-escaped, by reference or URL-encoded."""
    import html
    import urllib.parse

    emulator = new_emulator(tls, password=ECHO_PASSWORD).start()
    try:
        php = html.escape(ECHO_PASSWORD).replace("&#x27;", "&#039;")  # ENT_QUOTES
        text = echo.format(  # then XML-escaped, as the packet carries it
            html=html.escape(php, quote=False),
            refs=html.escape("".join(f"&#{ord(c)};" for c in ECHO_PASSWORD)),
            url=html.escape(urllib.parse.quote(ECHO_PASSWORD, safe="")),
            entities=html.escape(php.replace("\u00e4", "&auml;"), quote=False),
        )
        body = (
            f'<packet version="{LATEST}"><mail><create><result><status>error</status>'
            f"<errcode>1019</errcode><errtext>bad password {text}</errtext>"
            "<mailname><name>info</name></mailname></result></create></mail></packet>"
        ).encode()
        emulator.scripted.append(RawAnswer(body))
        result = cli(
            emulator,
            tls,
            "-vv",
            "--format",
            fmt,
            "create",
            "--site-id",
            "1",
            "--name",
            "info",
        )
        assert result.exit_code == 1, result.output
        assert "bad password" in result.output
        assert_hidden(ECHO_PASSWORD, result.stdout, result.stderr)
    finally:
        emulator.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_escaped_echoes_are_hidden_in_exceptions_and_logs(
    tls: TestTLS, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """(8) ItemErrors, repr and the TRACE log hide every escaped form; data stays whole."""
    import html

    emulator = new_emulator(tls, password=ECHO_PASSWORD).start()
    caplog.set_level(TRACE, logger="plesk_mail")
    try:
        echoed = html.escape(html.escape(ECHO_PASSWORD)).replace(
            "&amp;#x27;", "&amp;#039;"
        )
        body = (
            f'<packet version="{LATEST}"><mail><enable><result><status>error</status>'
            f"<errcode>1013</errcode><errtext>no site for {echoed}</errtext>"
            "</result></enable></mail></packet>"
        ).encode()
        emulator.scripted.append(RawAnswer(body))
        with connect_to(emulator, tls, kind=kind) as client:
            results = client.enable(site_id=SITE_ID)
        assert results[0].errtext == f"no site for {html.unescape(echoed)}"
        with pytest.raises(plesk_mail.ItemErrors) as caught:
            results.raise_for_errors()
        assert_hidden(ECHO_PASSWORD, repr(results), str(caught.value), caplog.text)
    finally:
        emulator.stop()


# == (3), (4), (5): file rows keep what they say, or are refused ======================


@dataclass
class RowCase:
    name: str
    data: str
    rows: dict[int, str] = field(default_factory=dict)
    """Row number -> what its error line must say."""
    created: list[str] = field(default_factory=list)
    command: str = "create"


ROW_CASES = [
    pytest.param(
        RowCase(
            "rows.jsonl",
            '{"name": true}\n{"name": "ok1"}\n{"name": 7}\n{"name": ["a", "b"]}\n',
            {1: "name: expected a string, got true", 3: "got a number", 4: "one value"},
            ["ok1"],
        ),
        id="jsonl-types-kept",  # (3) true became "True"; [a, b] became "a"
    ),
    pytest.param(
        RowCase(
            "quota.jsonl",
            '{"name": "q1", "mailbox-enabled": true, "mailbox-quota": NaN}\n'
            '{"name": "q2", "mailbox-enabled": true, "mailbox-quota": 1e400}\n'
            '{"name": "q3", "mailbox-enabled": true, "mailbox-quota": 12345678901234567890.5}\n'
            '{"name": "q4", "mailbox-enabled": true, "mailbox-quota": 1048576}\n',
            {1: "NaN is not a number", 2: "got a number", 3: "got a number"},
            ["q4"],
        ),
        id="jsonl-numbers-in-range",  # (3) nan, inf and a rounded float were sent
    ),
    pytest.param(
        RowCase(
            "aliases.csv",
            "name,alias\nal1,a;;b;\nal2,a;b\n",
            {2: "empty item"},
            ["al2"],
        ),
        id="csv-empty-list-item",  # (4) sent as <alias/>
    ),
    pytest.param(
        RowCase(
            "remove.csv",
            "name\n   \nkeep-gone\n",
            {2: "missing name"},
            [],
            command="remove",
        ),
        id="csv-blank-name",  # (4) sent as <name/>
    ),
]


@pytest.mark.parametrize("case", ROW_CASES)
def test_file_rows_keep_their_values_or_are_refused(
    emulator: Emulator, tls: TestTLS, tmp_path: Path, case: RowCase
) -> None:
    """(3), (4): no row value is converted into something else on its way out."""
    if case.command == "remove":
        emulator.store.add_account(SITE_ID, Account(name="keep-gone"))
    path = tmp_path / case.name
    path.write_text(case.data, encoding="utf-8")
    result = cli(
        emulator, tls, case.command, "--site-id", "1", "--from-file", str(path)
    )
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    found = row_errors(result)
    assert set(found) == set(case.rows), found
    for number, words in case.rows.items():
        assert words in found[number], found[number]
    names = sorted(emulator.store.accounts(SITE_ID))
    if case.command == "remove":
        assert names == []  # the good row ran, and only it
    else:
        assert names == sorted(case.created)


@pytest.mark.parametrize(
    ("args", "data", "names"),
    [
        pytest.param(
            ["--mailbox-enabled", "--alias", "zz"],
            "name\na1\n",
            ["--mailbox-enabled", "--alias", "cannot be combined with --from-file"],
            id="item-options-with-a-file",  # (5) dropped silently
        ),
        pytest.param(
            [],
            'name,description\na1,"never closed\na2,x\na3,y\n',
            ["quote opened after line 1", "never closed"],
            id="unterminated-quote",  # (5) swallowed the rest of the file
        ),
        pytest.param(
            [],
            "name,colour\na1,red\n",
            ["unknown column(s) colour"],
            id="unknown-column-stops-the-file",  # small: once per row before
        ),
    ],
)
def test_a_file_that_cannot_mean_what_it_says_stops_before_sending(
    emulator: Emulator,
    tls: TestTLS,
    tmp_path: Path,
    args: list[str],
    data: str,
    names: list[str],
) -> None:
    """(5) Whole-file problems: one line, exit 2, nothing sent."""
    path = tmp_path / "rows.csv"
    path.write_text(data, encoding="utf-8")
    before = len(emulator.exchanges)
    result = cli(
        emulator, tls, "create", "--site-id", "1", *args, "--from-file", str(path)
    )
    assert_clean_exit(result, 2, *names)
    assert len(emulator.exchanges) == before


def test_rows_from_a_pipe_are_read(emulator: Emulator, tls: TestTLS) -> None:
    """small: /dev/stdin (or <(...)) was read to its end by a pre-scan: "has no rows"."""
    if not Path("/dev/stdin").exists():
        pytest.skip("no /dev/stdin")
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"name\nps1\n")
    os.close(write_fd)
    try:
        result = cli(
            emulator,
            tls,
            "create",
            "--site-id",
            "1",
            "--from-file",
            f"/dev/fd/{read_fd}",
        )
    finally:
        os.close(read_fd)
    assert result.exit_code == 0, result.output
    assert list(emulator.store.accounts(SITE_ID)) == ["ps1"]


# == (6), (7): contradictions and impossible values are refused, never replaced =====


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        pytest.param(
            ["--secret-key", "k-1"],
            {"PLESK_PASSWORD": "pw-1"},
            ["--secret-key", "PLESK_PASSWORD (from the environment)", "contradict"],
            id="secret-key-and-password",
        ),
        pytest.param(
            ["--insecure"],
            {},
            ["--insecure", "PLESK_CA_FILE", "contradict"],
            id="insecure-and-ca-file",
        ),
        pytest.param(
            ["--host", "127.0.0.1:8441"],
            {"PLESK_PORT": "8443"},
            ["names port 8441", "PLESK_PORT (from the environment) says 8443"],
            id="port-from-the-environment",  # small: did not say where 8443 came from
        ),
    ],
)
def test_contradicting_options_are_refused(
    emulator: Emulator,
    tls: TestTLS,
    args: list[str],
    env: dict[str, str],
    names: list[str],
) -> None:
    """(6) One of two contradicting values was picked without a word."""
    result = cli(emulator, tls, *args, "enable", "--site-id", "1", env=env)
    assert_clean_exit(result, 2, *names)
    assert not emulator.exchanges


CONFIG_CASES = [
    pytest.param({"port": 0}, "port must be 1 to 65535", id="port-0"),  # became 8443
    pytest.param({"port": 70000}, "port must be 1 to 65535", id="port-70000"),  # 4464
    pytest.param({"timeout": 0}, "timeout must be more than 0", id="timeout-0"),  # 30 s
    pytest.param({"timeout": 1e9}, "at most 86400", id="timeout-huge"),
    pytest.param({"login": ""}, "login is empty", id="login-empty"),  # became admin
    pytest.param(
        {"insecure": True}, "insecure = true and ca_file contradict", id="insecure-ca"
    ),
    pytest.param({"ca_file": "/tmp/a\0b.pem"}, "ca_file", id="ca-file-nul"),  # (17)
    pytest.param({"host": "bad host/x"}, "not a host name", id="host-not-a-name"),
]


@pytest.mark.parametrize(("change", "names"), CONFIG_CASES)
def test_a_config_value_is_checked_like_an_option(
    tls: TestTLS, tmp_path: Path, change: dict[str, Any], names: str
) -> None:
    """(6), (7), (17): replaced silently, or a traceback; now that entry alone fails."""
    entry = {"host": "127.0.0.1:8443", "ca_file": str(tls.ca_file), "password_env": "X"}
    config = write_config(
        tmp_path / "c.toml",
        {"bad": {**entry, **change}, "good": entry},
    )
    loaded = load(config)
    assert loaded.server("good").host == "127.0.0.1:8443"
    with pytest.raises(plesk_mail.ConfigurationError) as caught:
        loaded.server("bad")
    assert_clean_exception(
        caught.value, plesk_mail.ConfigurationError, "servers.bad", names
    )


@pytest.mark.parametrize(
    "name", ["all", "a,b", "with space"], ids=["all", "comma", "space"]
)
def test_a_server_name_that_a_selection_cannot_name_is_refused(
    tls: TestTLS, tmp_path: Path, name: str
) -> None:
    """small: a server called 'all' was shadowed by --servers all."""
    config = write_config(tmp_path / "c.toml", {f'"{name}"': {"host": "h"}})
    with pytest.raises(plesk_mail.ConfigurationError, match="a server name is"):
        load(config).server(name)


@pytest.mark.parametrize("port", [0, 65536, 70000, -1, True])
def test_connect_refuses_a_port_that_is_no_port(port: Any) -> None:
    """(7) connect(port=70000) reached port 4464 and sent the password there."""
    with pytest.raises(plesk_mail.ConfigurationError) as caught:
        plesk_mail.connect("127.0.0.1", port=port, password="pw", protocol=LATEST)
    assert_clean_exception(caught.value, plesk_mail.ConfigurationError, "not a port")


def test_a_config_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    """(17) --config naming a FIFO blocked forever."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    result = CliRunner().invoke(
        main, ["--config", str(fifo), "servers"], env={"PLESK_HOST": ""}
    )
    assert_clean_exit(result, 2, "not a regular file")


# == (9), (14), (15), (17): fleets isolate what goes wrong ============================


@pytest.fixture
def two(tls: TestTLS) -> Iterator[list[Emulator]]:
    servers = [new_emulator(tls).start() for _ in range(2)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def fleet_config(
    path: Path,
    servers: list[Emulator],
    tls: TestTLS,
    protocol: str = "auto",
    **extra: dict[str, Any],
) -> Path:
    entries: dict[str, dict[str, Any]] = {
        f"ok{i}": {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            "password_env": "FLEET_PW",
            "protocol": protocol,
        }
        for i, server in enumerate(servers)
    }
    entries.update(extra)
    return write_config(path, entries)


def fleet_cli(config: Path, password: str, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        ["--config", str(config), *args],
        env={"FLEET_PW": password, "PLESK_HOST": "", "PLESK_PASSWORD": ""},
    )


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            {"host": "127.0.0.1", "port": 70000}, id="port-70000"
        ),  # traceback
        pytest.param({"host": "127.0.0.1", "ca_file": "a\0b"}, id="ca-file-nul"),
        pytest.param({"host": "127.0.0.1", "colour": "red"}, id="unknown-key"),
    ],
)
def test_one_bad_entry_is_that_servers_error_only(
    two: list[Emulator], tls: TestTLS, tmp_path: Path, bad: dict[str, Any]
) -> None:
    """(14), (17): one entry ended the fleet in an ExceptionGroup; the others had applied."""
    config = fleet_config(tmp_path / "c.toml", two, tls, bad=bad)
    result = fleet_cli(
        config,
        two[0].password,
        "--servers",
        "all",
        "create",
        "--site-id",
        "1",
        "--name",
        "n",
    )
    assert_no_traceback(result)
    assert result.exit_code == 5, result.output
    assert [
        line
        for line in result.stderr.splitlines()
        if line.startswith("plesk-mail: bad:")
    ]
    for server in two:
        assert list(server.store.accounts(SITE_ID)) == ["n"]
    assert "ok0" in result.stdout and "ok1" in result.stdout
    check = fleet_cli(config, two[0].password, "servers", "check")
    assert_no_traceback(check)
    assert check.exit_code == 5 and "ok0" in check.stdout and "bad" in check.stdout


def test_a_slow_credential_command_holds_up_no_other_server(
    two: list[Emulator], tls: TestTLS, tmp_path: Path
) -> None:
    """(15) a command of 8 s ran in the event loop: healthy servers missed their deadline."""
    slow = {
        "host": f"127.0.0.1:{two[0].port}",
        "ca_file": str(tls.ca_file),
        "password_command": f"sh -c 'sleep 3; echo {two[0].password}'",
        "timeout": 2,
    }
    config = fleet_config(tmp_path / "c.toml", two, tls, slow=slow)
    started = time.monotonic()
    result = fleet_cli(
        config,
        two[0].password,
        "--timeout",
        "1.5",
        "--json",
        "--servers",
        "all",
        "get-info",
        "--site-id",
        "1",
    )
    document = json.loads(result.stdout)
    servers = document["servers"]
    assert servers["ok0"]["error"] is None and servers["ok0"]["seconds"] < 1.5
    assert servers["ok1"]["error"] is None and servers["ok1"]["seconds"] < 1.5
    assert servers["slow"]["error"] is None  # its own deadline began after the command
    assert time.monotonic() - started < 6


def test_servers_shows_no_command_line(tls: TestTLS, tmp_path: Path) -> None:
    """(9) `plesk-mail servers` printed each password_command, tokens included."""
    config = write_config(
        tmp_path / "c.toml",
        {"w": {"host": "h", "password_command": "vault read -token=s3cr3t-T0k3n x"}},
    )
    result = CliRunner().invoke(
        main, ["--config", str(config), "servers"], env={"PLESK_HOST": ""}
    )
    assert result.exit_code == 0, result.output
    assert "s3cr3t-T0k3n" not in result.output and "vault" in result.output


# == (10), (11), (13): a write that may have been applied is never "nothing" ========


def test_a_deadline_after_the_write_says_it_may_have_been_applied(
    tls: TestTLS,
) -> None:
    """(10) exit 3 "before anything was applied" while the account existed."""
    emulator = new_emulator(tls, latency=1.0).start()
    try:
        result = cli(
            emulator,
            tls,
            "--timeout",
            "0.4",
            "create",
            "--site-id",
            "1",
            "--name",
            "t1",
        )
        assert_clean_exit(result, 4, "deadline", f"the create was sent and {MAYBE}")
        assert list(emulator.store.accounts(SITE_ID)) == ["t1"]
        again = cli(
            emulator, tls, "create", "--site-id", "1", "--name", "t1", "--skip-existing"
        )
        assert again.exit_code == 0, again.output  # (13) the resume ends quietly
        assert "exists" in again.stdout
    finally:
        emulator.stop()


def test_a_fleet_deadline_after_the_write_says_so_per_server(
    tls: TestTLS, tmp_path: Path
) -> None:
    """(10) with --servers: three servers said "error" and three had applied it."""
    servers = [new_emulator(tls, latency=1.0).start() for _ in range(3)]
    try:
        # the protocol is pinned: a negotiation would meet the deadline first
        config = fleet_config(tmp_path / "c.toml", servers, tls, protocol=LATEST)
        args = ["--timeout", "0.4", "--servers", "all", "create", "--site-id", "1"]
        result = fleet_cli(config, servers[0].password, *args, "--name", "t1")
        assert_no_traceback(result)
        assert result.exit_code == 4, result.output
        lines = [line for line in result.stderr.splitlines() if MAYBE in line]
        assert len(lines) == 3, result.stderr
        for server in servers:
            assert list(server.store.accounts(SITE_ID)) == ["t1"]
        resume = fleet_cli(
            config,
            servers[0].password,
            "--servers",
            "all",
            "create",
            "--site-id",
            "1",
            "--name",
            "t1",
            "--skip-existing",
        )
        assert resume.exit_code == 0, resume.output
    finally:
        for server in servers:
            server.stop()


def test_a_refused_connection_says_nothing_was_applied(
    emulator: Emulator, tls: TestTLS
) -> None:
    """(10) the other side of the line: a create that never left is exit 3."""
    emulator.hang_up(5)
    result = cli(emulator, tls, "create", "--site-id", "1", "--name", "t1")
    assert_clean_exit(result, 3, "the create was not applied")
    assert not emulator.store.accounts(SITE_ID)


# == (16) and small: the clients themselves ==========================================


@pytest.mark.parametrize("kind", KINDS)
def test_an_own_http_client_keeps_the_deadline_on_trickled_headers(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """(16) the sync client with http_client= hung for 40 s on a trickling server."""
    emulator.scripted.append(
        RawAnswer(b"<packet/>" * 20, trickle=0.2, trickle_headers=True)
    )
    trust = ssl.create_default_context(cafile=str(tls.ca_file))
    if kind == "sync":
        own: Any = httpx.Client(verify=trust, timeout=30)
    else:
        own = httpx.AsyncClient(verify=trust, timeout=30)
    started = time.monotonic()
    with (
        connect_to(
            emulator, tls, kind=kind, timeout=1.0, http_client=own, retry=None
        ) as client,
        pytest.raises(plesk_mail.DeadlineExceededError),
    ):
        client.get_prefs(site_ids=[SITE_ID])
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_call_after_close_is_refused_before_sending(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """small: a plain RuntimeError whose progress claimed item 0 in flight."""
    client = connect_to(emulator, tls, kind=kind)
    client.close()
    before = len(emulator.exchanges)
    with pytest.raises(plesk_mail.ClientClosedError) as caught:
        client.create(site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="a")])
    assert_clean_exception(caught.value, plesk_mail.ClientClosedError, "closed")
    assert caught.value.progress == []
    assert len(emulator.exchanges) == before


def test_a_decoded_system_error_encodes_back() -> None:
    """small: encode_response(SystemResult) raised a bare AttributeError."""
    from plesk_mail.codec import decode_response, encode_response

    data = (
        b'<packet version="1.6.9.1"><system><status>error</status>'
        b"<errcode>1014</errcode><errtext>Parser error</errtext></system></packet>"
    )
    decoded = decode_response(data)
    assert isinstance(decoded, SystemResult)
    assert decode_response(encode_response(decoded, "1.6.9.1")) == decoded
    from plesk_mail import v1_6_6_0

    pinned = v1_6_6_0.encode_response(decoded)
    assert b'version="1.6.6.0"' in pinned and b"<errcode>1014</errcode>" in pinned


def test_error_code_names_every_documented_code() -> None:
    """small: 14 of Plesk's 32 documented codes had no name."""
    documented = {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011}
    documented |= {1012, 1013, 1014, 1015, 1017, 1018, 1019, 1023, 1024, 1025, 1026}
    documented |= {1027, 1029, 1030, 1031, 1032, 1033, 1050, 11003, 14008, 14009}
    assert {int(code) for code in plesk_mail.ErrorCode} == documented


def test_a_second_emulator_keeps_the_first_ones_ca(tmp_path: Path) -> None:
    """small: a second emulator from the same checkout overwrote the first one's CA."""
    from tests.emulator.tls import make_tls

    first = make_tls(tmp_path)
    before = first.ca_file.read_bytes()
    second = make_tls(tmp_path)
    assert second.ca_file.read_bytes() == before
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


def test_the_tls_advice_names_no_python_argument(tls: TestTLS, tmp_path: Path) -> None:
    """small: the CLI told people to pass verify='/path/ca.pem'."""
    emulator = new_emulator(tls).start()
    try:
        other = make_untrusted(tmp_path)
        result = cli(
            emulator, tls, "enable", "--site-id", "1", env={"PLESK_CA_FILE": str(other)}
        )
        line = assert_clean_exit(result, 3, "TLS verification failed")
        assert "verify=" not in line
    finally:
        emulator.stop()


def make_untrusted(folder: Path) -> Path:
    import trustme

    path = folder / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def test_a_log_of_a_short_password_shows_no_trace_of_it(
    tls: TestTLS, caplog: pytest.LogCaptureFixture
) -> None:
    """(2) and (8): a one-character password hides the whole line rather than parts."""
    emulator = new_emulator(tls, password="e").start()
    caplog.set_level(TRACE, logger="plesk_mail")
    try:
        with connect_to(emulator, tls) as client:
            client.get_prefs(site_ids=[SITE_ID])
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) >= 3 and all("e" not in m for m in messages), messages
    finally:
        emulator.stop()


def test_a_dated_item_round_trips(emulator: Emulator, tls: TestTLS) -> None:
    """(3) JSON-lines dates are strings: a number is refused, a string is kept."""
    path_ok = {
        "name": "d1",
        "autoresponder-enabled": True,
        "autoresponder-end-date": "2027-01-31",
    }
    lines = (
        json.dumps(path_ok)
        + "\n"
        + json.dumps({**path_ok, "name": "d2", "autoresponder-end-date": 20270131})
        + "\n"
    )
    result = CliRunner().invoke(
        main,
        ["create", "--site-id", "1", "--from-file", "-", "--file-format", "jsonl"],
        env=cli_env(emulator, tls),
        input=lines,
    )
    assert result.exit_code == 1, result.output
    assert "expected a string" in row_errors(result)[2]
    account = emulator.store.account(SITE_ID, "d1")
    assert account is not None and account.autoresponder is not None
    assert account.autoresponder.end_date == datetime.date(2027, 1, 31).isoformat()


# == found by the adversarial review of issue 23 ======================================


def test_a_huge_number_in_a_json_line_is_a_row_error(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    """review 2: an integer of 5,000 digits was a traceback after writes."""
    rows = tmp_path / "big.jsonl"
    big = "1" * 5000
    rows.write_text(
        '{"name": "ok1"}\n'
        f'{{"name": "big", "mailbox-enabled": true, "mailbox-quota": {big}}}\n'
    )
    result = cli(emulator, tls, "create", "--site-id", "1", "--from-file", str(rows))
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    assert set(row_errors(result)) == {2}
    assert list(emulator.store.accounts(SITE_ID)) == ["ok1"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_huge_number_from_the_server_is_a_response_error(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """review 3: the codec's fast path gave int() 5,000 digits: a traceback."""
    body = (
        f'<packet version="{LATEST}"><mail><create><result><status>ok</status>'
        f"<mailname><id>{'1' * 5000}</id><name>n1</name></mailname></result>"
        "</create></mail></packet>"
    ).encode()
    emulator.scripted.append(RawAnswer(body))
    with (
        connect_to(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        client.create(site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="n1")])
    assert_clean_exception(
        caught.value, plesk_mail.ResponseError, "not a valid integer"
    )


def test_a_fleet_value_refused_before_sending_is_not_applied(
    two: list[Emulator], tls: TestTLS, tmp_path: Path
) -> None:
    """review 4: a value refused locally was "may have been applied", exit 4."""
    config = fleet_config(tmp_path / "c.toml", two, tls, protocol=LATEST)
    result = fleet_cli(
        config,
        two[0].password,
        "--servers",
        "all",
        "create",
        "--site-id",
        "0",
        "--name",
        "v",
    )
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert MAYBE not in result.stderr and "was not applied there" in result.stderr
    assert "--site-id: must be at least 1" in result.stderr
    assert all(not server.exchanges for server in two)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "jsonl"])
def test_an_echoed_account_password_is_hidden_in_error_fields(
    emulator: Emulator, tls: TestTLS, fmt: str
) -> None:
    """review 5: an account password the server echoed showed in every format."""
    body = (
        f'<packet version="{LATEST}"><mail><create><result><status>error</status>'
        "<errcode>1019</errcode><errtext>password AcctSecret99 rejected</errtext>"
        "<mailname><name>info</name></mailname></result></create></mail></packet>"
    ).encode()
    emulator.scripted.append(RawAnswer(body))
    args = ["--format", fmt, "create", "--site-id", "1", "--name", "info"]
    result = cli(emulator, tls, *args, "--account-password", "AcctSecret99")
    assert result.exit_code == 1, result.output
    assert "rejected" in result.stdout
    assert_hidden("AcctSecret99", result.stdout, result.stderr)


@pytest.mark.parametrize("kind", KINDS)
def test_an_echoed_account_password_is_hidden_in_results_and_errors(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """review 5: the repr and ItemErrors of the results showed it too."""
    body = (
        f'<packet version="{LATEST}"><mail><create><result><status>error</status>'
        "<errcode>1019</errcode><errtext>password AcctSecret99 rejected</errtext>"
        "<mailname><name>info</name></mailname></result></create></mail></packet>"
    ).encode()
    emulator.scripted.append(RawAnswer(body))
    account = plesk_mail.NewMailAccount(
        name="info", password=plesk_mail.Password(value="AcctSecret99")
    )
    with connect_to(emulator, tls, kind=kind) as client:
        results = client.create(site_id=SITE_ID, mailnames=[account])
    assert results[0].errtext == "password AcctSecret99 rejected"  # the data: exact
    with pytest.raises(plesk_mail.ItemErrors) as caught:
        results.raise_for_errors()
    assert_hidden("AcctSecret99", repr(results), str(caught.value))


@pytest.mark.parametrize("kind", KINDS)
def test_a_password_listed_as_a_protocol_is_hidden(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """review 6: get_protos listing the password showed it in the error."""
    body = (
        "<packet><server><get_protos><result><status>ok</status><protos>"
        f"<proto>{emulator.password}</proto><proto>9.9</proto></protos>"
        "</result></get_protos></server></packet>"
    ).encode()
    emulator.scripted.append(RawAnswer(body))
    with pytest.raises(plesk_mail.ProtocolVersionError) as caught:
        connect_to(emulator, tls, kind=kind, protocol="auto")
    assert "no common protocol version" in str(caught.value)
    assert_hidden(emulator.password, str(caught.value))


@pytest.mark.parametrize("kind", KINDS)
def test_a_password_named_as_a_result_is_hidden(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """review 7: the results-do-not-match error quoted the name the server gave."""
    body = (
        f'<packet version="{LATEST}"><mail><create><result><status>ok</status>'
        f"<mailname><id>1</id><name>{emulator.password}</name></mailname></result>"
        "</create></mail></packet>"
    ).encode()
    emulator.scripted.append(RawAnswer(body))
    with (
        connect_to(emulator, tls, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        client.create(site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="n1")])
    assert "do not match" in str(caught.value)
    assert_hidden(emulator.password, str(caught.value))


@pytest.mark.parametrize("status", [500, 200])
def test_an_excerpt_never_shows_the_start_of_a_secret_it_cuts(
    emulator: Emulator, tls: TestTLS, status: int
) -> None:
    """review 8: 4,086 spaces and then the password showed 10 of its 12 characters."""
    body = b" " * 4086 + emulator.password.encode() + b" and more"
    emulator.scripted.append(RawAnswer(body, status, content_type="text/plain"))
    with (
        connect_to(emulator, tls) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        client.get_prefs(site_ids=[SITE_ID])
    shown = str(caught.value) + caught.value.excerpt
    for length in range(3, len(emulator.password) + 1):
        assert emulator.password[:length] not in shown, shown


@pytest.mark.parametrize("kind", KINDS)
def test_a_ca_file_that_is_a_fifo_is_refused(
    emulator: Emulator, tls: TestTLS, tmp_path: Path, kind: str
) -> None:
    """review 9: the TLS setup blocked reading a FIFO, past every deadline."""
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    result = cli(
        emulator, tls, "enable", "--site-id", "1", env={"PLESK_CA_FILE": str(fifo)}
    )
    assert_clean_exit(result, 2, "PLESK_CA_FILE", "is not a regular file")
    with pytest.raises(plesk_mail.TLSError, match="not a regular file"):
        connect_to(emulator, tls, kind=kind, verify=str(fifo))


def test_text_cells_are_sent_as_written(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    """review 11: a password cell lost its spaces on the way out."""
    rows = tmp_path / "sp.csv"
    rows.write_text(
        'name,account-password,description\nsp1,  lead and trail  ,"  padded  "\n'
    )
    result = cli(emulator, tls, "create", "--site-id", "1", "--from-file", str(rows))
    assert result.exit_code == 0, result.output
    account = emulator.store.account(SITE_ID, "sp1")
    assert account is not None
    assert (
        account.password == "  lead and trail  " and account.description == "  padded  "
    )


@pytest.mark.parametrize(
    "command",
    ["vault-read --token=hvs.TOPSECRET x", "VAULT_TOKEN=hvs.TOPSECRET vault read x"],
)
def test_a_credential_command_is_never_shown_whole(
    tmp_path: Path, command: str
) -> None:
    """review 12: a failing command's error, and the listing, showed its token."""
    config = write_config(
        tmp_path / "c.toml", {"w": {"host": "127.0.0.1:1", "password_command": command}}
    )
    for args in (
        ["servers"],
        ["servers", "check"],
        ["--server", "w", "enable", "--site-id", "1"],
    ):
        result = CliRunner().invoke(
            main, ["--config", str(config), *args], env={"PLESK_HOST": ""}
        )
        assert_no_traceback(result)
        assert "TOPSECRET" not in result.output, (args, result.output)


def test_ctrl_c_at_a_prompt_says_nothing_was_sent(
    emulator: Emulator, tls: TestTLS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review 15: click's "Aborted!" and exit 1 at an interrupted prompt."""
    import click
    from plesk_mail.runtime.cli import connection

    def interrupted(settings: Any) -> str:  # what click.prompt does on Ctrl-C
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.exceptions.Abort() from None

    monkeypatch.setattr(connection, "password_of", interrupted)
    result = cli(emulator, tls, "enable", "--site-id", "1", env={"PLESK_PASSWORD": ""})
    assert_clean_exit(result, 130, "interrupted; nothing was sent")
    assert not emulator.exchanges
