"""Expressions: the model's typed expressions as sqlglot expressions of a dialect, within a plan.

Every expression reads its member values from the previous layer (alias `p`)
under the column names of the plan, and the columns of an events source
inside an aggregation (alias `e`). Whatever differs between engines is asked
of the dialect (segdsl.sql.dialects); constant dates (as_of and its shifts,
date params) are folded here so that windows compare with literals. A
dialect's refusal (SEG311) points at the node in the .seg file.

Everything reaches SQL through sqlglot nodes: names as identifiers (quoted by
the dialect), values as literals. No text of a .seg file is pasted in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from sqlglot import exp

from ..lang.diagnostics import SegError
from ..lang.syntax import is_data_file, like_pattern
from ..semantic import model as m
from ..semantic.model import T
from . import dialects as dl
from .dialects.base import num
from .options import Options
from .planner import Plan

P = "p"  # alias of the previous layer
E = "e"  # alias of the events source in an aggregation


def source_table(source: str, dialect: str, root: Path | None = None) -> exp.Expression:
    """The table expression of a source: a table, `schema.table`, or a data file.

    A dialect that reads data files itself (DuckDB) reads the file; for the
    others a file source compiles to a table named after the file's stem, so
    `"orders.parquet"` reads table `orders` in the warehouse.
    """
    if is_data_file(source):
        path = str((root / source).resolve()) if root is not None else source
        table = dl.get(dialect).file_source(path)
        return table if table is not None else exp.Table(this=exp.to_identifier(Path(source).stem, quoted=True))
    parts = source.split(".")
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    if len(ids) == 1:
        return exp.Table(this=ids[0])
    if len(ids) == 2:
        return exp.Table(this=ids[1], db=ids[0])
    return exp.Table(this=ids[-1], db=ids[-2], catalog=ids[-3])


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=exp.to_identifier(table) if table else None)


def cte(name: str, alias: str) -> exp.Table:
    """A CTE of the query under a short alias."""
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _date_literal(d: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(d.isoformat()), exp.DataType.build("DATE"))


def _timestamp_literal(t: dt.datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(t.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))


def literal(value: object) -> exp.Expression:
    """A typed value as a SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        return _timestamp_literal(value)
    if isinstance(value, dt.date):
        return _date_literal(value)
    raise TypeError(f"no literal for {value!r}")


def paren(x: exp.Expression) -> exp.Expression:
    return exp.Paren(this=x) if isinstance(x, (exp.And, exp.Or, exp.Not)) else x


class ExpressionCompiler:
    """Writes the model's expressions for one query: its plan, its options, its dialect."""

    def __init__(self, plan: Plan, options: Options):
        self.plan = plan
        self.model = plan.model
        self.columns = plan.columns
        self.opt = options
        self.dialect = options.dialect
        self.low = dl.get(options.dialect)
        self.params = {n: options.params.get(n, p.value) for n, p in plan.model.params.items()}
        # (prediction, role) → the column holding that input of its parts, while the writer writes a layer
        # that computes them from a derived table (segdsl.predict.compile.inputs)
        self.predict_inputs: dict[tuple[str, str], str] = {}

    def source(self, source: str) -> exp.Expression:
        if self.opt.source is not None:
            return self.opt.source(source)
        return source_table(source, self.dialect)

    def as_of(self) -> exp.Expression:
        return self.low.date_literal(self.opt.as_of) if self.opt.as_of else self.low.current_date()

    def time_type(self, e: m.Expr) -> T:
        """The type of a date-like expression as far as SQL knows it.

        A shift of a value of unknown type is typed DATE by the model, but the
        value may be a timestamp: its date must still be taken, so it counts
        as unknown here (and so does a feature defined by such a shift).
        """
        if isinstance(e, m.DateShift) and not e.operand.type.is_time:
            return T.ANY
        if isinstance(e, m.FeatureRef) and e.name in self.model.features:
            return self.time_type(self.model.features[e.name].expr)
        return e.type

    def type_of(self, source: str, column: str | None) -> T:
        """The type of a source column when the schema is known (entity or events name)."""
        return (self.opt.schemas or {}).get(source, {}).get(column or "", T.ANY)

    def literal(self, value: object) -> exp.Expression:
        """A typed value as a literal of the dialect (dates are text on SQLite, N'' on T-SQL)."""
        if isinstance(value, str):
            return self.low.text_literal(value)
        if isinstance(value, dt.datetime):
            return self.low.timestamp_literal(value)
        if isinstance(value, dt.date):
            return self.low.date_literal(value)
        return literal(value)

    def conjunction(self, items: tuple[m.Expr, ...]) -> exp.Expression:
        if len(items) == 1:
            return paren(self.expr(items[0]))
        return exp.Paren(this=exp.and_(*(paren(self.expr(i)) for i in items), copy=False))

    def is_event_time(self, e: m.Expr) -> bool:
        """Whether an expression is the time column of an events source (only read inside its aggregates)."""
        return (isinstance(e, m.Column) and e.source is not None and e.source in self.model.events
                and self.model.events[e.source].at == e.name)

    def time_bound(self, x: exp.Expression, t: T, op: str, bound: dt.date | None) -> exp.Expression | None:
        """`date(x) op bound` as a comparison of the raw timestamp, or None where that is not known to be equal.

        `CAST(ts AS DATE) <= d` is `ts < TIMESTAMP 'd+1'` for a timestamp without a time zone (and for one
        with a zone where both sides are read in the session's zone): the comparison needs no cast per
        row and a Parquet reader can skip row groups by their statistics.
        """
        if t is not T.TIMESTAMP or bound is None or not self.low.raw_time_windows:
            return None
        try:
            day = dt.timedelta(days=1)
            edge = {"<=": bound + day, "<": bound, ">": bound + day, ">=": bound}[op]
        except OverflowError:
            return None
        literal_ = self.low.timestamp_literal(dt.datetime.combine(edge, dt.time()))
        return (exp.LT if op in ("<=", "<") else exp.GTE)(this=x, expression=literal_)

    @staticmethod
    def two_valued(x: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=x, expressions=[exp.false()])

    def expr(self, e: m.Expr) -> exp.Expression:
        return getattr(self, "_x_" + type(e).__name__)(e)

    def _x_Const(self, e: m.Const) -> exp.Expression:
        return self._at(e, lambda: self.literal(e.value))

    @staticmethod
    def _at(e: m.Expr, build: Callable[[], exp.Expression]) -> exp.Expression:
        """Build SQL for a node; a dialect's refusal (SEG311) points at the node in the .seg file."""
        try:
            return build()
        except SegError as exc:
            if e.span is not None:
                exc.diagnostics = [d if d.span is not None else type(d)(d.code, d.message, e.span, d.hint, d.severity)
                                   for d in exc.diagnostics]
            raise

    def _x_AsOf(self, e: m.AsOf) -> exp.Expression:
        return self.as_of()

    def _x_ParamRef(self, e: m.ParamRef) -> exp.Expression:
        return self._at(e, lambda: self.literal(self.params[e.name]))

    def _x_Column(self, e: m.Column) -> exp.Expression:
        if e.source is None:
            return col(self.columns.entity(e.name), P)  # read in the population
        return self.low.read(col(e.name, E), e.type)

    def _x_FeatureRef(self, e: m.FeatureRef | m.SegmentRef | m.SegmentationRef) -> exp.Expression:
        return col(self.columns.definition(e.name), P)

    _x_SegmentRef = _x_FeatureRef
    _x_SegmentationRef = _x_FeatureRef

    def _x_CaseRef(self, e: m.CaseRef) -> exp.Expression:
        return self.two_valued(exp.EQ(this=col(self.columns.definition(e.owner), P),
                                       expression=exp.Literal.string(e.case)))

    def _x_ScoreRef(self, e: m.ScoreRef) -> exp.Expression:
        return col(self.columns.score(e.owner, e.score), P)

    def _x_Agg(self, e: m.Agg) -> exp.Expression:
        return col(self.columns.aggregate(e), P)

    def _x_Neg(self, e: m.Neg) -> exp.Expression:
        return exp.Neg(this=exp.Paren(this=self.expr(e.operand)))

    def _x_Not(self, e: m.Not) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=self.expr(e.operand)))

    def _x_Arith(self, e: m.Arith) -> exp.Expression:
        left, right = exp.Paren(this=self.expr(e.left)), exp.Paren(this=self.expr(e.right))
        if e.op == "/":
            return self.low.divide(left, right)
        return self.low.arith(e.op, left, right)

    def constant_date(self, e: m.Expr) -> dt.date | None:
        """Fold as_of arithmetic to a date when as_of is fixed at compile time."""
        if isinstance(e, m.AsOf):
            return None if self.opt.engine_dates else self.opt.as_of
        if isinstance(e, m.Const) and isinstance(e.value, dt.date) and not isinstance(e.value, dt.datetime):
            return e.value
        if isinstance(e, m.ParamRef) and isinstance(self.params[e.name], dt.date) and not isinstance(
                self.params[e.name], dt.datetime):
            return self.params[e.name]
        if isinstance(e, m.DateShift):
            base = self.constant_date(e.operand)
            return m.shift_date(base, e.amount, e.unit) if base is not None else None
        return None

    def _x_DateShift(self, e: m.DateShift) -> exp.Expression:
        folded = self.constant_date(e)
        if folded is not None:
            return self.low.date_literal(folded)
        amount, unit = (e.amount * 7, "day") if e.unit == "week" else (e.amount, e.unit)
        return self.low.shift(self.expr(e.operand), amount, unit, e.type)

    def _x_Compare(self, e: m.Compare) -> exp.Expression:
        return self.low.compare(e.op, self.expr(e.left), e.left.type, self.expr(e.right), e.right.type)

    def _x_And(self, e: m.And) -> exp.Expression:
        return exp.and_(*(paren(self.expr(i)) for i in e.items), copy=False)

    def _x_Or(self, e: m.Or) -> exp.Expression:
        return exp.Paren(this=exp.or_(*(paren(self.expr(i)) for i in e.items), copy=False))

    def _x_InList(self, e: m.InList) -> exp.Expression:
        x = self.low.in_list(self.expr(e.subject), e.subject.type, [(self.expr(i), i.type) for i in e.items])
        return exp.Not(this=x) if e.negated else x

    def _x_Between(self, e: m.Between) -> exp.Expression:
        subject = self.expr(e.subject)
        low, high = self.expr(e.low), self.expr(e.high)
        types = (e.subject.type, e.low.type, e.high.type)
        if e.by_date:
            subject = self.low.as_date(subject, self.time_type(e.subject))
            low, high = self.low.as_date(low, self.time_type(e.low)), self.low.as_date(high, self.time_type(e.high))
            types = (T.DATE, T.DATE, T.DATE)
        x = self.low.between(subject, types[0], low, types[1], high, types[2])
        return exp.Not(this=x) if e.negated else x

    def _x_IsMissing(self, e: m.IsMissing) -> exp.Expression:
        x = exp.Is(this=paren(self.expr(e.subject)), expression=exp.Null())
        return exp.Not(this=x) if e.negated else x

    def _x_TextMatch(self, e: m.TextMatch) -> exp.Expression:
        subject, pattern = self.expr(e.subject), self.expr(e.pattern)
        if e.op == "like":
            x: exp.Expression = self.low.like(subject, pattern, self._constant_pattern(e.pattern))
        elif e.op == "contains":
            x = self.low.contains(subject, pattern)
        else:
            x = self.low.starts_with(subject, pattern)
        return exp.Not(this=exp.Paren(this=x)) if e.negated else x

    def _constant_pattern(self, e: m.Expr) -> str | None:
        """A like pattern known at compile time (a literal or a parameter), with backslash escapes.

        A literal or a param's default keeps the `\\%` and `\\_` it was written with; a value
        given with --param is a pattern without escapes (% and _ wildcards, every other character itself).
        """
        if isinstance(e, m.Const):
            return e.pattern() if isinstance(e.value, str) else None
        if isinstance(e, m.ParamRef) and isinstance(self.params.get(e.name), str):
            param = self.model.params[e.name]
            if e.name not in self.opt.params and param.like is not None:
                return param.like
            return like_pattern(self.params[e.name])
        return None

    def key_order(self) -> exp.Expression:
        """The entity key as a tie-breaker in quantiles: text keys in code point order everywhere."""
        ent = self.model.entity
        return self.low.key(col(self.columns.entity(ent.key), P), self.type_of(ent.name, ent.key), ordering=True)

    def _x_DateWindow(self, e: m.DateWindow) -> exp.Expression:
        if e.subject.type is T.TIMESTAMP and self.low.raw_time_windows:
            low = self.constant_date(e.lower) if e.lower is not None else None
            high = self.constant_date(e.upper) if e.upper is not None else None
            if (e.lower is None or low is not None) and (e.upper is None or high is not None):
                if high is not None and self.is_event_time(e.subject) and self.opt.as_of is not None and (
                        high > self.opt.as_of or (high == self.opt.as_of and e.upper_inclusive)):
                    high = None  # every aggregation already keeps only events up to the end of the as_of day
                    if low is None:
                        return exp.true()
                raw = [self.time_bound(self.expr(e.subject), T.TIMESTAMP, op, bound) for op, bound in (
                    (">=" if e.lower_inclusive else ">", low), ("<=" if e.upper_inclusive else "<", high))
                    if bound is not None]
                if raw and all(r is not None for r in raw):
                    return exp.Paren(this=exp.and_(*raw, copy=False)) if len(raw) > 1 else raw[0]
        subject = self.low.as_date(self.expr(e.subject), self.time_type(e.subject))
        parts = []
        if e.lower is not None:
            low = self.low.as_date(self.expr(e.lower), self.time_type(e.lower))
            parts.append((exp.GTE if e.lower_inclusive else exp.GT)(this=subject.copy(), expression=low))
        if e.upper is not None:
            high = self.low.as_date(self.expr(e.upper), self.time_type(e.upper))
            parts.append((exp.LTE if e.upper_inclusive else exp.LT)(this=subject.copy(), expression=high))
        return exp.Paren(this=exp.and_(*parts, copy=False)) if len(parts) > 1 else parts[0]

    def _x_DaysBetween(self, e: m.DaysBetween) -> exp.Expression:
        a, b = self.constant_date(e.start), self.constant_date(e.end)
        if a is not None and b is not None:
            return num((b - a).days)
        start = self.low.as_date(self.expr(e.start), self.time_type(e.start))
        end = self.low.as_date(self.expr(e.end), self.time_type(e.end))
        return self.low.days_between(start, end)

    def _x_YearsBetween(self, e: m.YearsBetween) -> exp.Expression:
        start = self.low.as_date(self.expr(e.start), self.time_type(e.start))
        end = self.low.as_date(self.expr(e.end), self.time_type(e.end))

        def part(unit: str, x: exp.Expression) -> exp.Expression:
            return self.low.date_part(unit, x.copy())

        def month_day(x: exp.Expression) -> exp.Expression:
            return exp.Add(this=exp.Mul(this=part("MONTH", x), expression=exp.Literal.number(100)),
                           expression=part("DAY", x))

        # Whole years, truncated toward zero (swapping the dates flips the sign): one less when the
        # last year is not complete, going forward (end's day of the year before start's) or backward.
        years = exp.Paren(this=exp.Sub(this=part("YEAR", end), expression=part("YEAR", start)))
        zero, one = exp.Literal.number(0), exp.Literal.number(1)
        incomplete = exp.Case(ifs=[
            exp.If(this=exp.and_(exp.GT(this=years.copy(), expression=zero.copy()),
                                 exp.LT(this=month_day(end), expression=month_day(start))), true=one.copy()),
            exp.If(this=exp.and_(exp.LT(this=years.copy(), expression=zero.copy()),
                                 exp.GT(this=month_day(end), expression=month_day(start))),
                   true=exp.Neg(this=one.copy())),
        ], default=zero.copy())
        return exp.Sub(this=years, expression=incomplete)

    def _x_Predict(self, e: m.Predict) -> exp.Expression:
        from ..predict.compile import predict_sql

        held = self.predict_inputs
        if not any(k[0] == e.prediction for k in held):
            return predict_sql(e, self.expr)
        return predict_sql(e, self.expr, lambda role: col(held[(e.prediction, role)], P)
                           if (e.prediction, role) in held else None)

    def _x_MemberAgg(self, e: m.MemberAgg) -> exp.Expression:  # pragma: no cover - reports compile these
        raise AssertionError("member aggregates are compiled by reports")
