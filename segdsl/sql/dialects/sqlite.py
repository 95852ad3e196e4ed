"""SQLite: dates as ISO text, GLOB for LIKE, md5() and exact sums from functions segdsl registers."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import sqlglot
from sqlglot import exp

from ...semantic.model import T
from .base import Dialect, dtype, fn, generic_hash_bucket, like_to_glob, lit, num, register, replace_all, transaction


@register
class SQLite(Dialect):
    """SQLite: no date type (ISO text and date functions), LIKE ignores ASCII case, no md5.

    Dates are compared as 'YYYY-MM-DD' text (date()), timestamps as
    'YYYY-MM-DD HH:MM:SS.SSS' text (strftime), which orders like the values;
    a date compared with a timestamp is its midnight. Month shifts are
    clamped by hand: date(x, '+1 months') rolls 01-31 over to 03-03.
    """

    name = "sqlite"
    tier = "verified"
    engine = "SQLite 3.30+ through Python's sqlite3 (CI: 3.40)"
    notes = "dates and timestamps stored as ISO-8601 text; needs an md5() function (segdsl registers it)"
    target = "sqlite:///path.db"
    schemes = ("sqlite",)
    file_schemes = ("sqlite",)
    connections = ("sqlite3",)
    position = 2
    collate_first_only = True
    needs_types = True
    TS = "%Y-%m-%d %H:%M:%f"

    def header_note(self, holdouts: bool, sql: str) -> str | None:
        if holdouts or "SEGDSL_EXACT" in sql.upper():
            return "needs md5() and segdsl_exact() on the connection: segdsl.engines.sqlite.register(con)"
        return None

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return None

    def date_literal(self, d: dt.date) -> exp.Expression:
        return lit(d.isoformat())

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return lit(t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}")

    def current_date(self) -> exp.Expression:
        return fn("DATE", lit("now"))

    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        return fn("DATE", x)

    def _ts(self, x: exp.Expression, *modifiers: str) -> exp.Expression:
        return fn("STRFTIME", lit(self.TS), x, *(lit(m) for m in modifiers))

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        as_ts = t is T.TIMESTAMP
        if unit in ("day", "week"):
            days = amount * (7 if unit == "week" else 1)
            return self._ts(x, f"{days:+d} days") if as_ts else fn("DATE", x, lit(f"{days:+d} days"))
        months = amount * (12 if unit == "year" else 1)
        # date(x, '+N months') overflows into the next month; the last day of
        # the target month caps it, and min() picks the earlier of the two.
        last = fn("DATE", x.copy(), lit("start of month"), lit(f"{months + 1:+d} months"), lit("-1 days"))
        if as_ts:
            naive = self._ts(x, f"{months:+d} months")
            last = exp.DPipe(this=last, expression=fn("STRFTIME", lit(" %H:%M:%f"), x.copy()), safe=True)
        else:
            naive = fn("DATE", x, lit(f"{months:+d} months"))
        return fn("MIN", naive, last)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.cast(exp.Sub(this=fn("JULIANDAY", end), expression=fn("JULIANDAY", start)), dtype("INTEGER"))

    def date_part(self, unit: str, x: exp.Expression) -> exp.Expression:
        fmt = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d"}[unit]
        return exp.cast(fn("STRFTIME", lit(fmt), x), dtype("INTEGER"))

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        real = dtype("REAL")
        return exp.Div(this=exp.cast(left, real), expression=exp.func("NULLIF", exp.cast(right, real), num(0)))

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        # A column declared COLLATE NOCASE would otherwise compare without case.
        return exp.Collate(this=x, expression=exp.var("BINARY"))

    def time_operands(self, values: list[tuple[exp.Expression, T]]) -> list[exp.Expression] | None:
        types = {t for _, t in values}
        if types <= {T.DATE}:
            return [self.as_date(x, t) for x, t in values]
        if T.TIMESTAMP in types or T.ANY in types:
            return [self._ts(x) for x, _ in values]
        return None

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        if constant is not None:
            glob: exp.Expression = lit(like_to_glob(constant))
        else:
            glob = replace_all(pattern, [("[", "[[]"), ("*", "[*]"), ("?", "[?]"), ("%", "*"), ("_", "?")])
        return exp.Glob(this=subject, expression=glob)

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.EQ(this=exp.Substring(this=subject, start=num(1), length=exp.Length(this=pattern.copy())),
                      expression=self.text_operand(pattern, False))

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        # Timestamps are text here, perhaps with their offsets ('…+02:00'): compared, and made distinct,
        # as UTC times (to the millisecond, as every comparison here), not as the text they were written
        # in. min and max order by that time and return the value as stored (its microseconds too):
        # the UTC time is a prefix of fixed width that aggregate_result takes off again.
        if t is T.TIMESTAMP and func == "count_distinct":
            return self._ts(arg)
        if t is T.TIMESTAMP and func in ("min", "max"):
            return exp.DPipe(this=self._ts(arg), expression=arg.copy(), safe=True)
        return super().aggregate_arg(func, arg, t)

    def aggregate_result(self, func: str, agg: exp.Expression, t: T) -> exp.Expression:
        if t is T.TIMESTAMP and func in ("min", "max"):
            return exp.Substring(this=agg, start=num(len("YYYY-MM-DD HH:MM:SS.SSS") + 1))
        return super().aggregate_result(func, agg, t)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return self.text_operand(x, True) if t is T.TEXT else x

    def arith(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        # SQLite turns an integer + - * that passes 2⁶³ into a REAL where every other engine raises:
        # such a row evaluates a sum that SQLite itself refuses ("integer overflow", SEG315).
        result = super().arith(op, left, right)

        def typed(x: exp.Expression, kind: str) -> exp.Expression:
            return exp.EQ(this=fn("TYPEOF", x.copy()), expression=lit(kind))

        overflowed = exp.and_(typed(result, "real"), typed(left, "integer"), typed(right, "integer"))
        raise_ = sqlglot.parse_one("SELECT SUM(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1)",
                                   read="sqlite")
        return exp.Case(ifs=[exp.If(this=overflowed, true=exp.Subquery(this=raise_))], default=result)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return generic_hash_bucket(text)

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        # No DECIMAL type: whole parts and billionths are summed as integers (exact), and the registered
        # function segdsl_exact(high, low, billionths) gives the nearest double of the exact total. The
        # whole part is summed in two halves (whole >> 32 and whole & 0xFFFFFFFF), so that a total
        # beyond 2⁶³, which other engines sum in DECIMAL(38, 9), is no integer overflow here either.
        whole = exp.cast(arg, dtype("INTEGER"))
        high = exp.BitwiseRightShift(this=whole.copy(), expression=num(32))
        low = exp.BitwiseAnd(this=whole.copy(), expression=num(0xFFFFFFFF))
        frac = exp.Sub(this=arg.copy(), expression=whole.copy())
        billionths = exp.cast(fn("ROUND", exp.Mul(this=exp.Paren(this=frac), expression=num(1_000_000_000))),
                              dtype("INTEGER"))
        return fn("SEGDSL_EXACT", summed(high), summed(low), summed(billionths))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        return transaction(kind, name, query)  # no CREATE OR REPLACE; DDL is transactional
