"""Check: syntax tree → model. Resolves names, infers and checks types.

Every problem is collected rather than raised at once, so one run reports
all the mistakes of a program. Column names can only be verified against a
schema; without one, a bare name that is not defined anywhere is taken as a
column of the entity (or of the events source inside an aggregate), unless it
is a near miss of a defined name, which is almost always a typo.

The checker owns the scope and the definitions; its checks are mixins
apart: expressions (name resolution and type inference), reports
(report_checks, run after every definition is resolved), audiences and
outcome windows (activation_checks), predictions (predictions); params
(params) and what is known of the columns (schema) are modules of their own.
"""

from __future__ import annotations

import sys

from . import model as m
from ..lang import syntax as s
from ..lang.diagnostics import Collector, Diagnostic, SegError, SourceCache, Span, did_you_mean
from .model import T
from .predictions import PredictionChecks
from .activation_checks import ActivationChecks
from .report_checks import ReportChecks
from .expressions import BUILTINS, ExpressionChecks, _Ctx, _literal_example, _literal_type, _span, constant_value

Schemas = dict[str, dict[str, T]]


class Checker(ExpressionChecks, ReportChecks, ActivationChecks, PredictionChecks):
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
