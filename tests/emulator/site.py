"""What the site operator does with ``site/get``, the way Plesk does it.

Filters (one kind per request, each value repeatable):

- ``id``, ``name``, ``guid``: one result per value, in request order. A name
  matches a site's name or its punycode ``ascii-name`` (``bücher.example`` and
  ``xn--bcher-kva.example`` find the same site), ignoring case; a lookup by
  name finds main and add-on domains alike. A value that names no site is a
  per-result error 1013 whose ``filter-id`` echoes the value, as Plesk answers
  a filter that matches no object (Plesk's XML API reference, "Error Codes":
  ``<status>error</status><errcode>1013</errcode>``, and its "Available
  Filters": ``filter-id`` returns the filter value).
- ``parent-id``, ``parent-name``, ``parent-guid``: the sites of that
  subscription (add-on domains and subdomains), never its main domain; a
  subscription without them answers nothing at all, no error
  (api-php-lib ``SiteTest::testGet``: after its add-on is deleted,
  ``get('parent-id', webspace)`` returns no site and raises nothing). A value
  that names no subscription is error 1013.
- ``parent-site-id``, ``parent-site-name``, ``parent-site-guid``: the
  subdomains of that site; 1013 for a value that names no site.
- an empty filter: every site that is not a subscription's main domain
  (api-php-lib ``SiteTest::testGetAll``; Plesk's "Getting Information About
  Sites" sample), ``filter-id`` holding each site's id.

``gen_info`` comes back with the dataset flag only, with what the protocol
version has (``turn-off-action`` from 1.6.8.0 on).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from .operator import OBJECT_DOES_NOT_EXIST, Operator
from .store import Site, ascii_name

ACTIVE = 0
"""``objectStatus`` of a site that is on."""
TURN_OFF_ACTION = "suspend"


def _ascii(name: str) -> str | None:
    """The ASCII form of a name as a client wrote it, or None if it is no domain name."""
    try:
        return ascii_name(name)
    except UnicodeError:
        return None


class SiteOperator(Operator):
    """Answers the site operator's requests of one protocol version."""

    def get_sites(self, request: Any) -> Any:
        sites = self.store.sites()
        by_id = {site.id: site for site in sites}
        results: list[Any] = []
        for value, found, missing in self._lookups(request, sites, by_id):
            if found is None:
                results.append(
                    self.error(
                        "GetSitesResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"{missing} does not exist",
                        filter_id=str(value),
                    )
                )
                continue
            for site in found:
                results.append(
                    self.ok(
                        "GetSitesResult",
                        filter_id=str(site.id if value is None else value),
                        id=site.id,
                        gen_info=(
                            self._gen_info(site, by_id) if request.gen_info else None
                        ),
                    )
                )
        return self.m.GetSitesResponse(results=results)

    def _lookups(
        self, request: Any, sites: list[Site], by_id: dict[int, Site]
    ) -> Iterator[tuple[object, list[Site] | None, str]]:
        """``(filter value, the sites it finds or None, what was missing)`` in order."""
        webspaces = [site for site in sites if site.is_main_domain]

        def itself(found: Site) -> list[Site]:
            return [found]

        def of_webspace(webspace: Site) -> list[Site]:
            """The subscription's sites but its main domain."""
            return [
                s for s in sites if s.webspace_id == webspace.id and s.id != webspace.id
            ]

        def below(parent: Site) -> list[Site]:
            return [s for s in sites if s.parent_site_id == parent.id]

        kinds: list[
            tuple[
                list[Any],
                Callable[[Any], Site | None],
                str,
                Callable[[Site], list[Site]],
            ]
        ] = [
            (request.ids, lambda v: by_id.get(v), "Site", itself),
            (request.names, lambda v: _named(sites, v), "Site", itself),
            (request.guids, lambda v: _guided(sites, v), "Site", itself),
            (
                request.parent_ids,
                lambda v: _with_id(webspaces, v),
                "Webspace",
                of_webspace,
            ),
            (
                request.parent_names,
                lambda v: _named(webspaces, v),
                "Webspace",
                of_webspace,
            ),
            (
                request.parent_guids,
                lambda v: _guided(webspaces, v),
                "Webspace",
                of_webspace,
            ),
            (request.parent_site_ids, lambda v: by_id.get(v), "Site", below),
            (request.parent_site_names, lambda v: _named(sites, v), "Site", below),
            (request.parent_site_guids, lambda v: _guided(sites, v), "Site", below),
        ]
        for values, find, missing, expand in kinds:
            for value in values:
                found = find(value)
                yield value, None if found is None else expand(found), missing
        if not any(values for values, *_ in kinds):
            for site in sites:
                if not site.is_main_domain:
                    yield None, [site], "Site"

    def _gen_info(self, site: Site, by_id: dict[int, Site]) -> Any:
        webspace = by_id.get(site.webspace_id, site)
        return self.new(
            "SiteGenInfo",
            creation_date=datetime.date.fromisoformat(site.created),
            name=site.name,
            ascii_name=site.ascii_name,
            status=ACTIVE,
            real_size=0,
            hosting_type=self.m.HostingType.VRT_HST,
            guid=site.guid,
            webspace_guid=webspace.guid,
            webspace_id=site.webspace_id,
            turn_off_action=self._enum("TurnOffAction", TURN_OFF_ACTION),
        )


def _named(sites: list[Site], name: str) -> Site | None:
    """The site of that name, Unicode or punycode, in any case."""
    wanted = _ascii(name)
    for site in sites:
        if site.name.casefold() == name.strip().casefold() or site.ascii_name == wanted:
            return site
    return None


def _guided(sites: list[Site], guid: str) -> Site | None:
    return next((s for s in sites if s.guid.lower() == guid.strip().lower()), None)


def _with_id(sites: list[Site], site_id: int) -> Site | None:
    return next((s for s in sites if s.id == site_id), None)
