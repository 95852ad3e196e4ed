"""Trino, Starburst and Athena v3."""

from __future__ import annotations

from sqlglot import exp

from .base import buckets, Dialect, escaped_like, fn, md5_hex8, num, register


@register
class Trino(Dialect):
    name = "trino"
    tier = "generated"
    engine = "Trino / Starburst / Athena v3"
    position = 11
    filter_clause = True

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return buckets(fn("FROM_BASE", md5_hex8(text), num(16)))
