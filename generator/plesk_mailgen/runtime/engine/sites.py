"""Calls that name sites by domain or accounts by address, resolved to site ids."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping
from typing import Any

from ..base.errors import ValidationError
from . import addressing
from .calls import Call, Packet
from .packing import Packing
from .results import Pending


class SiteNames(Packing):
    """Looks site ids up (one packet for all a call needs) and fills them in."""

    _site_ids: dict[str, int]
    """Site ids by ASCII domain name, as the server said: kept for the client's life."""

    def _domains(self, calls: list[Call]) -> list[str]:
        """The domain names ``calls`` give, by ``site=`` or by address."""
        found: list[str] = []
        for call in calls:
            if call.named is None:
                continue
            found += [addressing.ascii_name(name) for name in call.named.names]
            if self._by_address(call):
                address = call.spec.address
                assert address is not None and call.spec.batch_field is not None
                items = getattr(call.request, call.spec.batch_field)
                found += addressing.domains_of(items, address)
        return found

    def _by_address(self, call: Call) -> bool:
        """A call that names no site: its account names must be addresses."""
        named, spec = call.named, call.spec
        if named is None:
            return False
        if named.given or named.names:
            address = spec.address
            items = getattr(call.request, str(spec.batch_field), None) or []
            if address is not None and any(
                addressing.is_address(addressing.item_name(i, address)) for i in items
            ):
                raise ValidationError(
                    spec.name, "an address names its own site: give no site with it"
                )
            return False
        if isinstance(getattr(call.request, str(spec.site_field)), list):
            return False  # no site_ids and no sites: what that means is the operation's
        items = getattr(call.request, str(spec.batch_field), None) or []
        address = spec.address
        if address is None or not items:
            raise ValidationError(
                spec.name, f"give {spec.site_field} or its name (site=...)"
            )
        for item in items:
            name = addressing.item_name(item, address)
            if not addressing.is_address(name):
                raise ValidationError(
                    spec.name,
                    f"{name!r} is no address (info@example.com); with no "
                    f"{spec.site_field} and no site=, every account is named by address",
                )
        return True

    def _resolved(
        self, call: Call, ids: Mapping[str, int], checking: bool = False
    ) -> Call:
        """``call`` with its site ids filled in from ``ids`` (by ASCII name)."""
        named, spec = call.named, call.spec
        if named is None:
            return call
        field = str(spec.site_field)
        if (
            named.given
            and named.names
            and not isinstance(getattr(call.request, field), list)
        ):
            raise ValidationError(
                spec.name, f"{field} and site= name the site twice; give one"
            )
        if self._by_address(call):
            address = spec.address
            assert address is not None
            items = getattr(call.request, str(spec.batch_field))
            routes = addressing.routes(items, address, ids)
            request = call.request
            if checking:  # the schema's rules, on every item by its local name
                request = dataclasses.replace(
                    call.request,
                    **{
                        field: routes[0][0],
                        str(spec.batch_field): [i for _, g in routes for _, i in g],
                    },
                )
            return dataclasses.replace(call, request=request, routes=routes)
        found = [ids[addressing.ascii_name(name)] for name in named.names]
        if isinstance(getattr(call.request, field), list):
            value: Any = [*getattr(call.request, field), *found]
        else:
            value = found[0] if found else getattr(call.request, field)
        return dataclasses.replace(
            call, request=dataclasses.replace(call.request, **{field: value})
        )

    def _lookup(self, names: list[str]) -> Generator[Packet, bytes, None]:
        """Find the site ids of ``names`` (one packet), into the client's cache."""
        lookup = self._codec.lookup
        if lookup is None:
            raise ValidationError("site", "this package has no site lookup")
        pending: Pending[Any] = Pending(lookup.spec.name)
        yield from self._exchange([Call(lookup.spec, lookup.request(names), pending)])
        self._site_ids.update(addressing.learned(lookup, names, pending.value))
