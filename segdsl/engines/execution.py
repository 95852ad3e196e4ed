"""Running a model on an engine: read the schemas, compile for the engine, compute, report the sizes.

Every engine takes the same path, DuckDB included. Sizes are counted by
the engine (one aggregate query over the membership, or over the table or
file just written) or while the members stream into a file — never by a
loop over members in Python. Long work runs in a worker thread watched by
the caller's thread, which shows progress, enforces `--timeout` and turns
Ctrl-C into a cancel on the engine (PostgreSQL cancel, KILL QUERY on
MariaDB, Spark job cancel, DuckDB and SQLite interrupt) before it returns;
an output being written is removed, so nothing partial is left behind.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from .lazy import pa
from sqlglot import exp

from ..semantic import model as m
from ..sql.compile import in_key_order, membership_with_columns, to_sql
from ..sql.options import Options, OutputColumn
from ..lang.diagnostics import Diagnostic, SegError, Span, display_path, error, reason
from ..semantic.model import T
from .arrow import OutputFailed, Tally, conformed, discard_pending
from .base import Engine, in_worker
from .overflow import is_overflow, overflow_error

Schemas = dict[str, dict[str, T]]
R = TypeVar("R")


def read_schemas(engine: Engine, ir: m.CheckedModel) -> Schemas:
    """Column types of every source; a missing file or table is a diagnostic at its source in the .seg file."""
    problems: list[Diagnostic] = []
    schemas: Schemas = {}
    sources: list[tuple[str, str, Span | None]] = [(ir.entity.name, ir.entity.source, ir.entity.source_span)]
    sources += [(e.name, e.source, e.source_span) for e in ir.events.values()]
    for name, source, span in sources:
        if engine.is_file_source(source) and engine.reads_files and not (engine.root / source).is_file():
            problems.append(Diagnostic("SEG304", f"cannot find the data file `{source}`", span,
                                       "paths are relative to the file that names them; looked for "
                                       f"{display_path(engine.root / source)}"))
            continue
        try:
            schemas[name] = engine.columns(engine.source(source))
        except engine.errors as exc:
            hint = "pass the database with --db" if engine.implicit and not engine.is_file_source(source) \
                else "create the table there, or check the schema and the name"
            problems.append(Diagnostic("SEG305", f"cannot read `{source}` on {engine.describe()}: {reason(exc)}",
                                       span, hint))
    if problems:
        raise SegError(problems)
    return schemas


@dataclass
class Compiled:
    """A model compiled for an engine, with the schema it was checked against."""

    sql: str
    query: exp.Select  # the membership before the dialect's whole-query rules (to build on)
    ir: m.CheckedModel
    columns: list[OutputColumn]
    schemas: Schemas
    notes: list[Diagnostic] = field(default_factory=list)  # warnings and notes of the predictions' fits

    @property
    def key_type(self) -> T:
        return self.columns[0].type


def compile_for(model: Any, engine: Engine, as_of: dt.date | None, params: dict[str, object] | None,
                outputs: list[str] | None = None, engine_dates: bool = False, once: bool = False) -> Compiled:
    """Read the engine's schemas, check the model against them and compile it for the engine's dialect.

    `once`: the query runs once, in this session, so predictions fitted on the fly may share the members
    they are fitted from with it (segdsl.engines.predictions.prepare); its text is then only for here.
    """
    schemas = read_schemas(engine, model.ir)
    checked = model.with_schemas(schemas)
    resolved = model.resolve_params(params)
    ir, notes = checked.ir, []
    opts = Options(engine.dialect, as_of, resolved, source=engine.source, schemas=schemas,
                   engine_dates=engine_dates, day_bits=engine.day_bits(checked.ir))
    if ir.predictions:
        from .predictions import prepare

        ir, notes, opts = prepare(ir, model.program.main, engine, opts, resolved, outputs, share=once)
    query, columns = membership_with_columns(ir, opts, outputs)
    return Compiled(to_sql(query, engine.dialect, pretty=False), query, ir, columns, schemas, notes)


def tally_for(ir: m.CheckedModel, columns: Sequence[OutputColumn]) -> Tally:
    """What `run` prints for a membership with these columns: segments, and the cases of partitions."""
    names = {c.name for c in columns}
    flags = [n for n in ir.order if n in names and n in ir.segments]
    labels: dict[str, list[str]] = {}
    numeric = []
    for n in ir.order:
        d = ir.segmentations.get(n) or ir.holdouts.get(n)
        if n in names and d is not None:
            labels[n] = list(d.labels)
            if isinstance(d, m.Segmentation) and d.type is T.NUMBER:
                numeric.append(n)
    return Tally(flags, labels, numeric)


def engine_failure(engine: Engine, exc: BaseException, what: str = "compute the segments") -> SegError:
    if engine.cancelled:
        return error("SEG305", f"{engine.describe()} stopped: the query was cancelled", None,
                     "nothing was written; an older output is left as it was")
    if is_overflow(exc):
        return overflow_error(engine.describe())
    return error("SEG305", f"{engine.describe()} could not {what}: {reason(exc)}", None,
                 "check that the columns hold the types the model expects (dates, numbers)")


def output_failure(exc: OutputFailed) -> SegError:
    return error("SEG308", f"cannot write `{exc.path}`: {reason(exc.cause)}", None,
                 "an older file at that path is left as it was")


@dataclass
class Outcome:
    """What a run computed: the sizes, and where the members went."""

    compiled: Compiled
    tally: Tally
    written: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, int]]:
        return self.tally.rows(list(self.compiled.ir.order))


def is_folder_output(output: str) -> bool:
    """`--output members/` or a remote URI (s3a://…): a folder of files, which only Spark writes."""
    return output.endswith("/") or "://" in output


def run(model: Any, engine: Engine, as_of: dt.date | None, params: dict[str, object] | None = None,
        output: str | Path | None = None, table: str | None = None, supervisor: "Supervisor | None" = None
        ) -> Outcome:
    """Compute the membership on an engine: sizes only, or also into a file, a folder or a table of the engine."""
    from .arrow import check_output_path

    supervisor = supervisor or Supervisor(engine)
    started = time.perf_counter()
    compiled = supervisor.step("reading source schemas", lambda: compile_for(model, engine, as_of, params, once=True))
    tally = tally_for(compiled.ir, compiled.columns)
    written = None
    try:
        if table is not None:
            from ..sql.dialects import qualified_table

            name = qualified_table(table)

            def into_table() -> None:
                engine.write_table(name, compiled.sql)
                engine.summary(name, tally)

            try:
                supervisor.step(f"writing table {table}", into_table)
            except engine.errors as exc:
                if is_overflow(exc):
                    raise overflow_error(engine.describe()) from None
                raise error("SEG308", f"cannot write the table `{table}` on {engine.describe()}: {reason(exc)}",
                            None, "an older table of that name is left as it was") from None
            written = f"{table} on {engine.describe()}"
        elif output is not None and is_folder_output(str(output)):
            export_folder = getattr(engine, "export_folder", None)
            if export_folder is None:
                raise error("SEG307", f"cannot write the folder `{output}` from {engine.dialect}", None,
                            "name a file ending in .parquet or .csv (folders of files are written by Spark)")
            supervisor.step(f"writing {output}", lambda: export_folder(compiled.sql, str(output), tally))
            written = str(output)
        elif output is not None:
            path = check_output_path(Path(output))
            sql = compiled.sql
            if path.suffix.lower() == ".csv":  # one writer, rows in key order: the same bytes on every engine
                key = compiled.columns[0]
                sql = to_sql(in_key_order(compiled.query, engine.dialect, key.name, key.type), engine.dialect,
                             pretty=False)
            supervisor.step(f"writing {path}", lambda: engine.export(sql, path, compiled.columns, tally))
            written = str(path)
        else:
            relation = exp.Subquery(this=compiled.query, alias=exp.TableAlias(this=exp.to_identifier("members")))
            supervisor.step("computing segments", lambda: engine.summary(relation, tally))
    except OutputFailed as exc:
        raise output_failure(exc) from None
    except engine.errors as exc:
        raise engine_failure(engine, exc) from None
    return Outcome(compiled, tally, written, time.perf_counter() - started,
                   [d.render() for d in compiled.notes])


def members(model: Any, engine: Engine, as_of: dt.date | None, params: dict[str, object] | None = None,
            outputs: list[str] | None = None, engine_dates: bool = False) -> pa.RecordBatchReader:
    """The membership as Arrow batches in the language's types, streamed from the engine."""
    compiled = compile_for(model, engine, as_of, params, outputs, engine_dates)
    try:
        return _guarded(engine, engine.stream(compiled.sql, compiled.columns))
    except engine.errors as exc:
        raise engine_failure(engine, exc) from None


def _guarded(engine: Engine, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """A reader whose engine errors, raised while batches arrive, are coded diagnostics too."""

    def batches():
        try:
            yield from reader
        except engine.errors as exc:
            raise engine_failure(engine, exc) from None

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


# ── watching long work ──────────────────────────────────────────────────────


class Supervisor:
    """Runs each step of a command in a worker thread, so that the caller stays responsive.

    The caller's thread shows the step and the time spent (`show`, only in a
    terminal), stops the engine when `timeout` seconds have passed since the
    first step, and on Ctrl-C cancels the engine's query, waits a moment for
    the engine to give up, removes any output being written and re-raises.
    """

    GRACE = 30.0  # seconds a cancelled engine gets to stop before its output is removed under it

    def __init__(self, engine: Engine, timeout: float | None = None,
                 show: Callable[[str, float], None] | None = None):
        self.engine = engine
        self.timeout = timeout
        self.show = show
        self.started: float | None = None

    def step(self, label: str, work: Callable[[], R]) -> R:
        if self.started is None:
            self.started = time.monotonic()

        def tick(done: threading.Event) -> None:
            elapsed = time.monotonic() - self.started
            if self.show is not None:
                self.show(label, elapsed)
            if self.timeout is not None and elapsed > self.timeout and not done.is_set():
                self._stop(done)
                raise error("SEG305", f"{self.engine.describe()} did not finish within --timeout "
                            f"{self.timeout:g} s (while {label})", None,
                            "the query was cancelled on the engine and nothing was written; "
                            "raise --timeout, or run at a quieter time")

        return in_worker(work, "segdsl-engine", self._stop, tick)

    def _stop(self, done: threading.Event) -> None:
        self.engine.cancel()
        done.wait(self.GRACE)
        discard_pending()


__all__ = ["read_schemas", "compile_for", "Compiled", "run", "members", "Outcome", "Supervisor", "tally_for",
           "conformed"]
