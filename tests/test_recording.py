"""Recorded answers: ``connect(record=DIR)`` and ``plesk-mail --record DIR``.

A session recorded from the emulator replays through the client byte for
byte (an ``httpx.MockTransport`` serving the recorded answers) and holds no
secret in any escaped form; the samples in ``tests/data/recorded/<version>/``
replay through the codec and the client and validate against their
version's schemas, so recordings a person makes on a real Plesk can be added
there and tested the same way.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner
from lxml import etree
from plesk_mail import codec
from plesk_mail.cli import main
from plesk_mail.runtime.base.masking import escaped_forms
from plesk_mail.runtime.engine.negotiate import server_protocols
from plesk_mail.runtime.transport.recording import MARKER, Recorder, scrub

from tests.emulator import protos
from tests.emulator.fixtures import cli_env, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.both import Blocking
from tests.support.paths import PROJECT_DIR
from tests.support.protocols import VERSIONS, generated_module
from tests.support.scenario import ACCOUNT_PASSWORDS, call, pairs, replay_client, run
from tests.support.xsd import schema_errors

pytestmark = pytest.mark.emulator_only

SAMPLES = PROJECT_DIR / "tests" / "data" / "recorded"
LOGIN_PASSWORD = "Login-Secret-<7>"
SECRET_KEY = "fedcba9876543210fedcba9876543210"
SITE = SiteSpec(1, "example.com")


@pytest.fixture
def emulator(tls: TestTLS) -> Any:
    server = new_emulator(
        tls, sites=(SITE,), password=LOGIN_PASSWORD, secret_key=SECRET_KEY
    ).start()
    yield server
    server.stop()
    assert not server.response_errors, server.response_errors


def connect(emulator: Emulator, tls: TestTLS, folder: Path, **options: Any) -> Any:
    settings: dict[str, Any] = {
        "port": emulator.port,
        "password": LOGIN_PASSWORD,
        "verify": str(tls.ca_file),
        "record": folder,
        "protocol": VERSIONS[-1],  # replayed by a client of that version
        **options,
    }
    return plesk_mail.connect("127.0.0.1", **settings)


def assert_no_secret(folder: Path, *secrets: str) -> None:
    files = sorted(folder.iterdir())
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8")
        for secret in secrets:
            for form in escaped_forms(secret):
                assert form not in text, (path.name, secret, form)


def assert_valid_pair(version: str, request: Path, response: Path) -> None:
    """Both files against ``version``'s schemas (``get_protos``: the server's)."""
    for side, path in (("request", request), ("response", response)):
        data = path.read_bytes()
        if b"<server>" in data:
            errors = protos.schema_errors(side, data)  # type: ignore[arg-type]
        else:
            errors = schema_errors(version, side, data)  # type: ignore[arg-type]
        assert not errors, (path.name, errors)


def test_a_recorded_session_replays_byte_for_byte_and_holds_no_secret(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    folder = tmp_path / "recorded"
    with connect(emulator, tls, folder, protocol="auto") as client:
        answers = run(client, SITE.id, str(SITE.name))
    assert answers[1].ok and not answers[2].ok  # the session met an error too

    recorded = pairs(folder)
    assert len(recorded) == len(emulator.exchanges) == 9  # get_protos + 8
    assert_no_secret(folder, LOGIN_PASSWORD, *ACCOUNT_PASSWORDS)
    # The answers are the emulator's own bytes; requests have *** for passwords.
    for exchange, (request, response) in zip(emulator.exchanges, recorded, strict=True):
        assert response.read_bytes() == exchange.answer
        assert (MARKER.encode() in request.read_bytes()) == (
            b"<password>" in exchange.body
        )
        assert_valid_pair(VERSIONS[-1], request, response)
    facts = json.loads((folder / "0003-mail.create.json").read_text())
    assert facts["protocol"] == facts["answer_version"] == VERSIONS[-1]
    assert facts["http_status"] == 200 and facts["withheld"] == []
    assert facts["operations"] == "mail.create" and facts["milliseconds"] > 0

    client, server = replay_client(folder, "auto", password=LOGIN_PASSWORD)
    with client:
        assert run(client, SITE.id, str(SITE.name)) == answers
    assert server.served == len(recorded)


def test_the_async_client_records_the_same_files(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    folder = tmp_path / "async"
    settings = {
        "port": emulator.port,
        "password": LOGIN_PASSWORD,
        "verify": str(tls.ca_file),
        "record": folder,
        "protocol": VERSIONS[-1],
    }
    with Blocking(plesk_mail.connect_async("127.0.0.1", **settings)) as client:
        answers = run(client, SITE.id, str(SITE.name))
    assert_no_secret(folder, LOGIN_PASSWORD, *ACCOUNT_PASSWORDS)
    replayed, _ = replay_client(folder, VERSIONS[-1], password=LOGIN_PASSWORD)
    with replayed:
        assert run(replayed, SITE.id, str(SITE.name)) == answers


def test_a_secret_key_and_a_secret_the_server_echoes_are_replaced(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    """A server that writes the account password back, HTML-escaped, into an
    error: the recorded answer has *** there and still validates."""
    m = generated_module(VERSIONS[-1])
    secret = "Echo-Me-<&>-1"
    emulator.scripted.append(
        RawAnswer(
            f'<packet version="{VERSIONS[-1]}"><mail><create><result>'
            "<status>error</status><errcode>1019</errcode><errtext>password "
            "Echo-Me-&amp;lt;&amp;amp;&amp;gt;-1 is too weak</errtext><mailname>"
            "<name>weak</name></mailname></result></create></mail></packet>".encode()
        )
    )
    folder = tmp_path / "echo"
    client = connect(
        emulator, tls, folder, password=None, login=None, secret_key=SECRET_KEY
    )
    with client:
        [result] = client.create(
            site_id=SITE.id,
            mailnames=[
                m.NewMailAccount(name="weak", password=m.Password(value=secret))
            ],
        )
    assert result.errtext == "password Echo-Me-&lt;&amp;&gt;-1 is too weak"
    assert_no_secret(folder, SECRET_KEY, secret)
    [(request, response)] = pairs(folder)
    assert b"<errtext>password *** is too weak</errtext>" in response.read_bytes()
    assert_valid_pair(VERSIONS[-1], request, response)


def test_a_secret_that_cannot_be_cut_out_withholds_the_body(tmp_path: Path) -> None:
    """A two-letter password may be in any word: a body holding it is not
    written, and the JSON says so."""
    body = b'<packet version="1.6.9.1"><mail><enable><site-id>1</site-id></enable></mail></packet>'
    answer = b"<packet><system><status>error</status><errtext>bad zq</errtext></system></packet>"
    assert scrub(answer, ["zq"]) is None
    assert scrub(answer, ["Long-Secret"]) == answer
    Recorder(tmp_path).write("mail.enable x1", body, 200, answer, 0.01, ["zq"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0001-mail.enable.json",
        "0001-mail.enable.request.xml",
    ]
    facts = json.loads((tmp_path / "0001-mail.enable.json").read_text())
    assert facts["withheld"] == ["response"] and facts["answer_version"] is None


def test_recordings_continue_the_numbering_of_a_folder(tmp_path: Path) -> None:
    body = b'<packet version="1.6.9.1"><server><get_protos/></server></packet>'
    for _ in range(2):
        Recorder(tmp_path).write("server.get_protos", body, 200, body, 0.0, [None])
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "0001-server.get_protos.json",
        "0002-server.get_protos.json",
    ]


def test_a_failed_write_is_a_warning_and_the_call_goes_on(
    emulator: Emulator,
    tls: TestTLS,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "gone"
    with connect(emulator, tls, folder) as client:
        shutil.rmtree(folder)
        assert client.get_available_mail_providers().ok
    assert "recording into" in caplog.text and "failed" in caplog.text


def test_the_cli_records_with_record(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    folder = tmp_path / "cli"
    env = {**cli_env(emulator, tls), "PLESK_PASSWORD": LOGIN_PASSWORD}
    result = CliRunner().invoke(
        main,
        [
            *("--record", str(folder), "create", "--site-id", "1", "--name", "cli"),
            *("--account-password", "Cli-Secret-9"),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    [(request, response)] = pairs(folder)
    assert request.name == "0001-mail.create.request.xml"
    assert b"<name>cli</name>" in response.read_bytes()
    assert_no_secret(folder, LOGIN_PASSWORD, "Cli-Secret-9")

    # --record names a folder: a file there is a usage error, nothing is sent.
    before = len(emulator.exchanges)
    afile = tmp_path / "afile"
    afile.write_text("")
    refused = CliRunner().invoke(
        main, ["--record", str(afile), "get-prefs", "--site-id", "1"], env=env
    )
    assert refused.exit_code == 2 and "--record" in refused.output
    assert len(emulator.exchanges) == before


def test_no_recording_without_record(
    emulator: Emulator, tls: TestTLS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing but the argument (or the option) records: no variable, no default."""
    monkeypatch.chdir(tmp_path)
    with connect(emulator, tls, None) as client:  # type: ignore[arg-type]
        client.get_available_mail_providers()
    assert list(tmp_path.iterdir()) == []


# -- the samples ----------------------------------------------------------------


SAMPLE_FOLDERS = sorted(p for p in SAMPLES.iterdir() if p.is_dir())


def test_every_version_has_samples() -> None:
    assert [p.name for p in SAMPLE_FOLDERS] == VERSIONS


@pytest.mark.parametrize("folder", SAMPLE_FOLDERS, ids=lambda p: p.name)
def test_recorded_samples_validate_decode_and_replay(folder: Path) -> None:
    """Each pair against its version's schemas and through the pinned codec;
    then every request, decoded, made again by the client, which must send the
    recorded bytes and take the recorded answer."""
    version = folder.name
    pinned = generated_module(version)
    recorded = pairs(folder)
    assert recorded, folder
    for request, response in recorded:
        assert_valid_pair(version, request, response)
        facts = json.loads(request.with_name(request.name[:-12] + ".json").read_text())
        assert facts["withheld"] == [] and facts["protocol"] in (version, None)
        if b"<server>" not in request.read_bytes():
            pinned.decode_response(response.read_bytes())

    client, server = replay_client(folder, version)
    with client:
        for request, _ in recorded:
            data = request.read_bytes()
            if b"<server>" in data:
                assert server_protocols(client.transport)
                continue
            operations = codec.decode_request(data).operations
            with client.batch() as batch:
                pending = [call(batch, operation) for operation in operations]
            assert all(p.done for p in pending)
    assert server.served == len(recorded)


def test_a_sample_answer_is_one_a_real_plesk_sends() -> None:
    """The samples come from the emulator, which answers as Plesk does: the
    get_info answer has <password/> and the errors name their accounts."""
    answer = etree.parse(
        str(SAMPLES / VERSIONS[-1] / "0005-mail.get_info.response.xml")
    )
    assert answer.xpath("//mailname/password[not(node())]")
    assert answer.xpath("//result[status='error']/mailname/name/text()") == [
        "rec-ghost"
    ]


def test_samples_can_be_made_again(tmp_path: Path, caplog: Any) -> None:
    """``python -m tests.support.scenario DIR`` writes the same files (but the
    timings), so a changed emulator can refresh them."""
    from tests.support.scenario import record_samples

    with caplog.at_level(logging.WARNING):
        record_samples(tmp_path)
    for folder in SAMPLE_FOLDERS:
        made = sorted(p.name for p in (tmp_path / folder.name).iterdir())
        assert made == sorted(p.name for p in folder.iterdir())
        for name in made:
            if name.endswith(".xml"):
                assert (tmp_path / folder.name / name).read_bytes() == (
                    folder / name
                ).read_bytes()


def test_a_fleet_records_every_server(tls: TestTLS, tmp_path: Path) -> None:
    """``--record`` with ``--servers``: each server's exchanges, one numbering."""
    from tests.test_fleet import write_config

    servers = [new_emulator(tls, password=LOGIN_PASSWORD).start() for _ in range(2)]
    try:
        config = write_config(
            tmp_path / "fleet.toml",
            {
                f"web{i}": {
                    "host": f"127.0.0.1:{server.port}",
                    "ca_file": str(tls.ca_file),
                    "password": LOGIN_PASSWORD,
                }
                for i, server in enumerate(servers)
            },
        )
        folder = tmp_path / "fleet"
        result = CliRunner().invoke(
            main,
            [
                *("--config", str(config), "--servers", "all", "--record", str(folder)),
                *("get-prefs", "--site-id", "1"),
            ],
            env={"PLESK_HOST": "", "PLESK_PASSWORD": ""},
        )
    finally:
        for server in servers:
            server.stop()
    assert result.exit_code == 0, result.output
    recorded = pairs(folder)  # each server: get_protos (auto), get_prefs
    assert len(recorded) == sum(len(s.exchanges) for s in servers) == 4
    assert sorted(r.name.split("-", 1)[1] for r, _ in recorded) == [
        "mail.get_prefs.request.xml",
        "mail.get_prefs.request.xml",
        "server.get_protos.request.xml",
        "server.get_protos.request.xml",
    ]
    assert_no_secret(folder, LOGIN_PASSWORD)
