"""The emulator's sites: names, subscriptions, ``site/get``, several operators a packet.

Raw packets over HTTPS, as any Plesk client sends them; the emulator checks
each request and each answer against the version's XSDs through the envelope
(``schemas/envelope/``), so every answer below is one a real schema accepts.
What it answers follows Plesk (sources in ``tests/emulator/site.py``).
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.emulator import __main__ as standalone
from tests.emulator.fixtures import new_emulator
from tests.emulator.server import Emulator
from tests.emulator.store import SiteNameTaken, SiteSpec, Store, UnknownParent
from tests.emulator.tls import TestTLS
from tests.support.protocols import VERSIONS
from tests.test_emulator import post, system_error

LATEST = VERSIONS[-1]
SITES = (
    SiteSpec(1, "example.com"),
    SiteSpec(2, "bücher.example"),
    SiteSpec(3, "shop.example.net", parent=1),  # an add-on domain of example.com's
    SiteSpec(4, "blog.example.com", parent=1),  # a subdomain of example.com
    SiteSpec(5),  # a bare id: site5.example
)
PARSE_ERROR = 1014
NOT_FOUND = 1013


@pytest.fixture
def emulator(tls: TestTLS) -> Iterator[Emulator]:
    server = new_emulator(tls, sites=SITES).start()
    try:
        yield server
    finally:
        server.stop()
        server.store.close()
        assert not server.response_errors, server.response_errors


def site_get(
    emulator: Emulator, tls: TestTLS, rules: str, version: str = LATEST
) -> list[etree._Element]:
    """The ``<result>`` elements of a ``site/get`` with ``gen_info``."""
    answer = post(
        emulator,
        tls,
        f'<packet version="{version}"><site><get><filter>{rules}</filter>'
        "<dataset><gen_info/></dataset></get></site></packet>".encode(),
    )
    assert [child.tag for child in answer] == ["site"]
    return list(answer.iterfind("site/get/result"))


def found(results: list[etree._Element]) -> list[tuple[str, str, str]]:
    """``(filter-id, id, name)`` of each ok result."""
    assert all(r.findtext("status") == "ok" for r in results)
    return [
        (
            r.findtext("filter-id", ""),
            r.findtext("id", ""),
            r.findtext("data/gen_info/name", ""),
        )
        for r in results
    ]


# -- filters -----------------------------------------------------------------------


def test_a_name_finds_main_and_add_on_domains_alike(
    emulator: Emulator, tls: TestTLS
) -> None:
    results = site_get(
        emulator, tls, "<name>example.com</name><name>shop.example.net</name>"
    )
    assert found(results) == [
        ("example.com", "1", "example.com"),
        ("shop.example.net", "3", "shop.example.net"),
    ]
    assert [r.findtext("data/gen_info/webspace-id") for r in results] == ["1", "1"]


def test_a_unicode_name_matches_by_its_punycode_and_in_any_case(
    emulator: Emulator, tls: TestTLS
) -> None:
    names = ["bücher.example", "xn--bcher-kva.example", "Bücher.EXAMPLE"]
    results = site_get(emulator, tls, "".join(f"<name>{n}</name>" for n in names))
    assert found(results) == [(n, "2", "bücher.example") for n in names]
    assert {r.findtext("data/gen_info/ascii-name") for r in results} == {
        "xn--bcher-kva.example"
    }


def test_an_unknown_name_is_error_1013_echoing_the_name(
    emulator: Emulator, tls: TestTLS
) -> None:
    # What Plesk answers for a filter value that matches no object: a result
    # with status error and code 1013, filter-id holding the value asked for,
    # no id and no data (Plesk XML API reference: "Error Codes" shows
    # <status>error</status><errcode>1013</errcode> for an object not found,
    # and "Available Filters": filter-id returns the filter's value, also
    # "in case of error"; DESIGN.md lists 1013 as "object does not exist").
    [missing] = site_get(emulator, tls, "<name>nowhere.example</name>")
    assert [child.tag for child in missing] == [
        "status",
        "errcode",
        "errtext",
        "filter-id",
    ]
    assert missing.findtext("status") == "error"
    assert missing.findtext("errcode") == str(NOT_FOUND)
    assert missing.findtext("errtext") == "Site does not exist"
    assert missing.findtext("filter-id") == "nowhere.example"


def test_ids_and_guids(emulator: Emulator, tls: TestTLS) -> None:
    [shop] = site_get(emulator, tls, "<id>3</id>")
    guid = shop.findtext("data/gen_info/guid", "")
    assert len(guid) == 36
    assert found(site_get(emulator, tls, f"<guid>{guid.upper()}</guid>")) == [
        (guid.upper(), "3", "shop.example.net")
    ]
    [unknown] = site_get(emulator, tls, "<id>99</id>")
    assert (unknown.findtext("errcode"), unknown.findtext("filter-id")) == (
        "1013",
        "99",
    )


def test_a_subscription_filter_never_returns_its_main_domain(
    emulator: Emulator, tls: TestTLS
) -> None:
    """api-php-lib SiteTest::testGet: parent-id gives the add-on domains only,
    and a subscription without any answers nothing (no error)."""
    main = site_get(emulator, tls, "<id>1</id>")[0]
    guid = main.findtext("data/gen_info/guid")
    for rule in (
        "<parent-id>1</parent-id>",
        "<parent-name>example.com</parent-name>",
        f"<parent-guid>{guid}</parent-guid>",
    ):
        assert [id_ for _, id_, _ in found(site_get(emulator, tls, rule))] == ["3", "4"]
    assert site_get(emulator, tls, "<parent-id>2</parent-id>") == []
    [unknown] = site_get(emulator, tls, "<parent-name>shop.example.net</parent-name>")
    assert (unknown.findtext("errcode"), unknown.findtext("errtext")) == (
        "1013",
        "Webspace does not exist",
    )


def test_a_parent_site_filter_returns_its_subdomains(
    emulator: Emulator, tls: TestTLS
) -> None:
    assert found(
        site_get(emulator, tls, "<parent-site-name>example.com</parent-site-name>")
    ) == [("example.com", "4", "blog.example.com")]
    assert site_get(emulator, tls, "<parent-site-id>3</parent-site-id>") == []


def test_an_empty_filter_returns_every_site_but_the_main_domains(
    emulator: Emulator, tls: TestTLS
) -> None:
    """api-php-lib SiteTest::testGetAll; Plesk's sample: filter-id holds the id."""
    assert found(site_get(emulator, tls, "")) == [
        ("3", "3", "shop.example.net"),
        ("4", "4", "blog.example.com"),
    ]


def test_gen_info_only_with_its_flag(emulator: Emulator, tls: TestTLS) -> None:
    answer = post(
        emulator,
        tls,
        f'<packet version="{LATEST}"><site><get><filter><id>1</id></filter>'
        "<dataset/></get></site></packet>".encode(),
    )
    [result] = answer.iterfind("site/get/result")
    assert [child.tag for child in result] == ["status", "filter-id", "id"]


@pytest.mark.parametrize("version", VERSIONS)
def test_gen_info_has_what_the_version_has(
    emulator: Emulator, tls: TestTLS, version: str
) -> None:
    [site] = site_get(emulator, tls, "<id>3</id>", version)
    info = site.find("data/gen_info")
    assert info is not None
    required = ["cr_date", "name", "ascii-name", "status", "real_size", "htype"]
    required += ["guid", "webspace-guid", "webspace-id"]
    newer = VERSIONS.index(version) >= VERSIONS.index("1.6.8.0")
    assert [child.tag for child in info] == required + ["turn-off-action"] * newer


def test_a_filter_of_two_kinds_is_refused_like_plesk_does(
    emulator: Emulator, tls: TestTLS
) -> None:
    answer = post(
        emulator,
        tls,
        f'<packet version="{LATEST}"><site><get><filter><id>1</id>'
        "<name>example.com</name></filter><dataset/></get></site></packet>".encode(),
    )
    assert system_error(answer)[0] == PARSE_ERROR


# -- several operators in one packet ---------------------------------------------


def test_site_then_mail_are_answered_in_order(emulator: Emulator, tls: TestTLS) -> None:
    answer = post(
        emulator,
        tls,
        f'<packet version="{LATEST}">'
        "<site><get><filter><name>example.com</name></filter><dataset/></get></site>"
        "<mail><create><filter><site-id>1</site-id><mailname><name>info</name>"
        "</mailname></filter></create><get_info><filter><site-id>1</site-id>"
        "</filter></get_info></mail>"
        "<site><get><filter><name>nowhere.example</name></filter><dataset/></get></site>"
        "</packet>".encode(),
    )
    assert [child.tag for child in answer] == ["site", "mail", "site"]
    assert [child.tag for child in answer[1]] == ["create", "get_info"]
    assert answer.findtext("site/get/result/id") == "1"
    assert answer.findtext("mail/get_info/result/mailname/name") == "info"
    assert answer[2].findtext("get/result/errcode") == "1013"


def test_get_protos_may_share_a_packet_with_an_operator(
    emulator: Emulator, tls: TestTLS
) -> None:
    for order in (("server", "mail"), ("mail", "server")):
        parts = {
            "server": "<server><get_protos/></server>",
            "mail": "<mail><get_prefs><filter><site-id>1</site-id></filter>"
            "</get_prefs></mail>",
        }
        answer = post(
            emulator,
            tls,
            f'<packet version="{LATEST}">{"".join(parts[p] for p in order)}</packet>'.encode(),
        )
        assert tuple(child.tag for child in answer) == order
        assert answer.findtext("server/get_protos/result/protos/proto") == LATEST
        assert answer.findtext("mail/get_prefs/result/status") == "ok"


def test_one_bad_part_refuses_the_whole_packet_and_applies_nothing(
    emulator: Emulator, tls: TestTLS
) -> None:
    answer = post(
        emulator,
        tls,
        f'<packet version="{LATEST}">'
        "<mail><create><filter><site-id>1</site-id><mailname><name>info</name>"
        "</mailname></filter></create></mail>"
        "<site><get><filter><colour>red</colour></filter><dataset/></get></site>"
        "</packet>".encode(),
    )
    assert system_error(answer)[0] == PARSE_ERROR
    assert emulator.store.accounts(1) == {}


# -- seeding sites -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("3", SiteSpec(3)),
        ("1=example.com", SiteSpec(1, "example.com")),
        ("4=shop.example.net@1", SiteSpec(4, "shop.example.net", 1)),
        ("2=bücher.example", SiteSpec(2, "bücher.example")),
    ],
)
def test_site_option_forms(text: str, spec: SiteSpec) -> None:
    assert standalone.site_spec(text) == spec


@pytest.mark.parametrize("text", ["x", "0", "3=", "3=a@b", "3=a@0", "-1=a"])
def test_site_option_refuses_what_it_cannot_mean(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        standalone.site_spec(text)


def test_a_site_needs_its_parent_first_and_a_free_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = ["--ca-dir", str(tmp_path / "ca"), "--port", "0"]
    assert standalone.main([*ca, "--site", "4=shop.example.net@1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "emulator: --site: site 1 (parent of 4) is not seeded before it"
    )
    store = Store()
    store.seed(SiteSpec(1, "example.com"))
    with pytest.raises(SiteNameTaken):
        store.seed(SiteSpec(2, "EXAMPLE.com"))
    with pytest.raises(UnknownParent):
        store.seed(SiteSpec(3, "a.example", parent=9))
    assert [(s.id, s.name) for s in store.sites()] == [(1, "example.com")]


def test_a_database_of_an_older_emulator_gets_site_names(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE sites (id INTEGER PRIMARY KEY CHECK (id > 0),"
            " mail_enabled INTEGER NOT NULL DEFAULT 1,"
            " prefs TEXT NOT NULL DEFAULT '{}')"
        )
        old.execute("INSERT INTO sites (id) VALUES (7)")
    store = Store(path)
    try:
        [site] = store.sites()
        assert (site.id, site.name, site.webspace_id) == (7, "site7.example", 7)
        assert store.seed(SiteSpec(8, "example.com", parent=7)).webspace_id == 7
    finally:
        store.close()
