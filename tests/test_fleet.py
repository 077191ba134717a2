"""Many servers: named servers in a config file, fleets from Python and the CLI.

The fleet here: three emulators at different protocol versions, one port
where nothing listens, and one server whose password the config gets wrong.
Each server negotiates its own version; a failing server is reported for
itself and the others answer.
"""

from __future__ import annotations

import datetime
import json
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import plesk_mail
import pytest
import trustme
from click.testing import CliRunner, Result
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.corpus import assert_clean_exception, assert_clean_exit
from tests.support.protocols import VERSIONS

PASSWORD_ENV = "FLEET_TEST_PASSWORD"
VERSION_SETS = {
    "old": ["1.6.6.0"],
    "mid": ["1.6.7.0", "1.6.6.0"],
    "new": list(VERSIONS),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Fleet:
    servers: dict[str, Emulator]
    config: Path
    env: dict[str, str]

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(
            main, ["--config", str(self.config), *args], env=self.env
        )


def write_config(
    path: Path, entries: dict[str, dict[str, object]], extra: str = ""
) -> Path:
    lines = ['[defaults]\nlogin = "admin"\n']
    for name, entry in entries.items():
        lines.append(f"[servers.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def fleet(
    tls: TestTLS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Fleet]:
    servers = {
        name: new_emulator(tls, versions=versions, protos=versions).start()
        for name, versions in VERSION_SETS.items()
    }
    servers["wrongpw"] = new_emulator(tls, password="another-password").start()
    servers["new"].store.add_account(SITE_ID, Account(name="info"))
    entries: dict[str, dict[str, object]] = {
        name: {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            "password_env": PASSWORD_ENV,
        }
        for name, server in servers.items()
    }
    entries["gone"] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "password_env": PASSWORD_ENV,
    }
    config = write_config(
        tmp_path / "config.toml", entries, '[groups]\nlive = ["old", "mid", "new"]\n'
    )
    monkeypatch.setenv(PASSWORD_ENV, servers["old"].password)
    env = {
        PASSWORD_ENV: servers["old"].password,
        "PLESK_HOST": "",
        "PLESK_PASSWORD": "",
    }
    try:
        yield Fleet(servers, config, env)
    finally:
        for server in servers.values():
            server.stop()


def test_python_fleet_finds_sites_on_every_server(fleet: Fleet) -> None:
    """site/get through fleet_call: each server in its own protocol version."""
    outcomes = plesk_mail.fleet(["live"], config=fleet.config).get_sites(
        names=["site1.example"], gen_info=True
    )
    found = {}
    for name, outcome in outcomes.items():
        assert outcome.error is None and outcome.value is not None, name
        [site] = outcome.value.sites()
        assert site.id == SITE_ID and site.gen_info is not None
        found[name] = (outcome.protocol, site.gen_info.turn_off_action)
    assert found == {
        "old": ("1.6.6.0", None),
        "mid": ("1.6.7.0", None),
        "new": (VERSIONS[-1], plesk_mail.TurnOffAction.SUSPEND),
    }


def test_python_fleet_reports_every_server(fleet: Fleet) -> None:
    outcomes = plesk_mail.fleet(["all"], config=fleet.config, parallel=3).get_info(
        site_id=SITE_ID
    )
    assert list(outcomes) == ["old", "mid", "new", "wrongpw", "gone"]
    assert {n: o.protocol for n, o in outcomes.items() if o.error is None} == {
        "old": "1.6.6.0",
        "mid": "1.6.7.0",
        "new": VERSIONS[-1],
    }
    new = outcomes["new"].value
    assert new is not None and [a.name for a in new.accounts()] == ["info"]
    assert isinstance(outcomes["wrongpw"].error, plesk_mail.AuthenticationError)
    assert isinstance(outcomes["gone"].error, plesk_mail.TransportError)
    assert [n for n, o in outcomes.items() if o.ok] == ["old", "mid", "new"]


def test_python_fleet_refuses_a_field_only_where_the_version_lacks_it(
    fleet: Fleet,
) -> None:
    responder = plesk_mail.Autoresponder(
        enabled=True, end_date=datetime.date(2027, 1, 31)
    )
    account = plesk_mail.NewMailAccount(name="away", autoresponder=responder)
    outcomes = plesk_mail.fleet(["live"], config=fleet.config).create(
        site_id=SITE_ID, mailnames=[account]
    )
    assert isinstance(outcomes["old"].error, plesk_mail.ValidationError)
    assert "needs protocol 1.6.7.0 or newer" in str(outcomes["old"].error)
    assert outcomes["mid"].ok and outcomes["new"].ok
    assert fleet.servers["old"].store.accounts(SITE_ID) == {}


def test_cli_fleet_table_json_and_exit_code(fleet: Fleet) -> None:
    table = fleet.cli(
        "--servers", "all", "--parallel", "2", "get-info", "--site-id", "1"
    )
    assert table.exit_code == 5, table.output  # some servers failed
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["server", "status"]  # one server's, server first
    by_server = {line.split()[0]: line for line in lines[1:]}
    assert set(by_server) == {"old", "mid", "new", "wrongpw", "gone"}
    assert "1001" in by_server["wrongpw"] or "Authentication" in by_server["wrongpw"]
    assert "cannot connect" in by_server["gone"]
    assert "info" in by_server["new"]
    document = json.loads(
        fleet.cli("--json", "--servers", "all", "get-info", "--site-id", "1").stdout
    )
    servers = document["servers"]
    assert document["ok"] is False and set(servers) == set(by_server)
    assert servers["mid"]["protocol"] == "1.6.7.0" and servers["mid"]["error"] is None
    assert servers["old"]["protocol"] == "1.6.6.0"
    assert servers["new"]["results"][0]["mailname"]["name"] == "info"
    assert "Authentication failed" in servers["wrongpw"]["error"]
    assert (
        servers["gone"]["results"] == []
        and "cannot connect" in servers["gone"]["error"]
    )
    ok = fleet.cli("--servers", "live", "get-info", "--site-id", "1")
    assert ok.exit_code == 0, ok.output


def test_cli_single_named_server(fleet: Fleet) -> None:
    result = fleet.cli("--server", "mid", "--json", "enable", "--site-id", "1")
    assert result.exit_code == 0, result.output
    assert fleet.servers["mid"].exchanges
    refused = fleet.cli("--server", "gone", "enable", "--site-id", "1")
    assert_clean_exit(refused, 3, "cannot connect")


def test_a_named_server_ignores_the_plesk_variables(fleet: Fleet) -> None:
    """Variables exported for one server are never sent to a named other one."""
    other = fleet.servers["wrongpw"]
    exported = {
        "PLESK_HOST": "127.0.0.1",
        "PLESK_PORT": str(other.port),
        "PLESK_PASSWORD": "exported-for-another-server",
        "PLESK_LOGIN": "someone",
    }
    fleet.env.update(exported)
    named = fleet.cli("--server", "mid", "enable", "--site-id", "1")
    assert named.exit_code == 0, named.output
    several = fleet.cli("--servers", "old,mid", "enable", "--site-id", "1")
    assert several.exit_code == 0, several.output
    assert other.exchanges == []
    sent = [e.headers for name in ("old", "mid") for e in fleet.servers[name].exchanges]
    assert len(sent) == 6  # three calls, each after asking for the protocol version
    assert not any(exported["PLESK_PASSWORD"] in str(h) for h in sent)
    assert all(h.get("HTTP_AUTH_LOGIN") == "admin" for h in sent)
    no_secret = fleet.config.with_name("bare.toml")
    no_secret.write_text(
        f'[servers.bare]\nhost = "127.0.0.1:{other.port}"\n', encoding="utf-8"
    )
    bare = CliRunner().invoke(
        main,
        ["--config", str(no_secret), "--server", "bare", "enable", "--site-id", "1"],
        env=fleet.env,
    )
    assert_clean_exit(bare, 2, "no password for server 'bare': give its config entry")
    assert other.exchanges == []
    typed = fleet.cli("--servers", "old", "--host", "127.0.0.1", "enable")
    assert_clean_exit(typed, 2, "--servers goes without --server and --host")


def test_servers_lists_without_secrets_and_check_connects(fleet: Fleet) -> None:
    listed = fleet.cli("servers")
    assert listed.exit_code == 0, listed.output
    assert (
        f"${PASSWORD_ENV}" in listed.stdout
        and fleet.servers["old"].password not in listed.stdout
    )
    assert "live" in listed.stdout
    checked = fleet.cli("servers", "check")
    assert checked.exit_code == 5, checked.output
    rows = {line.split()[0]: line for line in checked.stdout.splitlines()[1:]}
    assert "1.6.6.0" in rows["old"] and "12.0" in rows["old"]
    assert "1.6.7.0" in rows["mid"] and "12.5" in rows["mid"]
    assert "error" in rows["gone"] and "error" in rows["wrongpw"]


def test_servers_check_flags_a_certificate_problem(
    fleet: Fleet, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    port = fleet.servers["new"].port
    config = write_config(
        tmp_path / "tls.toml",
        {
            "strange": {
                "host": f"127.0.0.1:{port}",
                "ca_file": str(other),
                "password_env": PASSWORD_ENV,
            }
        },
    )
    checked = CliRunner().invoke(
        main, ["--config", str(config), "servers", "check"], env=fleet.env
    )
    assert checked.exit_code == 5
    assert "certificate problem" in checked.stdout


# -- the config file, when it is wrong ----------------------------------------------


def bad_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


CONFIG_CASES = [
    pytest.param(
        None, 0o600, ["no config file at", "PLESK_MAIL_CONFIG"], id="missing-file"
    ),
    pytest.param("[servers.web1\nhost = 1", 0o600, ["not valid TOML"], id="bad-toml"),
    pytest.param(
        '[servers.web1]\nhots = "h"\n',
        0o600,
        ["unknown key servers.web1.hots"],
        id="unknown-key",
    ),
    pytest.param(
        '[servers.web1]\nhost = "h"\npassword = "Secret-In-File-1"\n',
        0o644,
        ["others can read it", "mode 0644", "chmod 600"],
        id="readable-secret",
    ),
    pytest.param(
        '[servers.web1]\nhost = "h"\npassword_command = "sh -c \'echo nope >&2; exit 3\'"\n',
        0o600,
        ["password_command", "exit status 3", "nope"],
        id="failing-command",
    ),
    pytest.param(
        '[servers.web1]\nhost = "h"\npassword_env = "NO_SUCH_VARIABLE_42"\n',
        0o600,
        ["NO_SUCH_VARIABLE_42 is not set"],
        id="missing-variable",
    ),
    pytest.param(
        '[servers.web2]\nhost = "h"\n',
        0o600,
        ["no server 'web1'", "web2"],
        id="unknown-server",
    ),
    pytest.param(
        '[servers.web1]\nhost = "h"\nport = "8443"\n',
        0o600,
        ["servers.web1.port must be a int"],
        id="wrong-type",
    ),
]


@pytest.mark.parametrize(("text", "mode", "names"), CONFIG_CASES)
def test_config_problems_are_one_line(
    tmp_path: Path, text: str | None, mode: int, names: list[str]
) -> None:
    path = (
        tmp_path / "config.toml" if text is None else bad_config(tmp_path, text, mode)
    )
    with pytest.raises(plesk_mail.ConfigurationError) as info:
        plesk_mail.connect(server="web1", config=path)
    message = assert_clean_exception(info.value, plesk_mail.ConfigurationError, *names)
    assert "Secret-In-File-1" not in message
    result = CliRunner().invoke(
        main, ["--config", str(path), "--server", "web1", "enable", "--site-id", "1"]
    )
    assert_clean_exit(result, 2, *names)


def test_config_location_honours_xdg_and_the_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plesk_mail.runtime.fleet.config import default_path

    monkeypatch.delenv("PLESK_MAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "plesk-mail" / "config.toml"
    monkeypatch.setenv("PLESK_MAIL_CONFIG", str(tmp_path / "mine.toml"))
    assert default_path() == tmp_path / "mine.toml"


def test_a_secret_from_a_command_or_a_private_file(
    fleet: Fleet, tls: TestTLS, tmp_path: Path
) -> None:
    server = fleet.servers["new"]
    for source in (
        {"password_command": f"printf '{server.password}\\n'"},
        {"password": server.password},
    ):
        entry = {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            **source,
        }
        config = write_config(tmp_path / "one.toml", {"web": entry})
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        with plesk_mail.connect(server="web", config=config) as client:
            assert client.enable(site_id=SITE_ID).ok


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--servers", "nosuch", "enable", "--site-id", "1"], "nosuch"),
        (["servers", "check", "nosuch"], "nosuch"),
    ],
    ids=["servers-unknown", "check-unknown"],
)
def test_config_problems_under_servers_are_one_line(
    fleet: Fleet, args: list[str], says: str
) -> None:
    assert_clean_exit(fleet.cli(*args), 2, says)


def test_a_missing_config_under_servers_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(
        main, ["--config", str(missing), "--servers", "all", "enable", "--site-id", "1"]
    )
    assert_clean_exit(result, 2, str(missing))


def test_servers_keep_the_protocol_their_entry_names(fleet: Fleet) -> None:
    """Found by the review: --servers used to negotiate over an entry's protocol."""
    text = fleet.config.read_text(encoding="utf-8")
    fleet.config.write_text(
        text.replace("[servers.new]\n", '[servers.new]\nprotocol = "1.6.8.0"\n'),
        encoding="utf-8",
    )
    before = len(fleet.servers["new"].exchanges)
    result = fleet.cli("--json", "--servers", "new,mid", "enable", "--site-id", "1")
    servers = json.loads(result.stdout)["servers"]
    assert servers["new"]["protocol"] == "1.6.8.0"  # as the entry says
    assert servers["mid"]["protocol"] == "1.6.7.0"  # negotiated
    sent = [e.body for e in fleet.servers["new"].exchanges[before:]]
    assert len(sent) == 1 and b'version="1.6.8.0"' in sent[0]
