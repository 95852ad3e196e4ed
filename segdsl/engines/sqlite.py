"""SQLite through Python's sqlite3: a file opened read-only, rows fetched a batch at a time.

SQLite has no MD5 and no DECIMAL type, so compiled SQLite SQL needs two
functions on its connection (`register`): md5(text) for holdouts, and
segdsl_exact(high, low, billionths), which turns the exact integer parts of a
sum (its whole part in two 32-bit halves, so no total overflows) into the
nearest double.
"""

from __future__ import annotations

import decimal
import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from ..semantic.model import T
from .base import RowsEngine, swap_in_transaction, unreachable
from .url import TargetURL


def _md5(text: object) -> str | None:
    if text is None:
        return None
    data = text if isinstance(text, bytes) else str(text).encode("utf-8")
    return hashlib.md5(data).hexdigest()


_EXACT = decimal.Context(prec=60)


def _exact(whole: int | None, billionths: int | None) -> float | None:
    if whole is None or billionths is None:
        return None
    return float(_EXACT.add(decimal.Decimal(whole), _EXACT.divide(decimal.Decimal(billionths), 1_000_000_000)))


def _exact_halves(high: int | None, low: int | None, billionths: int | None) -> float | None:
    """The sum of whole parts given as its high and low 32-bit halves (dialects.sqlite.exact_sum)."""
    if high is None or low is None:
        return None
    return _exact(high * 4_294_967_296 + low, billionths)


def register(con: Any) -> None:
    """Register what compiled SQLite SQL needs on a sqlite3 connection: md5(text) as lowercase hex
    (holdouts) and segdsl_exact(whole, billionths) (exact sums and averages).

    Call this on your own connection before running SQL from `segdsl compile --dialect sqlite`.
    """
    con.create_function("md5", 1, _md5, deterministic=True)
    con.create_function("segdsl_exact", 2, _exact, deterministic=True)
    con.create_function("segdsl_exact", 3, _exact_halves, deterministic=True)


def column_type(declared: str) -> T:
    """The language type of an SQLite column from its declared type (SQLite has affinities, not types)."""
    d = declared.upper()
    if "BOOL" in d:
        return T.BOOL
    if "TIMESTAMP" in d or "DATETIME" in d:
        return T.TIMESTAMP
    if "DATE" in d:
        return T.DATE
    if any(k in d for k in ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC")):
        return T.NUMBER
    if any(k in d for k in ("CHAR", "CLOB", "TEXT", "STRING")):
        return T.TEXT
    return T.ANY


class SQLiteEngine(RowsEngine):
    dialect = "sqlite"
    embedded = True
    begin = "BEGIN IMMEDIATE"  # the write lock first: a busy database fails the swap before it changes anything

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        import sqlite3

        self.errors = (sqlite3.Error, pa.ArrowInvalid)  # a conversion of a fetched batch (engines.arrow)
        self.owned = connection is None
        if connection is not None:
            self.con = connection
        else:
            path = url.path if url is not None and not url.in_memory else None
            try:
                if path is None:
                    self.con = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                else:
                    mode = "rwc" if write else "ro"  # read-only: sources are never written
                    uri = f"file:{Path(path).as_posix()}?mode={mode}"
                    self.con = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
                    self.con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                raise unreachable(url, exc, "give the path of an existing SQLite database file") from None
        register(self.con)

    def columns(self, table: exp.Expression) -> dict[str, T]:
        assert isinstance(table, exp.Table)
        schema = f"{exp.to_identifier(table.db, quoted=True).sql('sqlite')}." if table.db else ""
        name = exp.Literal.string(table.name).sql("sqlite")
        rows = self.con.execute(f"PRAGMA {schema}table_xinfo({name})").fetchall()
        if not rows:
            import sqlite3

            raise sqlite3.OperationalError(f"no such table: {table.sql('sqlite')}")
        return {r[1]: column_type(r[2] or "") for r in rows}

    def cursor(self) -> Any:
        return self.con.cursor()

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def cancel(self) -> None:
        super().cancel()
        self.con.interrupt()

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        swap_in_transaction(self.con.execute, self.begin, "sqlite", new, table)

    def close(self) -> None:
        if self.owned:
            self.con.close()
