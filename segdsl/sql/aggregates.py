"""Aggregates in SQL: conditional (FILTER or CASE, as the dialect prefers), exact sums and averages,
and the conditions an aggregation's rows share. Used by the membership query and by reports."""

from __future__ import annotations

from sqlglot import exp

from ..semantic import model as m
from . import dialects as dl


def aggregated(low: dl.Dialect, func: type[exp.Expression], value: exp.Expression, cond: exp.Expression | None,
               filtered: bool | None = None) -> exp.Expression:
    """AGG(value) over the rows where `cond` holds: FILTER where the dialect has it (and it is chosen), else CASE."""
    if cond is None:
        return func(this=value)
    if low.filter_clause if filtered is None else filtered:
        return exp.Filter(this=func(this=value), expression=exp.Where(this=cond))
    return func(this=exp.Case(ifs=[exp.If(this=cond, true=value)]))


def count_where(low: dl.Dialect, cond: exp.Expression | None = None) -> exp.Expression:
    """Rows (where `cond` holds); COUNT, so that every engine returns an integer."""
    if cond is None:
        return exp.Count(this=exp.Star())
    return aggregated(low, exp.Count, exp.Star() if low.filter_clause else exp.Literal.number(1), cond)


def exact_aggregate(low: dl.Dialect, func: str, arg: exp.Expression, cond: exp.Expression | None,
                    filtered: bool | None = None) -> exp.Expression:
    """`sum` or `avg` of numbers, the same on every engine and in every run.

    Floating-point addition depends on the order of the rows, which parallel
    scans and different engines do not fix: 169.40 + 139.81 + 40.79 is 350.0
    in one order and 350.00000000000006 in another, so a threshold of 350
    could put a member on either side. Each value is taken at nine decimal
    places and added exactly (a DECIMAL(38, 9) sum, or integer parts on
    SQLite), and the exact total becomes the nearest double; an average is
    that total divided by the count of values, both exact before the one
    rounding division. The result is a double on every engine.
    """
    total = low.exact_sum(lambda x: aggregated(low, exp.Sum, x, cond and cond.copy(), filtered), arg)
    if func == "sum":
        return total
    count = aggregated(low, exp.Count, arg.copy(), cond and cond.copy(), filtered)
    return exp.Div(this=total, expression=exp.func("NULLIF", exp.cast(count, dl.dtype("DOUBLE")),
                                                   exp.Literal.number(0)))


def conjuncts(e: m.Expr) -> tuple[m.Expr, ...]:
    """The parts of a condition joined by `and`, flattened."""
    if isinstance(e, m.And):
        return tuple(c for item in e.items for c in conjuncts(item))
    return (e,)


def split_filters(aggs: list[m.Agg]) -> tuple[tuple[m.Expr, ...], list[tuple[m.Expr, ...]]]:
    """The conditions every aggregate of a scan filters on, and what is left of each aggregate's filter.

    The common conditions go to the WHERE clause: an aggregate over no rows is
    the same as one whose FILTER matched no rows (count 0 after the layer's
    COALESCE, otherwise missing), so the results do not change.
    """
    parts = [conjuncts(a.filter) if a.filter is not None else () for a in aggs]
    common = tuple(c for c in parts[0] if all(c in p for p in parts[1:])) if parts else ()
    return common, [tuple(c for c in p if c not in common) for p in parts]
