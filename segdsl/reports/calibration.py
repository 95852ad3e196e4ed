"""The calibration report of a prediction: refit on the past, compare with what happened next.

    report calibration of clv split 6 months        (or: until @2025-12-31; default: the horizon)

The events up to a calibration date are the calibration period, the days
after it up to as_of the holdout. BG/NBD and Gamma-Gamma are fitted on the
calibration period with the fitting code of `segdsl fit` (the engine groups
the summary; the lock file is neither read nor written), and the prediction
is scored in SQL as of the calibration date with a horizon of the holdout's
length. The engine then joins, per member, the calibration summary and
prediction with the holdout's actual repeat purchase days (distinct days, as
the summary counts them) and value, and returns grouped rows only:

* per number of calibration repeat purchase days (0 … 6, 7+): customers,
  mean predicted and mean actual holdout purchases (Fader & Hardie's chart,
  lifetimes' `plot_calibration_purchases_vs_holdout_purchases`);
* per decile of predicted value (ranked by the engine, highest first):
  customers, predicted and actual holdout value, share of the actual value;
  from the same ranks the Gini coefficient of the predicted value against
  the actual value and the share captured by the top 10 % and 20 %;
* actual cumulative repeat purchase days in the holdout at each unit (a
  count per step in one query); the predicted ones come from the grouped
  calibration summary (x, tₓ, T), which is small, with the closed forms.

A predicted holdout value is expected purchases × expected spend, not
discounted, since the actual value it is compared with is not. A
prediction without `value:` is ranked and compared on purchases instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any, Callable

import numpy as np
from sqlglot import exp

from ..engines.predictions import fit_summary, summary
from ..lang.diagnostics import Diagnostic, SegError, error
from ..predict import formulas
from ..predict.lock import bind
from ..semantic import model as m
from ..semantic.model import T
from ..sql.aggregates import exact_aggregate
from .compute import Bars, ReportQueries, ReportResult, Table
from .lift_report import _aliased

TOP_GROUP = 7  # calibration purchases 7 and more are one row
MAX_STEPS = 52  # points of the cumulative curve at most


@dataclasses.dataclass
class Lines:
    """Lines over an x axis: each series with one value per label (a line chart in HTML)."""

    title: str
    x_title: str
    labels: list[str]
    series: list[str]
    values: list[list[float | None]]


def calibration_date(r: m.Report, p: m.Prediction, as_of: dt.date) -> dt.date:
    """The last day of the calibration period, which must be before as_of (SEG328)."""
    if isinstance(r.period, dt.date):
        date = r.period
    elif isinstance(r.period, tuple):
        date = m.shift_date(as_of, -r.period[0], r.period[1])
    else:
        date = as_of - dt.timedelta(days=round(p.horizon_days))
    if date >= as_of:
        raise error("SEG328", f"report `{r.name}` ends its calibration period on {date.isoformat()}, which is not "
                    f"before as_of {as_of.isoformat()}: there is no holdout period", r.period_span or r.span,
                    "give a calibration date before as_of (`until @D`), or a later --as-of")
    return date


def holdout_model(ir: m.CheckedModel, p: m.Prediction, days: int) -> m.CheckedModel:
    """The model with prediction `p` predicting `days` ahead, undiscounted (the holdout's length)."""
    features = dict(ir.features)
    horizon = days / p.unit_days
    for part in m.PREDICTION_PARTS:
        column = dict(p.features).get(part)
        if column in features and isinstance(features[column].expr, m.Predict):
            f = features[column]
            features[column] = dataclasses.replace(f, expr=dataclasses.replace(f.expr, horizon=horizon, discount=0.0))
    return dataclasses.replace(ir, features=features)


def _holdout_features(ir: m.CheckedModel, p: m.Prediction, days: int, steps: list[int]
                      ) -> tuple[m.CheckedModel, list[str]]:
    """Hidden features read at as_of: holdout repeat purchase days, holdout value, and the purchase days
    up to each step after the calibration date. An event `days_ago` days before as_of is in the holdout
    when days_ago < days (the calibration date itself is `days` days before)."""
    age = ir.features[p.feature("age")].expr
    assert isinstance(age, m.Agg)
    days_ago = age.arg
    inside = m.Compare("<", days_ago, m.Const(days, T.NUMBER))
    new: dict[str, m.Expr] = {"_cal_purchases": m.Agg("count_distinct", p.source, days_ago, inside)}
    if p.value is not None:
        new["_cal_value"] = m.Agg("sum", p.source, p.value, inside)
    for i, t in enumerate(steps):
        new[f"_cal_step_{i}"] = m.Agg("count_distinct", p.source, days_ago,
                                      m.And((inside, m.Compare(">=", days_ago, m.Const(days - t, T.NUMBER)))))
    features = dict(ir.features)
    for name, x in new.items():
        features[name] = m.Feature(name, x)
    return dataclasses.replace(ir, features=features, order=tuple(ir.order) + tuple(new)), list(new)


def step_days(days: int, unit_days: float) -> list[int]:
    """The days after the calibration date at which the cumulative curve is read: every unit (every few
    units beyond MAX_STEPS points), and the holdout's last day."""
    unit = max(1, round(unit_days))
    every = unit * max(1, math.ceil(days / unit / MAX_STEPS))
    out = list(range(every, days, every))
    return out + [days]


def calibration_report(target: Any, ir: m.CheckedModel, r: m.Report, as_of: dt.date, params: dict[str, object],
                       members: Callable[..., exp.Expression]) -> ReportResult:
    """Compute one calibration report; `members(ir, date, name, outputs)` keeps a membership on the target."""
    p = ir.predictions[r.subjects[0]]
    cal = calibration_date(r, p, as_of)
    days = (as_of - cal).days
    try:
        grouped = summary(ir, p, target, cal, params)
    except target.errors as exc:
        from ..engines.execution import engine_failure

        raise engine_failure(target, exc, f"compute the calibration summary of `{p.name}`") from None
    try:
        fit = fit_summary(p, grouped, cal, stored=False)
    except SegError as exc:
        d = exc.diagnostics[0]
        raise SegError([Diagnostic(d.code, f"report `{r.name}`: {d.message} in the calibration period up to "
                                   f"{cal.isoformat()}", r.span,
                                   "give an earlier calibration date (`until @D`, `split D`) or a later --as-of, "
                                   "so that the calibration period holds more customers")]) from None
    scored = bind(holdout_model(ir, p, days), {p.name: (fit.bgnbd, fit.gamma_gamma)})
    has_value = p.value is not None and fit.gamma_gamma is not None
    parts = ["frequency", "purchases"] + (["spend"] if has_value else [])
    c_rel = members(scored, cal, "segdsl_calibration_members", [p.feature("age")] + [p.feature(x) for x in parts])
    steps = step_days(days, p.unit_days)
    holdout_ir, hidden = _holdout_features(ir, p, days, steps)
    h_rel = members(holdout_ir, as_of, "segdsl_calibration_holdout", hidden)
    engine = ReportQueries(target, c_rel)
    low = engine.low
    key = ir.entity.key

    def c(name: str) -> exp.Expression:
        return exp.column(name, table="c", quoted=True)

    def zero(e: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=e, expressions=[exp.Literal.number(0)])

    double = exp.DataType.build("DOUBLE")
    hx = zero(exp.cast(exp.column("_cal_purchases", table="h", quoted=True), double))
    predicted_n = zero(exp.cast(c(p.feature("purchases")), double))
    if has_value:
        hv = zero(exp.cast(exp.column("_cal_value", table="h", quoted=True), double))
        pv = zero(exp.Mul(this=exp.cast(c(p.feature("purchases")), double),
                          expression=exp.cast(c(p.feature("spend")), double)))
    else:
        hv, pv = hx.copy(), predicted_n.copy()
    joined = (exp.select().from_(_aliased(c_rel, "c"))
              .join(_aliased(h_rel, "h"), on=exp.EQ(this=c(key), expression=exp.column(key, table="h", quoted=True)),
                    join_type="left")
              .where(exp.Not(this=exp.Is(this=c(p.feature("age")), expression=exp.Null()))))

    def total(e: exp.Expression) -> exp.Expression:
        return exact_aggregate(low, "sum", e, None)

    # 1. by number of calibration repeat purchase days
    x = exp.cast(c(p.feature("frequency")), double)
    group = exp.Case(ifs=[exp.If(this=exp.GTE(this=x, expression=exp.Literal.number(TOP_GROUP)),
                                 true=exp.Literal.number(TOP_GROUP))], default=x.copy())
    q = joined.copy().select(group.as_("k"), exp.Count(this=exp.Star()), total(predicted_n.copy()), total(hx.copy()))
    q = q.group_by(group.copy())
    by_x = {int(round(row[0])): row[1:] for row in engine.rows(q) if row[0] is not None}
    result = ReportResult(r.name, "calibration", f"Calibration of {p.name}: fitted up to {cal.isoformat()}, "
                          f"holdout {(cal + dt.timedelta(days=1)).isoformat()} to {as_of.isoformat()} ({days} days)")
    rows_x = []
    for k in range(TOP_GROUP + 1):
        n, pred, act = by_x.get(k, (0, 0.0, 0.0))
        n = int(n or 0)
        rows_x.append([f"{k}+" if k == TOP_GROUP else str(k), n, float(pred or 0) / n if n else None,
                       float(act or 0) / n if n else None])
    result.blocks.append(Table("Holdout purchases by calibration repeat purchases",
                               ["calibration purchases", "customers", "predicted", "actual"],
                               ["text", "int", "num", "num"], rows_x))
    result.blocks.append(Lines("Mean holdout purchases by calibration repeat purchases", "calibration purchases",
                               [row[0] for row in rows_x], ["predicted", "actual"],
                               [[row[2] for row in rows_x], [row[3] for row in rows_x]]))

    # 2. deciles of predicted value, and the Gini coefficient from the same ranks
    kname = exp.column(key, table="c", quoted=True)
    ranked = joined.copy().select(
        pv.as_("pv"), hv.as_("av"),
        exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
            exp.Ordered(this=pv.copy(), desc=True), exp.Ordered(this=kname.copy())])).as_("rp"),
        exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
            exp.Ordered(this=hv.copy(), desc=True), exp.Ordered(this=kname.copy())])).as_("ra"),
        exp.Window(this=exp.Count(this=exp.Star())).as_("n"))
    rk = exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("r")))

    def rc(name: str) -> exp.Expression:
        return exp.column(name, table="r")

    decile = exp.Floor(this=exp.Div(this=exp.Mul(this=exp.cast(exp.Sub(this=rc("rp"), expression=exp.Literal.number(1)),
                                                               double), expression=exp.Literal.number(10)),
                                    expression=exp.cast(rc("n"), double)))
    weight_p = exp.Mul(this=rc("av"), expression=exp.Paren(this=exp.Sub(
        this=exp.Add(this=rc("n"), expression=exp.Literal.number(1)), expression=rc("rp"))))
    weight_a = exp.Mul(this=rc("av"), expression=exp.Paren(this=exp.Sub(
        this=exp.Add(this=rc("n"), expression=exp.Literal.number(1)), expression=rc("ra"))))
    q = (exp.select(decile.as_("d"), exp.Count(this=exp.Star()), total(rc("pv")), total(rc("av")), total(weight_p),
                    total(weight_a)).from_(rk).group_by(decile.copy()))
    deciles = sorted((int(round(row[0])), [float(v or 0) for v in row[1:]]) for row in engine.rows(q))
    customers = int(sum(v[0] for _, v in deciles))
    actual_total = sum(v[2] for _, v in deciles)
    predicted_total = sum(v[1] for _, v in deciles)
    what = "value" if has_value else "purchases"
    rows_d = [[f"{d + 1}", int(v[0]), v[1], v[2], v[1] / predicted_total if predicted_total else None,
               v[2] / actual_total if actual_total else None] for d, v in deciles]
    result.blocks.append(Table(f"Holdout {what} by decile of predicted {what} (1 = highest)",
                               ["decile", "customers", f"predicted {what}", f"actual {what}", "share of predicted",
                                "share of actual"], ["text", "int", "num", "num", "pct", "pct"], rows_d))
    result.blocks.append(Bars(f"Share of holdout {what} by decile of predicted {what}", ["predicted", "actual"],
                              [row[0] for row in rows_d], [[row[4] or 0.0, row[5] or 0.0] for row in rows_d]))
    gini = normalised = None
    if customers and actual_total > 0:
        area = (sum(v[3] for _, v in deciles) / actual_total - 0.5) / customers
        best = (sum(v[4] for _, v in deciles) / actual_total - 0.5) / customers
        gini = 2 * area - 1
        normalised = gini / (2 * best - 1) if 2 * best - 1 > 0 else None
    top = {share: _captured(deciles, share, actual_total) for share in (0.1, 0.2)}
    result.blocks.append(Table(f"Ranking by predicted {what}: Gini coefficient", ["figure", "value"],
                               ["text", "num"], [["Gini coefficient", gini],
                                                 ["Gini, normalised (actual ranking = 1)", normalised]]))
    result.blocks.append(Table(f"Actual {what} captured by the top predicted",
                               ["top predicted", f"share of actual {what}"], ["text", "pct"],
                               [["10 %", top[0.1]], ["20 %", top[0.2]]]))

    # 3. cumulative purchases over the holdout
    q = joined.copy().select(*[total(zero(exp.cast(exp.column(f"_cal_step_{i}", table="h", quoted=True), double)))
                               for i in range(len(steps))])
    actual_steps = [float(v or 0) for v in engine.rows(q)[0]]
    u = p.unit_days
    predicted_steps = [float(np.sum(grouped.n * formulas.expected_purchases(
        fit.bgnbd, t / u, grouped.x, grouped.tx / u, grouped.T / u))) for t in steps]
    unit_name = "week" if round(u) == 7 else "day"
    labels = [f"{t / u:g}" for t in steps]
    result.blocks.append(Table(f"Cumulative repeat purchases in the holdout ({unit_name}s after "
                               f"{cal.isoformat()})", [unit_name, "date", "predicted", "actual"],
                               ["text", "text", "num", "num"],
                               [[lab, (cal + dt.timedelta(days=t)).isoformat(), pr, ac]
                                for lab, t, pr, ac in zip(labels, steps, predicted_steps, actual_steps)]))
    result.blocks.append(Lines("Cumulative repeat purchases in the holdout", f"{unit_name}s", labels,
                               ["predicted", "actual"], [predicted_steps, actual_steps]))
    b = fit.bgnbd
    result.notes.append(f"fitted on {b.customers:,} customers with a purchase up to {cal.isoformat()}: r = {b.r:.4g}, "
                        f"α = {b.alpha:.4g}, a = {b.a:.4g}, b = {b.b:.4g}" + (
                            f"; p = {fit.gamma_gamma.p:.4g}, q = {fit.gamma_gamma.q:.4g}, v = {fit.gamma_gamma.v:.4g}"
                            if fit.gamma_gamma is not None else ""))
    result.notes.append("purchases are repeat purchase days (distinct days); predicted value is expected purchases "
                        "× expected spend, not discounted; the lock file is not used")
    if fit.excluded:
        result.notes.append(f"{fit.excluded:,} repeat customers with a mean purchase value ≤ 0 are left out of the "
                            "spend model")
    result.stats = {
        "prediction": p.name, "calibration_end": cal.isoformat(),
        "holdout_from": (cal + dt.timedelta(days=1)).isoformat(),
        "holdout_to": as_of.isoformat(), "holdout_days": days, "customers": customers,
        "bgnbd": b.params, "gamma_gamma": fit.gamma_gamma.params if fit.gamma_gamma is not None else None,
        "by_purchases": [{"purchases": row[0], "customers": row[1], "predicted": row[2], "actual": row[3]}
                         for row in rows_x],
        "deciles": [{"decile": int(row[0]), "customers": row[1], "predicted": row[2], "actual": row[3]}
                    for row in rows_d],
        "cumulative": [{"days": t, "predicted": pr, "actual": ac}
                       for t, pr, ac in zip(steps, predicted_steps, actual_steps)],
        "gini": gini, "gini_normalised": normalised, "top_10": top[0.1], "top_20": top[0.2],
        "measure": what,
    }
    return result


def _captured(deciles: list[tuple[int, list[float]]], share: float, actual_total: float) -> float | None:
    """The share of the actual total held by the top `share` of customers by prediction (whole deciles)."""
    if actual_total <= 0:
        return None
    return sum(v[2] for d, v in deciles if d < round(share * 10)) / actual_total


__all__ = ["calibration_report", "calibration_date", "Lines", "step_days"]
