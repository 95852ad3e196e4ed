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
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import segdsl  # noqa: E402
from conformance.data import TABLES, reference_tables  # noqa: E402
from engines import VERIFIED_ENGINES  # noqa: E402
from reference import evaluate  # noqa: E402
from segdsl import report as rep  # noqa: E402
from segdsl import targets  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
BEFORE = dt.date(2024, 3, 31)
NONE = rep.NONE_LABEL

MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

feature revenue = sum(orders.amount)
feature n = count(orders)
feature qty = avg(orders.qty)

segment buyer = exists(orders)
segment vip = revenue >= 100
segment b2b = is_b2b

segmentation lifecycle { loyal = n >= 3  occasional = n >= 1  else prospect }
segmentation tier = quantile(revenue, 3)

report value of lifecycle, vip, b2b measure revenue, avg(vip), max(qty)
report crosstab city by lifecycle measure avg(revenue)
report crosstab score by b2b
report overlap of buyer, vip, b2b
report profile of buyer
report migration of lifecycle
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
    groups = [(f"lifecycle.{c}", [x for x in rows if x["lifecycle"] == c]) for c in cases]
    groups = [(name, g) for name, g in groups if g]
    groups += [("vip", [x for x in rows if x["vip"]]), ("b2b", [x for x in rows if x["b2b"]]), ("all members", rows)]
    assert [r[0] for r in value.rows] == [name for name, _ in groups]
    for row, (name, group) in zip(value.rows, groups):
        revenue = total([x["revenue"] for x in group])
        per = None if revenue is None or not group else revenue / len(group)
        assert row[1:3] == [len(group), approx(len(group) / n_all)], name
        assert row[3] == approx(revenue) and row[4] == approx(None if revenue is None else revenue / revenue_all)
        assert row[5] == approx(per) and row[6] == approx(None if per is None else per / (revenue_all / n_all) * 100)
        assert row[7] == approx(sum(x["vip"] for x in group) / len(group)), name
        assert row[8] == approx(max((x["qty"] for x in group if x["qty"] is not None), default=None)), name

    # cross-tab by a text column: exact text, code-point order, missing last
    by_city = results["crosstab_city_lifecycle"]
    counts = table(by_city, "Members")
    cities = sorted({x["city"] for x in rows if x["city"] is not None}) + \
        ([NONE] if any(x["city"] is None for x in rows) else [])
    assert [r[0] for r in counts.rows[:-1]] == cities
    present = [c for c in cases if any(x["lifecycle"] == c for x in rows)]
    assert counts.columns[1:-1] == present
    avg = table(by_city, "avg(revenue) per cell")
    for row, avg_row in zip(counts.rows[:-1], avg.rows):
        for case, n, got in zip(present, row[1:-1], avg_row[1:]):
            cell = [x for x in rows if label(x["city"]) == row[0] and x["lifecycle"] == case]
            assert n == len(cell), (row[0], case)
            revenues = [x["revenue"] for x in cell if x["revenue"] is not None]
            assert got == approx(sum(revenues) / len(revenues) if revenues else None), (row[0], case)

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
    from engines import _make

    from segdsl.cli import app

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
    assert doc["source"] == targets.parse_target(url).redacted()
    assert [r["kind"] for r in doc["reports"]] == ["overlap", "crosstab"]
    target = engine.target()
    try:
        expected = segdsl.load(seg).report(names, connection=target, as_of=AS_OF)
    finally:
        target.close()
    assert [r["blocks"][0]["rows"] for r in doc["reports"]] == [r.blocks[0].rows for r in expected]
