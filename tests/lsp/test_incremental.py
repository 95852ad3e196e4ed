"""Parsing definition by definition gives what the parser gives: the same tree, the same diagnostics."""

from __future__ import annotations

from segdsl.lang import parser as p
from segdsl.lang import syntax as s
from segdsl.lang.diagnostics import SegError
from segdsl.tools.lsp import incremental
from tests.lsp.test_bad_input import _fuzz_corpus
from tests.support.paths import EXAMPLES, GOLDEN


def whole(text: str, file: str):
    try:
        return p._parse(text, file), []
    except SegError as exc:
        return None, exc.diagnostics


def test_pieces_give_the_parsers_tree_and_diagnostics() -> None:
    texts = [x.read_text(encoding="utf-8") for x in sorted(EXAMPLES.glob("*.seg"))]
    texts += [x.read_text(encoding="utf-8") for x in sorted((GOLDEN / "diagnostics").glob("*.seg"))]
    texts += _fuzz_corpus(300)
    texts += ["", "# only a comment\n", "feature a = 1", "\n\n  feature a = (\nsegment s = a > 1\n" * 30]
    for text in texts:
        tree, errors = whole(text, "m.seg")
        parsed, found = incremental.parse(text, "m.seg")
        assert found == errors, text
        if tree is not None:
            assert parsed == tree, text  # spans included
        # twice: the second time from the cache, shifted where lines moved
        moved = "# a line more\n" + text
        tree, errors = whole(moved, "m.seg")
        parsed, found = incremental.parse(moved, "m.seg")
        assert found == errors, moved
        if tree is not None:
            assert parsed == tree


def test_an_edit_reparses_one_definition(monkeypatch) -> None:
    text = "\n".join(f"feature f{i} = count(orders in last {i + 1} days)" for i in range(200)) + "\n"
    incremental.parse(text, "big.seg")
    calls = []
    real = incremental._parse_piece
    monkeypatch.setattr(incremental, "_parse_piece", lambda *a: calls.append(a) or real(*a))
    edited = text.replace("f100 = count(orders in last 101 days)", "f100 = count(orders in last 7 days)")
    parsed, errors = incremental.parse(edited, "big.seg")
    assert errors == [] and len(calls) == 1
    assert parsed == p._parse(edited, "big.seg")
    assert isinstance(parsed, s.File)
