"""`segdsl check`: every problem of every file in one run.

For each file: parse it and its imports, learn the columns of its sources
where possible (segdsl.semantic.schema), check names and types against them, then
run the static lints and, with data, the data lints. Problems of a file
shared by several checked models (an import) are reported once.

Nothing here imports the SQL compiler or an engine unless data is involved,
so checking a folder of models without a database starts at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..lang import syntax as s
from ..lang.diagnostics import Diagnostic, SegError, SourceCache, display_path, is_usage, reason
from ..lang.program import Program
from ..semantic import config as cfg
from ..semantic.model import T
from ..semantic.params import resolve_params
from ..semantic.schema import Describe, Schemas, Source

if TYPE_CHECKING:
    from ..engines import Engine


@dataclass
class CheckOptions:
    db: Path | None = None  # a DuckDB database holding the tables
    target: str | None = None  # a target URL (segdsl.engines)
    schema: Path | None = None  # a schema file (TOML or JSON)
    data: bool = False  # data lints on the data files a model names, without --db/--target
    as_of: dt.date | None = None  # for the data lints (default: today)
    params: dict[str, str] = field(default_factory=dict)
    lint: bool = True
    config: Path | None = None  # instead of the nearest segdsl.toml / pyproject.toml


@dataclass
class FileResult:
    path: str
    ok: bool  # no error: the model was checked
    summary: str = ""
    columns_from: dict[str, str] = field(default_factory=dict)  # source -> where its columns came from
    diagnostics: list[Diagnostic] = field(default_factory=list)  # reported with this file (not repeated)
    fail_on: str = "warning"
    queries: int = 0  # engine queries the data lints took
    model: object = None  # the checked model (segdsl.semantic.model.CheckedModel), when the file checked
    schemas: dict = field(default_factory=dict)  # columns of the sources as learnt, by entity/events name


@dataclass
class Result:
    files: list[FileResult]
    sources: SourceCache
    usage: list[Diagnostic] = field(default_factory=list)  # problems with the command line itself

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.usage + [d for f in self.files for d in f.diagnostics]

    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 bad usage."""
        if self.usage:
            return 2
        for f in self.files:
            for d in f.diagnostics:
                if d.severity == "error" or cfg.RANK[d.severity] >= cfg.RANK[f.fail_on]:
                    return 1
        return 0


class _Data:
    """The engine holding the data, opened once per run when needed."""

    def __init__(self, options: CheckOptions):
        self.options = options
        self.target: Engine | None = None

    def open(self, root: Path) -> Engine:
        from .. import engines

        if self.target is None:
            if self.options.target:
                self.target = engines.open_engine(self.options.target, root)
            else:
                self.target = engines.open_duckdb(self.options.db, root)  # None: in memory, for data files
        self.target.root = root  # data files are relative to each model
        return self.target

    @property
    def wanted(self) -> bool:
        return bool(self.options.db or self.options.target)

    def close(self) -> None:
        if self.target is not None:
            self.target.close()


def check_paths(paths: list[Path], options: CheckOptions | None = None) -> Result:
    """Check models (files or folders) and lint them."""
    from ..lang.program import collect, load_program

    options = options or CheckOptions()
    sources = SourceCache()
    result = Result([], sources)
    files = collect(paths)
    if not files:
        result.usage.append(Diagnostic("SEG304", "no .seg files to check", None, "name files or folders"))
        return result
    try:
        explicit = cfg.load(options.config) if options.config else None
        schema_table = None
        if options.schema:
            from ..semantic.schema import read_schema_file

            schema_table = read_schema_file(options.schema)
    except SegError as exc:
        result.usage.extend(exc.diagnostics)
        return result
    data = _Data(options)
    configured: dict[tuple, tuple[CheckOptions, Schemas | None, _Data]] = {}
    seen: set[tuple] = set()
    try:
        for path in files:
            fr = FileResult(str(path), False)
            result.files.append(fr)
            try:
                config = explicit or cfg.find(path.parent)
                fr.fail_on = config.fail_on
                file_options, file_schema, file_data = options, schema_table, data
                if configured_data(options, config):
                    key = (config.schema, config.db, config.target)
                    if key not in configured:
                        more = with_configured_data(options, config)
                        configured[key] = (more, read_configured_schema(more), _Data(more))
                    file_options, file_schema, file_data = configured[key]
                program = load_program(path)
                sources._texts.update(program.sources._texts)
                found = _check_one(program, file_options, config, file_schema, file_data, fr)
            except SegError as exc:
                if exc.sources is not None:
                    sources._texts.update(exc.sources._texts)
                usage = [d for d in exc.diagnostics if is_usage(d)]
                if usage and len(usage) == len(exc.diagnostics):
                    result.usage.extend(d for d in usage if d not in result.usage)
                    result.files.pop()
                    continue
                found = exc.diagnostics
            for d in found:
                key = (d.code, d.severity, d.message, d.span)
                if key not in seen:
                    seen.add(key)
                    fr.diagnostics.append(d)
            fr.ok = fr.ok and not any(d.severity == "error" for d in found)
    finally:
        data.close()
        for _, _, more in configured.values():
            more.close()
    return result


def configured_data(options: CheckOptions, config: cfg.Config) -> bool:
    """Whether the configuration names the data (schema, db, target) and the command line does not."""
    return not (options.schema or options.db or options.target) and bool(config.schema or config.db or config.target)


def with_configured_data(options: CheckOptions, config: cfg.Config) -> CheckOptions:
    """The options with the configuration's schema file, database or target where none was given."""
    if not configured_data(options, config):
        return options
    return replace(options, schema=config.schema, db=config.db, target=config.target)


def read_configured_schema(options: CheckOptions) -> Schemas | None:
    """The schema file of the options read, or None; its problems raise SegError."""
    if options.schema is None:
        return None
    from ..semantic.schema import read_schema_file

    return read_schema_file(options.schema)


def _check_one(program: Program, options: CheckOptions, config: cfg.Config, schema_table: Schemas | None, data: _Data,
               fr: FileResult) -> list[Diagnostic]:
    from ..semantic.checker import check
    from ..semantic.lints import Suppressions, static_lints, to_diagnostics
    from ..semantic.schema import Found, from_engine, from_schema_file, sources_of

    srcs = sources_of(program.files)
    found = Found()
    root = program.root
    if data.wanted:
        target = data.open(root)
        from_engine(found, srcs, _describe(target), lambda src: True,
                    lambda src: "the database" if not src.is_file else src.source)
    elif any(src.is_file and (root / src.source).is_file() for src in srcs):
        target = data.open(root)
        from_engine(found, srcs, _describe(target), lambda src: src.is_file and (root / src.source).is_file(),
                    lambda src: src.source)
    if found.problems:
        raise SegError(found.problems, program.sources)
    if schema_table is not None:
        from_schema_file(found, srcs, schema_table, str(options.schema))
    for f in program.files:
        for d in f.definitions:
            if isinstance(d, (s.Entity, s.Events)) and d.columns is not None and d.name.text not in found.origin:
                found.origin[d.name.text] = "columns (…)"
    fr.columns_from = dict(found.origin)
    ir = check(program.files, found.schemas or None, program.sources)
    fr.model, fr.schemas = ir, dict(found.schemas or {})
    fr.ok = True
    fr.summary = (f"{len(ir.features)} features, {len(ir.segments)} segments, {len(ir.segmentations)} "
                  f"segmentations, {len(ir.holdouts)} holdouts, {len(ir.reports)} reports")
    params = resolve_params(ir, dict(options.params))
    from ..testing.prepare import check_tests

    test_problems = check_tests(program.files, ir, program.main, root)  # tests are checked, not run
    if test_problems:
        fr.ok = False
    if not options.lint:
        return test_problems
    suppressions = Suppressions(program.files, program.sources)
    findings = static_lints(ir, program.files, program.main, config, program.sources)
    tables = [src for src in srcs if not src.is_file]
    if options.data and not data.wanted and tables:
        # --data reads data files; a table needs the database that holds it
        diags = [Diagnostic("SEG305", f"`{src.source}` is a table, so the data lints need the database holding it",
                            src.span, "give --db PATH or --target URL") for src in tables]
        return test_problems + diags + to_diagnostics(findings, config, suppressions)
    if data.wanted or options.data:
        from .datalint import data_lints

        from ..semantic.params import today

        as_of = options.as_of or today()
        target = data.open(root)
        more, fr.queries = data_lints(ir, program.files, target, as_of, params, config, program.sources,
                                      found.schemas or None)
        findings += more
    diags = test_problems + to_diagnostics(findings, config, suppressions)
    order = {f.path: i for i, f in enumerate(program.files)}
    return sorted(diags, key=lambda d: (order.get(d.span.file, -1), d.span.line, d.span.column, d.code)
                  if d.span else (-1, 0, 0, d.code))


def _describe(target: Engine) -> Describe:
    """Columns of a table or data file as the engine reports them; a missing one is a diagnostic at its source."""

    def describe(src: Source) -> dict[str, T]:
        if src.is_file and target.reads_files and not (target.root / src.source).is_file():
            raise SegError([Diagnostic("SEG304", f"cannot find the data file `{src.source}`", src.span,
                                       f"paths are relative to the file that names them; looked for "
                                       f"{display_path(target.root / src.source)}")])
        try:
            return target.columns(target.source(src.source))
        except target.errors as exc:
            hint = "is the table in the database given with --db or --target?" if not src.is_file else None
            raise SegError([Diagnostic("SEG305", f"cannot read `{src.source}`: {reason(exc)}", src.span, hint)]) \
                from None

    return describe


__all__ = ["CheckOptions", "Result", "FileResult", "check_paths", "configured_data", "with_configured_data",
           "read_configured_schema"]
