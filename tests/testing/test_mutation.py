"""The shipped tests can fail: every comparison flipped and every window shortened in an example's
definitions makes at least one of its tests fail (tests/testing/mutants.py makes the mutants)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from segdsl import engines
from segdsl.testing.runner import run_files
from tests.support.paths import EXAMPLES
from tests.testing.mutants import mutants

MODELS = sorted(p for p in EXAMPLES.glob("*.seg") if mutants(p.read_text(encoding="utf-8")))


def _failed(path: Path) -> bool:
    files = run_files([path], lambda root: engines.open_duckdb(None, root))
    return any(f.errors for f in files) or any(not r.passed for f in files for r in f.results)


def test_mutants_are_made():
    text = (EXAMPLES / "retail.seg").read_text(encoding="utf-8")
    made = {(m.before, m.after) for m in mutants(text)}
    assert {(">=", ">"), (">", ">="), ("last 90 days", "last 89 days")} <= made
    assert all("test " not in m.text.split("\n")[m.line - 1] for m in mutants(text))


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
def test_every_mutant_of_an_example_fails_its_tests(model: Path, tmp_path: Path):
    for f in EXAMPLES.glob("*.seg"):
        shutil.copy(f, tmp_path)
    copy = tmp_path / model.name
    assert not _failed(copy), "the example's own tests must pass first"
    survivors = []
    for mutant in mutants(model.read_text(encoding="utf-8")):
        copy.write_text(mutant.text, encoding="utf-8")
        if not _failed(copy):
            survivors.append(mutant.describe())
    assert not survivors, f"{model.name}: no shipped test notices {survivors}"
