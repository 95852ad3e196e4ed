"""Exact sums on PostgreSQL, MariaDB and ClickHouse without a DECIMAL per row: the language's totals.

PostgreSQL, MariaDB and ClickHouse sum the whole parts and billionths of values under 2^22 as
integers and larger values as DECIMAL(38, 9); both must give each value at
nine decimal places, added exactly, as the reference evaluator does — on both
sides of the 2^22 boundary, for negative values and for a group of only
large values.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import segdsl
from tests.support.conformance.data import Table
from tests.support.reference import _nine_places

AS_OF = dt.date(2026, 6, 30)
VALUES = {
    1: (169.40, 139.81, 40.79),                      # 350 in one order, 350.00000000000006 in another
    2: (4194303.999999999, 0.000000001, -0.5),       # just under 2^22, the smallest billionth
    3: (4194304.25, 12345678.123456, -9000000.5),    # at and past 2^22: the DECIMAL path
    4: (-3844243.508783909, 1005853.402996509, 0.1, 0.2),
    5: (1e15, 0.3),                                  # far past 2^22 with a small value
    6: (2.11, 8.2, 16.38),                           # ClickHouse's CAST AS Decimal truncates these
}


@pytest.mark.parametrize("engine_name", ["postgres", "mysql", "clickhouse", "duckdb"])
def test_sums_follow_the_nine_places_rule_on_both_paths(engine_name: str, engine) -> None:
    rows = tuple((k, dt.datetime(2026, 6, 1, i), v) for k, vs in VALUES.items() for i, v in enumerate(vs))
    table = Table(f"amounts_{uuid.uuid4().hex[:6]}", (("customer_id", "int"), ("ordered_at", "ts"),
                                                      ("amount", "float")), rows)
    engine.add(table)
    model = segdsl.load('entity customers from "customers" key customer_id\n'
                        f'events pays from "{table.name}" by customer_id at ordered_at\n'
                        "feature total = sum(pays.amount)\nfeature mean = avg(pays.amount)\n"
                        "feature late = sum(pays.amount where ordered_at > @2026-06-01T00:30)\n"
                        "segment at_350 = total >= 350\n")
    target = engine.target()
    try:
        got = {r["customer_id"]: r for r in model.run_on(target, as_of=AS_OF, bindings=engine.bindings)
               .read_all().to_pylist()}
    finally:
        target.close()
    for key, values in VALUES.items():
        exact = float(sum(_nine_places(v) for v in values))
        later = float(sum(_nine_places(v) for v in values[1:]))
        assert got[key]["total"] == exact, (key, got[key]["total"], exact)
        assert got[key]["mean"] == exact / len(values), key
        assert got[key]["late"] == later, key
    assert got[1]["at_350"] is True and got[1]["total"] == 350.0
    customers_without = [r for k, r in got.items() if k not in VALUES]
    assert customers_without and all(r["total"] is None and r["late"] is None for r in customers_without)
