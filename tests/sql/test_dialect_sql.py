"""Golden SQL for every dialect, one fragment per construct, and SQL that parses back.

Generated-tier dialects (Snowflake, BigQuery, Redshift, Databricks, Trino,
T-SQL, Oracle) are not executed here; what they get is reviewed by hand in
tests/golden/sql/dialects/<dialect>.sql: each construct of the language is
compiled inside a full query (as_of = the engine's current date, so date
arithmetic runs on the engine) and the SQL it lowers to is shown on one line.
Verified dialects have the same file, for comparison.

Every full query, and every example model, must also parse back with
sqlglot in its dialect. Set SEGDSL_UPDATE_GOLDEN=1 to rewrite the files after
a deliberate change, then review the diff.
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

import segdsl
from segdsl.sql import dialects as dl
from segdsl.sql.compile import finish, membership
from segdsl.sql.options import Options
from segdsl.semantic.model import T
from tests.support.golden import check_golden
from tests.support.paths import GOLDEN, ROOT

GOLDEN = GOLDEN / "sql" / "dialects"

CONSTRUCTS = """
param label: text = "web"
param pct: text = "50\\%"
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
feature c_as_of = as_of
feature c_date_literal = @2024-02-29
feature c_timestamp_literal = @2024-02-29T23:59:30
feature c_shift_days = as_of - 30 days
feature c_shift_months = as_of - 1 month
feature c_shift_timestamp = last_login + 1 month
feature c_days_between = days_between(signup_date, as_of)
feature c_years_between = years_between(birth_date, as_of)
feature c_divide = income / score
feature c_negate = -income
segment c_two_valued = income > 5
segment c_bool_column = is_b2b
segment c_not = not c_two_valued
segment c_and_or = (income > 5 or score < 3) and is_b2b
segment c_is_missing = income is missing
segment c_text_equal = city = "Łódź"
segment c_text_order = city > "Kraków"
segment c_in_list = city in ("Łódź", "Москва")
segment c_not_in_list = city not in ("Łódź")
segment c_between_dates = signup_date between @2024-01-01 and @2024-03-31
segment c_window_last = signup_date in last 30 days
segment c_window_previous = last_login in previous 1 month
segment c_window_since = last_login since @2026-01-01
segment c_window_before = signup_date before as_of - 1 year
segment c_timestamp_vs_date = last_login > @2026-06-01
segment c_like = email like "%\\\\_x[y]*%"
segment c_like_param = email like label
segment c_like_escaped = email like "50\\% off\\_\\\\%"
segment c_like_param_escaped = email like pct
segment c_not_like = email not like "%@gmail.com"
segment c_contains = email contains "%"
segment c_starts_with = email starts with "Łó"
feature c_count = count(orders)
feature c_count_where = count(orders where channel = "web" in last 90 days)
feature c_count_distinct_text = count_distinct(orders.channel)
feature c_sum = sum(orders.amount)
feature c_avg = avg(orders.amount)
feature c_min_text = min(orders.channel)
feature c_max_timestamp = max(orders.ordered_at)
feature c_count_bool = count(orders.coupon)
feature c_count_distinct_bool = count_distinct(orders.coupon)
feature c_min_bool = min(orders.coupon)
feature c_max_bool = max(orders.coupon)
feature c_max_bool_where = max(orders.coupon where channel = "web")
feature c_max_condition = max((orders.amount > 100))
feature c_count_date = count(orders.shipped_on)
feature c_count_distinct_date = count_distinct(orders.shipped_on)
feature c_min_date = min(orders.shipped_on)
feature c_max_date = max(orders.shipped_on)
feature c_count_distinct_timestamp = count_distinct(orders.ordered_at)
feature c_min_timestamp = min(orders.ordered_at)
feature c_count_text = count(orders.channel)
feature c_max_text = max(orders.channel)
feature c_after_first = sum(orders.amount where ordered_at > c_max_timestamp - 30 days)
feature c_most_frequent_text = most_frequent(orders.channel)
feature c_most_frequent_bool = most_frequent(orders.coupon where channel = "web")
feature c_first_text = first(orders.channel where coupon)
feature c_last_timestamp = last(orders.ordered_at in last 90 days)
feature c_share = share(orders.amount where channel = "web")
feature c_share_count = share(orders in last 90 days where coupon)
segmentation c_cases { a = c_sum > 100  else b }
segment c_case_ref = c_cases.a
segmentation c_bucket = bucket(c_sum, [10, 100])
segmentation c_quantile = quantile(c_sum, 4)
segmentation c_rfm = rfm(recency: c_days_between, frequency: c_count, monetary: c_sum)
holdout c_holdout = c_two_valued split 50% a, 50% b seed "s"
"""
SCHEMAS = {
    "customers": {"customer_id": T.NUMBER, "city": T.TEXT, "email": T.TEXT, "income": T.NUMBER, "score": T.NUMBER,
                  "is_b2b": T.BOOL, "signup_date": T.DATE, "last_login": T.TIMESTAMP, "birth_date": T.DATE},
    "orders": {"customer_id": T.NUMBER, "ordered_at": T.TIMESTAMP, "amount": T.NUMBER, "channel": T.TEXT,
               "coupon": T.BOOL, "shipped_on": T.DATE},
}
TEXT_KEYS = """
entity accounts from "accounts" key account_id
events invoices from "invoices" by account_id at issued_on
feature k_total = sum(invoices.total)
segment k_all = true
segmentation k_quantile = quantile(k_total, 3)
holdout k_holdout = k_all split 50% a, 50% b seed "s"
"""
TEXT_SCHEMAS = {"accounts": {"account_id": T.TEXT}, "invoices": {"account_id": T.TEXT, "issued_on": T.DATE,
                                                                 "total": T.NUMBER}}


def compiled(text: str, schemas: dict, dialect: str) -> exp.Expression:
    model = segdsl.load(text)
    checked = model.with_schemas(schemas)
    return finish(membership(checked.ir, Options(dialect, None, {}, schemas=schemas)), dialect)


def _ctes(tree: exp.Expression) -> dict[str, exp.Select]:
    return {c.alias: c.this for c in tree.find_all(exp.CTE)}


def fragments(dialect: str) -> list[tuple[str, str]]:
    """(construct, SQL) pairs: where each definition of the construct models is computed."""
    out: list[tuple[str, str]] = []
    for text, schemas in ((CONSTRUCTS, SCHEMAS), (TEXT_KEYS, TEXT_SCHEMAS)):
        tree = compiled(text, schemas, dialect)
        ctes = _ctes(tree)
        computed: dict[str, exp.Expression] = {}
        for cte_name, select in ctes.items():
            for projection in select.expressions:
                if isinstance(projection, exp.Alias):
                    value = projection.this
                    if cte_name.startswith("pick_") and projection.alias != "_key":
                        value = select  # a picked value (most_frequent, first, last) is its whole CTE
                    where = select.args.get("where")
                    if cte_name.startswith("agg_") and where is not None and projection.alias != "_key":
                        # a filter shared by every aggregate of a stage is the aggregation's WHERE
                        value = exp.Tuple(expressions=[value.copy(), exp.var("WHERE"), where.this.copy()])
                    computed.setdefault(projection.alias, value)
        pop = ctes["population"]
        if pop.args.get("where") is not None:  # noqa: SIM102
            out.append(("population (since)", pop.args["where"].this.sql(dialect)))
        for name, cte in ctes.items():
            if name.startswith("agg_0_"):
                cut = cte.args["where"].this
                out.append((f"event time cut ({name[6:]})", cut.sql(dialect)))
                out.append((f"member key ({name[6:]})", cte.args["group"].expressions[0].sql(dialect)))
        for join in tree.find_all(exp.Join):
            if join.args.get("on") is not None and isinstance(join.this, exp.Table) and join.this.name.startswith("agg"):
                out.append(("join of aggregates", join.args["on"].sql(dialect)))
                break
        for line in text.splitlines():
            words = line.split()
            if len(words) < 2 or words[0] not in ("feature", "segment", "segmentation", "holdout"):
                continue
            name = words[1]
            expr = computed.get(name)
            # an aggregate feature is a column of its aggregation: show the aggregate itself
            while isinstance(expr, exp.Column) and expr.name in computed and computed[expr.name] is not expr:
                expr = computed[expr.name]
            if isinstance(expr, exp.Coalesce) and isinstance(expr.this, exp.Column) \
                    and expr.this.name.startswith("_") and expr.this.name in computed:
                expr = computed[expr.this.name]  # a count: COALESCE(aggregate, 0)
            if name == "c_rfm":
                expr = computed.get("c_rfm_r")
                name = "c_rfm (recency score)"
            sql = expr.sql(dialect) if expr is not None else "?"
            if isinstance(expr, exp.Tuple) and len(expr.expressions) == 3:
                sql = f"{expr.expressions[0].sql(dialect)} … WHERE {expr.expressions[2].sql(dialect)}"
            out.append((f"{name}: {line.split('=', 1)[1].strip()}", sql))
    table = exp.to_table("analytics.segments")
    body = sqlglot.parse_one("SELECT 1 AS one")
    for kind in ("view", "table"):
        out.append((f"--as {kind} analytics.segments",
                    re.sub(r"\s+", " ", " ; ".join(dl.ddl(dialect, kind, table.sql(), body)))))
    return out


def render(dialect: str) -> str:
    d = dl.DIALECTS[dialect]
    lines = [f"-- segdsl SQL for {dialect} ({d.tier} tier: {d.engine}).",
             "-- One line per construct: what it is compiled to, with as_of = the engine's current date.",
             ""]
    for construct, sql in fragments(dialect):
        lines.append(f"-- {construct}")
        lines.append(sql)
        lines.append("")
    return "\n".join(lines)


@pytest.mark.parametrize("dialect", list(dl.DIALECTS))
def test_golden_fragments(dialect: str) -> None:
    text = render(dialect)
    golden = GOLDEN / f"{dialect}.sql"
    check_golden(golden, text)


@pytest.mark.parametrize("dialect", list(dl.DIALECTS))
def test_full_queries_parse_back(dialect: str) -> None:
    """The construct models, each example model and the DDL forms parse back with sqlglot in the dialect."""
    for text, schemas in ((CONSTRUCTS, SCHEMAS), (TEXT_KEYS, TEXT_SCHEMAS)):
        sql = compiled(text, schemas, dialect).sql(dialect=dialect, pretty=True)
        assert sqlglot.parse_one(sql, read=dialect) is not None
    for path in sorted((ROOT / "examples").glob("*.seg")):
        model = segdsl.load(path)
        if model.ir.entity is None:
            continue
        assert sqlglot.parse_one(model.sql(dialect), read=dialect) is not None, path.name
    # every other form, on the flagship model
    model = segdsl.load(ROOT / "examples" / "retail.seg")
    forms = [model.sql(dialect, as_of="2026-06-30"), model.compile(dialect, header=False, long=True),
             model.compile(dialect, header=False, segment=next(iter(model.ir.segments)))]
    for kind in ("view", "table"):
        forms += model.compile(dialect, as_=kind, name="analytics.segments", header=False).split(";\n\n")
    for sql in forms:
        sql = sql.strip().rstrip(";")
        if sql.upper() not in ("BEGIN", "COMMIT", "BEGIN TRANSACTION"):
            assert sqlglot.parse_one(sql, read=dialect) is not None


def test_every_dialect_has_a_tier_and_lowering() -> None:

    assert set(dl.VERIFIED) == {"duckdb", "sqlite", "postgres", "mysql", "spark", "clickhouse"}
    assert set(dl.GENERATED) >= {"snowflake", "bigquery", "redshift", "databricks", "trino", "tsql", "oracle"}
    for name in dl.DIALECTS:
        assert dl.get(name).name == name


@pytest.mark.parametrize("dialect,text,construct", [
    ("oracle", 'segment s = city = ""', 'the empty text ""'),
    ("oracle", 'segment s = `c"x` > 1', 'c"x'),
    ("postgres", f'segment {"n" * 64} = true', "n" * 64),
    ("mysql", "segment `trailing ` = true", "trailing "),
])
def test_inexpressible_constructs_are_diagnostics(dialect: str, text: str, construct: str) -> None:
    if not text.startswith("entity"):
        text = 'entity customers from "customers" key id\n' + text
    with pytest.raises(segdsl.SegError) as info:
        segdsl.load(text).sql(dialect, as_of="2026-06-30")
    d = info.value.diagnostics[0]
    assert d.code == "SEG311" and construct in d.message and dialect in d.message


def test_min_max_of_an_untyped_value_is_named_in_the_header() -> None:
    """Compiled without column types, max(orders.coupon) cannot be lowered for a boolean: the header
    says which aggregates are written for numbers, dates and text; with the types it is lowered."""
    text = ('entity customers from "customers" key customer_id\nevents orders from "orders" by customer_id '
            'at ordered_at\nfeature mx = max(orders.coupon)\nfeature first = min(orders.ordered_at)\n')
    model = segdsl.load(text)
    for dialect in dl.DIALECTS:
        sql = model.compile(dialect)
        named = [line for line in sql.splitlines() if line.startswith("-- max(orders.coupon)")]
        assert len(named) == (1 if dl.get(dialect).bool_min_max else 0), dialect
        assert "min(orders.ordered_at)" not in sql  # the event time is a date or a timestamp
    schemas = {"customers": {"customer_id": T.NUMBER},
               "orders": {"customer_id": T.NUMBER, "ordered_at": T.TIMESTAMP, "coupon": T.BOOL}}
    typed = model.compile("postgres", schemas=schemas)
    assert 'BOOL_OR(e."coupon")' in typed and "-- max(orders.coupon)" not in typed


def test_each_dialect_declares_where_it_runs() -> None:
    """URL schemes, connections and driver extras come from the dialect classes, one per dialect module."""
    import tomllib

    from segdsl import engines
    from segdsl.engines.url import parse_target

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name, d in dl.DIALECTS.items():
        assert d.__module__ == f"segdsl.sql.dialects.{name}"
        assert (d.extra is None) or d.extra in extras, (name, d.extra)
        assert set(d.file_schemes) <= set(d.schemes)
        if d.schemes:  # an engine adapter runs it
            assert engines.adapter(name).dialect == name and d.target
            for scheme in d.schemes:
                assert parse_target(f"{scheme}://x/y").dialect == name
        else:
            assert d.tier == "generated" and not d.connections and not d.target
    # what a dialect says of itself is its own, not that of the dialect whose rules it extends
    assert dl.DIALECTS["redshift"].schemes == () and dl.DIALECTS["databricks"].connections == ()
