"""The trait aggregates in the checker and the formatter: types, names, diagnostics.

Their values on every engine are compared with the reference evaluator in
the conformance corpus (tests/support/conformance/models/traits.seg); here
is what a model says about them before any data is read.
"""

from __future__ import annotations

import pytest

import segdsl
from segdsl.lang.diagnostics import SegError
from segdsl.lang.formatter import format_text
from segdsl.lang.parser import parse
from segdsl.lang.syntax import without_spans
from segdsl.semantic import model as m
from segdsl.semantic.model import T

HEAD = """entity customers from "customers" key customer_id
events answers from "answers" by customer_id at answered_at columns (customer_id number, answered_at timestamp, question text, answer text, score number, agrees bool)
events orders from "orders" by customer_id at ordered_at
"""


def load(body: str) -> segdsl.Model:
    return segdsl.load(HEAD + body)


def errors(body: str) -> list[tuple[str, str]]:
    with pytest.raises(SegError) as info:
        load(body)
    return [(d.code, d.message) for d in info.value.diagnostics]


def test_picked_values_keep_the_type_of_their_argument():
    ir = load("""
feature a = most_frequent(answers.answer)
feature b = first(answers.score where question = "age")
feature c = last(answers.answered_at in last 30 days)
feature d = last(answers.agrees)
feature e = share(answers.score where agrees)
feature f = share(answers in last 1 year where agrees)
""").ir
    types = {n: ir.features[n].expr.type for n in "abcdef"}
    assert types == {"a": T.TEXT, "b": T.NUMBER, "c": T.TIMESTAMP, "d": T.BOOL, "e": T.NUMBER, "f": T.NUMBER}


def test_a_share_keeps_its_window_for_the_whole_and_its_where_for_the_part():
    ir = load('feature f = share(answers.score in last 1 year where question = "diet")').ir
    agg = ir.features["f"].expr
    assert isinstance(agg, m.Agg) and agg.func == "share"
    assert isinstance(agg.filter, m.DateWindow)  # the whole: the last year
    assert isinstance(agg.part, m.Compare)  # the part: diet answers
    trailing = load('feature f = share(answers.score where question = "diet" in last 1 year)').ir
    assert trailing.features["f"].expr == agg  # a window after the where is the aggregate's too


def test_first_and_last_stay_names_where_no_parenthesis_follows():
    ir = load("""
feature first = min(orders.ordered_at)
feature last = max(orders.ordered_at)
segment recent = first in last 30 days and last > first
feature opener = first(orders.channel)
""").ir
    assert set(ir.features) == {"first", "last", "opener"}
    assert ir.features["opener"].expr.func == "first"


def test_traits_format_back_to_the_same_model():
    text = HEAD + """feature a = most_frequent(answers.answer in last 90 days where question = "diet")
feature b = share(answers where agrees in last 1 year)
feature c = last  (answers.answer where question = "sport")
"""
    formatted = format_text(text)
    assert "last(answers.answer" in formatted
    assert without_spans(parse(formatted, "x")) == without_spans(parse(text, "x"))
    assert format_text(formatted) == formatted


def test_bad_traits_are_coded_diagnostics():
    assert errors("feature f = share(answers.score)") == [
        ("SEG150", "share needs `where`: the condition that selects the part of the whole")]
    assert errors('feature f = share(answers.answer where agrees)') == [
        ("SEG150", "share adds up numbers, but this is a text")]
    assert errors("feature f = most_frequent(answers)") == [("SEG206", "most_frequent needs a column of `answers`")]
    assert errors("feature f = first(answers.colour)") == [("SEG109", "`answers` has no column `colour`")]
    assert errors("feature f = last(answers.answer where last(answers.agrees))") == [
        ("SEG206", "aggregates cannot be nested")]


def test_first_needs_events_ordered_in_time():
    body = ('entity customers from "customers" key customer_id\n'
            'events steps from "steps" by customer_id at step columns (customer_id number, step number, page text)\n')
    with pytest.raises(SegError) as info:
        segdsl.load(body + "feature f = first(steps.page)")
    assert [d.code for d in info.value.diagnostics] == ["SEG151"]
    # most_frequent and share do not order the events: they are fine
    segdsl.load(body + 'feature f = most_frequent(steps.page)\nfeature g = share(steps where page = "/")')


def test_traits_are_not_member_aggregates_in_reports():
    assert errors("""feature s = sum(orders.amount)
segment buyer = s > 0
report value of buyer measure most_frequent(s)""")[0][0] == "SEG206"
