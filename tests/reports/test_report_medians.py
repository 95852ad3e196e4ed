"""Medians in reports are the same figure on every engine, to the last printed digit.

Engines interpolate the two middle values by different formulas: the median
of 0.1 and 30.2 is 15.149999999999999 on PostgreSQL (a + (b − a) / 2) and
15.15 elsewhere ((a + b) / 2). By hand: (0.1 + 30.2) / 2 = 15.15.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

import segdsl
from segdsl.reports import compute as rep
from tests.support.conformance.data import Table
from tests.support.engines import VERIFIED_ENGINES


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_a_median_is_the_same_figure_on_every_engine(engine_name: str, engine, tmp_path: Path) -> None:
    name = f"defects_people_{uuid.uuid4().hex[:6]}"
    engine.add(Table(name, (("customer_id", "int"), ("score", "float"), ("vip", "bool")),
                     ((1, 0.1, True), (2, 30.2, False), (3, 7.0, True), (4, None, False))))
    path = tmp_path / "m.seg"
    path.write_text(f'entity people from "{name}" key customer_id\n'
                    "feature points = score\nsegment low = customer_id = 3\n"
                    "report profile of low\n", encoding="utf-8")
    model = segdsl.load(path)
    target = engine.target()
    try:
        results = list(model.report(connection=target, as_of=dt.date(2026, 6, 30)))
    finally:
        target.close()
    medians = next(b for b in results[0].blocks if isinstance(b, rep.Table) and b.title == "Medians")
    # inside `low`: 7.0; outside: 0.1 and 30.2 (4 has no score)
    assert medians.rows == [["points", 7.0, 15.15]]
