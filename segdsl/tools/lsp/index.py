"""The workspace's names: which definitions each file sees, and where every name is written.

Files are read from the editor's buffers when open, else from disk, and parsed tolerantly
(segdsl.lsp.analysis), so navigation works in a file that does not parse yet. A parse is
kept while the text is unchanged: a keystroke re-parses one file, not the workspace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ...lang import syntax as s
from ...lang.diagnostics import Span
from .analysis import Definition, Occurrence, definitions_of, imports_of, occurrences, tolerant_parse

MAX_FILES = 5000  # a workspace folder with more .seg files is indexed this far, in path order
SKIPPED = {".git", ".venv", "node_modules", "__pycache__", ".tox", "dist", "build"}


@dataclass
class _Parsed:
    text: str
    file: s.File
    definitions: list[Definition]
    imports: list[Path]


class Index:
    """Parses and names of the workspace's .seg files."""

    def __init__(self, roots: list[Path] | None = None):
        self.roots = [r.resolve() for r in roots or []]
        self.open: dict[Path, str] = {}  # the editor's buffers, by resolved path
        self._parsed: dict[Path, _Parsed] = {}
        self._listing: list[Path] | None = None

    # ── files ──────────────────────────────────────────────────────────
    def set_open(self, path: Path, text: str | None) -> None:
        """Records a buffer's text (None when it is closed: the file on disk counts again)."""
        if text is None:
            self.open.pop(path, None)
        else:
            self.open[path] = text

    def forget(self, path: Path | None = None) -> None:
        """Drops what was read from disk (a file changed outside the editor); None: everything."""
        if path is None:
            self._parsed.clear()
            self._listing = None
        else:
            self._parsed.pop(path, None)
            self._listing = None

    def text(self, path: Path) -> str | None:
        if path in self.open:
            return self.open[path]
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def parsed(self, path: Path) -> _Parsed | None:
        text = self.text(path)
        if text is None:
            return None
        cached = self._parsed.get(path)
        if cached is not None and cached.text == text:
            return cached
        file, _ = tolerant_parse(text, str(path))
        entry = _Parsed(text, file, definitions_of(file, path), [p for _, p in imports_of(file, path)])
        self._parsed[path] = entry
        return entry

    def files(self) -> list[Path]:
        """The .seg files of the workspace folders and the open buffers."""
        if self._listing is None:
            found: list[Path] = []
            for root in self.roots:
                for folder, dirs, names in os.walk(root):
                    dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
                    found.extend(Path(folder, n).resolve() for n in sorted(names) if n.endswith(".seg"))
                    if len(found) >= MAX_FILES:
                        break
            self._listing = found[:MAX_FILES]
        extra = [p for p in self.open if p not in set(self._listing)]
        return self._listing + extra

    # ── names ──────────────────────────────────────────────────────────
    def closure(self, path: Path) -> list[Path]:
        """A file and everything it imports, directly or not: imports first, the file last."""
        out: list[Path] = []
        seen: set[Path] = set()

        def visit(p: Path) -> None:
            if p in seen:
                return
            seen.add(p)
            entry = self.parsed(p)
            if entry is None:
                return
            for child in entry.imports:
                visit(child)
            out.append(p)

        visit(path)
        return out

    def visible(self, path: Path) -> dict[str, Definition]:
        """The definitions a file sees by key: its own and those of its imports."""
        out: dict[str, Definition] = {}
        for p in self.closure(path):
            entry = self.parsed(p)
            if entry is not None:
                for d in entry.definitions:
                    out.setdefault(d.key, d) if p != path else out.__setitem__(d.key, d)
        return out

    def occurrences(self, path: Path) -> list[Occurrence]:
        entry = self.parsed(path)
        return occurrences(entry.file, self.visible(path)) if entry is not None else []

    def at(self, path: Path, line: int, column: int) -> tuple[Occurrence | None, Definition | None]:
        """The name at a 1-based line and column of a file, and its definition if it names one."""
        for occ in self.occurrences(path):
            if _inside(occ.span, line, column):
                return occ, self.visible(path).get(occ.key)
        entry = self.parsed(path)
        if entry is not None:
            for d in entry.file.definitions:
                if isinstance(d, s.Import) and _inside(d.span, line, column):
                    return None, None
        return None, None

    def references(self, target: Definition, include_declaration: bool = True) -> list[tuple[Path, Span]]:
        """Every place that names a definition, in every workspace file that sees it."""
        out: list[tuple[Path, Span]] = []
        for path in self.files():
            if target.path not in self.closure(path):
                continue
            visible = self.visible(path)
            seen = visible.get(target.key)
            if seen is None or (seen.path, seen.name_span) != (target.path, target.name_span):
                continue
            for occ in self.occurrences(path):
                if occ.key != target.key:
                    continue
                if occ.is_definition and not include_declaration:
                    continue
                if occ.is_definition and path != target.path:
                    continue  # a definition of the same name elsewhere is another definition
                out.append((path, occ.span))
        return sorted(set(out), key=lambda x: (str(x[0]), x[1].line, x[1].column))

    def definitions(self) -> list[Definition]:
        """Every definition of every workspace file (for workspace symbols)."""
        out: list[Definition] = []
        for path in self.files():
            entry = self.parsed(path)
            if entry is not None:
                out.extend(entry.definitions)
        return out


def _inside(span: Span, line: int, column: int) -> bool:
    if span.line <= 0:
        return False
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


__all__ = ["Index", "MAX_FILES"]
