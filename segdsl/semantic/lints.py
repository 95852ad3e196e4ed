"""Segment-quality lints: the mistakes marketing practice warns about.

A lint is a warning (or note) with its own code: SEG4xx are found in the
model alone, SEG5xx need the data (segdsl/datalint.py). Each rule has a
default severity that the project's configuration can change (segdsl.semantic.config)
and a `# segdsl: ignore[CODE]` comment can silence for one definition.

The static lints reason about conditions symbolically. A condition is turned
into a disjunction of conjunctions of simple facts about one value each
(`age > 30`, `city = "Łódź"`, `income is missing`), and a conjunction whose
facts about one value cannot all hold is dropped. Three-valued logic is kept
exact: "not true" is "false or unknown", so a case is only called
unreachable when every member it could take, including those with missing
data, is taken earlier. Whatever the analysis cannot decide it assumes
possible, so a finding is always real.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from . import model as m
from ..lang import syntax as s
from ..lang.comments import ignores, scan
from .config import RANK, Config
from ..lang.diagnostics import Diagnostic, SourceCache, Span
from .model import T


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # usable instead of the code in configuration and ignore comments
    severity: str  # default: error, warning, note or off
    data: bool  # needs the data (--db, --target or --data)
    title: str
    help: str


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("SEG401", "always-empty", "warning", False, "condition can never be true",
         "Facts that exclude each other (`age > 30 and age < 20`, `x in (\"a\") and x = \"b\"`) make a "
         "segment, case or aggregate filter always empty."),
    Rule("SEG402", "unreachable-case", "warning", False, "case can never match",
         "Every member a case (or the else case) could take is taken by an earlier case of the segmentation, "
         "since the first matching case wins."),
    Rule("SEG403", "unused-param", "warning", False, "unused parameter",
         "A parameter of the checked file that no definition uses."),
    Rule("SEG404", "unused-feature", "note", False, "unused feature",
         "A feature of the checked file that no definition or report uses (it is still an output column)."),
    Rule("SEG405", "unused-segment", "off", False, "unused segment",
         "A segment of the checked file that no definition, holdout, report or exclusive group uses; "
         "off by default, as segments are usually the product itself."),
    Rule("SEG406", "duplicate-definition", "warning", False, "same as another definition",
         "A segment (or feature) that says exactly what another one says, up to the order of `and`/`or`."),
    Rule("SEG407", "window-too-long", "warning", False, "window longer than the data keeps",
         "A time window on events that reaches further back than the configured `history` (default 5 years)."),
    Rule("SEG501", "too-broad", "warning", True, "segment too broad",
         "A segment holding more than `broad-share` (default 60 %) of the population does not target anyone."),
    Rule("SEG502", "too-small", "warning", True, "segment too small",
         "A segment or case with fewer than `small-size` (default 100) members is too small to act on."),
    Rule("SEG503", "empty", "warning", True, "segment empty",
         "A segment or case without any member at as_of."),
    Rule("SEG504", "stale-data", "warning", True, "stale data",
         "The newest event of a source is more than `stale-days` (default 7) days before as_of: the data "
         "is no longer being updated."),
    Rule("SEG505", "missing-data", "warning", True, "condition unknown for many members",
         "For more than `missing-share` (default 5 %) of the population a condition is unknown because of "
         "missing values, which silently puts those members outside the segment (or into a later case)."),
    Rule("SEG506", "window-before-data", "warning", True, "window reaches before the data",
         "A time window starts before the oldest event of its source: it counts less than it says."),
    Rule("SEG507", "overlap", "warning", True, "exclusive segments overlap",
         "Segments declared `exclusive` share members."),
)}
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES.values()}


@dataclass(frozen=True)
class Finding:
    """A lint result before configuration decides its severity."""

    code: str
    message: str
    span: Span | None
    hint: str | None = None
    subject: str | None = None  # the segment, case (`lifecycle.new`) or definition it concerns


# ── conditions as facts ─────────────────────────────────────────────────────

Point = tuple  # (kind, value): num, text, time, asof_d (days from as_of), asof_m (months), param
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "notin", "notin": "in"}
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_CAP = 256  # conjunctions kept at once; beyond that the analysis gives up (and reports nothing)


class _TooComplex(Exception):
    pass


@dataclass(frozen=True)
class Lit:
    """One fact about one value: `subject op value`, or missing/present/true/false."""

    subject: object
    op: str
    value: object = None
    origin: object = field(default=None, compare=False, hash=False)  # (model node, holds: bool)


def _point(e: m.Expr) -> Point | None:
    """A value known without data, comparable with others of its kind."""
    if isinstance(e, m.Const):
        v = e.value
        if v is None or isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            return ("num", float(v))
        if isinstance(v, str):
            return ("text", v)
        if isinstance(v, dt.datetime):
            return ("time", v)
        if isinstance(v, dt.date):
            return ("time", dt.datetime(v.year, v.month, v.day))
        return None
    if isinstance(e, m.ParamRef):
        return ("param", e.name)
    if isinstance(e, m.AsOf):
        return ("asof_d", 0)
    if isinstance(e, m.DateShift):
        base = _point(e.operand)
        if base is None or base[0] not in ("asof_d", "asof_m"):
            return None
        if e.unit in ("day", "week"):
            days = e.amount * (7 if e.unit == "week" else 1)
            return ("asof_d", base[1] + days) if base[0] == "asof_d" else None
        months = e.amount * (12 if e.unit == "year" else 1)
        if base[0] == "asof_m" or base[1] == 0:
            return ("asof_m", (base[1] if base[0] == "asof_m" else 0) + months)
        return None
    return None


def _days(p: Point) -> tuple[float, float]:
    """The range of days from as_of a relative point can stand for."""
    if p[0] == "asof_d":
        return (p[1], p[1])
    k = p[1]
    return (28 * k, 31 * k) if k >= 0 else (31 * k, 28 * k)


def _order(a: Point, b: Point) -> int | None:
    """-1, 0 or 1 when the order of two points is certain, else None."""
    if a[0] in ("asof_d", "asof_m") and b[0] in ("asof_d", "asof_m"):
        if a == b:
            return 0
        (alo, ahi), (blo, bhi) = _days(a), _days(b)
        if ahi < blo:
            return -1
        if alo > bhi:
            return 1
        return None
    if a[0] != b[0] or a[0] in ("text", "param"):
        return 0 if a == b and a[0] == "param" else None
    return (a[1] > b[1]) - (a[1] < b[1])


def _equal(a: Point, b: Point) -> bool | None:
    if a[0] == "text" and b[0] == "text":
        return a[1] == b[1]
    r = _order(a, b)
    return None if r is None else r == 0


def _holds(lit: Lit, v: Point) -> bool | None:
    """Whether `lit` holds for a value v (None: cannot tell)."""
    op = lit.op
    if op in ("in", "notin"):
        results = [_equal(v, p) for p in lit.value]
        if any(r is True for r in results):
            found: bool | None = True
        elif all(r is False for r in results):
            found = False
        else:
            found = None
        return found if op == "in" or found is None else not found
    if op in ("=", "!="):
        r = _equal(v, lit.value)
        return r if op == "=" or r is None else not r
    r = _order(v, lit.value)
    if r is None:
        return None
    return {"<": r < 0, "<=": r <= 0, ">": r > 0, ">=": r >= 0}[op]


def _group_conflict(lits: list[Lit]) -> tuple[Lit, ...] | None:
    """Facts about one subject that cannot all hold, or None."""
    missing = [x for x in lits if x.op == "missing"]
    others = [x for x in lits if x.op != "missing"]
    if missing and others:
        return (missing[0], others[0])
    true = [x for x in lits if x.op == "true"]
    false = [x for x in lits if x.op == "false"]
    if true and false:
        return (true[0], false[0])
    cmps = [x for x in lits if x.op in _NEGATE]
    lows = [x for x in cmps if x.op in (">", ">=")]
    highs = [x for x in cmps if x.op in ("<", "<=")]
    for lo in lows:
        for hi in highs:
            r = _order(lo.value, hi.value)
            if r is not None and (r > 0 or r == 0 and not (lo.op == ">=" and hi.op == "<=")):
                return (lo, hi)
    pins: list[tuple[tuple[Lit, ...], list[Point]]] = []
    for x in cmps:
        if x.op == "=":
            pins.append(((x,), [x.value]))
        elif x.op == "in":
            pins.append(((x,), sorted(x.value, key=repr)))
    for lo in lows:
        for hi in highs:
            if lo.op == ">=" and hi.op == "<=" and _order(lo.value, hi.value) == 0:
                pins.append(((lo, hi), [lo.value]))
    for sources, candidates in pins:
        killers: list[Lit] = []
        for c in candidates:
            killer = next((x for x in cmps if x not in sources and _holds(x, c) is False), None)
            if killer is None:
                break
            if killer not in killers:
                killers.append(killer)
        else:
            return sources + tuple(killers)
    return None


def _whole_numbers(lits: list[Lit]) -> list[Lit]:
    """Bounds on a count tightened to whole numbers: `n < 1` is `n <= 0`, `n = 0.5` cannot hold."""
    import math

    out = []
    for x in lits:
        if x.op in ("<", "<=", ">", ">=", "=") and isinstance(x.value, tuple) and x.value[0] == "num":
            c = x.value[1]
            if x.op == "=" and not float(c).is_integer():
                out.append(Lit(x.subject, "missing", None, x.origin))  # conflicts with any other fact
                out.append(Lit(x.subject, "present", None, x.origin))
                continue
            bound = {"<": ("<=", math.ceil(c) - 1), "<=": ("<=", math.floor(c)), ">": (">=", math.floor(c) + 1),
                     ">=": (">=", math.ceil(c)), "=": ("=", c)}[x.op]
            out.append(Lit(x.subject, bound[0], ("num", float(bound[1])), x.origin))
        else:
            out.append(x)
    return out


class Conditions:
    """Turns model conditions into facts and decides which combinations can hold."""

    def __init__(self, model: m.CheckedModel):
        self.model = model
        self.conflicts: list[tuple[Lit, ...]] = []  # combinations found impossible, in order
        self._cache: dict[tuple[object, str], list[tuple[Lit, ...]]] = {}

    # subjects -------------------------------------------------------------
    def subject(self, e: m.Expr) -> object:
        """A value's identity: a feature stands for its expression, so `recency` and
        `days_between(last_order, as_of)` are the same value."""
        while isinstance(e, m.FeatureRef) and e.name in self.model.features:
            e = self.model.features[e.name].expr
        if isinstance(e, m.SegmentationRef):
            return ("case", e.name)
        return e

    def _date_subject(self, e: m.Expr) -> object:
        return self.subject(e) if e.type is T.DATE else ("date", self.subject(e))

    def _may_be_missing(self, e: object) -> bool:
        """Whether a value can be missing; when unsure, yes (which only costs findings)."""
        if isinstance(e, m.FeatureRef):
            e = self.subject(e)
        if isinstance(e, tuple) and e and e[0] == "date":
            return self._may_be_missing(e[1])
        if isinstance(e, m.Agg) and e.func in ("count", "count_distinct"):
            return False
        return not isinstance(e, (m.Const, m.AsOf, m.CaseRef, m.SegmentRef))

    # combining ------------------------------------------------------------
    def _merge(self, a: tuple[Lit, ...], b: tuple[Lit, ...]) -> tuple[Lit, ...] | None:
        merged = a + tuple(x for x in b if x not in a)
        for subj in {x.subject for x in b}:
            group = [x for x in merged if x.subject == subj]
            if isinstance(subj, m.Agg) and subj.func in ("count", "count_distinct"):
                group = _whole_numbers(group) + [Lit(subj, ">=", ("num", 0.0), (subj, True))]  # counts: 0, 1, 2, …
            found = _group_conflict(group)
            if found:
                if len(self.conflicts) < 50:
                    self.conflicts.append(found)
                return None
        return merged

    def both(self, *parts: list[tuple[Lit, ...]]) -> list[tuple[Lit, ...]]:
        result: list[tuple[Lit, ...]] = [()]
        for part in parts:
            new: list[tuple[Lit, ...]] = []
            for a in result:
                for b in part:
                    c = self._merge(a, b)
                    if c is not None and c not in new:
                        new.append(c)
                        if len(new) > _CAP:
                            raise _TooComplex
            result = new
            if not result:
                return []
        return result

    @staticmethod
    def either(*parts: list[tuple[Lit, ...]]) -> list[tuple[Lit, ...]]:
        out: list[tuple[Lit, ...]] = []
        for part in parts:
            for c in part:
                if c not in out:
                    out.append(c)
        if len(out) > _CAP:
            raise _TooComplex
        return out

    # translation ----------------------------------------------------------
    def facts(self, e: m.Expr, mode: str) -> list[tuple[Lit, ...]]:
        """The ways `e` can be true (T), false (F), not true (NT) or not false (NF)."""
        key = (e, mode)
        if key not in self._cache:
            self._cache[key] = self._facts(e, mode)
        return self._cache[key]

    def _facts(self, e: m.Expr, mode: str) -> list[tuple[Lit, ...]]:
        f = self.facts
        dual = {"T": "F", "F": "T", "NT": "NF", "NF": "NT"}
        if isinstance(e, m.Const) and isinstance(e.value, bool):
            true = mode in ("T", "NF")
            return [()] if e.value == true else []
        if isinstance(e, (m.And, m.Or)):
            conj = (mode in ("T", "NF")) == isinstance(e, m.And)
            parts = [f(i, mode) for i in e.items]
            return self.both(*parts) if conj else self.either(*parts)
        if isinstance(e, m.Not):
            return f(e.operand, dual[mode])
        if isinstance(e, m.SegmentRef) and e.name in self.model.segments:
            inner = self.model.segments[e.name].expr  # two-valued: false whenever not true
            return f(inner, "T") if mode in ("T", "NF") else f(inner, "NT")
        if isinstance(e, m.FeatureRef) and e.type is T.BOOL and e.name in self.model.features:
            return f(self.model.features[e.name].expr, mode)
        if isinstance(e, m.CaseRef):
            lit = Lit(("case", e.owner), "=", ("text", e.case), (e, True))
            neg = Lit(("case", e.owner), "!=", ("text", e.case), (e, False))
            if mode not in ("T", "NF"):
                return [(neg,)]
            # In a case: its condition holds and no earlier one does (first match wins).
            sg = self.model.segmentations.get(e.owner)
            if not isinstance(sg, m.CaseSegmentation):
                return [(lit,)]
            parts: list[list[tuple[Lit, ...]]] = [[(lit,)]]
            for name, cond in sg.cases:
                if name == e.case:
                    parts.append(f(cond, "T"))
                    break
                parts.append(f(cond, "NT"))
            return self.both(*parts)
        if isinstance(e, m.IsMissing):
            subj = self.subject(e.subject)
            missing = (mode in ("T", "NF")) != e.negated
            return [(Lit(subj, "missing" if missing else "present", None, (e, mode in ("T", "NF"))),)]
        atoms = self._atoms(e)
        if atoms is None:
            return self._opaque(e, mode)
        subj, may_miss, true_ways, false_ways = atoms
        if mode == "T":
            return true_ways
        if mode == "F":
            return false_ways
        missing = [(Lit(subj, "missing", None, (e, False)),)] if may_miss else []
        return self.either(false_ways, missing) if mode == "NT" else self.either(true_ways, missing)

    def _opaque(self, e: m.Expr, mode: str) -> list[tuple[Lit, ...]]:
        subj = self.subject(e)
        yes, no = Lit(subj, "true", None, (e, True)), Lit(subj, "false", None, (e, False))
        missing = [(Lit(subj, "missing", None, (e, False)),)] if self._may_be_missing(e) else []
        return {"T": [(yes,)], "F": [(no,)], "NT": [(no,)] + missing, "NF": [(yes,)] + missing}[mode]

    def _atoms(self, e: m.Expr):
        """(subject, may be missing, ways of being true, ways of being false) of a simple test."""
        if isinstance(e, m.Compare):
            left, right = e.left, e.right
            lp, rp = _point(left), _point(right)
            op = e.op
            for value, other in ((right, left), (left, right)):
                if isinstance(value, m.Const) and isinstance(value.value, bool) and op in ("=", "!="):
                    return None if other.type is not T.BOOL else self._bool_atoms(other, value.value == (op == "="))
            if (lp is None) == (rp is None):
                return None
            if lp is not None:
                left, rp, op = right, lp, _FLIP[op]
            subj = self.subject(left)
            pos = Lit(subj, op, rp, (e, True))
            neg = Lit(subj, _NEGATE[op], rp, (e, False))
            return subj, self._may_be_missing(left), [(pos,)], [(neg,)]
        if isinstance(e, m.InList):
            points = [_point(i) for i in e.items]
            if any(p is None for p in points):
                return None
            subj = self.subject(e.subject)
            op = "notin" if e.negated else "in"
            pos = Lit(subj, op, frozenset(points), (e, True))
            neg = Lit(subj, _NEGATE[op], frozenset(points), (e, False))
            return subj, self._may_be_missing(e.subject), [(pos,)], [(neg,)]
        if isinstance(e, (m.Between, m.DateWindow)):
            if isinstance(e, m.Between):
                bounds = [(">=", e.low), ("<=", e.high)]
                subj = self._date_subject(e.subject) if e.by_date else self.subject(e.subject)
                negated = e.negated
            else:
                bounds = []
                if e.lower is not None:
                    bounds.append((">=" if e.lower_inclusive else ">", e.lower))
                if e.upper is not None:
                    bounds.append(("<=" if e.upper_inclusive else "<", e.upper))
                subj = self._date_subject(e.subject)
                negated = False
            points = [(op, _point(b)) for op, b in bounds]
            if not points or any(p is None for _, p in points):
                return None
            inside = [tuple(Lit(subj, op, p, (e, not negated)) for op, p in points)]
            outside = [(Lit(subj, _NEGATE[op], p, (e, negated)),) for op, p in points]
            # `not between` is true outside the bounds and false inside them
            return (subj, self._may_be_missing(e.subject)) + ((outside, inside) if negated else (inside, outside))
        return None

    def _bool_atoms(self, x: m.Expr, polarity: bool):
        subj = self.subject(x)
        yes, no = Lit(subj, "true", None, (x, True)), Lit(subj, "false", None, (x, False))
        pos, neg = (yes, no) if polarity else (no, yes)
        return subj, self._may_be_missing(x), [(pos,)], [(neg,)]


# ── the static lints ────────────────────────────────────────────────────────


class StaticLints:
    """Every SEG4xx rule over one checked program."""

    def __init__(self, model: m.CheckedModel, files: list[s.File], main: str, config: Config, sources: SourceCache):
        self.model = model
        self.files = files
        self.main = main
        self.config = config
        self.sources = sources
        self.c = Conditions(model)
        self.out: list[Finding] = []

    def run(self) -> list[Finding]:
        self._contradictions()
        self._unreachable_cases()
        self._unused()
        self._duplicates()
        self._windows()
        return self.out

    # helpers ----------------------------------------------------------------
    def text(self, node: object) -> str:
        return snippet(self.sources, getattr(node, "span", None))

    def describe(self, lit: Lit) -> str:
        node, holds = lit.origin if isinstance(lit.origin, tuple) else (None, True)
        text = self.text(node) if node is not None else "?"
        if lit.op == "missing" and not isinstance(node, m.IsMissing):
            return f"`{text}` is unknown"
        return f"`{text}`" if holds else f"`{text}` is false"

    def _empty(self, expr: m.Expr) -> tuple[bool, str | None]:
        """Whether a condition can never be true, and the facts that clash."""
        try:
            if self.c.facts(expr, "T"):
                return False, None
            # Empty: evaluate again without the cache, to see which facts clash.
            self.c.conflicts = []
            self.c._cache.clear()
            self.c.facts(expr, "T")
        except _TooComplex:
            return False, None
        clash = self.c.conflicts[0] if self.c.conflicts else None
        if clash:
            parts = []
            for lit in clash:
                d = self.describe(lit)
                if d not in parts:
                    parts.append(d)
            return True, " and ".join(parts) + (" cannot all hold" if len(parts) > 2 else " cannot both hold")
        return True, None

    # SEG401 -----------------------------------------------------------------
    def _contradictions(self) -> None:
        for name, seg in self.model.segments.items():
            empty, why = self._empty(seg.expr)
            if empty:
                self.out.append(Finding("SEG401", f"segment `{name}` can never have members"
                                        + (f": {why}" if why else ""), _span_of(seg.expr) or seg.span,
                                        "one of the bounds or values is probably mistyped; "
                                        "with `or` instead of `and` the two sides would be alternatives", name))
        for name, sg in self.model.segmentations.items():
            if not isinstance(sg, m.CaseSegmentation):
                continue
            for case, cond in sg.cases:
                empty, why = self._empty(cond)
                if empty:
                    self.out.append(Finding("SEG401", f"case `{name}.{case}` can never match"
                                            + (f": {why}" if why else ""), _span_of(cond) or sg.span,
                                            "one of the bounds or values is probably mistyped", f"{name}.{case}"))
        seen: set[Span] = set()
        for agg in self._aggregates():
            if agg.filter is None or agg.span is None or agg.span in seen:
                continue
            seen.add(agg.span)
            empty, why = self._empty(agg.filter)
            if empty:
                zero = "0" if agg.func in ("count", "count_distinct") else "missing"
                self.out.append(Finding("SEG401", f"`{self.text(agg)}` never takes any event, so it is always {zero}"
                                        + (f": {why}" if why else ""), agg.span,
                                        "check the `where` condition and the window", None))

    def _aggregates(self) -> Iterator[m.Agg]:
        for e in self._all_expressions():
            for node in m.walk(e):
                if isinstance(node, m.Agg):
                    yield node

    def _all_expressions(self) -> Iterator[m.Expr]:
        for n in self.model.order:
            yield from (x for x in self.model.expressions_of(n) if x is not None)
        for r in self.model.reports.values():
            yield from r.measures

    # SEG402 -----------------------------------------------------------------
    def _unreachable_cases(self) -> None:
        for name, sg in self.model.segmentations.items():
            if not isinstance(sg, m.CaseSegmentation):
                continue
            before: list[tuple[str, m.Expr]] = []
            for case, cond in sg.cases:
                self._unreachable(name, case, cond, before, sg)
                before.append((case, cond))
            if sg.else_case and before:
                self._unreachable(name, sg.else_case, None, before, sg)

    def _unreachable(self, name: str, case: str, cond: m.Expr | None, before: list[tuple[str, m.Expr]],
                     sg: m.Segmentation) -> None:
        if not before:
            return
        c = self.c
        try:
            own = c.facts(cond, "T") if cond is not None else [()]
            if not own:
                return  # SEG401 already says it
            rest = c.both(own, *(c.facts(b, "NT") for _, b in before))
        except _TooComplex:
            return
        if rest:
            return
        covering = [b for b, bc in before if not self._try(lambda bc=bc: c.both(own, c.facts(bc, "NT")))]
        by = (f"`{covering[0]}` takes every member it would" if covering else
              f"the cases before it ({', '.join(f'`{b}`' for b, _ in before)}) take every member it would")
        what = f"the else case `{case}`" if cond is None else f"case `{name}.{case}`"
        span = _span_of(cond) if cond is not None else self._else_span(name) or sg.span
        self.out.append(Finding("SEG402", f"{what} can never match: {by}", span,
                                "the first matching case wins: move it before the case that covers it, "
                                "or narrow the earlier case", f"{name}.{case}"))

    def _try(self, fn) -> bool:
        try:
            return bool(fn())
        except _TooComplex:
            return True

    def _else_span(self, name: str) -> Span | None:
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, s.Segmentation) and d.name.text == name and d.else_case is not None:
                    return d.else_case.span
        return None

    # SEG403–405 -------------------------------------------------------------
    def _unused(self) -> None:
        main_defs = next((f.definitions for f in self.files if f.path == self.main), ())
        if not any(isinstance(d, (s.Segment, s.Segmentation, s.Holdout, s.Report, s.Audience)) for d in main_defs):
            return  # a library of shared definitions: its users decide what is used
        used: set[str] = set()
        for e in self._all_expressions():
            for node in m.walk(e):
                if isinstance(node, (m.ParamRef, m.FeatureRef, m.SegmentRef)):
                    used.add(node.name)
        used |= {h.segment for h in self.model.holdouts.values()}
        for r in self.model.reports.values():
            used |= set(r.subjects)
        for a in self.model.audiences.values():  # what an audience sends is used
            used.add(a.owner)
            used |= {x.name for _, v in a.identifiers for x in m.walk(v) if isinstance(x, m.FeatureRef)}
        for f in self.files:
            for d in f.definitions:
                if isinstance(d, s.Exclusive):
                    used |= {n.text for n in d.segments}
        for d in main_defs:
            if isinstance(d, (s.Param, s.Feature, s.Segment)) and d.name.text not in used:
                code, what = {s.Param: ("SEG403", "parameter"), s.Feature: ("SEG404", "feature"),
                              s.Segment: ("SEG405", "segment")}[type(d)]
                hint = {"SEG403": "remove it, or use it where its value was meant",
                        "SEG404": "remove it if no one reads its output column",
                        "SEG405": "remove it, or use it in a report, a holdout or a campaign"}[code]
                self.out.append(Finding(code, f"{what} `{d.name.text}` is not used", d.name.span, hint,
                                        d.name.text))

    # SEG406 -----------------------------------------------------------------
    def _duplicates(self) -> None:
        for table, what in ((self.model.segments, "segment"), (self.model.features, "feature")):
            first: dict[object, str] = {}
            for name, d in table.items():
                key = canonical(d.expr)
                if key in first:
                    other = first[key]
                    self.out.append(Finding("SEG406", f"{what} `{name}` is the same as `{other}`", d.span,
                                            f"remove one of them, or define it as `{what} {name} = {other}`"
                                            if what == "segment" else "remove one of them", name))
                else:
                    first[key] = name

    # SEG407 -----------------------------------------------------------------
    def _windows(self) -> None:
        seen: set[Span] = set()
        for agg in self._aggregates():
            if agg.filter is None:
                continue
            for node in m.walk(agg.filter):
                if not isinstance(node, m.DateWindow) or node.span is None or node.span in seen:
                    continue
                if not (isinstance(node.subject, m.Column) and node.subject.source == agg.source):
                    continue
                seen.add(node.span)
                reach = window_reach(node)
                history = self.config.history(agg.source)
                if reach is not None and history is not None and reach.months > history.months + 1e-9:
                    self.out.append(Finding(
                        "SEG407", f"`{self.text(node)}` reaches back {reach}, longer than `{agg.source}` keeps "
                        f"(history: {history})", node.span,
                        f"shorten the window, or set `history` for `{agg.source}` in [tool.segdsl.sources."
                        f"{agg.source}] if the data keeps more", None))


def window_reach(w: m.DateWindow):
    """How far before as_of a window starts, as a config Duration (None: not relative to as_of)."""
    from .config import Duration

    if w.lower is None:
        return None
    p = _point(w.lower)
    if p is None or p[0] not in ("asof_d", "asof_m") or p[1] >= 0:
        return None
    if p[0] == "asof_d":
        return Duration(-p[1], "day")
    if p[0] == "asof_m":
        k = -p[1]
        return Duration(k // 12, "year") if k % 12 == 0 else Duration(k, "month")
    return None


def canonical(e: object) -> object:
    """An expression up to the order of `and`/`or` items and of `in` lists."""
    if isinstance(e, (m.And, m.Or)):
        items: set = set()
        for i in e.items:
            k = canonical(i)
            if isinstance(k, tuple) and k and k[0] == type(e).__name__:
                items |= k[1]
            else:
                items.add(k)
        return (type(e).__name__, frozenset(items))
    if isinstance(e, m.InList):
        return ("InList", canonical(e.subject), frozenset(canonical(i) for i in e.items), e.negated)
    if isinstance(e, m.Compare) and e.op in (">", ">=") :
        return ("Compare", _FLIP[e.op], canonical(e.right), canonical(e.left))
    if isinstance(e, m.Compare) and e.op in ("=", "!="):
        return ("Compare", e.op, frozenset((canonical(e.left), canonical(e.right))))
    fields = getattr(e, "__dataclass_fields__", None)
    if fields is None:
        return tuple(canonical(x) for x in e) if isinstance(e, tuple) else e
    return (type(e).__name__,) + tuple(canonical(getattr(e, f)) for f in fields if f != "span")


def _span_of(e: object) -> Span | None:
    return getattr(e, "span", None)


def snippet(sources: SourceCache, span: Span | None, limit: int = 70) -> str:
    """The source text of a span on one line, shortened."""
    if span is None or span.line <= 0:
        return "?"
    lines = []
    for n in range(span.line, span.end_line + 1):
        text = sources.line(span.file, n)
        if text is None:
            return "?"
        start = span.column - 1 if n == span.line else 0
        end = span.end_column - 1 if n == span.end_line else len(text)
        lines.append(text[start:end].strip())
    text = " ".join(x for x in lines if x)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ── severities, ignore comments ─────────────────────────────────────────────


class Suppressions:
    """`# segdsl: ignore[…]` comments of the files of a program.

    A comment inside a definition, or on its own line right above it, covers
    findings inside that definition; `# segdsl: ignore-file[…]` covers the file.
    """

    def __init__(self, files: list[s.File], sources: SourceCache):
        self.by_file: dict[str, list[tuple[int, int, frozenset[str] | None]]] = {}
        for f in files:
            text = "\n".join(sources._texts.get(f.path, [])) if hasattr(sources, "_texts") else ""
            found = ignores(scan(text))
            if not found:
                continue
            ranges = [(d.span.line, d.span.end_line) for d in f.definitions if getattr(d, "span", None)]
            entries = []
            for ig in found:
                if ig.whole_file:
                    entries.append((1, 10**9, ig.codes))
                    continue
                for first, last in ranges:
                    if first - 1 <= ig.line <= last:
                        entries.append((first, last, ig.codes))
            self.by_file[f.path] = entries

    def covers(self, code: str, span: Span | None) -> bool:
        if span is None:
            return False
        rule = RULES.get(code)
        for first, last, codes in self.by_file.get(span.file, ()):
            if first <= span.line <= last and (codes is None or code in codes or (rule and rule.name in codes)):
                return True
        return False


def to_diagnostics(findings: Iterable[Finding], config: Config, suppressions: Suppressions | None
                   ) -> list[Diagnostic]:
    """Apply the configuration and ignore comments; drop what is off."""
    out = []
    for f in findings:
        rule = RULES[f.code]
        severity = config.severity(f.code, rule.severity, f.subject)
        if severity == "off" or (suppressions is not None and suppressions.covers(f.code, f.span)):
            continue
        out.append(Diagnostic(f.code, f.message, f.span, f.hint, severity))
    return out


def static_lints(model: m.CheckedModel, files: list[s.File], main: str, config: Config, sources: SourceCache
                 ) -> list[Finding]:
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))  # long chains of definitions nest deeply, as in the checker
    try:
        return StaticLints(model, files, main, config, sources).run()
    finally:
        sys.setrecursionlimit(old)


__all__ = ["RULES", "RULES_BY_NAME", "Rule", "Finding", "Conditions", "static_lints", "to_diagnostics",
           "Suppressions", "snippet", "canonical", "window_reach", "RANK"]
