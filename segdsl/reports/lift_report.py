"""The lift report: a holdout's arms at as_of, compared on an outcome in the days after it.

    report lift of win_back_test measure exists(orders in next 30 days), sum(orders.amount in next 30 days)

Two evaluations of the model meet here. The arms are the holdout's at
as_of. The outcome is measured over the events in the window after as_of:
each measure becomes a hidden feature whose `as_of` is pinned to the
report's date, evaluated at the end of the longest outcome window (so the
point-in-time cut keeps the window's events and nothing later). The engine
joins the two by member and returns, per arm, the members, the sum of the
outcome and the sum of its squares — a yes/no outcome counts as 1 and 0,
and a member without events in the window counts as 0 (no conversion, no
revenue). `segdsl.reports.lift` turns these into rates or means, lifts,
intervals, p-values and minimum detectable effects; no member row reaches
Python.

The outcome window must be over: an as_of whose window ends after today is
SEG327, since the arms would be compared on days that have not happened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable

from sqlglot import exp

from ..lang.diagnostics import error
from ..semantic import model as m
from ..semantic.activation_checks import outcome_shifts
from ..semantic.model import T
from ..sql.aggregates import count_where, exact_aggregate
from .compute import ReportQueries, ReportResult, Table
from .lift import Arm, LiftResult, lift


def pin_as_of(e: Any, date: dt.date) -> Any:
    """The expression with every `as_of` replaced by the date itself (the report's as_of)."""
    if isinstance(e, m.AsOf):
        return m.Const(date, T.DATE, e.span)
    if not dataclasses.is_dataclass(e):
        return e
    changes = {}
    for f in dataclasses.fields(e):
        if f.name == "span":
            continue
        v = getattr(e, f.name)
        if dataclasses.is_dataclass(v):
            new = pin_as_of(v, date)
        elif isinstance(v, tuple):
            new = tuple(pin_as_of(x, date) for x in v)
        else:
            continue
        if new != v:
            changes[f.name] = new
    return dataclasses.replace(e, **changes) if changes else e


def outcome_end(r: m.Report, as_of: dt.date) -> dt.date:
    """The last day of the longest outcome window of the report's measures."""
    ends = [m.shift_date(as_of, n, unit) for x in r.measures for n, unit in outcome_shifts(x)]
    return max(ends) if ends else as_of


def check_window(r: m.Report, as_of: dt.date, today: dt.date | None = None) -> dt.date:
    """The end of the outcome window, which must be in the past (SEG327)."""
    end = outcome_end(r, as_of)
    today = today or dt.date.today()
    if end >= today:
        days = (end - as_of).days + 1
        raise error("SEG327", f"report `{r.name}` measures the outcome up to {end.isoformat()}, which is not over",
                    r.span, f"give an --as-of at least {days} days before today")
    return end


def lift_report(target: Any, ir: m.CheckedModel, r: m.Report, as_of: dt.date,
                members: Callable[..., exp.Expression], label: Callable[[Any], str | None]) -> ReportResult:
    """Compute one lift report; `members(ir, date, name, outputs)` keeps a membership on the target."""
    end = check_window(r, as_of)
    holdout = ir.holdouts[r.subjects[0]]
    control = r.against or ""
    key = ir.entity.key
    features = dict(ir.features)
    order = list(ir.order)
    hidden: list[str] = []
    for i, x in enumerate(r.measures):
        name = f"_o_{r.name}_{i}"
        features[name] = m.Feature(name, pin_as_of(x, as_of))
        order.append(name)
        hidden.append(name)
    extended = dataclasses.replace(ir, features=features, order=tuple(order))
    arms = members(ir, as_of, "segdsl_lift_arms", [holdout.name])
    outcomes = members(extended, end, "segdsl_lift_outcomes", hidden)
    engine = ReportQueries(target, arms)
    low = engine.low
    a, o = "a", "o"
    figures: list[exp.Expression] = [count_where(low)]
    for name, x in zip(hidden, r.measures):
        value: exp.Expression = exp.column(name, table=o, quoted=True)
        if x.type is T.BOOL:
            value = exp.Case(ifs=[exp.If(this=value, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        else:
            value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        figures.append(exact_aggregate(low, "sum", value, None))
        figures.append(exact_aggregate(low, "sum", exp.Mul(this=exp.Paren(this=value.copy()),
                                                           expression=exp.Paren(this=value.copy())), None))
    arm = exp.column(holdout.name, table=a, quoted=True)
    join = exp.EQ(this=exp.column(key, table=a, quoted=True), expression=exp.column(key, table=o, quoted=True))
    q = (exp.select(arm.copy(), *figures)
         .from_(_aliased(arms, a))
         .join(_aliased(outcomes, o), on=join, join_type="left")
         .where(exp.Not(this=exp.Is(this=arm.copy(), expression=exp.Null())))
         .group_by(arm.copy()))
    rows = {str(row[0]): row[1:] for row in engine.rows(q)}
    treated = ", ".join(x for x in holdout.labels if x != control)
    result = ReportResult(r.name, "lift", f"Lift of {holdout.name}: {treated} against {control}, "
                          f"outcome {as_of + dt.timedelta(days=1)} to {end}")
    stats: dict[str, Any] = {"as_of": as_of.isoformat(), "outcome_from": (as_of + dt.timedelta(days=1)).isoformat(),
                             "outcome_to": end.isoformat(), "measures": {}}
    for i, x in enumerate(r.measures):
        title = label(getattr(x, "span", None)) or hidden[i]
        kind = "yes/no" if x.type is T.BOOL else "value"
        arms_in = [Arm(name, int(rows[name][0]) if name in rows else 0,
                       float(rows[name][1 + 2 * i] or 0) if name in rows else 0.0,
                       (float(rows[name][2 + 2 * i] or 0) if name in rows else 0.0) if kind == "value" else None)
                   for name in holdout.labels]
        done = lift(arms_in, control, kind)
        _tables(result, title, done)
        stats["measures"][title] = done.to_dict()
    result.notes += list(dict.fromkeys(f"{title}, {c['arm']}: {w}" for title, d in stats["measures"].items()
                                       for c in d["comparisons"] for w in c["warnings"]))
    result.notes.append("a member without events in the outcome window counts as 0")
    for kind in dict.fromkeys(d["outcome"] for d in stats["measures"].values()):
        methods = next(d["methods"] for d in stats["measures"].values() if d["outcome"] == kind)
        result.notes.append(f"{kind} outcomes: " + "; ".join(f"{k}: {v}" for k, v in methods.items()))
    result.stats = stats
    return result


def _tables(result: ReportResult, title: str, done: LiftResult) -> None:
    rate = done.outcome == "yes/no"
    result.blocks.append(Table(
        f"{title}: per arm", ["arm", "members", "converters" if rate else "sd", "rate" if rate else "mean"],
        ["text", "int", "int" if rate else "num", "pct" if rate else "num"],
        [[a.name, a.members, a.converters if rate else a.sd, a.rate if rate else a.mean] for a in done.arms]))
    value_kind = "pct" if rate else "num"
    result.blocks.append(Table(
        f"{title}: lift against {done.control} ({done.confidence:.0%} intervals)",
        ["arm", "lift", "low", "high", "relative lift", "rel. low", "rel. high", "p-value",
         "detectable lift"],
        ["text", value_kind, value_kind, value_kind, "pct", "pct", "pct", "pvalue", value_kind],
        [[c.arm, c.absolute_lift, c.ci_low, c.ci_high, c.relative_lift, c.relative_ci_low, c.relative_ci_high,
          c.p_value, c.mde] for c in done.comparisons]))


def _aliased(relation: exp.Expression, alias: str) -> exp.Expression:
    """A kept membership (a table or a derived table) under the alias the lift query reads it by."""
    relation = relation.copy()
    if isinstance(relation, exp.Subquery):
        return exp.Subquery(this=relation.this, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    if isinstance(relation, exp.Table):
        relation.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return relation
    return exp.Subquery(this=relation, alias=exp.TableAlias(this=exp.to_identifier(alias)))


__all__ = ["lift_report", "pin_as_of", "outcome_end", "check_window"]
