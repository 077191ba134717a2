"""Addressing's edges: domains, addresses, lookups and routes (``runtime/engine/addressing.py``, issue 18).

The pure part of mail by domain and address: how a domain is written for
Plesk, what is an address, which names still need a lookup, how a lookup's
answer becomes ids (and which names it leaves unknown), how a call by
address splits per site and how results find their places again. Exact
expectations on plain values: milliseconds each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from plesk_mail.runtime.base.errors import ResponseError, ValidationError
from plesk_mail.runtime.engine.addressing import (
    Address,
    Lookup,
    UnknownSiteError,
    ascii_name,
    domains_of,
    is_address,
    item_name,
    learned,
    placed,
    renamed,
    routes,
    site_of,
    split_address,
    wanted,
)

from tests.support.corpus import assert_clean_exception


@pytest.mark.parametrize(
    ("domain", "ascii"),
    [
        ("Example.COM", "example.com"),
        (" example.com. ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_a_domain_as_plesk_writes_it(domain: str, ascii: str) -> None:
    """Catches a domain compared in another case, with its final dot, or not in punycode."""
    assert ascii_name(domain) == ascii


@pytest.mark.parametrize(
    "domain", ["", " ", ".", "a b.example", "a/b.example", "a@b.example", "a:b", "a..b"]
)
def test_what_is_no_domain(domain: str) -> None:
    """Catches a blank, a space, ``/``, ``@``, ``:`` or an empty label taken as a domain."""
    with pytest.raises(ValidationError) as caught:
        ascii_name(domain)
    assert_clean_exception(
        caught.value, ValidationError, f"site: {domain!r} is not a domain name"
    )


@pytest.mark.parametrize(
    ("address", "parts"),
    [
        ("info@Example.com", ("info", "example.com")),
        (" a@b@example.com ", ("a@b", "example.com")),
        ("x@bücher.example", ("x", "xn--bcher-kva.example")),
    ],
)
def test_an_address_splits_at_its_last_at(address: str, parts: tuple[str, str]) -> None:
    """Catches an address split at its first ``@``, or its domain not written as Plesk does."""
    assert split_address(address) == parts


@pytest.mark.parametrize("address", ["info", "@example.com", "info@", "@"])
def test_what_is_no_address(address: str) -> None:
    """Catches a name without a local part or a domain taken as an address."""
    with pytest.raises(ValidationError) as caught:
        split_address(address)
    assert_clean_exception(
        caught.value,
        ValidationError,
        f"address: {address!r} is not an address (like info@example.com)",
    )


def test_is_address() -> None:
    """Catches a plain name (or a non-string) read as an address."""
    assert is_address("a@b") and not is_address("ab") and not is_address(None)


@dataclass(frozen=True)
class Item:
    name: str
    note: str = ""


def test_items_by_field_or_as_names() -> None:
    """Catches the name read from (or written into) the wrong place of an item."""
    by_field, bare = Address("name", ("mailname", "name")), Address(None, ())
    assert item_name(Item("a@x"), by_field) == "a@x"
    assert item_name("a@x", bare) == "a@x"
    assert item_name(object(), by_field) is None
    assert renamed(Item("a@x", "n"), by_field, "a") == Item("a", "n")
    assert renamed("a@x", bare, "a") == "a"


def test_which_names_still_need_a_lookup() -> None:
    """Catches a known name looked up again, a name asked twice, or the first-seen order lost."""
    known = {"known.example": 3}
    asked = ["B.example", "known.example", "a.example", "b.example.", "A.EXAMPLE"]
    assert wanted(asked, known) == ["b.example", "a.example"]
    assert wanted([], known) == []


@dataclass
class Found:
    filter_id: Any
    id: Any = None
    ok: bool = True
    errcode: int | None = None


LOOKUP = Lookup(
    spec=None, request=lambda names: names, filter="names", key="filter_id", value="id"
)


def test_a_lookup_answer_becomes_ids() -> None:
    """Catches an id taken from an error result, from a result not asked for, or matched case-sensitively."""
    answers = [
        Found("A.example", 1),
        Found("stranger.example", 9),
        Found(None, 8),
        Found("b.example", 2),
    ]
    assert learned(LOOKUP, ["a.example", "b.example"], answers) == {
        "a.example": 1,
        "b.example": 2,
    }


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        (
            [Found("a.example", 1), Found("b.example", None, False, 1013)],
            "no site named b.example on this server (b.example: error 1013)",
        ),
        (
            [Found("a.example", 1)],
            "no site named b.example on this server (b.example: not answered)",
        ),
        ([Found("a.example", 1), Found("b.example", "2")], "(b.example: error None)"),
        (
            [Found("a.example", None, False, 1013)],
            "no site named a.example, b.example on this server (a.example: error 1013; b.example: not answered)",
        ),
    ],
    ids=["error-result", "not-answered", "id-not-a-number", "both"],
)
def test_a_name_the_lookup_did_not_answer_is_unknown(
    answers: list[Found], says: str
) -> None:
    """Catches an unknown name passed over (its call sent to no site), or the reason lost."""
    with pytest.raises(UnknownSiteError) as caught:
        learned(LOOKUP, ["a.example", "b.example"], answers)
    assert_clean_exception(caught.value, UnknownSiteError, says)
    assert caught.value.names == [n for n in ("a.example", "b.example") if n in says]


def test_unknown_site_error_words() -> None:
    """Catches the names, the detail or the place missing from the error."""
    assert str(UnknownSiteError(["a", "b"])) == "no site named a, b on this server"
    assert (
        str(UnknownSiteError(["a"], "x", "on any server"))
        == "no site named a on any server (x)"
    )


def test_a_call_by_address_splits_per_site_in_order_of_first_address() -> None:
    """Catches items routed to the wrong site, renamed wrongly, or sites out of order."""
    address = Address("name", ("mailname", "name"))
    items = [Item("x@two.example"), Item("y@one.example"), Item("z@two.example", "n")]
    ids = {"one.example": 1, "two.example": 2}
    assert routes(items, address, ids) == [
        (2, [(0, Item("x")), (2, Item("z", "n"))]),
        (1, [(1, Item("y"))]),
    ]
    assert domains_of(items, address) == ["two.example", "one.example", "two.example"]


@dataclass
class Mailname:
    name: str | None


@dataclass
class Result:
    mailname: Mailname | None = None
    status: str = "ok"


def test_results_find_their_places_by_name() -> None:
    """Catches a result put at its position when it names its account elsewhere, or matched case-sensitively."""
    address = Address("name", ("mailname", "name"))
    items = [Item("x"), Item("y")]
    results = [Result(Mailname("Y")), Result(Mailname("x"))]
    assert placed("create", address, (4, 7), items, results) == [
        (7, results[0]),
        (4, results[1]),
    ]


def test_a_nameless_result_keeps_its_position_only_one_to_one() -> None:
    """Catches a nameless result placed when the answer has fewer results than items."""
    address = Address("name", ("mailname", "name"))
    items = [Item("x"), Item("y")]
    nameless = [Result(None), Result(Mailname("y"))]
    assert placed("create", address, (4, 7), items, nameless) == [
        (4, nameless[0]),
        (7, nameless[1]),
    ]
    with pytest.raises(ResponseError) as caught:
        placed("create", address, (4, 7), items, [Result(None)])
    assert_clean_exception(
        caught.value,
        ResponseError,
        "create: the server answered for None, which was not asked on that site",
    )
    with pytest.raises(ResponseError, match="answered for 'q'"):
        placed("create", address, (4, 7), items, [Result(Mailname("q")), Result()])


@dataclass
class Info:
    name: str = "a.example"
    ascii_name: str = "a.example"
    webspace_id: int | None = 4
    status: int | None = 0


@dataclass
class SiteResult:
    id: Any = 5
    gen_info: Info | None = field(default_factory=Info)


def test_a_site_from_a_lookup_result() -> None:
    """Catches a site missing its names or ids, or read without the general information asked for."""
    site = site_of(SiteResult("5"))
    assert (site.id, site.name, site.ascii_name, site.webspace_id, site.status) == (
        5,
        "a.example",
        "a.example",
        4,
        0,
    )
    with pytest.raises(ValidationError) as caught:
        site_of(SiteResult(gen_info=None))
    assert_clean_exception(
        caught.value, ValidationError, "get_sites: ask with gen_info=True to read names"
    )
