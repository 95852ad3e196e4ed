"""Params: the values a run gives them, from the command line (text) or from Python, checked against their types."""

from __future__ import annotations

import datetime as dt

from ..lang.diagnostics import did_you_mean, error
from . import model as m


def parse_param(param: m.Param, raw: object) -> object:
    """A parameter value from the command line (text) or from Python, checked against its type."""
    t = param.type
    bad = error("SEG301", f"`{raw}` is not a {t.value} for parameter `{param.name}`", param.span,
                {m.T.NUMBER: "for example --param {n}=2500", m.T.TEXT: "any text works: --param {n}=web",
                 m.T.DATE: "for example --param {n}=2025-01-31", m.T.BOOL: "true or false",
                 m.T.TIMESTAMP: "for example --param {n}=2025-01-31T10:00"}[t].format(n=param.name))
    if not isinstance(raw, str):
        ok = {m.T.NUMBER: isinstance(raw, (int, float)) and not isinstance(raw, bool),
              m.T.TEXT: isinstance(raw, str), m.T.BOOL: isinstance(raw, bool),
              m.T.DATE: isinstance(raw, dt.date) and not isinstance(raw, dt.datetime),
              m.T.TIMESTAMP: isinstance(raw, dt.datetime)}[t]
        if not ok:
            raise bad
        return raw
    try:
        if t is m.T.NUMBER:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return int(raw) if raw.strip().lstrip("-").isdigit() else value
        if t is m.T.BOOL:
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if t is m.T.DATE:
            return dt.date.fromisoformat(raw)
        if t is m.T.TIMESTAMP:
            return dt.datetime.fromisoformat(raw)
        return raw
    except ValueError:
        raise bad from None


def resolve_params(ir: m.CheckedModel, params: dict[str, object] | None) -> dict[str, object]:
    """Values for a model's params, from the command line (text) or from Python, each checked against its
    type; a param that fixes the shape of a segmentation keeps its default."""
    out: dict[str, object] = {}
    for name, raw in (params or {}).items():
        if name not in ir.params:
            raise error("SEG301", f"the model has no parameter `{name}`", None,
                        did_you_mean(name, ir.params) or
                        f"parameters: {', '.join(ir.params) or 'none'}")
        param = ir.params[name]
        out[name] = parse_param(param, raw)
        if name in ir.structural_params and out[name] != param.value:
            raise error("SEG301", f"`{name}` sets the shape of a segmentation (its cases) and cannot be "
                        "overridden", param.span, f"change its default in the model: {name} = {raw}")
    return out


def today() -> dt.date:
    """The current date in UTC, the zone every engine session is read in.

    The machine's local date would make answers depend on its zone: west of
    UTC an event that already happened today (UTC) would lie after the end
    of as_of and not count, and `run` would disagree with the compiled SQL,
    whose current date is the engine's in a UTC session.
    """
    return dt.datetime.now(dt.timezone.utc).date()


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """`--as-of`: a date, `today`, or None (today, in UTC)."""
    if value is None or value == "today":
        return today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error("SEG302", f"`{value}` is not a date", None, "write --as-of as YYYY-MM-DD or today") from None
