"""The generator CLI on bad input: one line on stderr, exit 1, no traceback.

Every test works on a copy: the project's ``schemas/`` folder and ONE protocol
version of Plesk's schemas are copied into ``tmp_path`` and re-pinned with
``plesk-mailgen lock``, so a case can break files freely (the shared Plesk
schema folder is read-only input and is checked to stay unchanged).
"""

from __future__ import annotations

import shutil
import tomllib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner, Result
from plesk_mailgen.cli import main
from plesk_mailgen.schemalock import read_lock, sha256_of

from tests.support.paths import PROJECT_DIR

VERSION = "1.6.9.1"
SHARED_FOLDER = read_lock(PROJECT_DIR).version(VERSION).folder
ERROR_PREFIX = "plesk-mailgen: error:"


def copy_writable(source: Path, target: Path) -> None:
    """Copy a tree without its (read-only) permissions."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@dataclass(frozen=True)
class Tree:
    """A scratch project with its own schema root holding one version."""

    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def schema_root(self) -> Path:
        return self.root / "plesk-schemas"

    @property
    def folder(self) -> Path:
        return self.schema_root / VERSION

    @property
    def lock_file(self) -> Path:
        return self.project / "schemas" / "versions.toml"

    @property
    def names_file(self) -> Path:
        return self.project / "schemas" / "names.toml"

    def invoke(self, *args: str) -> Result:
        options = [
            "--project-dir",
            str(self.project),
            "--schema-root",
            str(self.schema_root),
        ]
        return CliRunner().invoke(main, [*options, *args])

    def lock_data(self) -> dict[str, object]:
        return tomllib.loads(self.lock_file.read_text(encoding="utf-8"))

    def pins(self) -> dict[str, str]:
        versions = self.lock_data()["versions"]
        assert isinstance(versions, dict)
        return dict(versions[VERSION]["files"])

    def set_pins(self, pins: dict[str, str]) -> None:
        data = self.lock_data()
        versions = data["versions"]
        assert isinstance(versions, dict)
        versions[VERSION]["files"] = pins
        self.lock_file.write_text(tomli_w.dumps(data), encoding="utf-8")

    def rename_type(self, source: str, name: str) -> None:
        data = tomllib.loads(self.names_file.read_text(encoding="utf-8"))
        data.setdefault("types", {})[source] = name
        self.names_file.write_text(tomli_w.dumps(data), encoding="utf-8")

    def relock(self) -> None:
        result = self.invoke("lock")
        assert result.exit_code == 0, result.output

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{name} no longer contains {old!r}; update the test"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_no_traceback(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        shown = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"the CLI raised instead of printing one line:\n{shown}")
    assert "Traceback" not in result.output


def assert_one_line_error(result: Result, expected: list[str]) -> str:
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.output}"
    line = lines[0]
    assert line.startswith(ERROR_PREFIX), line
    assert result.stderr.strip() == line, "the error must go to stderr"
    for part in expected:
        assert part in line, f"{part!r} missing from: {line}"
    return line


# -- fixtures -----------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, str]:
    return {path.name: sha256_of(path) for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module", autouse=True)
def shared_schemas_stay_unchanged() -> Iterator[None]:
    before = _snapshot(SHARED_FOLDER)
    yield
    assert _snapshot(SHARED_FOLDER) == before, f"a test wrote into {SHARED_FOLDER}"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """The scratch project, locked to one version; never modified by a test."""
    tree = Tree(tmp_path_factory.mktemp("pristine"))
    copy_writable(PROJECT_DIR / "schemas", tree.project / "schemas")
    copy_writable(SHARED_FOLDER, tree.folder)
    data = tree.lock_data()
    versions = data["versions"]
    assert isinstance(versions, dict) and VERSION in versions
    data["versions"] = {VERSION: versions[VERSION]}
    tree.lock_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    tree.relock()
    locked = tree.lock_data()["versions"]
    assert isinstance(locked, dict) and list(locked) == [VERSION]
    return tree


@pytest.fixture
def tree(pristine: Tree, tmp_path: Path) -> Tree:
    copy = Tree(tmp_path / "tree")
    copy_writable(pristine.root, copy.root)
    return copy


# -- the cases: each breaks the tree and returns what the message must name ----


def changed_pin(tree: Tree) -> list[str]:
    pinned = tree.pins()["common.xsd"]
    with (tree.folder / "common.xsd").open("a", encoding="utf-8") as stream:
        stream.write("<!-- edited after review -->\n")
    found = sha256_of(tree.folder / "common.xsd")
    return [f"{VERSION}/common.xsd", pinned, found, "plesk-mailgen lock"]


def missing_folder(tree: Tree) -> list[str]:
    shutil.rmtree(tree.folder)
    return ["schema folder", VERSION, str(tree.folder), "not found"]


def include_of_missing_file(tree: Tree) -> list[str]:
    tree.edit(
        "mail_input.xsd",
        '<xs:include schemaLocation="plesk_mailname.xsd"/>',
        '<xs:include schemaLocation="plesk_mailname.xsd"/>'
        '<xs:include schemaLocation="no_such_file.xsd"/>',
    )
    return [str(tree.folder / "no_such_file.xsd"), "not found"]


def not_xml(tree: Tree) -> list[str]:
    (tree.folder / "common.xsd").write_text("this is not XML\n", encoding="utf-8")
    return [str(tree.folder / "common.xsd"), "is not XML"]


def pinned_file_deleted(tree: Tree) -> list[str]:
    (tree.folder / "descriptor.xsd").unlink()
    return [str(tree.folder / "descriptor.xsd"), "not found"]


def pinned_file_no_longer_there(tree: Tree) -> list[str]:
    tree.set_pins({**tree.pins(), "retired.xsd": "0" * 64})
    return [f"{VERSION}/retired.xsd", "0" * 64, "is pinned", "missing"]


def extra_include_not_pinned(tree: Tree) -> list[str]:
    # Someone adds a file and re-pins only the file they edited, by hand.
    extra = tree.folder / "extra.xsd"
    extra.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
        encoding="utf-8",
    )
    tree.edit(
        "plesk_mailname.xsd",
        "<xs:include ",
        '<xs:include schemaLocation="extra.xsd"/><xs:include ',
    )
    tree.set_pins(
        {
            **tree.pins(),
            "plesk_mailname.xsd": sha256_of(tree.folder / "plesk_mailname.xsd"),
        }
    )
    return [f"{VERSION}/extra.xsd", sha256_of(extra), "not pinned"]


def lock_missing(tree: Tree) -> list[str]:
    tree.lock_file.unlink()
    return [str(tree.lock_file)]


def lock_not_toml(tree: Tree) -> list[str]:
    with tree.lock_file.open("a", encoding="utf-8") as stream:
        stream.write("\n[versions.broken\n")
    return [str(tree.lock_file), "TOML"]


def lock_of_wrong_shape(tree: Tree) -> list[str]:
    tree.lock_file.write_text('versions = "1.6.9.1"\n', encoding="utf-8")
    return [str(tree.lock_file)]


def names_not_toml(tree: Tree) -> list[str]:
    with tree.names_file.open("a", encoding="utf-8") as stream:
        stream.write("\n[types\n")
    return [str(tree.names_file), "not valid TOML"]


def names_clash(tree: Tree) -> list[str]:
    tree.rename_type("mailnameGetInfoType", "NewMailAccount")
    return ["name clash", "'NewMailAccount'", "mailnameAddType", "mailnameGetInfoType"]


def name_not_identifier(tree: Tree) -> list[str]:
    tree.rename_type("resultType", "Result Type")
    return ["'Result Type'", "resultType", "not a Python identifier"]


def already_locked(tree: Tree) -> list[str]:
    # Nothing to break: the version is in the lock already.
    return [VERSION, "already in the lock"]


def add_without_folder(tree: Tree) -> list[str]:
    # Nothing to break: there is no folder 1.2.3.4 under the schema root.
    return ["schema folder", "1.2.3.4", "not found"]


def xml_but_not_a_schema(tree: Tree) -> list[str]:
    (tree.folder / "descriptor.xsd").write_text("<notaschema/>\n", encoding="utf-8")
    tree.relock()
    return ["xsdata could not read", VERSION]


def undeclared_type(tree: Tree) -> list[str]:
    tree.edit("mail_input.xsd", 'type="mailFilterType"', 'type="mailFilterTypo"')
    tree.relock()
    return ["mailFilterTypo"]


CASES = [
    pytest.param(changed_pin, ["generate"], id="changed-pin-generate"),
    pytest.param(changed_pin, ["verify"], id="changed-pin-verify"),
    pytest.param(missing_folder, ["generate"], id="missing-schema-folder"),
    pytest.param(include_of_missing_file, ["verify"], id="include-of-missing-file"),
    pytest.param(not_xml, ["generate"], id="xsd-not-xml"),
    pytest.param(not_xml, ["lock"], id="xsd-not-xml-lock"),
    pytest.param(pinned_file_deleted, ["generate"], id="pinned-file-deleted"),
    pytest.param(pinned_file_no_longer_there, ["verify"], id="pinned-but-not-included"),
    pytest.param(extra_include_not_pinned, ["generate"], id="extra-include-not-pinned"),
    pytest.param(lock_missing, ["generate"], id="lock-missing-generate"),
    pytest.param(lock_missing, ["lock"], id="lock-missing-lock"),
    pytest.param(lock_not_toml, ["generate"], id="lock-not-toml-generate"),
    pytest.param(
        lock_not_toml,
        ["lock"],
        id="lock-not-toml-lock",
    ),
    pytest.param(
        lock_of_wrong_shape,
        ["verify"],
        id="lock-of-wrong-shape",
    ),
    pytest.param(names_not_toml, ["generate"], id="names-not-toml"),
    pytest.param(names_clash, ["generate"], id="names-clash"),
    pytest.param(name_not_identifier, ["generate"], id="name-not-identifier"),
    pytest.param(already_locked, ["lock", "--add", VERSION], id="lock-add-existing"),
    pytest.param(
        add_without_folder, ["lock", "--add", "1.2.3.4"], id="lock-add-no-folder"
    ),
    pytest.param(xml_but_not_a_schema, ["generate"], id="xml-but-not-a-schema"),
    pytest.param(
        undeclared_type,
        ["generate"],
        id="undeclared-type",
    ),
]


@pytest.mark.parametrize(("break_it", "command"), CASES)
def test_bad_input_is_one_line(
    tree: Tree, break_it: Callable[[Tree], list[str]], command: list[str]
) -> None:
    previous = tree.project / "generated"
    previous.mkdir()
    (previous / "sentinel.txt").write_text("previous output\n", encoding="utf-8")
    expected = break_it(tree)
    lock_before = tree.lock_file.read_bytes() if tree.lock_file.exists() else None
    result = tree.invoke(*command)
    assert_one_line_error(result, expected)
    if lock_before is not None:
        assert (
            tree.lock_file.read_bytes() == lock_before
        ), "a failed run changed the lock"
    assert [p.name for p in previous.iterdir()] == ["sentinel.txt"]
    assert (previous / "sentinel.txt").read_text(
        encoding="utf-8"
    ) == "previous output\n"


# -- output folder ------------------------------------------------------------


def test_verify_passes_on_clean_copy(tree: Tree) -> None:
    result = tree.invoke("verify")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 protocol versions match their pins\n"


def test_lock_repins_a_reviewed_change(tree: Tree) -> None:
    pinned = tree.pins()["common.xsd"]
    changed_pin(tree)
    found = sha256_of(tree.folder / "common.xsd")
    result = tree.invoke("lock")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert f"{VERSION}/common.xsd: {pinned} -> {found}" in result.stdout
    assert tree.pins()["common.xsd"] == found
    assert tree.invoke("verify").exit_code == 0


@pytest.mark.parametrize(
    "break_it",
    [changed_pin, names_clash],
    ids=["fails-verifying-pins", "fails-building-model"],
)
def test_failed_generate_leaves_output_untouched(
    tree: Tree, break_it: Callable[[Tree], list[str]]
) -> None:
    out = tree.root / "out"
    out.mkdir()
    (out / "sentinel.txt").write_text("previous output\n", encoding="utf-8")
    expected = break_it(tree)
    result = tree.invoke("generate", "--output", str(out))
    assert_one_line_error(result, expected)
    assert [p.name for p in out.iterdir()] == ["sentinel.txt"]
    assert (out / "sentinel.txt").read_text(encoding="utf-8") == "previous output\n"
    assert sorted(p.name for p in tree.root.iterdir()) == sorted(
        ["out", "project", "plesk-schemas"]
    ), "a staging or backup folder was left behind"


def test_generate_check_and_stale_output(tree: Tree) -> None:
    out = tree.root / "out"
    written = tree.invoke("generate", "--output", str(out))
    assert_no_traceback(written)
    assert written.exit_code == 0, written.output
    models = out / "plesk_mail" / "models.py"
    assert models.is_file()

    clean = tree.invoke("generate", "--check", "--output", str(out))
    assert_no_traceback(clean)
    assert clean.exit_code == 0, clean.output
    assert "is up to date" in clean.stdout

    edited = models.read_text(encoding="utf-8") + "# edited by hand\n"
    models.write_text(edited, encoding="utf-8")
    stale = tree.invoke("generate", "--check", "--diff", "--output", str(out))
    assert_no_traceback(stale)
    assert stale.exit_code == 1, stale.output
    message = stale.stderr.strip()
    assert "\n" not in message
    assert "is stale" in message
    assert "plesk-mailgen generate" in message
    assert "plesk_mail/models.py" in message
    assert "-# edited by hand" in stale.stdout  # the --diff
    assert models.read_text(encoding="utf-8") == edited, "--check must write nothing"
