"""Oracle Database: no booleans, '' is NULL, TRUNC for dates, ADD_MONTHS clamped."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, drop, escaped_like, fn, lit, nodes, num, register, unsupported
from .booleans import NoBoolean


@register
class Oracle(NoBoolean):
    """Oracle: no booleans, '' is NULL, DATE has a time of day, ADD_MONTHS keeps month ends."""

    name = "oracle"
    tier = "generated"
    engine = "Oracle Database 19c+ (--as table: 23ai)"
    notes = "empty text cannot be expressed (Oracle reads '' as NULL); quoted names cannot hold a double quote"
    position = 13
    filter_clause = False
    max_identifier = 128

    def text_literal(self, value: str) -> exp.Expression:
        if value == "":
            raise unsupported("the empty text \"\"", self.name, "Oracle stores '' as NULL, so it never compares equal",
                              "test for a missing value with `is missing` instead")
        return lit(value)

    def date_literal(self, d: dt.date) -> exp.Expression:
        return exp.StrToDate(this=lit(d.isoformat()), format=lit("%Y-%m-%d"))

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.StrToTime(this=lit(t.strftime("%Y-%m-%d %H:%M:%S")), format=lit("%Y-%m-%d %H:%M:%S"))

    def current_date(self) -> exp.Expression:
        return fn("TRUNC", exp.CurrentDate())

    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        return fn("TRUNC", x)  # CAST(ts AS DATE) keeps the time of day in Oracle

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        if unit in ("day", "week"):
            days = amount * (7 if unit == "week" else 1)
            return exp.Add(this=x, expression=num(days))
        months = amount * (12 if unit == "year" else 1)
        # ADD_MONTHS moves a month's last day to the next month's last day (02-29 + 1 → 03-31);
        # the same day number in the target month, where it exists, is the lesser of the two.
        same_day = exp.Add(this=fn("ADD_MONTHS", fn("TRUNC", x.copy(), lit("MM")), num(months)),
                           expression=exp.Paren(this=exp.Sub(this=self.date_part("DAY", x.copy()), expression=num(1))))
        return fn("LEAST", fn("ADD_MONTHS", x, num(months)), same_day)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.Sub(this=end, expression=start)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant)

    def key_text(self, key: exp.Expression) -> exp.Expression:
        return fn("TO_CHAR", key)

    def constant_row(self, select: exp.Select) -> exp.Select:
        return select.from_("DUAL")  # a SELECT needs a FROM before Oracle 23ai

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        hexed = exp.Lower(this=fn("RAWTOHEX", fn("STANDARD_HASH", text, lit("MD5"))))
        return buckets(fn("TO_NUMBER", exp.Substring(this=hexed, start=num(1), length=num(8)), lit("xxxxxxxx")))

    def check_identifiers(self, query: exp.Expression) -> None:
        super().check_identifiers(query)
        for ident in nodes(query, exp.Identifier):
            if '"' in ident.name:
                raise unsupported(f"the name `{ident.name}`", self.name, "a quoted name cannot hold a double quote")

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        # Oracle 23ai: DROP TABLE IF EXISTS; DDL commits, so readers may briefly see no table.
        return [drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query)]
