"""Writer: a plan (segdsl.sql.planner) as one SELECT with CTEs, the shape of the membership query.

* `population`: the entity rows that exist at as_of (the `since` cut), with
  only the columns the model reads.
* one grouped aggregation per events source and stage (`agg_<stage>_<src>`):
  every aggregate of a source is a conditional aggregate in one GROUP BY, so
  a source is scanned once whatever the number of features. Conditions every
  aggregate of the scan shares filter its rows. A second-stage aggregation
  joins the member values it reads from the previous layer.
* layers (`layer_<n>`): each adds the aggregates of its stage (count-like
  ones coalesced to 0) and the definitions the plan puts there, so each
  feature is computed once and the SQL stays readable.
* the final SELECT names the key and every requested definition.

Expressions are written by segdsl.sql.expressions.
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ..semantic import model as m
from ..semantic.model import T
from . import dialects as dl
from .aggregates import conjuncts, exact_aggregate, split_filters
from .dialects.base import num
from .expressions import E, P, ExpressionCompiler, col, cte, paren
from .options import Options, OutputColumn
from .planner import Layer, Plan
from .traits import Picker, is_picked, share


class Writer:
    """Writes the membership query of a plan for the options' dialect."""

    def __init__(self, plan: Plan, options: Options):
        self.plan = plan
        self.model = plan.model
        self.opt = options
        self.x = ExpressionCompiler(plan, options)
        self.low = self.x.low

    def query(self, upto: int | None = None, skip: frozenset[str] = frozenset()) -> exp.Select:
        """The membership query; with `upto`, the CTEs up to that layer and every column of that layer but
        the definitions in `skip` (what `Options.resume` starts from)."""
        ent = self.model.entity
        key = ent.key
        columns = self.plan.columns
        cte_name = self._cte_namer()
        resume = self.opt.resume
        self._predict_inputs: dict[tuple[str, str], str] = {}  # (prediction, role) → column (`_source`)
        self._held: str | None = None  # the CTE of the held members, when the query resumes from them
        if resume is not None:
            prev = self._held = cte_name(f"held_{resume.layer}")
            ctes: list[tuple[str, exp.Expression]] = [
                (prev, exp.select(exp.Star(), copy=False).from_(resume.relation.copy(), copy=False))]
            if resume.deferred:
                source = self._source(prev, resume.deferred, resume.layer)
                deferred = [exp.alias_(self._definition(n, resume.layer), columns.definition(n), quoted=True,
                                       copy=False) for n in resume.deferred]
                q = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(P)), *deferred, copy=False)
                ctes.append((cte_name(f"layer_{resume.layer}"), q.from_(source, copy=False)))
                prev = ctes[-1][0]
        else:
            ctes = [(cte_name("population"), self._population())]
            prev = ctes[0][0]
        for layer in self.plan.layers:
            if resume is not None and layer.index <= resume.layer:
                continue
            if upto is not None and layer.index > upto:
                break
            prev = self._layer(layer, prev, cte_name, ctes, skip)
        if upto is not None:
            final = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(P)), copy=False)
        else:
            final = exp.select(
                exp.alias_(col(columns.entity(key), P), key, quoted=True, copy=False),
                *[exp.alias_(col(columns.definition(n), P), n, quoted=True, copy=False) for n in self.plan.outputs],
                *self._score_outputs(), copy=False,
            )
        final = final.from_(cte(prev, P), copy=False)
        for name, body in ctes:
            final = final.with_(exp.to_identifier(name, quoted=True), as_=body, copy=False)
        return final

    def _population(self) -> exp.Select:
        """The entity rows that exist at as_of, with the columns the model reads."""
        ent = self.model.entity
        src = self.x.source(ent.source)
        pop_cols = [exp.alias_(self.low.read(col(c, E), self.x.type_of(ent.name, c)), self.plan.columns.entity(c),
                               quoted=True, copy=False) for c in self.plan.entity_columns]
        pop = exp.select(*pop_cols, copy=False).from_(exp.alias_(src, E, table=True, copy=False), copy=False)
        if ent.since:
            since_type = self.x.type_of(ent.name, ent.since)
            since = col(ent.since, E)
            since_date = self.low.as_date(self.low.read(since.copy(), since_type), since_type)
            pop = pop.where(exp.or_(exp.Is(this=since, expression=exp.Null()),
                                    exp.LTE(this=since_date, expression=self.x.as_of()), copy=False), copy=False)
        return pop

    def _layer(self, layer: Layer, prev: str, cte_name: Callable[[str], str],
               ctes: list[tuple[str, exp.Expression]], skip: frozenset[str] = frozenset()) -> str:
        """Append the CTEs of one layer (its aggregations, then the layer, without the definitions in
        `skip`) to `ctes`; the layer's name."""
        columns = self.plan.columns
        key = self.model.entity.key
        joins = []
        select = [exp.Column(this=exp.Star(), table=exp.to_identifier(P))]
        for source, all_aggs in layer.aggregations.items():
            aggs = [a for a in all_aggs if not is_picked(a)]
            for i, a in enumerate(a for a in all_aggs if is_picked(a)):  # one CTE each (segdsl.sql.traits)
                name = cte_name(f"pick_{layer.index}_{source}_{i + 1}")
                ctes.append((name, Picker(self).query(a, prev)))
                joins.append((name, f"t_{source}_{i + 1}"))
                select.append(exp.alias_(col(columns.aggregate(a), f"t_{source}_{i + 1}"), columns.aggregate(a),
                                         quoted=True, copy=False))
            if not aggs:
                continue
            name = cte_name(f"agg_{layer.index}_{source}")
            alias = f"a_{source}"
            ctes.append((name, self._aggregation(source, aggs, prev)))
            joins.append((name, alias))
            for a in aggs:
                column = col(columns.aggregate(a), alias)
                value = exp.Coalesce(this=column, expressions=[exp.Literal.number(0)]) if a.func in (
                    "count", "count_distinct") else column
                select.append(exp.alias_(value, columns.aggregate(a), quoted=True, copy=False))
        source = self._source(prev, [c.name for c in layer.computed if c.name not in skip], layer.index)
        for c in layer.computed:
            if c.name in skip:
                continue
            if c.scores:
                select += self._scores(c.name, layer.index)
            else:
                select.append(exp.alias_(self._definition(c.name, layer.index), columns.definition(c.name),
                                         quoted=True, copy=False))
        q = exp.select(*select, copy=False).from_(source, copy=False)
        for name, alias in joins:
            key_type = self.x.type_of(self.model.entity.name, key)
            member_key = self.low.key(col(columns.entity(key), P), key_type)
            on = exp.EQ(this=member_key, expression=col("_key", alias))
            probe = self.low.key_probe(col(columns.entity(key), P), key_type)
            if probe is not None:
                on = exp.and_(exp.EQ(this=probe, expression=col("_probe", alias)), on, copy=False)
            q = q.join(cte(name, alias), on=on, join_type="left", copy=False)
        name = cte_name(f"layer_{layer.index}")
        ctes.append((name, q))
        return name

    def _source(self, prev: str, names: list[str], layer: int) -> exp.Expression:
        """What a layer computing the definitions `names` reads: the previous layer, or, when it computes
        parts of a prediction, a derived table over it that adds their inputs as columns
        (segdsl.predict.compile.inputs), which the expression compiler then reads for those parts.

        When the query resumes from held members (a table: reading it again costs little), a part's
        ₂F₁ is computed once per distinct (x, T) of the held members and joined back
        (segdsl.predict.compile.pair_table): at 1 M members 0.45 s less."""
        from ..predict.compile import inputs, pair_horizon, pair_table

        held = self._predict_inputs  # those of earlier layers are columns of `prev` too
        added = []
        pairs: dict[str, tuple[m.Predict, dict[float, str]]] = {}  # prediction → (a part, horizon → column)
        for n in names:
            d = self.model.definition(n)
            if not (isinstance(d, m.Feature) and isinstance(d.expr, m.Predict)):
                continue
            roles = inputs(d.expr, self.x.expr)
            horizon = pair_horizon(d.expr, self.x.expr) if self._held is not None else None
            for role, e in [*roles.items(), *([(f"g@{horizon!r}", None)] if horizon is not None else [])]:
                key = (d.expr.prediction, role)
                if key not in held:
                    held[key] = self.plan.columns.allocate(("predict", layer, *key),
                                                           f"_{key[0]}_{role.partition('@')[0]}")
                    if e is None:
                        pairs.setdefault(key[0], (d.expr, {}))[1][horizon] = held[key]
                        e = col(held[key], f"_pairs_{list(pairs).index(key[0]) + 1}")
                    added.append(exp.alias_(e, held[key], quoted=True, copy=False))
        self.x.predict_inputs = held
        if not added:
            return cte(prev, P)
        inner = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(P)), *added, copy=False)
        inner = inner.from_(cte(prev, P), copy=False)
        for i, (node, horizons) in enumerate(pairs.values()):
            assert self._held is not None
            table, on = pair_table(node, horizons, self.x.expr, cte(self._held, P), P, f"_pairs_{i + 1}")
            inner = inner.join(table, on=on, join_type="left", copy=False)
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(P)))

    def _cte_namer(self) -> Callable[[str], str]:
        """Names for the query's CTEs that no source table of the model has: a CTE named like a table
        would be read in its place (an events table called `population` would count members)."""
        tables = set()
        for source in [self.model.entity.source] + [ev.source for ev in self.model.events.values()]:
            t = self.x.source(source)
            if isinstance(t, exp.Table) and not t.args.get("db") and isinstance(t.this, exp.Identifier):
                tables.add(t.name.casefold())

        def name(wanted: str) -> str:
            while wanted.casefold() in tables:
                wanted += "_"
            return wanted

        return name

    def _scores(self, name: str, layer: int) -> list[exp.Expression]:
        """The three scores of an RFM segmentation, each a quintile (or an earlier layer's same window)."""
        d = self.model.definition(name)
        assert isinstance(d, m.RfmSegmentation)
        out = []
        for score, e, descending in d.scored():
            column = self.plan.columns.score(name, score)
            out.append(exp.alias_(self._ntile(e, 5, descending, layer), column, quoted=True, copy=False))
        return out

    def output_columns(self) -> list[OutputColumn]:
        """The columns of the final SELECT, in order, with their language types."""
        ent = self.model.entity
        key_type = self.x.type_of(ent.name, ent.key)
        out = [OutputColumn(ent.key, key_type, key_type is T.NUMBER)]
        for n in self.plan.outputs:
            d = self.model.definition(n)
            if isinstance(d, m.Feature):
                out.append(OutputColumn(n, d.type if d.type is not T.ANY else self._column_type(d.expr),
                                        integral(d.expr, self.model)))
            elif isinstance(d, m.Segment):
                out.append(OutputColumn(n, T.BOOL))
            elif isinstance(d, m.Holdout):
                out.append(OutputColumn(n, T.TEXT))
            else:
                out.append(OutputColumn(n, d.type, d.type is T.NUMBER))
        for n in self.plan.outputs:
            d = self.model.definition(n)
            if isinstance(d, m.RfmSegmentation):
                out += [OutputColumn(self.plan.columns.score(n, s), T.NUMBER, True) for s in d.SCORES]
        return out

    def _column_type(self, e: m.Expr) -> T:
        """The type of a feature that is a bare column, from the schema when the model could not tell."""
        if isinstance(e, m.Column) and e.source is None:
            return self.x.type_of(self.model.entity.name, e.name)
        return T.ANY

    def _score_outputs(self) -> list[exp.Expression]:
        out = []
        for n in self.plan.outputs:
            d = self.model.definition(n)
            if isinstance(d, m.RfmSegmentation):
                for score in d.SCORES:
                    name = self.plan.columns.score(n, score)
                    out.append(exp.alias_(col(name, P), name, quoted=True, copy=False))
        return out

    def _aggregation(self, source: str, aggs: list[m.Agg], prev: str) -> exp.Select:
        ev = self.model.events[source]
        by_type = self.x.type_of(source, ev.by)
        by = self.low.key(col(ev.by, E), by_type)
        probe = self.low.key_probe(col(ev.by, E), by_type)
        cols = [exp.alias_(by, "_key", quoted=True, copy=False)]
        if probe is not None:
            cols.append(exp.alias_(probe, "_probe", quoted=True, copy=False))
        common, residuals = split_filters(aggs)
        for a, residual in zip(aggs, residuals):
            cols.append(exp.alias_(self._agg_sql(a, residual), self.plan.columns.aggregate(a), quoted=True, copy=False))
        q = exp.select(*cols, copy=False).from_(exp.alias_(self.x.source(ev.source), E, table=True, copy=False),
                                                copy=False)
        conditions = [self.cut(source)] + [paren(self.x.expr(c)) for c in common]
        if all(residuals):
            # Every aggregate is filtered: rows that no aggregate counts need not be grouped.
            conditions.append(exp.Paren(this=exp.or_(*(self.x.conjunction(r) for r in residuals), copy=False)))
        q = q.where(exp.and_(*conditions, copy=False), copy=False)
        if any(self.plan.reads_members(a) for a in aggs):
            on = exp.EQ(this=by.copy(), expression=col("_member", P))
            if probe is not None:
                on = exp.and_(exp.EQ(this=probe.copy(), expression=col("_probe", P)), on, copy=False)
            q = q.join(self.member_values(q, prev), on=on, copy=False)
        # the probe, a form of the key that the exact key determines, adds no group
        return q.group_by(by.copy(), *([probe.copy()] if probe is not None else []), copy=False)

    def totals(self, source: str, aggs: list[m.Agg]) -> exp.Select:
        """The aggregates over every event of a source up to as_of, ungrouped: one row (columns `_t0`, `_t1`, …)."""
        cols = [exp.alias_(self._agg_sql(a), f"_t{i}", quoted=True, copy=False) for i, a in enumerate(aggs)]
        src = exp.alias_(self.x.source(self.model.events[source].source), E, table=True, copy=False)
        return exp.select(*cols, copy=False).from_(src, copy=False).where(self.cut(source), copy=False)

    def _of_time(self, a: m.Agg) -> bool:
        """Whether an aggregate's value is derived from its events' time (a day, a timestamp)."""
        at = self.model.events[a.source].at
        return a.arg is not None and any(isinstance(e, m.Column) and e.source == a.source and e.name == at
                                         for e in m.walk(a.arg))

    def cut(self, source: str) -> exp.Expression:
        """The point-in-time cut of an events source: no event after the as_of day (nor without a time)."""
        at, at_type = col(self.model.events[source].at, E), self.at_type(source)
        cut = self.x.time_bound(at, at_type, "<=", self.opt.as_of)
        if cut is None:
            cut = exp.LTE(this=self.low.as_date(self.low.read(at.copy(), at_type), at_type), expression=self.x.as_of())
        return cut

    def member_values(self, aggregation: exp.Select, prev: str) -> exp.Expression:
        """The member values a second-stage aggregation reads, as a derived table of their own.

        Only the key (as the dialect joins it) and the columns the aggregates
        read, and DISTINCT: a table no engine can merge back into the scan of
        the events, so each joins it by hash or by a key on it. MariaDB merges
        a plain layer into the query and then joins the unindexed entity table
        to the events by nested loops (members × events comparisons); here it
        builds a key on the derived table instead.
        """
        ent = self.model.entity
        key_type = self.x.type_of(ent.name, ent.key)
        member_key = self.low.key(col(self.plan.columns.entity(ent.key), P), key_type)
        probe = self.low.key_probe(col(self.plan.columns.entity(ent.key), P), key_type)
        used = sorted({c.name for c in dl.nodes(aggregation, exp.Column) if c.table == P})
        values = exp.select(exp.alias_(member_key, "_member", quoted=True, copy=False),
                            *([exp.alias_(probe, "_probe", quoted=True, copy=False)] if probe is not None else []),
                            *(col(c, P) for c in used), copy=False).distinct(copy=False)
        values = values.from_(cte(prev, P), copy=False)
        return exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier(P)))

    def at_type(self, source: str) -> T:
        """The type of an events source's time column: from the schema, else from the model's typed uses of it."""
        t = self.x.type_of(source, self.model.events[source].at)
        if t is not T.ANY:
            return t
        at = self.model.events[source].at
        for a in self.plan.stages:
            if a.source != source:
                continue
            for part in (a.arg, a.filter, a.part):
                for node in (m.walk(part) if part is not None else ()):
                    if isinstance(node, m.Column) and node.source == source and node.name == at:
                        if node.type is not T.ANY:
                            return node.type
        return T.ANY

    def _agg_sql(self, a: m.Agg, residual: tuple[m.Expr, ...] | None = None) -> exp.Expression:
        """An aggregate; `residual` is the part of its filter the WHERE clause does not already apply."""
        arg = self.x.expr(a.arg) if a.arg is not None else None
        if residual is None or (a.filter is not None and residual == conjuncts(a.filter)):
            cond = self.x.expr(a.filter) if a.filter is not None else None
        else:
            cond = self.x.conjunction(residual) if residual else None
        if a.func in ("sum", "avg"):
            return self._exact_mean(a.func, arg, cond)
        if a.func == "share":
            assert a.part is not None
            return share(self.low, arg, cond, self.x.expr(a.part), self.low.filter_clause and not self.low.case_aggregates)
        if arg is not None:
            arg = self.low.aggregate_arg(a.func, arg, a.arg.type)
        use_filter = self.low.filter_clause and not self.low.case_aggregates
        if cond is not None and a.func == "count" and arg is None and self.low.case_aggregates:
            # The rows where cond is true: COUNT_IF is a tenth faster than COUNT(CASE WHEN cond THEN 1 END).
            return self.low.aggregate_result(a.func, exp.CountIf(this=cond), T.ANY)
        if cond is not None and not use_filter:
            arg = exp.Case(ifs=[exp.If(this=cond, true=arg if arg is not None else exp.Literal.number(1))])
        func = a.func
        if func == "count":
            inner = arg if arg is not None else exp.Star()
            agg: exp.Expression = exp.Count(this=inner)
        elif func == "count_distinct":
            days = isinstance(a.arg, m.DaysBetween) and isinstance(a.arg.end, m.AsOf)
            agg = self.low.distinct_count(arg, self._of_time(a), self.opt.day_bits if days else 0)
        else:  # min, max (sum and avg are exact_aggregate's)
            agg = self.low.min_max(func, arg, a.arg.type)
        if cond is not None and use_filter:
            agg = exp.Filter(this=agg, expression=exp.Where(this=cond))
        return self.low.aggregate_result(a.func, agg, a.arg.type if a.arg is not None else T.ANY)

    def _exact_mean(self, func: str, arg: exp.Expression, cond: exp.Expression | None) -> exp.Expression:
        """sum and avg, exact whatever the order the engine adds the rows in (see `exact_aggregate`)."""
        filtered = self.low.filter_clause and not self.low.case_aggregates
        return exact_aggregate(self.low, func, arg, cond, filtered)

    def _ntile(self, e: m.Expr, n: int, descending: bool, layer: int) -> exp.Expression:
        """NTILE(n) of the members with a value, or the column of an earlier layer that holds the same one.

        Each window is a sort of the whole population: `quantile(revenue, 5)`
        and the monetary score of `rfm(…, monetary: revenue)` are one window.
        """
        earlier = self.plan.shared_window((e, n, descending), layer)
        if earlier is not None:
            return col(earlier, P)
        x = self.x.expr(e)
        missing = exp.Is(this=x.copy(), expression=exp.Null())
        part = exp.Case(ifs=[exp.If(this=missing.copy(), true=exp.Literal.number(1))], default=exp.Literal.number(0))
        window = exp.Window(
            this=exp.Anonymous(this="NTILE", expressions=[exp.Literal.number(n)]),
            partition_by=[part],
            order=exp.Order(expressions=[exp.Ordered(this=x.copy(), desc=descending, nulls_first=False),
                                         exp.Ordered(this=self.x.key_order(), nulls_first=False)]),
        )
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=window)

    def _definition(self, n: str, layer: int) -> exp.Expression:
        d = self.model.definition(n)
        if isinstance(d, m.Feature):
            return self.x.expr(d.expr)
        if isinstance(d, m.Segment):
            return self.x.two_valued(self.x.expr(d.expr))
        if isinstance(d, m.Holdout):
            return self._holdout(d)
        if isinstance(d, m.CaseSegmentation):
            ifs = [exp.If(this=self.x.expr(c), true=exp.Literal.string(name)) for name, c in d.cases]
            default = exp.Literal.string(d.else_case) if d.else_case else None
            return exp.Case(ifs=ifs, default=default)
        if isinstance(d, m.BucketSegmentation):
            x = self.x.expr(d.subject)
            labels = d.labels
            ifs = [exp.If(this=exp.Is(this=x.copy(), expression=exp.Null()), true=exp.Null())]
            for edge, label in zip(d.edges, labels):
                ifs.append(exp.If(this=exp.LT(this=x.copy(), expression=num(_plain(edge))),
                                  true=exp.Literal.string(label)))
            return exp.Case(ifs=ifs, default=exp.Literal.string(labels[-1]))
        if isinstance(d, m.QuantileSegmentation):
            return self._ntile(d.subject, d.n, False, layer)
        assert isinstance(d, m.RfmSegmentation)
        return self._rfm_label(n)

    def _rfm_label(self, n: str) -> exp.Expression:
        r, f, mo = (col(self.plan.columns.score(n, s), P) for s in m.RfmSegmentation.SCORES)
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
        key = self.low.key_text(col(self.plan.columns.entity(self.model.entity.key), P))
        text = self.low.concat(self.low.text_literal(d.seed + ":"), key)
        bucket = self.low.hash_bucket(text)
        ifs = [exp.If(this=exp.LT(this=bucket.copy(), expression=exp.Literal.number(bound)),
                      true=exp.Literal.string(name)) for name, bound in d.bounds()[:-1]]
        split = exp.Case(ifs=ifs, default=exp.Literal.string(d.arms[-1][0]))
        return exp.Case(ifs=[exp.If(this=col(self.plan.columns.definition(d.segment), P), true=split)])


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def integral(e: m.Expr, model: m.CheckedModel) -> bool:
    """Whether an expression's values are whole numbers whatever the data (a count, a number of days)."""
    if isinstance(e, m.Const):
        return isinstance(e.value, int) and not isinstance(e.value, bool)
    if isinstance(e, m.ParamRef):
        p = model.params.get(e.name)
        return p is not None and isinstance(p.value, int) and not isinstance(p.value, bool)
    if isinstance(e, m.Agg):
        return e.func in ("count", "count_distinct") or (e.func in ("min", "max") and e.arg is not None
                                                          and integral(e.arg, model))
    if isinstance(e, m.Arith):
        return e.op != "/" and integral(e.left, model) and integral(e.right, model)
    if isinstance(e, m.Neg):
        return integral(e.operand, model)
    if isinstance(e, (m.DaysBetween, m.YearsBetween, m.ScoreRef)):
        return True
    if isinstance(e, m.FeatureRef):
        f = model.features.get(e.name)
        return f is not None and integral(f.expr, model)
    if isinstance(e, m.SegmentationRef):
        return e.type is T.NUMBER
    return False
