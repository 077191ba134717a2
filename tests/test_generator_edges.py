"""The generator's filters and version merge, checked against the golden record cheaply.

``test_golden.py`` regenerates everything, schema loading included (most of
its seconds). Here the operation models are built once per process
(``tests/support/protocols.py``) and only what ``filters.py`` and ``api.py``
decide is redone: the merge of the versions, the documentation, the commands,
the templates and black. A mutation run of those modules (tests/mutation)
can afford it for every mutant; the edges below cover what the golden record
cannot show, how a filter treats a value no schema has yet.
"""

from __future__ import annotations

import pytest
from plesk_mailgen import __version__
from plesk_mailgen.api import merge
from plesk_mailgen.cli_model import build_commands
from plesk_mailgen.docs import document, read_docs
from plesk_mailgen.filters import (
    annotation,
    availability,
    default,
    docstring,
    from_xml,
    to_text,
    version_set,
)
from plesk_mailgen.formatting import black_version, format_files
from plesk_mailgen.model import Field, FieldType
from plesk_mailgen.naming import read_overrides
from plesk_mailgen.render import BuildInfo, render

from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS, all_protocols


def test_the_generated_files_render_from_the_models_as_the_golden_record() -> None:
    """Catches a filter or version-merge slip that changes any generated file (the golden record, without reloading the schemas)."""
    protocols = list(all_protocols().values())
    overrides = read_overrides(PROJECT_DIR)
    api, undocumented = document(merge(protocols, overrides), read_docs(PROJECT_DIR))
    assert undocumented == []
    commands = build_commands(api, overrides)
    info = BuildInfo(generator_version=__version__, black_version=black_version())
    files = format_files(render(api, commands, info))
    assert len(files) > 10
    for name, text in sorted(files.items()):
        assert text == (GENERATED_DIR / name).read_text(encoding="utf-8"), name


def scalar(kind: str, **facets: object) -> Field:
    return Field(
        name="value",
        tag="value",
        type=FieldType(kind="scalar", scalar=kind, **facets),  # type: ignore[arg-type]
        required=False,
        repeated=False,
    )


@pytest.mark.parametrize(
    ("facets", "expected"),
    [
        ({}, "len(t) < 19 and t.isdigit() and t.isascii() else rt.to_int(el)"),
        (
            {"min_value": 1},
            'len(t) < 19 and t.isdigit() and t.isascii() and t[0] != "0" else rt.to_int(el, 1, None)',
        ),
        (
            {"min_value": 0, "max_value": 255},
            "len(t) < 3 and t.isdigit() and t.isascii() else rt.to_int(el, 0, 255)",
        ),
        (
            {"min_value": -128, "max_value": 127},
            "len(t) < 3 and t.isdigit() and t.isascii() else rt.to_int(el, -128, 127)",
        ),
        ({"min_value": 2}, None),
        ({"max_value": -1}, None),
        ({"max_value": 0}, None),
    ],
    ids=[
        "integer",
        "positive",
        "unsigned-byte",
        "byte",
        "at-least-2",
        "negative",
        "non-positive",
    ],
)
def test_an_integer_is_read_inline_only_where_it_must_be_in_range(
    facets: dict[str, int], expected: str | None
) -> None:
    """Catches an inline integer path that lets a value out of its type's range past the range check."""
    read = from_xml(scalar("int", **facets), "el", None)  # type: ignore[arg-type]
    if expected is None:  # no plain digit string is sure to be in range
        low, high = facets.get("min_value"), facets.get("max_value")
        assert read == f"rt.to_int(el, {low}, {high})"
        return
    assert read == f"int(t) if (t := el.text) and {expected}"


@pytest.mark.parametrize(
    ("kind", "text", "read"),
    [
        (
            "bool",
            '"true" if v else "false"',
            'True if (t := el.text) == "true" else False if t == "false" else rt.to_bool(el)',
        ),
        ("date", "v.isoformat()", "rt.to_date(el)"),
        ("datetime", "v.isoformat()", "rt.to_datetime(el)"),
        ("float", "rt.float_text(v)", "rt.to_float(el)"),
        ("bytes", "rt.base64_text(v)", "rt.to_bytes(el)"),
        ("int", "str(v)", None),
        ("str", "v", 'el.text or ""'),
    ],
)
def test_every_scalar_has_its_conversions(
    kind: str, text: str, read: str | None
) -> None:
    """Catches a scalar kind written or read with another kind's conversion."""
    field = scalar(kind)
    assert to_text(field, "v") == text
    if read is not None:
        assert from_xml(field, "el", None) == read  # type: ignore[arg-type]


def test_annotations_and_defaults_of_a_field() -> None:
    """Catches an optional field typed as required, a list without its factory, or a secret shown in repr."""
    optional = scalar("date")
    assert annotation(optional) == "datetime.date | None"
    assert default(optional) == " = None"
    listed = Field("values", "value", FieldType("scalar", "int"), False, True)
    assert annotation(listed) == "list[int]"
    assert annotation(listed, "Sequence") == "Sequence[int]"
    assert default(listed) == " = field(default_factory=list)"
    secret = Field(
        "password", "password", FieldType("scalar", "str"), False, False, secret=True
    )
    assert default(secret) == " = field(default=None, repr=False)"
    required = Field("name", "name", FieldType("scalar", "str"), True, False)
    assert (annotation(required), default(required)) == ("str", "")
    flag = Field("mailbox", "mailbox", FieldType("flag"), False, False)
    assert (annotation(flag), default(flag)) == ("bool", " = False")


def test_version_sets_and_their_wording() -> None:
    """Catches a version set named SINCE where it is UNTIL (or the reverse), or wording that names other versions."""
    assert version_set(tuple(VERSIONS[1:]), VERSIONS) == "SINCE_1_6_7_0"
    assert version_set(tuple(VERSIONS[:1]), VERSIONS) == "UNTIL_1_6_6_0"
    assert version_set((VERSIONS[1], VERSIONS[2]), VERSIONS) == "IN_1_6_7_0_OR_1_6_8_0"
    assert availability(None, VERSIONS) == "every protocol version"
    assert availability(tuple(VERSIONS[2:]), VERSIONS) == "protocol 1.6.8.0 or newer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ""),
        ("", ""),
        ("Short.", '"""Short."""'),
        ('Ends in a "quote"', '"""Ends in a "quote" """'),
        ('Has """ inside and a \\ too', '"""Has \\"\\"\\" inside and a \\\\ too"""'),
    ],
)
def test_a_docstring_is_safe_for_any_schema_text(
    text: str | None, expected: str
) -> None:
    """Catches schema text that breaks out of a generated docstring."""
    assert docstring(text) == expected


def test_a_long_docstring_is_wrapped_to_fit() -> None:
    """Catches a long docstring left on one line, losing words, or not closed on a line of its own."""
    text = "word " * 40
    shown = docstring(text.strip(), indent=8)
    lines = shown.splitlines()
    assert len(lines) > 2 and " ".join(shown.replace('"""', "").split()) == text.strip()
    assert all(len(line) <= 88 and line.startswith(" " * 8) for line in lines[1:])
    assert lines[-1] == " " * 8 + '"""' and lines[0].startswith('"""word')
