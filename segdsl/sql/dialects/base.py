"""The base of every dialect: the registry, the rules of standard SQL, and the helpers the dialects share.

sqlglot transpiles standard SQL well, but "transpiles" is not "means the same
thing". The compiler asks its dialect for every construct whose meaning
differs between engines, and each dialect answers with the expression that
gives the language's semantics (README, "Semantics") on that engine:

* text is compared exactly: case-, accent- and trailing-space-sensitive,
  ordered by code point (MySQL/MariaDB collations are none of these, T-SQL's
  usually not, PostgreSQL's ordering follows the locale);
* `like` has `%` and `_` as its only wildcards, and a literal `%` or `_`
  where the model writes `\\%` or `\\_` (PostgreSQL, MySQL, Spark, ClickHouse
  and BigQuery treat `\\` as an escape character, DuckDB none; T-SQL also
  treats `[` as a wildcard; SQLite's LIKE ignores ASCII case, so SQLite uses GLOB);
* dates are calendar dates and month arithmetic stops at the end of a shorter
  month (SQLite rolls over into the next month, Oracle's ADD_MONTHS jumps to
  the end of a month); SQLite stores dates as ISO text;
* division is real and by zero gives missing; `avg` is real (MySQL rounds
  the average of integers to four decimals, T-SQL truncates it);
* booleans exist (T-SQL and Oracle have no boolean values: conditions are
  lowered to 1/0 and back, segdsl.sql.dialects.booleans);
* the holdout hash is MD5 as lowercase hex on every engine.

A construct a dialect cannot express is a compile-time diagnostic (SEG311)
naming the construct and the dialect — never wrong SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, ClassVar, Iterator, TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.generator import Generator
from sqlglot.errors import ErrorLevel

from ...lang.diagnostics import Diagnostic, SegError
from ...lang.syntax import like_tokens
from ...semantic.model import T

# ── the registry ────────────────────────────────────────────────────────────

REGISTRY: dict[str, type["Dialect"]] = {}
D = TypeVar("D", bound="type[Dialect]")


# What a dialect says of itself rather than of its rules: never inherited from the dialect whose rules it
# extends (Redshift's rules are PostgreSQL's, but postgresql:// URLs are not Redshift's).
OWN = ("tier", "engine", "notes", "position", "target", "schemes", "file_schemes", "extra", "connections")


def register(cls: D) -> D:
    """Make a dialect known by its name: `--dialect`, the tier table, target URLs."""
    if cls.name in REGISTRY:
        raise ValueError(f"two dialects named {cls.name!r}")
    for attribute in OWN:
        if attribute not in vars(cls):
            setattr(cls, attribute, getattr(Dialect, attribute))
    REGISTRY[cls.name] = cls
    return cls


# ── helpers ─────────────────────────────────────────────────────────────────

_PREDICATES = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Escape)  # Escape: LIKE … ESCAPE


def lit(s: str) -> exp.Literal:
    """A text literal."""
    return exp.Literal.string(s)


def num(v: int | float) -> exp.Expression:
    """A number as a literal; a negative one as the negation of its absolute value."""
    text = str(v) if isinstance(v, int) else repr(float(v))
    literal = exp.Literal.number(text.lstrip("-"))
    return exp.Neg(this=literal) if text.startswith("-") else literal


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


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A function call written as named: for engine functions sqlglot does not model."""
    return exp.Anonymous(this=name, expressions=list(args))


def dtype(name: str, dialect: str | None = None) -> exp.DataType:
    """A data type by name, built once: building parses it, and compiling a large model builds thousands."""
    built = _DTYPES.get((name, dialect))
    if built is None:
        built = _DTYPES[(name, dialect)] = exp.DataType.build(name, dialect=dialect)
    return built.copy()


_DTYPES: dict[tuple[str, str | None], exp.DataType] = {}

# Below this magnitude a double's last place is under a billionth, so its value at nine decimal places
# is found from its binary value: whole part and billionths, in floating point, exactly.
EXACT_SMALL = 4194304  # 2^22


def exact_sum_by_parts(summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression,
                       trunc: Callable[[exp.Expression], exp.Expression], integer: exp.DataType) -> exp.Expression:
    """The exact sum at nine decimal places, without a DECIMAL value per row.

    Values under 2^22 are summed as their whole parts and their billionths
    (rounded half away from zero), as integers, which is exact; larger ones
    (rare) as DECIMAL(38, 9); the exact total becomes the nearest double
    once per group. A NULL value stays out of every sum, so a group without
    values sums to NULL.
    """
    def large() -> exp.Expression:
        return exp.GTE(this=exp.Abs(this=arg.copy()), expression=num(EXACT_SMALL))

    def small_part(value: exp.Expression) -> exp.Expression:
        return exp.Case(ifs=[exp.If(this=large(), true=num(0))], default=exp.cast(value, integer.copy()))

    scaled = exp.Mul(this=exp.Paren(this=exp.Sub(this=arg.copy(), expression=trunc(arg.copy()))),
                     expression=num(1_000_000_000))
    half_away = exp.Mul(this=fn("SIGN", scaled),
                        expression=exp.Floor(this=exp.Add(this=exp.Abs(this=scaled.copy()), expression=num(0.5))))
    whole, billionths = small_part(trunc(arg.copy())), small_part(half_away)
    big = exp.Case(ifs=[exp.If(this=large(), true=exp.cast(arg.copy(), dtype("DECIMAL(38, 9)")))])
    total = exp.Add(
        this=exp.Add(this=exp.cast(summed(whole), dtype("DECIMAL(38, 9)")),
                     expression=exp.Mul(this=exp.cast(summed(billionths), dtype("DECIMAL(38, 0)")),
                                        expression=exp.Literal.number("0.000000001"))),
        expression=exp.func("COALESCE", summed(big), num(0)))
    return exp.cast(total, dtype("DOUBLE"))


def is_predicate(x: exp.Expression) -> bool:
    """Whether an expression is a condition (as opposed to a value)."""
    while isinstance(x, exp.Paren):
        x = x.this
    return isinstance(x, _PREDICATES)


def wrap(x: exp.Expression) -> exp.Expression:
    """Parenthesise a condition used as an operand, so `(a > b) = c` never reads as a chain."""
    inner = x
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, (exp.Predicate, exp.Connector, exp.Not)) and not isinstance(x, exp.Paren):
        return exp.Paren(this=x)
    return x


def plain_like(pattern: str) -> str | None:
    """The pattern for a LIKE without an escape character, or None when it holds a literal % or _."""
    tokens = like_tokens(pattern)
    if any(not wild and ch in "%_" for ch, wild in tokens):
        return None
    return "".join(ch for ch, _ in tokens)


def escape_like(pattern: str, escape: str = "\\", specials: str = "") -> str:
    """A LIKE pattern for an engine that treats `escape` (and `specials`) specially.

    The language's LIKE knows only `%` and `_` as wildcards; a literal `%`
    or `_`, the escape character itself and any extra wildcard of the engine
    (T-SQL's `[`) are escaped so that they mean themselves.
    """
    out = []
    for ch, wild in like_tokens(pattern):
        if not wild and (ch in "%_" or ch == escape or ch in specials):
            out.append(escape + ch)
        else:
            out.append(ch)
    return "".join(out)


def like_to_glob(pattern: str) -> str:
    """A LIKE pattern as an SQLite GLOB pattern: GLOB is case-sensitive, LIKE is not.

    `%` → `*`, `_` → `?`; GLOB's own wildcards `*`, `?` and `[` are put in a
    character class so they match themselves, and so is nothing else.
    """
    out = []
    for ch, wild in like_tokens(pattern):
        if wild:
            out.append("*" if ch == "%" else "?")
        else:
            out.append({"*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def replace_all(x: exp.Expression, pairs: list[tuple[str, str]]) -> exp.Expression:
    """REPLACE(x, old, new) for each pair in turn: escapes a pattern known only to the engine."""
    for old, new in pairs:
        x = fn("REPLACE", x, lit(old), lit(new))
    return x


def unsupported(construct: str, dialect: str, reason: str, hint: str | None = None) -> SegError:
    """SEG311: a construct of the model that cannot be written in a dialect."""
    return SegError([Diagnostic("SEG311", f"{construct} cannot be written in {dialect}: {reason}", None,
                                hint or "compile for another dialect, or change the model")])


def escaped_like(subject: exp.Expression, pattern: exp.Expression, constant: str | None,
                 specials: str = "", explicit: bool = True) -> exp.Expression:
    """LIKE with `\\` as the escape character and the pattern's own `\\` (and specials) escaped."""
    if constant is not None:
        pat: exp.Expression = lit(escape_like(constant, "\\", specials))
    else:
        pat = replace_all(pattern, [("\\", "\\\\")] + [(c, "\\" + c) for c in specials])
    like = exp.Like(this=subject, expression=pat)
    return exp.Escape(this=like, expression=lit("\\")) if explicit else like


def generic_hash_bucket(text: exp.Expression) -> exp.Expression:
    """Hex to number with plain arithmetic over STRPOS in a digit string: any engine with MD5."""
    digest = exp.Lower(this=exp.MD5(this=text))
    value: exp.Expression = num(0)
    for i in range(8):
        digit = exp.Sub(this=exp.StrPosition(this=lit("0123456789abcdef"),
                                             substr=exp.Substring(this=digest.copy(), start=num(i + 1), length=num(1))),
                        expression=num(1))
        value = exp.Add(this=exp.Mul(this=exp.Paren(this=value), expression=num(16)), expression=exp.Paren(this=digit))
    return exp.Mod(this=exp.Paren(this=value), expression=num(10000))


def buckets(x: exp.Expression) -> exp.Expression:
    """A hash number as a holdout bucket 0…9999."""
    return exp.Mod(this=exp.Paren(this=x), expression=num(10000))


def md5_hex8(text: exp.Expression) -> exp.Expression:
    """The first 8 hex digits of MD5(text), in lower case."""
    return exp.Substring(this=exp.Lower(this=exp.MD5(this=text)), start=num(1), length=num(8))


def drop(table: exp.Table, kind: str) -> exp.Drop:
    return exp.Drop(tables=[table.copy()], kind=kind, exists=True)


def transaction(kind: str, name: exp.Table, query: exp.Expression, begin: str = "BEGIN") -> list[exp.Expression | str]:
    """Drop and create in one transaction: readers see the old object or the new one (transactional DDL)."""
    return [begin, drop(name, kind.upper()), exp.Create(this=name, kind=kind.upper(), expression=query), "COMMIT"]


def swap_statements(name: exp.Table, query: exp.Expression, flavour: str) -> list[exp.Expression | str]:
    """Build `name__segdsl_new`, then swap it in with one atomic RENAME (MySQL/MariaDB)."""
    new = name.copy()
    new.set("this", exp.to_identifier(name.name + "__segdsl_new", quoted=True))
    old = name.copy()
    old.set("this", exp.to_identifier(name.name + "__segdsl_old", quoted=True))
    return [
        drop(new, "TABLE"),
        exp.Create(this=new.copy(), kind="TABLE", expression=query),
        f"CREATE TABLE IF NOT EXISTS {name.sql(flavour)} LIKE {new.sql(flavour)}",
        f"RENAME TABLE {name.sql(flavour)} TO {old.sql(flavour)}, {new.sql(flavour)} TO {name.sql(flavour)}",
        drop(old, "TABLE"),
    ]


# ── the rules ───────────────────────────────────────────────────────────────


class Dialect:
    """One SQL dialect: what the tier table says of it, and its lowering rules.

    The rules here are standard SQL as sqlglot transpiles it, which are the
    rules of DuckDB, the reference engine; each dialect's class (one module
    per dialect, registered with `@register`) overrides what its engine does
    differently. Every rule takes and returns sqlglot expressions; types are
    the language's types of the operands (T.ANY when no schema is known).
    """

    # ── what the registry knows of the dialect ──
    name: ClassVar[str] = ""  # as sqlglot names it, and as `--dialect` takes it
    tier: ClassVar[str] = "generated"  # "verified": executed in CI; "generated": golden SQL only
    engine: ClassVar[str] = ""  # what executes it in CI, or what it is written for
    notes: ClassVar[str] = ""
    position: ClassVar[int] = 0  # its row in the tier table
    # Where segdsl runs it (segdsl.engines.<name>): the URL form shown by `segdsl dialects`, the URL
    # schemes of its targets (those naming a file or folder on this machine in `file_schemes`), the
    # pip extra with its drivers, and the Python modules of the open connections it accepts.
    target: ClassVar[str] = ""
    schemes: ClassVar[tuple[str, ...]] = ()
    file_schemes: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    connections: ClassVar[tuple[str, ...]] = ()
    # ── how the compiler writes for it ──
    filter_clause: ClassVar[bool] = True  # AGG(x) FILTER (WHERE c); otherwise AGG(CASE WHEN c THEN x END)
    # FILTER is supported but AGG(CASE WHEN c THEN x END) is faster (and a conditional count is COUNT_IF).
    case_aggregates: ClassVar[bool] = False
    # A timestamp compared with a TIMESTAMP literal means the same as its date compared with a date (no
    # column type with a zone read differently from the session's): windows compare raw timestamps.
    raw_time_windows: ClassVar[bool] = False
    max_identifier: ClassVar[int] = 0  # longest identifier in bytes (0: no limit worth checking)
    # An explicit COLLATE on one operand decides the whole comparison (PostgreSQL, SQLite, T-SQL);
    # a cast (MySQL's BINARY) must be applied to every operand.
    collate_first_only: ClassVar[bool] = False
    # Whether exact text handling needs the column types (text keys under a collation
    # that is not binary): compiled without a schema, the SQL says so in its header.
    needs_types: ClassVar[bool] = False
    # Whether MIN and MAX do not take a boolean (they are then lowered, given the column types).
    bool_min_max: ClassVar[bool] = False

    # sources
    def file_source(self, path: str) -> exp.Expression | None:
        """A data file named by the model, read by the query itself; None: a table named after the file."""
        return None

    # printing
    def generator(self) -> type[Generator]:
        """sqlglot's printer class for the dialect; a dialect with printing rules of its own returns a
        subclass that overrides TRANSFORMS (see Snowflake)."""
        return sqlglot.Dialect.get_or_raise(self.name).generator_class

    def printer(self, pretty: bool) -> Generator:
        """A printer for one query, raising on anything sqlglot would drop or approximate."""
        return self.generator()(dialect=sqlglot.Dialect.get_or_raise(self.name), pretty=pretty,
                                unsupported_level=ErrorLevel.RAISE)

    def header_note(self, holdouts: bool, sql: str) -> str | None:
        """A line for the header of compiled SQL: what a connection must provide to run it."""
        return None

    # values
    def text_literal(self, value: str) -> exp.Expression:
        return exp.Literal.string(value)

    def date_literal(self, d: dt.date) -> exp.Expression:
        return exp.cast(exp.Literal.string(d.isoformat()), dtype("DATE"), copy=False)

    def timestamp_literal(self, t: dt.datetime) -> exp.Expression:
        return exp.cast(exp.Literal.string(t.isoformat(sep=" ")), dtype("TIMESTAMP"))

    def current_date(self) -> exp.Expression:
        return exp.CurrentDate()

    def read(self, x: exp.Expression, t: T) -> exp.Expression:
        """A column of a source as read, before anything is computed from it."""
        return x

    # dates
    def as_date(self, x: exp.Expression, t: T) -> exp.Expression:
        """The calendar date of a date or timestamp."""
        return x if t is T.DATE else exp.cast(x, dtype("DATE"), copy=False)

    def shift(self, x: exp.Expression, amount: int, unit: str, t: T) -> exp.Expression:
        """A date moved by whole days or calendar months (clamped to the month's end).

        Engines return a timestamp for date + interval; a date stays a date.
        """
        moved = exp.DateAdd(this=x, expression=num(amount), unit=exp.var(unit.upper()))
        return exp.cast(moved, dtype("DATE")) if t is T.DATE else moved

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return exp.DateDiff(this=end, expression=start, unit=exp.var("DAY"))

    def date_part(self, unit: str, x: exp.Expression) -> exp.Expression:
        """YEAR, MONTH or DAY of a date, as an integer."""
        return exp.Extract(this=exp.var(unit), expression=x)

    # numbers
    def arith(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        """`left op right` for + - *; an engine that wraps integers around checks the result (SEG315)."""
        return {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op](this=left, expression=right)

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        double = dtype("DOUBLE")
        return exp.Div(this=exp.cast(left, double), expression=exp.func("NULLIF", exp.cast(right, double), num(0)))

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
                out.append(self.text_operand(wrap(x), ordering) if lower else wrap(x))
            return out
        if types & {T.DATE, T.TIMESTAMP}:
            lowered = self.time_operands(values)
            if lowered is not None:
                return lowered
        return [wrap(x) for x, _ in values]

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
        """`subject like pattern`: `%` and `_` are the only wildcards.

        `constant` is the pattern when the model fixes it, with backslash escapes
        (segdsl.lang.syntax.like_pattern); `pattern` is its value as text. DuckDB's LIKE
        has no escape character unless one is named, so ESCAPE is written only
        when the pattern holds a literal % or _.
        """
        if constant is not None and plain_like(constant) is None:
            return exp.Escape(this=exp.Like(this=subject, expression=lit(escape_like(constant))),
                              expression=lit("\\"))
        return exp.Like(this=subject, expression=pattern)

    def contains(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.GT(this=exp.StrPosition(this=subject, substr=pattern), expression=num(0))

    def starts_with(self, subject: exp.Expression, pattern: exp.Expression) -> exp.Expression:
        return exp.EQ(this=exp.Substring(this=subject, start=num(1), length=exp.Length(this=pattern.copy())),
                      expression=pattern)

    # aggregates and keys
    def aggregate_arg(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        """The argument of an aggregate, prepared so the engine aggregates it exactly."""
        return arg

    def aggregate_result(self, func: str, agg: exp.Expression, t: T) -> exp.Expression:
        return agg

    def distinct_count(self, arg: exp.Expression, of_time: bool = False, day_bits: int = 0) -> exp.Expression:
        """The number of distinct values of `arg` in a group, NULL not counted: COUNT(DISTINCT arg).
        `of_time`: the value is derived from the events' time, so nearly every event has its own;
        `day_bits`: it is moreover a whole number of days before as_of (a purchase day of a prediction's
        summary), of which 0 … day_bits − 1 may be counted as bits (`Options.day_bits`)."""
        return exp.Count(this=exp.Distinct(expressions=[arg]))

    def exact_sum(self, summed: Callable[[exp.Expression], exp.Expression], arg: exp.Expression) -> exp.Expression:
        """The exact sum of numbers taken at nine decimal places, as the nearest double.

        `summed(x)` is SUM(x) over the aggregate's rows (with its filter).
        """
        return exp.cast(summed(exp.cast(arg, dtype("DECIMAL(38, 9)"))), dtype("DOUBLE"))

    def min_max(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        """MIN or MAX of a group; booleans order false before true (max: any true, min: all true)."""
        return (exp.Min if func == "min" else exp.Max)(this=arg)

    def key(self, x: exp.Expression, t: T, ordering: bool = False) -> exp.Expression:
        """An entity key as grouped and joined (or ordered, to break quantile ties).

        Text keys must neither merge under a case-insensitive collation nor
        order by locale: 'ab' and 'AB' are two members, ordered by code point.
        """
        return x

    def key_probe(self, x: exp.Expression, t: T) -> exp.Expression | None:
        """A second, looser form of a key that joins carry beside `key()`, where the engine can look up
        by it but not by the exact key (None: the exact key is joined alone)."""
        return None

    def key_text(self, key: exp.Expression) -> exp.Expression:
        """A key as text, for the holdout hash: '42' for 42 everywhere."""
        return exp.cast(key, dtype("TEXT"))

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return exp.DPipe(this=left, expression=right, safe=True)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        """A number 0…9999: the first 8 hex digits of MD5(text) as an integer, modulo 10000."""
        digest = exp.Lower(this=exp.MD5(this=text))
        hex8 = exp.DPipe(this=lit("0x"), expression=exp.Substring(this=digest, start=num(1), length=num(8)),
                         safe=True)
        return exp.Mod(this=exp.Paren(this=exp.cast(hex8, dtype("BIGINT"))), expression=num(10000))

    def constant_row(self, select: exp.Select) -> exp.Select:
        """A SELECT of constants only (the names `--long` unpivots by)."""
        return select

    def median(self, x: exp.Expression) -> exp.Expression | None:
        """The exact median of a group (interpolated between the two middle values), for reports;
        None where the engine has no exact median aggregate (reports then rank the values)."""
        return exp.WithinGroup(this=exp.PercentileCont(this=num(0.5)),
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
