"""Fixture rows as derived tables of a query, on any engine.

A test's rows reach the engine inside the query itself, as
`(SELECT … UNION ALL SELECT …)` in place of each source, with every value
cast to its column's type in the engine's dialect. Nothing is created on the
engine, so a test can run against a production warehouse through a read-only
session and never touch its tables; and the model is compiled by the same
compiler, for the same dialect, as `segdsl run` compiles it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from ..engines.base import Engine
from ..semantic.model import T
from ..sql import dialects as dl
from ..sql.dialects.base import dtype, num
from .fixtures import Schemas, SourceTable

_SQL_TYPES = {T.TEXT: "TEXT", T.BOOL: "BOOLEAN", T.DATE: "DATE", T.TIMESTAMP: "TIMESTAMP"}


def _type(table: SourceTable, column: str, dialect: str) -> exp.DataType:
    ty = table.types[column]
    name = ("BIGINT" if table.integral.get(column) else "DOUBLE") if ty is T.NUMBER else _SQL_TYPES.get(ty, "TEXT")
    if dialect == "clickhouse":  # a missing value needs a Nullable type; Date32 and DateTime64 reach before 1970
        inner = {"DATE": "Date32", "TIMESTAMP": "DateTime64(6)"}.get(name) or dtype(name, dialect).sql("clickhouse")
        return exp.DataType.build(f"Nullable({inner})", dialect="clickhouse")
    return dtype(name, dialect)


def cell(value: object, table: SourceTable, column: str, dialect: str) -> exp.Expression:
    """One value of a fixture as a literal of the dialect, of its column's type."""
    low = dl.get(dialect)
    ty = table.types[column]
    if value is None:
        literal: exp.Expression = exp.Null()
    elif ty is T.BOOL or isinstance(value, bool):
        literal = exp.Boolean(this=bool(value)) if dialect != "sqlite" else num(int(bool(value)))
    elif isinstance(value, (int, float)):
        literal = num(value)
    elif isinstance(value, dt.datetime):
        literal = low.timestamp_literal(value)
    elif isinstance(value, dt.date):
        literal = low.date_literal(value)
    else:
        literal = low.text_literal(str(value))
    if dialect == "sqlite":  # SQLite stores what it is given: ISO text for dates, as applications do
        return literal
    if dialect == "clickhouse" and isinstance(value, dt.date):  # read as Date32/DateTime64, not as Date first
        literal = exp.Literal.string(value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat())
    return exp.cast(literal, _type(table, column, dialect))


def derived_table(table: SourceTable, dialect: str) -> exp.Subquery:
    """The fixture's rows as a derived table with every column the model reads."""
    low = dl.get(dialect)
    rows = table.rows or [tuple(None for _ in table.columns)]
    selects = [low.constant_row(exp.select(*[cell(v, table, c, dialect).as_(exp.to_identifier(c, quoted=True))
                                             for v, c in zip(row, table.columns)])) for row in rows]
    if not table.rows:
        selects = [selects[0].where(exp.EQ(this=num(1), expression=num(0)))]
    query: exp.Expression = selects[0]
    for more in selects[1:]:
        query = exp.union(query, more, distinct=False)
    return exp.Subquery(this=query)


class FixtureEngine:
    """An engine whose model sources are a test's fixtures; everything else is the engine's own.

    `source` gives the derived table of a fixture, `columns` its types, so
    every stage that reads a model's data through an engine (compiling a run,
    `explain`) reads the fixtures without knowing it.
    """

    def __init__(self, engine: Engine, tables: dict[str, SourceTable], schemas: Schemas):
        self._engine = engine
        self._tables = tables
        self._types = {}
        for table in tables.values():
            self._types[self.source(table.source).sql(engine.dialect)] = dict(table.types)

    def source(self, source: str) -> exp.Expression:
        table = self._tables.get(source)
        if table is None:
            return self._engine.source(source)
        return derived_table(table, self._engine.dialect)

    def is_file_source(self, source: str) -> bool:
        return False if source in self._tables else self._engine.is_file_source(source)

    def columns(self, table: exp.Expression) -> dict[str, T]:
        found = self._types.get(table.sql(self._engine.dialect))
        return dict(found) if found is not None else self._engine.columns(table)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
