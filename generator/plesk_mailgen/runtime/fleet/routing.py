"""Fleets route by domain: which server hosts each domain a call names.

A call that names sites by domain (``site=``, ``sites=``) or accounts by
address goes only to the server that hosts each domain. The fleet first asks
every server, in parallel and in one packet each, which of the domains it has
(the lookup of ``addressing``); a domain that no server has, or that two
have, stops the call before anything is sent. This module decides; the fleet
moves the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..base.errors import PleskError
from ..engine import addressing
from ..engine.addressing import Lookup, UnknownSiteError


class AmbiguousSiteError(PleskError, LookupError):
    """A domain that more than one server of the fleet has: nothing was sent."""


class UnroutableError(PleskError, LookupError):
    """A change to a domain while a server did not say whether it hosts it:
    nothing was sent (the domain might be there too)."""


def named_domains(spec: Any, kwargs: Mapping[str, Any]) -> list[str]:
    """The ASCII domains a call names by ``site=``, ``sites=`` or address, in order."""
    found: list[str] = []
    param = spec.site_param
    if param is not None:
        value = kwargs.get(param)
        if isinstance(value, str):
            found.append(addressing.ascii_name(value))
        elif value:
            found += [addressing.ascii_name(v) for v in value]
    address = spec.address
    site_given = spec.site_field is not None and kwargs.get(spec.site_field)
    if address is not None and not found and not site_given:
        items = kwargs.get(str(spec.batch_field)) or ()
        if items and all(
            addressing.is_address(addressing.item_name(i, address)) for i in items
        ):
            found += addressing.domains_of(list(items), address)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Plan:
    """Where each domain lives: the site ids of each server that hosts some."""

    hosted: dict[str, dict[str, int]]
    """server -> {ASCII domain: site id}, for the servers that get work."""
    silent: tuple[str, ...] = ()
    """Servers whose lookup failed: a read goes on without them, reporting each."""


def plan(
    domains: list[str], lookups: Mapping[str, Any], lookup: Lookup, writes: bool
) -> Plan:
    """Each domain's one server, from every server's lookup outcome.

    ``UnknownSiteError`` when a domain is on no server that answered (naming
    the servers that did not), ``AmbiguousSiteError`` when it is on two,
    ``UnroutableError`` for a call that ``writes`` when a server did not answer.
    """
    hosts: dict[str, list[tuple[str, int]]] = {d: [] for d in domains}
    silent: list[str] = []
    for server, outcome in lookups.items():
        if outcome.error is not None:
            silent.append(f"{server}: {outcome.error}")
            continue
        for domain, site_id in found_sites(
            lookup, domains, outcome.value or ()
        ).items():
            hosts[domain].append((server, site_id))
    nowhere = [d for d, found in hosts.items() if not found]
    if nowhere:
        detail = "; ".join(f"{s} did not answer" for s in silent)
        raise UnknownSiteError(nowhere, detail, "on any server of the fleet")
    twice = {d: found for d, found in hosts.items() if len(found) > 1}
    if twice:
        shown = "; ".join(
            f"{d} is on {' and '.join(s for s, _ in found)}"
            for d, found in twice.items()
        )
        raise AmbiguousSiteError(f"{shown}: name one server (--server) for it")
    if silent and writes:
        raise UnroutableError(
            f"cannot tell which server hosts {', '.join(domains)}: "
            f"{'; '.join(silent)}, and it might be there too; leave that server "
            "out of the fleet, or name the one that hosts it"
        )
    hosted: dict[str, dict[str, int]] = {}
    for domain, [(server, site_id)] in hosts.items():
        hosted.setdefault(server, {})[domain] = site_id
    quiet = tuple(s for s, o in lookups.items() if o.error is not None)
    return Plan(hosted, quiet)


def found_sites(
    lookup: Lookup, asked: Iterable[str], results: Iterable[Any]
) -> dict[str, int]:
    """The domains of ``asked`` that a server's lookup found, with their ids."""
    wanted = {name.casefold(): name for name in asked}
    found: dict[str, int] = {}
    for result in results:
        key = getattr(result, lookup.key, None)
        value = getattr(result, lookup.value, None)
        name = wanted.get(str(key).casefold()) if key is not None else None
        if name is not None and getattr(result, "ok", False) and isinstance(value, int):
            found[name] = value
    return found


def routed(
    spec: Any, kwargs: Mapping[str, Any], hosted: Mapping[str, int]
) -> dict[str, Any]:
    """The call's arguments for one server: only what it hosts."""
    result = dict(kwargs)
    param = spec.site_param
    if param is not None and isinstance(kwargs.get(param), str):
        return result  # the one site is here: its id is known to the client
    if param is not None and kwargs.get(param):
        result[param] = tuple(
            v for v in kwargs[param] if addressing.ascii_name(v) in hosted
        )
        return result
    address = spec.address
    field = str(spec.batch_field)
    result[field] = [
        item
        for item in kwargs[field]
        if addressing.split_address(str(addressing.item_name(item, address)))[1]
        in hosted
    ]
    return result
