"""``python -m tests.benchmarks [--quick] [--json PATH] [--strict]``: see ``tests/benchmarks/run.py``."""

from __future__ import annotations

import sys

from .run import main

sys.exit(main())
