"""Time queries with an engine's own client, and keep their results for the comparison.

    python -m benchmarks.engine_client ENGINE TARGET REPEAT OUT_DIR NAME=QUERY.sql [NAME=QUERY.sql …]

Each timed run computes the whole result and hands every row to the client,
which discards it: psql (`COPY (…) TO STDOUT`) on PostgreSQL, the mariadb
client (`--quick`, rows as they come, in the session settings of `segdsl run`)
on MariaDB, Python's sqlite3 (with the
two functions compiled SQLite SQL needs) on SQLite, chdb's Arrow output on
ClickHouse, and a Parquet write on Spark, in local mode or through a session
of a Spark Connect server (as Spark users keep results). The
queries run interleaved, after one untimed round; then each result is read
once more (untimed) into OUT_DIR/NAME.parquet, for the benchmark to compare
with DuckDB's. The seconds are printed as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

TABLES = ("customers", "orders", "web_events")


def _postgres(target: str, out: Path) -> tuple[Callable[[str], None], Callable[[str, Path], None], Callable]:
    def run(sql: str) -> None:
        body = sql.strip().rstrip(";")
        done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target],
                              input=f"SET TIME ZONE 'UTC';\nCOPY ({body}) TO STDOUT;\n", text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()[-500:]}")

    def export(sql: str, path: Path) -> None:
        import adbc_driver_postgresql.dbapi as adbc
        import pyarrow.parquet as pq

        with adbc.connect(target, autocommit=True) as con, con.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(sql)
            pq.write_table(cur.fetch_arrow_table(), path)

    def version() -> str:
        v = subprocess.run(["psql", "-X", "-A", "-t", target, "-c", "SHOW server_version"], capture_output=True,
                           text=True)
        return "PostgreSQL " + v.stdout.strip().split()[0] if v.returncode == 0 else "PostgreSQL"

    return run, export, version


def _mysql(target: str, out: Path):
    from segdsl.engines import parse_target
    from segdsl.engines.mysql import MEMORY

    u = parse_target(target)
    args = ["mariadb" if shutil.which("mariadb") else "mysql", "--quick", "--batch", "--skip-column-names",
            "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306), "-u", u.user or "root", "-D", u.database or ""]
    env = {**os.environ, "MYSQL_PWD": u.password or ""}
    # the session of `segdsl run`, for both queries: its zone and the memory of its temporary tables
    settings = "; ".join(("SET NAMES utf8mb4", "SET time_zone = '+00:00'", *MEMORY)) + ";"

    def run(sql: str) -> None:
        done = subprocess.run(args, input=f"{settings}\n{sql.strip().rstrip(';')};\n", text=True, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb: {done.stderr.strip()[-500:]}")

    def export(sql: str, path: Path) -> None:
        import connectorx as cx
        import pyarrow.parquet as pq

        url = f"mysql://{u.user or 'root'}:{u.password or ''}@{u.host or '127.0.0.1'}:{u.port or 3306}/{u.database}"
        table = cx.read_sql(url, sql, return_type="arrow", pre_execution_query=["SET NAMES utf8mb4",
                                                                                "SET time_zone = '+00:00'"])
        pq.write_table(table, path)

    def version() -> str:
        v = subprocess.run(args + ["-e", "SELECT VERSION()"], capture_output=True, text=True, env=env)
        return "MariaDB " + v.stdout.strip().split("-")[0] if v.returncode == 0 else "MariaDB"

    return run, export, version


def _sqlite(target: str, out: Path):
    import sqlite3

    from segdsl.engines import parse_target
    from segdsl.engines.sqlite import register

    path = parse_target(target).path
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    register(con)

    def rows(sql: str):
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        while batch := cur.fetchmany(10_000):
            yield names, batch

    def run(sql: str) -> None:
        for _ in rows(sql):
            pass

    def export(sql: str, path_out: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # as text: SQLite's values have no column types (the comparison casts them back)
        writer = None
        for names, batch in rows(sql):
            table = pa.table({n: pa.array([None if r[i] is None else str(r[i]) for r in batch], pa.string())
                              for i, n in enumerate(names)})
            if writer is None:
                writer = pq.ParquetWriter(path_out, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()

    return run, export, lambda: f"SQLite {sqlite3.sqlite_version}"


def _clickhouse(target: str, out: Path):
    from chdb import session as chs

    from segdsl.engines import parse_target

    session = chs.Session(parse_target(target).path)

    def run(sql: str) -> None:
        session.query(sql, "Arrow")

    def export(sql: str, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = session.query(sql, "Arrow").bytes()
        pq.write_table(pa.ipc.open_file(pa.BufferReader(data)).read_all(), path)

    def version() -> str:
        return "ClickHouse " + session.query("SELECT version()", "CSV").bytes().decode().strip().strip('"') + " (chdb)"

    return run, export, version


def _spark(target: str, out: Path):
    """`target` is the data set's folder: its Parquet files become views named like the tables."""
    import tempfile

    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="segdsl-spark-")
    spark = (SparkSession.builder.master("local[*]").appName("segdsl-bench")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.driver.memory", os.environ.get("SEGDSL_SPARK_MEMORY", "4g"))
             .config("spark.ui.enabled", "false")
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    for table in TABLES:
        spark.read.parquet(str(Path(target) / f"{table}.parquet")).createOrReplaceTempView(table)
    return (*_spark_writer(spark, out / "spark-parts"), lambda: f"Spark {spark.version} local[*]")


def _spark_writer(spark, parts: Path):
    """Run and export for either kind of Spark session: Spark's own Parquet writer into `parts`, as
    `segdsl run` writes, and for the export those parts read back into one file."""

    def run(sql: str) -> None:
        spark.sql(sql).write.mode("overwrite").parquet(str(parts))

    def export(sql: str, path: Path) -> None:
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        run(sql)
        pq.write_table(ds.dataset(str(parts), format="parquet").to_table(), path)
        shutil.rmtree(parts, ignore_errors=True)

    return run, export


def _spark_connect(target: str, out: Path):
    """`target` is the data set's folder, as for `_spark`; the server's URL is SEGDSL_SPARK_CONNECT_URL.
    The server runs on this machine, so it reads the Parquet files and writes the parts where they are."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    url = os.environ["SEGDSL_SPARK_CONNECT_URL"]
    spark = ConnectSession.builder.remote(url).getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    for table in TABLES:
        spark.read.parquet(str((Path(target) / f"{table}.parquet").resolve())).createOrReplaceTempView(table)
    return (*_spark_writer(spark, (out / "spark-parts").resolve()),
            lambda: f"Spark {spark.version} through Spark Connect")


CLIENTS = {"postgres": _postgres, "mysql": _mysql, "sqlite": _sqlite, "clickhouse": _clickhouse, "spark": _spark,
           "spark-connect": _spark_connect}


def main(argv: list[str]) -> int:
    engine, target, repeat, out = argv[0], argv[1], int(argv[2]), Path(argv[3])
    queries = {}
    for item in argv[4:]:
        name, _, file = item.partition("=")
        queries[name] = Path(file).read_text(encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run, export, version = CLIENTS[engine](target, out)
    startup = time.perf_counter() - started
    for sql in queries.values():  # warm-up: caches, the JVM's compiler
        run(sql)
    seconds: dict[str, list[float]] = {name: [] for name in queries}
    for _ in range(repeat):
        for name, sql in queries.items():
            t = time.perf_counter()
            run(sql)
            seconds[name].append(time.perf_counter() - t)
    for name, sql in queries.items():
        export(sql, out / f"{name}.parquet")
    print(json.dumps({"seconds": seconds, "startup": startup, "version": version()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
