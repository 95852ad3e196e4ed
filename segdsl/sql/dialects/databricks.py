"""Databricks SQL: Spark's rules, with ESCAPE written out and Delta's atomic replace."""

from __future__ import annotations

from sqlglot import exp

from .base import Dialect, escaped_like, register
from .spark import Spark


@register
class Databricks(Spark):
    name = "databricks"
    tier = "generated"
    engine = "Databricks SQL"
    notes = "the Spark rules; UTF8_BINARY collation assumed"
    position = 10
    max_identifier = 255

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant)

    def statements(self, kind: str, name: exp.Table, query: exp.Expression) -> list[exp.Expression | str]:
        return Dialect.statements(self, kind, name, query)  # Delta tables replace atomically
