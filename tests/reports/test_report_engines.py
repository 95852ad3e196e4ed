"""Reports on every verified engine: each figure checked against the reference evaluator.

The conformance corpus goes into each engine; the reports are computed there
(`Model.report` on the engine's target) and every figure is compared with
one computed in Python from the members of the independent reference
evaluator (tests/reference.py) and the raw entity rows. The corpus's text
differs only by case, accent or trailing space ('Łódź', 'łódź', 'ŁÓDŹ',
'Łódź '): a cross-tab by city must keep them apart on MySQL too.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner


import segdsl  # noqa: E402
from tests.support.conformance.data import TABLES, reference_tables  # noqa: E402
from tests.support.engines import VERIFIED_ENGINES  # noqa: E402
from tests.support.reference import evaluate  # noqa: E402
from segdsl.reports import render  # noqa: E402
from segdsl.reports import compute as rep  # noqa: E402
from segdsl import engines  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
BEFORE = dt.date(2024, 3, 31)
NONE = rep.NONE_LABEL

MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

param scale: number = 100

feature revenue = sum(orders.amount)
feature n = count(orders)
feature qty = avg(orders.qty)
feature first_order = min(orders.ordered_at)

segment buyer = exists(orders)
segment vip = revenue >= 100
segment b2b = is_b2b
segment whale = revenue > 100000000
segment nobody = n > 1000

segmentation lifecycle { whale_case = whale  loyal = n >= 3  occasional = n >= 1  else prospect }
segmentation tier = quantile(revenue, 3)

report value of lifecycle, vip, b2b measure revenue, avg(vip), max(qty)
report crosstab city by lifecycle measure avg(revenue)
report crosstab score by b2b
report overlap of buyer, vip, b2b
report profile of buyer
report migration of lifecycle
report figures = value of lifecycle, whale measure min(first_order), max(signup_date), min(city), max(name),
  avg(revenue) * scale, -sum(revenue), sum(revenue) / count(revenue), (max(n) - min(n)) / 2, count_distinct(city),
  count(revenue)
report dated = crosstab b2b by lifecycle measure min(signup_date), max(first_order), sum(revenue) / 2
report overlap of whale, nobody
"""


@pytest.fixture(scope="module")
def model() -> segdsl.Model:
    return segdsl.load(MODEL)


def reference_rows(model: segdsl.Model, as_of: dt.date) -> list[dict[str, Any]]:
    """Each member: the entity row and the reference evaluator's values."""
    entity = {row["customer_id"]: row for row in TABLES["customers"].dicts()}
    return [{**entity[k], **values} for k, values in evaluate(model.ir, reference_tables(), as_of, {}).items()]


def label(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def table(result: rep.ReportResult, title: str) -> rep.Table:
    return next(b for b in result.blocks if isinstance(b, rep.Table) and b.title.startswith(title))


def total(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def approx(v: Any) -> Any:
    return None if v is None else pytest.approx(v, rel=1e-9)


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_reports_on_the_engine_match_the_reference(engine_name: str, engine, model: segdsl.Model) -> None:
    target = engine.target()
    try:
        results = {r.name: r for r in model.report(connection=target, as_of=AS_OF, migration=(BEFORE, AS_OF))}
    finally:
        target.close()
    rows = reference_rows(model, AS_OF)
    n_all = len(rows)
    cases = model.ir.segmentations["lifecycle"].labels

    # value: every case and segment, then the population
    value = table(results["value_lifecycle_vip_b2b"], "Members and value")
    revenue_all = total([x["revenue"] for x in rows])
    # every case is shown, with 0 members where it has none (whale_case), as an empty segment is
    groups = [(f"lifecycle.{c}", [x for x in rows if x["lifecycle"] == c]) for c in cases]
    assert not groups[0][1]
    groups += [("vip", [x for x in rows if x["vip"]]), ("b2b", [x for x in rows if x["b2b"]]), ("all members", rows)]
    assert [r[0] for r in value.rows] == [name for name, _ in groups]
    for row, (name, group) in zip(value.rows, groups):
        revenue = total([x["revenue"] for x in group])
        per = None if revenue is None or not group else revenue / len(group)
        assert row[1:3] == [len(group), approx(len(group) / n_all)], name
        assert row[3] == approx(revenue) and row[4] == approx(None if revenue is None else revenue / revenue_all)
        assert row[5] == approx(per) and row[6] == approx(None if per is None else per / (revenue_all / n_all) * 100)
        assert row[7] == approx(sum(x["vip"] for x in group) / len(group) if group else None), name
        assert row[8] == approx(max((x["qty"] for x in group if x["qty"] is not None), default=None)), name

    # cross-tab by a text column: exact text, code-point order, missing last
    by_city = results["crosstab_city_lifecycle"]
    counts = table(by_city, "Members")
    cities = sorted({x["city"] for x in rows if x["city"] is not None}) + \
        ([NONE] if any(x["city"] is None for x in rows) else [])
    assert [r[0] for r in counts.rows[:-1]] == cities
    present = list(cases)  # an empty case too: a column of 0
    assert counts.columns[1:-1] == present
    avg = table(by_city, "avg(revenue) per cell")
    for row, avg_row in zip(counts.rows[:-1], avg.rows):
        for case, n, got in zip(present, row[1:-1], avg_row[1:]):
            cell = [x for x in rows if label(x["city"]) == row[0] and x["lifecycle"] == case]
            assert n == len(cell), (row[0], case)
            revenues = [x["revenue"] for x in cell if x["revenue"] is not None]
            assert got == approx(sum(revenues) / len(revenues) if revenues else None), (row[0], case)

    # measures that are dates, timestamps or text (min/max), arithmetic over aggregates, counts
    figures = table(results["figures"], "Members and value")
    entity = {row["customer_id"]: row for row in TABLES["customers"].dicts()}
    groups = [(f"lifecycle.{c}", [x for x in rows if x["lifecycle"] == c]) for c in cases]
    groups += [("whale", []), ("all members", rows)]
    assert [r[0] for r in figures.rows] == [name for name, _ in groups]
    assert figures.kinds[3:] == ["date", "date", "text", "text", "num", "num", "num", "num", "int", "int"]

    def present(values: list[Any]) -> list[Any]:
        return [v for v in values if v is not None]

    for row, (name, group) in zip(figures.rows, groups):
        revenue = present([x["revenue"] for x in group])
        ns = present([x["n"] for x in group])
        cities = present([entity[x["customer_id"]]["city"] for x in group])
        assert row[1] == len(group), name
        assert row[3] == min(present([x["first_order"] for x in group]), default=None), name
        assert row[4] == max(present([entity[x["customer_id"]]["signup_date"] for x in group]), default=None), name
        assert row[5] == min(cities, default=None), name  # code point order on every engine
        assert row[6] == max(present([entity[x["customer_id"]]["name"] for x in group]), default=None), name
        assert row[7] == approx(sum(revenue) / len(revenue) * 100 if revenue else None), name
        assert row[8] == approx(-sum(revenue) if revenue else None), name
        assert row[9] == approx(sum(revenue) / len(revenue) if revenue else None), name
        assert row[10] == approx((max(ns) - min(ns)) / 2 if ns else None), name
        assert row[11:] == [len(set(cities)), len(revenue)], name
    dated = results["dated"]
    assert table(dated, "Members").columns[1:-1] == list(cases)
    cells = {"min(signup_date)": "signup_date", "max(first_order)": "first_order", "sum(revenue) / 2": "revenue"}
    for title, column in cells.items():
        block = table(dated, f"{title} per cell")
        assert block.kinds[1:] == [{"revenue": "num"}.get(column, "date")] * len(cases)
        for out in block.rows:
            for case, got in zip(cases, out[1:]):
                cell = [x for x in rows if ("yes" if x["b2b"] else "no") == out[0] and x["lifecycle"] == case]
                values = present([(entity[x["customer_id"]] | x)[column] for x in cell])
                want = {"signup_date": min, "first_order": max}.get(column, lambda v: sum(v) / 2)
                assert got == (approx(want(values)) if values and column == "revenue" else
                               want(values) if values else None), (title, out[0], case)
    empty = table(results["overlap_whale_nobody"], "Jaccard index")
    assert [r[1:] for r in empty.rows] == [[None, None], [None, None]]
    # every format renders every report, dates and empty heatmaps included
    context = render.Context("model.seg", AS_OF, engine_name, dt.datetime(2026, 7, 1, 9, 0))
    for fmt in render.FORMATS[1:]:
        assert render.render(list(results.values()), context, fmt)
    console = Console(file=io.StringIO(), width=200)
    render.print_terminal(list(results.values()), context, console)
    assert "2024-01-01" in console.file.getvalue()

    # cross-tab by a number column: numeric order, labels without a decimal point
    by_score = results["crosstab_score_b2b"]
    counts = table(by_score, "Members")
    scores = sorted({x["score"] for x in rows if x["score"] is not None})
    assert [r[0] for r in counts.rows[:-1]] == [str(s) for s in scores] + [NONE]
    for row in counts.rows[:-1]:
        for yes_no, n in zip(counts.columns[1:-1], row[1:-1]):
            assert n == sum(1 for x in rows if label(x["score"]) == row[0] and x["b2b"] == (yes_no == "yes"))

    # overlap
    overlap = table(results["overlap_buyer_vip_b2b"], "Shared members")
    for row in overlap.rows:
        for other, n in zip(overlap.columns[1:], row[1:]):
            assert n == sum(1 for x in rows if x[row[0]] and x[other])

    # profile: the share of every trait inside and outside, and the medians
    profile = results["profile_buyer"]
    inside = [x for x in rows if x["buyer"]]
    traits = {(t[0], t[1]): t for t in table(profile, "What sets buyer apart").rows}
    for dim in ("lifecycle", "tier", "city", "is_b2b", "name"):
        values = {label(x[dim]) for x in rows}
        assert {v for d, v in traits if d == dim} == values, dim
        for v in values:
            n_in = sum(1 for x in inside if label(x[dim]) == v)
            share_all = sum(1 for x in rows if label(x[dim]) == v) / n_all
            assert traits[(dim, v)][5] == n_in and traits[(dim, v)][3] == approx(share_all), (dim, v)
    medians = {r[0]: r[1:] for r in table(profile, "Medians").rows}
    for feature in ("revenue", "n", "qty"):
        assert medians[feature] == [approx(median([x[feature] for x in inside])),
                                    approx(median([x[feature] for x in rows if not x["buyer"]]))], feature

    # migration between two dates: members that exist at only one date included
    migration = results["migration_lifecycle"]
    before = {x["customer_id"]: x for x in reference_rows(model, BEFORE)}
    after = {x["customer_id"]: x for x in rows}
    moving = table(migration, "Members moving")
    absent = rep.ABSENT
    for row in moving.rows:
        for to, n in zip(moving.columns[1:-1], row[1:-1]):
            assert n == sum(1 for k in set(before) | set(after)
                            if (before[k]["lifecycle"] if k in before else absent) == row[0]
                            and (after[k]["lifecycle"] if k in after else absent) == to), (row[0], to)
    flows = {r[0]: r[1:] for r in table(migration, "Segments").rows}
    for seg in ("buyer", "vip", "b2b"):
        was = {k for k, x in before.items() if x[seg]}
        now = {k for k, x in after.items() if x[seg]}
        assert flows[seg] == [len(now - was), len(was - now), len(was & now)], seg


def test_report_command_on_a_target_url(engine_folder, loaded_engines, request, model: segdsl.Model,
                                        tmp_path: Path) -> None:
    """`segdsl report --target URL` renders what the API computes on that engine."""
    from tests.support.engines import _make

    from segdsl.tools.cli import app

    engine = loaded_engines.get("sqlite")
    if engine is None:
        engine = _make("sqlite", request, engine_folder)
        engine.load(TABLES)
        engine.loaded()
        loaded_engines["sqlite"] = engine
    seg = tmp_path / "model.seg"
    seg.write_text(MODEL, encoding="utf-8")
    out = tmp_path / "report.json"
    url = f"sqlite:///{engine.path}"
    names = ["overlap_buyer_vip_b2b", "crosstab_city_lifecycle"]
    result = CliRunner().invoke(app, ["report", str(seg), "--target", url, "--as-of", AS_OF.isoformat(),
                                      "--name", names[0], "--name", names[1], "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["source"] == engines.parse_target(url).redacted()
    assert [r["kind"] for r in doc["reports"]] == ["overlap", "crosstab"]
    target = engine.target()
    try:
        expected = segdsl.load(seg).report(names, connection=target, as_of=AS_OF)
    finally:
        target.close()
    assert [r["blocks"][0]["rows"] for r in doc["reports"]] == [r.blocks[0].rows for r in expected]
