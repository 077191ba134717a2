"""The inputs of a generation, hashed, and the manifest of what it produced.

``generate --check`` compares the fingerprint and the manifest recorded in
``_metadata.py`` with the current inputs and files: if both match, the tree
is up to date without rendering anything. Any difference falls back to a
full regeneration in memory, which also yields the diff.
"""

from __future__ import annotations

import ast
import hashlib
from importlib.metadata import version
from pathlib import Path

from .docs import DOCS_PATH
from .naming import NAMES_PATH
from .schemalock import LOCK_PATH
from .writing import existing_files

METADATA = "plesk_mail/_metadata.py"
TOOLS = ("black", "xsdata", "jinja2")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inputs_fingerprint(project_dir: Path, template_dir: Path) -> str:
    """Hash of everything the output depends on: code, templates, lock, names, tools."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for root, pattern in ((package, "*.py"), (template_dir, "*")):
        for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
            name = path.relative_to(root).as_posix()
            if "__pycache__" not in name:
                digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in (
        project_dir / LOCK_PATH,
        project_dir / NAMES_PATH,
        project_dir / DOCS_PATH,
    ):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    for tool in TOOLS:
        digest.update(f"{tool}={version(tool)}".encode())
    return digest.hexdigest()


def manifest(files: dict[str, str]) -> dict[str, str]:
    return {
        path: sha256_text(text)
        for path, text in sorted(files.items())
        if path != METADATA
    }


def recorded(out_dir: Path) -> tuple[str, dict[str, str]] | None:
    """Fingerprint and manifest stored in a generated tree, if it has readable ones."""
    try:
        tree = ast.parse((out_dir / METADATA).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    fingerprint, files = values.get("INPUTS_FINGERPRINT"), values.get("FILES")
    if not isinstance(fingerprint, str) or not isinstance(files, dict):
        return None
    return fingerprint, {str(k): str(v) for k, v in files.items()}


def unchanged(project_dir: Path, template_dir: Path, out_dir: Path) -> bool:
    """True when inputs and every generated file match what was recorded."""
    stored = recorded(out_dir)
    if stored is None or stored[0] != inputs_fingerprint(project_dir, template_dir):
        return False
    on_disk = existing_files(out_dir)
    on_disk.pop(METADATA, None)
    return manifest(on_disk) == stored[1]
