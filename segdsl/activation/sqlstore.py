"""A history store as tables of a database: a target (PostgreSQL, MySQL/MariaDB, Spark, DuckDB) or a local
DuckDB file. SQLite and ClickHouse targets keep their history in a local store: ClickHouse has no
transaction that replaces a snapshot's rows in both tables together (its ALTER … REPLACE PARTITION is
atomic for one table only), and its mutations (DELETE) are asynchronous.

`NAME` holds the member rows, `NAME_snapshots` the catalog (sizes, population,
fingerprint), `NAME_changes` is a view of the entered and exited events.

A snapshot is computed into a temporary table first — the expensive part,
which touches nothing of the store — and then swapped in: in one transaction
on DuckDB, PostgreSQL and MySQL/MariaDB (InnoDB), its earlier rows are
deleted and the new ones inserted into both tables, so a reader sees the old
snapshot or the new one and a failure at any point leaves the old one. Spark
tables outside Delta have no transactions: each table is partitioned by
(series, as_of) and the snapshot's partition is overwritten in dynamic mode,
where Spark writes the new files aside and replaces the partition when the
job commits; the member rows are written before the catalog row that makes
them visible to the changes view and to `segdsl history`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlglot import exp

from ..sql import dialects as dl
from ..lang.diagnostics import SegError
from ..engines.base import Engine, sibling
from .store import (CATALOG_COLUMNS, MEMBER_COLUMNS, Snapshot, Store, _aliased, _col, _id, _text, _text_equals,
                    changes_query, missing_folder, snapshots_from_rows, sql, stage_arrow, store_failure)

if TYPE_CHECKING:
    from ..engines.execution import Compiled

STORE_DIALECTS = ("duckdb", "postgres", "mysql", "spark")
_TYPES = {
    "duckdb": {"text": "VARCHAR", "key": "VARCHAR", "int": "BIGINT", "date": "DATE", "time": "TIMESTAMP"},
    "postgres": {"text": "TEXT", "key": "TEXT", "int": "BIGINT", "date": "DATE", "time": "TIMESTAMP"},
    # VARCHAR, not TEXT: columns of an index need a length; 255 characters of utf8mb4 fit one
    "mysql": {"text": "VARCHAR(255)", "key": "VARCHAR(255)", "int": "BIGINT", "date": "DATE", "time": "DATETIME(6)"},
    "spark": {"text": "STRING", "key": "STRING", "int": "BIGINT", "date": "DATE", "time": "TIMESTAMP"},
}
# column → kind of type, and whether it may be missing
_MEMBER_SHAPE = {"series": ("key", False), "as_of": ("date", False), "definition": ("key", False),
                 "value": ("key", True), "member": ("key", False)}
_CATALOG_SHAPE = {"series": ("key", False), "as_of": ("date", False), "definition": ("key", False),
                  "kind": ("text", False), "value": ("key", True), "members": ("int", False),
                  "population": ("int", False), "fingerprint": ("text", False), "model": ("text", False),
                  "taken_at": ("time", False)}
_PARTITIONS = ("series", "as_of")


class TableStore(Store):
    """Snapshots in tables of a database engine; `owned` engines are closed with the store."""

    def __init__(self, engine: Engine, table: str, where: str, owned: bool = False):
        if engine.dialect == "clickhouse":
            from ..lang.diagnostics import error

            raise error("SEG320", f"a history store cannot be kept in {engine.describe()}: writing a snapshot "
                        "replaces rows of two tables, and ClickHouse has no transaction to replace them together "
                        "(a failure half-way would leave members without their sizes)", None,
                        "keep the store locally: --store FILE.duckdb or --store FOLDER/ (the members are computed "
                        "on ClickHouse and streamed to the store as Arrow batches)")
        if engine.dialect not in STORE_DIALECTS:
            from ..lang.diagnostics import error

            raise error("SEG320", f"a history store cannot be kept in {engine.describe()}", None,
                        "history tables are kept on DuckDB, PostgreSQL, MySQL/MariaDB and Spark; on this target "
                        "keep the store locally: --store FILE.duckdb or --store FOLDER/")
        if engine.dialect == "spark" and engine.owned and not engine.connect and \
                engine.spark.conf.get("spark.sql.catalogImplementation", "in-memory") == "in-memory":
            from ..lang.diagnostics import error

            raise error("SEG320", f"a history store in {engine.describe()} would be forgotten when segdsl stops "
                        "it: the session's catalog is in memory", None,
                        "keep the store locally (--store FILE.duckdb or --store FOLDER/: the members are streamed "
                        "from Spark), or use a Spark with a metastore (sc://… with Spark Connect)")
        self.engine = engine
        self.dialect = engine.dialect
        self.where = where
        self.owned = owned
        self.members = dl.qualified_table(table)
        self.catalog = sibling(self.members, "_snapshots")
        self.changes = sibling(self.members, "_changes")

    def describe(self) -> str:
        return self.where

    def close(self) -> None:
        if self.owned:
            self.engine.close()

    # ── names and statements ────────────────────────────────────────────────
    def _q(self, name: str) -> str:
        return _id(name).sql(self.dialect)

    def _t(self, table: exp.Table) -> str:
        return table.sql(self.dialect, identify=True)

    def _columns(self, shape: dict[str, tuple[str, bool]]) -> list[str]:
        """Column names in the table's order (Spark keeps its partition columns last)."""
        names = list(shape)
        if self.dialect == "spark":
            names = [n for n in names if n not in _PARTITIONS] + list(_PARTITIONS)
        return names

    def _create(self, table: exp.Table, shape: dict[str, tuple[str, bool]]) -> list[str]:
        types = _TYPES[self.dialect]
        cols = []
        for name in self._columns(shape):
            kind, nullable = shape[name]
            cols.append(f"{self._q(name)} {types[kind]}" + ("" if nullable or self.dialect == "spark" else " NOT NULL"))
        if self.dialect == "mysql":
            cols.append(f"INDEX ({self._q('series')}, {self._q('as_of')})")
        head = f"CREATE TABLE IF NOT EXISTS {self._t(table)} ({', '.join(cols)})"
        if self.dialect == "spark":
            return [f"{head} USING parquet PARTITIONED BY ({self._q('series')}, {self._q('as_of')})"]
        if self.dialect == "mysql":
            return [f"{head} ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = {self._binary_collation()}"]
        if self.dialect == "postgres":
            return [head, f"CREATE INDEX IF NOT EXISTS {self._q(table.name + '_series_as_of')} ON {self._t(table)} "
                          f"({self._q('series')}, {self._q('as_of')})"]
        return [head]

    def _binary_collation(self) -> str:
        """Text compared as code points, trailing spaces included: MariaDB's NO PAD binary collation
        (its utf8mb4_bin pads), MySQL 8's utf8mb4_0900_bin."""
        _, rows = self.engine.fetch("SELECT VERSION()")
        return "utf8mb4_nopad_bin" if "mariadb" in str(rows[0][0]).lower() else "utf8mb4_0900_bin"

    # ── opening ─────────────────────────────────────────────────────────────
    def _exists(self, table: exp.Table) -> bool:
        if self.dialect == "spark":  # asked of the catalog: a failing probe query would be logged as an error
            return bool(self.engine.spark.catalog.tableExists(table.name, table.db or None))
        return self.engine.table_exists(table)

    def exists(self) -> bool:
        return self._exists(self.members) and self._exists(self.catalog)

    def _check_shape(self) -> None:
        """An existing table of that name must be a store of this layout (never written over otherwise)."""
        for table, wanted in ((self.members, MEMBER_COLUMNS), (self.catalog, CATALOG_COLUMNS)):
            try:
                have = {c.lower() for c in self.engine.columns(table)}
            except self.engine.errors as exc:
                raise store_failure(self.where, exc) from None
            missing = [c for c in wanted if c not in have]
            if missing:
                raise store_failure(self.where, f"`{table.sql(self.dialect)}` is not a table of a history store "
                                    f"(it has no column {', '.join(missing)})",
                                    "name another table with --store table:NAME")

    def open_for_writing(self) -> None:
        """Create what is missing of the store (a user who may only write rows into existing tables
        never needs the right to create them); an existing table must have the store's columns."""
        try:
            have = {t.name: self._exists(t) for t in (self.members, self.catalog, self.changes)}
            if have[self.members.name] or have[self.catalog.name]:
                self._check_shape()
            for table, shape in ((self.members, _MEMBER_SHAPE), (self.catalog, _CATALOG_SHAPE)):
                if not have[table.name]:
                    for statement in self._create(table, shape):
                        self.engine.execute(statement)
            if not have[self.changes.name]:
                view = sql(changes_query(self.members, self.catalog), self.dialect)
                self.engine.execute(f"CREATE OR REPLACE VIEW {self._t(self.changes)} AS {view}")
        except self.engine.errors as exc:
            raise store_failure(self.where, exc) from None

    def open_for_reading(self) -> None:
        try:
            found = self.exists()
        except self.engine.errors as exc:
            raise store_failure(self.where, exc) from None
        if not found:
            raise store_failure(self.where, "there is no history store of that name",
                                "write a snapshot first: segdsl snapshot MODEL --store … ")
        self._check_shape()

    # ── reading ─────────────────────────────────────────────────────────────
    def snapshots(self, series: str | None = None) -> list[Snapshot]:
        query = exp.select(*[_col(c) for c in CATALOG_COLUMNS]).from_(self.catalog.copy())
        if series is not None:
            query = query.where(_text_equals(_col("series"), series, self.dialect))
        try:
            _, rows = self.engine.fetch(sql(query, self.dialect))
        except self.engine.errors as exc:
            raise store_failure(self.where, exc) from None
        return snapshots_from_rows(rows)

    def pair(self, series: str, first: dt.date, second: dt.date) -> exp.Expression:
        low = dl.get(self.dialect)
        query = (exp.select(_col("as_of"), _col("definition"), _col("value"), _col("member"))
                 .from_(self.members.copy())
                 .where(exp.and_(_text_equals(_col("series"), series, self.dialect),
                                 exp.In(this=_col("as_of"),
                                        expressions=[low.date_literal(first), low.date_literal(second)]))))
        return _aliased(query, "pair")

    # ── writing ─────────────────────────────────────────────────────────────
    def stage(self, source: Engine, compiled: "Compiled") -> exp.Expression:
        name = f"segdsl_snapshot_{uuid.uuid4().hex[:12]}"
        if source is self.engine:
            if self.dialect == "spark":
                return self.engine.keep(name, compiled.query)  # a cached temporary view, computed once
            self.engine.execute(f"CREATE TEMPORARY TABLE {self._q(name)} AS {compiled.sql}")
            return exp.Table(this=_id(name))
        return stage_arrow(self.engine, source, compiled)  # a local DuckDB file: members streamed in

    def unstage(self, staging: exp.Expression) -> None:
        name = staging.name
        try:
            if self.dialect == "spark":
                view = self.engine.views.pop(f"<{name}>", name)
                self.engine.spark.catalog.dropTempView(view)
            else:
                self.engine.execute(f"DROP TABLE IF EXISTS {self._q(name)}")
        except Exception:  # noqa: BLE001 - a temporary table goes with the session anyway
            pass

    def _catalog_rows(self, snapshot: Snapshot) -> list[list[exp.Expression]]:
        low = dl.get(self.dialect)
        values = []
        for s in snapshot.sizes:
            row = {"series": low.text_literal(snapshot.series), "as_of": low.date_literal(snapshot.as_of),
                   "definition": low.text_literal(s.definition), "kind": low.text_literal(s.kind),
                   "value": _text(s.value, self.dialect), "members": exp.Literal.number(s.members),
                   "population": exp.Literal.number(snapshot.population),
                   "fingerprint": low.text_literal(snapshot.fingerprint), "model": low.text_literal(snapshot.model),
                   "taken_at": self._timestamp(snapshot.taken_at)}
            values.append([row[c] for c in self._columns(_CATALOG_SHAPE)])
        return values

    def _timestamp(self, value: dt.datetime) -> exp.Expression:
        if self.dialect == "mysql":  # CAST(… AS DATETIME) drops the fraction of a second
            return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), dl.dtype("DATETIME(6)", "mysql"))
        return dl.get(self.dialect).timestamp_literal(value)

    def _member_rows(self, snapshot: Snapshot, rows: exp.Select) -> exp.Select:
        low = dl.get(self.dialect)
        fixed = {"series": exp.alias_(low.text_literal(snapshot.series), "series", quoted=True),
                 "as_of": exp.alias_(low.date_literal(snapshot.as_of), "as_of", quoted=True)}
        return exp.select(*[fixed.get(c) or _col(c, "r") for c in self._columns(_MEMBER_SHAPE)]).from_(
            _aliased(rows, "r"))

    def commit(self, snapshot: Snapshot, rows: exp.Select) -> None:
        if self.dialect == "spark":
            return self._commit_partitions(snapshot, rows)
        low = dl.get(self.dialect)
        this = exp.and_(_text_equals(_col("series"), snapshot.series, self.dialect),
                        exp.EQ(this=_col("as_of"), expression=low.date_literal(snapshot.as_of)))
        member_cols = self._columns(_MEMBER_SHAPE)
        catalog_cols = self._columns(_CATALOG_SHAPE)
        statements = [
            exp.delete(self.members.copy(), where=this.copy()),
            exp.Insert(this=exp.Schema(this=self.members.copy(), expressions=[_id(c) for c in member_cols]),
                       expression=self._member_rows(snapshot, rows)),
            exp.delete(self.catalog.copy(), where=this.copy()),
            exp.Insert(this=exp.Schema(this=self.catalog.copy(), expressions=[_id(c) for c in catalog_cols]),
                       expression=exp.Values(expressions=[exp.Tuple(expressions=r)
                                                          for r in self._catalog_rows(snapshot)])),
        ]
        begin = {"mysql": "START TRANSACTION", "duckdb": "BEGIN TRANSACTION"}.get(self.dialect, "BEGIN")
        self.engine.execute(begin)
        try:
            for statement in statements:
                self.engine.execute(sql(statement, self.dialect))
            self.engine.execute("COMMIT")
        except BaseException:
            try:
                self.engine.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - a lost connection rolls back by itself
                pass
            raise

    def _commit_partitions(self, snapshot: Snapshot, rows: exp.Select) -> None:
        """Spark: the snapshot's partition of each table overwritten, members first (see the module)."""
        conf = self.engine.spark.conf
        key = "spark.sql.sources.partitionOverwriteMode"
        was = conf.get(key, "static")
        conf.set(key, "dynamic")  # only the partitions written are replaced, written aside until the commit
        partitions = f"PARTITION ({self._q('series')}, {self._q('as_of')})"
        try:
            self.engine.execute(f"INSERT OVERWRITE TABLE {self._t(self.members)} {partitions} "
                                f"{sql(self._member_rows(snapshot, rows), 'spark')}")
            if not any(s.members for s in snapshot.sizes):  # nothing written: the old partition is still there
                spec = (f"{self._q('series')} = {sql(exp.Literal.string(snapshot.series), 'spark')}, "
                        f"{self._q('as_of')} = '{snapshot.as_of.isoformat()}'")
                self.engine.execute(f"ALTER TABLE {self._t(self.members)} DROP IF EXISTS PARTITION ({spec})")
            values = exp.Values(expressions=[exp.Tuple(expressions=r) for r in self._catalog_rows(snapshot)])
            self.engine.execute(f"INSERT OVERWRITE TABLE {self._t(self.catalog)} {partitions} {sql(values, 'spark')}")
        finally:
            conf.set(key, was)


def open_table_store(engine: Engine, table: str, where: str | None = None, owned: bool = False) -> TableStore:
    return TableStore(engine, table, where or f"table:{table} on {engine.describe()}", owned)


def open_duckdb_store(path, table: str, write: bool, where: str | None = None) -> TableStore:
    """A store in a local DuckDB file (created by the first snapshot)."""
    from pathlib import Path

    from .. import engines

    path = Path(path)
    where = where or str(path)
    if not write and not path.is_file():
        raise store_failure(where, "there is no such file", "write a snapshot first: segdsl snapshot MODEL --store "
                            f"{path}")
    if write and not path.parent.is_dir():
        raise store_failure(where, missing_folder(path.parent), "create it first")
    try:
        engine = engines.open_engine(f"duckdb:///{path.resolve()}", write=write)
    except SegError as exc:  # DuckDB's reason: a lock held by another process, not a DuckDB file, no permission
        raise store_failure(where, exc.diagnostics[0].message.split(": ", 1)[-1]) from None
    return TableStore(engine, table, where, owned=True)

