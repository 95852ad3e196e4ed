"""Random models and data sets for the equivalence tests (Hypothesis strategies).

`datasets()` writes small typed tables with values at the edges (window
bounds, month ends, leap days, ties, missing values); `models()` writes .seg
models over them from every construct of the language; `cases()` draws both.
Kept apart from tests/sql/test_equivalence.py, which runs them against the
reference evaluator, so that the generator reads as one piece.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from segdsl.semantic.model import RFM_GROUPS, bucket_labels
from tests.support.reference import shift

D = dt.date
TS = dt.datetime


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
