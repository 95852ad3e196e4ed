"""`segdsl fmt` for `test` blocks: one canonical layout, used by segdsl.lang.formatter.

    test name "label" {
      as_of @2026-06-30
      params { vip_spend = 500 }
      customers (customer_id, city) { 1, "Kraków"; 2, "Łódź" }
      orders (customer_id, ordered_at, amount) {
        1, @2026-06-01, 900
        2, @2025-01-01, 5000
      }
      expect vip = [1]
    }

Settings first, in the order written, then fixtures, then expectations.
A fixture written on one line stays on one line when it fits; else one
row per line, values aligned in columns.
"""

from __future__ import annotations

from typing import Callable

from . import testblocks as t

WIDTH = 100


def value_text(v: t.Value, quote: Callable[[str], str]) -> str:
    if isinstance(v.value, str):
        return quote(v.value)
    return v.text


def lines(test: t.Test, name: Callable, quote: Callable[[str], str], spans: Callable, make_line: Callable) -> list:
    """The lines of a test block: `make_line(indent, text, anchors, comment_indent=None)` builds one."""
    val = lambda v: value_text(v, quote)  # noqa: E731
    head = f"test {name(test.name)}" + (f" {quote(test.label)}" if test.label is not None else "") + " {"
    out = [make_line(0, head, [(test.span.line, test.span.column)] + spans(test.name, []))]
    for setting in test.settings:
        if setting.kind == "as_of" and setting.value is not None:
            out.append(make_line(2, f"as_of {setting.value.text}", spans(setting, [])))
        elif setting.kind == "params":
            body = ", ".join(f"{name(p.name)} = {val(p.value)}" for p in setting.params)
            out.append(make_line(2, "params { " + body + " }" if body else "params {}", spans(setting, [])))
    for fx in test.fixtures:
        if fx.file is not None:
            out.append(make_line(2, f"{name(fx.source)} from {quote(fx.file)}", spans(fx, [])))
            continue
        cols = f"{name(fx.source)} (" + ", ".join(name(c) for c in fx.columns) + ")"
        rows = [[val(v) for v in r.values] for r in fx.rows]
        flat = cols + " { " + "; ".join(", ".join(r) for r in rows) + " }" if rows else cols + " {}"
        if fx.span.line == fx.span.end_line and 2 + len(flat) <= WIDTH:
            out.append(make_line(2, flat, spans(fx, [])))
            continue
        out.append(make_line(2, cols + " {", [(fx.span.line, fx.span.column)] + spans(fx.source, [])
                             + spans(fx.columns, [])))
        widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(max(map(len, rows)))]
        for r, row in zip(rows, fx.rows):
            cells = [c + "," + " " * (widths[i] - len(c)) if i < len(r) - 1 else c for i, c in enumerate(r)]
            out.append(make_line(4, " ".join(cells).rstrip(), spans(row, [])))
        out.append(make_line(2, "}", [(fx.span.end_line, max(fx.span.end_column - 1, 1))], comment_indent=4))
    for e in test.expects:
        subject = ".".join(name(n) for n in e.subject)
        keys = "[" + ", ".join(val(k) for k in e.keys) + "]"
        text = {"members": f"expect {subject} = {keys}", "not_in": f"expect {subject} not in {keys}",
                "contains": f"expect {subject} contains {keys}"}.get(e.kind)
        if text is None:
            key = val(e.key) if e.key else "missing"
            text = f"expect {subject} of {key} " + ("is missing" if e.kind == "missing" else
                                                    f"= {val(e.value) if e.value else 'missing'}")
        out.append(make_line(2, text, spans(e, [])))
    out.append(make_line(0, "}", [(test.span.end_line, max(test.span.end_column - 1, 1))], comment_indent=2))
    return out
