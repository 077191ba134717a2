"""Calls into packets of at most ``chunk_size`` items, and what each call had
done when a packet failed."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator
from functools import partial
from typing import Any

from ..base import xml as rt
from ..base.errors import CallProgress, PleskError, masked
from ..base.masking import secret_values
from .answers import Answers
from .calls import Call, Packet, Piece, key, reached_server


class Packing(Answers):
    """Sends calls in as few packets as the chunk size allows."""

    def _exchange(self, calls: list[Call]) -> Generator[Packet, bytes, None]:
        """Send ``calls`` in as few packets as the chunk size allows; set their answers."""
        pieces = [piece for call in calls for piece in self._split(call)]
        answers: dict[int, list[tuple[Piece, Any]]] = {id(call): [] for call in calls}
        unknown: list[rt.UnknownElement] = []
        packets = list(self._packets(pieces))
        done = 0
        try:
            for packet in packets:
                outgoing = self._outgoing(packet)
                data = yield outgoing
                bodies = self._answer(packet, outgoing, data, unknown)
                for piece, body in zip(packet, bodies, strict=True):
                    answers[id(piece.call)].append((piece, body))
                done += 1
        except BaseException as exc:  # an interrupt too: say what was applied
            exc.progress = self._progress(  # type: ignore[attr-defined]
                calls, answers, packets, done, unknown, reached_server(exc)
            )
            raise
        self.last_unknown_elements = unknown
        for call in calls:
            try:
                call.pending._set(self._merge(call, answers[id(call)], unknown))
            except PleskError as exc:  # a result may quote what the server echoed
                raise masked(exc, self._call_masker(call)) from None

    def _progress(
        self,
        calls: list[Call],
        answers: dict[int, list[tuple[Piece, Any]]],
        packets: list[list[Piece]],
        done: int,
        unknown: list[rt.UnknownElement],
        reached: bool,
    ) -> list[CallProgress]:
        """What each call had done when packet ``done`` failed.

        ``reached``: that packet may have been applied (else it counts as unsent).
        """
        progress = []
        for call in calls:
            answered = answers[id(call)]
            try:
                results = self._merge(call, answered, unknown) if answered else []
            except PleskError:
                results = []  # the answers of the completed packets do not add up
            current = [
                piece
                for packet in packets[done : done + 1]
                for piece in packet
                if piece.call is call
            ]
            later = [
                piece
                for packet in packets[done + 1 :]
                for piece in packet
                if piece.call is call
            ]
            in_flight = current if reached else []
            if not reached:
                later = current + later
            progress.append(
                CallProgress(
                    operation=call.spec.name,
                    results=results,
                    in_flight=tuple(i for p in in_flight for i in p.indexes),
                    unsent=tuple(i for p in later for i in p.indexes),
                )
            )
        return progress

    def _split(self, call: Call) -> Iterator[Piece]:
        field = call.spec.batch_field
        if field is None:
            yield Piece(call, call.request, 1)
            return
        if call.routes is not None:  # by address: one operation per site
            site = str(call.spec.site_field)
            for site_id, items in call.routes:
                for start in range(0, len(items), self.chunk_size):
                    chunk = items[start : start + self.chunk_size]
                    request = dataclasses.replace(
                        call.request, **{site: site_id, field: [i for _, i in chunk]}
                    )
                    yield Piece(call, request, len(chunk), tuple(p for p, _ in chunk))
            return
        values = list(getattr(call.request, field))
        if len(values) <= self.chunk_size:
            places = tuple(range(len(values)))
            yield Piece(call, call.request, max(1, len(values)), places)
            return
        for start in range(0, len(values), self.chunk_size):
            chunk = values[start : start + self.chunk_size]
            request = dataclasses.replace(call.request, **{field: chunk})
            places = tuple(range(start, start + len(chunk)))
            yield Piece(call, request, len(chunk), places)

    def _packets(self, pieces: list[Piece]) -> Iterator[list[Piece]]:
        packet: list[Piece] = []
        size = 0
        for piece in pieces:
            if packet and size + piece.items > self.chunk_size:
                yield packet
                packet, size = [], 0
            packet.append(piece)
            size += piece.items
        if packet:
            yield packet

    def _outgoing(self, pieces: list[Piece]) -> Packet:
        packet = self._codec.make_packet(
            [piece.request for piece in pieces], self._protocol
        )
        names = sorted({key(piece.call.spec) for piece in pieces})
        requests = [piece.request for piece in pieces]
        return Packet(
            body=self._codec.encode_request(packet),
            label=f"{'+'.join(names)} x{len(pieces)}",
            read_only=all(piece.call.spec.read_only for piece in pieces),
            masker=self.masker.adding(partial(secret_values, requests)),
        )
