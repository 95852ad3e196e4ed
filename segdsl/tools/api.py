"""The Python API: load a model, get its SQL, run it.

    import segdsl
    model = segdsl.load("retail.seg")               # or the text of a model
    print(model.sql(dialect="snowflake"))
    members = model.run(as_of="2026-06-30", params={"vip_spend": 2500})
    members.df()                                      # a DuckDB relation
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..semantic import model as m
from ..semantic.checker import Schemas, check, check_deferring
from ..lang.diagnostics import Diagnostic, SegError, error
from ..lang.program import Program, load_program
from ..semantic.params import parse_as_of, resolve_params


class Model:
    """A loaded and checked model. `ir` is the typed representation (segdsl.semantic.model.CheckedModel).

    Before its data is read, a name that is a near miss of a definition
    (`revnue` beside `revenue`) may be a typo or a real column: `ir` takes it
    as a column, and `guesses` keeps the typo diagnostics. Whatever reads the
    data checks the model again against the real columns (with_schemas);
    whatever compiles without them (sql(), compile()) reports the guesses.
    """

    def __init__(self, program: Program, ir: m.CheckedModel, guesses: list[Diagnostic] | None = None):
        self.program = program
        if ir.predictions and program.main != "<text>":
            from ..predict.lock import bind_stored, lock_path, read_lock

            ir = bind_stored(ir, read_lock(lock_path(program.main)))[0]
        self.ir = ir
        self.guesses = list(guesses or [])

    def _without_data(self) -> None:
        """The near misses are typos after all: no data says otherwise."""
        if self.guesses:
            raise SegError(self.guesses, self.program.sources)

    @property
    def root(self) -> Path:
        return self.program.root

    def resolve_params(self, params: dict[str, object] | None) -> dict[str, object]:
        """Values for the model's params, from the command line (text) or from Python, checked."""
        return resolve_params(self.ir, params)

    def with_reports(self, texts: list[str]) -> "Model":
        """The model with ad hoc reports, written as in a file: `value of lifecycle measure revenue`."""
        from ..lang.parser import parse

        if not texts:
            return self
        text = "\n".join(f"report {t.strip().removeprefix('report ')}" for t in texts)
        self.program.sources.add("<--report>", text)
        extra = parse(text, "<--report>")
        program = Program(self.program.files + [extra], self.program.sources, self.program.root, self.program.main)
        return Model(program, *check_deferring(program.files, None, program.sources))

    def with_schemas(self, schemas: Schemas) -> "Model":
        """The same program checked against the columns the data really has."""
        return Model(self.program, check(self.program.files, schemas, self.program.sources))

    def sql(self, dialect: str = "duckdb", segment: str | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, pretty: bool = True) -> str:
        """The membership query (or the keys of one segment) for a dialect.

        Without as_of the query evaluates at the engine's current date.
        """
        from ..sql.compile import membership, segment_members, to_sql
        from ..sql.options import Options
        from ..sql.dialects import check_dialect

        d = check_dialect(dialect)
        self._without_data()
        date = parse_as_of(as_of) if as_of is not None else None
        opts = Options(d, date, self.resolve_params(params))
        query = segment_members(self.ir, opts, segment) if segment else membership(self.ir, opts)
        return to_sql(query, d, pretty=pretty, copy=False)  # the query was built for this text only

    def content_hash(self) -> str:
        """SHA-256 of the text of the model and of every file it imports, in import order.

        Written into compiled SQL, it ties a deployed view to the exact model it came from.
        """
        import hashlib

        digest = hashlib.sha256()
        texts = getattr(self.program.sources, "_texts", {})
        for f in self.program.files:
            digest.update(f.path.encode("utf-8") + b"\0")
            digest.update("\n".join(texts.get(f.path, [])).encode("utf-8") + b"\0")
        return digest.hexdigest()

    def compile(self, dialect: str = "duckdb", as_: str = "query", name: str | None = None,
                segment: str | None = None, long: bool = False, as_of: str | dt.date | None = None,
                params: dict[str, object] | None = None, header: bool = True,
                bindings: dict[str, str] | None = None, schemas: Schemas | None = None,
                types_from: str | None = None) -> str:
        """SQL to embed in a warehouse: a query, or the DDL that replaces a view or a table.

        `as_` is "query", "view" or "table" (the dialect's CREATE OR REPLACE, or its
        atomic equivalent); `segment` gives the keys of one segment, `long` one
        (key, segment) row per membership. `as_of` None or "today" is the engine's
        current date, so a view always answers for the day it is read. `bindings` maps
        a source of the model to the table it is read from in that warehouse.
        `schemas` (column types by entity/events name, from `--schema` or `--target`)
        let the dialect handle text exactly where its collations differ.
        """
        from ..sql import dialects as dl
        from ..sql.compile import finish, long_members, membership, segment_members, to_sql
        from ..sql.expressions import source_table
        from ..sql.options import Options

        d = dl.check_dialect(dialect)
        if as_ not in ("query", "view", "table"):
            raise error("SEG307", f"`--as {as_}` is not a kind of output", None, "use --as query, view NAME or table NAME")
        if as_ != "query" and not name:
            raise error("SEG307", f"`--as {as_}` needs a name", None, f"for example --as {as_} analytics.segments")
        if long and segment:
            raise error("SEG306", "--long and --segment cannot be combined", None,
                        "--segment gives the keys of one segment; --long gives every (key, segment) pair")
        date = None if as_of in (None, "today") else parse_as_of(as_of)
        bound = dict(bindings or {})
        if not schemas:
            self._without_data()
        ir = self.with_schemas(schemas).ir if schemas else self.ir
        opts = Options(d, date, self.resolve_params(params),
                       source=(lambda s: source_table(bound.get(s, s), d)) if bound else None, schemas=schemas)
        if segment:
            query = segment_members(ir, opts, segment)
        elif long:
            query = long_members(ir, opts)
        else:
            query = membership(ir, opts)
        if as_ == "query":
            body = to_sql(query, d, pretty=True)
        else:
            statements = dl.ddl(d, as_, name or "", finish(query, d))
            body = ";\n\n".join(statements) + ";"
        if not header:
            return body
        from .. import __version__

        shown = self.program.main if self.program.main != "<text>" else "<text>"
        lines = [f"-- segdsl {__version__}: {shown} (sha256 {self.content_hash()[:16]}) for {d}",
                 f"-- as_of: {date.isoformat() if date else 'the current date of the engine'}"
                 + (f"; params: {', '.join(f'{k}={v}' for k, v in sorted((params or {}).items()))}" if params else "")]
        dialect_rules = dl.get(d)
        if schemas:
            lines.append(f"-- column types: {types_from or 'given'}")
        elif dialect_rules.needs_types:
            lines.append("-- column types unknown: text keys and text columns compared with each other follow the "
                         "engine's collation; compile with --target or --schema for exact text")
        if dialect_rules.bool_min_max:
            untyped = _untyped_min_max(ir)
            if untyped:
                lines.append(f"-- {', '.join(untyped)}: the column type is unknown, so this is written for numbers, "
                             f"dates and text; for a boolean column give the types (--target, --schema or "
                             f"columns (…)) and it is lowered for {d}")
        note = dialect_rules.header_note(bool(self.ir.holdouts), body)
        if note:
            lines.append(f"-- {note}")
        return "\n".join(lines) + "\n" + body

    def run_on(self, target, as_of: str | dt.date | None = None, params: dict[str, object] | None = None,
               outputs: list[str] | None = None, bindings: dict[str, str] | None = None):
        """Evaluate on the engine where the data lives; returns a pyarrow.RecordBatchReader.

        `target` is a URL (postgresql://…, mysql+pymysql://…, sqlite:///…, spark://local[*],
        chdb:///…, duckdb:///…) or an open connection (sqlite3, psycopg, pymysql, a
        SparkSession, a chdb Session, duckdb). Sources are only read. The members are
        streamed from the engine as Arrow batches in the language's types (`.read_all()`
        for a table, `.read_pandas()`); a connection segdsl opened is closed when the
        reader is exhausted.
        """
        import pyarrow as pa

        from .. import engines
        from ..engines.execution import members

        opened = not isinstance(target, engines.Engine)  # an engine passed in stays the caller's to close
        engine = engines.open_engine(target, self.root).bind(bindings)
        try:
            reader = members(self, engine, parse_as_of(as_of), params, outputs)
        except BaseException:
            if opened:
                engine.close()
            raise

        def batches():
            try:
                yield from reader
            finally:
                if opened:
                    engine.close()

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def write_table(self, target, table: str, as_of: str | dt.date | None = None,
                    params: dict[str, object] | None = None, bindings: dict[str, str] | None = None) -> int:
        """Compute the members on the target and replace `table` ([schema.]name) there, atomically;
        returns the number of members (counted by the engine)."""
        from .. import engines
        from ..engines.execution import run

        with engines.open_engine(target, self.root, write=True).bind(bindings) as engine:
            return run(self, engine, parse_as_of(as_of), params, table=table).tally.total

    def run(self, db: str | Path | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, connection=None):
        """Evaluate on DuckDB; returns a DuckDB relation (`.df()`, `.arrow()`, `.fetchall()`)."""
        from .. import engines
        from ..engines.execution import compile_for

        engine = engines.open_engine(connection, self.root) if connection is not None else engines.open_duckdb(db, self.root)
        compiled = compile_for(self, engine, parse_as_of(as_of), params)
        return engine.con.sql(compiled.sql)

    def report(self, names: list[str] | None = None, adhoc: list[str] | None = None, db: str | Path | None = None,
               target: str | None = None, connection=None, as_of: str | dt.date | None = None,
               params: dict[str, object] | None = None, migration: tuple[object, object] | None = None,
               bindings: dict[str, str] | None = None) -> list:
        """Compute the model's reports (all, or `names`), or ad hoc ones written as in a file
        (`adhoc=["crosstab gender by lifecycle"]`), on DuckDB or any verified target.

        Returns segdsl.reports.compute.ReportResult objects; segdsl.reports.render renders them.
        `migration` is the (from, to) pair of dates that migration reports compare.
        """
        from ..reports import compute as rep
        from ..engines.execution import read_schemas

        model = self.with_reports(list(adhoc or []))
        dates = None if migration is None else (parse_as_of(migration[0]), parse_as_of(migration[1]))
        tgt, owned = model._target(db, connection, target)
        try:
            tgt.bind(bindings)
            schemas = read_schemas(tgt, model.ir)
            checked = model.with_schemas(schemas).ir
            wanted = [n for n, x in checked.reports.items() if x.span and x.span.file == "<--report>"] \
                if adhoc else list(names or [])
            return rep.compute(tgt, checked, schemas, rep.select_reports(checked, wanted), model.program.sources,
                               parse_as_of(as_of), model.resolve_params(params), dates)
        finally:
            _release(tgt, owned)

    def _target(self, db: str | Path | None, connection, target):
        """A segdsl.engines.Engine for a database file, an open connection or a target URL."""
        from .. import engines

        if target is not None:
            return engines.open_engine(target, self.root), True
        if connection is not None:
            return engines.open_engine(connection, self.root), False
        return engines.open_duckdb(db, self.root), True

    def explain(self, key: object, db: str | Path | None = None, as_of: str | dt.date | None = None,
                params: dict[str, object] | None = None, segments: list[str] | None = None, connection=None,
                target: str | None = None):
        """Why one member is in or out of each segment, and which case of each segmentation it got.

        Returns a segdsl.tools.explain.Explanation (`.render()` for text, `.to_dict()`), computed by the engine
        exactly as `run` computes the membership.
        """
        from .explain import explain

        tgt, owned = self._target(db, connection, target)
        try:
            return explain(self, str(key), tgt, parse_as_of(as_of), params, list(segments or []))
        finally:
            _release(tgt, owned)

    def lint(self, db: str | Path | None = None, as_of: str | dt.date | None = None,
             params: dict[str, object] | None = None, config: str | Path | None = None, connection=None,
             target: str | None = None) -> list:
        """Segment-quality lints as diagnostics (warnings and notes, severities from the configuration).

        The static lints always run; the data lints (too broad, too small, empty, stale, missing data,
        overlap) run when a database, connection or target is given.
        """
        from ..semantic import config as cfg
        from ..semantic.lints import Suppressions, static_lints, to_diagnostics

        conf = cfg.load(Path(config)) if config else cfg.find(self.root)
        if db is None and connection is None and target is None:
            self._without_data()
        main = self.program.main
        findings = static_lints(self.ir, self.program.files, main, conf, self.program.sources)
        if db is not None or connection is not None or target is not None:
            from .datalint import data_lints
            from ..engines.execution import read_schemas

            tgt, owned = self._target(db, connection, target)
            try:
                schemas = read_schemas(tgt, self.ir)
                ir = self.with_schemas(schemas).ir
                more, _ = data_lints(ir, self.program.files, tgt, parse_as_of(as_of), self.resolve_params(params),
                                     conf, self.program.sources, schemas)
                findings += more
            finally:
                _release(tgt, owned)
        return to_diagnostics(findings, conf, Suppressions(self.program.files, self.program.sources))


def _untyped_min_max(ir: m.CheckedModel) -> list[str]:
    """min/max aggregates over a value of unknown type, as written (`max(orders.coupon)`)."""
    found: dict[str, None] = {}
    for name in ir.order:
        for e in ir.expressions_of(name):
            for node in m.walk(e):
                if isinstance(node, m.Agg) and node.func in ("min", "max") and node.arg is not None \
                        and node.arg.type is m.T.ANY:
                    if isinstance(node.arg, m.Column) and node.arg.name == ir.events[node.source].at:
                        continue  # the event time: a date or a timestamp
                    arg = f"{node.source}.{node.arg.name}" if isinstance(node.arg, m.Column) else "…"
                    found[f"{node.func}({arg})"] = None
    return list(found)


def _release(target, owned: bool) -> None:
    """Close an engine opened for one call (a connection passed in is the caller's to close)."""
    if owned:
        target.close()


def load(source: str | Path) -> Model:
    """Load a model from a path to a .seg file, or from the text of one."""
    if isinstance(source, Path) or ("\n" not in source and source.endswith(".seg")):
        program = load_program(Path(source))
    else:
        program = load_program(text=source)
    try:
        ir, guesses = check_deferring(program.files, None, program.sources)
    except SegError as exc:
        exc.sources = program.sources
        raise
    return Model(program, ir, guesses)
