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

from . import model as m
from .check import Schemas, check
from .diagnostics import SegError, error
from .program import Program, load_program


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """`--as-of`: a date, `today`, or None (today)."""
    if value is None or value == "today":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error("SEG302", f"`{value}` is not a date", None, "write --as-of as YYYY-MM-DD or today") from None


def parse_param(param: m.Param, raw: object) -> object:
    """A parameter value from the command line (text) or from Python, checked against its type."""
    t = param.type
    bad = error("SEG301", f"`{raw}` is not a {t.value} for parameter `{param.name}`", param.span,
                {m.T.NUMBER: "for example --param {n}=2500", m.T.TEXT: "any text works: --param {n}=web",
                 m.T.DATE: "for example --param {n}=2025-01-31", m.T.BOOL: "true or false",
                 m.T.TIMESTAMP: "for example --param {n}=2025-01-31T10:00"}[t].format(n=param.name))
    if not isinstance(raw, str):
        ok = {m.T.NUMBER: isinstance(raw, (int, float)) and not isinstance(raw, bool),
              m.T.TEXT: isinstance(raw, str), m.T.BOOL: isinstance(raw, bool),
              m.T.DATE: isinstance(raw, dt.date) and not isinstance(raw, dt.datetime),
              m.T.TIMESTAMP: isinstance(raw, dt.datetime)}[t]
        if not ok:
            raise bad
        return raw
    try:
        if t is m.T.NUMBER:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return int(raw) if raw.strip().lstrip("-").isdigit() else value
        if t is m.T.BOOL:
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if t is m.T.DATE:
            return dt.date.fromisoformat(raw)
        if t is m.T.TIMESTAMP:
            return dt.datetime.fromisoformat(raw)
        return raw
    except ValueError:
        raise bad from None


class Model:
    """A loaded and checked model. `ir` is the typed representation (segdsl.model.Model)."""

    def __init__(self, program: Program, ir: m.Model):
        self.program = program
        self.ir = ir

    @property
    def root(self) -> Path:
        return self.program.root

    def resolve_params(self, params: dict[str, object] | None) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, raw in (params or {}).items():
            if name not in self.ir.params:
                from .diagnostics import did_you_mean

                raise error("SEG301", f"the model has no parameter `{name}`", None,
                            did_you_mean(name, self.ir.params) or
                            f"parameters: {', '.join(self.ir.params) or 'none'}")
            param = self.ir.params[name]
            out[name] = parse_param(param, raw)
            if name in self.ir.structural_params and out[name] != param.value:
                raise error("SEG301", f"`{name}` sets the shape of a segmentation (its cases) and cannot be "
                            "overridden", param.span, f"change its default in the model: {name} = {raw}")
        return out

    def with_reports(self, texts: list[str]) -> "Model":
        """The model with ad hoc reports, written as in a file: `value of lifecycle measure revenue`."""
        from .parse import parse

        if not texts:
            return self
        text = "\n".join(f"report {t.strip().removeprefix('report ')}" for t in texts)
        self.program.sources.add("<--report>", text)
        extra = parse(text, "<--report>")
        program = Program(self.program.files + [extra], self.program.sources, self.program.root, self.program.main)
        return Model(program, check(program.files, None, program.sources))

    def with_schemas(self, schemas: Schemas) -> "Model":
        """The same program checked against the columns the data really has."""
        return Model(self.program, check(self.program.files, schemas, self.program.sources))

    def sql(self, dialect: str = "duckdb", segment: str | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, pretty: bool = True) -> str:
        """The membership query (or the keys of one segment) for a dialect.

        Without as_of the query evaluates at the engine's current date.
        """
        from .compile import Options, check_dialect, membership, segment_members, to_sql

        d = check_dialect(dialect)
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
        from . import dialects as dl
        from .compile import (Options, check_dialect, finish, long_members, membership, segment_members,
                              source_table, to_sql)

        d = check_dialect(dialect)
        if as_ not in ("query", "view", "table"):
            raise error("SEG307", f"`--as {as_}` is not a kind of output", None, "use --as query, view NAME or table NAME")
        if as_ != "query" and not name:
            raise error("SEG307", f"`--as {as_}` needs a name", None, f"for example --as {as_} analytics.segments")
        if long and segment:
            raise error("SEG306", "--long and --segment cannot be combined", None,
                        "--segment gives the keys of one segment; --long gives every (key, segment) pair")
        date = None if as_of in (None, "today") else parse_as_of(as_of)
        bound = dict(bindings or {})
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
        from . import __version__

        shown = self.program.main if self.program.main != "<text>" else "<text>"
        lines = [f"-- segdsl {__version__}: {shown} (sha256 {self.content_hash()[:16]}) for {d}",
                 f"-- as_of: {date.isoformat() if date else 'the current date of the engine'}"
                 + (f"; params: {', '.join(f'{k}={v}' for k, v in sorted((params or {}).items()))}" if params else "")]
        if schemas:
            lines.append(f"-- column types: {types_from or 'given'}")
        elif dl.lowering(d).needs_types:
            lines.append("-- column types unknown: text keys and text columns compared with each other follow the "
                         "engine's collation; compile with --target or --schema for exact text")
        if d == "sqlite" and self.ir.holdouts:
            lines.append("-- needs md5(text) on the connection: segdsl.targets.sqlite_functions(con)")
        return "\n".join(lines) + "\n" + body

    def run_on(self, target, as_of: str | dt.date | None = None, params: dict[str, object] | None = None,
               outputs: list[str] | None = None, bindings: dict[str, str] | None = None):
        """Evaluate on the engine where the data lives; returns segdsl.targets.Members.

        `target` is a URL (postgresql://…, mysql+pymysql://…, sqlite:///…, spark://local[*],
        chdb:///…, duckdb:///…) or an open connection (sqlite3, psycopg, pymysql, a
        SparkSession, a chdb Session, duckdb). Sources are only read.
        """
        from . import targets

        tgt = targets.open_target(target, self.root).bind(bindings)
        try:
            return targets.run(self, tgt, parse_as_of(as_of), params, outputs)
        finally:
            tgt.close()

    def write_table(self, target, table: str, as_of: str | dt.date | None = None,
                    params: dict[str, object] | None = None, bindings: dict[str, str] | None = None) -> int:
        """Compute the members on the target and replace `table` ([schema.]name) there, atomically."""
        from . import targets

        tgt = targets.open_target(target, self.root, write=True).bind(bindings)
        try:
            return targets.write_table(self, tgt, table, parse_as_of(as_of), params)
        finally:
            tgt.close()

    def run(self, db: str | Path | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, connection=None):
        """Evaluate on DuckDB; returns a DuckDB relation (`.df()`, `.arrow()`, `.fetchall()`)."""
        from . import run as r

        con = connection if connection is not None else r.connect(db)
        checked = self.with_schemas(r.read_schemas(con, self.ir, self.root))
        sql = r.membership_sql(checked.ir, self.root, parse_as_of(as_of), self.resolve_params(params))
        return con.sql(sql)

    def report(self, names: list[str] | None = None, adhoc: list[str] | None = None, db: str | Path | None = None,
               target: str | None = None, connection=None, as_of: str | dt.date | None = None,
               params: dict[str, object] | None = None, migration: tuple[object, object] | None = None,
               bindings: dict[str, str] | None = None) -> list:
        """Compute the model's reports (all, or `names`), or ad hoc ones written as in a file
        (`adhoc=["crosstab gender by lifecycle"]`), on DuckDB or any verified target.

        Returns segdsl.report.ReportResult objects; segdsl.render renders them.
        `migration` is the (from, to) pair of dates that migration reports compare.
        """
        from . import report as rep
        from .targets import read_schemas

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
        """A segdsl.targets.Target for a database file, an open connection or a target URL."""
        from . import targets

        if target is not None:
            return targets.open_target(target, self.root), True
        if connection is not None:
            return targets.open_target(connection, self.root), False
        from . import run as r

        return targets.DuckDBTarget(None, self.root, connection=r.connect(db)), True

    def explain(self, key: object, db: str | Path | None = None, as_of: str | dt.date | None = None,
                params: dict[str, object] | None = None, segments: list[str] | None = None, connection=None,
                target: str | None = None):
        """Why one member is in or out of each segment, and which case of each segmentation it got.

        Returns a segdsl.explain.Explanation (`.render()` for text, `.to_dict()`), computed by the engine
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
        from . import config as cfg
        from .lint import Suppressions, static_lints, to_diagnostics

        conf = cfg.load(Path(config)) if config else cfg.find(self.root)
        main = self.program.main
        findings = static_lints(self.ir, self.program.files, main, conf, self.program.sources)
        if db is not None or connection is not None or target is not None:
            from .datalint import data_lints
            from .targets import read_schemas

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


def _release(target, owned: bool) -> None:
    """Close a target opened for one call (and the DuckDB connection opened for it)."""
    if owned:
        target.close()
        if getattr(target, "owned", True) is False and hasattr(target, "con"):
            target.con.close()


def load(source: str | Path) -> Model:
    """Load a model from a path to a .seg file, or from the text of one."""
    if isinstance(source, Path) or ("\n" not in source and source.endswith(".seg")):
        program = load_program(Path(source))
    else:
        program = load_program(text=source)
    try:
        ir = check(program.files, None, program.sources)
    except SegError as exc:
        exc.sources = program.sources
        raise
    return Model(program, ir)
