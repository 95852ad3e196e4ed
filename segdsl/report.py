"""Report: segment value, cross-tabs, overlap, profile and migration.

Every figure is computed by the engine: the membership query (with the
report's measures and dimensions added as hidden features) is materialised
once, and each report is one aggregate query over it. Python only receives
the small result tables (cases × measures) and derives ratios and the
chi-square test from them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlglot import exp

from . import model as m
from .diagnostics import SegError, error

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
    """A report measure: `column` is its hidden feature, `func` how it aggregates per group."""

    label: str
    column: str
    func: str  # sum, avg, min, max, count, median
    boolean: bool = False  # a condition counts as 1/0, so avg(churned) is a rate

    def sql(self, where: exp.Expression | None = None) -> exp.Expression:
        col: exp.Expression = exp.column(self.column, quoted=True)
        if self.boolean:
            col = exp.Case(ifs=[exp.If(this=col, true=exp.Literal.number(1)),
                                exp.If(this=exp.Not(this=col.copy()), true=exp.Literal.number(0))])
        if self.func == "median":
            agg: exp.Expression = exp.PercentileCont(this=exp.Literal.number(0.5))
            agg = exp.WithinGroup(this=agg, expression=exp.Order(expressions=[exp.Ordered(this=col)]))
        else:
            agg = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "count": exp.Count}[self.func](
                this=col)
        return exp.Filter(this=agg, expression=exp.Where(this=where)) if where is not None else agg


def prepare(ir: m.Model, reports: list[m.Report], entity_columns: list[str],
            text_of: Callable[[Any], str | None]) -> tuple[m.Model, dict[str, list[Measure]]]:
    """Add hidden features for measures and entity-column dimensions.

    Returns the extended model and, per report, its measures. Hidden
    features are named `_m_<report>_<i>` / `_c_<column>`; the compiler
    computes them in the same query as the segments.
    """
    features = dict(ir.features)
    order = list(ir.order)
    measures: dict[str, list[Measure]] = {}

    def hidden(name: str, expr: m.Expr) -> str:
        if name not in features:
            features[name] = m.Feature(name, expr)
            order.append(name)
        return name

    for r in reports:
        specs = []
        for i, e in enumerate(r.measures):
            func, inner = ("sum", e) if not isinstance(e, m.MemberAgg) else (e.func, e.arg)
            col = inner.name if isinstance(inner, m.FeatureRef) else hidden(f"_m_{r.name}_{i}", inner)
            label = text_of(getattr(e, "span", None)) or col
            specs.append(Measure(label, col, func, inner.type is m.T.BOOL))
        measures[r.name] = specs
    for c in entity_columns:
        hidden(f"_c_{c}", m.Column(c, None, m.T.ANY))
    return dataclasses.replace(ir, features=features, order=tuple(order)), measures


def dimension_columns(ir: m.Model, reports: list[m.Report]) -> list[str]:
    """Entity columns that reports use as dimensions (crosstab A by B)."""
    named = set(ir.features) | set(ir.segments) | set(ir.segmentations) | set(ir.holdouts)
    out = []
    for r in reports:
        if r.kind == "crosstab":
            out += [s for s in r.subjects if s not in named and s not in out]
    return out


# ── queries ─────────────────────────────────────────────────────────────────


class Engine:
    """What reports need from an engine: run a query, get rows."""

    def __init__(self, con, table: str, dialect: str = "duckdb"):
        self.con = con
        self.table = table
        self.dialect = dialect

    def rows(self, query: exp.Select) -> list[tuple]:
        return self.con.execute(query.sql(self.dialect)).fetchall()

    def source(self) -> exp.Expression:
        return exp.Table(this=exp.to_identifier(self.table))


def _q(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _dim_expr(ir: m.Model, name: str) -> exp.Expression:
    """A dimension as text: segment yes/no, a label, a value."""
    if name in ir.segments:
        return exp.Case(ifs=[exp.If(this=_q(name), true=exp.Literal.string("yes"))], default=exp.Literal.string("no"))
    col = name if (name in ir.segmentations or name in ir.holdouts or name in ir.features) else f"_c_{name}"
    return exp.cast(_q(col), exp.DataType.build("TEXT"))


def _dim_order(ir: m.Model, name: str, found: list[str]) -> list[str]:
    if name in ir.segments:
        labels = ["yes", "no"]
    elif name in ir.segmentations:
        labels = list(ir.segmentations[name].labels)
    elif name in ir.holdouts:
        labels = list(ir.holdouts[name].labels)
    else:
        labels = sorted(f for f in found if f != NONE_LABEL)
    labels = [x for x in labels if x in found] if name not in ir.segments else labels
    return labels + ([NONE_LABEL] if NONE_LABEL in found else [])


def _count(where: exp.Expression | None = None) -> exp.Expression:
    c = exp.Count(this=exp.Star())
    return exp.Filter(this=c, expression=exp.Where(this=where)) if where is not None else c


def _share(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def value_report(engine: Engine, ir: m.Model, r: m.Report, measures: list[Measure]) -> ReportResult:
    result = ReportResult(r.name, "value", f"Value of {', '.join(r.subjects)}")
    main = measures[0] if measures and measures[0].func == "sum" else None
    extras = measures[1:] if main else measures
    aggs = [_count()] + ([main.sql()] if main else []) + [x.sql() for x in extras]
    pop = engine.rows(exp.select(*aggs).from_(engine.source()))[0]
    pop_members, pop_value = pop[0], (pop[1] if main else None)
    pop_per = _share(pop_value, pop_members)
    columns = ["segment", "members", "share"]
    kinds = ["text", "int", "pct"]
    if main:
        columns += [main.label, "share of value", "per member", "index"]
        kinds += ["num", "pct", "num", "index"]
    columns += [x.label for x in extras]
    kinds += ["num"] * len(extras)
    rows: list[list[Any]] = []
    bars_labels, bars_values = [], []

    def add(label: str, values: tuple) -> None:
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

    for subject in r.subjects:
        if subject in ir.segments:
            cond = _q(subject)
            q = exp.select(_count(cond), *([main.sql(cond)] if main else []), *[x.sql(cond) for x in extras])
            add(subject, engine.rows(q.from_(engine.source()))[0])
        else:
            dim = exp.func("COALESCE", _dim_expr(ir, subject), exp.Literal.string(NONE_LABEL))
            q = exp.select(dim.as_("case"), *aggs).from_(engine.source()).group_by(dim.copy())
            found = {row[0]: row[1:] for row in engine.rows(q)}
            for label in _dim_order(ir, subject, list(found)):
                add(f"{subject}.{label}" if len(r.subjects) > 1 else label, found[label])
    add("all members", pop)
    result.blocks.append(Table("Members and value", columns, kinds, rows))
    series = ["members"] + (["value"] if main else [])
    result.blocks.append(Bars("Share of members" + (" and of value" if main else ""), series,
                              bars_labels[:-1], bars_values[:-1]))
    result.stats = {"population": pop_members, "value": pop_value}
    return result


def crosstab_report(engine: Engine, ir: m.Model, r: m.Report, measures: list[Measure]) -> ReportResult:
    from scipy.stats import chi2_contingency

    a, b = r.subjects
    result = ReportResult(r.name, "crosstab", f"{a} by {b}")
    da = exp.func("COALESCE", _dim_expr(ir, a), exp.Literal.string(NONE_LABEL))
    db = exp.func("COALESCE", _dim_expr(ir, b), exp.Literal.string(NONE_LABEL))
    q = exp.select(da.as_("a"), db.as_("b"), _count(), *[x.sql() for x in measures]).from_(engine.source())
    data = engine.rows(q.group_by(da.copy(), db.copy()))
    rows_found = sorted({d[0] for d in data})
    cols_found = sorted({d[1] for d in data})
    for dim, found in ((a, rows_found), (b, cols_found)):
        if len(found) > MAX_CATEGORIES:
            raise error("SEG601", f"`{dim}` has {len(found)} values, too many for a cross-tab", r.span,
                        "group it first, for example with a bucket() or quantile() segmentation")
    row_labels = _dim_order(ir, a, rows_found)
    col_labels = _dim_order(ir, b, cols_found)
    counts = {(d[0], d[1]): d[2] for d in data}
    values = {(d[0], d[1]): d[3:] for d in data}
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
        cells = [[(values.get((x, y)) or [None] * len(measures))[k] for y in col_labels] for x in row_labels]
        result.blocks.append(Table(f"{measure.label} per cell", [f"{a} / {b}", *col_labels],
                                   ["text"] + ["num"] * len(col_labels), [[x, *row] for x, row in zip(row_labels, cells)]))
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


def overlap_report(engine: Engine, ir: m.Model, r: m.Report) -> ReportResult:
    names = list(r.subjects)
    result = ReportResult(r.name, "overlap", f"Overlap of {', '.join(names)}")
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i:]]
    q = exp.select(*[_count(exp.and_(_q(x), _q(y))) for x, y in pairs]).from_(engine.source())
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


def profile_report(engine: Engine, ir: m.Model, r: m.Report, categorical: list[str], numeric: list[str]
                   ) -> ReportResult:
    seg = r.subjects[0]
    result = ReportResult(r.name, "profile", f"Profile of {seg}")
    cond = _q(seg)
    inside, total = engine.rows(exp.select(_count(cond), _count()).from_(engine.source()))[0]
    traits: list[list[Any]] = []
    # A holdout of this very segment splits it by construction: it tells nothing about it.
    dims = list(ir.segmentations) + [h for h, d in ir.holdouts.items() if d.segment != seg] + categorical
    for dim in dims:
        col = _dim_expr(ir, dim) if dim in ir.segmentations or dim in ir.holdouts else \
            exp.cast(_q(f"_c_{dim}"), exp.DataType.build("TEXT"))
        col = exp.func("COALESCE", col, exp.Literal.string(NONE_LABEL))
        q = exp.select(col.as_("v"), _count(cond), _count()).from_(engine.source()).group_by(col.copy())
        for value, n_in, n_all in engine.rows(q):
            share_in, share_all = _share(n_in, inside), _share(n_all, total)
            index = None if not share_all or share_in is None else share_in / share_all * 100
            traits.append([dim, value, share_in, share_all, index, n_in])
    traits.sort(key=lambda t: (-(t[4] or 0), t[0], str(t[1])))
    result.blocks.append(Table(f"What sets {seg} apart ({inside:,} of {total:,} members)",
                               ["dimension", "value", f"share in {seg}", "share of all", "index", "members"],
                               ["text", "text", "pct", "pct", "index", "int"], traits))
    top = [t for t in traits if (t[2] or 0) >= 0.05][:12]
    result.blocks.append(Bars("Strongest traits: share inside vs all", [seg, "all"],
                              [f"{t[0]} = {t[1]}" for t in top], [[t[2] or 0.0, t[3] or 0.0] for t in top]))
    if numeric:
        inside_med = [Measure(n, n, "median").sql(cond) for n in numeric]
        outside_med = [Measure(n, n, "median").sql(exp.Not(this=cond.copy())) for n in numeric]
        meds = engine.rows(exp.select(*inside_med, *outside_med).from_(engine.source()))[0]
        k = len(numeric)
        result.blocks.append(Table("Medians", ["feature", f"in {seg}", "outside"], ["text", "num", "num"],
                                   [[n, meds[i], meds[k + i]] for i, n in enumerate(numeric)]))
    result.stats = {"inside": inside, "population": total}
    return result


def migration_report(engine: Engine, ir: m.Model, r: m.Report, before: str, after: str, dates: tuple[dt.date, dt.date]
                     ) -> ReportResult:
    """Transitions between two evaluations; `before`/`after` are the two member tables."""
    name = r.subjects[0]
    result = ReportResult(r.name, "migration", f"Migration of {name}: {dates[0]} → {dates[1]}")
    key = ir.entity.key
    absent = "(not a member yet)"
    frm = exp.func("COALESCE", exp.cast(exp.column(name, table="f", quoted=True), exp.DataType.build("TEXT")),
                   exp.Literal.string(NONE_LABEL))
    to = exp.func("COALESCE", exp.cast(exp.column(name, table="t", quoted=True), exp.DataType.build("TEXT")),
                  exp.Literal.string(NONE_LABEL))
    frm = exp.Case(ifs=[exp.If(this=exp.Is(this=exp.column(key, table="f", quoted=True), expression=exp.Null()),
                               true=exp.Literal.string(absent))], default=frm)
    to = exp.Case(ifs=[exp.If(this=exp.Is(this=exp.column(key, table="t", quoted=True), expression=exp.Null()),
                              true=exp.Literal.string(absent))], default=to)
    join = exp.select(frm.as_("f"), to.as_("t"), _count()).from_(
        exp.Table(this=exp.to_identifier(before), alias=exp.TableAlias(this=exp.to_identifier("f")))).join(
        exp.Table(this=exp.to_identifier(after), alias=exp.TableAlias(this=exp.to_identifier("t"))),
        on=exp.EQ(this=exp.column(key, table="f", quoted=True), expression=exp.column(key, table="t", quoted=True)),
        join_type="full")
    data = engine.rows(join.group_by(frm.copy(), to.copy()))
    found = sorted({d[0] for d in data} | {d[1] for d in data})
    labels = _dim_order(ir, name, [x for x in found if x != absent]) + ([absent] if absent in found else [])
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
        if case == absent:
            continue
        stayed = matrix[i][i]
        left = totals[i] - stayed
        entered = sum(matrix[j][i] for j in range(len(labels))) - stayed
        flows.append([case, entered, left, stayed])
    result.blocks.append(Table(f"{name}: entered, left, stayed", ["case", "entered", "left", "stayed"],
                               ["text", "int", "int", "int"], flows))
    segs = list(ir.segments)
    if segs:
        f_seg = lambda s: exp.func("COALESCE", exp.column(s, table="f", quoted=True), exp.false())  # noqa: E731
        t_seg = lambda s: exp.func("COALESCE", exp.column(s, table="t", quoted=True), exp.false())  # noqa: E731
        aggs = []
        for s in segs:
            aggs += [_count(exp.and_(exp.Not(this=f_seg(s)), t_seg(s))), _count(exp.and_(f_seg(s), exp.Not(this=t_seg(s)))),
                     _count(exp.and_(f_seg(s), t_seg(s)))]
        q = exp.select(*aggs).from_(
            exp.Table(this=exp.to_identifier(before), alias=exp.TableAlias(this=exp.to_identifier("f")))).join(
            exp.Table(this=exp.to_identifier(after), alias=exp.TableAlias(this=exp.to_identifier("t"))),
            on=exp.EQ(this=exp.column(key, table="f", quoted=True), expression=exp.column(key, table="t", quoted=True)),
            join_type="full")
        row = engine.rows(q)[0]
        result.blocks.append(Table("Segments: entered, left, stayed", ["segment", "entered", "left", "stayed"],
                                   ["text", "int", "int", "int"],
                                   [[s, *row[3 * i:3 * i + 3]] for i, s in enumerate(segs)]))
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


def select_reports(ir: m.Model, names: list[str] | None) -> list[m.Report]:
    if not names:
        return list(ir.reports.values())
    from .diagnostics import did_you_mean

    missing = [n for n in names if n not in ir.reports]
    if missing:
        raise error("SEG306", f"the model has no report `{missing[0]}`", None,
                    did_you_mean(missing[0], ir.reports) or f"reports: {', '.join(ir.reports) or 'none'}")
    return [ir.reports[n] for n in names]


def compute(con, checked: m.Model, schemas: dict[str, dict[str, m.T]], reports: list[m.Report], sources,
            membership_sql: Callable[[m.Model, dt.date, list[str] | None], str], as_of: dt.date,
            migration: tuple[dt.date, dt.date] | None = None) -> list[ReportResult]:
    """Compute reports on a DuckDB connection.

    `membership_sql(model, as_of, outputs)` compiles the membership query;
    it is passed in so that reports run wherever the membership runs.
    """
    from .run import materialize

    entity_schema = schemas.get(checked.entity.name, {})
    reserved = {checked.entity.key, checked.entity.since}
    profile_cols = [c for c, t in entity_schema.items() if t in (m.T.TEXT, m.T.BOOL) and c not in reserved] \
        if any(r.kind == "profile" for r in reports) else []
    dims = dimension_columns(checked, reports)
    extended, measures = prepare(checked, reports, list(dict.fromkeys(dims + profile_cols)), _text_of(sources))
    engine = Engine(con, materialize(con, membership_sql(extended, as_of, None), "segdsl_report_members"))
    if profile_cols:
        counts = engine.rows(exp.select(*[exp.Count(this=exp.Distinct(expressions=[_q(f"_c_{c}")]))
                                          for c in profile_cols]).from_(engine.source()))[0]
        profile_cols = [c for c, n in zip(profile_cols, counts) if n <= 30]
    numeric = [n for n, f in checked.features.items() if f.type is m.T.NUMBER]
    results = []
    for r in reports:
        if r.kind == "value":
            results.append(value_report(engine, extended, r, measures[r.name]))
        elif r.kind == "crosstab":
            results.append(crosstab_report(engine, extended, r, measures[r.name]))
        elif r.kind == "overlap":
            results.append(overlap_report(engine, extended, r))
        elif r.kind == "profile":
            results.append(profile_report(engine, extended, r, profile_cols, numeric))
        else:
            if migration is None:
                raise error("SEG602", f"report `{r.name}` compares two dates", r.span,
                            "give them with --from DATE --to DATE")
            before = materialize(con, membership_sql(checked, migration[0], None), "segdsl_before")
            after = materialize(con, membership_sql(checked, migration[1], None), "segdsl_after")
            results.append(migration_report(engine, checked, r, before, after, migration))
    return results
