"""Every guard from both sides: the case just inside the line and the one just outside.

Each refusal the runtime or the generator makes has a table here with its
neighbours: the config file readable by its owner only (0600, 0400) against
readable or writable by the group or by everyone; a ``--servers`` entry that
names a secret against one that names none, with a ``PLESK_PASSWORD`` that
must never stray to it; a fleet where no server, exactly one, two and all
fail; schema includes in their folder against ``../``, absolute paths,
subfolders and symlinks out of it; TLS verification by default, off and by a
CA file; destructive calls with and without names, sites or the flag; a value
of the version that introduced it against the version before. So a guard
loosened (or tightened) by one step fails a test.

Every refusal is checked with the bad-input corpus's properties
(``tests/support/corpus.py``) and counted in ``test_bad_input_corpus.py``.
Retry safety has its own table: ``tests/test_retries.py``.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner
from plesk_mail.cli import main
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.schemalock import LockedOperator, LockedVersion, include_closure

from tests.emulator.fixtures import PINNED, SITE_ID, cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS, Blocking
from tests.support.corpus import assert_clean_exception, assert_clean_exit

M = plesk_mail
LATEST = plesk_mail.LATEST_PROTOCOL


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# == config file permissions ==========================================================

SECRET_IN_FILE = "Secret-In-File-7"


def config_text(where: str) -> str:
    """A config with one server; its password in the entry, in [defaults] or in
    the environment (``env``: nothing secret in the file)."""
    secret = f'password = "{SECRET_IN_FILE}"\n'
    defaults = "[defaults]\n" + (secret if where == "defaults" else "")
    entry = '[servers.web]\nhost = "127.0.0.1"\nprotocol = "1.6.9.1"\n'
    entry += secret if where == "entry" else 'password_env = "GUARD_PW"\n'
    return defaults + entry


# (mode, where the secret is, whether the file is accepted)
PERMISSIONS = [
    *[(mode, "entry", True) for mode in (0o600, 0o400, 0o700, 0o500)],
    *[
        (mode, "entry", False)
        for mode in (0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o660, 0o644, 0o444)
    ],
    (0o600, "defaults", True),
    (0o640, "defaults", False),
    (0o604, "defaults", False),
    *[(mode, "env", True) for mode in (0o644, 0o666, 0o604)],
]


@pytest.mark.parametrize(
    ("mode", "where", "accepted"),
    PERMISSIONS,
    ids=[f"{m:04o}-{w}-{'ok' if a else 'refused'}" for m, w, a in PERMISSIONS],
)
def test_a_file_holding_a_secret_is_for_its_owner_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: int,
    where: str,
    accepted: bool,
) -> None:
    """Catches the permission check loosened to "world-readable" only, or tightened to refuse an owner-only file (or a file with no secret in it)."""
    path = tmp_path / "config.toml"
    path.write_text(config_text(where), encoding="utf-8")
    path.chmod(mode)
    monkeypatch.setenv("GUARD_PW", "from-the-environment")
    try:
        if accepted:
            with plesk_mail.connect(server="web", config=path) as client:
                assert client.protocol_version == "1.6.9.1"
            return
        with pytest.raises(plesk_mail.ConfigurationError) as caught:
            plesk_mail.connect(server="web", config=path)
    finally:
        path.chmod(0o600)
    message = assert_clean_exception(
        caught.value,
        plesk_mail.ConfigurationError,
        str(path),
        "others can read it",
        f"mode {mode:04o}",
        "chmod 600",
    )
    assert SECRET_IN_FILE not in message


# == secrets stay with their server ====================================================


@pytest.fixture
def pair(tls: TestTLS) -> Iterator[list[Emulator]]:
    servers = [new_emulator(tls).start() for _ in range(2)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def write_config(path: Path, entries: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for name, entry in entries.items():
        lines.append(f"[servers.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)
    return path


def entry(server: Emulator, tls: TestTLS, **extra: Any) -> dict[str, Any]:
    return {
        "host": f"127.0.0.1:{server.port}",
        "ca_file": str(tls.ca_file),
        "protocol": LATEST,
        **extra,
    }


EXPORTED = "exported-for-another-server"


def sent_passwords(server: Emulator) -> set[str]:
    return {
        headers.get("HTTP_AUTH_PASSWD", "")
        for headers in (e.headers for e in server.exchanges)
    }


@dataclass
class Isolation:
    """Who may use ``PLESK_PASSWORD``: the plain connection, never a named server."""

    selection: list[str]
    code: int
    names: list[str] = field(default_factory=list)
    """What the one error line says (a refusal), or a server's line on stderr."""
    reached: tuple[bool, bool] = (True, True)
    """Whether the server with a secret and the one without got a request."""


ISOLATION = [
    pytest.param(
        Isolation(["--server", "named"], 0, reached=(True, False)),
        id="server-with-secret",
    ),
    pytest.param(
        Isolation(
            ["--server", "bare"],
            2,
            ["no password for server 'bare'", "give its config entry"],
            reached=(False, False),
        ),
        id="server-without-secret",
    ),
    pytest.param(
        Isolation(["--servers", "named"], 0, reached=(True, False)),
        id="servers-one-with-secret",
    ),
    pytest.param(
        Isolation(
            ["--servers", "named,bare"],
            5,
            ["bare:", "password"],
            reached=(True, False),
        ),
        id="servers-one-without-secret",
    ),
    pytest.param(
        Isolation(
            ["--servers", "bare"], 3, ["bare:", "password"], reached=(False, False)
        ),
        id="servers-only-without-secret",
    ),
]


@pytest.mark.parametrize("case", ISOLATION)
def test_an_exported_password_never_reaches_a_named_server(
    pair: list[Emulator], tls: TestTLS, tmp_path: Path, case: Isolation
) -> None:
    """Catches PLESK_PASSWORD (and PLESK_HOST/PORT/LOGIN) used for a named server that names no secret of its own, with --server or --servers."""
    named, bare = pair
    bare.password = EXPORTED  # it would even accept the exported one
    config = write_config(
        tmp_path / "c.toml",
        {
            "named": entry(named, tls, password_env="NAMED_PW"),
            "bare": entry(bare, tls),
        },
    )
    env = {
        **cli_env(bare, tls),  # PLESK_HOST/PORT point at the bare server too
        "PLESK_PASSWORD": EXPORTED,
        "PLESK_LOGIN": "someone",
        "NAMED_PW": named.password,
    }
    result = CliRunner().invoke(
        main,
        ["--config", str(config), *case.selection, "enable", "--site-id", "1"],
        env=env,
    )
    if case.code == 2:
        assert_clean_exit(result, 2, *case.names)
    else:
        assert result.exit_code == case.code, result.output
        assert "Traceback" not in result.output
        for name in case.names:
            assert name in result.stderr
    assert (bool(named.exchanges), bool(bare.exchanges)) == case.reached
    assert EXPORTED not in sent_passwords(named) | sent_passwords(bare)
    assert all(e.headers.get("HTTP_AUTH_LOGIN") == "admin" for e in named.exchanges)


def test_without_a_named_server_the_exported_password_is_the_one_used(
    pair: list[Emulator], tls: TestTLS
) -> None:
    """Catches PLESK_* ignored for the plain connection too (the other side of the line)."""
    server = pair[0]
    result = CliRunner().invoke(
        main, ["enable", "--site-id", "1"], env=cli_env(server, tls)
    )
    assert result.exit_code == 0, result.output
    assert sent_passwords(server) == {server.password}


# == a fleet's exit code ===============================================================


@pytest.fixture
def trio(tls: TestTLS) -> Iterator[list[Emulator]]:
    servers = [new_emulator(tls).start() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize(
    ("failing", "code"),
    [(0, 0), (1, 5), (2, 5), (3, 3)],
    ids=["none-fails", "exactly-one-fails", "two-fail", "all-fail"],
)
@pytest.mark.parametrize("command", ["enable", "get-info"])
def test_a_fleets_exit_code_counts_failed_servers(
    trio: list[Emulator],
    tls: TestTLS,
    tmp_path: Path,
    failing: int,
    code: int,
    command: str,
) -> None:
    """Catches "some servers failed" (5) given for none or for all of them (3), or "every server failed" given while one still answered."""
    for server in trio[:failing]:
        server.password = "not-the-one-in-the-config"
    config = write_config(
        tmp_path / "c.toml",
        {f"s{i}": entry(s, tls, password_env="FLEET_PW") for i, s in enumerate(trio)},
    )
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "--servers", "s0,s1,s2", command, "--site-id", "1"],
        env={"FLEET_PW": trio[-1].password if failing < 3 else "x", "PLESK_HOST": ""},
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    failed = [line for line in result.stderr.splitlines() if "1001" in line]
    assert len(failed) == failing, result.stderr


def test_a_fleet_with_a_failed_item_but_no_failed_server_exits_1(
    trio: list[Emulator], tls: TestTLS, tmp_path: Path
) -> None:
    """Catches a failed item read as a failed server: every server answered, one item failed (exit 1, not 5)."""
    trio[1].store.add_account(SITE_ID, Account(name="taken"))
    config = write_config(
        tmp_path / "c.toml",
        {f"s{i}": entry(s, tls, password_env="FLEET_PW") for i, s in enumerate(trio)},
    )
    args = ["--servers", "s0,s1,s2", "create", "--site-id", "1", "--name", "taken"]
    result = CliRunner().invoke(
        main,
        ["--config", str(config), *args],
        env={"FLEET_PW": trio[0].password, "PLESK_HOST": ""},
    )
    assert result.exit_code == 1, result.output


def test_a_fleet_where_one_write_may_have_applied_exits_4(
    trio: list[Emulator], tls: TestTLS, tmp_path: Path
) -> None:
    """Catches a write that may have been applied reported as a plain server failure (exit 4, not 5)."""
    trio[0].scripted.append(RawAnswer(b"", delay=5))
    trio[1].password = "not-the-one-in-the-config"
    config = write_config(
        tmp_path / "c.toml",
        {f"s{i}": entry(s, tls, password_env="FLEET_PW") for i, s in enumerate(trio)},
    )
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "--timeout",
            "1",
            "--servers",
            "s0,s1,s2",
            "enable",
            "--site-id",
            "1",
        ],
        env={"FLEET_PW": trio[2].password, "PLESK_HOST": ""},
    )
    assert result.exit_code == 4, result.output
    assert (
        "s0:" in result.stderr and "may or may not have been applied" in result.stderr
    )
    assert "s1:" in result.stderr and "was not applied" in result.stderr


# == schema includes stay in their version folder ======================================


def schema(*includes: str) -> str:
    lines = "".join(f'<xs:include schemaLocation="{name}"/>' for name in includes)
    return f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{lines}</xs:schema>'


def version_in(folder: Path) -> LockedVersion:
    operator = LockedOperator("mail", ("entry.xsd",), "Request", "Response")
    return LockedVersion("9.9.9.9", (), folder, (operator,), {})


@dataclass
class Include:
    location: str
    arrange: str = ""
    """``outside``: the named file exists beside the folder; ``symlink-out``: the
    name is a link to a file outside; ``symlink-in``: a link to a sibling."""
    accepted: bool = False


INCLUDES = [
    pytest.param(Include("common.xsd", accepted=True), id="sibling-ok"),
    pytest.param(
        Include("link.xsd", "symlink-in", accepted=True), id="symlink-to-sibling-ok"
    ),
    pytest.param(Include("../outside.xsd", "outside"), id="parent-folder"),
    pytest.param(Include("../9.9.9.9/common.xsd"), id="out-and-back-in"),
    pytest.param(Include("{absolute}"), id="absolute-path"),
    pytest.param(Include("sub/common.xsd"), id="subfolder"),
    pytest.param(Include("..\\outside.xsd"), id="backslash"),
    pytest.param(Include("./common.xsd"), id="dot-slash"),
    pytest.param(Include("link.xsd", "symlink-out"), id="symlink-out-of-the-folder"),
]


@pytest.mark.parametrize("case", INCLUDES)
def test_a_schema_include_stays_in_its_version_folder(
    tmp_path: Path, case: Include
) -> None:
    """Catches an include (or a symlink) that reads a file from outside the pinned version folder, and a confinement so strict a sibling is refused."""
    folder = tmp_path / "schemas" / "9.9.9.9"
    folder.mkdir(parents=True)
    (folder / "common.xsd").write_text(schema(), encoding="utf-8")
    outside = tmp_path / "schemas" / "outside.xsd"
    outside.write_text(schema(), encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "common.xsd").write_text(schema(), encoding="utf-8")
    if case.arrange == "symlink-in":
        (folder / "link.xsd").symlink_to("common.xsd")
    if case.arrange == "symlink-out":
        (folder / "link.xsd").symlink_to(outside)
    location = case.location.replace("{absolute}", str(outside))
    (folder / "entry.xsd").write_text(schema(location), encoding="utf-8")
    if case.accepted:
        assert include_closure(version_in(folder)) == sorted(["entry.xsd", location])
        return
    with pytest.raises(GeneratorError) as caught:
        include_closure(version_in(folder))
    assert_clean_exception(caught.value, GeneratorError, "outside its folder")


# == TLS: on by default, off knowingly, or a CA file ===================================


@pytest.mark.parametrize(
    ("verify", "accepted"),
    [
        pytest.param("default", False, id="default-verifies"),
        pytest.param(True, False, id="true-verifies"),
        pytest.param("ca-file", True, id="its-ca-file"),
        pytest.param("other-ca", False, id="another-ca-file"),
        pytest.param(False, True, id="switched-off"),
    ],
)
def test_tls_is_verified_unless_switched_off_or_given_the_ca(
    emulator: Emulator,
    tls: TestTLS,
    tmp_path: Path,
    kind: str,
    verify: Any,
    accepted: bool,
) -> None:
    """Catches verification off by default, or a CA file ignored."""
    import trustme

    options: dict[str, Any] = {
        "port": emulator.port,
        "login": emulator.login,
        "password": emulator.password,
        "protocol": PINNED,
    }
    if verify == "ca-file":
        options["verify"] = str(tls.ca_file)
    elif verify == "other-ca":
        other = tmp_path / "other.pem"
        trustme.CA().cert_pem.write_to_path(str(other))
        options["verify"] = str(other)
    elif verify != "default":
        options["verify"] = verify
    client = (
        plesk_mail.connect("127.0.0.1", **options)
        if kind == "sync"
        else Blocking(plesk_mail.connect_async("127.0.0.1", **options))
    )
    with client:
        if accepted:
            assert client.enable(site_id=SITE_ID).ok
            assert len(emulator.exchanges) == 1
            return
        with pytest.raises(plesk_mail.TLSError) as caught:
            client.enable(site_id=SITE_ID)
    assert_clean_exception(caught.value, plesk_mail.TLSError, "TLS verification failed")
    assert caught.value.sent is False
    assert emulator.exchanges == []


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        pytest.param([], {"PLESK_CA_FILE": ""}, 3, id="default-verifies"),
        pytest.param(["--insecure"], {"PLESK_CA_FILE": ""}, 0, id="insecure"),
        pytest.param([], {}, 0, id="ca-file-from-the-environment"),
        pytest.param(
            ["--ca-file", "{ca}"], {"PLESK_CA_FILE": ""}, 0, id="ca-file-option"
        ),
    ],
)
def test_the_cli_verifies_tls_unless_told_otherwise(
    emulator: Emulator, tls: TestTLS, args: list[str], env: dict[str, str], code: int
) -> None:
    """Catches the command line trusting a self-signed server without being told."""
    args = [str(tls.ca_file) if a == "{ca}" else a for a in args]
    result = CliRunner().invoke(
        main, [*args, "enable", "--site-id", "1"], env={**cli_env(emulator, tls), **env}
    )
    if code:
        assert_clean_exit(result, code, "TLS verification failed")
        assert emulator.exchanges == []
    else:
        assert result.exit_code == 0, result.output
        assert len(emulator.exchanges) == 1


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [
        pytest.param({}, False, id="no-ca-file-verifies"),
        pytest.param({"insecure": True}, True, id="insecure"),
        pytest.param({"ca_file": "{ca}"}, True, id="ca-file"),
    ],
)
def test_a_named_server_verifies_tls_unless_its_entry_says_otherwise(
    emulator: Emulator,
    tls: TestTLS,
    tmp_path: Path,
    kind: str,
    extra: dict[str, Any],
    accepted: bool,
) -> None:
    """Catches a config entry without ``ca_file`` that trusts any certificate."""
    settings = {
        "host": f"127.0.0.1:{emulator.port}",
        "protocol": LATEST,
        "password_env": "GUARD_PW",
        **{k: str(tls.ca_file) if v == "{ca}" else v for k, v in extra.items()},
    }
    config = write_config(tmp_path / "c.toml", {"web": settings})
    os.environ["GUARD_PW"] = emulator.password
    try:
        client = (
            plesk_mail.connect(server="web", config=config)
            if kind == "sync"
            else Blocking(plesk_mail.connect_async(server="web", config=config))
        )
        with client:
            if accepted:
                assert client.enable(site_id=SITE_ID).ok
                return
            with pytest.raises(plesk_mail.TLSError) as caught:
                client.enable(site_id=SITE_ID)
    finally:
        del os.environ["GUARD_PW"]
    assert_clean_exception(caught.value, plesk_mail.TLSError, "TLS verification failed")


# == nothing destructive by accident ===================================================


@dataclass
class Wide:
    """A call that could reach every account of a site, or every site."""

    call: Any
    refused: bool
    removed: tuple[str, ...] = ()
    """Accounts of site 1 gone afterwards (site 2's are never touched)."""
    says: tuple[str, ...] = ()


PREFS = M.MailPreferences(greylisting=True)
WIDE = [
    pytest.param(
        Wide(
            lambda c: c.remove(site_id=SITE_ID),
            True,
            says=("remove: no names given", "all_accounts=True"),
        ),
        id="remove-without-names",
    ),
    pytest.param(
        Wide(
            lambda c: c.remove(site_id=SITE_ID, names=[]),
            True,
            says=("remove: no names given",),
        ),
        id="remove-with-an-empty-list",
    ),
    pytest.param(
        Wide(lambda c: c.remove(site_id=SITE_ID, names=["a"]), False, ("a",)),
        id="remove-one-name",
    ),
    pytest.param(
        Wide(lambda c: c.remove(site_id=SITE_ID, all_accounts=True), False, ("a", "b")),
        id="remove-all-with-the-flag",
    ),
    pytest.param(
        Wide(
            lambda c: c.set_prefs(prefs=PREFS),
            True,
            says=("set_prefs: no site_ids given", "all_sites=True"),
        ),
        id="set-prefs-without-sites",
    ),
    pytest.param(
        Wide(lambda c: c.set_prefs(site_ids=[SITE_ID], prefs=PREFS), False),
        id="set-prefs-one-site",
    ),
    pytest.param(
        Wide(lambda c: c.set_prefs(all_sites=True, prefs=PREFS), False),
        id="set-prefs-all-with-the-flag",
    ),
]


@pytest.mark.parametrize("case", WIDE)
def test_a_call_on_everything_needs_the_flag(
    emulator: Emulator, tls: TestTLS, kind: str, case: Wide
) -> None:
    """Catches remove/set_prefs without names or sites sent without the flag, or the flag (or a name) refused."""
    emulator.store.add_site(2)
    for site in (SITE_ID, 2):
        for name in ("a", "b"):
            emulator.store.add_account(site, Account(name=name))
    with connect_to(emulator, tls, kind=kind) as client:
        if case.refused:
            with pytest.raises(plesk_mail.ValidationError) as caught:
                case.call(client)
            assert_clean_exception(caught.value, plesk_mail.ValidationError, *case.says)
            assert emulator.exchanges == []
        else:
            assert case.call(client).ok
            assert len(emulator.exchanges) == 1
    left = set(emulator.store.accounts(SITE_ID))
    assert left == {"a", "b"} - set(case.removed)
    assert set(emulator.store.accounts(2)) == {"a", "b"}


@pytest.mark.parametrize(
    ("args", "code", "removed"),
    [
        pytest.param(["remove", "--site-id", "1"], 2, set(), id="remove-without-names"),
        pytest.param(
            ["remove", "--site-id", "1", "--name", "a"], 0, {"a"}, id="remove-a-name"
        ),
        pytest.param(
            ["remove", "--site-id", "1", "--all"], 0, {"a", "b"}, id="remove-all"
        ),
        pytest.param(
            ["set-prefs", "--greylisting"], 2, set(), id="set-prefs-without-sites"
        ),
        pytest.param(
            ["set-prefs", "--greylisting", "--all"], 0, set(), id="set-prefs-all"
        ),
        pytest.param(
            ["set-prefs", "--site-id", "1", "--greylisting"],
            0,
            set(),
            id="set-prefs-a-site",
        ),
    ],
)
def test_the_cli_wants_all_for_everything(
    emulator: Emulator, tls: TestTLS, args: list[str], code: int, removed: set[str]
) -> None:
    """Catches --all no longer needed (or no longer enough) on the command line."""
    for name in ("a", "b"):
        emulator.store.add_account(SITE_ID, Account(name=name))
    result = CliRunner().invoke(main, args, env=cli_env(emulator, tls))
    if code:
        assert_clean_exit(result, code, "--all")
        assert emulator.exchanges == []
    else:
        assert result.exit_code == 0, result.output
        assert len(emulator.exchanges) == 1
    assert set(emulator.store.accounts(SITE_ID)) == {"a", "b"} - removed


# == version gates: the version that introduced a value, and the one before ============


DATED = (
    '<packet version="{v}"><mail><get_info><result><status>ok</status>'
    "<mailname><id>1</id><name>a</name><autoresponder><enabled>true</enabled>"
    "<end_date>2027-01-31</end_date></autoresponder></mailname></result>"
    "</get_info></mail></packet>"
)


@pytest.mark.parametrize(
    ("version", "accepted"),
    [("1.6.7.0", False), ("1.6.8.0", True)],
    ids=["one-version-before", "the-version-that-introduced-it"],
)
def test_an_answer_field_is_read_from_the_version_that_has_it(
    emulator: Emulator, tls: TestTLS, kind: str, version: str, accepted: bool
) -> None:
    """Catches an answer's end_date accepted from 1.6.7.0 (it came in 1.6.8.0)."""
    emulator.scripted.append(RawAnswer(DATED.format(v=version).encode()))
    with connect_to(emulator, tls, kind=kind, protocol=version) as client:
        if accepted:
            [account] = client.get_info(site_id=SITE_ID, autoresponder=True).accounts()
            assert account.autoresponder.end_date == datetime.date(2027, 1, 31)
            return
        with pytest.raises(plesk_mail.UnexpectedElementError) as caught:
            client.get_info(site_id=SITE_ID, autoresponder=True)
    assert caught.value.since == "1.6.8.0"
    assert_clean_exception(
        caught.value,
        plesk_mail.UnexpectedElementError,
        "end_date",
        "protocol 1.6.8.0 or newer",
        "speaks protocol 1.6.7.0",
    )


@pytest.mark.parametrize(
    ("version", "code"),
    [("1.6.6.0", 2), ("1.6.7.0", 0)],
    ids=["one-version-before", "the-version-that-introduced-it"],
)
def test_a_cli_option_is_taken_from_the_version_that_has_it(
    emulator: Emulator, tls: TestTLS, version: str, code: int
) -> None:
    """Catches --autoresponder-end-date sent to 1.6.6.0, or refused by 1.6.7.0."""
    args = [
        "--protocol",
        version,
        "create",
        "--site-id",
        "1",
        "--name",
        "a",
        "--autoresponder-enabled",
        "--autoresponder-end-date",
        "2027-01-31",
    ]
    result = CliRunner().invoke(main, args, env=cli_env(emulator, tls))
    if code:
        assert_clean_exit(result, code, "autoresponder-end-date", "1.6.7.0")
        assert emulator.exchanges == []
    else:
        assert result.exit_code == 0, result.output
        [exchange] = emulator.exchanges
        assert b"<end_date>2027-01-31</end_date>" in exchange.body
