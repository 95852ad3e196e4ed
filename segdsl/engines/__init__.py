"""Engines: where a compiled model runs — one module per engine, one execution path for all.

    base        the adapter every engine implements (connect, columns, fetch, stream, cancel, swap)
    url         target URLs (postgresql://…, duckdb:///…) and how they are shown
    arrow       results in the language's Arrow types, sizes counted while streaming, atomic files
    duckdb …    one module per engine: DuckDB, SQLite, PostgreSQL, MySQL/MariaDB, Spark, ClickHouse
    execution   reading schemas, compiling for the engine, running with progress, timeout and Ctrl-C

May import: segdsl.lang, segdsl.semantic, segdsl.predict (fitting a model's predictions on an engine), segdsl.sql (the compiler, and the dialects, which
declare each engine's URL schemes and connections). Nothing in those imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lang.diagnostics import error
from ..sql import dialects
from .base import Engine
from .url import SCHEMES, TargetURL, parse_target

# the Python module of an open connection → dialect, as each dialect declares them (segdsl.sql.dialects)
_CONNECTIONS = dialects.connections()


def adapter(dialect: str) -> type[Engine]:
    """The engine of a dialect: the Engine class of module segdsl.engines.<dialect>, imported only when a
    target needs it (its driver is imported when it connects)."""
    import importlib

    module = importlib.import_module(f"{__name__}.{dialect}")
    return next(cls for cls in vars(module).values()
                if isinstance(cls, type) and issubclass(cls, Engine) and cls.__module__ == module.__name__
                and getattr(cls, "dialect", None) == dialect)


def open_engine(target: str | Any, root: Path | None = None, write: bool = False) -> Engine:
    """An engine from a URL, or wrapped around an open connection or session.

    Accepted connections: duckdb, sqlite3, psycopg/psycopg2, pymysql, a
    SparkSession, a chdb Session or a clickhouse_connect client. Those are
    not closed by the engine.
    """
    root = root or Path.cwd()
    if isinstance(target, Engine):
        return target
    if isinstance(target, str):
        url = parse_target(target)
        return adapter(url.dialect)(url, root, write=write)
    dialect = _CONNECTIONS.get(type(target).__module__.split(".")[0])
    if dialect is None:
        raise error("SEG312", f"cannot run on a `{type(target).__name__}`", None,
                    "pass a target URL, or a duckdb, sqlite3, psycopg, pymysql, SparkSession or chdb connection")
    return adapter(dialect)(None, root, write=write, connection=target)


def open_duckdb(db: str | Path | None = None, root: Path | None = None) -> Engine:
    """DuckDB on a database file (read-only) or in memory: `--db`, or the model's data files alone."""
    url = parse_target(f"duckdb:///{Path(db).resolve()}" if db is not None else "duckdb:///:memory:")
    if db is not None and not Path(db).is_file():
        raise error("SEG304", f"cannot find the database `{db}`", None, "give the path of a .duckdb file")
    engine = adapter("duckdb")(url, root or Path.cwd())
    engine.implicit = db is None  # no database named: tables must come from --db
    return engine


__all__ = ["Engine", "TargetURL", "parse_target", "open_engine", "open_duckdb", "adapter", "SCHEMES"]
