"""Mutation testing: ``python -m tests.mutation`` (see __main__.py)."""
