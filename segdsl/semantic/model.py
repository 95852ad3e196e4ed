"""The model: a typed, immutable, dialect-free representation of a .seg program.

The checker builds it from the syntax tree with every name resolved and every
expression typed. The compiler and the reference evaluator both read only
this, so two independent implementations of the semantics share one input.
Spans are kept for diagnostics but never take part in equality, so the same
aggregate written twice is one value (and one SQL column).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Iterator, Union

from ..lang.diagnostics import Span
from ..lang.syntax import like_pattern


class T(Enum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"
    DURATION = "duration"
    ANY = "any"  # a column whose type is not known without a schema

    @property
    def is_time(self) -> bool:
        return self in (T.DATE, T.TIMESTAMP)

    def fits(self, other: "T") -> bool:
        """Whether values of the two types can be compared."""
        if T.ANY in (self, other) or self is other:
            return True
        return self.is_time and other.is_time


PARAM_TYPES = {"number": T.NUMBER, "text": T.TEXT, "date": T.DATE, "bool": T.BOOL, "timestamp": T.TIMESTAMP}


def _nospan():
    """A span field that takes no part in equality (a new Field each use)."""
    return field(default=None, compare=False, repr=False)


# ── Expressions ─────────────────────────────────────────────────────────────
# Every node has a `type` property. Children come first, the span last.


@dataclass(frozen=True)
class Const:
    value: object  # int | float | str | bool | date | datetime
    type: T
    span: Span | None = _nospan()
    like: str | None = None  # a text written with `\%` or `\_`: its like pattern (segdsl.lang.parser.decode)

    def pattern(self) -> str:
        """The text as a like pattern (backslash escaping): % and _ are wildcards unless written escaped."""
        return self.like if self.like is not None else like_pattern(str(self.value))


@dataclass(frozen=True)
class DurationConst:
    amount: int
    unit: str  # day, week, month, year
    span: Span | None = _nospan()
    type = T.DURATION


@dataclass(frozen=True)
class AsOf:
    span: Span | None = _nospan()
    type = T.DATE


@dataclass(frozen=True)
class ParamRef:
    name: str
    type: T
    span: Span | None = _nospan()


@dataclass(frozen=True)
class Column:
    """A column of the entity (source None) or of an events source."""

    name: str
    source: str | None
    type: T
    span: Span | None = _nospan()


@dataclass(frozen=True)
class FeatureRef:
    name: str
    type: T
    span: Span | None = _nospan()


@dataclass(frozen=True)
class SegmentRef:
    name: str
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class SegmentationRef:
    """The label (text) or quantile (number) of a segmentation."""

    name: str
    type: T
    span: Span | None = _nospan()


@dataclass(frozen=True)
class CaseRef:
    """`lifecycle.new`, `vip_test.control`: true when the member is in that case."""

    owner: str
    case: str
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class ScoreRef:
    """`rfm.r`, `rfm.f`, `rfm.m`: an RFM score 1–5."""

    owner: str
    score: str  # r, f, m
    span: Span | None = _nospan()
    type = T.NUMBER


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span | None = _nospan()
    type = T.NUMBER


@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class Arith:
    """+ - * / on numbers. Division is real division; by zero it is missing."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None = _nospan()
    type = T.NUMBER


@dataclass(frozen=True)
class DateShift:
    """A date or timestamp moved by a duration (calendar months and years)."""

    operand: "Expr"
    amount: int  # signed
    unit: str
    span: Span | None = _nospan()

    @property
    def type(self) -> T:
        return self.operand.type if self.operand.type.is_time else T.ANY


@dataclass(frozen=True)
class Compare:
    op: str  # = != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class And:
    items: tuple["Expr", ...]
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class Or:
    items: tuple["Expr", ...]
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class InList:
    subject: "Expr"
    items: tuple["Expr", ...]
    negated: bool
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class Between:
    """Inclusive on both ends. `by_date` compares the subject by its date."""

    subject: "Expr"
    low: "Expr"
    high: "Expr"
    negated: bool
    by_date: bool
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class IsMissing:
    subject: "Expr"
    negated: bool
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class TextMatch:
    op: str  # like, contains, starts_with
    subject: "Expr"
    pattern: "Expr"
    negated: bool
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class DateWindow:
    """The subject's date lies in (lower, upper] / [lower, upper) as flagged.

    Bounds are date expressions (usually as_of shifted by a duration); None is
    unbounded. Every time window of the language becomes one of these.
    """

    subject: "Expr"
    lower: "Expr | None"
    lower_inclusive: bool
    upper: "Expr | None"
    upper_inclusive: bool
    span: Span | None = _nospan()
    type = T.BOOL


@dataclass(frozen=True)
class DaysBetween:
    start: "Expr"
    end: "Expr"
    span: Span | None = _nospan()
    type = T.NUMBER


@dataclass(frozen=True)
class YearsBetween:
    """Whole years from start to end, as an age: the anniversary must have passed."""

    start: "Expr"
    end: "Expr"
    span: Span | None = _nospan()
    type = T.NUMBER


@dataclass(frozen=True)
class Agg:
    """An aggregate over the events of one source that belong to a member.

    `filter` holds the where-condition and the time window together; the
    point-in-time cut (no event after the as_of day) is implicit and applied
    by every evaluator. `exists` is written as count > 0 by the checker.
    """

    func: str  # count, count_distinct, sum, avg, min, max, most_frequent, first, last, share
    source: str
    arg: "Expr | None"
    filter: "Expr | None"
    span: Span | None = _nospan()
    # share only: the condition that selects the part (its `where`); `filter` (the window) selects the whole.
    part: "Expr | None" = None

    @property
    def type(self) -> T:
        if self.func in ("count", "count_distinct", "sum", "avg", "share"):
            return T.NUMBER
        return self.arg.type if self.arg is not None else T.ANY


@dataclass(frozen=True)
class MemberAgg:
    """A report measure aggregated over members, such as avg(revenue).

    min and max keep the type of a date, timestamp or text (the first signup
    date); booleans count as 1 and 0, so every other result is a number.
    """

    func: str
    arg: "Expr | None"
    span: Span | None = _nospan()

    @property
    def type(self) -> T:
        if self.func in ("min", "max") and self.arg is not None and self.arg.type in (
                T.DATE, T.TIMESTAMP, T.TEXT, T.ANY):
            return self.arg.type
        return T.NUMBER


@dataclass(frozen=True)
class Predict:
    """A part of a prediction for one member (segdsl.semantic.predictions): P(alive), expected purchases
    in the horizon, expected spend per purchase or expected value, from the member's summary — x repeat
    purchase days, tₓ and T in days (divided by `unit_days` for the model), m the mean repeat value —
    and the fitted parameters.

    `fit` is None until the parameters are bound (from the lock file, or fitted by `run`); the compiler
    refuses an unbound prediction. Parameters are kept as (name, value) pairs, not a dataclass, so that
    walking an expression never enters them.
    """

    prediction: str
    part: str  # alive, purchases, spend, value
    x: "Expr"
    tx: "Expr"
    T: "Expr"
    m: "Expr | None"
    unit_days: float
    horizon: float  # in units
    steps: int  # months of the value
    step: float  # a month in units
    discount: float  # per month
    fit: tuple[tuple[str, float], ...] | None = None  # r, alpha, a, b (and p, q, v)
    span: Span | None = _nospan()
    type = T.NUMBER

    def params(self) -> dict[str, float]:
        return dict(self.fit or ())


Expr = Union[
    Const, DurationConst, AsOf, ParamRef, Column, FeatureRef, SegmentRef, SegmentationRef, CaseRef,
    ScoreRef, Neg, Not, Arith, DateShift, Compare, And, Or, InList, Between, IsMissing, TextMatch,
    DateWindow, DaysBetween, YearsBetween, Agg, MemberAgg, Predict,
]


def children(e: Expr) -> Iterator[Expr]:
    """Direct sub-expressions, in a fixed order."""
    for name in getattr(e, "__dataclass_fields__", {}):
        if name == "span":
            continue
        value = getattr(e, name)
        if isinstance(value, tuple):
            yield from (v for v in value if hasattr(v, "__dataclass_fields__"))
        elif hasattr(value, "__dataclass_fields__"):
            yield value


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of an expression, parents before children."""
    yield e
    for c in children(e):
        yield from walk(c)


def walk_outside_aggregates(e: Expr) -> Iterator[Expr]:
    """Nodes evaluated per member: aggregates are yielded but not entered."""
    yield e
    if isinstance(e, Agg):
        return
    for c in children(e):
        yield from walk_outside_aggregates(c)


# ── Definitions ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Param:
    name: str
    type: T
    value: object
    span: Span | None = _nospan()
    like: str | None = None  # a text default written with `\%` or `\_`: its like pattern


@dataclass(frozen=True)
class Entity:
    name: str
    source: str
    key: str
    since: str | None
    span: Span | None = _nospan()
    source_span: Span | None = _nospan()


@dataclass(frozen=True)
class Events:
    name: str
    source: str
    by: str
    at: str
    span: Span | None = _nospan()
    source_span: Span | None = _nospan()


@dataclass(frozen=True)
class Feature:
    name: str
    expr: Expr
    span: Span | None = _nospan()

    @property
    def type(self) -> T:
        return self.expr.type


@dataclass(frozen=True)
class Segment:
    name: str
    label: str | None
    expr: Expr
    span: Span | None = _nospan()


RFM_GROUPS: tuple[str, ...] = (
    "champions", "loyal", "potential_loyalist", "new_customers", "promising", "need_attention",
    "about_to_sleep", "cant_lose_them", "at_risk", "hibernating", "lost",
)


def rfm_group(r: int, f: int, m: int) -> str:
    """The named RFM group of a member from its three scores (1–5 each).

    The grid is on recency and the floor of the mean of frequency and
    monetary (fm): it is the common R × FM map of RFM practice.
    """
    fm = (f + m) // 2
    if r == 5:
        return "champions" if fm >= 4 else "potential_loyalist" if fm >= 2 else "new_customers"
    if r == 4:
        return "loyal" if fm >= 4 else "potential_loyalist" if fm >= 2 else "promising"
    if r == 3:
        return "loyal" if fm >= 4 else "need_attention" if fm == 3 else "about_to_sleep"
    if fm == 5:
        return "cant_lose_them"
    if fm >= 3:
        return "at_risk"
    return "hibernating" if r == 2 else "lost"


class Segmentation(ABC):
    """A partition of the population; at most one case per member, and none for a member whose value is
    missing (except `else`). One class per kind, so that every stage asks the kind, not its name."""

    name: str
    label: str | None
    span: Span | None
    kind: ClassVar[str]  # as written (cases, bucket, quantile, rfm): for messages and explanations only
    type: ClassVar[T] = T.TEXT  # of its value: a label; a quantile's value is its number
    # Whether a member's case depends on the values of the other members (a rank), not on its own alone.
    ranked: ClassVar[bool] = False

    @property
    @abstractmethod
    def labels(self) -> tuple[str, ...]:
        """Every case the segmentation can produce, in order."""
        raise NotImplementedError

    @abstractmethod
    def inputs(self) -> tuple[Expr, ...]:
        """The member values its cases are computed from."""
        raise NotImplementedError


@dataclass(frozen=True)
class CaseSegmentation(Segmentation):
    """Explicit cases: the first matching condition wins, `else_case` catches the rest."""

    name: str
    label: str | None
    cases: tuple[tuple[str, Expr], ...]
    else_case: str | None = None
    span: Span | None = _nospan()
    kind = "cases"

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.cases) + ((self.else_case,) if self.else_case else ())

    def inputs(self) -> tuple[Expr, ...]:
        return tuple(c for _, c in self.cases)


@dataclass(frozen=True)
class BucketSegmentation(Segmentation):
    """`subject` cut at `edges`; labels "<e0", "e0-e1…", "eN+" (`bucket_labels`)."""

    name: str
    label: str | None
    subject: Expr
    edges: tuple[float, ...]
    span: Span | None = _nospan()
    kind = "bucket"

    @property
    def labels(self) -> tuple[str, ...]:
        return bucket_labels(self.edges)

    def inputs(self) -> tuple[Expr, ...]:
        return (self.subject,)


@dataclass(frozen=True)
class QuantileSegmentation(Segmentation):
    """1…n by ascending `subject`, equal sizes, ties broken by the entity key."""

    name: str
    label: str | None
    subject: Expr
    n: int
    span: Span | None = _nospan()
    kind = "quantile"
    type = T.NUMBER
    ranked = True

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(i) for i in range(1, self.n + 1))

    def inputs(self) -> tuple[Expr, ...]:
        return (self.subject,)


@dataclass(frozen=True)
class RfmSegmentation(Segmentation):
    """Scores 1–5 from recency (lower is better), frequency and monetary (higher is better), each a
    quintile with ties broken by key, and a named group from the three (`rfm_group`)."""

    name: str
    label: str | None
    recency: Expr
    frequency: Expr
    monetary: Expr
    span: Span | None = _nospan()
    kind = "rfm"
    ranked = True
    SCORES: ClassVar[tuple[str, ...]] = ("r", "f", "m")

    @property
    def labels(self) -> tuple[str, ...]:
        return RFM_GROUPS

    def inputs(self) -> tuple[Expr, ...]:
        return (self.recency, self.frequency, self.monetary)

    def scored(self) -> tuple[tuple[str, Expr, bool], ...]:
        """Each score: its letter, the value it ranks, and whether that value ranks descending (5 = lowest)."""
        return (("r", self.recency, True), ("f", self.frequency, False), ("m", self.monetary, False))


def _fmt_edge(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def bucket_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    """Labels for a bucket partition: "<18", "18-24", …, "65+".

    With whole-number edges a middle bucket [a, b) is written "a-(b-1)", as in
    age bands; otherwise "a-<b".
    """
    labels = [f"<{_fmt_edge(edges[0])}"]
    whole = all(float(e).is_integer() for e in edges)
    for a, b in zip(edges, edges[1:]):
        labels.append(f"{_fmt_edge(a)}-{_fmt_edge(b - 1)}" if whole else f"{_fmt_edge(a)}-<{_fmt_edge(b)}")
    labels.append(f"{_fmt_edge(edges[-1])}+")
    return tuple(labels)


@dataclass(frozen=True)
class Holdout:
    """A deterministic split of a segment's members into arms.

    A member's bucket is a number 0…9999 taken from the MD5 of
    "<seed>:<key as text>" (first 8 hex digits as an unsigned integer,
    modulo 10000). Arms take consecutive ranges of buckets in the order
    written, in hundredths of a percent.
    """

    name: str
    segment: str
    arms: tuple[tuple[str, float], ...]
    seed: str
    span: Span | None = _nospan()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.arms)

    def bounds(self) -> list[tuple[str, int]]:
        """Each arm with the exclusive upper bucket it ends at."""
        out, total = [], 0
        for name, pct in self.arms:
            total += round(pct * 100)
            out.append((name, total))
        return out


@dataclass(frozen=True)
class Report:
    name: str
    kind: str  # value, crosstab, profile, overlap, migration, lift, persona, calibration
    subjects: tuple[str, ...]
    measures: tuple[Expr, ...]
    span: Span | None = _nospan()
    against: str | None = None  # lift: the control arm
    # calibration: the calibration period's last day, or (amount, unit) before as_of; None: the horizon
    period: "dt.date | tuple[int, str] | None" = None
    period_span: Span | None = None


@dataclass(frozen=True)
class Audience:
    """Members of a segment, case or holdout arm sent to a destination (segdsl.activation.destinations).

    `identifiers` maps each identifier kind (email, phone, …) to the member
    value it is read from: an entity column or a feature.
    """

    name: str
    owner: str  # the segment, segmentation or holdout
    case: str | None  # the case or arm, if one
    destination: str
    identifiers: tuple[tuple[str, Expr], ...]
    span: Span | None = _nospan()


PREDICTION_PARTS: tuple[str, ...] = ("alive", "purchases", "spend", "value")
PREDICTION_SUMMARY: tuple[str, ...] = ("frequency", "recency", "age", "monetary")


@dataclass(frozen=True)
class Prediction:
    """`prediction clv = btyd(…)`: the summary of one events source per member and the predictions from it.

    Every part is a feature of the model named `<name>_<part>` (`features` maps a part to it), so the
    planner, the compiler, explain and reports treat it as any feature; `clv.alive` reads `clv_alive`.
    """

    name: str
    label: str | None
    source: str
    value: Expr | None  # the purchase value (spend and value need it)
    unit_days: float  # the length of the summary's unit in days (a week: 7)
    horizon_days: float
    horizon_text: str  # as written: "1 year"
    unit_text: str
    discount: float  # per month
    features: tuple[tuple[str, str], ...]  # (part, feature name), summary parts first
    span: Span | None = _nospan()

    def feature(self, part: str) -> str:
        return dict(self.features)[part]


@dataclass(frozen=True)
class CheckedModel:
    """A checked program. `order` lists member-level definitions so that
    every definition comes after the ones it uses."""

    params: dict[str, Param]
    entity: Entity
    events: dict[str, Events]
    features: dict[str, Feature]
    segments: dict[str, Segment]
    segmentations: dict[str, Segmentation]
    holdouts: dict[str, Holdout]
    reports: dict[str, Report]
    order: tuple[str, ...]
    files: tuple[str, ...] = ()
    # Params that fix the shape of a partition (bucket edges, quantile counts): the
    # labels depend on them, so they are not overridable at run time.
    structural_params: frozenset[str] = frozenset()
    predictions: dict[str, Prediction] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)

    def definition(self, name: str) -> "Definition":
        """The member-level definition of that name (a feature, segment, segmentation or holdout)."""
        for table in (self.features, self.segments, self.segmentations, self.holdouts):
            if name in table:
                return table[name]
        raise KeyError(name)

    def closure(self, names: list[str]) -> set[str]:
        """The named definitions and every definition they use, directly or not."""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            for e in self.expressions_of(n):
                stack.extend(dependencies(e))
        return seen

    def expressions_of(self, name: str) -> list[Expr]:
        """The expressions a member-level definition evaluates."""
        d = self.definition(name)
        if isinstance(d, Feature):
            return [d.expr]
        if isinstance(d, Segment):
            return [d.expr]
        if isinstance(d, Holdout):
            return [SegmentRef(d.segment)]
        return list(d.inputs())


Definition = Union[Feature, Segment, Segmentation, Holdout]


def dependencies(e: Expr) -> set[str]:
    """Names of member-level definitions an expression uses."""
    out: set[str] = set()
    for node in walk(e):
        if isinstance(node, (FeatureRef, SegmentRef, SegmentationRef)):
            out.add(node.name)
        elif isinstance(node, (CaseRef, ScoreRef)):
            out.add(node.owner)
    return out


__all__ = [n for n in dir() if not n.startswith("_")] + ["dt"]


def shift_date(d: dt.date, amount: int, unit: str) -> dt.date:
    """Move a date by whole days, weeks, calendar months or years.

    A month or year shift that lands past the end of a month stops at its
    last day (2024-03-31 - 1 month = 2024-02-29), as SQL engines do.
    """
    if unit == "day":
        return d + dt.timedelta(days=amount)
    if unit == "week":
        return d + dt.timedelta(weeks=amount)
    months = amount * (12 if unit == "year" else 1)
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))
