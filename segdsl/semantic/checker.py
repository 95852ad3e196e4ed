"""Check: syntax tree → model. Resolves names, infers and checks types.

Every problem is collected rather than raised at once, so one run reports
all the mistakes of a program. Column names can only be verified against a
schema; without one, a bare name that is not defined anywhere is taken as a
column of the entity (or of the events source inside an aggregate), unless it
is a near miss of a defined name, which is almost always a typo.

At about 800 lines this module is one class on purpose: name resolution and
type inference are one recursive pass over each expression, sharing the
scope and the collected diagnostics; the checks of reports, which run after
every definition is resolved, are apart (report_checks), and so are params
(params) and what is known of the columns (schema).
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from typing import Callable

from . import model as m
from ..lang import syntax as s
from ..lang.diagnostics import Collector, Diagnostic, SegError, SourceCache, Span, did_you_mean
from .model import T
from .predictions import PredictionChecks
from .activation_checks import ActivationChecks
from .report_checks import ReportChecks
from . import traits

FUNCTIONS = ("days_between", "years_between")
AGGREGATES = ("count", "count_distinct", "exists", "sum", "avg", "min", "max") + traits.TRAITS
BUILTINS = ("as_of",)
# Without a schema, an unknown bare name this close to a defined name is a typo.
TYPO_CUTOFF = 0.85

Schemas = dict[str, dict[str, T]]


@dataclass(frozen=True)
class _Ctx:
    """Where an expression stands: per member, inside an aggregate over
    `source`, or as a report measure (where member aggregates are allowed)."""

    source: str | None = None
    report: bool = False
    outcome: bool = False  # a lift report's measure: `in next` windows allowed


def _poison(span: Span | None = None) -> m.Expr:
    """Stands for an expression that already has a diagnostic; type ANY so
    that it does not cause a second, derived error."""
    return m.Const(None, T.ANY, span)


class Checker(ReportChecks, ActivationChecks, PredictionChecks):
    def __init__(self, files: list[s.File], schemas: Schemas | None = None, defer_guesses: bool = False):
        self.files = files
        self.schemas = schemas or {}
        self.out = Collector()
        # Near misses of a definition (`revnue` beside `revenue`) among names that may be columns of a
        # source whose columns are not known yet: with defer_guesses they are taken as columns and kept
        # here, to be reported only if the model is used without its data (segdsl.tools.api.Model).
        self.defer_guesses = defer_guesses
        self.guesses: list[Diagnostic] = []
        self.defs: dict[str, s.Definition] = {}  # name -> syntax definition
        self._near_definitions: dict[str, list[str]] = {}  # column name -> definitions it may be a typo of
        self.entity: s.Entity | None = None
        self.events: dict[str, s.Events] = {}
        self.params: dict[str, m.Param] = {}
        self.resolved: dict[str, object] = {}  # name -> model definition
        self.in_progress: list[str] = []
        self.failed: set[str] = set()
        self.structural: set[str] = set()

    # ── entry ───────────────────────────────────────────────────────────────
    def run(self) -> m.CheckedModel:
        self._collect()
        self._declared_columns()
        self._params()
        self._sources()
        for name, d in self.defs.items():
            if isinstance(d, (s.Feature, s.Segment, s.Segmentation, s.Holdout)):
                self._resolve_definition(name)
            elif isinstance(d, s.Prediction):
                self._resolve_prediction(name)
        reports = self._reports()
        audiences = self._audiences()
        self._exclusive()
        if self.out or self.entity is None:
            order = {f.path: i for i, f in enumerate(self.files)}

            def position(d: Diagnostic) -> tuple:
                sp = d.span
                return (order.get(sp.file, -1), sp.line, sp.column) if sp else (-1, 0, 0)

            raise SegError(sorted(self.out.diagnostics + self.guesses, key=position))
        e = self.entity
        entity = m.Entity(e.name.text, e.source, e.key.text, e.since.text if e.since else None, e.span, e.source_span)
        events = {n: m.Events(n, d.source, d.by.text, d.at.text, d.span, d.source_span) for n, d in self.events.items()}
        pick = lambda cls: {n: d for n, d in self.resolved.items() if isinstance(d, cls)}  # noqa: E731
        return m.CheckedModel(
            params=self.params, entity=entity, events=events,
            features=pick(m.Feature), segments=pick(m.Segment), segmentations=pick(m.Segmentation),
            holdouts=pick(m.Holdout), reports=reports, order=tuple(self.resolved),
            files=tuple(f.path for f in self.files), structural_params=frozenset(self.structural),
            predictions=self._predictions(),
            audiences=audiences,
        )

    # ── definitions ─────────────────────────────────────────────────────────
    def _collect(self) -> None:
        entities: list[s.Entity] = []
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, (s.Import, s.Report, s.Exclusive, s.Audience)):
                    continue
                if isinstance(d, s.Entity):
                    entities.append(d)
                name = d.name
                if name.text in BUILTINS:
                    self.out.add("SEG102", f"`{name.text}` is built in and cannot be defined", name.span,
                                 "choose another name")
                    continue
                if name.text in self.defs:
                    first = self.defs[name.text]
                    fs = first.name.span
                    self.out.add("SEG102", f"`{name.text}` is defined twice", name.span,
                                 f"first defined at {fs.file}:{fs.line}:{fs.column}; rename one of them")
                    continue
                self.defs[name.text] = d
                if isinstance(d, s.Events):
                    self.events[name.text] = d
        if not entities:
            first = self.files[0].path if self.files else "<text>"
            self.out.add("SEG106", "the model has no entity", Span(first, 1, 1, 1, 2),
                         'declare the population, e.g. entity customers from "customers" key customer_id')
        else:
            self.entity = entities[0]
            for extra in entities[1:]:
                self.out.add("SEG106", "a model has exactly one entity", extra.name.span,
                             f"the entity is `{entities[0].name.text}`; describe other tables as events")
        self._output_names()

    def _output_names(self) -> None:
        """Names the output already uses: the key, the score columns of rfm segmentations, and the
        definitions before. Compared case-insensitively: DuckDB, SQLite, MySQL and Spark take `Total` and
        `total` for one column even quoted, so such a pair could not be one table or file."""
        taken: dict[str, tuple[str, str]] = {}
        if self.entity is not None:
            key = self.entity.key.text
            taken[key.casefold()] = (key, f"the key column of `{self.entity.name.text}`")
        for d in self.defs.values():
            if isinstance(d, s.Segmentation) and d.kind == "rfm":
                for score in m.RfmSegmentation.SCORES:
                    column = f"{d.name.text}_{score}"
                    taken[column.casefold()] = (column, f"the {score} score column of `{d.name.text}`")
        for name, d in self.defs.items():
            if not isinstance(d, (s.Feature, s.Segment, s.Segmentation, s.Holdout)):
                continue
            if name.casefold() in taken:
                other, what = taken[name.casefold()]
                if other == name:
                    self.out.add("SEG102", f"`{name}` is already {what} in the output", d.name.span,
                                 "choose another name")
                else:
                    self.out.add("SEG102", f"`{name}` differs only in case from `{other}`, {what}",
                                 d.name.span, "output columns are told apart without case on most engines: "
                                 "choose another name")
                continue
            sp = d.name.span
            taken[name.casefold()] = (name, f"another output column (defined at {sp.file}:{sp.line}:{sp.column})")
        self._check_prediction_names()

    def _declared_columns(self) -> None:
        """Schemas from `columns (…)` clauses, for sources whose data is not at hand.

        The key, `since`, `by` and `at` columns need not be repeated in the
        list (their type is then unknown). Where the data is at hand too, the
        declaration is checked against it, so it cannot silently go stale.
        """
        sources: list[tuple[s.Entity | s.Events, tuple[s.Name, ...]]] = []
        if self.entity is not None:
            e = self.entity
            sources.append((e, (e.key,) + ((e.since,) if e.since else ())))
        sources += [(ev, (ev.by, ev.at)) for ev in self.events.values()]
        schemas = dict(self.schemas)
        for d, implied in sources:
            if d.columns is None:
                continue
            declared: dict[str, T] = {}
            spans: dict[str, s.ColumnDecl] = {}
            for c in d.columns:
                t = m.PARAM_TYPES.get(c.type.text)
                if c.name.text in declared:
                    self.out.add("SEG111", f"column `{c.name.text}` is declared twice", c.name.span,
                                 "list each column once")
                    continue
                if t is None:
                    self.out.add("SEG111", f"unknown column type `{c.type.text}`", c.type.span,
                                 did_you_mean(c.type.text, m.PARAM_TYPES)
                                 or "types are number, text, date, timestamp, bool")
                    t = T.ANY
                declared[c.name.text] = t
                spans[c.name.text] = c
            real = self.schemas.get(d.name.text)
            if real is None:
                for col in implied:
                    declared.setdefault(col.text, T.ANY)
                schemas[d.name.text] = declared
                continue
            for col, t in declared.items():
                decl = spans[col]
                if col not in real:
                    self.out.add("SEG109", f"`{d.name.text}` is declared with column `{col}`, which the data lacks",
                                 decl.name.span, did_you_mean(col, real) or "remove it from `columns (…)`")
                elif t is not T.ANY and real[col] is not T.ANY and not (t is real[col] or t.is_time and real[col].is_time):
                    self.out.add("SEG201", f"`{col}` is declared {t.value}, but the data holds {real[col].value}",
                                 decl.type.span, f"declare it as {real[col].value}")
        self.schemas = schemas

    def _exclusive(self) -> None:
        """`exclusive a, b`: each name must be a segment, named once."""
        for f in self.files:
            for d in f.definitions:
                if not isinstance(d, s.Exclusive):
                    continue
                seen: set[str] = set()
                for n in d.segments:
                    target = self.defs.get(n.text)
                    if n.text in seen:
                        self.out.add("SEG102", f"`{n.text}` is listed twice", n.span, "name each segment once")
                    elif target is None:
                        self._unknown(n.text, n.span, self._segment_names())
                    elif not isinstance(target, s.Segment):
                        self.out.add("SEG108", f"`{n.text}` is not a segment", n.span,
                                     "`exclusive` lists segments; the cases of a segmentation never overlap")
                    seen.add(n.text)

    def _params(self) -> None:
        for name, d in self.defs.items():
            if not isinstance(d, s.Param):
                continue
            t = m.PARAM_TYPES.get(d.type.text)
            if t is None:
                self.out.add("SEG205", f"unknown parameter type `{d.type.text}`", d.type.span,
                             did_you_mean(d.type.text, m.PARAM_TYPES) or "types are number, text, date, bool, timestamp")
                continue
            value = constant_value(d.default)
            if value is None or _literal_type(value) is not t:
                self.out.add("SEG205", f"the default of `{name}` must be a {t.value} literal", _span(d.default),
                             _literal_example(t))
                continue
            like = d.default.like if isinstance(d.default, s.Str) else None
            self.params[name] = m.Param(name, t, value, d.name.span, like)

    def _sources(self) -> None:
        checks: list[tuple[str, s.Name]] = []
        if self.entity is not None:
            e = self.entity
            checks += [(e.name.text, e.key)] + ([(e.name.text, e.since)] if e.since else [])
        for n, ev in self.events.items():
            checks += [(n, ev.by), (n, ev.at)]
        for source, col in checks:
            self._column_type(source, col.text, col.span)

    def _column_type(self, source: str, col: str, span: Span | None) -> T:
        schema = self.schemas.get(source)
        if schema is None:
            return T.ANY
        if col not in schema:
            self.out.add("SEG109", f"`{source}` has no column `{col}`", span,
                         did_you_mean(col, schema) or f"its columns are {', '.join(sorted(schema)[:12])}")
            return T.ANY
        return schema[col]

    def _resolve_definition(self, name: str) -> object | None:
        if name in self.resolved:
            return self.resolved[name]
        if name in self.failed:
            return None
        d = self.defs[name]
        self.in_progress.append(name)
        errors_before = len(self.out.diagnostics)
        try:
            result = self._definition(d)
        finally:
            self.in_progress.pop()
        if result is None or len(self.out.diagnostics) > errors_before:
            self.failed.add(name)
            return None
        self.resolved[name] = result
        return result

    def _definition(self, d) -> object | None:
        if isinstance(d, s.Feature):
            expr = self.expr(d.expr, _Ctx())
            if expr.type is T.DURATION:
                self.out.add("SEG201", "a feature cannot be a bare duration", _span(d.expr),
                             "add it to a date: as_of - 30 days")
            return m.Feature(d.name.text, expr, d.name.span)
        if isinstance(d, s.Segment):
            expr = self.condition(d.expr, _Ctx(), "a segment")
            return m.Segment(d.name.text, d.label, expr, d.name.span)
        if isinstance(d, s.Segmentation):
            return self._segmentation(d)
        if isinstance(d, s.Holdout):
            return self._holdout(d)
        raise AssertionError(d)

    def _segmentation(self, d: s.Segmentation) -> m.Segmentation | None:
        name = d.name.text
        if d.kind == "cases":
            seen: dict[str, Span] = {}
            cases = []
            for c in d.cases:
                if c.name.text in seen:
                    self.out.add("SEG203", f"case `{c.name.text}` appears twice in `{name}`", c.name.span,
                                 "give each case its own name")
                seen[c.name.text] = c.name.span
                cases.append((c.name.text, self.condition(c.condition, _Ctx(), "a case")))
            if d.else_case is not None and d.else_case.text in seen:
                self.out.add("SEG203", f"case `{d.else_case.text}` appears twice in `{name}`", d.else_case.span,
                             "the else case needs a name of its own")
            return m.CaseSegmentation(name, d.label, tuple(cases), d.else_case.text if d.else_case else None,
                                      span=d.name.span)
        if d.kind == "bucket":
            subject = self._number(d.args[0], "bucket")
            edges: list[float] = []
            for arg in d.args[1:]:
                v = self._constant_number(arg, "a bucket edge")
                if v is None:
                    continue
                if edges and v <= edges[-1]:
                    self.out.add("SEG203", "bucket edges must increase", _span(arg),
                                 f"{v:g} comes after {edges[-1]:g}; sort the edges")
                edges.append(v)
            if not edges:
                return None
            return m.BucketSegmentation(name, d.label, subject, tuple(edges), span=d.name.span)
        if d.kind == "quantile":
            subject = self.expr(d.args[0], _Ctx())
            if not (subject.type in (T.NUMBER, T.ANY) or subject.type.is_time):
                self._mismatch(d.args[0], subject, "quantile needs a number or a date")
            n = self._constant_number(d.args[1], "the number of quantiles")
            if n is None:
                return None
            if not float(n).is_integer() or not 2 <= n <= 1000:
                self.out.add("SEG203", "the number of quantiles must be a whole number from 2 to 1000",
                             _span(d.args[1]), "for quintiles write quantile(revenue, 5)")
                return None
            return m.QuantileSegmentation(name, d.label, subject, int(n), span=d.name.span)
        r, f, mo = (self._number(a, "rfm") for a in d.args)
        return m.RfmSegmentation(name, d.label, r, f, mo, span=d.name.span)

    def _holdout(self, d: s.Holdout) -> m.Holdout | None:
        target = self.defs.get(d.segment.text)
        if not isinstance(target, s.Segment):
            if target is None:
                self._unknown(d.segment.text, d.segment.span, self._segment_names())
            else:
                self.out.add("SEG108", f"`{d.segment.text}` is not a segment", d.segment.span,
                             "a holdout splits a segment")
            return None
        self._resolve_dependency(d.segment.text, d.segment.span)
        names: set[str] = set()
        for arm in d.arms:
            if arm.name.text in names:
                self.out.add("SEG204", f"arm `{arm.name.text}` appears twice", arm.name.span, "name each arm once")
            names.add(arm.name.text)
            if arm.percent <= 0 or abs(arm.percent * 100 - round(arm.percent * 100)) > 1e-6:
                self.out.add("SEG204", f"`{arm.percent:g}%` is not a usable share", arm.percent_span,
                             "shares are above 0 with at most two decimals")
        total = sum(a.percent for a in d.arms)
        if abs(total - 100) > 1e-9:
            self.out.add("SEG204", f"the arms of `{d.name.text}` add up to {total:g}%, not 100%",
                         d.arms[-1].percent_span, f"make the shares add up to 100, e.g. the last one {100 - total + d.arms[-1].percent:g}%")
        if not d.seed:
            self.out.add("SEG204", "the seed is empty", d.span, 'write a seed such as seed "spring-2026"')
        return m.Holdout(d.name.text, d.segment.text, tuple((a.name.text, a.percent) for a in d.arms), d.seed,
                         d.name.span)

    # ── expressions ─────────────────────────────────────────────────────────
    def condition(self, e: s.Expr, ctx: _Ctx, what: str) -> m.Expr:
        x = self.expr(e, ctx)
        if x.type not in (T.BOOL, T.ANY):
            self.out.add("SEG201", f"{what} needs a condition, but this is a {x.type.value}", _span(e),
                         "compare it, for example `revenue > 0`")
        return x

    def _number(self, e: s.Expr, what: str) -> m.Expr:
        x = self.expr(e, _Ctx())
        if x.type not in (T.NUMBER, T.ANY):
            self._mismatch(e, x, f"{what} needs a number")
        return x

    def _constant_number(self, e: s.Expr, what: str) -> float | None:
        value = constant_value(e)
        if isinstance(e, s.Ref) and len(e.parts) == 1 and e.parts[0].text in self.params:
            value = self.params[e.parts[0].text].value
            self.structural.add(e.parts[0].text)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.out.add("SEG203", f"{what} must be a number written in the file or a number param", _span(e),
                         "for example 18 or vip_spend")
            return None
        return float(value)

    def _mismatch(self, e: s.Expr, x: m.Expr, message: str) -> None:
        self.out.add("SEG201", f"{message}, but this is a {x.type.value}", _span(e), None)

    def expr(self, e: s.Expr, ctx: _Ctx) -> m.Expr:
        method: Callable = getattr(self, "_e_" + type(e).__name__)
        return method(e, ctx)

    def _e_Num(self, e: s.Num, ctx: _Ctx) -> m.Expr:
        return m.Const(e.value, T.NUMBER, e.span)

    def _e_Str(self, e: s.Str, ctx: _Ctx) -> m.Expr:
        return m.Const(e.value, T.TEXT, e.span, e.like)

    def _e_Bool(self, e: s.Bool, ctx: _Ctx) -> m.Expr:
        return m.Const(e.value, T.BOOL, e.span)

    def _e_DateLit(self, e: s.DateLit, ctx: _Ctx) -> m.Expr:
        return m.Const(e.value, T.DATE, e.span)

    def _e_TimestampLit(self, e: s.TimestampLit, ctx: _Ctx) -> m.Expr:
        return m.Const(e.value, T.TIMESTAMP, e.span)

    def _e_Duration(self, e: s.Duration, ctx: _Ctx) -> m.Expr:
        return m.DurationConst(e.amount, e.unit, e.span)

    def _e_Ref(self, e: s.Ref, ctx: _Ctx) -> m.Expr:
        if len(e.parts) == 1:
            return self._bare(e.parts[0], ctx)
        owner, member = e.parts
        d = self.defs.get(owner.text)
        if self.entity is not None and owner.text == self.entity.name.text:
            return m.Column(member.text, None, self._column_type(owner.text, member.text, member.span), e.span)
        if isinstance(d, s.Events):
            if ctx.source == owner.text:
                return m.Column(member.text, owner.text, self._column_type(owner.text, member.text, member.span),
                                e.span)
            if ctx.source is None:
                self.out.add("SEG107", f"`{owner.text}.{member.text}` is a column of events, which have many rows "
                             "per member", e.span, f"aggregate it, for example sum({owner.text}.{member.text})")
            else:
                self.out.add("SEG107", f"`{owner.text}.{member.text}` is used inside an aggregate over "
                             f"`{ctx.source}`", e.span, f"an aggregate reads one events source; use `{ctx.source}` columns")
            return _poison(e.span)
        if isinstance(d, (s.Segmentation, s.Holdout)):
            self._resolve_dependency(owner.text, owner.span)
            target = self.resolved.get(owner.text)
            if target is None:
                return _poison(e.span)
            if isinstance(target, m.RfmSegmentation) and member.text in target.SCORES:
                return m.ScoreRef(owner.text, member.text, e.span)
            labels = target.labels if not isinstance(target, m.QuantileSegmentation) else ()
            if member.text not in labels:
                hint = did_you_mean(member.text, labels)
                if isinstance(target, m.QuantileSegmentation):
                    hint = f"compare the quantile instead: {owner.text} = 5"
                self.out.add("SEG101", f"`{owner.text}` has no case `{member.text}`", member.span,
                             hint or f"its cases are {', '.join(labels)}")
                return _poison(e.span)
            return m.CaseRef(owner.text, member.text, e.span)
        if isinstance(d, s.Prediction):
            return self._prediction_part(owner, member, e.span) or _poison(e.span)
        if d is None:
            self._unknown(owner.text, owner.span, list(self.defs) + list(BUILTINS))
        else:
            self.out.add("SEG108", f"`{owner.text}` has no parts to name with `.`", owner.span,
                         "a dot follows an entity, an events source, a segmentation or a holdout")
        return _poison(e.span)

    def _bare(self, n: s.Name, ctx: _Ctx) -> m.Expr:
        text = n.text
        if text == "as_of":
            return m.AsOf(n.span)
        d = self.defs.get(text)
        if isinstance(d, s.Param):
            p = self.params.get(text)
            return m.ParamRef(text, p.type, n.span) if p else _poison(n.span)
        if isinstance(d, (s.Feature, s.Segment, s.Segmentation, s.Holdout)):
            target = self._resolve_dependency(text, n.span)
            if target is None:
                return _poison(n.span)
            if isinstance(target, m.Feature):
                return m.FeatureRef(text, target.type, n.span)
            if isinstance(target, m.Segment):
                return m.SegmentRef(text, n.span)
            if isinstance(target, m.Segmentation):
                return m.SegmentationRef(text, target.type, n.span)
            return m.SegmentationRef(text, T.TEXT, n.span)
        if isinstance(d, s.Events):
            self.out.add("SEG108", f"`{text}` is an events source, not a value", n.span,
                         f"aggregate it, for example count({text}) or exists({text})")
            return _poison(n.span)
        if isinstance(d, s.Prediction):
            self._prediction_value(n)
            return _poison(n.span)
        if isinstance(d, s.Entity):
            self.out.add("SEG108", f"`{text}` is the entity, not a value", n.span,
                         f"name one of its columns, for example {text}.{d.key.text}")
            return _poison(n.span)
        # A column: of the aggregated source inside an aggregate, else of the entity.
        source = ctx.source if ctx.source is not None else (self.entity.name.text if self.entity else None)
        if source is None:
            return _poison(n.span)
        schema = self.schemas.get(source)
        if schema is not None:
            if text not in schema:
                hint = did_you_mean(text, list(schema) + [k for k in self.defs if not isinstance(self.defs[k], (s.Events, s.Entity))])
                self.out.add("SEG101", f"unknown name `{text}`: not a definition nor a column of `{source}`",
                             n.span, hint or f"columns of `{source}`: {', '.join(sorted(schema)[:12])}")
                return _poison(n.span)
            return m.Column(text, ctx.source, schema[text], n.span)
        near = self._near_definitions.get(text)
        if near is None:  # a column is named many times in a model: compare it with every definition once
            near = self._near_definitions[text] = difflib.get_close_matches(
                text, [k for k in self.defs if k not in self.events], n=1, cutoff=TYPO_CUTOFF)
        if near:
            guess = Diagnostic("SEG101", f"unknown name `{text}`", n.span,
                               f"did you mean `{near[0]}`? (a column with this name is written `{source}.{text}`)")
            if not self.defer_guesses:
                self.out.add(guess.code, guess.message, guess.span, guess.hint)
                return _poison(n.span)
            if guess not in self.guesses:
                self.guesses.append(guess)
        return m.Column(text, ctx.source, T.ANY, n.span)

    def _resolve_dependency(self, name: str, span: Span) -> object | None:
        if name in self.in_progress:
            cycle = self.in_progress[self.in_progress.index(name):] + [name]
            self.out.add("SEG103", "reference cycle: " + " → ".join(cycle), span,
                         "a definition cannot use itself, directly or through others")
            self.failed.add(name)
            return None
        return self._resolve_definition(name)

    def _unknown(self, text: str, span: Span, candidates) -> None:
        self.out.add("SEG101", f"unknown name `{text}`", span, did_you_mean(text, candidates))

    def _segment_names(self) -> list[str]:
        return [k for k, v in self.defs.items() if isinstance(v, s.Segment)]

    def _e_Call(self, e: s.Call, ctx: _Ctx) -> m.Expr:
        fname = e.func.text
        if fname not in FUNCTIONS:
            hint = did_you_mean(fname, FUNCTIONS + AGGREGATES) or f"functions are {', '.join(FUNCTIONS)}"
            self.out.add("SEG110", f"unknown function `{fname}`", e.func.span, hint)
            return _poison(e.span)
        if len(e.args) != 2:
            self.out.add("SEG201", f"{fname} takes two dates, got {len(e.args)} arguments", e.span,
                         f"{fname}(birth_date, as_of)")
            return _poison(e.span)
        a, b = (self.expr(x, ctx) for x in e.args)
        for src, x in zip(e.args, (a, b)):
            if not (x.type.is_time or x.type is T.ANY):
                self._mismatch(src, x, f"{fname} needs dates")
        cls = m.DaysBetween if fname == "days_between" else m.YearsBetween
        return cls(a, b, e.span)

    def _e_Aggregate(self, e: s.Aggregate, ctx: _Ctx) -> m.Expr:
        func = e.func.text
        if ctx.source is not None:
            self.out.add("SEG206", "aggregates cannot be nested", e.span,
                         "compute the inner one as a feature and use the feature")
            return _poison(e.span)
        target = e.target
        source = None
        if isinstance(target, s.Ref) and len(target.parts) == 1 and target.parts[0].text in self.events:
            source = target.parts[0].text
            if func not in traits.OF_SOURCE:
                self.out.add("SEG206", f"{func} needs a column of `{source}`", target.span,
                             f"for example {func}({source}.amount)")
                return _poison(e.span)
            arg = None
        else:
            source = _first_source(target, self.events)
            if source is None:
                if ctx.report and func not in ("exists",) + traits.TRAITS and e.window is None and e.where is None:
                    inner = self.expr(target, _Ctx())
                    if func in ("sum", "avg") and inner.type not in (T.NUMBER, T.ANY, T.BOOL):
                        self._mismatch(target, inner, f"{func} needs a number")
                    elif inner.type is T.DURATION:
                        self._mismatch(target, inner, f"{func} needs a value of each member")
                    return m.MemberAgg(func, inner, e.span)
                self.out.add("SEG206", f"{func} needs an events source", _span(target),
                             f"name the source: {func}({next(iter(self.events), 'orders')}.column)"
                             if self.events else "declare events to aggregate")
                return _poison(e.span)
            arg = self.expr(target, _Ctx(source=source))
            if func in ("sum", "avg") and arg.type not in (T.NUMBER, T.ANY):
                self._mismatch(target, arg, f"{func} needs a number")
        if func == "share" and not traits.check_share(self, e, source, arg):
            return _poison(e.span)
        if func in ("first", "last") and not traits.check_event_time(self, e, source):
            return _poison(e.span)
        inner_ctx = _Ctx(source=source, outcome=ctx.outcome)
        parts: list[m.Expr] = []
        window, where = e.window, e.where
        if window is None and where is not None:
            window, where = _trailing_window(where)
        if window is not None:
            ev = self.events[source]
            at = m.Column(ev.at.text, source, self._column_type(source, ev.at.text, None), window.span)
            parts.append(self._window(at, window, inner_ctx, window.span))
        part = None
        if where is not None:
            part = self.condition(where, inner_ctx, "`where`")
            if func != "share":  # a share's where selects its part; the window alone, its whole
                parts.append(part)
                part = None
        filt = None if not parts else parts[0] if len(parts) == 1 else m.And(tuple(parts), e.span)
        agg_func = "count" if func == "exists" else func
        agg = m.Agg(agg_func, source, arg, filt, e.span, part)
        if func == "exists":
            return m.Compare(">", agg, m.Const(0, T.NUMBER), e.span)
        return agg

    def _window(self, subject: m.Expr, w: s.Window, ctx: _Ctx, span: Span) -> m.Expr:
        if not (subject.type.is_time or subject.type is T.ANY):
            self.out.add("SEG201", f"a time window needs a date or timestamp, but this is a {subject.type.value}",
                         _span(subject) or span, "windows apply to dates, for example signup_date in last 30 days")
            return _poison(span)
        if w.kind == "next" and not ctx.outcome:
            self.out.add("SEG140", "an outcome window `in next …` looks past as_of: only the measures of a lift "
                         "report may", w.span, "segments and features see only what happened up to as_of; "
                         "measure an outcome with report lift of HOLDOUT measure …")
            return _poison(span)
        if w.kind in ("last", "previous", "next"):
            d = w.arg
            if not isinstance(d, s.Duration):
                self.out.add("SEG201", "a window needs a duration", _span(d), "for example in last 30 days")
                return _poison(span)
            if d.amount <= 0:
                self.out.add("SEG202", "a window must be at least 1 long", d.span, "for example in last 30 days")
            n = d.amount
            if w.kind == "next":  # the outcome window: the days after as_of
                return m.DateWindow(subject, m.AsOf(), False, m.DateShift(m.AsOf(), n, d.unit), True, span)
            if w.kind == "last":
                lower = m.DateShift(m.AsOf(), -n, d.unit)
                upper: m.Expr = m.AsOf()
            else:
                lower = m.DateShift(m.AsOf(), -2 * n, d.unit)
                upper = m.DateShift(m.AsOf(), -n, d.unit)
            return m.DateWindow(subject, lower, False, upper, True, span)
        bound = self.expr(w.arg, _Ctx(source=None) if ctx.source is None else ctx)
        if not (bound.type.is_time or bound.type is T.ANY):
            self._mismatch(w.arg, bound, f"`{w.kind}` needs a date")
            return _poison(span)
        if w.kind == "since":
            return m.DateWindow(subject, bound, True, m.AsOf(), True, span)
        return m.DateWindow(subject, None, False, bound, False, span)

    def _e_InWindow(self, e: s.InWindow, ctx: _Ctx) -> m.Expr:
        return self._window(self.expr(e.subject, ctx), e.window, ctx, e.span)

    def _e_Unary(self, e: s.Unary, ctx: _Ctx) -> m.Expr:
        x = self.expr(e.operand, ctx)
        if e.op == "not":
            if x.type not in (T.BOOL, T.ANY):
                self.out.add("SEG201", f"`not` needs a condition, but this is a {x.type.value}", _span(e.operand),
                             "compare it first, for example not (revenue > 0)")
            return m.Not(x, e.span)
        if x.type not in (T.NUMBER, T.ANY):
            self._mismatch(e.operand, x, "`-` needs a number")
        if isinstance(x, m.Const) and isinstance(x.value, (int, float)) and not isinstance(x.value, bool):
            return m.Const(-x.value, T.NUMBER, e.span)
        return m.Neg(x, e.span)

    def _e_Logic(self, e: s.Logic, ctx: _Ctx) -> m.Expr:
        items = tuple(self.condition(i, ctx, f"`{e.op}`") for i in e.items)
        return (m.And if e.op == "and" else m.Or)(items, e.span)

    def _e_Binary(self, e: s.Binary, ctx: _Ctx) -> m.Expr:
        left, right = self.expr(e.left, ctx), self.expr(e.right, ctx)
        op = e.op
        if op in ("+", "-"):
            return self._additive(e, left, right)
        if op in ("*", "/"):
            for src, x in ((e.left, left), (e.right, right)):
                if x.type not in (T.NUMBER, T.ANY):
                    self._mismatch(src, x, f"`{op}` needs numbers")
            return m.Arith(op, left, right, e.span)
        if op in ("like", "contains", "starts_with"):
            for src, x in ((e.left, left), (e.right, right)):
                if x.type not in (T.TEXT, T.ANY):
                    self._mismatch(src, x, f"`{op.replace('_', ' ')}` needs text")
            return m.TextMatch(op, left, right, e.negated, e.span)
        # comparison
        if T.DURATION in (left.type, right.type):
            self.out.add("SEG201", "a duration cannot be compared", e.span,
                         "compare dates, for example signup_date < as_of - 30 days")
        elif not left.type.fits(right.type):
            self.out.add("SEG201", f"cannot compare a {left.type.value} with a {right.type.value}", e.span,
                         _compare_hint(left.type, right.type))
        elif op not in ("=", "!=") and T.BOOL in (left.type, right.type):
            self.out.add("SEG201", f"`{op}` does not order true and false", e.span, "use = or !=")
        return m.Compare(op, left, right, e.span)

    def _additive(self, e: s.Binary, left: m.Expr, right: m.Expr) -> m.Expr:
        lt, rt = left.type, right.type
        if rt is T.DURATION and (lt.is_time or lt is T.ANY):
            d = right
            return m.DateShift(left, d.amount if e.op == "+" else -d.amount, d.unit, e.span)
        if lt is T.DURATION and (rt.is_time or rt is T.ANY) and e.op == "+":
            return m.DateShift(right, left.amount, left.unit, e.span)
        if lt.is_time and rt.is_time and e.op == "-":
            self.out.add("SEG201", "dates cannot be subtracted", e.span, "use days_between(a, b) for the days between")
            return _poison(e.span)
        for src, x in ((e.left, left), (e.right, right)):
            if x.type not in (T.NUMBER, T.ANY):
                self.out.add("SEG201", f"`{e.op}` needs numbers (or a date and a duration), but this is a "
                             f"{x.type.value}", _span(src), None)
                return _poison(e.span)
        return m.Arith(e.op, left, right, e.span)

    def _e_InList(self, e: s.InList, ctx: _Ctx) -> m.Expr:
        subject = self.expr(e.subject, ctx)
        items = tuple(self.expr(i, ctx) for i in e.items)
        for src, x in zip(e.items, items):
            if not subject.type.fits(x.type):
                self.out.add("SEG201", f"a {x.type.value} in a list for a {subject.type.value}", _span(src),
                             _compare_hint(subject.type, x.type))
        return m.InList(subject, items, e.negated, e.span)

    def _e_Between(self, e: s.Between, ctx: _Ctx) -> m.Expr:
        subject, low, high = (self.expr(x, ctx) for x in (e.subject, e.low, e.high))
        for src, x in ((e.low, low), (e.high, high)):
            if not subject.type.fits(x.type):
                self.out.add("SEG201", f"cannot compare a {subject.type.value} with a {x.type.value}", _span(src),
                             _compare_hint(subject.type, x.type))
        # By date only when a bound is a date written in the model (a literal, a date param,
        # as_of and its shifts): the same rule with or without a schema, so the SQL for a
        # warehouse means what `run` computes.
        by_date = subject.type in (T.DATE, T.TIMESTAMP, T.ANY) and (_fixed_date(low) or _fixed_date(high))
        return m.Between(subject, low, high, e.negated, by_date, e.span)

    def _e_IsMissing(self, e: s.IsMissing, ctx: _Ctx) -> m.Expr:
        return m.IsMissing(self.expr(e.subject, ctx), e.negated, e.span)


_CONDITIONS = (s.Logic, s.InList, s.Between, s.IsMissing, s.InWindow, s.Bool)


def _is_condition(e: s.Expr) -> bool:
    return isinstance(e, _CONDITIONS) or (isinstance(e, s.Unary) and e.op == "not") or (
        isinstance(e, s.Binary) and e.op not in ("+", "-", "*", "/"))


def _trailing_window(where: s.Expr) -> tuple[s.Window | None, s.Expr]:
    """`where (a = 1) in last 7 days`: a window after a condition belongs to the aggregate.

    A condition has no date to window, so the parser's reading (a window on
    the condition) can only mean the event time. A window right after a
    value (`shipped_at in last 7 days`) stays on that value.
    """
    if isinstance(where, s.InWindow) and _is_condition(where.subject):
        return where.window, where.subject
    if isinstance(where, s.Logic) and where.op == "and":
        last = where.items[-1]
        if isinstance(last, s.InWindow) and _is_condition(last.subject):
            return last.window, s.Logic("and", where.items[:-1] + (last.subject,), where.span)
    return None, where


def _fixed_date(x: m.Expr) -> bool:
    """A date known from the model itself, whatever the data's column types."""
    if isinstance(x, (m.Const, m.ParamRef)):
        return x.type is T.DATE
    if isinstance(x, m.AsOf):
        return True
    return isinstance(x, m.DateShift) and _fixed_date(x.operand)


def _compare_hint(a: T, b: T) -> str | None:
    if {a, b} == {T.TEXT, T.NUMBER}:
        return 'quote text values ("42") or compare with a number column'
    if T.DATE in (a, b) or T.TIMESTAMP in (a, b):
        return "write dates as @2025-01-31"
    return None


def _first_source(e: s.Expr, events: dict[str, s.Events]) -> str | None:
    """The events source of an aggregate's argument: the first `source.column`."""
    if isinstance(e, s.Ref):
        return e.parts[0].text if len(e.parts) == 2 and e.parts[0].text in events else None
    for value in vars(e).values():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if hasattr(item, "__dataclass_fields__") and not isinstance(item, (s.Name,)):
                found = _first_source(item, events)
                if found:
                    return found
    return None


def _span(e) -> Span | None:
    return getattr(e, "span", None)


def constant_value(e: s.Expr) -> object | None:
    """The value of a literal (a negative number included), else None."""
    if isinstance(e, (s.Num, s.Str, s.Bool, s.DateLit, s.TimestampLit)):
        return e.value
    if isinstance(e, s.Unary) and e.op == "-" and isinstance(e.operand, s.Num):
        return -e.operand.value
    return None


def _literal_type(value: object) -> T:
    import datetime as dt

    if isinstance(value, bool):
        return T.BOOL
    if isinstance(value, (int, float)):
        return T.NUMBER
    if isinstance(value, str):
        return T.TEXT
    if isinstance(value, dt.datetime):
        return T.TIMESTAMP
    if isinstance(value, dt.date):
        return T.DATE
    return T.ANY


def _literal_example(t: T) -> str:
    return {T.NUMBER: "for example 1000", T.TEXT: 'for example "web"', T.DATE: "for example @2025-01-31",
            T.BOOL: "true or false", T.TIMESTAMP: "for example @2025-01-31T10:00"}[t]


def check(files: list[s.File], schemas: Schemas | None = None, sources: SourceCache | None = None) -> m.CheckedModel:
    """Check parsed files (imports first) and build the model."""
    return check_deferring(files, schemas, sources, defer_guesses=False)[0]


def check_deferring(files: list[s.File], schemas: Schemas | None = None, sources: SourceCache | None = None,
                    defer_guesses: bool = True) -> tuple[m.CheckedModel, list[Diagnostic]]:
    """Check, taking near misses of definitions as columns; returns the model and those near misses.

    A model loaded before its data is read (`segdsl run`, the API) cannot yet
    tell a typo from a real column named like a definition; the data's
    columns decide once they are read, and the near misses are reported only
    if the model is used without them.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))  # long chains of features nest deeply
    try:
        checker = Checker(files, schemas, defer_guesses)
        return checker.run(), checker.guesses
    except SegError as exc:
        exc.sources = sources
        raise
    finally:
        sys.setrecursionlimit(old)


__all__ = ["check", "check_deferring", "Checker", "Schemas", "constant_value", "Diagnostic"]
