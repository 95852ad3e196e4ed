"""Dialects: the support tiers and the per-dialect lowering rules.

sqlglot transpiles standard SQL well, but "transpiles" is not "means the same
thing". The compiler asks a `Lowering` for every construct whose meaning
differs between engines, and each dialect answers with the expression that
gives the language's semantics (LANGUAGE.md, "Semantics that must hold on
every engine") on that engine:

* text is compared exactly: case-, accent- and trailing-space-sensitive,
  ordered by code point (MySQL/MariaDB collations are none of these, T-SQL's
  usually not, PostgreSQL's ordering follows the locale);
* `like` has no escape character (PostgreSQL, MySQL, Spark, ClickHouse and
  BigQuery treat `\\` as one; T-SQL also treats `[` as a wildcard; SQLite's
  LIKE ignores ASCII case, so SQLite uses GLOB);
* dates are calendar dates and month arithmetic stops at the end of a shorter
  month (SQLite rolls over into the next month, Oracle's ADD_MONTHS jumps to
  the end of a month); SQLite stores dates as ISO text;
* division is real and by zero gives missing; `avg` is real (MySQL rounds
  the average of integers to four decimals, T-SQL truncates it);
* booleans exist (T-SQL and Oracle have no boolean values: conditions are
  lowered to 1/0 and back);
* the holdout hash is MD5 as lowercase hex on every engine.

A construct a dialect cannot express is a compile-time diagnostic (SEG311)
naming the construct and the dialect — never wrong SQL.

The tier table says which dialects are *verified* (the conformance corpus
runs on a real engine in CI) and which are *generated* (golden SQL reviewed
by hand and parsed back with sqlglot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator

from sqlglot import exp

from .diagnostics import Diagnostic, SegError
from .model import T

# ── the tier table ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Dialect:
    """One SQL dialect segdsl compiles to."""

    name: str
    tier: str  # "verified": executed in CI; "generated": golden SQL only
    engine: str  # what executes it in CI, or what it is written for
    target: str  # URL form of `segdsl run --target`, or "" when there is no adapter
    notes: str


DIALECTS: dict[str, Dialect] = {d.name: d for d in (
    Dialect("duckdb", "verified", "DuckDB, embedded (CI: duckdb 2.0)", "duckdb:///path.duckdb",
            "the reference engine; reads .csv/.parquet/.json sources directly"),
    Dialect("sqlite", "verified", "SQLite 3.30+ through Python's sqlite3 (CI: 3.40)", "sqlite:///path.db",
            "dates and timestamps stored as ISO-8601 text; needs an md5() function (segdsl registers it)"),
    Dialect("postgres", "verified", "PostgreSQL server (CI: 15, text in an ICU locale)", "postgresql://user@host:5432/db",
            "timestamptz columns are read in UTC"),
    Dialect("mysql", "verified", "MariaDB server as the MySQL dialect (CI: 10.11, utf8mb4_general_ci)",
            "mysql+pymysql://user@host/db", "text compared as utf8mb4 bytes whatever the column collation"),
    Dialect("spark", "verified", "Apache Spark, local mode through pyspark (CI: 4.x, ANSI on and off)",
            "spark://local[*] or sc://host:15002", "needs spark.sql.session.timeZone=UTC"),
    Dialect("clickhouse", "verified", "ClickHouse, embedded through chdb (CI: chdb 4, ClickHouse 26)",
            "chdb:///path or clickhouse://host:8123/db",
            "the query carries SETTINGS join_use_nulls = 1, session_timezone = 'UTC'"),
    Dialect("snowflake", "generated", "Snowflake", "", "default (binary) collation assumed"),
    Dialect("bigquery", "generated", "Google BigQuery (GoogleSQL)", "", "default (binary) collation assumed"),
    Dialect("redshift", "generated", "Amazon Redshift", "", "case-sensitive database collation assumed"),
    Dialect("databricks", "generated", "Databricks SQL", "", "the Spark rules; UTF8_BINARY collation assumed"),
    Dialect("trino", "generated", "Trino / Starburst / Athena v3", "", ""),
    Dialect("tsql", "generated", "Microsoft SQL Server 2019+ / Azure SQL", "",
            "text compared with Latin1_General_100_BIN2, where = ignores trailing spaces (SQL Server pads); "
            "holdouts hash UTF-8 through a _UTF8 collation"),
    Dialect("oracle", "generated", "Oracle Database 19c+ (--as table: 23ai)", "",
            "empty text cannot be expressed (Oracle reads '' as NULL); quoted names cannot hold a double quote"),
)}
VERIFIED = tuple(n for n, d in DIALECTS.items() if d.tier == "verified")
GENERATED = tuple(n for n, d in DIALECTS.items() if d.tier == "generated")


def tier_table() -> list[tuple[str, str, str, str]]:
    """(dialect, tier, engine, notes) rows, verified first: the README table and `segdsl dialects`."""
    return [(d.name, d.tier, d.engine, d.notes) for d in DIALECTS.values()]


# ── helpers ─────────────────────────────────────────────────────────────────

_PREDICATES = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Escape)  # Escape: LIKE … ESCAPE


def _lit(s: str) -> exp.Literal:
    return exp.Literal.string(s)


def _n(v: int) -> exp.Literal:
    return exp.Literal.number(v)


def nodes(root: exp.Expression, kind: type | tuple[type, ...] = exp.Expression) -> Iterator[exp.Expression]:
    """Every node of a tree of the given kind, in no particular order: a plain walk over the
    arguments, a third of the time of sqlglot's find_all() (which keeps a queue and parents)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            yield node
        for value in node.args.values():
            if isinstance(value, exp.Expression):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expression))


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A function call written as named: for engine functions sqlglot does not model."""
    return exp.Anonymous(this=name, expressions=list(args))


def _dtype(name: str, dialect: str | None = None) -> exp.DataType:
    built = _DTYPES.get((name, dialect))
    if built is None:
        # Building a type from its name parses it; compiling a large model builds thousands.
        built = _DTYPES[(name, dialect)] = exp.DataType.build(name, dialect=dialect)
    return built.copy()


_DTYPES: dict[tuple[str, str | None], exp.DataType] = {}


def is_predicate(x: exp.Expression) -> bool:
    """Whether an expression is a condition (as opposed to a value)."""
    while isinstance(x, exp.Paren):
        x = x.this
    return isinstance(x, _PREDICATES)


def _wrap(x: exp.Expression) -> exp.Expression:
    """Parenthesise a condition used as an operand, so `(a > b) = c` never reads as a chain."""
    inner = x
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, (exp.Predicate, exp.Connector, exp.Not)) and not isinstance(x, exp.Paren):
        return exp.Paren(this=x)
    return x


def escape_like(pattern: str, escape: str = "\\", specials: str = "") -> str:
    """A LIKE pattern for an engine that treats `escape` (and `specials`) specially.

    The language's LIKE knows only `%` and `_`; every other character is
    itself. On an engine with an escape character, that character (and any
    extra wildcard such as T-SQL's `[`) is escaped so it means itself again.
    """
    out = []
    for ch in pattern:
        if ch == escape or ch in specials:
            out.append(escape + ch)
        else:
            out.append(ch)
    return "".join(out)


def like_to_glob(pattern: str) -> str:
    """A LIKE pattern as an SQLite GLOB pattern: GLOB is case-sensitive, LIKE is not.

    `%` → `*`, `_` → `?`; GLOB's own wildcards `*`, `?` and `[` are put in a
    character class so they match themselves.
    """
    out = []
    for ch in pattern:
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def _replace(x: exp.Expression, pairs: list[tuple[str, str]]) -> exp.Expression:
    for old, new in pairs:
        x = _fn("REPLACE", x, _lit(old), _lit(new))
    return x


def unsupported(construct: str, dialect: str, reason: str, hint: str | None = None) -> SegError:
    """SEG311: a construct of the model that cannot be written in a dialect."""
    return SegError([Diagnostic("SEG311", f"{construct} cannot be written in {dialect}: {reason}", None,
                                hint or "compile for another dialect, or change the model")])


# ── lowering rules ──────────────────────────────────────────────────────────


class Lowering:
    """Standard SQL as sqlglot transpiles it; the rules of DuckDB, the reference engine.

    Subclasses override what their engine does differently. Every method
    takes and returns sqlglot expressions; types are the language's types of
    the operands (T.ANY when no schema is known).
    """

    name = "duckdb"
    filter_clause = True  # AGG(x) FILTER (WHERE c); otherwise AGG(CASE WHEN c THEN x END)
    max_identifier = 0  # longest identifier in bytes (0: no limit worth checking)
    real_avg = False  # cast the argument of avg to DOUBLE (engines whose avg of integers is not real)
    # An explicit COLLATE on one operand decides the whole comparison (PostgreSQL, SQLite, T-SQL);
    # a cast (MySQL's BINARY) must be applied to every operand.
    collate_first_only = False
    # Whether exact text handling needs the column types (text keys under a collation
    # that is not binary): compiled without a schema, the SQL says so in its header.
    needs_types = False

    # values
    def text_literal(self, value: str) -> exp.Expression:
        return exp.Literal.string(value)

    def date_literal(self, d: dt.date) -> exp.Expression:
        return exp.cast(exp.Literal.string(d.isoformat()), _dtype("DATE"), copy=False)

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(exp.Literal.string(t.isoformat(sep=" ")), _dtype("TIMESTAMP"))

    def current_date(self) -> exp.Expression:
        return exp.CurrentDate()

    # dates
    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        """The calendar date of a date or timestamp."""
        return x if t is T.DATE else exp.cast(x, _dtype("DATE"), copy=False)

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        """A date moved by whole days or calendar months (clamped to the month's end).

        Engines return a timestamp for date + interval; a date stays a date.
        """
        moved = exp.DateAdd(this=x, expression=_num(amount), unit=exp.var(unit.upper()))
        return exp.cast(moved, _dtype("DATE")) if t is T.DATE else moved

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.DateDiff(this=end, expression=start, unit=exp.var("DAY"))

    def date_part(self, unit: str, x: exp.Expression) -> exp.Expression:
        """YEAR, MONTH or DAY of a date, as an integer."""
        return exp.Extract(this=exp.var(unit), expression=x)

    # numbers
    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        double = _dtype("DOUBLE")
        return exp.Div(this=exp.cast(left, double), expression=exp.func("NULLIF", exp.cast(right, double), _n(0)))

    # comparisons
    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        """A text value prepared for an exact (binary) comparison."""
        return x

    def time_operands(self, values: list[tuple[exp.Expression, T]]) -> list[exp.Expression] | None:
        """Dates and timestamps prepared for comparison with each other, or None to leave them."""
        return None

    def _operands(self, values: list[tuple[exp.Expression, T]], ordering: bool) -> list[exp.Expression]:
        types = {t for _, t in values}
        if T.TEXT in types:
            out = []
            for i, (x, t) in enumerate(values):
                lower = t in (T.TEXT, T.ANY) and (i == 0 or not self.collate_first_only)
                out.append(self.text_operand(_wrap(x), ordering) if lower else _wrap(x))
            return out
        if types & {T.DATE, T.TIMESTAMP}:
            lowered = self.time_operands(values)
            if lowered is not None:
                return lowered
        return [_wrap(x) for x, _ in values]

    def compare(self, op: str, left: exp.Expression, lt: T, right: exp.Expression, rt: T) -> exp.Expression:
        cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
        a, b = self._operands([(left, lt), (right, rt)], ordering=op not in ("=", "!="))
        return cls(this=a, expression=b)

    def in_list(self, subject: exp.Expression, st: T, items: list[tuple[exp.Expression, T]]) -> exp.Expression:
        lowered = self._operands([(subject, st)] + items, ordering=False)
        return exp.In(this=lowered[0], expressions=lowered[1:])

    def between(self, subject: exp.Expression, st: T, low: exp.Expression, lt: T, high: exp.Expression,
                ht: T) -> exp.Expression:
        s, lo, hi = self._operands([(subject, st), (low, lt), (high, ht)], ordering=True)
        return exp.Between(this=s, low=lo, high=hi)

    # text
    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        """`subject like pattern`: `%` and `_` are the only special characters."""
        return exp.Like(this=subject, expression=pattern)

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.GT(this=exp.StrPosition(this=subject, substr=pattern), expression=_n(0))

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.EQ(this=exp.Substring(this=subject, start=_n(1), length=exp.Length(this=pattern.copy())),
                      expression=pattern)

    # aggregates and keys
    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        """The argument of an aggregate, prepared so the engine aggregates it exactly."""
        if func == "avg" and self.real_avg:
            return exp.cast(arg, _dtype("DOUBLE"))
        return arg

    def aggregate_result(self, func: str, agg: exp.Expression, t: T) -> exp.Expression:
        return agg

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        """An entity key as grouped and joined (or ordered, to break quantile ties).

        Text keys must neither merge under a case-insensitive collation nor
        order by locale: 'ab' and 'AB' are two members, ordered by code point.
        """
        return x

    def key_text(self, key: exp.Expression) -> exp.Expression:
        """A key as text, for the holdout hash: '42' for 42 everywhere."""
        return exp.cast(key, _dtype("TEXT"))

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.DPipe(this=left, expression=right, safe=True)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        """A number 0…9999: the first 8 hex digits of MD5(text) as an integer, modulo 10000."""
        digest = exp.Lower(this=exp.MD5(this=text))
        hex8 = exp.DPipe(this=_lit("0x"), expression=exp.Substring(this=digest, start=_n(1), length=_n(8)),
                         safe=True)
        return exp.Mod(this=exp.Paren(this=exp.cast(hex8, _dtype("BIGINT"))), expression=_n(10000))

    def constant_row(self, select: exp.Select) -> exp.Select:
        """A SELECT of constants only (the names `--long` unpivots by)."""
        return select

    def median(self, x: exp.Expression) -> exp.Expression | None:
        """The exact median of a group (interpolated between the two middle values), for reports;
        None where the engine has no exact median aggregate (reports then rank the values)."""
        return exp.WithinGroup(this=exp.PercentileCont(this=_n(0.5)),
                               expression=exp.Order(expressions=[exp.Ordered(this=x)]))

    # whole queries
    def finish(self, query: exp.Expression) -> exp.Expression:
        """Rules that apply to a whole query (session settings, booleans); checks identifiers."""
        self.check_identifiers(query)
        return query

    def check_identifiers(self, query: exp.Expression) -> None:
        if not self.max_identifier:
            return
        for ident in nodes(query, exp.Identifier):
            name = ident.name
            if len(name.encode("utf-8")) > self.max_identifier:
                raise unsupported(f"the name `{name}`", self.name,
                                  f"names are at most {self.max_identifier} bytes long", "use a shorter name")

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        """DDL replacing view or table `name` with the query, in the dialect's atomic form."""
        return [exp.Create(this=name, kind=kind.upper(), replace=True, expression=query)]


def _num(v: int) -> exp.Expression:
    lit = _n(abs(v))
    return exp.Neg(this=lit) if v < 0 else lit


def _generic_hash_bucket(text: exp.Expression) -> exp.Expression:
    """Hex to number with plain arithmetic over STRPOS in a digit string: any engine with MD5."""
    digest = exp.Lower(this=exp.MD5(this=text))
    value: exp.Expression = _n(0)
    for i in range(8):
        digit = exp.Sub(this=exp.StrPosition(this=_lit("0123456789abcdef"),
                                             substr=exp.Substring(this=digest.copy(), start=_n(i + 1), length=_n(1))),
                        expression=_n(1))
        value = exp.Add(this=exp.Mul(this=exp.Paren(this=value), expression=_n(16)), expression=exp.Paren(this=digit))
    return exp.Mod(this=exp.Paren(this=value), expression=_n(10000))


def _mod(x: exp.Expression) -> exp.Expression:
    return exp.Mod(this=exp.Paren(this=x), expression=_n(10000))


def _md5_hex8(text: exp.Expression) -> exp.Expression:
    return exp.Substring(this=exp.Lower(this=exp.MD5(this=text)), start=_n(1), length=_n(8))


class DuckDB(Lowering):
    pass


class SQLite(Lowering):
    """SQLite: no date type (ISO text and date functions), LIKE ignores ASCII case, no md5.

    Dates are compared as 'YYYY-MM-DD' text (date()), timestamps as
    'YYYY-MM-DD HH:MM:SS.SSS' text (strftime), which orders like the values;
    a date compared with a timestamp is its midnight. Month shifts are
    clamped by hand: date(x, '+1 months') rolls 01-31 over to 03-03.
    """

    name = "sqlite"
    TS = "%Y-%m-%d %H:%M:%f"

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return None
    collate_first_only = True
    needs_types = True

    def date_literal(self, d: dt.date) -> exp.Expression:
        return _lit(d.isoformat())

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return _lit(t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}")

    def current_date(self) -> exp.Expression:
        return _fn("DATE", _lit("now"))

    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        return _fn("DATE", x)

    def _ts(self, x: exp.Expression, *modifiers: str) -> exp.Expression:
        return _fn("STRFTIME", _lit(self.TS), x, *(_lit(m) for m in modifiers))

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        as_ts = t is T.TIMESTAMP
        if unit in ("day", "week"):
            days = amount * (7 if unit == "week" else 1)
            return self._ts(x, f"{days:+d} days") if as_ts else _fn("DATE", x, _lit(f"{days:+d} days"))
        months = amount * (12 if unit == "year" else 1)
        # date(x, '+N months') overflows into the next month; the last day of
        # the target month caps it, and min() picks the earlier of the two.
        last = _fn("DATE", x.copy(), _lit("start of month"), _lit(f"{months + 1:+d} months"), _lit("-1 days"))
        if as_ts:
            naive = self._ts(x, f"{months:+d} months")
            last = exp.DPipe(this=last, expression=_fn("STRFTIME", _lit(" %H:%M:%f"), x.copy()), safe=True)
        else:
            naive = _fn("DATE", x, _lit(f"{months:+d} months"))
        return _fn("MIN", naive, last)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.cast(exp.Sub(this=_fn("JULIANDAY", end), expression=_fn("JULIANDAY", start)), _dtype("INTEGER"))

    def date_part(self, unit: str, x: exp.Expression) -> exp.Expression:
        fmt = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d"}[unit]
        return exp.cast(_fn("STRFTIME", _lit(fmt), x), _dtype("INTEGER"))

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        real = _dtype("REAL")
        return exp.Div(this=exp.cast(left, real), expression=exp.func("NULLIF", exp.cast(right, real), _n(0)))

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
            glob: exp.Expression = _lit(like_to_glob(constant))
        else:
            glob = _replace(pattern, [("[", "[[]"), ("*", "[*]"), ("?", "[?]"), ("%", "*"), ("_", "?")])
        return exp.Glob(this=subject, expression=glob)

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.EQ(this=exp.Substring(this=subject, start=_n(1), length=exp.Length(this=pattern.copy())),
                      expression=self.text_operand(pattern, False))

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return self.text_operand(x, True) if t is T.TEXT else x

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return _generic_hash_bucket(text)

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        return _transaction(kind, name, query)  # no CREATE OR REPLACE; DDL is transactional


class Postgres(Lowering):
    """PostgreSQL: `\\` escapes LIKE by default, ordering of text follows the locale."""

    name = "postgres"
    max_identifier = 63  # longer names are silently truncated, so two could become one
    real_avg = True
    collate_first_only = True
    needs_types = True

    def text_literal(self, value: str) -> exp.Expression:
        if "\x00" in value:
            raise unsupported(f"the text {value!r}", self.name, "text cannot hold a NUL character")
        return _lit(value)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.Sub(this=end, expression=start)  # date - date is a number of days

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return exp.Collate(this=x, expression=exp.Identifier(this="C", quoted=True)) if ordering else x

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return exp.Escape(this=exp.Like(this=subject, expression=pattern), expression=_lit(""))

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if func in ("min", "max") and t is T.TEXT:
            return exp.Collate(this=arg, expression=exp.Identifier(this="C", quoted=True))
        return super().aggregate_arg(func, arg, t)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        # equality of text is exact in PostgreSQL; only the order follows the locale
        if t is T.TEXT and ordering:
            return exp.Collate(this=x, expression=exp.Identifier(this="C", quoted=True))
        return x

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        bits = exp.cast(exp.DPipe(this=_lit("x"), expression=_md5_hex8(text), safe=True), _dtype("BIT(32)", "postgres"))
        return _mod(exp.cast(bits, _dtype("BIGINT")))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        # No CREATE OR REPLACE TABLE, and CREATE OR REPLACE VIEW cannot drop or rename columns;
        # DDL is transactional, so drop-and-create in one transaction is atomic for readers.
        return _transaction(kind, name, query)


class Redshift(Postgres):
    """Redshift: PostgreSQL's syntax, but no COLLATE clause and case-sensitive, byte-ordered text by default."""

    name = "redshift"
    max_identifier = 127
    filter_clause = False
    needs_types = False

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return x

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return x

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        return Lowering.aggregate_arg(self, func, arg, t)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant)

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        return Lowering.shift(self, x, amount, unit, t)  # DATEADD keeps dates as dates

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return Lowering.days_between(self, start, end)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return _mod(_fn("STRTOL", _md5_hex8(text), _n(16)))


def _escaped_like(subject: exp.Expression, pattern: exp.Expression, constant: str | None,
                  specials: str = "", explicit: bool = True) -> exp.Expression:
    """LIKE with `\\` as the escape character and the pattern's own `\\` (and specials) escaped."""
    if constant is not None:
        pat: exp.Expression = _lit(escape_like(constant, "\\", specials))
    else:
        pat = _replace(pattern, [("\\", "\\\\")] + [(c, "\\" + c) for c in specials])
    like = exp.Like(this=subject, expression=pat)
    return exp.Escape(this=like, expression=_lit("\\")) if explicit else like


class MySQL(Lowering):
    """MySQL and MariaDB: collations ignore case, accents and trailing spaces; `\\` escapes LIKE.

    Text is compared as utf8mb4 bytes (CAST AS BINARY), which is exact and
    orders by code point; LIKE runs under utf8mb4_bin, which is
    case-sensitive and matches `_` against one character (not one byte).
    """

    name = "mysql"
    filter_clause = False
    max_identifier = 64
    real_avg = True
    needs_types = True

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(_lit(t.isoformat(sep=" ")), _dtype("DATETIME(6)", "mysql"))

    def _binary(self, x: exp.Expression) -> exp.Expression:
        return exp.cast(x, _dtype("BINARY", "mysql"))

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return self._binary(x)

    def _utf8_bin(self, x: exp.Expression) -> exp.Expression:
        as_utf8 = exp.cast(x, exp.DataType(this=exp.DataType.Type.CHARACTER_SET, kind=exp.var("utf8mb4")))
        return exp.Collate(this=as_utf8, expression=exp.var("utf8mb4_bin"))

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(self._utf8_bin(subject), pattern, constant, explicit=False)

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.GT(this=exp.StrPosition(this=self._binary(subject), substr=self._binary(pattern)),
                      expression=_n(0))

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

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return None  # MariaDB's PERCENTILE_CONT is a window function only

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.func("CONCAT", left, right)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        value = exp.cast(_fn("CONV", _md5_hex8(text), _n(16), _n(10)), _dtype("UNSIGNED", "mysql"))
        return _mod(value)

    def check_identifiers(self, query: exp.Expression) -> None:
        super().check_identifiers(query)
        for ident in nodes(query, exp.Identifier):
            if ident.name != ident.name.rstrip(" "):
                raise unsupported(f"the name `{ident.name}`", self.name, "names cannot end with a space")

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        return _swap_statements(name, query, "mysql")


class Spark(Lowering):
    """Apache Spark SQL: `\\` escapes LIKE; DATE_ADD on a timestamp drops its time."""

    name = "spark"

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(_lit(t.isoformat(sep=" ")), _dtype("TIMESTAMP"))

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        # x + INTERVAL keeps a timestamp's time and clamps months, for dates and timestamps alike.
        if unit == "week":
            amount, unit = amount * 7, "day"
        return exp.Add(this=x, expression=exp.Interval(this=_lit(str(amount)), unit=exp.var(unit.upper())))

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return _fn("DATEDIFF", end, start)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant, explicit=False)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return _mod(exp.cast(_fn("CONV", _md5_hex8(text), _n(16), _n(10)), _dtype("BIGINT")))

    def median(self, x: exp.Expression) -> exp.Expression | None:
        return _fn("PERCENTILE", x, _n(0.5))  # exact; sqlglot writes PERCENTILE_CONT as PERCENTILE_APPROX

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        # CREATE OR REPLACE TABLE needs a v2 (Delta, Iceberg) catalog; plain Spark drops and creates.
        return [_drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query)]


class Databricks(Spark):
    name = "databricks"
    max_identifier = 255

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant)

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        return Lowering.statements(self, kind, name, query)  # Delta tables replace atomically


class ClickHouse(Lowering):
    """ClickHouse: LEFT JOIN fills defaults unless join_use_nulls, MD5 returns bytes, substring counts bytes."""

    name = "clickhouse"
    filter_clause = False

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(_lit(t.isoformat(sep=" ")), _dtype("DateTime64(6)", "clickhouse"))

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return _fn("dateDiff", _lit("day"), start, end)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant, explicit=False)

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return _fn("startsWith", subject, pattern)

    def median(self, x: exp.Expression) -> exp.Expression | None:
        # `median` is approximate here; the exact inclusive quantile interpolates like PERCENTILE_CONT.
        return exp.ParameterizedAgg(this=exp.var("quantileExactInclusive"), expressions=[_n(0.5)], params=[x])

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        # MD5 is 16 raw bytes here: the first four, read big-endian, are the first 8 hex digits.
        first4 = _fn("substring", _fn("MD5", text), _n(1), _n(4))
        return _mod(_fn("reinterpretAsUInt32", _fn("reverse", first4)))

    def finish(self, query: exp.Expression) -> exp.Expression:
        query = super().finish(query)
        if isinstance(query, exp.Select):
            # Without join_use_nulls a member with no events would get 0, not missing, from
            # sum/min/max; session_timezone makes "timestamps are UTC" hold on any server.
            query.set("settings", [
                exp.EQ(this=exp.column("join_use_nulls"), expression=_n(1)),
                exp.EQ(this=exp.column("session_timezone"), expression=_lit("UTC")),
            ])
        return query

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        create = exp.Create(this=name, kind="TABLE", replace=True, expression=query,
                            properties=exp.Properties(expressions=[
                                exp.EngineProperty(this=exp.var("MergeTree")),
                                exp.Order(expressions=[exp.Ordered(this=_fn("tuple"))]),
                            ]))
        return [create]


class Snowflake(Lowering):
    name = "snowflake"
    filter_clause = False
    max_identifier = 255

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return _mod(_fn("TO_NUMBER", _md5_hex8(text), _lit("XXXXXXXX")))


class BigQuery(Lowering):
    """BigQuery: DATE_ADD takes only dates, and a TIMESTAMP does not compare with a DATE.

    Timestamps (DATETIME or TIMESTAMP columns) are shifted and compared as
    DATETIME, which is exact for DATETIME and UTC for TIMESTAMP.
    """

    name = "bigquery"
    filter_clause = False
    max_identifier = 300

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        if t is T.DATE:
            return super().shift(x, amount, unit, t)
        return _fn("DATETIME_ADD", exp.cast(x, _dtype("DATETIME", "bigquery")),
                   exp.Interval(this=_num(amount), unit=exp.var(unit.upper())))

    def time_operands(self, values: list[tuple[exp.Expression, T]]) -> list[exp.Expression] | None:
        types = {t for _, t in values}
        if types <= {T.DATE} or types <= {T.TIMESTAMP}:
            return None
        return [exp.cast(x, _dtype("DATETIME", "bigquery")) for x, _ in values]

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant, explicit=False)  # `\` escapes; no ESCAPE clause

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        hex8 = exp.Substring(this=exp.Lower(this=exp.MD5(this=text)), start=_n(1), length=_n(8))
        return _mod(exp.cast(exp.func("CONCAT", _lit("0x"), hex8), _dtype("BIGINT")))


class Trino(Lowering):
    name = "trino"
    filter_clause = True

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return _mod(_fn("FROM_BASE", _md5_hex8(text), _n(16)))


class _NoBoolean(Lowering):
    """Engines without boolean values: conditions are lowered to 1/0 where a value is needed."""

    def finish(self, query: exp.Expression) -> exp.Expression:
        return lower_booleans(super().finish(query))


class TSQL(_NoBoolean):
    """SQL Server: no booleans, case-insensitive default collations, `[` is a LIKE wildcard."""

    name = "tsql"
    filter_clause = False
    max_identifier = 128
    real_avg = True
    collate_first_only = True
    needs_types = True
    BIN = "Latin1_General_100_BIN2"

    def text_literal(self, value: str) -> exp.Expression:
        return exp.National(this=value)  # N'…': non-Latin text survives any database code page

    def current_date(self) -> exp.Expression:
        return exp.cast(exp.CurrentDate(), _dtype("DATE"))  # GETDATE() has a time of day

    def text_operand(self, x: exp.Expression, ordering: bool) -> exp.Expression:
        return exp.Collate(this=x, expression=exp.var(self.BIN))

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(self.text_operand(subject, False), pattern, constant, specials="[")

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        found = exp.GT(this=exp.StrPosition(this=self.text_operand(subject, False), substr=pattern),
                       expression=_n(0))
        # CHARINDEX of '' is 0, but every text contains the empty text
        return exp.or_(found, exp.EQ(this=exp.func("DATALENGTH", pattern.copy()), expression=_n(0)))

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        # LEN ignores trailing spaces; DATALENGTH/2 does not (N-strings are UTF-16).
        length = exp.Div(this=exp.func("DATALENGTH", exp.cast(pattern.copy(), _dtype("NVARCHAR(MAX)", "tsql"))),
                         expression=_n(2), typed=True)  # integer division: a length
        return exp.EQ(this=exp.Left(this=exp.cast(subject, _dtype("NVARCHAR(MAX)", "tsql")), expression=length),
                      expression=self.text_operand(pattern, False))

    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.TEXT and func in ("count_distinct", "min", "max"):
            return self.text_operand(arg, True)
        return super().aggregate_arg(func, arg, t)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        return self.text_operand(x, True) if t is T.TEXT else x

    def key_text(self, key: exp.Expression) -> exp.Expression:
        return exp.cast(key, _dtype("NVARCHAR(MAX)", "tsql"))

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.func("CONCAT", left, right)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        # HASHBYTES hashes the bytes of its argument: NVARCHAR is UTF-16, so the text is
        # first made VARCHAR under a UTF-8 collation (SQL Server 2019+) to hash UTF-8 as elsewhere.
        utf8 = exp.cast(exp.Collate(this=exp.Paren(this=text), expression=exp.var("Latin1_General_100_BIN2_UTF8")),
                        _dtype("VARCHAR(MAX)", "tsql"))
        first4 = exp.Substring(this=_fn("HASHBYTES", _lit("MD5"), utf8), start=_n(1), length=_n(4))
        return _mod(exp.cast(first4, _dtype("BIGINT")))

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        return ["BEGIN TRANSACTION", _drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query), "COMMIT"]


class Oracle(_NoBoolean):
    """Oracle: no booleans, '' is NULL, DATE has a time of day, ADD_MONTHS keeps month ends."""

    name = "oracle"
    filter_clause = False
    max_identifier = 128

    def text_literal(self, value: str) -> exp.Expression:
        if value == "":
            raise unsupported("the empty text \"\"", self.name, "Oracle stores '' as NULL, so it never compares equal",
                              "test for a missing value with `is missing` instead")
        return _lit(value)

    def date_literal(self, d: dt.date) -> exp.Expression:
        return exp.StrToDate(this=_lit(d.isoformat()), format=_lit("%Y-%m-%d"))

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.StrToTime(this=_lit(t.strftime("%Y-%m-%d %H:%M:%S")), format=_lit("%Y-%m-%d %H:%M:%S"))

    def current_date(self) -> exp.Expression:
        return _fn("TRUNC", exp.CurrentDate())

    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        return _fn("TRUNC", x)  # CAST(ts AS DATE) keeps the time of day in Oracle

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        if unit in ("day", "week"):
            days = amount * (7 if unit == "week" else 1)
            return exp.Add(this=x, expression=_num(days))
        months = amount * (12 if unit == "year" else 1)
        # ADD_MONTHS moves a month's last day to the next month's last day (02-29 + 1 → 03-31);
        # the same day number in the target month, where it exists, is the lesser of the two.
        same_day = exp.Add(this=_fn("ADD_MONTHS", _fn("TRUNC", x.copy(), _lit("MM")), _num(months)),
                           expression=exp.Paren(this=exp.Sub(this=self.date_part("DAY", x.copy()), expression=_n(1))))
        return _fn("LEAST", _fn("ADD_MONTHS", x, _num(months)), same_day)

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.Sub(this=end, expression=start)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return _escaped_like(subject, pattern, constant)

    def key_text(self, key: exp.Expression) -> exp.Expression:
        return _fn("TO_CHAR", key)

    def constant_row(self, select: exp.Select) -> exp.Select:
        return select.from_("DUAL")  # a SELECT needs a FROM before Oracle 23ai

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        hexed = exp.Lower(this=_fn("RAWTOHEX", _fn("STANDARD_HASH", text, _lit("MD5"))))
        return _mod(_fn("TO_NUMBER", exp.Substring(this=hexed, start=_n(1), length=_n(8)), _lit("xxxxxxxx")))

    def check_identifiers(self, query: exp.Expression) -> None:
        super().check_identifiers(query)
        for ident in nodes(query, exp.Identifier):
            if '"' in ident.name:
                raise unsupported(f"the name `{ident.name}`", self.name, "a quoted name cannot hold a double quote")

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        if kind == "view":
            return super().statements(kind, name, query)
        # Oracle 23ai: DROP TABLE IF EXISTS; DDL commits, so readers may briefly see no table.
        return [_drop(name, "TABLE"),
                exp.Create(this=name, kind="TABLE", expression=query)]


def _drop(table: exp.Table, kind: str) -> exp.Drop:
    return exp.Drop(tables=[table.copy()], kind=kind, exists=True)


def _transaction(kind: str, name: exp.Table, query: exp.Expression, begin: str = "BEGIN") -> list[exp.Expression | str]:
    """Drop and create in one transaction: readers see the old object or the new one (transactional DDL)."""
    return [begin, _drop(name, kind.upper()), exp.Create(this=name, kind=kind.upper(), expression=query), "COMMIT"]


def _swap_statements(name: exp.Table, query: exp.Expression, flavour: str) -> list[exp.Expression | str]:
    """Build `name__segdsl_new`, then swap it in with one atomic RENAME (MySQL/MariaDB)."""
    new = name.copy()
    new.set("this", exp.to_identifier(name.name + "__segdsl_new", quoted=True))
    old = name.copy()
    old.set("this", exp.to_identifier(name.name + "__segdsl_old", quoted=True))
    return [
        _drop(new, "TABLE"),
        exp.Create(this=new.copy(), kind="TABLE", expression=query),
        f"CREATE TABLE IF NOT EXISTS {name.sql(flavour)} LIKE {new.sql(flavour)}",
        f"RENAME TABLE {name.sql(flavour)} TO {old.sql(flavour)}, {new.sql(flavour)} TO {name.sql(flavour)}",
        _drop(old, "TABLE"),
    ]


# ── booleans for engines without them ───────────────────────────────────────


def _as_condition(x: exp.Expression) -> exp.Expression:
    if isinstance(x, exp.Boolean):
        return exp.EQ(this=_n(1), expression=_n(1 if x.this else 0))
    if is_predicate(x):
        return x
    return exp.EQ(this=x, expression=_n(1))


def _as_value(x: exp.Expression) -> exp.Expression:
    if isinstance(x, exp.Boolean):
        return _n(1 if x.this else 0)
    if not is_predicate(x):
        return x
    # keeps unknown unknown: neither branch matches when the condition is NULL
    return exp.Case(ifs=[exp.If(this=x, true=_n(1)), exp.If(this=exp.Not(this=exp.Paren(this=x.copy())), true=_n(0))])


def lower_booleans(node: exp.Expression) -> exp.Expression:
    """Rewrite a query for engines without boolean values (T-SQL, Oracle before 23ai).

    A condition where a value is expected (a selected segment, an argument of
    COALESCE, an operand of =) becomes CASE WHEN c THEN 1 WHEN NOT c THEN 0
    END; a value where a condition is expected (WHERE, WHEN, AND/OR/NOT)
    becomes `v = 1`. Unknown stays unknown.
    """

    def visit(x: exp.Expression, want: str) -> exp.Expression:
        # children first, each in the context its parent gives it
        for key, value in list(x.args.items()):
            if isinstance(value, exp.Expression):
                x.set(key, visit(value, _context(x, key, value)))
            elif isinstance(value, list):
                x.set(key, [visit(v, _context(x, key, v)) if isinstance(v, exp.Expression) else v for v in value])
        if want == "condition":
            return _as_condition(x)
        if want == "value":
            return _as_value(x)
        return x

    return visit(node, "none")


def _context(parent: exp.Expression, key: str, child: exp.Expression) -> str:
    """Whether `child` stands where a condition, a value, or neither is expected."""
    if isinstance(parent, (exp.Where, exp.Having)) or (isinstance(parent, exp.Join) and key == "on"):
        return "condition"
    if isinstance(parent, (exp.And, exp.Or, exp.Not)):
        return "condition"
    if isinstance(parent, exp.If) and key == "this":
        return "condition"
    if isinstance(parent, (exp.Paren, exp.Escape)):
        return "none"
    if isinstance(child, (exp.Select, exp.Subquery, exp.With, exp.CTE, exp.From, exp.Join, exp.Where, exp.Group,
                          exp.Order, exp.Ordered, exp.Table, exp.TableAlias, exp.Identifier, exp.Window,
                          exp.Having, exp.Star, exp.DataType, exp.Var)):
        return "none"
    if isinstance(parent, exp.Alias) or isinstance(parent, (exp.Func, exp.Binary, exp.If, exp.Case, exp.In,
                                                            exp.Between, exp.Is, exp.Cast, exp.Neg, exp.Ordered,
                                                            exp.Select)):
        return "value"
    return "none"


# ── registry ────────────────────────────────────────────────────────────────

_LOWERINGS: dict[str, type[Lowering]] = {
    "duckdb": DuckDB, "sqlite": SQLite, "postgres": Postgres, "mysql": MySQL, "spark": Spark,
    "clickhouse": ClickHouse, "snowflake": Snowflake, "bigquery": BigQuery, "redshift": Redshift,
    "databricks": Databricks, "trino": Trino, "tsql": TSQL, "oracle": Oracle,
}
FILTER_DIALECTS = frozenset(n for n, cls in _LOWERINGS.items() if cls.filter_clause)


def lowering(dialect: str) -> Lowering:
    """The lowering rules of a dialect (one of DIALECTS)."""
    return _LOWERINGS[dialect]()


def ddl(dialect: str, kind: str, name: str, query: exp.Expression) -> list[str]:
    """SQL statements that replace view or table `name` (`schema.name` allowed) with the query.

    Each dialect's own form: CREATE OR REPLACE where it is atomic, otherwise
    a transaction or an atomic rename. Returned as text, one statement each.
    """
    from sqlglot.errors import ErrorLevel, UnsupportedError

    table = qualified_table(name)
    out = []
    for st in lowering(dialect).statements(kind, table, query):
        try:
            out.append(st if isinstance(st, str)
                       else st.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as exc:
            raise unsupported(f"a {kind}", dialect, str(exc).strip().splitlines()[0]) from None
    return out


def qualified_table(name: str) -> exp.Table:
    """`schema.name` or `name` as a quoted table (split at dots; a part may not be empty)."""
    parts = name.split(".")
    if not all(parts) or len(parts) > 3:
        raise SegError([Diagnostic("SEG307", f"`{name}` is not a table name", None,
                                   "write NAME or SCHEMA.NAME")])
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    if len(ids) == 1:
        return exp.Table(this=ids[0])
    if len(ids) == 2:
        return exp.Table(this=ids[1], db=ids[0])
    return exp.Table(this=ids[2], db=ids[1], catalog=ids[0])


__all__ = ["Dialect", "DIALECTS", "VERIFIED", "GENERATED", "tier_table", "Lowering", "lowering", "ddl",
           "qualified_table", "lower_booleans", "like_to_glob", "escape_like", "unsupported", "FILTER_DIALECTS"]
