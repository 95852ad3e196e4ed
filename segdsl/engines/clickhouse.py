"""ClickHouse: embedded through chdb (chdb:///dir, or a given chdb Session) or a server (clickhouse-connect).

Queries run with `readonly = 2` (reads only; the query's own SETTINGS still
apply). File sources are read with the file() table function. Members
arrive as Arrow batches from both: chdb's streaming result, or the server's
ArrowStream format; a server query carries a query id so that `cancel()`
can KILL it.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from ..semantic.model import T
from .base import BATCH_ROWS, Engine, need, sibling, unreachable
from .files import file_relation, nan_as_null
from .url import TargetURL


def column_type(name: str) -> T:
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


# The parser's limits on a query's text (256 KiB) and syntax tree (50,000 elements) by default: a model with
# predictions writes ₂F₁'s series for every month of every value, which passes them. They apply while the
# query is parsed, before its own SETTINGS are read, so they are set per session (or per request).
PARSER_LIMITS = {"max_query_size": 64 * 2 ** 20, "max_ast_elements": 10_000_000,
                 "max_expanded_ast_elements": 10_000_000}


def with_setting(sql: str, name: str, value: str) -> str:
    """Add one setting to the SETTINGS clause that ends every compiled ClickHouse query."""
    match = re.search(r"\bSETTINGS\b(?=[^']*$)", sql)
    if match:
        return sql[:match.end()] + f" {name} = {value}," + sql[match.end():]
    return f"{sql} SETTINGS {name} = {value}"


class ClickHouseEngine(Engine):
    dialect = "clickhouse"
    reads_files = True

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        self._files: dict[str, exp.Expression] = {}
        self.write = write
        self.owned = connection is None
        self.client = None
        self.session = None
        self.tmp: tempfile.TemporaryDirectory | None = None
        self._streaming: Any = None
        self._query_id: str | None = None
        if connection is not None:
            if type(connection).__module__.startswith("clickhouse_connect"):
                self.client = connection
            else:
                self.session = connection
        elif url.scheme == "chdb":
            need("chdb", "clickhouse")
            from chdb import session as chs

            if not url.in_memory:
                path = url.path
                if not write and not Path(path).is_dir():  # chdb would create an empty database there
                    raise unreachable(url, FileNotFoundError(f"no chdb database folder {path}"),
                                      "give the folder of an existing chdb database (chdb:////abs/path, or "
                                      "chdb:/// for data files only)")
            else:
                self.tmp = tempfile.TemporaryDirectory(prefix="segdsl-chdb-")
                path = self.tmp.name
            try:
                self.session = chs.Session(path)
            except Exception as exc:  # noqa: BLE001 - chdb raises plain RuntimeError
                raise unreachable(url, exc) from None
        else:
            driver = need("clickhouse_connect", "clickhouse")
            import logging

            logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)  # the diagnostic says it all
            try:
                self.client = driver.get_client(host=url.host or "localhost", port=url.port or 8123,
                                                username=url.user or "default", password=url.password or "",
                                                database=url.database or "default",
                                                secure=url.params.get("secure") in ("1", "true"))
            except Exception as exc:  # noqa: BLE001 - clickhouse_connect wraps transport errors variously
                raise unreachable(url, exc) from None
        self.embedded = self.session is not None
        self.errors = (RuntimeError, OSError, pa.ArrowException) if self.session is not None else (Exception,)
        self._settings = dict(PARSER_LIMITS)
        if self.session is not None:
            try:
                self.session.query("SET " + ", ".join(f"{k} = {v}" for k, v in PARSER_LIMITS.items()), "CSV")
            except Exception as exc:  # noqa: BLE001 - chdb raises plain RuntimeError
                raise unreachable(url, exc) from None

    def source(self, source: str) -> exp.Expression:
        if not self.is_file_source(source) or self.session is None:
            return super().source(source)
        fmt = {".csv": "CSVWithNames", ".parquet": "Parquet", ".json": "JSONEachRow"}[Path(source).suffix.lower()]
        path = str((self.root / source).resolve())
        table = exp.Table(this=exp.Anonymous(this="file", expressions=[exp.Literal.string(path),
                                                                        exp.Literal.string(fmt)]))
        if source not in self._files:  # NaN as missing, a CSV file without rows as NULL columns (engines.files)
            def described() -> list[tuple[str, bool]]:
                _, rows = self._query("DESCRIBE (" + exp.select(exp.Star()).from_(table.copy()).sql("clickhouse") + ")")
                return [(r[0], column_type(r[1]) is T.NUMBER and "Float" in r[1]) for r in rows]

            self._files[source] = file_relation(table, Path(path), described, nan_as_null("isNaN", placeholder=True))
        return self._files[source].copy()

    def _read_only(self, sql: str) -> str:
        return sql if self.write else with_setting(sql, "readonly", "2")

    def _query(self, sql: str) -> tuple[list[str], list[tuple]]:
        if self.client is not None:
            result = self.client.query(sql, settings=self._settings)
            return list(result.column_names), [tuple(r) for r in result.result_rows]
        table = self.session.query(sql, "ArrowTable")
        names = list(table.column_names)
        return names, [tuple(r[n] for n in names) for r in table.to_pylist()] if names else []

    def columns(self, table: exp.Expression) -> dict[str, T]:
        _, rows = self._query("DESCRIBE (" + exp.select(exp.Star()).from_(table).sql("clickhouse") + ")")
        return {r[0]: column_type(r[1]) for r in rows}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        return self._query(self._read_only(sql))

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        sql = self._read_only(sql)
        if self.client is not None:
            self._query_id = f"segdsl-{uuid.uuid4().hex}"
            stream = self.client.query_arrow_stream(sql, settings={**self._settings, "query_id": self._query_id})
            context = stream.__enter__()
            first = next(iter(context), None)
            schema = first.schema if first is not None else pa.schema([])

            def batches():
                try:
                    if first is not None:
                        yield from (b for table in [first] for b in _batches(table))
                        for table in context:
                            yield from _batches(table)
                finally:
                    stream.__exit__(None, None, None)

            return pa.RecordBatchReader.from_batches(schema, batches())
        streaming = self._streaming = self.session.send_query(sql, "Arrow")

        def stop() -> None:
            # a query that failed while streaming (an overflow, a bad cast) leaves its bytes in the
            # session, and the session's next query would read them: end it here
            try:
                streaming.cancel()
            except Exception:  # noqa: BLE001 - best effort: it may have ended
                pass
            try:  # chdb 4 hands the failed stream's leftover bytes to the next Arrow query: that is this one
                self.session.query("SELECT 1", "ArrowTable")
            except Exception:  # noqa: BLE001 - expected to fail when there were leftovers
                pass

        try:
            reader = streaming.record_batch(rows_per_batch=BATCH_ROWS)
        except BaseException:
            stop()
            raise

        def batches():
            try:
                yield from reader
            except BaseException:
                stop()
                raise

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def execute(self, sql: str) -> None:
        if self.client is not None:
            self.client.command(sql, settings=self._settings)
        else:
            self.session.query(sql, "CSV")

    def cancel(self) -> None:
        super().cancel()
        try:
            if self._streaming is not None:
                self._streaming.cancel()
            if self.client is not None and self._query_id is not None:
                self.client.command(f"KILL QUERY WHERE query_id = '{self._query_id}'")
        except Exception:  # noqa: BLE001 - best effort: the query may have ended
            pass

    def write_table(self, table: exp.Table, select_sql: str) -> None:
        new = sibling(table, "__segdsl_new")
        self.execute(f"DROP TABLE IF EXISTS {new.sql('clickhouse')}")
        try:
            self.execute(f"CREATE TABLE {new.sql('clickhouse')} ENGINE = MergeTree ORDER BY tuple() "
                         f"AS {select_sql}")
        except BaseException:
            self.drop_quietly(new)
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


def _batches(part: Any) -> list[pa.RecordBatch]:
    return part.to_batches() if isinstance(part, pa.Table) else [part]
