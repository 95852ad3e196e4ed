"""DuckDB: the embedded reference engine, for `--db FILE`, the model's data files, and duckdb:/// targets.

One path for every way of reaching DuckDB: the connections segdsl opens get
a memory budget with spilling to a private folder, UTC as the session's time
zone (so a TIMESTAMPTZ column means the same day on every machine), no
progress bar of DuckDB's own, and no insertion order (members have none).
Files are written by DuckDB's own parallel writer (COPY) into a temporary
file, and the sizes printed by `run` are counted by one aggregate query over
that file before it is renamed into place.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from .lazy import pa
from sqlglot import exp

from ..lang.diagnostics import error, reason
from ..semantic.model import T
from ..sql.options import OutputColumn
from .arrow import Cancelled, OutputFailed, Tally, check_output_path, settle, temporary_beside
from .base import BATCH_ROWS, Engine, in_worker, swap_in_transaction, unreachable
from .files import file_relation, nan_as_null
from .url import TargetURL

_DUCK_TYPES = {"VARCHAR": T.TEXT, "BOOLEAN": T.BOOL, "DATE": T.DATE}
_NUMBERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT", "FLOAT", "DOUBLE", "REAL"}
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}

# DuckDB's own default lets a query take 80 % of the machine's memory; segdsl keeps a run within a
# budget and lets the engine spill to disk beyond it, so that ten million customers need little more
# memory than one million. SEGDSL_MEMORY_LIMIT overrides it ("4GB"; "default": DuckDB's).
BUDGET_CEILING = 1 << 30  # a million customers of the demo shop (20 orders each) run within it unspilled
BUDGET_SHARE = 4  # at most a quarter of the memory the process may use: a laptop, a CI runner, a container
BUDGET_FLOOR = 256 << 20  # below this DuckDB spills even small joins
DAY_BITS = 1024  # days before as_of that a distinct count of them keeps as bits (`day_bits`): 128 bytes a member


def _memory_of_machine() -> int | None:
    """The memory this process may use: the machine's, or less where a cgroup (a container, a CI job)
    caps it, which is what an out-of-memory kill answers to."""
    sizes = []
    try:
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max", or v1's huge number for "no limit"
            sizes.append(int(text))
    return min(sizes) if sizes else None


def memory_budget(machine: int | None = None) -> int:
    """segdsl's memory budget for DuckDB, in bytes: a quarter of the machine, between 256 MiB and 1 GiB.

    The ceiling is what a million customers need without spilling (measured: a 1 GiB budget leaves the
    spill folder empty at 1 M, and a larger one only raises the peak); beyond it the data is larger than
    a run should hold, and spilling keeps ten million customers near 1.25 GiB of the process. A small
    machine or a container gets less, so that a run never competes with the rest of it for memory.
    """
    machine = _memory_of_machine() if machine is None else machine
    if machine is None:
        return BUDGET_CEILING
    return max(BUDGET_FLOOR, min(BUDGET_CEILING, machine // BUDGET_SHARE))


def column_type(duck_type: str) -> T:
    """The language type of a DuckDB column type."""
    t = duck_type.upper()
    if t in _DUCK_TYPES:
        return _DUCK_TYPES[t]
    if t.startswith("TIMESTAMP"):
        return T.TIMESTAMP
    if t.startswith(("DECIMAL", "NUMERIC")) or t in _NUMBERS:
        return T.NUMBER
    if t.startswith("VARCHAR") or t == "TEXT":
        return T.TEXT
    return T.ANY


def engine_config() -> dict[str, object]:
    """Settings of the connections segdsl opens: UTC, a memory budget, spilling to a private folder."""
    config: dict[str, object] = {
        "preserve_insertion_order": False,  # members have no order; it saves memory
        "enable_progress_bar": False,  # segdsl shows its own progress, and none in logs
    }
    limit = os.environ.get("SEGDSL_MEMORY_LIMIT", "").strip() or f"{memory_budget() >> 20}MiB"
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


def _setting(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return exp.Literal.string(str(value)).sql("duckdb")


def use_utc(con: Any) -> Any:
    """Read timestamps with a time zone in UTC, as on every engine (README, semantics 1).

    DuckDB's own default is the machine's zone, so a TIMESTAMPTZ event at
    23:30 UTC would fall on the next day in Warsaw and count in another
    window. A setting of the session, not of the connect call: the ICU
    extension that owns it is loaded with the connection. Applied to every
    connection segdsl opens and to one passed in (whose relations are read
    later, so the setting stays).
    """
    con.execute("SET TimeZone = 'UTC'")
    return con


def configure(con: Any) -> Any:
    """Apply engine_config() to an open connection (settings, not connect-time config: the same
    database file may already be open in this process, and DuckDB refuses a second configuration)."""
    import duckdb

    use_utc(con)
    for name, value in engine_config().items():
        try:
            con.execute(f"SET {name} = {_setting(value)}")
        except duckdb.Error as exc:
            if name == "memory_limit":
                con.close()
                raise error("SEG305", f"cannot use SEGDSL_MEMORY_LIMIT: {reason(exc)}", None,
                            "give a size such as 2GB, or default") from None
            # The spill folder cannot change once the engine has spilled: keep the one it has.
    return con


def connect(db: str | Path | None = None, read_only: bool = True) -> Any:
    """A DuckDB connection: in memory, or on a database file (read only: sources are never written)."""
    import duckdb

    if db is None:
        return configure(duckdb.connect(":memory:"))
    path = Path(db)
    if not path.is_file():
        raise error("SEG304", f"cannot find the database `{db}`", None, "give the path of a .duckdb file")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise error("SEG305", f"cannot open the database `{db}`: {reason(exc)}", None, None) from None
    return configure(con)


_FLOATS = {"DOUBLE", "FLOAT", "REAL"}


def quoted(name: str) -> str:
    """A table or column name as a DuckDB identifier."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


class DuckDBEngine(Engine):
    dialect = "duckdb"
    embedded = True
    reads_files = True

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        import duckdb

        self._files: dict[str, exp.Expression] = {}
        self.owned = connection is None
        if connection is not None:
            self.con = use_utc(connection)  # timestamps in UTC here too (README: engines)
            return
        path = url.path if url is not None and not url.in_memory else None
        if path is None:
            self.con = connect(None)
            return
        if not write and not Path(path).is_file():
            raise unreachable(url, FileNotFoundError(f"no database file {path}"), "give the path of a .duckdb file")
        try:
            self.con = configure(duckdb.connect(path, read_only=not write))
        except duckdb.Error as exc:
            raise unreachable(url, exc) from None

    @property
    def errors(self) -> tuple[type[BaseException], ...]:  # type: ignore[override]
        """The engine's errors and a conversion of a fetched batch (engines.arrow); read only when a
        call fails, so a run that streams nothing through Arrow never imports pyarrow."""
        import duckdb

        return (duckdb.Error, pa.ArrowInvalid)

    def describe(self) -> str:
        if self.url is None or self.url.in_memory:
            return "DuckDB"
        return super().describe()

    def source(self, source: str) -> exp.Expression:
        """A data file as the model reads it (README, semantics 2 and 3).

        NaN in a floating-point column is missing, and a CSV file with a header and no rows
        has NULL columns (engines.files); DuckDB itself would read NaN as a number greater than
        all others, and the columns of a header-only CSV file as text.
        """
        table = super().source(source)
        if not self.is_file_source(source):
            return table
        if source not in self._files:
            def described() -> list[tuple[str, bool]]:
                rows = self.con.execute("DESCRIBE " + exp.select(exp.Star()).from_(table.copy()).sql("duckdb"))
                return [(r[0], r[1].upper() in _FLOATS) for r in rows.fetchall()]

            relation = file_relation(table, self.root / source, described, nan_as_null("isnan"))
            if relation is not table and Path(source).suffix.lower() == ".parquet":
                self._trust_no_file_statistics()
            self._files[source] = relation
        return self._files[source].copy()

    def _trust_no_file_statistics(self) -> None:
        """Turn off DuckDB's statistics propagation on this connection.

        A Parquet file's statistics leave NaN out of a column's range (pyarrow writes min 50.5,
        max 200 for [50.5, NaN, 200]); DuckDB 2.0 carries that range through the CASE that makes
        NaN missing and then fails to cast the NaN it was told was not there ("Could not cast value
        nan to DECIMAL(38,9)" in a sum). Only connections that read such a file pay for it.
        """
        current = self.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] or ""
        names = [n.strip() for n in str(current).split(",") if n.strip()]
        if "statistics_propagation" not in names:
            names.append("statistics_propagation")
            self.con.execute(f"SET disabled_optimizers = {_setting(','.join(names))}")

    def columns(self, table: exp.Expression) -> dict[str, T]:
        rows = self.con.execute("DESCRIBE " + exp.select(exp.Star()).from_(table).sql("duckdb")).fetchall()
        return {r[0]: column_type(r[1]) for r in rows}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.within_budget(lambda: self.con.execute(sql))
        return [d[0] for d in cur.description], cur.fetchall()

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        return self.within_budget(lambda: _reader(self.con.sql(sql)))

    def execute(self, sql: str) -> None:
        self.within_budget(lambda: self.con.execute(sql))

    def cancel(self) -> None:
        super().cancel()
        self.con.interrupt()

    def within_budget(self, work: Callable[[], Any]) -> Any:
        """Run `work`; if it does not fit segdsl's own memory budget, run it again with DuckDB's default limit.

        DuckDB spills most work to disk, but not all of it (a window's partition,
        a join's build side), and it cannot always tell beforehand. A budget the
        user did not choose must not make a run fail that the machine can do.
        """
        import duckdb

        try:
            return self._interruptible(work)
        except RuntimeError as exc:
            # Ctrl-C while DuckDB runs a query in this thread (reports, explain, data lints): DuckDB stops the
            # query and raises this in place of the KeyboardInterrupt it consumed; give it back, so that the
            # command says "interrupted" (exit 130) and not that segdsl has a bug.
            if str(exc) == "Query interrupted":
                raise KeyboardInterrupt from None
            raise
        except duckdb.OutOfMemoryException as exc:
            if os.environ.get("SEGDSL_MEMORY_LIMIT", "").strip() or not self.owned:
                raise error("SEG305", f"the engine ran out of memory: {reason(exc)}", None,
                            "raise SEGDSL_MEMORY_LIMIT (for example 8GB), or set it to default") from None
            import sys

            sys.stderr.write(f"note: the engine needed more than segdsl's memory budget of {memory_budget() >> 20} MiB "
                             f"({reason(exc)}); computing again with DuckDB's own limit (SEGDSL_MEMORY_LIMIT "
                             "sets it)\n")
            self.con.execute("RESET memory_limit")
            return work()

    def _interruptible(self, work: Callable[[], Any]) -> Any:
        """Run `work` so that Ctrl-C stops it at once, also where the caller is the main thread.

        DuckDB notices a pending Ctrl-C only between parts of a plan, so a
        long scan in the main thread (a report, a data lint) kept running
        after the user pressed it. Here the query runs in a worker thread and
        the main thread, which receives the signal, interrupts the connection
        and waits for the query to give up before the KeyboardInterrupt goes on.
        """
        if threading.current_thread() is not threading.main_thread():
            return work()

        def stop(done: threading.Event) -> None:
            self.con.interrupt()
            done.wait(30.0)

        return in_worker(work, "segdsl-duckdb", stop)

    def day_bits(self, ir: Any) -> int:
        """DAY_BITS for a model with predictions whose members' bits take at most a quarter of segdsl's
        memory budget (2 M members in 1 GiB), in a connection segdsl opened with that budget: DuckDB does
        not spill these states, and at 10 M members they took the process to 5.1 GB instead of 2.1 GB
        with the list form. A count of the entity's rows that stops past that many decides (Parquet, a
        table: a few milliseconds)."""
        if not (ir.predictions and self.owned) or os.environ.get("SEGDSL_MEMORY_LIMIT", "").strip():
            return 0
        most = memory_budget() // 4 // (DAY_BITS // 8)
        table = self.source(ir.entity.source).sql("duckdb")
        try:
            count = self.fetch(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT {most + 1}) AS t")[1][0][0]
        except self.errors:
            return 0  # the query that follows reports what is wrong with the source
        return DAY_BITS if count <= most else 0

    @property
    def holds_results(self) -> bool:  # a temporary table, in a connection segdsl opened
        return self.owned

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        from ..sql.compile import to_sql

        sql = to_sql(query, "duckdb", pretty=False)
        self.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(name)} AS {sql}")
        return exp.Table(this=exp.to_identifier(name, quoted=True))

    def export(self, sql: str, path: Path, columns: Sequence[OutputColumn], tally: Tally | None = None) -> int:
        """Parquet: COPY into a temporary file beside `path` (DuckDB's parallel writer), count sizes over
        that file, then rename it into place; any failure removes it and keeps an older file. CSV goes
        through the one CSV writer every engine uses (engines.arrow), so the bytes are the same."""
        path = check_output_path(path)
        if path.suffix.lower() == ".csv":
            return super().export(sql, path, columns, tally)
        select = self._typed(sql, columns)
        try:
            tmp = temporary_beside(path)
        except OSError as exc:
            raise OutputFailed(path, exc) from exc
        parquet = path.suffix.lower() == ".parquet"
        target = exp.Literal.string(str(tmp)).sql("duckdb")
        done = False
        try:
            fmt = "FORMAT PARQUET" if parquet else "FORMAT CSV, HEADER"
            import duckdb

            try:
                rows = self.within_budget(lambda: self.con.execute(f"COPY ({select}) TO {target} ({fmt})").fetchone())
            except duckdb.IOException as exc:  # sources were read before; this is the file being written
                raise OutputFailed(path, exc) from exc
            if tally is not None:
                self.summary(self._reader(str(tmp), select, parquet), tally)
            if self.cancelled:
                raise Cancelled()
            try:
                settle(tmp, path)
            except OSError as exc:
                raise OutputFailed(path, exc) from exc
            done = True
        finally:
            if not done:
                settle(tmp, None)
        return int(rows[0]) if rows else 0

    def _typed(self, sql: str, columns: Sequence[OutputColumn]) -> str:
        """The query with each column in the output type every engine writes (see engines.arrow):
        TIMESTAMPTZ as a UTC timestamp, DECIMAL and HUGEINT of numbers as doubles."""
        described = self.con.execute(f"DESCRIBE {sql}").fetchall()
        casts = []
        for (name, duck_type, *_), column in zip(described, columns):
            t = duck_type.upper()
            if t.startswith("TIMESTAMP") and t != "TIMESTAMP":
                casts.append(f"CAST({quoted(name)} AS TIMESTAMP) AS {quoted(name)}")
            elif column.type is T.NUMBER and column.integral and t != "BIGINT":
                casts.append(f"CAST({quoted(name)} AS BIGINT) AS {quoted(name)}")
            elif column.type in (T.NUMBER, T.ANY) and (t.startswith("DECIMAL") or t in ("HUGEINT", "UHUGEINT",
                                                                                          "UBIGINT", "FLOAT")):
                casts.append(f"CAST({quoted(name)} AS DOUBLE) AS {quoted(name)}")
            elif column.type is T.NUMBER and t in _INTEGERS and t != "BIGINT":
                casts.append(f"CAST({quoted(name)} AS BIGINT) AS {quoted(name)}")
        if not casts:
            return sql
        return f"SELECT * REPLACE ({', '.join(casts)}) FROM ({sql})"

    def _reader(self, file: str, select: str, parquet: bool) -> exp.Expression:
        """The file just written, as a table (a CSV file read back with the query's column types)."""
        path = exp.Literal.string(file)
        if parquet:
            return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[path]))
        types = exp.Struct(expressions=[exp.PropertyEQ(this=exp.Literal.string(n), expression=exp.Literal.string(t))
                                        for n, t, *_ in self.con.execute(f"DESCRIBE {select}").fetchall()])
        return exp.Table(this=exp.Anonymous(this="read_csv", expressions=[
            path, exp.PropertyEQ(this=exp.var("header"), expression=exp.true()),
            exp.PropertyEQ(this=exp.var("columns"), expression=types)]))

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        swap_in_transaction(self.con.execute, "BEGIN TRANSACTION", "duckdb", new, table)

    def close(self) -> None:
        if self.owned:
            self.con.close()


def _reader(relation: Any) -> pa.RecordBatchReader:
    """A DuckDB relation as a stream of Arrow batches (the method's name changed in DuckDB 2.0)."""
    reader = getattr(relation, "to_arrow_reader", None) or getattr(relation, "fetch_arrow_reader")
    return reader(BATCH_ROWS)
