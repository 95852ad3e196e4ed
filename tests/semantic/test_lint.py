"""Segment-quality lints: each rule fires on a real mistake and stays silent on a good model.

Static lints are checked on small models; data lints on the demo shop
(3,000 customers in DuckDB), where what they claim (sizes, shares, missing
values, overlaps, the newest event) is recomputed independently with `run`
or plain SQL and compared.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


import duckdb
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.semantic import config as cfg
from segdsl.tools.cli import app
from segdsl.tools.datalint import data_lints
from segdsl.tools.demo import DEMO_AS_OF
from segdsl.semantic.lints import RULES
from segdsl.engines.duckdb import DuckDBEngine
from tests.support.paths import EXAMPLES, ROOT


HEAD = '''entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
events web from "web_events" by customer_id at event_time
feature revenue = sum(orders.amount)
feature order_count = count(orders)
feature last_order = max(orders.ordered_at)
feature recency = days_between(last_order, as_of)
feature age = years_between(birth_date, as_of)
'''


def lint(text: str, config: cfg.Config | None = None, **kw) -> list:
    """Diagnostics of a model text: static lints, plus data lints when db= is given."""
    model = segdsl.load(HEAD + text)
    if config is None:
        return model.lint(**kw)
    from segdsl.semantic.lints import Suppressions, static_lints, to_diagnostics

    found = static_lints(model.ir, model.program.files, model.program.main, config, model.program.sources)
    return to_diagnostics(found, config, Suppressions(model.program.files, model.program.sources))


def codes(diags) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in diags]


def only(diags, code: str) -> list:
    return [d for d in diags if d.code == code]


# ── static lints ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("condition,clash", [
    ("age > 30 and age < 20", ("age > 30", "age < 20")),
    ('city in ("a") and city = "b"', ('city in ("a")', 'city = "b"')),
    ('city in ("a", "b") and city not in ("a", "b")', ('city in ("a", "b")', 'city not in ("a", "b")')),
    ("age >= 18 and age < 18", ("age >= 18", "age < 18")),
    ("age between 20 and 30 and age > 40", ("age between 20 and 30", "age > 40")),
    ("age not between 0 and 200 and age = 5", ("age = 5", "age not between 0 and 200")),
    ("age is missing and age > 3", ("age is missing", "age > 3")),
    ("order_count = 0 and exists(orders)", ("order_count = 0", "exists(orders)")),
    ("recency > 5 and days_between(last_order, as_of) < 2", ("recency > 5", "days_between")),
    ("signup_date in last 30 days and signup_date before as_of - 60 days", ("in last 30 days", "before")),
    ("age > 30 and not (age >= 20)", ("age > 30", "age >= 20")),
    ("age >= 18 and age <= 18 and age != 18", ("age >= 18", "age != 18")),
])
def test_contradiction_is_found_and_explained(condition, clash):
    (d,) = only(lint(f"segment odd = {condition}\nreport value of odd\n"), "SEG401")
    assert d.severity == "warning"
    assert "segment `odd` can never have members" in d.message
    for part in clash:
        assert part in d.message
    assert d.span.line == HEAD.count("\n") + 1 and d.span.column == len("segment odd = ") + 1


def test_contradiction_through_references_and_in_cases_and_filters():
    text = '''param p: number = 5
segment adult = age >= 18
segment child_adult = adult and age < 18
segment pinned = revenue >= p and revenue < p
segmentation g {
  a = age > 50
  c = age > 60 and age < 55
  else other
}
segmentation h {
  b = g.a and age < 10
  else rest
}
feature none_ = count(orders where amount > 5 and amount < 1)
report value of child_adult, pinned, g, h measure none_
'''
    found = only(lint(text), "SEG401")
    messages = " | ".join(d.message for d in found)
    assert "`child_adult`" in messages and "`pinned`" in messages
    assert "case `g.c` can never match" in messages and "case `h.b` can never match" in messages
    assert "`count(orders where amount > 5 and amount < 1)` never takes any event, so it is always 0" in messages


@pytest.mark.parametrize("condition", [
    "age > 30 or age < 20",
    "age > 20 and age < 30",
    'city in ("a", "b") and city != "a"',
    "age >= 18 and age <= 18",
    "revenue > vip and revenue < floor",  # two parameters: their order is unknown
    'city > "a" and city < "b"',  # text order depends on the collation: not judged
    "signup_date in last 30 days and signup_date in last 1 month",
    "age is missing or age > 3",
    "exists(orders in last 30 days) and not exists(orders in last 7 days)",
])
def test_satisfiable_conditions_are_not_flagged(condition):
    text = f"param vip: number = 1\nparam floor: number = 2\nsegment fine = {condition}\nreport value of fine\n"
    assert only(lint(text), "SEG401") == []


def test_unreachable_cases():
    text = '''segmentation tier {
  high = revenue > 100
  mid  = revenue > 50
  top  = revenue > 200
  else low
}
segmentation known {
  rich = revenue > 100
  poor = revenue <= 100
  none = revenue is missing
  else other
}
segmentation counts {
  zero = order_count = 0
  some = order_count >= 1
  else never
}
report value of tier, known, counts
'''
    found = {d.message for d in only(lint(text), "SEG402")}
    assert found == {
        "case `tier.top` can never match: `high` takes every member it would",
        "the else case `other` can never match: the cases before it (`rich`, `poor`, `none`) take every member "
        "it would",
        "the else case `never` can never match: the cases before it (`zero`, `some`) take every member it would",
    }


def test_cases_that_can_match_are_not_flagged():
    text = '''segmentation tier {
  top  = revenue > 200
  high = revenue > 100
  else low
}
segmentation known {
  rich = revenue > 100
  poor = revenue <= 100
  else unknown_spend
}
report value of tier, known
'''
    assert only(lint(text), "SEG402") == []  # revenue may be missing: `unknown_spend` takes those


def test_unused_definitions_in_the_checked_file():
    text = '''param used: number = 1
param unused: number = 2
feature helper = revenue * 2
feature spare = revenue * 3
segment s = helper > used
segment lonely = age > 3
report value of s
'''
    diags = lint(text)
    assert [d.message for d in only(diags, "SEG403")] == ["parameter `unused` is not used"]
    notes = {d.message: d.severity for d in only(diags, "SEG404")}
    assert notes["feature `spare` is not used"] == "note" and "feature `helper` is not used" not in notes
    assert "feature `revenue` is not used" not in notes  # used by `helper`
    assert only(diags, "SEG405") == []  # off by default
    loud = cfg.from_table({"rules": {"unused-segment": "warning"}}, Path("x.toml"))
    assert [d.message for d in only(lint(text, loud), "SEG405")] == ["segment `lonely` is not used"]


def test_uses_in_reports_filters_holdouts_and_exclusive_groups_count():
    text = '''param limit: number = 1
feature spend = sum(orders.amount where amount > limit)
feature measured = revenue / 2
segment a = spend > 0
segment b = age > 3
segment c = age > 4
holdout h = a split 50% x, 50% y seed "s"
exclusive b, c
report value of a measure measured
'''
    loud = cfg.from_table({"rules": {"SEG405": "warning"}}, Path("x.toml"))
    unused = [d.message for d in lint(text, loud) if d.code in ("SEG403", "SEG404", "SEG405")]
    mine = ("`limit`", "`spend`", "`measured`", "`a`", "`b`", "`c`")
    assert [m for m in unused if any(n in m for n in mine)] == []


def test_a_library_file_is_not_judged_on_its_own():
    model = segdsl.load(EXAMPLES / "common.seg")
    assert model.lint() == []


def test_duplicate_segments_up_to_order():
    text = '''segment a = revenue > 100 and exists(orders in last 30 days)
segment b = exists(orders in last 30 days) and 100 < revenue
segment c = revenue > 101 and exists(orders in last 30 days)
report value of a, b, c
'''
    (d,) = only(lint(text), "SEG406")
    assert d.message == "segment `b` is the same as `a`" and d.severity == "warning"


def test_window_longer_than_history_and_its_configuration():
    text = "segment loyal = count(orders in last 10 years) >= 20\nreport value of loyal\n"
    (d,) = only(lint(text), "SEG407")
    assert "reaches back 10 years" in d.message and "5 years" in d.message
    assert only(lint(text.replace("10 years", "3 years")), "SEG407") == []
    longer = cfg.from_table({"sources": {"orders": {"history": "12 years"}}}, Path("x.toml"))
    assert only(lint(text, longer), "SEG407") == []


def test_retail_example_has_no_static_warnings():
    diags = segdsl.load(EXAMPLES / "retail.seg").lint()
    assert [d for d in diags if d.severity != "note"] == []


def _static_findings_hold(data, text: str, params: dict) -> int:
    """Run a random model on random data; every static claim about membership must hold there."""
    import tempfile

    from segdsl.semantic.lints import static_lints

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.write(folder)
        path = folder / "model.seg"
        path.write_text(text, encoding="utf-8")
        model = segdsl.load(path)
        found = static_lints(model.ir, model.program.files, str(path), cfg.Config(), model.program.sources)
        claims = [f for f in found if f.code in ("SEG401", "SEG402", "SEG406") and f.subject]
        if not claims:
            return 0
        rel = model.run(as_of=data.as_of, params=params or None)
        rows = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    for f in claims:
        owner, _, case = f.subject.partition(".")
        for r in rows:
            if f.code == "SEG406" and f.subject in model.ir.segments:
                other = f.message.split("`")[3]
                assert r[f.subject] == r[other], (f.message, text)
            elif case:
                assert r[owner] != case, (f.message, text)
            elif f.code == "SEG401":
                assert not r[owner], (f.message, text)
    return len(claims)


def test_static_findings_hold_on_random_models_and_data():
    """Soundness: a segment called empty has no member, an unreachable case no member, duplicates agree."""
    from hypothesis import HealthCheck, given, settings

    from tests.sql.test_equivalence import KNOWN_BUGS
    from tests.support.randommodels import cases

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cases(avoid=KNOWN_BUGS))
    def prop(case):
        _static_findings_hold(*case)

    prop()


def test_static_findings_hold_on_crafted_models():
    from hypothesis import HealthCheck, given, settings

    from tests.support.randommodels import datasets

    text = '''entity customers from "customers.parquet" key id since signup
events orders from "orders.parquet" by cust at ts
events visits from "visits.parquet" by cust at day
param p: number = 2
feature n = count(orders)
feature spend = sum(orders.amount)
segment none1 = age > p and age < p
segment none2 = n = 0 and exists(orders)
segment none3 = city in ("web") and city = "app"
segment a = spend > 1 and exists(visits)
segment b = exists(visits) and 1 < spend
segmentation g {
  big = spend > 10
  mid = spend > 2
  huge = spend > 100
  gone = spend is missing
  low = spend <= 2
  else never
}
'''

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(datasets())
    def prop(data):
        assert _static_findings_hold(data, text, {}) == 6

    prop()


# ── configuration and ignore comments ───────────────────────────────────────


def test_ignore_comments_silence_one_definition():
    text = '''segment a = age > 30 and age < 20  # segdsl: ignore[SEG401]
# segdsl: ignore[always-empty]
segment b = age > 40 and age < 20
segment c = age > 50 and age < 20
report value of a, b, c
'''
    assert [d.message.split(":")[0] for d in only(lint(text), "SEG401")] == ["segment `c` can never have members"]
    whole = "# segdsl: ignore-file[SEG401]\n" + text
    assert only(lint(whole), "SEG401") == []


def test_severity_per_rule_and_per_segment(tmp_path):
    text = "segment a = age > 30 and age < 20\nsegment b = age > 40 and age < 20\nreport value of a, b\n"
    conf = cfg.from_table({"rules": {"SEG401": "error"}, "segments": {"b": {"ignore": ["always-empty"]}}},
                          Path("x.toml"))
    diags = only(lint(text, conf), "SEG401")
    assert [(d.severity, d.message.split(":")[0]) for d in diags] == [("error", "segment `a` can never have members")]


def test_configuration_is_found_and_checked(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nsmall-size = 20\n[tool.segdsl.rules]\nSEG401 = "off"\n')
    (tmp_path / "models").mkdir()
    conf = cfg.find(tmp_path / "models")
    assert conf.threshold("small-size") == 20 and conf.severity("SEG401", "warning") == "off"
    (tmp_path / "models" / "segdsl.toml").write_text("broad-share = 0.5\n")
    nearer = cfg.find(tmp_path / "models")
    assert nearer.threshold("broad-share") == 0.5 and nearer.threshold("small-size") == 100
    for bad, words in [({"rules": {"SEG999": "off"}}, "unknown rule"), ({"broad-share": 2}, "share from 0 to 1"),
                       ({"history": "ages"}, "duration"), ({"rules": {"SEG401": "loud"}}, "severity"),
                       ({"segments": {"x": {"small": 3}}}, "unknown setting")]:
        with pytest.raises(segdsl.SegError) as exc:
            cfg.from_table(bad, Path("x.toml"))
        assert exc.value.diagnostics[0].code == "SEG309" and words in exc.value.diagnostics[0].message


def test_fail_on_decides_the_exit_code(tmp_path):
    model = tmp_path / "m.seg"
    model.write_text(HEAD + "feature spare = revenue * 2\nsegment s = age > 3\nreport value of s\n")
    runner = CliRunner()
    assert runner.invoke(app, ["check", str(model)]).exit_code == 0  # a note does not fail
    (tmp_path / "segdsl.toml").write_text('fail-on = "note"\n')
    assert runner.invoke(app, ["check", str(model)]).exit_code == 1


# ── data lints on the demo shop ─────────────────────────────────────────────


DATA_MODEL = HEAD + '''
feature orders_90d = count(orders in last 90 days)
segment everyone = signup_date is not missing or signup_date is missing
segment buyers = exists(orders)
segment non_buyers = not exists(orders)
segment big = revenue >= 5000
segment martians = country = "MARS"
segment lapsed = recency > 180
segment lapsed_known = recency is not missing and recency > 180
segment recent = exists(orders in last 90 days)
segment old_window = count(orders in last 10 years) >= 3
segmentation lifecycle {
  fresh = recency <= 30
  cooling = recency <= 180
  else cold
}
exclusive buyers, non_buyers
exclusive recent, big
report value of everyone, buyers, non_buyers, big, martians, lapsed, lapsed_known, recent, old_window, lifecycle
'''


class CountingTarget(DuckDBEngine):
    """A DuckDB target that records every query and how many rows it returned."""

    def __init__(self, con, root):
        super().__init__(None, root, connection=con)
        self.log: list[tuple[str, int]] = []

    def fetch(self, sql):
        columns, rows = super().fetch(sql)
        self.log.append((sql, len(rows)))
        return columns, rows


@pytest.fixture(scope="module")
def data_run(demo_db):
    """(findings by code and subject, per-member rows from `run`, the queries) at DEMO_AS_OF."""
    model = segdsl.load(DATA_MODEL)
    con = duckdb.connect(str(demo_db), read_only=True)
    target = CountingTarget(con, demo_db.parent)
    from segdsl.engines.execution import read_schemas

    schemas = read_schemas(target, model.ir)
    ir = model.with_schemas(schemas).ir
    target.log.clear()
    found, queries = data_lints(ir, model.program.files, target, DEMO_AS_OF, {}, cfg.Config(), model.program.sources,
                                schemas)
    log = list(target.log)
    rel = model.run(connection=con, as_of=DEMO_AS_OF)
    columns = rel.columns
    rows = [dict(zip(columns, r)) for r in rel.fetchall()]
    con.close()
    return found, rows, queries, log


def test_data_lints_take_two_aggregate_queries(data_run):
    found, rows, queries, log = data_run
    assert queries == 2 and len(log) == 2
    assert all(n == 1 for _, n in log)  # aggregates only: no member row is fetched
    assert len(rows) > 1000


def _by(found, code):
    return {f.subject: f for f in found if f.code == code}


def test_size_lints_agree_with_run(data_run):
    found, rows, _, _ = data_run
    total = len(rows)
    broad, small, empty = _by(found, "SEG501"), _by(found, "SEG502"), _by(found, "SEG503")
    for name in ("everyone", "buyers", "non_buyers", "big", "martians", "lapsed", "lapsed_known", "recent",
                 "old_window"):
        size = sum(1 for r in rows if r[name])
        assert (name in broad) == (size / total > 0.6), name
        assert (name in small) == (0 < size < 100), name
        assert (name in empty) == (size == 0), name
        if name in small:
            assert f"only {size:,} member" in small[name].message
        if name in broad:
            assert f"({size:,} of {total:,}" in broad[name].message
    assert "everyone" in broad and "martians" in empty and "big" in small  # the model is built to hit each
    for case in ("fresh", "cooling", "cold"):
        size = sum(1 for r in rows if r["lifecycle"] == case)
        assert (f"lifecycle.{case}" in small) == (0 < size < 100)
        assert (f"lifecycle.{case}" in empty) == (size == 0)


def test_missing_data_names_the_column_and_agrees_with_run(data_run):
    found, rows, _, _ = data_run
    missing = _by(found, "SEG505")
    unknown = sum(1 for r in rows if r["recency"] is None)
    assert unknown / len(rows) > 0.05
    d = missing["lapsed"]
    assert f"unknown for {unknown / len(rows):.1%}" in d.message and "because `recency` is missing" in d.message
    assert "lapsed_known" not in missing and "buyers" not in missing  # said explicitly / never unknown
    # a case whose condition is unknown falls through to the else case: counted there
    fell = sum(1 for r in rows if r["recency"] is None and r["lifecycle"] == "cold")
    assert f"({fell:,})" in missing["lifecycle.fresh"].message


def test_overlap_of_exclusive_segments_agrees_with_run(data_run):
    found, rows, _, _ = data_run
    overlaps = [f for f in found if f.code == "SEG507"]
    both = sum(1 for r in rows if r["recent"] and r["big"])
    assert sum(1 for r in rows if r["buyers"] and r["non_buyers"]) == 0
    assert both > 0
    (d,) = overlaps
    assert d.message.startswith(f"`recent` and `big` share {both:,} members ({both / len(rows):.1%} of `customers`)")


def test_window_before_the_data(data_run, demo_db):
    found, *_ = data_run
    (d,) = [f for f in found if f.code == "SEG506"]
    con = duckdb.connect(str(demo_db), read_only=True)
    oldest = con.execute("SELECT min(ordered_at)::DATE FROM orders").fetchone()[0]
    con.close()
    assert "`in last 10 years` starts on 2016-06-30" in d.message and oldest.isoformat() in d.message


def test_stale_data_depends_on_as_of(demo_db):
    model = segdsl.load(DATA_MODEL)
    fresh = [d for d in model.lint(db=demo_db, as_of=DEMO_AS_OF) if d.code == "SEG504"]
    assert fresh == []
    later = DEMO_AS_OF + dt.timedelta(days=60)
    con = duckdb.connect(str(demo_db), read_only=True)
    newest = {t: con.execute(f"SELECT max({c})::DATE FROM {t} WHERE {c}::DATE <= ?", [later]).fetchone()[0]
              for t, c in (("orders", "ordered_at"), ("web_events", "event_time"))}
    con.close()
    stale = {d.message.split("`")[1]: d for d in model.lint(db=demo_db, as_of=later) if d.code == "SEG504"}
    assert set(stale) == {"orders", "web"}
    assert newest["orders"].isoformat() in stale["orders"].message
    assert f"{(later - newest['orders']).days} days before" in stale["orders"].message


def test_a_good_model_is_silent_on_real_data(demo_db):
    good = '''entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
events web from "web_events" by customer_id at event_time
feature order_count = count(orders)
segment recent_buyers = exists(orders in last 90 days)
segment browsers = exists(web in last 30 days) and not exists(orders in last 30 days)
segment lapsed = order_count > 0 and not exists(orders in last 180 days)
segmentation activity {
  active = exists(orders in last 90 days)
  dormant = order_count > 0
  else never_bought
}
exclusive recent_buyers, lapsed
report value of recent_buyers, browsers, lapsed, activity
'''
    diags = segdsl.load(good).lint(db=demo_db, as_of=DEMO_AS_OF)
    assert diags == [], [d.message for d in diags]


def test_data_lints_through_the_cli_and_thresholds(demo_db, tmp_path):
    model = tmp_path / "m.seg"
    model.write_text(HEAD + 'segment big = revenue >= 5000\nreport value of big\n')
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(model), "--db", str(demo_db), "--as-of", "2026-06-30"])
    assert result.exit_code == 1 and "warning[SEG502]" in result.stderr
    (tmp_path / "segdsl.toml").write_text("[segments.big]\nsmall-size = 1\n")
    result = runner.invoke(app, ["check", str(model), "--db", str(demo_db), "--as-of", "2026-06-30"])
    assert "SEG502" not in result.stderr


def test_data_lints_on_another_engine_agree(demo_db, tmp_path):
    """The same findings from SQLite (`--target sqlite:///…`) as from DuckDB: the queries are portable."""
    import datetime as dt_
    import sqlite3

    src = duckdb.connect(str(demo_db), read_only=True)
    lite = tmp_path / "shop.sqlite"
    dst = sqlite3.connect(lite)
    types = {"BIGINT": "INTEGER", "INTEGER": "INTEGER", "DOUBLE": "REAL", "VARCHAR": "TEXT", "DATE": "DATE",
             "TIMESTAMP": "TIMESTAMP", "BOOLEAN": "BOOLEAN"}
    for table in ("customers", "orders", "web_events"):
        cols = src.execute(f"DESCRIBE {table}").fetchall()
        dst.execute(f"CREATE TABLE {table} ({', '.join(f'{c[0]} {types[c[1]]}' for c in cols)})")
        rows = [tuple(v.isoformat(sep=" ") if isinstance(v, dt_.datetime) else v.isoformat()
                      if isinstance(v, dt_.date) else v for v in r) for r in src.execute(f"SELECT * FROM {table}").fetchall()]
        dst.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", rows)
    dst.commit()
    dst.close()
    src.close()
    model = segdsl.load(DATA_MODEL)
    on_duckdb = [(d.code, d.message) for d in model.lint(db=demo_db, as_of=DEMO_AS_OF)]
    on_sqlite = [(d.code, d.message) for d in model.lint(target=f"sqlite:///{lite}", as_of=DEMO_AS_OF)]
    assert on_sqlite == on_duckdb
    assert {c for c, _ in on_duckdb} >= {"SEG501", "SEG502", "SEG503", "SEG505", "SEG506", "SEG507"}


def test_every_lint_is_documented():
    doc = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    for code, rule in RULES.items():
        assert code in doc and rule.name in doc, code
