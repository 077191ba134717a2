"""A packet of several operator elements, answered element by element, in order.

Since protocol 1.4.0.0 Plesk takes ``<packet><site>...</site><mail>...</mail>
</packet>`` and answers each operator element at the same place in its answer.
``<server>`` (``get_protos``, and ``get`` of ``stat`` for the product
version) is the emulator's own; every other
operator element is the generated codec's: decoded, answered by the
emulator's operator of that element, encoded. Every part is decoded before the
first is answered, so a part that cannot be read leaves nothing applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from lxml import etree

from . import protos as get_protos
from .mail import MailOperator
from .operator import Operator
from .site import SiteOperator
from .store import Store

SERVER = "server"
OPERATORS: dict[str, type[Operator]] = {"mail": MailOperator, "site": SiteOperator}
"""The emulator's operator of each element the generated package knows."""


def children(root: etree._Element) -> list[etree._Element]:
    return list(root.iterchildren(etree.Element))


def only_server(root: etree._Element) -> bool:
    """A bare ``<server><get_protos/></server>`` packet (no version needed)."""
    parts = children(root)
    return bool(parts) and all(part.tag == SERVER for part in parts)


def packet_of(version: str, parts: list[etree._Element]) -> bytes:
    """A packet holding copies of ``parts``: one piece to validate or decode."""
    packet = etree.Element("packet", version=version)
    for part in parts:
        packet.append(etree.fromstring(etree.tostring(part)))
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))


def schema_errors(
    validator: Callable[[str, str, bytes], list[str]],
    version: str,
    side: Literal["request", "response"],
    root: etree._Element,
) -> list[str]:
    """Errors of a whole packet: the operator elements together against the
    version's envelope, each ``<server>`` against the server schema."""
    parts = children(root)
    ours = [part for part in parts if part.tag != SERVER]
    errors: list[str] = list(validator(version, side, packet_of(version, ours)))
    for part in parts:
        if part.tag == SERVER:
            errors += get_protos.schema_errors(side, packet_of(version, [part]))
    return errors


def answer(
    version: str,
    root: etree._Element,
    store: Store,
    protos: list[str],
    result_order: str = "request",
    plesk_version: str = "18.0.60",
) -> bytes:
    """The answer packet, its parts in the order of the request's.

    ``result_order="reversed"`` turns each operation's per-item results
    around (a server owes no order; the results name their accounts).
    """
    from plesk_mail import codec, models

    names = {request: name for name, (request, _) in models.OPERATIONS.items()}
    decoded = [
        (
            None
            if part.tag == SERVER
            else codec.decode_request(packet_of(version, [part])).operations
        )
        for part in children(root)
    ]
    packet = etree.Element("packet", version=version)
    for part, operations in zip(children(root), decoded, strict=True):
        if operations is None and part.find("get") is not None:
            got = etree.fromstring(get_protos.stat_answer(version, plesk_version))
        elif operations is None:
            got = etree.fromstring(get_protos.answer(version, protos))
        else:
            replies = []
            for request in operations:
                name = names[type(request)]
                operator = models.OPERATORS[name]
                body = OPERATORS[operator](version, store).answer(name, request)
                if result_order == "reversed":
                    _reverse_results(body)
                replies.append(models.Reply(name, body, operator))
            got = etree.fromstring(
                codec.encode_response(
                    models.ResponsePacket(replies=replies, version=version)
                )
            )
        packet.extend(children(got))
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))


def _reverse_results(body: object) -> None:
    results = getattr(body, "results", None)
    if isinstance(results, list):
        results.reverse()


def stamped(data: bytes, version: str) -> bytes:
    """``data``, an answer packet, with its ``version`` attribute set to ``version``."""
    packet = etree.fromstring(data)
    packet.set("version", version)
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))
