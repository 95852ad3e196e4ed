"""Running tests: a model's tests on an engine, each expectation compared with the engine's answer.

Each test is prepared (segdsl.testing.prepare), the model is checked again
against the fixtures' column types, compiled for the engine's dialect with
the fixtures as its sources, and run as one query. Fixtures are small, so
the membership of a test is read back whole; member sets are compared as
sets, so a failure names exactly the members missing and the ones not
expected.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..engines.base import Engine
from ..engines.values import definition_types, normalise
from ..lang import syntax as s
from ..lang import testblocks as t
from ..lang.diagnostics import Diagnostic, SegError, SourceCache, Span, reason
from ..lang.program import Program, load_program
from ..semantic import model as m
from ..semantic.checker import check, check_deferring
from ..semantic.model import T
from ..sql.compile import membership_with_columns, to_sql
from ..sql.options import Options
from .fixtures import Prepared, show_value
from .prepare import prepare
from .tables import FixtureEngine


@dataclass
class Outcome:
    """One expectation's result."""

    expect: t.Expect
    passed: bool
    missing: list[object] = field(default_factory=list)  # expected members that are not in
    unexpected: list[object] = field(default_factory=list)  # members that are in but were not expected
    actual: object = None  # for a value: what the model gives
    actual_members: list[object] = field(default_factory=list)

    @property
    def wrong_members(self) -> list[object]:
        return self.missing + self.unexpected

    def summary(self) -> str:
        e = self.expect
        if e.kind in t.MEMBER_KINDS:
            parts = []
            if self.missing:
                parts.append(("expected in, not in: " if e.kind != "members" else "missing: ")
                             + ", ".join(show_value(k) for k in self.missing))
            if self.unexpected:
                parts.append(("in, expected not in: " if e.kind == "not_in" else "unexpected: ")
                             + ", ".join(show_value(k) for k in self.unexpected))
            if e.kind == "members":
                parts.append("actual: [" + ", ".join(show_value(k) for k in self.actual_members) + "]")
            return "; ".join(parts)
        want = "missing" if e.kind == "missing" else show_value(e.value.value if e.value else None)
        return f"expected {want}, got {show_value(self.actual)}"


@dataclass
class TestResult:
    file: str
    name: str
    label: str | None
    span: Span
    engine: str
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)  # the test could not run
    seconds: float = 0.0
    prepared: Prepared | None = None
    sources: SourceCache | None = None

    @property
    def passed(self) -> bool:
        return not self.errors and all(o.passed for o in self.outcomes)

    @property
    def status(self) -> str:
        return "error" if self.errors else "pass" if self.passed else "fail"


@dataclass
class FileTests:
    """A file's program, checked model and its tests' results."""

    path: str
    program: Program | None
    ir: m.CheckedModel | None
    results: list[TestResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)  # the file itself does not load


def text_of(expect: t.Expect, sources: SourceCache | None) -> str:
    """The expectation as written (its first line)."""
    line = sources.line(expect.span.file, expect.span.line) if sources else None
    if line is None:
        return f"expect {expect.subject_text}"
    end = expect.span.end_column - 1 if expect.span.end_line == expect.span.line else len(line)
    return line[expect.span.column - 1:end].strip()


def load(path: Path) -> FileTests:
    """A file with tests, loaded and checked (its problems kept, not raised)."""
    try:
        program = load_program(path)
    except SegError as exc:
        return FileTests(str(path), None, None, errors=exc.diagnostics)
    try:
        ir, _ = check_deferring(program.files, None, program.sources)
    except SegError as exc:
        return FileTests(str(path), program, None, errors=exc.diagnostics)
    return FileTests(str(path), program, ir)


def main_tests(program: Program) -> tuple[t.Test, ...]:
    main = next((f for f in program.files if f.path == program.main), None)
    return main.tests if main is not None else ()


def membership(prepared: Prepared, program: Program, engine: Engine) -> tuple[m.CheckedModel, FixtureEngine,
                                                                              dict[object, dict[str, object]]]:
    """The model's answer on the fixtures: every member's row of the membership, by key."""
    ir = with_stored_fits(check(program.files, prepared.schemas, program.sources), program)
    fixtures = FixtureEngine(engine, prepared.tables, prepared.schemas)
    opts = Options(engine.dialect, prepared.as_of, prepared.params, source=fixtures.source,
                   schemas=prepared.schemas)
    query, columns = membership_with_columns(ir, opts)
    sql = to_sql(query, engine.dialect, pretty=False)
    try:
        names, rows = engine.fetch(sql)
    except engine.errors as exc:
        raise SegError([Diagnostic("SEG305", f"{engine.describe()} could not run test "
                                   f"`{prepared.name}`: {reason(exc)}", prepared.test.name.span,
                                   "check the types of the fixture's values against what the model reads")]) from None
    types = definition_types(ir)
    types[ir.entity.key] = prepared.tables[ir.entity.source].types[ir.entity.key]
    by_key: dict[object, dict[str, object]] = {}
    for row in rows:
        values = {n: normalise(v, types.get(n, T.ANY)) for n, v in zip(names, row)}
        by_key[values[ir.entity.key]] = values
    return ir, fixtures, by_key


def with_stored_fits(ir: m.CheckedModel, program: Program) -> m.CheckedModel:
    """Predictions scored with the parameters stored beside the files that define them (MODEL.seg.lock):
    a test never fits on its few rows, so a prediction without stored parameters stays an error (SEG330)."""
    if not getattr(ir, "predictions", None):
        return ir
    from ..predict.lock import bind_stored, lock_path, read_lock

    stored: dict = {}
    for f in program.files:
        path = lock_path(f.path)
        if Path(path).is_file():
            stored.update(read_lock(path))
    return bind_stored(ir, stored)[0] if stored else ir


def members_of(ir: m.CheckedModel, subject: tuple[s.Name, ...], rows: dict[object, dict[str, object]]) -> set:
    """Keys in a segment, or in a case of a segmentation or an arm of a holdout."""
    name = subject[0].text
    if len(subject) == 1:
        return {k for k, r in rows.items() if r.get(name) is True}
    case = subject[1].text
    return {k for k, r in rows.items() if r.get(name) is not None and _label(r.get(name)) == case}


def _label(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def same_value(expected: object, actual: object) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or (isinstance(actual, bool) and expected == actual and isinstance(expected, bool))
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dt.date) and isinstance(actual, dt.date):
        as_ts = lambda d: d if isinstance(d, dt.datetime) else dt.datetime.combine(d, dt.time())  # noqa: E731
        return as_ts(expected) == as_ts(actual)
    return _label(expected) == _label(actual)


def _order(keys: set) -> list:
    return sorted(keys, key=lambda k: (str(type(k)), k))


def compare(ir: m.CheckedModel, test: t.Test, rows: dict[object, dict[str, object]]) -> list[Outcome]:
    out: list[Outcome] = []
    for e in test.expects:
        if e.kind in t.MEMBER_KINDS:
            actual = members_of(ir, e.subject, rows)
            wanted = {k.value for k in e.keys}
            if e.kind == "members":
                missing, unexpected = wanted - actual, actual - wanted
            elif e.kind == "contains":
                missing, unexpected = wanted - actual, set()
            else:
                missing, unexpected = set(), wanted & actual
            out.append(Outcome(e, not missing and not unexpected, _order(missing), _order(unexpected),
                               actual_members=_order(actual)))
        else:
            key = e.key.value if e.key else None
            value = rows.get(key, {}).get(e.subject[0].text)
            expected = None if e.kind == "missing" else (e.value.value if e.value else None)
            out.append(Outcome(e, same_value(expected, value), actual=value))
    return out


def run_test(test: t.Test, loaded: FileTests, engine: Engine) -> TestResult:
    """One test on one engine."""
    program, ir = loaded.program, loaded.ir
    assert program is not None and ir is not None
    result = TestResult(loaded.path, test.name.text, test.label, test.name.span, engine.dialect,
                        sources=program.sources)
    started = time.perf_counter()
    try:
        prepared = prepare(test, ir, program.files, Path(test.span.file).resolve().parent
                           if Path(test.span.file).exists() else program.root)
        result.prepared = prepared
        checked, _, rows = membership(prepared, program, engine)
        result.outcomes = compare(checked, test, rows)
    except SegError as exc:
        result.errors = exc.diagnostics
    result.seconds = time.perf_counter() - started
    return result


def run_files(paths: list[Path], open_engine: Callable[[Path], Engine],
              select: Callable[[t.Test], bool] = lambda _: True,
              after: Callable[[FileTests, TestResult, Engine], None] | None = None) -> list[FileTests]:
    """Every test of every file, on an engine opened per file (its root: the file's folder).

    `after` sees each result while the engine is still open (to explain a failure on it)."""
    out: list[FileTests] = []
    for path in paths:
        loaded = load(path)
        out.append(loaded)
        if loaded.program is None or loaded.ir is None:
            continue
        tests = [x for x in main_tests(loaded.program) if select(x)]
        if not tests:
            continue
        engine = open_engine(loaded.program.root)
        try:
            for test in tests:
                result = run_test(test, loaded, engine)
                loaded.results.append(result)
                if after is not None:
                    after(loaded, result, engine)
        finally:
            engine.close()
    return out
