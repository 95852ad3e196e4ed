"""Data lints (SEG5xx): segment quality measured on the data, in two queries.

Everything is counted by the engine; no member row reaches Python.

1. The membership query, compiled with extra columns ("probes") that hold
   each condition three-valued (the membership itself turns unknown into
   false), is wrapped in one aggregate query: population size, size of every
   segment and case, how many members have an unknown condition and which
   missing input goes with it, and the overlap of every pair of segments
   declared `exclusive`.
2. One query over the events sources: the newest and oldest event up to
   as_of of each (stale data, windows reaching before the data).

Probes are features added to a copy of the model, so they are compiled by
the same compiler into the same query shape as `run` uses: the counts are
those of the real membership, on any dialect.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

from sqlglot import exp

from ..semantic import model as m
from ..lang import syntax as s
from ..semantic.config import Config
from ..lang.diagnostics import SourceCache, Span, error, reason
from ..semantic.lints import Finding, snippet, window_reach

if TYPE_CHECKING:
    from ..engines import Engine


# ── probes: extra columns compiled with the model ───────────────────────────


class Probes:
    """Expressions to compute per member as extra features of a model copy."""

    def __init__(self, model: m.CheckedModel, prefix: str = "_probe"):
        self.model = model
        self.prefix = prefix
        self.names: dict[m.Expr, str] = {}

    def add(self, e: m.Expr) -> str:
        if e not in self.names:
            taken = set(self.model.order) | set(self.names.values())
            i = len(self.names) + 1
            name = f"{self.prefix}_{i}"
            while name in taken:
                i += 1
                name = f"{self.prefix}_{i}"
            self.names[e] = name
        return self.names[e]

    def model_with_probes(self) -> m.CheckedModel:
        extra = {n: m.Feature(n, e) for e, n in self.names.items()}
        return dataclasses.replace(self.model, features={**self.model.features, **extra},
                                   order=self.model.order + tuple(extra))


def member_query(model: m.CheckedModel, target: Engine, as_of: dt.date, params: dict[str, object], outputs: list[str],
                 schemas: dict | None = None) -> exp.Select:
    """The membership query of `model` on a target, with only `outputs` selected."""
    from ..sql.compile import membership
    from ..sql.options import Options

    fields = {f.name for f in dataclasses.fields(Options)}
    extra = {"schemas": schemas} if "schemas" in fields and schemas else {}
    return membership(model, Options(target.dialect, as_of, params, source=target.source, **extra), outputs)


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _c(name: str) -> exp.Column:
    return exp.column(_id(name))


def _count_if(cond: exp.Expression) -> exp.Expression:
    """SUM(CASE WHEN cond THEN 1 ELSE 0 END): a conditional count every engine runs."""
    return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))],
                                 default=exp.Literal.number(0)))


def _null(name: str) -> exp.Expression:
    return exp.Is(this=_c(name), expression=exp.Null())


def _fetch(target: Engine, query: exp.Expression) -> tuple:
    from ..sql.compile import to_sql

    sql = to_sql(query, target.dialect, pretty=False)
    try:
        _, rows = target.fetch(sql)
    except target.errors as exc:
        raise error("SEG305", f"the engine could not compute the data lints: {reason(exc)}", None,
                    "check that the columns hold the types the model expects (dates, numbers)") from None
    return rows[0]


def missable(model: m.CheckedModel, e: m.Expr) -> list[m.Expr]:
    """The inputs of a member-level expression that can be missing, in order."""
    out: list[m.Expr] = []
    for node in m.walk_outside_aggregates(e):
        if isinstance(node, m.Agg) and node.func in ("count", "count_distinct"):
            continue
        if isinstance(node, m.FeatureRef):
            inner = model.features[node.name].expr if node.name in model.features else None
            if isinstance(inner, m.Agg) and inner.func in ("count", "count_distinct"):
                continue
        if isinstance(node, (m.Column, m.FeatureRef, m.Agg, m.SegmentationRef, m.ScoreRef)) and node not in out:
            out.append(node)
    return out


def describe_input(node: m.Expr, sources: SourceCache) -> str:
    if isinstance(node, (m.Column, m.FeatureRef, m.SegmentationRef)):
        return node.name
    if isinstance(node, m.ScoreRef):
        return f"{node.owner}.{node.score}"
    return snippet(sources, getattr(node, "span", None))


# ── the lints ───────────────────────────────────────────────────────────────


@dataclass
class _Check:
    """One condition whose unknown share is measured, with its inputs."""

    subject: str  # segment name, `segmentation.case`, or a computed segmentation
    what: str  # for messages
    span: Span | None
    probe: str | None  # column holding the condition (None: the segmentation label itself)
    scope: exp.Expression | None  # only these members count (cases: those the condition fails)
    inputs: list[tuple[m.Expr, str]]  # (input, its probe)


class DataLints:
    def __init__(self, model: m.CheckedModel, files: list[s.File], target: Engine, as_of: dt.date,
                 params: dict[str, object], config: Config, sources: SourceCache, schemas: dict | None = None):
        self.model = model
        self.files = files
        self.target = target
        self.as_of = as_of
        self.params = params
        self.config = config
        self.sources = sources
        self.schemas = schemas
        self.queries = 0
        self.out: list[Finding] = []
        self.entity_label = model.entity.name

    # syntax lookups -----------------------------------------------------------
    def _case_spans(self) -> dict[tuple[str, str], Span]:
        out = {}
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, s.Segmentation):
                    for c in d.cases:
                        out[(d.name.text, c.name.text)] = c.name.span
                    if d.else_case is not None:
                        out[(d.name.text, d.else_case.text)] = d.else_case.span
        return out

    def _exclusive(self) -> list[tuple[s.Exclusive, list[str]]]:
        groups = []
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, s.Exclusive):
                    names = [n.text for n in d.segments if n.text in self.model.segments]
                    groups.append((d, list(dict.fromkeys(names))))
        return groups

    def _events_spans(self) -> dict[str, Span]:
        out = {}
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, s.Events):
                    out.setdefault(d.name.text, d.name.span)
        return out

    # running ------------------------------------------------------------------
    def run(self) -> list[Finding]:
        self._membership_counts()
        self._source_extents()
        return self.out

    def _membership_counts(self) -> None:
        model = self.model
        probes = Probes(model, "_lint")
        checks: list[_Check] = []
        case_spans = self._case_spans()
        for name, seg in model.segments.items():
            checks.append(_Check(name, f"segment `{name}`", seg.span, probes.add(seg.expr), None,
                                 [(x, probes.add(x)) for x in missable(model, seg.expr)]))
        for name, sg in model.segmentations.items():
            col = _c(name)
            if isinstance(sg, m.CaseSegmentation):
                fallen = exp.Is(this=col.copy(), expression=exp.Null())
                if sg.else_case:
                    fallen = exp.or_(fallen, exp.EQ(this=col.copy(), expression=exp.Literal.string(sg.else_case)))
                for case, cond in sg.cases:
                    checks.append(_Check(f"{name}.{case}", f"case `{name}.{case}`",
                                         case_spans.get((name, case), sg.span), probes.add(cond), fallen,
                                         [(x, probes.add(x)) for x in missable(model, cond)]))
            else:
                found: list[m.Expr] = []
                for x in sg.inputs():
                    found += [y for y in missable(model, x) if y not in found]
                checks.append(_Check(name, f"segmentation `{name}`", sg.span, None, None,
                                     [(x, probes.add(x)) for x in found]))
        groups = self._exclusive()
        outputs = list(model.segments) + list(model.segmentations) + list(probes.names.values())
        query = member_query(probes.model_with_probes(), self.target, self.as_of, self.params, outputs, self.schemas)

        cols: list[exp.Expression] = [exp.Count(this=exp.Star())]
        index: dict[object, int] = {}

        def ask(key: object, cond: exp.Expression) -> None:
            if key not in index:
                index[key] = len(cols)
                cols.append(_count_if(cond))

        for name in model.segments:
            ask(("size", name), _c(name))
        for name, sg in model.segmentations.items():
            if isinstance(sg, m.CaseSegmentation):
                for label in sg.labels:
                    ask(("size", f"{name}.{label}"), exp.EQ(this=_c(name), expression=exp.Literal.string(label)))
        for chk in checks:
            unknown = _null(chk.probe) if chk.probe else _null(chk.subject)
            if chk.scope is not None:
                unknown = exp.and_(unknown, chk.scope.copy())
            ask(("unknown", chk.subject), unknown)
            for x, probe in chk.inputs:
                ask(("input", chk.subject, probe), exp.and_(unknown.copy(), _null(probe)))
        for decl, names in groups:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    ask(("overlap", a, b), exp.and_(_c(a), _c(b)))
        sub = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("m")))
        row = _fetch(self.target, exp.select(*cols).from_(sub))
        self.queries += 1
        values = [int(v or 0) for v in row]
        total = values[0]

        def got(key: object) -> int:
            return values[index[key]]

        what = self.entity_label
        if total == 0:
            self.out.append(Finding("SEG503", f"no member of `{what}` exists at {self.as_of.isoformat()}",
                                    model.entity.span, "check as_of and the `since` column", None))
            return
        for name, seg in model.segments.items():
            self._size(name, f"segment `{name}`", seg.span, got(("size", name)), total, broad=True)
        for name, sg in model.segmentations.items():
            if isinstance(sg, m.CaseSegmentation):
                for label in sg.labels:
                    span = case_spans.get((name, label), sg.span)
                    self._size(f"{name}.{label}", f"case `{name}.{label}`", span, got(("size", f"{name}.{label}")),
                               total, broad=False)
        for chk in checks:
            self._missing(chk, got(("unknown", chk.subject)), total,
                          [(x, got(("input", chk.subject, p))) for x, p in chk.inputs])
        for decl, names in groups:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    shared = got(("overlap", a, b))
                    if shared:
                        self.out.append(Finding(
                            "SEG507", f"`{a}` and `{b}` share {shared:,} members ({shared / total:.1%} of `{what}`), "
                            "but are declared exclusive", decl.span,
                            "tighten one of the conditions (for example `and not " + a + "`), or make them the "
                            "cases of one segmentation, which never overlap", None))

    def _size(self, subject: str, what: str, span: Span | None, size: int, total: int, broad: bool) -> None:
        share = size / total
        if size == 0:
            self.out.append(Finding("SEG503", f"{what} has no members at {self.as_of.isoformat()}", span,
                                    "check the conditions against the data: a value may be spelled otherwise "
                                    "there, or a window may be too short", subject))
            return
        small = int(self.config.threshold("small-size", subject))
        if size < small:
            self.out.append(Finding("SEG502", f"{what} has only {size:,} member{'s' if size != 1 else ''} "
                                    f"(fewer than {small:,})", span,
                                    "too small to act on: widen it or merge it with a similar one", subject))
        limit = float(self.config.threshold("broad-share", subject))
        if broad and share > limit:
            self.out.append(Finding("SEG501", f"{what} holds {share:.1%} of `{self.entity_label}` "
                                    f"({size:,} of {total:,}; more than {limit:.0%})", span,
                                    "a segment this broad does not single anyone out: narrow its conditions",
                                    subject))

    def _missing(self, chk: _Check, unknown: int, total: int, inputs: list[tuple[m.Expr, int]]) -> None:
        share = unknown / total
        limit = float(self.config.threshold("missing-share", chk.subject))
        if share <= limit or unknown == 0:
            return
        ranked = sorted(((n, x) for x, n in inputs if n), key=lambda p: -p[0])
        if ranked:
            names = [f"`{describe_input(x, self.sources)}`" for _, x in ranked[:2]]
            because = f"because {' or '.join(names)} {'is' if len(names) == 1 else 'are'} missing"
            first = describe_input(ranked[0][1], self.sources)
        else:
            because = "because a computation has no value (such as a division by zero)"
            first = "x"
        if chk.probe is None:
            message = f"{chk.what} has no value for {share:.1%} of `{self.entity_label}` ({unknown:,}) {because}"
            hint = "fill in or filter the missing values, or report them as their own group"
        elif chk.scope is not None:
            message = (f"the condition of {chk.what} is unknown for {share:.1%} of `{self.entity_label}` ({unknown:,}) "
                       f"{because}; they fall through to the else case or to no case")
            hint = (f"say what a missing value means: add a case such as `unknown = {first} is missing` "
                    f"before it, or write `{first} is missing or …`")
        else:
            message = (f"the condition of {chk.what} is unknown for {share:.1%} of `{self.entity_label}` "
                       f"({unknown:,}) {because}; they are silently left out")
            hint = (f"say what a missing value means: `{first} is missing or …` to include them, "
                    f"`{first} is not missing and …` to leave them out on purpose")
        self.out.append(Finding("SEG505", message, chk.span, hint, chk.subject))

    # events sources -----------------------------------------------------------
    def _source_extents(self) -> None:
        from ..sql.expressions import literal

        events = self.model.events
        if not events:
            return
        cols = []
        as_of = exp.cast(literal(self.as_of), exp.DataType.build("DATE"))
        for ev in events.values():
            at = exp.cast(exp.column(_id(ev.at)), exp.DataType.build("DATE"))
            src = exp.alias_(self.target.source(ev.source), "e", table=True)
            for func in (exp.Max, exp.Min):
                inner = exp.select(func(this=at.copy())).from_(src.copy()).where(exp.LTE(this=at.copy(),
                                                                                          expression=as_of.copy()))
                cols.append(exp.Subquery(this=inner))
        row = _fetch(self.target, exp.select(*cols))
        self.queries += 1
        spans = self._events_spans()
        extents: dict[str, tuple[dt.date | None, dt.date | None]] = {}
        for i, name in enumerate(events):
            newest, oldest = (_as_date(v) for v in row[2 * i: 2 * i + 2])
            extents[name] = (newest, oldest)
            limit = int(self.config.threshold("stale-days", source=name))
            if newest is None:
                self.out.append(Finding("SEG504", f"`{name}` has no events up to {self.as_of.isoformat()}",
                                        spans.get(name), "is the data being loaded? check as_of", None))
            elif (self.as_of - newest).days > limit:
                self.out.append(Finding(
                    "SEG504", f"the newest event of `{name}` is from {newest.isoformat()}, "
                    f"{(self.as_of - newest).days} days before as_of {self.as_of.isoformat()} "
                    f"(more than {limit})", spans.get(name),
                    "the data is no longer updated: check the loading job, or evaluate at an earlier --as-of", None))
        self._windows_before_data(extents)

    def _windows_before_data(self, extents: dict[str, tuple[dt.date | None, dt.date | None]]) -> None:
        seen: set[Span] = set()
        for n in self.model.order:
            for e in self.model.expressions_of(n):
                for agg in m.walk(e):
                    if not isinstance(agg, m.Agg) or agg.filter is None:
                        continue
                    oldest = extents.get(agg.source, (None, None))[1]
                    if oldest is None:
                        continue
                    at = self.model.events[agg.source].at
                    for w in m.walk(agg.filter):
                        if not isinstance(w, m.DateWindow) or w.span is None or w.span in seen:
                            continue
                        if not (isinstance(w.subject, m.Column) and w.subject.name == at
                                and w.subject.source == agg.source):
                            continue
                        reach = window_reach(w)
                        if reach is None:
                            continue
                        start = m.shift_date(self.as_of, -reach.amount, reach.unit)
                        if start < oldest:
                            seen.add(w.span)
                            self.out.append(Finding(
                                "SEG506", f"`{snippet(self.sources, w.span)}` starts on {start.isoformat()}, but "
                                f"the oldest `{agg.source}` event is from {oldest.isoformat()}: it counts less than "
                                "it says", w.span, "shorten the window to the history the data holds", None))


def _as_date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def data_lints(model: m.CheckedModel, files: list[s.File], target: Engine, as_of: dt.date, params: dict[str, object],
               config: Config, sources: SourceCache, schemas: dict | None = None) -> tuple[list[Finding], int]:
    """Every SEG5xx finding, and the number of queries it took."""
    lints = DataLints(model, files, target, as_of, params, config, sources, schemas)
    found = lints.run()
    return found, lints.queries


__all__ = ["data_lints", "DataLints", "Probes", "member_query", "missable", "describe_input"]
