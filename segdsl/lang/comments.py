"""Comments of a .seg text, with their places.

The parser drops comments; the formatter must keep every one and
`# segdsl: ignore[…]` comments steer the lints. A `#` starts a comment
anywhere outside a text literal or a name in backticks, and neither of
those can span lines, so one scan per line finds them exactly as the
lexer would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:[^`\n]|``)*`|#[^\n]*')
_IGNORE = re.compile(r"#\s*segdsl:\s*(ignore-file|ignore)\b\s*(?:\[([^\]]*)\])?", re.I)


@dataclass(frozen=True)
class Comment:
    line: int  # from 1
    column: int  # from 1, where `#` is
    text: str  # from `#` to the end of the line, trailing spaces removed
    own_line: bool  # nothing but spaces before it on its line


def scan(text: str) -> list[Comment]:
    """Every comment of a text, in order."""
    out: list[Comment] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        for m in _TOKEN.finditer(line):
            if m.group().startswith("#"):
                out.append(Comment(number, m.start() + 1, m.group().rstrip(), not line[: m.start()].strip()))
                break
    return out


@dataclass(frozen=True)
class Ignore:
    """`# segdsl: ignore[SEG502, too-small]` (codes None: every lint)."""

    line: int
    whole_file: bool
    codes: frozenset[str] | None


def ignores(comments: list[Comment]) -> list[Ignore]:
    out = []
    for c in comments:
        m = _IGNORE.search(c.text)
        if not m:
            continue
        codes = None
        if m.group(2) is not None:
            codes = frozenset(x.strip() for x in m.group(2).split(",") if x.strip())
        out.append(Ignore(c.line, m.group(1).lower() == "ignore-file", codes))
    return out


__all__ = ["Comment", "scan", "Ignore", "ignores"]
