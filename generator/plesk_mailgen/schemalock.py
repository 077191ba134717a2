"""The schema lock: which operators and protocol versions exist, and the sha256 of every XSD.

Plesk's schema files are not part of the project; the lock pins them so that a
changed file is caught before it silently changes the generated code. The
operators to generate are data here too (``[operators.NAME]``): their entry
schemas, root types, the operations to generate and the elements to leave out,
so a new operator is a lock entry and rows in the tables, not code.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from lxml import etree

from .errors import GeneratorError

LOCK_PATH = Path("schemas") / "versions.toml"
SCHEMA_ROOT_ENV = "PLESK_MAILGEN_SCHEMA_ROOT"
XS = "{http://www.w3.org/2001/XMLSchema}"
HEADER = (
    "# Schema lock of plesk-mailgen, rewritten by `plesk-mailgen lock`.\n"
    "# `schema_root` is relative to the project folder; override it per run with\n"
    f"# --schema-root or ${SCHEMA_ROOT_ENV}. Never edit the sha256 pins by hand.\n\n"
)


@dataclass(frozen=True)
class LockedOperator:
    """One operator to generate: ``<mail>``, ``<site>``, ...

    ``element`` is its XML element in a packet (the table's key); ``request``
    and ``response`` name the complex types of that element's content.
    ``operations`` lists the operations to generate by name (``get``,
    ``update_add``; empty: all of them); ``omit`` lists optional elements to
    leave out, as ``source/element`` where source is a named schema type or the
    path of an anonymous one (``siteDatasetType/hosting``), so what is never
    asked for does not drag its types in.
    """

    element: str
    entry: tuple[str, ...]
    request: str
    response: str
    operations: tuple[str, ...] = ()
    omit: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockedVersion:
    """One protocol version as the lock records it."""

    protocol: str
    plesk: tuple[str, ...]
    folder: Path
    operators: tuple[LockedOperator, ...]
    files: dict[str, str]

    @property
    def module(self) -> str:
        """Python module name of this version in the generated package."""
        return "v" + self.protocol.replace(".", "_")

    @property
    def entry(self) -> tuple[str, ...]:
        """The entry schemas of every operator, each once, in lock order."""
        names = dict.fromkeys(name for op in self.operators for name in op.entry)
        return tuple(names)

    def entry_paths(self) -> list[Path]:
        return [self.folder / name for name in self.entry]


@dataclass(frozen=True)
class SchemaLock:
    """The whole lock file, with folders already resolved."""

    path: Path
    schema_root: Path
    versions: dict[str, LockedVersion]

    def version(self, protocol: str) -> LockedVersion:
        try:
            return self.versions[protocol]
        except KeyError:
            known = ", ".join(self.versions)
            raise GeneratorError(
                f"unknown protocol version {protocol!r}; known: {known}"
            ) from None


def read_lock(project_dir: Path, schema_root: Path | None = None) -> SchemaLock:
    """Read ``schemas/versions.toml``; the folders are resolved, not yet verified."""
    path = project_dir / LOCK_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GeneratorError(f"schema lock not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GeneratorError(f"schema lock {path} is not valid TOML: {exc}") from None
    _check_shape(path, data)
    root = _schema_root(project_dir, data, schema_root)
    operators = tuple(
        LockedOperator(
            element=element,
            entry=tuple(item["entry"]),
            request=item["request"],
            response=item["response"],
            operations=tuple(item.get("operations", ())),
            omit=tuple(item.get("omit", ())),
        )
        for element, item in data.get("operators", {}).items()
    )
    if not operators:
        raise GeneratorError(f"schema lock {path} lists no operators")
    versions: dict[str, LockedVersion] = {}
    for protocol, item in data.get("versions", {}).items():
        folder = Path(item.get("folder", protocol))
        versions[protocol] = LockedVersion(
            protocol=protocol,
            plesk=tuple(item.get("plesk", ())),
            folder=folder if folder.is_absolute() else root / folder,
            operators=operators,
            files=dict(item.get("files", {})),
        )
    if not versions:
        raise GeneratorError(f"schema lock {path} lists no protocol versions")
    return SchemaLock(path=path, schema_root=root, versions=versions)


def _check_shape(path: Path, data: dict[str, Any]) -> None:
    """Refuse a lock of the wrong shape with a line, not a traceback later."""

    def require(ok: bool, what: str) -> None:
        if not ok:
            raise GeneratorError(f"schema lock {path}: {what}")

    require(
        isinstance(data.get("schema_root", ""), str), "schema_root must be a string"
    )
    require(
        "entry" not in data,
        "entry belongs to an operator now: [operators.NAME] entry = [...]",
    )
    operators = data.get("operators", {})
    require(isinstance(operators, dict), "operators must be a table")
    for element, item in operators.items():
        where = f"operators.{element}"
        require(isinstance(item, dict), f"{where} must be a table")
        require(
            _ELEMENT_NAME.fullmatch(element) is not None,
            f"{where}: an operator is named by its XML element (letters, digits, - and _)",
        )
        require(
            bool(item.get("entry")) and _strings(item.get("entry")),
            f"{where}.entry must be a list of file names",
        )
        for key in ("request", "response"):
            require(
                isinstance(item.get(key), str) and bool(item.get(key)),
                f"{where}.{key} must name a complex type",
            )
        for key in ("operations", "omit"):
            require(_strings(item.get(key, [])), f"{where}.{key} must be a list")
        for key in sorted(set(item) - _OPERATOR_KEYS):
            require(False, f"{where}: unknown key {key!r}")
    versions = data.get("versions", {})
    require(isinstance(versions, dict), "versions must be a table")
    for protocol, item in versions.items():
        where = f"versions.{protocol!r}"
        require(isinstance(item, dict), f"{where} must be a table")
        require(
            _strings(item.get("plesk", [])), f"{where}.plesk must be a list of strings"
        )
        require(
            isinstance(item.get("folder", ""), str), f"{where}.folder must be a string"
        )
        require(
            "entry" not in item,
            f"{where}.entry: entry schemas belong to [operators.NAME]",
        )
        files = item.get("files", {})
        require(
            isinstance(files, dict) and all(isinstance(v, str) for v in files.values()),
            f"{where}.files must map file names to sha256 strings",
        )


_OPERATOR_KEYS = frozenset({"entry", "request", "response", "operations", "omit"})
_ELEMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _schema_root(project_dir: Path, data: dict[str, Any], given: Path | None) -> Path:
    if given is not None:
        return given
    from_env = os.environ.get(SCHEMA_ROOT_ENV)
    if from_env:
        return Path(from_env)
    return project_dir / str(data.get("schema_root", "../shared/plesk-schemas"))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def include_closure(version: LockedVersion) -> list[str]:
    """Names of the entry schemas and every file they include, sorted.

    Reads ``xs:include``/``xs:import``/``xs:redefine`` locations with a parser
    that never touches the network, so a missing or unreadable file is reported
    here, with its name, before xsdata sees it.
    """
    if not version.folder.is_dir():
        raise GeneratorError(
            f"schema folder of {version.protocol} not found: {version.folder}"
        )
    seen: set[str] = set()
    pending = list(version.entry)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    home = version.folder.resolve()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = version.folder / name
        if not path.is_file():
            raise GeneratorError(f"schema file of {version.protocol} not found: {path}")
        if path.resolve().parent != home:  # a symlink to a file elsewhere
            raise GeneratorError(
                f"schema file {path} is a link to {path.resolve()}, outside its folder"
            )
        try:
            root = etree.parse(str(path), parser).getroot()
        except etree.XMLSyntaxError as exc:
            raise GeneratorError(f"schema file {path} is not XML: {exc}") from None
        for tag in ("include", "import", "redefine"):
            for node in root.iter(XS + tag):
                location = node.get("schemaLocation")
                if location is None:
                    continue
                if "/" in location or "\\" in location or location.startswith("."):
                    raise GeneratorError(
                        f"schema file {path} includes {location!r} outside its folder"
                    )
                pending.append(location)
    return sorted(seen)


def verify(version: LockedVersion) -> None:
    """Refuse a missing, extra or changed schema file, naming it and both hashes."""
    actual = {
        name: sha256_of(version.folder / name) for name in include_closure(version)
    }
    for name, pinned in sorted(version.files.items()):
        if name not in actual:
            raise GeneratorError(
                f"schema {version.protocol}/{name} is pinned (sha256 {pinned}) "
                f"but missing from {version.folder}"
            )
        if actual[name] != pinned:
            raise GeneratorError(
                f"schema {version.protocol}/{name} changed: pinned sha256 {pinned}, "
                f"found {actual[name]}; review it, then run `plesk-mailgen lock`"
            )
    for name in sorted(set(actual) - set(version.files)):
        raise GeneratorError(
            f"schema {version.protocol}/{name} (sha256 {actual[name]}) is included "
            f"but not pinned; review it, then run `plesk-mailgen lock`"
        )


def verified_lock(project_dir: Path, schema_root: Path | None = None) -> SchemaLock:
    lock = read_lock(project_dir, schema_root)
    for version in lock.versions.values():
        verify(version)
    return lock


def write_lock(
    project_dir: Path,
    schema_root: Path | None = None,
    add: str | None = None,
    plesk: tuple[str, ...] = (),
) -> list[str]:
    """Re-pin every version (and add ``add``); returns one line per change."""
    path = project_dir / LOCK_PATH
    lock = read_lock(project_dir, schema_root)  # reports a missing or invalid lock
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    versions: dict[str, dict[str, object]] = data.setdefault("versions", {})
    if add is not None:
        if add in versions:
            raise GeneratorError(f"protocol version {add} is already in the lock")
        versions[add] = {"plesk": list(plesk), "folder": add, "files": {}}
        lock = _with_added(lock, add, plesk)
    changes: list[str] = []
    for protocol, item in versions.items():
        version = lock.version(protocol)
        pins = {
            name: sha256_of(version.folder / name) for name in include_closure(version)
        }
        old = dict(item.get("files", {}))  # type: ignore[call-overload]
        for name in sorted(set(old) | set(pins)):
            if old.get(name) != pins.get(name):
                changes.append(
                    f"{protocol}/{name}: {old.get(name, '-')} -> {pins.get(name, '-')}"
                )
        item["files"] = pins
    path.write_text(HEADER + tomli_w.dumps(data), encoding="utf-8")
    return changes


def _with_added(lock: SchemaLock, protocol: str, plesk: tuple[str, ...]) -> SchemaLock:
    some = next(iter(lock.versions.values()))
    added = LockedVersion(
        protocol=protocol,
        plesk=plesk,
        folder=lock.schema_root / protocol,
        operators=some.operators,
        files={},
    )
    return SchemaLock(lock.path, lock.schema_root, {**lock.versions, protocol: added})
