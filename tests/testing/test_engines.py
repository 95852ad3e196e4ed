"""The tests every example ships pass on each verified engine, with their fixtures inside the query.

Nothing is created on the engine: each fixture is a derived table of the
query (segdsl.testing.tables), so this also proves the same rows, typed
for each dialect, give every engine the same answers.
"""

from __future__ import annotations

import pytest

from segdsl.testing.runner import run_files
from tests.support.engines import VERIFIED_ENGINES
from tests.support.paths import EXAMPLES


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_example_tests_pass_on_every_engine(engine, engine_name: str):
    files = run_files(sorted(EXAMPLES.glob("*.seg")), lambda root: engine.target())
    results = [(f.path, r) for f in files for r in f.results]
    assert results and not any(f.errors for f in files)
    failed = [(path, r.name, [d.message for d in r.errors], [o.summary() for o in r.outcomes if not o.passed])
              for path, r in results if not r.passed]
    assert not failed, failed
    assert {r.engine for _, r in results} == {engine.target().dialect}
