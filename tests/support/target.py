"""The ``target`` fixture: the emulator, or a real Plesk, behind one interface.

An end-to-end test written against ``target`` runs in the ordinary test run
against a fresh in-process emulator, and against a real Plesk when the
``PLESK_LIVE_*`` variables are set (``tests/support/live.py``). Either way it
works in one sandbox site (``target.site_id``) on accounts named with its own
prefix (``target.name("info")``), every packet it sends passes the guard
(``tests/support/guard.py``), and its accounts are removed after it, passed
or failed. It talks to the server as a user would: ``target.connect()``, the
``plesk-mail`` command (``target.cli(...)``), never the emulator's insides.

The hooks below mark such tests ``live``, mark tests that need the
emulator's control (fixtures ``emulator`` or ``tls``, or the marker set by
hand) ``emulator_only``, and in live mode run only the ``live`` ones, one at
a time, and report what the run cost.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.support.guard import Guard, watch
from tests.support.live import (
    PREFIX,
    LiveSettings,
    LiveSetupError,
    Sandbox,
    open_sandbox,
    remove_prefixed,
)

STRONG_PASSWORD = "test-&PWD*1@42!13#"
"""An account password Plesk's default policy takes (api-php-lib's tests use it)."""
SANDBOX_NAME = "sandbox.example.com"
"""The sandbox site of emulator mode (and of CI's live run against the emulator)."""
_numbers = itertools.count(1)


@dataclass
class Stats:
    """What a live run did, for the summary line."""

    tests: int = 0
    packets: int = 0
    created: int = 0
    started: float = field(default_factory=time.monotonic)


class Target:
    """One test's server: where it is, how to log in, which site and names."""

    def __init__(
        self,
        settings: LiveSettings,
        sandbox: Sandbox,
        guard: Guard,
        emulator: Any = None,
    ) -> None:
        self.settings = settings
        self.site_id = sandbox.site_id
        self.site_name = sandbox.site_name
        self.protocols = sandbox.protocols
        self.prefix = guard.prefix
        self.guard = guard
        self.live = emulator is None
        self._emulator = emulator

    def __repr__(self) -> str:
        where = "live" if self.live else "emulator"
        return f"Target({where} {self.settings.host}:{self.settings.port}, site {self.site_id})"

    # -- names and versions ----------------------------------------------------

    def name(self, base: str) -> str:
        """This test's account name for ``base``: ``mgtest-12-info``."""
        return f"{self.prefix}{base}"

    def use(self, version: str) -> str:
        """``version``, or skip the test where the server does not speak it."""
        if version not in self.protocols:
            pytest.skip(f"the server does not speak protocol {version}")
        return version

    @property
    def secret_key(self) -> str:
        """The secret key to log in with, or skip the test without one."""
        if self.settings.secret_key is None:
            pytest.skip("no PLESK_LIVE_SECRET_KEY: secret key logins are not tested")
        return self.settings.secret_key

    @property
    def packets(self) -> int:
        """Packets this test sent to the server so far."""
        return self.guard.packets

    @property
    def bodies(self) -> list[bytes]:
        """The packets this test sent, in order."""
        return list(self.guard.bodies)

    # -- talking to it --------------------------------------------------------

    def options(self, **overrides: Any) -> dict[str, Any]:
        """``connect()``'s keyword arguments for this server (a password login
        where there is a password, else the secret key), pinned to the newest
        protocol both speak: a test counts its own packets, not a negotiation."""
        settings = self.settings
        chosen: dict[str, Any] = {
            "port": settings.port,
            "verify": settings.verify,
            "timeout": 30,
            "protocol": self.protocols[-1],
        }
        if settings.password is not None:
            chosen.update(login=settings.login, password=settings.password)
        else:
            chosen.update(secret_key=settings.secret_key)
        chosen.update(overrides)
        return chosen

    def connect(self, *, kind: str = "sync", **overrides: Any) -> Any:
        """A client of this server (``kind="async"``: the async one, blocking)."""
        import plesk_mail

        from tests.support.both import Blocking

        options = self.options(**overrides)
        if kind == "async":
            client = Blocking(plesk_mail.connect_async(self.settings.host, **options))
            return client.__enter__()
        return plesk_mail.connect(self.settings.host, **options)

    def env(self) -> dict[str, str]:
        """The environment a ``plesk-mail`` user sets for this server."""
        settings = self.settings
        verify = settings.verify
        by_key = settings.password is None
        return {
            "PLESK_HOST": settings.host,
            "PLESK_PORT": str(settings.port),
            "PLESK_LOGIN": "" if by_key else (settings.login or ""),
            "PLESK_PASSWORD": settings.password or "",
            "PLESK_SECRET_KEY": (settings.secret_key or "") if by_key else "",
            "PLESK_CA_FILE": verify if isinstance(verify, str) else "",
            "PLESK_PROTOCOL": self.protocols[-1],
        }

    def cli(self, *args: str, protocol: str | None = None) -> Result:
        """``plesk-mail [--protocol P] ARGS`` as a user runs it; no traceback."""
        from plesk_mail.cli import main

        from tests.support.corpus import assert_no_traceback

        words = ["--protocol", protocol] if protocol else []
        if self.settings.verify is False:
            words.append("--insecure")
        result = CliRunner().invoke(main, [*words, *args], env=self.env())
        assert_no_traceback(result)
        return result

    def accounts(self, client: Any) -> dict[str, Any]:
        """This test's accounts on the server, by name, with every detail."""
        found = client.get_info(
            site_id=self.site_id,
            mailbox=True,
            forwarding=True,
            aliases=True,
            autoresponder=True,
        ).accounts()
        return {a.name: a for a in found if a.name.casefold().startswith(self.prefix)}


# -- fixtures -------------------------------------------------------------------


def _settings(config: pytest.Config) -> LiveSettings | None:
    return config.stash.get(_LIVE, None)


_LIVE = pytest.StashKey[LiveSettings | None]()
_STATS = pytest.StashKey[Stats]()


@pytest.fixture(scope="session")
def live_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Live mode: the sandbox, checked once; every ``mgtest-`` account removed at the end."""
    import plesk_mail

    settings = _settings(request.config)
    assert settings is not None
    options: dict[str, Any] = {
        "port": settings.port,
        "verify": settings.verify,
        "protocol": "auto",
    }
    if settings.password is not None:
        options.update(login=settings.login, password=settings.password)
    else:
        options.update(secret_key=settings.secret_key)
    try:
        with plesk_mail.connect(settings.host, **options) as client:
            sandbox = open_sandbox(client, settings.site, settings.force)
    except (LiveSetupError, plesk_mail.PleskError) as exc:
        pytest.exit(f"live mode: {exc}", returncode=3)
    yield sandbox
    with plesk_mail.connect(settings.host, **options) as client:
        remove_prefixed(client, sandbox.site_id, PREFIX)


@pytest.fixture
def target(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    """The server of an end-to-end test: see the module's docstring."""
    settings = _settings(request.config)
    emulator = None
    if settings is None:
        emulator, settings, sandbox = _emulated(request)
    else:
        sandbox = request.getfixturevalue("live_sandbox")
    prefix = f"{PREFIX}{next(_numbers)}-"
    guard = Guard(sandbox.site_id, prefix, (settings.host, settings.port))
    watch(monkeypatch, guard)
    found = Target(settings, sandbox, guard, emulator)
    try:
        yield found
    finally:
        try:
            with found.connect(protocol=sandbox.protocols[-1]) as client:
                remove_prefixed(client, sandbox.site_id, prefix)
                left = found.accounts(client)
        finally:
            stats = request.config.stash[_STATS]
            stats.tests += 1
            stats.packets += guard.packets
            stats.created += guard.created
            if emulator is not None:
                emulator.stop()
                emulator.store.close()
        assert not left, f"accounts left behind: {sorted(left)}"
        assert not guard.refused, guard.refused
        if emulator is not None:
            assert not emulator.response_errors, emulator.response_errors


def _emulated(request: pytest.FixtureRequest) -> tuple[Any, LiveSettings, Sandbox]:
    """Emulator mode: a fresh emulator with the sandbox site (id 1) and another."""
    from tests.emulator.fixtures import new_emulator
    from tests.emulator.store import SiteSpec

    tls = request.getfixturevalue("tls")
    emulator = new_emulator(
        tls, sites=(SiteSpec(1, SANDBOX_NAME), SiteSpec(2, "elsewhere.example"))
    ).start()
    settings = LiveSettings(
        host="127.0.0.1",
        port=emulator.port,
        login=emulator.login,
        password=emulator.password,
        secret_key=emulator.secret_key,  # key logins are tested too
        verify=str(tls.ca_file),
        site=SANDBOX_NAME,
        force=False,
    )
    sandbox = Sandbox(1, SANDBOX_NAME, tuple(emulator.versions), (), ())
    return emulator, settings, sandbox


# -- hooks ---------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = LiveSettings.from_environment()
    except LiveSetupError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_LIVE] = settings
    config.stash[_STATS] = Stats()
    if settings is not None and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "live mode runs one test at a time (they share the sandbox site): "
            "run without -n"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Mark ``live`` and ``emulator_only`` tests; in live mode keep the live ones."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        names -= set(getattr(getattr(item, "callspec", None), "params", {}))
        if "target" in names:
            item.add_marker(pytest.mark.live)
        elif names & {"emulator", "tls"} and not item.get_closest_marker(
            "emulator_only"
        ):
            item.add_marker(pytest.mark.emulator_only)
    if _settings(config) is None:
        return
    kept = [item for item in items if _runs_live(item)]
    dropped = [item for item in items if not _runs_live(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def _runs_live(item: pytest.Item) -> bool:
    """A ``target`` test that is not marked ``emulator_only`` by hand."""
    return bool(item.get_closest_marker("live")) and not item.get_closest_marker(
        "emulator_only"
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    settings = _settings(config)
    stats = config.stash.get(_STATS, None)
    if settings is None or stats is None:
        return
    terminalreporter.write_sep("-", "live mode")
    terminalreporter.write_line(
        f"{settings.host}:{settings.port}, site {settings.site}: {stats.tests} "
        f"test(s), {stats.packets} packet(s), {stats.created} account(s) created "
        f"and removed, {time.monotonic() - stats.started:.1f} s"
    )
