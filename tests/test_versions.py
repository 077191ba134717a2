"""Versions as a first-class feature: diff, matrix, shared modules, negotiation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner
from plesk_mail import compatibility
from plesk_mailgen.cli import main as mailgen

from tests.emulator.fixtures import SITE_ID, cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.paths import PROJECT_DIR
from tests.support.protocols import VERSIONS, generated_module

END_DATE_REQUESTS = [
    f"+ {op} request: filter/mailname/autoresponder/end_date (date, 0..1)"
    for op in ("create", "update_add", "update_remove", "update_set")
]
PROVIDERS_WRAPPED = [
    "- get_available_mail_providers response: mail-provider (MailProvider, 1..n; 3 nested element(s))",
    "+ get_available_mail_providers response: result (GetAvailableMailProvidersResult, 1..n; 7 nested element(s))",
]
NEWER_FIELDS = [
    "+ get_info response: result/mailname/autoresponder/end_date (date, 0..1)",
    "+ set_prefs request: prefs/webmail-certificate (str, 0..1)",
    "+ get_prefs response: result/prefs/webmail-certificate (str, 0..1)",
    # site/get's gen_info, and the enumeration its new element brought
    "+ get_sites response: result/data/gen_info/turn-off-action (TurnOffAction, 0..1)",
    "+ enum TurnOffAction: disable (value)",
    "+ enum TurnOffAction: suspend (value)",
]


def mailgen_diff(*args: str) -> str:
    result = CliRunner().invoke(
        mailgen, ["--project-dir", str(PROJECT_DIR), "diff", *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("1.6.6.0", "1.6.7.0", END_DATE_REQUESTS + PROVIDERS_WRAPPED),
        ("1.6.7.0", "1.6.8.0", NEWER_FIELDS),
        ("1.6.8.0", "1.6.9.1", []),
        (
            "1.6.6.0",
            "1.6.9.1",
            END_DATE_REQUESTS + NEWER_FIELDS[:1] + NEWER_FIELDS[1:] + PROVIDERS_WRAPPED,
        ),
    ],
)
def test_diff_reports_exactly_the_schema_changes(
    old: str, new: str, expected: list[str]
) -> None:
    lines = [line.strip() for line in mailgen_diff(old, new).splitlines()]
    assert lines[0].startswith(f"{old} -> {new}: ")
    assert sorted(lines[1:]) == sorted(expected)


def test_diff_json_is_machine_readable() -> None:
    document = json.loads(mailgen_diff("1.6.7.0", "1.6.8.0", "--json"))
    assert (document["old"], document["new"]) == ("1.6.7.0", "1.6.8.0")
    assert {
        (c["operation"], c["side"], c["path"], c["kind"]) for c in document["changes"]
    } == {
        ("get_info", "response", "result/mailname/autoresponder/end_date", "added"),
        ("set_prefs", "request", "prefs/webmail-certificate", "added"),
        ("get_prefs", "response", "result/prefs/webmail-certificate", "added"),
        ("get_sites", "response", "result/data/gen_info/turn-off-action", "added"),
        ("enum TurnOffAction", "", "disable", "added"),
        ("enum TurnOffAction", "", "suspend", "added"),
    }


def test_diff_of_an_unknown_version_is_one_line() -> None:
    result = CliRunner().invoke(
        mailgen, ["--project-dir", str(PROJECT_DIR), "diff", "1.6.8.0", "7.0"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "plesk-mailgen: error: unknown protocol version '7.0'; known: "
        + ", ".join(VERSIONS)
    ]


def test_compatibility_matrix_data() -> None:
    assert tuple(VERSIONS) == compatibility.VERSIONS
    path = "filter/mailname/autoresponder/end_date"
    assert compatibility.versions_with("create", "request", path) == (
        "1.6.7.0",
        "1.6.8.0",
        "1.6.9.1",
    )
    assert compatibility.versions_with(
        "set_prefs", "request", "prefs/webmail-certificate"
    ) == ("1.6.8.0", "1.6.9.1")
    assert compatibility.supports(
        "1.6.6.0", "get_available_mail_providers", "response", "mail-provider"
    )
    assert not compatibility.supports(
        "1.6.7.0", "get_available_mail_providers", "response", "mail-provider"
    )
    for version in VERSIONS:
        assert all(
            compatibility.supports(version, op)
            for op, side, _, _ in compatibility.ROWS
            if not side
        )
    table = (PROJECT_DIR / "generated" / "COMPATIBILITY.md").read_text()
    assert (
        "| set_prefs | request | prefs/webmail-certificate | no | no | yes | yes |"
        in table
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_module_is_a_pin_over_the_neutral_api(version: str) -> None:
    module = generated_module(version)
    assert version == module.PROTOCOL_VERSION
    assert module.NewMailAccount is plesk_mail.NewMailAccount
    assert module.MailClient is plesk_mail.MailClient
    packet = module.RequestPacket(operations=[module.EnableRequest(site_id=1)])
    assert f'version="{version}"'.encode() in module.encode_request(packet)
    folder = PROJECT_DIR / "generated/plesk_mail" / module.__name__.rpartition(".")[2]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["__init__.py"]


def test_pinned_connect_speaks_its_version(emulator: Emulator, tls: TestTLS) -> None:
    client = generated_module("1.6.9.1").connect(
        "127.0.0.1",
        login=emulator.login,
        password=emulator.password,
        port=emulator.port,
        verify=str(tls.ca_file),
    )
    with client:
        assert client.protocol_version == "1.6.9.1"
        assert client.enable(site_id=SITE_ID).ok
    assert b'version="1.6.9.1"' in emulator.exchanges[-1].body


@pytest.fixture
def negotiating(tls: TestTLS, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    server = new_emulator(tls, protos=request.param).start()
    try:
        yield server
    finally:
        server.stop()


def auto(emulator: Emulator, tls: TestTLS) -> Any:
    return connect_to(emulator, tls, protocol="auto")


@pytest.mark.parametrize(
    ("negotiating", "expected"),
    [
        (["1.6.9.1", "1.6.9.0", "1.6.8.0", "1.6.7.0"], "1.6.9.1"),
        (["1.6.8.0", "1.6.7.0", "1.6.6.0", "1.6.5.0"], "1.6.8.0"),
        (["1.5.2.1", "1.6.6.0"], "1.6.6.0"),
    ],
    indirect=["negotiating"],
)
def test_auto_picks_the_newest_common_version(
    negotiating: Emulator, tls: TestTLS, expected: str
) -> None:
    with auto(negotiating, tls) as client:
        assert client.protocol_version == expected
        assert type(client) is generated_module(expected).MailClient
        assert client.enable(site_id=SITE_ID).ok
    assert b"<get_protos/>" in negotiating.exchanges[0].body
    assert f'version="{expected}"'.encode() in negotiating.exchanges[1].body


@pytest.mark.parametrize("negotiating", [["2.0.0.0", "1.5.0.0"]], indirect=True)
def test_auto_without_a_common_version_lists_both_sides(
    negotiating: Emulator, tls: TestTLS
) -> None:
    with pytest.raises(plesk_mail.ProtocolVersionError) as info:
        auto(negotiating, tls)
    message = str(info.value)
    assert "2.0.0.0" in message and "1.5.0.0" in message
    assert all(version in message for version in VERSIONS)


@pytest.mark.parametrize("negotiating", [["1.6.6.0"]], indirect=True)
def test_cli_auto_negotiates_then_gates_options(
    negotiating: Emulator, tls: TestTLS
) -> None:
    from plesk_mail.cli import main

    env = {
        **cli_env(negotiating, tls),
    }
    ok = CliRunner().invoke(
        main, ["--protocol", "auto", "--json", "enable", "--site-id", "1"], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["protocol"] == "1.6.6.0"
    gated = CliRunner().invoke(
        main,
        [
            "--protocol",
            "auto",
            "create",
            "--site-id",
            "1",
            "--name",
            "a",
            "--autoresponder-end-date",
            "2026-12-31",
        ],
        env=env,
    )
    assert gated.exit_code == 2
    assert "needs protocol 1.6.7.0 or newer (protocol 1.6.6.0 in use)" in gated.output
