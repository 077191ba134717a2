"""Live mode's own machinery: its settings, the guard, the sandbox check, a run.

The live run itself is CI's second step (``.ci/run``: the live tests against
the emulator started as an ordinary server). These tests prove the parts that
keep a real server safe: what the guard refuses, that the suite refuses a
sandbox holding other accounts unless told to go on and then leaves them
alone, and that an earlier run's leftovers are cleared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.fixtures import new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import Account, SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.guard import Guard, GuardError
from tests.support.live import (
    PREFIX,
    LiveSettings,
    LiveSetupError,
    open_sandbox,
)
from tests.support.paths import PROJECT_DIR
from tests.support.target import SANDBOX_NAME, Target

pytestmark = pytest.mark.emulator_only

MINE = "mgtest-7-"


def guard() -> Guard:
    return Guard(site_id=5, prefix=MINE, netloc=("plesk.example", 8443))


def mail(body: str) -> bytes:
    return f'<packet version="1.6.9.1"><mail>{body}</mail></packet>'.encode()


@pytest.mark.parametrize(
    "body",
    [
        mail(
            "<create><filter><site-id>5</site-id><mailname><name>mgtest-7-a</name>"
            "</mailname></filter></create>"
        ),
        mail(
            "<update><set><filter><site-id>5</site-id><mailname><name>MGTEST-7-A</name>"
            "</mailname></filter></set></update>"
        ),
        mail("<get_info><filter><site-id>5</site-id></filter><mailbox/></get_info>"),
        mail(
            "<remove><filter><site-id>5</site-id><name>mgtest-7-a</name></filter></remove>"
        ),
        mail(
            "<rename><site-id>5</site-id><name>mgtest-7-a</name>"
            "<new-name>mgtest-7-b</new-name></rename>"
        ),
        mail("<get_prefs><filter><site-id>5</site-id></filter></get_prefs>"),
        mail("<get-available-mail-providers/>"),
        b"<packet><server><get_protos/></server></packet>",
        b'<packet version="1.6.9.1"><site><get><filter><name>x</name></filter>'
        b"<dataset><gen_info/></dataset></get></site></packet>",
    ],
)
def test_the_guard_lets_a_test_work_on_its_own_accounts(body: bytes) -> None:
    assert guard().check(body) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            mail(
                "<create><filter><site-id>5</site-id><mailname><name>info</name>"
                "</mailname></filter></create>"
            ),
            "lacks this test's prefix",
        ),
        (
            mail(
                "<create><filter><site-id>6</site-id><mailname><name>mgtest-7-a</name>"
                "</mailname></filter></create>"
            ),
            "not the sandbox 5",
        ),
        (
            mail(
                "<remove><filter><site-id>5</site-id><name>mgtest-8-a</name>"
                "</filter></remove>"
            ),
            "lacks this test's prefix",
        ),
        (
            mail("<remove><filter><site-id>5</site-id></filter></remove>"),
            "every account of the site",
        ),
        (
            mail(
                "<rename><site-id>5</site-id><name>mgtest-7-a</name>"
                "<new-name>boss</new-name></rename>"
            ),
            "lacks this test's prefix",
        ),
        (mail("<enable><site-id>5</site-id></enable>"), "changes the site itself"),
        (
            mail(
                "<set_prefs><filter><site-id>5</site-id></filter><prefs/></set_prefs>"
            ),
            "changes the site itself",
        ),
        (mail("<get_prefs><filter/></get_prefs>"), "not the sandbox"),
        (
            mail("<get_info><filter><site-id>1</site-id></filter></get_info>"),
            "not the sandbox",
        ),
        (b'<packet version="1.6.9.1"><dns><get_rec/></dns></packet>', "<dns>"),
        (b"<packet><server><reboot/></server></packet>", "<server><reboot>"),
        (b"not xml", "not XML"),
    ],
)
def test_the_guard_refuses_anything_else(body: bytes, problem: str) -> None:
    problems = guard().check(body)
    assert problems and problem in "; ".join(problems), problems


def test_a_refused_packet_never_reaches_the_server(target: Target) -> None:
    """In emulator mode too: the guard stops the packet before it leaves."""
    with (
        target.connect() as client,
        pytest.raises(GuardError, match="changes the site"),
    ):
        client.enable(site_id=target.site_id)
    assert target.packets == 0
    target.guard.refused.clear()  # the refusal was the point; teardown checks it
    assert target._emulator is not None and target._emulator.exchanges == []


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLESK_LIVE_HOST": "h"}, "PLESK_LIVE_PASSWORD (or PLESK_LIVE_SECRET_KEY)"),
        (
            {"PLESK_LIVE_HOST": "h", "PLESK_LIVE_PASSWORD": "p"},
            "PLESK_LIVE_SITE",
        ),
        (
            {
                "PLESK_LIVE_HOST": "h",
                "PLESK_LIVE_PASSWORD": "p",
                "PLESK_LIVE_SITE": "s",
                "PLESK_LIVE_PORT": "x",
            },
            "not a port",
        ),
    ],
)
def test_live_settings_say_what_is_missing(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(LiveSetupError, match=re.escape(message)):
        LiveSettings.from_environment(environ)


def test_live_settings_read_every_variable() -> None:
    assert LiveSettings.from_environment({}) is None
    settings = LiveSettings.from_environment(
        {
            "PLESK_LIVE_HOST": "plesk.example",
            "PLESK_LIVE_SECRET_KEY": "k",
            "PLESK_LIVE_SITE": "sandbox.example.com",
            "PLESK_LIVE_CA_FILE": "/ca.pem",
            "PLESK_LIVE_FORCE": "1",
        }
    )
    assert settings == LiveSettings(
        host="plesk.example",
        port=8443,
        login="admin",
        password=None,
        secret_key="k",
        verify="/ca.pem",
        site="sandbox.example.com",
        force=True,
    )


@pytest.fixture
def sandboxed(tls: TestTLS) -> Iterator[Emulator]:
    """An emulator whose sandbox site is id 3, beside another site."""
    emulator = new_emulator(
        tls, sites=(SiteSpec(1, "a.example"), SiteSpec(3, SANDBOX_NAME))
    ).start()
    yield emulator
    emulator.stop()


def client_of(emulator: Emulator, tls: TestTLS) -> object:
    import plesk_mail

    return plesk_mail.connect(
        "127.0.0.1",
        port=emulator.port,
        password=emulator.password,
        verify=str(tls.ca_file),
        protocol="auto",
    )


def test_the_sandbox_is_found_by_name_and_leftovers_are_cleared(
    sandboxed: Emulator, tls: TestTLS
) -> None:
    sandboxed.store.add_account(3, Account(name=f"{PREFIX}4-info"))
    sandboxed.store.add_account(1, Account(name="boss"))  # another site: untouched
    with client_of(sandboxed, tls) as client:  # type: ignore[attr-defined]
        sandbox = open_sandbox(client, SANDBOX_NAME, force=False)
    assert (sandbox.site_id, sandbox.leftovers, sandbox.foreign) == (
        3,
        (f"{PREFIX}4-info",),
        (),
    )
    assert sandbox.protocols == tuple(sandboxed.versions)
    assert sandboxed.store.accounts(3) == {}
    assert list(sandboxed.store.accounts(1)) == ["boss"]


def test_a_sandbox_with_other_accounts_is_refused_unless_forced(
    sandboxed: Emulator, tls: TestTLS
) -> None:
    sandboxed.store.add_account(3, Account(name="postmaster"))
    with client_of(sandboxed, tls) as client:  # type: ignore[attr-defined]
        with pytest.raises(LiveSetupError, match=r"1 account.*postmaster.*FORCE"):
            open_sandbox(client, SANDBOX_NAME, force=False)
        sandbox = open_sandbox(client, SANDBOX_NAME, force=True)
    assert sandbox.foreign == ("postmaster",)
    assert list(sandboxed.store.accounts(3)) == ["postmaster"]


def test_an_unknown_sandbox_site_is_named(sandboxed: Emulator, tls: TestTLS) -> None:
    with (
        client_of(sandboxed, tls) as client,  # type: ignore[attr-defined]
        pytest.raises(LiveSetupError, match=r"no site 'nowhere\.example'"),
    ):
        open_sandbox(client, "nowhere.example", force=False)


def live_run(
    emulator: Emulator, tls: TestTLS, *tests: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """``pytest`` in live mode against ``emulator``, as CI's second step runs it."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLESK_")},
        "PLESK_LIVE_HOST": "127.0.0.1",
        "PLESK_LIVE_PORT": str(emulator.port),
        "PLESK_LIVE_PASSWORD": emulator.password,
        "PLESK_LIVE_CA_FILE": str(tls.ca_file),
        "PLESK_LIVE_SITE": SANDBOX_NAME,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=PROJECT_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_a_live_run_refuses_then_works_around_other_accounts(
    sandboxed: Emulator, tls: TestTLS
) -> None:
    """The whole plumbing, in a subprocess: the live tests of one module run
    against this emulator; its only other account survives every one."""
    sandboxed.store.add_account(3, Account(name="postmaster", aliases=["pm"]))
    chosen = str(Path("tests") / "test_e2e.py")
    refused = live_run(sandboxed, tls, chosen)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "holds 1 account(s) these tests did not create" in refused.stdout
    sent = [e.body for e in sandboxed.exchanges]  # get_protos, get_sites, get_info
    assert sent and not [
        b for b in sent if b"<get_protos/>" not in b and b"<get" not in b
    ]

    forced = live_run(
        sandboxed, tls, chosen, "-k", "1.6.9.1 or site_by_name", PLESK_LIVE_FORCE="1"
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "4 passed" in forced.stdout and "deselected" in forced.stdout
    assert (
        "live mode" in forced.stdout
        and "account(s) created and removed" in forced.stdout
    )
    assert list(sandboxed.store.accounts(3)) == ["postmaster"]
    assert sandboxed.store.account(3, "postmaster").aliases == ["pm"]  # type: ignore[union-attr]
    assert not sandboxed.response_errors


def test_live_mode_refuses_parallel_workers(sandboxed: Emulator, tls: TestTLS) -> None:
    result = live_run(sandboxed, tls, "-n", "2", "tests/test_e2e.py")
    assert result.returncode != 0
    assert "live mode runs one test at a time" in result.stderr
