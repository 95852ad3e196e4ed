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

import contextlib
import datetime as dt
import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from . import dialects as dl
from . import model as m
from .diagnostics import SegError, error
from .model import T

# Verified dialects first, then generated ones: see segdsl.dialects for the tiers and the lowering rules.
SUPPORTED_DIALECTS = tuple(dl.DIALECTS)
FILE_SUFFIXES = {".csv": "read_csv_auto", ".parquet": "read_parquet", ".json": "read_json_auto"}
# Dialects where a timestamp compared with a TIMESTAMP literal means the same as its date compared with a
# date (no column type with a zone read differently from the session's): windows compare raw timestamps.
_RAW_TIME_DIALECTS = {"duckdb", "spark", "databricks"}
# Dialects that support FILTER but aggregate AGG(CASE WHEN c THEN x END) faster: DuckDB slices its input
# once per filtered aggregate, which costs a fifth more time in a scan with many conditional aggregates.
_CASE_AGGREGATE_DIALECTS = {"duckdb"}
_P = "p"  # alias of the previous layer
_E = "e"  # alias of the events source in an aggregation


@dataclass(frozen=True)
class Options:
    dialect: str = "duckdb"
    as_of: dt.date | None = None  # None: the engine's current date at run time
    params: dict[str, object] = field(default_factory=dict)
    # Maps a source string of the model (table name or file path) to a table expression.
    source: Callable[[str], exp.Expression] | None = None
    # Column types of the sources by entity/events name, when read from the data: lets a
    # dialect treat text keys exactly (binary grouping and ordering) where collations differ.
    schemas: dict[str, dict[str, T]] | None = None
    # Compute as_of arithmetic on the engine even for a fixed as_of, as a view with the
    # engine's current date does; the conformance tests use it to check each dialect's date functions.
    engine_dates: bool = False


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


def _paren(x: exp.Expression) -> exp.Expression:
    return exp.Paren(this=x) if isinstance(x, (exp.And, exp.Or, exp.Not)) else x


class _Compiler:
    def __init__(self, model: m.Model, options: Options, outputs: list[str]):
        self.model = model
        self.opt = options
        self.dialect = options.dialect
        self.low = dl.lowering(options.dialect)
        self.params = {n: options.params.get(n, p.value) for n, p in model.params.items()}
        self.needed = model.closure(outputs)
        self.outputs = [n for n in model.order if n in set(outputs)]
        self.names: dict[object, str] = {}
        self.taken: set[str] = set()
        self.entity_cols: list[str] = []
        for n in model.order:
            if n in self.needed:
                self._alloc(("def", n), n)
        self._entity_col(model.entity.key)
        self.aggs: dict[m.Agg, int] = {}  # aggregate -> stage
        self.ntiles: dict[tuple[m.Expr, int, bool], tuple[int, str]] = {}  # window -> (layer, column)
        self._level = 0  # the layer being built
        self.def_level: dict[str, int] = {}
        self._levels()

    # ── planning ────────────────────────────────────────────────────────────
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
        pop_cols = [exp.alias_(_col(c, _E), self.names[("col", c)], quoted=True, copy=False) for c in self.entity_cols]
        pop = exp.select(*pop_cols, copy=False).from_(exp.alias_(src, _E, table=True, copy=False), copy=False)
        if ent.since:
            since = _col(ent.since, _E)
            since_date = self.low.as_date(since.copy(), self._type(ent.name, ent.since))
            pop = pop.where(exp.or_(exp.Is(this=since, expression=exp.Null()),
                                    exp.LTE(this=since_date, expression=self._as_of()), copy=False), copy=False)
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
                    value = exp.Coalesce(this=col, expressions=[exp.Literal.number(0)]) if a.func in (
                        "count", "count_distinct") else col
                    select.append(exp.alias_(value, self.names[("agg", a)], quoted=True, copy=False))
            self._level = level
            for n in self.model.order:
                if n in self.needed and self.def_level.get(n) == level:
                    select.append(exp.alias_(self._definition(n), self.names[("def", n)], quoted=True, copy=False))
                d = self.model.definition(n) if n in self.needed else None
                if isinstance(d, m.Segmentation) and d.kind == "rfm" and self.def_level[n] - 1 == level:
                    for score, e, desc in zip("rfm", d.rfm, (True, False, False)):
                        name = self.names[("score", n, score)]
                        select.append(exp.alias_(self._shared_ntile(e, 5, desc, name), name, quoted=True, copy=False))
            q = exp.select(*select, copy=False).from_(_table(prev, _P), copy=False)
            for name, alias, key_name in joins:
                member_key = self.low.key(_col(self.names[("col", key)], _P), self._type(ent.name, key))
                q = q.join(_table(name, alias),
                           on=exp.EQ(this=member_key, expression=_col(key_name, alias)),
                           join_type="left", copy=False)
            layer = f"layer_{level}"
            ctes.append((layer, q))
            prev = layer
        final = exp.select(
            exp.alias_(_col(self.names[("col", key)], _P), key, quoted=True, copy=False),
            *[exp.alias_(_col(self.names[("def", n)], _P), n, quoted=True, copy=False) for n in self.outputs],
            *self._score_outputs(), copy=False,
        ).from_(_table(prev, _P), copy=False)
        for name, body in ctes:
            final = final.with_(exp.to_identifier(name, quoted=True), as_=body, copy=False)
        return final

    def _score_outputs(self) -> list[exp.Expression]:
        out = []
        for n in self.outputs:
            d = self.model.definition(n)
            if isinstance(d, m.Segmentation) and d.kind == "rfm":
                for score in "rfm":
                    name = self.names[("score", n, score)]
                    out.append(exp.alias_(_col(name, _P), name, quoted=True, copy=False))
        return out

    def _source(self, source: str) -> exp.Expression:
        if self.opt.source is not None:
            return self.opt.source(source)
        return source_table(source, self.dialect)

    def _as_of(self) -> exp.Expression:
        return self.low.date_literal(self.opt.as_of) if self.opt.as_of else self.low.current_date()

    def _time_type(self, e: m.Expr) -> T:
        """The type of a date-like expression as far as SQL knows it.

        A shift of a value of unknown type is typed DATE by the model, but the
        value may be a timestamp: its date must still be taken, so it counts
        as unknown here (and so does a feature defined by such a shift).
        """
        if isinstance(e, m.DateShift) and not e.operand.type.is_time:
            return T.ANY
        if isinstance(e, m.FeatureRef) and e.name in self.model.features:
            return self._time_type(self.model.features[e.name].expr)
        return e.type

    def _type(self, source: str, column: str | None) -> T:
        """The type of a source column when the schema is known (entity or events name)."""
        return (self.opt.schemas or {}).get(source, {}).get(column or "", T.ANY)

    def _literal(self, value: object) -> exp.Expression:
        """A typed value as a literal of the dialect (dates are text on SQLite, N'' on T-SQL)."""
        if isinstance(value, str):
            return self.low.text_literal(value)
        if isinstance(value, dt.datetime):
            return self.low.timestamp_literal(value)
        if isinstance(value, dt.date):
            return self.low.date_literal(value)
        return literal(value)

    def _aggregation(self, source: str, aggs: list[m.Agg], prev: str) -> exp.Select:
        ev = self.model.events[source]
        by = self.low.key(_col(ev.by, _E), self._type(source, ev.by))
        cols = [exp.alias_(by, "_key", quoted=True, copy=False)]
        common, residuals = _split_filters(aggs)
        for a, residual in zip(aggs, residuals):
            cols.append(exp.alias_(self._agg_sql(a, residual), self.names[("agg", a)], quoted=True, copy=False))
        at_type = self._at_type(source)
        source = exp.alias_(self._source(ev.source), _E, table=True, copy=False)
        q = exp.select(*cols, copy=False).from_(source, copy=False)
        if any(self._uses_members(a) for a in aggs):
            ent = self.model.entity
            member_key = self.low.key(_col(self.names[("col", ent.key)], _P), self._type(ent.name, ent.key))
            q = q.join(_table(prev, _P), on=exp.EQ(this=by.copy(), expression=member_key), copy=False)
        cut = self._time_bound(_col(ev.at, _E), at_type, "<=", self.opt.as_of)
        if cut is None:
            cut = exp.LTE(this=self.low.as_date(_col(ev.at, _E), at_type), expression=self._as_of())
        conditions = [cut] + [_paren(self.expr(c)) for c in common]
        if all(residuals):
            # Every aggregate is filtered: rows that no aggregate counts need not be grouped.
            conditions.append(exp.Paren(this=exp.or_(*(self._conjunction(r) for r in residuals), copy=False)))
        return q.where(exp.and_(*conditions, copy=False), copy=False).group_by(by.copy(), copy=False)

    def _conjunction(self, items: tuple[m.Expr, ...]) -> exp.Expression:
        if len(items) == 1:
            return _paren(self.expr(items[0]))
        return exp.Paren(this=exp.and_(*(_paren(self.expr(i)) for i in items), copy=False))

    def _is_event_time(self, e: m.Expr) -> bool:
        """Whether an expression is the time column of an events source (only read inside its aggregates)."""
        return (isinstance(e, m.Column) and e.source is not None and e.source in self.model.events
                and self.model.events[e.source].at == e.name)

    def _at_type(self, source: str) -> T:
        """The type of an events source's time column: from the schema, else from the model's typed uses of it."""
        t = self._type(source, self.model.events[source].at)
        if t is not T.ANY:
            return t
        at = self.model.events[source].at
        for a in self.aggs:
            if a.source != source:
                continue
            for part in (a.arg, a.filter):
                for node in (m.walk(part) if part is not None else ()):
                    if isinstance(node, m.Column) and node.source == source and node.name == at:
                        if node.type is not T.ANY:
                            return node.type
        return T.ANY

    def _time_bound(self, x: exp.Expression, t: T, op: str, bound: dt.date | None) -> exp.Expression | None:
        """`date(x) op bound` as a comparison of the raw timestamp, or None where that is not known to be equal.

        `CAST(ts AS DATE) <= d` is `ts < TIMESTAMP 'd+1'` for a timestamp without a time zone (and for one
        with a zone where both sides are read in the session's zone): the comparison needs no cast per
        row and a Parquet reader can skip row groups by their statistics.
        """
        if t is not T.TIMESTAMP or bound is None or self.dialect not in _RAW_TIME_DIALECTS:
            return None
        try:
            day = dt.timedelta(days=1)
            edge = {"<=": bound + day, "<": bound, ">": bound + day, ">=": bound}[op]
        except OverflowError:
            return None
        literal_ = self.low.timestamp_literal(dt.datetime.combine(edge, dt.time()))
        return (exp.LT if op in ("<=", "<") else exp.GTE)(this=x, expression=literal_)

    def _uses_members(self, a: m.Agg) -> bool:
        for part in (a.arg, a.filter):
            if part is not None:
                for node in m.walk(part):
                    if isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef, m.CaseRef, m.ScoreRef)):
                        return True
                    if isinstance(node, m.Column) and node.source is None:
                        return True
        return False

    def _agg_sql(self, a: m.Agg, residual: tuple[m.Expr, ...] | None = None) -> exp.Expression:
        """An aggregate; `residual` is the part of its filter the WHERE clause does not already apply."""
        arg = self.expr(a.arg) if a.arg is not None else None
        if arg is not None:
            arg = self.low.aggregate_arg(a.func, arg, a.arg.type)
        if residual is None or (a.filter is not None and residual == _conjuncts(a.filter)):
            cond = self.expr(a.filter) if a.filter is not None else None
        else:
            cond = self._conjunction(residual) if residual else None
        use_filter = self.low.filter_clause and self.dialect not in _CASE_AGGREGATE_DIALECTS
        if cond is not None and a.func == "count" and arg is None and self.dialect in _CASE_AGGREGATE_DIALECTS:
            # The rows where cond is true: COUNT_IF is a tenth faster than COUNT(CASE WHEN cond THEN 1 END).
            return self.low.aggregate_result(a.func, exp.CountIf(this=cond), T.ANY)
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
        return self.low.aggregate_result(a.func, agg, a.arg.type if a.arg is not None else T.ANY)

    def _shared_ntile(self, e: m.Expr, n: int, descending: bool, column: str) -> exp.Expression:
        """An NTILE, or the column of an earlier layer that holds the same one.

        Each window is a sort of the whole population: `quantile(revenue, 5)`
        and the monetary score of `rfm(…, monetary: revenue)` are one window.
        """
        key = (e, n, descending)
        earlier = self.ntiles.get(key)
        if earlier is not None and earlier[0] < self._level:
            return _col(earlier[1], _P)
        if earlier is None:
            self.ntiles[key] = (self._level, column)
        return self._ntile(e, n, descending)

    def _ntile(self, e: m.Expr, n: int, descending: bool) -> exp.Expression:
        x = self.expr(e)
        missing = exp.Is(this=x.copy(), expression=exp.Null())
        part = exp.Case(ifs=[exp.If(this=missing.copy(), true=exp.Literal.number(1))], default=exp.Literal.number(0))
        window = exp.Window(
            this=exp.Anonymous(this="NTILE", expressions=[exp.Literal.number(n)]),
            partition_by=[part],
            order=exp.Order(expressions=[exp.Ordered(this=x.copy(), desc=descending, nulls_first=False),
                                         exp.Ordered(this=self._key_order(), nulls_first=False)]),
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
            return self._shared_ntile(d.subject, d.n, False, self.names[("def", n)])
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
        key = self.low.key_text(_col(self.names[("col", self.model.entity.key)], _P))
        text = self.low.concat(self.low.text_literal(d.seed + ":"), key)
        bucket = self.low.hash_bucket(text)
        ifs = [exp.If(this=exp.LT(this=bucket.copy(), expression=exp.Literal.number(bound)),
                      true=exp.Literal.string(name)) for name, bound in d.bounds()[:-1]]
        split = exp.Case(ifs=ifs, default=exp.Literal.string(d.arms[-1][0]))
        return exp.Case(ifs=[exp.If(this=_col(self.names[("def", d.segment)], _P), true=split)])

    @staticmethod
    def _two_valued(x: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=x, expressions=[exp.false()])

    # ── expressions ─────────────────────────────────────────────────────────
    def expr(self, e: m.Expr) -> exp.Expression:
        return getattr(self, "_x_" + type(e).__name__)(e)

    def _x_Const(self, e: m.Const) -> exp.Expression:
        return self._at(e, lambda: self._literal(e.value))

    @staticmethod
    def _at(e: m.Expr, build: Callable[[], exp.Expression]) -> exp.Expression:
        """Build SQL for a node; a dialect's refusal (SEG311) points at the node in the .seg file."""
        try:
            return build()
        except SegError as exc:
            if e.span is not None:
                exc.diagnostics = [d if d.span is not None else type(d)(d.code, d.message, e.span, d.hint, d.severity)
                                   for d in exc.diagnostics]
            raise

    def _x_AsOf(self, e: m.AsOf) -> exp.Expression:
        return self._as_of()

    def _x_ParamRef(self, e: m.ParamRef) -> exp.Expression:
        return self._at(e, lambda: self._literal(self.params[e.name]))

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
            return self.low.divide(left, right)
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[e.op]
        return cls(this=left, expression=right)

    def _constant_date(self, e: m.Expr) -> dt.date | None:
        """Fold as_of arithmetic to a date when as_of is fixed at compile time."""
        if isinstance(e, m.AsOf):
            return None if self.opt.engine_dates else self.opt.as_of
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
            return self.low.date_literal(folded)
        amount, unit = (e.amount * 7, "day") if e.unit == "week" else (e.amount, e.unit)
        return self.low.shift(self.expr(e.operand), amount, unit, e.type)

    def _x_Compare(self, e: m.Compare) -> exp.Expression:
        return self.low.compare(e.op, self.expr(e.left), e.left.type, self.expr(e.right), e.right.type)

    def _x_And(self, e: m.And) -> exp.Expression:
        return exp.and_(*(_paren(self.expr(i)) for i in e.items), copy=False)

    def _x_Or(self, e: m.Or) -> exp.Expression:
        return exp.Paren(this=exp.or_(*(_paren(self.expr(i)) for i in e.items), copy=False))

    def _x_InList(self, e: m.InList) -> exp.Expression:
        x = self.low.in_list(self.expr(e.subject), e.subject.type, [(self.expr(i), i.type) for i in e.items])
        return exp.Not(this=x) if e.negated else x

    def _x_Between(self, e: m.Between) -> exp.Expression:
        subject = self.expr(e.subject)
        low, high = self.expr(e.low), self.expr(e.high)
        types = (e.subject.type, e.low.type, e.high.type)
        if e.by_date:
            subject = self.low.as_date(subject, self._time_type(e.subject))
            low, high = self.low.as_date(low, self._time_type(e.low)), self.low.as_date(high, self._time_type(e.high))
            types = (T.DATE, T.DATE, T.DATE)
        x = self.low.between(subject, types[0], low, types[1], high, types[2])
        return exp.Not(this=x) if e.negated else x

    def _x_IsMissing(self, e: m.IsMissing) -> exp.Expression:
        x = exp.Is(this=_paren(self.expr(e.subject)), expression=exp.Null())
        return exp.Not(this=x) if e.negated else x

    def _x_TextMatch(self, e: m.TextMatch) -> exp.Expression:
        subject, pattern = self.expr(e.subject), self.expr(e.pattern)
        if e.op == "like":
            x: exp.Expression = self.low.like(subject, pattern, self._constant_text(e.pattern))
        elif e.op == "contains":
            x = self.low.contains(subject, pattern)
        else:
            x = self.low.starts_with(subject, pattern)
        return exp.Not(this=exp.Paren(this=x)) if e.negated else x

    def _constant_text(self, e: m.Expr) -> str | None:
        """The text of a pattern known at compile time (a literal or a parameter)."""
        value = e.value if isinstance(e, m.Const) else self.params.get(e.name) if isinstance(e, m.ParamRef) else None
        return value if isinstance(value, str) else None

    def _key_order(self) -> exp.Expression:
        """The entity key as a tie-breaker in quantiles: text keys in code point order everywhere."""
        ent = self.model.entity
        return self.low.key(_col(self.names[("col", ent.key)], _P), self._type(ent.name, ent.key), ordering=True)

    def _x_DateWindow(self, e: m.DateWindow) -> exp.Expression:
        if e.subject.type is T.TIMESTAMP and self.dialect in _RAW_TIME_DIALECTS:
            low = self._constant_date(e.lower) if e.lower is not None else None
            high = self._constant_date(e.upper) if e.upper is not None else None
            if (e.lower is None or low is not None) and (e.upper is None or high is not None):
                if high is not None and self._is_event_time(e.subject) and self.opt.as_of is not None and (
                        high > self.opt.as_of or (high == self.opt.as_of and e.upper_inclusive)):
                    high = None  # every aggregation already keeps only events up to the end of the as_of day
                    if low is None:
                        return exp.true()
                raw = [self._time_bound(self.expr(e.subject), T.TIMESTAMP, op, bound) for op, bound in (
                    (">=" if e.lower_inclusive else ">", low), ("<=" if e.upper_inclusive else "<", high))
                    if bound is not None]
                if raw and all(r is not None for r in raw):
                    return exp.Paren(this=exp.and_(*raw, copy=False)) if len(raw) > 1 else raw[0]
        subject = self.low.as_date(self.expr(e.subject), self._time_type(e.subject))
        parts = []
        if e.lower is not None:
            low = self.low.as_date(self.expr(e.lower), self._time_type(e.lower))
            parts.append((exp.GTE if e.lower_inclusive else exp.GT)(this=subject.copy(), expression=low))
        if e.upper is not None:
            high = self.low.as_date(self.expr(e.upper), self._time_type(e.upper))
            parts.append((exp.LTE if e.upper_inclusive else exp.LT)(this=subject.copy(), expression=high))
        return exp.Paren(this=exp.and_(*parts, copy=False)) if len(parts) > 1 else parts[0]

    def _x_DaysBetween(self, e: m.DaysBetween) -> exp.Expression:
        a, b = self._constant_date(e.start), self._constant_date(e.end)
        if a is not None and b is not None:
            return _num((b - a).days)
        start = self.low.as_date(self.expr(e.start), self._time_type(e.start))
        end = self.low.as_date(self.expr(e.end), self._time_type(e.end))
        return self.low.days_between(start, end)

    def _x_YearsBetween(self, e: m.YearsBetween) -> exp.Expression:
        start = self.low.as_date(self.expr(e.start), self._time_type(e.start))
        end = self.low.as_date(self.expr(e.end), self._time_type(e.end))

        def part(unit: str, x: exp.Expression) -> exp.Expression:
            return self.low.date_part(unit, x.copy())

        def month_day(x: exp.Expression) -> exp.Expression:
            return exp.Add(this=exp.Mul(this=part("MONTH", x), expression=exp.Literal.number(100)),
                           expression=part("DAY", x))

        before = exp.Case(ifs=[exp.If(this=exp.LT(this=month_day(end), expression=month_day(start)),
                                      true=exp.Literal.number(1))], default=exp.Literal.number(0))
        return exp.Sub(this=exp.Sub(this=part("YEAR", end), expression=part("YEAR", start)), expression=before)

    def _x_MemberAgg(self, e: m.MemberAgg) -> exp.Expression:  # pragma: no cover - reports compile these
        raise AssertionError("member aggregates are compiled by reports")


def _conjuncts(e: m.Expr) -> tuple[m.Expr, ...]:
    """The parts of a condition joined by `and`, flattened."""
    if isinstance(e, m.And):
        return tuple(c for item in e.items for c in _conjuncts(item))
    return (e,)


def _split_filters(aggs: list[m.Agg]) -> tuple[tuple[m.Expr, ...], list[tuple[m.Expr, ...]]]:
    """The conditions every aggregate of a scan filters on, and what is left of each aggregate's filter.

    The common conditions go to the WHERE clause: an aggregate over no rows is
    the same as one whose FILTER matched no rows (count 0 after the layer's
    COALESCE, otherwise missing), so the results do not change.
    """
    parts = [_conjuncts(a.filter) if a.filter is not None else () for a in aggs]
    common = tuple(c for c in parts[0] if all(c in p for p in parts[1:])) if parts else ()
    return common, [tuple(c for c in p if c not in common) for p in parts]


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def hash_bucket(text: exp.Expression, dialect: str) -> exp.Expression:
    """A number 0…9999 from MD5(text): the first 8 hex digits, modulo 10000.

    Each dialect turns the digits into a number its own way (segdsl.dialects):
    a hex cast, CONV, a bit string, or plain arithmetic over STRPOS in a digit
    string; every one computes the same number.
    """
    return dl.lowering(dialect).hash_bucket(text)


def check_dialect(dialect: str) -> str:
    d = dialect.lower()
    if d not in SUPPORTED_DIALECTS:
        from .diagnostics import did_you_mean

        hint = did_you_mean(d, SUPPORTED_DIALECTS)
        listing = f"verified: {', '.join(dl.VERIFIED)}; generated: {', '.join(dl.GENERATED)}"
        raise error("SEG303", f"unknown dialect `{dialect}`", None,
                    f"{hint} dialects are {listing}" if hint else f"dialects are {listing}")
    return d


@contextlib.contextmanager
def _gc_paused():
    """Pause the cycle collector while a query is built or printed.

    A large model's query is tens of thousands of linked sqlglot nodes; the
    collector would walk all of them again on every few hundred allocations,
    which more than doubles the time to compile a model of 500 definitions.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def membership(model: m.Model, options: Options, outputs: list[str] | None = None) -> exp.Select:
    """The membership query: one row per member with the requested definitions."""
    with _gc_paused():
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
        cond: exp.Expression = _case_test(model, options.dialect, owner, case)
    else:
        cond = _col(owner)
    return exp.select(_col(key)).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))).where(cond)


def _case_test(model: m.Model, dialect: str, owner: str, case: str, table: str | None = None) -> exp.Expression:
    """`owner = 'case'` compared exactly; a quantile's cases are numbers."""
    d = model.definition(owner)
    if isinstance(d, m.Segmentation) and d.type is T.NUMBER:
        return exp.EQ(this=_col(owner, table), expression=exp.Literal.number(case))
    return dl.lowering(dialect).compare("=", _col(owner, table), T.TEXT, exp.Literal.string(case), T.TEXT)


def long_members(model: m.Model, options: Options, names: list[str] | None = None) -> exp.Select:
    """(key, segment) pairs, one row per member and segment it belongs to: the shape activation tools load.

    A segment appears as its name, a case of a segmentation or an arm of a
    holdout as `name.case`. The membership is computed once and unpivoted by
    a join with the list of names, so the model's sources are scanned once.
    """
    wanted = [n for n in (names or list(model.order)) if n in model.segments or n in model.segmentations
              or n in model.holdouts]
    if not wanted:
        raise error("SEG306", "the model has no segments to list", None, "define a segment or a segmentation")
    inner = membership(model, options, wanted)
    key = model.entity.key
    low = dl.lowering(options.dialect)
    names_q: exp.Expression | None = None
    for n in wanted:
        row = low.constant_row(exp.select(exp.alias_(exp.Literal.string(n), "name", quoted=True)))
        names_q = row if names_q is None else exp.union(names_q, row, distinct=False)
    ifs = []
    for n in wanted:
        is_n = low.compare("=", _col("name", "n"), T.TEXT, exp.Literal.string(n), T.TEXT)
        if n in model.segments:
            label: exp.Expression = exp.Case(ifs=[exp.If(this=_col(n, "m"), true=exp.Literal.string(n))])
        else:
            label = low.concat(exp.Literal.string(n + "."), exp.cast(_col(n, "m"), exp.DataType.build("TEXT")))
        ifs.append(exp.If(this=is_n, true=label))
    pairs = exp.select(exp.alias_(_col(key, "m"), key, quoted=True),
                       exp.alias_(exp.Case(ifs=ifs), "segment", quoted=True)).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))).join(
        exp.Subquery(this=names_q, alias=exp.TableAlias(this=exp.to_identifier("n"))), join_type="cross")
    return exp.select(_col(key, "l"), _col("segment", "l")).from_(
        exp.Subquery(this=pairs, alias=exp.TableAlias(this=exp.to_identifier("l")))).where(
        exp.Not(this=exp.Is(this=_col("segment", "l"), expression=exp.Null())))


def finish(query: exp.Expression, dialect: str, copy: bool = True) -> exp.Expression:
    """The query with the dialect's whole-query rules applied (settings, booleans, name checks).

    With copy=False the rules may change `query` itself: for a query built only to be printed.
    """
    return dl.lowering(dialect).finish(query.copy() if copy else query)


# Dialects whose printer rewrites every SELECT before printing it (sqlglot's transforms for UNNEST,
# EXPLODE, GENERATE_DATE_ARRAY, named windows, DISTINCT ON, semi and anti joins): each rewrite looks
# through the whole query, which is 40 % of the time to print a large model for Snowflake. A query
# without any of those constructs is left as it is by all of them, so it is printed without them.
_SELECT_REWRITES = {"snowflake"}
_REWRITTEN = tuple(t for t in (getattr(exp, n, None) for n in ("Unnest", "Explode", "GenerateDateArray", "Lateral"))
                   if t is not None)


def _select_rewrites_apply(query: exp.Expression) -> bool:
    for node in dl.nodes(query):
        if isinstance(node, _REWRITTEN):
            return True
        if isinstance(node, exp.Select) and node.args.get("windows"):
            return True
        if isinstance(node, exp.Distinct) and node.args.get("on"):
            return True
        if isinstance(node, exp.Join) and node.kind in ("SEMI", "ANTI"):
            return True
    return False


def _plain_select(generator, expression: exp.Select) -> str:
    return generator.select_sql(expression)


def _print(query: exp.Expression, dialect: str, pretty: bool) -> str:
    """sqlglot's text of a query, without the SELECT rewrites that cannot apply to it (see above)."""
    gen = sqlglot.Dialect.get_or_raise(dialect).generator(pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    if dialect in _SELECT_REWRITES and hasattr(gen, "_dispatch") and not _select_rewrites_apply(query):
        gen._dispatch = {**gen._dispatch, exp.Select: _plain_select}
    return gen.generate(query, copy=False)


def to_sql(query: exp.Expression, dialect: str, pretty: bool = True, copy: bool = True) -> str:
    """SQL text for a dialect; anything sqlglot would drop or approximate is a diagnostic (SEG311).

    copy=False saves a copy of the whole query when the caller has no further use for it.
    """
    try:
        with _gc_paused():
            return _print(finish(query, dialect, copy), dialect, pretty)
    except sqlglot.errors.UnsupportedError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "not supported"
        raise dl.unsupported("this model", dialect, reason) from None


__all__ = ["Options", "membership", "segment_members", "long_members", "to_sql", "finish", "literal",
           "source_table", "check_dialect", "SUPPORTED_DIALECTS", "hash_bucket"]
