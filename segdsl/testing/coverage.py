"""Coverage: the segments, cases and holdout arms that no test expects any member in or out of.

A definition counts as covered when some expectation states its members (`expect vip = […]`,
`not in`, `contains`) or one member's value of it (`expect vip of 1 = true`, `expect tier of 3 =
"small"` covers the case `small`). Definitions are told apart by the file that defines them, so a
`*_test.seg` covers the model it imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..lang import testblocks as t
from ..lang.diagnostics import display_path
from .runner import FileTests, main_tests


@dataclass(frozen=True)
class Item:
    file: str
    line: int
    kind: str  # segment, case, arm
    name: str  # vip, lifecycle.new, vip_test.control

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.kind} {self.name}"


def _items(loaded: FileTests) -> list[Item]:
    ir = loaded.ir
    if ir is None:
        return []
    out = []

    def where(span) -> tuple[str, int]:
        return (display_path(span.file), span.line) if span is not None else (loaded.path, 0)

    for name, seg in ir.segments.items():
        out.append(Item(*where(seg.span), "segment", name))
    for name, d in list(ir.segmentations.items()) + list(ir.holdouts.items()):
        kind = "arm" if name in ir.holdouts else "case"
        out += [Item(*where(d.span), kind, f"{name}.{label}") for label in d.labels]
    return out


def _covered(loaded: FileTests) -> set[tuple[str, str]]:
    """(defining file, qualified name) of what this file's tests expect."""
    ir = loaded.ir
    if ir is None or loaded.program is None:
        return set()
    out: set[tuple[str, str]] = set()
    for test in main_tests(loaded.program):
        for e in test.expects:
            owner = e.subject[0].text
            d = ir.segments.get(owner) or ir.segmentations.get(owner) or ir.holdouts.get(owner)
            if d is None:
                continue
            file = display_path(d.span.file) if d.span is not None else loaded.path
            if e.kind in t.MEMBER_KINDS:
                out.add((file, e.subject_text))
            elif owner in ir.segments:
                out.add((file, owner))
            elif e.value is not None:
                out.add((file, f"{owner}.{e.value.value}"))
    return out


def uncovered(files: list[FileTests]) -> tuple[list[Item], int]:
    """What no test of these files expects, and how many segments, cases and arms there are."""
    items: dict[tuple[str, str], Item] = {}
    covered: set[tuple[str, str]] = set()
    for f in files:
        for item in _items(f):
            items.setdefault((item.file, item.name), item)
        covered |= _covered(f)
    missing = [i for key, i in items.items() if key not in covered]
    return sorted(missing, key=lambda i: (i.file, i.line, i.name)), len(items)


def report(files: list[FileTests]) -> str:
    missing, total = uncovered(files)
    lines = [f"coverage: {total - len(missing)} of {total} segments, cases and arms are expected by a test"]
    lines += [f"  not covered: {i.describe()}" for i in missing]
    return "\n".join(lines) + "\n"


__all__ = ["uncovered", "report", "Item", "Path"]
