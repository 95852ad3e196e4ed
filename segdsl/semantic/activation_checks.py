"""Checking what a model sends out and measures: audiences, and the outcome of lift reports.

An audience names a segment (or one case or holdout arm), a destination of
`segdsl.semantic.destinations` and, per identifier kind the destination
takes, the member value it is read from. Everything is told at its place in
the model: an unknown destination or kind (SEG144, SEG145), a subject that is
not a segment (SEG143), a column the data does not have (SEG109, when the
model is checked against its data).

A lift report compares the arms of a holdout on an outcome measured after
as_of: its measures are member values over events `in next N days` (the
window is written in the measure), yes/no or a number. An outcome window
anywhere else is SEG140; a measure that reads anything but events in its
outcome window, or an aggregate without one, is SEG141; the subject and the
control arm are SEG142. Part of segdsl.semantic.checker.Checker.
"""

from __future__ import annotations

from . import model as m
from . import destinations as dest
from ..lang import syntax as s
from .model import T

CONTROL_NAMES = ("control", "holdout")  # the arm a lift report compares with, unless `against` names one


def outcome_window(w: m.DateWindow) -> bool:
    """Whether a window is an `in next` one: after as_of, up to a shift of it."""
    return (isinstance(w.lower, m.AsOf) and not w.lower_inclusive and isinstance(w.upper, m.DateShift)
            and isinstance(w.upper.operand, m.AsOf) and w.upper.amount > 0)


def outcome_shifts(e: m.Expr) -> list[tuple[int, str]]:
    """The (amount, unit) of every outcome window in an expression."""
    return [(x.upper.amount, x.upper.unit) for x in m.walk(e) if isinstance(x, m.DateWindow) and outcome_window(x)]


class ActivationChecks:
    """The audience and lift checks of segdsl.semantic.checker.Checker (which provides expr, defs, out, …)."""

    def _audiences(self) -> dict[str, m.Audience]:
        from .expressions import _Ctx

        out: dict[str, m.Audience] = {}
        for f in self.files:
            for d in f.definitions:
                if not isinstance(d, s.Audience):
                    continue
                name = d.name.text
                if name in out or name in self.defs:
                    self.out.add("SEG102", f"`{name}` is defined twice", d.name.span, "rename the audience")
                    continue
                subject = self.expr(d.subject, _Ctx())
                owner: str | None = None
                case: str | None = None
                if isinstance(subject, m.SegmentRef):
                    owner = subject.name
                elif isinstance(subject, m.CaseRef):
                    owner, case = subject.owner, subject.case
                elif not (isinstance(subject, m.Const) and subject.type is T.ANY):  # not already reported
                    self.out.add("SEG143", f"`{_text(d.subject)}` is not a segment, a case or a holdout arm",
                                 d.subject.span, "an audience sends the members of a segment, "
                                 "a case (lifecycle.new) or an arm (win_back_test.campaign)")
                try:
                    destination = dest.get(d.destination.text)
                except dest.UnknownDestination as exc:
                    self.out.add("SEG144", exc.message, d.destination.span, exc.hint)
                    destination = None
                identifiers = self._identifiers(d, destination)
                if owner is not None and destination is not None and identifiers is not None:
                    out[name] = m.Audience(name, owner, case, destination.name, identifiers, d.span)
        return out

    def _identifiers(self, d: s.Audience, destination: dest.Destination | None
                     ) -> tuple[tuple[str, m.Expr], ...] | None:
        from .expressions import _Ctx

        seen: dict[str, s.Identifier] = {}
        values: list[tuple[str, m.Expr]] = []
        ok = True
        for i in d.identifiers:
            kind = i.kind.text
            if kind in seen:
                first = seen[kind].kind.span
                self.out.add("SEG145", f"`{kind}` is given twice", i.kind.span,
                             f"first given at {first.file}:{first.line}:{first.column}; keep one")
                ok = False
                continue
            seen[kind] = i
            if destination is not None and kind not in destination.kinds and kind != "country":
                exc = dest.UnknownIdentifier(destination, kind)
                self.out.add("SEG145", exc.message, i.kind.span, exc.hint)
                ok = False
            value = self.expr(i.value, _Ctx())
            if isinstance(value, (m.SegmentRef, m.CaseRef, m.SegmentationRef)) or value.type in (
                    T.BOOL, T.DURATION):
                self.out.add("SEG145", f"`{_text(i.value)}` cannot be a {kind}: it is a "
                             f"{'segment' if isinstance(value, m.SegmentRef) else value.type.value}", i.value.span,
                             "name a column of the entity or a feature that holds the identifier")
                ok = False
            values.append((kind, value))
        if destination is not None and ok and not any(k != "country" for k in seen):
            self.out.add("SEG145", f"no identifier for {destination.title}: `country` only tells where phone "
                         "numbers are from", d.destination.span, "name one of: " + ", ".join(destination.kinds))
            ok = False
        return tuple(values) if ok else None

    def _lift_checks(self, d: s.Report, measures: tuple[m.Expr, ...]) -> str | None:
        """The control arm of a lift report (None when it cannot be told); its measures' outcome windows."""
        holdout = self.defs.get(d.subjects[0].text)
        for x, mx in zip(d.measures, measures):
            if mx.type not in (T.BOOL, T.NUMBER, T.ANY):
                continue  # already reported: a measure must be a number
            wrong = next((y for y in m.walk(mx) if isinstance(y, (m.FeatureRef, m.SegmentRef, m.SegmentationRef,
                                                                   m.CaseRef, m.ScoreRef))), None)
            if wrong is not None:
                self.out.add("SEG141", "a lift outcome reads the events after as_of, not the model's definitions",
                             wrong.span or x.span, "write the outcome from events, for example "
                             "exists(orders in next 30 days)")
                continue
            aggs = [y for y in m.walk(mx) if isinstance(y, m.Agg)]
            if not aggs:
                self.out.add("SEG141", "a lift outcome needs events after as_of", x.span,
                             "for example exists(orders in next 30 days) or sum(orders.amount in next 30 days)")
            for a in aggs:
                if a.filter is None or not outcome_shifts(a.filter):
                    self.out.add("SEG141", "an aggregate of a lift outcome needs an outcome window", a.span or x.span,
                                 "add one after the source: in next 30 days")
        if not isinstance(holdout, s.Holdout):
            return None  # reported by _report_subject
        arms = [a.name.text for a in holdout.arms]
        if d.against is not None:
            if d.against.text not in arms:
                from ..lang.diagnostics import did_you_mean

                self.out.add("SEG142", f"`{holdout.name.text}` has no arm `{d.against.text}`", d.against.span,
                             did_you_mean(d.against.text, arms) or f"its arms are {', '.join(arms)}")
                return None
            return d.against.text
        found = [a for a in arms if a in CONTROL_NAMES]
        if not found:
            self.out.add("SEG142", f"which arm of `{holdout.name.text}` is the control?", d.subjects[0].span,
                         f"name it: against {arms[-1]}")
            return None
        return found[0]


def _text(ref: s.Ref) -> str:
    return ".".join(p.text for p in ref.parts)
