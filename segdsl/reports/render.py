"""Rendering of computed reports: terminal, Markdown, HTML, JSON, CSV.

Markdown and HTML come from Jinja templates shipped in the package; the
HTML page is self-contained (inline CSS and SVG charts, no scripts, fonts or
network), so it can be mailed, archived or printed as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from .compute import Bars, Heatmap, ReportResult, Table
from .calibration import Lines
from .persona import Card

FORMATS = ("terminal", "md", "html", "json", "csv")
SERIES_COLOURS = ("#3b6ea8", "#e07b39", "#5a9e6f")


@dataclass
class Context:
    """What the header of a document says."""

    model: str
    as_of: dt.date
    source: str
    generated: dt.datetime


def fmt(value: Any, kind: str) -> str:
    """A figure as people read it; missing values are an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    # A measure may be a date, a timestamp or text (min(signup_date)), whatever its column's kind.
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "index":
        return f"{value:.0f}"
    if kind == "pvalue":
        return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
    if kind == "num":
        v = float(value)
        if abs(v) >= 1e15:  # past a double's 15 digits the places would be noise (1e308 has 309 of them)
            return f"{v:.4g}"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"
    return str(value)


def _top(values: list[list[float | None]]) -> float:
    """The largest value of a heatmap, which colours it (1 when it has none: every cell empty)."""
    present = [v for row in values for v in row if v is not None]
    return max(present, default=0) or 1


def _line_chart(b: Any, width: int = 520, height: int = 220) -> dict[str, Any]:
    """Where a line chart puts its points: x evenly over the labels, y from 0 to the largest value (a
    missing value breaks no line: the point is left out)."""
    top = max((v for s in b.values for v in s if v is not None), default=0) or 1
    n = max(len(b.labels) - 1, 1)
    xs = [round(i * width / n, 1) for i in range(len(b.labels))]
    series = [" ".join(f"{x},{round(height - (v / top) * height, 1)}" for x, v in zip(xs, s) if v is not None)
              for s in b.values]
    every = max(1, math.ceil(len(b.labels) / 12))
    ticks = [(xs[i], b.labels[i]) for i in range(0, len(b.labels), every)]
    return {"series": series, "top": top, "ticks": ticks, "width": width, "height": height}


def _md(text: object) -> str:
    """A Markdown table cell: a pipe would end the cell, and HTML from the data is shown, not rendered."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _heat(value: float | None) -> str:
    """White to blue by a share 0..1."""
    if value is None:
        return "#f4f4f4"
    v = max(0.0, min(1.0, float(value)))
    r, g, b = (round(255 - (255 - c) * v) for c in (43, 108, 176))
    return f"rgb({r},{g},{b})"


def _ink(value: float | None) -> str:
    return "#ffffff" if value is not None and value > 0.55 else "#1a1a1a"


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("segdsl.reports", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["md"] = _md
    env.globals.update(heat=_heat, ink=_ink, top=_top, colours=SERIES_COLOURS, is_table=lambda b: isinstance(b, Table),
                       is_bars=lambda b: isinstance(b, Bars), is_heatmap=lambda b: isinstance(b, Heatmap),
                       is_card=lambda b: isinstance(b, Card), is_lines=lambda b: isinstance(b, Lines),
                       line_chart=_line_chart)
    return env


def render(results: list[ReportResult], context: Context, format: str) -> str:
    if format in ("md", "html"):
        template = _environment().get_template(f"report.{format}.j2")
        return template.render(results=results, ctx=context)
    if format == "json":
        doc = {"model": context.model, "as_of": context.as_of.isoformat(), "source": context.source,
               "generated": context.generated.isoformat(timespec="seconds"),
               "reports": [asdict(r) | {"blocks": [_block(b) for b in r.blocks]} for r in results]}
        return json.dumps(_json_safe(doc), indent=2, default=str, ensure_ascii=False, allow_nan=False)
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["report", "table", "row", "column", "value"])
        for r in results:
            for title, b in _tables(r.blocks):
                for row in b.rows:
                    for column, value in zip(b.columns[1:], row[1:]):
                        writer.writerow([r.name, title, row[0], column, "" if value is None else value])
        return buf.getvalue()
    raise ValueError(format)


def _block(b: Table | Bars | Heatmap | Card | Lines) -> dict[str, Any]:
    """A block as JSON, with its type; a card holds blocks of its own."""
    out = dict(asdict(b), type=type(b).__name__.lower())
    if isinstance(b, Card):
        out["blocks"] = [_block(x) for x in b.blocks]
    return out


def _tables(blocks: list) -> list[tuple[str, Table]]:
    """The tables of a report with their titles, those of a card titled after it too."""
    out: list[tuple[str, Table]] = []
    for b in blocks:
        if isinstance(b, Table):
            out.append((b.title, b))
        elif isinstance(b, Card):
            out += [(f"{b.title}: {t}", x) for t, x in _tables(b.blocks)]
    return out


def _json_safe(value: Any) -> Any:
    """Figures as JSON can hold them: NaN (from NaN in the data) is missing, as the other formats show it,
    and an infinity is the text "inf" or "-inf"; Python's NaN and Infinity tokens are not JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def print_terminal(results: list[ReportResult], context: Context, console) -> None:
    """Rich tables with inline bars for shares.

    Every text from the model or the data (names, labels, values, file
    names) is escaped: `[red]` in a city is a city, not a colour, and
    `[/bold]` is no markup error.
    """
    from rich.markup import escape
    from rich.table import Table as RichTable

    console.print(f"[bold]{escape(context.model)}[/bold] as of {context.as_of.isoformat()} · "
                  f"{escape(context.source)}")
    def table(b: Table) -> None:
        t = RichTable(title=escape(b.title), title_justify="left")
        for c, kind in zip(b.columns, b.kinds):
            t.add_column(escape(str(c)), justify="left" if kind == "text" else "right")
        bar_col = b.kinds.index("pct") if "pct" in b.kinds else None
        if bar_col is not None and len(b.columns) <= 8:
            t.add_column("")
        for row in b.rows:
            cells = [escape(fmt(v, k)) for v, k in zip(row, b.kinds)]
            if bar_col is not None and len(b.columns) <= 8:
                share = row[bar_col] or 0.0
                cells.append(f"[cyan]{'█' * round(share * 20)}[/cyan]")
            t.add_row(*cells)
        console.print(t)

    for r in results:
        console.rule(f"[bold]{escape(r.title)}[/bold]")
        for b in r.blocks:
            if isinstance(b, Card):  # a persona: its title, then its tables
                console.rule(escape(b.title), characters="·", align="left")
                for x in b.blocks:
                    if isinstance(x, Table):
                        table(x)
            elif isinstance(b, Table):
                table(b)
        for note in r.notes:
            console.print(f"[yellow]note:[/yellow] {escape(note)}")
