"""Completion: what the grammar accepts at the cursor, and the names that fit there.

The definition around the cursor is fed to the LALR parser up to the cursor (lark's
interactive parser); the terminals it would accept next decide what is offered: keywords
where a keyword may stand, and names (definitions in scope, imports included, and the
columns of the entity and the events sources) where a name may stand. After `NAME.` the
members of NAME are offered: the cases of a segmentation, the arms of a holdout, the scores
of an RFM segmentation, the columns of an events source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import Definition

# Grammar terminals that are names, or values a user types rather than picks.
_NAME_TERMINALS = {"NAME", "QUOTED_NAME"}
_WORD = re.compile(r"[A-Za-z_\w]*$")
_MEMBER = re.compile(r"(`(?:[^`\n]|``)+`|(?!\d)\w+)\s*\.\s*(\w*)$")
DEFINITION_KEYWORDS = ("import", "param", "entity", "events", "feature", "segment", "segmentation", "holdout",
                       "report", "exclusive", "audience", "test")
SCORES = ("r", "f", "m")
_AGGREGATES = frozenset({"count", "count_distinct", "exists", "sum", "avg", "min", "max"})
_AGGREGATE_TERMINALS = {"COUNT", "COUNT_DISTINCT", "EXISTS", "SUM", "AVG", "MIN", "MAX"}


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # keyword, param, entity, events, feature, segment, segmentation, case, holdout, arm, column,
    #            score, function, report
    detail: str = ""


def _keyword_of(terminal: str) -> str | None:
    from ...lang.parser import parser

    try:
        pattern = parser().get_terminal(terminal).pattern
    except KeyError:
        return None
    if pattern.type == "str" and re.fullmatch(r"[a-z_]+", pattern.value):
        return pattern.value
    return None


def accepted(prefix: str) -> set[str] | None:
    """The terminals the grammar accepts after `prefix` (the definition up to the cursor); None if it cannot
    be read so far."""
    from lark.exceptions import UnexpectedInput

    from ...lang.parser import parser

    try:
        interactive = parser().parse_interactive(prefix)
        interactive.exhaust_lexer()
        return set(interactive.accepts())
    except UnexpectedInput:
        return None
    except Exception:  # noqa: BLE001 - a lexer state lark cannot resume from: offer names only
        return None


def definition_prefix(text: str, offset: int) -> str:
    """The text of the definition around the cursor, from its keyword up to the cursor."""
    from ...lang.parser import DEFINITION_START

    before = text[:offset]
    start = 0
    for m in DEFINITION_START.finditer(before):
        start = m.start(1)
    return before[start:]


def complete(text: str, offset: int, visible: dict[str, Definition], columns: dict[str, dict[str, str]],
             labels: dict[str, tuple[str, ...]]) -> list[Item]:
    """Completion items at a character offset of a document.

    `columns` maps an entity or events name to its known columns and their types;
    `labels` maps a segmentation to the case labels its checked model gives (bucket and RFM
    labels included), when the model checked.
    """
    before = text[:offset]
    line_start = before.rfind("\n") + 1
    line = before[line_start:]
    if "#" in _strip_strings(line):
        return []  # inside a comment
    member = _MEMBER.search(before)
    if member is not None:
        owner = member.group(1).strip("`")
        return _members(owner, visible, columns, labels)
    word = _WORD.search(before).group(0)
    prefix = definition_prefix(text, offset - len(word))
    items: list[Item] = []
    if not prefix.strip():
        return [Item(k, "keyword") for k in DEFINITION_KEYWORDS]
    terminals = accepted(prefix)
    if terminals is None:
        terminals = {"NAME"}
    keywords = sorted({k for t in terminals if (k := _keyword_of(t)) is not None} - _AGGREGATES)
    items.extend(Item(k, "keyword") for k in keywords)
    if terminals & _NAME_TERMINALS and not _naming_position(prefix):
        items.extend(_names(visible, columns))
    if terminals & _AGGREGATE_TERMINALS and not terminals & _NAME_TERMINALS:
        items.extend(Item(a, "function") for a in sorted(_AGGREGATES))
    if "$END" in terminals:
        items.extend(Item(k, "keyword") for k in DEFINITION_KEYWORDS if k not in keywords)
    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.label, item)
    return list(unique.values())


def _naming_position(prefix: str) -> bool:
    """Whether the cursor is where a definition's new name is written (nothing to pick from)."""
    return re.fullmatch(r"\s*(param|entity|events|feature|segment|segmentation|holdout)\s+", prefix) is not None


def _strip_strings(line: str) -> str:
    return re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', line)


def _names(visible: dict[str, Definition], columns: dict[str, dict[str, str]]) -> list[Item]:
    from ...semantic.expressions import FUNCTIONS

    out: list[Item] = []
    entity = next((d.key for d in visible.values() if d.kind == "entity"), None)
    for d in visible.values():
        if d.kind in ("case", "arm", "entity", "test", "audience", "report"):
            continue
        out.append(Item(d.key, d.kind, d.label or ""))
    if entity is not None:
        for name, type_ in columns.get(entity, {}).items():
            if name not in visible:
                out.append(Item(name, "column", f"{entity} column, {type_}"))
    out.extend(Item(f, "function") for f in FUNCTIONS)
    out.extend(Item(a, "function") for a in sorted(_AGGREGATES))
    out.append(Item("as_of", "keyword", "the date the model is evaluated at"))
    return out


def _members(owner: str, visible: dict[str, Definition], columns: dict[str, dict[str, str]],
             labels: dict[str, tuple[str, ...]]) -> list[Item]:
    d = visible.get(owner)
    if d is None:
        return []
    if d.kind == "events" or d.kind == "entity":
        return [Item(c, "column", f"{owner} column, {t}") for c, t in columns.get(owner, {}).items()]
    if d.kind == "segmentation":
        out = [Item(k.split(".", 1)[1], "case", v.label or "") for k, v in visible.items()
               if v.kind == "case" and k.startswith(owner + ".")]
        known = {i.label for i in out}
        out.extend(Item(label, "case") for label in labels.get(owner, ()) if label not in known)
        if getattr(d.node, "kind", "") == "rfm":
            out.extend(Item(sc, "score", f"the {sc.upper()} score of `{owner}`, 1 to 5") for sc in SCORES)
        return out
    if d.kind == "holdout":
        return [Item(k.split(".", 1)[1], "arm") for k, v in visible.items() if v.kind == "arm"
                and k.startswith(owner + ".")]
    return []


__all__ = ["Item", "complete", "accepted", "DEFINITION_KEYWORDS"]
