"""Building `test` blocks from the parse tree (a base class of the parser's tree builder).

The literal rules (`number`, `string`, `date`, …) are the language's own and
are built by segdsl.lang.parser; here they become fixture values.
"""

from __future__ import annotations

import datetime as dt

from lark import Transformer, v_args

from . import syntax as s
from . import testblocks as t
from .diagnostics import Diagnostic, Span


def _value_of(node: object) -> tuple[t.Scalar, str]:
    if isinstance(node, s.Num):
        return node.value, node.text
    if isinstance(node, s.Str):
        return node.value, '"' + node.value + '"'
    if isinstance(node, s.Bool):
        return node.value, "true" if node.value else "false"
    if isinstance(node, s.DateLit):
        return node.value, "@" + node.value.isoformat()
    if isinstance(node, s.TimestampLit):
        return node.value, "@" + node.value.isoformat(timespec="minutes" if not node.value.second else "seconds")
    raise TypeError(f"not a fixture value: {node!r}")


_SEP = object()  # a `;` between rows


@v_args(meta=True)
class TestBuilder(Transformer):
    """Handlers of the test rules. The parser's builder supplies `file`, `diagnostics`, `_span`,
    `_tok_span` and `_text`, and the literal handlers."""

    file: str
    diagnostics: list[Diagnostic]

    def _fixture_value(self, node: object) -> t.Value:
        if isinstance(node, t.Value):
            return node
        value, text = _value_of(node)
        return t.Value(value, text, node.span)  # type: ignore[attr-defined]

    def negative(self, meta, children):
        num = self.number(meta, children)  # type: ignore[attr-defined]
        return t.Value(-num.value, "-" + num.text, self._span(meta))  # type: ignore[attr-defined]

    def missing_value(self, meta, children):
        return t.Value(None, "missing", self._span(meta))  # type: ignore[attr-defined]

    def fixture_row(self, meta, children):
        return t.Row(tuple(self._fixture_value(c) for c in children), self._span(meta))  # type: ignore[attr-defined]

    def row_sep(self, meta, children):
        return _SEP

    def fixture_rows(self, meta, children):
        # Line breaks mean nothing, as everywhere in the language: `1, 2 3, 4` is two rows, and a
        # forgotten comma shows as a row with too few values (SEG132).
        return tuple(c for c in children if isinstance(c, t.Row))

    def key_list(self, meta, children):
        return tuple(self._fixture_value(c) for c in children)

    def test_param(self, meta, children):
        return t.ParamSetting(children[0], self._fixture_value(children[1]))

    def test_params(self, meta, children):
        return t.Setting("params", self._span(meta), None,  # type: ignore[attr-defined]
                         tuple(c for c in children if isinstance(c, t.ParamSetting)))

    def test_as_of(self, meta, children):
        tok = children[0]
        span = self._tok_span(tok)  # type: ignore[attr-defined]
        try:
            value = dt.date.fromisoformat(tok.value[1:])
        except ValueError:
            self.diagnostics.append(Diagnostic("SEG202", f"`{tok.value}` is not a valid date", span,
                                               "write dates as @YYYY-MM-DD with a real month and day"))
            value = dt.date(1970, 1, 1)
        return t.Setting("as_of", self._span(meta), t.Value(value, tok.value, span))  # type: ignore[attr-defined]

    def fixture(self, meta, children):
        source, *rest = children
        rows: tuple[t.Row, ...] = rest.pop() if rest and isinstance(rest[-1], tuple) else ()
        return t.Fixture(source, tuple(rest), rows, self._span(meta))  # type: ignore[attr-defined]

    def fixture_file(self, meta, children):
        source, path = children
        return t.Fixture(source, (), (), self._span(meta), self._text(path)[0], self._tok_span(path))  # type: ignore[attr-defined]

    def _expect(self, kind: str, meta, children) -> t.Expect:
        span: Span = self._span(meta)  # type: ignore[attr-defined]
        if kind in t.MEMBER_KINDS:
            subject = children[0].parts
            keys = children[1] if len(children) > 1 else ()
            return t.Expect(kind, subject, span, keys=keys)
        name, key, *value = children
        return t.Expect(kind, (name,), span, key=self._fixture_value(key),
                        value=self._fixture_value(value[0]) if value else None)

    def expect_members(self, meta, children):
        return self._expect("members", meta, children)

    def expect_not_in(self, meta, children):
        return self._expect("not_in", meta, children)

    def expect_contains(self, meta, children):
        return self._expect("contains", meta, children)

    def expect_value(self, meta, children):
        return self._expect("value", meta, children)

    def expect_missing(self, meta, children):
        return self._expect("missing", meta, children)

    def test(self, meta, children):
        name, *items = children
        label = items.pop(0) if items and isinstance(items[0], str) else None
        as_of = None
        params: tuple[t.ParamSetting, ...] = ()
        settings: list[t.Setting] = []
        fixtures, expects = [], []
        for item in items:
            if isinstance(item, t.Fixture):
                fixtures.append(item)
            elif isinstance(item, t.Expect):
                expects.append(item)
            else:
                settings.append(item)
                if item.kind == "as_of":
                    as_of = as_of or item.value
                else:
                    params = params + item.params
        return t.Test(name, label, as_of, params, tuple(fixtures), tuple(expects), self._span(meta),  # type: ignore[attr-defined]
                      tuple(settings))
