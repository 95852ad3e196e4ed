"""PostgreSQL: psycopg for the session, ADBC's libpq driver for results streamed as Arrow.

A connection segdsl opens reads timestamptz values in UTC and is read-only
unless an output table was asked for. Members leave the server through
ADBC (binary COPY into Arrow, in C), never as Python rows; with a
connection passed in by the caller, whose password segdsl cannot see, they
come from a server-side cursor a batch at a time instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
from sqlglot import exp

from ..sql.options import OutputColumn
from ..lang.diagnostics import error
from ..semantic.model import T
from .base import Engine, cursor_batches, need, swap_in_transaction, unreachable
from .url import TargetURL

_TYPES = {16: T.BOOL, 20: T.NUMBER, 21: T.NUMBER, 23: T.NUMBER, 26: T.NUMBER, 700: T.NUMBER, 701: T.NUMBER,
          790: T.NUMBER, 1700: T.NUMBER, 25: T.TEXT, 1042: T.TEXT, 1043: T.TEXT, 19: T.TEXT, 1082: T.DATE,
          1114: T.TIMESTAMP, 1184: T.TIMESTAMP}
_SESSION = ("SET TIME ZONE 'UTC'",)
_READ_ONLY = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"


class PostgresEngine(Engine):
    dialect = "postgres"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.owned = connection is None
        self.write = write
        self.dsn: str | None = None
        self._adbc: Any = None
        self._running: Any = None  # the ADBC cursor of the query being streamed, for cancel()
        if connection is not None:
            self.con = connection
            self.driver = need(type(connection).__module__.split(".")[0], "postgres")
        else:
            name = (url.driver or "psycopg").lower()
            module = {"psycopg": "psycopg", "psycopg2": "psycopg2"}.get(name)
            if module is None:
                raise error("SEG312", f"unknown PostgreSQL driver `{name}`", None,
                            "use postgresql:// (psycopg 3) or postgresql+psycopg2://")
            self.driver = need(module, "postgres", pip="pip install 'segdsl[postgres]'" if module == "psycopg"
                               else "pip install psycopg2-binary")
            dsn = url.raw.replace(f"+{url.driver}", "", 1) if url.driver else url.raw
            self.dsn = re.sub(r"^postgres://", "postgresql://", dsn)
            try:
                self.con = self.driver.connect(self.dsn, connect_timeout=10)
            except self.driver.Error as exc:
                raise unreachable(url, exc) from None
            self.con.autocommit = True
        self.errors = (self.driver.Error, OSError, pa.ArrowException)
        # timestamptz values are read as UTC, on a connection passed in too (its answers must not
        # depend on the session's zone); on a connection segdsl opened, nothing can be written
        # unless an output table was asked for.
        cur = self.con.cursor()
        for statement in self._settings() if self.owned else _SESSION:
            cur.execute(statement)

    def _settings(self) -> tuple[str, ...]:
        return _SESSION + (() if self.write else (_READ_ONLY,))

    def columns(self, table: exp.Expression) -> dict[str, T]:
        cur = self.con.cursor()
        cur.execute(exp.select(exp.Star()).from_(table).limit(0).sql("postgres"))
        return {d[0]: _TYPES.get(d[1], T.ANY) for d in cur.description}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.cursor()
        cur.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str) -> None:
        self.con.cursor().execute(sql)

    # ── streaming ───────────────────────────────────────────────────────────
    def stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        if self.dsn is None or not self._adbc_available():
            return self._cursor_stream(sql, columns)
        return super().stream(sql, columns)

    def _adbc_available(self) -> bool:
        try:
            import adbc_driver_postgresql.dbapi  # noqa: F401
        except ImportError:
            return False
        return True

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        import adbc_driver_manager
        import adbc_driver_postgresql.dbapi as adbc

        self.errors = self.errors + (adbc_driver_manager.Error,)
        if self._adbc is None:
            try:
                self._adbc = adbc.connect(self.dsn, autocommit=True)
            except Exception as exc:  # noqa: BLE001 - ADBC raises its own hierarchy
                raise unreachable(self.url, exc) from None
            cur = self._adbc.cursor()
            for statement in self._settings():
                cur.execute(statement)
            cur.close()
        cur = self._adbc.cursor()
        self._running = cur
        cur.execute(sql)
        return cur.fetch_record_batch()

    def _cursor_stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        """A server-side cursor, a batch of rows at a time (a connection passed in, or no ADBC driver)."""
        cur = self.con.cursor(name="segdsl_members", withhold=True)  # WITH HOLD: works in autocommit mode too
        cur.execute(sql)
        return cursor_batches(cur, columns)

    def cancel(self) -> None:
        super().cancel()
        running = self._running
        if running is not None:
            try:
                running.adbc_cancel()
            except Exception:  # noqa: BLE001 - nothing left to cancel
                pass
        cancel = getattr(self.con, "cancel_safe", None) or getattr(self.con, "cancel", None)
        if cancel is not None:
            try:
                cancel()
            except Exception:  # noqa: BLE001 - best effort: the query may have ended
                pass

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        swap_in_transaction(self.con.cursor().execute, "BEGIN", "postgres", new, table)

    def close(self) -> None:
        if self._adbc is not None:
            if self._running is not None:
                try:
                    self._running.close()
                except Exception:  # noqa: BLE001 - closing what may already be closed
                    pass
            try:
                self._adbc.close()
            except Exception:  # noqa: BLE001
                pass
            self._adbc = None
        if self.owned:
            self.con.close()
