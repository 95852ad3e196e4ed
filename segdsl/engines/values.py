"""Single values from engines' small results (report cells, one member's explanation) as Python values.

Large results never come through here: they stay Arrow (segdsl.engines.arrow).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from ..semantic import model as m
from ..semantic.model import T


def normalise(value: Any, t: T) -> Any:
    """An engine value as the Python value of the language type `t`.

    Booleans come as 0/1 from MySQL and SQLite, numbers as Decimal from
    PostgreSQL and MySQL, dates and timestamps as text from SQLite, text as
    bytes when MySQL compared it as binary, timestamps with a time zone from
    PostgreSQL (read in UTC and returned without one).
    """
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)) and t is not T.BOOL:
        value = bytes(value).decode("utf-8")
    if t is T.BOOL:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t")
        if isinstance(value, (bytes, bytearray)):
            return any(value) and value not in (b"0",)
        return bool(value)
    if t is T.NUMBER or (t is T.ANY and isinstance(value, decimal.Decimal)):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return float(value)
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        return value
    if t is T.DATE:
        if isinstance(value, dt.datetime):
            return _utc(value).date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10])
    if t is T.TIMESTAMP:
        if isinstance(value, dt.datetime):
            return _utc(value)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        text = str(value).replace("T", " ")
        return _utc(dt.datetime.fromisoformat(text))
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def _utc(v: dt.datetime) -> dt.datetime:
    return v.astimezone(dt.timezone.utc).replace(tzinfo=None) if v.tzinfo is not None else v


def definition_types(ir: m.CheckedModel) -> dict[str, T]:
    """The language type of every column a membership query can have, by name (RFM scores included)."""
    out: dict[str, T] = {ir.entity.key: T.ANY}
    out.update({n: f.type for n, f in ir.features.items()})
    out.update({n: T.BOOL for n in ir.segments})
    out.update({n: T.TEXT for n in ir.holdouts})
    for n, d in ir.segmentations.items():
        out[n] = d.type
        if isinstance(d, m.RfmSegmentation):
            out.update({f"{n}_{s}": T.NUMBER for s in d.SCORES})
    return out
