"""The persona report: every figure of every card against plain Python over the reference members.

The model runs on each verified engine (the conformance corpus); the cards
are compared with figures computed here from the reference evaluator's
members and the raw entity rows: sizes, shares, value and index, the most
over-represented traits (the same ones, in the same order), the most common
values, the medians and the RFM mix. The survey model of the examples runs
on the demo data in every format.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import statistics
from typing import Any

import pytest
from rich.console import Console

import segdsl
from segdsl.lang.diagnostics import SegError
from segdsl.lang.formatter import format_text
from segdsl.reports import compute as rep
from segdsl.reports import render
from segdsl.reports.persona import MAX_VALUES, MIN_SHARE, TOP_COMMON, TOP_TRAITS, Card
from tests.support.conformance.data import TABLES, reference_tables
from tests.support.engines import VERIFIED_ENGINES
from tests.support.paths import EXAMPLES
from tests.support.reference import evaluate

AS_OF = dt.date(2026, 6, 30)
NONE = rep.NONE_LABEL
MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

feature revenue = sum(orders.amount)
feature n = count(orders)
feature usual_channel = most_frequent(orders.channel)
feature recency = days_between(max(orders.ordered_at), as_of)

segment buyer = exists(orders)
segment vip = revenue >= 100
segment b2b = is_b2b

segmentation lifecycle { loyal = n >= 3  occasional = n >= 1  else prospect }
segmentation value = rfm(recency: recency, frequency: n, monetary: revenue)

report persona of lifecycle measure revenue, avg(vip)
report persona of vip
"""


def label(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def cards(result: rep.ReportResult) -> dict[str, Card]:
    return {c.title: c for c in result.blocks if isinstance(c, Card)}


def block(card: Card, title: str) -> rep.Table:
    return next(b for b in card.blocks if isinstance(b, rep.Table) and b.title.startswith(title))


def approx(v: Any) -> Any:
    return None if v is None else pytest.approx(v, rel=1e-9)


def expected_traits(rows: list[dict], members: list[dict], dims: dict[str, Any], segments: list[str]
                    ) -> list[list[Any]]:
    """Every (dimension, value) with its figures, as the card ranks them."""
    out = []
    for dim, get in dims.items():
        values = sorted({label(get(x)) for x in rows} - {NONE})
        for v in values:
            n_in = sum(1 for x in members if label(get(x)) == v)
            n_all = sum(1 for x in rows if label(get(x)) == v)
            out.append(trait(dim, v, n_in, n_all, len(members), len(rows)))
    for s in segments:
        out.append(trait("segment", s, sum(1 for x in members if x[s]), sum(1 for x in rows if x[s]),
                         len(members), len(rows)))
    return out


def trait(dim: str, value: str, n_in: int, n_all: int, members: int, total: int) -> list[Any]:
    share_in, share_all = n_in / members, n_all / total
    return [dim, value, share_in, share_all, share_in / share_all * 100 if share_all else None, n_in]


def median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_persona_cards_match_the_reference(engine_name: str, engine) -> None:
    model = segdsl.load(MODEL)
    target = engine.target()
    try:
        results = {r.name: r for r in model.report(connection=target, as_of=AS_OF)}
    finally:
        target.close()
    entity = {row["customer_id"]: row for row in TABLES["customers"].dicts()}
    rows = [{**entity[k], **v} for k, v in evaluate(model.ir, reference_tables(), AS_OF, {}).items()]
    total = len(rows)
    revenue_all = sum(x["revenue"] for x in rows if x["revenue"] is not None)
    # the descriptive entity columns: text and true/false, not the key nor `since`, few values
    categorical = [c for c, kind in TABLES["customers"].columns if kind in ("text", "bool")
                   and len({x[c] for x in rows}) <= MAX_VALUES]
    dims: dict[str, Any] = {"value": lambda x: x["value"], "usual_channel": lambda x: x["usual_channel"]}
    dims |= {c: (lambda x, c=c: x[c]) for c in categorical}

    persona = results["persona_lifecycle"]
    by_case = cards(persona)
    cases = [c for c in model.ir.segmentations["lifecycle"].labels]
    assert list(by_case) == [f"lifecycle: {c}" for c in cases]
    for case in cases:
        card = by_case[f"lifecycle: {case}"]
        members = [x for x in rows if x["lifecycle"] == case]
        revenue = [x["revenue"] for x in members if x["revenue"] is not None]
        value = sum(revenue) if revenue else None
        per = None if value is None else value / len(members)
        size = block(card, "Size and value")
        assert size.columns == ["members", "share of all", "revenue", "share of value", "per member", "index",
                                "avg(vip)"]
        assert size.rows == [[len(members), approx(len(members) / total), approx(value),
                              approx(None if value is None else value / revenue_all), approx(per),
                              approx(None if per is None else per / (revenue_all / total) * 100),
                              approx(sum(x["vip"] for x in members) / len(members))]], case

        every = expected_traits(rows, members, dims, ["buyer", "vip", "b2b"])
        top = sorted((t for t in every if t[2] >= MIN_SHARE and (t[4] or 0) > 100),
                     key=lambda t: (-t[4], t[0], t[1]))[:TOP_TRAITS]
        got = block(card, "Most over-represented traits").rows
        assert [r[:2] for r in got] == [t[:2] for t in top], case
        for g, t in zip(got, top):
            assert g[2:5] == [approx(t[2]), approx(t[3]), approx(t[4])] and g[5] == t[5], (case, t)

        common = block(card, "Most common values").rows
        want = []
        for c in categorical:
            column = [t for t in every if t[0] == c and t[5] > 0]
            want += [t[:2] + [t[5]] for t in sorted(column, key=lambda t: (-t[5], t[1]))[:TOP_COMMON]]
        assert [[r[0], r[1], r[5]] for r in common] == want, case

        typical = {r[0]: r[1:] for r in block(card, "Typical values").rows}
        for feature in ("revenue", "n", "recency"):
            assert typical[feature] == [approx(median([x[feature] for x in members])),
                                        approx(median([x[feature] for x in rows]))], (case, feature)

        mix = block(card, "value mix").rows
        groups = model.ir.segmentations["value"].labels
        assert [r[0] for r in mix] == list(groups)
        for r, g in zip(mix, groups):
            n_in, n_all = sum(1 for x in members if x["value"] == g), sum(1 for x in rows if x["value"] == g)
            assert r[1:] == [approx(n_in / len(members)), approx(n_all / total),
                             approx(n_in / len(members) / (n_all / total) * 100) if n_all else None, n_in], (case, g)
    assert persona.stats["cases"] == {c: sum(1 for x in rows if x["lifecycle"] == c) for c in cases}

    vip = cards(results["persona_vip"])
    assert list(vip) == ["vip"]  # a segment has one card: its members
    vip_members = [x for x in rows if x["vip"]]
    assert block(vip["vip"], "Size and value").rows == [[len(vip_members), approx(len(vip_members) / total)]]
    traits = block(vip["vip"], "Most over-represented traits").rows
    assert all(r[0] != "segment" or r[1] != "vip" for r in traits)  # not the subject itself
    assert [r[4] for r in traits] == sorted((r[4] for r in traits), reverse=True)


@pytest.fixture(scope="module")
def survey_report(demo_db) -> list[rep.ReportResult]:
    model = segdsl.load(EXAMPLES / "psychographics.seg")
    return model.report(db=demo_db, as_of=AS_OF)


def test_the_survey_personas_render_as_cards_in_every_format(survey_report):
    persona = next(r for r in survey_report if r.kind == "persona")
    needs = [c for c in persona.blocks if isinstance(c, Card)]
    labels = ["delivery_speed", "advice", "low_price", "choice", "no_clear_need"]
    assert [c.title for c in needs] == [f"needs: {x}" for x in labels]
    # the stated need is what sets the advice seekers apart, far above all members
    advice = block(needs[1], "Most over-represented traits").rows
    assert ["stated_need", "advice"] == advice[0][:2] and advice[0][4] > 300
    context = render.Context("psychographics.seg", AS_OF, "demo", dt.datetime(2026, 7, 1, 9, 0))
    html = render.render(survey_report, context, "html")
    assert html.count('<article class="card">') == 5 and html.count("<svg") >= 10
    md = render.render(survey_report, context, "md")
    assert all(f"### needs: {x}" in md for x in labels)
    doc = json.loads(render.render(survey_report, context, "json"))
    blocks = doc["reports"][0]["blocks"]
    assert [b["type"] for b in blocks] == ["card"] * 5
    assert {b["type"] for b in blocks[0]["blocks"]} == {"table", "bars"}
    csv_text = render.render(survey_report, context, "csv")
    assert "needs: advice: Size and value" in csv_text
    console = Console(file=io.StringIO(), width=160)
    render.print_terminal(survey_report, context, console)
    shown = console.file.getvalue()
    assert all(f"needs: {x}" in shown for x in labels) and "Typical values (medians)" in shown


def test_persona_takes_a_segmentation_or_a_segment():
    with pytest.raises(SegError) as info:
        segdsl.load(MODEL + "report persona of revenue\n")
    assert [(d.code, d.message) for d in info.value.diagnostics] == [
        ("SEG108", "`revenue` is not a segmentation or segment")]
    text = MODEL + "report needs = persona of lifecycle measure revenue\n"
    assert format_text(format_text(text)) == format_text(text)
    assert "report needs = persona of lifecycle measure revenue" in format_text(text)


def test_persona_cards_show_predicted_value_as_the_model_writes_it(demo_db) -> None:
    """With a prediction in the model, each card's medians include its parts (`clv.value`, …), equal to
    the medians of the members' scores that `run` writes."""
    model = segdsl.load(EXAMPLES / "predicted_value.seg")
    persona = model.report(db=demo_db, as_of=AS_OF, adhoc=["persona of value_tier"])[0]
    members = model.run(db=demo_db, as_of=AS_OF).arrow().read_all().to_pylist()
    for case in model.ir.segmentations["value_tier"].labels:
        here = [x for x in members if x["value_tier"] == case]
        typical = {r[0]: r[1:] for r in block(cards(persona)[f"value_tier: {case}"], "Typical values").rows}
        assert "clv_value" not in typical
        for part in ("value", "alive", "purchases"):
            column = [x[f"clv_{part}"] for x in here if x[f"clv_{part}"] is not None]
            everyone = [x[f"clv_{part}"] for x in members if x[f"clv_{part}"] is not None]
            assert typical[f"clv.{part}"] == [approx(median(column)), approx(median(everyone))], (case, part)
