"""Only what the lock's operators can reach becomes code.

Plesk's included files declare types of other operators (``phpSettings``,
``dbServerInput``, ...), and ``site.xsd`` types of site operations and
datasets the lock does not ask for (``set``, ``hosting``, ``stat``, ...). The
builder walks from each operator's two root types, and only into the chosen
operations and the elements not omitted, so these never reach the package.
Guarded twice: on the real schemas (no such class in the model or the
generated tree), and on a copy of them into which a type is injected that
would break the build if it were visited.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from plesk_mailgen.build import build_protocol
from plesk_mailgen.loading import load_classes
from plesk_mailgen.model import Protocol
from plesk_mailgen.naming import read_overrides
from plesk_mailgen.schemalock import LockedVersion, read_lock

from tests.support.paths import GENERATED_DIR, PROJECT_DIR

VERSION = "1.6.9.1"
LOCKED = read_lock(PROJECT_DIR).version(VERSION)
OTHER_OPERATORS = ("phpSettings", "dbServerInput", "dbServerOutput", "PlanOutputInfo")
# site: types only `add`/`set`/`del` use, and those of the omitted datasets.
NOT_ASKED_FOR = (
    "setSiteGenSetupType",
    "siteHostingAgentSet",
    "siteStat",
    "domainPrefs",
    "domainHostingAgentGet",
    "DomainPerformanceType",
)
# A type no operation uses, named as the class ``mailnameAddType`` becomes: the
# builder refuses two types with one Python name, if it ever looks at both.
INJECTED = """
  <xs:complexType name="NewMailAccount">
    <xs:sequence><xs:element name="unrelated" type="xs:string"/></xs:sequence>
  </xs:complexType>
"""


def build(version: LockedVersion) -> Protocol:
    return build_protocol(version, load_classes(version), read_overrides(PROJECT_DIR))


@pytest.fixture(scope="module")
def pristine() -> Protocol:
    return build(LOCKED)


def test_other_operators_types_are_loaded_but_not_built(pristine: Protocol) -> None:
    loaded = {cls.name for cls in load_classes(LOCKED)}
    assert set(OTHER_OPERATORS) <= loaded  # the guard below would prove nothing
    built = {s.name.lower() for s in pristine.structs}
    assert not built & {name.lower() for name in OTHER_OPERATORS}


def test_site_types_not_asked_for_are_loaded_but_not_built(
    pristine: Protocol,
) -> None:
    loaded = {cls.name for cls in load_classes(LOCKED)}
    assert set(NOT_ASKED_FOR) <= loaded
    built = {s.name.lower() for s in pristine.structs}
    wanted = {name.lower() for name in NOT_ASKED_FOR}
    assert not built & (wanted | {"sitestat", "siteprefs", "sitehosting"})
    assert [op.key for op in pristine.operations if op.operator == "site"] == [
        ("site", "get")
    ]
    dataset = pristine.struct("GetSitesRequest").fields
    assert [f.name for f in dataset if f.wrapper == "dataset"] == ["gen_info"]
    site = next(o for o in LOCKED.operators if o.element == "site")
    assert pristine.omitted == set(site.omit)


def test_no_other_operators_class_in_the_generated_tree() -> None:
    models = (GENERATED_DIR / "plesk_mail" / "models.py").read_text(encoding="utf-8")
    for name in OTHER_OPERATORS:
        assert not re.search(rf"^class {name[0].upper()}{name[1:]}\b", models, re.M)


def test_an_unreachable_type_changes_nothing(
    pristine: Protocol, tmp_path: Path
) -> None:
    folder = tmp_path / VERSION
    shutil.copytree(LOCKED.folder, folder, copy_function=shutil.copyfile)
    common = folder / "plesk_common.xsd"
    text = common.read_text(encoding="utf-8")
    start = re.search(r"<xs:schema\b[^>]*?(?<!/)>", text)
    assert start
    common.write_text(text[: start.end()] + INJECTED + text[start.end() :], "utf-8")
    version = dataclasses.replace(LOCKED, folder=folder)
    assert "NewMailAccount" in {cls.name for cls in load_classes(version)}
    assert build(version) == pristine
