"""From a packet's answer to each call's results: decoded, checked, matched.

The first of the engine's layers (``answers`` < ``packing`` < ``sites`` <
``client.Core``): it holds the state every layer reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..base import xml as rt
from ..base.errors import (
    PleskError,
    ProtocolVersionError,
    ResponseError,
    UnexpectedElementError,
    masked,
    packet_error,
)
from ..base.masking import Masker, secret_values
from ..base.protocols import Conflict, availability
from . import addressing
from .calls import Call, Codec, Packet, Piece, key
from .checks import answer_conflict
from .envelope import SystemResult

logger = logging.getLogger("plesk_mail")


class Answers:
    """Reads answers; the state here is what a client was made with."""

    _codec: Codec
    _protocol: str
    transport: Any
    lenient: bool
    chunk_size: int

    @property
    def masker(self) -> Masker:
        """Hides this client's login secrets in text (see ``plesk_mail.runtime.base.masking``)."""
        masker: Masker = self.transport.masker
        return masker

    def mask(self, text: str) -> str:
        """``text`` with this client's secrets hidden, for showing it to people."""
        return self.masker.text(text)

    def _call_masker(self, call: Call) -> Masker:
        """Hides the login secrets and the call's own (account passwords)."""
        return self.masker.adding(partial(secret_values, call.request))

    def _answer(
        self,
        pieces: list[Piece],
        packet: Packet,
        data: bytes,
        unknown: list[rt.UnknownElement],
    ) -> list[Any]:
        """The reply bodies of one packet's answer, in the packet's order, checked."""
        names = [key(piece.call.spec) for piece in pieces]
        mask = packet.masker.text
        try:
            answer = self._decode(data, unknown)
        except PleskError as exc:  # a server may echo a secret into what we quote
            raise masked(exc, mask) from None
        if isinstance(answer, SystemResult):
            error = packet_error(answer.errcode, answer.errtext or "packet refused")
            if isinstance(error, ProtocolVersionError):
                error.asked(self._protocol)
            raise masked(error, mask)
        if not answer.version:  # Plesk's documentation shows such answers
            logger.debug(
                "%s: the answer names no protocol version; decoded as %s",
                packet.label,
                self._protocol,
            )
        elif answer.version != self._protocol:
            logger.warning(
                "%s: asked in protocol %s, answered in %r; decoded and checked as %s",
                packet.label,
                self._protocol,
                mask(answer.version),
                self._protocol,
            )
        replies = answer.replies
        got = [f"{reply.operator}.{reply.operation}" for reply in replies]
        try:
            if got != names:
                raise ResponseError(
                    f"expected replies for {', '.join(names)}; got "
                    f"{', '.join(got) or 'none'}"
                )
            for reply in replies:
                self._check_reply(reply.operation, reply.body)
        except PleskError as exc:
            raise masked(exc, mask) from None
        return [reply.body for reply in replies]

    def _decode(self, data: bytes, unknown: list[rt.UnknownElement]) -> Any:
        limit = self.transport.max_response_size
        if not self.lenient:
            return self._codec.decode_response(data, limit)
        with rt.collecting_unknown() as skipped:
            answer = self._codec.decode_response(data, limit)
        unknown.extend(skipped)
        for element in skipped:
            logger.warning("skipped unknown element %s", element.path)
        return answer

    def _check_reply(self, operation: str, body: Any) -> None:
        """An element newer (or older) than this connection's protocol version.

        The decoder knows every version's elements; a server that answers with
        one this version lacks answers in another schema than it was asked for.
        """
        found = answer_conflict(self._codec.rules, operation, body, self._protocol)
        if found is None:
            return
        error = unexpected_answer(found, self._protocol, self._codec.rules.versions)
        if self.lenient:
            logger.warning(
                "%s; kept (lenient)", error.message.partition("; connect")[0]
            )
            return
        raise error

    def _merge(
        self,
        call: Call,
        answers: list[tuple[Piece, Any]],
        unknown: list[rt.UnknownElement],
    ) -> Any:
        spec = call.spec
        if spec.result_field is None:
            return answers[0][1]
        merged = spec.results_class(operation=spec.name, masker=self._call_masker(call))
        by_place: list[tuple[int, Any]] = []
        for piece, body in answers:
            if self._protocol in spec.bare_versions and spec.unwrap is not None:
                results = spec.unwrap(body)
            elif spec.results_repeated:
                results = getattr(body, spec.result_field)
            else:
                results = [getattr(body, spec.result_field)]
            if spec.results_per_item and spec.batch_field is not None:
                items = getattr(piece.request, spec.batch_field)
                if len(results) != len(items):
                    raise ResponseError(
                        f"{spec.name}: sent {len(items)} item(s), got "
                        f"{len(results)} result(s)"
                    )
                if spec.identity is not None:
                    results = _matched(spec.name, spec.identity, items, results)
            if call.routes is not None and spec.address is not None:
                items = getattr(piece.request, str(spec.batch_field))
                by_place += addressing.placed(
                    spec.name, spec.address, piece.places, items, results
                )
            else:
                merged.extend(results)
        if call.routes is not None:  # back in the order of the addresses
            merged.extend(result for _, result in sorted(by_place, key=lambda p: p[0]))
        merged.unknown_elements = list(unknown)
        return merged


def unexpected_answer(
    found: tuple[str, Conflict], version: str, known: Sequence[str]
) -> UnexpectedElementError:
    """The error for an answer element that protocol ``version`` lacks."""
    where, conflict = found
    return UnexpectedElementError(
        f"{where}: the server answered with an element of "
        f"{availability(conflict.versions, known)}, but this connection speaks "
        f"protocol {version}; connect with that protocol, or lenient=True to keep it",
        where,
        conflict.first_version(known),
    )


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        value = getattr(value, name, None)
    return value


def _matched(
    operation: str,
    identity: tuple[str, tuple[str, ...]],
    items: Sequence[Any],
    results: Sequence[Any],
) -> list[Any]:
    """``results`` in item order, matched by what each names (case-insensitive).

    A result that names no item (an error without ``mailname``) keeps its
    position; one that names another item than the one there, or an item
    that was not sent, is an error: never attribute a result to the wrong item.
    """
    field, path = identity
    keys = [str(getattr(item, field)).casefold() for item in items]
    named = [_dig(result, path) for result in results]
    if all(name is not None for name in named):
        order = {key: index for index, key in enumerate(keys)}
        places = [order.get(str(name).casefold(), -1) for name in named]
        if sorted(places) == list(range(len(keys))):
            by_place = dict(zip(places, results, strict=True))
            return [by_place[place] for place in range(len(keys))]
    for index, name in enumerate(named):
        if name is not None and str(name).casefold() != keys[index]:
            raise ResponseError(
                f"{operation}: result {index} names {name!r}, but the item sent "
                f"there is {getattr(items[index], field)!r}, and the results do not "
                "match the items one to one"
            )
    return list(results)
