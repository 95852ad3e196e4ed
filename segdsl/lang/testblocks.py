"""The syntax of `test` blocks: fixtures written in place and the answers a model must give on them.

A test lives in a .seg file beside the definitions it exercises (or in a
`*_test.seg` file that imports them). The nodes keep their spans, so a
failing expectation or a bad fixture row is reported at its line and
column. Only `segdsl test` runs tests; every other command checks them
and otherwise leaves them aside (they are kept in `File.tests`, apart
from `File.definitions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .diagnostics import Span
from .syntax import Name

# A fixture value as written: a number, text, date, timestamp, true/false, or None for `missing`.
Scalar = int | float | str | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Value:
    value: Scalar
    text: str  # as written, for messages
    span: Span


@dataclass(frozen=True)
class Row:
    values: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class Fixture:
    """Rows of one entity or events source: written in place (`columns`, `rows`) or read from a CSV file."""

    source: Name
    columns: tuple[Name, ...]
    rows: tuple[Row, ...]
    span: Span
    file: str | None = None
    source_span: Span | None = None  # of the file's name


@dataclass(frozen=True)
class ParamSetting:
    name: Name
    value: Value


@dataclass(frozen=True)
class Expect:
    """One expectation.

    kind: `members` (exactly these keys), `not_in` (none of these keys),
    `contains` (at least these keys), `value` (a definition's value for one
    member) or `missing` (that value is missing).
    """

    kind: str
    subject: tuple[Name, ...]  # `vip`, or `lifecycle.new` / `vip_test.control`
    span: Span
    keys: tuple[Value, ...] = ()
    key: Value | None = None
    value: Value | None = None

    @property
    def subject_text(self) -> str:
        return ".".join(n.text for n in self.subject)


@dataclass(frozen=True)
class Setting:
    """An `as_of` or a `params { … }` as written (a test should have one of each, at most)."""

    kind: str  # as_of, params
    span: Span
    value: Value | None = None  # as_of
    params: tuple[ParamSetting, ...] = ()


@dataclass(frozen=True)
class Test:
    name: Name
    label: str | None
    as_of: Value | None
    params: tuple[ParamSetting, ...]
    fixtures: tuple[Fixture, ...]
    expects: tuple[Expect, ...]
    span: Span
    # Every `as_of` and `params` written, in order: more than one of either is reported by the checks.
    settings: tuple[Setting, ...] = ()


MEMBER_KINDS = ("members", "not_in", "contains")
