"""Compile: the checked model → the membership query of a dialect, and the queries built on it.

The stages: `planner` decides the shape (stages, layers, column names,
shared windows), `writer` writes the plan as CTEs, `expressions` writes each
expression for the dialect, `dialects` knows what differs between engines.
This module puts them together: the membership query (`membership`), the
keys of one segment, the (key, segment) pairs of `--long`, the sizes `run`
prints, and the text of a query (`to_sql`), where whatever sqlglot would
drop or approximate is a diagnostic (SEG311).
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from ..lang.diagnostics import did_you_mean, error, reason
from ..semantic import model as m
from ..semantic.model import T
from . import dialects as dl
from .aggregates import count_where
from .expressions import col
from .options import Options, OutputColumn, Resume
from .planner import plan
from .writer import Writer


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


def membership(model: m.CheckedModel, options: Options, outputs: list[str] | None = None) -> exp.Select:
    """The membership query: one row per member with the requested definitions."""
    return membership_with_columns(model, options, outputs)[0]


def membership_with_columns(model: m.CheckedModel, options: Options, outputs: list[str] | None = None
                    ) -> tuple[exp.Select, list[OutputColumn]]:
    """The membership query and its columns (name, language type, whole numbers or not)."""
    with _gc_paused():
        writer = Writer(plan(model, list(model.order) if outputs is None else outputs), options)
        return writer.query(), writer.output_columns()


@dataclass(frozen=True)
class Prefix:
    """The first layers of a membership query, to compute and hold before the rest (`membership_prefix`)."""

    query: exp.Select  # every column of its last layer
    layer: int
    deferred: tuple[str, ...]  # definitions of its last layer left to the rest of the query
    columns: dict[str, str]  # the column of each definition it computes

    def resume(self, relation: exp.Expression) -> Resume:
        """The options' `resume` that starts the membership query from the prefix's result `relation`."""
        return Resume(self.layer, relation, self.deferred)


def membership_prefix(model: m.CheckedModel, options: Options, outputs: list[str] | None, first: set[str],
                      later: set[str]) -> Prefix | None:
    """The membership query (for `outputs`) up to the layer that computes the last of the definitions
    `first`, without the definitions `later`, which the rest of the query computes.

    None when the query needs none of `first`, or a definition up to that layer uses one of `later` or
    one of `later` belongs to an earlier layer (the rest of the query could not start from it).
    """
    with _gc_paused():
        p = plan(model, list(model.order) if outputs is None else outputs)
        if not first <= set(p.levels):
            return None
        layer = max(p.levels[n] for n in first)
        held = {n for n, level in p.levels.items() if level <= layer and n not in later}
        if any(p.levels[n] < layer for n in later if n in p.levels) or any(model.closure([n]) & later
                                                                           for n in held):
            return None
        deferred = tuple(c.name for c in p.layers[layer].computed if c.name in later)
        query = Writer(p, options).query(upto=layer, skip=frozenset(later))
        return Prefix(query, layer, deferred, {n: p.columns.definition(n) for n in held})


def events_totals(model: m.CheckedModel, options: Options, source: str, aggs: list[m.Agg]) -> exp.Select:
    """One row of ungrouped aggregates over the events of `source` up to as_of (columns `_t0`, `_t1`, …),
    written as the membership query writes them: exact sums, the same point-in-time cut."""
    with _gc_paused():
        return Writer(plan(model, []), options).totals(source, aggs)


def summary_query(tally: "SizesLayout", dialect: str, relation: exp.Expression) -> exp.Select:
    """One aggregate query for the sizes `run` prints: members, each segment, each case and members without one.

    The columns are in the order `engines.arrow.Tally.add_summary` reads them.
    Computed by the engine over the membership (or a file of it), so no member
    reaches Python.
    """
    low = dl.get(dialect)
    columns = [count_where(low)]
    columns += [count_where(low, col(f)) for f in tally.flags]
    for name, labels in tally.labels.items():
        for label in labels:
            if name in tally.numeric:
                test: exp.Expression = exp.EQ(this=col(name), expression=exp.Literal.number(label))
            else:
                test = low.compare("=", col(name), T.TEXT, low.text_literal(label), T.TEXT)
            columns.append(count_where(low, test))
        columns.append(count_where(low, exp.Is(this=col(name), expression=exp.Null())))
    return exp.select(*columns).from_(relation)


class SizesLayout:
    """What `summary_query` counts (implemented by engines.arrow.Tally)."""

    flags: list[str]
    labels: dict[str, list[str]]
    numeric: set[str]


def segment_members(model: m.CheckedModel, options: Options, segment: str) -> exp.Select:
    """Keys of the members of one segment (or a case: `lifecycle.new`)."""
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
        cond = col(owner)
    return exp.select(col(key)).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))).where(cond)


def _case_test(model: m.CheckedModel, dialect: str, owner: str, case: str, table: str | None = None) -> exp.Expression:
    """`owner = 'case'` compared exactly; a quantile's cases are numbers."""
    d = model.definition(owner)
    if isinstance(d, m.Segmentation) and d.type is T.NUMBER:
        return exp.EQ(this=col(owner, table), expression=exp.Literal.number(case))
    return dl.get(dialect).compare("=", col(owner, table), T.TEXT, exp.Literal.string(case), T.TEXT)


def long_members(model: m.CheckedModel, options: Options, names: list[str] | None = None) -> exp.Select:
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
    low = dl.get(options.dialect)
    names_q: exp.Expression | None = None
    for n in wanted:
        row = low.constant_row(exp.select(exp.alias_(exp.Literal.string(n), "name", quoted=True)))
        names_q = row if names_q is None else exp.union(names_q, row, distinct=False)
    ifs = []
    for n in wanted:
        is_n = low.compare("=", col("name", "n"), T.TEXT, exp.Literal.string(n), T.TEXT)
        if n in model.segments:
            label: exp.Expression = exp.Case(ifs=[exp.If(this=col(n, "m"), true=exp.Literal.string(n))])
        else:
            label = low.concat(exp.Literal.string(n + "."), exp.cast(col(n, "m"), exp.DataType.build("TEXT")))
        ifs.append(exp.If(this=is_n, true=label))
    pairs = exp.select(exp.alias_(col(key, "m"), key, quoted=True),
                       exp.alias_(exp.Case(ifs=ifs), "segment", quoted=True)).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))).join(
        exp.Subquery(this=names_q, alias=exp.TableAlias(this=exp.to_identifier("n"))), join_type="cross")
    return exp.select(col(key, "l"), col("segment", "l")).from_(
        exp.Subquery(this=pairs, alias=exp.TableAlias(this=exp.to_identifier("l")))).where(
        exp.Not(this=exp.Is(this=col("segment", "l"), expression=exp.Null())))


def in_key_order(query: exp.Select, dialect: str, key: str, key_type: T) -> exp.Select:
    """The membership ordered by its key (text in code point order on every engine), for CSV files:
    the same model and data give the same bytes whichever engine computed them."""
    members = exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=exp.to_identifier("members")))
    ordered = dl.get(dialect).key(col(key, "members"), key_type, ordering=True)
    return exp.select(exp.Star()).from_(members).order_by(exp.Ordered(this=ordered, nulls_first=False))


def finish(query: exp.Expression, dialect: str, copy: bool = True) -> exp.Expression:
    """The query with the dialect's whole-query rules applied (settings, booleans, name checks).

    With copy=False the rules may change `query` itself: for a query built only to be printed.
    """
    return dl.get(dialect).finish(query.copy() if copy else query)


def to_sql(query: exp.Expression, dialect: str, pretty: bool = True, copy: bool = True) -> str:
    """SQL text for a dialect; anything sqlglot would drop or approximate is a diagnostic (SEG311).

    copy=False saves a copy of the whole query when the caller has no further use for it.
    """
    try:
        with _gc_paused():
            return dl.get(dialect).printer(pretty).generate(finish(query, dialect, copy), copy=False)
    except sqlglot.errors.UnsupportedError as exc:
        raise dl.unsupported("this model", dialect, reason(exc, "not supported")) from None


__all__ = ["events_totals", "in_key_order", "membership", "membership_prefix", "membership_with_columns",
           "segment_members", "long_members", "summary_query", "to_sql", "finish"]
