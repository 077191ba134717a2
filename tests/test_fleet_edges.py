"""The fleet's edges: what ``runtime/fleet/servers.py`` reports for each server (issue 18).

Outcomes of servers that answered, failed before the call, failed during it,
or raised something unexpected; how many run at once; calls routed to where
their domains are; Ctrl-C and cancellation that say what each server had
done; the signatures editors show. The emulators run in this process: one
httpx client (``http_client=``, handed to every server's connection) answers
each request with the emulator its port names, so a fleet of three costs
milliseconds.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import plesk_mail
import pytest
from plesk_mail.runtime.base.errors import StoppedError, Terminated
from plesk_mail.runtime.fleet.config import Server
from plesk_mail.runtime.fleet.servers import Outcome, stoppable

from tests.emulator.fixtures import SITE_ID, new_emulator
from tests.emulator.server import RawAnswer
from tests.emulator.store import Account, SiteSpec
from tests.support.inproc import answer

LATEST = plesk_mail.LATEST_PROTOCOL


class Farm:
    """Emulators by port, and the one httpx client that reaches them all."""

    def __init__(self, count: int) -> None:
        self.servers = {
            9000 + n: new_emulator(None, sites=(SiteSpec(SITE_ID, f"site{n}.example"),))
            for n in range(count)
        }
        self.active = 0
        self.most = 0
        self.hold = 0.0
        lock = threading.Lock()

        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            with lock:
                self.active += 1
                self.most = max(self.most, self.active)
            try:
                if self.hold:
                    await asyncio.sleep(self.hold)
                return answer(self.servers[int(request.url.port or 0)], request)
            finally:
                with lock:
                    self.active -= 1

        self.client = httpx.AsyncClient(transport=httpx.MockTransport(handle))

    def entry(self, port: int, **extra: Any) -> Server:
        return Server(
            name=f"s{port - 9000}",
            host=f"127.0.0.1:{port}",
            protocol=extra.pop("protocol", LATEST),
            **extra,
        )

    def fleet(self, *servers: Server, **options: Any) -> Any:
        chosen = servers or tuple(self.entry(port) for port in self.servers)
        return plesk_mail.Fleet(
            list(chosen),
            http_client=self.client,
            password=next(iter(self.servers.values())).password,
            **options,
        )

    def close(self) -> None:
        for server in self.servers.values():
            server.store.close()


@pytest.fixture
def farm() -> Iterator[Farm]:
    found = Farm(3)
    try:
        yield found
    finally:
        found.close()


def test_every_server_has_an_outcome_in_the_order_given(farm: Farm) -> None:
    """Catches outcomes in the order servers finished, or one server's answer under another's name."""
    farm.servers[9001].store.add_account(SITE_ID, Account(name="only-here"))
    servers = [farm.entry(9002), farm.entry(9001), farm.entry(9000)]
    outcomes = farm.fleet(*servers).get_info(site_id=SITE_ID)
    assert list(outcomes) == ["s2", "s1", "s0"]
    assert all(isinstance(o, Outcome) and o.error is None for o in outcomes.values())
    assert [a.name for a in outcomes["s1"].value.accounts()] == ["only-here"]
    assert outcomes["s1"].protocol == LATEST and outcomes["s1"].started
    assert outcomes["s1"].seconds >= 0 and outcomes["s1"].ok


def test_a_server_that_fails_is_its_own_outcome(farm: Farm) -> None:
    """Catches a failing server that stops the others, or an outcome that hides why."""
    farm.servers[9001].password = "another"
    farm.servers[9002].scripted.append(RawAnswer(b"not xml"))
    outcomes = farm.fleet().enable(site_id=1)
    ok, refused, broken = outcomes["s0"], outcomes["s1"], outcomes["s2"]
    assert ok.ok and ok.error is None and ok.value is not None
    assert isinstance(refused.error, plesk_mail.AuthenticationError)
    assert refused.value is None and not refused.ok and refused.started
    assert isinstance(broken.error, plesk_mail.ResponseError) and broken.value is None


def test_an_outcome_with_failed_items_is_not_ok(farm: Farm) -> None:
    """Catches ``ok`` that looks at the error only, not at the items."""
    farm.servers[9000].store.add_account(1, Account(name="taken"))
    outcomes = farm.fleet().create(
        site_id=1, mailnames=[plesk_mail.NewMailAccount(name="taken")]
    )
    assert outcomes["s0"].error is None and not outcomes["s0"].ok
    assert outcomes["s1"].ok
    assert Outcome("x", None, None, None, 0.0).ok  # no value with items: ok
    assert not Outcome("x", None, None, plesk_mail.PleskError("e"), 0.0).ok


def test_an_unusable_entry_fails_before_the_call(farm: Farm) -> None:
    """Catches an entry's problem reported as a failed call (``started``), or stopping the fleet."""
    broken = Server(name="bad", host="", problem="c.toml: servers.bad has no host")
    outcomes = farm.fleet(farm.entry(9000), broken).enable(site_id=1)
    assert outcomes["s0"].ok
    error = outcomes["bad"].error
    assert isinstance(error, plesk_mail.ConfigurationError)
    assert str(error) == "c.toml: servers.bad has no host"
    assert not outcomes["bad"].started and outcomes["bad"].protocol is None


def test_an_unexpected_error_costs_only_its_server(
    farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a bug in one server's path (any exception) that ends the fleet."""
    fleet = farm.fleet()
    real = fleet._one

    async def one(server: Server, *args: Any) -> None:
        if server.name == "s1":
            raise KeyError("boom")
        await real(server, *args)

    monkeypatch.setattr(fleet, "_one", one)
    outcomes = fleet.enable(site_id=1)
    assert str(outcomes["s1"].error) == "unexpected KeyError: 'boom'"
    assert type(outcomes["s1"].error) is plesk_mail.PleskError
    assert outcomes["s0"].ok and outcomes["s2"].ok


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_at_most_parallel_servers_at_a_time(farm: Farm, parallel: int) -> None:
    """Catches ``parallel`` ignored (all at once) or off by one."""
    farm.hold = 0.05
    fleet = farm.fleet(parallel=parallel)
    assert all(o.ok for o in fleet.enable(site_id=1).values())
    assert farm.most == parallel


def test_parallel_must_be_at_least_one() -> None:
    """Catches a fleet of ``parallel=0`` made (it would wait forever)."""
    with pytest.raises(ValueError, match="parallel must be at least 1, got 0"):
        plesk_mail.Fleet([], parallel=0)
    assert plesk_mail.Fleet([], parallel=1).servers == []


def test_a_credential_comes_from_the_entry_unless_given(
    farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches an entry's secret ignored, or one given to the fleet overridden by the entry."""
    password = farm.servers[9000].password
    monkeypatch.setenv("FARM_PW", password)
    entry = farm.entry(9000, secret_source=("password_env", "FARM_PW"))
    alone = plesk_mail.Fleet([entry], http_client=farm.client)
    assert alone.enable(site_id=1)["s0"].ok
    monkeypatch.setenv("FARM_PW", "wrong")
    given = plesk_mail.Fleet([entry], http_client=farm.client, password=password)
    assert given.enable(site_id=1)["s0"].ok
    assert isinstance(
        alone.enable(site_id=1)["s0"].error, plesk_mail.AuthenticationError
    )


def test_a_call_by_name_goes_where_the_domain_is(farm: Farm) -> None:
    """Catches a routed call sent to every server, or with the site ids of another server."""
    fleet = farm.fleet()
    outcomes = fleet.create(
        mailnames=[
            plesk_mail.NewMailAccount(name="a@site2.example"),
            plesk_mail.NewMailAccount(name="b@site0.example"),
        ]
    )
    assert set(outcomes) == {"s0", "s2"}
    assert fleet.last_plan is not None
    assert fleet.last_plan.hosted == {
        "s2": {"site2.example": 1},
        "s0": {"site0.example": 1},
    }
    assert list(farm.servers[9002].store.accounts(SITE_ID)) == ["a"]
    assert list(farm.servers[9000].store.accounts(1)) == ["b"]
    assert len(farm.servers[9001].exchanges) == 1  # asked where the domains are, only


def test_ctrl_c_says_what_each_server_had_done(farm: Farm) -> None:
    """Catches a Ctrl-C whose outcomes lose the servers that answered, or say a held one answered."""
    farm.servers[9001].scripted.append(RawAnswer(b"", delay=30))
    farm.hold = 0.0
    fleet = farm.fleet()
    held = farm.servers[9001]

    async def slow(request: httpx.Request) -> httpx.Response:
        await request.aread()
        if request.url.port == 9001:
            await asyncio.sleep(30)
        return answer(farm.servers[int(request.url.port or 0)], request)

    fleet.options["http_client"] = httpx.AsyncClient(
        transport=httpx.MockTransport(slow)
    )
    main = threading.get_ident()

    def fire() -> None:
        ends = time.monotonic() + 10
        while len(farm.servers[9000].exchanges) < 1 and time.monotonic() < ends:
            time.sleep(0.01)
        time.sleep(0.3)
        signal.pthread_kill(main, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=fire, daemon=True).start()
        with pytest.raises(KeyboardInterrupt) as caught:
            fleet.enable(site_id=1)
    finally:
        signal.signal(signal.SIGINT, previous)
    outcomes = caught.value.outcomes  # type: ignore[attr-defined]
    assert list(outcomes) == ["s0", "s1", "s2"]
    assert outcomes["s0"].ok
    stopped = outcomes["s1"].error
    assert isinstance(stopped, StoppedError)
    assert str(stopped) == "stopped before this server answered"
    assert stopped.sent is True
    assert held.exchanges == []


def test_a_signal_the_fleet_watches_stops_it_as_terminated(farm: Farm) -> None:
    """Catches SIGTERM of a fleet run (the command line's) ignored, or ending the process."""

    async def run() -> Any:
        fleet = farm.fleet()
        fleet.stop_signals = (signal.SIGUSR1,)
        farm.hold = 2.0
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, signal.raise_signal, signal.SIGUSR1)
        return await fleet._routed("enable", (), {"site_id": 1}, {})

    with pytest.raises(Terminated) as caught:
        asyncio.run(run())
    assert caught.value.signum == signal.SIGUSR1
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL  # handler given back

    async def quick() -> int:
        return await stoppable(asyncio.sleep(0, result=7), (signal.SIGUSR1,))

    assert asyncio.run(quick()) == 7


def test_the_async_fleet_and_its_signatures(farm: Farm) -> None:
    """Catches the async fleet answering otherwise than the fleet, or editors shown the client's return type."""
    entries = [farm.entry(port) for port in farm.servers]
    fleet = plesk_mail.AsyncFleet(
        entries, http_client=farm.client, password=farm.servers[9000].password
    )
    outcomes = asyncio.run(fleet.enable(site_id=1))
    assert list(outcomes) == ["s0", "s1", "s2"] and all(o.ok for o in outcomes.values())
    shown = inspect.signature(plesk_mail.Fleet.get_info).return_annotation
    assert shown == "dict[str, Outcome[GetInfoResults]]"
    assert plesk_mail.Fleet.get_info.__annotations__["return"] == shown
    assert inspect.signature(plesk_mail.AsyncFleet.enable).return_annotation == (
        "dict[str, Outcome[Results[Result]]]"
    )
