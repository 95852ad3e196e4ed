"""The verified engines as test fixtures: each started once, loaded with the corpus, cleaned up.

Every engine gets the same tables (tests/conformance/data.py) with its own
native types — the types its users would have: DATE/TIMESTAMP columns on
engines that have them, ISO text on SQLite, utf8mb4 with the server's
default case-insensitive collation on MariaDB, Nullable columns on
ClickHouse. Names are unique per test run (schema, database or file) so
parallel runs do not collide, and are dropped at the end.

Server addresses come from SEGDSL_PG_URL and SEGDSL_MYSQL_URL. An engine
that is not available is skipped with the reason — or, when
SEGDSL_REQUIRE_ENGINES=1 (CI), fails the test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlglot import exp

HERE = Path(__file__).parent

from tests.support.conformance.data import TABLES, Table  # noqa: E402

from segdsl import engines  # noqa: E402

PG_URL = os.environ.get("SEGDSL_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("SEGDSL_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE = os.environ.get("SEGDSL_REQUIRE_ENGINES", "") not in ("", "0", "false")
RUN_ID = uuid.uuid4().hex[:8]
VERIFIED_ENGINES = ("duckdb", "sqlite", "postgres", "mysql", "spark", "clickhouse")
# Every way of reaching an engine that the conformance corpus runs through: the six dialects, and
# Spark through Spark Connect (a server of its own, as production Spark is reached).
ENGINE_PATHS = VERIFIED_ENGINES + ("spark-connect",)
SPARK_CONNECT_URL = os.environ.get("SEGDSL_SPARK_CONNECT_URL", "")
TIMINGS: dict[str, float] = {}
SPARK_JAVA_OPTS = os.environ.get("SEGDSL_SPARK_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")


def unavailable(engine: str, reason: str) -> None:
    """Skip (or, in CI, fail) because an engine cannot be used here."""
    message = f"{engine} is not available: {reason}"
    if REQUIRE:
        pytest.fail(message + " (SEGDSL_REQUIRE_ENGINES=1: every verified engine must run)", pytrace=False)
    pytest.skip(message)


def _q(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)


class Engine:
    """One engine with the corpus loaded. `target()` opens a segdsl target on it."""

    name = ""
    dialect = ""
    types: dict[str, str] = {}

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}  # source → table name, where the engine refuses a name

    def table_name(self, table: Table) -> str:
        return table.name

    def load(self, tables: dict[str, Table]) -> None:
        for t in tables.values():
            name = self.table_name(t)
            if name != t.name:
                self.bindings[t.name] = name
            self.create(name, t)

    def create(self, name: str, table: Table) -> None:
        raise NotImplementedError

    def add(self, table: Table) -> None:
        """One more table after the corpus is loaded (a test's own data); returns nothing, binds its name."""
        name = self.table_name(table)
        if name != table.name:
            self.bindings[table.name] = name
        self.create(name, table)

    def target(self, write: bool = False) -> engines.Engine:
        raise NotImplementedError

    def ddl_bindings(self, tables: list[str]) -> dict[str, str]:
        """Sources as a persistent view on this engine must name them (only Spark differs)."""
        return {}

    def object_name(self, name: str) -> str:
        """Where a test may create a view or table called `name` (the engine's test namespace)."""
        return name

    def count(self, table: str) -> int:
        """Rows of a source table, read back through a target (to prove nothing was written)."""
        t = self.target()
        try:
            _, rows = t.fetch(exp.select(exp.func("COUNT", exp.Star())).from_(t.source(table)).sql(self.dialect))
            return int(rows[0][0])
        finally:
            t.close()

    def cleanup(self) -> None:
        pass


def _values(table: Table, convert: Callable[[Any, str], Any]) -> list[tuple]:
    kinds = [k for _, k in table.columns]
    return [tuple(convert(v, k) for v, k in zip(row, kinds)) for row in table.rows]


# DuckDB ----------------------------------------------------------------------


class DuckDBEngine(Engine):
    name = dialect = "duckdb"
    types = {"int": "BIGINT", "float": "DOUBLE", "text": "VARCHAR", "date": "DATE", "ts": "TIMESTAMP",
             "tstz": "TIMESTAMPTZ", "bool": "BOOLEAN", "dec": "DECIMAL(18, 4)"}

    def __init__(self, folder: Path) -> None:
        super().__init__()
        import duckdb

        self.path = folder / f"corpus_{RUN_ID}.duckdb"
        self.con = duckdb.connect(str(self.path))

    def create(self, name: str, table: Table) -> None:
        cols = ", ".join(f"{_q(c, 'duckdb')} {self.types[k]}" for c, k in table.columns)
        self.con.execute(f"CREATE TABLE {_q(name, 'duckdb')} ({cols})")
        marks = ", ".join("?" for _ in table.columns)
        self.con.executemany(f"INSERT INTO {_q(name, 'duckdb')} VALUES ({marks})", [list(r) for r in table.rows])

    def loaded(self) -> None:
        self.con.close()  # targets open the file read-only

    def add(self, table: Table) -> None:
        import duckdb

        self.con = duckdb.connect(str(self.path))
        try:
            super().add(table)
        finally:
            self.con.close()

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(f"duckdb:///{self.path}", write=write).bind(self.bindings)


# SQLite ----------------------------------------------------------------------


def sqlite_value(v: Any, kind: str) -> Any:
    """How applications store values in SQLite: ISO text for dates and timestamps, 0/1 for booleans."""
    if v is None:
        return None
    if kind in ("ts", "tstz"):
        return v.isoformat(sep=" ")  # with its offset (+02:00) where it has a zone
    if kind == "date":
        return v.isoformat()
    if kind == "bool":
        return int(v)
    if kind == "dec":  # NUMERIC affinity: stored as the nearest REAL
        return str(v)
    return v


class SQLiteEngine(Engine):
    name = dialect = "sqlite"
    types = {"int": "INTEGER", "float": "REAL", "text": "TEXT", "date": "DATE", "ts": "TIMESTAMP",
             "tstz": "TIMESTAMP", "bool": "BOOLEAN", "dec": "NUMERIC(18, 4)"}

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.path = folder / f"corpus_{RUN_ID}.db"
        self.con = sqlite3.connect(self.path, isolation_level=None)

    def create(self, name: str, table: Table) -> None:
        cols = ", ".join(f"{_q(c, 'sqlite')} {self.types[k]}" for c, k in table.columns)
        self.con.execute(f"CREATE TABLE {_q(name, 'sqlite')} ({cols})")
        marks = ", ".join("?" for _ in table.columns)
        self.con.executemany(f"INSERT INTO {_q(name, 'sqlite')} VALUES ({marks})", _values(table, sqlite_value))

    def loaded(self) -> None:
        self.con.close()

    def add(self, table: Table) -> None:
        self.con = sqlite3.connect(self.path, isolation_level=None)
        try:
            super().add(table)
        finally:
            self.con.close()

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(f"sqlite:///{self.path}", write=write).bind(self.bindings)


# PostgreSQL ------------------------------------------------------------------


class PostgresEngine(Engine):
    """PostgreSQL with text in a locale collation, as most databases are created (en_US and the like).

    A locale orders 'a' before 'B' and ignores case at the first level; the
    language orders by code point, so the lowering must be visible here.
    """

    name = dialect = "postgres"
    types = {"int": "BIGINT", "float": "DOUBLE PRECISION", "text": 'TEXT COLLATE "en-x-icu"', "date": "DATE",
             "ts": "TIMESTAMP", "tstz": "TIMESTAMPTZ", "bool": "BOOLEAN", "dec": "NUMERIC(18, 4)"}

    def __init__(self) -> None:
        super().__init__()
        import psycopg

        self.schema = f"segdsl_{RUN_ID}"
        self.con = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
        self.con.execute(f"CREATE SCHEMA {_q(self.schema, 'postgres')}")

    def create(self, name: str, table: Table) -> None:
        full = f"{_q(self.schema, 'postgres')}.{_q(name, 'postgres')}"
        cols = ", ".join(f"{_q(c, 'postgres')} {self.types[k]}" for c, k in table.columns)
        self.con.execute(f"CREATE TABLE {full} ({cols})")
        marks = ", ".join("%s" for _ in table.columns)
        with self.con.cursor() as cur:
            cur.executemany(f"INSERT INTO {full} VALUES ({marks})", [list(r) for r in table.rows])

    def loaded(self) -> None:
        pass

    @property
    def url(self) -> str:
        """The server with the corpus schema first on the search path, as libpq's options give it to
        every connection a target opens (its session and its streaming connection alike)."""
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}"

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(self.url, write=write).bind(self.bindings)

    def cleanup(self) -> None:
        self.con.execute(f"DROP SCHEMA IF EXISTS {_q(self.schema, 'postgres')} CASCADE")
        self.con.close()


# MariaDB (MySQL dialect) -----------------------------------------------------


MYSQL_LOAD_ZONE = "+09:00"  # the loading session's zone: TIMESTAMP values are stored in UTC from it


def mysql_value(v: Any, kind: str) -> Any:
    if kind == "tstz" and v is not None:  # the wall clock of the loading session's zone
        return v.astimezone(dt.timezone(dt.timedelta(hours=9))).replace(tzinfo=None)
    return int(v) if kind == "bool" and v is not None else v


class MySQLEngine(Engine):
    name = dialect = "mysql"
    # the server's default utf8mb4 collation: case-, accent- and pad-insensitive, as users have it
    types = {"int": "BIGINT", "float": "DOUBLE", "text": "VARCHAR(200)", "date": "DATE", "ts": "DATETIME(6)",
             "tstz": "TIMESTAMP(6) NULL", "bool": "BOOLEAN", "dec": "DECIMAL(18, 4)"}

    def __init__(self) -> None:
        super().__init__()
        import pymysql

        url = engines.parse_target(MYSQL_URL)
        self.database = f"segdsl_{RUN_ID}"
        self.kwargs = dict(host=url.host, port=url.port or 3306, user=url.user or "root", password=url.password or "",
                           charset="utf8mb4", autocommit=True, connect_timeout=5)
        self.con = pymysql.connect(**self.kwargs)
        self.con.cursor().execute(f"CREATE DATABASE {_q(self.database, 'mysql')} "
                                  "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        self.con.select_db(self.database)
        self.con.cursor().execute(f"SET time_zone = '{MYSQL_LOAD_ZONE}'")
        base = MYSQL_URL.split("?")[0].rsplit("/", 1)[0]
        self.url = f"{base}/{self.database}"

    def create(self, name: str, table: Table) -> None:
        cur = self.con.cursor()
        cols = ", ".join(f"{_q(c, 'mysql')} {self.types[k]}" for c, k in table.columns)
        cur.execute(f"CREATE TABLE {_q(name, 'mysql')} ({cols})")
        marks = ", ".join("%s" for _ in table.columns)
        cur.executemany(f"INSERT INTO {_q(name, 'mysql')} VALUES ({marks})", _values(table, mysql_value))

    def loaded(self) -> None:
        pass

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(self.url, write=write).bind(self.bindings)

    def cleanup(self) -> None:
        self.con.cursor().execute(f"DROP DATABASE IF EXISTS {_q(self.database, 'mysql')}")
        self.con.close()


# Spark -----------------------------------------------------------------------


class SparkEngine(Engine):
    """Spark in local mode; the corpus as temporary views (no files written, fast).

    Spark's catalog accepts only [A-Za-z0-9_] table and view names, so the
    one hostile table name is bound to another name — the only rebinding
    in the corpus, and asserted to be necessary in test_conformance.
    """

    name = dialect = "spark"

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.spark = session
        self.views: list[str] = []

    def table_name(self, table: Table) -> str:
        import re

        return table.name if re.fullmatch(r"[A-Za-z0-9_]+", table.name) else "hostile_people"

    def frame(self, table: Table) -> Any:
        """The table as a DataFrame with Spark's types (an instant with a zone is a TIMESTAMP in UTC)."""
        from pyspark.sql import types as st

        kinds = {"int": st.LongType(), "float": st.DoubleType(), "text": st.StringType(), "date": st.DateType(),
                 "ts": st.TimestampType(), "tstz": st.TimestampType(), "bool": st.BooleanType(),
                 "dec": st.DecimalType(18, 4)}
        schema = st.StructType([st.StructField(c, kinds[k], True) for c, k in table.columns])
        return self.spark.createDataFrame([list(r) for r in table.rows], schema)

    def create(self, name: str, table: Table) -> None:
        self.frame(table).createOrReplaceTempView(name)
        self.views.append(name)

    def loaded(self) -> None:
        pass

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(self.spark, write=write).bind(self.bindings)

    @property
    def database(self) -> str:
        return f"segdsl_{RUN_ID}"

    def ddl_bindings(self, tables: list[str]) -> dict[str, str]:
        """A persistent Spark view cannot read temporary views: copy the tables into the catalog."""
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        out = {}
        for name in tables:
            full = f"{self.database}.{name}"
            if not self.spark.catalog.tableExists(full):
                self.spark.table(name).write.saveAsTable(full)
            out[name] = full
        return out

    def object_name(self, name: str) -> str:
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        return f"{self.database}.{name}"

    def cleanup(self) -> None:
        for v in self.views:
            self.spark.catalog.dropTempView(v)
        self.spark.sql(f"DROP DATABASE IF EXISTS {self.database} CASCADE")


class SparkConnectEngine(SparkEngine):
    """Spark reached through a Spark Connect server: the corpus as tables in a database of the server,
    so that every session (the tests', a `segdsl run --target sc://…` process) reads the same tables."""

    name = "spark-connect"
    dialect = "spark"

    def __init__(self, session: Any, url: str) -> None:
        super().__init__(session)
        self.url = url
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {self.database}")

    def create(self, name: str, table: Table) -> None:
        full = f"{self.database}.{name}"
        self.frame(table).write.mode("overwrite").saveAsTable(full)
        self.bindings[table.name] = full

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(self.url, write=write).bind(self.bindings)

    def ddl_bindings(self, tables: list[str]) -> dict[str, str]:
        return {t: self.bindings.get(t, f"{self.database}.{t}") for t in tables}

    def cleanup(self) -> None:
        self.spark.sql(f"DROP DATABASE IF EXISTS {self.database} CASCADE")


def start_spark_connect(folder: Path) -> tuple[str, Any]:
    """A Spark Connect server of this test session (benchmarks.spark_server, shared with the benchmark),
    tuned for tiny data like start_spark; returns its URL and a function that stops it."""
    from benchmarks import spark_server

    confs = {"spark.sql.shuffle.partitions": 1, "spark.sql.codegen.wholeStage": "false",
             "spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.default.parallelism": 2,
             "spark.sql.adaptive.enabled": "false"}
    return spark_server.start(folder, confs, master="local[2]", java_options=SPARK_JAVA_OPTS,
                              ident=f"segdsl-{RUN_ID}")


def start_spark(warehouse: Path) -> Any:
    """One local SparkSession for the whole test session: UTC, a temp warehouse, tuned for tiny data.

    Whole-stage code generation is off and there is one shuffle partition:
    on a few dozen rows, compiling Java for each of the ~20 stages of a
    membership query costs seconds, and interpreted expressions have the
    same semantics. ANSI mode stays at Spark's default (on in Spark 4).
    The JVM runs with the quick (C1) compiler only and a serial collector:
    for a few minutes of small queries that halves the time to warm up.
    """
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("segdsl-tests")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.codegen.wholeStage", "false")
             .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
             .config("spark.default.parallelism", "2")
             .config("spark.sql.warehouse.dir", str(warehouse))
             .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse} {SPARK_JAVA_OPTS}")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.adaptive.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# ClickHouse (chdb) -----------------------------------------------------------


def clickhouse_value(v: Any, kind: str) -> Any:
    if v is None:
        return None
    if kind == "tstz":  # text is read in the column's zone
        return v.astimezone(dt.timezone(dt.timedelta(hours=9))).replace(tzinfo=None).isoformat(sep=" ")
    if kind == "ts":
        return v.isoformat(sep=" ")
    if kind == "date":
        return v.isoformat()
    if kind == "dec":  # a decimal as its text, read exactly
        return str(v)
    return v


class ClickHouseEngine(Engine):
    """ClickHouse with columns Nullable only where the data has NULLs, as ClickHouse schemas are written.

    Aggregates of a non-Nullable column are not Nullable, and a LEFT JOIN
    fills them with 0 for members without events unless join_use_nulls is on.
    """

    name = dialect = "clickhouse"
    # A column with its own zone: ClickHouse reads its dates there unless segdsl reads it in UTC.
    types = {"int": "Int64", "float": "Float64", "text": "String", "date": "Date32", "ts": "DateTime64(6, 'UTC')",
             "tstz": "DateTime64(6, 'Asia/Tokyo')", "bool": "Bool", "dec": "Decimal(18, 4)"}

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session
        self.database = f"segdsl_{RUN_ID}"
        self.session.query(f"CREATE DATABASE {_q(self.database, 'clickhouse')} ENGINE = Atomic")
        self.session.query(f"USE {_q(self.database, 'clickhouse')}")

    def create(self, name: str, table: Table) -> None:
        def column_type(i: int, kind: str) -> str:
            has_null = any(r[i] is None for r in table.rows)
            return f"Nullable({self.types[kind]})" if has_null else self.types[kind]

        cols = ", ".join(f"{_q(c, 'clickhouse')} {column_type(i, k)}" for i, (c, k) in enumerate(table.columns))
        self.session.query(f"CREATE TABLE {_q(name, 'clickhouse')} ({cols}) ENGINE = MergeTree ORDER BY tuple()")
        names = [c for c, _ in table.columns]
        lines = "\n".join(json.dumps(dict(zip(names, r)), ensure_ascii=False) for r in _values(table, clickhouse_value))
        self.session.query(f"INSERT INTO {_q(name, 'clickhouse')} FORMAT JSONEachRow\n{lines}")

    def loaded(self) -> None:
        pass

    def target(self, write: bool = False) -> engines.Engine:
        return engines.open_engine(self.session, write=write).bind(self.bindings)

    def cleanup(self) -> None:
        self.session.query(f"DROP DATABASE IF EXISTS {_q(self.database, 'clickhouse')}")


# fixtures --------------------------------------------------------------------


@pytest.fixture(scope="session")
def engine_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"segdsl-engines-{RUN_ID}-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_session(engine_folder: Path) -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("spark", "pyspark is not installed (pip install 'segdsl[spark]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        unavailable("spark", "no Java runtime (java on PATH or JAVA_HOME)")
    started = time.perf_counter()
    spark = start_spark(engine_folder / "spark-warehouse")
    TIMINGS["spark startup"] = time.perf_counter() - started
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def spark_connect(engine_folder: Path) -> Iterator[tuple[str, Any]]:
    """(URL, client session) of a Spark Connect server: SEGDSL_SPARK_CONNECT_URL, or one started here."""
    try:
        import grpc  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("spark-connect", "pyspark[connect] is not installed (pip install 'segdsl[spark-connect]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        unavailable("spark-connect", "no Java runtime (java on PATH or JAVA_HOME)")
    started = time.perf_counter()
    stop = None
    url = SPARK_CONNECT_URL
    if not url:
        try:
            url, stop = start_spark_connect(engine_folder / "spark-connect")
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            unavailable("spark-connect", str(exc))
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = ConnectSession.builder.remote(url).getOrCreate()
    TIMINGS["spark-connect startup"] = time.perf_counter() - started
    yield url, session
    session.stop()
    if stop is not None:
        stop()


@pytest.fixture(scope="session")
def chdb_session(engine_folder: Path) -> Iterator[Any]:
    try:
        from chdb import session as chs
    except ImportError:
        unavailable("clickhouse", "chdb is not installed (pip install 'segdsl[clickhouse]')")
    s = chs.Session(str(engine_folder / "chdb"))
    yield s
    s.close()


def _make(name: str, request: pytest.FixtureRequest, folder: Path) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(folder)
    if name == "sqlite":
        return SQLiteEngine(folder)
    if name == "postgres":
        try:
            import psycopg

            return PostgresEngine()
        except ImportError:
            unavailable(name, "psycopg is not installed (pip install 'segdsl[postgres]')")
        except psycopg.Error as exc:
            unavailable(name, f"cannot connect to {engines.parse_target(PG_URL).redacted()} "
                              f"(SEGDSL_PG_URL): {str(exc).strip().splitlines()[0]}")
    if name == "mysql":
        try:
            import pymysql

            return MySQLEngine()
        except ImportError:
            unavailable(name, "pymysql is not installed (pip install 'segdsl[mysql]')")
        except pymysql.Error as exc:
            unavailable(name, f"cannot connect to {engines.parse_target(MYSQL_URL).redacted()} "
                              f"(SEGDSL_MYSQL_URL): {exc}")
    if name == "spark":
        return SparkEngine(request.getfixturevalue("spark_session"))
    if name == "spark-connect":
        url, session = request.getfixturevalue("spark_connect")
        return SparkConnectEngine(session, url)
    if name == "clickhouse":
        return ClickHouseEngine(request.getfixturevalue("chdb_session"))
    raise ValueError(name)


_LOADED: dict[str, Engine] = {}


@pytest.fixture(scope="session")
def loaded_engines(request: pytest.FixtureRequest, engine_folder: Path) -> Iterator[dict[str, Engine]]:
    """Engines with the corpus loaded, created on first use; all cleaned up at the end."""
    yield _LOADED
    for e in _LOADED.values():
        try:
            e.cleanup()
        except Exception:  # noqa: BLE001 - cleanup must not hide test results
            pass


@pytest.fixture
def engine(request: pytest.FixtureRequest, loaded_engines: dict[str, Engine], engine_folder: Path) -> Engine:
    """The engine named by the test's `engine_name` parameter, with the corpus loaded."""
    name = request.param if hasattr(request, "param") else request.getfixturevalue("engine_name")
    return loaded(name, request, loaded_engines, engine_folder)


def loaded(name: str, request: pytest.FixtureRequest, loaded_engines: dict[str, Engine],
           engine_folder: Path) -> Engine:
    """The engine `name` with the corpus loaded: the session's, created on first use."""
    if name not in loaded_engines:
        started = time.perf_counter()
        e = _make(name, request, engine_folder)
        e.load(TABLES)
        e.loaded()
        loaded_engines[name] = e
        TIMINGS[f"{name} load"] = time.perf_counter() - started
    return loaded_engines[name]


def pytest_terminal_summary(terminalreporter: Any) -> None:  # pragma: no cover - reporting only
    if TIMINGS:
        terminalreporter.write_sep("-", "engine timings (s)")
        for k, v in sorted(TIMINGS.items()):
            terminalreporter.write_line(f"{k:32} {v:7.2f}")
