"""What the editor knows of one document: its definitions, its diagnostics, its checked model.

Diagnostics come from the very pipeline of `segdsl check` (segdsl.tools.check_command),
run on the editor's unsaved texts: the same codes, positions, messages and hints, lints
included, with the columns of the workspace's configured schema file or database.

A document that does not parse still has an outline: each definition is parsed on its
own (as the parser does to report every broken one), and the sound ones are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ...lang import syntax as s
from ...lang.diagnostics import Diagnostic, SegError, Span

DEFINITION_KINDS = {
    s.Param: "param", s.Entity: "entity", s.Events: "events", s.Feature: "feature", s.Segment: "segment",
    s.Segmentation: "segmentation", s.Holdout: "holdout", s.Report: "report", s.Audience: "audience",
}


@dataclass(frozen=True)
class Definition:
    """A name a model defines: a top-level definition, a case of a segmentation or an arm of a holdout."""

    key: str  # `vip`, or `lifecycle.new` for a case, `vip_test.control` for an arm
    kind: str  # param, entity, events, feature, segment, segmentation, case, holdout, arm, report
    path: Path  # the file, resolved
    name_span: Span
    span: Span  # the whole definition (for a case: its name and condition)
    node: object  # the syntax node
    label: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """A name written in a file, and the definition (or column) it stands for."""

    key: str  # a definition's key, or `column:SOURCE.NAME` / `column:.NAME` (entity) for a column
    span: Span
    is_definition: bool = False


def tolerant_parse(text: str, file: str) -> tuple[s.File, list[Diagnostic]]:
    """The definitions of a text that parse, and the syntax problems of the others (definition by
    definition, each cached: segdsl.tools.lsp.incremental)."""
    from .incremental import parse_and_remember

    return parse_and_remember(text, file)


def definitions_of(parsed: s.File, path: Path) -> list[Definition]:
    """Every name a file defines, cases and arms included, in the order written."""
    out: list[Definition] = []
    for d in parsed.definitions:
        kind = DEFINITION_KINDS.get(type(d))
        if kind is None:
            continue
        name = getattr(d, "name", None)
        if name is None:  # a report without a name
            continue
        label = getattr(d, "label", None)
        out.append(Definition(name.text, kind, path, name.span, d.span or name.span, d, label))
        if isinstance(d, s.Segmentation):
            for case in d.cases:
                end = _end(case.condition) or case.name.span
                span = Span(case.name.span.file, case.name.span.line, case.name.span.column, end.end_line,
                            end.end_column)
                out.append(Definition(f"{name.text}.{case.name.text}", "case", path, case.name.span, span, case))
            if d.else_case is not None:
                out.append(Definition(f"{name.text}.{d.else_case.text}", "case", path, d.else_case.span,
                                      d.else_case.span, d.else_case))
        elif isinstance(d, s.Holdout):
            for arm in d.arms:
                out.append(Definition(f"{name.text}.{arm.name.text}", "arm", path, arm.name.span, arm.name.span, arm))
    for test in getattr(parsed, "tests", ()):  # `test` blocks: in the outline, not names an expression reads
        out.append(Definition(f"test:{test.name.text}", "test", path, test.name.span, test.span, test, test.label))
    return out


def _end(node: object) -> Span | None:
    return getattr(node, "span", None)


def walk(node: object) -> Iterator[object]:
    """Every syntax node under a node (itself included), in source order."""
    if isinstance(node, tuple):
        for x in node:
            yield from walk(x)
        return
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is None:
        return
    yield node
    for f in fields:
        value = getattr(node, f)
        if isinstance(value, (tuple,)) or hasattr(value, "__dataclass_fields__"):
            yield from walk(value)


def imports_of(parsed: s.File, path: Path) -> list[tuple[s.Import, Path]]:
    """The imports of a file with the files they name, resolved as the loader resolves them."""
    return [(d, (path.parent / d.path).resolve()) for d in parsed.definitions if isinstance(d, s.Import)]


def occurrences(parsed: s.File, visible: Mapping[str, Definition]) -> list[Occurrence]:
    """The names written in a file, each tied to what it names (definitions visible from the file)."""
    out: list[Occurrence] = []
    entity = next((d for d in visible.values() if d.kind == "entity"), None)

    def column(source: str, name: s.Name) -> None:
        out.append(Occurrence(f"column:{source}.{name.text}", name.span))

    for d in parsed.definitions:
        kind = DEFINITION_KINDS.get(type(d))
        if isinstance(d, s.Entity):
            out.append(Occurrence(d.name.text, d.name.span, True))
            column("", d.key)
            if d.since is not None:
                column("", d.since)
            continue
        if isinstance(d, s.Events):
            out.append(Occurrence(d.name.text, d.name.span, True))
            column(d.name.text, d.by)
            column(d.name.text, d.at)
            continue
        if isinstance(d, s.Param):
            out.append(Occurrence(d.name.text, d.name.span, True))
            nodes = walk(d.default)
        elif isinstance(d, s.Holdout):
            out.append(Occurrence(d.name.text, d.name.span, True))
            out.append(Occurrence(d.segment.text, d.segment.span))
            for arm in d.arms:
                out.append(Occurrence(f"{d.name.text}.{arm.name.text}", arm.name.span, True))
            continue
        elif isinstance(d, s.Audience):
            out.append(Occurrence(d.name.text, d.name.span, True))
            nodes = walk((d.subject, tuple(i.value for i in d.identifiers)))
        elif isinstance(d, s.Exclusive):
            out.extend(Occurrence(n.text, n.span) for n in d.segments)
            continue
        elif isinstance(d, s.Report):
            if d.name is not None:
                out.append(Occurrence(d.name.text, d.name.span, True))
            out.extend(Occurrence(n.text, n.span) for n in d.subjects)
            if d.against is not None:  # a lift report's control arm
                out.append(Occurrence(f"{d.subjects[0].text}.{d.against.text}", d.against.span))
            nodes = walk(d.measures)
        elif isinstance(d, s.Segmentation):
            out.append(Occurrence(d.name.text, d.name.span, True))
            for case in d.cases:
                out.append(Occurrence(f"{d.name.text}.{case.name.text}", case.name.span, True))
            if d.else_case is not None:
                out.append(Occurrence(f"{d.name.text}.{d.else_case.text}", d.else_case.span, True))
            nodes = walk((tuple(c.condition for c in d.cases), d.args))
        elif kind is not None:
            out.append(Occurrence(d.name.text, d.name.span, True))
            nodes = walk(d.expr)
        else:
            continue
        inside: list[tuple[Span, str]] = []  # aggregates over an events source: (span, source)
        for node in nodes:
            if isinstance(node, s.Aggregate):
                source = _aggregated_source(node, visible)
                if source is not None:
                    inside.append((node.span, source))
            if not isinstance(node, s.Ref):
                continue
            first = node.parts[0]
            target = visible.get(first.text)
            if len(node.parts) == 1:
                if target is not None and target.kind not in ("entity",):
                    out.append(Occurrence(first.text, first.span))
                else:
                    owner = next((src for sp, src in reversed(inside) if _within(first.span, sp)), None)
                    if owner is not None:
                        column(owner, first)
                    elif entity is not None:
                        column("", first)
                continue
            second = node.parts[1]
            if target is None:
                continue
            out.append(Occurrence(first.text, first.span))
            if target.kind == "events":
                column(first.text, second)
            elif target.kind == "entity":
                column("", second)
            elif f"{first.text}.{second.text}" in visible:
                out.append(Occurrence(f"{first.text}.{second.text}", second.span))
    return out


def _aggregated_source(node: s.Aggregate, visible: Mapping[str, Definition]) -> str | None:
    """The events source an aggregate reads: its bare name, or the owner of its column."""
    target = node.target
    if isinstance(target, s.Ref):
        d = visible.get(target.parts[0].text)
        if d is not None and d.kind == "events":
            return d.key
    return None


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


@dataclass
class CheckOutcome:
    """What checking a document as `segdsl check` does gives."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    model: object = None  # CheckedModel when the file checked
    schemas: dict = field(default_factory=dict)
    labels: dict[str, Path] = field(default_factory=dict)  # file label in diagnostics -> resolved path
    files: list[s.File] = field(default_factory=list)  # the program's parsed files (imports first)
    database: str | Path | None = None  # what code lenses count in: a DuckDB path or a target URL
    program: object = None  # the loaded Program (segdsl.lang.program), when the files parsed


def check_document(path: Path, overlay: Mapping[Path, str], database: str | Path | None = None,
                   opened: Callable[[object], None] | None = None) -> CheckOutcome:
    """Check a document (and its imports) from the editor's texts, as `segdsl check` checks the file.

    `database` (the editor's setting) overrides what the configuration names for the member counts.
    `opened` receives the holder of the engine the data lints use, so that a newer edit can cancel
    their queries.
    """
    from ...lang.program import load_program
    from ...semantic import config as cfg
    from ..check_command import (CheckOptions, FileResult, _check_one, _Data, read_configured_schema,
                                       with_configured_data)

    outcome = CheckOutcome()
    fr = FileResult(str(path), False)
    data: _Data | None = None
    try:
        config = cfg.find(path.parent)
        options = with_configured_data(CheckOptions(), config)
        outcome.database = options.target or options.db
        data = _Data(options)
        if opened is not None:
            opened(data)
        schema_table = read_configured_schema(options)
        if path in overlay:  # the text is parsed piece by piece (cached): an edit re-parses one definition
            tolerant_parse(overlay[path], str(path))
        program = load_program(path, overlay=overlay)
        outcome.files, outcome.program = program.files, program
        outcome.labels = {f.path: _resolve_label(f.path) for f in program.files}
        found = _check_one(program, options, config, schema_table, data, fr)
    except SegError as exc:
        found = exc.diagnostics
    finally:
        if data is not None:
            data.close()
    if database:
        outcome.database = database
    seen: set[tuple] = set()
    for d in found:
        key = (d.code, d.severity, d.message, d.span)
        if key not in seen:
            seen.add(key)
            outcome.diagnostics.append(d)
    outcome.model, outcome.schemas = fr.model, fr.schemas
    return outcome


def _resolve_label(label: str) -> Path:
    """The file a diagnostic's file label names (labels are relative to the working folder)."""
    return (Path.cwd() / label).resolve()


def diagnostics_for(outcome: CheckOutcome, path: Path) -> list[Diagnostic]:
    """The diagnostics of a check that belong in one file: its own, and those with no place in any file."""
    out = []
    for d in outcome.diagnostics:
        if d.span is None or d.span.line <= 0:
            out.append(d)
        elif outcome.labels.get(d.span.file, _resolve_label(d.span.file)) == path:
            out.append(d)
    return out


__all__ = ["Definition", "Occurrence", "CheckOutcome", "tolerant_parse", "definitions_of", "occurrences", "walk",
           "imports_of", "check_document", "diagnostics_for"]
