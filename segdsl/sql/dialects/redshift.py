"""Amazon Redshift: PostgreSQL's syntax without COLLATE, byte-ordered text."""

from __future__ import annotations

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, Dialect, escaped_like, fn, md5_hex8, num, register
from .postgres import Postgres


@register
class Redshift(Postgres):
    """Redshift: PostgreSQL's syntax, but no COLLATE clause and case-sensitive, byte-ordered text by default."""

    name = "redshift"
    tier = "generated"
    engine = "Amazon Redshift"
    notes = "case-sensitive database collation assumed"
    position = 9
    max_identifier = 127
    filter_clause = False
    needs_types = False

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return x

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return x

    # The DECIMAL(38, 9) sum: PostgreSQL's integer parts are a cost of its NUMERIC casts, not verified here.
    exact_sum = Dialect.exact_sum

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        return Dialect.aggregate_arg(self, func, arg, t)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant)

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        return Dialect.shift(self, x, amount, unit, t)  # DATEADD keeps dates as dates

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return Dialect.days_between(self, start, end)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return buckets(fn("STRTOL", md5_hex8(text), num(16)))
