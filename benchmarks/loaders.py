"""The benchmark data loaded into each verified engine through its bulk path, kept between runs.

Each size lives in a schema (a database on MariaDB and ClickHouse, a file on
SQLite) named ``segdsl_bench_<size>`` and is loaded once: a marker table,
written last, says which data set it holds, so an interrupted load is done
again instead of half-read, and a load of another data set (seed, rates) is
replaced.

    PostgreSQL  COPY … FROM STDIN (CSV) through psycopg, then ANALYZE
    MariaDB     LOAD DATA LOCAL INFILE (CSV), then ANALYZE TABLE
    SQLite      one transaction of executemany from Arrow batches, ISO text timestamps
    ClickHouse  chdb: MergeTree tables filled from the Parquet files by ClickHouse itself
    Spark       reads the data set's Parquet files where they are (its native format),
                in local mode and through a Spark Connect server alike

The CSV files are written by DuckDB from the Parquet files, in the form each
server's loader reads (\\N for NULL, 0/1 for booleans), and removed after.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .data import DataSet

TABLES = ("customers", "orders", "web_events")
MARKER = "segdsl_bench_loaded"
PG_URL = os.environ.get("SEGDSL_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("SEGDSL_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
ENGINES = ("postgres", "mysql", "sqlite", "clickhouse", "spark", "spark-connect")

# Parquet (Arrow) type → column type on each server
_PG = {"int64": "BIGINT", "int32": "INTEGER", "double": "DOUBLE PRECISION", "string": "TEXT", "large_string": "TEXT",
       "bool": "BOOLEAN", "date32[day]": "DATE", "timestamp[us]": "TIMESTAMP"}
_MYSQL = {"int64": "BIGINT", "int32": "INT", "double": "DOUBLE", "string": "VARCHAR(255)",
          "large_string": "VARCHAR(255)", "bool": "BOOLEAN", "date32[day]": "DATE", "timestamp[us]": "DATETIME(6)"}
_SQLITE = {"int64": "INTEGER", "int32": "INTEGER", "double": "REAL", "string": "TEXT", "large_string": "TEXT",
           "bool": "BOOLEAN", "date32[day]": "DATE", "timestamp[us]": "TIMESTAMP"}


@dataclass
class Loaded:
    """Where a data set is on an engine: the target URL, the bindings of the model's sources, the load time."""

    engine: str
    url: str
    bindings: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # 0.0: it was already loaded
    schema: str = ""
    files: dict[str, Path] = field(default_factory=dict)  # Spark: the Parquet file of each table

    def bind_args(self) -> list[str]:
        out: list[str] = []
        for source, table in self.bindings.items():
            out += ["--bind", f"{source}={table}"]
        return out

    def table(self, name: str) -> str:
        """How a hand-written query names a table of the data set."""
        return self.bindings.get(name, name)


def schema_name(ds: DataSet) -> str:
    n = ds.customers
    label = f"{n // 1_000_000}m" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1_000}k" if n % 1_000 == 0 else str(n))
    return f"segdsl_bench_{label}"


def identity(ds: DataSet) -> str:
    """What the marker records: the data set folder (size, seed and rates)."""
    return ds.path.name


def _arrow_types(ds: DataSet, table: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    return [(f.name, str(f.type)) for f in pq.read_schema(ds.file(table))]


def _csv(ds: DataSet, table: str, folder: Path, bools_as_ints: bool) -> Path:
    """The table as CSV without a header, NULL as \\N, written by DuckDB from the Parquet file."""
    import duckdb

    out = folder / f"{table}.csv"
    cols = []
    for name, kind in _arrow_types(ds, table):
        cols.append(f'CAST("{name}" AS INTEGER) AS "{name}"' if kind == "bool" and bools_as_ints else f'"{name}"')
    src = str(ds.file(table)).replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT {', '.join(cols)} FROM read_parquet('{src}')) TO '{out}' "
                    "(FORMAT csv, HEADER false, NULLSTR '\\N', DELIMITER ',', QUOTE '\"', "
                    "TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%f')")
    finally:
        con.close()
    return out


def ensure(engine: str, ds: DataSet, root: Path, say: Callable[[str], None] = print, url: str = "") -> Loaded:
    """The data set on the engine, loaded now unless a complete copy of it is there; `url` is the
    Spark Connect server's (sc://host:port), which the benchmark starts."""
    if engine == "spark-connect":
        return _spark_connect(ds, url)
    loader = {"postgres": _postgres, "mysql": _mysql, "sqlite": _sqlite, "clickhouse": _clickhouse,
              "spark": _spark}[engine]
    return loader(ds, root, say)


# ── PostgreSQL ──────────────────────────────────────────────────────────────


def _postgres(ds: DataSet, root: Path, say) -> Loaded:
    import psycopg

    schema = schema_name(ds)
    loaded = Loaded("postgres", PG_URL, {t: f"{schema}.{t}" for t in TABLES}, schema=schema)
    con = psycopg.connect(PG_URL, autocommit=True, connect_timeout=10)
    try:
        row = None
        try:
            row = con.execute(f"SELECT data FROM {schema}.{MARKER}").fetchone()
        except psycopg.Error:
            pass
        if row and row[0] == identity(ds):
            return loaded
        say(f"  loading {ds.customers:,} customers into PostgreSQL schema {schema} (COPY) …")
        started = time.perf_counter()
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
        with tempfile.TemporaryDirectory(prefix="segdsl-load-") as tmp:
            for table in TABLES:
                cols = ", ".join(f'"{n}" {_PG[k]}' for n, k in _arrow_types(ds, table))
                con.execute(f"CREATE TABLE {schema}.{table} ({cols})")
                csv = _csv(ds, table, Path(tmp), bools_as_ints=False)
                with con.cursor() as cur, open(csv, "rb") as f:
                    with cur.copy(f"COPY {schema}.{table} FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
                        while chunk := f.read(1 << 20):
                            copy.write(chunk)
                csv.unlink()
                con.execute(f"ANALYZE {schema}.{table}")
        con.execute(f"CREATE TABLE {schema}.{MARKER} (data TEXT)")
        con.execute(f"INSERT INTO {schema}.{MARKER} VALUES (%s)", (identity(ds),))
        loaded.seconds = time.perf_counter() - started
        say(f"    loaded in {loaded.seconds:.0f} s")
        return loaded
    finally:
        con.close()


# ── MariaDB / MySQL ─────────────────────────────────────────────────────────


def mysql_params(url: str = MYSQL_URL) -> dict:
    from segdsl.engines import parse_target

    u = parse_target(url)
    return dict(host=u.host or "127.0.0.1", port=u.port or 3306, user=u.user or "root", password=u.password or "")


def mysql_url(database: str, url: str = MYSQL_URL) -> str:
    base = url.split("?")[0].rsplit("/", 1)[0]
    return f"{base}/{database}"


def _mysql(ds: DataSet, root: Path, say) -> Loaded:
    import pymysql

    schema = schema_name(ds)
    loaded = Loaded("mysql", mysql_url(schema), schema=schema)
    con = pymysql.connect(**mysql_params(), charset="utf8mb4", autocommit=True, local_infile=True,
                          connect_timeout=10)
    try:
        cur = con.cursor()
        row = None
        try:
            cur.execute(f"SELECT data FROM `{schema}`.`{MARKER}`")
            row = cur.fetchone()
        except pymysql.Error:
            pass
        if row and row[0] == identity(ds):
            return loaded
        say(f"  loading {ds.customers:,} customers into MariaDB database {schema} (LOAD DATA LOCAL INFILE) …")
        started = time.perf_counter()
        cur.execute(f"DROP DATABASE IF EXISTS `{schema}`")
        cur.execute(f"CREATE DATABASE `{schema}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        cur.execute("SET time_zone = '+00:00'")
        with tempfile.TemporaryDirectory(prefix="segdsl-load-") as tmp:
            for table in TABLES:
                cols = ", ".join(f"`{n}` {_MYSQL[k]}" for n, k in _arrow_types(ds, table))
                cur.execute(f"CREATE TABLE `{schema}`.`{table}` ({cols})")
                csv = _csv(ds, table, Path(tmp), bools_as_ints=True)
                cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE `{schema}`.`{table}` CHARACTER SET utf8mb4 "
                            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n'",
                            (str(csv),))
                csv.unlink()
                cur.execute(f"ANALYZE TABLE `{schema}`.`{table}`")
                cur.fetchall()
        cur.execute(f"CREATE TABLE `{schema}`.`{MARKER}` (data VARCHAR(255))")
        cur.execute(f"INSERT INTO `{schema}`.`{MARKER}` VALUES (%s)", (identity(ds),))
        loaded.seconds = time.perf_counter() - started
        say(f"    loaded in {loaded.seconds:.0f} s")
        return loaded
    finally:
        con.close()


# ── SQLite ──────────────────────────────────────────────────────────────────


def sqlite_file(ds: DataSet) -> Path:
    return ds.path / f"{schema_name(ds)}.sqlite"


def _sqlite(ds: DataSet, root: Path, say) -> Loaded:
    import sqlite3

    import duckdb

    path = sqlite_file(ds)
    loaded = Loaded("sqlite", f"sqlite:///{path}", schema=path.name)
    if path.is_file():
        con = sqlite3.connect(path)
        try:
            row = con.execute(f"SELECT data FROM {MARKER}").fetchone()
        except sqlite3.Error:
            row = None
        finally:
            con.close()
        if row and row[0] == identity(ds):
            return loaded
    say(f"  loading {ds.customers:,} customers into SQLite {path.name} (executemany of Arrow batches) …")
    started = time.perf_counter()
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    duck = duckdb.connect()
    try:
        for table in TABLES:
            types = _arrow_types(ds, table)
            cols = ", ".join(f'"{n}" {_SQLITE[k]}' for n, k in types)
            con.execute(f'CREATE TABLE "{table}" ({cols})')
            # ISO text for dates and timestamps, 0/1 for booleans: how applications store them in SQLite
            select = []
            for n, k in types:
                if k.startswith(("timestamp", "date")):
                    select.append(f'CAST("{n}" AS VARCHAR) AS "{n}"')
                elif k == "bool":
                    select.append(f'CAST("{n}" AS INTEGER) AS "{n}"')
                else:
                    select.append(f'"{n}"')
            src = str(ds.file(table)).replace("'", "''")
            reader = duck.sql(f"SELECT {', '.join(select)} FROM read_parquet('{src}')").to_arrow_reader(100_000)
            marks = ", ".join("?" for _ in types)
            con.execute("BEGIN")
            for batch in reader:
                con.executemany(f'INSERT INTO "{table}" VALUES ({marks})',
                                zip(*(c.to_pylist() for c in batch.columns)))
            con.execute("COMMIT")
        con.execute(f"CREATE TABLE {MARKER} (data TEXT)")
        con.execute(f"INSERT INTO {MARKER} VALUES (?)", (identity(ds),))
        con.execute("ANALYZE")
    finally:
        con.close()
        duck.close()
    os.replace(tmp, path)
    loaded.seconds = time.perf_counter() - started
    say(f"    loaded in {loaded.seconds:.0f} s")
    return loaded


# ── ClickHouse (chdb) ───────────────────────────────────────────────────────


def chdb_folder(root: Path) -> Path:
    return Path(root) / "segdsl_bench_chdb"


def _clickhouse(ds: DataSet, root: Path, say) -> Loaded:
    from chdb import session as chs

    folder = chdb_folder(root)
    schema = schema_name(ds)
    loaded = Loaded("clickhouse", f"chdb:///{folder.resolve()}", {t: f"{schema}.{t}" for t in TABLES},
                    schema=schema)
    folder.mkdir(parents=True, exist_ok=True)
    session = chs.Session(str(folder))
    try:
        try:
            got = session.query(f"SELECT data FROM {schema}.{MARKER}", "CSV").bytes().decode().strip().strip('"')
        except Exception:  # noqa: BLE001 - chdb raises RuntimeError for a missing table
            got = ""
        if got == identity(ds):
            return loaded
        say(f"  loading {ds.customers:,} customers into chdb database {schema} (Parquet into MergeTree) …")
        started = time.perf_counter()
        session.query(f"DROP DATABASE IF EXISTS {schema}")
        session.query(f"CREATE DATABASE {schema} ENGINE = Atomic")
        for table in TABLES:
            src = str(ds.file(table)).replace("'", "\\'")
            session.query(f"CREATE TABLE {schema}.{table} ENGINE = MergeTree ORDER BY tuple() "
                          f"AS SELECT * FROM file('{src}', Parquet)")
        session.query(f"CREATE TABLE {schema}.{MARKER} (data String) ENGINE = MergeTree ORDER BY tuple()")
        session.query(f"INSERT INTO {schema}.{MARKER} VALUES ('{identity(ds)}')")
        loaded.seconds = time.perf_counter() - started
        say(f"    loaded in {loaded.seconds:.0f} s")
        return loaded
    finally:
        session.close()


# ── Spark ───────────────────────────────────────────────────────────────────


def _spark(ds: DataSet, root: Path, say) -> Loaded:
    """Spark reads Parquet where it is: a model whose sources are the data set's files (see spark_model)."""
    return Loaded("spark", "spark://local[*]", schema=ds.path.name, files={t: ds.file(t) for t in TABLES})


def _spark_connect(ds: DataSet, url: str) -> Loaded:
    """Through Spark Connect as in local mode: the server reads the data set's Parquet files where they are
    (it runs on this machine), named as the model's sources."""
    if not url.startswith("sc://"):
        raise ValueError(f"a Spark Connect URL is needed (sc://host:port), not {url!r}")
    return Loaded("spark-connect", url, schema=ds.path.name, files={t: ds.file(t) for t in TABLES})


def spark_model(model_text: str, files: dict[str, Path]) -> str:
    """The model with its table sources replaced by the Parquet files Spark reads."""
    for table, path in files.items():
        model_text = re.sub(rf'from "{table}"', f'from "{path.resolve()}"', model_text)
    return model_text


def drop(engine: str, ds: DataSet, root: Path) -> None:
    """Remove a loaded data set (to reclaim the space; the next run loads it again)."""
    schema = schema_name(ds)
    if engine == "postgres":
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    elif engine == "mysql":
        import pymysql

        con = pymysql.connect(**mysql_params(), autocommit=True)
        con.cursor().execute(f"DROP DATABASE IF EXISTS `{schema}`")
        con.close()
    elif engine == "sqlite":
        sqlite_file(ds).unlink(missing_ok=True)
    elif engine == "clickhouse":
        shutil.rmtree(chdb_folder(root), ignore_errors=True)
