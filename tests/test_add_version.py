"""The README's "Adding a Plesk version" walkthrough, done for real in a temp copy.

A new version with one added optional element gets its own pinned module,
the shared models gain the element (limited to the new version), ``diff``
shows exactly that element, the existing versions' modules do not change by a
byte, and a file changed without re-locking is refused.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from plesk_mailgen.cli import main
from plesk_mailgen.schemalock import verified_lock

from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS, protocol_model

NEW = "1.6.9.9"
ADDED = '<xs:element name="spam-filter" type="boolean" minOccurs="0"/>'
ANCHOR = '<xs:element name="webmail-certificate" type="string" minOccurs="0"/>'


@pytest.mark.slow
def test_adding_a_version(tmp_path: Path) -> None:
    project, schemas = tmp_path / "project", tmp_path / "plesk-schemas"
    shutil.copytree(PROJECT_DIR / "schemas", project / "schemas")
    lock = verified_lock(PROJECT_DIR)
    for version in VERSIONS:
        shutil.copytree(lock.version(version).folder, schemas / version)
    # 1. Drop the new schema folder in (here: the newest one plus one element).
    shutil.copytree(schemas / VERSIONS[-1], schemas / NEW)
    mailname = schemas / NEW / "plesk_mailname.xsd"
    text = mailname.read_text()
    assert text.count(ANCHOR) == 1
    mailname.write_text(text.replace(ANCHOR, ANCHOR + "\n\t\t\t\t" + ADDED))

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            main, ["--project-dir", str(project), "--schema-root", str(schemas), *args]
        )
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    # Until it is locked, the generator does not know it.
    assert run("diff", VERSIONS[-1], NEW)[0] == 1
    # 2. Pin it.
    code, output = run("lock", "--add", NEW, "--plesk", "Plesk Test 99")
    assert code == 0, output
    # 3. Generate.
    out = tmp_path / "generated"
    code, output = run("generate", "--output", str(out))
    assert code == 0, output
    module = out / "plesk_mail" / "v1_6_9_9"
    assert (module / "__init__.py").is_file()
    models = (out / "plesk_mail" / "models.py").read_text()
    assert "    spam_filter: bool | None = None\n" in models
    assert "In protocol 1.6.9.9 or newer." in models
    rules = (out / "plesk_mail" / "rules.py").read_text()
    assert (
        '(MailPreferences, "spam_filter"): FieldRule(versions=SINCE_1_6_9_9)' in rules
    )
    assert (
        "webmail-certificate | no | no | yes | yes | yes |"
        in (out / "COMPATIBILITY.md").read_text()
    )
    # 4. diff names exactly the added element, on both sides.
    code, output = run("diff", VERSIONS[-1], NEW)
    assert code == 0, output
    assert [line.strip() for line in output.splitlines()[1:]] == [
        "+ set_prefs request: prefs/spam-filter (bool, 0..1)",
        "+ get_prefs response: result/prefs/spam-filter (bool, 0..1)",
    ]
    # 5. The existing versions' modules are untouched, byte for byte.
    for version in VERSIONS:
        name = protocol_model(version).module
        compared = filecmp.dircmp(
            GENERATED_DIR / "plesk_mail" / name, out / "plesk_mail" / name
        )
        assert not (
            compared.left_only or compared.right_only or compared.diff_files
        ), version
        _, mismatch, errors = filecmp.cmpfiles(
            GENERATED_DIR / "plesk_mail" / name,
            out / "plesk_mail" / name,
            [p.name for p in (out / "plesk_mail" / name).iterdir() if p.is_file()],
            shallow=False,
        )
        assert not mismatch and not errors, (version, mismatch)
    # 6. A schema file changed without re-locking is refused, naming it.
    with (schemas / NEW / "mail_input.xsd").open("a") as handle:
        handle.write("<!-- edited -->\n")
    code, output = run("generate", "--output", str(out))
    assert code == 1
    assert f"schema {NEW}/mail_input.xsd changed" in output
    assert (module / "__init__.py").is_file()  # the previous output is intact
