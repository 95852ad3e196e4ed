"""Checking the reports of a model: their subjects and their measures.

A measure is a member value (summed per group) or aggregates over the
members of a group, combined with numbers, params and + - * / only; each
report names its subjects by kind (a value report takes segments,
segmentations and holdouts, a profile one segment, …). Part of the checker
(segdsl.semantic.checker.Checker), kept apart because reports are checked after every
definition is resolved.
"""

from __future__ import annotations

from . import model as m
from ..lang import syntax as s
from .model import T


class ReportChecks:
    """The report checks of segdsl.semantic.checker.Checker (which provides expr, defs, out and the rest)."""

    def _reports(self) -> dict[str, m.Report]:
        from .expressions import _Ctx  # the checker's own context type (check imports this module)

        reports: dict[str, m.Report] = {}
        for f in self.files:
            for d in f.definitions:
                if not isinstance(d, s.Report):
                    continue
                subjects = tuple(n.text for n in d.subjects)
                for n in d.subjects:
                    self._report_subject(d.kind, n)
                ctx = _Ctx(outcome=True) if d.kind == "lift" else _Ctx(report=True)
                measures = tuple(self.expr(x, ctx) for x in d.measures)
                for x, mx in zip(d.measures, measures):
                    if isinstance(mx, m.MemberAgg):
                        continue  # min and max also take dates and text (the first signup date)
                    # the shape first: `min(fo) + 1 day` is SEG206 whether or not fo's type is known yet
                    if self._measure_arithmetic(mx) and mx.type not in (T.NUMBER, T.ANY, T.BOOL):
                        self._mismatch(x, mx, "a measure must be a number")
                name = d.name.text if d.name else "_".join((d.kind, *subjects))
                base, i = name, 2
                while name in reports:
                    name, i = f"{base}_{i}", i + 1
                if d.name and (d.name.text in self.defs or d.name.text in reports):
                    self.out.add("SEG102", f"`{d.name.text}` is defined twice", d.name.span, "rename the report")
                against = self._lift_checks(d, measures) if d.kind == "lift" else None
                period = d.period.value if isinstance(d.period, s.DateLit) else \
                    (d.period.amount, d.period.unit) if isinstance(d.period, s.Duration) else None
                if isinstance(d.period, s.Duration) and d.period.amount <= 0:
                    self.out.add("SEG146", "a calibration split needs a positive duration", d.period.span,
                                 "for example `split 6 months`: the calibration period ends that long before as_of")
                reports[name] = m.Report(name, d.kind, subjects, measures, d.span, against, period,
                                         d.period.span if d.period is not None else None)
        return reports

    def _measure_arithmetic(self, e: m.Expr) -> bool:
        """A measure that aggregates over members (`avg(revenue) * 100`) combines its aggregates with
        numbers, params and + - * / only: a member value outside an aggregate has no single value per
        group, and other operations on aggregates are not computed per group (SEG206). False if not."""
        if isinstance(e, m.MemberAgg) or not any(isinstance(x, m.MemberAgg) for x in m.walk(e)):
            return True
        ok = True

        def visit(x: m.Expr) -> None:
            nonlocal ok
            if isinstance(x, (m.MemberAgg, m.Const, m.ParamRef)):
                return
            if isinstance(x, (m.Arith, m.Neg)):
                for c in m.children(x):
                    visit(c)
                return
            ok = False
            if any(isinstance(y, m.MemberAgg) for y in m.walk(x)):
                self.out.add("SEG206", "in a report measure, aggregates over members are combined only with "
                             "+ - * / numbers and params", x.span, "compute the rest as a feature and aggregate it")
            else:
                self.out.add("SEG206", "a member value outside an aggregate, in a measure that aggregates over "
                             "members", x.span, "aggregate it too, for example sum(revenue) / count(revenue)")

        visit(e)
        return ok

    def _report_subject(self, kind: str, n: s.Name) -> None:
        target = self.defs.get(n.text)
        allowed = {
            "value": (s.Segment, s.Segmentation, s.Holdout),
            "profile": (s.Segment,),
            "overlap": (s.Segment,),
            "migration": (s.Segmentation,),
            "persona": (s.Segmentation, s.Segment),
            "crosstab": (s.Segment, s.Segmentation, s.Holdout, s.Feature),
            "lift": (s.Holdout,),
            "calibration": (s.Prediction,),
        }[kind]
        if target is None:
            if kind == "crosstab":  # an entity column is a fine dimension
                if self.entity is not None:
                    self._column_type(self.entity.name.text, n.text, n.span)
                return
            self._unknown(n.text, n.span, [k for k, v in self.defs.items() if isinstance(v, allowed)])
        elif not isinstance(target, allowed):
            what = {"value": "a segment or segmentation", "profile": "a segment", "overlap": "a segment",
                    "migration": "a segmentation", "lift": "a holdout",
                    "persona": "a segmentation or segment", "calibration": "a prediction"}.get(kind, "a dimension")
            self.out.add("SEG108", f"`{n.text}` is not {what}", n.span, f"a {kind} report takes {what}")

