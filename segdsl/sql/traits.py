"""Trait aggregates in SQL: most_frequent, first, last (a value picked per member) and share.

A picked value is not an aggregate every engine has (MODE, ARG_MIN and
FIRST_VALUE differ in name, in ties and in NULLs), so each is one CTE of
its own, written with what all of them have: GROUP BY, joins and ROW_NUMBER().

* most_frequent: the events' values counted per member and value, then the
  value with the most events; ties go to the smallest value.
* first / last: the earliest (latest) event time per member in one grouped
  scan, then the smallest value among the member's events at that time.

Missing values are skipped, as every aggregate skips them; a member
without a value gets none (missing). Values are told apart and ordered
exactly as count_distinct and min tell them apart and order them on the
dialect (text byte for byte in code point order, SQLite timestamps as UTC
times), so every engine picks the same one.

A share is a quotient of two conditional aggregates of the same scan:
the sum (or count) where the part's condition holds over the sum (or count)
of the whole, 0 where no event is in the part and missing where the whole
is 0 or has no value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from ..semantic import model as m
from ..semantic.model import T
from . import dialects as dl
from .aggregates import aggregated, exact_aggregate
from .expressions import E, col

if TYPE_CHECKING:
    from .writer import Writer

PICKED = ("most_frequent", "first", "last")
VALUE, RANK, COUNT, GROUP = "_v", "_r", "_n", "_g"


def is_picked(a: m.Agg) -> bool:
    """Whether an aggregate needs a CTE of its own (it picks one value of the events)."""
    return a.func in PICKED


def share(low: dl.Dialect, arg: exp.Expression | None, cond: exp.Expression | None, part: exp.Expression,
          filtered: bool) -> exp.Expression:
    """The part over the whole: exact sums of `arg` (or counts of events) where `cond` holds, the part where
    `part` holds too. The part is 0, not missing, when no event is in it; a whole of 0 gives missing."""
    both = exp.and_(exp.Paren(this=cond.copy()), exp.Paren(this=part), copy=False) if cond is not None else part
    if arg is None:
        one = exp.Star() if filtered else exp.Literal.number(1)
        whole = aggregated(low, exp.Count, one, cond and cond.copy(), filtered)
        partial = aggregated(low, exp.Count, one.copy(), both, filtered)
    else:
        whole = exact_aggregate(low, "sum", arg, cond and cond.copy(), filtered)
        partial = exact_aggregate(low, "sum", arg.copy(), both, filtered)
        partial = exp.Coalesce(this=partial, expressions=[exp.Literal.number(0)])
    return low.divide(exp.Paren(this=partial), exp.Paren(this=whole))


class Picker:
    """The CTE of one picked aggregate: `_key` and its value, one row per member that has one."""

    def __init__(self, writer: "Writer"):
        self.w = writer
        self.x = writer.x
        self.low = writer.low

    def query(self, a: m.Agg, prev: str) -> exp.Select:
        ev = self.w.model.events[a.source]
        by = self.low.key(col(ev.by, E), self.x.type_of(a.source, ev.by))
        value = self.x.expr(a.arg)
        t = a.arg.type
        present = exp.Not(this=exp.Paren(this=exp.Is(this=exp.Paren(this=value.copy()), expression=exp.Null())))
        conditions = [self.w.cut(a.source), present]
        if a.filter is not None:
            conditions.append(exp.Paren(this=self.x.expr(a.filter)))
        scan = exp.select(exp.alias_(by, "_key", quoted=True, copy=False), copy=False)
        scan = scan.from_(exp.alias_(self.x.source(ev.source), E, table=True, copy=False), copy=False)
        if a.func == "most_frequent":
            group = self.low.aggregate_arg("count_distinct", value.copy(), t)
            smallest = self.low.aggregate_result(
                "min", self.low.min_max("min", self.low.aggregate_arg("min", value.copy(), t), t), t)
            scan = scan.select(exp.alias_(group, GROUP, quoted=True, copy=False),
                               exp.alias_(exp.Count(this=exp.Star()), COUNT, quoted=True, copy=False),
                               exp.alias_(smallest, VALUE, quoted=True, copy=False), copy=False)
            scan = self._where(scan, conditions, a, by, prev)
            scan = scan.group_by(by.copy(), group.copy(), copy=False)
            order = [exp.Ordered(this=col(COUNT), desc=True),
                     exp.Ordered(this=self._value_order(col(GROUP), t, grouped=True))]
            ranked = exp.select(col("_key"), col(VALUE), copy=False).from_(
                exp.Subquery(this=scan, alias=exp.TableAlias(this=exp.to_identifier("c"))), copy=False)
            source: exp.Select = ranked
        else:
            return self._first_last(a, scan, conditions, by, value, prev)
        rank = exp.Window(this=exp.RowNumber(), partition_by=[col("_key")],
                          order=exp.Order(expressions=order))
        ranked = source.select(exp.alias_(rank, RANK, quoted=True, copy=False), copy=False)
        column = self.w.plan.columns.aggregate(a)
        picked = exp.select(col("_key"), exp.alias_(col(VALUE), column, quoted=True, copy=False), copy=False)
        picked = picked.from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("r"))),
                              copy=False)
        return picked.where(exp.EQ(this=col(RANK), expression=exp.Literal.number(1)), copy=False)

    def _first_last(self, a: m.Agg, scan: exp.Select, conditions: list[exp.Expression], by: exp.Expression,
                    value: exp.Expression, prev: str) -> exp.Select:
        """The smallest value among each member's events at its earliest (latest) time.

        Two grouped scans joined on (member, time) rather than a window over
        all the events: no engine has to sort every event of a member, and
        on DuckDB it is about four times faster than ROW_NUMBER().
        """
        ev = self.w.model.events[a.source]
        at_type = self.w.at_type(a.source)
        t = a.arg.type

        def time_order() -> exp.Expression:
            # Compared as times (SQLite: text written with offsets, as UTC), also when the type is not known.
            return self.low.aggregate_arg("count_distinct", self.low.read(col(ev.at, E), at_type),
                                          T.DATE if at_type is T.DATE else T.TIMESTAMP)

        edge = (exp.Min if a.func == "first" else exp.Max)(this=time_order())
        edges = scan.select(exp.alias_(edge, "_t", quoted=True, copy=False), copy=False)
        edges = self._where(edges, [c.copy() for c in conditions], a, by, prev).group_by(by.copy(), copy=False)
        smallest = self.low.aggregate_result(
            "min", self.low.min_max("min", self.low.aggregate_arg("min", value.copy(), t), t), t)
        picked = exp.select(exp.alias_(by.copy(), "_key", quoted=True, copy=False),
                            exp.alias_(smallest, self.w.plan.columns.aggregate(a), quoted=True, copy=False),
                            copy=False)
        picked = picked.from_(exp.alias_(self.x.source(ev.source), E, table=True, copy=False), copy=False)
        on = exp.and_(exp.EQ(this=by.copy(), expression=col("_key", "_e")),
                      exp.EQ(this=time_order(), expression=col("_t", "_e")), copy=False)
        # the member values first: their columns are read from this query alone, not from the edges inside it
        picked = self._where(picked, [c.copy() for c in conditions], a, by, prev)
        picked = picked.join(exp.Subquery(this=edges, alias=exp.TableAlias(this=exp.to_identifier("_e"))), on=on,
                             copy=False)
        return picked.group_by(by.copy(), copy=False)

    def _where(self, scan: exp.Select, conditions: list[exp.Expression], a: m.Agg, by: exp.Expression,
               prev: str) -> exp.Select:
        scan = scan.where(exp.and_(*conditions, copy=False), copy=False)
        if self.w.plan.reads_members(a):
            scan = scan.join(self.w.member_values(scan, prev), on=exp.EQ(this=by.copy(), expression=col("_member", "p")),
                             copy=False)
        return scan

    def _value_order(self, x: exp.Expression, t: T, grouped: bool) -> exp.Expression:
        """A value as ties are broken: text by code point, SQLite timestamps by their UTC time."""
        if t is T.TEXT:
            return self.low.text_operand(x, True)
        if t is T.TIMESTAMP and not grouped:
            return self.low.aggregate_arg("count_distinct", x, t)
        return x
