"""MySQL and MariaDB: text compared as bytes whatever the collation, atomic table swaps by RENAME."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlglot import exp

from ...semantic.model import T
from .base import (buckets, Dialect, dtype, escaped_like, exact_sum_by_parts, fn, lit, md5_hex8, nodes, num, register,
                   swap_statements, unsupported)


@register
class MySQL(Dialect):
    """MySQL and MariaDB: collations ignore case, accents and trailing spaces; `\\` escapes LIKE.

    Text is compared as utf8mb4 bytes (CAST AS BINARY), which is exact and
    orders by code point; LIKE runs under utf8mb4_bin, which is
    case-sensitive and matches `_` against one character (not one byte).
    """

    name = "mysql"
    tier = "verified"
    engine = "MariaDB server as the MySQL dialect (CI: 10.11, utf8mb4_general_ci)"
    notes = "text compared as utf8mb4 bytes whatever the column collation"
    target = "mysql+pymysql://user@host/db"
    schemes = ("mysql", "mariadb")
    extra = "mysql"
    connections = ("pymysql", "MySQLdb")
    position = 4
    filter_clause = False
    max_identifier = 64
    needs_types = True
    # `ts < TIMESTAMP 'd+1'` for `CAST(ts AS DATE) <= d`: no cast per row (both read in the session's zone)
    raw_time_windows = True

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        # A DECIMAL(38, 9) cast of every double is most of an aggregation's time here: whole parts and
        # billionths are summed as integers instead.
        return exact_sum_by_parts(summed, arg, lambda x: fn("TRUNCATE", x, num(0)), dtype("BIGINT"))

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(lit(t.isoformat(sep=" ")), dtype("DATETIME(6)", "mysql"))

    def _binary(self, x: exp.Expression) -> exp.Expression:
        return exp.cast(x, dtype("BINARY", "mysql"))

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return self._binary(x)

    def _utf8_bin(self, x: exp.Expression) -> exp.Expression:
        as_utf8 = exp.cast(x, exp.DataType(this=exp.DataType.Type.CHARACTER_SET, kind=exp.var("utf8mb4")))
        return exp.Collate(this=as_utf8, expression=exp.var("utf8mb4_bin"))

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(self._utf8_bin(subject), pattern, constant, explicit=False)

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.GT(this=exp.StrPosition(this=self._binary(subject), substr=self._binary(pattern)),
                      expression=num(0))

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        p = self._binary(pattern)
        return exp.EQ(this=exp.Left(this=self._binary(subject), expression=exp.Length(this=p.copy())), expression=p)

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.TEXT and func in ("count_distinct", "min", "max"):
            return self._binary(arg)
        return super().aggregate_arg(func, arg, t)

    def aggregate_result(self, func: str, agg: exp.Expression, t: T) -> exp.Expression:
        if t is T.TEXT and func in ("min", "max"):  # back from bytes to text
            return exp.cast(agg, exp.DataType(this=exp.DataType.Type.CHARACTER_SET, kind=exp.var("utf8mb4")))
        return agg

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return self._binary(x) if t is T.TEXT else x

    def key_probe(self, x: exp.Expression, t: T) -> exp.Expression | None:
        # A text key as bytes is a BLOB in MariaDB's temporary tables past 512 bytes (a VARCHAR(200) in
        # utf8mb4): no key on a derived table, so every join by it is a block nested loop, members × events.
        # The key as the column's own text (equal under its collation, at least when the bytes are) is
        # joined too: MariaDB looks it up by that, and the bytes keep the join exact.
        return x if t is T.TEXT else None

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return None  # MariaDB's PERCENTILE_CONT is a window function only

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.func("CONCAT", left, right)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        value = exp.cast(fn("CONV", md5_hex8(text), num(16), num(10)), dtype("UNSIGNED", "mysql"))
        return buckets(value)

    def check_identifiers(self, query: exp.Expression) -> None:
        super().check_identifiers(query)
        for ident in nodes(query, exp.Identifier):
            if ident.name != ident.name.rstrip(" "):
                raise unsupported(f"the name `{ident.name}`", self.name, "names cannot end with a space")

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        return swap_statements(name, query, "mysql")
