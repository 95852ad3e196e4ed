"""Checking one test against its model and gathering its fixtures (see segdsl.testing.fixtures)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..lang import syntax as s
from ..lang import testblocks as t
from ..lang.diagnostics import Diagnostic, SegError, Span, did_you_mean
from ..semantic import model as m
from ..semantic.model import T
from ..semantic.params import parse_param
from .fixtures import Prepared, SourceTable, declared_columns, fits, read_columns, read_csv, show_value, value_type


class _Checker:
    def __init__(self, test: t.Test, ir: m.CheckedModel, files: list[s.File], here: Path):
        self.test = test
        self.ir = ir
        self.here = here
        self.problems: list[Diagnostic] = []
        self.declared = declared_columns(files)
        self.reads = read_columns(ir)

    def add(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, span, hint))

    # settings --------------------------------------------------------------
    def settings(self) -> tuple[dt.date, dict[str, object]]:
        seen: dict[str, Span] = {}
        for setting in self.test.settings:
            kind, span = setting.kind, setting.span
            if kind in seen:
                self.add("SEG230", f"`{kind}` is given twice in test `{self.test.name.text}`", span,
                         f"keep one `{kind}`; the first is at line {seen[kind].line}")
            seen.setdefault(kind, span)
        as_of = self.test.as_of.value if self.test.as_of is not None else None
        if as_of is None:
            self.add("SEG230", f"test `{self.test.name.text}` has no `as_of`", self.test.name.span,
                     "a test answers for one day, so that it gives the same answer every day: add `as_of @2026-06-30`")
        params: dict[str, object] = {}
        for p in self.test.params:
            name = p.name.text
            param = self.ir.params.get(name)
            if param is None:
                self.add("SEG230", f"the model has no parameter `{name}`", p.name.span,
                         did_you_mean(name, self.ir.params) or f"parameters: {', '.join(self.ir.params) or 'none'}")
                continue
            if name in params:
                self.add("SEG230", f"parameter `{name}` is set twice", p.name.span, "keep one value")
                continue
            value = p.value.value
            if isinstance(value, int) and not isinstance(value, bool) and param.type is T.NUMBER:
                pass
            elif not fits(param.type, value) or value is None or (param.type is T.DATE and isinstance(value, dt.datetime)):
                self.add("SEG230", f"`{p.value.text}` is not a {param.type.value} for parameter `{name}`", p.value.span,
                         f"`{name}` is declared as {param.type.value}")
                continue
            if param.type is T.TIMESTAMP and not isinstance(value, dt.datetime):
                value = dt.datetime.combine(value, dt.time())  # type: ignore[arg-type]
            if name in self.ir.structural_params and value != param.value:
                self.add("SEG230", f"`{name}` sets the shape of a segmentation (its cases) and cannot be set by a test",
                         p.name.span, "change its default in the model, or test with the default")
                continue
            params[name] = parse_param(param, value)
        return as_of or dt.date(1970, 1, 1), params

    # fixtures --------------------------------------------------------------
    def source_names(self) -> dict[str, str]:
        """Entity/events name → source as in `from`."""
        out = {self.ir.entity.name: self.ir.entity.source}
        out.update({n: e.source for n, e in self.ir.events.items()})
        return out

    def fixtures(self) -> tuple[dict[str, SourceTable], list[object]]:
        names = self.source_names()
        by_source: dict[str, t.Fixture] = {}
        written: dict[str, tuple[list[str], list[tuple], list[t.Row] | None]] = {}
        for fx in self.test.fixtures:
            name = fx.source.text
            if name not in names:
                self.add("SEG131", f"the model has no entity or events `{name}`", fx.source.span,
                         did_you_mean(name, names) or f"sources: {', '.join(names)}")
                continue
            source = names[name]
            if source in by_source:
                self.add("SEG230", f"`{name}` has two fixtures in test `{self.test.name.text}`", fx.source.span,
                         f"write all its rows in one fixture (the first is at line {by_source[source].span.line})")
                continue
            by_source[source] = fx
            declared = {c: ty for c, (ty, _) in self.declared.get(name, {}).items()}
            if fx.file is not None:
                read = read_csv(fx, self.here, declared, self.problems)
                if read is None:
                    continue
                columns, rows = read
                spans = None
            else:
                columns = [c.text for c in fx.columns]
                rows, spans = [], []
                for row in fx.rows:
                    if len(row.values) != len(columns):
                        self.add("SEG132", f"this row has {len(row.values)} value{'s' * (len(row.values) != 1)}, "
                                 f"the fixture of `{name}` has {len(columns)} column{'s' * (len(columns) != 1)}",
                                 row.span, f"one value per column ({', '.join(columns)}); write `missing` for none")
                        continue
                    rows.append(tuple(v.value for v in row.values))
                    spans.append(row)
            self.check_columns(name, fx, columns)
            written[name] = (columns, rows, spans)
        return self.tables(names, written)

    def check_columns(self, name: str, fx: t.Fixture, columns: list[str]) -> None:
        declared = self.declared.get(name)
        reads = self.reads.get(name, {})
        spans = {c.text: c.span for c in fx.columns}
        seen: set[str] = set()
        for column in columns:
            span = spans.get(column, fx.source_span or fx.source.span)
            if column in seen:
                self.add("SEG131", f"column `{column}` is named twice in the fixture of `{name}`", span, None)
            seen.add(column)
            if declared is not None and column not in declared:
                self.add("SEG131", f"`{name}` declares no column `{column}`", span,
                         did_you_mean(column, declared) or f"its columns: {', '.join(declared)}")
            elif declared is None and column not in reads:
                guess = did_you_mean(column, [c for c in reads if c not in columns])
                if guess:
                    self.add("SEG131", f"the model reads no column `{column}` of `{name}`", span, guess)
        required = [self.ir.entity.key] if name == self.ir.entity.name else \
            [self.ir.events[name].by, self.ir.events[name].at]
        for column in required:
            if column not in seen:
                self.add("SEG131", f"the fixture of `{name}` has no column `{column}`", fx.source.span,
                         f"`{column}` is how the model reads `{name}`: add it to the fixture's columns")

    def tables(self, names: dict[str, str], written: dict) -> tuple[dict[str, SourceTable], list[object]]:
        ent = self.ir.entity
        keys: list[object] = []
        out: dict[str, SourceTable] = {}
        shown: dict[str, set[T]] = {}  # types the fixture's values give each name's member column
        for name in [ent.name] + list(self.ir.events):
            source = names[name]
            columns, rows, spans = written.get(name, ([], [], None))
            if source in out:  # two names reading one source: one table for both
                out[source].names.append(name)
                continue
            declared = {c: ty for c, (ty, _) in self.declared.get(name, {}).items()}
            reads = self.reads.get(name, {})
            all_columns = list(columns) + [c for c in reads if c not in columns]
            types: dict[str, T] = {}
            integral: dict[str, bool] = {}
            for i, column in enumerate(all_columns):
                values = [(r[i], spans[j].values[i] if spans else None) for j, r in enumerate(rows)] \
                    if i < len(columns) else []
                types[column], integral[column] = self.column_type(name, column, values, declared.get(column),
                                                                   reads.get(column, T.ANY))
            key_col = ent.key if name == ent.name else self.ir.events[name].by
            i = columns.index(key_col) if key_col in columns else -1
            shown[name] = {value_type(r[i]) for r in rows if i >= 0 and r[i] is not None}
            if name == ent.name and i >= 0:
                seen: set = set()
                for j, r in enumerate(rows):
                    where = spans[j].values[i].span if spans else self.fixture_span(name)
                    if r[i] is None:
                        self.add("SEG132", f"a member of `{name}` has no key", where,
                                 f"every row of the entity has its `{key_col}`")
                    elif r[i] in seen:
                        self.add("SEG132", f"key {show_value(r[i])} is in the fixture of `{name}` twice", where,
                                 "each member is one row of the entity")
                    seen.add(r[i])
                    keys.append(r[i])
            widened = [tuple(_widen(v, types[c]) for v, c in zip(r, all_columns)) + (None,) * (len(all_columns) - len(r))
                       for r in rows]
            out[source] = SourceTable(source, [name], all_columns, types, integral, widened)
        # The key and the events' member columns share one type: the entity's, else the first given.
        key_table = out[ent.source]
        given = next((shown[n] for n in [ent.name] + list(self.ir.events) if shown.get(n)), set())
        key_type = key_table.types[ent.key] if shown.get(ent.name) else next(iter(given), T.NUMBER)
        if key_type is T.ANY:
            key_type = T.NUMBER
        for name in [ent.name] + list(self.ir.events):
            table = out[names[name]]
            key_col = ent.key if name == ent.name else self.ir.events[name].by
            wrong = shown.get(name, set()) - {key_type}
            if wrong and name != ent.name:
                self.add("SEG133", f"`{name}.{key_col}` holds {next(iter(wrong)).value}s but the keys of "
                         f"`{ent.name}` are {key_type.value}s", self.fixture_span(name),
                         "write the member keys as in the entity")
            table.types[key_col] = key_type
            table.integral[key_col] = key_type is T.NUMBER and all(
                isinstance(r[table.columns.index(key_col)], (int, type(None))) for r in table.rows)
        return out, keys

    def fixture_span(self, name: str) -> Span:
        fx = next((f for f in self.test.fixtures if f.source.text == name), None)
        return fx.source.span if fx else self.test.name.span

    def column_type(self, name: str, column: str, values: list[tuple[object, t.Value | None]], declared: T | None,
                    used: T) -> tuple[T, bool]:
        present = [(v, w) for v, w in values if v is not None]
        where = lambda w: w.span if w is not None else self.fixture_span(name)  # noqa: E731
        if declared is not None and declared is not T.ANY:
            for v, w in present:
                if not fits(declared, v):
                    self.add("SEG133", f"{show_value(v)} is not a {declared.value}: `{name}.{column}` is declared "
                             f"as {declared.value}", where(w), f"write a {declared.value} or `missing`")
                    break
            return declared, all(isinstance(v, int) for v, _ in present)
        found = T.ANY
        for v, w in present:
            vt = value_type(v)
            if found is T.ANY:
                found = vt
            elif vt is not found:
                if {vt, found} == {T.DATE, T.TIMESTAMP}:
                    found = T.TIMESTAMP
                    continue
                self.add("SEG133", f"{show_value(v)} is a {vt.value}, but `{name}.{column}` holds {found.value}s in the "
                         f"rows above", where(w), "one type per column; write `missing` for no value")
                break
        if found is not T.ANY and used is not T.ANY and not found.fits(used):
            v, w = present[0]
            self.add("SEG133", f"the model reads `{name}.{column}` as a {used.value}, but the fixture gives "
                     f"{show_value(v)}", where(w), f"write a {used.value}")
        if found is T.ANY:
            found = used if used is not T.ANY else T.TEXT
        return found, all(isinstance(v, int) and not isinstance(v, bool) for v, _ in present)

    # expectations ----------------------------------------------------------
    def expectations(self, keys: list[object], key_type: T) -> None:
        ir = self.ir
        known = set(keys)
        member_level = list(ir.features) + list(ir.segments) + list(ir.segmentations) + list(ir.holdouts)
        for e in self.test.expects:
            if e.kind in t.MEMBER_KINDS:
                self.member_subject(e, member_level)
                targets = e.keys
            else:
                name = e.subject[0].text
                if name not in member_level:
                    self.add("SEG134", f"the model has no feature, segment or segmentation `{name}`", e.subject[0].span,
                             did_you_mean(name, member_level) or None)
                elif e.value is not None:
                    self.expected_value(e, name)
                targets = (e.key,) if e.key is not None else ()
            for k in targets:
                if k.value not in known or (value_type(k.value) is not key_type and key_type is not T.ANY):
                    ent = ir.entity
                    hint = (f"keys of `{ent.name}` are {key_type.value}s" if value_type(k.value) is not key_type
                            else f"add a row with {ent.key} {k.text} to the fixture of `{ent.name}`")
                    self.add("SEG135", f"member {k.text} is not in the fixture of `{ent.name}`", k.span, hint)

    def member_subject(self, e: t.Expect, member_level: list[str]) -> None:
        ir = self.ir
        first = e.subject[0]
        if len(e.subject) == 1:
            if first.text in ir.segments:
                return
            if first.text in ir.segmentations or first.text in ir.holdouts:
                owner = ir.segmentations.get(first.text) or ir.holdouts[first.text]
                self.add("SEG134", f"`{first.text}` has cases, not members: name one", first.span,
                         f"for example `expect {first.text}.{owner.labels[0]} = […]`")
            elif first.text in ir.features:
                self.add("SEG134", f"`{first.text}` is a feature: it has values, not members", first.span,
                         f"expect its value for one member: `expect {first.text} of KEY = VALUE`")
            else:
                self.add("SEG134", f"the model has no segment `{first.text}`", first.span,
                         did_you_mean(first.text, list(ir.segments) + list(ir.segmentations) + list(ir.holdouts))
                         or f"segments: {', '.join(ir.segments) or 'none'}")
            return
        owner = ir.segmentations.get(first.text) or ir.holdouts.get(first.text)
        if owner is None:
            self.add("SEG134", f"the model has no segmentation or holdout `{first.text}`", first.span,
                     did_you_mean(first.text, list(ir.segmentations) + list(ir.holdouts)) or None)
            return
        case = e.subject[1]
        if case.text not in owner.labels:
            self.add("SEG134", f"`{first.text}` has no case `{case.text}`", case.span,
                     did_you_mean(case.text, owner.labels) or f"its cases: {', '.join(owner.labels)}")

    def expected_value(self, e: t.Expect, name: str) -> None:
        ir = self.ir
        v = e.value.value  # type: ignore[union-attr]
        span = e.value.span  # type: ignore[union-attr]
        if name in ir.features:
            want = ir.features[name].type
            if not fits(want, v) and not (want is T.DATE and isinstance(v, dt.date)):
                self.add("SEG133", f"`{name}` is a {want.value}, not {show_value(v)}", span, f"expect a {want.value}")
        elif name in ir.segments:
            if not isinstance(v, bool):
                self.add("SEG133", f"`{name}` is a segment: a member is in it (true) or not (false)", span,
                         f"`expect {name} of KEY = true`, or list its members: `expect {name} = […]`")
        else:
            owner = ir.segmentations.get(name) or ir.holdouts[name]
            labels = owner.labels
            if str(v) not in labels or isinstance(v, bool):
                self.add("SEG134", f"`{name}` has no case {show_value(v)}", span,
                         f"its cases: {', '.join(labels)}")


def _widen(v: object, ty: T) -> object:
    """A date in a timestamp column is its midnight."""
    if ty is T.TIMESTAMP and isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime.combine(v, dt.time())
    return v


def prepare(test: t.Test, ir: m.CheckedModel, files: list[s.File], here: Path) -> Prepared:
    """The test's fixtures and settings, checked; raises SegError with every problem found."""
    c = _Checker(test, ir, files, here)
    as_of, params = c.settings()
    tables, keys = c.fixtures()
    key_type = tables[ir.entity.source].types[ir.entity.key]
    c.expectations(keys, key_type)
    if not test.expects:
        c.add("SEG230", f"test `{test.name.text}` expects nothing", test.name.span,
              "add an expectation: `expect SEGMENT = [keys]`, `expect FEATURE of KEY = VALUE`")
    if c.problems:
        raise SegError(c.problems)
    schemas = {}
    for table in tables.values():
        for name in table.names:
            schemas[name] = dict(table.types)
    return Prepared(test, as_of, params, tables, schemas, keys)


def check_tests(files: list[s.File], ir: m.CheckedModel, main: str, here: Path) -> list[Diagnostic]:
    """Every problem of the tests in the main file (what `segdsl check` reports for them)."""
    problems: list[Diagnostic] = []
    main_file = next((f for f in files if f.path == main), files[-1] if files else None)
    if main_file is None:
        return problems
    names: dict[str, Span] = {}
    for test in main_file.tests:
        if test.name.text in names:
            problems.append(Diagnostic("SEG230", f"two tests are named `{test.name.text}`", test.name.span,
                                       f"the other is at line {names[test.name.text].line}; give each test its own name"))
        names.setdefault(test.name.text, test.name.span)
        try:
            prepare(test, ir, files, here)
        except SegError as exc:
            problems += exc.diagnostics
    return problems
