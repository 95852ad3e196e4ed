"""History stores on every kind of place, filled from the demo shop, for tests/test_history*.py.

The demo data (segdsl.demo, a few thousand customers) is loaded into each
engine with its own types; a store is then filled with weekly snapshots
computed where the store is: a table store on PostgreSQL, MariaDB or Spark
is computed on that engine, the local stores (a DuckDB file, a Parquet
folder) on DuckDB. ClickHouse (chdb) keeps no table store (see
segdsl.activation.sqlstore); its place is the shop as a target, for exports,
lift reports and snapshots into a local store. `Place.readout()` reads back what the store holds —
member rows, catalog sizes, changes — through the store's own engine.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb
import pyarrow as pa
from sqlglot import exp

import segdsl
from segdsl import engines
from segdsl.activation import history
from segdsl.activation.parquetstore import FolderStore
from segdsl.activation.sqlstore import TableStore
from segdsl.engines.execution import members as run_members

from tests.support.engines import MYSQL_URL, PG_URL, RUN_ID, unavailable

DATES = [dt.date(2026, 6, 2), dt.date(2026, 6, 9), dt.date(2026, 6, 16), dt.date(2026, 6, 23), dt.date(2026, 6, 30)]
SERIES = "campaign"
STORES = ("duckdb", "parquet", "postgres", "mysql", "spark")
TABLES = ("customers", "orders")

# The win-back campaign of examples/lifecycle_campaign.seg, with a segmentation without `else` (members in
# no case), a quantile (numbers as cases), a segment nobody is in, and a parameter that changes the cases.
MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

param active_orders: number = 1

feature revenue     = sum(orders.amount)
feature orders_90d  = count(orders in last 90 days)
feature orders_prev = count(orders in previous 90 days)
feature recency     = days_between(max(orders.ordered_at), as_of)

segmentation lifecycle {
  active  = orders_90d >= active_orders
  at_risk = orders_prev >= 1 and orders_90d = 0
  lapsed  = recency > 180
}
segment win_back = lifecycle.at_risk or (lifecycle.lapsed and recency <= 365)
segment nobody = revenue > 1000000000
segmentation spend = quantile(revenue, 4)
holdout win_back_test = win_back split 80% campaign, 20% control seed "win-back-2026-q3"
"""

Row = tuple[str, "str | None", str]  # definition, value, member


@dataclass
class Readout:
    """What a store holds for the series, as Python values (small data, tests only)."""

    members: dict[dt.date, set[Row]] = field(default_factory=dict)
    sizes: dict[dt.date, dict[tuple[str, str | None], int]] = field(default_factory=dict)
    population: dict[dt.date, int] = field(default_factory=dict)
    fingerprints: dict[dt.date, str] = field(default_factory=dict)
    changes: set[tuple[dt.date, dt.date, str, str | None, str, str]] = field(default_factory=set)

    def comparable(self) -> tuple:
        return self.members, self.sizes, self.population, self.changes


def expected_rows(model: segdsl.Model, table: pa.Table) -> set[Row]:
    """The long form of a membership computed by `run`: what a snapshot must hold."""
    ir = model.ir
    key = table.column(ir.entity.key).to_pylist()
    rows: set[Row] = set()
    for name in ir.order:
        if name in ir.segments:
            rows |= {(name, None, str(k)) for k, v in zip(key, table.column(name).to_pylist()) if v}
        elif name in ir.segmentations or name in ir.holdouts:
            rows |= {(name, str(v), str(k)) for k, v in zip(key, table.column(name).to_pylist()) if v is not None}
    return rows


def demo_tables(db: Path) -> dict[str, pa.Table]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.sql(f'SELECT * FROM "{t}"').to_arrow_table() for t in TABLES}
    finally:
        con.close()


_PG = {"int64": "BIGINT", "int32": "BIGINT", "double": "DOUBLE PRECISION", "string": "TEXT", "date32[day]": "DATE",
       "timestamp[us]": "TIMESTAMP", "bool": "BOOLEAN"}
_MY = {"int64": "BIGINT", "int32": "BIGINT", "double": "DOUBLE", "string": "VARCHAR(200)", "date32[day]": "DATE",
       "timestamp[us]": "DATETIME(6)", "bool": "BOOLEAN"}
_CH = {"int64": "Int64", "int32": "Int32", "double": "Float64", "string": "String", "date32[day]": "Date32",
       "timestamp[us]": "DateTime64(6, 'UTC')", "bool": "Bool"}


class Place:
    """One store under test: where it is, the engine its snapshots are computed on, and how to read it back."""

    def __init__(self, name: str, folder: Path, demo_db: Path, model_file: Path, request: Any):
        self.name = name
        self.folder = folder
        self.model_file = model_file
        self.demo_db = demo_db
        self.cleanups: list[Callable[[], None]] = []
        self.url: str | None = None
        self.spark: Any = None
        self.chdb: Any = None
        self.bindings: dict[str, str] = {}
        if name == "postgres":
            self._postgres(demo_tables(demo_db))
        elif name == "mysql":
            self._mysql(demo_tables(demo_db))
        elif name == "spark":
            self._spark(request.getfixturevalue("spark_session"), demo_tables(demo_db))
        elif name == "clickhouse":
            self._clickhouse(request.getfixturevalue("chdb_session"), demo_tables(demo_db))

    # ── loading the demo shop ───────────────────────────────────────────────
    def _postgres(self, tables: dict[str, pa.Table]) -> None:
        try:
            import psycopg
        except ImportError:
            unavailable("postgres", "psycopg is not installed (pip install 'segdsl[postgres]')")
        schema = f"segdsl_hist_{RUN_ID}"
        try:
            con = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            unavailable("postgres", f"cannot connect (SEGDSL_PG_URL): {exc}")
        con.execute(f'CREATE SCHEMA "{schema}"')
        for name, table in tables.items():
            cols = ", ".join(f'"{f.name}" {_PG[str(f.type)]}' for f in table.schema)
            con.execute(f'CREATE TABLE "{schema}"."{name}" ({cols})')
            with con.cursor() as cur, cur.copy(f'COPY "{schema}"."{name}" FROM STDIN') as copy:
                for row in table.to_pylist():
                    copy.write_row(list(row.values()))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        self.pg_schema = schema

        def drop() -> None:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            con.close()

        self.cleanups.append(drop)

    def _mysql(self, tables: dict[str, pa.Table]) -> None:
        try:
            import pymysql
        except ImportError:
            unavailable("mysql", "pymysql is not installed (pip install 'segdsl[mysql]')")
        url = engines.parse_target(MYSQL_URL)
        database = f"segdsl_hist_{RUN_ID}"
        try:
            con = pymysql.connect(host=url.host, port=url.port or 3306, user=url.user or "root",
                                  password=url.password or "", charset="utf8mb4", autocommit=True, connect_timeout=5)
        except pymysql.Error as exc:
            unavailable("mysql", f"cannot connect (SEGDSL_MYSQL_URL): {exc}")
        cur = con.cursor()
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        con.select_db(database)
        for name, table in tables.items():
            cols = ", ".join(f"`{f.name}` {_MY[str(f.type)]}" for f in table.schema)
            cur.execute(f"CREATE TABLE `{name}` ({cols})")
            marks = ", ".join("%s" for _ in table.schema)
            cur.executemany(f"INSERT INTO `{name}` VALUES ({marks})", [tuple(r.values()) for r in table.to_pylist()])
        self.url = f"{MYSQL_URL.split('?')[0].rsplit('/', 1)[0]}/{database}"
        self.mysql_database = database

        def drop() -> None:
            con.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
            con.close()

        self.cleanups.append(drop)

    def _spark(self, session: Any, tables: dict[str, pa.Table]) -> None:
        self.spark = session
        database = f"segdsl_hist_{RUN_ID}"
        session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        # views of names of their own, bound to the model's sources: the session is shared with the
        # conformance tests, whose corpus has views called customers and orders too
        self.bindings = {name: f"hist_{name}_{RUN_ID}" for name in tables}
        for name, table in tables.items():
            session.createDataFrame(table).createOrReplaceTempView(self.bindings[name])
        self.spark_database = database

        def drop() -> None:
            for view in self.bindings.values():
                session.catalog.dropTempView(view)
            session.sql(f"DROP DATABASE IF EXISTS {database} CASCADE")

        self.cleanups.append(drop)

    def _clickhouse(self, session: Any, tables: dict[str, pa.Table]) -> None:
        """The shop in a database of its own in the process's one chdb session (shared with the conformance
        tests, whose current database stays theirs): tables bound to qualified names, Nullable only where the
        data has NULLs, as ClickHouse schemas are written."""
        self.chdb = session
        database = f"segdsl_hist_{RUN_ID}_{uuid.uuid4().hex[:6]}"
        session.query(f"CREATE DATABASE `{database}` ENGINE = Atomic")
        for name, table in tables.items():
            cols = ", ".join(f"`{f.name}` " + (f"Nullable({_CH[str(f.type)]})" if table.column(f.name).null_count
                                               else _CH[str(f.type)]) for f in table.schema)
            session.query(f"CREATE TABLE `{database}`.`{name}` ({cols}) ENGINE = MergeTree ORDER BY tuple()")
            lines = "\n".join(json.dumps({k: v.isoformat(sep=" ") if isinstance(v, dt.datetime) else
                                          v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()},
                                         ensure_ascii=False) for row in table.to_pylist())
            session.query(f"INSERT INTO `{database}`.`{name}` FORMAT JSONEachRow\n{lines}")
        self.bindings = {name: f"{database}.{name}" for name in tables}
        self.clickhouse_database = database
        self.cleanups.append(lambda: session.query(f"DROP DATABASE IF EXISTS `{database}`"))

    # ── the store ───────────────────────────────────────────────────────────
    @property
    def store_text(self) -> str:
        if self.name == "duckdb":
            return str(self.folder / "history.duckdb")
        if self.name == "parquet":
            return str(self.folder / "history") + "/"
        if self.name == "spark":
            return f"table:{self.spark_database}.segment_history"
        return "table:segment_history"

    def engine(self, write: bool = False) -> engines.Engine:
        """The engine snapshots are computed on (and, for a table store, the store's engine)."""
        if self.name in ("duckdb", "parquet"):
            return engines.open_duckdb(self.demo_db, self.model_file.parent)
        if self.name == "spark":
            return engines.open_engine(self.spark, self.model_file.parent, write=write).bind(self.bindings)
        if self.name == "clickhouse":
            return engines.open_engine(self.chdb, self.model_file.parent, write=write).bind(self.bindings)
        return engines.open_engine(self.url, self.model_file.parent, write=write)

    def open(self, write: bool = False) -> tuple[engines.Engine, Any]:
        engine = self.engine(write)
        try:
            return engine, history.open_store(self.store_text, engine, write=write)
        except BaseException:
            engine.close()
            raise

    def snapshot(self, as_of: dt.date, params: dict[str, object] | None = None, force: bool = False,
                 model: segdsl.Model | None = None, series: str = SERIES) -> history.Written:
        engine, store = self.open(write=True)
        try:
            return history.snapshot(model or segdsl.load(self.model_file), engine, store, as_of, params, series, force)
        finally:
            store.close()
            engine.close()

    def readout(self, series: str = SERIES) -> Readout:
        engine, store = self.open()
        try:
            return read(store, series)
        finally:
            store.close()
            engine.close()

    def cleanup(self) -> None:
        for drop in reversed(self.cleanups):
            try:
                drop()
            except Exception:  # noqa: BLE001 - cleanup must not hide test results
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


def read(store: Any, series: str = SERIES) -> Readout:
    """What an open store holds for a series: its catalog, and its member and change rows read by its engine."""
    out = Readout()
    for snap in history.snapshots(store, series):
        out.sizes[snap.as_of] = {(s.definition, s.value): s.members for s in snap.sizes}
        out.population[snap.as_of] = snap.population
        out.fingerprints[snap.as_of] = snap.fingerprint
        out.members[snap.as_of] = set()
    if isinstance(store, FolderStore):
        members, changes = _parquet_rows(store.path, series)
    else:
        members, changes = _table_rows(store, series)
    for as_of, definition, value, member in members:
        out.members.setdefault(_day(as_of), set()).add((definition, value, str(member)))
    out.changes = {(_day(a), _day(p), d, v, str(m), e) for a, p, d, v, m, e in changes}
    return out


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else \
        dt.date.fromisoformat(str(value)[:10])


def _table_rows(store: TableStore, series: str) -> tuple[list[tuple], list[tuple]]:
    d = store.dialect

    def q(name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(d)

    where = f"{q('series')} = {exp.Literal.string(series).sql(d)}"
    _, members = store.engine.fetch(f"SELECT {q('as_of')}, {q('definition')}, {q('value')}, {q('member')} "
                                    f"FROM {store.members.sql(d)} WHERE {where}")
    _, changes = store.engine.fetch(f"SELECT {q('as_of')}, {q('previous_as_of')}, {q('definition')}, {q('value')}, "
                                    f"{q('member')}, {q('event')} FROM {store.changes.sql(d)} WHERE {where}")
    return members, changes


def _parquet_rows(folder: Path, series: str) -> tuple[list[tuple], list[tuple]]:
    members_glob = folder / "members" / series / "*.parquet"
    changes_glob = folder / "changes" / series / "*.parquet"
    members = duckdb.sql(f"SELECT as_of, definition, value, member FROM read_parquet('{members_glob}')").fetchall()
    changes = duckdb.sql(f"SELECT as_of, previous_as_of, definition, value, member, event "
                         f"FROM read_parquet('{changes_glob}')").fetchall() \
        if list((folder / "changes" / series).glob("*.parquet")) else []
    return members, changes


def run_at(demo_db: Path, model: segdsl.Model, as_of: dt.date, params: dict[str, object] | None = None
           ) -> tuple[set[Row], int]:
    """`segdsl run --as-of` on DuckDB over the demo shop: the long rows and the population."""
    engine = engines.open_duckdb(demo_db, model.root)
    try:
        table = run_members(model, engine, as_of, params).read_all()
    finally:
        engine.close()
    return expected_rows(model, table), table.num_rows
