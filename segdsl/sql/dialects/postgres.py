"""PostgreSQL: locale-ordered text, LIKE's backslash, no max(boolean), no NUL in text."""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ...semantic.model import T
from .base import (buckets, Dialect, dtype, escaped_like, fn, lit, md5_hex8, num, plain_like, register, transaction,
                   unsupported)


@register
class Postgres(Dialect):
    """PostgreSQL: `\\` escapes LIKE by default, ordering of text follows the locale."""

    name = "postgres"
    tier = "verified"
    engine = "PostgreSQL server (CI: 15, text in an ICU locale)"
    notes = "timestamptz columns are read in UTC"
    target = "postgresql://user@host:5432/db"
    schemes = ("postgresql", "postgres")
    extra = "postgres"
    connections = ("psycopg", "psycopg2")
    position = 3
    max_identifier = 63  # longer names are silently truncated, so two could become one
    collate_first_only = True
    needs_types = True
    # `ts < TIMESTAMP 'd+1'` for `CAST(ts AS DATE) <= d`: no cast per row (both read in the session's zone)
    raw_time_windows = True

    def text_literal(self, value: str) -> exp.Expression:
        if "\x00" in value:
            raise unsupported(f"the text {value!r}", self.name, "text cannot hold a NUL character")
        return lit(value)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.Sub(this=end, expression=start)  # date - date is a number of days

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return exp.Collate(this=x, expression=exp.Identifier(this="C", quoted=True)) if ordering else x

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        if constant is not None and plain_like(constant) is None:
            return escaped_like(subject, pattern, constant)
        return exp.Escape(this=exp.Like(this=subject, expression=pattern), expression=lit(""))

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if func in ("min", "max") and t is T.TEXT:
            return exp.Collate(this=arg, expression=exp.Identifier(this="C", quoted=True))
        return super().aggregate_arg(func, arg, t)

    bool_min_max = True

    def min_max(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.BOOL:  # there is no max(boolean): BOOL_OR and BOOL_AND
            return (exp.LogicalAnd if func == "min" else exp.LogicalOr)(this=arg)
        return super().min_max(func, arg, t)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        # equality of text is exact in PostgreSQL; only the order follows the locale
        if t is T.TEXT and ordering:
            return exp.Collate(this=x, expression=exp.Identifier(this="C", quoted=True))
        return x

    # Below this magnitude a double's nearest billionth is its binary value's (its last place is under
    # a billionth), so whole part and billionths can be taken in floating point.
    EXACT_SMALL = 4194304  # 2^22

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        """The exact sum at nine decimal places without a NUMERIC per row.

        A DECIMAL(38, 9) cast of every double is most of the time of an
        aggregation in PostgreSQL (each value goes through its text form).
        Values under 2^22 are summed as their whole parts and their billionths,
        INTEGER sums, exact; larger ones (rare) as DECIMAL(38, 9); the exact
        total becomes the nearest double once per group.
        """
        def large() -> exp.Expression:
            return exp.GTE(this=exp.Abs(this=arg.copy()), expression=num(self.EXACT_SMALL))

        def small_part(value: exp.Expression) -> exp.Expression:
            # NULL for a NULL value (the sum of no values stays NULL), 0 for a large one
            return exp.Case(ifs=[exp.If(this=large(), true=num(0))], default=exp.cast(value, dtype("INTEGER")))

        whole = small_part(fn("TRUNC", arg.copy()))
        billionths = small_part(fn("ROUND", exp.Mul(
            this=exp.Paren(this=exp.Sub(this=arg.copy(), expression=fn("TRUNC", arg.copy()))),
            expression=num(1_000_000_000))))
        big = exp.Case(ifs=[exp.If(this=large(), true=exp.cast(arg.copy(), dtype("DECIMAL(38, 9)")))])
        total = exp.Add(
            this=exp.Add(this=exp.cast(summed(whole), dtype("DECIMAL")),
                         expression=exp.Mul(this=exp.cast(summed(billionths), dtype("DECIMAL")),
                                            expression=exp.Literal.number("0.000000001"))),
            expression=exp.func("COALESCE", summed(big), num(0)))
        return exp.cast(total, dtype("DOUBLE"))

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        bits = exp.cast(exp.DPipe(this=lit("x"), expression=md5_hex8(text), safe=True), dtype("BIT(32)", "postgres"))
        return buckets(exp.cast(bits, dtype("BIGINT")))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        # No CREATE OR REPLACE TABLE, and CREATE OR REPLACE VIEW cannot drop or rename columns;
        # DDL is transactional, so drop-and-create in one transaction is atomic for readers.
        return transaction(kind, name, query)
