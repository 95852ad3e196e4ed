"""Compile: model → one SQL query (sqlglot expressions) for a dialect.

Shape of the query, the reason for each part:

* `population`: the entity rows that exist at as_of (the `since` cut), with
  only the columns the model reads.
* one grouped aggregation per events source and stage (`agg_<stage>_<src>`):
  every aggregate of a source is a conditional aggregate in one GROUP BY, so
  a source is scanned once whatever the number of features. An aggregate
  whose filter uses member values (a feature, a segment, an entity column)
  joins the previous layer and belongs to a later stage.
* layers (`layer_<n>`): each adds the aggregates of its stage (count-like
  ones coalesced to 0) and every definition whose inputs are all in the
  layer before, so each feature is computed once and the SQL stays readable.
* the final SELECT names the key and every requested definition.

Everything reaches SQL through sqlglot nodes: names as identifiers (quoted by
the dialect), values as literals. No text of a .seg file is pasted in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from . import model as m
from .diagnostics import SegError, error
from .model import T

SUPPORTED_DIALECTS = (
    "duckdb", "postgres", "mysql", "sqlite", "spark", "databricks", "clickhouse", "snowflake", "bigquery",
    "redshift", "trino", "tsql", "oracle",
)
FILE_SUFFIXES = {".csv": "read_csv_auto", ".parquet": "read_parquet", ".json": "read_json_auto"}
# Dialects where AGG(x) FILTER (WHERE c) is supported; elsewhere AGG(CASE WHEN c THEN x END).
_FILTER_DIALECTS = {"duckdb", "postgres", "sqlite", "spark", "databricks"}
_P = "p"  # alias of the previous layer
_E = "e"  # alias of the events source in an aggregation


@dataclass(frozen=True)
class Options:
    dialect: str = "duckdb"
    as_of: dt.date | None = None  # None: the engine's current date at run time
    params: dict[str, object] = field(default_factory=dict)
    # Maps a source string of the model (table name or file path) to a table expression.
    source: Callable[[str], exp.Expression] | None = None


def source_table(source: str, dialect: str, root: Path | None = None) -> exp.Expression:
    """The table expression of a source: a table, `schema.table`, or (DuckDB) a data file.

    For other dialects a file source compiles to a table named after the
    file's stem, so `"orders.parquet"` reads table `orders` in the warehouse.
    """
    suffix = Path(source).suffix.lower()
    if suffix in FILE_SUFFIXES:
        if dialect == "duckdb":
            path = str((root / source).resolve()) if root is not None else source
            return exp.Table(this=exp.Anonymous(this=FILE_SUFFIXES[suffix], expressions=[exp.Literal.string(path)]))
        return exp.Table(this=exp.to_identifier(Path(source).stem, quoted=True))
    parts = source.split(".")
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    if len(ids) == 1:
        return exp.Table(this=ids[0])
    if len(ids) == 2:
        return exp.Table(this=ids[1], db=ids[0])
    return exp.Table(this=ids[-1], db=ids[-2], catalog=ids[-3])


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_id(name), table=exp.to_identifier(table) if table else None)


def _table(name: str, alias: str) -> exp.Table:
    """A CTE of the query under a short alias."""
    return exp.Table(this=_id(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _date_lit(d: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(d.isoformat()), exp.DataType.build("DATE"))


def _ts_lit(t: dt.datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(t.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))


def _num(v: int | float) -> exp.Expression:
    text = str(v) if isinstance(v, int) else repr(float(v))
    lit = exp.Literal.number(text.lstrip("-"))
    return exp.Neg(this=lit) if text.startswith("-") else lit


def literal(value: object) -> exp.Expression:
    """A typed value as a SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return _num(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        return _ts_lit(value)
    if isinstance(value, dt.date):
        return _date_lit(value)
    raise TypeError(f"no literal for {value!r}")


def _to_date(x: exp.Expression, t: T) -> exp.Expression:
    return x if t is T.DATE else exp.cast(x, exp.DataType.build("DATE"))


def _paren(x: exp.Expression) -> exp.Expression:
    return exp.Paren(this=x) if isinstance(x, (exp.And, exp.Or, exp.Not)) else x


class _Compiler:
    def __init__(self, model: m.Model, options: Options, outputs: list[str]):
        self.model = model
        self.opt = options
        self.dialect = options.dialect
        self.params = {n: options.params.get(n, p.value) for n, p in model.params.items()}
        self.needed = self._closure(outputs)
        self.outputs = [n for n in model.order if n in set(outputs)]
        self.names: dict[object, str] = {}
        self.taken: set[str] = set()
        self.entity_cols: list[str] = []
        for n in model.order:
            if n in self.needed:
                self._alloc(("def", n), n)
        self._entity_col(model.entity.key)
        self.aggs: dict[m.Agg, int] = {}  # aggregate -> stage
        self.def_level: dict[str, int] = {}
        self._levels()

    # ── planning ────────────────────────────────────────────────────────────
    def _closure(self, outputs: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(outputs)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            for e in self.model.expressions_of(n):
                stack.extend(m.dependencies(e))
        return seen

    def _alloc(self, key: object, wanted: str) -> str:
        if key in self.names:
            return self.names[key]
        name, i = wanted, 2
        while name in self.taken:
            name, i = f"{wanted}_{i}", i + 1
        self.taken.add(name)
        self.names[key] = name
        return name

    def _entity_col(self, name: str) -> str:
        if ("col", name) not in self.names:
            self.entity_cols.append(name)
        return self._alloc(("col", name), name)

    def _member_level(self, e: m.Expr) -> int:
        """The layer in which an expression's member values are all available (-1: population)."""
        level = -1
        for node in m.walk_outside_aggregates(e):
            if isinstance(node, m.Agg):
                level = max(level, self._agg_level(node))
            elif isinstance(node, m.Column) and node.source is None:
                self._entity_col(node.name)
            elif isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef)):
                level = max(level, self.def_level[node.name])
            elif isinstance(node, (m.CaseRef, m.ScoreRef)):
                owner = node.owner
                level = max(level, self.def_level[owner])
        return level

    def _agg_level(self, a: m.Agg) -> int:
        if a in self.aggs:
            return self.aggs[a]
        inner = -1
        uses_members = False
        for part in (a.arg, a.filter):
            if part is None:
                continue
            for node in m.walk(part):
                if isinstance(node, m.Column) and node.source is None:
                    self._entity_col(node.name)
                    uses_members = True
                elif isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef)):
                    inner = max(inner, self.def_level[node.name])
                    uses_members = True
                elif isinstance(node, (m.CaseRef, m.ScoreRef)):
                    inner = max(inner, self.def_level[node.owner])
                    uses_members = True
        stage = inner + 1 if uses_members else 0
        self.aggs[a] = stage
        self._alloc(("agg", a), f"_{a.source}_{len(self.aggs)}")
        return stage

    def _levels(self) -> None:
        for n in self.model.order:
            if n not in self.needed:
                continue
            d = self.model.definition(n)
            level = max((self._member_level(e) for e in self.model.expressions_of(n)), default=-1)
            if isinstance(d, m.Segmentation) and d.kind == "rfm":
                # scores in one layer, the group label in the next
                self.def_level[n] = level + 2
                self._alloc(("score", n, "r"), f"{n}_r")
                self._alloc(("score", n, "f"), f"{n}_f")
                self._alloc(("score", n, "m"), f"{n}_m")
            else:
                self.def_level[n] = level + 1
        self._entity_col(self.model.entity.key)

    # ── SQL building ────────────────────────────────────────────────────────
    def query(self) -> exp.Select:
        ent = self.model.entity
        key = ent.key
        src = self._source(ent.source)
        pop_cols = [exp.alias_(_col(c, _E), self.names[("col", c)], quoted=True) for c in self.entity_cols]
        pop = exp.select(*pop_cols).from_(exp.alias_(src, _E, table=True))
        if ent.since:
            since = _col(ent.since, _E)
            pop = pop.where(exp.or_(exp.Is(this=since, expression=exp.Null()),
                                    exp.LTE(this=_to_date(since, T.ANY), expression=self._as_of())))
        ctes: list[tuple[str, exp.Expression]] = [("population", pop)]
        prev = "population"
        max_level = max(list(self.def_level.values()) + list(self.aggs.values()) + [0])
        for level in range(0, max_level + 1):
            joins = []
            select = [exp.Column(this=exp.Star(), table=exp.to_identifier(_P))]
            for source in sorted({a.source for a, s in self.aggs.items() if s == level}):
                aggs = [a for a, s in self.aggs.items() if s == level and a.source == source]
                name = f"agg_{level}_{source}"
                alias = f"a_{source}"
                ctes.append((name, self._aggregation(source, aggs, prev)))
                key_name = "_key"
                joins.append((name, alias, key_name))
                for a in aggs:
                    col = _col(self.names[("agg", a)], alias)
                    value = exp.func("COALESCE", col, exp.Literal.number(0)) if a.func in ("count", "count_distinct") else col
                    select.append(exp.alias_(value, self.names[("agg", a)], quoted=True))
            for n in self.model.order:
                if n in self.needed and self.def_level.get(n) == level:
                    select.append(exp.alias_(self._definition(n), self.names[("def", n)], quoted=True))
                d = self.model.definition(n) if n in self.needed else None
                if isinstance(d, m.Segmentation) and d.kind == "rfm" and self.def_level[n] - 1 == level:
                    for score, e, desc in zip("rfm", d.rfm, (True, False, False)):
                        select.append(exp.alias_(self._ntile(e, 5, desc), self.names[("score", n, score)], quoted=True))
            q = exp.select(*select).from_(_table(prev, _P))
            for name, alias, key_name in joins:
                q = q.join(_table(name, alias),
                           on=exp.EQ(this=_col(self.names[("col", key)], _P), expression=_col(key_name, alias)),
                           join_type="left")
            layer = f"layer_{level}"
            ctes.append((layer, q))
            prev = layer
        final = exp.select(
            exp.alias_(_col(self.names[("col", key)], _P), key, quoted=True),
            *[exp.alias_(_col(self.names[("def", n)], _P), n, quoted=True) for n in self.outputs],
            *self._score_outputs(),
        ).from_(_table(prev, _P))
        for name, body in ctes:
            final = final.with_(exp.to_identifier(name, quoted=True), as_=body)
        return final

    def _score_outputs(self) -> list[exp.Expression]:
        out = []
        for n in self.outputs:
            d = self.model.definition(n)
            if isinstance(d, m.Segmentation) and d.kind == "rfm":
                for score in "rfm":
                    name = self.names[("score", n, score)]
                    out.append(exp.alias_(_col(name, _P), name, quoted=True))
        return out

    def _source(self, source: str) -> exp.Expression:
        if self.opt.source is not None:
            return self.opt.source(source)
        return source_table(source, self.dialect)

    def _as_of(self) -> exp.Expression:
        return _date_lit(self.opt.as_of) if self.opt.as_of else exp.CurrentDate()

    def _aggregation(self, source: str, aggs: list[m.Agg], prev: str) -> exp.Select:
        ev = self.model.events[source]
        by = _col(ev.by, _E)
        cols = [exp.alias_(by, "_key", quoted=True)]
        for a in aggs:
            cols.append(exp.alias_(self._agg_sql(a), self.names[("agg", a)], quoted=True))
        at_type = T.ANY
        q = exp.select(*cols).from_(exp.alias_(self._source(ev.source), _E, table=True))
        if any(self._uses_members(a) for a in aggs):
            q = q.join(_table(prev, _P),
                       on=exp.EQ(this=by.copy(), expression=_col(self.names[("col", self.model.entity.key)], _P)))
        q = q.where(exp.LTE(this=_to_date(_col(ev.at, _E), at_type), expression=self._as_of()))
        return q.group_by(by.copy())

    def _uses_members(self, a: m.Agg) -> bool:
        for part in (a.arg, a.filter):
            if part is not None:
                for node in m.walk(part):
                    if isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef, m.CaseRef, m.ScoreRef)):
                        return True
                    if isinstance(node, m.Column) and node.source is None:
                        return True
        return False

    def _agg_sql(self, a: m.Agg) -> exp.Expression:
        arg = self.expr(a.arg) if a.arg is not None else None
        cond = self.expr(a.filter) if a.filter is not None else None
        use_filter = self.dialect in _FILTER_DIALECTS
        if cond is not None and not use_filter:
            arg = exp.Case(ifs=[exp.If(this=cond, true=arg if arg is not None else exp.Literal.number(1))])
        func = a.func
        if func == "count":
            inner = arg if arg is not None else exp.Star()
            agg: exp.Expression = exp.Count(this=inner)
        elif func == "count_distinct":
            agg = exp.Count(this=exp.Distinct(expressions=[arg]))
        else:
            agg = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[func](this=arg)
        if cond is not None and use_filter:
            agg = exp.Filter(this=agg, expression=exp.Where(this=cond))
        return agg

    def _ntile(self, e: m.Expr, n: int, descending: bool) -> exp.Expression:
        x = self.expr(e)
        missing = exp.Is(this=x.copy(), expression=exp.Null())
        part = exp.Case(ifs=[exp.If(this=missing.copy(), true=exp.Literal.number(1))], default=exp.Literal.number(0))
        window = exp.Window(
            this=exp.Anonymous(this="NTILE", expressions=[exp.Literal.number(n)]),
            partition_by=[part],
            order=exp.Order(expressions=[exp.Ordered(this=x.copy(), desc=descending, nulls_first=False),
                                         exp.Ordered(this=_col(self.names[("col", self.model.entity.key)], _P),
                                                     nulls_first=False)]),
        )
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=window)

    def _definition(self, n: str) -> exp.Expression:
        d = self.model.definition(n)
        if isinstance(d, m.Feature):
            return self.expr(d.expr)
        if isinstance(d, m.Segment):
            return self._two_valued(self.expr(d.expr))
        if isinstance(d, m.Holdout):
            return self._holdout(d)
        if d.kind == "cases":
            ifs = [exp.If(this=self.expr(c), true=exp.Literal.string(name)) for name, c in d.cases]
            default = exp.Literal.string(d.else_case) if d.else_case else None
            return exp.Case(ifs=ifs, default=default)
        if d.kind == "bucket":
            x = self.expr(d.subject)
            labels = m.bucket_labels(d.edges)
            ifs = [exp.If(this=exp.Is(this=x.copy(), expression=exp.Null()), true=exp.Null())]
            for edge, label in zip(d.edges, labels):
                ifs.append(exp.If(this=exp.LT(this=x.copy(), expression=_num(_plain(edge))),
                                  true=exp.Literal.string(label)))
            return exp.Case(ifs=ifs, default=exp.Literal.string(labels[-1]))
        if d.kind == "quantile":
            return self._ntile(d.subject, d.n, False)
        return self._rfm_label(n)

    def _rfm_label(self, n: str) -> exp.Expression:
        r, f, mo = (_col(self.names[("score", n, s)], _P) for s in "rfm")
        total = exp.Paren(this=exp.Add(this=f.copy(), expression=mo.copy()))

        def w(cond: exp.Expression, label: str) -> exp.If:
            return exp.If(this=cond, true=exp.Literal.string(label))

        def r_is(v: int) -> exp.Expression:
            return exp.EQ(this=r.copy(), expression=exp.Literal.number(v))

        def s_ge(v: int) -> exp.Expression:
            return exp.GTE(this=total.copy(), expression=exp.Literal.number(v))

        missing = exp.or_(*(exp.Is(this=x.copy(), expression=exp.Null()) for x in (r, f, mo)))
        # The grid of model.rfm_group, with fm = floor((f + m) / 2) written as bounds on f + m.
        ifs = [
            exp.If(this=missing, true=exp.Null()),
            w(exp.and_(r_is(5), s_ge(8)), "champions"), w(exp.and_(r_is(5), s_ge(4)), "potential_loyalist"),
            w(r_is(5), "new_customers"),
            w(exp.and_(r_is(4), s_ge(8)), "loyal"), w(exp.and_(r_is(4), s_ge(4)), "potential_loyalist"),
            w(r_is(4), "promising"),
            w(exp.and_(r_is(3), s_ge(8)), "loyal"), w(exp.and_(r_is(3), s_ge(6)), "need_attention"),
            w(r_is(3), "about_to_sleep"),
            w(exp.EQ(this=total.copy(), expression=exp.Literal.number(10)), "cant_lose_them"),
            w(s_ge(6), "at_risk"), w(r_is(2), "hibernating"),
        ]
        return exp.Case(ifs=ifs, default=exp.Literal.string("lost"))

    def _holdout(self, d: m.Holdout) -> exp.Expression:
        key = exp.cast(_col(self.names[("col", self.model.entity.key)], _P), exp.DataType.build("TEXT"))
        text = exp.DPipe(this=exp.Literal.string(d.seed + ":"), expression=key, safe=True)
        bucket = hash_bucket(text, self.dialect)
        ifs = [exp.If(this=exp.LT(this=bucket.copy(), expression=exp.Literal.number(bound)),
                      true=exp.Literal.string(name)) for name, bound in d.bounds()[:-1]]
        split = exp.Case(ifs=ifs, default=exp.Literal.string(d.arms[-1][0]))
        return exp.Case(ifs=[exp.If(this=_col(self.names[("def", d.segment)], _P), true=split)])

    @staticmethod
    def _two_valued(x: exp.Expression) -> exp.Expression:
        return exp.func("COALESCE", x, exp.false())

    # ── expressions ─────────────────────────────────────────────────────────
    def expr(self, e: m.Expr) -> exp.Expression:
        return getattr(self, "_x_" + type(e).__name__)(e)

    def _x_Const(self, e: m.Const) -> exp.Expression:
        return literal(e.value)

    def _x_AsOf(self, e: m.AsOf) -> exp.Expression:
        return self._as_of()

    def _x_ParamRef(self, e: m.ParamRef) -> exp.Expression:
        return literal(self.params[e.name])

    def _x_Column(self, e: m.Column) -> exp.Expression:
        if e.source is None:
            return _col(self._entity_col(e.name), _P)
        return _col(e.name, _E)

    def _x_FeatureRef(self, e) -> exp.Expression:
        return _col(self.names[("def", e.name)], _P)

    _x_SegmentRef = _x_FeatureRef
    _x_SegmentationRef = _x_FeatureRef

    def _x_CaseRef(self, e: m.CaseRef) -> exp.Expression:
        return self._two_valued(exp.EQ(this=_col(self.names[("def", e.owner)], _P),
                                       expression=exp.Literal.string(e.case)))

    def _x_ScoreRef(self, e: m.ScoreRef) -> exp.Expression:
        return _col(self.names[("score", e.owner, e.score)], _P)

    def _x_Agg(self, e: m.Agg) -> exp.Expression:
        return _col(self.names[("agg", e)], _P)

    def _x_Neg(self, e: m.Neg) -> exp.Expression:
        return exp.Neg(this=exp.Paren(this=self.expr(e.operand)))

    def _x_Not(self, e: m.Not) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=self.expr(e.operand)))

    def _x_Arith(self, e: m.Arith) -> exp.Expression:
        left, right = exp.Paren(this=self.expr(e.left)), exp.Paren(this=self.expr(e.right))
        if e.op == "/":
            double = exp.DataType.build("DOUBLE")
            return exp.Div(this=exp.cast(left, double),
                           expression=exp.func("NULLIF", exp.cast(right, double), exp.Literal.number(0)))
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[e.op]
        return cls(this=left, expression=right)

    def _constant_date(self, e: m.Expr) -> dt.date | None:
        """Fold as_of arithmetic to a date when as_of is fixed at compile time."""
        if isinstance(e, m.AsOf):
            return self.opt.as_of
        if isinstance(e, m.Const) and isinstance(e.value, dt.date) and not isinstance(e.value, dt.datetime):
            return e.value
        if isinstance(e, m.ParamRef) and isinstance(self.params[e.name], dt.date) and not isinstance(
                self.params[e.name], dt.datetime):
            return self.params[e.name]
        if isinstance(e, m.DateShift):
            base = self._constant_date(e.operand)
            return m.shift_date(base, e.amount, e.unit) if base is not None else None
        return None

    def _x_DateShift(self, e: m.DateShift) -> exp.Expression:
        folded = self._constant_date(e)
        if folded is not None:
            return _date_lit(folded)
        amount, unit = (e.amount * 7, "day") if e.unit == "week" else (e.amount, e.unit)
        return exp.DateAdd(this=self.expr(e.operand), expression=_num(amount), unit=exp.var(unit.upper()))

    def _x_Compare(self, e: m.Compare) -> exp.Expression:
        cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[e.op]
        return cls(this=self.expr(e.left), expression=self.expr(e.right))

    def _x_And(self, e: m.And) -> exp.Expression:
        return exp.and_(*(_paren(self.expr(i)) for i in e.items))

    def _x_Or(self, e: m.Or) -> exp.Expression:
        return exp.Paren(this=exp.or_(*(_paren(self.expr(i)) for i in e.items)))

    def _x_InList(self, e: m.InList) -> exp.Expression:
        x = exp.In(this=self.expr(e.subject), expressions=[self.expr(i) for i in e.items])
        return exp.Not(this=x) if e.negated else x

    def _x_Between(self, e: m.Between) -> exp.Expression:
        subject = self.expr(e.subject)
        low, high = self.expr(e.low), self.expr(e.high)
        if e.by_date:
            subject = _to_date(subject, e.subject.type)
            low, high = _to_date(low, e.low.type), _to_date(high, e.high.type)
        x = exp.Between(this=subject, low=low, high=high)
        return exp.Not(this=x) if e.negated else x

    def _x_IsMissing(self, e: m.IsMissing) -> exp.Expression:
        x = exp.Is(this=self.expr(e.subject), expression=exp.Null())
        return exp.Not(this=x) if e.negated else x

    def _x_TextMatch(self, e: m.TextMatch) -> exp.Expression:
        subject, pattern = self.expr(e.subject), self.expr(e.pattern)
        if e.op == "like":
            x: exp.Expression = exp.Like(this=subject, expression=pattern)
        elif e.op == "contains":
            x = exp.GT(this=exp.StrPosition(this=subject, substr=pattern), expression=exp.Literal.number(0))
        else:
            x = exp.EQ(this=exp.Substring(this=subject, start=exp.Literal.number(1),
                                          length=exp.Length(this=pattern.copy())), expression=pattern)
        return exp.Not(this=exp.Paren(this=x)) if e.negated else x

    def _x_DateWindow(self, e: m.DateWindow) -> exp.Expression:
        subject = _to_date(self.expr(e.subject), e.subject.type)
        parts = []
        if e.lower is not None:
            low = _to_date(self.expr(e.lower), e.lower.type)
            parts.append((exp.GTE if e.lower_inclusive else exp.GT)(this=subject.copy(), expression=low))
        if e.upper is not None:
            high = _to_date(self.expr(e.upper), e.upper.type)
            parts.append((exp.LTE if e.upper_inclusive else exp.LT)(this=subject.copy(), expression=high))
        return exp.Paren(this=exp.and_(*parts)) if len(parts) > 1 else parts[0]

    def _x_DaysBetween(self, e: m.DaysBetween) -> exp.Expression:
        a, b = self._constant_date(e.start), self._constant_date(e.end)
        if a is not None and b is not None:
            return _num((b - a).days)
        start = _to_date(self.expr(e.start), e.start.type)
        end = _to_date(self.expr(e.end), e.end.type)
        return exp.DateDiff(this=end, expression=start, unit=exp.var("DAY"))

    def _x_YearsBetween(self, e: m.YearsBetween) -> exp.Expression:
        start = _to_date(self.expr(e.start), e.start.type)
        end = _to_date(self.expr(e.end), e.end.type)

        def part(unit: str, x: exp.Expression) -> exp.Expression:
            return exp.Extract(this=exp.var(unit), expression=x.copy())

        def month_day(x: exp.Expression) -> exp.Expression:
            return exp.Add(this=exp.Mul(this=part("MONTH", x), expression=exp.Literal.number(100)),
                           expression=part("DAY", x))

        before = exp.Case(ifs=[exp.If(this=exp.LT(this=month_day(end), expression=month_day(start)),
                                      true=exp.Literal.number(1))], default=exp.Literal.number(0))
        return exp.Sub(this=exp.Sub(this=part("YEAR", end), expression=part("YEAR", start)), expression=before)

    def _x_MemberAgg(self, e: m.MemberAgg) -> exp.Expression:  # pragma: no cover - reports compile these
        raise AssertionError("member aggregates are compiled by reports")


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def hash_bucket(text: exp.Expression, dialect: str) -> exp.Expression:
    """A number 0…9999 from MD5(text): the first 8 hex digits, modulo 10000.

    The digits are turned into a number with plain arithmetic over STRPOS in
    a digit string, which every engine with MD5 computes identically.
    """
    digest = exp.Lower(this=exp.MD5(this=text))
    if dialect == "duckdb":
        hex8 = exp.DPipe(this=exp.Literal.string("0x"),
                         expression=exp.Substring(this=digest, start=exp.Literal.number(1),
                                                  length=exp.Literal.number(8)), safe=True)
        value: exp.Expression = exp.cast(hex8, exp.DataType.build("BIGINT"))
    else:
        value = exp.Literal.number(0)
        for i in range(8):
            digit = exp.Sub(this=exp.StrPosition(this=exp.Literal.string("0123456789abcdef"),
                                                 substr=exp.Substring(this=digest.copy(),
                                                                      start=exp.Literal.number(i + 1),
                                                                      length=exp.Literal.number(1))),
                            expression=exp.Literal.number(1))
            value = exp.Add(this=exp.Mul(this=exp.Paren(this=value), expression=exp.Literal.number(16)),
                            expression=exp.Paren(this=digit))
    return exp.Mod(this=exp.Paren(this=value), expression=exp.Literal.number(10000))


def check_dialect(dialect: str) -> str:
    d = dialect.lower()
    if d not in SUPPORTED_DIALECTS:
        from .diagnostics import did_you_mean

        raise error("SEG303", f"unknown dialect `{dialect}`", None,
                    (did_you_mean(d, SUPPORTED_DIALECTS) or "") + f" dialects: {', '.join(SUPPORTED_DIALECTS)}")
    return d


def membership(model: m.Model, options: Options, outputs: list[str] | None = None) -> exp.Select:
    """The membership query: one row per member with the requested definitions."""
    return _Compiler(model, options, list(model.order) if outputs is None else outputs).query()


def segment_members(model: m.Model, options: Options, segment: str) -> exp.Select:
    """Keys of the members of one segment (or a case: `lifecycle.new`)."""
    from .diagnostics import did_you_mean

    owner, _, case = segment.partition(".")
    known = list(model.segments) + list(model.segmentations) + list(model.holdouts)
    if owner not in known or (not case and owner not in model.segments):
        raise error("SEG306", f"unknown segment `{segment}`", None,
                    did_you_mean(segment, known) or f"segments: {', '.join(model.segments) or 'none'}")
    inner = membership(model, options, [owner])
    key = model.entity.key
    if case:
        labels = model.definition(owner).labels
        if case not in labels:
            raise error("SEG306", f"`{owner}` has no case `{case}`", None, did_you_mean(case, labels))
        cond: exp.Expression = exp.EQ(this=_col(owner), expression=exp.Literal.string(case))
    else:
        cond = _col(owner)
    return exp.select(_col(key)).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))).where(cond)


def to_sql(query: exp.Expression, dialect: str, pretty: bool = True) -> str:
    try:
        return query.sql(dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise SegError([error("SEG303", f"cannot express this model in {dialect}: {exc}", None,
                              "choose another dialect").diagnostics[0]]) from None


__all__ = ["Options", "membership", "segment_members", "to_sql", "literal", "source_table", "check_dialect",
           "SUPPORTED_DIALECTS", "hash_bucket"]
