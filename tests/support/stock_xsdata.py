"""Stock xsdata models of a protocol version, made by the ``xsdata generate`` CLI.

The benchmark times xsdata's generic parser and serializer, and the property
tests compare our XML with xsdata's; both need xsdata's own dataclasses for the
same schemas. They are generated at run time into a temporary folder (never
committed): one CLI run per version on a small wrapper schema that includes the
version's entry schemas of every operator (``mail_input.xsd``, ``site.xsd``,
...), so xsdata reads exactly what plesk-mailgen reads.

``--compound-fields`` is on by default: without it xsdata splits the repeated
``xs:choice`` of ``MailTypeRequest`` / ``MailResponseType`` into one list per
element name and loses the order of operations inside ``<mail>``.

The Plesk schemas declare no ``<packet>`` element (the envelope lives in
Plesk's ``agent_input.xsd``), so :func:`envelopes` adds two small xsdata
dataclasses for ``<packet version="..."><mail>...</mail><site>...</site>
</packet>``, the same envelope as ``schemas/envelope/*.xsd``: an unbounded
choice of the lock's operator elements, kept in order by a compound field.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from plesk_mailgen.schemalock import read_lock

from .paths import PROJECT_DIR

XS = "http://www.w3.org/2001/XMLSchema"


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def xsdata_executable() -> str:
    """The ``xsdata`` console script of this interpreter's environment."""
    local = _bin_dir() / "xsdata"
    if local.exists():
        return str(local)
    found = shutil.which("xsdata")
    if found is None:
        raise RuntimeError(
            "the xsdata CLI is not installed (pip install 'xsdata[cli]')"
        )
    return found


def cli_environment() -> dict[str, str]:
    """Environment for the CLI: ``xsdata generate`` runs ``ruff``, found on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(_bin_dir()), env.get("PATH", "")])
    return env


def entry_paths(version: str) -> list[Path]:
    """The version's entry schemas, as the schema lock names them."""
    return read_lock(PROJECT_DIR).version(version).entry_paths()


def wrapper_schema(version: str) -> str:
    """An XSD that only includes the version's entry schemas."""
    includes = "".join(
        f'  <xs:include schemaLocation="{path.resolve().as_uri()}"/>\n'
        for path in entry_paths(version)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xs:schema xmlns:xs="{XS}" elementFormDefault="qualified">\n'
        f"{includes}</xs:schema>\n"
    )


def package_name(version: str) -> str:
    return "stock_v" + version.replace(".", "_")


def generate_command(
    version: str,
    folder: Path,
    *,
    compound_fields: bool = True,
    single_package: bool = True,
) -> tuple[list[str], Path]:
    """Write the wrapper schema into ``folder``; the CLI command and its cwd.

    With ``single_package`` the generated module is
    ``folder/<package_name(version)>.py``; without it (and without
    ``compound_fields``) the command is the CLI with its default options.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "wrapper.xsd"
    wrapper.write_text(wrapper_schema(version), encoding="utf-8")
    command = [
        xsdata_executable(),
        "generate",
        str(wrapper),
        "--package",
        package_name(version),
    ]
    if single_package:
        command += ["--structure-style", "single-package"]
    if compound_fields:
        command.append("--compound-fields")
    return command, folder


def generate(version: str, folder: Path, *, compound_fields: bool = True) -> Path:
    """Run ``xsdata generate`` for ``version``; the path of the generated module."""
    command, cwd = generate_command(version, folder, compound_fields=compound_fields)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=cli_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"xsdata generate failed for {version} ({done.returncode}):\n"
            f"{done.stdout}{done.stderr}"
        )
    return folder / f"{package_name(version)}.py"


def load(path: Path, name: str) -> ModuleType:
    """Import a generated module from ``path`` as ``name``.

    It is registered in ``sys.modules``: xsdata resolves the string annotations
    of the dataclasses through their module.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class StockModels:
    """xsdata's dataclasses of one version, with packet envelopes around them."""

    version: str
    module: ModuleType
    request_packet: type
    response_packet: type


def envelopes(module: ModuleType, version: str) -> tuple[type, type]:
    """xsdata dataclasses for the request and the response ``<packet>``."""
    operators = read_lock(PROJECT_DIR).version(version).operators

    def packet(class_name: str, side: str) -> type:
        choices = tuple(
            {"name": op.element, "type": getattr(module, getattr(op, side))}
            for op in operators
        )
        meta = type("Meta", (), {"name": "packet"})
        return dataclasses.make_dataclass(
            class_name,
            [
                (
                    "operators",
                    list[object],
                    dataclasses.field(
                        default_factory=list,
                        metadata={"type": "Elements", "choices": choices},
                    ),
                ),
                (
                    "version",
                    str,
                    dataclasses.field(metadata={"type": "Attribute", "required": True}),
                ),
            ],
            namespace={"Meta": meta},
            kw_only=True,
        )

    return packet("RequestPacket", "request"), packet("ResponsePacket", "response")


def stock_models(
    version: str, folder: Path, *, compound_fields: bool = True
) -> StockModels:
    """Generate (into ``folder``) and import xsdata's models of ``version``."""
    path = generate(version, folder, compound_fields=compound_fields)
    module = load(path, f"_stock_xsdata_{folder.name}_{package_name(version)}")
    request_packet, response_packet = envelopes(module, version)
    return StockModels(version, module, request_packet, response_packet)
