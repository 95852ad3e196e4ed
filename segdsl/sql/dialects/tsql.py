"""Microsoft SQL Server and Azure SQL: no booleans, binary collation, `[` in LIKE."""

from __future__ import annotations

from sqlglot import exp

from ...semantic.model import T
from .base import buckets, drop, dtype, escaped_like, fn, lit, num, register
from .booleans import NoBoolean


@register
class TSQL(NoBoolean):
    """SQL Server: no booleans, case-insensitive default collations, `[` is a LIKE wildcard."""

    name = "tsql"
    tier = "generated"
    engine = "Microsoft SQL Server 2019+ / Azure SQL"
    notes = "text compared with Latin1_General_100_BIN2, where = ignores trailing spaces (SQL Server pads); holdouts hash UTF-8 through a _UTF8 collation"
    position = 12
    filter_clause = False
    max_identifier = 128
    collate_first_only = True
    needs_types = True
    BIN = "Latin1_General_100_BIN2"

    def text_literal(self, value: str) -> exp.Expression:
        return exp.National(this=value)  # N'…': non-Latin text survives any database code page

    def current_date(self) -> exp.Expression:
        return exp.cast(exp.CurrentDate(), dtype("DATE"))  # GETDATE() has a time of day

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return exp.Collate(this=x, expression=exp.var(self.BIN))

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(self.text_operand(subject, False), pattern, constant, specials="[")

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        found = exp.GT(this=exp.StrPosition(this=self.text_operand(subject, False), substr=pattern),
                       expression=num(0))
        # CHARINDEX of '' is 0, but every text contains the empty text
        return exp.or_(found, exp.EQ(this=exp.func("DATALENGTH", pattern.copy()), expression=num(0)))

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        # LEN ignores trailing spaces; DATALENGTH/2 does not (N-strings are UTF-16).
        length = exp.Div(this=exp.func("DATALENGTH", exp.cast(pattern.copy(), dtype("NVARCHAR(MAX)", "tsql"))),
                         expression=num(2), typed=True)  # integer division: a length
        return exp.EQ(this=exp.Left(this=exp.cast(subject, dtype("NVARCHAR(MAX)", "tsql")), expression=length),
                      expression=self.text_operand(pattern, False))

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.TEXT and func in ("count_distinct", "min", "max"):
            return self.text_operand(arg, True)
        return super().aggregate_arg(func, arg, t)

    bool_min_max = True

    def min_max(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.BOOL:  # MIN and MAX refuse BIT; booleans are 1 and 0 here anyway
            arg = exp.cast(arg, dtype("INT", "tsql"))
        return super().min_max(func, arg, t)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return self.text_operand(x, True) if t is T.TEXT else x

    def key_text(self, key: exp.Expression) -> exp.Expression:
        return exp.cast(key, dtype("NVARCHAR(MAX)", "tsql"))

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.func("CONCAT", left, right)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        # HASHBYTES hashes the bytes of its argument: NVARCHAR is UTF-16, so the text is
        # first made VARCHAR under a UTF-8 collation (SQL Server 2019+) to hash UTF-8 as elsewhere.
        utf8 = exp.cast(exp.Collate(this=exp.Paren(this=text), expression=exp.var("Latin1_General_100_BIN2_UTF8")),
                        dtype("VARCHAR(MAX)", "tsql"))
        first4 = exp.Substring(this=fn("HASHBYTES", lit("MD5"), utf8), start=num(1), length=num(4))
        return buckets(exp.cast(first4, dtype("BIGINT")))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        return ["BEGIN TRANSACTION", drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query), "COMMIT"]
