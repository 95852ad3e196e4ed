"""The calibration report against lifetimes on the CDNOW transactions, on every verified engine.

The calibration period ends on 1997-09-30 and the holdout runs to 1998-06-30: 273 days, 39 weeks, the
split of lifetimes' CDNOW examples. lifetimes' own fit and predictions on that calibration period are in
tests/oracles (lifetimes_cdnow_transactions*.{csv,json}, written by make_cdnow_transactions_oracle.py):
`purchases_39` is lifetimes' `conditional_expected_number_of_purchases_up_to_time(39, …)`, the predicted
holdout purchases, `spend` its `conditional_expected_average_profit`. The actual holdout figures are
computed here with pandas from the transactions, as lifetimes' `calibration_and_holdout_data` counts them
(freq "D": distinct purchase days in the holdout; their summed amounts).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segdsl
from segdsl.lang.diagnostics import SegError
from segdsl.predict import formulas
from segdsl.predict.fit import BGNBDFit
from segdsl.reports.render import Context, render
from tests.support.conformance.data import Table
from tests.support.engines import VERIFIED_ENGINES

ORACLES = Path(__file__).resolve().parents[1] / "oracles"
CAL = dt.date(1997, 9, 30)
AS_OF = dt.date(1998, 6, 30)


def _transactions() -> pd.DataFrame:
    tx = pd.read_csv(ORACLES / "cdnow_sample.txt", sep=r"\s+", header=None,
                     names=["master", "id", "date", "cds", "amount"], dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


def _oracle() -> pd.DataFrame:
    """Per customer: lifetimes' calibration summary and predictions, and the actual holdout figures."""
    lt = pd.read_csv(ORACLES / "lifetimes_cdnow_transactions.csv").set_index("id")
    tx = _transactions()
    hold = tx[(tx.date > pd.Timestamp(CAL)) & (tx.date <= pd.Timestamp(AS_OF))]
    lt["actual"] = hold.groupby("id")["date"].nunique().reindex(lt.index).fillna(0)
    lt["actual_value"] = hold.groupby("id")["amount"].sum().reindex(lt.index).fillna(0.0)
    lt["pv"] = lt["purchases_39"] * lt["spend"]
    return lt


def _tables() -> tuple[Table, Table]:
    tag = uuid.uuid4().hex[:6]
    tx = _transactions()
    rows = tuple((int(r.id), r.date.date(), float(r.amount)) for r in tx.itertuples())
    orders = Table(f"calib_orders_{tag}", (("id", "int"), ("ordered_at", "date"), ("amount", "float")), rows)
    customers = Table(f"calib_customers_{tag}", (("id", "int"),), tuple((int(k),) for k in sorted(tx.id.unique())))
    return customers, orders


def _model(path: Path, customers: str, orders: str, report: str = "report calibration of clv until @1997-09-30",
           unit: str = "1 week") -> Path:
    path.write_text(f'entity customers from "{customers}" key id\n'
                    f'events orders from "{orders}" by id at ordered_at\n'
                    f"prediction clv = btyd(orders, value: orders.amount, horizon: 1 year, unit: {unit})\n"
                    f"{report}\n")
    return path


def _check_against_lifetimes(stats: dict, label: str) -> None:
    lt = json.loads((ORACLES / "lifetimes_cdnow_transactions_fit.json").read_text())
    for k in ("r", "alpha", "a", "b"):
        assert stats["bgnbd"][k] == pytest.approx(lt["bgnbd"][k], rel=1e-4), (label, k)
    for k in ("p", "q", "v"):
        assert stats["gamma_gamma"][k] == pytest.approx(lt["gamma_gamma"][k], rel=1e-4), (label, k)
    o = _oracle()
    assert stats["customers"] == len(o) == 2357
    # 1. by calibration repeat purchases (lifetimes' plot_calibration_purchases_vs_holdout_purchases)
    group = o.frequency.clip(upper=7)
    want = o.groupby(group).agg(n=("actual", "size"), pred=("purchases_39", "mean"), act=("actual", "mean"))
    got = {row["purchases"]: row for row in stats["by_purchases"]}
    for k, row in want.iterrows():
        g = got[f"{k}+" if k == 7 else str(k)]
        assert g["customers"] == row.n, (label, k)
        assert g["predicted"] == pytest.approx(row.pred, rel=1e-3), (label, k)
        assert g["actual"] == pytest.approx(row.act, rel=1e-12), (label, k)
    # 2. deciles of predicted value, highest first, ties by key
    o = o.reset_index().sort_values(["pv", "id"], ascending=[False, True]).reset_index(drop=True)
    n = len(o)
    o["decile"] = np.floor(np.arange(n) * 10 / n).astype(int) + 1
    want = o.groupby("decile").agg(n=("pv", "size"), pv=("pv", "sum"), av=("actual_value", "sum"))
    got = {row["decile"]: row for row in stats["deciles"]}
    assert sorted(got) == list(range(1, 11)), label
    for d, row in want.iterrows():
        assert got[d]["customers"] == row.n, (label, d)
        assert got[d]["predicted"] == pytest.approx(row.pv, rel=1e-3), (label, d)
        assert got[d]["actual"] == pytest.approx(row.av, rel=1e-6), (label, d)
    # 4. Gini: twice the area under the curve of the actual value captured, ranked by prediction, less 1
    captured = np.concatenate([[0.0], np.cumsum(o.actual_value.to_numpy()) / o.actual_value.sum()])
    x = np.linspace(0, 1, n + 1)
    gini = 2 * np.trapezoid(captured, x) - 1
    best = np.concatenate([[0.0], np.cumsum(np.sort(o.actual_value.to_numpy())[::-1]) / o.actual_value.sum()])
    assert stats["gini"] == pytest.approx(gini, rel=1e-9), label
    assert stats["gini_normalised"] == pytest.approx(gini / (2 * np.trapezoid(best, x) - 1), rel=1e-9), label
    assert stats["top_10"] == pytest.approx(want.av.iloc[0] / o.actual_value.sum(), rel=1e-9), label
    assert stats["top_20"] == pytest.approx(want.av.iloc[:2].sum() / o.actual_value.sum(), rel=1e-9), label
    # 3. cumulative repeat purchase days over the holdout
    tx = _transactions()
    days = tx.drop_duplicates(["id", "date"])
    bg = BGNBDFit(**lt["bgnbd"], log_likelihood=0.0, customers=0, repeat_customers=0, rows=0, iterations=0,
                  evaluations=0, converged=True, message="lifetimes")
    lt_rows = _oracle()
    assert [c["days"] for c in stats["cumulative"]][-1] == 273
    for c in stats["cumulative"]:
        end = pd.Timestamp(CAL + dt.timedelta(days=c["days"]))
        actual = int(((days.date > pd.Timestamp(CAL)) & (days.date <= end)).sum())
        assert c["actual"] == actual, (label, c["days"])
        predicted = formulas.expected_purchases(bg, c["days"] / 7, lt_rows.frequency, lt_rows.recency, lt_rows["T"])
        assert c["predicted"] == pytest.approx(float(np.sum(predicted)), rel=1e-3), (label, c["days"])
    assert stats["cumulative"][-1]["predicted"] == pytest.approx(lt_rows.purchases_39.sum(), rel=1e-3)


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_calibration_report_on_every_engine(engine_name: str, engine, tmp_path) -> None:
    customers, orders = _tables()
    engine.add(customers)
    engine.add(orders)
    path = _model(tmp_path / "cdnow.seg", customers.name, orders.name)
    target = engine.target()
    try:
        results = segdsl.load(path).report(connection=target, as_of=AS_OF, bindings=engine.bindings)
    finally:
        target.close()
    assert not (tmp_path / "cdnow.seg.lock").exists()  # the report fits for itself and writes nothing
    (r,) = results
    assert r.kind == "calibration"
    _check_against_lifetimes(r.stats, engine_name)


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory) -> Path:
    import duckdb

    folder = tmp_path_factory.mktemp("calib")
    db = folder / "cdnow.duckdb"
    con = duckdb.connect(str(db))
    tx = _transactions()
    frame = pd.DataFrame({"id": tx.id, "ordered_at": tx.date.dt.date, "amount": tx.amount})
    con.execute("create table orders as select id, cast(ordered_at as date) as ordered_at, amount from frame")
    con.execute("create table customers as select distinct id from orders")
    con.close()
    return db


def test_split_means_before_as_of(cdnow_db: Path, tmp_path) -> None:
    """`split 39 weeks` ends the calibration period 273 days before as_of: the same report as `until`."""
    path = _model(tmp_path / "m.seg", "customers", "orders", "report calibration of clv split 39 weeks")
    (r,) = segdsl.load(path).report(db=cdnow_db, as_of=AS_OF)
    assert r.stats["calibration_end"] == CAL.isoformat()
    _check_against_lifetimes(r.stats, "duckdb split")


class _Strict(HTMLParser):
    """Every element closed in order (a void element excepted): the page is well formed."""

    VOID = {"meta", "br", "img", "hr", "link", "input", "rect", "circle", "line", "polyline", "path", "text"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.svgs = 0
        self.polylines = 0

    def handle_starttag(self, tag, attrs):
        self.svgs += tag == "svg"
        self.polylines += tag == "polyline"
        if tag not in ("meta", "br", "img", "hr", "link", "input"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.svgs += tag == "svg"
        self.polylines += tag == "polyline"

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def test_renderers(cdnow_db: Path, tmp_path) -> None:
    path = _model(tmp_path / "m.seg", "customers", "orders")
    results = segdsl.load(path).report(db=cdnow_db, as_of=AS_OF)
    ctx = Context("m.seg", AS_OF, str(cdnow_db), dt.datetime(2026, 1, 1))
    page = render(results, ctx, "html")
    parser = _Strict()
    parser.feed(page)
    assert parser.stack == []
    assert parser.svgs == 3 and parser.polylines == 4  # two line charts of two series, one bar chart
    md = render(results, ctx, "md")
    assert "| calibration purchases | customers | predicted | actual |" in md
    assert "| Gini coefficient |" in md and "| 10 % |" in md
    doc = json.loads(render(results, ctx, "json"))
    (rep,) = doc["reports"]
    assert rep["kind"] == "calibration"
    assert [b["type"] for b in rep["blocks"]] == ["table", "lines", "table", "bars", "table", "table", "table",
                                                         "lines"]
    lines = rep["blocks"][1]
    assert lines["series"] == ["predicted", "actual"] and len(lines["values"][0]) == len(lines["labels"]) == 8
    assert set(rep["stats"]) >= {"gini", "top_10", "top_20", "deciles", "by_purchases", "cumulative", "bgnbd"}
    from rich.console import Console

    from segdsl.reports.render import print_terminal

    console = Console(record=True, width=140)
    print_terminal(results, ctx, console)
    text = console.export_text()
    assert "Holdout purchases by calibration repeat purchases" in text and "7+" in text


@pytest.mark.parametrize("report, code, where, words", [
    ("report calibration of clv until @1998-06-30", "SEG328", "4:33", "not before as_of"),
    ("report calibration of clv until @1997-01-02", "SEG332", "4:1", "calibration period"),
])
def test_run_time_errors(cdnow_db: Path, tmp_path, report: str, code: str, where: str, words: str) -> None:
    path = _model(tmp_path / "m.seg", "customers", "orders", report)
    with pytest.raises(SegError) as exc:
        segdsl.load(path).report(db=cdnow_db, as_of=AS_OF)
    d = exc.value.diagnostics[0]
    assert d.code == code and words in d.message and d.hint
    assert f"{d.span.line}:{d.span.column}" == where


@pytest.mark.parametrize("report, code, words", [
    ("report calibration of revenue", "SEG108", "is not a prediction"),
    ("report calibration of clv split 0 days", "SEG146", "positive duration"),
    ("report calibration of clvv", "SEG101", "unknown"),
])
def test_check_errors(tmp_path, report: str, code: str, words: str) -> None:
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "customers" key id\n'
                    'events orders from "orders" by id at ordered_at\n'
                    "prediction clv = btyd(orders, value: orders.amount)\n"
                    "feature revenue = sum(orders.amount)\n"
                    f"{report}\n")
    with pytest.raises(SegError) as exc:
        segdsl.load(path)
    codes = [(d.code, d.message, d.span.line if d.span else None, d.hint) for d in exc.value.diagnostics]
    assert any(c == code and words in msg and line == 5 and hint for c, msg, line, hint in codes), codes


def test_without_value_ranks_on_purchases(cdnow_db: Path, tmp_path) -> None:
    """A prediction without `value:` is ranked and compared on purchases; without `until` or `split` the
    holdout is the horizon (39 weeks before as_of: the calibration date of lifetimes' example)."""
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "customers" key id\nevents orders from "orders" by id at ordered_at\n'
                    "prediction clv = btyd(orders, horizon: 39 weeks, unit: 1 week)\nreport calibration of clv\n")
    (r,) = segdsl.load(path).report(db=cdnow_db, as_of=AS_OF)
    s = r.stats
    assert s["calibration_end"] == CAL.isoformat() and s["measure"] == "purchases" and s["gamma_gamma"] is None
    o = _oracle().reset_index().sort_values(["purchases_39", "id"], ascending=[False, True]).reset_index(drop=True)
    o["decile"] = np.floor(np.arange(len(o)) * 10 / len(o)).astype(int) + 1
    want = o.groupby("decile").agg(n=("id", "size"), pv=("purchases_39", "sum"), av=("actual", "sum"))
    for row in s["deciles"]:
        assert row["customers"] == want.n[row["decile"]]
        assert row["predicted"] == pytest.approx(want.pv[row["decile"]], rel=1e-3)
        assert row["actual"] == want.av[row["decile"]]
    assert s["top_10"] == pytest.approx(want.av.iloc[0] / o.actual.sum(), rel=1e-12)
