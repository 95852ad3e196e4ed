"""Parse: .seg text → syntax tree (segdsl.lang.syntax) with source spans.

The grammar lives in grammar/segdsl.lark (shipped inside the package as
segdsl/lang/segdsl.lark). Parsing is LALR(1), which is fast and reports an error
at the exact token. After a syntax error the parser resumes at the next line
that starts a definition, so one run reports every broken definition.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import syntax as s
from .diagnostics import Diagnostic, SegError, SourceCache, Span
from .testblocks import Test
from .testparse import TestBuilder

DEFINITION_START = re.compile(
    r"^[ \t]*(import|param|entity|events|feature|segment|segmentation|holdout|report|exclusive|audience|test"
    r"|prediction)\b",
    re.M,
)
MAX_SYNTAX_ERRORS = 20
# Words that an expression reads as an operator, a literal or an aggregate wherever a name could stand.
RESERVED = frozenset({"and", "or", "not", "true", "false", "count", "count_distinct", "exists", "sum", "avg",
                      "min", "max"})
MAX_DIGITS = 300  # digits of a number literal before its decimal point (beyond a double's range anyway)


def grammar_text() -> str:
    """The grammar from the installed package, or from the source tree."""
    packaged = resources.files("segdsl.lang").joinpath("segdsl.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "segdsl.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def parser() -> Lark:
    # The LALR tables are cached in the temporary folder (keyed by the grammar
    # text and lark's version): building them takes longer than checking all
    # the examples, and `segdsl check` should start at once.
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False,
                cache=True)


# Friendly names for the grammar's terminals, used in "expected …" hints.
_TERMINAL_NAMES = {
    "NAME": "a name", "QUOTED_NAME": "a name", "STRING": "a text in quotes", "NUMBER": "a number",
    "DATE": "a date like @2025-01-31", "TIMESTAMP": "a timestamp", "UNIT": "days, weeks, months or years",
    "TRAIT_FUNC": "a name",
    "$END": "end of file",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        pattern = parser().get_terminal(name).pattern
        if pattern.type == "str":
            return f"`{pattern.value}`"
    except KeyError:
        pass
    return name.lower()


def _expected_hint(expected: set[str] | frozenset[str]) -> str | None:
    names = sorted({_describe_terminal(t) for t in expected})
    if not names:
        return None
    if len(names) > 8:
        names = names[:8] + ["…"]
    return "expected " + ", ".join(names)


def _span_at(file: str, line: int, column: int, width: int = 1) -> Span:
    return Span(file, line, column, line, column + max(width, 1))


def _syntax_diagnostic(exc: UnexpectedInput, file: str, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char
        span = _span_at(file, exc.line, exc.column)
        if char in "\"'":
            return Diagnostic("SEG003", "text is not closed on this line", span,
                              f"end the text with a matching {char}")
        if char == "`":
            return Diagnostic("SEG003", "name in backticks is not closed on this line", span,
                              "end the name with a matching `")
        if char == "@":
            return Diagnostic("SEG202", "malformed date", span, "write dates as @YYYY-MM-DD or @YYYY-MM-DDTHH:MM")
        return Diagnostic("SEG002", f"unexpected character `{char}`", span, _expected_hint(exc.allowed or set()))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            return Diagnostic("SEG001", "unexpected end of file", _span_at(file, len(lines), len(lines[-1]) + 1),
                              _expected_hint(exc.expected))
        if tok.value == ";":  # a token only between the rows of a test's fixture: anywhere else a stray character
            return Diagnostic("SEG002", "unexpected character `;`", _span_at(file, tok.line, tok.column),
                              _expected_hint(exc.expected))
        return Diagnostic("SEG001", f"unexpected `{tok.value}`", _span_at(file, tok.line, tok.column, len(tok.value)),
                          _expected_hint(exc.expected))
    if isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return Diagnostic("SEG001", "unexpected end of file", _span_at(file, len(lines), len(lines[-1]) + 1),
                          _expected_hint(set(exc.expected)))
    return Diagnostic("SEG001", "syntax error", None)


def _chunks(text: str) -> list[tuple[int, int]]:
    """Spans of text from one definition keyword at a line start to the next."""
    starts = [m.start(1) for m in DEFINITION_START.finditer(text)]
    if not starts or starts[0] > 0 and text[: starts[0]].strip():
        starts.insert(0, 0)
    return list(zip(starts, starts[1:] + [len(text)]))


def _chunk_errors(text: str, file: str) -> list[Diagnostic]:
    """Parse each definition on its own so that every broken one is reported.

    The chunk keeps its original position (padded with line breaks and
    spaces), so lines and columns in the diagnostics stay exact.
    """
    found: list[Diagnostic] = []
    for begin, end in _chunks(text):
        line_start = text.rfind("\n", 0, begin) + 1
        padded = "\n" * text.count("\n", 0, begin) + " " * (begin - line_start) + text[begin:end]
        try:
            tree = parser().parse(padded)
        except UnexpectedInput as exc:
            diag = _syntax_diagnostic(exc, file, text)
            if diag.message == "unexpected end of file" and end < len(text):
                # The definition stops before it is complete: point at its last token.
                body = text[:end].rstrip()
                line = body.count("\n") + 1
                column = len(body) - (body.rfind("\n") + 1)
                diag = Diagnostic("SEG001", "this definition is not finished", _span_at(file, line, column), diag.hint)
            found.append(diag)
            if len(found) >= MAX_SYNTAX_ERRORS:
                break
        else:  # a sound definition may still hold a bad literal
            builder = _Builder(file)
            builder.transform(tree)
            found.extend(builder.diagnostics)
    return found


_PARSED: dict[tuple[str, str], "s.File | list[Diagnostic]"] = {}


def parse(text: str, file: str = "<text>") -> s.File:
    """Parse one file; raise SegError with every syntax problem found.

    Trees are immutable, so a file imported by many models (a shared
    `common.seg` in a folder being checked) is parsed once per process.
    """
    cached = _PARSED.get((file, text))
    if isinstance(cached, list):  # the syntax problems of the text, found by `remember`'s caller
        raise SegError(cached)
    if cached is not None:
        return cached
    result = _parse(text, file)
    if len(_PARSED) >= 256:
        _PARSED.clear()
    _PARSED[(file, text)] = result
    return result


def remember(text: str, file: str, result: "s.File | list[Diagnostic]") -> None:
    """Caches what parsing a text gives (a tree, or its syntax problems) as computed elsewhere: the
    language server parses definition by definition and hands the outcome to the pipeline."""
    if len(_PARSED) >= 256:
        _PARSED.clear()
    _PARSED[(file, text)] = result


def _parse(text: str, file: str) -> s.File:
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise SegError(_chunk_errors(text, file) or [_syntax_diagnostic(exc, file, text)]) from None
    builder = _Builder(file)
    result = builder.transform(tree)
    if builder.diagnostics:
        raise SegError(builder.diagnostics)
    return result


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "%": "%", "_": "_"}
ESCAPE_HINT = ('escapes are \\" \\\' \\\\ \\n \\t, and \\% \\_ for a literal % and _ in a like pattern; '
               "write a backslash as \\\\")


def decode(raw: str) -> tuple[str, str | None, list[int]]:
    """A quoted literal's text, its `like` form, and the offsets of unknown escapes in `raw`.

    The like form is the pattern with `\\` as its escape character (`\\%`,
    `\\_` and `\\\\` are a literal %, _ and backslash; a bare % or _ is a
    wildcard); it is None when the literal escapes no % or _, since the text
    itself then says the same. An unknown escape keeps no meaning of its own:
    its offsets are returned for a diagnostic (SEG003), never dropped silently.
    """
    body = raw[1:-1]
    text: list[str] = []
    like: list[str] = []
    literal_wildcard = False
    bad: list[int] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            text.append(ch)
            like.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt not in _ESCAPES:
            bad.append(i + 1)
            i += 2
            continue
        value = _ESCAPES[nxt]
        text.append(value)
        if nxt in "%_":
            literal_wildcard = True
            like.append("\\" + value)
        elif value == "\\":
            like.append("\\\\")
        else:
            like.append(value)
        i += 2
    return "".join(text), ("".join(like) if literal_wildcard else None), bad


def _name_text(tok: Token) -> str:
    return tok.value[1:-1].replace("``", "`") if tok.type == "QUOTED_NAME" else tok.value


_UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week",
          "month": "month", "months": "month", "year": "year", "years": "year"}


@v_args(meta=True)
class _Builder(TestBuilder):
    """Turns the lark tree into syntax nodes, collecting literal errors."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.quoted: set[Span] = set()  # names written in backticks

    # spans -----------------------------------------------------------------
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", False):
            return Span(self.file, 0, 0, 0, 0)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    # names and literals ----------------------------------------------------
    def name(self, meta, children):
        tok = children[0]
        node = s.Name(_name_text(tok), self._tok_span(tok))
        if tok.type == "QUOTED_NAME":
            self.quoted.add(node.span)
        return node

    def _defined(self, name: s.Name) -> s.Name:
        """A definition's name: a word an expression reads as an operator, a literal or an aggregate
        could never be used by name, so it must be written in backticks (here and where it is used)."""
        if name.text in RESERVED and name.span not in self.quoted:
            self.diagnostics.append(Diagnostic(
                "SEG004", f"`{name.text}` is a word of the language and cannot name a definition", name.span,
                f"choose another name, or write it in backticks here and wherever it is used: `{name.text}`"))
        return name

    def number(self, meta, children):
        tok = children[0]
        text = tok.value
        value: int | float
        if re.fullmatch(r"\d+", text):
            # Python refuses to read integers of more than a few thousand digits; no engine holds one.
            value = int(text) if len(text) <= MAX_DIGITS else 0
        else:
            value = float(text)
        if len(text.partition(".")[0]) > MAX_DIGITS or value in (float("inf"), float("-inf")):
            shown = text if len(text) <= 20 else f"{text[:12]}…({len(text)} characters)"
            self.diagnostics.append(Diagnostic("SEG202", f"the number `{shown}` is out of range", self._tok_span(tok),
                                               f"numbers have at most {MAX_DIGITS} digits before the decimal "
                                               "point and stay below 1e308"))
            value = 0
        return s.Num(value, text, self._tok_span(tok))

    def _text(self, tok: Token) -> tuple[str, str | None]:
        """A quoted literal's text and like form; an unknown escape is SEG003 at its backslash."""
        text, like, bad = decode(tok.value)
        for offset in bad:
            escape = tok.value[offset:offset + 2]
            self.diagnostics.append(Diagnostic("SEG003", f"unknown escape `{escape}` in text",
                                               _span_at(self.file, tok.line, tok.column + offset, len(escape)),
                                               ESCAPE_HINT))
        return text, like

    def string(self, meta, children):
        text, like = self._text(children[0])
        return s.Str(text, self._tok_span(children[0]), like)

    def true(self, meta, children):
        return s.Bool(True, self._span(meta))

    def false(self, meta, children):
        return s.Bool(False, self._span(meta))

    def date(self, meta, children):
        tok = children[0]
        try:
            value = dt.date.fromisoformat(tok.value[1:])
        except ValueError:
            self.diagnostics.append(Diagnostic("SEG202", f"`{tok.value}` is not a valid date", self._tok_span(tok),
                                               "write dates as @YYYY-MM-DD with a real month and day"))
            value = dt.date(1970, 1, 1)
        return s.DateLit(value, self._tok_span(tok))

    def timestamp(self, meta, children):
        tok = children[0]
        try:
            value = dt.datetime.fromisoformat(tok.value[1:])
        except ValueError:
            self.diagnostics.append(Diagnostic("SEG202", f"`{tok.value}` is not a valid timestamp",
                                               self._tok_span(tok), "write timestamps as @YYYY-MM-DDTHH:MM[:SS]"))
            value = dt.datetime(1970, 1, 1)
        return s.TimestampLit(value, self._tok_span(tok))

    def duration(self, meta, children):
        num, unit = children
        span = self._span(meta)
        if not re.fullmatch(r"\d+", num.value):
            self.diagnostics.append(Diagnostic("SEG202", f"a duration needs a whole number, not `{num.value}`",
                                               span, f"for example `{round(float(num.value))} {unit.value}`"))
            amount = 0
        else:
            amount = int(num.value)
        return s.Duration(amount, _UNITS[unit.value], span)

    # expressions -----------------------------------------------------------
    def reference(self, meta, children):
        return s.Ref(tuple(children), self._span(meta))

    def expr_list(self, meta, children):
        return tuple(children)

    def call(self, meta, children):
        func = children[0]
        args = children[1] if len(children) > 1 else ()
        return s.Call(func, args, self._span(meta))

    def agg_func(self, meta, children):
        tok = children[0]
        return s.Name(tok.value, self._tok_span(tok))

    def aggregate(self, meta, children):
        func, target, *rest = children
        window = where = None
        seen_where = False
        for child in rest:
            if isinstance(child, s.Window):
                if seen_where:
                    # `where … in last 7 days`: the trailing window is the aggregate's too
                    window = child if window is None else window
                    if window is not child:
                        self.diagnostics.append(Diagnostic(
                            "SEG206", "an aggregate takes one time window", child.span,
                            "combine the windows into one, or move one into `where`"))
                else:
                    window = child
            else:
                where = child
                seen_where = True
        return s.Aggregate(func, target, window, where, self._span(meta))

    def last(self, meta, children):
        return s.Window("last", children[0], self._span(meta))

    def previous(self, meta, children):
        return s.Window("previous", children[0], self._span(meta))

    def next(self, meta, children):
        return s.Window("next", children[0], self._span(meta))

    def since_window(self, meta, children):
        return s.Window("since", children[0], self._span(meta))

    def before_window(self, meta, children):
        return s.Window("before", children[0], self._span(meta))

    def in_window(self, meta, children):
        return s.InWindow(children[0], children[1], self._span(meta))

    def _logic(self, op, meta, children):
        items: list = []
        for child in children:
            if isinstance(child, s.Logic) and child.op == op:
                items.extend(child.items)
            else:
                items.append(child)
        return s.Logic(op, tuple(items), self._span(meta))

    def or_(self, meta, children):
        return self._logic("or", meta, children)

    def and_(self, meta, children):
        return self._logic("and", meta, children)

    def not_(self, meta, children):
        return s.Unary("not", children[0], self._span(meta))

    def neg(self, meta, children):
        return s.Unary("-", children[0], self._span(meta))

    def comparison(self, meta, children):
        op = children[0].value
        return "!=" if op == "<>" else op

    def compare(self, meta, children):
        left, op, right = children
        return s.Binary(op, left, right, self._span(meta))

    def _binary(op):  # noqa: N805 - helper building arithmetic handlers
        def handler(self, meta, children):
            return s.Binary(op, children[0], children[1], self._span(meta))
        return handler

    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")
    contains = _binary("contains")
    starts_with = _binary("starts_with")
    like = _binary("like")

    def not_like(self, meta, children):
        return s.Binary("like", children[0], children[1], self._span(meta), negated=True)

    def in_list(self, meta, children):
        return s.InList(children[0], children[1], False, self._span(meta))

    def not_in_list(self, meta, children):
        return s.InList(children[0], children[1], True, self._span(meta))

    def between(self, meta, children):
        return s.Between(children[0], children[1], children[2], False, self._span(meta))

    def not_between(self, meta, children):
        return s.Between(children[0], children[1], children[2], True, self._span(meta))

    def is_missing(self, meta, children):
        return s.IsMissing(children[0], False, self._span(meta))

    def is_not_missing(self, meta, children):
        return s.IsMissing(children[0], True, self._span(meta))

    # definitions -----------------------------------------------------------
    def start(self, meta, children):
        return s.File(self.file, tuple(c for c in children if not isinstance(c, Test)),
                      tuple(c for c in children if isinstance(c, Test)))

    def import_(self, meta, children):
        return s.Import(self._text(children[0])[0], self._span(meta))

    def param(self, meta, children):
        name, type_, default = children
        return s.Param(self._defined(name), type_, default, self._span(meta))

    def since(self, meta, children):
        return children[0]

    def entity(self, meta, children):
        name, source, key, *rest = children
        columns = next((c for c in rest if isinstance(c, tuple)), None)
        since = next((c for c in rest if isinstance(c, s.Name)), None)
        return s.Entity(self._defined(name), self._text(source)[0], self._tok_span(source), key,
                        since, self._span(meta), columns)

    def events(self, meta, children):
        name, source, by, at, *columns = children
        return s.Events(self._defined(name), self._text(source)[0], self._tok_span(source), by, at, self._span(meta),
                        columns[0] if columns else None)

    def columns(self, meta, children):
        return tuple(children)

    def column_decl(self, meta, children):
        return s.ColumnDecl(children[0], children[1])

    def exclusive(self, meta, children):
        return s.Exclusive(tuple(children), self._span(meta))

    def feature(self, meta, children):
        return s.Feature(self._defined(children[0]), children[1], self._span(meta))

    def label(self, meta, children):
        return self._text(children[0])[0]

    def segment(self, meta, children):
        if len(children) == 3:
            name, label, expr = children
        else:
            (name, expr), label = children, None
        return s.Segment(self._defined(name), label, expr, self._span(meta))

    def case(self, meta, children):
        return s.Case(children[0], children[1])

    def else_case(self, meta, children):
        return ("else", children[0])

    def segmentation_cases(self, meta, children):
        name = children[0]
        label = children[1] if isinstance(children[1], str) else None
        cases = tuple(c for c in children if isinstance(c, s.Case))
        else_name = next((c[1] for c in children if isinstance(c, tuple)), None)
        return s.Segmentation(self._defined(name), label, "cases", cases, else_name, (), self._span(meta))

    def segmentation_computed(self, meta, children):
        name = children[0]
        label = children[1] if isinstance(children[1], str) else None
        kind, args = children[-1]
        return s.Segmentation(self._defined(name), label, kind, (), None, args, self._span(meta))

    def bucket(self, meta, children):
        return ("bucket", (children[0], *children[1]))

    def quantile(self, meta, children):
        return ("quantile", (children[0], children[1]))

    def rfm(self, meta, children):
        return ("rfm", tuple(children))

    def prediction(self, meta, children):
        name, *rest = children
        label = rest.pop(0) if rest and isinstance(rest[0], str) else None
        source, *args = rest
        return s.Prediction(name, label, source, tuple(args), self._span(meta))

    def prediction_key(self, meta, children):
        tok = children[0]
        return s.Name(tok.value, self._tok_span(tok))

    def prediction_arg(self, meta, children):
        return s.PredictionArg(children[0], children[1])

    def prediction_percent(self, meta, children):
        name, num = children
        return s.PredictionArg(name, s.Percent(float(num.value), num.value, self._tok_span(num)))

    def arm(self, meta, children):
        num, name = children
        return s.Arm(float(num.value), self._tok_span(num), name)

    def holdout(self, meta, children):
        name, segment, *arms, seed = children
        return s.Holdout(self._defined(name), segment, tuple(arms), self._text(seed)[0], self._span(meta))

    def dim_list(self, meta, children):
        return tuple(children)

    def measure_list(self, meta, children):
        return tuple(children)

    def report(self, meta, children):
        name = children[0] if len(children) == 2 else None
        kind, subjects, measures, *rest = children[-1]
        against = rest[0] if rest else None
        period = rest[1] if len(rest) > 1 else None
        return s.Report(name, kind, subjects, measures, self._span(meta), against, period)

    def report_value(self, meta, children):
        return ("value", children[0], children[1] if len(children) > 1 else ())

    def report_crosstab(self, meta, children):
        return ("crosstab", (children[0], children[1]), children[2] if len(children) > 2 else ())

    def report_profile(self, meta, children):
        return ("profile", (children[0],), ())

    def report_overlap(self, meta, children):
        return ("overlap", children[0], ())

    def report_migration(self, meta, children):
        return ("migration", (children[0],), ())

    def report_lift(self, meta, children):
        return ("lift", (children[0],), children[1], children[2] if len(children) > 2 else None)

    def identifier(self, meta, children):
        return s.Identifier(children[0], children[1])

    def audience(self, meta, children):
        name, subject, destination, *identifiers = children
        return s.Audience(name, subject, destination, tuple(identifiers), self._span(meta))

    def report_calibration(self, meta, children):
        return ("calibration", (children[0],), (), None, children[1] if len(children) > 1 else None)

    def report_calibration_until(self, meta, children):
        return self.date(meta, children)

    def report_calibration_split(self, meta, children):
        return children[0]

    def report_persona(self, meta, children):
        return ("persona", (children[0],), children[1] if len(children) > 1 else ())


def parse_file(path: Path, sources: SourceCache | None = None) -> s.File:
    text = path.read_text(encoding="utf-8")
    if sources is not None:
        sources.add(str(path), text)
    return parse(text, str(path))


__all__ = ["parse", "parse_file", "parser", "grammar_text", "Tree", "decode"]
