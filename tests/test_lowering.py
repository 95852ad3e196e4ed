"""Each dialect rule is needed: without it, a real engine gives a different answer.

For every lowering rule of a verified dialect, the rule is replaced by what
sqlglot's plain transpilation gives (the generic rule) and a corpus model is
run on the real engine: the result must now differ from the reference
evaluator (or the engine must fail). This proves both that sqlglot alone is
wrong there and that the corpus is able to see it.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).parent))

import segdsl  # noqa: E402
from conformance.compare import assert_same_members  # noqa: E402
from conformance.data import reference_tables  # noqa: E402
from reference import evaluate  # noqa: E402
from segdsl import dialects as dl  # noqa: E402
from segdsl import targets  # noqa: E402

MODELS = Path(__file__).parent / "conformance" / "models"
G = dl.Lowering  # the generic rules: standard SQL as sqlglot transpiles it

# (dialect, rule, generic replacement, model, as_of, engine-side dates)
RULES: list[tuple[str, str, Any, str, dt.date, bool]] = [
    ("sqlite", "like", G.like, "text", dt.date(2026, 6, 30), False),  # LIKE ignores ASCII case
    ("sqlite", "shift", G.shift, "windows", dt.date(2024, 3, 31), True),  # months roll over
    ("sqlite", "time_operands", lambda self, values: None, "windows", dt.date(2026, 6, 30), False),  # text order
    ("postgres", "like", G.like, "text", dt.date(2026, 6, 30), False),  # `\` escapes
    ("postgres", "key", G.key, "keys", dt.date(2026, 6, 30), False),  # locale order of text keys
    ("postgres", "text_operand", G.text_operand, "text", dt.date(2026, 6, 30), False),  # locale order
    ("postgres", "divide", lambda self, l, r: exp.Div(this=l, expression=r), "arith", dt.date(2026, 6, 30),
     False),  # division by zero raises
    ("mysql", "text_operand", G.text_operand, "text", dt.date(2026, 6, 30), False),  # _ci collation
    ("mysql", "like", G.like, "text", dt.date(2026, 6, 30), False),
    ("mysql", "starts_with", G.starts_with, "text", dt.date(2026, 6, 30), False),
    ("mysql", "key", G.key, "keys", dt.date(2026, 6, 30), False),  # 'ab', 'AB', 'ab ' merge
    ("mysql", "aggregate_arg", G.aggregate_arg, "basics", dt.date(2026, 6, 30), False),  # 'web' = 'Web' in DISTINCT
    ("mysql", "real_avg", False, "basics", dt.date(2026, 6, 30), False),  # AVG of integers rounds to 4 places
    ("spark", "like", G.like, "text", dt.date(2026, 6, 30), False),  # `\` escapes
    ("spark", "shift", G.shift, "windows", dt.date(2026, 6, 30), True),  # DATE_ADD drops the time
    ("clickhouse", "finish", G.finish, "keys", dt.date(2026, 6, 30), False),  # join fills 0, not NULL
    ("clickhouse", "like", G.like, "text", dt.date(2026, 6, 30), False),
    ("clickhouse", "starts_with", G.starts_with, "text", dt.date(2026, 6, 30), False),  # bytes vs characters
]


@pytest.mark.parametrize("engine_name,rule,generic,model,as_of,engine_dates",
                         [pytest.param(*r, id=f"{r[0]}-{r[1]}") for r in RULES])
def test_rule_is_needed(engine_name: str, rule: str, generic: Any, model: str, as_of: dt.date,
                        engine_dates: bool, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    m = segdsl.load(MODELS / f"{model}.seg")
    expected = evaluate(m.ir, reference_tables(), as_of, {})
    target = engine.target()
    try:
        # with the rule, the engine agrees with the reference …
        assert_same_members(targets.run(m, target, as_of, {}, engine_dates=engine_dates), expected)
        # … and with sqlglot's plain translation instead, it does not
        monkeypatch.setattr(dl._LOWERINGS[engine_name], rule, generic)
        try:
            members = targets.run(m, target, as_of, {}, engine_dates=engine_dates)
        except segdsl.SegError:
            return  # the engine refused the plain SQL (division by zero, a type error)
        with pytest.raises(AssertionError):
            assert_same_members(members, expected)
    finally:
        target.close()

