"""`segdsl fmt`: one canonical layout that never changes what a model says.

Properties, on every example and on random models (the generator of
test_equivalence, with comments and line breaks scattered between tokens):
the formatted text parses to the same syntax tree (spans aside), keeps every
comment, and formatting it again changes nothing.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segdsl.tools.cli import app
from segdsl.lang.comments import scan
from segdsl.lang.diagnostics import SegError
from segdsl.lang.formatter import WIDTH, format_text
from segdsl.lang.parser import parse
from segdsl.lang.syntax import without_spans

from tests.support.randommodels import AS_OFS, interesting_dates, models
from tests.support.paths import EXAMPLES, ROOT

MODELS = sorted(EXAMPLES.glob("*.seg"))
runner = CliRunner()


def assert_sound(text: str) -> str:
    out = format_text(text)
    assert without_spans(parse(out)) == without_spans(parse(text))
    assert sorted(c.text for c in scan(out)) == sorted(c.text for c in scan(text))
    assert format_text(out) == out
    return out


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_examples_are_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert assert_sound(text) == text, f"run: segdsl fmt {path}"


def test_fmt_check_passes_on_examples() -> None:
    result = runner.invoke(app, ["fmt", "--check", str(EXAMPLES)])
    assert result.exit_code == 0, result.stderr


_TOKENS = re.compile(r'"(?:\\.|[^"\\\n])*"|`(?:[^`\n]|``)*`|#[^\n]*|\s+|[^\s"`#]+')


def scatter(text: str, rnd: random.Random) -> str:
    """The same model with line breaks, spaces and comments between its tokens."""
    out: list[str] = []
    for tok in _TOKENS.findall(text):
        if tok.isspace() and not (out and out[-1].startswith("#")):  # a comment ends at its line break
            r = rnd.random()
            tok = ("\n      " if r < 0.1 else f"  # note {rnd.randint(0, 9)}\n" if r < 0.15
                   else f"\n# about the next part {rnd.randint(0, 9)}\n" if r < 0.2 else "   " if r < 0.3 else tok)
        out.append(tok)
    return "".join(out)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_models(data) -> None:
    text, _ = data.draw(models(interesting_dates(AS_OFS[0])))
    assert_sound(text)
    assert_sound(scatter(text, random.Random(data.draw(st.integers(0, 2**32)))))


def test_example_texts_scattered() -> None:
    rnd = random.Random(7)
    for path in MODELS:
        for _ in range(5):
            assert_sound(scatter(path.read_text(encoding="utf-8"), rnd))


def test_escapes_are_written_back_as_they_mean() -> None:
    text = ('entity c from "c" key id\nsegment s = email like "50\\% off\\_\\\\%" and city = "a\\"b\\\\c\\td%"\n'
            'param p: text = "\\_x"\nsegment t = email like p\n')
    out = format_text(text)
    assert 'like "50\\% off\\_\\\\%"' in out and 'city = "a\\"b\\\\c\\td%"' in out and '"\\_x"' in out
    assert without_spans(parse(out)) == without_spans(parse(text))
    assert format_text(out) == out


def test_layout() -> None:
    text = '''# header

import "common.seg"   # shared
param   vip_spend : number=1000 # the threshold
feature orders_90d = count( orders in last 90 days )
feature   web_orders=count(orders where channel='web')
segment vip "Top" = revenue >= vip_spend and orders_90d >= 2 and city in ("Warszawa", "Kraków", "Łódź", "Gdańsk")
segment b = not (a > 1) or `weird name` <> 3 or x = 1 and y = 2
segmentation lifecycle {  # open
  new = first_order in last 30 days
  # before loyal
  loyal = orders_90d >= 3
  else occasional
}
exclusive vip,b
entity c from "c" key id columns (a text,b number)
'''
    assert format_text(text) == '''# header

import "common.seg"             # shared
param vip_spend: number = 1000  # the threshold
feature orders_90d = count(orders in last 90 days)
feature web_orders = count(orders where channel = "web")
segment vip "Top" =
    revenue >= vip_spend
    and orders_90d >= 2
    and city in ("Warszawa", "Kraków", "Łódź", "Gdańsk")
segment b = not (a > 1) or `weird name` != 3 or (x = 1 and y = 2)
segmentation lifecycle {  # open
  new   = first_order in last 30 days
  # before loyal
  loyal = orders_90d >= 3
  else occasional
}
exclusive vip, b
entity c
  from "c"
  key id
  columns (a text, b number)
'''


def test_a_commented_condition_stays_broken() -> None:
    text = '''segment s =
    a > 1      # why a
    and b < 2
'''
    assert format_text(text) == '''segment s =
    a > 1  # why a
    and b < 2
'''
    assert format_text("segment s =\n  a > 1\n  and b < 2\n") == "segment s = a > 1 and b < 2\n"


def test_window_after_where_is_kept_when_it_stays_the_aggregates() -> None:
    assert format_text('feature f = count(web where type = "x" in last 7 days)\n') == \
        'feature f = count(web where type = "x" in last 7 days)\n'
    # after a bare value it would become a window on that value: it moves before `where`
    tree = parse("feature f = count(orders where (paid) in last 7 days)\n")
    out = format_text("feature f = count(orders where (paid) in last 7 days)\n")
    assert without_spans(parse(out)) == without_spans(tree)


def test_long_lines_are_broken_within_the_width() -> None:
    cond = " and ".join(f"feature_{i} > {i}" for i in range(12))
    out = format_text(f"segment s = {cond}\n")
    assert all(len(line) <= WIDTH for line in out.splitlines())
    assert out.count("\n") == 13


def test_syntax_errors_are_reported_not_formatted(tmp_path) -> None:
    with pytest.raises(SegError) as exc:
        format_text("segment = 1\n")
    assert exc.value.diagnostics[0].code == "SEG001"
    bad = tmp_path / "bad.seg"
    bad.write_text("segment = 1\n")
    result = runner.invoke(app, ["fmt", str(bad)])
    assert result.exit_code == 1 and "error[SEG001]" in result.stderr
    assert bad.read_text() == "segment = 1\n"


def test_cli_rewrites_checks_and_diffs(tmp_path) -> None:
    model = tmp_path / "m.seg"
    model.write_text("segment  s=a>1\n")
    result = runner.invoke(app, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1 and f"would reformat {model}" in result.stderr
    result = runner.invoke(app, ["fmt", "--diff", str(model)])
    assert result.exit_code == 0 and "-segment  s=a>1\n+segment s = a > 1\n" in result.stdout
    assert model.read_text() == "segment  s=a>1\n"  # --diff writes nothing
    result = runner.invoke(app, ["fmt", str(model)])
    assert result.exit_code == 0 and model.read_text() == "segment s = a > 1\n"
    assert runner.invoke(app, ["fmt", "--check", str(model)]).exit_code == 0
    result = runner.invoke(app, ["fmt", "-"], input="feature   f=1\n")
    assert result.stdout == "feature f = 1\n"
    assert runner.invoke(app, ["fmt", str(tmp_path / "none.seg")]).exit_code == 2


def test_pre_commit_hooks_are_declared() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    for hook, entry in (("segdsl-check", "segdsl check"), ("segdsl-fmt", "segdsl fmt")):
        assert f"- id: {hook}" in text and f"entry: {entry}" in text
    assert text.count("files: \\.seg$") == 2
