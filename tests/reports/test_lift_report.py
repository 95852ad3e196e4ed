"""`report lift of HOLDOUT measure …`: a holdout's arms compared on an outcome after as_of, on every engine.

The demo shop (3,000 customers) is loaded into DuckDB, SQLite, PostgreSQL,
MariaDB, Spark and ClickHouse (chdb). The oracle is computed apart from the
report: the arms from `segdsl run` at as_of, each member's outcome by
DuckDB's SQL over the raw orders (the days after as_of up to the window's
end), and the tests by statsmodels (two-proportion z-test, Wald and
log-ratio intervals) and scipy (Welch's t-test and its interval) on those
member rows.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import segdsl
from segdsl import engines
from segdsl.engines.execution import members as run_members
from segdsl.lang.diagnostics import SegError
from tests.support.history_places import Place, demo_tables

AS_OF = dt.date(2026, 3, 31)
MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

feature orders_90d  = count(orders in last 90 days)
feature orders_prev = count(orders in previous 90 days)
segment win_back    = orders_prev >= 1 or orders_90d >= 3
holdout win_back_test = win_back split 60% campaign, 40% holdout seed "lift-test"

report bought = lift of win_back_test measure exists(orders in next 30 days), sum(orders.amount in next 30 days),
    count(orders where amount > 20 in next 2 weeks)
"""
ENGINES = ("duckdb", "sqlite", "postgres", "mysql", "spark", "clickhouse")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lift_model") / "lift.seg"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def oracle(demo_db: Path, model_file: Path) -> dict[str, dict[str, list[float]]]:
    """Per measure and arm, every member's outcome: arms from `segdsl run`, outcomes from the raw orders."""
    model = segdsl.load(model_file)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        table = run_members(model, engine, AS_OF, outputs=["win_back_test"]).read_all()
    arms = pa.table({"k": table.column("customer_id"), "arm": table.column("win_back_test")})
    con = duckdb.connect(str(demo_db), read_only=True)
    con.register("arms", arms)
    d0, d30, d14 = AS_OF, AS_OF + dt.timedelta(days=30), AS_OF + dt.timedelta(days=14)
    rows = con.sql(f"""
        SELECT arm,
               count(o.customer_id) FILTER (WHERE o.day > DATE '{d0}' AND o.day <= DATE '{d30}') > 0,
               coalesce(sum(o.amount) FILTER (WHERE o.day > DATE '{d0}' AND o.day <= DATE '{d30}'), 0),
               count(o.customer_id) FILTER (WHERE o.day > DATE '{d0}' AND o.day <= DATE '{d14}' AND o.amount > 20)
        FROM arms LEFT JOIN (SELECT customer_id, amount, CAST(ordered_at AS DATE) AS day FROM orders) o
             ON o.customer_id = arms.k
        WHERE arm IS NOT NULL GROUP BY arms.k, arm""").fetchall()
    con.close()
    out: dict[str, dict[str, list[float]]] = {"bought": {}, "amount": {}, "count": {}}
    for arm, bought, amount, count in rows:
        out["bought"].setdefault(arm, []).append(float(bought))
        out["amount"].setdefault(arm, []).append(float(amount))
        out["count"].setdefault(arm, []).append(float(count))
    return out


def sqlite_copy(demo_db: Path, folder: Path) -> Path:
    """The shop as SQLite keeps it: dates and timestamps as ISO text."""
    path = folder / "shop.db"
    con = sqlite3.connect(path)
    for name, table in demo_tables(demo_db).items():
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f'CREATE TABLE "{name}" ({cols})')

        def text(v: object) -> object:
            if isinstance(v, dt.datetime):
                return v.isoformat(sep=" ")
            return v.isoformat() if isinstance(v, dt.date) else v

        con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in table.column_names)})',
                        [tuple(text(v) for v in r.values()) for r in table.to_pylist()])
    con.commit()
    con.close()
    return path


@pytest.fixture(scope="module")
def places(request: pytest.FixtureRequest, tmp_path_factory, demo_db: Path, model_file: Path
           ) -> Iterator[dict[str, Place]]:
    made: dict[str, Place] = {}
    yield made
    for p in made.values():
        p.cleanup()


def lift_on(name: str, places: dict[str, Place], request: pytest.FixtureRequest, tmp_path_factory, demo_db: Path,
            model_file: Path) -> dict:
    model = segdsl.load(model_file)
    if name == "duckdb":
        results = model.report(db=demo_db, as_of=AS_OF)
    elif name == "sqlite":
        results = model.report(target=f"sqlite:///{sqlite_copy(demo_db, tmp_path_factory.mktemp('lift_sqlite'))}",
                               as_of=AS_OF)
    else:
        if name not in places:
            places[name] = Place(name, tmp_path_factory.mktemp(f"lift_{name}"), demo_db, model_file, request)
        place = places[name]
        if name in ("spark", "clickhouse"):  # a session of the test process, the shop's tables bound
            results = model.report(connection=place.spark or place.chdb, bindings=place.bindings, as_of=AS_OF)
        else:
            results = model.report(target=place.url, as_of=AS_OF)
    (result,) = results
    assert result.kind == "lift"
    return result.stats["measures"]


@pytest.mark.parametrize("name", ENGINES)
def test_lift_equals_scipy_and_statsmodels_on_the_member_rows(name: str, places, request, tmp_path_factory,
                                                               demo_db: Path, model_file: Path, oracle) -> None:
    measures = lift_on(name, places, request, tmp_path_factory, demo_db, model_file)
    bought, amount, count = measures.values()
    t, c = oracle["bought"]["campaign"], oracle["bought"]["holdout"]
    assert len(t) > 200 and len(c) > 150  # real arms

    # yes/no: per-arm converters, the pooled z-test, the Wald interval, the log-ratio interval
    assert bought["outcome"] == "yes/no" and bought["control"] == "holdout"
    arms = {a["name"]: a for a in bought["arms"]}
    assert (arms["campaign"]["members"], arms["holdout"]["members"]) == (len(t), len(c))
    xt, xc = int(sum(t)), int(sum(c))
    assert (arms["campaign"]["converters"], arms["holdout"]["converters"]) == (xt, xc)
    assert 10 < xc < len(c) - 10  # conversions happen in the window
    (comp,) = bought["comparisons"]
    z, p = proportions_ztest([xt, xc], [len(t), len(c)])
    assert comp["statistic"] == pytest.approx(z, rel=1e-9) and comp["p_value"] == pytest.approx(p, rel=1e-9)
    low, high = confint_proportions_2indep(xt, len(t), xc, len(c), method="wald", compare="diff")
    assert (comp["ci_low"], comp["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    low, high = confint_proportions_2indep(xt, len(t), xc, len(c), method="log", compare="ratio")
    assert (comp["relative_ci_low"], comp["relative_ci_high"]) == pytest.approx((low - 1, high - 1), rel=1e-9)
    assert comp["absolute_lift"] == pytest.approx(xt / len(t) - xc / len(c), rel=1e-12)

    # values: Welch's t-test and its interval, for revenue and for a count with a condition
    for got, key in ((amount, "amount"), (count, "count")):
        vt, vc = oracle[key]["campaign"], oracle[key]["holdout"]
        assert got["outcome"] == "value"
        arms = {a["name"]: a for a in got["arms"]}
        assert arms["campaign"]["mean"] == pytest.approx(sum(vt) / len(vt), rel=1e-9)
        assert arms["holdout"]["sd"] == pytest.approx(stats.tstd(vc), rel=1e-7)
        (comp,) = got["comparisons"]
        welch = stats.ttest_ind(vt, vc, equal_var=False)
        assert comp["statistic"] == pytest.approx(welch.statistic, rel=1e-7)
        assert comp["p_value"] == pytest.approx(welch.pvalue, rel=1e-6)
        assert comp["df"] == pytest.approx(welch.df, rel=1e-7)
        ci = welch.confidence_interval(0.95)
        assert (comp["ci_low"], comp["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-7)
        assert sum(vt) > 0


def test_an_outcome_window_not_over_is_refused(demo_db: Path, model_file: Path) -> None:
    model = segdsl.load(model_file)
    today = dt.date.today()
    with pytest.raises(SegError) as exc:
        model.report(db=demo_db, as_of=today - dt.timedelta(days=10))
    d = exc.value.diagnostics[0]
    assert d.code == "SEG327" and d.span is not None and d.span.line == MODEL.split("\n").index(
        next(x for x in MODEL.split("\n") if x.startswith("report"))) + 1
    assert d.hint == "give an --as-of at least 31 days before today"
    assert (today + dt.timedelta(days=20)).isoformat() in d.message


def test_pinned_outcome_is_not_the_later_membership(demo_db: Path, model_file: Path, oracle) -> None:
    """The arms are those at as_of, not at the window's end: the same holdout a month later differs."""
    model = segdsl.load(model_file)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        later = run_members(model, engine, AS_OF + dt.timedelta(days=30), outputs=["win_back_test"]).read_all()
    later_campaign = sum(1 for v in later.column("win_back_test").to_pylist() if v == "campaign")
    assert later_campaign != len(oracle["bought"]["campaign"])
    assert not math.isnan(sum(oracle["amount"]["campaign"]))
