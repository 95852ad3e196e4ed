"""The grammar: every construct of the language parses to the intended tree."""

from __future__ import annotations

import datetime as dt

import pytest

from segdsl.lang import syntax as s
from segdsl.lang.diagnostics import SegError
from segdsl.lang.parser import parse
from tests.support.paths import ROOT


def one(text: str):
    (d,) = parse(text).definitions
    return d


def expr(text: str):
    return one(f"feature f = {text}").expr


def test_import_and_param():
    f = parse('import "common.seg"\nparam vip_spend: number = 1000')
    imp, par = f.definitions
    assert imp == s.Import("common.seg", imp.span)
    assert (par.name.text, par.type.text, par.default.value) == ("vip_spend", "number", 1000)


@pytest.mark.parametrize("text,value", [
    ("param d: date = @2025-01-31", dt.date(2025, 1, 31)),
    ("param t: timestamp = @2025-01-31T10:00", dt.datetime(2025, 1, 31, 10, 0)),
    ("param b: bool = true", True),
    ("param x: text = 'it''s'", None),
])
def test_param_literals(text, value):
    if value is None:
        with pytest.raises(SegError):
            parse(text)
        return
    assert one(text).default.value == value


def test_entity_and_events():
    e = one('entity customers from "customers.csv" key customer_id since signup_date')
    assert (e.name.text, e.source, e.key.text, e.since.text) == ("customers", "customers.csv", "customer_id",
                                                                "signup_date")
    assert one('entity c from "crm.customers" key id').since is None
    ev = one('events orders from "orders" by customer_id at ordered_at')
    assert (ev.name.text, ev.source, ev.by.text, ev.at.text) == ("orders", "orders", "customer_id", "ordered_at")


def test_keywords_stay_usable_as_column_names():
    e = expr("value + key * from")
    assert isinstance(e, s.Binary) and e.left.parts[0].text == "value"
    assert one('entity from from "t" key key').key.text == "key"


def test_aggregates_with_where_and_windows():
    a = expr('sum(orders.amount where channel = "web" in last 90 days)')
    assert isinstance(a, s.Aggregate) and a.func.text == "sum"
    assert a.window.kind == "last" and a.window.arg == s.Duration(90, "day", a.window.arg.span)
    assert isinstance(a.where, s.Binary) and a.where.op == "="
    b = expr("count(orders in previous 3 months where coupon_used)")
    assert b.window.kind == "previous" and b.window.arg.unit == "month" and isinstance(b.where, s.Ref)
    c = expr("exists(web since @2025-01-01)")
    assert c.func.text == "exists" and c.window.kind == "since"
    d = expr("count_distinct(orders.category before as_of - 1 year)")
    assert d.window.kind == "before" and isinstance(d.window.arg, s.Binary)


@pytest.mark.parametrize("text,cls,attrs", [
    ("a in (1, 2)", s.InList, {"negated": False}),
    ("a not in ('x')", s.InList, {"negated": True}),
    ("a between 1 and 5", s.Between, {"negated": False}),
    ("a not between @2025-01-01 and @2025-03-31", s.Between, {"negated": True}),
    ("a is missing", s.IsMissing, {"negated": False}),
    ("a is not missing", s.IsMissing, {"negated": True}),
    ('email like "%@gmail.com"', s.Binary, {"op": "like", "negated": False}),
    ('email not like "a_"', s.Binary, {"op": "like", "negated": True}),
    ('name contains "x"', s.Binary, {"op": "contains"}),
    ('name starts with "x"', s.Binary, {"op": "starts_with"}),
    ("signup_date in last 30 days", s.InWindow, {}),
    ("signup_date since @2025-01-01", s.InWindow, {}),
    ("signup_date before as_of - 1 year", s.InWindow, {}),
    ("a <> b", s.Binary, {"op": "!="}),
])
def test_predicates(text, cls, attrs):
    e = expr(text)
    assert isinstance(e, cls)
    for k, v in attrs.items():
        assert getattr(e, k) == v


def test_precedence():
    e = expr("a or b and not c")
    assert e.op == "or" and e.items[1].op == "and" and e.items[1].items[1].op == "not"
    m = expr("1 + 2 * 3 - -4")
    assert m.op == "-" and m.left.op == "+" and m.left.right.op == "*" and m.right.op == "-"
    flat = expr("a and b and c")
    assert len(flat.items) == 3


def test_comparisons_do_not_chain():
    with pytest.raises(SegError):
        parse("feature f = a < b < c")


def test_segments_labels_and_references():
    seg = one('segment vip "Top spenders" = revenue >= vip_spend')
    assert seg.label == "Top spenders" and seg.name.text == "vip"
    ref = one("segment x = lifecycle.new and not vip").expr
    assert [p.text for p in ref.items[0].parts] == ["lifecycle", "new"]


def test_segmentations():
    cases = one("segmentation life \"Type\" { new = a > 1  old = a <= 1  else other }")
    assert cases.kind == "cases" and cases.label == "Type"
    assert [c.name.text for c in cases.cases] == ["new", "old"] and cases.else_case.text == "other"
    b = one("segmentation band = bucket(age, [18, 25, 35])")
    assert b.kind == "bucket" and [a.value for a in b.args[1:]] == [18, 25, 35]
    q = one("segmentation tier = quantile(revenue, 5)")
    assert q.kind == "quantile" and q.args[1].value == 5
    r = one("segmentation rfm = rfm(recency: recency, frequency: count(orders), monetary: revenue)")
    assert r.kind == "rfm" and isinstance(r.args[1], s.Aggregate)


def test_holdout():
    h = one('holdout t = vip split 90% treatment, 10% control seed "spring-2026"')
    assert [(a.percent, a.name.text) for a in h.arms] == [(90.0, "treatment"), (10.0, "control")]
    assert h.seed == "spring-2026" and h.segment.text == "vip"


@pytest.mark.parametrize("text,kind,subjects,measures", [
    ("report value of lifecycle measure revenue", "value", ["lifecycle"], 1),
    ("report value of vip, lapsed", "value", ["vip", "lapsed"], 0),
    ("report crosstab gender by lifecycle measure avg(revenue)", "crosstab", ["gender", "lifecycle"], 1),
    ("report profile of vip", "profile", ["vip"], 0),
    ("report overlap of vip, lapsed, newcomers", "overlap", ["vip", "lapsed", "newcomers"], 0),
    ("report migration of lifecycle", "migration", ["lifecycle"], 0),
    ("report worth = value of lifecycle measure revenue, margin", "value", ["lifecycle"], 2),
])
def test_reports(text, kind, subjects, measures):
    r = one(text)
    assert r.kind == kind and [n.text for n in r.subjects] == subjects and len(r.measures) == measures


def test_unicode_and_backtick_names():
    f = parse('segment сегмент = miasto = "Łódź"\nfeature `total spend` = 1')
    assert f.definitions[0].name.text == "сегмент"
    assert f.definitions[0].expr.right.value == "Łódź"
    assert f.definitions[1].name.text == "total spend"


def test_strings_escape_and_comments():
    e = expr('"a \\"quoted\\" # not a comment"  # a comment')
    assert e.value == 'a "quoted" # not a comment'


@pytest.mark.parametrize("literal,text,like", [
    ('"a\\\\b"', "a\\b", None),                        # \\ is one backslash
    ('"50\\%"', "50%", "50\\%"),                          # \% a literal %: the like form keeps it escaped
    ("'x\\_y\\\\%'", "x_y\\%", "x\\_y\\\\%"),           # \_ literal, \\ a backslash, % a wildcard
    ('"q\\"\\\'\\n\\t"', "q\"'\n\t", None),
    ('"%_"', "%_", None),
])
def test_text_escapes(literal, text, like):
    from segdsl.lang.parser import decode

    assert decode(literal) == (text, like, [])
    assert expr(literal) == s.Str(text, expr(literal).span, like)


@pytest.mark.parametrize("source,column", [
    ('feature t = "back\\slash"', 18),
    ('import "lib\\x.seg"', 12),
    ('entity c from "C:\\data.csv" key id', 18),
    ('segment s "a\\b" = true', 13),
])
def test_an_unknown_escape_is_an_error_at_its_place(source, column):
    with pytest.raises(SegError) as info:
        parse(source, "m.seg")
    d = info.value.diagnostics[0]
    assert d.code == "SEG003" and (d.span.line, d.span.column, d.span.end_column) == (1, column, column + 2)
    assert d.message.startswith("unknown escape `\\")


def test_spans_point_at_the_source():
    f = parse("\n\nsegment  vip = revenue > 1", "m.seg")
    seg = f.definitions[0]
    assert (seg.name.span.file, seg.name.span.line, seg.name.span.column) == ("m.seg", 3, 10)
    assert (seg.expr.span.line, seg.expr.span.column, seg.expr.span.end_column) == (3, 16, 27)


def test_every_broken_definition_is_reported():
    text = "feature a = (1\nfeature b = 2 +\nfeature c = 3\nsegment d = @2025-13-01 < x"
    with pytest.raises(SegError) as info:
        parse(text, "m.seg")
    lines = [d.span.line for d in info.value.diagnostics]
    assert lines == [1, 2, 4]


def test_durations_need_whole_numbers():
    with pytest.raises(SegError) as info:
        parse("segment s = a in last 1.5 days")
    assert info.value.diagnostics[0].code == "SEG202"


def test_packaged_grammar_is_the_source_grammar():
    from segdsl.lang.parser import grammar_text

    source = ROOT / "grammar" / "segdsl.lark"
    assert grammar_text() == source.read_text(encoding="utf-8")
