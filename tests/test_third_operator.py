"""A third operator is data, not code: a lock entry and table rows, nothing else.

The README's "Adding an operator" steps, done for real in a temporary copy of
the project: a made-up ``<widget>`` operator (``tests/data/widget/``: its
schema, the lock entry, the rows of ``names.toml`` and ``docs.toml``) is
dropped beside the mail and site schemas of one protocol version, pinned with
``plesk-mailgen lock`` and generated. The package then has the widget models,
client methods, codec, rules and matrix rows beside mail's and site's, shares
``Result`` with them, passes ``mypy --strict``, and puts ``<widget>`` and
``<mail>`` in one packet that validates against the version's schemas. The
shared schema folder is only read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from lxml import etree
from plesk_mailgen.cli import main

from tests.support.paths import PROJECT_DIR
from tests.support.protocols import VERSIONS

FIXTURE = Path(__file__).resolve().parent / "data" / "widget"
VERSION = VERSIONS[-1]

# Run in a fresh interpreter on the generated package: what a user would do.
PROBE = """
import json
import plesk_mail
from plesk_mail import codec, models
from plesk_mail.client import MailClient
from plesk_mail.rules import RULES

m = models
add = m.AddWidgetsRequest(site_id=1, widgets=[m.Widget(name="clock", colour=m.WidgetColour.RED)])
packet = m.RequestPacket(operations=[
    add,
    m.GetInfoRequest(site_id=1, names=["info"]),
    m.GetWidgetsRequest(names=["clock"]),
    m.RemoveWidgetsRequest(ids=[7]),
])
request = codec.encode_request(packet)
found = m.GetWidgetsResult(status=m.ResultStatus.OK, id=7, widget=m.Widget(name="clock"))
replies = [
    m.Reply("get_widgets", m.GetWidgetsResponse(results=[found]), "widget"),
    m.Reply("remove", m.MailnameResponse(results=[m.MailnameResult(status=m.ResultStatus.OK)]), "mail"),
]
response = codec.encode_response(m.ResponsePacket(replies=replies))
print(json.dumps({
    "request": request.decode(),
    "response": response.decode(),
    "round_trip": codec.decode_request(request).operations == packet.operations,
    "replies": [tuple(r[::2]) for r in codec.decode_response(response).replies],
    "operators": {name: m.OPERATORS[name] for name in ("get_widgets", "remove", "get_sites")},
    "methods": [n for n in ("add_widgets", "get_widgets", "remove_widgets", "remove", "get_sites") if hasattr(MailClient, n)],
    "shared_result": m.GetWidgetsResult.__mro__[1:3] == (m.FilterResult, m.Result),
    "read_only": RULES.operations["get_widgets"] is None,
    "exports": all(hasattr(plesk_mail, n) for n in ("Widget", "WidgetColour", "GetWidgetsResult")),
    "file": plesk_mail.__file__,
}))
"""

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="{mail}"/>
  <xs:include schemaLocation="site.xsd"/>
  <xs:include schemaLocation="widget.xsd"/>
  <xs:element name="packet">
    <xs:complexType>
      <xs:choice maxOccurs="unbounded">
        <xs:element name="mail" type="{mail_type}"/>
        <xs:element name="site" type="{site_type}"/>
        <xs:element name="widget" type="{widget_type}"/>
      </xs:choice>
      <xs:attribute name="version" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def merged(table: dict[str, Any], rows: dict[str, Any]) -> dict[str, Any]:
    """``table`` with ``rows`` added: tables merge, lists gain the new items."""
    result = dict(table)
    for key, value in rows.items():
        known = result.get(key)
        if isinstance(known, dict) and isinstance(value, dict):
            result[key] = merged(known, value)
        elif isinstance(known, list) and isinstance(value, list):
            result[key] = known + [item for item in value if item not in known]
        else:
            result[key] = value
    return result


def add_rows(path: Path, rows: Path, drop: tuple[str, str] | None = None) -> None:
    """Merge a fixture's rows into one of the project's TOML tables."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    extra = tomllib.loads(rows.read_text(encoding="utf-8"))
    if drop is not None:
        extra[drop[0]].pop(drop[1])
    path.write_text(tomli_w.dumps(merged(table, extra)), encoding="utf-8")


def valid(schema: etree.XMLSchema, text: str) -> list[str]:
    document = etree.fromstring(text.encode())
    return [] if schema.validate(document) else [str(e) for e in schema.error_log]


@pytest.mark.slow
def test_a_third_operator_takes_a_lock_entry_and_table_rows(tmp_path: Path) -> None:
    project, root = tmp_path / "project", tmp_path / "plesk-schemas"
    shutil.copytree(PROJECT_DIR / "schemas", project / "schemas")
    lock = tomllib.loads((project / "schemas" / "versions.toml").read_text())
    folder = root / VERSION
    shutil.copytree(_folder(VERSION), folder, copy_function=shutil.copyfile)
    # 1. Drop the operator's schema beside the others.
    shutil.copyfile(FIXTURE / "widget.xsd", folder / "widget.xsd")
    # 2. Name it in the lock (one version here, to stay quick).
    lock["versions"] = {VERSION: lock["versions"][VERSION]}
    (project / "schemas" / "versions.toml").write_text(
        tomli_w.dumps(merged(lock, tomllib.loads((FIXTURE / "lock.toml").read_text()))),
        encoding="utf-8",
    )

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            main, ["--project-dir", str(project), "--schema-root", str(root), *args]
        )
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    # 3. Pin it: the lock now pins widget.xsd too.
    code, output = run("lock")
    assert code == 0, output
    assert f"{VERSION}/widget.xsd: - -> " in output
    # 4. Its table rows; without [methods] its `remove` would take mail's name.
    names, docs = project / "schemas" / "names.toml", project / "schemas" / "docs.toml"
    add_rows(docs, FIXTURE / "docs.toml")
    add_rows(names, FIXTURE / "names.toml", drop=("methods", "widget.remove"))
    out = tmp_path / "generated"
    code, output = run("generate", "--output", str(out))
    assert code == 1 and not out.exists()
    assert "'remove' of <widget> has the Python name of one of <mail>" in output
    assert "[methods]" in output
    add_rows(names, FIXTURE / "names.toml")
    # 5. Generate: every symbol documented, nothing else to write.
    code, output = run("generate", "--output", str(out))
    assert code == 0, output
    assert "not documented" not in output

    models = (out / "plesk_mail" / "models.py").read_text(encoding="utf-8")
    assert models.count("\nclass Result:") == 1  # resultType stays one class
    assert "class GetWidgetsResult(FilterResult):" in models
    assert "operators ``mail``, ``site`` and ``widget``" in models
    assert "| get_widgets | request | filter/name | yes |" in (
        out / "COMPATIBILITY.md"
    ).read_text(encoding="utf-8")
    assert '"get-widgets": Command(' in (out / "plesk_mail" / "cli.py").read_text()

    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={"PYTHONPATH": str(out), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert Path(seen["file"]).is_relative_to(out)  # this package, not generated/
    assert seen["round_trip"] and seen["shared_result"] and seen["exports"]
    assert seen["read_only"]
    assert seen["operators"] == {
        "get_widgets": "widget",
        "remove": "mail",
        "get_sites": "site",
    }
    assert seen["methods"] == [
        "add_widgets",
        "get_widgets",
        "remove_widgets",
        "remove",
        "get_sites",
    ]
    assert [tuple(reply) for reply in seen["replies"]] == [
        ("get_widgets", "widget"),
        ("remove", "mail"),
    ]
    request = etree.fromstring(seen["request"].encode())
    assert [(child.tag, len(child)) for child in request] == [
        ("widget", 1),
        ("mail", 1),
        ("widget", 2),
    ]
    # 6. Both packets validate against the version's schemas, widget.xsd included.
    for side, text in (("request", seen["request"]), ("response", seen["response"])):
        envelope = folder / f"envelope-{side}.xsd"
        types = (
            ("TypeRequest", "input")
            if side == "request"
            else ("ResponseType", "output")
        )
        envelope.write_text(
            ENVELOPE.format(
                mail=f"mail_{types[1]}.xsd",
                mail_type=f"Mail{types[0]}",
                site_type=f"Site{types[0]}",
                widget_type=f"Widget{types[0]}",
            ),
            encoding="utf-8",
        )
        schema = etree.XMLSchema(etree.parse(str(envelope)))
        assert valid(schema, text) == [], text
    # 7. Typed: mypy --strict on the generated package with the third operator.
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "plesk_mail"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


def _folder(version: str) -> Path:
    from plesk_mailgen.schemalock import verified_lock

    return verified_lock(PROJECT_DIR).version(version).folder
