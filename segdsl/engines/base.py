"""The engine adapter: what segdsl asks of every engine that holds the data.

An adapter connects (its driver imported only when needed; a missing one is
SEG314 naming the pip command), reads the columns of the model's sources as
the language's types, runs queries in a read-only session where the engine
has one, streams large results as Arrow record batches (never as Python
rows), runs small aggregate queries for reports and lints, writes output
tables by building a new table and swapping it in, and cancels its running
query when asked from another thread (Ctrl-C, `--timeout`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Sequence, TypeVar

from sqlglot import exp

from ..lang.diagnostics import SegError, error, reason
from ..lang.syntax import is_data_file
from ..semantic.model import T
from .lazy import pa
from .url import TargetURL

R = TypeVar("R")

if TYPE_CHECKING:
    from ..sql.options import OutputColumn
    from .arrow import Tally

BATCH_ROWS = 65_536


class Engine(ABC):
    """One engine holding the data. Subclasses implement the engine's calls."""

    dialect: ClassVar[str] = ""
    # where the work runs: "embedded" engines stop with this process, servers need an explicit cancel
    embedded: ClassVar[bool] = False
    errors: tuple[type[BaseException], ...] = ()
    # data files (.csv/.parquet/.json) named in a model can be read by this engine itself
    reads_files: ClassVar[bool] = False

    def __init__(self, url: TargetURL | None, root: Path):
        self.url = url
        self.root = root
        self.owned = True
        # source string of a model → table name on this engine (`--bind SOURCE=TABLE`)
        self.bindings: dict[str, str] = {}
        self._cancelled = threading.Event()
        # DuckDB in memory because no database was named (--db missing), not a target the user chose
        self.implicit = False

    def day_bits(self, ir: Any) -> int:
        """How many days before as_of a distinct count of them may keep as bits (`Options.day_bits`)."""
        return 0

    @property
    def holds_results(self) -> bool:
        """Whether `keep` computes a result once and holds it for the session's later queries, in a
        session of segdsl's own (nothing is left behind in a connection segdsl was given)."""
        return False

    def bind(self, bindings: dict[str, str] | None) -> "Engine":
        """Read a model source from another table of the engine (names differ between warehouses)."""
        self.bindings.update(bindings or {})
        return self

    def describe(self) -> str:
        return self.url.redacted() if self.url else f"a {self.dialect} connection"

    # ── sources ─────────────────────────────────────────────────────────────
    def source(self, source: str) -> exp.Expression:
        """The table expression of a model source (a file source is the table named after the file)."""
        from ..sql.expressions import source_table

        return source_table(self.bindings.get(source, source), self.dialect, self.root)

    def is_file_source(self, source: str) -> bool:
        return is_data_file(source) and source not in self.bindings

    @abstractmethod
    def columns(self, table: exp.Expression) -> dict[str, T]:
        """Column name → language type; raises the driver's error for a missing table."""
        raise NotImplementedError

    # ── queries ─────────────────────────────────────────────────────────────
    @abstractmethod
    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run a read-only query with a small result (an aggregate, one member): names and rows."""
        raise NotImplementedError

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        """Run a read-only query and return its result as Arrow batches in the engine's own types.

        Only the default `stream` calls it: an engine without an Arrow path (RowsEngine) overrides
        `stream` instead and never reaches this."""
        raise NotImplementedError

    def stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        """Run a read-only query and return its result as Arrow batches in the language's types."""
        from .arrow import conformed

        return conformed(self.arrow(sql), columns)

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement that writes (only for output tables)."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop the running query, from another thread; the call that ran it then raises."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def summary(self, relation: exp.Expression, tally: Tally) -> None:
        """Sizes counted by the engine over a relation (the membership, or a table of it): one aggregate query."""
        from ..sql.compile import summary_query, to_sql

        _, rows = self.fetch(to_sql(summary_query(tally, self.dialect, relation), self.dialect, pretty=False))
        tally.add_summary(rows[0])

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        """A query's result to be read by several queries (reports): by default the query itself,
        as a derived table, since a read-only session cannot create a table; engines that can
        hold a result in the session compute it once."""
        return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(name)))

    def export(self, sql: str, path: Path, columns: Sequence[OutputColumn], tally: Tally | None = None) -> int:
        """Write the result of a query to a .parquet or .csv file, atomically; returns the rows written.

        The default streams the engine's batches through Arrow into the file,
        counting sizes on the way; engines with a faster writer override it.
        """
        from .arrow import write_stream

        return write_stream(self.stream(sql, columns), path, tally, stopped=lambda: self.cancelled)

    # ── output tables ───────────────────────────────────────────────────────
    def table_exists(self, table: exp.Table) -> bool:
        try:
            self.fetch(exp.select(exp.Literal.number(1)).from_(table.copy()).limit(0).sql(self.dialect))
            return True
        except self.errors:
            return False

    def write_table(self, table: exp.Table, select_sql: str) -> None:
        """Replace `table` with the result of a query: build a new table, then swap it in."""
        new = sibling(table, "__segdsl_new")
        self.execute(f"DROP TABLE IF EXISTS {new.sql(self.dialect)}")
        try:
            self.execute(f"CREATE TABLE {new.sql(self.dialect)} AS {select_sql}")
        except BaseException:
            self.drop_quietly(new)
            raise
        self.swap(new, table)

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        """Put `new` in the place of `table` at once; only the default `write_table` calls it (an engine
        that writes tables its own way, ClickHouse, overrides `write_table` instead)."""
        raise NotImplementedError

    def drop_quietly(self, table: exp.Table) -> None:
        try:
            self.execute(f"DROP TABLE IF EXISTS {table.sql(self.dialect)}")
        except self.errors:
            pass

    # ── lifetime ────────────────────────────────────────────────────────────
    def close(self) -> None:
        pass

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sibling(table: exp.Table, suffix: str) -> exp.Table:
    out = table.copy()
    out.set("this", exp.to_identifier(table.name + suffix, quoted=True))
    return out


def unqualified(table: exp.Table) -> str:
    return exp.to_identifier(table.name, quoted=True).sql()


def swap_in_transaction(execute: Callable[[str], Any], begin: str, dialect: str, new: exp.Table,
                        table: exp.Table) -> None:
    """Replace `table` by `new` in one transaction (engines with transactional DDL): readers see the
    old table or the new one, and a failure keeps the old one."""
    execute(begin)
    try:
        execute(f"DROP TABLE IF EXISTS {table.sql(dialect)}")
        execute(f"ALTER TABLE {new.sql(dialect)} RENAME TO {unqualified(table)}")
        execute("COMMIT")
    except BaseException:
        execute("ROLLBACK")
        raise


def need(module: str, extra: str, pip: str | None = None, what: str | None = None):
    """Import a driver; a missing one is SEG314 with the command that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or module).split(".")[0]  # the package really missing (grpc for Spark Connect)
        command = pip or f"pip install 'segdsl[{extra}]'"
        raise error("SEG314", f"the {what or extra} target needs the Python package `{missing}`, which is not "
                    "installed", None, f"install it: {command}") from None


def unreachable(url: TargetURL | None, exc: BaseException, hint: str | None = None) -> SegError:
    where = url.redacted() if url else "the target"
    return error("SEG313", f"cannot connect to {where}: {reason(exc)}", None,
                 hint or "check the address, that the server runs, and the credentials")


class RowsEngine(Engine):
    """An engine reached through a DB-API cursor without Arrow: rows are fetched a batch at a time
    and turned into Arrow columns at once, so only one batch of members is ever held as rows."""

    @abstractmethod
    def cursor(self) -> Any:
        raise NotImplementedError

    def stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        cur = self.cursor()
        cur.execute(sql)
        return cursor_batches(cur, columns)


def cursor_batches(cur: Any, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
    """The rows of an executed cursor as Arrow batches of BATCH_ROWS, the cursor closed at the end."""
    from .arrow import from_rows, schema_for

    schema = schema_for(None, columns)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            while rows := cur.fetchmany(BATCH_ROWS):
                yield from_rows(rows, schema)
        finally:
            cur.close()

    return pa.RecordBatchReader.from_batches(schema, batches())


def in_worker(work: Callable[[], R], name: str, stop: Callable[[threading.Event], None],
              tick: Callable[[threading.Event], None] | None = None) -> R:
    """Run `work` in a worker thread while this thread waits, so that Ctrl-C is noticed at once.

    An engine notices a pending Ctrl-C only between parts of a plan, if at all;
    the thread that receives the signal must stay free to stop the query. On
    Ctrl-C, `stop(done)` cancels the engine's work (and may wait for it) before
    the KeyboardInterrupt goes on; `tick(done)` is called every 0.1 s meanwhile
    (progress, timeouts). The worker says when it is done through an event, not
    through Thread.join/is_alive: a join that Ctrl-C interrupts marks a thread
    that still runs as stopped on Python 3.11 (bpo-45274), and the engine would
    then be closed under the query it is still running.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    try:
        while not done.wait(0.1):
            if tick is not None:
                tick(done)
    except KeyboardInterrupt:
        stop(done)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]
