"""Snowflake: boolean aggregates, and a printer that skips SELECT rewrites that cannot apply."""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp
from sqlglot.generator import Generator

from ...semantic.model import T
from .base import buckets, Dialect, escaped_like, fn, lit, md5_hex8, nodes, register

# Constructs that sqlglot's Snowflake printer rewrites in every SELECT before printing it (UNNEST, EXPLODE,
# GENERATE_DATE_ARRAY, named windows, DISTINCT ON, semi and anti joins).
_REWRITTEN = tuple(t for t in (getattr(exp, n, None) for n in ("Unnest", "Explode", "GenerateDateArray", "Lateral"))
                   if t is not None)


def _rewrites_apply(query: exp.Expression) -> bool:
    for node in nodes(query):
        if isinstance(node, _REWRITTEN):
            return True
        if isinstance(node, exp.Select) and node.args.get("windows"):
            return True
        if isinstance(node, exp.Distinct) and node.args.get("on"):
            return True
        if isinstance(node, exp.Join) and node.kind in ("SEMI", "ANTI"):
            return True
    return False


@functools.cache
def _generator() -> type[Generator]:
    """Snowflake's printer, printing a SELECT without its rewrites where none can apply.

    Each rewrite looks through the whole query, which is 40 % of the time to
    print a large model; a SELECT without any of the constructs they rewrite
    is left as it is by all of them.
    """
    base = sqlglot.Dialect.get_or_raise("snowflake").generator_class
    rewrite = base.TRANSFORMS[exp.Select]

    def select(gen: Generator, expression: exp.Select) -> str:
        return rewrite(gen, expression) if _rewrites_apply(expression) else gen.select_sql(expression)

    return type("SnowflakeGenerator", (base,), {"TRANSFORMS": {**base.TRANSFORMS, exp.Select: select}})


@register
class Snowflake(Dialect):
    name = "snowflake"
    tier = "generated"
    engine = "Snowflake"
    notes = "default (binary) collation assumed"
    position = 7
    filter_clause = False
    max_identifier = 255
    bool_min_max = True

    def generator(self) -> type[Generator]:
        return _generator()

    def min_max(self, func: str, arg: exp.Expression, t: T) -> exp.Expression:
        if t is T.BOOL:  # BOOLAND_AGG and BOOLOR_AGG, the aggregates Snowflake has for booleans
            return (exp.LogicalAnd if func == "min" else exp.LogicalOr)(this=arg)
        return super().min_max(func, arg, t)

    def like(self, subject: exp.Expression, pattern: exp.Expression, constant: str | None) -> exp.Expression:
        return escaped_like(subject, pattern, constant)

    def hash_bucket(self, text: exp.Expression) -> exp.Expression:
        return buckets(fn("TO_NUMBER", md5_hex8(text), lit("XXXXXXXX")))
