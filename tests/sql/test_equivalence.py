"""DuckDB against the reference evaluator, on random models and random data.

Hypothesis writes small data sets (Parquet with explicit types) and random
.seg models, runs them on DuckDB through segdsl and compares every value of
every member with tests/reference.py, which interprets the same checked
model in plain Python. The example models are compared on the demo data.

SEGDSL_HYPOTHESIS_EXAMPLES=500 runs a longer search; SEGDSL_HYPOTHESIS_SHRINK=1
lets Hypothesis shrink a failure to a small model and data set (slow).
Constructs that a known segdsl bug breaks (none at present) are left out of the random models
(KNOWN_BUGS) and pinned down by xfail tests of their own.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import math
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st


import segdsl  # noqa: E402
from segdsl.semantic.model import RFM_GROUPS, T, bucket_labels  # noqa: E402
from tests.support.reference import evaluate, shift  # noqa: E402
from tests.support.paths import ROOT

EXAMPLES = int(os.environ.get("SEGDSL_HYPOTHESIS_EXAMPLES", "60"))
# Shrinking a failure of a whole model plus data set takes minutes; it is
# worth it when hunting a bug (SEGDSL_HYPOTHESIS_SHRINK=1), not in every run.
SHRINK = os.environ.get("SEGDSL_HYPOTHESIS_SHRINK", "") not in ("", "0")
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + ([Phase.shrink] if SHRINK else []),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.filter_too_much],
)

D = dt.date
TS = dt.datetime


# ── comparing results ───────────────────────────────────────────────────────


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def same_value(engine: object, expected: object, midnight_is_date: bool = False) -> bool:
    """Numbers with a relative tolerance (sums of floats), everything else exactly.

    With `midnight_is_date`, a timestamp at 00:00 stands for the date the
    reference gives (see test_date_shift_keeps_the_date_type).
    """
    if (midnight_is_date and isinstance(engine, dt.datetime) and type(expected) is dt.date
            and engine.time() == dt.time() and engine.date() == expected):
        return True
    if engine is None or expected is None:
        return engine is None and expected is None
    if isinstance(engine, bool) or isinstance(expected, bool):
        return isinstance(engine, bool) and isinstance(expected, bool) and engine == expected
    if _is_number(engine) and _is_number(expected):
        if isinstance(engine, int) and isinstance(expected, int):
            return engine == expected
        a, b = float(engine), float(expected)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(engine, dt.datetime) or isinstance(expected, dt.datetime):
        return (isinstance(engine, dt.datetime) and isinstance(expected, dt.datetime) and engine == expected)
    if isinstance(engine, dt.date) and isinstance(expected, dt.date):
        return engine == expected
    if isinstance(engine, str) and isinstance(expected, str):
        return engine == expected
    return False


def engine_rows(model: "segdsl.Model", as_of: dt.date, params: dict | None,
                connection=None) -> tuple[list[str], list[tuple]]:
    rel = model.run(as_of=as_of, params=params, connection=connection)
    return list(rel.columns), rel.fetchall()


def member_data(model, tables, k) -> str:
    """The rows of one member (entity and events), for failure messages."""
    ir = model.ir
    lines = [f"entity: {[r for r in tables[ir.entity.source] if r[ir.entity.key] == k]!r}"]
    for ev in ir.events.values():
        lines.append(f"{ev.name}: {[r for r in tables[ev.source] if r[ev.by] == k]!r}")
    return "\n".join(lines)


def arrow_schemas(model, schemas: dict[str, pa.Schema]) -> dict[str, dict[str, T]]:
    """Column types of the model's sources (by entity/events name) from their Arrow schemas."""
    def lang(t: pa.DataType) -> T:
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            return T.NUMBER
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return T.TEXT
        if pa.types.is_boolean(t):
            return T.BOOL
        if pa.types.is_date(t):
            return T.DATE
        if pa.types.is_timestamp(t):
            return T.TIMESTAMP
        return T.ANY

    ir = model.ir
    names = {ir.entity.source: ir.entity.name} | {ev.source: ev.name for ev in ir.events.values()}
    return {names[source]: {f.name: lang(f.type) for f in schema} for source, schema in schemas.items()}


def compare_results(model, tables, as_of, params, context: str = "",
                    schemas: dict[str, pa.Schema] | None = None, connection=None) -> None:
    """Run on DuckDB and in the reference; assert that every member and value agrees.

    The reference reads the model checked against the column types of the
    data (as a run does), so both interpret the very same model.
    """
    columns, rows = engine_rows(model, as_of, params, connection)
    ir = model.with_schemas(arrow_schemas(model, schemas)).ir if schemas else model.ir
    expected = evaluate(ir, tables, as_of, params)
    key = model.ir.entity.key
    assert columns[0] == key
    got: dict[object, dict[str, object]] = {}
    for row in rows:
        k = row[0]
        assert k not in got, f"member {k!r} appears twice\n{context}"
        got[k] = dict(zip(columns[1:], row[1:]))
    assert set(got) == set(expected), (
        f"population differs: only engine {sorted(map(repr, set(got) - set(expected)))}, "
        f"only reference {sorted(map(repr, set(expected) - set(got)))}\n{context}")
    names = set(columns[1:])
    for k, values in expected.items():
        assert set(values) == names, f"columns differ: {sorted(names)} vs {sorted(values)}\n{context}"
        for name, value in values.items():
            engine = got[k][name]
            assert same_value(engine, value, "date_shift_type" in KNOWN_BUGS), (
                f"member {k!r}, `{name}`: engine {engine!r}, reference {value!r}\n{context}\n"
                f"--- data of the member ---\n{member_data(model, tables, k)}")


# ── data ────────────────────────────────────────────────────────────────────

ENTITY_SOURCE = "customers.parquet"
EVENT_SOURCES = {"orders": "orders.parquet", "visits": "visits.parquet"}

# column -> kind of value, per table; the kinds decide the Arrow types
ENTITY_COLUMNS = {"age": "int", "score": "float", "city": "text", "город": "text", "born": "date",
                  "seen": "ts", "flag": "bool"}
EVENT_COLUMNS = {
    "orders": {"amount": "float", "qty": "int", "channel": "text", "shipped": "date", "paid": "bool"},
    "visits": {"page": "text", "secs": "int", "score": "float"},  # score: also an entity column
}
EVENT_AT = {"orders": ("ts", "ts"), "visits": ("day", "date")}
EVENT_BY = "cust"

ARROW = {"int": pa.int64(), "float": pa.float64(), "text": pa.string(), "date": pa.date32(),
         "ts": pa.timestamp("us"), "bool": pa.bool_()}
# language type of each kind of column
LANG = {"int": "num", "float": "num", "text": "text", "date": "time", "ts": "time", "bool": "bool"}

INTS = [0, 1, 2, 3, 5, 10, 42, 100, -1, -7]
# binary fractions: sums are exact in any order, so ties and thresholds are the same everywhere
FLOATS = [0.0, 0.5, 1.0, 2.5, 0.25, 10.0, 99.5, 1000.25, -3.5, -0.5, 2.75]
TEXTS = ["web", "app", "", "Web", "Łódź", "Москва", "Kraków", 'O"Brien', "it's", "back\\slash", "50%",
         "a_b", "%", "_", "e\u0301", "é", "web%", " web", "w", "ab", "Ł"]
AS_OFS = [D(2024, 3, 31), D(2024, 2, 29), D(2023, 12, 31), D(2025, 1, 31), D(2024, 6, 15)]
DAY_OFFSETS = [0, 1, 6, 7, 8, 13, 14, 29, 30, 31, 59, 60, 61, 89, 90, 91, 180, 181, 364, 365, 366, 730, 731,
               -1, -2]
MONTH_OFFSETS = [1, 2, 3, 6, 12, 24]
TIMES = [dt.time(0, 0), dt.time(23, 59, 59), dt.time(12, 0)]


def interesting_dates(as_of: dt.date) -> list[dt.date]:
    """as_of, the day after, and the days at and around every window edge the models use."""
    out = [as_of - dt.timedelta(days=n) for n in DAY_OFFSETS]
    for k in MONTH_OFFSETS:
        edge = shift(as_of, -k, "month")
        out += [edge, edge - dt.timedelta(days=1), edge + dt.timedelta(days=1)]
        out.append(shift(as_of, -2 * k, "month"))
    out += [D(2000, 2, 29), D(1990, 3, 31), D(2006, 1, 1)]  # birth dates: ages around 18
    out.append(shift(as_of, -18, "year"))
    out.append(shift(as_of, -18, "year") + dt.timedelta(days=1))
    return sorted(set(out))


def random_value(rng: random.Random, kind: str, dates: list[dt.date]) -> object:
    """A value of a column: missing about one time in four, else from the pools above."""
    if rng.random() < 0.25:
        return None
    if kind == "int":
        return rng.choice(INTS)
    if kind == "float":
        return rng.choice(FLOATS)
    if kind == "text":
        return rng.choice(TEXTS)
    if kind == "date":
        return rng.choice(dates)
    if kind == "ts":
        return dt.datetime.combine(rng.choice(dates), rng.choice(TIMES))
    if kind == "bool":
        return rng.random() < 0.5
    raise ValueError(kind)


@dataclass
class Data:
    as_of: dt.date
    key_kind: str  # int or text
    since_kind: str  # date or ts
    tables: dict[str, list[dict]] = field(default_factory=dict)

    def schemas(self) -> dict[str, pa.Schema]:
        key_type = ARROW[self.key_kind]
        out = {ENTITY_SOURCE: pa.schema([("id", key_type), ("signup", ARROW[self.since_kind])] +
                                        [(c, ARROW[k]) for c, k in ENTITY_COLUMNS.items()])}
        for name, source in EVENT_SOURCES.items():
            at, at_kind = EVENT_AT[name]
            out[source] = pa.schema([(EVENT_BY, key_type), (at, ARROW[at_kind])] +
                                    [(c, ARROW[k]) for c, k in EVENT_COLUMNS[name].items()])
        return out

    def write(self, folder: Path) -> None:
        for source, schema in self.schemas().items():
            pq.write_table(pa.Table.from_pylist(self.tables[source], schema=schema), folder / source)


@st.composite
def datasets(draw, max_members: int = 30, max_events: int = 8) -> Data:
    """Hypothesis picks the shape (as_of, key type, sizes); a seeded generator fills the cells,
    which keeps a data set of hundreds of cells cheap to draw."""
    as_of = draw(st.sampled_from(AS_OFS))
    dates = interesting_dates(as_of)
    key_kind = draw(st.sampled_from(["int", "int", "text"]))
    since_kind = draw(st.sampled_from(["date", "ts"]))
    n = draw(st.integers(0, max_members))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    if key_kind == "int":
        keys: list = rng.sample(range(-20, 10_000), n)
    else:
        keys = rng.sample([f"{p}{i}" for p in TEXTS[:12] for i in range(10)], n)
    members = []
    for k in keys:
        row = {"id": k, "signup": random_value(rng, since_kind, dates)}
        for col, kind in ENTITY_COLUMNS.items():
            row[col] = random_value(rng, kind, dates)
        members.append(row)
    strangers = [10_001, -999] if key_kind == "int" else ["nobody", "ghost"]
    tables = {ENTITY_SOURCE: members}
    for name, source in EVENT_SOURCES.items():
        at, at_kind = EVENT_AT[name]
        rows = []
        for _ in range(draw(st.integers(0, max_events * max(n, 1)))):
            owner = rng.choice(keys) if keys and rng.random() < 0.9 else rng.choice(strangers + [None])
            row = {EVENT_BY: owner, at: random_value(rng, at_kind, dates)}
            for col, kind in EVENT_COLUMNS[name].items():
                row[col] = random_value(rng, kind, dates)
            rows.append(row)
        tables[source] = rows
    return Data(as_of, key_kind, since_kind, tables)


# ── models ──────────────────────────────────────────────────────────────────


def seg_text(s: str) -> str:
    """A text literal of the language."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def seg_number(v: int | float) -> str:
    text = str(v) if isinstance(v, int) else repr(float(v))
    return f"(-{text[1:]})" if text.startswith("-") else text


def seg_date(d: dt.date) -> str:
    if isinstance(d, dt.datetime):
        return "@" + d.strftime("%Y-%m-%dT%H:%M:%S")
    return "@" + d.isoformat()


DURATIONS = ["1 day", "7 days", "30 days", "90 days", "1 week", "2 weeks", "1 month", "3 months", "1 year",
             "2 years", "6 months", "14 days"]


@dataclass
class Def:
    name: str  # as the model and the output name it
    ref: str  # as written in an expression
    kind: str  # param, feature, segment, cases, bucket, quantile, rfm, holdout
    type: str | None = None  # num, text, bool, time (features, params)
    cases: tuple[str, ...] = ()


class ModelGen:
    """Random well-typed models over the columns of `datasets`.

    `avoid` names constructs left out of the main property because a known
    bug of segdsl breaks them (each has its own xfail test).
    """

    def __init__(self, draw, dates: list[dt.date], avoid: frozenset[str] = frozenset()):
        self.draw = draw
        self.dates = dates
        self.avoid = avoid
        self.defs: list[Def] = []
        self.lines: list[str] = []
        self.params: dict[str, object] = {}

    # drawing helpers
    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def coin(self) -> bool:
        return self.draw(st.booleans())

    def defs_of(self, kind: str | tuple[str, ...], type_: str | None = None) -> list[Def]:
        kinds = (kind,) if isinstance(kind, str) else kind
        return [d for d in self.defs if d.kind in kinds and (type_ is None or d.type == type_)]

    # literals
    def literal(self, t: str) -> str:
        if t == "num":
            return seg_number(self.pick(INTS + FLOATS))
        if t == "text":
            return seg_text(self.pick(TEXTS))
        if t == "bool":
            return self.pick(["true", "false"])
        d = self.pick(self.dates)
        if self.coin():
            return seg_date(dt.datetime.combine(d, self.pick(TIMES)))
        return seg_date(d)

    # expressions
    def expr(self, t: str, ctx: str | None, depth: int) -> str:
        options = self.leaves(t, ctx)
        if depth > 0:
            options = options + self.compounds(t, ctx, depth - 1)
        return self.pick(options)()

    def leaves(self, t: str, ctx: str | None) -> list:
        out = [lambda: self.literal(t)]
        cols = [c for c, k in ENTITY_COLUMNS.items() if LANG[k] == t]
        if t == "time":
            cols.append("signup")
        for c in cols:
            out.append(lambda c=c: c if ctx is None else f"customers.{c}")
        if ctx is not None:
            at, at_kind = EVENT_AT[ctx]
            ev_cols = [c for c, k in EVENT_COLUMNS[ctx].items() if LANG[k] == t]
            if t == "time":
                ev_cols.append(at)
            for c in ev_cols:
                out.append(lambda c=c: self.pick([c, f"{ctx}.{c}"]))
        for d in self.defs_of(("param", "feature"), t):
            out.append(lambda d=d: d.ref)
        if t == "time":
            out.append(lambda: "as_of")
        if t == "num":
            for d in self.defs_of("quantile"):
                out.append(lambda d=d: d.ref)
            for d in self.defs_of("rfm"):
                out.append(lambda d=d: f"{d.ref}.{self.pick(['r', 'f', 'm'])}")
        if t == "text":
            for d in self.defs_of(("cases", "bucket", "rfm", "holdout")):
                out.append(lambda d=d: d.ref)
        if t == "bool":
            for d in self.defs_of("segment"):
                out.append(lambda d=d: d.ref)
            for d in self.defs_of(("cases", "rfm", "holdout", "bucket")):
                if d.cases:
                    out.append(lambda d=d: f"{d.ref}.{self.pick(list(d.cases))}")
        return out

    def compounds(self, t: str, ctx: str | None, depth: int) -> list:
        e = lambda t2: self.expr(t2, ctx, depth)  # noqa: E731
        out = []
        if t == "num":
            out += [
                lambda: f"({e('num')} {self.pick(['+', '-', '*', '/'])} {e('num')})",
                lambda: f"(-{e('num')})",
                lambda: f"days_between({e('time')}, {e('time')})",
                lambda: f"years_between({e('time')}, {e('time')})",
            ]
        elif t == "time":
            out += [
                lambda: f"({e('time')} {self.pick(['-', '+'])} {self.pick(DURATIONS)})",
                lambda: f"(as_of - {self.pick(DURATIONS)})",
            ]
        elif t == "bool":
            out += [
                lambda: f"({e('num')} {self.pick(['=', '!=', '<', '<=', '>', '>='])} {e('num')})",
                lambda: f"({e('text')} {self.pick(['=', '!=', '<', '>='])} {e('text')})",
                lambda: f"({e('time')} {self.pick(['=', '!=', '<', '<=', '>', '>='])} {e('time')})",
                lambda: f"({e('bool')} and {e('bool')})",
                lambda: f"({e('bool')} or {e('bool')})",
                lambda: f"(not {e('bool')})",
                lambda: self.in_list(ctx, depth),
                lambda: f"({e('num')} {self.pick(['between', 'not between'])} {e('num')} and {e('num')})",
                lambda: f"({e('time')} {self.pick(['between', 'not between'])} {e('time')} and {e('time')})",
                lambda: f"({self.operand(self.pick(['num', 'text', 'time', 'bool']), ctx, depth, 'missing')} "
                        f"{self.pick(['is missing', 'is not missing'])})",
                lambda: f"({e('text')} {self.pick(['like', 'not like', 'contains', 'starts with'])} "
                        f"{self.pattern(ctx, depth)})",
                lambda: f"({e('time')} {self.window(ctx, depth)})",
                lambda: f"({self.operand('bool', ctx, depth, 'compare')} {self.pick(['=', '!='])} "
                        f"{self.operand('bool', ctx, depth, 'compare')})",
                lambda: f"({self.operand('bool', ctx, depth, 'compare')} {self.pick(['between', 'not between'])} "
                        f"{self.operand('bool', ctx, 0, 'compare')} and {self.operand('bool', ctx, 0, 'compare')})",
            ]
        if ctx is None:
            out.append(lambda: self.aggregate(t, depth))
        return out

    def operand(self, t: str, ctx, depth, where: str) -> str:
        """An operand of a comparison, list or missing test; where a known bug breaks
        conditions there (`condition_in_<where>`), a single name or literal."""
        if t == "bool" and f"condition_in_{where}" in self.avoid:
            return self.expr(t, ctx, 0)
        return self.expr(t, ctx, depth)

    def in_list(self, ctx, depth) -> str:
        t = self.pick(["num", "text", "bool"])
        n = self.draw(st.integers(1, 3))
        items = ", ".join(self.expr(t, ctx, 0) for _ in range(n))
        return f"({self.operand(t, ctx, depth, 'in')} {self.pick(['in', 'not in'])} ({items}))"

    def pattern(self, ctx, depth) -> str:
        if self.coin():
            return seg_text(self.pick(["%", "_", "%web%", "W_b", "web", "%ó%", "Ł%", "%a\\_b", "50\\%",
                                       "e_", "%%", "", "_%", "%\u0301"]))
        if self.coin():  # written with the language's escapes: \% and \_ are a literal % and _
            return self.pick(['"50\\%"', '"%\\_%"', '"W\\_b%"', '"%\\%\\_\\\\%"', '"\\%%"'])
        return self.expr("text", ctx, 0)

    def window(self, ctx, depth) -> str:
        kind = self.pick(["last", "previous", "since", "before"])
        if kind in ("last", "previous"):
            return f"in {kind} {self.pick(DURATIONS)}"
        return f"{kind} {self.expr('time', ctx, min(depth, 1))}"

    def aggregate(self, t: str, depth: int) -> str:
        source = self.pick(list(EVENT_SOURCES))
        cols = dict(EVENT_COLUMNS[source])
        at, at_kind = EVENT_AT[source]
        cols[at] = at_kind
        typed = [c for c, k in cols.items() if LANG[k] == t]
        nums = [c for c, k in cols.items() if LANG[k] == "num"]
        if t == "num":
            func = self.pick(["count", "sum", "count_distinct", "avg", "min", "max", "count_col", "share",
                              "most_frequent", "first", "last"])
            if func == "count" or (func == "share" and self.coin()):
                target = source
            elif func in ("count_distinct", "count_col"):
                target = f"{source}.{self.pick(list(cols))}"
                func = "count" if func == "count_col" else func
            else:
                target = f"{source}.{self.pick(nums)}"
                if self.coin():
                    target = f"({target} {self.pick(['+', '-', '*', '/'])} {self.expr('num', source, 0)})"
        elif t == "bool":
            func = "exists"
            target = source if self.coin() else f"{source}.{self.pick(list(cols))}"
        else:
            if not typed:
                return self.literal(t)
            func = self.pick(["min", "max", "most_frequent", "first", "last"])
            target = f"{source}.{self.pick(typed)}"
        text = f"{func}({target}"
        if self.coin():
            text += " " + self.window(source, 0)
        if func == "share" or self.coin():  # a share needs its part
            text += f" where {self.expr('bool', source, depth)}"
        return text + ")"

    # definitions
    def name(self, prefix: str) -> tuple[str, str]:
        i = len(self.defs) + 1
        style = self.draw(st.integers(0, 9))
        if style == 8:
            return f"{prefix}_знач{i}", f"{prefix}_знач{i}"
        if style == 9:
            return f"{prefix} {i}", f"`{prefix} {i}`"
        return f"{prefix}{i}", f"{prefix}{i}"

    def param(self) -> None:
        name, ref = self.name("p")
        t = self.pick(["num", "text", "time", "bool", "timestamp"])
        declared = {"num": "number", "text": "text", "time": "date", "bool": "bool", "timestamp": "timestamp"}[t]
        if t == "num":
            default, override = self.pick(INTS + FLOATS), self.pick(INTS + FLOATS)
        elif t == "text":
            default, override = self.pick(TEXTS), self.pick(TEXTS)
        elif t == "time":
            default, override = self.pick(self.dates), self.pick(self.dates)
        elif t == "timestamp":
            default, override = (dt.datetime.combine(self.pick(self.dates), self.pick(TIMES)) for _ in range(2))
            t = "time"
        else:
            default, override = self.coin(), self.coin()
        literal = {"num": seg_number, "text": seg_text, "time": seg_date,
                   "bool": lambda v: "true" if v else "false"}[t](default)
        if t == "num" and literal.startswith("("):
            literal = literal[1:-1]
        self.lines.append(f"param {ref}: {declared} = {literal}")
        if self.coin():
            self.params[name] = override
        self.defs.append(Def(name, ref, "param", t))

    def feature(self, depth: int) -> None:
        name, ref = self.name("f")
        t = self.pick(["num", "bool", "text", "time"])
        # most features of real models aggregate events
        body = self.aggregate(t, depth) if self.coin() else self.expr(t, None, depth)
        self.lines.append(f"feature {ref} = {body}")
        self.defs.append(Def(name, ref, "feature", t))

    def segment(self, depth: int) -> None:
        name, ref = self.name("s")
        label = f" {seg_text(self.pick(TEXTS))}" if self.coin() else ""
        self.lines.append(f"segment {ref}{label} = {self.expr('bool', None, depth)}")
        self.defs.append(Def(name, ref, "segment"))

    def segmentation(self, depth: int) -> None:
        name, ref = self.name("g")
        kind = self.pick(["cases", "bucket", "quantile", "rfm"])
        if kind == "cases":
            n = self.draw(st.integers(1, 3))
            cases = [f"c{i}" for i in range(n)]
            body = "  ".join(f"{c} = {self.expr('bool', None, depth)}" for c in cases)
            if self.coin():
                cases.append("other")
                body += "  else other"
            self.lines.append(f"segmentation {ref} {{ {body} }}")
            self.defs.append(Def(name, ref, "cases", cases=tuple(cases)))
        elif kind == "bucket":
            edges = sorted(set(self.draw(st.lists(st.sampled_from([-1, 0, 1, 2, 2.5, 3, 10, 18, 65, 100]),
                                                  min_size=1, max_size=4))))
            labels = bucket_labels(tuple(float(x) for x in edges))
            text = ", ".join(seg_number(x) for x in edges)
            self.lines.append(f"segmentation {ref} = bucket({self.expr('num', None, depth)}, [{text}])")
            # cases are referenced with backticks: g.`18-24`
            self.defs.append(Def(name, ref, "bucket", cases=tuple(f"`{lab}`" for lab in labels)))
        elif kind == "quantile":
            t = self.pick(["num", "time"])
            n = self.draw(st.integers(2, 6))
            self.lines.append(f"segmentation {ref} = quantile({self.expr(t, None, depth)}, {n})")
            self.defs.append(Def(name, ref, "quantile"))
        else:
            r, f, m = (self.expr("num", None, depth) for _ in range(3))
            self.lines.append(f"segmentation {ref} = rfm(recency: {r}, frequency: {f}, monetary: {m})")
            self.defs.append(Def(name, ref, "rfm", cases=RFM_GROUPS))

    def holdout(self) -> None:
        segments = self.defs_of("segment")
        if not segments:
            return
        name, ref = self.name("h")
        splits = [(50, 50), (90, 10), (0.01, 99.99), (10, 20, 70), (12.5, 87.5), (33.33, 33.33, 33.34), (1.1, 98.9)]
        if "holdout_shares" in self.avoid:
            splits = splits[:5]
        split = self.pick(splits)
        arms = [f"a{i}" for i in range(len(split))]
        arm_text = ", ".join(f"{p:g}% {a}" for p, a in zip(split, arms))
        seed = self.pick(["spring-2026", "x", "Łódź \"q\"", "a\\b", "seed:1"])
        self.lines.append(f"holdout {ref} = {self.pick(segments).ref} split {arm_text} seed {seg_text(seed)}")
        self.defs.append(Def(name, ref, "holdout", cases=tuple(arms)))


HEAD = f"""entity customers from "{ENTITY_SOURCE}" key id since signup
events orders from "{EVENT_SOURCES['orders']}" by {EVENT_BY} at ts
events visits from "{EVENT_SOURCES['visits']}" by {EVENT_BY} at day
"""


@st.composite
def models(draw, dates: list[dt.date], avoid: frozenset[str] = frozenset(), max_defs: int = 10):
    g = ModelGen(draw, dates, avoid)
    for _ in range(draw(st.integers(0, 2))):
        g.param()
    n = draw(st.integers(1, max_defs))
    for _ in range(n):
        kind = draw(st.sampled_from(["feature", "segment", "feature", "segmentation", "segment", "holdout"]))
        depth = draw(st.integers(0, 3))
        if kind == "feature":
            g.feature(depth)
        elif kind == "segment":
            g.segment(depth)
        elif kind == "segmentation":
            g.segmentation(depth)
        else:
            g.holdout()
    lines = draw(st.permutations(g.lines))  # definitions may come in any order
    return HEAD + "\n".join(lines) + "\n", g.params


@st.composite
def cases(draw, avoid: frozenset[str] = frozenset()):
    data = draw(datasets())
    text, params = draw(models(interesting_dates(data.as_of), avoid))
    if draw(st.booleans()):  # without `since`, every entity row is a member
        text = text.replace(" since signup\n", "\n", 1)
    return data, text, params


def check_case(data: Data, text: str, params: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.write(folder)
        path = folder / "model.seg"
        path.write_text(text, encoding="utf-8")
        model = segdsl.load(path)
        context = f"as_of {data.as_of}, params {params!r}, keys {data.key_kind}\n--- model.seg ---\n{text}"
        compare_results(model, data.tables, data.as_of, params or None, context, data.schemas())


# Constructs a known segdsl bug breaks; the main property leaves them out and
# the xfail tests below pin each one down.
KNOWN_BUGS: frozenset[str] = frozenset()


@HYPOTHESIS
@given(cases(avoid=KNOWN_BUGS))
def test_random_models_match_reference(case):
    check_case(*case)


# ── fixed data at the edges ─────────────────────────────────────────────────


def fixed(customers: list[dict], orders: list[dict] = (), visits: list[dict] = (), as_of: dt.date = D(2024, 3, 31),
          key_kind: str = "int", since_kind: str = "date") -> Data:
    """A data set from partial rows: columns left out are missing."""
    def complete(rows, columns):
        return [{c: r.get(c) for c in columns} for r in rows]

    data = Data(as_of, key_kind, since_kind)
    schemas = data.schemas()
    data.tables = {ENTITY_SOURCE: complete(customers, schemas[ENTITY_SOURCE].names),
                   EVENT_SOURCES["orders"]: complete(orders, schemas[EVENT_SOURCES["orders"]].names),
                   EVENT_SOURCES["visits"]: complete(visits, schemas[EVENT_SOURCES["visits"]].names)}
    return data


def check_fixed(body: str, data: Data, params: dict | None = None) -> None:
    check_case(data, HEAD + body, params or {})


EDGE_TIMES = [TS(2024, 3, 31, 0, 0), TS(2024, 3, 31, 23, 59, 59), TS(2024, 4, 1, 0, 0), TS(2024, 3, 1, 23, 0),
              TS(2024, 3, 2, 0, 0), TS(2024, 2, 29, 12, 0), TS(2024, 1, 31, 0, 0), TS(2024, 1, 1, 0, 0),
              TS(2023, 12, 31, 23, 59, 59), TS(2023, 3, 31, 0, 0), TS(2023, 4, 1, 0, 0), TS(2023, 2, 28, 0, 0),
              TS(2022, 3, 31, 0, 0), TS(2024, 3, 24, 0, 0), TS(2024, 3, 25, 0, 0), None]


@pytest.mark.parametrize("as_of", [D(2024, 3, 31), D(2024, 2, 29), D(2024, 3, 1), D(2025, 2, 28)])
def test_window_edges(as_of):
    orders = [{"cust": 1, "ts": t, "amount": float(i)} for i, t in enumerate(EDGE_TIMES)]
    orders += [{"cust": 2, "ts": t} for t in EDGE_TIMES[::3]]
    visits = [{"cust": 1, "day": t.date()} for t in EDGE_TIMES if t is not None]
    windows = ["in last 1 day", "in last 7 days", "in last 30 days", "in last 31 days", "in previous 30 days",
               "in last 1 week", "in previous 1 week", "in last 1 month", "in previous 1 month",
               "in last 3 months", "in last 1 year", "in previous 1 year", "since @2024-03-01",
               "before @2024-03-01", "since as_of - 1 month", "before as_of - 1 year",
               "since @2024-03-31T23:59"]
    body = "\n".join(f"feature o{i} = count(orders {w})\nfeature v{i} = count(visits {w})\n"
                     f"feature a{i} = sum(orders.amount {w})" for i, w in enumerate(windows))
    body += "\nfeature total = count(orders)\nfeature seen_recently = seen in last 30 days"
    body += "\nfeature ts_between = count(orders where ts between @2024-03-01 and as_of)"
    customers = [{"id": 1, "seen": TS(2024, 3, 1, 23, 59, 59)}, {"id": 2, "seen": TS(2024, 3, 2, 0, 0)},
                 {"id": 3, "signup": as_of}, {"id": 4, "signup": as_of + dt.timedelta(days=1)}]
    check_fixed(body, fixed(customers, orders, visits, as_of=as_of))


def test_population_since_timestamps():
    customers = [{"id": 1, "signup": TS(2024, 3, 31, 23, 59, 59)}, {"id": 2, "signup": TS(2024, 4, 1, 0, 0)},
                 {"id": 3}, {"id": 4, "signup": TS(2020, 1, 1, 0, 0)}]
    orders = [{"cust": 2, "ts": TS(2024, 3, 1)}, {"cust": 1, "ts": TS(2024, 3, 1)}]
    check_fixed("feature n = count(orders)", fixed(customers, orders, since_kind="ts"))


def test_leap_days_and_ages():
    born = [D(2000, 2, 29), D(2006, 3, 31), D(2006, 4, 1), D(2006, 3, 30), D(2023, 2, 28), D(2024, 2, 29), None]
    customers = [{"id": i, "born": b, "seen": TS(2024, 2, 29, 23, 0)} for i, b in enumerate(born)]
    body = """
        feature age = years_between(born, as_of)
        feature days = days_between(born, as_of)
        feature back = days_between(as_of, born)
        feature adult = years_between(born, as_of) >= 18
        segment born_last_year = born in last 1 year
        segment born_prev_year = born in previous 1 year
        segment leap = born = as_of - 1 month
        segment after_leap = born > as_of - 1 year
        feature shifted = days_between(born + 1 year, as_of - 1 month)
        feature ts_age = years_between(seen, as_of)
    """
    for as_of in (D(2024, 3, 31), D(2024, 2, 29), D(2025, 2, 28), D(2025, 3, 1)):
        check_fixed(body, fixed(customers, as_of=as_of))


def test_quantile_ties_and_sizes():
    values = [1.0, 1.0, 1.0, 2.0, 2.0, None, 3.5, 0.0, 0.0, 10.0, None, 1.0, -0.5]
    customers = [{"id": k, "score": v, "age": i % 3} for i, (k, v) in
                 enumerate(zip([5, 3, 9, 1, 7, 2, 8, 4, 6, 11, 10, -1, 12], values))]
    body = """
        segmentation q2 = quantile(score, 2)
        segmentation q3 = quantile(score, 3)
        segmentation q4 = quantile(score, 4)
        segmentation q5 = quantile(score, 5)
        segmentation q20 = quantile(score, 20)
        segmentation qa = quantile(age, 4)
        segmentation r = rfm(recency: score, frequency: age, monetary: score * age)
        segment top = q4 = 4
        segment champions = r.champions
        feature r_score = r.r + r.f + r.m
    """
    check_fixed(body, fixed(customers))


def test_text_matching_and_keys():
    texts = TEXTS + [None, "50%off", "a\\b", "x_y", "ŁÓDŹ", "łódź"]
    keys = [f"{t}{i}" for i, t in enumerate(texts) if t is not None][:20]
    customers = [{"id": k, "city": t, "город": texts[-1 - i]} for i, (k, t) in enumerate(zip(keys, texts))]
    body = """
        segment web_like = city like "%web%"
        segment one_char = city like "_"
        segment escaped = city like "50\\\\%"
        segment underscore = city like "%a\\\\_b%"
        segment pct = city contains "%"
        segment empty_contains = city contains ""
        segment starts = city starts with "Ł"
        segment starts_empty = city starts with ""
        segment combining = city like "e_"
        segment quote = city = "O\\"Brien" or city = 'it\\'s'
        segment backslash = city = "back\\\\slash"
        segment cities = city in ("Łódź", "Москва", "Kraków")
        segment not_cities = city not in ("Łódź", "Москва")
        segment column_pattern = city like город
        segment column_contains = город contains city
        segment ordered = city < город
        holdout split = cities split 50% a, 50% b seed "Łódź \\"q\\" \\\\ %"
        holdout everyone = not_cities split 10% a, 20% b, 70% c seed "k"
    """
    check_fixed(body, fixed(customers, key_kind="text"))


def test_division_missing_and_three_valued_logic():
    customers = [{"id": i, "age": a, "score": s, "flag": f}
                 for i, (a, s, f) in enumerate([(0, 0.0, None), (None, 1.0, True), (3, None, False), (2, 0.5, None),
                                                (-7, -0.5, True), (None, None, None)])]
    orders = [{"cust": 1, "ts": TS(2024, 3, 1), "amount": 0.0}, {"cust": 2, "ts": TS(2024, 3, 1), "amount": None},
              {"cust": 3, "ts": TS(2024, 3, 1), "amount": 5.0, "qty": 0}]
    body = """
        feature ratio = score / age
        feature zero = age / 0
        feature per_order = sum(orders.amount) / count(orders)
        feature mean = sum(orders.amount) / sum(orders.qty)
        feature neg = -(age * score)
        feature unknown = age > 1 and flag
        feature known = age > 1 or flag
        feature not_unknown = not (age > 1)
        feature in_list = age in (0, 2, -7)
        feature not_in_list = age not in (0, 3)
        feature between = score between 0 and 1
        feature not_between = score not between -0.5 and 0.5
        segment s_unknown = age > 1 and flag
        segment s_not = not s_unknown
        segment s_missing = age is missing or score is not missing
        segment s_flag = flag
        segment s_not_flag = not flag
        feature no_orders_sum = sum(orders.amount where amount > 100)
        feature no_orders_count = count(orders where amount > 100)
        feature no_orders_min = min(orders.ts where amount > 100)
        segment none_bought = not exists(orders)
    """
    check_fixed(body, fixed(customers, orders))


def test_second_stage_and_member_values_in_where():
    customers = [{"id": i, "age": a, "seen": TS(2024, 1, 1)} for i, a in enumerate([1, 2, None, 5])]
    orders = [{"cust": c, "ts": TS(2024, m, 1, 12), "amount": float(m * c), "qty": m}
              for c in range(4) for m in (1, 2, 3)]
    body = """
        feature first = min(orders.ts)
        feature after_first = sum(orders.amount where ts > first)
        feature big = count(orders where amount > avg_amount)
        feature avg_amount = avg(orders.amount)
        feature above_age = count(orders where qty > customers.age)
        segment heavy = big >= 1
        feature heavy_orders = count(orders where heavy and qty >= 2)
        feature third_stage = sum(orders.qty where amount >= after_first / 4)
        feature since_seen = count(orders since customers.seen)
    """
    check_fixed(body, fixed(customers, orders))


def test_params_typed_and_overridden():
    customers = [{"id": i, "score": s, "city": c, "born": b}
                 for i, (s, c, b) in enumerate([(1.0, "web", D(2000, 1, 1)), (2.5, "app", D(2024, 3, 1)),
                                                (None, None, None)])]
    body = """
        param limit: number = 2
        param where_from: text = "web"
        param start: date = @2024-01-01
        param on: bool = true
        param at: timestamp = @2024-03-01T12:00
        segment s = score >= limit and city = where_from and on
        segment recent = born since start
        segment after_at = born > at
    """
    data = fixed(customers)
    check_fixed(body, data)
    check_fixed(body, data, {"limit": 1, "where_from": "app", "start": D(2023, 1, 1), "on": False,
                             "at": TS(2024, 3, 1, 0, 0)})


def test_empty_population():
    check_fixed("feature n = count(orders)\nsegmentation q = quantile(n, 4)\n"
                "segmentation r = rfm(recency: n, frequency: n, monetary: n)", fixed([]))


# ── known bugs of segdsl, pinned down ───────────────────────────────────────


@pytest.mark.parametrize("body", [
    "segment s = (age > 1) = (score > 1)",
    "segment s = (not flag) in (true, false)",
    "segment s = (age > 1) in (false)",
    "segment s = (age > 1) is missing",
    "segment s = (age > 1) != (not flag)",
    "feature f = (age > 1) between false and true",
    "segment s = (flag and flag) is not missing",
    "segment s = (flag or flag) is missing",
    "segment s = (not flag) is missing",
], ids=["compare-of-compares", "not-in-list", "compare-in-list", "compare-is-missing", "compare-with-not",
        "compare-between", "and-is-not-missing", "or-is-missing", "not-is-missing"])
def test_condition_as_operand(body):
    customers = [{"id": 1, "age": 5, "score": 0.0, "flag": False}, {"id": 2, "age": 0, "score": 2.0, "flag": None},
                 {"id": 3}, {"id": 4, "age": 2, "flag": True}]
    check_fixed(body, fixed(customers))


@pytest.mark.parametrize("split", ["33.33% a, 33.33% b, 33.34% c", "1.1% a, 98.9% b"])
def test_holdout_shares_with_two_decimals(split):
    customers = [{"id": i} for i in range(50)]
    check_fixed(f'segment all = true\nholdout h = all split {split} seed "x"', fixed(customers))


def test_date_shift_keeps_the_date_type():
    with tempfile.TemporaryDirectory() as tmp:
        data = fixed([{"id": 1, "born": D(2024, 1, 31)}])
        data.write(Path(tmp))
        (Path(tmp) / "model.seg").write_text(HEAD + "feature next = born + 1 month\n", encoding="utf-8")
        model = segdsl.load(Path(tmp) / "model.seg")
        (row,) = model.run(as_of=D(2024, 3, 31)).fetchall()
        assert row[1] == D(2024, 2, 29) and type(row[1]) is dt.date, row


def test_param_override_of_partition_sizes():
    with tempfile.TemporaryDirectory() as tmp:
        data = fixed([{"id": i, "score": float(i)} for i in range(10)])
        data.write(Path(tmp))
        (Path(tmp) / "model.seg").write_text(HEAD + "param n: number = 2\nparam edge: number = 5\n"
                                             "segmentation q = quantile(score, n)\n"
                                             "segmentation b = bucket(score, [edge])\n", encoding="utf-8")
        model = segdsl.load(Path(tmp) / "model.seg")
        try:
            rows = model.run(as_of=D(2024, 3, 31), params={"n": 5, "edge": 3}).fetchall()
        except segdsl.SegError:
            return  # rejecting the override is a fine answer too
        assert sorted({r[1] for r in rows}) == [1, 2, 3, 4, 5], rows
        assert {r[2] for r in rows} == {"<3", "3+"}, rows


@pytest.mark.parametrize("body", [
    "feature last_order = max(orders.ts)\nfeature first_visit = min(visits.day)\n"
    "feature last_visit = max(visits.day)\nsegment s = last_order between first_visit and last_visit",
    "segment s = seen + 1 day in last 30 days",
], ids=["between-date-bounds", "window-on-shifted-timestamp"])
def test_sql_without_schema_means_the_same(body):
    data = fixed([{"id": 1, "seen": TS(2024, 3, 30, 12, 0)}],
                 [{"cust": 1, "ts": TS(2024, 3, 10, 15, 0)}],
                 [{"cust": 1, "day": D(2024, 3, 1)}, {"cust": 1, "day": D(2024, 3, 10)}])
    with tempfile.TemporaryDirectory() as tmp:
        data.write(Path(tmp))
        (Path(tmp) / "model.seg").write_text(HEAD + body + "\n", encoding="utf-8")
        model = segdsl.load(Path(tmp) / "model.seg")
        ran = model.run(as_of=data.as_of).fetchall()
        cwd = os.getcwd()
        os.chdir(tmp)  # the compiled SQL names the data files relative to the model
        try:
            compiled = duckdb.connect().sql(model.sql(as_of=data.as_of)).fetchall()
        finally:
            os.chdir(cwd)
    assert ran == compiled


@pytest.mark.parametrize("body,expected", [
    ("feature id = 5", ["id"]),
    ("feature g_r = 100\nsegmentation g = rfm(recency: age, frequency: age, monetary: age)",
     ["id", "g", "g_r", "g_f", "g_m"]),
], ids=["feature-named-like-key", "feature-named-like-rfm-score"])
def test_output_columns_are_unique(body, expected):
    with tempfile.TemporaryDirectory() as tmp:
        data = fixed([{"id": 1, "age": 3}])
        data.write(Path(tmp))
        (Path(tmp) / "model.seg").write_text(HEAD + body + "\n", encoding="utf-8")
        try:
            model = segdsl.load(Path(tmp) / "model.seg")
            rel = model.run(as_of=data.as_of)
        except segdsl.SegError:
            return  # a diagnostic is a fine answer
        columns, (row,) = rel.columns, rel.fetchall()
    assert len(columns) == len(set(columns)), columns
    values = dict(zip(columns, row))
    for name in expected:
        assert name in values, columns
        if name.startswith("g_"):  # the documented score columns hold scores
            assert values[name] in (1, 2, 3, 4, 5), values


# ── the example models on the demo data ─────────────────────────────────────

EXAMPLE_MODELS = sorted((ROOT / "examples").glob("*.seg"))


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    if importlib.util.find_spec("segdsl.tools.demo") is None:
        pytest.skip("no demo data generator (segdsl.tools.demo) yet")
    from segdsl.tools import demo

    folder = tmp_path_factory.mktemp("demo")
    paths = demo.generate(folder, customers=400, seed=11)
    return demo, {name: Path(p) for name, p in paths.items()}


def _example_params(model) -> list[dict]:
    """The defaults, and once every number param halved."""
    numbers = {n: p.value for n, p in model.ir.params.items()
               if isinstance(p.value, (int, float)) and not isinstance(p.value, bool)}
    return [{}] + ([{n: v / 2 for n, v in numbers.items()}] if numbers else [])


@pytest.mark.skipif(not EXAMPLE_MODELS, reason="no example models in examples/")
@pytest.mark.parametrize("path", EXAMPLE_MODELS, ids=[p.name for p in EXAMPLE_MODELS])
def test_example_model_matches_reference(path, demo_data, tmp_path):
    demo, files = demo_data
    for seg in (ROOT / "examples").glob("*.seg"):  # imports are relative to the model
        shutil.copy(seg, tmp_path / seg.name)
    model = segdsl.load(tmp_path / path.name)
    ir = model.ir
    con = duckdb.connect(":memory:")
    tables: dict[str, list[dict]] = {}
    schemas: dict[str, pa.Schema] = {}
    for source in [ir.entity.source] + [ev.source for ev in ir.events.values()]:
        stem = Path(source).stem if Path(source).suffix else source.split(".")[-1]
        if stem not in files:
            pytest.skip(f"the demo data has no table for the source `{source}`")
        table = pq.read_table(files[stem])
        tables[source], schemas[source] = table.to_pylist(), table.schema
        if Path(source).suffix.lower() == ".parquet":
            target = tmp_path / source
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(files[stem], target)
        elif Path(source).suffix:
            pytest.skip(f"the demo data is Parquet, the model reads `{source}`")
        else:
            name = ".".join(f'"{part}"' for part in source.split("."))
            if "." in source:
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{source.split(".")[0]}"')
            path_literal = "'" + str(files[stem]).replace("'", "''") + "'"
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({path_literal})")
    as_of_dates = [demo.DEMO_AS_OF, demo.DEMO_AS_OF - dt.timedelta(days=100)]
    for as_of in as_of_dates:
        for params in _example_params(model):
            compare_results(model, tables, as_of, params or None, f"{path.name} at {as_of} with {params}",
                            schemas, connection=con)
