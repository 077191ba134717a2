"""A fleet's routing decisions, one function at a time (``runtime/fleet/routing``).

Which domains a call names, where each one lives after every server's
lookup, and the arguments each server gets: pure functions, so every edge is
a line here (the fleet tests drive them end to end).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plesk_mail
import pytest
from plesk_mail.client import CODEC
from plesk_mail.runtime.engine.addressing import UnknownSiteError
from plesk_mail.runtime.fleet import routing

CREATE = CODEC.specs["create"]
GET_PREFS = CODEC.specs["get_prefs"]
LOOKUP = CODEC.lookup
assert LOOKUP is not None
A = plesk_mail.NewMailAccount


@dataclass
class Found:
    """One lookup result: what ``get_sites`` answers for a name."""

    filter_id: Any
    id: Any
    ok: bool = True


@dataclass
class Outcome:
    value: Any = None
    error: Any = None


# -- named_domains ------------------------------------------------------------------------


def test_a_site_by_name_is_its_ascii_name() -> None:
    """Catches a site= that is not asked for, or asked in Unicode."""
    assert routing.named_domains(CREATE, {"site": "Bücher.example"}) == [
        "xn--bcher-kva.example"
    ]


def test_sites_by_name_keep_their_order_and_come_once() -> None:
    """Catches a domain asked twice, or names put out of the caller's order."""
    found = routing.named_domains(
        GET_PREFS, {"sites": ["b.example", "a.example", "B.example", "b.example"]}
    )
    assert found == ["b.example", "a.example"]  # ASCII names are lower case


def test_no_site_at_all_names_nothing() -> None:
    """Catches a call by id routed as if it named domains."""
    assert routing.named_domains(GET_PREFS, {"sites": []}) == []
    assert routing.named_domains(GET_PREFS, {"site_ids": [1]}) == []
    assert routing.named_domains(CREATE, {"site": None, "site_id": 1}) == []


def test_accounts_by_address_name_their_domains_in_order() -> None:
    items = [A(name="a@x.example"), A(name="b@y.example"), A(name="c@x.example")]
    assert routing.named_domains(CREATE, {"mailnames": items}) == [
        "x.example",
        "y.example",
    ]


def test_addresses_with_a_site_or_among_plain_names_name_no_domain() -> None:
    """Catches addresses read as routes when the call gives its site, or when
    some names are not addresses (the client refuses that call itself)."""
    items = [A(name="a@x.example")]
    assert routing.named_domains(CREATE, {"mailnames": items, "site_id": 1}) == []
    mixed = [A(name="a@x.example"), A(name="plain")]
    assert routing.named_domains(CREATE, {"mailnames": mixed}) == []
    assert routing.named_domains(CREATE, {"mailnames": []}) == []


def test_a_site_by_name_wins_over_addresses() -> None:
    items = [A(name="a@x.example")]
    found = routing.named_domains(CREATE, {"site": "s.example", "mailnames": items})
    assert found == ["s.example"]


# -- found_sites ------------------------------------------------------------------------------


def test_found_sites_match_names_case_blind_and_keep_the_asked_spelling() -> None:
    results = [Found("EXAMPLE.com", 7), Found("other.example", 9)]
    assert routing.found_sites(LOOKUP, ["example.com"], results) == {"example.com": 7}


@pytest.mark.parametrize(
    "result",
    [
        pytest.param(Found("example.com", 7, ok=False), id="failed"),
        pytest.param(Found("example.com", None), id="no-id"),
        pytest.param(Found("example.com", "7"), id="id-not-an-int"),
        pytest.param(Found(None, 7), id="names-nothing"),
        pytest.param(Found("elsewhere.example", 7), id="another-name"),
    ],
)
def test_a_result_that_is_not_a_site_found_counts_for_nothing(result: Found) -> None:
    """Catches a failed or odd lookup result taken as the domain's site."""
    assert routing.found_sites(LOOKUP, ["example.com"], [result]) == {}


# -- plan --------------------------------------------------------------------------------------


def lookups(**servers: Any) -> dict[str, Outcome]:
    return {
        name: Outcome(error=value) if isinstance(value, Exception) else Outcome(value)
        for name, value in servers.items()
    }


def test_each_domain_goes_to_the_one_server_that_has_it() -> None:
    found = lookups(
        s1=[Found("a.example", 1), Found("b.example", 2)],
        s2=[Found("c.example", 5)],
        s3=[],
    )
    plan = routing.plan(["a.example", "b.example", "c.example"], found, LOOKUP, True)
    assert plan.hosted == {
        "s1": {"a.example": 1, "b.example": 2},
        "s2": {"c.example": 5},
    }
    assert plan.silent == ()


def test_a_domain_on_no_server_names_it_and_the_silent_servers() -> None:
    found = lookups(s1=[Found("a.example", 1)], s2=plesk_mail.PleskError("refused"))
    with pytest.raises(UnknownSiteError) as caught:
        routing.plan(["a.example", "gone.example"], found, LOOKUP, False)
    message = str(caught.value)
    assert "gone.example" in message and "a.example" not in message.split(":")[0]
    assert "s2: refused did not answer" in message


def test_a_domain_on_two_servers_names_both() -> None:
    found = lookups(s1=[Found("a.example", 1)], s2=[Found("a.example", 4)])
    with pytest.raises(routing.AmbiguousSiteError) as caught:
        routing.plan(["a.example"], found, LOOKUP, False)
    assert str(caught.value) == (
        "a.example is on s1 and s2: name one server (--server) for it"
    )


def test_a_change_stops_while_a_server_is_silent_and_a_read_goes_on() -> None:
    """Catches a write routed although a silent server may host the domain too."""
    found = lookups(s1=[Found("a.example", 1)], s2=plesk_mail.PleskError("timeout"))
    with pytest.raises(routing.UnroutableError) as caught:
        routing.plan(["a.example"], found, LOOKUP, True)
    assert str(caught.value).startswith(
        "cannot tell which server hosts a.example: s2: timeout, and it might be there too"
    )
    plan = routing.plan(["a.example"], found, LOOKUP, False)
    assert plan.hosted == {"s1": {"a.example": 1}} and plan.silent == ("s2",)


# -- routed ------------------------------------------------------------------------------------


def test_a_call_by_one_site_name_goes_as_it_is() -> None:
    kwargs = {"site": "a.example", "mailnames": [A(name="info")]}
    assert routing.routed(CREATE, kwargs, {"a.example": 1}) == kwargs


def test_a_call_by_site_names_keeps_those_the_server_hosts() -> None:
    kwargs = {"sites": ("a.example", "B.example", "c.example"), "site_ids": []}
    hosted = {"a.example": 1, "b.example": 2}
    routed = routing.routed(GET_PREFS, kwargs, hosted)
    assert routed == {"sites": ("a.example", "B.example"), "site_ids": []}
    assert kwargs["sites"] == ("a.example", "B.example", "c.example")  # not changed


def test_a_call_by_address_keeps_the_accounts_the_server_hosts() -> None:
    items = [A(name="a@x.example"), A(name="b@y.example"), A(name="c@X.example")]
    routed = routing.routed(CREATE, {"mailnames": items}, {"x.example": 3})
    assert [item.name for item in routed["mailnames"]] == ["a@x.example", "c@X.example"]
