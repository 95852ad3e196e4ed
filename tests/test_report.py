"""Reports: every figure checked against an independent computation.

The independent side reads the members that `run` computes (plain rows)
and aggregates them in Python; the report side is the engine's SQL. A known
textbook table checks the chi-square test itself.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path

import pytest

import segdsl
from segdsl import model as m
from segdsl import render
from segdsl import report as rep
from segdsl.dialects import lowering

EXAMPLES = Path(__file__).parent.parent / "examples"
AS_OF = dt.date(2026, 6, 30)
REPORTS = [
    "value of lifecycle, vip measure revenue, avg(vip)",
    "crosstab gender by lifecycle measure avg(revenue)",
    "overlap of vip, lapsed, newcomers",
    "profile of vip",
    "migration of lifecycle",
]


def compute(db: Path, texts: list[str], migration=None):
    model = segdsl.load(EXAMPLES / "retail.seg")
    return {x.kind: x for x in model.report(adhoc=texts, db=db, as_of=AS_OF, migration=migration)}


def members(db: Path, as_of=AS_OF) -> list[dict]:
    rel = segdsl.load(EXAMPLES / "retail.seg").run(db=db, as_of=as_of)
    cols = rel.columns
    return [dict(zip(cols, row)) for row in rel.fetchall()]


def table(result, title_start: str) -> rep.Table:
    return next(b for b in result.blocks if isinstance(b, rep.Table) and b.title.startswith(title_start))


@pytest.fixture(scope="module")
def results(demo_db):
    return compute(demo_db, REPORTS, (dt.date(2026, 3, 31), AS_OF))


@pytest.fixture(scope="module")
def rows(demo_db):
    return members(demo_db)


def test_value_report_matches_the_members(results, rows):
    t = results["value"].blocks[0]
    by_row = {row[0]: row for row in t.rows}
    total = len(rows)
    revenue_all = sum(x["revenue"] or 0 for x in rows)
    for case in ("new", "loyal", "inactive", "prospect", "occasional"):
        group = [x for x in rows if x["lifecycle"] == case]
        got = by_row[f"lifecycle.{case}"]
        value = sum(x["revenue"] for x in group if x["revenue"] is not None) if any(
            x["revenue"] is not None for x in group) else None
        assert got[1] == len(group)
        assert got[2] == pytest.approx(len(group) / total)
        assert got[3] == pytest.approx(value)
        if value is not None:
            assert got[4] == pytest.approx(value / revenue_all)
            assert got[5] == pytest.approx(value / len(group))
            assert got[6] == pytest.approx((value / len(group)) / (revenue_all / total) * 100)
        assert got[7] == pytest.approx(sum(x["vip"] for x in group) / len(group))
    vip = by_row["vip"]
    assert vip[1] == sum(x["vip"] for x in rows)
    assert by_row["all members"][1] == total and by_row["all members"][6] == pytest.approx(100)


def test_crosstab_shares_and_test(results, rows):
    from scipy.stats import chi2_contingency

    res = results["crosstab"]
    t = table(res, "Members")
    observed = [row[1:-1] for row in t.rows[:-1] if row[0] != "(none)"]
    chi2, p, dof, _ = chi2_contingency(observed, correction=False)
    assert res.stats["chi2"] == pytest.approx(chi2) and res.stats["p_value"] == pytest.approx(p)
    assert res.stats["dof"] == dof
    for counts_row, share_row in zip(t.rows, table(res, "Row shares").rows):
        assert sum(s for s in share_row[1:] if s is not None) == pytest.approx(1.0)
        assert share_row[1] == pytest.approx(counts_row[1] / counts_row[-1])
    assert sum(r[-1] for r in t.rows[:-1]) == len(rows)


def test_crosstab_against_the_entity_rows(demo_db, results, rows):
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    gender = dict(con.execute("SELECT customer_id, gender FROM customers").fetchall())
    counts = collections.Counter((gender[x["customer_id"]] or "(none)", x["lifecycle"]) for x in rows)
    t = table(results["crosstab"], "Members")
    for row in t.rows[:-1]:
        for case, n in zip(t.columns[1:-1], row[1:-1]):
            assert n == counts[(row[0], case)]
    measure = table(results["crosstab"], "avg(revenue) per cell")
    for row in measure.rows:
        for case, value in zip(measure.columns[1:], row[1:]):
            vals = [x["revenue"] for x in rows if (gender[x["customer_id"]] or "(none)") == row[0]
                    and x["lifecycle"] == case and x["revenue"] is not None]
            assert value == (pytest.approx(sum(vals) / len(vals)) if vals else None)


def test_chi_square_on_a_textbook_table():
    class Fake:
        low = lowering("duckdb")

        def rows(self, query):
            return [("a", "x", 10), ("a", "y", 20), ("b", "x", 30), ("b", "y", 40)]

        def source(self):
            from sqlglot import exp
            return exp.Table(this=exp.to_identifier("t"))

    ir = segdsl.load('entity c from "c" key id').ir
    report = m.Report("t", "crosstab", ("g", "h"), ())
    res = rep.crosstab_report(Fake(), ir, report, [])
    # expected counts 12, 18, 28, 42: chi2 = 4/12 + 4/18 + 4/28 + 4/42
    assert res.stats["chi2"] == pytest.approx(4 / 12 + 4 / 18 + 4 / 28 + 4 / 42)
    assert res.stats["p_value"] == pytest.approx(0.3729, abs=1e-4)
    assert res.stats["cramers_v"] == pytest.approx((res.stats["chi2"] / 100) ** 0.5)
    assert not res.notes  # every expected count is at least 5


def test_small_expected_counts_are_flagged():
    class Fake:
        low = lowering("duckdb")

        def rows(self, query):
            return [("a", "x", 1), ("a", "y", 2), ("b", "x", 3), ("b", "y", 1)]

        def source(self):
            from sqlglot import exp
            return exp.Table(this=exp.to_identifier("t"))

    ir = segdsl.load('entity c from "c" key id').ir
    res = rep.crosstab_report(Fake(), ir, m.Report("t", "crosstab", ("g", "h"), ()), [])
    assert any("not reliable" in n for n in res.notes)


def test_overlap_matches_the_members(results, rows):
    t = table(results["overlap"], "Shared members")
    names = t.columns[1:]
    for row in t.rows:
        for other, n in zip(names, row[1:]):
            assert n == sum(1 for x in rows if x[row[0]] and x[other])
    j = table(results["overlap"], "Jaccard")
    a, b = "vip", "newcomers"
    both = sum(1 for x in rows if x[a] and x[b])
    either = sum(1 for x in rows if x[a] or x[b])
    assert j.rows[names.index(a)][1 + names.index(b)] == pytest.approx(both / either)


def test_profile_shares_and_index(results, rows):
    t = table(results["profile"], "What sets vip apart")
    vip = [x for x in rows if x["vip"]]
    for dim, value, share_in, share_all, index, n_in in t.rows:
        if dim != "lifecycle":
            continue
        inside = sum(1 for x in vip if (x["lifecycle"] or "(none)") == value)
        everyone = sum(1 for x in rows if (x["lifecycle"] or "(none)") == value)
        assert n_in == inside and share_in == pytest.approx(inside / len(vip))
        assert share_all == pytest.approx(everyone / len(rows))
        assert index == pytest.approx(share_in / share_all * 100)
    indexes = [row[4] or 0 for row in t.rows]
    assert indexes == sorted(indexes, reverse=True)  # the distinguishing traits come first
    medians = table(results["profile"], "Medians")
    rev = sorted(x["revenue"] for x in vip if x["revenue"] is not None)
    row = next(r for r in medians.rows if r[0] == "revenue")
    mid = len(rev) // 2
    assert row[1] == pytest.approx(rev[mid] if len(rev) % 2 else (rev[mid - 1] + rev[mid]) / 2)


def test_migration_matches_two_runs(demo_db, results, rows):
    before = {x["customer_id"]: x for x in members(demo_db, dt.date(2026, 3, 31))}
    after = {x["customer_id"]: x for x in rows}
    t = table(results["migration"], "Members moving")
    labels = t.columns[1:-1]
    absent = "(not a member yet)"
    for row in t.rows:
        for to, n in zip(labels, row[1:-1]):
            expected = sum(1 for k in set(before) | set(after)
                           if (before[k]["lifecycle"] if k in before else absent) == row[0]
                           and (after[k]["lifecycle"] if k in after else absent) == to)
            assert n == expected, (row[0], to)
    segs = table(results["migration"], "Segments")
    vip = next(r for r in segs.rows if r[0] == "vip")
    entered = sum(1 for k, x in after.items() if x["vip"] and not (k in before and before[k]["vip"]))
    left = sum(1 for k, x in before.items() if x["vip"] and not after[k]["vip"])
    stayed = sum(1 for k, x in before.items() if x["vip"] and after[k]["vip"])
    assert vip[1:] == [entered, left, stayed]


def test_migration_needs_two_dates(demo_db):
    with pytest.raises(segdsl.SegError) as info:
        compute(demo_db, ["migration of lifecycle"])
    assert info.value.diagnostics[0].code == "SEG602"


def test_formats(results):
    ctx = render.Context("retail.seg", AS_OF, "shop.duckdb", dt.datetime(2026, 7, 1, 9, 0))
    docs = list(results.values())
    md = render.render(docs, ctx, "md")
    assert md.startswith("# Segment report: retail.seg")
    assert md.count("\n## ") == len(docs) and "| lifecycle.loyal |" in md
    data = json.loads(render.render(docs, ctx, "json"))
    assert [x["kind"] for x in data["reports"]] == [d.kind for d in docs]
    csv_text = render.render(docs, ctx, "csv")
    assert csv_text.splitlines()[0] == "report,table,row,column,value" and len(csv_text.splitlines()) > 50
    html = render.render(docs, ctx, "html")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert html.count("<svg") >= 5 and html.count('<table class="data"') >= 10
    assert "2026-06-30" in html and "shop.duckdb" in html and "2026-07-01T09:00:00" in html


def test_report_command_renders_every_report_of_a_file(demo_db, tmp_path):
    from typer.testing import CliRunner

    from segdsl.cli import app

    out = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["report", str(EXAMPLES / "retail.seg"), "--db", str(demo_db), "--as-of",
                                      "2026-06-30", "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "## Value of lifecycle" in text and "## gender by lifecycle" in text
