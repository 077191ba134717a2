"""Benchmark suite of the generated codecs, the generator and the client (issue 7).

Run ``.venv/bin/python -m tests.benchmarks`` (``--quick`` for the short CI version).
"""
