"""Each dialect rule is needed: without it, a real engine gives a different answer.

For every lowering rule of a verified dialect, the rule is replaced by what
sqlglot's plain transpilation gives (the generic rule) and a corpus model is
run on the real engine: the result must now differ from the reference
evaluator (or the engine must fail). This proves both that sqlglot alone is
wrong there and that the corpus is able to see it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlglot import exp


import segdsl  # noqa: E402
from tests.support.conformance.compare import assert_same_members  # noqa: E402
from tests.support.conformance.data import reference_tables  # noqa: E402
from tests.support.reference import evaluate  # noqa: E402
from segdsl.sql import dialects as dl  # noqa: E402
from segdsl.engines.execution import members as run_members  # noqa: E402
from tests.support.paths import CORPUS

G = dl.Dialect  # the generic rules: standard SQL as sqlglot transpiles it


def PLAIN_SUM(self, summed, arg):  # noqa: N802 - a rule's replacement, named like the other rules
    return summed(arg)  # SUM over doubles, in whatever order the engine adds them

# (dialect, rule, generic replacement, model, as_of, engine-side dates)
RULES: list[tuple[str, str, Any, str, dt.date, bool]] = [
    ("duckdb", "exact_sum", PLAIN_SUM, "sums", dt.date(2026, 6, 30), False),  # float sums follow the row order
    ("sqlite", "exact_sum", PLAIN_SUM, "sums", dt.date(2026, 6, 30), False),
    ("sqlite", "like", G.like, "text", dt.date(2026, 6, 30), False),  # LIKE ignores ASCII case
    ("sqlite", "shift", G.shift, "windows", dt.date(2024, 3, 31), True),  # months roll over
    ("sqlite", "time_operands", lambda self, values: None, "windows", dt.date(2026, 6, 30), False),  # text order
    ("sqlite", "aggregate_arg+aggregate_result", (G.aggregate_arg, G.aggregate_result), "timezones",
     dt.date(2026, 6, 30), False),  # '…+02:00' ordered as text
    ("postgres", "like", G.like, "text", dt.date(2026, 6, 30), False),  # `\` escapes
    ("postgres", "min_max", G.min_max, "aggregates", dt.date(2026, 6, 30), False),  # no max(boolean)
    ("postgres", "key", G.key, "keys", dt.date(2026, 6, 30), False),  # locale order of text keys
    ("postgres", "text_operand", G.text_operand, "text", dt.date(2026, 6, 30), False),  # locale order
    ("postgres", "divide", lambda self, l, r: exp.Div(this=l, expression=r), "arith", dt.date(2026, 6, 30),
     False),  # division by zero raises
    ("mysql", "text_operand", G.text_operand, "text", dt.date(2026, 6, 30), False),  # _ci collation
    ("mysql", "like", G.like, "text", dt.date(2026, 6, 30), False),
    ("mysql", "starts_with", G.starts_with, "text", dt.date(2026, 6, 30), False),
    ("mysql", "key", G.key, "keys", dt.date(2026, 6, 30), False),  # 'ab', 'AB', 'ab ' merge
    ("mysql", "aggregate_arg", G.aggregate_arg, "basics", dt.date(2026, 6, 30), False),  # 'web' = 'Web' in DISTINCT
    ("spark", "like", G.like, "text", dt.date(2026, 6, 30), False),  # `\` escapes
    ("spark", "exact_sum", PLAIN_SUM, "sums", dt.date(2026, 6, 30), False),  # float sums follow the row order
    ("spark", "shift", G.shift, "windows", dt.date(2026, 6, 30), True),  # DATE_ADD drops the time
    ("clickhouse", "finish", G.finish, "keys", dt.date(2026, 6, 30), False),  # join fills 1970-01-01, not NULL
    ("clickhouse", "like", G.like, "text", dt.date(2026, 6, 30), False),
    ("clickhouse", "read", G.read, "timezones", dt.date(2026, 6, 30), False),  # a column's own zone
    ("clickhouse", "starts_with", G.starts_with, "text", dt.date(2026, 6, 30), False),  # bytes vs characters
]


@pytest.mark.parametrize("engine_name,rule,generic,model,as_of,engine_dates",
                         [pytest.param(*r, id=f"{r[0]}-{r[1]}") for r in RULES])
def test_rule_is_needed(engine_name: str, rule: str, generic: Any, model: str, as_of: dt.date,
                        engine_dates: bool, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    m = segdsl.load(CORPUS / f"{model}.seg")
    expected = evaluate(m.ir, reference_tables(), as_of, {})
    target = engine.target()
    try:
        # with the rule, the engine agrees with the reference …
        assert_same_members(run_members(m, target, as_of, {}, engine_dates=engine_dates), expected)
        # … and with sqlglot's plain translation instead, it does not
        for name, replacement in zip(rule.split("+"), generic if isinstance(generic, tuple) else (generic,)):
            monkeypatch.setattr(dl.DIALECTS[engine_name], name, replacement)
        try:
            members = run_members(m, target, as_of, {}, engine_dates=engine_dates).read_all()
        except segdsl.SegError:
            return  # the engine refused the plain SQL (division by zero, a type error)
        with pytest.raises(AssertionError):
            assert_same_members(members, expected)
    finally:
        target.close()

