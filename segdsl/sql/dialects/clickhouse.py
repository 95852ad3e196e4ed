"""ClickHouse: NULLs from LEFT JOIN, timestamps read in UTC, MD5 as bytes."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, Dialect, dtype, escaped_like, EXACT_SMALL, fn, lit, num, register


@register
class ClickHouse(Dialect):
    """ClickHouse: LEFT JOIN fills defaults unless join_use_nulls, MD5 returns bytes, substring counts bytes."""

    name = "clickhouse"
    tier = "verified"
    engine = "ClickHouse, embedded through chdb (CI: chdb 4, ClickHouse 26)"
    notes = "the query carries SETTINGS join_use_nulls = 1, session_timezone = 'UTC'"
    target = "chdb:///path or clickhouse://host:8123/db"
    schemes = ("chdb", "clickhouse")
    file_schemes = ("chdb",)
    extra = "clickhouse"
    connections = ("chdb", "clickhouse_connect")
    position = 6
    filter_clause = False

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(lit(t.isoformat(sep=" ")), dtype("DateTime64(6)", "clickhouse"))

    def read(self, x: exp.Expression, t: T) -> exp.Expression:
        # A DateTime column may carry its own zone (DateTime64(6, 'Asia/Tokyo')), which decides its
        # date and its calendar arithmetic whatever session_timezone says: read it in UTC.
        return fn("toTimeZone", x, lit("UTC")) if t is T.TIMESTAMP else x

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return fn("dateDiff", lit("day"), start, end)

    def arith(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        # ClickHouse wraps Int64 arithmetic around (2⁶³ − 1 + 1 is −2⁶³) where every other engine raises.
        # A wrapped result is a multiple of 2⁶⁴ away from the value computed in Float64; an exact one
        # (integer, float or decimal) is within rounding of it. Such a row throws instead, and
        # engines.overflow makes that SEG315.
        result = super().arith(op, left, right)
        approx = super().arith(op, fn("toFloat64", left.copy()), fn("toFloat64", right.copy()))
        gap = fn("abs", exp.Sub(this=fn("toFloat64", result.copy()), expression=exp.Paren(this=approx)))
        wrapped = exp.GTE(this=gap, expression=exp.Literal.number("1e18"))
        # throwIf gives 0 where it does not throw: added, it leaves the result as it is
        throw = fn("throwIf", exp.Coalesce(this=wrapped, expressions=[exp.false()]),
                   lit("SEGDSL_OVERFLOW: a whole number beyond 64 bits"))
        return exp.Paren(this=exp.Add(this=result, expression=throw))

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant, explicit=False)

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return fn("startsWith", subject, pattern)

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        # CAST(Decimal AS Float64) is not the nearest double here (one large sum in four is one unit in the
        # last place off, so a threshold at the exact value could flip); the decimal's text, parsed, is.
        # And CAST(Float64 AS Decimal(38, 9)) truncates the binary value times 10^9 (139.81 becomes
        # 139.809999999 for one value in sixty), so totals would differ from the other engines': values
        # under 2^22 are summed as their whole parts and billionths, integers, exact.
        def large() -> exp.Expression:
            return exp.GTE(this=exp.Abs(this=arg.copy()), expression=num(EXACT_SMALL))

        def small_part(value: exp.Expression) -> exp.Expression:
            return exp.Case(ifs=[exp.If(this=large(), true=num(0))], default=fn("toInt64", value))

        scaled = exp.Mul(this=exp.Paren(this=exp.Sub(this=arg.copy(), expression=fn("trunc", arg.copy()))),
                         expression=num(1_000_000_000))
        half_away = exp.Mul(this=fn("sign", scaled), expression=exp.Floor(
            this=exp.Add(this=exp.Abs(this=scaled.copy()), expression=num(0.5))))
        big = exp.Case(ifs=[exp.If(this=large(), true=exp.cast(arg.copy(), dtype("DECIMAL(38, 9)")))])
        total = exp.Add(
            this=exp.Add(this=fn("toDecimal128", summed(small_part(fn("trunc", arg.copy()))), num(9)),
                         expression=exp.Div(this=fn("toDecimal128", summed(small_part(half_away)), num(9)),
                                            expression=num(1_000_000_000))),
            expression=fn("ifNull", summed(big), fn("toDecimal128", num(0), num(9))))
        return fn("toFloat64", fn("toString", total))

    def median(self, x: exp.Expression) -> exp.Expression | None:
        # `median` is approximate here; the exact inclusive quantile interpolates like PERCENTILE_CONT.
        return exp.ParameterizedAgg(this=exp.var("quantileExactInclusive"), expressions=[num(0.5)], params=[x])

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        # MD5 is 16 raw bytes here: the first four, read big-endian, are the first 8 hex digits.
        first4 = fn("substring", fn("MD5", text), num(1), num(4))
        return buckets(fn("reinterpretAsUInt32", fn("reverse", first4)))

    def finish(self, query: exp.Expression) -> exp.Expression:
        query = super().finish(query)
        if isinstance(query, exp.Select):
            # Without join_use_nulls a member with no events would get 0, not missing, from
            # sum/min/max; session_timezone makes "timestamps are UTC" hold on any server.
            query.set("settings", [
                exp.EQ(this=exp.column("join_use_nulls"), expression=num(1)),
                exp.EQ(this=exp.column("session_timezone"), expression=lit("UTC")),
            ])
        return query

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        create = exp.Create(this=name, kind="TABLE", replace=True, expression=query,
                            properties=exp.Properties(expressions=[
                                exp.EngineProperty(this=exp.var("MergeTree")),
                                exp.Order(expressions=[exp.Ordered(this=fn("tuple"))]),
                            ]))
        return [create]
