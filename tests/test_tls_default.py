"""TLS verification is on unless someone turns it off, on every path in.

The emulator's certificate comes from a test CA that nothing trusts by
default: the synchronous and async clients, the CLI and a named server of the
config file must all refuse it before a byte of the request is sent, and
accept it with the CA file or the explicit opt-out.
"""

from __future__ import annotations

from pathlib import Path

import plesk_mail
import pytest
from click.testing import CliRunner
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, cli_env
from tests.emulator.server import Emulator
from tests.emulator.tls import TestTLS
from tests.support.both import Blocking
from tests.support.corpus import assert_clean_exit

REFUSED = "TLS verification failed"


def test_the_async_client_verifies_by_default(emulator: Emulator) -> None:
    client = Blocking(
        plesk_mail.connect_async(
            "127.0.0.1", secret_key=emulator.secret_key, port=emulator.port
        )
    )
    with pytest.raises(plesk_mail.TLSError, match=REFUSED), client:
        client.enable(site_id=SITE_ID)  # (the negotiation, before it, is refused)
    assert not emulator.exchanges


def test_the_cli_verifies_by_default(emulator: Emulator, tls: TestTLS) -> None:
    env = {**cli_env(emulator, tls), "PLESK_CA_FILE": ""}
    refused = CliRunner().invoke(main, ["enable", "--site-id", "1"], env=env)
    assert_clean_exit(refused, 3, REFUSED)
    assert not emulator.exchanges
    trusted = CliRunner().invoke(
        main, ["--ca-file", str(tls.ca_file), "enable", "--site-id", "1"], env=env
    )
    assert trusted.exit_code == 0, trusted.output
    insecure = CliRunner().invoke(
        main, ["--insecure", "enable", "--site-id", "1"], env=env
    )
    assert insecure.exit_code == 0, insecure.output


def test_a_named_server_verifies_by_default(
    emulator: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[servers.emu]\nhost = "127.0.0.1:{emulator.port}"\n'
        f'password = "{emulator.password}"\nprotocol = "1.6.9.1"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    refused = CliRunner().invoke(
        main, ["--config", str(config), "--server", "emu", "enable", "--site-id", "1"]
    )
    assert_clean_exit(refused, 3, REFUSED)
    client = plesk_mail.connect(server="emu", config=config)
    with client, pytest.raises(plesk_mail.TLSError, match=REFUSED):
        client.enable(site_id=SITE_ID)
    assert not emulator.exchanges
