"""Parsing definition by definition, so that an edit re-parses one definition, not the file.

A text is cut where the parser itself resumes after an error (a definition keyword at a
line start, segdsl.lang.parser._chunks); each piece is parsed on its own at its column and
cached by its text, and moved to its line by shifting its spans. Parsing the whole text
gives the same tree (the grammar is a sequence of definitions), and the same diagnostics:
the pieces are parsed and reported exactly as the parser reports a file with errors.

The result is handed to the parser's cache (`remember`), so that the checking pipeline of
`segdsl check`, run on the editor's text, starts from it.
"""

from __future__ import annotations

from collections import OrderedDict

from ...lang import syntax as s
from ...lang.diagnostics import Diagnostic, Span

CACHE_SIZE = 20000  # parsed definitions kept (at 500-definition models: several versions of forty of them)

# (file, column, text, is last) -> ((definitions, tests) or None, diagnostics), at line offset 0
_LOCAL: OrderedDict[tuple, tuple[tuple | None, list[Diagnostic]]] = OrderedDict()
# (that key, line offset) -> the same moved to its line: a definition that stays where it was is not moved again
_PLACED: OrderedDict[tuple, tuple[tuple | None, list[Diagnostic]]] = OrderedDict()


def _shift(node, lines: int):
    """A node with every span moved down by `lines` lines."""
    if isinstance(node, Span):
        if node.line <= 0:
            return node
        return Span(node.file, node.line + lines, node.column, node.end_line + lines, node.end_column)
    if isinstance(node, tuple):
        return tuple(_shift(x, lines) for x in node)
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is None:
        return node
    return type(node)(**{f: _shift(getattr(node, f), lines) for f in fields})


def _parse_piece(file: str, column: int, piece: str, last: bool) -> tuple[tuple | None, list[Diagnostic]]:
    """One definition parsed at line 1 (and its column), as the parser parses a piece of a broken file."""
    from lark.exceptions import UnexpectedInput

    from ...lang import parser as p

    padded = " " * column + piece
    try:
        tree = p.parser().parse(padded)
    except UnexpectedInput as exc:
        diag = p._syntax_diagnostic(exc, file, padded)
        if diag.message == "unexpected end of file" and not last:
            body = padded.rstrip()
            line = body.count("\n") + 1
            col = len(body) - (body.rfind("\n") + 1)
            diag = Diagnostic("SEG001", "this definition is not finished", p._span_at(file, line, col), diag.hint)
        return None, [diag]
    builder = p._Builder(file)
    parsed = builder.transform(tree)
    return (parsed.definitions, parsed.tests), list(builder.diagnostics)


def parse(text: str, file: str) -> tuple[s.File, list[Diagnostic]]:
    """The definitions that parse and the diagnostics `segdsl.lang.parser.parse` would raise (none: it parses)."""
    from ...lang import parser as p

    definitions: list[s.Definition] = []
    tests: list = []  # `test` blocks (segdsl.lang.testblocks.Test)
    errors: list[Diagnostic] = []  # exactly as parser._chunk_errors collects them
    failed = stop = False
    line = 0
    previous = 0
    for begin, end in p._chunks(text):
        line += text.count("\n", previous, begin)
        previous = begin
        column = begin - (text.rfind("\n", 0, begin) + 1)
        key = (file, column, text[begin:end], end >= len(text))
        hit = _LOCAL.get(key)
        if hit is None:
            hit = _parse_piece(file, column, text[begin:end], end >= len(text))
            _LOCAL[key] = hit
            if len(_LOCAL) > CACHE_SIZE:
                _LOCAL.popitem(last=False)
        else:
            _LOCAL.move_to_end(key)
        if line:
            placed = _PLACED.get((key, line))
            if placed is None:
                placed = (_shift(hit[0], line) if hit[0] is not None else None, [_shift(d, line) for d in hit[1]])
                _PLACED[(key, line)] = placed
                if len(_PLACED) > CACHE_SIZE:
                    _PLACED.popitem(last=False)
            hit = placed
        defs, diags = hit
        if defs is None:
            failed = True
            if not stop:
                errors.extend(diags)
                stop = len(errors) >= p.MAX_SYNTAX_ERRORS
            continue
        definitions.extend(defs[0])
        tests.extend(defs[1])
        if diags:
            failed = True
            if not stop:
                errors.extend(diags)
    return s.File(file, tuple(definitions), tuple(tests)), errors if failed else []


def parse_and_remember(text: str, file: str) -> tuple[s.File, list[Diagnostic]]:
    """`parse`, with the outcome handed to the parser's cache for the checking pipeline."""
    from ...lang import parser as p

    parsed, errors = parse(text, file)
    p.remember(text, file, errors or parsed)
    return parsed, errors


__all__ = ["parse", "parse_and_remember"]
