"""DuckDB: the reference engine; its rules are the base rules, and it reads data files itself."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from .base import Dialect, lit, register

# A data file of the model, by its suffix: the table function that reads it.
READERS = {".csv": "read_csv_auto", ".parquet": "read_parquet", ".json": "read_json_auto"}


@register
class DuckDB(Dialect):
    """DuckDB: the reference engine, whose rules are the base rules."""

    name = "duckdb"
    tier = "verified"
    engine = "DuckDB, embedded (CI: duckdb 2.0)"
    notes = "the reference engine; reads .csv/.parquet/.json sources directly"
    target = "duckdb:///path.duckdb"
    schemes = ("duckdb",)
    file_schemes = ("duckdb",)
    connections = ("duckdb", "_duckdb")
    position = 1
    case_aggregates = True  # DuckDB slices its input once per FILTER: a fifth slower in a scan with many of them
    raw_time_windows = True

    def file_source(self, path: str) -> exp.Expression | None:
        return exp.Table(this=exp.Anonymous(this=READERS[Path(path).suffix.lower()], expressions=[lit(path)]))
