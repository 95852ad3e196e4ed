"""Apache Spark SQL: intervals for date shifts, LIKE's backslash, an exact PERCENTILE."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, Dialect, drop, dtype, escaped_like, fn, lit, md5_hex8, num, register


@register
class Spark(Dialect):
    """Apache Spark SQL: `\\` escapes LIKE; DATE_ADD on a timestamp drops its time."""

    name = "spark"
    tier = "verified"
    engine = "Apache Spark, local mode through pyspark (CI: 4.x, ANSI on and off)"
    notes = "needs spark.sql.session.timeZone=UTC"
    target = "spark://local[*] or sc://host:15002"
    schemes = ("spark", "sc")
    extra = "spark"
    connections = ("pyspark",)
    position = 5
    raw_time_windows = True

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(lit(t.isoformat(sep=" ")), dtype("TIMESTAMP"))

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        # x + INTERVAL keeps a timestamp's time and clamps months, for dates and timestamps alike.
        if unit == "week":
            amount, unit = amount * 7, "day"
        return exp.Add(this=x, expression=exp.Interval(this=lit(str(amount)), unit=exp.var(unit.upper())))

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return fn("DATEDIFF", end, start)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant, explicit=False)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return buckets(exp.cast(fn("CONV", md5_hex8(text), num(16), num(10)), dtype("BIGINT")))

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return fn("PERCENTILE", x, num(0.5))  # exact; sqlglot writes PERCENTILE_CONT as PERCENTILE_APPROX

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        # CREATE OR REPLACE TABLE needs a v2 (Delta, Iceberg) catalog; plain Spark drops and creates.
        return [drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query)]
