"""Build models -> encode -> validate against the pinned XSD -> decode -> equal.

For every operation of every version, on both the request and response side,
with every branch of every choice used at least once.
"""

from __future__ import annotations

import random

import pytest
from lxml import etree

from tests.support.instances import build, variants
from tests.support.protocols import VERSIONS, generated_module, protocol_model
from tests.support.xsd import assert_valid


def _operation_ids() -> list[tuple[str, str]]:
    return [
        (version, op.name)
        for version in VERSIONS
        for op in protocol_model(version).operations
    ]


CASES = _operation_ids()
IDS = [f"{v}-{op}" for v, op in CASES]


@pytest.mark.parametrize(("version", "operation"), CASES, ids=IDS)
def test_request_round_trip(version: str, operation: str) -> None:
    protocol = protocol_model(version)
    module = generated_module(version)
    op = next(o for o in protocol.operations if o.name == operation)
    for full in (True, False):
        for variant in range(variants(protocol, op.request)):
            request = build(op.request, protocol, module, variant, full)
            packet = module.RequestPacket(operations=[request], version=version)
            data = module.encode_request(packet)
            assert_valid(version, "request", data)
            assert module.decode_request(data) == packet


@pytest.mark.parametrize(("version", "operation"), CASES, ids=IDS)
def test_response_round_trip(version: str, operation: str) -> None:
    protocol = protocol_model(version)
    module = generated_module(version)
    op = next(o for o in protocol.operations if o.name == operation)
    for full in (True, False):
        for variant in range(variants(protocol, op.response)):
            body = build(op.response, protocol, module, variant, full)
            packet = module.ResponsePacket(
                replies=[module.Reply(op.name, body, op.operator)], version=version
            )
            data = module.encode_response(packet)
            assert_valid(version, "response", data)
            assert module.decode_response(data) == packet


@pytest.mark.parametrize("version", VERSIONS)
def test_operation_order_survives_a_mixed_packet(version: str) -> None:
    """MailTypeRequest is an unbounded choice: order inside <mail> is meaningful."""
    protocol = protocol_model(version)
    module = generated_module(version)
    operations = [op for op in protocol.operations for _ in range(2)]
    random.Random(version).shuffle(operations)
    requests = [
        build(op.request, protocol, module, i) for i, op in enumerate(operations)
    ]
    replies = [
        module.Reply(op.name, build(op.response, protocol, module, i), op.operator)
        for i, op in enumerate(operations)
    ]
    request_data = module.encode_request(module.RequestPacket(operations=requests))
    response_data = module.encode_response(module.ResponsePacket(replies=replies))
    assert_valid(version, "request", request_data)
    assert_valid(version, "response", response_data)
    assert module.decode_request(request_data).operations == requests
    decoded = module.decode_response(response_data)
    assert [r.operation for r in decoded.replies] == [op.name for op in operations]
    assert decoded.replies == replies


@pytest.mark.parametrize("version", VERSIONS)
def test_operators_follow_each_other_in_packet_order(version: str) -> None:
    """``<site>`` and ``<mail>`` in one packet: each run of one operator's
    operations shares its element; both sides validate and decode in order."""
    protocol = protocol_model(version)
    module = generated_module(version)
    order = ["get_sites", "get_info", "get_prefs", "get_sites"]
    ops = [next(o for o in protocol.operations if o.name == name) for name in order]
    requests = [build(op.request, protocol, module, i) for i, op in enumerate(ops)]
    replies = [
        module.Reply(op.name, build(op.response, protocol, module, i), op.operator)
        for i, op in enumerate(ops)
    ]
    for data, decode, expected in (
        (
            module.encode_request(module.RequestPacket(operations=requests)),
            lambda d: module.decode_request(d).operations,
            requests,
        ),
        (
            module.encode_response(module.ResponsePacket(replies=replies)),
            lambda d: module.decode_response(d).replies,
            replies,
        ),
    ):
        root = etree.fromstring(data)
        assert [(child.tag, len(child)) for child in root] == [
            ("site", 1),
            ("mail", 2),
            ("site", 1),
        ]
        assert_valid(version, "request" if expected is requests else "response", data)
        assert decode(data) == expected
