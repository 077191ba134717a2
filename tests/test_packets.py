"""Hand-written packets in the style of Plesk's documentation.

Each test pins one behaviour that stock xsdata output gets wrong: flags as
empty elements, choices inside MailPreferences, whitespace collapsing, the
order of operations, and the packet-level <system> error.
"""

from __future__ import annotations

import datetime
import typing

import pytest
from plesk_mail.codec import decode_response
from plesk_mail.runtime.base.errors import (
    ResponseError,
    UnexpectedElementError,
    ValidationError,
)
from plesk_mail.runtime.engine.envelope import SystemResult

from tests.support.protocols import VERSIONS, generated_module
from tests.support.xsd import assert_valid

LATEST = VERSIONS[-1]


def packet(version: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><packet version="{version}">'
        f"<mail>{body}</mail></packet>"
    ).encode()


@pytest.mark.parametrize("version", VERSIONS)
def test_get_info_flags_are_booleans_and_empty_elements(version: str) -> None:
    m = generated_module(version)
    request = m.GetInfoRequest(site_id=1, names=["info"], mailbox=True, aliases=True)
    data = m.encode_request(m.RequestPacket(operations=[request]))
    assert_valid(version, "request", data)
    assert b"<mailbox/>" in data and b"<aliases/>" in data
    assert b"true" not in data and b"<forwarding" not in data
    text = packet(
        version,
        "<get_info><filter><site-id>1</site-id><name>info</name></filter>"
        "<mailbox/><aliases/></get_info>",
    )
    assert m.decode_request(text).operations == [request]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("policy", "xml"),
    [
        ({"reject": True}, "<reject/>"),
        ({"bounce": "No such user"}, "<bounce>No such user</bounce>"),
        ({"forward": "catch@example.com"}, "<forward>catch@example.com</forward>"),
    ],
    ids=["reject", "bounce", "forward"],
)
def test_mail_preferences_nonexistent_user_round_trips(
    version: str, policy: dict[str, object], xml: str
) -> None:
    m = generated_module(version)
    prefs = m.MailPreferences(
        nonexistent_user=m.NonexistentUserPolicy(**policy), greylisting=True
    )
    request = m.SetPrefsRequest(site_ids=[3], prefs=prefs)
    data = m.encode_request(m.RequestPacket(operations=[request]))
    assert_valid(version, "request", data)
    assert f"<nonexistent-user>{xml}</nonexistent-user>".encode() in data
    assert m.decode_request(data).operations == [request]


@pytest.mark.parametrize("version", VERSIONS)
def test_mail_preferences_none_is_an_empty_element(version: str) -> None:
    m = generated_module(version)
    request = m.SetPrefsRequest(site_ids=[], prefs=m.MailPreferences(none=True))
    data = m.encode_request(m.RequestPacket(operations=[request]))
    assert_valid(version, "request", data)
    assert b"<prefs><none/></prefs>" in data
    assert m.decode_request(data).operations == [request]


def test_plesk_string_collapses_whitespace_and_xs_string_does_not() -> None:
    m = generated_module(LATEST)
    data = (
        b'<packet version="1.6.9.1"><mail><get_info><result><status> ok </status>'
        b"<mailname><id> 12 </id><name>\n   info   desk \n</name>"
        b"<alias>  keep  spaces </alias>"
        b"<description>  two  spaces </description></mailname></result></get_info>"
        b"</mail></packet>"
    )
    reply = m.decode_response(data).replies[0]
    account = reply.body.results[0].mailname
    assert account.id == 12
    assert account.name == "info desk"  # Plesk `string`: whiteSpace=collapse
    assert account.aliases == ["  keep  spaces "]  # xs:string: preserved
    assert account.description == "  two  spaces "


def test_result_status_and_error_fields_are_modelled() -> None:
    m = generated_module(LATEST)
    data = packet(
        LATEST,
        "<create><result><status>ok</status><mailname><id>5</id><name>a</name>"
        "</mailname></result><result><status>error</status><errcode>1007</errcode>"
        "<errtext>Mail name already exists</errtext></result></create>",
    )
    assert_valid(LATEST, "response", data)
    first, second = m.decode_response(data).replies[0].body.results
    assert first.ok and first.mailname == m.CreatedMailname(id=5, name="a")
    assert not second.ok
    assert (second.errcode, second.errtext) == (1007, "Mail name already exists")
    assert isinstance(second, m.Result)


def test_system_error_packet_is_modelled() -> None:
    m = generated_module(LATEST)
    data = (
        b'<?xml version="1.0"?><packet version="1.6.9.1"><system><status>error'
        b"</status><errcode>1001</errcode><errtext>Authentication failed</errtext>"
        b"</system></packet>"
    )
    assert_valid(LATEST, "response", data)
    assert m.decode_response(data) == SystemResult(
        status="error", errcode=1001, errtext="Authentication failed"
    )


def test_same_schema_type_is_one_python_type() -> None:
    m = generated_module(LATEST)
    create_hints = typing.get_type_hints(m.NewMailAccount)
    info_hints = typing.get_type_hints(m.MailAccountInfo)
    assert create_hints["antivirus"] == info_hints["antivirus"] == (m.Antivirus | None)
    enable_hints = typing.get_type_hints(m.EnableResponse)
    assert enable_hints["results"] == list[m.Result]
    assert issubclass(m.CreateResult, m.Result)
    assert issubclass(m.GetInfoResult, m.Result)


def test_dates_and_enums_are_python_types() -> None:
    m = generated_module(LATEST)
    responder = m.Autoresponder(
        enabled=True,
        content_type=m.ContentType.TEXT_PLAIN,
        end_date=datetime.date(2026, 12, 31),
    )
    account = m.NewMailAccount(name="a", autoresponder=responder)
    request = m.CreateRequest(site_id=1, mailnames=[account])
    data = m.encode_request(m.RequestPacket(operations=[request]))
    assert_valid(LATEST, "request", data)
    assert b"<end_date>2026-12-31</end_date>" in data
    assert b"<content_type>text/plain</content_type>" in data
    assert m.decode_request(data).operations == [request]


def test_unknown_element_names_its_path() -> None:
    m = generated_module(LATEST)
    data = packet(
        LATEST,
        "<rename><result><status>ok</status><surprise/></result></rename>",
    )
    with pytest.raises(UnexpectedElementError) as info:
        m.decode_response(data)
    assert "/packet/mail/rename/result/surprise" in str(info.value)


def test_missing_required_element_is_a_response_error() -> None:
    m = generated_module(LATEST)
    with pytest.raises(ResponseError, match="<status> missing"):
        m.decode_response(packet(LATEST, "<rename><result/></rename>"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "^empty response$"),
        (
            b"<html><body>502 Bad Gateway</body></html>",
            "expected a <packet> document, got <html>",
        ),
        (b"<packet version='1.6.9.1'><mail><rename>", "not well-formed XML: Premature"),
        (b"not xml at all", "not well-formed XML: Start tag expected"),
        (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><packet/>',
            "declares a DOCTYPE; refused",
        ),
    ],
    ids=["empty", "html", "truncated", "garbage", "doctype"],
)
def test_malformed_responses_raise_response_error(body: bytes, message: str) -> None:
    m = generated_module(LATEST)
    with pytest.raises(ResponseError, match=message):
        m.decode_response(body)


def test_newer_field_decodes_and_older_encoding_refuses_it() -> None:
    """1.6.8.0 added webmail-certificate: the shared decoder reads it in any
    packet; the 1.6.6.0 module's decoder refuses it, as a 1.6.6.0 client does
    (issue 23: it used to accept it without a word); a 1.6.6.0 packet cannot
    be written with it, while a 1.6.8.0 one can."""
    data = packet(
        "1.6.6.0",
        "<get_prefs><result><status>ok</status><site-id>1</site-id><prefs>"
        "<webmail-certificate>cert</webmail-certificate></prefs></result></get_prefs>",
    )
    old, new = generated_module("1.6.6.0"), generated_module("1.6.8.0")
    with pytest.raises(UnexpectedElementError, match=r"protocol 1\.6\.8\.0 or newer"):
        old.decode_response(data)
    assert new.decode_response(data).replies
    decoded = decode_response(data)
    assert decoded.replies[0].body.results[0].prefs.webmail_certificate == "cert"
    with pytest.raises(
        ValidationError, match=r"webmail_certificate: needs protocol 1\.6\.8\.0"
    ):
        old.encode_response(decoded)
    assert b"<webmail-certificate>cert</webmail-certificate>" in new.encode_response(
        decoded
    )
