"""A document's shape for the editor: semantic tokens and folding ranges.

Tokens come from a scan of the text (so that a file that does not parse is still
coloured) with each name classified by what it names (segdsl.lsp.analysis.occurrences):
a feature, a segment, a case, a column of an events source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import Definition, Occurrence

TOKEN_TYPES = ("keyword", "string", "number", "comment", "function", "parameter", "type", "event", "variable",
               "class", "enum", "enumMember", "namespace", "property", "operator")
TOKEN_MODIFIERS = ("declaration", "defaultLibrary")
_KIND_TOKEN = {"param": "parameter", "entity": "type", "events": "event", "feature": "variable", "segment": "class",
               "segmentation": "enum", "case": "enumMember", "holdout": "class", "arm": "enumMember",
               "report": "namespace", "column": "property", "audience": "namespace"}

KEYWORDS = frozenset("""
import param entity events from key since by at columns feature segment segmentation else bucket quantile rfm
recency frequency monetary holdout split seed exclusive report value of measure crosstab profile overlap migration lift against next
calibration until
and or not in between is missing like contains starts with last previous before where true false as_of
audience to test expect
days day weeks week months month years year number text date bool timestamp
""".split())
AGGREGATES = frozenset({"count", "count_distinct", "exists", "sum", "avg", "min", "max"})

_SCAN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)
  | (?P<date>@\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?%?)
  | (?P<quoted>`(?:[^`\n]|``)+`)
  | (?P<word>(?!\d)\w+)
""", re.X)


@dataclass(frozen=True)
class Token:
    line: int  # 0-based
    start: int  # UTF-16 units from the line start
    length: int  # UTF-16 units
    type: str
    modifiers: tuple[str, ...] = ()


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def tokens(text: str, occurrences: list[Occurrence], visible: dict[str, Definition]) -> list[Token]:
    """Classified tokens of a text, in order."""
    by_place = {(o.span.line, o.span.column): o for o in occurrences}
    out: list[Token] = []
    for number, line in enumerate(text.splitlines()):
        for m in _SCAN.finditer(line):
            kind = m.lastgroup
            word = m.group(0)
            ttype: str | None = None
            modifiers: tuple[str, ...] = ()
            if kind == "comment":
                ttype = "comment"
            elif kind == "string":
                ttype = "string"
            elif kind in ("date", "number"):
                ttype = "number"
            else:
                occ = by_place.get((number + 1, m.start() + 1))
                if occ is not None:
                    target = visible.get(occ.key)
                    ttype = "property" if occ.key.startswith("column:") else \
                        _KIND_TOKEN.get(target.kind if target else "", None)
                    modifiers = ("declaration",) if occ.is_definition else ()
                elif kind == "word" and word in AGGREGATES | {"days_between", "years_between"} \
                        and line[m.end():].lstrip().startswith("("):
                    ttype, modifiers = "function", ("defaultLibrary",)
                elif kind == "word" and word in KEYWORDS:
                    ttype = "keyword"
            if ttype is None:
                continue
            out.append(Token(number, _units(line[:m.start()]), _units(word), ttype, modifiers))
    return out


def encode(items: list[Token]) -> list[int]:
    """Tokens in the LSP's relative integer encoding."""
    data: list[int] = []
    last_line = last_start = 0
    for t in items:
        delta_line = t.line - last_line
        delta_start = t.start - last_start if delta_line == 0 else t.start
        bits = sum(1 << TOKEN_MODIFIERS.index(m) for m in t.modifiers)
        data += [delta_line, delta_start, t.length, TOKEN_TYPES.index(t.type), bits]
        last_line, last_start = t.line, t.start
    return data


@dataclass(frozen=True)
class Fold:
    start: int  # 0-based lines
    end: int
    kind: str  # region or comment


def folds(text: str, definitions: list[Definition]) -> list[Fold]:
    """Folding ranges: definitions over several lines (segmentations, blocks in braces), comment runs."""
    out: dict[tuple[int, int], str] = {}
    for d in definitions:
        if d.kind != "case" and d.span.line > 0 and d.span.end_line > d.span.line:
            out[(d.span.line - 1, d.span.end_line - 1)] = "region"
    stack: list[int] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        code = _SCAN.sub(lambda m: " " * len(m.group(0)) if m.lastgroup in ("comment", "string") else m.group(0),
                         line)
        for ch in code:
            if ch == "{":
                stack.append(number)
            elif ch == "}" and stack:
                begin = stack.pop()
                if number > begin:
                    out.setdefault((begin, number), "region")
    run: int | None = None
    for number, line in enumerate(lines + [""]):
        if line.lstrip().startswith("#"):
            run = number if run is None else run
        else:
            if run is not None and number - 1 > run:
                out[(run, number - 1)] = "comment"
            run = None
    return [Fold(a, b, k) for (a, b), k in sorted(out.items())]


__all__ = ["TOKEN_TYPES", "TOKEN_MODIFIERS", "Token", "tokens", "encode", "Fold", "folds"]
