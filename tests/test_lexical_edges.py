"""Values at the edge of the schema, through the client: the malformed-answer corpus's
table of lexical forms (issue 18).

A server may write ``true`` as ``1``, ``7`` as ``+007`` with white space around
it, a date with a time zone: the schema allows each, and the client reads the
value. It may also write ``TRUE``, ``1.0``, ``2024-02-30``, ``20240101``, an id
of 0 or a quota past ``xs:long``: the schema refuses each, and so does the
client, with a ``ResponseError`` naming the element. Each row is checked
against the pinned XSDs too, so the table says what the schema says (where
libxml2, the validator, departs from the XSD specification, the row says so).
``tests/test_codec_properties.py`` draws the same kinds of text at random.

Two differences from the schema are known and kept: an empty element that
has a schema default (``<enabled/>``, true) is refused, because the operation
model has no element defaults (a strict xfail in test_codec_properties.py);
an xs:date outside the years 1 to 9999 (``-0044-03-15``) is valid XSD but no
Python ``date``, and is refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import plesk_mail
import pytest

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception
from tests.support.xsd import schema_errors
from tests.test_codec_properties import answer_with

LATEST = plesk_mail.LATEST_PROTOCOL
D = datetime.date


@dataclass(frozen=True)
class Edge:
    where: str
    """The element of a get_info answer: enabled, quota, id, usage, errcode, end_date."""
    text: str
    value: Any = None
    """What the client reads; ``None``: the schema refuses the text, and so must the client."""
    kind: str = ""
    """The type's name as the refusal says it ("boolean", "integer", "date")."""
    libxml2: bool | None = None
    """libxml2's verdict where it departs from the XSD specification."""


def ok(where: str, text: str, value: Any, libxml2: bool | None = None) -> Any:
    return pytest.param(
        Edge(where, text, value, libxml2=libxml2), id=f"{where}-{text!r}-ok"
    )


def no(where: str, text: str, kind: str) -> Any:
    return pytest.param(Edge(where, text, kind=kind), id=f"{where}-{text!r}-refused")


EDGES = [
    # xs:boolean: true, false, 1, 0 and white space around them; nothing else
    *(ok("enabled", t, v) for t, v in [("true", True), ("0", False), ("1", True)]),
    ok("enabled", "false", False),
    ok("enabled", " true\n", True),
    *(no("enabled", t, "boolean") for t in ["TRUE", "True", "yes", "1.0", "01", "t"]),
    # xs:long: a sign, leading zeros, white space; within -2**63 .. 2**63 - 1
    *(ok("quota", t, v) for t, v in [("+1", 1), ("-1", -1), ("007", 7), ("\t12 ", 12)]),
    ok("quota", "9223372036854775807", 2**63 - 1),
    ok("quota", "-9223372036854775808", -(2**63)),
    ok("quota", "0" * 45 + "1", 1),
    no("quota", "9223372036854775808", "integer (from"),
    no("quota", "-9223372036854775809", "integer (from"),
    *(
        no("quota", t, "integer")
        for t in ["1.0", "1e3", "0x10", "1_000", "\uff11", "+-1"]
    ),
    no("quota", "1 2", "integer"),
    # id_type, an xs:positiveInteger: at least 1, leading zeros fine
    ok("id", "1", 1),
    ok("id", "007", 7),
    ok("id", "+1", 1),
    no("id", "0", "integer (at least 1)"),
    no("id", "00", "integer (at least 1)"),
    no("id", "-1", "integer (at least 1)"),
    # errcode, an xs:unsignedInt: 0 .. 2**32 - 1
    ok("errcode", "4294967295", 2**32 - 1),
    ok("errcode", "0", 0),
    no("errcode", "4294967296", "integer (from 0 to 4294967295)"),
    no("errcode", "-1", "integer (from 0 to 4294967295)"),
    # the "int" of Plesk's common.xsd is an xs:integer: no bounds
    ok("usage", "99999999999999999999999", 10**23 - 1),
    ok("usage", "-5", -5),
    # xs:date: YYYY-MM-DD of a day that exists, maybe with a time zone
    ok("end_date", "2024-02-29", D(2024, 2, 29)),
    ok("end_date", "2024-01-01Z", D(2024, 1, 1)),
    ok("end_date", "2024-01-01+02:00", D(2024, 1, 1)),
    ok("end_date", "2024-01-01-05:30", D(2024, 1, 1)),
    ok("end_date", "2024-01-01+14:00", D(2024, 1, 1)),
    ok("end_date", "0001-01-01", D(1, 1, 1)),
    ok("end_date", " 2024-01-01\n", D(2024, 1, 1), libxml2=False),
    *(no("end_date", t, "date") for t in ["2024-13-01", "2024-02-30", "2023-02-29"]),
    *(no("end_date", t, "date") for t in ["2024-00-10", "2024-01-32", "0000-01-01"]),
    *(no("end_date", t, "date") for t in ["20240101", "2024-W01-1", "2024-1-01"]),
    *(no("end_date", t, "date") for t in ["+2024-01-01", "2024-01-01T00:00:00"]),
    *(no("end_date", t, "date") for t in ["2024-01-01+14:01", "2024-01-01+02:60"]),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("edge", EDGES)
def test_an_answer_value_at_the_edge_of_its_type(
    emulator: Emulator, tls: TestTLS, edge: Edge, kind: str
) -> None:
    """Catches a decoder that takes what the schema refuses (``TRUE``, id 0, ``20240101``) or refuses what it allows (``1``, ``+007``, ``2024-01-01Z``)."""
    answer = answer_with(edge.where, edge.text)
    valid = not schema_errors(LATEST, "response", answer)
    allowed = edge.value is not None
    assert valid == (allowed if edge.libxml2 is None else edge.libxml2)
    emulator.scripted.append(RawAnswer(answer))
    with connect_to(emulator, tls, kind=kind) as client:
        if allowed:
            [result] = client.get_info(site_id=SITE_ID)
            assert read(result, edge.where) == edge.value
            return
        with pytest.raises(plesk_mail.ResponseError) as caught:
            client.get_info(site_id=SITE_ID)
    element = "/errcode" if edge.where == "errcode" else f"/{edge.where}"
    assert_clean_exception(
        caught.value, plesk_mail.ResponseError, element, f"not a valid {edge.kind}"
    )


def read(result: Any, where: str) -> Any:
    if where == "errcode":
        return result.errcode
    account = result.mailname
    return {
        "id": account.id,
        "enabled": account.mailbox.enabled,
        "quota": account.mailbox.quota,
        "usage": account.mailbox.usage,
        "end_date": account.autoresponder.end_date,
    }[where]
