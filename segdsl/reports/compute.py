"""Report: segment value, cross-tabs, overlap, profile, migration (and personas: segdsl.reports.persona).

Every figure is computed by the engine the model runs on: the membership
query (with the report's measures and dimensions added as hidden features)
is kept where the engine can hold a result (DuckDB's temporary table,
Spark's cached view) and otherwise read as a derived table, and each report
is one or a few aggregate queries over it. Python only receives the small
result tables (cases × measures) and derives ratios and the chi-square test
from them. The aggregates are written so that every verified engine gives
the same figures: conditional aggregates as FILTER or CASE per dialect, text
grouped exactly (MySQL's collations would merge 'Łódź' and 'łódź'), the
median exact (ranked by window functions where the engine has no exact
median aggregate), values labelled in Python from their language type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any, Callable, TYPE_CHECKING

from sqlglot import exp

from ..semantic import model as m
from ..sql.aggregates import aggregated, count_where, exact_aggregate
from ..sql import dialects
from ..sql.dialects import Dialect
from ..lang.diagnostics import SegError, error, reason

if TYPE_CHECKING:
    from ..engines import Engine

NONE_LABEL = "(none)"
MAX_CATEGORIES = 60
MIN_EXPECTED = 5  # chi-square: expected counts below this make the test unreliable


@dataclass
class Table:
    """A table of a report: `kinds` say how each column is formatted."""

    title: str
    columns: list[str]
    kinds: list[str]  # text, int, num, pct, index, pvalue
    rows: list[list[Any]]


@dataclass
class Bars:
    """Horizontal bars: each label with one or more shares (0..1)."""

    title: str
    series: list[str]
    labels: list[str]
    values: list[list[float]]


@dataclass
class Heatmap:
    title: str
    rows: list[str]
    columns: list[str]
    values: list[list[float | None]]  # 0..1 for colour
    texts: list[list[str]]


@dataclass
class ReportResult:
    name: str
    kind: str
    title: str
    blocks: list[Table | Bars | Heatmap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Measure:
    """A report measure: `column` is its hidden feature, `func` how it aggregates per group.

    A measure that does arithmetic over aggregates (`avg(revenue) * 100`) has
    `func` "expr": the engine computes each aggregate in `parts` (one figure
    each), and `value` combines them as the expression says, as ratios and
    indexes are combined from figures.
    """

    label: str
    column: str
    func: str  # sum, avg, min, max, count, count_distinct, or expr
    boolean: bool = False  # a condition counts as 1/0, so avg(churned) is a rate
    type: m.T = m.T.NUMBER  # of the figure: a number, or a date, timestamp or text for min/max
    value_type: m.T = m.T.NUMBER  # of each member's value: text is aggregated exactly (MySQL, PostgreSQL)
    expr: m.Expr | None = None  # for func "expr": numbers, params and member aggregates
    parts: dict[m.MemberAgg, "Measure"] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """How the figure is shown (segdsl.reports.render.fmt)."""
        if self.func in ("count", "count_distinct"):
            return "int"
        return {m.T.DATE: "date", m.T.TIMESTAMP: "date", m.T.TEXT: "text"}.get(self.type, "num")

    @property
    def width(self) -> int:
        """How many figures the engine computes for this measure."""
        return len(self.parts) if self.func == "expr" else 1

    def sql(self, low: Dialect, where: exp.Expression | None = None) -> list[exp.Expression]:
        """The engine's figures of this measure over the rows where `where` holds."""
        if self.func == "expr":
            return [f for part in self.parts.values() for f in part.sql(low, where)]
        col: exp.Expression = _q(self.column)
        t = self.value_type
        if self.boolean:
            col = exp.Case(ifs=[exp.If(this=col, true=exp.Literal.number(1)),
                                exp.If(this=exp.Not(this=col.copy()), true=exp.Literal.number(0))])
            t = m.T.NUMBER
        if self.func == "count_distinct":
            arg = low.aggregate_arg("count_distinct", col, t)
            if where is not None and not low.filter_clause:  # COUNT(DISTINCT CASE WHEN w THEN x END)
                arg, where = exp.Case(ifs=[exp.If(this=where, true=arg)]), None
            return [aggregated(low, exp.Count, exp.Distinct(expressions=[arg]), where)]
        if self.func in ("sum", "avg"):  # exact, and real, on every engine
            return [exact_aggregate(low, self.func, col, where)]
        col = low.aggregate_arg(self.func, col, t)  # text min/max exact
        func = {"min": exp.Min, "max": exp.Max, "count": exp.Count}[self.func]
        return [low.aggregate_result(self.func, aggregated(low, func, col, where), t)]  # text back from bytes

    def value(self, figures: Any) -> Any:
        """The measure from its figures, as a Python value of its type."""
        if self.func != "expr":
            return _plain(_figure(figures[0], self.type))
        found: dict[m.MemberAgg, Any] = {}
        i = 0
        for agg, part in self.parts.items():
            found[agg] = part.value(figures[i:i + part.width])
            i += part.width
        return _arith(self.expr, found, self.params)

    def empty(self) -> list[Any]:
        """The figures over no members: counts are 0, every other aggregate is missing."""
        if self.func == "expr":
            return [f for part in self.parts.values() for f in part.empty()]
        return [0 if self.func in ("count", "count_distinct") else None]


def _figure(value: Any, t: m.T) -> Any:
    if value is None or t is m.T.NUMBER:
        return value
    from ..engines.values import normalise

    return normalise(value, t)


def _arith(e: m.Expr, found: dict[m.MemberAgg, Any], params: dict[str, object]) -> Any:
    """A measure's arithmetic over aggregates of the members; missing stays missing, x / 0 is missing."""
    if isinstance(e, m.MemberAgg):
        return found[e]
    if isinstance(e, m.Const):
        return e.value
    if isinstance(e, m.ParamRef):
        return params[e.name]
    if isinstance(e, m.Neg):
        x = _arith(e.operand, found, params)
        return None if x is None else -x
    if isinstance(e, m.Arith):
        a, b = _arith(e.left, found, params), _arith(e.right, found, params)
        if a is None or b is None:
            return None
        if e.op == "/":
            return None if b == 0 else a / b
        return a + b if e.op == "+" else a - b if e.op == "-" else a * b
    raise AssertionError(f"not a measure expression: {type(e).__name__}")  # the checker allows no other


def measure_parts(e: m.Expr) -> list[m.MemberAgg]:
    """The aggregates over members inside a measure, in the order written (each once)."""
    found: dict[m.MemberAgg, None] = {}
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, m.MemberAgg):
            found[x] = None
        elif not isinstance(x, m.Agg):
            stack.extend(reversed(list(m.children(x))))
    return list(found)


def prepare(ir: m.CheckedModel, reports: list[m.Report], entity_columns: dict[str, m.T],
            text_of: Callable[[Any], str | None], params: dict[str, object] | None = None
            ) -> tuple[m.CheckedModel, dict[str, list[Measure]]]:
    """Add hidden features for measures and entity-column dimensions.

    Returns the extended model and, per report, its measures. Hidden
    features are named `_m_<report>_<i>` / `_c_<column>`; the compiler
    computes them in the same query as the segments. `params` are the
    values of the model's params (defaults and overrides), for measures
    that do arithmetic with them.
    """
    features = dict(ir.features)
    order = list(ir.order)
    measures: dict[str, list[Measure]] = {}
    values = {n: p.value for n, p in ir.params.items()} | dict(params or {})

    def hidden(name: str, expr: m.Expr) -> str:
        if name not in features:
            features[name] = m.Feature(name, expr)
            order.append(name)
        return name

    def simple(label: str, e: m.Expr, column: str) -> Measure:
        func, inner = ("sum", e) if not isinstance(e, m.MemberAgg) else (e.func, e.arg)
        col = inner.name if isinstance(inner, m.FeatureRef) else hidden(column, inner)
        t = inner.type if func in ("min", "max") and inner.type in (m.T.DATE, m.T.TIMESTAMP, m.T.TEXT) \
            else m.T.NUMBER
        return Measure(label, col, func, inner.type is m.T.BOOL, t, inner.type)

    for r in reports:
        specs = []
        for i, e in enumerate(r.measures):
            label = text_of(getattr(e, "span", None))
            parts = measure_parts(e)
            if parts and not isinstance(e, m.MemberAgg):
                inner = {p: simple("", p, f"_m_{r.name}_{i}_{k}") for k, p in enumerate(parts)}
                specs.append(Measure(label or f"_m_{r.name}_{i}", "", "expr", expr=e, parts=inner, params=values))
            else:
                spec = simple(label or "", e, f"_m_{r.name}_{i}")
                spec.label = label or spec.column
                specs.append(spec)
        measures[r.name] = specs
    for c, t in entity_columns.items():
        hidden(f"_c_{c}", m.Column(c, None, t))
    return dataclasses.replace(ir, features=features, order=tuple(order)), measures


def dimension_columns(ir: m.CheckedModel, reports: list[m.Report]) -> list[str]:
    """Entity columns that reports use as dimensions (crosstab A by B)."""
    named = set(ir.features) | set(ir.segments) | set(ir.segmentations) | set(ir.holdouts)
    out = []
    for r in reports:
        if r.kind == "crosstab":
            out += [s for s in r.subjects if s not in named and s not in out]
    return out


# ── queries ─────────────────────────────────────────────────────────────────


class ReportQueries:
    """Where reports run: a segdsl.engines.Engine and the members as a relation to aggregate."""

    def __init__(self, target: Engine, members: exp.Expression):
        self.target = target
        self.dialect: str = target.dialect
        self.low = dialects.get(self.dialect)
        self.members = members

    def rows(self, query: exp.Select) -> list[tuple]:
        from ..sql.compile import to_sql

        # Every figure gets its own name: an engine names a column after its expression (Spark), so two
        # equal figures (the parts of `sum(x) / 2, -sum(x)`) would be one ambiguous name.
        query.set("expressions", [x if isinstance(x, exp.Alias) else exp.alias_(x, f"_f{i}", quoted=True)
                                  for i, x in enumerate(query.expressions)])
        try:
            _, raw = self.target.fetch(to_sql(query, self.dialect, pretty=False, copy=False))
        except self.target.errors as exc:
            raise _failed(self.target, exc) from None
        return [tuple(_plain(v) for v in row) for row in raw]

    def source(self) -> exp.Expression:
        return self.members.copy()


def _failed(target: Engine, exc: BaseException) -> SegError:
    from ..engines.overflow import is_overflow, overflow_error

    if is_overflow(exc):
        return overflow_error(target.describe())
    return error("SEG305", f"{target.describe()} could not compute the report: {reason(exc)}", None,
                 "check that the columns hold the types the model expects (dates, numbers)")


def _plain(v: Any) -> Any:
    """A figure as a Python number: PostgreSQL and MySQL give sums as Decimal, chdb numpy scalars."""
    if isinstance(v, decimal.Decimal):
        return float(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return v


def _q(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _dim(ir: m.CheckedModel, low: Dialect, name: str) -> tuple[exp.Expression, m.T]:
    """A dimension as grouped: segment yes/no, a case label, a value (text exactly, as bytes on MySQL)."""
    if name in ir.segments:
        return exp.Case(ifs=[exp.If(this=_q(name), true=exp.Literal.string("yes"))],
                        default=exp.Literal.string("no")), m.T.TEXT
    if name in ir.segmentations or name in ir.holdouts:
        return _q(name), m.T.TEXT
    column = name if name in ir.features else f"_c_{name}"  # an entity column, added by prepare()
    t = ir.features[column].type if column in ir.features else m.T.ANY
    return low.key(_q(column), t), t


def _label(value: Any, t: m.T) -> str:
    """A dimension's value as the label every engine shows the same way."""
    from ..engines.values import normalise

    v = normalise(value, t)
    if v is None:
        return NONE_LABEL
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _labelled(ir: m.CheckedModel, name: str, t: m.T, values: list[Any]) -> tuple[list[str], dict[Any, str]]:
    """The labels of a dimension's values in display order (cases in the model's order, values
    sorted, missing last) and the label of each raw value.

    Every case of a segmentation or holdout is listed, with or without members, as
    both answers of a segment are: a case nobody is in is a finding too.
    """
    label = {v: _label(v, t) for v in values}
    if name in ir.segments:
        fixed = ["yes", "no"]
    elif name in ir.segmentations or name in ir.holdouts:
        d = ir.segmentations.get(name) or ir.holdouts[name]
        fixed = list(d.labels)
    else:
        from ..engines.values import normalise

        present = [v for v in values if label[v] != NONE_LABEL]
        fixed = list(dict.fromkeys(label[v] for v in sorted(present, key=lambda v: normalise(v, t))))
    rest = sorted(x for x in set(label.values()) - set(fixed) - {NONE_LABEL})  # labels no longer in the model
    return fixed + rest + ([NONE_LABEL] if NONE_LABEL in label.values() else []), label


def _values(figures: Any, measures: list[Measure]) -> list[Any]:
    """A group's member count and then the value of each measure, from the figures of one row."""
    out, i = [figures[0]], 1
    for x in measures:
        out.append(x.value(figures[i:i + x.width]))
        i += x.width
    return out


def _share(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def value_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report, measures: list[Measure]) -> ReportResult:
    result = ReportResult(r.name, "value", f"Value of {', '.join(r.subjects)}")
    low = engine.low
    main = measures[0] if measures and measures[0].func == "sum" else None
    extras = measures[1:] if main else measures

    shown = ([main] if main else []) + extras

    def figures(where: exp.Expression | None = None) -> list[exp.Expression]:
        return [count_where(low, where)] + [f for x in shown for f in x.sql(low, where)]

    # The population and every segment subject in one query; one grouped query per partition.
    segments = [x for x in r.subjects if x in ir.segments]
    width = 1 + sum(x.width for x in shown)
    flat = engine.rows(exp.select(*figures(), *[f for x in segments for f in figures(_q(x))])
                       .from_(engine.source()))[0]
    pop = _values(flat[:width], shown)
    by_segment = {x: _values(flat[width * (i + 1):width * (i + 2)], shown) for i, x in enumerate(segments)}
    pop_members, pop_value = pop[0], (pop[1] if main else None)
    pop_per = _share(pop_value, pop_members)
    columns = ["segment", "members", "share"]
    kinds = ["text", "int", "pct"]
    if main:
        columns += [main.label, "share of value", "per member", "index"]
        kinds += ["num", "pct", "num", "index"]
    columns += [x.label for x in extras]
    kinds += [x.kind for x in extras]
    rows: list[list[Any]] = []
    bars_labels, bars_values = [], []

    def add(label: str, values: list[Any]) -> None:
        members = values[0]
        row: list[Any] = [label, members, _share(members, pop_members)]
        rest = list(values[1:])
        if main:
            value = rest.pop(0)
            per = _share(value, members)
            row += [value, _share(value, pop_value), per,
                    None if per is None or not pop_per else per / pop_per * 100]
        row += rest
        rows.append(row)
        bars_labels.append(label)
        bars_values.append([row[2] or 0.0] + ([row[4] or 0.0] if main else []))

    # A case without members is shown with 0, as an empty segment is.
    nobody = _values([0] + [f for x in shown for f in x.empty()], shown)
    for subject in r.subjects:
        if subject in by_segment:
            add(subject, by_segment[subject])
            continue
        dim, t = _dim(ir, low, subject)
        q = exp.select(dim.as_("_d"), *figures()).from_(engine.source()).group_by(dim.copy())
        found = {row[0]: _values(row[1:], shown) for row in engine.rows(q)}
        order, label = _labelled(ir, subject, t, list(found))
        by_label = {label[v]: x for v, x in found.items()}
        for case in order:
            add(f"{subject}.{case}" if len(r.subjects) > 1 else case, by_label.get(case, nobody))
    add("all members", pop)
    result.blocks.append(Table("Members and value", columns, kinds, rows))
    series = ["members"] + (["value"] if main else [])
    result.blocks.append(Bars("Share of members" + (" and of value" if main else ""), series,
                              bars_labels[:-1], bars_values[:-1]))
    result.stats = {"population": pop_members, "value": pop_value}
    return result


def crosstab_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report, measures: list[Measure]) -> ReportResult:
    from scipy.stats import chi2_contingency

    a, b = r.subjects
    result = ReportResult(r.name, "crosstab", f"{a} by {b}")
    low = engine.low
    (da, ta), (db, tb) = _dim(ir, low, a), _dim(ir, low, b)
    q = exp.select(da.as_("_a"), db.as_("_b"), count_where(low), *[f for x in measures for f in x.sql(low)]
                   ).from_(engine.source())
    data = [(d[0], d[1], *_values(d[2:], measures)) for d in engine.rows(q.group_by(da.copy(), db.copy()))]
    row_labels, row_of = _labelled(ir, a, ta, list({d[0] for d in data}))
    col_labels, col_of = _labelled(ir, b, tb, list({d[1] for d in data}))
    for dim, found in ((a, {row_of[d[0]] for d in data}), (b, {col_of[d[1]] for d in data})):
        if len(found) > MAX_CATEGORIES:  # values members have: cases nobody is in add empty lines only
            raise error("SEG601", f"`{dim}` has {len(found)} values, too many for a cross-tab", r.span,
                        "group it first, for example with a bucket() or quantile() segmentation")
    counts = {(row_of[d[0]], col_of[d[1]]): d[2] for d in data}
    values = {(row_of[d[0]], col_of[d[1]]): d[3:] for d in data}
    matrix = [[counts.get((x, y), 0) for y in col_labels] for x in row_labels]
    row_tot = [sum(row) for row in matrix]
    col_tot = [sum(matrix[i][j] for i in range(len(row_labels))) for j in range(len(col_labels))]
    total = sum(row_tot)
    result.blocks.append(Table("Members", [f"{a} / {b}", *col_labels, "total"], ["text"] + ["int"] * (len(col_labels) + 1),
                               [[x, *row, t] for x, row, t in zip(row_labels, matrix, row_tot)]
                               + [["total", *col_tot, total]]))
    row_share = [[_share(v, t) for v in row] for row, t in zip(matrix, row_tot)]
    col_share = [[_share(matrix[i][j], col_tot[j]) for j in range(len(col_labels))] for i in range(len(row_labels))]
    result.blocks.append(Table("Row shares", [f"{a} / {b}", *col_labels], ["text"] + ["pct"] * len(col_labels),
                               [[x, *row] for x, row in zip(row_labels, row_share)]))
    result.blocks.append(Table("Column shares", [f"{a} / {b}", *col_labels], ["text"] + ["pct"] * len(col_labels),
                               [[x, *row] for x, row in zip(row_labels, col_share)]))
    for k, measure in enumerate(measures):
        none = [x.value(x.empty()) for x in measures]  # an empty cell: counts 0, the rest missing
        cells = [[(values.get((x, y)) or none)[k] for y in col_labels] for x in row_labels]
        result.blocks.append(Table(f"{measure.label} per cell", [f"{a} / {b}", *col_labels],
                                   ["text"] + [measure.kind] * len(col_labels),
                                   [[x, *row] for x, row in zip(row_labels, cells)]))
    result.blocks.append(Heatmap(f"Row shares of {a} by {b}", row_labels, col_labels, row_share,
                                 [[f"{v:.0%}" if v is not None else "" for v in row] for row in row_share]))
    # The test of independence, on categories with a value (missing values are left out).
    keep_r = [i for i, x in enumerate(row_labels) if x != NONE_LABEL and row_tot[i] > 0]
    keep_c = [j for j, y in enumerate(col_labels) if y != NONE_LABEL and col_tot[j] > 0]
    observed = [[matrix[i][j] for j in keep_c] for i in keep_r]
    stats: dict[str, Any] = {"n": sum(map(sum, observed)) if observed else 0}
    if len(keep_r) >= 2 and len(keep_c) >= 2:
        chi2, p, dof, expected = chi2_contingency(observed, correction=False)
        n = stats["n"]
        v = (chi2 / (n * (min(len(keep_r), len(keep_c)) - 1))) ** 0.5 if n else None
        small = sum(1 for row in expected for e in row if e < MIN_EXPECTED)
        cells = len(keep_r) * len(keep_c)
        stats.update(chi2=float(chi2), p_value=float(p), dof=int(dof), cramers_v=None if v is None else float(v),
                     small_expected_cells=small)
        result.blocks.append(Table("Test of independence", ["chi-square", "degrees of freedom", "p-value",
                                                            "Cramér's V", "n"],
                                   ["num", "int", "pvalue", "num", "int"], [[chi2, dof, p, v, n]]))
        if small and small / cells > 0.2:
            result.notes.append(f"{small} of {cells} cells expect fewer than {MIN_EXPECTED} members: "
                                "the chi-square test is not reliable here; merge small categories")
    else:
        result.notes.append("the test of independence needs at least two categories on each side")
    if NONE_LABEL in row_labels or NONE_LABEL in col_labels:
        result.notes.append(f"members with a missing {a} or {b} are shown as {NONE_LABEL} and left out of the test")
    result.stats = stats
    return result


def overlap_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report) -> ReportResult:
    names = list(r.subjects)
    result = ReportResult(r.name, "overlap", f"Overlap of {', '.join(names)}")
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i:]]
    q = exp.select(*[count_where(engine.low, exp.and_(_q(x), _q(y))) for x, y in pairs]).from_(engine.source())
    counts = dict(zip(pairs, engine.rows(q)[0]))
    both = lambda x, y: counts.get((x, y), counts.get((y, x)))  # noqa: E731
    shared = [[both(x, y) for y in names] for x in names]
    jaccard = [[_share(both(x, y), both(x, x) + both(y, y) - both(x, y)) for y in names] for x in names]
    result.blocks.append(Table("Shared members", ["", *names], ["text"] + ["int"] * len(names),
                               [[x, *row] for x, row in zip(names, shared)]))
    result.blocks.append(Table("Jaccard index", ["", *names], ["text"] + ["num"] * len(names),
                               [[x, *row] for x, row in zip(names, jaccard)]))
    result.blocks.append(Heatmap("Jaccard index", names, names, jaccard,
                                 [[f"{v:.2f}" if v is not None else "" for v in row] for row in jaccard]))
    result.stats = {"shared": {f"{x}&{y}": c for (x, y), c in counts.items()}}
    return result


def medians(engine: ReportQueries, group: exp.Expression, columns: list[str]) -> dict[Any, list[float | None]]:
    """The exact median of each column per value of `group`, missing values left out.

    Engines without an exact median aggregate rank the values instead: within
    a group of n values the median is the average of those ranked (n+1)/2,
    or n/2 and n/2+1.
    """
    low = engine.low
    native = [low.median(_q(c)) for c in columns]
    if all(x is not None for x in native):
        q = exp.select(group.as_("_g"), *native).from_(engine.source()).group_by(group.copy())
        return {row[0]: [_fifteen_digits(v) for v in row[1:]] for row in engine.rows(q)}
    inner = [group.as_("_g")]
    outer: list[exp.Expression] = []
    for i, c in enumerate(columns):
        missing_last = exp.Case(ifs=[exp.If(this=exp.Is(this=_q(c), expression=exp.Null()),
                                            true=exp.Literal.number(1))], default=exp.Literal.number(0))
        partition = [group.copy()]
        rank = exp.Window(this=exp.RowNumber(), partition_by=partition,
                          order=exp.Order(expressions=[exp.Ordered(this=missing_last), exp.Ordered(this=_q(c))]))
        size = exp.Window(this=exp.Count(this=_q(c)), partition_by=[group.copy()])
        inner += [exp.alias_(_q(c), f"_v{i}", quoted=True), exp.alias_(rank, f"_r{i}", quoted=True),
                  exp.alias_(size, f"_n{i}", quoted=True)]
        twice = exp.Mul(this=_q(f"_r{i}"), expression=exp.Literal.number(2))
        size_plus = [exp.Add(this=_q(f"_n{i}"), expression=exp.Literal.number(k)) for k in (1, 2)]
        middle = exp.In(this=twice, expressions=[_q(f"_n{i}"), *size_plus])
        outer.append(exp.Avg(this=exp.Case(ifs=[exp.If(this=middle, true=_q(f"_v{i}"))])))
    ranked = exp.Subquery(this=exp.select(*inner).from_(engine.source()),
                          alias=exp.TableAlias(this=exp.to_identifier("_ranked")))
    q = exp.select(_q("_g"), *outer).from_(ranked).group_by(_q("_g"))
    return {row[0]: [_fifteen_digits(v) for v in row[1:]] for row in engine.rows(q)}


def _fifteen_digits(value: Any) -> Any:
    """A median to 15 significant digits: engines interpolate the two middle values by different formulas
    (PostgreSQL's a + (b - a) / 2 gives 15.149999999999999 where (a + b) / 2 gives 15.15), so the last
    binary digit differs from engine to engine; 15 digits are what a double holds exactly."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.15g}")
    return value


def written(ir: m.CheckedModel, feature: str) -> str:
    """A feature as the model writes it: a prediction's part is `clv.value`, not its column `clv_value`."""
    for p in ir.predictions.values():
        for part, name in p.features:
            if name == feature:
                return f"{p.name}.{part}"
    return feature


def profile_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report, categorical: list[str], numeric: list[str]
                   ) -> ReportResult:
    seg = r.subjects[0]
    low = engine.low
    result = ReportResult(r.name, "profile", f"Profile of {seg}")
    cond = _q(seg)
    inside, total = engine.rows(exp.select(count_where(low, cond), count_where(low)).from_(engine.source()))[0]
    traits: list[list[Any]] = []
    # A holdout of this very segment splits it by construction: it tells nothing about it.
    dims = list(ir.segmentations) + [h for h, d in ir.holdouts.items() if d.segment != seg] + categorical
    for dim in dims:
        col, t = _dim(ir, low, dim)
        q = exp.select(col.as_("_v"), count_where(low, cond), count_where(low)).from_(engine.source()).group_by(col.copy())
        for value, n_in, n_all in engine.rows(q):
            share_in, share_all = _share(n_in, inside), _share(n_all, total)
            index = None if not share_all or share_in is None else share_in / share_all * 100
            traits.append([dim, _label(value, t), share_in, share_all, index, n_in])
    traits.sort(key=lambda t: (-(t[4] or 0), t[0], str(t[1])))
    result.blocks.append(Table(f"What sets {seg} apart ({inside:,} of {total:,} members)",
                               ["dimension", "value", f"share in {seg}", "share of all", "index", "members"],
                               ["text", "text", "pct", "pct", "index", "int"], traits))
    top = [t for t in traits if (t[2] or 0) >= 0.05][:12]
    result.blocks.append(Bars("Strongest traits: share inside vs all", [seg, "all"],
                              [f"{t[0]} = {t[1]}" for t in top], [[t[2] or 0.0, t[3] or 0.0] for t in top]))
    if numeric:
        inside_flag = exp.Case(ifs=[exp.If(this=cond.copy(), true=exp.Literal.number(1))],
                               default=exp.Literal.number(0))
        found = {int(g): v for g, v in medians(engine, inside_flag, numeric).items()}
        none = [None] * len(numeric)
        result.blocks.append(Table("Medians", ["feature", f"in {seg}", "outside"], ["text", "num", "num"],
                                   [[written(ir, n), found.get(1, none)[i], found.get(0, none)[i]]
                                    for i, n in enumerate(numeric)]))
    result.stats = {"inside": inside, "population": total}
    return result


ABSENT = "(not a member yet)"


def migration_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report, before: exp.Expression, after: exp.Expression,
                     dates: tuple[dt.date, dt.date], key_type: m.T = m.T.ANY) -> ReportResult:
    """Transitions between two evaluations (`before` and `after`: the two memberships as relations).

    Both are stacked and grouped by member rather than joined: MySQL and
    MariaDB have no FULL JOIN, and a member may exist at only one date.
    One query gives the transition matrix and, per cell, how many members
    entered, left or stayed in each segment.
    """
    name = r.subjects[0]
    result = ReportResult(r.name, "migration", f"Migration of {name}: {dates[0]} → {dates[1]}")
    low = engine.low
    key = ir.entity.key
    segs = list(ir.segments)
    one, zero = exp.Literal.number(1), exp.Literal.number(0)

    def side(relation: exp.Expression, s: int) -> exp.Select:
        flags = [exp.alias_(exp.Case(ifs=[exp.If(this=_q(x), true=one.copy())], default=zero.copy()), f"_s{i}",
                            quoted=True) for i, x in enumerate(segs)]
        return exp.select(exp.alias_(exp.Literal.number(s), "_side", quoted=True),
                          exp.alias_(_q(key), "_k", quoted=True),
                          exp.alias_(_q(name), "_case", quoted=True), *flags).from_(relation)

    def at(s: int, value: exp.Expression) -> exp.Expression:
        return exp.Max(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=_q("_side"), expression=exp.Literal.number(s)),
                                                 true=value)]))

    def flag_at(s: int, i: int) -> exp.Expression:  # 1 in the segment at that date, else 0 (also: no member)
        return exp.alias_(exp.func("COALESCE", at(s, _q(f"_s{i}")), zero.copy()), f"_s{i}_{s}", quoted=True)

    stacked = exp.union(side(before, 0), side(after, 1), distinct=False)
    per_member = exp.select(
        exp.alias_(at(0, one.copy()), "_in0", quoted=True), exp.alias_(at(1, one.copy()), "_in1", quoted=True),
        exp.alias_(at(0, _q("_case")), "_c0", quoted=True), exp.alias_(at(1, _q("_case")), "_c1", quoted=True),
        *[flag_at(s, i) for i in range(len(segs)) for s in (0, 1)],
    ).from_(exp.Subquery(this=stacked, alias=exp.TableAlias(this=exp.to_identifier("_stacked")))
            ).group_by(low.key(_q("_k"), key_type))

    def case_at(s: int) -> exp.Expression:
        return exp.Case(ifs=[exp.If(this=exp.Is(this=_q(f"_in{s}"), expression=exp.Null()),
                                    true=exp.Literal.string(ABSENT))],
                        default=exp.func("COALESCE", _q(f"_c{s}"), exp.Literal.string(NONE_LABEL)))

    flows_of = []
    for i in range(len(segs)):
        def was(v: int, i: int = i) -> exp.Expression:
            return exp.EQ(this=_q(f"_s{i}_0"), expression=exp.Literal.number(v))

        def now(v: int, i: int = i) -> exp.Expression:
            return exp.EQ(this=_q(f"_s{i}_1"), expression=exp.Literal.number(v))

        flows_of += [count_where(low, exp.and_(was(0), now(1))), count_where(low, exp.and_(was(1), now(0))),
                     count_where(low, exp.and_(was(1), now(1)))]  # entered, left, stayed
    f, t = case_at(0), case_at(1)
    q = exp.select(f.as_("_f"), t.as_("_t"), count_where(low), *flows_of).from_(
        exp.Subquery(this=per_member, alias=exp.TableAlias(this=exp.to_identifier("_members")))
    ).group_by(f.copy(), t.copy())
    data = engine.rows(q)
    found = {d[0] for d in data} | {d[1] for d in data}
    labels, _ = _labelled(ir, name, m.T.TEXT, [x for x in found if x != ABSENT])
    labels += [ABSENT] if ABSENT in found else []
    counts = {(d[0], d[1]): d[2] for d in data}
    matrix = [[counts.get((x, y), 0) for y in labels] for x in labels]
    totals = [sum(row) for row in matrix]
    shares = [[_share(v, t) for v in row] for row, t in zip(matrix, totals)]
    result.blocks.append(Table("Members moving (rows: before, columns: after)", ["before / after", *labels, "total"],
                               ["text"] + ["int"] * (len(labels) + 1),
                               [[x, *row, t] for x, row, t in zip(labels, matrix, totals)]))
    result.blocks.append(Heatmap("Row shares", labels, labels, shares,
                                 [[f"{v:.0%}" if v is not None else "" for v in row] for row in shares]))
    flows = []
    for i, case in enumerate(labels):
        if case == ABSENT:
            continue
        stayed = matrix[i][i]
        left = totals[i] - stayed
        entered = sum(matrix[j][i] for j in range(len(labels))) - stayed
        flows.append([case, entered, left, stayed])
    result.blocks.append(Table(f"{name}: entered, left, stayed", ["case", "entered", "left", "stayed"],
                               ["text", "int", "int", "int"], flows))
    if segs:
        sums = [sum(d[3 + k] or 0 for d in data) for k in range(3 * len(segs))]
        result.blocks.append(Table("Segments: entered, left, stayed", ["segment", "entered", "left", "stayed"],
                                   ["text", "int", "int", "int"],
                                   [[x, *sums[3 * i:3 * i + 3]] for i, x in enumerate(segs)]))
    result.stats = {"matrix": {f"{x}->{y}": c for (x, y), c in counts.items()}}
    return result


__all__ = ["ReportResult", "Table", "Bars", "Heatmap", "prepare", "value_report", "crosstab_report",
           "overlap_report", "profile_report", "migration_report", "Engine", "SegError"]


# ── running reports ─────────────────────────────────────────────────────────


def _text_of(sources) -> Callable[[Any], str | None]:
    def text(span) -> str | None:
        if span is None or span.line == 0 or span.end_line != span.line:
            return None
        line = sources.line(span.file, span.line)
        return line[span.column - 1:span.end_column - 1] if line else None
    return text


def select_reports(ir: m.CheckedModel, names: list[str] | None) -> list[m.Report]:
    if not names:
        return list(ir.reports.values())
    from ..lang.diagnostics import did_you_mean

    missing = [n for n in names if n not in ir.reports]
    if missing:
        raise error("SEG306", f"the model has no report `{missing[0]}`", None,
                    did_you_mean(missing[0], ir.reports) or f"reports: {', '.join(ir.reports) or 'none'}")
    return [ir.reports[n] for n in names]


def compute(target: Engine, checked: m.CheckedModel, schemas: dict[str, dict[str, m.T]], reports: list[m.Report], sources,
            as_of: dt.date, params: dict[str, object] | None = None,
            migration: tuple[dt.date, dt.date] | None = None) -> list[ReportResult]:
    """Compute reports on a target (segdsl.engines.Engine) whose schemas `checked` was checked against."""
    from ..sql.compile import membership
    from ..sql.options import Options

    if any(x.kind == "migration" for x in reports) and migration is None:
        r = next(x for x in reports if x.kind == "migration")
        raise error("SEG602", f"report `{r.name}` compares two dates", r.span, "give them with --from DATE --to DATE")
    entity_schema = schemas.get(checked.entity.name, {})
    reserved = {checked.entity.key, checked.entity.since}
    profile_cols = [c for c, t in entity_schema.items() if t in (m.T.TEXT, m.T.BOOL) and c not in reserved] \
        if any(r.kind in ("profile", "persona") for r in reports) else []
    dims = dimension_columns(checked, reports)
    columns = {c: entity_schema.get(c, m.T.ANY) for c in dict.fromkeys(dims + profile_cols)}
    extended, measures = prepare(checked, reports, columns, _text_of(sources), params)

    def members(ir: m.CheckedModel, when: dt.date, name: str, outputs: list[str] | None = None) -> exp.Expression:
        query = membership(ir, Options(target.dialect, when, params or {}, source=target.source, schemas=schemas),
                           outputs)
        try:
            return target.keep(name, query)
        except target.errors as exc:
            raise _failed(target, exc) from None

    results: list[ReportResult] = []
    rest = [x for x in reports if x.kind not in ("migration", "lift", "calibration")]
    if rest:
        engine = ReportQueries(target, members(extended, as_of, "segdsl_report_members"))
        low = engine.low
        if profile_cols:
            counts = engine.rows(exp.select(*[exp.Count(this=exp.Distinct(expressions=[
                low.aggregate_arg("count_distinct", _q(f"_c_{c}"), columns[c])])) for c in profile_cols])
                .from_(engine.source()))[0]
            profile_cols = [c for c, n in zip(profile_cols, counts) if n <= 30]
        numeric = [n for n, f in checked.features.items() if f.type is m.T.NUMBER]
    done: dict[str, ReportResult] = {}
    for r in rest:
        if r.kind == "value":
            done[r.name] = value_report(engine, extended, r, measures[r.name])
        elif r.kind == "crosstab":
            done[r.name] = crosstab_report(engine, extended, r, measures[r.name])
        elif r.kind == "overlap":
            done[r.name] = overlap_report(engine, extended, r)
        elif r.kind == "persona":
            from .persona import persona_report

            done[r.name] = persona_report(engine, extended, r, measures[r.name], profile_cols, numeric)
        else:
            done[r.name] = profile_report(engine, extended, r, profile_cols, numeric)
    key_type = entity_schema.get(checked.entity.key, m.T.ANY)
    for r in reports:
        if r.kind == "migration":
            outputs = [r.subjects[0], *checked.segments]
            before = members(checked, migration[0], "segdsl_before", outputs)
            after = members(checked, migration[1], "segdsl_after", outputs)
            done[r.name] = migration_report(ReportQueries(target, before), checked, r, before, after, migration, key_type)
        elif r.kind == "lift":
            from .lift_report import lift_report

            done[r.name] = lift_report(target, checked, r, as_of, members, _text_of(sources))
        elif r.kind == "calibration":
            from .calibration import calibration_report

            done[r.name] = calibration_report(target, checked, r, as_of, params or {}, members)
        results.append(done[r.name])
    return results
