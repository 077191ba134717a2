"""Every public symbol of the generated package says what it is.

Read from the source with ``ast``, as an editor shows it on hover: module,
class, method and function docstrings, and the attribute docstring under each
dataclass field and enum member. Client operations document their arguments,
return value and errors; a field not every protocol version has names the
versions that do.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from plesk_mailgen.api import merge
from plesk_mailgen.docs import PLACEHOLDER, document, read_docs
from plesk_mailgen.filters import availability
from plesk_mailgen.naming import read_overrides
from plesk_mailgen.pipeline import build_protocols
from plesk_mailgen.schemalock import verified_lock

from tests.support.paths import GENERATED_DIR, PROJECT_DIR

PACKAGE = GENERATED_DIR / "plesk_mail"
SOURCES = sorted(PACKAGE.glob("*.py")) + sorted(PACKAGE.glob("v*/*.py"))
"""The generated modules; the runtime, copied verbatim, counts where it is exported."""
CLIENT_CLASSES = ("MailClient", "AsyncMailClient")


def _public(name: str) -> bool:
    return not name.startswith("_")


def _attribute_docs(body: list[ast.stmt]) -> Iterator[tuple[str, str | None]]:
    """(name, docstring or None) of each public field or member of a class body."""
    for statement, following in zip(body, [*body[1:], None], strict=True):
        if isinstance(statement, ast.AnnAssign) and isinstance(
            statement.target, ast.Name
        ):
            name = statement.target.id
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            name = statement.targets[0].id
        else:
            continue
        if not _public(name):
            continue
        doc = (
            following.value.value
            if isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
            else None
        )
        yield name, doc


def _symbols(path: Path) -> Iterator[tuple[str, str | None, ast.AST]]:
    """(qualified name, docstring, node) of every public symbol of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = str(path.relative_to(GENERATED_DIR))
    yield module, ast.get_docstring(tree), tree
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(
            node.name
        ):
            yield f"{module}:{node.name}", ast.get_docstring(node), node
        if not isinstance(node, ast.ClassDef) or not _public(node.name):
            continue
        yield f"{module}:{node.name}", ast.get_docstring(node), node
        for member in node.body:
            function = isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
            if function and _public(member.name):
                name = f"{module}:{node.name}.{member.name}"
                yield name, ast.get_docstring(member), member
        if path.parent == PACKAGE and path.name == "models.py":
            for name, doc in _attribute_docs(node.body):
                yield f"{module}:{node.name}.{name}", doc, node


def test_the_package_has_sources() -> None:
    names = {path.name for path in SOURCES}
    assert {"models.py", "client.py", "codec.py", "cli.py", "__init__.py"} <= names


@pytest.mark.parametrize(
    "path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES]
)
def test_every_public_symbol_is_documented(path: Path) -> None:
    undocumented = [name for name, doc, _ in _symbols(path) if not doc]
    placeholders = [
        name for name, doc, _ in _symbols(path) if PLACEHOLDER in (doc or "")
    ]
    assert undocumented == []
    assert placeholders == []


def test_models_document_every_field_and_enum_member() -> None:
    """Counted, so that a template losing its attribute docstrings cannot pass."""
    documented = [
        name for name, doc, _ in _symbols(PACKAGE / "models.py") if doc and "." in name
    ]
    assert len(documented) > 150


def _client_methods() -> Iterator[tuple[str, Callable[..., object]]]:
    import plesk_mail

    operations = [
        name
        for name, value in vars(plesk_mail.MailClient).items()
        if _public(name) and inspect.isfunction(value) and name != "batch"
    ]
    for client in (plesk_mail.MailClient, plesk_mail.AsyncMailClient):
        for name in operations:
            yield f"{client.__name__}.{name}", getattr(client, name)


def test_client_operations_document_arguments_returns_and_raises() -> None:
    methods = dict(_client_methods())
    assert "MailClient.create" in methods and "AsyncMailClient.rename" in methods
    assert len(methods) == 26  # 13 operations (12 mail, 1 site), sync and async
    for name, method in methods.items():
        doc = inspect.getdoc(method) or ""
        summary, blank, *_ = [*doc.splitlines(), "", ""]
        assert summary.endswith(".") and blank == "", name
        assert "Returns:" in doc and "Raises:" in doc, name
        arguments = [a for a in inspect.signature(method).parameters if a != "self"]
        assert ("Args:" in doc) == bool(arguments), name
        for argument in arguments:
            assert f"\n    {argument}: " in doc, (name, argument)
        for error in ("ValidationError", "PacketError", "TransportError"):
            assert f"\n    {error}: " in doc, (name, error)


def test_fields_of_some_versions_name_the_versions() -> None:
    """The merged API knows where each field exists; the hover text says it."""
    overrides = read_overrides(PROJECT_DIR)
    protocols = build_protocols(verified_lock(PROJECT_DIR), PROJECT_DIR)
    api, _ = document(merge(protocols, overrides), read_docs(PROJECT_DIR))
    docs = {name: doc for name, doc, _ in _symbols(PACKAGE / "models.py")}
    checked = 0
    for struct in api.structs:
        for item in struct.fields:
            key = f"plesk_mail/models.py:{struct.name}.{item.name}"
            if item.versions is None or key not in docs:
                continue
            said = " ".join((docs[key] or "").split())
            assert availability(item.versions, api.versions) in said, key
            checked += 1
    assert checked >= 3


def _surface() -> Iterator[tuple[str, object]]:
    """What ``plesk_mail`` exports, and the public members of its classes."""
    import plesk_mail

    for name in plesk_mail.__all__:
        obj = getattr(plesk_mail, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        yield name, obj
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not klass.__module__.startswith("plesk_mail"):
                continue
            for member, value in vars(klass).items():
                if _public(member) and (
                    inspect.isfunction(value) or isinstance(value, property)
                ):
                    yield f"{name}.{member} ({klass.__name__})", value


def test_everything_plesk_mail_exports_is_documented() -> None:
    """The runtime's own names count too where the package hands them out."""
    surface = dict(_surface())
    assert {"connect", "MailClient.create (MailClient)", "Results"} <= set(surface)
    assert "AsyncMailClient.create (AsyncMailClient)" in surface
    undocumented = sorted(name for name, obj in surface.items() if not obj.__doc__)
    assert undocumented == []
