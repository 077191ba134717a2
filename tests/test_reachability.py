"""``plesk_mailgen.reachability``: only what the mail operator can reach survives.

Runs on a tiny schema set written into ``tmp_path``: the request root uses a
type that extends a base, the response root reaches a type only through an
anonymous inner class, and an unrelated type drags its own dependency along.
"""

from __future__ import annotations

import pytest
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.loading import load_classes
from plesk_mailgen.reachability import reachable
from plesk_mailgen.schemalock import LockedVersion
from xsdata.codegen.models import Class

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'elementFormDefault="qualified">\n'
)
FOOTER = "</xs:schema>\n"

SCHEMAS = {
    "mail_input.xsd": """
  <xs:include schemaLocation="plesk_mailname.xsd"/>
  <xs:complexType name="MailTypeRequest">
    <xs:sequence>
      <xs:element name="a" type="A"/>
    </xs:sequence>
  </xs:complexType>
""",
    "mail_output.xsd": """
  <xs:include schemaLocation="plesk_mailname.xsd"/>
  <xs:complexType name="MailResponseType">
    <xs:sequence>
      <xs:element name="wrapper">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="c" type="C"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
""",
    "plesk_mailname.xsd": """
  <xs:complexType name="B">
    <xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="A">
    <xs:complexContent>
      <xs:extension base="B">
        <xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
  <xs:complexType name="C">
    <xs:sequence><xs:element name="c" type="xs:string"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="V">
    <xs:sequence><xs:element name="v" type="xs:string"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="U">
    <xs:sequence><xs:element name="v" type="V"/></xs:sequence>
  </xs:complexType>
""",
}


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> list[Class]:
    folder = tmp_path_factory.mktemp("reach")
    for name, body in SCHEMAS.items():
        (folder / name).write_text(HEADER + body + FOOTER, encoding="utf-8")
    version = LockedVersion(
        protocol="9.9.9.9",
        plesk=("Test",),
        folder=folder,
        entry=tuple(SCHEMAS),
        files={},
    )
    return load_classes(version)


def names(classes: list[Class]) -> list[str]:
    return [cls.name for cls in classes]


def test_schema_declares_all_types(classes: list[Class]) -> None:
    # Guards the test itself: xsdata must not have dropped or merged anything,
    # otherwise "dropped by reachable" below would prove nothing.
    assert sorted(names(classes)) == sorted(
        ["A", "B", "C", "U", "V", "MailTypeRequest", "MailResponseType"]
    )
    by_name = {cls.name: cls for cls in classes}
    assert [ext.type.qname for ext in by_name["A"].extensions] == ["B"]


def test_reachable_keeps_roots_their_types_and_bases(classes: list[Class]) -> None:
    kept = names(reachable(classes))
    assert set(kept) == {"MailTypeRequest", "MailResponseType", "A", "B", "C"}


def test_reachable_drops_unrelated_types_and_their_dependencies(
    classes: list[Class],
) -> None:
    kept = names(reachable(classes))
    assert "U" not in kept
    assert "V" not in kept


def test_reachable_keeps_input_order(classes: list[Class]) -> None:
    kept = names(reachable(classes))
    assert kept == [name for name in names(classes) if name in kept]


def test_reachable_from_other_roots(classes: list[Class]) -> None:
    assert set(names(reachable(classes, roots=("U",)))) == {"U", "V"}
    assert set(names(reachable(classes, roots=("A",)))) == {"A", "B"}


def test_missing_root_is_an_error(classes: list[Class]) -> None:
    without_response = [cls for cls in classes if cls.name != "MailResponseType"]
    with pytest.raises(GeneratorError) as caught:
        reachable(without_response)
    message = str(caught.value)
    assert "'MailResponseType'" in message
    assert "\n" not in message
