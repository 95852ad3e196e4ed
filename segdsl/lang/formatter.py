"""`segdsl fmt`: one canonical layout for .seg files, keeping every comment.

The layout:

* definitions one per line, `=` aligned within a block of definitions of
  the same kind (a blank line or another kind ends the block); the author's
  blank lines between definitions are kept, at most one;
* `entity` and `events` one clause per line (`from`, `key`/`by`, `since`/`at`,
  `columns`), indented by two;
* the cases of a segmentation one per line, indented by two, `=` aligned;
* a condition longer than the line (100 characters) is broken after `=`,
  one `and`/`or` operand per line with the operator first, indented by four;
  nested groups the same way inside their parentheses;
* single spaces around operators, after commas and inside nothing else;
  texts in double quotes, `!=` for `<>`, durations as `1 day`/`30 days`;
* names in backticks stay in backticks; numbers are kept as written.

Comments are not in the syntax tree, so they are placed by their position:
a comment after code stays at the end of the line that holds the code it
followed (when a condition is joined onto one line, the second and later such
comments go on lines of their own below it); a comment on its own line stays
before the code that followed it. Trailing comments on consecutive lines are
aligned.

The result is checked before it is returned: it must parse to the same
syntax tree (spans aside) and hold every comment, so a formatter bug can
never change what a model means.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from . import syntax as s
from .comments import Comment, scan
from .diagnostics import Diagnostic, SegError, Span
from .parser import parse
from .testblocks import Test
from .testformat import lines as test_lines

WIDTH = 100
Pos = tuple[int, int]

# Binding strength of expressions, loosest first: decides where parentheses go.
_OR, _AND, _NOT, _PRED, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
_ASSIGNMENTS = (s.Param, s.Feature, s.Segment, s.Holdout, s.Prediction)


def _prec(e: object) -> int:
    if isinstance(e, s.Logic):
        return _OR if e.op == "or" else _AND
    if isinstance(e, s.Unary):
        return _NOT if e.op == "not" else _UNARY
    if isinstance(e, s.Binary):
        if e.op in ("+", "-"):
            return _SUM
        if e.op in ("*", "/"):
            return _PRODUCT
        return _PRED
    if isinstance(e, (s.InList, s.Between, s.IsMissing, s.InWindow)):
        return _PRED
    return _ATOM


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def quote(text: str, like: str | None = None) -> str:
    """A text literal in double quotes, escaped as the grammar reads it back.

    `like` is the literal's like form (segdsl.lang.parser.decode) when it wrote a
    literal `\\%` or `\\_`: those are written back as they were.
    """
    if like is None:
        return '"' + _escape(text) + '"'
    from .syntax import like_tokens

    return '"' + "".join(ch if wild else "\\" + ch if ch in "%_" else _escape(ch)
                         for ch, wild in like_tokens(like)) + '"'


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _spans(node: object, out: list[Pos]) -> list[Pos]:
    """Start and last-character positions of every span in a node."""
    if isinstance(node, Span):
        if node.line > 0:
            out.append((node.line, node.column))
            out.append((node.end_line, max(node.end_column - 1, 1)))
        return out
    if isinstance(node, tuple):
        for x in node:
            _spans(x, out)
        return out
    fields = getattr(node, "__dataclass_fields__", None)
    if fields:
        for f in fields:
            _spans(getattr(node, f), out)
    return out


@dataclass
class Line:
    indent: int
    text: str
    anchors: list[Pos]
    comment_indent: int | None = None  # for comments placed before this line
    leading: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)


class _Printer:
    def __init__(self, text: str, tree: s.File):
        self.text = text
        self.src = text.split("\n")
        self.tree = tree
        # Definitions and test blocks in the order written.
        self.defs: list = sorted(list(tree.definitions) + list(tree.tests), key=lambda d: (d.span.line, d.span.column))
        self.comments = scan(text)

    # ── leaves ──────────────────────────────────────────────────────────────
    def name(self, n: s.Name) -> str:
        line = self.src[n.span.line - 1] if 0 < n.span.line <= len(self.src) else ""
        if line[n.span.column - 1: n.span.column] == "`":
            return "`" + n.text.replace("`", "``") + "`"
        return n.text

    # ── expressions ─────────────────────────────────────────────────────────
    def expr(self, e: object, need: int = 0) -> str:
        """The flat text of an expression, in parentheses when it binds looser than `need`."""
        text = self._expr(e)
        return f"({text})" if _prec(e) < need else text

    def _expr(self, e: object) -> str:
        x = self.expr
        if isinstance(e, s.Num):
            return e.text
        if isinstance(e, s.Str):
            return quote(e.value, e.like)
        if isinstance(e, s.Bool):
            return "true" if e.value else "false"
        if isinstance(e, s.DateLit):
            return "@" + e.value.isoformat()
        if isinstance(e, s.TimestampLit):
            return "@" + e.value.strftime("%Y-%m-%dT%H:%M" + (":%S" if e.value.second else ""))
        if isinstance(e, s.Duration):
            return f"{e.amount} {e.unit}{'' if e.amount == 1 else 's'}"
        if isinstance(e, s.Ref):
            return ".".join(self.name(p) for p in e.parts)
        if isinstance(e, s.Call):
            return f"{self.name(e.func)}({', '.join(x(a) for a in e.args)})"
        if isinstance(e, s.Aggregate):
            return self.aggregate(e)
        if isinstance(e, s.Unary):
            if e.op == "not":
                inner = e.operand
                return "not " + (x(inner) if _prec(inner) in (_ATOM, _NOT) else f"({x(inner)})")
            inner = e.operand
            return "-" + (x(inner) if _prec(inner) == _ATOM and not isinstance(inner, s.Unary) else f"({x(inner)})")
        if isinstance(e, s.Logic):
            return f" {e.op} ".join(x(i, _item_need(e)) for i in e.items)
        if isinstance(e, s.Binary):
            own = _prec(e)
            if own == _PRED:
                op = {"starts_with": "starts with"}.get(e.op, e.op)
                if e.op == "like" and e.negated:
                    op = "not like"
                return f"{x(e.left, _SUM)} {op} {x(e.right, _SUM)}"
            return f"{x(e.left, own)} {e.op} {x(e.right, own + 1)}"
        if isinstance(e, s.InList):
            return f"{x(e.subject, _SUM)} {'not in' if e.negated else 'in'} ({', '.join(x(i) for i in e.items)})"
        if isinstance(e, s.Between):
            word = "not between" if e.negated else "between"
            return f"{x(e.subject, _SUM)} {word} {x(e.low, _SUM)} and {x(e.high, _SUM)}"
        if isinstance(e, s.IsMissing):
            return f"{x(e.subject, _SUM)} is {'not ' if e.negated else ''}missing"
        if isinstance(e, s.InWindow):
            return f"{x(e.subject, _SUM)} {self.window(e.window)}"
        raise TypeError(f"cannot format {type(e).__name__}")

    def window(self, w: s.Window) -> str:
        if w.kind in ("last", "previous", "next"):
            return f"in {w.kind} {self.expr(w.arg)}"
        return f"{w.kind} {self.expr(w.arg, _SUM)}"

    def aggregate(self, a: s.Aggregate) -> str:
        text = f"{a.func.text}({self.expr(a.target, _SUM)}"
        trailing = (a.window is not None and a.where is not None and a.window.span.line > 0
                    and (a.window.span.line, a.window.span.column) > (a.where.span.line, a.where.span.column)
                    and _ends_in_predicate(a.where))
        if a.window is not None and not trailing:
            text += " " + self.window(a.window)
        if a.where is not None:
            text += " where " + self.expr(a.where)
        if trailing:
            text += " " + self.window(a.window)
        return text + ")"

    def broken(self, e: object, indent: int, prefix: str = "") -> list[Line]:
        """An expression over several lines: one `and`/`or` operand per line."""
        flat = prefix + self.expr(e)
        if not isinstance(e, s.Logic):
            return [Line(indent, flat, _spans(e, []))]
        lines: list[Line] = []
        for i, item in enumerate(e.items):
            lead = prefix if i == 0 else f"{e.op} "
            if _prec(item) < _item_need(e):  # a group of the other operator: parentheses
                text = f"{lead}({self.expr(item)})"
                if indent + len(text) <= WIDTH or not isinstance(item, s.Logic):
                    lines.append(Line(indent, text, _spans(item, [])))
                else:
                    first = Line(indent, f"{lead}(", [])
                    inner = self.broken(item, indent + 4)
                    last = Line(indent, ")", [])
                    lines += [first, *inner, last]
            else:
                lines.append(Line(indent, lead + self.expr(item), _spans(item, [])))
        return lines

    def forced(self, e: object) -> bool:
        """Keep a condition broken when the author broke it and commented inside it."""
        if not isinstance(e, s.Logic) or e.span.line == e.span.end_line:
            return False
        start, end = (e.span.line, e.span.column), (e.span.end_line, e.span.end_column - 1)
        return any(start < (c.line, c.column) < end for c in self.comments)

    # ── definitions ─────────────────────────────────────────────────────────
    def head(self, d: object) -> str:
        """The part of an assignment before `=`."""
        if isinstance(d, s.Param):
            return f"param {self.name(d.name)}: {self.name(d.type)}"
        kind = {s.Feature: "feature", s.Segment: "segment", s.Segmentation: "segmentation",
                s.Holdout: "holdout", s.Prediction: "prediction"}[type(d)]
        label = getattr(d, "label", None)
        return f"{kind} {self.name(d.name)}" + (f" {quote(label)}" if label is not None else "")

    def rhs(self, d: object) -> object | str:
        if isinstance(d, s.Param):
            return d.default
        if isinstance(d, (s.Feature, s.Segment)):
            return d.expr
        if isinstance(d, s.Prediction):
            args = [self.name(d.source)] + [
                f"{self.name(a.name)}: " + (f"{a.value.text}%" if isinstance(a.value, s.Percent) else self.expr(a.value))
                for a in d.args]
            return f"btyd({', '.join(args)})"
        if isinstance(d, s.Holdout):
            arms = ", ".join(f"{_number(a.percent)}% {self.name(a.name)}" for a in d.arms)
            return f"{self.name(d.segment)} split {arms} seed {quote(d.seed)}"
        args = d.args
        if d.kind == "bucket":
            edges = ", ".join(self.expr(a) for a in args[1:])
            return f"bucket({self.expr(args[0])}, [{edges}])"
        if d.kind == "quantile":
            return f"quantile({self.expr(args[0])}, {self.expr(args[1])})"
        r, f, m = (self.expr(a) for a in args)
        return f"rfm(recency: {r}, frequency: {f}, monetary: {m})"

    def _breaks(self, d: object) -> bool:
        """Whether an assignment is broken over lines even without alignment padding."""
        rhs = self.rhs(d)
        if isinstance(rhs, str):
            return False
        return len(self.head(d)) + 3 + len(self.expr(rhs)) > WIDTH or self.forced(rhs)

    def assignment(self, d: object, width: int) -> list[Line]:
        head = self.head(d).ljust(width)
        rhs = self.rhs(d)
        head_anchors = [(d.span.line, d.span.column)] + _spans(d.name, [])
        if isinstance(rhs, str):
            return [Line(0, f"{head} = {rhs}", _spans(d, []))]
        flat = f"{head} = {self.expr(rhs)}"
        if len(flat) <= WIDTH and not self.forced(rhs):
            return [Line(0, flat, _spans(d, []))]
        if not isinstance(rhs, s.Logic) and 4 + len(self.expr(rhs)) > WIDTH:
            return [Line(0, flat, _spans(d, []))]  # breaking would not make it fit
        return [Line(0, f"{head} =", head_anchors)] + self.broken(rhs, 4)

    def definition(self, d: object, width: int) -> list[Line]:
        if isinstance(d, s.Import):
            return [Line(0, f"import {quote(d.path)}", _spans(d, []))]
        if isinstance(d, _ASSIGNMENTS) or (isinstance(d, s.Segmentation) and d.kind != "cases"):
            return self.assignment(d, width)
        if isinstance(d, (s.Entity, s.Events)):
            return self.source(d)
        if isinstance(d, s.Segmentation):
            return self.cases(d)
        if isinstance(d, s.Report):
            flat = self.report(d)
            if d.kind == "lift" and len(flat) > WIDTH:  # the holdout, its outcomes and its control a line each
                head = "report " + (f"{self.name(d.name)} = " if d.name is not None else "")
                lines = [Line(0, f"{head}lift of {self.name(d.subjects[0])}", [(d.span.line, d.span.column)]),
                         Line(2, "measure " + ", ".join(self.expr(x) for x in d.measures), _spans(d.measures, []))]
                if d.against is not None:
                    lines.append(Line(2, f"against {self.name(d.against)}", _spans(d.against, [])))
                return lines
            return [Line(0, flat, _spans(d, []))]
        if isinstance(d, s.Exclusive):
            return [Line(0, "exclusive " + ", ".join(self.name(n) for n in d.segments), _spans(d, []))]
        if isinstance(d, s.Audience):
            return self.audience(d)
        if isinstance(d, Test):
            return test_lines(d, self.name, quote, _spans, Line)
        raise TypeError(f"cannot format {type(d).__name__}")

    def source(self, d: s.Entity | s.Events) -> list[Line]:
        kind = "entity" if isinstance(d, s.Entity) else "events"
        lines = [Line(0, f"{kind} {self.name(d.name)}", [(d.span.line, d.span.column)] + _spans(d.name, [])),
                 Line(2, f"from {quote(d.source)}", _spans(d.source_span, []))]
        if isinstance(d, s.Entity):
            lines.append(Line(2, f"key {self.name(d.key)}", _spans(d.key, [])))
            if d.since is not None:
                lines.append(Line(2, f"since {self.name(d.since)}", _spans(d.since, [])))
        else:
            lines.append(Line(2, f"by {self.name(d.by)}", _spans(d.by, [])))
            lines.append(Line(2, f"at {self.name(d.at)}", _spans(d.at, [])))
        if d.columns is not None:
            cols = [(self.name(c.name), self.name(c.type)) for c in d.columns]
            flat = "columns (" + ", ".join(f"{n} {t}" for n, t in cols) + ")"
            if 2 + len(flat) <= WIDTH:
                lines.append(Line(2, flat, _spans(d.columns, [])))
            else:
                width = max(len(n) for n, _ in cols)
                lines.append(Line(2, "columns (", []))
                for i, (c, (n, t)) in enumerate(zip(d.columns, cols)):
                    comma = "," if i < len(cols) - 1 else ""
                    lines.append(Line(4, f"{n.ljust(width)} {t}{comma}", _spans(c, [])))
                lines.append(Line(2, ")", [], comment_indent=4))
        return lines

    def cases(self, d: s.Segmentation) -> list[Line]:
        head = self.head(d)
        lines = [Line(0, f"{head} {{", [(d.span.line, d.span.column)] + _spans(d.name, []))]
        width = max((len(self.name(c.name)) for c in d.cases), default=0)
        for c in d.cases:
            name = self.name(c.name).ljust(width)
            flat = f"{name} = {self.expr(c.condition)}"
            anchors = _spans(c.name, []) + _spans(c.condition, [])
            if (2 + len(flat) <= WIDTH and not self.forced(c.condition)) or not isinstance(c.condition, s.Logic):
                lines.append(Line(2, flat, anchors))
            else:
                lines.append(Line(2, f"{name} =", _spans(c.name, [])))
                lines += self.broken(c.condition, 6)
        if d.else_case is not None:
            lines.append(Line(2, f"else {self.name(d.else_case)}", _spans(d.else_case, [])))
        end = (d.span.end_line, max(d.span.end_column - 1, 1))
        lines.append(Line(0, "}", [end], comment_indent=2))
        return lines

    def report(self, d: s.Report) -> str:
        names = lambda ns: ", ".join(self.name(n) for n in ns)  # noqa: E731
        measure = f" measure {', '.join(self.expr(m) for m in d.measures)}" if d.measures else ""
        if d.kind == "value":
            body = f"value of {names(d.subjects)}{measure}"
        elif d.kind == "crosstab":
            body = f"crosstab {self.name(d.subjects[0])} by {self.name(d.subjects[1])}{measure}"
        elif d.kind == "lift":
            against = f" against {self.name(d.against)}" if d.against is not None else ""
            body = f"lift of {names(d.subjects)}{measure}{against}"
        elif d.kind == "persona":
            body = f"persona of {self.name(d.subjects[0])}{measure}"
        elif d.kind == "calibration":
            if isinstance(d.period, s.DateLit):
                period = f" until @{d.period.value.isoformat()}"
            elif isinstance(d.period, s.Duration):
                period = f" split {d.period.amount} {d.period.unit}" + ("s" if d.period.amount != 1 else "")
            else:
                period = ""
            body = f"calibration of {self.name(d.subjects[0])}{period}"
        else:
            body = f"{d.kind} of {names(d.subjects)}"
        return "report " + (f"{self.name(d.name)} = " if d.name is not None else "") + body

    def audience(self, d: s.Audience) -> list[Line]:
        """On one line when it fits, else one identifier a line."""
        head = f"audience {self.name(d.name)} = {self.expr(d.subject)} to {self.name(d.destination)}"
        ids = [(f"{self.name(i.kind)}: {self.expr(i.value)}", _spans(i.kind, []) + _spans(i.value, []))
               for i in d.identifiers]
        flat = f"{head} (" + ", ".join(text for text, _ in ids) + ")"
        if len(flat) <= WIDTH:
            return [Line(0, flat, _spans(d, []))]
        lines = [Line(0, f"{head} (", [(d.span.line, d.span.column)] + _spans(d.name, []))]
        lines += [Line(4, text + ("," if i < len(ids) - 1 else ""), anchors) for i, (text, anchors) in enumerate(ids)]
        lines.append(Line(0, ")", [(d.span.end_line, max(d.span.end_column - 1, 1))], comment_indent=4))
        return lines

    # ── the file ────────────────────────────────────────────────────────────
    def run(self) -> str:
        defs = self.defs
        extents = [(d.span.line, d.span.end_line) for d in defs]
        inner: list[list[Comment]] = [[] for _ in defs]
        items: list[tuple[int, int, object]] = []  # (first line, last line, definition index or Comment)
        for c in self.comments:
            owner = next((i for i, (a, b) in enumerate(extents) if a <= c.line <= b), None)
            if owner is not None:
                inner[owner].append(c)
            else:
                items.append((c.line, c.line, c))
        items += [(a, b, i) for i, (a, b) in enumerate(extents)]
        items.sort(key=lambda it: (it[0], isinstance(it[2], int)))
        widths = self._block_widths(items)
        out: list[Line | None] = []  # None: a blank line
        prev_end = None
        for first, last, item in items:
            if prev_end is not None and first > prev_end + 1:
                out.append(None)
            if isinstance(item, Comment):
                out.append(Line(0, item.text, []))
            else:
                lines = self.definition(defs[item], widths.get(item, 0))
                self._attach(lines, inner[item])
                out += lines
            prev_end = last
        return _render(out)

    def _block_widths(self, items: list[tuple[int, int, object]]) -> dict[int, int]:
        """Head widths for `=` alignment: per run of same-kind assignments without blank lines."""
        widths: dict[int, int] = {}
        run: list[int] = []
        kind = None
        prev_end = None

        def close() -> None:
            if run:
                # A definition too long for one line is broken after `=` anyway: its head
                # does not widen the block.
                flat = [i for i in run if not self._breaks(self.defs[i])] or run
                w = max(len(self.head(self.defs[i])) for i in flat)
                for i in run:
                    widths[i] = w

        for first, last, item in items:
            blank = prev_end is not None and first > prev_end + 1
            prev_end = last
            if isinstance(item, Comment):
                if blank:
                    close()
                    run, kind = [], None
                continue
            d = self.defs[item]
            k = type(d).__name__ if isinstance(d, _ASSIGNMENTS) or (
                isinstance(d, s.Segmentation) and d.kind != "cases") else None
            if blank or k is None or k != kind:
                close()
                run, kind = [], k
            if k is not None:
                run.append(item)
        close()
        return widths

    def _attach(self, lines: list[Line], comments: list[Comment]) -> None:
        """Put the comments found inside a definition on its printed lines."""
        anchors = [(p, i) for i, line in enumerate(lines) for p in line.anchors]
        for c in comments:
            pos = (c.line, c.column)
            if c.own_line:
                after = [(p, i) for p, i in anchors if p > pos]
                target = min(after)[1] if after else len(lines) - 1
                lines[target].leading.append(c.text)
            else:
                before = [(p, i) for p, i in anchors if p < pos]
                target = max(before)[1] if before else 0
                lines[target].trailing.append(c.text)


def _item_need(e: s.Logic) -> int:
    """How tightly an item of `and`/`or` must bind to go without parentheses.

    `and` binds tighter than `or`, so `a or (b and c)` needs none; they are
    written all the same, as readers should not have to know.
    """
    return _NOT


def _ends_in_predicate(e: object) -> bool:
    """Whether a `where` condition ends in a test that cannot take a window after it,
    so that a window written after it stays the aggregate's when printed there."""
    if isinstance(e, s.Logic):
        last = e.items[-1]
        return _prec(last) >= _item_need(e) and _ends_in_predicate(last)
    if isinstance(e, s.Binary):
        return _prec(e) == _PRED
    return isinstance(e, (s.InList, s.Between, s.IsMissing, s.InWindow))


def _render(lines: list[Line | None]) -> str:
    rendered: list[tuple[str, list[str]]] = []  # (code, trailing comments)
    for line in lines:
        if line is None:
            rendered.append(("", []))
            continue
        ci = line.indent if line.comment_indent is None else line.comment_indent
        for c in line.leading:
            rendered.append((" " * ci + c, []))
        code = " " * line.indent + line.text
        rendered.append((code, line.trailing[:1]))
        # One comment fits at the end of a line; more that followed code on it go below it.
        for c in line.trailing[1:]:
            rendered.append((" " * ci + c, []))
    out: list[str] = []
    i = 0
    while i < len(rendered):
        if not rendered[i][1]:
            out.append(rendered[i][0].rstrip())
            i += 1
            continue
        j = i
        while j < len(rendered) and rendered[j][1]:
            j += 1
        column = max(len(code) for code, _ in rendered[i:j]) + 2
        for code, trailing in rendered[i:j]:
            out.append(code.ljust(column) + trailing[0])
        i = j
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _format_once(text: str, file: str) -> str:
    tree = parse(text, file)
    return _Printer(text, tree).run()


def format_text(text: str, file: str = "<text>") -> str:
    """The canonical layout of a .seg text; raises SegError if it does not parse.

    The result parses to the same syntax tree and keeps every comment; a
    second formatting changes nothing.
    """
    original = parse(text, file)
    out = _format_once(text, file)
    for _ in range(3):  # a comment can move a condition's layout once; settle it
        again = _format_once(out, file)
        if again == out:
            break
        out = again
    problems = []
    if s.without_spans(parse(out, file)) != s.without_spans(original):
        problems.append("the layout would change the meaning")
    kept = [c.text for c in scan(out)]
    for c in scan(text):
        if c.text in kept:
            kept.remove(c.text)
        else:
            problems.append(f"the comment {c.text!r} would be lost")
            break
    if problems:
        raise SegError([Diagnostic("SEG900", f"internal error: cannot format {file}: {problems[0]}", None,
                                   "this is a bug in segdsl, not in your model; please report it")])
    return out


def diff(before: str, after: str, path: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"{path}", f"{path} (formatted)"))


@dataclass
class FileOutcome:
    path: Path
    changed: bool
    before: str = ""
    after: str = ""
    error: SegError | None = None


def format_paths(paths: list[Path], write: bool) -> list[FileOutcome]:
    """Format files (and .seg files in folders); write the changed ones if asked."""
    from .program import _label
    from .program import collect

    outcomes = []
    for path in collect(paths):
        label = _label(path.resolve()) if path.exists() else str(path)
        try:
            before = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            outcomes.append(FileOutcome(path, False, error=SegError([Diagnostic(
                "SEG304", f"cannot read `{path}`: {getattr(exc, 'strerror', None) or exc}", None,
                "check the path; model files end in .seg")])))
            continue
        try:
            after = format_text(before, label)
        except SegError as exc:
            from .diagnostics import SourceCache

            exc.sources = exc.sources or SourceCache()
            exc.sources.add(label, before)
            outcomes.append(FileOutcome(path, False, before, error=exc))
            continue
        changed = after != before
        if changed and write:
            _write(path, after)
        outcomes.append(FileOutcome(path, changed, before, after))
    return outcomes


def _write(path: Path, text: str) -> None:
    """Replace a file through a temporary file beside it, so it is never half written."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


__all__ = ["format_text", "format_paths", "diff", "FileOutcome", "quote", "WIDTH"]
