"""The abstract syntax tree: what a .seg file says, before names are resolved.

Nodes keep their source spans so that every later stage can point at the
exact spot of a problem. Nothing here knows about SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from .diagnostics import Span


# A source ending in one of these is a data file (relative to the file that names it), else a table.
DATA_SUFFIXES = (".csv", ".parquet", ".json")


def is_data_file(source: str) -> bool:
    """Whether a source of an `entity` or `events` names a data file rather than a table."""
    return Path(source).suffix.lower() in DATA_SUFFIXES


def like_pattern(text: str) -> str:
    """A text as a like pattern that escapes with a backslash: % and _ stay wildcards, a backslash is itself.

    Patterns that come from data or from --param have no escapes of their own.
    """
    return text.replace("\\", "\\\\")


def like_tokens(pattern: str) -> list[tuple[str, bool]]:
    """A like pattern of the language as (character, is it a wildcard) pairs.

    The pattern escapes with a backslash (`like_pattern`): `%` and
    `_` are wildcards unless escaped; an escaped character is itself.
    """
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append((pattern[i + 1], False))
            i += 2
        else:
            out.append((ch, ch in "%_"))
            i += 1
    return out


@dataclass(frozen=True)
class Name:
    text: str
    span: Span


# ── Expressions ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Num:
    value: int | float
    text: str
    span: Span


@dataclass(frozen=True)
class Str:
    value: str
    span: Span
    # The text as a `like` pattern where it differs from `value` read with % and _ as wildcards:
    # `\%` and `\_` written in the literal are a literal % and _, so `\` escapes here (see parse.decode).
    like: str | None = None


@dataclass(frozen=True)
class Bool:
    value: bool
    span: Span


@dataclass(frozen=True)
class DateLit:
    value: dt.date
    span: Span


@dataclass(frozen=True)
class TimestampLit:
    value: dt.datetime
    span: Span


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # day, week, month, year
    span: Span


@dataclass(frozen=True)
class Ref:
    """`name` or `qualifier.name`: resolved by the checker."""

    parts: tuple[Name, ...]
    span: Span


@dataclass(frozen=True)
class Call:
    func: Name
    args: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True)
class Window:
    """`in last D`, `in previous D`, `since X`, `before X` (between is a Between)."""

    kind: str
    arg: "Expr"
    span: Span


@dataclass(frozen=True)
class Aggregate:
    func: Name
    target: "Expr"
    window: Window | None
    where: "Expr | None"
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / = != < <= > >= like contains starts_with
    left: "Expr"
    right: "Expr"
    span: Span
    negated: bool = False  # only for like


@dataclass(frozen=True)
class Logic:
    op: str  # and, or
    items: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True)
class InList:
    subject: "Expr"
    items: tuple["Expr", ...]
    negated: bool
    span: Span


@dataclass(frozen=True)
class Between:
    subject: "Expr"
    low: "Expr"
    high: "Expr"
    negated: bool
    span: Span


@dataclass(frozen=True)
class IsMissing:
    subject: "Expr"
    negated: bool
    span: Span


@dataclass(frozen=True)
class InWindow:
    subject: "Expr"
    window: Window
    span: Span


Expr = Union[
    Num, Str, Bool, DateLit, TimestampLit, Duration, Ref, Call, Aggregate,
    Unary, Binary, Logic, InList, Between, IsMissing, InWindow,
]


# ── Definitions ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Import:
    path: str
    span: Span


@dataclass(frozen=True)
class Param:
    name: Name
    type: Name
    default: Expr
    span: Span


@dataclass(frozen=True)
class ColumnDecl:
    """`country text` in a `columns (…)` clause: a column and its language type."""

    name: Name
    type: Name


@dataclass(frozen=True)
class Entity:
    name: Name
    source: str
    source_span: Span
    key: Name
    since: Name | None
    span: Span
    columns: tuple[ColumnDecl, ...] | None = None  # None: not declared


@dataclass(frozen=True)
class Events:
    name: Name
    source: str
    source_span: Span
    by: Name
    at: Name
    span: Span
    columns: tuple[ColumnDecl, ...] | None = None  # None: not declared


@dataclass(frozen=True)
class Feature:
    name: Name
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Segment:
    name: Name
    label: str | None
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Case:
    name: Name
    condition: Expr


@dataclass(frozen=True)
class Segmentation:
    """Either explicit cases (`kind == "cases"`) or a computed partition."""

    name: Name
    label: str | None
    kind: str  # cases, bucket, quantile, rfm
    cases: tuple[Case, ...] = ()
    else_case: Name | None = None
    args: tuple[Expr, ...] = ()  # bucket: (expr, *edges); quantile: (expr, n); rfm: (r, f, m)
    span: Span | None = None


@dataclass(frozen=True)
class Arm:
    percent: float
    percent_span: Span
    name: Name


@dataclass(frozen=True)
class Holdout:
    name: Name
    segment: Name
    arms: tuple[Arm, ...]
    seed: str
    span: Span


@dataclass(frozen=True)
class Report:
    name: Name | None
    kind: str  # value, crosstab, profile, overlap, migration, lift
    subjects: tuple[Name, ...]
    measures: tuple[Expr, ...]
    span: Span
    against: Name | None = None  # lift: the control arm, when written
    period: "DateLit | Duration | None" = None  # calibration: `until @D` or `split D`


@dataclass(frozen=True)
class Exclusive:
    """`exclusive a, b, c`: segments meant to share no member (checked against data)."""

    segments: tuple[Name, ...]
    span: Span


@dataclass(frozen=True)
class Percent:
    """`10%` as an argument of a prediction (a discount rate)."""

    value: float
    text: str
    span: Span


@dataclass(frozen=True)
class PredictionArg:
    """`horizon: 1 year` in `btyd(…)`: checked by name in segdsl.semantic.predictions."""

    name: Name
    value: Union[Expr, Percent]


@dataclass(frozen=True)
class Prediction:
    """`prediction clv = btyd(orders, value: orders.amount, …)`: BG/NBD and Gamma-Gamma of an events source."""

    name: Name
    label: str | None
    source: Name
    args: tuple[PredictionArg, ...]
    span: Span


@dataclass(frozen=True)
class Identifier:
    """`email: customers.email` in an audience: an identifier kind and where its values come from."""

    kind: Name
    value: Ref


@dataclass(frozen=True)
class Audience:
    """`audience NAME = SEGMENT to DESTINATION (kind: column, …)`: members sent to a campaign platform."""

    name: Name
    subject: Ref  # a segment, or a case or arm: `win_back_test.campaign`
    destination: Name
    identifiers: tuple[Identifier, ...]
    span: Span


Definition = Union[Import, Param, Entity, Events, Feature, Segment, Segmentation, Holdout, Report, Exclusive,
                   Audience, Prediction]


@dataclass(frozen=True)
class File:
    path: str
    definitions: tuple[Definition, ...]
    # `test` blocks (segdsl.lang.testblocks.Test): run by `segdsl test`, only checked by other commands.
    tests: tuple = ()


_SPAN_FIELDS = frozenset({"span", "source_span", "percent_span"})


def without_spans(node: object) -> object:
    """A node as nested tuples without its source positions.

    Two texts that say the same thing (the formatter's input and output) give
    equal results, whatever their layout; `File.path` is left out as well.
    """
    if isinstance(node, tuple):
        return tuple(without_spans(x) for x in node)
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is None:
        return node
    skip = _SPAN_FIELDS | ({"path"} if isinstance(node, File) else frozenset())
    return (type(node).__name__,) + tuple((f, without_spans(getattr(node, f))) for f in fields if f not in skip)
