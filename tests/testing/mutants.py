"""Mutants of a model: one comparison flipped (`>=` → `>`) or one window shortened (`90 days` → `89 days`).

Only definitions are mutated, never test blocks or comments: a mutant asks
whether the tests that ship with a model notice a change in its meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segdsl.lang.parser import parse

FLIP = {">=": ">", ">": ">=", "<=": "<", "<": "<="}
COMPARISON = re.compile(r"(?<![<>!=])(>=|<=|>|<)(?!=)")
WINDOW = re.compile(r"(?<![\w-])(last|previous|-)\s+(\d+)\s+(days?|weeks?|months?|years?)\b")


@dataclass(frozen=True)
class Mutant:
    line: int  # 1-based
    before: str
    after: str
    text: str  # the whole mutated file

    def describe(self) -> str:
        return f"line {self.line}: `{self.before}` → `{self.after}`"


def _code_lines(text: str) -> set[int]:
    """Lines of definitions (not of test blocks)."""
    tree = parse(text, "<mutants>")
    lines: set[int] = set()
    for d in tree.definitions:
        span = d.span
        lines.update(range(span.line, span.end_line + 1))
    return lines


def mutants(text: str) -> list[Mutant]:
    out: list[Mutant] = []
    source = text.split("\n")
    for number in sorted(_code_lines(text)):
        line = source[number - 1]
        code = line.split("#", 1)[0]
        for m in COMPARISON.finditer(code):
            mutated = line[:m.start()] + FLIP[m.group(1)] + line[m.end():]
            out.append(Mutant(number, m.group(1), FLIP[m.group(1)], "\n".join(source[:number - 1] + [mutated]
                                                                              + source[number:])))
        for m in WINDOW.finditer(code):
            amount = int(m.group(2))
            if amount <= 1:
                continue
            before = m.group(0)
            after = f"{m.group(1)} {amount - 1} {m.group(3)}"
            mutated = line[:m.start()] + after + line[m.end():]
            out.append(Mutant(number, before, after, "\n".join(source[:number - 1] + [mutated] + source[number:])))
    return out
