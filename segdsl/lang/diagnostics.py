"""Diagnostics: every problem a user can cause is one of these.

A diagnostic carries a stable code (documented in the README), the place in a
source file, a one-line message and an optional hint. The renderer shows the
source line with a caret so a user never needs a traceback to find a mistake.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

# code -> short title; the README's table of codes is generated from the same
# meaning, and tests check that every code here has a golden test.
CODES: dict[str, str] = {
    "SEG001": "syntax error",
    "SEG002": "unexpected character",
    "SEG003": "unterminated text or unknown escape",
    "SEG004": "name reserved by the language",
    "SEG101": "unknown name",
    "SEG102": "duplicate definition",
    "SEG103": "reference cycle",
    "SEG104": "import not found",
    "SEG105": "import cycle",
    "SEG106": "entity missing or repeated",
    "SEG107": "events column outside an aggregate",
    "SEG108": "wrong kind of name",
    "SEG109": "unknown column",
    "SEG110": "unknown function",
    "SEG111": "bad column declaration",
    "SEG131": "unknown fixture source or column",
    "SEG132": "bad fixture row",
    "SEG133": "fixture or expected value of the wrong type",
    "SEG134": "expectation names no segment, case or feature",
    "SEG135": "member key not in the fixtures",
    "SEG140": "outcome window outside a lift report",
    "SEG141": "bad lift outcome",
    "SEG142": "bad lift subject or control arm",
    "SEG143": "audience of something not a segment",
    "SEG144": "unknown audience destination",
    "SEG145": "bad audience identifier",
    "SEG146": "bad calibration report",
    "SEG150": "share without a part",
    "SEG151": "events without a time order",
    "SEG201": "type mismatch",
    "SEG202": "bad literal",
    "SEG203": "bad segmentation",
    "SEG204": "bad holdout",
    "SEG205": "bad parameter definition",
    "SEG206": "bad aggregate",
    "SEG230": "bad test setting",
    "SEG231": "fixture file error",
    "SEG301": "bad --param",
    "SEG302": "bad --as-of",
    "SEG303": "unknown dialect",
    "SEG304": "file not found",
    "SEG305": "data source error",
    "SEG306": "unknown segment",
    "SEG307": "bad output path",
    "SEG308": "output failed",
    "SEG309": "bad configuration or option",
    "SEG311": "construct not expressible in the dialect",
    "SEG312": "bad target",
    "SEG313": "cannot reach the target",
    "SEG314": "driver not installed",
    "SEG320": "bad history store",
    "SEG340": "no test to run",
    "SEG321": "history store error",
    "SEG322": "model changed since the series was written",
    "SEG323": "unknown series or snapshot",
    "SEG324": "unknown audience",
    "SEG325": "bad export option",
    "SEG326": "export failed",
    "SEG327": "outcome window not over",
    "SEG328": "calibration period not before as_of",
    "SEG601": "too many categories for a cross-tab",
    "SEG602": "migration needs two dates",
    # Lints: warnings about segment quality (segdsl.semantic.lints, segdsl.tools.datalint); severities are configurable.
    "SEG401": "condition can never be true",
    "SEG402": "case can never match",
    "SEG403": "unused parameter",
    "SEG404": "unused feature",
    "SEG405": "unused segment",
    "SEG406": "same as another definition",
    "SEG407": "window longer than the data keeps",
    "SEG501": "segment too broad",
    "SEG502": "segment too small",
    "SEG503": "segment empty",
    "SEG504": "stale data",
    "SEG505": "condition unknown for many members",
    "SEG506": "window reaches before the data",
    "SEG507": "exclusive segments overlap",
    "SEG900": "internal error",
}


# Problems with the command line rather than with a model: exit code 2 (SEG304 too, for a file named
# on the command line, which has no place in a model).
USAGE_CODES = frozenset({"SEG301", "SEG302", "SEG303", "SEG306", "SEG307", "SEG309", "SEG312", "SEG313", "SEG314",
                          "SEG320", "SEG323", "SEG324", "SEG325", "SEG340"})


@dataclass(frozen=True)
class Span:
    """A region of one source text; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def none(file: str = "<command line>") -> "Span":
        return Span(file, 0, 0, 0, 0)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"

    def render(self, sources: "SourceCache | None" = None) -> str:
        head = f"{self.severity}[{self.code}]: {self.message}"
        lines = [head]
        if self.span is not None and self.span.line > 0:
            s = self.span
            lines.append(f"  --> {s.file}:{s.line}:{s.column}")
            text = sources.line(s.file, s.line) if sources else None
            if text is not None:
                gutter = str(s.line)
                pad = " " * len(gutter)
                width = (s.end_column - s.column) if s.end_line == s.line else len(text) - s.column + 1
                width = max(1, width)
                # Tabs keep their width so the caret stays under the spot.
                lead = "".join("\t" if ch == "\t" else " " for ch in text[: s.column - 1])
                lines.append(f" {pad} |")
                lines.append(f" {gutter} | {text}")
                lines.append(f" {pad} | {lead}{'^' * width}")
        elif self.span is not None:
            lines.append(f"  --> {self.span.file}")
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


class SourceCache:
    """Source texts by file name, so diagnostics can quote the offending line."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text.splitlines()

    def line(self, file: str, line: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None:
            try:
                lines = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                return None
            self._texts[file] = lines
        return lines[line - 1] if 0 < line <= len(lines) else None


class SegError(Exception):
    """One or more diagnostics that stop the pipeline.

    Raised with every problem found so far, so a user sees all mistakes of a
    file in one run rather than one per attempt.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: SourceCache | None = None):
        self.diagnostics = list(diagnostics)
        self.sources = sources
        super().__init__("\n".join(d.message for d in self.diagnostics))

    def render(self) -> str:
        sources = self.sources or SourceCache()  # reads files on demand
        return "\n\n".join(d.render(sources) for d in self.diagnostics)


def display_path(path: Path | str) -> str:
    """A path as a user wants to read it: relative to the working folder when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def is_usage(d: "Diagnostic") -> bool:
    """Whether a diagnostic is about the command line (exit code 2) rather than a model."""
    return d.code in USAGE_CODES or (d.code == "SEG304" and d.span is None)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def reason(exc: BaseException, default: str | None = None) -> str:
    """The first meaningful line of an engine's, a library's or the system's error, for a diagnostic's
    message; `default` (else the error's type) when it says nothing."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    if not text and exc.args:
        text = " ".join(str(a) for a in exc.args)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return default or type(exc).__name__


def error(code: str, message: str, span: Span | None = None, hint: str | None = None) -> SegError:
    """A single-diagnostic SegError, for problems outside .seg files (options, files)."""
    return SegError([Diagnostic(code, message, span, hint)])


@dataclass
class Collector:
    """Gathers diagnostics during a pass instead of stopping at the first."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def __bool__(self) -> bool:
        return bool(self.diagnostics)
