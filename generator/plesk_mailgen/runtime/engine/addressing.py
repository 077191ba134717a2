"""Mail as people address it: sites by domain name, accounts by address.

``site="example.com"`` stands for the id Plesk knows the domain's site by,
and ``info@example.com`` (where a call names no site) for the account ``info``
on that site. The client finds the ids with one packet, for every domain of
a call it has not seen yet (the ``site`` operator's ``get``, by name), and
keeps them for its life. This module is the engine's part that does not
move bytes: which names a call needs, how an answer becomes ids, how a call
by address splits into one operation per site. Imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..base.errors import PleskError, ResponseError, ValidationError

NO_SITE = 0
"""What a request carries for a site named by its domain, until the id is known."""


class UnknownSiteError(PleskError, LookupError):
    """A domain that no site of the server has; nothing else of the call was sent."""

    def __init__(
        self, names: Sequence[str], detail: str = "", where: str = "on this server"
    ) -> None:
        shown = ", ".join(names)
        super().__init__(
            f"no site named {shown} {where}" + (f" ({detail})" if detail else "")
        )
        self.names = list(names)


@dataclass(frozen=True)
class Named:
    """How a call names its site: by id (in the request) and/or by domain name."""

    given: bool
    """The id field was given (``site_id=``, ``site_ids=``)."""
    names: tuple[str, ...] = ()
    """Domain names to look up (``site=``, ``sites=``)."""


@dataclass(frozen=True)
class Lookup:
    """How domain names become ids: the operation that finds them, and its results."""

    spec: Any
    """The lookup's ``OperationSpec`` (``get_sites``)."""
    request: Callable[[list[str]], Any]
    """The request that finds the sites of some names."""
    filter: str
    """The lookup method's parameter that takes the names (``names``)."""
    key: str
    """The result field that names what it answers (``filter_id``)."""
    value: str
    """The result field that holds the id (``id``)."""


@dataclass(frozen=True)
class Site:
    """A site found by name: what a person needs to address its mail."""

    id: int
    name: str
    ascii_name: str
    webspace_id: int | None
    status: int | None


def ascii_name(domain: str) -> str:
    """``bücher.example`` as Plesk's ASCII form ``xn--bcher-kva.example``, lower case."""
    text = domain.strip().rstrip(".").lower()
    if not text or any(c.isspace() or c in "/@:" for c in text):
        raise ValidationError("site", f"{domain!r} is not a domain name")
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError("site", f"{domain!r} is not a domain name") from None


def split_address(address: str) -> tuple[str, str]:
    """``("info", "example.com")`` of ``info@example.com``; refused when it is none."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(
            "address", f"{address!r} is not an address (like info@example.com)"
        )
    return local, ascii_name(domain)


@dataclass(frozen=True)
class Address:
    """Where the items of a call by address live: one name per item and its place."""

    field: str | None
    """The item field that holds the name; ``None``: the item is the name."""
    result_path: tuple[str, ...]
    """Where a result names its account (``mailname.name``), to match it back."""


def item_name(item: Any, address: Address) -> Any:
    return item if address.field is None else getattr(item, address.field, None)


def renamed(item: Any, address: Address, name: str) -> Any:
    if address.field is None:
        return name
    return dataclasses.replace(item, **{address.field: name})


def is_address(value: Any) -> bool:
    return isinstance(value, str) and "@" in value


def wanted(names: Iterable[str], known: Mapping[str, int]) -> list[str]:
    """The ASCII names not looked up yet, each once, in first-seen order."""
    found: dict[str, None] = {}
    for name in names:
        ascii = ascii_name(name)
        if ascii not in known:
            found[ascii] = None
    return list(found)


def learned(
    lookup: Lookup, asked: Sequence[str], results: Iterable[Any]
) -> dict[str, int]:
    """The ids a lookup answered, by ASCII name; ``UnknownSiteError`` for the others."""
    ids: dict[str, int] = {}
    errors: dict[str, str] = {}
    wanted_names = {name.casefold(): name for name in asked}
    for result in results:
        key = getattr(result, lookup.key, None)
        name = wanted_names.get(str(key).casefold()) if key is not None else None
        if name is None:
            continue  # an answer for something not asked: not ours to use
        value = getattr(result, lookup.value, None)
        if getattr(result, "ok", False) and isinstance(value, int):
            ids[name] = value
        else:
            errors[name] = f"error {getattr(result, 'errcode', None)}"
    missing = [name for name in asked if name not in ids]
    if missing:
        detail = "; ".join(
            f"{name}: {errors.get(name, 'not answered')}" for name in missing
        )
        raise UnknownSiteError(missing, detail)
    return ids


def routes(
    items: Sequence[Any], address: Address, ids: Mapping[str, int]
) -> list[tuple[int, list[tuple[int, Any]]]]:
    """``[(site id, [(input index, item named by its local part), ...]), ...]``,
    sites in the order their first address appears."""
    groups: dict[int, list[tuple[int, Any]]] = {}
    for index, item in enumerate(items):
        local, domain = split_address(str(item_name(item, address)))
        groups.setdefault(ids[domain], []).append(
            (index, renamed(item, address, local))
        )
    return list(groups.items())


def domains_of(items: Sequence[Any], address: Address) -> list[str]:
    return [split_address(str(item_name(item, address)))[1] for item in items]


def placed(
    operation: str,
    address: Address,
    places: Sequence[int],
    items: Sequence[Any],
    results: Sequence[Any],
) -> list[tuple[int, Any]]:
    """Results of one site's operation at the input indexes of their addresses.

    Each result is placed by the account name it carries; one that names no
    account sent keeps the place of the item at its position when the answer
    has one result per item, and is refused otherwise (never misattributed).
    """
    by_name = {
        str(item_name(item, address)).casefold(): place
        for place, item in zip(places, items, strict=True)
    }
    found: list[tuple[int, Any]] = []
    for position, result in enumerate(results):
        value: Any = result
        for part in address.result_path:
            value = getattr(value, part, None)
        if value is not None and str(value).casefold() in by_name:
            found.append((by_name[str(value).casefold()], result))
        elif value is None and len(results) == len(places):
            found.append((places[position], result))
        else:
            raise ResponseError(
                f"{operation}: the server answered for {value!r}, which was not "
                "asked on that site"
            )
    return found


def site_of(result: Any) -> Site:
    """A ``Site`` from a lookup result with its general information."""
    info = getattr(result, "gen_info", None)
    if info is None:
        raise ValidationError("get_sites", "ask with gen_info=True to read names")
    return Site(
        id=int(result.id),
        name=str(info.name),
        ascii_name=str(info.ascii_name),
        webspace_id=getattr(info, "webspace_id", None),
        status=getattr(info, "status", None),
    )
