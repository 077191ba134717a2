"""The one exception type the generator raises for bad input.

Every expected failure (bad lock, missing schema, name clash, ...) becomes a
``GeneratorError`` with a one-line message, so the CLI can print it without a
traceback.
"""


class GeneratorError(Exception):
    """An expected failure of the generator, with a one-line message."""
