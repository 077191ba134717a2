"""Mail as people address it (issue 19): sites by name, accounts by address, fleets routed.

The emulators here know their sites by name (``example.com``, ``bücher.example``,
an add-on domain). Every client case runs through both clients; packets are
counted in the emulators' exchange logs, accounts in their databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plesk_mail
import pytest
from click.testing import CliRunner, Result
from plesk_mail.cli import main

from tests.emulator.fixtures import cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception, assert_clean_exit
from tests.test_fleet import write_config

LATEST = plesk_mail.PROTOCOL_VERSIONS[-1]
SITES = (
    SiteSpec(1, "example.com"),
    SiteSpec(2, "example.org"),
    SiteSpec(3, "bücher.example"),
    SiteSpec(4, "shop.example.net", parent=1),
)
A = plesk_mail.NewMailAccount


@pytest.fixture
def named(tls: TestTLS) -> Iterator[Emulator]:
    emulator = new_emulator(tls, sites=SITES).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def lookups(emulator: Emulator) -> int:
    return sum(1 for e in emulator.exchanges if b"<site>" in e.body)


def names(emulator: Emulator, site_id: int) -> list[str]:
    return sorted(emulator.store.accounts(site_id))


# == the client ======================================================================


@pytest.mark.parametrize("kind", KINDS)
def test_every_site_id_method_takes_the_site_by_name(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    """A slip in the template that drops site= from one operation fails here."""
    with connect_to(named, tls, kind=kind) as client:
        assert client.create(site="example.org", mailnames=[A(name="info")]).ok
        assert client.update_set(
            site="example.org",
            mailnames=[plesk_mail.MailAccountUpdate(name="info", description="note")],
        ).ok
        [info] = client.get_info(site="example.org", names=["info"]).accounts()
        assert info.description == "note"
        assert client.rename(site="example.org", name="info", new_name="hello").ok
        assert (
            client.disable(site="example.org").ok
            and client.enable(site="example.org").ok
        )
        prefs = client.get_prefs(sites=["example.org", "bücher.example"])
        assert sorted(r.site_id for r in prefs) == [2, 3]
        assert client.remove(site="example.org", names=["hello"]).ok
    assert names(named, 2) == []
    assert lookups(named) == 2  # example.org once, bücher.example once: cached


@pytest.mark.parametrize("kind", KINDS)
def test_a_unicode_name_is_found_by_its_ascii_form(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect_to(named, tls, kind=kind) as client:
        assert client.create(site="BÜCHER.example", mailnames=[A(name="a")]).ok
        assert client.create(site="xn--bcher-kva.example", mailnames=[A(name="b")]).ok
    assert names(named, 3) == ["a", "b"]
    assert lookups(named) == 1  # one name, two spellings


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_name_is_an_error_that_names_it_and_sends_nothing(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    with (
        connect_to(named, tls, kind=kind) as client,
        pytest.raises(plesk_mail.PleskError) as caught,
    ):
        client.create(mailnames=[A(name="x@example.com"), A(name="y@nowhere.example")])
    assert_clean_exception(caught.value, LookupError, "nowhere.example")
    assert "1013" in str(caught.value)
    assert [b"<mail>" in e.body for e in named.exchanges] == [False]  # the lookup only
    assert names(named, 1) == []
    progress = caught.value.progress
    assert [p.unsent for p in progress] == [(0, 1)] and not progress[0].in_flight


@pytest.mark.parametrize("kind", KINDS)
def test_a_site_given_twice_or_not_at_all_is_refused(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    """Both guards, each side: the id and the name together, and neither."""
    with connect_to(named, tls, kind=kind) as client:
        with pytest.raises(plesk_mail.ValidationError, match="name the site twice"):
            client.enable(site_id=1, site="example.com")
        with pytest.raises(
            plesk_mail.ValidationError, match="give site_id or its name"
        ):
            client.enable()
        with pytest.raises(plesk_mail.ValidationError, match="is no address"):
            client.get_info(names=["info"])
        with pytest.raises(plesk_mail.ValidationError, match="names its own site"):
            client.get_info(site="example.com", names=["info@example.com"])
    assert not named.exchanges


@pytest.mark.parametrize("kind", KINDS)
def test_addresses_over_domains_take_two_round_trips_and_keep_their_order(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    addresses = ["b@example.org", "a@example.com", "c@bücher.example", "d@example.org"]
    with connect_to(named, tls, kind=kind) as client:
        created = client.create(mailnames=[A(name=a) for a in addresses])
        assert [r.mailname.name for r in created if r.mailname] == ["b", "a", "c", "d"]
        assert len(named.exchanges) == 2  # one lookup packet, one packet of creates
        found = client.get_info(names=[*addresses, "nobody@example.com"])
        assert [
            r.mailname.name if r.ok and r.mailname else r.errcode for r in found
        ] == [
            "b",
            "a",
            "c",
            "d",
            1013,
        ]
        assert len(named.exchanges) == 3  # every domain was known: no lookup
        removed = client.remove(names=["d@example.org", "a@example.com"])
        assert [r.mailname.name for r in removed if r.mailname] == ["d", "a"]
    assert (
        names(named, 1) == [] and names(named, 2) == ["b"] and names(named, 3) == ["c"]
    )
    [creates] = [e.body for e in named.exchanges if b"<create>" in e.body]
    assert creates.count(b"<create>") == 3  # one create per site, in one packet


@pytest.mark.parametrize("kind", KINDS)
def test_results_out_of_order_are_put_back_by_name(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    """A slip that placed results by position would put y's answer on x."""
    with connect_to(named, tls, kind=kind) as client:
        client.get_info(site="example.com")  # looked up: the next call is one packet
        named.scripted.append(
            RawAnswer(
                (
                    f'<packet version="{LATEST}"><mail><get_info>'
                    "<result><status>ok</status><mailname><id>2</id><name>y</name>"
                    "</mailname></result><result><status>ok</status><mailname><id>1</id>"
                    "<name>x</name></mailname></result></get_info></mail></packet>"
                ).encode()
            )
        )
        found = client.get_info(names=["x@example.com", "y@example.com"])
    assert [r.mailname.id for r in found if r.mailname] == [1, 2]


@pytest.mark.parametrize("kind", KINDS)
def test_the_cache_lives_with_the_client_and_can_be_dropped(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect_to(named, tls, kind=kind) as client:
        client.get_info(site="example.com")
        client.get_info(site="example.com")
        assert lookups(named) == 1
        client.forget_sites()
        client.get_info(site="example.com")
        assert lookups(named) == 2
        client.know_sites({"example.org": 2})
        client.get_info(site="example.org")
        assert lookups(named) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_named_gives_typed_sites_and_names_the_unknown(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect_to(named, tls, kind=kind) as client:
        sites = client.get_sites(
            names=["shop.example.net", "bücher.example"], gen_info=True
        ).named()
        assert [(s.id, s.name, s.ascii_name, s.webspace_id) for s in sites] == [
            (4, "shop.example.net", "shop.example.net", 1),
            (3, "bücher.example", "xn--bcher-kva.example", 3),
        ]
        found = client.get_sites(
            names=["example.com", "nowhere.example"], gen_info=True
        )
        with pytest.raises(LookupError, match=r"nowhere\.example"):
            found.named()


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_looks_every_name_up_in_one_packet(
    named: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect_to(named, tls, kind=kind) as client, client.batch() as batch:
        first = batch.create(site="example.com", mailnames=[A(name="one")])
        second = batch.create(mailnames=[A(name="two@example.org")])
    assert first.value.ok and second.value.ok
    assert len(named.exchanges) == 2 and lookups(named) == 1


# == the command line ================================================================


def run(emulator: Emulator, tls: TestTLS, *args: str, **kwargs: Any) -> Result:
    return CliRunner().invoke(main, list(args), env=cli_env(emulator, tls), **kwargs)


def test_cli_takes_sites_by_name_and_accounts_by_address(
    named: Emulator, tls: TestTLS
) -> None:
    made = run(
        named,
        tls,
        "create",
        "info@example.com",
        "sales@example.org",
        "--mailbox-enabled",
    )
    assert made.exit_code == 0, made.output
    assert names(named, 1) == ["info"] and names(named, 2) == ["sales"]
    quota = run(named, tls, "update-set", "info@example.com", "--mailbox-quota", "2G")
    assert quota.exit_code == 0, quota.output
    shown = run(named, tls, "--json", "get-info", "--site", "example.com", "--mailbox")
    [result] = json.loads(shown.stdout)["results"]
    assert result["mailname"]["mailbox"]["quota"] == 2 * 2**30
    listed = run(
        named, tls, "--json", "get-info", "info@example.com", "sales@example.org"
    )
    found = json.loads(listed.stdout)["results"]
    assert [(r["status"], r["mailname"]["name"]) for r in found] == [
        ("ok", "info"),
        ("ok", "sales"),
    ]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        pytest.param(
            ["get-info", "--site", "nowhere.example"],
            ["no site named nowhere.example"],
            id="site",
        ),
        pytest.param(
            ["get-info", "x@nowhere.example"],
            ["no site named nowhere.example"],
            id="address",
        ),
        pytest.param(["enable"], ["Missing option --site-id or --site"], id="no-site"),
        pytest.param(
            ["get-info", "--site", "example.com", "a@example.com"],
            ["addresses name their own sites"],
            id="site-and-address",
        ),
        pytest.param(
            ["get-info", "--name", "a", "a@example.com"],
            ["give --name or addresses"],
            id="name-and-address",
        ),
    ],
)
def test_cli_names_one_clear_line(
    named: Emulator, tls: TestTLS, args: list[str], names: list[str]
) -> None:
    result = run(named, tls, *args)
    code = 3 if "no site" in names[0] else 2
    assert_clean_exit(result, code, *names)
    assert not any(b"<mail>" in e.body for e in named.exchanges)


def test_plesk_mail_sites_shows_each_name(named: Emulator, tls: TestTLS) -> None:
    result = run(
        named,
        tls,
        "--json",
        "sites",
        "example.com",
        "shop.example.net",
        "nowhere.example",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "name": "example.com",
            "ascii_name": "example.com",
            "id": 1,
            "webspace_id": 1,
            "status": 0,
        },
        {
            "name": "shop.example.net",
            "ascii_name": "shop.example.net",
            "id": 4,
            "webspace_id": 1,
            "status": 0,
        },
    ]
    assert result.stderr.strip() == "plesk-mail: no site named nowhere.example"


def test_a_file_with_an_address_column(
    named: Emulator, tls: TestTLS, tmp_path: Path
) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(
        "address,mailbox-enabled\na@example.com,true\nb@example.org,true\nc@x.invalid,true\n"
    )
    result = run(named, tls, "create", "--from-file", str(rows))
    assert result.exit_code == 3, result.output  # x.invalid: no such site, nothing sent
    assert "no site named x.invalid" in result.stderr and names(named, 1) == []
    rows.write_text("address,mailbox-enabled\na@example.com,true\nb@example.org,true\n")
    again = run(named, tls, "create", "--from-file", str(rows))
    assert again.exit_code == 0, again.output
    assert names(named, 1) == ["a"] and names(named, 2) == ["b"]


# == fleets ==========================================================================


@pytest.fixture
def three(tls: TestTLS, tmp_path: Path) -> Iterator[tuple[list[Emulator], Path]]:
    """Three servers, ten domains each (d<server><n>.example), protocols pinned."""
    servers = [
        new_emulator(
            tls, sites=tuple(SiteSpec(n + 1, f"d{i}{n}.example") for n in range(10))
        ).start()
        for i in range(3)
    ]
    entries = {
        f"w{i}": {
            "host": f"127.0.0.1:{server.port}",
            "ca_file": str(tls.ca_file),
            "password_env": "ROUTE_PW",
            "protocol": LATEST,
        }
        for i, server in enumerate(servers)
    }
    config = write_config(tmp_path / "fleet.toml", entries)
    try:
        yield servers, config
    finally:
        for server in servers:
            server.stop()


def fleet_run(three: tuple[list[Emulator], Path], *args: str) -> Result:
    servers, config = three
    env = {"ROUTE_PW": servers[0].password, "PLESK_HOST": "", "PLESK_PASSWORD": ""}
    return CliRunner().invoke(main, ["--config", str(config), *args], env=env)


def test_a_file_of_300_addresses_goes_to_the_right_servers(
    three: tuple[list[Emulator], Path], tmp_path: Path
) -> None:
    """The issue's fleet case: 300 addresses over 30 domains from one file."""
    servers, _ = three
    rows = tmp_path / "all.csv"
    addresses = [
        f"u{k}@d{i}{n}.example" for k in range(10) for n in range(10) for i in range(3)
    ]
    rows.write_text("address\n" + "".join(f"{a}\n" for a in addresses))
    result = fleet_run(
        three, "--servers", "all", "--json", "create", "--from-file", str(rows)
    )
    assert result.exit_code == 0, result.output
    for i, server in enumerate(servers):
        stored = {
            f"{a.name}@d{i}{a.site_id - 1}.example" for a in server.store.all_accounts()
        }
        assert stored == {a for a in addresses if f"@d{i}" in a}  # once, and only here
        assert len(server.exchanges) == 2  # one lookup, one packet of creates
    document = json.loads(result.stdout)
    rows_back = sorted(
        r["row"] for s in document["servers"].values() for r in s["results"]
    )
    assert rows_back == list(range(2, 302))


def test_a_call_by_name_goes_only_where_the_domain_is(
    three: tuple[list[Emulator], Path],
) -> None:
    servers, config = three
    outcomes = plesk_mail.fleet(
        ["all"], config=config, password=servers[0].password
    ).create(site="d15.example", mailnames=[A(name="info")])
    assert list(outcomes) == ["w1"] and outcomes["w1"].ok
    assert [len(s.exchanges) for s in servers] == [1, 2, 1]  # a lookup each; one create


@pytest.mark.parametrize(
    ("duplicate", "names"),
    [
        pytest.param(
            None, ["no site named nowhere.example on any server"], id="nowhere"
        ),
        pytest.param("d05.example", ["d05.example is on w0 and w2"], id="twice"),
    ],
)
def test_a_domain_on_no_server_or_on_two_stops_the_call(
    three: tuple[list[Emulator], Path], duplicate: str | None, names: list[str]
) -> None:
    servers, _ = three
    if duplicate is not None:
        servers[2].store.seed(SiteSpec(11, duplicate))
    address = f"a@{duplicate or 'nowhere.example'}"
    result = fleet_run(three, "--servers", "all", "create", address, "b@d11.example")
    assert_clean_exit(result, 3 if duplicate is None else 2, *names)
    assert not any(b"<mail>" in e.body for s in servers for e in s.exchanges)


def test_where_says_which_server_hosts_a_domain(
    three: tuple[list[Emulator], Path],
) -> None:
    result = fleet_run(
        three,
        "--servers",
        "all",
        "--format",
        "csv",
        "where",
        "d23.example",
        "d04.example",
        "nowhere.example",
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "name,servers",
        "d23.example,w2",
        "d04.example,w0",
    ]
    assert result.stderr.strip() == "plesk-mail: no site named nowhere.example"
