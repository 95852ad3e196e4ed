"""The VS Code extension's TextMate grammar against the language's own grammar.

Three checks keep `editors/vscode/syntaxes/seg.tmLanguage.json` and
`grammar/segdsl.lark` from drifting apart:

- every keyword of the lark grammar appears in a TextMate rule that gives it a
  keyword scope (no node needed);
- every .seg file of the repository that parses is tokenized by the TextMate
  grammar (through vscode-tmgrammar-test, the engine VS Code uses), with the
  parser as the oracle: what lark lexes as a keyword, a string, a number, a
  date, a duration unit or a comment must get that scope, every name lark
  lexes must never look like a keyword, and each definition's name must be
  highlighted as one;
- the extension's own test suite (`npm test`: type check, scope assertions in
  `editors/vscode/test/grammar`, the client started against a test server)
  passes.

The last two need node and npm; without them they skip, and fail when
SEGDSL_REQUIRE_ENGINES=1 (as in CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput
from tests.support.paths import ROOT

EDITOR = ROOT / "editors" / "vscode"
TM_GRAMMAR = EDITOR / "syntaxes" / "seg.tmLanguage.json"
LARK_GRAMMAR = ROOT / "grammar" / "segdsl.lark"
REQUIRE = os.environ.get("SEGDSL_REQUIRE_ENGINES", "") not in ("", "0", "false")

# Definition keywords, those of today's grammar and those on the way.
DEFINITIONS = {"import", "param", "entity", "events", "feature", "segment", "segmentation", "holdout", "report",
               "exclusive", "prediction", "test", "audience", "persona"}
AGGREGATES = {"count", "count_distinct", "exists", "sum", "avg", "min", "max", "most_frequent", "first", "last",
              "share", "btyd"}
KEYWORD_SCOPE = re.compile(r"^(keyword|storage|support\.function|constant\.language|variable\.language)\.")


def lark_parser(**options) -> Lark:
    return Lark(LARK_GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=False, **options)


def lark_keywords() -> set[str]:
    """The words that the lark grammar spells out as literal strings: its keywords."""
    return {t.pattern.value for t in lark_parser().terminals
            if t.pattern.type == "str" and re.fullmatch(r"\w+", t.pattern.value)}


def tm_rules(node) -> Iterator[dict]:
    if isinstance(node, dict):
        if any(k in node for k in ("match", "begin")):
            yield node
        for value in node.values():
            yield from tm_rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from tm_rules(value)


def scope_names(rule: dict) -> set[str]:
    names = {rule.get("name", "")}
    for key in ("captures", "beginCaptures", "endCaptures"):
        names |= {c.get("name", "") for c in rule.get(key, {}).values()}
    return {n for n in names if n}


def tm_grammar() -> dict:
    return json.loads(TM_GRAMMAR.read_text(encoding="utf-8"))


def test_every_keyword_of_the_lark_grammar_is_highlighted():
    """A keyword added to grammar/segdsl.lark must be added to the TextMate grammar too."""
    covered: set[str] = set()
    for rule in tm_rules(tm_grammar()):
        if not any(KEYWORD_SCOPE.match(n) for n in scope_names(rule)):
            continue
        regex = re.sub(r"\\[A-Za-z]", " ", rule.get("match", "") + " " + rule.get("begin", ""))
        covered |= set(re.findall(r"[A-Za-z_]\w*", regex))
    keywords = lark_keywords()
    assert {"segment", "between", "count_distinct", "monetary", "migration"} <= keywords  # the extraction works
    missing = sorted(keywords - covered)
    assert not missing, f"keywords of grammar/segdsl.lark that {TM_GRAMMAR.name} does not highlight: {missing}"


def test_duration_units_are_those_of_the_lark_grammar():
    unit = lark_parser().get_terminal("UNIT").pattern.value
    lark_units = set(re.search(r"\(([^()]*)\)", unit).group(1).split("|"))
    durations = [r for r in tm_rules(tm_grammar()) if r.get("name") == "meta.duration.seg"]
    assert len(durations) == 1
    tm_units = set(re.search(r"\((days\?[^()]*)\)", durations[0]["match"]).group(1).split("|"))
    assert lark_units == tm_units


# ── With node: the grammar as VS Code runs it ───────────────────────────────


@pytest.fixture(scope="session")
def npm() -> str:
    """npm in editors/vscode with its locked packages installed (npm ci when they are missing or stale)."""
    if not EDITOR.is_dir():
        pytest.skip("editors/vscode is not part of this tree")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "node and npm are needed to test the VS Code extension"
        if REQUIRE:
            pytest.fail(message + " (SEGDSL_REQUIRE_ENGINES=1)", pytrace=False)
        pytest.skip(message)
    installed = EDITOR / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (EDITOR / "package-lock.json").stat().st_mtime:
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=EDITOR, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return npm


def test_extension_test_suite_passes(npm: str):
    done = subprocess.run([npm, "test"], cwd=EDITOR, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"npm test failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "✓ test/grammar/definitions.seg" in done.stdout
    assert re.search(r"^# fail 0$", done.stdout, re.M) and re.search(r"^# pass [1-9]", done.stdout, re.M)


def corpus() -> list[Path]:
    """Every .seg file of the repository, broken ones included (those that do not parse are left out later)."""
    folders = ["examples", "benchmarks", "tests/conformance", "tests/golden"]
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.seg"))


def definition_name_scope(definition: Tree) -> str | None:
    """The scope of the name a definition introduces, found by the keyword it starts with."""
    kinds = {"case": "case", "else_case": "case", "arm": "arm"}
    if definition.data in kinds:
        return f"entity.name.function.{kinds[definition.data]}.seg"
    first = definition.children[0] if definition.children else None
    if definition.data.startswith("report_"):  # `report persona of S`: a report's kind, not a definition
        return None
    if isinstance(first, Token) and first.value in DEFINITIONS - {"import", "exclusive"}:
        kind = "type" if first.value in ("entity", "events") else "function"
        return f"entity.name.{kind}.{first.value}.seg"
    return None


def keyword_scope(word: str, rule: str, followed_by_colon: bool) -> str | None:
    """The scope a keyword must have, by the rule lark found it in."""
    if rule == "missing_value":
        return "constant.language.missing.seg"
    if rule.startswith(("test_", "expect_")) or rule == "fixture_file":  # inside a test block
        return {"as_of": "variable.language.as-of.seg", "from": "keyword.other.source.seg", "not": "keyword.operator.logical.seg",
                "in": "keyword.operator.word.seg", "contains": "keyword.operator.word.seg", "is": "keyword.operator.word.seg",
                "missing": "keyword.operator.word.seg"}.get(word, "keyword.other.test.seg")
    if word in DEFINITIONS and not rule.startswith("report_"):
        return f"storage.type.{word}.seg"
    if followed_by_colon:
        return "keyword.other.argument.seg"
    if rule in ("entity", "events", "since", "columns"):
        return "keyword.other.source.seg"
    if rule == "holdout":
        return "keyword.other.holdout.seg"
    if rule == "audience":
        return "keyword.other.audience.seg"
    if rule.startswith("report_"):
        return "keyword.other.report.seg"
    if word in ("bucket", "quantile", "rfm"):
        return "support.function.partition.seg"
    if rule in ("last", "previous", "next", "since_window", "before_window"):
        return "keyword.other.window.seg"
    if rule == "agg_func" or word in AGGREGATES:
        return "support.function.aggregate.seg"
    if word in ("and", "or", "not"):
        return "keyword.operator.logical.seg"
    if word in ("in", "between", "like", "contains", "is", "missing", "starts", "with"):
        return "keyword.operator.word.seg"
    return {"where": "keyword.other.where.seg", "true": "constant.language.boolean.seg",
            "false": "constant.language.boolean.seg", "else": "keyword.control.else.seg"}.get(word)


def keyword_like_scopes(grammar: dict) -> list[str]:
    """Every keyword-like scope the TextMate grammar can give, for the negative check on names.

    Built-in functions (`days_between`) and `as_of` are names to the parser, so their scopes are allowed.
    """
    names = set()
    for rule in tm_rules(grammar):
        for name in scope_names(rule):
            names |= {name.replace("$1", d) for d in DEFINITIONS} if "$1" in name else {name}
    allowed = ("variable.language.", "support.function.builtin.")
    return sorted(n for n in names if KEYWORD_SCOPE.match(n) and not n.startswith(allowed))


class Expectations:
    """Scope assertions for one file, in vscode-tmgrammar-test's notation, from lark's tokens."""

    def __init__(self, text: str, not_keywords: list[str]):
        self.lines = text.split("\n")
        self.not_keywords = "- " + " ".join(not_keywords)  # one `-`, then every scope that must be absent
        self.by_line: dict[int, list[str]] = {}
        self.unmapped: set[tuple[str, str]] = set()

    def add(self, line: int, column: int, end_column: int, scopes: str) -> None:
        source = self.lines[line - 1]
        start = len(source[: column - 1].encode("utf-16-le")) // 2  # VS Code counts UTF-16 units
        end = len(source[: end_column - 1].encode("utf-16-le")) // 2
        mark = f"# <{'-' * (end - start)}" if start == 0 else "#" + " " * (start - 1) + "^" * (end - start)
        self.by_line.setdefault(line, []).append(f"{mark} {scopes}")

    def token(self, tok: Token, rule: str, parent: Tree | None, grandparent: Tree | None) -> None:
        pos = (tok.line, tok.column, tok.end_column)
        if tok.type == "NAME" or tok.type == "QUOTED_NAME":
            defines = definition_name_scope(grandparent) if grandparent is not None else None
            names = [c for c in grandparent.children if isinstance(c, Tree) and c.data == "name"] if grandparent else []
            if grandparent is not None and grandparent.data == "identifier" and names and names[0] is parent:
                # an audience's identifier kind (`email: customers.email`) reads as a named argument
                self.add(*pos, "keyword.other.argument.seg")
                return
            if defines and names and names[0] is parent:
                self.add(*pos, defines)
            elif tok.value == "as_of":
                self.add(*pos, "variable.language.as-of.seg")
            if tok.type == "QUOTED_NAME":
                self.add(tok.line, tok.column, tok.column + 1, "punctuation.definition.quoted.begin.seg")
            self.add(*pos, self.not_keywords)
        elif tok.type == "STRING":
            self.add(*pos, "string.quoted.double.seg" if tok.value[0] == '"' else "string.quoted.single.seg")
        elif tok.type == "NUMBER":
            self.add(*pos, "constant.numeric.seg")
        elif tok.type == "DATE":
            self.add(*pos, "constant.numeric.date.seg")
        elif tok.type == "TIMESTAMP":
            self.add(*pos, "constant.numeric.timestamp.seg")
        elif tok.type == "UNIT":
            self.add(*pos, "keyword.other.unit.seg")
        elif re.fullmatch(r"\w+", tok.value):
            rest = self.lines[tok.line - 1][tok.end_column - 1:]
            scope = keyword_scope(tok.value, rule, rest.lstrip().startswith(":"))
            if scope is None:
                self.unmapped.add((tok.value, rule))
            else:
                self.add(*pos, scope)

    def comment(self, tok: Token) -> None:
        self.add(tok.line, tok.column, tok.end_column, "comment.line.number-sign.seg")

    def render(self, title: str) -> str:
        out = [f'# SYNTAX TEST "source.seg" "{title}"']
        for n, line in enumerate(self.lines, start=1):
            assert not re.match(r"#\s*(\^|<~*-+)", line), f"line {n} would be read as an assertion"
            out.append(line)
            out.extend(self.by_line.get(n, []))
        return "\n".join(out) + "\n"


def walk(tree: Tree, parent: Tree | None = None, grandparent: Tree | None = None):
    for child in tree.children:
        if isinstance(child, Tree):
            yield from walk(child, tree, parent)
        else:
            # A token's rule is its tree's; a name's is the definition around its `name` tree.
            yield child, tree, parent


def test_repository_models_are_highlighted_as_the_parser_reads_them(npm: str, tmp_path: Path):
    grammar = tm_grammar()
    not_keywords = keyword_like_scopes(grammar)
    written, unmapped, skipped = [], set(), []
    comments: list[Token] = []
    parser = lark_parser(keep_all_tokens=True, lexer_callbacks={"COMMENT": comments.append})
    for i, path in enumerate(corpus()):
        text = path.read_text(encoding="utf-8")
        comments.clear()
        try:
            tree = parser.parse(text)
        except UnexpectedInput:  # a file of the broken-input corpus: nothing to compare with
            skipped.append(path.relative_to(ROOT).as_posix())
            continue
        expect = Expectations(text, not_keywords)
        for tok, rule_tree, outer in walk(tree):
            if rule_tree.data == "name":
                expect.token(tok, outer.data if outer is not None else "", rule_tree, outer)
            else:
                expect.token(tok, rule_tree.data, None, None)
        for tok in comments:
            expect.comment(tok)
        unmapped |= {(w, r, path.relative_to(ROOT).as_posix()) for w, r in expect.unmapped}
        out = tmp_path / f"{i:03d}_{path.stem}.seg"
        out.write_text(expect.render(path.relative_to(ROOT).as_posix()), encoding="utf-8")
        written.append(out)
    assert not unmapped, f"keywords with no expected scope here (add them to keyword_scope): {sorted(unmapped)}"
    assert all(p.startswith("tests/golden/diagnostics/") for p in skipped), f"models that do not parse: {skipped}"

    tool = EDITOR / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    # Run outside editors/vscode: there, the grammar named by package.json would be loaded too.
    done = subprocess.run([str(tool), "--compact", "-g", str(TM_GRAMMAR), *map(str, written)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"scopes differ from what the parser reads:\n{done.stdout[-8000:]}{done.stderr}"
    assert done.stdout.count("✓") == len(written) >= 15
