"""Golden files: the expected output of a test, kept in tests/golden and reviewed like code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UPDATE = "SEGDSL_UPDATE_GOLDEN"


def check_golden(path: Path, actual: str) -> None:
    """`actual` must equal the golden file. A missing file fails, naming the command that writes it;
    with SEGDSL_UPDATE_GOLDEN=1 the file is rewritten for review instead."""
    if os.environ.get(UPDATE):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        pytest.fail(f"the golden file {path} does not exist; write it, then review it, with:\n"
                    f"  {UPDATE}=1 python -m pytest '{test}'", pytrace=False)
    assert actual == path.read_text(encoding="utf-8")
