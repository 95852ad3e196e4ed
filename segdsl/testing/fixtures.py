"""A test prepared for a run: its rows per source with column types, its params and as_of, checked.

Everything a test says is checked against the model before anything runs,
so that a mistake in a test is a coded diagnostic at its place rather than
an engine error or a puzzling failure: a fixture for a source the model does
not have (SEG131), a column the source does not declare or a near miss of
one the model reads (SEG131), a row with the wrong number of values or
without a key (SEG132), a value of the wrong type for its column (SEG133),
an `expect` naming no segment, case, arm or feature (SEG134), a member key
that no fixture row has (SEG135), and settings given twice or wrongly
(SEG230); a CSV fixture that cannot be read is SEG231.

Column types come from the `columns (…)` a source declares, else from the
values written, else from how the model uses the column (a sum reads
numbers, a window reads dates), else text. Columns the model reads but a
fixture leaves out are missing in every row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..lang import syntax as s
from ..lang import testblocks as t
from ..lang.diagnostics import Diagnostic, display_path
from ..semantic import model as m
from ..semantic.model import T
from ..semantic.schema import language_type

Schemas = dict[str, dict[str, T]]


@dataclass
class SourceTable:
    """The rows a test gives one source of the model (as named in `from`), with every column the model reads."""

    source: str
    names: list[str]  # the entity/events definitions reading it
    columns: list[str]
    types: dict[str, T]
    integral: dict[str, bool]  # whole numbers only: BIGINT rather than DOUBLE
    rows: list[tuple] = field(default_factory=list)


@dataclass
class Prepared:
    test: t.Test
    as_of: dt.date
    params: dict[str, object]
    tables: dict[str, SourceTable]  # by source
    schemas: Schemas  # by entity/events name, as the checker takes them
    keys: list[object]  # entity keys of the fixture, in order

    @property
    def name(self) -> str:
        return self.test.name.text


def value_type(v: object) -> T:
    if isinstance(v, bool):
        return T.BOOL
    if isinstance(v, (int, float)):
        return T.NUMBER
    if isinstance(v, str):
        return T.TEXT
    if isinstance(v, dt.datetime):
        return T.TIMESTAMP
    if isinstance(v, dt.date):
        return T.DATE
    return T.ANY


def fits(declared: T, v: object) -> bool:
    """Whether a value written in a test can be a value of a column of that type."""
    if v is None or declared is T.ANY:
        return True
    actual = value_type(v)
    return actual is declared or (declared is T.TIMESTAMP and actual is T.DATE)


def show_value(v: object) -> str:
    """A value as the language writes it."""
    if v is None:
        return "missing"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dt.datetime):
        return "@" + v.isoformat(timespec="seconds" if v.second else "minutes")
    if isinstance(v, dt.date):
        return "@" + v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ── what the model reads ────────────────────────────────────────────────────


def read_columns(ir: m.CheckedModel) -> dict[str, dict[str, T]]:
    """Columns of each entity/events name that the model's member definitions read, with the type their
    use implies (ANY where nothing does): a sum reads numbers, a window dates, `contains` text."""
    out: dict[str, dict[str, T]] = {ir.entity.name: {}}
    for name in ir.events:
        out[name] = {}

    def owner(c: m.Column) -> str:
        return c.source or ir.entity.name

    def note(e: m.Expr, want: T) -> None:
        if isinstance(e, m.Column):
            have = out.setdefault(owner(e), {})
            if have.get(e.name, T.ANY) is T.ANY:
                have[e.name] = want if e.type is T.ANY else e.type

    roots = [root for name in ir.order for root in ir.expressions_of(name)]
    defined = set(ir.features) | set(ir.segments) | set(ir.segmentations) | set(ir.holdouts)
    for report in ir.reports.values():  # reports are checked with the model: their columns must exist
        roots += list(report.measures)
        for subject in report.subjects:
            if subject not in defined:
                out[ir.entity.name].setdefault(subject, T.ANY)
    for root in roots:
        for e in m.walk(root):
            if isinstance(e, m.Column):
                out.setdefault(owner(e), {}).setdefault(e.name, e.type)
            if isinstance(e, (m.Compare, m.InList, m.Between)):
                sides = [e.left, e.right] if isinstance(e, m.Compare) else \
                    [e.subject, *e.items] if isinstance(e, m.InList) else [e.subject, e.low, e.high]
                known = next((x.type for x in sides if x.type not in (T.ANY, T.DURATION)), T.ANY)
                if known is not T.ANY:
                    for x in sides:
                        note(x, known)
            elif isinstance(e, (m.Arith, m.Neg)):
                for x in m.children(e):
                    note(x, T.NUMBER)
            elif isinstance(e, m.Agg) and e.func in ("sum", "avg") and e.arg is not None:
                note(e.arg, T.NUMBER)
            elif isinstance(e, m.DateWindow):
                note(e.subject, T.DATE)
            elif isinstance(e, (m.DaysBetween, m.YearsBetween)):
                note(e.start, T.DATE)
                note(e.end, T.DATE)
            elif isinstance(e, m.DateShift):
                note(e.operand, T.DATE)
            elif isinstance(e, m.TextMatch):
                note(e.subject, T.TEXT)
    ent = ir.entity
    if ent.since:
        out[ent.name].setdefault(ent.since, T.DATE)
    out[ent.name].setdefault(ent.key, T.ANY)
    for name, ev in ir.events.items():
        out[name].setdefault(ev.by, T.ANY)
        out[name][ev.at] = out[name].get(ev.at, T.ANY) if out[name].get(ev.at, T.ANY).is_time else T.DATE
    return out


def declared_columns(files: list[s.File]) -> dict[str, dict[str, tuple[T, s.Name]]]:
    """The `columns (…)` each entity/events name declares (absent: none declared)."""
    out: dict[str, dict[str, tuple[T, s.Name]]] = {}
    for f in files:
        for d in f.definitions:
            if isinstance(d, (s.Entity, s.Events)) and d.columns is not None and d.name.text not in out:
                out[d.name.text] = {c.name.text: (language_type(c.type.text), c.name) for c in d.columns}
    return out


# ── CSV fixtures ────────────────────────────────────────────────────────────

_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def csv_cell(text: str, declared: T = T.ANY) -> t.Scalar:
    """A CSV cell as a fixture value: empty is missing; numbers, dates, timestamps and true/false are
    read as such unless the column is declared as text. Raises ValueError for a value its declared
    type cannot read."""
    if text == "":
        return None
    if declared is T.TEXT:
        return text
    if declared in (T.ANY, T.NUMBER):
        if _INT.fullmatch(text) and len(text) < 300:
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
        if declared is T.NUMBER:
            raise ValueError("not a number")
    if declared in (T.ANY, T.BOOL) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if declared in (T.ANY, T.DATE, T.TIMESTAMP) and _DATE.fullmatch(text):
        return dt.date.fromisoformat(text)
    if declared in (T.ANY, T.TIMESTAMP) and _TS.fullmatch(text):
        return dt.datetime.fromisoformat(text.replace(" ", "T"))
    if declared is not T.ANY:
        raise ValueError(f"not a {declared.value}")
    return text


def read_csv(fx: t.Fixture, here: Path, declared: dict[str, T], problems: list[Diagnostic]
             ) -> tuple[list[str], list[tuple[t.Scalar, ...]]] | None:
    """The columns and rows of a CSV fixture (a header line, then one row per line)."""
    path = here / (fx.file or "")
    span = fx.source_span
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError:
        problems.append(Diagnostic("SEG231", f"cannot find the fixture file `{fx.file}`", span,
                                   f"paths are relative to the file of the test; looked for {display_path(path)}"))
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Diagnostic("SEG231", f"cannot read the fixture file `{fx.file}`: {exc}", span,
                                   "a fixture file is UTF-8 CSV with a header line"))
        return None
    if not lines or not any(c.strip() for c in lines[0]):
        problems.append(Diagnostic("SEG231", f"the fixture file `{fx.file}` has no header line", span,
                                   "the first line names the columns: customer_id,city"))
        return None
    header = [c.strip() for c in lines[0]]
    rows: list[tuple[t.Scalar, ...]] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        if len(line) != len(header):
            problems.append(Diagnostic("SEG231", f"`{fx.file}` line {number} has {len(line)} values, the header "
                                       f"names {len(header)} columns", span, "every line has one value per column"))
            return None
        cells = []
        for column, text in zip(header, line):
            try:
                cells.append(csv_cell(text, declared.get(column, T.ANY)))
            except ValueError as exc:
                problems.append(Diagnostic("SEG231", f"`{fx.file}` line {number}: `{text}` in column `{column}` is "
                                           f"{exc}", span, "the column is declared in `columns (…)` of the source"))
                return None
        rows.append(tuple(cells))
    return header, rows
