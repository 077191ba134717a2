"""``schemalock`` in process: reading the lock, refusing bad shapes, re-pinning.

The CLI cases are in the bad-input corpus and tests/test_pins.py; these pin
the module's own contract (what each field becomes, each shape error's text,
the change lines ``lock`` prints) so that a mutation of it is noticed.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from plesk_mailgen.errors import GeneratorError
from plesk_mailgen.schemalock import (
    LOCK_PATH,
    LockedOperator,
    read_lock,
    sha256_of,
    write_lock,
)

from tests.support.paths import PROJECT_DIR

REAL = read_lock(PROJECT_DIR)
VERSION = "1.6.9.1"


def write(project: Path, data: dict[str, Any]) -> None:
    (project / LOCK_PATH).parent.mkdir(parents=True, exist_ok=True)
    (project / LOCK_PATH).write_text(tomli_w.dumps(data), encoding="utf-8")


def base() -> dict[str, Any]:
    return {
        "schema_root": "root",
        "operators": {
            "mail": {"entry": ["a.xsd"], "request": "Req", "response": "Resp"},
        },
        "versions": {"1.0": {"plesk": ["X"], "folder": "one", "files": {}}},
    }


def operator(data: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = data["operators"]["mail"]
    return table


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_root=1), "schema_root must be a string"),
        (
            lambda d: d.update(entry=["a.xsd"]),
            "entry belongs to an operator now: [operators.NAME] entry = [...]",
        ),
        (lambda d: d.update(operators=["mail"]), "operators must be a table"),
        (
            lambda d: d["operators"].update(mail=3),
            "operators.mail must be a table",
        ),
        (
            lambda d: d["operators"].update({"<mail>": operator(d)}),
            "operators.<mail>: an operator is named by its XML element "
            "(letters, digits, - and _)",
        ),
        (
            lambda d: operator(d).pop("entry"),
            "operators.mail.entry must be a list of file names",
        ),
        (
            lambda d: operator(d).update(request=""),
            "operators.mail.request must name a complex type",
        ),
        (
            lambda d: operator(d).pop("response"),
            "operators.mail.response must name a complex type",
        ),
        (
            lambda d: operator(d).update(operations="get"),
            "operators.mail.operations must be a list",
        ),
        (
            lambda d: operator(d).update(omit=[1]),
            "operators.mail.omit must be a list",
        ),
        (
            lambda d: operator(d).update(element="mail"),
            "operators.mail: unknown key 'element'",
        ),
        (lambda d: d.update(operators={}), "lists no operators"),
        (lambda d: d.update(versions=["1.0"]), "versions must be a table"),
        (lambda d: d["versions"].update({"1.0": 3}), "versions.'1.0' must be a table"),
        (
            lambda d: d["versions"]["1.0"].update(plesk="X"),
            "versions.'1.0'.plesk must be a list of strings",
        ),
        (
            lambda d: d["versions"]["1.0"].update(folder=1),
            "versions.'1.0'.folder must be a string",
        ),
        (
            lambda d: d["versions"]["1.0"].update(entry=["a.xsd"]),
            "versions.'1.0'.entry: entry schemas belong to [operators.NAME]",
        ),
        (
            lambda d: d["versions"]["1.0"].update(files={"a.xsd": 1}),
            "versions.'1.0'.files must map file names to sha256 strings",
        ),
        (lambda d: d.update(versions={}), "lists no protocol versions"),
    ],
    ids=[
        "root",
        "entry",
        "operators",
        "operator",
        "operator-name",
        "operator-entry",
        "operator-request",
        "operator-response",
        "operator-operations",
        "operator-omit",
        "operator-unknown-key",
        "no-operators",
        "versions",
        "version",
        "plesk",
        "folder",
        "version-entry",
        "files",
        "empty",
    ],
)
def test_a_lock_of_the_wrong_shape_is_one_line(
    tmp_path: Path, change: Any, message: str
) -> None:
    data = base()
    change(data)
    write(tmp_path, data)
    with pytest.raises(GeneratorError) as caught:
        read_lock(tmp_path)
    separator = " " if message.startswith("lists") else ": "
    assert (
        str(caught.value) == f"schema lock {tmp_path / LOCK_PATH}{separator}{message}"
    )


def test_what_each_field_becomes(tmp_path: Path) -> None:
    data = base()
    data["operators"]["site"] = {
        "entry": ["b.xsd", "a.xsd"],
        "request": "SiteReq",
        "response": "SiteResp",
        "operations": ["get"],
        "omit": ["siteType/hosting"],
    }
    data["versions"]["2.0"] = {
        "plesk": ["Y", "Z"],
        "folder": str(tmp_path / "elsewhere"),
        "files": {"b.xsd": "0" * 64},
    }
    write(tmp_path, data)
    lock = read_lock(tmp_path)
    assert lock.path == tmp_path / LOCK_PATH
    assert lock.schema_root == (tmp_path / "root").resolve()
    one, two = lock.version("1.0"), lock.version("2.0")
    assert (one.plesk, one.folder, one.entry, one.files) == (
        ("X",),
        lock.schema_root / "one",
        ("a.xsd", "b.xsd"),  # every operator's, each once, in lock order
        {},
    )
    assert (two.plesk, two.folder, two.entry, two.files) == (
        ("Y", "Z"),
        tmp_path / "elsewhere",
        ("a.xsd", "b.xsd"),
        {"b.xsd": "0" * 64},
    )
    assert (
        one.operators
        == two.operators
        == (
            LockedOperator("mail", ("a.xsd",), "Req", "Resp"),
            LockedOperator(
                "site",
                ("b.xsd", "a.xsd"),
                "SiteReq",
                "SiteResp",
                ("get",),
                ("siteType/hosting",),
            ),
        )
    )
    given = read_lock(tmp_path, tmp_path / "given")
    assert given.version("1.0").folder == (tmp_path / "given").resolve() / "one"
    with pytest.raises(GeneratorError, match=r"'9\.9'"):
        lock.version("9.9")


def test_a_missing_or_broken_lock_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match=r"^schema lock not found: "):
        read_lock(tmp_path)
    (tmp_path / LOCK_PATH).parent.mkdir(parents=True)
    (tmp_path / LOCK_PATH).write_text("[versions\n", encoding="utf-8")
    with pytest.raises(GeneratorError, match="is not valid TOML"):
        read_lock(tmp_path)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """This project's schemas/ and one version's schema files, writable."""
    shutil.copytree(PROJECT_DIR / "schemas", tmp_path / "schemas")
    folder = tmp_path / "root" / VERSION
    shutil.copytree(REAL.version(VERSION).folder, folder, copy_function=shutil.copyfile)
    data = tomllib.loads((tmp_path / LOCK_PATH).read_text(encoding="utf-8"))
    data["versions"] = {VERSION: data["versions"][VERSION]}
    data["schema_root"] = "root"
    write(tmp_path, data)
    return tmp_path


def test_lock_reports_exactly_what_changed(scratch: Path) -> None:
    assert write_lock(scratch) == []
    common = scratch / "root" / VERSION / "common.xsd"
    pinned = read_lock(scratch).version(VERSION).files["common.xsd"]
    with common.open("a", encoding="utf-8") as stream:
        stream.write("<!-- reviewed -->\n")
    found = sha256_of(common)
    assert write_lock(scratch) == [f"{VERSION}/common.xsd: {pinned} -> {found}"]
    assert read_lock(scratch).version(VERSION).files["common.xsd"] == found
    text = (scratch / LOCK_PATH).read_text(encoding="utf-8")
    assert text.startswith("# Schema lock of plesk-mailgen")
    assert write_lock(scratch) == []


def test_lock_adds_a_version(scratch: Path) -> None:
    shutil.copytree(scratch / "root" / VERSION, scratch / "root" / "1.6.9.9")
    changes = write_lock(scratch, add="1.6.9.9", plesk=("Future 19",))
    added = read_lock(scratch).version("1.6.9.9")
    assert added.plesk == ("Future 19",)
    assert added.folder == (scratch / "root").resolve() / "1.6.9.9"
    assert added.files == read_lock(scratch).version(VERSION).files
    assert sorted(changes) == sorted(
        f"1.6.9.9/{name}: - -> {pin}" for name, pin in added.files.items()
    )
    with pytest.raises(GeneratorError, match=r"1\.6\.9\.9 is already in the lock"):
        write_lock(scratch, add="1.6.9.9")


def test_lock_pins_the_include_closure_of_every_operator(scratch: Path) -> None:
    """site.xsd and what only it includes (plesk_domain.xsd) are pinned too."""
    data = tomllib.loads((scratch / LOCK_PATH).read_text(encoding="utf-8"))
    files = data["versions"][VERSION]["files"]
    dropped = {name: files.pop(name) for name in ("site.xsd", "plesk_domain.xsd")}
    write(scratch, data)
    assert sorted(write_lock(scratch)) == [
        f"{VERSION}/{name}: - -> {pin}" for name, pin in sorted(dropped.items())
    ]
    data = tomllib.loads((scratch / LOCK_PATH).read_text(encoding="utf-8"))
    data["operators"].pop("site")
    write(scratch, data)
    assert sorted(write_lock(scratch)) == [
        f"{VERSION}/{name}: {pin} -> -" for name, pin in sorted(dropped.items())
    ]
