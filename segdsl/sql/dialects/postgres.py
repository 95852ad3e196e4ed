"""PostgreSQL: locale-ordered text, LIKE's backslash, no max(boolean), no NUL in text."""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ...semantic.model import T
from .base import (buckets, Dialect, dtype, escaped_like, exact_sum_by_parts, fn, lit, md5_hex8, plain_like, register,
                   transaction, unsupported)


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

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        # A DECIMAL(38, 9) cast of every double is most of an aggregation's time here (each value goes
        # through its text form): whole parts and billionths are summed as integers instead.
        return exact_sum_by_parts(summed, arg, lambda x: fn("TRUNC", x), dtype("INTEGER"))

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        bits = exp.cast(exp.DPipe(this=lit("x"), expression=md5_hex8(text), safe=True), dtype("BIT(32)", "postgres"))
        return buckets(exp.cast(bits, dtype("BIGINT")))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        # No CREATE OR REPLACE TABLE, and CREATE OR REPLACE VIEW cannot drop or rename columns;
        # DDL is transactional, so drop-and-create in one transaction is atomic for readers.
        return transaction(kind, name, query)
