"""Naming rules (``plesk_mailgen.naming``) and how ``build`` applies them.

The second half builds the operation model from a tiny schema set written into
``tmp_path`` by the test itself, so every naming rule is checked on a schema
small enough to read in one go (the Plesk files are never touched here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plesk_mailgen.build import build_protocol
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.loading import load_classes
from plesk_mailgen.model import Protocol
from plesk_mailgen.naming import (
    MAX_NAME_LENGTH,
    NAMES_PATH,
    Overrides,
    check_identifier,
    constant,
    pascal,
    plural,
    read_overrides,
    snake,
    words,
)
from plesk_mailgen.schemalock import LockedOperator, LockedVersion

# -- words, pascal, snake, constant, plural -----------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mailnameAddType", ["mailname", "add", "type"]),
        ("mail-provider", ["mail", "provider"]),
        ("end_date", ["end", "date"]),
        ("HTMLParser", ["html", "parser"]),
        ("site-id", ["site", "id"]),
        ("ipv6Address", ["ipv", "6", "address"]),
        ("", []),
    ],
)
def test_words(name: str, expected: list[str]) -> None:
    assert words(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mailnameAddType", "MailnameAddType"),
        ("get_info", "GetInfo"),
        ("get-available-mail-providers", "GetAvailableMailProviders"),
        ("resultType", "ResultType"),
    ],
)
def test_pascal(name: str, expected: str) -> None:
    assert pascal(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("site-id", "site_id"),
        ("mailnameAddType", "mailname_add_type"),
        ("new_name", "new_name"),
        ("autoresponder", "autoresponder"),
        # Python keywords get a trailing underscore.
        ("class", "class_"),
        ("import", "import_"),
        ("global", "global_"),
        ("from", "from_"),
    ],
)
def test_snake(name: str, expected: str) -> None:
    assert snake(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html", "TEXT_HTML"),
        ("text/plain", "TEXT_PLAIN"),
        ("ok", "OK"),
        ("quoted-printable", "QUOTED_PRINTABLE"),
        # A member name may not start with a digit.
        ("8bit", "_8_BIT"),
        ("7", "_7"),
        # Nothing usable left: still a valid name.
        ("", "EMPTY"),
        ("/", "EMPTY"),
    ],
)
def test_constant(value: str, expected: str) -> None:
    assert constant(value) == expected
    assert expected.isidentifier()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("address", "addresses"),
        ("alias", "aliases"),
        ("policy", "policies"),
        ("day", "days"),
        ("key", "keys"),
        ("name", "names"),
        ("box", "boxes"),
        ("match", "matches"),
        ("mail_address", "mail_addresses"),
        ("mail_policy", "mail_policies"),
    ],
)
def test_plural(name: str, expected: str) -> None:
    assert plural(name) == expected


# -- check_identifier ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["site_id", "MailboxInfo", "_7_BIT", "x" * MAX_NAME_LENGTH]
)
def test_check_identifier_accepts_identifiers(name: str) -> None:
    assert check_identifier(name, "someType/some-element") == name


@pytest.mark.parametrize(
    "name",
    ["site-id", "1st", "", "two words", "class", "None", "Größe"],
    ids=[
        "dash",
        "digit-first",
        "empty",
        "space",
        "keyword",
        "keyword-None",
        "non-ascii",
    ],
)
def test_check_identifier_refuses_non_identifiers(name: str) -> None:
    with pytest.raises(GeneratorError) as caught:
        check_identifier(name, "someType/some-element")
    message = str(caught.value)
    assert repr(name) in message
    assert "someType/some-element" in message
    assert "not a Python identifier" in message


def test_check_identifier_refuses_trailing_newline() -> None:
    with pytest.raises(GeneratorError, match=r"'Mailbox\\n'.*not a Python identifier"):
        check_identifier("Mailbox\n", "mailnameGetInfoType/mailbox")


def test_check_identifier_refuses_long_names() -> None:
    name = "x" * (MAX_NAME_LENGTH + 1)
    with pytest.raises(GeneratorError) as caught:
        check_identifier(name, "veryLongType")
    message = str(caught.value)
    assert "veryLongType" in message
    assert f"longer than {MAX_NAME_LENGTH} characters" in message
    assert str(NAMES_PATH) in message


# -- the override table -------------------------------------------------------


def test_read_overrides_without_table_gives_empty_overrides(tmp_path: Path) -> None:
    overrides = read_overrides(tmp_path)
    assert overrides == Overrides(path=tmp_path / NAMES_PATH)


def test_read_overrides_reads_every_section(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / NAMES_PATH).write_text(
        'inline = ["filter"]\n'
        'secrets = ["Password.value", "token"]\n'
        "[types]\n"
        'resultType = "Result"\n'
        '"mailnameGetInfoType/mailbox" = "MailboxInfo"\n'
        "[fields]\n"
        'antivir = "antivirus"\n'
        '"Mailbox.quota" = "quota_bytes"\n',
        encoding="utf-8",
    )
    overrides = read_overrides(tmp_path)
    assert overrides.inline == frozenset({"filter"})
    assert overrides.secrets == frozenset({"Password.value", "token"})
    assert overrides.type_name("resultType", "ResultType") == "Result"
    assert (
        overrides.type_name("mailnameGetInfoType/mailbox", "Mailbox") == "MailboxInfo"
    )
    assert overrides.type_name("otherType", "Other") == "Other"
    assert overrides.field_name("Anything", "antivir", "antivir") == "antivirus"
    assert overrides.field_name("Mailbox", "quota", "quota") == "quota_bytes"
    assert overrides.is_secret("Password", "value")
    assert not overrides.is_secret("Mailbox", "value")
    assert overrides.is_secret("Anything", "token")
    assert overrides.path == tmp_path / NAMES_PATH


def test_read_overrides_refuses_unknown_entries(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / NAMES_PATH).write_text(
        '[operations]\nget_info = "Read mail accounts."\n', encoding="utf-8"
    )
    with pytest.raises(GeneratorError, match=r"unknown entry 'operations'.*docs\.toml"):
        read_overrides(tmp_path)


def test_read_overrides_refuses_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / NAMES_PATH).write_text(
        "[types\nresultType = 'Result'\n", encoding="utf-8"
    )
    with pytest.raises(GeneratorError) as caught:
        read_overrides(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / NAMES_PATH) in message
    assert "not valid TOML" in message
    assert "\n" not in message


def test_field_name_prefers_class_dot_tag_over_tag() -> None:
    overrides = Overrides(fields={"Mailbox.quota": "quota_bytes", "quota": "limit"})
    assert overrides.field_name("Mailbox", "quota", "quota") == "quota_bytes"
    assert overrides.field_name("Forwarding", "quota", "quota") == "limit"
    assert overrides.field_name("Mailbox", "enabled", "enabled") == "enabled"


# -- build_protocol on a tiny schema set --------------------------------------

COMMON_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:complexType name="NoneType"/>
  <xs:complexType name="resultType">
    <xs:sequence>
      <xs:element name="status" type="xs:string"/>
      <xs:element name="errtext" type="xs:string" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
</xs:schema>
"""

MAILNAME_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="common.xsd"/>
  <xs:complexType name="mailnameType">
    <xs:sequence>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="address" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  {extra_types}
</xs:schema>
"""

INPUT_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="plesk_mailname.xsd"/>
  <xs:complexType name="MailTypeRequest">
    <xs:choice maxOccurs="unbounded">
      <xs:element name="get_info">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="filter">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="site-id" type="xs:positiveInteger"/>
                  <xs:element name="name" type="xs:string" minOccurs="0"
                              maxOccurs="unbounded"/>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
            <xs:element name="mailbox" type="NoneType" minOccurs="0"/>
            {extra_get_info}
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="update">
        <xs:complexType>
          <xs:choice>
            <xs:element name="add">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="filter">
                    <xs:complexType>
                      <xs:sequence>
                        <xs:element name="site-id" type="xs:positiveInteger"/>
                        <xs:element name="alias" type="xs:string"
                                    maxOccurs="unbounded"/>
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
            <xs:element name="set">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="mailname" type="mailnameType"/>
                  <xs:element name="mailbox">
                    <xs:complexType>
                      <xs:sequence>
                        <xs:element name="enabled" type="xs:boolean"/>
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
          </xs:choice>
        </xs:complexType>
      </xs:element>
    </xs:choice>
  </xs:complexType>
</xs:schema>
"""

OUTPUT_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="plesk_mailname.xsd"/>
  <xs:complexType name="MailResponseType">
    <xs:choice maxOccurs="unbounded">
      <xs:element name="get_info">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="result" maxOccurs="unbounded">
              <xs:complexType>
                <xs:complexContent>
                  <xs:extension base="resultType">
                    <xs:sequence>
                      <xs:element name="mailbox" minOccurs="0">
                        <xs:complexType>
                          <xs:sequence>
                            {response_mailbox}
                          </xs:sequence>
                        </xs:complexType>
                      </xs:element>
                    </xs:sequence>
                  </xs:extension>
                </xs:complexContent>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="update">
        <xs:complexType>
          <xs:choice>
            <xs:element name="add">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="result" type="resultType" maxOccurs="unbounded"/>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
            <xs:element name="set">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="result" type="resultType" maxOccurs="unbounded"/>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
          </xs:choice>
        </xs:complexType>
      </xs:element>
    </xs:choice>
  </xs:complexType>
</xs:schema>
"""

# The request's update/set mailbox holds exactly this: same content -> one class.
SAME_MAILBOX = '<xs:element name="enabled" type="xs:boolean"/>'
OTHER_MAILBOX = '<xs:element name="quota" type="xs:integer"/>'
REQUEST_MAILBOX = "MailTypeRequest/update/set/mailbox"
RESPONSE_MAILBOX = "MailResponseType/get_info/result/mailbox"
MAIL = LockedOperator(
    element="mail",
    entry=("mail_input.xsd", "mail_output.xsd", "plesk_mailname.xsd"),
    request="MailTypeRequest",
    response="MailResponseType",
)
INLINE = frozenset({"filter"})


def write_schemas(
    folder: Path,
    response_mailbox: str = SAME_MAILBOX,
    extra_types: str = "",
    extra_get_info: str = "",
) -> LockedVersion:
    """Write the tiny schema set into ``folder``; return it as a locked version."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "common.xsd": COMMON_XSD,
        "plesk_mailname.xsd": MAILNAME_XSD.format(extra_types=extra_types),
        "mail_input.xsd": INPUT_XSD.format(extra_get_info=extra_get_info),
        "mail_output.xsd": OUTPUT_XSD.format(response_mailbox=response_mailbox),
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return LockedVersion(
        protocol="9.9.9.9", plesk=("Test",), folder=folder, operators=(MAIL,), files={}
    )


def build(version: LockedVersion, overrides: Overrides | None = None) -> Protocol:
    return build_protocol(
        version, load_classes(version), overrides or Overrides(inline=INLINE)
    )


@pytest.fixture(scope="module")
def protocol(tmp_path_factory: pytest.TempPathFactory) -> Protocol:
    """The model of the tiny schema set, where both mailboxes are identical."""
    return build(write_schemas(tmp_path_factory.mktemp("tiny") / "9.9.9.9"))


def test_operation_names_and_paths(protocol: Protocol) -> None:
    assert [(op.name, op.path) for op in protocol.operations] == [
        ("get_info", ("get_info",)),
        ("update_add", ("update", "add")),
        ("update_set", ("update", "set")),
    ]
    assert [op.command for op in protocol.operations] == [
        "get-info",
        "update-add",
        "update-set",
    ]


def test_request_and_response_class_names(protocol: Protocol) -> None:
    names = {op.name: (op.request, op.response) for op in protocol.operations}
    assert names == {
        "get_info": ("GetInfoRequest", "GetInfoResponse"),
        "update_add": ("UpdateAddRequest", "UpdateAddResponse"),
        "update_set": ("UpdateSetRequest", "UpdateSetResponse"),
    }
    assert protocol.struct("GetInfoRequest").sources == ("MailTypeRequest/get_info",)
    assert protocol.struct("UpdateSetResponse").sources == (
        "MailResponseType/update/set",
    )


def test_named_type_drops_type_suffix(protocol: Protocol) -> None:
    request = protocol.struct("UpdateSetRequest")
    assert request.field_named("mailname").type.ref == "Mailname"
    assert protocol.struct("Mailname").sources == ("mailnameType",)
    assert protocol.struct("Result").sources == ("resultType",)


def test_filter_children_are_lifted(protocol: Protocol) -> None:
    request = protocol.struct("GetInfoRequest")
    assert [(f.name, f.tag, f.wrapper) for f in request.fields] == [
        ("site_id", "site-id", "filter"),
        ("names", "name", "filter"),
        ("mailbox", "mailbox", None),
    ]
    assert request.groups[0][0] == "filter"
    add = protocol.struct("UpdateAddRequest")
    assert {f.wrapper for f in add.fields} == {"filter"}
    assert not any("filter" in s.name.lower() for s in protocol.structs)


def test_without_inline_each_filter_is_a_class(tmp_path: Path) -> None:
    version = write_schemas(tmp_path / "9.9.9.9")
    # Both anonymous filters would be "Filter", and they differ.
    with pytest.raises(GeneratorError, match=r"'Filter'.*get_info/filter.*add/filter"):
        build(version, Overrides())
    renamed = Overrides(types={"MailTypeRequest/update/add/filter": "AliasFilter"})
    protocol = build(version, renamed)
    request = protocol.struct("GetInfoRequest")
    assert [(f.name, f.type.ref, f.wrapper) for f in request.fields] == [
        ("filter", "Filter", None),
        ("mailbox", None, None),
    ]
    assert protocol.struct("UpdateAddRequest").field_named("filter").type.ref == (
        "AliasFilter"
    )
    assert [f.name for f in protocol.struct("AliasFilter").fields] == [
        "site_id",
        "aliases",
    ]


def test_empty_element_becomes_flag(protocol: Protocol) -> None:
    flag = protocol.struct("GetInfoRequest").field_named("mailbox")
    assert flag.type.kind == "flag"
    assert not flag.required
    assert not any(
        s.name == "None" or "NoneType" in s.sources for s in protocol.structs
    )


def test_repeated_elements_get_plural_names(protocol: Protocol) -> None:
    names = protocol.struct("GetInfoRequest").field_named("names")
    assert (names.tag, names.repeated, names.min_items) == ("name", True, 0)
    aliases = protocol.struct("UpdateAddRequest").field_named("aliases")
    assert (aliases.tag, aliases.repeated, aliases.min_items) == ("alias", True, 1)
    addresses = protocol.struct("Mailname").field_named("addresses")
    assert (addresses.tag, addresses.repeated) == ("address", True)
    single = protocol.struct("Mailname").field_named("name")
    assert (single.tag, single.repeated, single.required) == ("name", False, True)


def test_result_inside_response_is_named_after_it(protocol: Protocol) -> None:
    response = protocol.struct("GetInfoResponse")
    results = response.field_named("results")
    assert results.type.ref == "GetInfoResult"
    result = protocol.struct("GetInfoResult")
    assert result.base == "Result"
    assert result.is_result
    assert result.sources == ("MailResponseType/get_info/result",)
    assert [f.name for f in result.fields] == ["status", "errtext", "mailbox"]
    assert result.inherited_count == 2
    operation = protocol.operations[0]
    assert operation.result_field == "results"


def test_identical_anonymous_types_are_merged(protocol: Protocol) -> None:
    mailboxes = [s for s in protocol.structs if s.name == "Mailbox"]
    assert len(mailboxes) == 1
    assert mailboxes[0].sources == (REQUEST_MAILBOX, RESPONSE_MAILBOX)
    assert (
        protocol.struct("UpdateSetRequest").field_named("mailbox").type.ref == "Mailbox"
    )
    assert protocol.struct("GetInfoResult").field_named("mailbox").type.ref == "Mailbox"


def test_different_anonymous_types_with_one_name_clash(tmp_path: Path) -> None:
    version = write_schemas(tmp_path / "9.9.9.9", response_mailbox=OTHER_MAILBOX)
    with pytest.raises(GeneratorError) as caught:
        build(version)
    message = str(caught.value)
    assert "'Mailbox'" in message
    assert REQUEST_MAILBOX in message
    assert RESPONSE_MAILBOX in message
    assert "[types]" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("renamed", "new_name"),
    [(RESPONSE_MAILBOX, "MailboxInfo"), (REQUEST_MAILBOX, "MailboxUpdate")],
    ids=["rename-response-side", "rename-request-side"],
)
def test_types_override_resolves_the_clash(
    tmp_path: Path, renamed: str, new_name: str
) -> None:
    version = write_schemas(tmp_path / "9.9.9.9", response_mailbox=OTHER_MAILBOX)
    overrides = Overrides(inline=INLINE, types={renamed: new_name})
    protocol = build(version, overrides)
    assert protocol.struct(new_name).sources == (renamed,)
    assert protocol.struct("Mailbox").sources != (renamed,)
    request_box = protocol.struct("UpdateSetRequest").field_named("mailbox").type.ref
    response_box = protocol.struct("GetInfoResult").field_named("mailbox").type.ref
    assert request_box != response_box
    assert [f.name for f in protocol.struct(str(request_box)).fields] == ["enabled"]
    assert [f.name for f in protocol.struct(str(response_box)).fields] == ["quota"]


def test_self_referencing_type_builds(tmp_path: Path) -> None:
    version = write_schemas(
        tmp_path / "9.9.9.9",
        extra_types=(
            '<xs:complexType name="nodeType"><xs:sequence>'
            '<xs:element name="child" type="nodeType" minOccurs="0"/>'
            "</xs:sequence></xs:complexType>"
        ),
        extra_get_info='<xs:element name="tree" type="nodeType" minOccurs="0"/>',
    )
    protocol = build(version)
    assert protocol.struct("Node").field_named("child").type.ref == "Node"
