"""Comparing an engine's members with the reference evaluator's."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any


def _number(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def same_value(engine: Any, expected: Any) -> bool:
    """Exact for everything but non-integral numbers, which may differ in the last bits of a sum."""
    if engine is None or expected is None:
        return engine is None and expected is None
    if isinstance(engine, bool) or isinstance(expected, bool):
        return isinstance(engine, bool) and isinstance(expected, bool) and engine == expected
    if _number(engine) and _number(expected):
        if isinstance(engine, int) and isinstance(expected, int):
            return engine == expected
        return math.isclose(float(engine), float(expected), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(engine, dt.datetime) or isinstance(expected, dt.datetime):
        return isinstance(engine, dt.datetime) and isinstance(expected, dt.datetime) and engine == expected
    if isinstance(engine, dt.date) and isinstance(expected, dt.date):
        return engine == expected
    if isinstance(engine, str) and isinstance(expected, str):
        return engine == expected
    return False


def rows_of(members: Any) -> tuple[list[str], list[tuple]]:
    """Column names and rows of an engine's members (an Arrow table or reader), as Python values."""
    table = members.read_all() if hasattr(members, "read_all") else members
    columns = table.column_names
    values = [table.column(c).to_pylist() for c in columns]
    return columns, list(zip(*values)) if values else []


def assert_same_members(members: Any, expected: dict[Any, dict[str, Any]], context: str = "") -> None:
    """Same population, same columns, same value in every cell."""
    columns, rows = rows_of(members)
    got = {}
    for row in rows:
        assert row[0] not in got, f"{context}: member {row[0]!r} appears twice"
        got[row[0]] = dict(zip(columns[1:], row[1:]))
    only_engine = sorted(map(repr, set(got) - set(expected)))
    only_reference = sorted(map(repr, set(expected) - set(got)))
    assert not only_engine and not only_reference, (
        f"{context}: population differs: only on the engine {only_engine}, only in the reference {only_reference}")
    problems = []
    for key, values in expected.items():
        assert set(values) == set(columns[1:]), (
            f"{context}: columns differ: {sorted(columns[1:])} vs {sorted(values)}")
        for name, value in values.items():
            if not same_value(got[key][name], value):
                problems.append(f"member {key!r}, `{name}`: engine {got[key][name]!r}, reference {value!r}")
    assert not problems, f"{context}: {len(problems)} values differ:\n  " + "\n  ".join(problems[:25])
