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

# Mutants no fixture of a reviewable size can tell apart, by model: (line text, before → after) and why.
EQUIVALENT = {
    "predicted_value.seg": {
        ("top_5  = value_rank >= 96", ">="): "a rank of 96 among 100 quantiles needs a hundred members",
        ("top_20 = value_rank >= 81", ">="): "likewise",
        ("clv.alive < 0.5", "<"): "a predicted probability equals 0.5 exactly on no data",
        ("clv.purchases >= 1", ">="): "a predicted number of purchases equals 1 exactly on no data",
    },
}
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
    for f in EXAMPLES.iterdir():  # the models, and the fitted parameters beside them
        if f.is_file():
            shutil.copy(f, tmp_path)
    copy = tmp_path / model.name
    assert not _failed(copy), "the example's own tests must pass first"
    survivors = []
    lines = model.read_text(encoding="utf-8").split("\n")
    equivalent = EQUIVALENT.get(model.name, {})
    killed = 0
    for mutant in mutants(model.read_text(encoding="utf-8")):
        if any(text in lines[mutant.line - 1] and mutant.before == op for text, op in equivalent):
            continue
        killed += 1
        copy.write_text(mutant.text, encoding="utf-8")
        if not _failed(copy):
            survivors.append(mutant.describe())
    assert killed and not survivors, f"{model.name}: no shipped test notices {survivors}"
