"""Compiled SQL: snapshots, one scan per events source, pruning, safety."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

import segdsl
from tests.support.golden import check_golden
from tests.support.paths import GOLDEN, ROOT

SNAPSHOTS = GOLDEN / "sql"
MODELS = sorted(p for p in (ROOT / "examples").glob("*.seg") if "entity" in p.read_text() or "import" in p.read_text())


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_duckdb_snapshot(path: Path):
    sql = segdsl.load(path).sql("duckdb", as_of="2026-06-30")
    snapshot = SNAPSHOTS / f"{path.stem}.duckdb.sql"
    check_golden(snapshot, sql + "\n")
    sqlglot.parse_one(sql, read="duckdb")


def scans(sql: str, table: str) -> int:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return sum(1 for t in tree.find_all(exp.Table) if t.name == table)


def many_segments(n: int) -> str:
    lines = ['entity c from "customers" key id', 'events o from "orders" by id at ts',
             'events w from "web" by id at ts']
    for i in range(n):
        lines.append(f"feature f{i} = sum(o.amount where o.kind = \"k{i}\" in last {i + 1} days)")
        lines.append(f"feature g{i} = count(w where w.page = \"p{i}\")")
        lines.append(f"segment s{i} = f{i} > {i} and g{i} >= 1 or exists(o in last {i + 2} weeks)")
        lines.append(f"segmentation q{i} = quantile(f{i} + g{i}, {i % 5 + 2})")
    return "\n".join(lines)


@pytest.mark.parametrize("n", [1, 10, 100])
def test_one_scan_per_events_source_whatever_the_number_of_segments(n: int):
    sql = segdsl.load(many_segments(n)).sql("duckdb", as_of="2026-06-30")
    assert scans(sql, "orders") == 1 and scans(sql, "web") == 1 and scans(sql, "customers") == 1


def test_a_feature_in_a_filter_costs_one_more_scan():
    text = many_segments(3) + "\nfeature first = min(o.ts)\nfeature later = sum(o.amount where ts > first)"
    sql = segdsl.load(text).sql("duckdb", as_of="2026-06-30")
    assert scans(sql, "orders") == 2 and scans(sql, "web") == 1


def test_identical_aggregates_are_computed_once():
    text = ('entity c from "customers" key id\nevents o from "orders" by id at ts\n'
            "feature a = count(o in last 7 days)\nsegment s = exists(o in last 7 days)\n"
            "segment t = count(o in last 7 days) > 2")
    tree = sqlglot.parse_one(segdsl.load(text).sql("duckdb", as_of="2026-06-30"), read="duckdb")
    assert len(list(tree.find_all(exp.Count))) == 1


def test_a_segment_query_prunes_what_it_does_not_need():
    sql = segdsl.load(many_segments(5)).sql("duckdb", as_of="2026-06-30", segment="s1")
    assert scans(sql, "web") == 1 and "q3" not in sql and "f4" not in sql


def test_text_and_names_reach_sql_only_as_literals_and_identifiers():
    text = ('entity c from "cust\\"; DROP TABLE x; --" key `id"; --`\n'
            "segment s = `na``me` = \"'; DROP TABLE y; --\" or `a b` like \"%\\\\%\"")
    sql = segdsl.load(text).sql("duckdb", as_of="2026-06-30")
    tree = sqlglot.parse_one(sql, read="duckdb")  # one statement, nothing injected
    assert isinstance(tree, exp.Select)
    literals = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    assert "'; DROP TABLE y; --" in literals and "%\\%" in literals
    names = {i.this for i in tree.find_all(exp.Identifier)}
    assert {'cust"; DROP TABLE x; --', 'id"; --', "na`me", "a b"} <= names


def test_as_of_is_folded_into_window_bounds():
    text = 'entity c from "customers" key id\nevents o from "orders" by id at ts\nfeature n = count(o in last 1 month)'
    sql = segdsl.load(text).sql("duckdb", as_of="2024-03-31")
    assert "'2024-02-29'" in sql and "'2024-03-31'" in sql


def test_without_as_of_the_query_uses_the_current_date():
    text = 'entity c from "customers" key id\nevents o from "orders" by id at ts\nfeature n = count(o in last 7 days)'
    sql = segdsl.load(text).sql("duckdb")
    assert "CURRENT_DATE" in sql and "2026" not in sql
