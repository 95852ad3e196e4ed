"""Checks of the trait aggregates: most_frequent, first, last and share.

They are aggregates like the others (one events source, windows and
`where`), with rules of their own: first and last order the events by
their time column, so it must hold dates or timestamps; a share measures
the part of a whole that its `where` selects, so it needs one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import model as m
from ..lang import syntax as s
from .model import T

if TYPE_CHECKING:
    from .checker import Checker

# Aggregates that keep the value they pick (the type of their argument).
PICKED = ("most_frequent", "first", "last")
TRAITS = PICKED + ("share",)
# Aggregates written with a bare events source: count(orders), exists(orders where …), share(visits where …).
OF_SOURCE = ("count", "exists", "share")


def check_share(c: "Checker", e: s.Aggregate, source: str, arg: m.Expr | None) -> bool:
    """Whether a share is well formed: it needs `where` (the part), and a number to add up if it has a column."""
    ok = True
    if e.where is None:
        c.out.add("SEG150", "share needs `where`: the condition that selects the part of the whole", e.span,
                  f'for example share({source}.amount where category = "outdoor"), or share({source} where …)'
                  " to count events")
        ok = False
    if arg is not None and arg.type not in (T.NUMBER, T.ANY):
        c.out.add("SEG150", f"share adds up numbers, but this is a {arg.type.value}", _span(e.target),
                  f"share({source} where …) is the share of the events themselves")
        ok = False
    return ok


def check_event_time(c: "Checker", e: s.Aggregate, source: str) -> bool:
    """first and last order by the event time: a column declared as anything but a date or timestamp cannot."""
    ev = c.events[source]
    t = c._column_type(source, ev.at.text, None)
    if t is T.ANY or t.is_time:
        return True
    c.out.add("SEG151", f"{e.func.text} orders the events of `{source}` by `{ev.at.text}`, which holds "
              f"{t.value}s, not dates or timestamps", e.func.span,
              f"declare `{ev.at.text}` as a date or timestamp, or name the time column after `at`")
    return False


def _span(e: s.Expr) -> object:
    return getattr(e, "span", None)
