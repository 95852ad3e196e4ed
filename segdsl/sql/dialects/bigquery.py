"""Google BigQuery: timestamps shifted and compared as DATETIME."""

from __future__ import annotations

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, Dialect, dtype, escaped_like, fn, lit, num, register


@register
class BigQuery(Dialect):
    """BigQuery: DATE_ADD takes only dates, and a TIMESTAMP does not compare with a DATE.

    Timestamps (DATETIME or TIMESTAMP columns) are shifted and compared as
    DATETIME, which is exact for DATETIME and UTC for TIMESTAMP.
    """

    name = "bigquery"
    tier = "generated"
    engine = "Google BigQuery (GoogleSQL)"
    notes = "default (binary) collation assumed"
    position = 8
    filter_clause = False
    max_identifier = 300

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        if t is T.DATE:
            return super().shift(x, amount, unit, t)
        return fn("DATETIME_ADD", exp.cast(x, dtype("DATETIME", "bigquery")),
                   exp.Interval(this=num(amount), unit=exp.var(unit.upper())))

    def time_operands(self, values: list[tuple[exp.Expression, T]]) -> list[exp.Expression] | None:
        types = {t for _, t in values}
        if types <= {T.DATE} or types <= {T.TIMESTAMP}:
            return None
        return [exp.cast(x, dtype("DATETIME", "bigquery")) for x, _ in values]

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant, explicit=False)  # `\` escapes; no ESCAPE clause

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        hex8 = exp.Substring(this=exp.Lower(this=exp.MD5(this=text)), start=num(1), length=num(8))
        return buckets(exp.cast(exp.func("CONCAT", lit("0x"), hex8), dtype("BIGINT")))
