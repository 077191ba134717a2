"""Pin the shape of xsdata's class model that the loader and builder rely on.

``plesk_mailgen`` reads xsdata's internal codegen classes, which are not a
stable public API. These probes fail with a message saying what changed, so an
xsdata upgrade breaks here, clearly, rather than somewhere deep in ``build``.
"""

from __future__ import annotations

import dataclasses

import pytest
from plesk_mailgen.loading import (
    REQUIRED_ATTR_FIELDS,
    REQUIRED_CLASS_FIELDS,
    REQUIRED_RESTRICTION_FIELDS,
    load_classes,
)
from plesk_mailgen.schemalock import LockedOperator, LockedVersion
from xsdata.codegen.models import Attr, AttrType, Class, Extension, Restrictions


def changed(what: str) -> str:
    return (
        f"xsdata changed: {what}; the loader in plesk_mailgen/loading.py/build.py "
        "relies on it"
    )


PROBE_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="collapsedString">
    <xs:restriction base="xs:string">
      <xs:whiteSpace value="collapse"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="contentType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="text/plain"/>
      <xs:enumeration value="text/html"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="EmptyType"/>
  <xs:complexType name="BaseType">
    <xs:sequence>
      <xs:element name="status" type="xs:string"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Probe">
    <xs:sequence>
      <xs:choice maxOccurs="unbounded">
        <xs:element name="many-a" type="xs:string"/>
        <xs:element name="many-b" type="xs:int"/>
      </xs:choice>
      <xs:choice>
        <xs:element name="one-a" type="xs:string"/>
        <xs:element name="one-b" type="xs:int"/>
      </xs:choice>
      <xs:element name="inner">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="x" type="xs:string"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="collapsed" type="collapsedString"/>
      <xs:element name="plain" type="xs:string" minOccurs="0"/>
      <xs:element name="content-type" type="contentType"/>
      <xs:element name="flag" type="EmptyType"/>
      <xs:element name="derived">
        <xs:complexType>
          <xs:complexContent>
            <xs:extension base="BaseType">
              <xs:sequence>
                <xs:element name="extra" type="xs:string"/>
              </xs:sequence>
            </xs:extension>
          </xs:complexContent>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
</xs:schema>
"""


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Class]:
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.xsd").write_text(PROBE_XSD, encoding="utf-8")
    version = LockedVersion(
        protocol="9.9.9.9",
        plesk=("Test",),
        folder=folder,
        operators=(LockedOperator("probe", ("probe.xsd",), "Probe", "Probe"),),
        files={},
    )
    return {cls.name: cls for cls in load_classes(version)}


@pytest.fixture(scope="module")
def probe(classes: dict[str, Class]) -> Class:
    assert "Probe" in classes, changed(
        f"complex type 'Probe' is not among the resolved classes {sorted(classes)}"
    )
    return classes["Probe"]


def attr(cls: Class, name: str) -> Attr:
    found = [a for a in cls.attrs if a.name == name]
    assert len(found) == 1, changed(
        f"element {name!r} of {cls.name} is not exactly one Attr named after its "
        f"element (attrs: {[a.name for a in cls.attrs]})"
    )
    return found[0]


# -- field names --------------------------------------------------------------


def field_names(model: type) -> set[str]:
    return {f.name for f in dataclasses.fields(model)}


@pytest.mark.parametrize(
    ("model", "required"),
    [
        (Class, REQUIRED_CLASS_FIELDS),
        (Attr, REQUIRED_ATTR_FIELDS),
        (Restrictions, REQUIRED_RESTRICTION_FIELDS),
        (AttrType, ("qname", "forward", "native")),
        (Extension, ("type", "restrictions")),
    ],
    ids=["Class", "Attr", "Restrictions", "AttrType", "Extension"],
)
def test_model_fields_exist(model: type, required: tuple[str, ...]) -> None:
    missing = sorted(set(required) - field_names(model))
    assert not missing, changed(f"{model.__name__} has no field(s) {missing}")


@pytest.mark.parametrize("name", ["name", "is_enumeration"])
def test_class_properties_exist(name: str) -> None:
    assert isinstance(getattr(Class, name, None), property), changed(
        f"Class.{name} is no longer a property"
    )


# -- behaviour on a tiny schema -----------------------------------------------


def test_repeated_choice_is_in_restrictions_path(probe: Class) -> None:
    for name in ("many-a", "many-b"):
        item = attr(probe, name)
        path = item.restrictions.path
        assert all(
            isinstance(step, tuple) and len(step) == 4 for step in path
        ), changed(
            f"restrictions.path of {name!r} is not a list of (kind, id, min, max) "
            f"tuples: {path!r}"
        )
        choices = [step for step in path if step[0] == "c"]
        assert choices, changed(f"no ('c', ...) step in restrictions.path of {name!r}")
        assert choices[-1][3] > 1, changed(
            f"a repeated xs:choice has max {choices[-1][3]} in restrictions.path"
        )
        assert (item.restrictions.max_occurs or 0) > 1, changed(
            f"an element of a repeated choice has max_occurs "
            f"{item.restrictions.max_occurs}"
        )
    ids = {attr(probe, name).restrictions.path[-1][1] for name in ("many-a", "many-b")}
    assert len(ids) == 1, changed("elements of one xs:choice have different choice ids")


def test_single_choice_is_in_restrictions_path(probe: Class) -> None:
    steps = {attr(probe, name).restrictions.path[-1] for name in ("one-a", "one-b")}
    assert len(steps) == 1, changed(
        f"elements of one xs:choice differ in path: {steps}"
    )
    kind, _, low, high = steps.pop()
    assert (kind, low, high) == ("c", 1, 1), changed(
        f"a plain xs:choice is ({kind!r}, id, {low}, {high}) in restrictions.path"
    )
    many = attr(probe, "many-a").restrictions.path[-1][1]
    assert attr(probe, "one-a").restrictions.path[-1][1] != many, changed(
        "two different xs:choice groups share one id in restrictions.path"
    )


def test_anonymous_type_is_a_forward_inner_class(probe: Class) -> None:
    item = attr(probe, "inner")
    assert len(item.types) == 1, changed(f"'inner' has types {item.types}")
    attr_type = item.types[0]
    assert attr_type.forward is True, changed(
        "an element's anonymous complex type is no longer a forward reference"
    )
    assert not attr_type.native, changed("an anonymous complex type is marked native")
    inner = [cls for cls in probe.inner if cls.qname == attr_type.qname]
    assert len(inner) == 1, changed(
        f"the forward type {attr_type.qname!r} is not found in Class.inner "
        f"({[cls.qname for cls in probe.inner]})"
    )
    assert [a.name for a in inner[0].attrs] == ["x"], changed(
        "the inner class does not hold the anonymous type's elements"
    )


def test_white_space_collapse_reaches_the_attr(probe: Class) -> None:
    collapsed = attr(probe, "collapsed")
    assert collapsed.restrictions.white_space == "collapse", changed(
        "a simple type's xs:whiteSpace collapse is not on the element's "
        f"restrictions.white_space (got {collapsed.restrictions.white_space!r})"
    )
    assert [t.native for t in collapsed.types] == [True], changed(
        "a restriction of xs:string is no longer flattened to the native type"
    )
    assert collapsed.types[0].qname.endswith("}string"), changed(
        f"a restriction of xs:string resolves to {collapsed.types[0].qname!r}"
    )
    plain = attr(probe, "plain")
    assert plain.restrictions.white_space != "collapse", changed(
        "a plain xs:string element reports whiteSpace collapse"
    )
    assert (plain.restrictions.min_occurs, plain.restrictions.max_occurs) == (
        0,
        1,
    ), changed("minOccurs=0 of a single element is not (min_occurs 0, max_occurs 1)")


def test_enumeration_is_a_class_of_defaults(
    classes: dict[str, Class], probe: Class
) -> None:
    item = attr(probe, "content-type")
    assert [t.native for t in item.types] == [False], changed(
        "an enumerated simple type is no longer a reference to a class"
    )
    enum = classes.get(item.types[0].qname)
    assert enum is not None, changed(
        f"the enumeration type {item.types[0].qname!r} is not a top-level class"
    )
    assert enum.is_enumeration, changed(
        "Class.is_enumeration is false for an enumeration"
    )
    assert [a.default for a in enum.attrs] == ["text/plain", "text/html"], changed(
        "enumeration values are no longer the attrs' default"
    )


def test_empty_complex_type_has_no_attrs(
    classes: dict[str, Class], probe: Class
) -> None:
    item = attr(probe, "flag")
    empty = classes.get(item.types[0].qname)
    assert empty is not None, changed(
        "an empty named complex type is not kept as a class"
    )
    assert (
        not empty.attrs and not empty.extensions and not empty.is_enumeration
    ), changed("an empty complex type has attrs or extensions")


def test_extension_keeps_its_base(classes: dict[str, Class], probe: Class) -> None:
    derived = [
        cls for cls in probe.inner if cls.qname == attr(probe, "derived").types[0].qname
    ]
    assert len(derived) == 1, changed(
        "the anonymous derived type is not an inner class"
    )
    bases = [ext.type.qname for ext in derived[0].extensions]
    assert bases == ["BaseType"], changed(
        f"a complexContent extension is not Class.extensions[].type.qname (got {bases})"
    )
    assert "BaseType" in classes, changed(
        "an extended base type is not a top-level class"
    )
    assert [a.name for a in derived[0].attrs] == ["extra"], changed(
        "the base's elements were copied into the extension; build.py inherits "
        "them through Class.extensions instead"
    )
    assert all(a.tag == "Element" for a in derived[0].attrs), changed(
        f"Attr.tag of an element is {[a.tag for a in derived[0].attrs]}, not 'Element'"
    )
