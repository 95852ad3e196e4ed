"""MySQL and MariaDB: PyMySQL for the session, ConnectorX for results streamed as Arrow.

A connection segdsl opens is in UTC, utf8mb4 and read-only unless an output
table was asked for. Members leave the server through ConnectorX (the MySQL
protocol read in Rust straight into Arrow batches); without it, through an
unbuffered PyMySQL cursor a batch at a time. A query is tagged with a
comment so that `cancel()` can find it in the process list and stop it with
KILL QUERY from a second connection: a client that stops reading does not
stop the server.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

import pyarrow as pa
from sqlglot import exp

from ..sql.options import OutputColumn
from ..lang.diagnostics import error
from ..semantic.model import T
from .base import BATCH_ROWS, Engine, cursor_batches, need, sibling, unreachable
from .url import TargetURL

# pymysql FIELD_TYPE codes
_NUMBER = {0, 1, 2, 3, 4, 5, 8, 9, 13, 16, 246}
_TEXT = {15, 247, 249, 250, 251, 252, 253, 254}
_SESSION = ("SET NAMES utf8mb4", "SET time_zone = '+00:00'")
_READ_ONLY = "SET SESSION TRANSACTION READ ONLY"
# The derived tables of a query (each aggregation, the member values a second-stage aggregate reads) hold a
# row a member. Past the server's default of 16 MiB an internal temporary table moves to disk, where MariaDB
# builds it and looks every event up in it an order of magnitude slower (at a million members, a model with
# second-stage aggregates took over 11 minutes instead of about one). On connections segdsl opens, each such
# table may keep up to 256 MiB in memory; a server configured for more keeps its own figure. Public: a client
# that times compiled SQL as segdsl runs it sets the same.
TEMP_TABLE_BYTES = 256 * 1024 ** 2
MEMORY = tuple(f"SET SESSION {name} = GREATEST(@@{name}, {TEMP_TABLE_BYTES})"
                for name in ("max_heap_table_size", "tmp_table_size"))


def _server_error(exc: BaseException) -> RuntimeError:
    """ConnectorX's error as the server's own message: `Query execution was interrupted`."""
    text = str(exc)
    found = re.search(r"ERROR \d+ \(\w+\): (.*?)\s*\}", text)
    return RuntimeError(found.group(1) if found else text.strip().splitlines()[-1] if text.strip() else
                        type(exc).__name__)


class _WideDecimal(Exception):
    """ConnectorX cannot carry a DECIMAL value of more than 28 digits at its scale (a DECIMAL(30, 0) amount)."""


class MySQLEngine(Engine):
    dialect = "mysql"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.owned = connection is None
        self.write = write
        self.tag = f"segdsl-{uuid.uuid4().hex}"
        if connection is not None:
            self.con = connection
            self.driver = need(type(connection).__module__.split(".")[0], "mysql")
            self.params: dict[str, Any] | None = None
        else:
            name = (url.driver or "pymysql").lower()
            module = {"pymysql": "pymysql", "mysqldb": "MySQLdb"}.get(name)
            if module is None:
                raise error("SEG312", f"unknown MySQL driver `{name}`", None,
                            "use mysql+pymysql:// (or mysql+mysqldb:// with mysqlclient)")
            self.driver = need(module, "mysql", pip="pip install 'segdsl[mysql]'" if module == "pymysql"
                               else "pip install mysqlclient")
            self.params = dict(host=url.host or "127.0.0.1", port=url.port or 3306, user=url.user or "root",
                               password=url.password or "", database=url.database, charset="utf8mb4",
                               connect_timeout=10)
            self.con = self._connect()
        self.errors = (self.driver.Error, OSError, pa.ArrowException, RuntimeError)
        cur = self.con.cursor()
        # literals reach the server as utf8mb4, as compared; UTC as for PostgreSQL, on every connection
        for statement in _SESSION:
            cur.execute(statement)
        if self.owned:
            # read-only and the temporary tables' memory on connections segdsl opened, not on one passed in
            self.con.autocommit(True)
            for statement in MEMORY:
                cur.execute(statement)
            if not self.write:
                cur.execute(_READ_ONLY)

    def _connect(self) -> Any:
        try:
            return self.driver.connect(**{k: v for k, v in self.params.items() if v is not None})
        except self.driver.Error as exc:
            raise unreachable(self.url, exc) from None

    def _settings(self) -> tuple[str, ...]:
        """The settings of a connection segdsl opens (ConnectorX's own, for the members)."""
        return _SESSION + MEMORY + (() if self.write else (_READ_ONLY,))

    def columns(self, table: exp.Expression) -> dict[str, T]:
        cur = self.con.cursor()
        cur.execute(exp.select(exp.Star()).from_(table).limit(0).sql("mysql"))
        out = {}
        for d in cur.description:
            code, size = d[1], d[3]
            if code == 1 and size == 1:
                out[d[0]] = T.BOOL  # BOOLEAN is TINYINT(1)
            elif code in _NUMBER:
                out[d[0]] = T.NUMBER
            elif code in (10, 14):
                out[d[0]] = T.DATE
            elif code in (7, 12):
                out[d[0]] = T.TIMESTAMP
            elif code in _TEXT:
                out[d[0]] = T.TEXT
            else:
                out[d[0]] = T.ANY
        return out

    def _tagged(self, sql: str) -> str:
        return f"/* {self.tag} */ {sql}"

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.cursor()
        cur.execute(self._tagged(sql))
        return [d[0] for d in cur.description], list(cur.fetchall())

    def execute(self, sql: str) -> None:
        self.con.cursor().execute(self._tagged(sql))

    # ── streaming ───────────────────────────────────────────────────────────
    def stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        try:
            import connectorx  # noqa: F401
        except ImportError:
            return self._cursor_stream(sql, columns)
        if self.params is None:
            return self._cursor_stream(sql, columns)
        try:
            return super().stream(sql, columns)
        except _WideDecimal:
            # read again through the driver, whose Python decimals have any width (rare: values past 10^18)
            return self._cursor_stream(sql, columns)

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        """The result through ConnectorX, read in Rust with Python's lock released.

        ConnectorX's batch iterator keeps Python's lock while it waits for the
        server, so Ctrl-C and --timeout could not act until the first rows
        arrive; the whole result is read into Arrow instead (about 250 bytes a
        member), and handed on in batches.
        """
        import connectorx as cx

        p = self.params
        auth = quote(p["user"], safe="") + (f":{quote(p['password'], safe='')}" if p["password"] else ":")
        url = f"mysql://{auth}@{p['host']}:{p['port']}/{quote(p['database'] or '', safe='')}"
        try:
            table = cx.read_sql(url, self._tagged(sql), return_type="arrow",
                                pre_execution_query=list(self._settings()))
        except RuntimeError as exc:
            if "decimal scale is not equal to expected scale" in str(exc):  # its 28-digit decimal type
                raise _WideDecimal() from None
            failure = _server_error(exc)
            if "connect" in str(failure).lower():
                raise unreachable(self.url, failure) from None
            raise failure from None
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(BATCH_ROWS))

    def _cursor_stream(self, sql: str, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
        """An unbuffered cursor, a batch of rows at a time (a connection passed in, or no ConnectorX)."""
        unbuffered = getattr(self.driver.cursors, "SSCursor", None) if hasattr(self.driver, "cursors") else None
        cur = self.con.cursor(unbuffered) if unbuffered is not None else self.con.cursor()
        cur.execute(self._tagged(sql))
        return cursor_batches(cur, columns)

    def cancel(self) -> None:
        """KILL QUERY every statement of this engine, found by its tag, from a connection of its own."""
        super().cancel()
        if self.params is None:
            return
        try:
            other = self._connect()
        except Exception:  # noqa: BLE001 - the server is gone: nothing runs there any more
            return
        try:
            cur = other.cursor()
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s AND ID <> CONNECTION_ID()",
                        (f"%{self.tag}%",))
            for (thread,) in cur.fetchall():
                try:
                    cur.execute(f"KILL QUERY {int(thread)}")
                except self.driver.Error:
                    pass  # finished in the meantime
        finally:
            other.close()

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        if self.table_exists(table):
            old = sibling(table, "__segdsl_old")
            self.execute(f"DROP TABLE IF EXISTS {old.sql('mysql')}")
            # one RENAME of two tables is atomic: readers see the old table or the new one
            self.execute(f"RENAME TABLE {table.sql('mysql')} TO {old.sql('mysql')}, "
                         f"{new.sql('mysql')} TO {table.sql('mysql')}")
            self.execute(f"DROP TABLE {old.sql('mysql')}")
        else:
            self.execute(f"RENAME TABLE {new.sql('mysql')} TO {table.sql('mysql')}")

    def close(self) -> None:
        if self.owned:
            self.con.close()
