"""Targets: run a model on the engine where the data lives.

A target is named by a URL in the SQLAlchemy style; the dialect follows from
the URL:

    duckdb:///shop.duckdb            sqlite:///shop.db (sqlite:////abs/shop.db)
    postgresql://user:pw@host:5432/db      (drivers: +psycopg, +psycopg2)
    mysql+pymysql://user:pw@host:3306/db   (also mariadb://; drivers: +pymysql, +mysqldb)
    spark://local[*]  spark://host:7077    sc://host:15002 (Spark Connect)
    chdb:///path/to/dir (embedded ClickHouse)  clickhouse://user:pw@host:8123/db

Each adapter connects (drivers are imported only when a target needs them;
a missing one is a diagnostic naming the pip command), reads the columns of
the model's sources as the language's types, executes the compiled query
in a read-only transaction where the engine has one, and returns rows whose
values are normalised by the model's types (engines give booleans as 0/1,
numbers as Decimal, SQLite dates as text). Writing to a table builds a new
table first and swaps it in, so readers never see a half-written table and
a failure leaves the old one in place.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlglot import exp

from . import model as m
from .compile import FILE_SUFFIXES, source_table
from .diagnostics import Diagnostic, SegError, Span, display_path, error
from .model import T

Schemas = dict[str, dict[str, T]]

# scheme (before any +driver) → dialect
SCHEMES: dict[str, str] = {
    "duckdb": "duckdb", "sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres",
    "mysql": "mysql", "mariadb": "mysql", "spark": "spark", "sc": "spark", "chdb": "clickhouse",
    "clickhouse": "clickhouse",
}
# extra of segdsl that installs each dialect's default driver
EXTRAS = {"postgres": "postgres", "mysql": "mysql", "spark": "spark", "clickhouse": "clickhouse"}


# ── URLs ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class TargetURL:
    """A parsed target URL. `path` is the file or folder of embedded engines."""

    raw: str
    scheme: str
    driver: str | None = None
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    path: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return SCHEMES[self.scheme]

    def redacted(self) -> str:
        """The URL as shown to users: never with the password."""
        scheme = self.scheme + (f"+{self.driver}" if self.driver else "")
        if self.scheme in ("duckdb", "sqlite", "chdb"):
            if not self.path or self.path == ":memory:":
                return f"{scheme} (in memory)"
            return f"{scheme}:///{self.path}" if not self.path.startswith("/") else f"{scheme}://{self.path}"
        if self.scheme == "spark" and self.host and self.host.startswith("local"):
            return f"{scheme}://{self.host}"
        auth = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        db = f"/{self.database}" if self.database else ""
        return f"{scheme}://{auth}{self.host or ''}{port}{db}"


def parse_target(url: str) -> TargetURL:
    """Parse a target URL; an unknown or malformed one is SEG312 with the accepted forms."""
    forms = ("duckdb:///file.duckdb, sqlite:///file.db, postgresql://user@host/db, "
             "mysql+pymysql://user@host/db, spark://local[*], sc://host:15002, chdb:///dir, "
             "clickhouse://user@host:8123/db")
    m_ = re.match(r"^([A-Za-z][A-Za-z0-9]*)(?:\+([A-Za-z0-9_]+))?://(.*)$", url.strip())
    if not m_:
        raise error("SEG312", f"`{_safe(url)}` is not a target URL", None, f"targets look like {forms}")
    scheme, driver, rest = m_.group(1).lower(), m_.group(2), m_.group(3)
    if scheme not in SCHEMES:
        from .diagnostics import did_you_mean

        hint = did_you_mean(scheme, SCHEMES)
        raise error("SEG312", f"no target adapter for `{scheme}://`", None,
                    (hint + " " if hint else "") + f"targets look like {forms}; other dialects: "
                    "segdsl compile --dialect D")
    rest, _, query = rest.partition("?")
    params = dict(parse_qsl(query))
    if scheme in ("duckdb", "sqlite", "chdb"):
        # SQLAlchemy style: three slashes and a relative path, four for an absolute one
        path = unquote(rest[1:] if rest.startswith("/") else rest)
        return TargetURL(url, scheme, driver, path=path or None, params=params)
    if scheme == "spark" and rest.startswith("local"):
        return TargetURL(url, scheme, driver, host=rest.rstrip("/"), params=params)
    try:
        parts = urlsplit(f"x://{rest}")
        port = parts.port
    except ValueError as exc:
        raise error("SEG312", f"`{_safe(url)}` is not a target URL: {exc}", None, f"targets look like {forms}") from None
    return TargetURL(url, scheme, driver, user=unquote(parts.username) if parts.username else None,
                     password=unquote(parts.password) if parts.password else None, host=parts.hostname,
                     port=port, database=parts.path.lstrip("/") or None, params=params)


def _safe(url: str) -> str:
    """A URL with any password removed, for messages about URLs that did not parse."""
    return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1@", url)


# ── values ──────────────────────────────────────────────────────────────────


def normalise(value: Any, t: T) -> Any:
    """An engine value as the Python value of the language type `t`.

    Booleans come as 0/1 from MySQL and SQLite, numbers as Decimal from
    PostgreSQL and MySQL, dates and timestamps as text from SQLite, text as
    bytes when MySQL compared it as binary, timestamps with a time zone from
    PostgreSQL (read in UTC and returned without one).
    """
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)) and t is not T.BOOL:
        value = bytes(value).decode("utf-8")
    if t is T.BOOL:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t")
        if isinstance(value, (bytes, bytearray)):
            return any(value) and value not in (b"0",)
        return bool(value)
    if t is T.NUMBER or (t is T.ANY and isinstance(value, decimal.Decimal)):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return float(value)
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        return value
    if t is T.DATE:
        if isinstance(value, dt.datetime):
            return _utc(value).date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10])
    if t is T.TIMESTAMP:
        if isinstance(value, dt.datetime):
            return _utc(value)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        text = str(value).replace("T", " ")
        return _utc(dt.datetime.fromisoformat(text))
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def _utc(v: dt.datetime) -> dt.datetime:
    return v.astimezone(dt.timezone.utc).replace(tzinfo=None) if v.tzinfo is not None else v


# ── results ─────────────────────────────────────────────────────────────────


@dataclass
class Members:
    """The membership computed on a target: one row per member, values normalised."""

    columns: list[str]
    rows: list[tuple]
    types: dict[str, T]

    def records(self) -> dict[Any, dict[str, Any]]:
        """key → {column → value}."""
        return {row[0]: dict(zip(self.columns[1:], row[1:])) for row in self.rows}

    def __len__(self) -> int:
        return len(self.rows)


def output_types(ir: m.Model, columns: list[str], key_type: T) -> dict[str, T]:
    """The language type of each column of a membership query."""
    scores = {f"{n}_{s}" for n, d in ir.segmentations.items() if d.kind == "rfm" for s in "rfm"}
    out: dict[str, T] = {}
    for i, c in enumerate(columns):
        if i == 0:
            out[c] = key_type
        elif c in ir.features:
            out[c] = ir.features[c].type
        elif c in ir.segments:
            out[c] = T.BOOL
        elif c in ir.segmentations:
            out[c] = ir.segmentations[c].type
        elif c in ir.holdouts:
            out[c] = T.TEXT
        elif c in scores or re.sub(r"_\d+$", "", c) in scores:
            out[c] = T.NUMBER
        else:
            out[c] = T.ANY
    return out


# ── adapters ────────────────────────────────────────────────────────────────


class Target:
    """One engine holding the data. Subclasses implement the engine's calls."""

    dialect = "duckdb"
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self, url: TargetURL | None, root: Path):
        self.url = url
        self.root = root
        # source string of a model → table name on this target (`--bind SOURCE=TABLE`)
        self.bindings: dict[str, str] = {}

    def bind(self, bindings: dict[str, str] | None) -> "Target":
        """Read a model source from another table of the target (names differ between warehouses)."""
        self.bindings.update(bindings or {})
        return self

    def describe(self) -> str:
        return self.url.redacted() if self.url else f"a {self.dialect} connection"

    # sources
    def source(self, source: str) -> exp.Expression:
        """The table expression of a model source (a file source is the table named after the file)."""
        return source_table(self.bindings.get(source, source), self.dialect, self.root)

    def columns(self, table: exp.Expression) -> dict[str, T]:
        """Column name → language type; raises the driver's error for a missing table."""
        raise NotImplementedError

    # queries
    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run a read-only query: column names and raw rows."""
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        """Run one statement that writes (only for output tables)."""
        raise NotImplementedError

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        """A query's result to be read by several queries (reports): by default the query itself,
        as a derived table, since a read-only session cannot create a table; engines that can
        hold a result in the session compute it once."""
        return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(name)))

    def table_exists(self, table: exp.Table) -> bool:
        try:
            self.fetch(exp.select(exp.Literal.number(1)).from_(table.copy()).limit(0).sql(self.dialect))
            return True
        except self.errors:
            return False

    def write_table(self, table: exp.Table, select_sql: str) -> None:
        """Replace `table` with the result of a query: build a new table, then swap it in."""
        new = _sibling(table, "__segdsl_new")
        self.execute(f"DROP TABLE IF EXISTS {new.sql(self.dialect)}")
        try:
            self.execute(f"CREATE TABLE {new.sql(self.dialect)} AS {select_sql}")
        except BaseException:
            self._drop_quietly(new)
            raise
        self._swap(new, table)

    def _swap(self, new: exp.Table, table: exp.Table) -> None:
        raise NotImplementedError

    def _drop_quietly(self, table: exp.Table) -> None:
        try:
            self.execute(f"DROP TABLE IF EXISTS {table.sql(self.dialect)}")
        except self.errors:
            pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sibling(table: exp.Table, suffix: str) -> exp.Table:
    out = table.copy()
    out.set("this", exp.to_identifier(table.name + suffix, quoted=True))
    return out


def _unqualified(table: exp.Table) -> str:
    return exp.to_identifier(table.name, quoted=True).sql()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if not text and exc.args:
        text = " ".join(str(a) for a in exc.args)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _need(module: str, dialect: str, extra: str | None = None, pip: str | None = None):
    """Import a driver; a missing one is SEG314 with the command that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or module).split(".")[0]  # the package really missing (grpc for Spark Connect)
        command = pip or f"pip install 'segdsl[{extra or EXTRAS.get(dialect, dialect)}]'"
        raise error("SEG314", f"the {dialect} target needs the Python package `{missing}`, which is not installed",
                    None, f"install it: {command}") from None


def _unreachable(url: TargetURL | None, exc: BaseException, hint: str | None = None) -> SegError:
    where = url.redacted() if url else "the target"
    return error("SEG313", f"cannot connect to {where}: {_reason(exc)}", None,
                 hint or "check the address, that the server runs, and the credentials")


# DuckDB ----------------------------------------------------------------------


class _InProcess(Target):
    """An engine in this process (DuckDB, SQLite): one DB-API connection, a transaction for the swap."""

    begin = "BEGIN TRANSACTION"
    con: Any
    owned: bool

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def _swap(self, new: exp.Table, table: exp.Table) -> None:
        self.con.execute(self.begin)
        try:
            self.con.execute(f"DROP TABLE IF EXISTS {table.sql(self.dialect)}")
            self.con.execute(f"ALTER TABLE {new.sql(self.dialect)} RENAME TO {_unqualified(table)}")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self.owned:
            self.con.close()


class DuckDBTarget(_InProcess):
    dialect = "duckdb"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        import duckdb

        self.errors = (duckdb.Error,)
        self.owned = connection is None
        if connection is not None:
            self.con = connection
            return
        path = url.path if url else None
        # the settings of every DuckDB connection segdsl opens (one file cannot be open twice with two)
        from . import run as r

        config = r.engine_config() if hasattr(r, "engine_config") else {}
        if not path or path == ":memory:":
            self.con = duckdb.connect(":memory:", config=config)
            return
        if not write and not Path(path).is_file():
            raise _unreachable(url, FileNotFoundError(f"no database file {path}"), "give the path of a .duckdb file")
        try:
            self.con = duckdb.connect(path, read_only=not write, config=config)
        except duckdb.Error as exc:
            raise _unreachable(url, exc) from None

    def columns(self, table: exp.Expression) -> dict[str, T]:
        from .run import column_type

        rows = self.con.execute("DESCRIBE " + exp.select(exp.Star()).from_(table).sql("duckdb")).fetchall()
        return {r[0]: column_type(r[1]) for r in rows}

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        from .compile import to_sql
        from .run import materialize

        return exp.Table(this=exp.to_identifier(materialize(self.con, to_sql(query, "duckdb", pretty=False), name)))


# SQLite ----------------------------------------------------------------------


def _md5(text: object) -> str | None:
    if text is None:
        return None
    data = text if isinstance(text, bytes) else str(text).encode("utf-8")
    return hashlib.md5(data).hexdigest()


def sqlite_functions(con: Any) -> None:
    """Register what compiled SQLite SQL needs on a sqlite3 connection: md5(text) as lowercase hex.

    SQLite has no MD5; holdouts hash with it. Call this on your own
    connection before running SQL from `segdsl compile --dialect sqlite`.
    """
    con.create_function("md5", 1, _md5, deterministic=True)


def sqlite_column_type(declared: str) -> T:
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


class SQLiteTarget(_InProcess):
    dialect = "sqlite"
    begin = "BEGIN IMMEDIATE"  # the write lock first: a busy database fails the swap before it changes anything

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        import sqlite3

        self.errors = (sqlite3.Error,)
        self.owned = connection is None
        if connection is not None:
            self.con = connection
        else:
            path = url.path if url else None
            try:
                if not path or path == ":memory:":
                    self.con = sqlite3.connect(":memory:", isolation_level=None)
                else:
                    mode = "rwc" if write else "ro"  # read-only: sources are never written
                    uri = f"file:{Path(path).as_posix()}?mode={mode}"
                    self.con = sqlite3.connect(uri, uri=True, isolation_level=None)
                    self.con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                raise _unreachable(url, exc, "give the path of an existing SQLite database file") from None
        sqlite_functions(self.con)

    def columns(self, table: exp.Expression) -> dict[str, T]:
        assert isinstance(table, exp.Table)
        schema = f"{exp.to_identifier(table.db, quoted=True).sql('sqlite')}." if table.db else ""
        name = exp.Literal.string(table.name).sql("sqlite")
        rows = self.con.execute(f"PRAGMA {schema}table_xinfo({name})").fetchall()
        if not rows:
            import sqlite3

            raise sqlite3.OperationalError(f"no such table: {table.sql('sqlite')}")
        return {r[1]: sqlite_column_type(r[2] or "") for r in rows}


# PostgreSQL ------------------------------------------------------------------

_PG_TYPES = {16: T.BOOL, 20: T.NUMBER, 21: T.NUMBER, 23: T.NUMBER, 26: T.NUMBER, 700: T.NUMBER, 701: T.NUMBER,
             790: T.NUMBER, 1700: T.NUMBER, 25: T.TEXT, 1042: T.TEXT, 1043: T.TEXT, 19: T.TEXT, 1082: T.DATE,
             1114: T.TIMESTAMP, 1184: T.TIMESTAMP}


class PostgresTarget(Target):
    dialect = "postgres"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.owned = connection is None
        if connection is not None:
            self.con = connection
            self.driver = _need(type(connection).__module__.split(".")[0], "postgres")
        else:
            name = (url.driver or "psycopg").lower()
            module = {"psycopg": "psycopg", "psycopg2": "psycopg2"}.get(name)
            if module is None:
                raise error("SEG312", f"unknown PostgreSQL driver `{name}`", None,
                            "use postgresql:// (psycopg 3) or postgresql+psycopg2://")
            self.driver = _need(module, "postgres", pip="pip install 'segdsl[postgres]'" if module == "psycopg"
                                else "pip install psycopg2-binary")
            dsn = url.raw.replace(f"+{url.driver}", "", 1) if url.driver else url.raw
            dsn = re.sub(r"^postgres://", "postgresql://", dsn)
            try:
                self.con = self.driver.connect(dsn, connect_timeout=10)
            except self.driver.Error as exc:
                raise _unreachable(url, exc) from None
            self.con.autocommit = True
        self.errors = (self.driver.Error,)
        if self.owned:
            # A connection segdsl opened: timestamptz values are read as UTC, and nothing can be
            # written unless an output table was asked for. A connection passed in keeps its settings.
            cur = self.con.cursor()
            cur.execute("SET TIME ZONE 'UTC'")
            if not write:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")

    def columns(self, table: exp.Expression) -> dict[str, T]:
        cur = self.con.cursor()
        cur.execute(exp.select(exp.Star()).from_(table).limit(0).sql("postgres"))
        return {d[0]: _PG_TYPES.get(d[1], T.ANY) for d in cur.description}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.cursor()
        cur.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str) -> None:
        self.con.cursor().execute(sql)

    def _swap(self, new: exp.Table, table: exp.Table) -> None:
        cur = self.con.cursor()
        cur.execute("BEGIN")
        try:
            cur.execute(f"DROP TABLE IF EXISTS {table.sql('postgres')}")
            cur.execute(f"ALTER TABLE {new.sql('postgres')} RENAME TO {_unqualified(table)}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self.owned:
            self.con.close()


# MySQL / MariaDB -------------------------------------------------------------

# pymysql FIELD_TYPE codes
_MY_NUMBER = {0, 1, 2, 3, 4, 5, 8, 9, 13, 16, 246}
_MY_TEXT = {15, 247, 249, 250, 251, 252, 253, 254}


class MySQLTarget(Target):
    dialect = "mysql"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.owned = connection is None
        if connection is not None:
            self.con = connection
            self.driver = _need(type(connection).__module__.split(".")[0], "mysql")
        else:
            name = (url.driver or "pymysql").lower()
            module = {"pymysql": "pymysql", "mysqldb": "MySQLdb"}.get(name)
            if module is None:
                raise error("SEG312", f"unknown MySQL driver `{name}`", None,
                            "use mysql+pymysql:// (or mysql+mysqldb:// with mysqlclient)")
            self.driver = _need(module, "mysql", pip="pip install 'segdsl[mysql]'" if module == "pymysql"
                                else "pip install mysqlclient")
            kwargs = dict(host=url.host or "127.0.0.1", port=url.port or 3306, user=url.user or "root",
                          password=url.password or "", database=url.database, charset="utf8mb4",
                          connect_timeout=10)
            try:
                self.con = self.driver.connect(**{k: v for k, v in kwargs.items() if v is not None})
            except self.driver.Error as exc:
                raise _unreachable(url, exc) from None
        self.errors = (self.driver.Error,)
        cur = self.con.cursor()
        cur.execute("SET NAMES utf8mb4")  # literals reach the server as utf8mb4, as compared
        if self.owned:
            # as for PostgreSQL: UTC and read-only on connections segdsl opened, not on one passed in
            self.con.autocommit(True)
            cur.execute("SET time_zone = '+00:00'")
            if not write:
                cur.execute("SET SESSION TRANSACTION READ ONLY")

    def columns(self, table: exp.Expression) -> dict[str, T]:
        cur = self.con.cursor()
        cur.execute(exp.select(exp.Star()).from_(table).limit(0).sql("mysql"))
        out = {}
        for d in cur.description:
            code, size = d[1], d[3]
            if code == 1 and size == 1:
                out[d[0]] = T.BOOL  # BOOLEAN is TINYINT(1)
            elif code in _MY_NUMBER:
                out[d[0]] = T.NUMBER
            elif code in (10, 14):
                out[d[0]] = T.DATE
            elif code in (7, 12):
                out[d[0]] = T.TIMESTAMP
            elif code in _MY_TEXT:
                out[d[0]] = T.TEXT
            else:
                out[d[0]] = T.ANY
        return out

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.cursor()
        cur.execute(sql)
        return [d[0] for d in cur.description], list(cur.fetchall())

    def execute(self, sql: str) -> None:
        self.con.cursor().execute(sql)

    def _swap(self, new: exp.Table, table: exp.Table) -> None:
        if self.table_exists(table):
            old = _sibling(table, "__segdsl_old")
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


# Spark -----------------------------------------------------------------------


def spark_column_type(data_type: Any) -> T:
    name = type(data_type).__name__
    if name == "BooleanType":
        return T.BOOL
    if name in ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType"):
        return T.NUMBER
    if name in ("StringType", "VarcharType", "CharType"):
        return T.TEXT
    if name == "DateType":
        return T.DATE
    if name in ("TimestampType", "TimestampNTZType"):
        return T.TIMESTAMP
    return T.ANY


class SparkTarget(Target):
    """Spark SQL: local mode, a standalone master, Spark Connect, or a given SparkSession.

    File sources of the model (.parquet, .csv with a header, .json) are read
    relative to the model file and registered as temporary views. Spark has
    no read-only transactions; only SELECTs are run on the sources.
    """

    dialect = "spark"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.owned = connection is None
        self.views: dict[str, str] = {}
        if connection is not None:
            self.spark = connection
        else:
            _need("pyspark", "spark")
            try:
                if url.scheme == "sc":
                    _need("grpc", "spark", extra="spark-connect")  # Spark Connect speaks gRPC
                    from pyspark.sql import SparkSession

                    try:
                        self.spark = SparkSession.builder.remote(
                            f"sc://{url.host}:{url.port or 15002}").getOrCreate()
                    except ImportError as exc:
                        raise error("SEG314", f"Spark Connect needs more packages: {_reason(exc)}", None,
                                    "install them: pip install 'segdsl[spark-connect]'") from None
                else:
                    from pyspark.sql import SparkSession

                    # a session already running in this process is used, and left running
                    self.owned = SparkSession.getActiveSession() is None
                    master = url.host if url.host.startswith("local") else f"spark://{url.host}:{url.port or 7077}"
                    builder = SparkSession.builder.master(master).appName("segdsl") \
                        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
                    if url.params.get("warehouse"):
                        builder = builder.config("spark.sql.warehouse.dir", url.params["warehouse"])
                    self.spark = builder.getOrCreate()
            except SegError:
                raise
            except Exception as exc:  # noqa: BLE001 - py4j/grpc errors have no common base
                raise _unreachable(url, exc) from None
        from pyspark.errors import PySparkException

        self.errors = (PySparkException,)
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")

    def source(self, source: str) -> exp.Expression:
        suffix = Path(source).suffix.lower()
        if suffix not in FILE_SUFFIXES or source in self.bindings:
            return super().source(source)
        if source not in self.views:
            path = str((self.root / source).resolve())
            reader = self.spark.read
            if suffix == ".csv":
                frame = reader.option("header", True).option("inferSchema", True).csv(path)
            elif suffix == ".parquet":
                frame = reader.parquet(path)
            else:
                frame = reader.json(path)
            view = f"segdsl_{re.sub(r'[^A-Za-z0-9_]', '_', Path(source).stem)}_{uuid.uuid4().hex[:8]}"
            frame.createOrReplaceTempView(view)
            self.views[source] = view
        return exp.Table(this=exp.to_identifier(self.views[source], quoted=True))

    def columns(self, table: exp.Expression) -> dict[str, T]:
        frame = self.spark.sql(exp.select(exp.Star()).from_(table).limit(0).sql("spark"))
        return {f.name: spark_column_type(f.dataType) for f in frame.schema.fields}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        frame = self.spark.sql(sql)
        from pyspark.sql import functions as F

        # Python turns Spark timestamps into local wall-clock times; text in the session's UTC is exact.
        cols = [F.date_format(F.col(f"`{f.name}`"), "yyyy-MM-dd HH:mm:ss.SSSSSS").alias(f.name)
                if spark_column_type(f.dataType) is T.TIMESTAMP else F.col(f"`{f.name}`")
                for f in frame.schema.fields]
        frame = frame.select(*cols)
        return list(frame.columns), [tuple(r) for r in frame.collect()]

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        from .compile import to_sql

        view = f"{name}_{uuid.uuid4().hex[:8]}"
        self.spark.sql(to_sql(query, "spark", pretty=False)).createOrReplaceTempView(view)
        self.spark.sql(f"CACHE TABLE `{view}`")  # computed now, once; dropping the view frees it
        self.views[f"<{view}>"] = view
        return exp.Table(this=exp.to_identifier(view, quoted=True))

    def _swap(self, new: exp.Table, table: exp.Table) -> None:
        # Plain Spark tables cannot be swapped atomically: the new table is complete
        # before the old one is dropped, and a failure before that keeps the old one.
        self.execute(f"DROP TABLE IF EXISTS {table.sql('spark')}")
        self.execute(f"ALTER TABLE {new.sql('spark')} RENAME TO {table.sql('spark')}")

    def close(self) -> None:
        for view in self.views.values():
            try:
                self.spark.catalog.dropTempView(view)
            except Exception:  # noqa: BLE001 - best effort
                pass
        if self.owned:
            self.spark.stop()


# ClickHouse ------------------------------------------------------------------


def clickhouse_column_type(name: str) -> T:
    t = name
    while True:
        inner = re.match(r"^(?:Nullable|LowCardinality)\((.*)\)$", t)
        if not inner:
            break
        t = inner.group(1)
    if t == "Bool":
        return T.BOOL
    if t.startswith(("String", "FixedString", "Enum")):
        return T.TEXT
    if t in ("Date", "Date32"):
        return T.DATE
    if t.startswith("DateTime"):
        return T.TIMESTAMP
    if re.match(r"^(U?Int\d+|Float\d+|Decimal)", t):
        return T.NUMBER
    return T.ANY


class ClickHouseTarget(Target):
    """ClickHouse: embedded through chdb (chdb:///dir, or a given chdb Session) or a server.

    Queries run with `readonly = 2` (reads only; the query's own SETTINGS
    still apply). File sources are read with the file() table function.
    """

    dialect = "clickhouse"

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self.write = write
        self.owned = connection is None
        self.client = None
        self.session = None
        self.tmp: tempfile.TemporaryDirectory | None = None
        if connection is not None:
            if type(connection).__module__.startswith("clickhouse_connect"):
                self.client = connection
            else:
                self.session = connection
        elif url.scheme == "chdb":
            _need("chdb", "clickhouse")
            from chdb import session as chs

            if url.path and url.path != ":memory:":
                path = url.path
            else:
                self.tmp = tempfile.TemporaryDirectory(prefix="segdsl-chdb-")
                path = self.tmp.name
            try:
                self.session = chs.Session(path)
            except Exception as exc:  # noqa: BLE001 - chdb raises plain RuntimeError
                raise _unreachable(url, exc) from None
        else:
            driver = _need("clickhouse_connect", "clickhouse")
            import logging

            logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)  # the diagnostic says it all
            try:
                self.client = driver.get_client(host=url.host or "localhost", port=url.port or 8123,
                                                username=url.user or "default", password=url.password or "",
                                                database=url.database or "default",
                                                secure=url.params.get("secure") in ("1", "true"))
            except Exception as exc:  # noqa: BLE001 - clickhouse_connect wraps transport errors variously
                raise _unreachable(url, exc) from None
        self.errors = (RuntimeError,) if self.session is not None else (Exception,)

    def source(self, source: str) -> exp.Expression:
        suffix = Path(source).suffix.lower()
        if suffix not in FILE_SUFFIXES or self.session is None or source in self.bindings:
            return super().source(source)
        fmt = {".csv": "CSVWithNames", ".parquet": "Parquet", ".json": "JSONEachRow"}[suffix]
        path = str((self.root / source).resolve())
        return exp.Table(this=exp.Anonymous(this="file", expressions=[exp.Literal.string(path),
                                                                       exp.Literal.string(fmt)]))

    def _query(self, sql: str) -> tuple[list[str], list[tuple]]:
        if self.client is not None:
            result = self.client.query(sql)
            return list(result.column_names), [tuple(r) for r in result.result_rows]
        table = self.session.query(sql, "ArrowTable")
        names = list(table.column_names)
        return names, [tuple(r[n] for n in names) for r in table.to_pylist()] if names else []

    def columns(self, table: exp.Expression) -> dict[str, T]:
        _, rows = self._query("DESCRIBE (" + exp.select(exp.Star()).from_(table).sql("clickhouse") + ")")
        return {r[0]: clickhouse_column_type(r[1]) for r in rows}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        if not self.write:
            sql = _with_setting(sql, "readonly", "2")
        return self._query(sql)

    def execute(self, sql: str) -> None:
        if self.client is not None:
            self.client.command(sql)
        else:
            self.session.query(sql, "CSV")

    def write_table(self, table: exp.Table, select_sql: str) -> None:
        new = _sibling(table, "__segdsl_new")
        self.execute(f"DROP TABLE IF EXISTS {new.sql('clickhouse')}")
        try:
            self.execute(f"CREATE TABLE {new.sql('clickhouse')} ENGINE = MergeTree ORDER BY tuple() "
                         f"AS {select_sql}")
        except BaseException:
            self._drop_quietly(new)
            raise
        if self.table_exists(table):
            # EXCHANGE swaps both names atomically (Atomic databases); the old data ends under `new`.
            self.execute(f"EXCHANGE TABLES {new.sql('clickhouse')} AND {table.sql('clickhouse')}")
            self.execute(f"DROP TABLE {new.sql('clickhouse')}")
        else:
            self.execute(f"RENAME TABLE {new.sql('clickhouse')} TO {table.sql('clickhouse')}")

    def close(self) -> None:
        if self.owned:
            if self.session is not None:
                self.session.close()
            if self.client is not None:
                self.client.close()
        if self.tmp is not None:
            self.tmp.cleanup()


def _with_setting(sql: str, name: str, value: str) -> str:
    """Add one setting to the SETTINGS clause that ends every compiled ClickHouse query."""
    match = re.search(r"\bSETTINGS\b(?=[^']*$)", sql)
    if match:
        return sql[:match.end()] + f" {name} = {value}," + sql[match.end():]
    return f"{sql} SETTINGS {name} = {value}"


# ── opening targets and running models ──────────────────────────────────────

_ADAPTERS: dict[str, type[Target]] = {
    "duckdb": DuckDBTarget, "sqlite": SQLiteTarget, "postgres": PostgresTarget, "mysql": MySQLTarget,
    "spark": SparkTarget, "clickhouse": ClickHouseTarget,
}


def open_target(target: str | Any, root: Path | None = None, write: bool = False) -> Target:
    """A target from a URL, or wrapped around an open connection or session.

    Accepted connections: duckdb, sqlite3, psycopg/psycopg2, pymysql,
    a SparkSession, a chdb Session or a clickhouse_connect client. Those are
    not closed by the target.
    """
    root = root or Path.cwd()
    if isinstance(target, Target):
        return target
    if isinstance(target, str):
        url = parse_target(target)
        return _ADAPTERS[url.dialect](url, root, write=write)
    module = type(target).__module__
    kinds = {"duckdb": "duckdb", "_duckdb": "duckdb", "sqlite3": "sqlite", "psycopg": "postgres",
             "psycopg2": "postgres", "pymysql": "mysql", "MySQLdb": "mysql", "pyspark": "spark",
             "chdb": "clickhouse", "clickhouse_connect": "clickhouse"}
    dialect = kinds.get(module.split(".")[0])
    if dialect is None:
        raise error("SEG312", f"cannot run on a `{type(target).__name__}`", None,
                    "pass a target URL, or a duckdb, sqlite3, psycopg, pymysql, SparkSession or chdb connection")
    return _ADAPTERS[dialect](None, root, write=write, connection=target)


def read_schemas(target: Target, ir: m.Model) -> Schemas:
    """Column types of every source; a missing table is SEG305 at its source in the .seg file."""
    problems: list[Diagnostic] = []
    schemas: Schemas = {}
    sources: list[tuple[str, str, Span | None]] = [(ir.entity.name, ir.entity.source, ir.entity.source_span)]
    sources += [(e.name, e.source, e.source_span) for e in ir.events.values()]
    for name, source, span in sources:
        if Path(source).suffix.lower() in FILE_SUFFIXES and source not in target.bindings \
                and target.dialect in ("duckdb", "spark", "clickhouse") and not (target.root / source).is_file():
            problems.append(Diagnostic("SEG304", f"cannot find the data file `{source}`", span,
                                       f"paths are relative to the model file; looked for "
                                       f"{display_path(target.root / source)}"))
            continue
        try:
            schemas[name] = target.columns(target.source(source))
        except target.errors as exc:
            problems.append(Diagnostic("SEG305", f"cannot read `{source}` on {target.describe()}: {_reason(exc)}",
                                       span, "create the table there, or check the schema and the name"))
    if problems:
        raise SegError(problems)
    return schemas


@dataclass
class Compiled:
    """A model compiled for a target, with the schema it was checked against."""

    sql: str
    ir: m.Model
    key_type: T


def compile_for(model: Any, target: Target, as_of: dt.date | None, params: dict[str, object] | None,
                outputs: list[str] | None = None, engine_dates: bool = False) -> Compiled:
    """Read the target's schemas, check the model against them and compile it for the target's dialect."""
    from .compile import Options, membership, to_sql

    schemas = read_schemas(target, model.ir)
    checked = model.with_schemas(schemas)
    opts = Options(target.dialect, as_of, model.resolve_params(params), source=target.source, schemas=schemas,
                   engine_dates=engine_dates)
    sql = to_sql(membership(checked.ir, opts, outputs), target.dialect, pretty=False)
    key_type = schemas.get(checked.ir.entity.name, {}).get(checked.ir.entity.key, T.ANY)
    return Compiled(sql, checked.ir, key_type)


def run(model: Any, target: Target, as_of: dt.date | None, params: dict[str, object] | None = None,
        outputs: list[str] | None = None, engine_dates: bool = False) -> Members:
    """Evaluate a model on a target and return its members with normalised values."""
    compiled = compile_for(model, target, as_of, params, outputs, engine_dates)
    try:
        columns, raw = target.fetch(compiled.sql)
    except target.errors as exc:
        raise error("SEG305", f"{target.describe()} could not compute the segments: {_reason(exc)}", None,
                    "check that the columns hold the types the model expects (dates, numbers)") from None
    types = output_types(compiled.ir, columns, compiled.key_type)
    order = [types[c] for c in columns]
    rows = [tuple(normalise(v, t) for v, t in zip(row, order)) for row in raw]
    return Members(columns, rows, types)


def write_table(model: Any, target: Target, table: str, as_of: dt.date | None,
                params: dict[str, object] | None = None) -> int:
    """Write the membership into a table of the target, atomically; returns the number of members."""
    from .dialects import qualified_table

    name = qualified_table(table)
    compiled = compile_for(model, target, as_of, params)
    try:
        target.write_table(name, compiled.sql)
        _, rows = target.fetch(exp.select(exp.func("COUNT", exp.Star())).from_(name).sql(target.dialect))
    except target.errors as exc:
        raise error("SEG308", f"cannot write the table `{table}` on {target.describe()}: {_reason(exc)}", None,
                    "an older table of that name is left as it was") from None
    return int(rows[0][0])


_DUCK_OF = {T.NUMBER: "DOUBLE", T.TEXT: "VARCHAR", T.BOOL: "BOOLEAN", T.DATE: "DATE", T.TIMESTAMP: "TIMESTAMP",
            T.ANY: "VARCHAR"}


def write_file(members: Members, path: Path) -> None:
    """Write members fetched from any target to .parquet or .csv (through DuckDB, atomically)."""
    import duckdb

    from .run import write_output

    con = duckdb.connect(":memory:")
    cols = ", ".join(f"{exp.to_identifier(c, quoted=True).sql('duckdb')} "
                     f"{'BIGINT' if members.types[c] is T.NUMBER and _all_int(members.rows, i) else _DUCK_OF[members.types[c]]}"
                     for i, c in enumerate(members.columns))
    con.execute(f"CREATE TABLE members ({cols})")
    if members.rows:
        marks = ", ".join("?" for _ in members.columns)
        rows = [tuple(str(v) if members.types[c] is T.ANY and v is not None else v
                      for v, c in zip(r, members.columns)) for r in members.rows]
        con.executemany(f"INSERT INTO members VALUES ({marks})", rows)
    write_output(con, "SELECT * FROM members", path)
    con.close()


def _all_int(rows: Iterable[tuple], i: int) -> bool:
    return all(r[i] is None or isinstance(r[i], int) for r in rows)


def summary(members: Members, ir: m.Model) -> tuple[int, list[tuple[str, str, int]]]:
    """Population size and (definition, case, members), as run.summary gives for DuckDB."""
    total = len(members.rows)
    index = {c: i for i, c in enumerate(members.columns)}
    out: list[tuple[str, str, int]] = []
    for n in ir.order:
        if n not in index:
            continue
        i = index[n]
        if n in ir.segments:
            out.append((n, "", sum(1 for r in members.rows if r[i] is True)))
        elif n in ir.segmentations or n in ir.holdouts:
            d = ir.segmentations.get(n) or ir.holdouts[n]
            counts: dict[object, int] = {}
            for r in members.rows:
                label = None if r[i] is None else str(r[i])
                counts[label] = counts.get(label, 0) + 1
            for label in d.labels:
                out.append((n, label, counts.pop(label, 0)))
            if counts.get(None):
                out.append((n, "(none)", counts.pop(None)))
    return total, out


__all__ = ["TargetURL", "parse_target", "open_target", "Target", "Members", "normalise", "read_schemas",
           "compile_for", "run", "write_table", "write_file", "summary", "sqlite_functions", "SCHEMES",
           "output_types"]
