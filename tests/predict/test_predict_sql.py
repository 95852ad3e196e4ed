"""The predictions in SQL: lifetimes' values on DuckDB, every dialect, and the six verified engines.

The engine test runs one query of literal rows with edge cases (x = 0, tₓ = 0,
T tiny, x up to 1,000, P(alive) underflowing, z beyond the ₂F₁ domain) on
DuckDB, SQLite, PostgreSQL, MariaDB, Spark and ClickHouse and compares every
value with the numpy reference (NULL exactly where the domain ends).
"""

from __future__ import annotations

import math
import sqlite3

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import sqlglot
from tests.support.engines import VERIFIED_ENGINES
from tests.support.predict_oracles import CLV, DATASETS, HORIZONS, WEEKS_PER_MONTH, Params, Spend, dataset, relative_error
from sqlglot import exp

from segdsl.sql.dialects import DIALECTS
from segdsl.predict import formulas as F
from segdsl.predict import hyp2f1 as hf
from segdsl.predict import sql as S

MEMBER = S.Member.columns()  # "x", "tx", "T", "m": DOUBLE columns below


def predictions(p: Params, s: Spend, long: bool = True) -> dict[str, exp.Expression]:
    """Every lifetimes column; the 12-step discounted value (130 kB of SQL, seconds for DuckDB to plan)
    only when `long`."""
    out = {"p_alive": S.p_alive(p, MEMBER), "spend": S.expected_spend(s, MEMBER)}
    for t in HORIZONS:
        out[f"purchases_{t:g}"] = S.expected_purchases(p, MEMBER, t)
    for months, rate in CLV:
        if long or months * (rate > 0) < 12:
            out[f"clv_{months}_{rate:g}"] = S.expected_value(p, s, MEMBER, months, WEEKS_PER_MONTH, rate)
    return out


@pytest.mark.parametrize("name", DATASETS)
def test_sql_predictions_equal_lifetimes_on_duckdb(name: str) -> None:
    """Every customer of CDNOW and the generated sets: lifetimes' values to 1e-8 relative."""
    d = dataset(name)
    con = duckdb.connect()
    con.register("summary", pa.table({"x": d.x, "tx": d.tx, "T": d.T, "m": d.m}))
    exprs = predictions(d.params, d.spend, long=name in ("cdnow", "gen_d"))
    select = exp.select(*[e.as_(k) for k, e in exprs.items()]).from_("summary")
    rows = con.execute(select.sql("duckdb")).fetchall()
    for i, column in enumerate(exprs):
        got = np.array([r[i] for r in rows], dtype=float)
        assert not np.isnan(got).any(), column
        assert np.max(relative_error(got, d.predictions[column])) < 1e-8, column


def test_the_text_compiles_for_every_dialect_and_parses_back() -> None:
    d = dataset("cdnow")
    p, s = d.params, d.spend
    exprs = {"p_alive": S.p_alive(p, MEMBER), "spend": S.expected_spend(s, MEMBER),
             "purchases": S.expected_purchases(p, MEMBER, 52.0),
             "value": S.expected_value(p, s, MEMBER, 2, WEEKS_PER_MONTH, 0.01)}
    query = exp.select(*[e.as_(k) for k, e in exprs.items()]).from_(
        exp.select("*").from_("summary").subquery("s"))
    for dialect in DIALECTS:
        text = query.sql(dialect)
        back = sqlglot.parse_one(text, read=dialect)
        assert back.sql(dialect) == text, dialect
        functions = {type(f).__name__ for f in back.find_all(exp.Func)} - {"Case", "If", "Cast"}
        assert functions <= {"Ln", "Exp", "Pow", "And"}, (dialect, functions)
        assert not list(back.find_all(exp.Anonymous)), dialect


def test_sizes() -> None:
    """Sizes of the CDNOW predictions (column inputs): what every membership query carries."""
    d = dataset("cdnow")
    p, s = d.params, d.spend
    sizes = {
        "p_alive": S.size(S.p_alive(p, MEMBER)),
        "spend": S.size(S.expected_spend(s, MEMBER)),
        "purchases": S.size(S.expected_purchases(p, MEMBER, 52.0)),
        "purchases_zy": S.size(S.expected_purchases(p, MEMBER, 52.0, zy=(exp.column("z"), exp.column("y")))),
        "value": S.size(S.expected_value(p, s, MEMBER, 12, WEEKS_PER_MONTH)),
        "value_discounted": S.size(S.expected_value(p, s, MEMBER, 12, WEEKS_PER_MONTH, 0.01)),
    }
    assert sizes["p_alive"][1] < 400 and sizes["spend"][1] < 200
    assert sizes["purchases"][1] < 12_000 and sizes["purchases_zy"][1] < 8_000
    assert sizes["value_discounted"][1] < 13 * sizes["purchases"][1]


def test_value_by_step_weights_equals_the_inline_sum() -> None:
    """value_steps: Σ weight · expected_purchases(horizon) over a table of steps, as a planner would
    join it, gives the discounted value."""
    d = dataset("gen_a")
    con = duckdb.connect()
    con.register("summary", pa.table({"id": np.arange(len(d.x)), "x": d.x, "tx": d.tx, "T": d.T, "m": d.m}))
    steps = S.value_steps(6, WEEKS_PER_MONTH, 0.05)
    con.register("steps", pa.table({"h": [h for h, _ in steps], "w": [w for _, w in steps]}))
    e = S.expected_purchases(d.params, MEMBER, exp.column("h"))
    spend = S.expected_spend(d.spend, MEMBER)
    rows = con.execute(f"SELECT id, ANY_VALUE({spend.sql('duckdb')}) * SUM(w * {e.sql('duckdb')}) "
                       "FROM summary CROSS JOIN steps GROUP BY id ORDER BY id").fetchall()
    want = F.expected_value(d.params, d.spend, d.x, d.tx, d.T, d.m, 6, WEEKS_PER_MONTH, 0.05)
    assert np.max(relative_error(np.array([r[1] for r in rows]), want)) < 1e-9


def test_zy_columns_give_the_same_numbers() -> None:
    d = dataset("gen_a")
    con = duckdb.connect()
    con.register("summary", pa.table({"x": d.x, "tx": d.tx, "T": d.T, "m": d.m}))
    z, y = S.horizon_zy(d.params, MEMBER, 52.0)
    inner = exp.select("*", z.as_("z"), y.as_("y")).from_("summary").subquery("s")
    a = S.expected_purchases(d.params, MEMBER, 52.0)
    b = S.expected_purchases(d.params, MEMBER, 52.0, zy=(exp.column("z"), exp.column("y")))
    rows = con.execute(exp.select(a.as_("a"), b.as_("b")).from_(inner).sql("duckdb")).fetchall()
    assert all(r[0] == r[1] for r in rows)


def test_bad_arguments_are_value_errors() -> None:
    p = dataset("cdnow").params
    with pytest.raises(ValueError, match="positive number of units"):
        S.expected_purchases(p, MEMBER, 0.0)
    with pytest.raises(ValueError, match="no finite mean spend"):
        S.expected_spend(Spend(1.0, 0.9, 1.0), MEMBER)
    with pytest.raises(ValueError, match="removable singularity"):
        S.expected_purchases(Params(0.5, 3.0, 1.0, 2.0), MEMBER, 10.0)
    with pytest.raises(ValueError, match="steps ≥ 1"):
        S.expected_value(p, Spend(6.25, 3.74, 15.44), MEMBER, 0, 4.345)


def test_domain_in_members_terms() -> None:
    """expected_purchases_domain: which members get NULL, as a minimum age T per frequency range."""
    p = Params(0.243, 4.414, 0.793, 2.426)
    assert S.expected_purchases_domain(p, 52.0) == []  # z ≤ 52 / (4.414 + 52) < 0.93 for everyone
    rows = S.expected_purchases_domain(p, 520.0)
    plan = hf.plan(p.r, p.a, p.b)
    x_from, x_to, t_min = rows[0]
    z_max = plan.z_max(x_from)
    assert (x_from, x_to) == (10, 11) and t_min == pytest.approx(520 * (1 - z_max) / z_max - 4.414)
    # just below T_min: NULL; at T_min: a number
    con = duckdb.connect()
    e = S.expected_purchases(p, S.Member(exp.column("x"), exp.column("tx"), exp.column("T")), 520.0).sql("duckdb")
    below, at = con.execute(f"SELECT (SELECT {e} FROM (SELECT 10e0 AS x, 1e0 AS tx, {t_min * 0.999} AS T)), "
                            f"(SELECT {e} FROM (SELECT 10e0 AS x, 1e0 AS tx, {t_min * 1.001} AS T))").fetchone()
    assert below is None and at is not None


def test_sqlite_math_functions() -> None:
    """This SQLite has LN, EXP and POWER built in (nothing to register); the registered replacements
    behave like them where the SQL can reach them."""
    con = sqlite3.connect(":memory:")
    assert S.sqlite_math_functions(con) == []
    builtin = con.execute("SELECT ln(0.5), exp(-700.5), power(0.25, 3), ln(0), exp(1000)").fetchone()
    assert builtin[:3] == pytest.approx((S._ln(0.5), S._exp(-700.5), S._power(0.25, 3)), rel=1e-15)
    assert builtin[3] is None and S._ln(0.0) is None
    assert S._exp(1000.0) is None and S._power(None, 2.0) is None


# ── the six engines ──────────────────────────────────────────────────────────

EDGE = [  # (x, tx, T, m)
    (0, 0.0, 38.86, None),  # one-time buyer
    (0, 0.0, 0.0, None),  # first purchase on as_of: T = 0
    (0, 0.0, 1e-3, None),  # T tiny
    (1, 0.5, 0.5, 10.0),  # recency = T
    (2, 30.43, 38.86, 22.35),  # CDNOW customer 1
    (5, 10.0, 12.0, 40.0),
    (10, 2.0, 2.0, 15.0),  # x > x_B with a young age: z beyond the series for the long horizon
    (30, 50.0, 52.0, 8.5),
    (200, 300.0, 310.0, 55.0),
    (1000, 1500.0, 1500.0, 12.25),  # x = 1,000
    (3, 0.1, 200.0, 30.0),  # long gone: P(alive) small
    (400, 1.0, 2000.0, 5.0),  # L > 600: P(alive) is 0
]
ENGINE_PARAMS = (Params(0.243, 4.414, 0.793, 2.426), Spend(6.25, 3.74, 15.44))


def _engine_query(dialect: str) -> tuple[exp.Expression, list[str]]:
    p, s = ENGINE_PARAMS
    exprs = {"p_alive": S.p_alive(p, MEMBER), "spend": S.expected_spend(s, MEMBER),
             "purchases_52": S.expected_purchases(p, MEMBER, 52.0),
             "purchases_520": S.expected_purchases(p, MEMBER, 520.0),
             "value_12": S.expected_value(p, s, MEMBER, 12, WEEKS_PER_MONTH),
             "value_3_disc": S.expected_value(p, s, MEMBER, 3, WEEKS_PER_MONTH, 0.1)}
    double = exp.DataType.build("DOUBLE")

    def row(i: int, values: tuple) -> exp.Select:
        cols = [exp.Literal.number(i).as_("id")]
        for name, v in zip(("x", "tx", "T", "m"), values):
            value = exp.Null() if v is None else S.lit(float(v))
            cols.append(exp.cast(value, double).as_(exp.to_identifier(name, quoted=True)))
        return exp.select(*cols)

    rows: exp.Expression = row(0, EDGE[0])
    for i, values in enumerate(EDGE[1:], 1):
        rows = exp.union(rows, row(i, values), distinct=False)
    query = exp.select(exp.column("id"), *[e.as_(k) for k, e in exprs.items()]).from_(rows.subquery("s")) \
        .order_by(exp.column("id"))
    return query, list(exprs)


def _expected(columns: list[str]) -> dict[str, list[float | None]]:
    p, s = ENGINE_PARAMS
    x, tx, T = (np.array([r[i] for r in EDGE], dtype=float) for i in range(3))
    m = np.array([np.nan if r[3] is None else r[3] for r in EDGE])
    plan = hf.plan(p.r, p.a, p.b)

    def inside(t: float) -> np.ndarray:
        return plan.covers(x, t / (p.alpha + T + t))

    out = {"p_alive": F.p_alive(p, x, tx, T), "spend": F.expected_spend(s, x, m)}
    for t in (52.0, 520.0):
        out[f"purchases_{t:g}"] = np.where(inside(t), F.expected_purchases(p, t, x, tx, T), np.nan)
    out["value_12"] = np.where(inside(12 * WEEKS_PER_MONTH),
                               F.expected_value(p, s, x, tx, T, m, 12, WEEKS_PER_MONTH), np.nan)
    steps_in = np.all([inside(i * WEEKS_PER_MONTH) for i in (1, 2, 3)], axis=0)
    out["value_3_disc"] = np.where(steps_in, F.expected_value(p, s, x, tx, T, m, 3, WEEKS_PER_MONTH, 0.1), np.nan)
    # below 1e-260 the SQL returns 0 (no engine may underflow); numpy gives the tiny value
    return {k: [None if math.isnan(v) else (0.0 if abs(v) < 1e-260 else float(v)) for v in out[k]]
            for k in columns}


def test_edge_cases_reach_every_branch() -> None:
    """The edge rows exercise NULL (beyond the domain), P(alive) = 0 and both regions of the ₂F₁."""
    expected = _expected(["p_alive", "purchases_520"])
    assert 0.0 in expected["p_alive"] and None in expected["purchases_520"]
    p = ENGINE_PARAMS[0]
    plan = hf.plan(p.r, p.a, p.b)
    z = np.array([52.0 / (p.alpha + r[2] + 52.0) for r in EDGE])
    x = np.array([r[0] for r in EDGE], dtype=float)
    small = x <= plan.x_b
    assert np.any(small & (z > np.array([plan.z_switch[int(v)] if v <= plan.x_b else 2 for v in x])))
    assert np.any(small & (z <= 0.5))


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_predictions_on_every_engine(engine_name: str, engine) -> None:
    query, columns = _engine_query(engine.dialect)
    target = engine.target()
    try:
        _, rows = target.fetch(query.sql(engine.dialect))
    finally:
        target.close()
    expected = _expected(columns)
    assert [int(r[0]) for r in rows] == list(range(len(EDGE)))
    for j, column in enumerate(columns, 1):
        for i, r in enumerate(rows):
            got, want = r[j], expected[column][i]
            if want is None:
                assert got is None, (engine_name, column, EDGE[i])
            else:
                assert got is not None and float(got) == pytest.approx(want, rel=1e-9, abs=1e-300), \
                    (engine_name, column, EDGE[i])
