"""Run: execute a compiled model on DuckDB (files, a .duckdb database, or both).

Data files named in a model are read where the model file is; table names
are looked up in the database given with --db. The source schemas are read
first (DESCRIBE reads only metadata for Parquet) so that a missing table or
column is reported at its place in the .seg file, not as an engine error.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Callable

import duckdb
from sqlglot import exp

from . import model as m
from .check import Schemas
from .compile import FILE_SUFFIXES, Options, literal, membership, source_table, to_sql
from .diagnostics import Diagnostic, SegError, display_path, error

_DUCK_TYPES = {
    "VARCHAR": m.T.TEXT, "BOOLEAN": m.T.BOOL, "DATE": m.T.DATE,
}


def column_type(duck_type: str) -> m.T:
    """The language type of a DuckDB column type."""
    t = duck_type.upper()
    if t in _DUCK_TYPES:
        return _DUCK_TYPES[t]
    if t.startswith("TIMESTAMP"):
        return m.T.TIMESTAMP
    if t.startswith(("DECIMAL", "NUMERIC")) or t in {
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
        "UHUGEINT", "FLOAT", "DOUBLE", "REAL",
    }:
        return m.T.NUMBER
    if t.startswith("VARCHAR") or t == "TEXT":
        return m.T.TEXT
    return m.T.ANY


# DuckDB's own default lets a query take 80 % of the machine's memory; segdsl keeps a run within a
# fixed budget and lets the engine spill to disk beyond it, so that ten million customers need no
# more memory than a hundred thousand. SEGDSL_MEMORY_LIMIT overrides it ("4GB"; "default": DuckDB's).
MEMORY_LIMIT = "1GiB"


def engine_config() -> dict[str, object]:
    """Settings of the connections segdsl opens: a memory budget, spilling to a private folder."""
    config: dict[str, object] = {"preserve_insertion_order": False}  # members have no order; it saves memory
    limit = os.environ.get("SEGDSL_MEMORY_LIMIT", MEMORY_LIMIT).strip()
    if limit and limit.lower() != "default":
        config["memory_limit"] = limit
        config["temp_directory"] = _spill_directory()
        # Join as the query is written: members probe, aggregates are built. DuckDB's estimate of the
        # population after its `since` filter is a fifth of the table, so it would build on the members
        # and keep two joins' tables of every member at once, which at ten million members does not fit
        # the budget (it can spill a built side, not one that is still being emitted). No slower at 1 M.
        config["disabled_optimizers"] = "build_side_probe_side"
    return config


_SPILL: list[str] = []


def _spill_directory() -> str:
    """A folder of this process for data DuckDB spills to disk, removed when the process ends."""
    if not _SPILL:
        import atexit
        import shutil

        _SPILL.append(tempfile.mkdtemp(prefix="segdsl-spill-"))
        atexit.register(shutil.rmtree, _SPILL[0], True)
    return _SPILL[0]


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Apply engine_config() to an open connection (settings, not connect-time config: the same
    database file may already be open in this process, and DuckDB refuses a second configuration)."""
    for name, value in engine_config().items():
        try:
            con.execute(f"SET {name} = {literal(value).sql('duckdb')}")
        except duckdb.Error as exc:
            if name == "memory_limit":
                con.close()
                raise error("SEG305", f"cannot use SEGDSL_MEMORY_LIMIT: {_reason(exc)}", None,
                            "give a size such as 2GB, or default") from None
            # The spill folder cannot change once the engine has spilled: keep the one it has.
    return con


def connect(db: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection: in memory, or on a database file (read only: sources are never written)."""
    if db is None:
        return configure(duckdb.connect(":memory:"))
    path = Path(db)
    if not path.is_file():
        raise error("SEG304", f"cannot find the database `{db}`", None, "give the path of a .duckdb file")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise error("SEG305", f"cannot open the database `{db}`: {_reason(exc)}", None, None) from None
    return configure(con)


def _reason(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def resolver(root: Path) -> Callable[[str], exp.Expression]:
    """Source string → DuckDB table expression, with data files relative to `root`."""
    return lambda source: source_table(source, "duckdb", root)


def read_schemas(con: duckdb.DuckDBPyConnection, ir: m.Model, root: Path) -> Schemas:
    """Column types of every source; a missing file or table is a diagnostic at its source."""
    problems: list[Diagnostic] = []
    schemas: Schemas = {}
    sources = [(ir.entity.name, ir.entity.source, ir.entity.source_span)]
    sources += [(e.name, e.source, e.source_span) for e in ir.events.values()]
    resolve = resolver(root)
    for name, source, span in sources:
        if Path(source).suffix.lower() in FILE_SUFFIXES and not (root / source).is_file():
            problems.append(Diagnostic("SEG304", f"cannot find the data file `{source}`", span,
                                       f"paths are relative to the model file; looked for {display_path(root / source)}"))
            continue
        query = exp.select(exp.Star()).from_(resolve(source))
        try:
            rows = con.execute("DESCRIBE " + query.sql("duckdb")).fetchall()
        except duckdb.Error as exc:
            hint = "pass the database with --db" if Path(source).suffix == "" else None
            problems.append(Diagnostic("SEG305", f"cannot read `{source}`: {_reason(exc)}", span, hint))
            continue
        schemas[name] = {row[0]: column_type(row[1]) for row in rows}
    if problems:
        raise SegError(problems)
    return schemas


def membership_sql(ir: m.Model, root: Path, as_of: dt.date | None, params: dict[str, object],
                   outputs: list[str] | None = None) -> str:
    opts = Options("duckdb", as_of, params, source=resolver(root))
    return to_sql(membership(ir, opts, outputs), "duckdb", pretty=False, copy=False)


def materialize(con: duckdb.DuckDBPyConnection, sql: str, table: str = "segdsl_members") -> str:
    """Compute the membership once into a temporary table for summaries and output; returns its name."""
    try:
        within_budget(con, lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(table)} AS {sql}"))
    except duckdb.OutOfMemoryException as exc:
        raise error("SEG305", f"the engine ran out of memory: {_reason(exc)}", None,
                    "raise SEGDSL_MEMORY_LIMIT (for example 8GB), or set it to default") from None
    except duckdb.Error as exc:
        raise error("SEG305", f"the engine could not compute the segments: {_reason(exc)}", None,
                    "check that the columns hold the types the model expects (dates, numbers)") from None
    return table


def within_budget(con: duckdb.DuckDBPyConnection, work: Callable[[], object]) -> object:
    """Run `work`; if it does not fit segdsl's own memory budget, run it again with DuckDB's default limit.

    DuckDB spills most work to disk, but not all of it (a window's partition,
    a join's build side), and it cannot always tell beforehand. A budget the
    user did not choose must not make a run fail that the machine can do.
    """
    try:
        return work()
    except duckdb.OutOfMemoryException as exc:
        if os.environ.get("SEGDSL_MEMORY_LIMIT", "").strip():
            raise  # the user's own budget: report that it is too small
        import sys

        sys.stderr.write(f"note: the engine needed more than segdsl's memory budget of {MEMORY_LIMIT} "
                         f"({_reason(exc)}); computing again with DuckDB's own limit (SEGDSL_MEMORY_LIMIT sets it)\n")
        con.execute("RESET memory_limit")
        return work()


def quoted(name: str) -> str:
    """A table or column name as a DuckDB identifier."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def write_output(con: duckdb.DuckDBPyConnection, relation_sql: str, path: Path) -> None:
    """Write members with DuckDB's COPY into a temporary file, then rename it into place.

    A failure leaves no partial file and keeps an older file intact.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise error("SEG307", f"cannot write `{path}`", None, "the output must end in .parquet or .csv")
    if not path.parent.exists():
        raise error("SEG307", f"the folder of `{path}` does not exist", None, "create it first")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    fmt = "PARQUET" if suffix == ".parquet" else "CSV, HEADER"
    try:
        within_budget(con, lambda: con.execute(f"COPY ({relation_sql}) TO {literal(tmp).sql('duckdb')} (FORMAT {fmt})"))
        os.replace(tmp, path)
    except (duckdb.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _reason(exc)
        raise error("SEG308", f"cannot write `{path}`: {reason}", None,
                    "an older file at that path is left as it was") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def summary(con: duckdb.DuckDBPyConnection, table: str, ir: m.Model, names: list[str] | None = None
            ) -> tuple[int, list[tuple[str, str, int]]]:
    """Population size and (definition, case, members) for segments, cases and arms."""
    table = quoted(table)
    total = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    rows: list[tuple[str, str, int]] = []
    wanted = names if names is not None else list(ir.order)
    flags = [n for n in wanted if n in ir.segments]
    if flags:
        cols = ", ".join(f"COUNT(*) FILTER (WHERE {quoted(n)})" for n in flags)
        counts = con.execute(f"SELECT {cols} FROM {table}").fetchone()
        rows += [(n, "", c) for n, c in zip(flags, counts)]
    for n in wanted:
        if n in ir.segmentations or n in ir.holdouts:
            d = ir.segmentations.get(n) or ir.holdouts[n]
            col = quoted(n)
            found = dict(con.execute(f"SELECT CAST({col} AS VARCHAR), COUNT(*) FROM {table} GROUP BY 1").fetchall())
            for label in d.labels:
                rows.append((n, label, found.pop(label, 0)))
            if found.get(None):
                rows.append((n, "(none)", found.pop(None)))
    return total, rows
