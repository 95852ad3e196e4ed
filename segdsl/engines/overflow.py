"""A whole number beyond 64 bits: one coded diagnostic (SEG315) whichever engine noticed it.

Whole numbers in the language are 64-bit integers on every engine (counts,
days, arithmetic of integer columns). DuckDB, PostgreSQL, MariaDB and Spark
raise their own overflow errors, each with its own words; SQLite would turn
an integer + - * past 2⁶³ into a REAL and ClickHouse would wrap it around,
so their dialects check the result (dialects.sqlite makes SQLite raise its
own "integer overflow", dialects.clickhouse calls throwIf). Each of
these errors becomes SEG315 with the same message and hint, never a wrapped
value, a crash in a file writer or an engine's raw message as SEG305.
"""

from __future__ import annotations

import re

from ..lang.diagnostics import SegError, error

# the engines' words for an integer that does not fit (not dates out of range, not text too long)
_OVERFLOW = re.compile("|".join([
    r"Overflow in (addition|subtraction|multiplication|negation|division|SUM|cast)",  # DuckDB
    r"out of range for the destination type U?INT(8|16|32|64)",  # DuckDB casts
    r"\b(bigint|integer|smallint) out of range",  # PostgreSQL
    r"numeric field overflow",  # PostgreSQL casts of NUMERIC
    r"BIGINT( UNSIGNED)? value is out of range",  # MariaDB / MySQL
    r"^integer overflow$",  # SQLite
    r"ARITHMETIC_OVERFLOW|CAST_OVERFLOW|long overflow",  # Spark (ANSI)
    r"Integer value -?\d+ not in range",  # Arrow's checked casts
    r"SEGDSL_OVERFLOW",  # ClickHouse's checked arithmetic
]), re.IGNORECASE | re.MULTILINE)

LIMIT = "±9 223 372 036 854 775 807 (2⁶³ − 1)"


def is_overflow(exc: BaseException) -> bool:
    """Whether an engine's error says that a whole number does not fit in 64 bits."""
    return bool(_OVERFLOW.search(str(exc)))


def overflow_error(where: str) -> SegError:
    return error("SEG315", f"a whole number computed by {where} is beyond the 64-bit range {LIMIT}", None,
                 "whole numbers (counts, days, sums and products of integer columns) are 64-bit on every "
                 "engine; scale the value in the model, for example `amount / 1000` (division gives a "
                 "real number)")


__all__ = ["is_overflow", "overflow_error"]
