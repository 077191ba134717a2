"""The project's own code is ruff- and black-clean, where it is written.

``generated/`` is excluded (black formats it with the generator's fixed mode,
and the golden test locks it); the runtime under ``generator/`` is included,
since it is ordinary Python that the generator copies verbatim.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.paths import PROJECT_DIR

FOLDERS = ["generator", "tests"]


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "--no-cache"], ["black", "--check", "--quiet"]],
    ids=["ruff", "black"],
)
def test_project_code_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command, *FOLDERS],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
