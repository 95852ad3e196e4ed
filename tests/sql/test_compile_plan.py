"""The plan of the membership query, and what the compiler does for speed, and that it means the same.

The plan itself (segdsl.sql.planner): the stage of each aggregate, the layer
of each definition, the column names, the windows one layer shares with a
later one, and what the requested outputs leave out.

The rewrites checked here: conditions shared by every aggregate of a source
filter rows before they are grouped; a window on a timestamp compares the
raw timestamp (no cast per row) where the dialect reads both the same way;
on DuckDB a conditional count is COUNT_IF and other conditional aggregates
use CASE; a quantile and an RFM score over the same value share one window;
the SQL text is sqlglot's, also where rewrites that cannot apply are skipped.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

import segdsl
from segdsl.semantic import model as m
from segdsl.semantic.model import T
from segdsl.sql import compile as c
from segdsl.sql.options import Options
from segdsl.sql.planner import Computed, plan
from segdsl import engines
from segdsl.engines.execution import compile_for

AS_OF = dt.date(2026, 6, 30)

SOURCES = """
entity customers from "customers" key customer_id
events orders from "orders" by customer_id at ordered_at
events web from "web_events" by customer_id at event_time
"""


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES (1), (2), (3), (4)) t(customer_id)")
    con.execute("""CREATE TABLE orders AS SELECT * FROM (VALUES
        (1, TIMESTAMP '2026-06-30 23:59:59', 10.0, 'web'),   -- the last second of the as_of day: counts
        (1, TIMESTAMP '2026-07-01 00:00:00', 20.0, 'web'),   -- the next day: never counts
        (2, TIMESTAMP '2026-04-02 00:00:00', 30.0, 'app'),   -- first instant of the 90-day window
        (2, TIMESTAMP '2026-04-01 23:59:59', 40.0, 'web'),   -- last instant before it
        (3, TIMESTAMP '2026-06-24 00:00:00', 50.0, 'store')  -- first instant of the 7-day window
        ) t(customer_id, ordered_at, amount, channel)""")
    con.execute("""CREATE TABLE web_events AS SELECT * FROM (VALUES
        (1, TIMESTAMP '2026-06-23 23:59:59', 'add_to_cart'),
        (2, TIMESTAMP '2026-06-24 00:00:00', 'add_to_cart'),
        (3, TIMESTAMP '2026-06-30 12:00:00', 'view'),
        (4, TIMESTAMP '2026-07-01 00:00:00', 'add_to_cart')
        ) t(customer_id, event_time, type)""")
    return con


def _typed_sql(text: str, con: duckdb.DuckDBPyConnection) -> str:
    model = segdsl.load(text)
    return compile_for(model, engines.open_engine(con, model.root), AS_OF, {}).sql


def _rows(text: str, con: duckdb.DuckDBPyConnection) -> dict:
    rel = segdsl.load(text).run(connection=con, as_of=AS_OF)
    cols = rel.columns
    return {row[0]: dict(zip(cols[1:], row[1:])) for row in rel.fetchall()}


def test_shared_conditions_filter_rows_before_grouping() -> None:
    model = SOURCES + """
feature carts_7d = count(web where type = "add_to_cart" in last 7 days)
feature views_7d = count(web where type = "view" in last 7 days)
"""
    sql = segdsl.load(model).sql(as_of=AS_OF, pretty=False)
    web = sql.split('"agg_0_web" AS (')[1].split('), "layer_0"')[0]
    where = web.split(" WHERE ", 1)[1]
    # The window is common to both: it filters the rows; each aggregate keeps only its own type test.
    assert "2026-06-23" in where and "'add_to_cart'" in where and "'view'" in where
    select = web.split(" FROM ", 1)[0]
    assert "2026-06-23" not in select
    assert select.count("COUNT_IF(") == 2


def test_an_unfiltered_aggregate_keeps_every_row() -> None:
    model = SOURCES + """
feature web_orders = count(orders where channel = "web")
feature revenue = sum(orders.amount)
"""
    sql = segdsl.load(model).sql(as_of=AS_OF, pretty=False)
    orders = sql.split('"agg_0_orders" AS (')[1].split('), "layer_0"')[0]
    assert "'web'" not in orders.split(" WHERE ", 1)[1]


def test_windows_on_timestamps_compare_the_raw_timestamp() -> None:
    con = _connection()
    sql = _typed_sql(SOURCES + "feature orders_90d = count(orders in last 90 days)", con)
    assert "CAST(e.\"ordered_at\" AS DATE)" not in sql
    assert re.search(r"e\.\"ordered_at\" >= CAST\('2026-04-02 00:00:00' AS TIMESTAMP\)", sql)
    assert re.search(r"e\.\"ordered_at\" < CAST\('2026-07-01 00:00:00' AS TIMESTAMP\)", sql)
    # Without a schema the type is unknown: the date cast stays.
    assert "CAST(e.\"ordered_at\" AS DATE)" in segdsl.load(
        SOURCES + "feature orders_90d = count(orders in last 90 days)").sql(as_of=AS_OF)


def test_raw_timestamp_windows_keep_day_boundaries() -> None:
    con = _connection()
    rows = _rows(SOURCES + """
feature orders_90d = count(orders in last 90 days)
feature orders_7d = count(orders in last 7 days)
feature orders_all = count(orders)
feature old = count(orders before as_of - 89 days)
segment carts = exists(web where type = "add_to_cart" in last 7 days)
""", con)
    assert rows[1]["orders_all"] == 1 and rows[1]["orders_90d"] == 1 and rows[1]["orders_7d"] == 1
    assert rows[2]["orders_90d"] == 1 and rows[2]["orders_all"] == 2 and rows[2]["old"] == 1
    assert rows[3]["orders_7d"] == 1
    assert [rows[k]["carts"] for k in (1, 2, 3, 4)] == [False, True, False, False]


def test_a_quantile_and_an_rfm_score_share_one_window() -> None:
    model = SOURCES + """
feature revenue = sum(orders.amount)
feature order_count = count(orders)
feature last_order = max(orders.ordered_at)
feature recency = days_between(last_order, as_of)
segmentation tier = quantile(revenue, 5)
segmentation rfm = rfm(recency: recency, frequency: order_count, monetary: revenue)
"""
    sql = segdsl.load(model).sql(as_of=AS_OF)
    # tier is computed a layer before the scores: the monetary score reads it instead of sorting again.
    assert sql.count("NTILE(") == 3
    assert 'p."tier" AS "rfm_m"' in sql
    con = _connection()
    rows = _rows(model, con)
    assert all(v["tier"] == v["rfm_m"] for v in rows.values())


def test_duckdb_merges_equal_windows_of_one_layer() -> None:
    # When both are computed in the same layer the SQL names the window twice; DuckDB sorts once.
    model = SOURCES + """
feature revenue = sum(orders.amount)
feature order_count = count(orders)
feature recency = days_between(max(orders.ordered_at), as_of)
segmentation tier = quantile(revenue, 5)
segmentation rfm = rfm(recency: recency, frequency: order_count, monetary: revenue)
"""
    sql = segdsl.load(model).sql(as_of=AS_OF)
    plan = "\n".join(row[1] for row in _connection().execute("EXPLAIN " + sql).fetchall())
    assert len({line.strip(" │") for line in plan.splitlines() if "ntile(" in line}) == 3


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake", "spark", "tsql", "bigquery", "clickhouse"])
def test_printing_gives_sqlglot_text(dialect: str) -> None:
    # Snowflake's SELECT rewrites are skipped for queries without the constructs they rewrite.
    model = segdsl.load(SOURCES + """
feature revenue = sum(orders.amount where channel = "web")
feature n = count(orders in last 30 days)
segmentation tier = quantile(revenue, 4)
segment big = revenue > 100 and n >= 2
""")
    opts = Options(dialect, AS_OF, {})
    for pretty in (True, False):
        whole = c.finish(c.membership(model.ir, opts), dialect).sql(dialect=dialect, pretty=pretty)
        assert c.to_sql(c.membership(model.ir, opts), dialect, pretty=pretty) == whole


# ── the plan itself ─────────────────────────────────────────────────────────

STAGED = SOURCES + """
feature first_order = min(orders.ordered_at)
feature revenue = sum(orders.amount)
feature later = sum(orders.amount where ordered_at > first_order)
feature web_count = count(web)
segment big = later > 100 and web_count > 0
"""


def _plan(text: str, outputs: list[str] | None = None):
    ir = segdsl.load(text).ir
    return ir, plan(ir, list(ir.order) if outputs is None else outputs)


def test_aggregates_that_read_member_values_are_a_later_stage() -> None:
    ir, p = _plan(STAGED)
    by_func = {(a.source, a.func, a.filter is not None): stage for a, stage in p.stages.items()}
    # `later` filters on first_order, computed in layer 1: its aggregation joins layer 1, in stage 2
    assert by_func == {("orders", "min", False): 0, ("orders", "sum", False): 0, ("web", "count", False): 0,
                       ("orders", "sum", True): 2}
    assert [p.reads_members(a) for a in p.stages] == [stage == 2 for stage in p.stages.values()]
    # a layer joins the aggregations of its stage (one per source); what reads them comes a layer later
    assert [{s: len(aggs) for s, aggs in layer.aggregations.items()} for layer in p.layers] == [
        {"orders": 2, "web": 1}, {}, {"orders": 1}, {}, {}]
    assert p.levels == {"first_order": 1, "revenue": 1, "later": 3, "web_count": 1, "big": 4}
    assert [[c.name for c in layer.computed] for layer in p.layers] == [
        [], ["first_order", "revenue", "web_count"], [], ["later"], ["big"]]


def test_an_rfm_segmentation_takes_two_layers_and_names_its_scores() -> None:
    ir, p = _plan(SOURCES + """
feature revenue = sum(orders.amount)
feature order_count = count(orders)
feature recency = days_between(max(orders.ordered_at), as_of)
segmentation rfm = rfm(recency: recency, frequency: order_count, monetary: revenue)
""")
    assert p.levels["rfm"] == p.levels["recency"] + 2
    assert Computed("rfm", scores=True) in p.layers[p.levels["rfm"] - 1].computed
    assert Computed("rfm") in p.layers[p.levels["rfm"]].computed
    assert [p.columns.score("rfm", s) for s in "rfm"] == ["rfm_r", "rfm_f", "rfm_m"]


def test_column_names_never_clash() -> None:
    ir, p = _plan(SOURCES + """
feature _orders_1 = 1
feature _key = 2
feature n = count(orders)
""")
    assert p.columns.definition("_orders_1") == "_orders_1" and p.columns.definition("_key") == "_key_2"
    (a,) = p.stages
    assert p.columns.aggregate(a) == "_orders_1_2"
    assert p.entity_columns == ["customer_id"] and p.columns.entity("customer_id") == "customer_id"


def test_a_window_is_shared_only_with_later_layers() -> None:
    ir, p = _plan(SOURCES + """
feature revenue = sum(orders.amount)
feature order_count = count(orders)
feature last_order = max(orders.ordered_at)
feature recency = days_between(last_order, as_of)
segmentation tier = quantile(revenue, 5)
segmentation rfm = rfm(recency: recency, frequency: order_count, monetary: revenue)
""")
    first = p.windows[(m.FeatureRef("revenue", T.NUMBER), 5, False)]
    assert first.column == "tier" and first.layer == p.levels["tier"] < p.levels["rfm"] - 1
    assert p.shared_window((m.FeatureRef("revenue", T.NUMBER), 5, False), p.levels["rfm"] - 1) == "tier"
    assert p.shared_window((m.FeatureRef("revenue", T.NUMBER), 5, False), p.levels["tier"]) is None
    # the recency score sorts descending: a window of its own
    assert p.shared_window((m.FeatureRef("recency", T.NUMBER), 5, True), p.levels["rfm"]) == "rfm_r"


def test_outputs_prune_what_they_do_not_need() -> None:
    ir, p = _plan(STAGED, ["web_count"])
    assert p.outputs == ["web_count"] and p.needed == {"web_count"}
    assert [a.source for a in p.stages] == ["web"] and len(p.layers) == 2
    assert p.entity_columns == ["customer_id"]
