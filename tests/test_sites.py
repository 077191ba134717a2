"""``site/get`` through the generated clients: the second operator, typed like mail.

Through the synchronous and the async client (one test body, ``kind``),
against the emulator (every packet validated both ways against the version's
XSDs): lookups by name, id and subscription, the typed ``sites()`` accessor,
per-item 1013 errors, the filter's one-kind rule, packets that carry ``<site>``
and ``<mail>`` together, and ``turn_off_action``, gated by version exactly like
mail's version-limited fields.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import plesk_mail
import pytest
from lxml import etree
from plesk_mail import (
    GetSitesResult,
    MailPreferences,
    SiteGenInfo,
    TurnOffAction,
    codec,
    models,
)
from plesk_mail.rules import RULES

from tests.emulator.fixtures import connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account, SiteSpec
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception
from tests.support.protocols import VERSIONS
from tests.test_docs import PACKAGE, _symbols

LATEST = VERSIONS[-1]
SITES = (
    SiteSpec(1, "example.com"),
    SiteSpec(2, "bücher.example"),
    SiteSpec(3, "shop.example.net", parent=1),
    SiteSpec(4, "blog.example.com", parent=1),
)
GATED_SINCE = "1.6.8.0"


@pytest.fixture
def emulator(tls: TestTLS) -> Iterator[Emulator]:
    """Two subscriptions; the first with an add-on domain and a subdomain."""
    server = new_emulator(tls, sites=SITES).start()
    try:
        yield server
    finally:
        server.stop()
        server.store.close()
        assert not server.response_errors, server.response_errors


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def connect(emulator: Emulator, tls: TestTLS, kind: str, **options: Any) -> Any:
    return connect_to(emulator, tls, kind=kind, **{"protocol": LATEST, **options})


def bodies(emulator: Emulator) -> list[etree._Element]:
    """Every request the emulator received, parsed; none refused by its XSDs."""
    for exchange in emulator.exchanges:
        assert not exchange.request_errors, exchange.request_errors
    return [etree.fromstring(exchange.body) for exchange in emulator.exchanges]


def test_sites_by_name_give_ids_and_general_information(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, kind) as client:
        found = client.get_sites(
            names=["example.com", "shop.example.net"], gen_info=True
        )
    assert found.ok
    sites = found.sites()
    assert all(isinstance(site, GetSitesResult) for site in sites)
    assert [(s.id, s.filter_id) for s in sites] == [
        (1, "example.com"),
        (3, "shop.example.net"),
    ]
    info = [s.gen_info for s in sites]
    assert all(isinstance(i, SiteGenInfo) for i in info)
    assert [(i.name, i.ascii_name, i.webspace_id) for i in info if i] == [
        ("example.com", "example.com", 1),
        ("shop.example.net", "shop.example.net", 1),
    ]
    main, addon = info
    assert main and addon and main.guid != addon.guid
    assert addon.webspace_guid == main.guid == main.webspace_guid
    assert main.status == 0 and len(main.guid) == 36
    [packet] = bodies(emulator)
    assert [child.tag for child in packet] == ["site"]
    assert packet.findtext("site/get/filter/name") == "example.com"
    assert packet.find("site/get/dataset/gen_info") is not None


def test_unicode_name_is_found_by_its_punycode_and_any_case(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    names = ["bücher.example", "xn--bcher-kva.example", "BÜCHER.Example"]
    with connect(emulator, tls, kind) as client:
        sites = client.get_sites(names=names, gen_info=True).sites()
    assert [(s.id, s.filter_id) for s in sites] == [(2, name) for name in names]
    assert {(s.gen_info.name, s.gen_info.ascii_name) for s in sites if s.gen_info} == {
        ("bücher.example", "xn--bcher-kva.example")
    }


def test_an_unknown_name_is_a_failed_item_not_an_exception(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, kind) as client:
        found = client.get_sites(names=["example.com", "nowhere.example"])
    assert [r.ok for r in found] == [True, False]
    missing = found[1]
    assert (missing.errcode, missing.filter_id, missing.id) == (
        plesk_mail.ErrorCode.OBJECT_DOES_NOT_EXIST,
        "nowhere.example",
        None,
    )
    assert [index for index, _ in found.failed] == [1]
    with pytest.raises(plesk_mail.ItemErrors) as info:
        found.sites()
    summary, *items = str(info.value).splitlines()  # a summary, a line per item
    assert summary == "get_sites: 1 item(s) failed"
    assert items == ["  #1: error 1013: Site does not exist"]


def test_ids_guids_and_subscriptions(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, kind) as client:
        [shop] = client.get_sites(ids=[3], gen_info=True).sites()
        assert shop.gen_info is not None
        [by_guid] = client.get_sites(guids=[shop.gen_info.guid]).sites()
        under = client.get_sites(parent_names=["example.com"]).sites()
        below = client.get_sites(parent_site_ids=[1]).sites()
        everything = client.get_sites().sites()
    assert by_guid.id == 3 and by_guid.gen_info is None  # no flag, no data
    assert [s.id for s in under] == [3, 4]  # never the subscription's main domain
    assert [s.id for s in below] == [4]  # the subdomain only
    assert [(s.id, s.filter_id) for s in everything] == [(3, "3"), (4, "4")]


def test_one_kind_of_filter_per_call(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """The filter is an xs:choice: Plesk would refuse both with 1014."""
    with (
        connect(emulator, tls, kind) as client,
        pytest.raises(plesk_mail.ValidationError) as info,
    ):
        client.get_sites(ids=[1], names=["example.com"])
    assert_clean_exception(
        info.value, plesk_mail.ValidationError, "ids and names exclude each other"
    )
    assert not emulator.exchanges


def test_a_batch_carries_site_and_mail_in_one_packet(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    """Look the site up and read its mail in one round trip; answers in order."""
    emulator.store.add_account(1, Account(name="info"))
    with connect(emulator, tls, kind) as client:
        with client.batch() as batch:
            site = batch.get_sites(names=["example.com"])
            accounts = batch.get_info(site_id=1)
            other = batch.get_sites(names=["bücher.example"])
            prefs = batch.get_prefs(site_ids=[2])
        assert [s.id for s in site.value.sites()] == [1]
        assert [a.name for a in accounts.value.accounts()] == ["info"]
        assert [s.id for s in other.value.sites()] == [2]
        assert prefs.value.ok
    [packet] = bodies(emulator)
    assert [child.tag for child in packet] == ["site", "mail", "site", "mail"]
    answer = etree.fromstring(emulator.exchanges[0].answer)
    assert [child.tag for child in answer] == ["site", "mail", "site", "mail"]


def test_consecutive_calls_of_one_operator_share_its_element(
    emulator: Emulator, tls: TestTLS, kind: str
) -> None:
    with connect(emulator, tls, kind) as client, client.batch() as batch:
        batch.get_sites(ids=[1])
        batch.get_sites(ids=[2])
        batch.get_info(site_id=1)
        batch.get_prefs(site_ids=[1])
    [packet] = bodies(emulator)
    assert [(child.tag, len(child)) for child in packet] == [("site", 2), ("mail", 2)]


def test_replies_are_matched_by_operator_and_name(
    emulator: Emulator, tls: TestTLS
) -> None:
    """An answer whose elements come from the other operator is refused, even
    when the operation elements have the same names (``<get>`` under both)."""
    emulator.scripted.append(
        RawAnswer(
            f'<packet version="{LATEST}"><mail><get_info><result><status>ok</status>'
            "</result></get_info></mail><site><get/></site></packet>".encode()
        )
    )
    with (
        connect(emulator, tls, "sync") as client,
        pytest.raises(plesk_mail.ResponseError) as info,
        client.batch() as batch,
    ):
        batch.get_sites(ids=[1])
        batch.get_info(site_id=1)
    assert_clean_exception(
        info.value,
        plesk_mail.ResponseError,
        "expected replies for site.get_sites, mail.get_info",
        "got mail.get_info, site.get_sites",
    )


# -- turn_off_action: gated like mail's version-limited fields ------------------


def newer(version: str) -> bool:
    """Whether ``version`` is ``GATED_SINCE`` or newer."""
    return VERSIONS.index(version) >= VERSIONS.index(GATED_SINCE)


def test_turn_off_action_is_limited_like_the_mail_fields() -> None:
    """The same rule, the same hover text as ``webmail_certificate`` (1.6.8.0)."""
    gate = RULES.fields[(SiteGenInfo, "turn_off_action")]
    mail = RULES.fields[(MailPreferences, "webmail_certificate")]
    assert gate == mail == type(mail)(versions=frozenset(filter(newer, VERSIONS)))
    docs = {name: doc for name, doc, _ in _symbols(PACKAGE / "models.py")}
    for field in ("SiteGenInfo.turn_off_action", "MailPreferences.webmail_certificate"):
        doc = " ".join((docs[f"plesk_mail/models.py:{field}"] or "").split())
        assert doc.endswith("In protocol 1.6.8.0 or newer."), doc


@pytest.mark.parametrize("version", VERSIONS)
def test_turn_off_action_comes_back_where_the_version_has_it(
    emulator: Emulator, tls: TestTLS, version: str, kind: str
) -> None:
    with connect(emulator, tls, kind, protocol=version) as client:
        has_it = client.supports(SiteGenInfo, "turn_off_action")
        [site] = client.get_sites(ids=[1], gen_info=True).sites()
    assert has_it == newer(version)
    assert site.gen_info is not None
    expected = TurnOffAction.SUSPEND if has_it else None
    assert site.gen_info.turn_off_action == expected
    assert (b"<turn-off-action>" in emulator.exchanges[0].answer) == has_it


def test_an_older_answer_with_turn_off_action_names_the_version(
    emulator: Emulator, tls: TestTLS
) -> None:
    answer = (
        b'<packet version="1.6.7.0"><site><get><result><status>ok</status>'
        b"<filter-id>1</filter-id><id>1</id><data><gen_info>"
        b"<cr_date>2024-01-15</cr_date><name>example.com</name>"
        b"<ascii-name>example.com</ascii-name><status>0</status>"
        b"<real_size>0</real_size><htype>vrt_hst</htype><guid>g</guid>"
        b"<webspace-guid>g</webspace-guid><webspace-id>1</webspace-id>"
        b"<turn-off-action>disable</turn-off-action></gen_info></data></result>"
        b"</get></site></packet>"
    )
    emulator.scripted.append(RawAnswer(answer))
    with (
        connect(emulator, tls, "sync", protocol="1.6.7.0") as client,
        pytest.raises(plesk_mail.UnexpectedElementError) as info,
    ):
        client.get_sites(ids=[1], gen_info=True)
    assert info.value.since == GATED_SINCE
    assert info.value.path == "get_sites.results[0].gen_info.turn_off_action"
    emulator.scripted.append(RawAnswer(answer))
    with connect(emulator, tls, "sync", protocol="1.6.7.0", lenient=True) as client:
        [site] = client.get_sites(ids=[1], gen_info=True).sites()
    assert site.gen_info and site.gen_info.turn_off_action is TurnOffAction.DISABLE


def test_an_older_packet_cannot_carry_turn_off_action() -> None:
    info = SiteGenInfo(
        creation_date=datetime.date(2024, 1, 15),
        name="example.com",
        ascii_name="example.com",
        status=0,
        real_size=0,
        hosting_type=models.HostingType.VRT_HST,
        guid="g",
        webspace_guid="g",
        webspace_id=1,
        turn_off_action=TurnOffAction.SUSPEND,
    )
    result = GetSitesResult(status=models.ResultStatus.OK, id=1, gen_info=info)
    reply = models.Reply("get_sites", models.GetSitesResponse(results=[result]), "site")
    packet = models.ResponsePacket(replies=[reply])
    assert b"<turn-off-action>suspend</turn-off-action>" in codec.encode_response(
        packet, GATED_SINCE
    )
    with pytest.raises(plesk_mail.ValidationError) as refused:
        codec.encode_response(packet, "1.6.7.0")
    assert_clean_exception(
        refused.value,
        plesk_mail.ValidationError,
        "GetSitesResponse.results[0].gen_info.turn_off_action",
        "needs protocol 1.6.8.0 or newer",
    )
