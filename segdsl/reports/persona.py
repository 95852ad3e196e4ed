"""The persona report: each case of a segmentation (or the members of a segment) as a card.

A card says who the members of a case are: how many (size and share of all
members), what they are worth (the first measure: value, share of value,
per member and its index against all members), what sets them apart (the
categories and answers most over-represented among them, by index: their
share in the case over their share of all members, times 100), their
typical numbers (medians next to those of all members), their most common
values of each descriptive column of the entity (cities, devices, …) and
their mix of RFM groups.

As every report, the figures come from the engine: one grouped query per
dimension (case × value → members), one for the sizes and measures, and
the medians; Python only divides. A dimension is a segmentation, a
holdout, a segment (its members), a text or true/false column of the
entity, or a text or true/false feature (a survey answer, a favourite
category) with at most MAX_VALUES values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ..semantic import model as m
from ..sql.aggregates import count_where
from .compute import (NONE_LABEL, Bars, Measure, ReportQueries, ReportResult, Table, _dim, _label, _labelled, _q,
                      _share, _values, medians, written)

MAX_VALUES = 30  # a descriptive column or feature with more values is not a category
MIN_SHARE = 0.05  # a trait held by fewer members of the case says little about it
TOP_TRAITS = 8
TOP_COMMON = 3


@dataclass
class Card:
    """One case of a persona report: its own tables and charts, shown together."""

    title: str
    blocks: list[Table | Bars] = field(default_factory=list)


def dimensions(engine: ReportQueries, ir: m.CheckedModel, subject: str, categorical: list[str]) -> list[str]:
    """What a persona is described by: every grouping of the model but the subject, and the categories."""
    low = engine.low
    holdouts = [h for h, d in ir.holdouts.items() if h != subject and d.segment != subject]
    named = [x for x in list(ir.segmentations) + holdouts + list(ir.segments) if x != subject]
    features = [n for n, f in ir.features.items() if not n.startswith("_") and f.type in (m.T.TEXT, m.T.BOOL)]
    if features:
        counts = engine.rows(exp.select(*[exp.Count(this=exp.Distinct(expressions=[
            low.aggregate_arg("count_distinct", _q(n), ir.features[n].type)])) for n in features]
        ).from_(engine.source()))[0]
        features = [n for n, c in zip(features, counts) if c <= MAX_VALUES]
    return named + features + categorical


def persona_report(engine: ReportQueries, ir: m.CheckedModel, r: m.Report, measures: list[Measure],
                   categorical: list[str], numeric: list[str]) -> ReportResult:
    subject = r.subjects[0]
    low = engine.low
    result = ReportResult(r.name, "persona", f"Personas of {subject}")
    sub, st = _dim(ir, low, subject)
    is_segment = subject in ir.segments

    def figures() -> list[exp.Expression]:
        return [count_where(low)] + [f for x in measures for f in x.sql(low)]

    sized = {row[0]: _values(row[1:], measures) for row in engine.rows(
        exp.select(sub.as_("_s"), *figures()).from_(engine.source()).group_by(sub.copy()))}
    pop = _values(engine.rows(exp.select(*figures()).from_(engine.source()))[0], measures)
    order, label_of = _labelled(ir, subject, st, list(sized))
    by_case = {label_of[v]: x for v, x in sized.items()}
    cases = ["yes"] if is_segment else [c for c in order if c != NONE_LABEL]
    total = pop[0]

    # case label → [(dimension, value label, members in the case, members of all)]
    traits: dict[str, list[tuple[str, str, int, int]]] = {c: [] for c in cases}
    common: dict[str, list[tuple[str, str, int, int]]] = {c: [] for c in cases}
    mixes: dict[str, tuple[list[str], dict[str, dict[str, int]], dict[str, int]]] = {}
    rfm = [n for n, d in ir.segmentations.items() if isinstance(d, m.RfmSegmentation) and n != subject]
    for dim in dimensions(engine, ir, subject, categorical):
        col, t = _dim(ir, low, dim)
        q = exp.select(sub.as_("_s"), col.as_("_v"), count_where(low)).from_(engine.source())
        rows = engine.rows(q.group_by(sub.copy(), col.copy()))
        values, labels = _labelled(ir, dim, t, list({row[1] for row in rows}))
        of_all: dict[str, int] = {}
        inside: dict[tuple[str, str], int] = {}
        for s_value, value, n in rows:
            of_all[labels[value]] = of_all.get(labels[value], 0) + n
            key = (label_of.get(s_value, _label(s_value, st)), labels[value])
            inside[key] = inside.get(key, 0) + n
        shown = ["yes"] if dim in ir.segments else [v for v in values if v != NONE_LABEL]
        for case in cases:
            found = [(dim if dim not in ir.segments else "segment", v if dim not in ir.segments else dim,
                      inside.get((case, v), 0), of_all.get(v, 0)) for v in shown]
            traits[case] += found
            if dim in categorical:
                common[case] += sorted((x for x in found if x[2]), key=lambda x: (-x[2], x[1]))[:TOP_COMMON]
        if dim in rfm:
            mixes[dim] = (shown, {c: {v: inside.get((c, v), 0) for v in shown} for c in cases}, of_all)

    typical: dict[Any, list[float | None]] = {}
    overall: list[float | None] = []
    if numeric:
        typical = medians(engine, sub, numeric)
        overall = next(iter(medians(engine, exp.Literal.number(1), numeric).values()), [None] * len(numeric))
        typical = {label_of.get(k, _label(k, st)): v for k, v in typical.items()}

    main = measures[0] if measures else None
    for case in cases:
        size = by_case.get(case, [0] + [x.value(x.empty()) for x in measures])
        members = size[0]
        card = Card(f"{subject}: {case}" if not is_segment else subject)
        columns, kinds = ["members", "share of all"], ["int", "pct"]
        facts: list[Any] = [members, _share(members, total)]
        if main is not None:
            value, pop_value = size[1], pop[1]
            per, pop_per = _share(value, members), _share(pop_value, total)
            columns += [main.label, "share of value", "per member", "index"]
            kinds += [main.kind, "pct", "num", "index"]
            facts += [value, _share(value, pop_value), per,
                      None if per is None or not pop_per else per / pop_per * 100]
            for x, v in zip(measures[1:], size[2:]):
                columns.append(x.label)
                kinds.append(x.kind)
                facts.append(v)
        card.blocks.append(Table("Size and value", columns, kinds, [facts]))
        ranked = [_trait(t, members, total) for t in traits[case]]
        top = sorted((t for t in ranked if (t[2] or 0) >= MIN_SHARE and (t[4] or 0) > 100),
                     key=lambda t: (-(t[4] or 0), t[0], t[1]))[:TOP_TRAITS]
        card.blocks.append(Table("Most over-represented traits", ["dimension", "value", "share here", "share of all",
                                                                  "index", "members"],
                                 ["text", "text", "pct", "pct", "index", "int"], top))
        if top:
            card.blocks.append(Bars("Top traits: share here vs all members", [case, "all members"],
                                    [f"{t[0]} = {t[1]}" for t in top], [[t[2] or 0.0, t[3] or 0.0] for t in top]))
        if common[case]:
            card.blocks.append(Table("Most common values", ["column", "value", "share here", "share of all", "index",
                                                             "members"],
                                     ["text", "text", "pct", "pct", "index", "int"],
                                     [_trait(t, members, total) for t in common[case]]))
        if numeric:
            here = typical.get(case, [None] * len(numeric))
            card.blocks.append(Table("Typical values (medians)", ["feature", "here", "all members"],
                                     ["text", "num", "num"],
                                     [[written(ir, n), here[i], overall[i]] for i, n in enumerate(numeric)]))
        for name, (groups, counts, of_all) in mixes.items():
            card.blocks.append(Table(f"{name} mix", ["group", "share here", "share of all", "index", "members"],
                                     ["text", "pct", "pct", "index", "int"],
                                     [_trait((name, g, counts[case][g], of_all.get(g, 0)), members, total)[1:]
                                      for g in groups]))
            card.blocks.append(Bars(f"{name} mix: share here vs all members", [case, "all members"], groups,
                                    [[_share(counts[case][g], members) or 0.0, _share(of_all.get(g, 0), total) or 0.0]
                                     for g in groups]))
        result.blocks.append(card)
    if not is_segment and NONE_LABEL in by_case:
        result.notes.append(f"{by_case[NONE_LABEL][0]:,} members are in no case of {subject}: they have no card")
    result.stats = {"population": total, "cases": {c: by_case.get(c, [0])[0] for c in cases}}
    return result


def _trait(t: tuple[str, str, int, int], members: int, total: int) -> list[Any]:
    dim, value, n_in, n_all = t
    share_in, share_all = _share(n_in, members), _share(n_all, total)
    index = None if not share_all or share_in is None else share_in / share_all * 100
    return [dim, value, share_in, share_all, index, n_in]
