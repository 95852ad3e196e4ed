"""`segdsl explain` agrees with `run`, member by member, on the demo shop.

Members are picked from what `run` computes so that every segment has
members in and out, every case of the lifecycle is hit, and some members
have missing data (no orders): for each, the explanation's membership,
cases, feature values and holdout arms must be exactly those of `run`, and
the condition trees must be consistent with them.
"""

from __future__ import annotations

import json
import math

import duckdb
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.tools.cli import app
from segdsl.tools.demo import DEMO_AS_OF
from tests.support.paths import EXAMPLES

RETAIL = EXAMPLES / "retail.seg"


@pytest.fixture(scope="module")
def shop(demo_db):
    model = segdsl.load(RETAIL)
    con = duckdb.connect(str(demo_db), read_only=True)
    rel = model.run(connection=con, as_of=DEMO_AS_OF)
    rows = {r[0]: dict(zip(rel.columns, r)) for r in rel.fetchall()}
    yield model, con, rows
    con.close()


def pick(rows: dict, model) -> list:
    """A few members covering every segment (in and out), every lifecycle case, and missing data."""
    chosen: list = []

    def first(pred):
        for k in sorted(rows):
            if pred(rows[k]) and k not in chosen:
                chosen.append(k)
                return

    for name in model.ir.segments:
        first(lambda r, n=name: r[n])
        first(lambda r, n=name: not r[n])
    for case in model.ir.segmentations["lifecycle"].labels:
        first(lambda r, c=case: r["lifecycle"] == c)
    first(lambda r: r["recency"] is None)
    first(lambda r: r["vip_test"] == "control")
    return chosen


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


def test_explanations_agree_with_run(shop):
    model, con, rows = shop
    members = pick(rows, model)
    assert len(members) >= 8
    for key in members:
        row = rows[key]
        why = model.explain(key, connection=con, as_of=DEMO_AS_OF)
        assert why.in_population
        for name, value in why.features:
            assert same(value, row[name]), (key, name, value, row[name])
        for s in why.segments:
            assert s.member == row[s.name], (key, s.name)
            # the condition tree's own value is consistent with membership (unknown counts as out)
            assert (s.condition.value is True) == s.member, (key, s.name, s.condition.value)
            assert s.reason.startswith("in " if s.member else "out ")
        cases = {g.name: g for g in why.segmentations}
        for name, g in cases.items():
            expected = row[name]
            assert g.case == (None if expected is None else str(expected)), (key, name)
        life = cases["lifecycle"]
        matched = [t for t in life.tried if t.value is True]
        assert len(matched) == 1 and matched[-1] is life.tried[-1] and life.tried[-1].name == row["lifecycle"]
        assert all(t.value is not True for t in life.tried[:-1])
        assert dict(why.holdouts) == {"vip_test": row["vip_test"]}


def test_unknown_conditions_are_visible(shop):
    model, con, rows = shop
    key = next(k for k in sorted(rows) if rows[k]["recency"] is None)
    why = model.explain(key, connection=con, as_of=DEMO_AS_OF)
    lapsed = next(s for s in why.segments if s.name == "lapsed")
    assert lapsed.member is False and lapsed.condition.value is None
    assert lapsed.condition.input_values == [("recency", None)]
    assert "unknown because `recency` is missing" in lapsed.reason and "counts as out" in lapsed.reason
    text = why.render()
    assert "? recency > 180" in text and "unknown" in text and "recency = missing" in text
    life = next(g for g in why.segmentations if g.name == "lifecycle")
    new = life.tried[0]
    assert new.name == "new" and new.value is None  # no first order: unknown, so the next case is tried


def test_one_segment_alone_gives_the_same_answer(shop):
    """Without ranking definitions the query is restricted to the member's rows: same values."""
    model, con, rows = shop
    for key in pick(rows, model)[:6]:
        whole = model.explain(key, connection=con, as_of=DEMO_AS_OF)
        alone = model.explain(key, connection=con, as_of=DEMO_AS_OF, segments=["vip", "lifecycle"])
        assert [(s.name, s.member) for s in alone.segments] == [("vip", rows[key]["vip"])]
        assert [(g.name, g.case) for g in alone.segmentations] == [("lifecycle", rows[key]["lifecycle"])]
        assert [(k, v) for k, v in alone.features] == [(k, v) for k, v in whole.features]


def test_members_outside_the_population(shop):
    model, con, rows = shop
    late = con.execute("SELECT customer_id, signup_date FROM customers WHERE signup_date > ? ORDER BY 1 LIMIT 1",
                       [DEMO_AS_OF]).fetchone()
    assert late is not None and late[0] not in rows
    why = model.explain(late[0], connection=con, as_of=DEMO_AS_OF)
    assert not why.in_population
    assert f"signup_date is {late[1].isoformat()}, after as_of" in why.population_reason
    nobody = model.explain(10**9, connection=con, as_of=DEMO_AS_OF)
    assert nobody.population_reason == "no member of `customers` has customer_id = 1000000000"


def test_cli_text_and_json(shop, demo_db):
    model, con, rows = shop
    key = next(k for k in sorted(rows) if rows[k]["vip"])
    runner = CliRunner()
    result = runner.invoke(app, ["explain", str(RETAIL), "--member", str(key), "--db", str(demo_db),
                                 "--as-of", "2026-06-30", "--segment", "vip"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert 'segment vip "Top spenders": IN' in out
    assert "├─ ✓ revenue >= vip_spend" in out and "└─ ✓ orders_90d >= 2" in out
    assert "→ in `vip`" in out
    result = runner.invoke(app, ["explain", str(RETAIL), "--member", str(key), "--db", str(demo_db),
                                 "--as-of", "2026-06-30", "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["segments"]["vip"]["member"] is True
    assert doc["segments"]["vip"]["condition"]["value"] == "true"
    assert doc["segmentations"]["lifecycle"]["case"] == rows[key]["lifecycle"]
    bad = runner.invoke(app, ["explain", str(RETAIL), "--member", "1", "--db", str(demo_db), "--segment", "vipp"])
    assert bad.exit_code == 2 and "did you mean `vip`?" in bad.stderr
