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
from segdsl.semantic import model as m
from segdsl.reports import render
from segdsl.reports import compute as rep
from segdsl.sql import dialects
from tests.support.paths import EXAMPLES

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
        low = dialects.get("duckdb")

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
        low = dialects.get("duckdb")

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

    from segdsl.tools.cli import app

    out = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["report", str(EXAMPLES / "retail.seg"), "--db", str(demo_db), "--as-of",
                                      "2026-06-30", "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "## Value of lifecycle" in text and "## gender by lifecycle" in text


def test_chi_square_has_no_continuity_correction():
    """Decided (README): the test is Pearson's chi-square without Yates' correction, for 2×2 tables as
    for larger ones, so that the statistic and Cramér's V mean the same at every size; scipy's default
    corrects 2×2 tables and would give another figure here."""
    from scipy.stats import chi2_contingency

    class Fake:
        low = dialects.get("duckdb")

        def rows(self, query):
            return [("a", "x", 10), ("a", "y", 20), ("b", "x", 30), ("b", "y", 40)]

        def source(self):
            from sqlglot import exp
            return exp.Table(this=exp.to_identifier("t"))

    ir = segdsl.load('entity c from "c" key id').ir
    res = rep.crosstab_report(Fake(), ir, m.Report("t", "crosstab", ("g", "h"), ()), [])
    observed = [[10, 20], [30, 40]]
    assert res.stats["chi2"] == pytest.approx(chi2_contingency(observed, correction=False)[0])
    assert res.stats["chi2"] != pytest.approx(chi2_contingency(observed)[0])


REPORT_MODEL = """
entity customers from "customers.csv" key customer_id
events orders from "orders.csv" by customer_id at ordered_at
feature revenue = sum(orders.amount)
feature fo = min(orders.ordered_at)
segment buyer = exists(orders)
segment nobody = revenue > 1000000
segment none_either = revenue < 0
segmentation tier { huge = revenue > 1000000  some = revenue > 0  else zero }
"""


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_the_cli_renders_dates_arithmetic_and_empty_reports_in_every_format(tmp_path, fmt):
    """Date measures, arithmetic over aggregates, empty cases and an overlap of empty segments."""
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    (tmp_path / "customers.csv").write_text("customer_id,signup_date\n1,2024-01-01\n2,2024-02-01\n3,2024-03-01\n")
    (tmp_path / "orders.csv").write_text("customer_id,ordered_at,amount\n1,2024-03-25 12:00:00,10\n"
                                         "1,2024-03-30 08:00:00,30\n2,2024-03-30 01:00:00,5\n")
    model = tmp_path / "m.seg"
    model.write_text(REPORT_MODEL)
    result = CliRunner().invoke(app, [
        "report", str(model), "--as-of", "2024-03-31", "--format", fmt,
        "--report", "value of buyer, tier measure revenue, min(fo), max(signup_date), avg(revenue) * 100, "
                    "sum(revenue) / 2, -sum(revenue)",
        "--report", "crosstab buyer by tier measure min(signup_date)",
        "--report", "overlap of nobody, none_either"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    if fmt == "md":
        assert "| buyer | 2 | 66.7% | 45.00 | 100.0% | 22.50 | 150 | 2024-03-25 12:00:00 | 2024-02-01 | 2,250 " \
               "| 22.50 | -45.00 |" in text
        assert "| tier.huge | 0 | 0.0% |  |  |  |  |  |  |  |  |  |" in text
    elif fmt == "json":
        doc = json.loads(text)
        value = doc["reports"][0]["blocks"][0]
        assert value["rows"][0][7:] == ["2024-03-25 12:00:00", "2024-02-01", 2250.0, 22.5, -45.0]
        assert [r[0] for r in value["rows"]] == ["buyer", "tier.huge", "tier.some", "tier.zero", "all members"]
    elif fmt == "html":
        assert "2024-03-25 12:00:00" in text and text.count("<svg") == 3  # bars and two heatmaps
    elif fmt == "csv":
        assert "value_buyer_tier,Members and value,buyer,min(fo),2024-03-25 12:00:00\n" in text
    else:
        assert "Overlap of nobody, none_either" in text and "huge" in text


def test_an_aggregate_in_a_measure_combines_only_with_arithmetic():
    with pytest.raises(segdsl.SegError) as info:
        segdsl.load(REPORT_MODEL + "report value of buyer measure sum(revenue) / revenue\n")
    d = info.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("SEG206", 10, 46)
    assert d.message == "a member value outside an aggregate, in a measure that aggregates over members"


def test_markup_in_names_and_data_is_shown_as_written(tmp_path):
    """Rich markup and HTML in the data or in a name are text: `[/bold]` is no markup error (it was a
    crash of the terminal report and of the run summary), `<b>` is not rendered in Markdown."""
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    (tmp_path / "customers.csv").write_text('customer_id,city,note\n1,[/bold],a|b\n2,[red]x,"<b>hi</b>"\n3,ok,c\n')
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers.csv" key customer_id\n'
                     'segment `[/bold]` "[i]odd" = city != "ok"\n'
                     'segmentation `[red]s` { `[/x]` = city = "ok"  else `[b]` }\n')
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(model), "--as-of", "2026-06-30"])
    assert ran.exit_code == 0, ran.stderr
    assert "[/bold] ([i]odd)" in ran.stdout and "[/x]" in ran.stdout and "[b]" in ran.stdout
    shown = runner.invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--report", "crosstab city by `[/bold]`",
                                "--report", "value of `[red]s` measure min(note), max(city)"])
    assert shown.exit_code == 0, shown.stderr
    assert "city / [/bold]" in shown.stdout and "[red]x" in shown.stdout and "<b>hi</b>" in shown.stdout
    md = runner.invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--format", "md",
                             "--report", "value of `[red]s` measure min(note), max(note)"])
    assert md.exit_code == 0, md.stderr
    assert "| [b] | 2 | 66.7% | &lt;b&gt;hi&lt;/b&gt; | a\\|b |" in md.stdout  # the pipe does not end the cell


def _small_model(folder: Path) -> Path:
    (folder / "customers.csv").write_text("customer_id,age\n1,30\n2,50\n", encoding="utf-8")
    model = folder / "m.seg"
    model.write_text('entity customers from "customers.csv" key customer_id\nsegment old = age > 40\n'
                     "report value of old\n", encoding="utf-8")
    return model


def test_report_out_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A write that fails half way (a full disk) is SEG308 and leaves the older document whole, with no
    temporary file beside it; a folder in the way is SEG307 before any work — never a traceback."""
    import errno
    import os

    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    model = _small_model(tmp_path)
    out = tmp_path / "report.html"
    out.write_text("older report", encoding="utf-8")
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))
    result = CliRunner().invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--format", "html",
                                      "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert "error[SEG308]: cannot write" in result.stderr and "No space left on device" in result.stderr
    assert out.read_text(encoding="utf-8") == "older report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv", "m.seg", "report.html"]

    (tmp_path / "a_file").write_text("", encoding="utf-8")
    for bad, message in ((tmp_path / "a_file" / "r.md", "is a file, not a folder"),
                         (tmp_path, "is a folder"), (tmp_path / "no" / "r.md", "does not exist")):
        result = CliRunner().invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--format", "md",
                                          "--out", str(bad)])
        assert result.exit_code == 2 and "error[SEG307]" in result.stderr and message in result.stderr, result.output


def test_json_report_is_json_with_nan_and_infinities_in_the_data(tmp_path):
    """NaN and infinities in a double column reach a report (max(score)): the JSON document stays JSON
    (NaN is missing, as every other format shows it; an infinity is "inf"), and a huge figure is written
    in scientific notation, not as 309 digits."""
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    (tmp_path / "customers.csv").write_text("customer_id,score,g\n1,nan,a\n2,inf,b\n3,1e308,c\n4,-inf,c\n",
                                            encoding="utf-8")
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers.csv" key customer_id\n'
                     'segmentation grp { ga = g = "a"  gb = g = "b"  else gc }\n'
                     "report value of grp measure count(score), max(score), min(score)\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--format", "json"])
    assert result.exit_code == 0, result.output

    def strict(token):
        raise AssertionError(f"{token} is not JSON")

    doc = json.loads(result.stdout, parse_constant=strict)
    rows = {r[0]: r[1:] for r in doc["reports"][0]["blocks"][0]["rows"]}
    assert rows["ga"][-2:] == [None, None]  # NaN: missing
    assert rows["gb"][-2:] == ["inf", "inf"] and rows["gc"][-2:] == [1e308, "-inf"]
    md = CliRunner().invoke(app, ["report", str(model), "--as-of", "2026-06-30", "--format", "md"])
    assert "| gc |" in md.stdout and "1e+308" in md.stdout and "000,000,000,000,000,000" not in md.stdout
