"""Parse and resolve one version's schemas with xsdata, used as a library.

xsdata does the XSD work (includes, extensions, flattening of simple types);
everything after ``analyze_classes`` is ours. The xsdata CLI is not used: it
needs ruff on PATH and writes files we do not want.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from xsdata.codegen.models import Class
from xsdata.codegen.transformer import ResourceTransformer
from xsdata.models.config import GeneratorConfig

from .errors import GeneratorError
from .schemalock import LockedVersion

# The xsdata class-model attributes the builder reads; tests/test_xsdata_probe.py
# pins them so that an xsdata upgrade that renames one fails loudly.
REQUIRED_CLASS_FIELDS = (
    "qname",
    "tag",
    "attrs",
    "inner",
    "extensions",
    "help",
    "parent",
)
REQUIRED_ATTR_FIELDS = ("tag", "name", "types", "restrictions", "help", "default")
REQUIRED_RESTRICTION_FIELDS = ("min_occurs", "max_occurs", "white_space", "path")


ChoiceElement = tuple[int, str]
"""``(id of the xs:choice in xsdata's attribute paths, element name)``."""


@dataclass(frozen=True)
class LoadedSchema:
    """xsdata's resolved classes, plus what its analysis forgets.

    ``optional_in_choice`` names the elements declared ``minOccurs="0"``
    directly inside an ``xs:choice``: such a branch may stay empty, so the
    choice may too (an empty site ``<filter/>``). xsdata's analysis sets every
    element of a choice to ``min_occurs=0``, which hides the difference.
    """

    classes: list[Class]
    optional_in_choice: frozenset[ChoiceElement] = frozenset()


def load_classes(version: LockedVersion) -> list[Class]:
    """All classes xsdata resolves from the version's entry schemas."""
    return load_schema(version).classes


def load_schema(version: LockedVersion) -> LoadedSchema:
    """The version's entry schemas, parsed and resolved by xsdata."""
    config = GeneratorConfig()
    transformer = ResourceTransformer(config)
    uris = [path.resolve().as_uri() for path in version.entry_paths()]
    with _xsdata_warnings() as warnings:
        try:
            transformer.process_sources(uris)
            optional = frozenset(_optional_in_choice(transformer.classes))
            classes = transformer.analyze_classes(transformer.classes)
        except GeneratorError:
            raise
        except Exception as exc:  # xsdata raises bare exceptions on odd schemas
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise GeneratorError(
                f"xsdata could not read the {version.protocol} schemas in "
                f"{version.folder}: {type(exc).__name__}: {first_line or 'not a schema?'}"
            ) from None
    for message in warnings:
        if message.startswith(FATAL_WARNINGS):
            raise GeneratorError(
                f"{version.protocol} schemas in {version.folder}: {message} "
                "(a type is referenced but never declared)"
            )
    return LoadedSchema(classes, optional)


def _optional_in_choice(classes: Iterable[Class]) -> Iterator[ChoiceElement]:
    """Elements of choices that declare ``minOccurs="0"``, before analysis."""
    for cls in classes:
        for attr in cls.attrs:
            path = attr.restrictions.path
            if path and path[-1][0] == "c" and attr.restrictions.min_occurs == 0:
                yield path[-1][1], attr.name
        yield from _optional_in_choice(cls.inner)


# xsdata warnings that mean the schema is broken; xsdata itself carries on.
FATAL_WARNINGS = ("Reset absent type",)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _xsdata_warnings() -> Iterator[list[str]]:
    """Collect xsdata's warnings instead of printing them (it logs on its own)."""
    logger = logging.getLogger("xsdata")
    handler = _Collect()
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate
