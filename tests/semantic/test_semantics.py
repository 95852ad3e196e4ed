"""The semantics of LANGUAGE.md, checked on DuckDB with hand-picked edge cases.

The data (conftest.shop) is small enough that each expected value below can
be worked out by hand from the rules; random models and data are compared
against the reference evaluator in test_equivalence.
"""

from __future__ import annotations

import datetime as dt
import hashlib


import segdsl
from tests.support.conformance.compare import rows_of

AS_OF = dt.date(2026, 6, 30)
HEAD = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
"""


def run(shop, body: str, as_of=AS_OF, params=None) -> dict[int, dict]:
    db, folder = shop
    path = folder / "m.seg"
    path.write_text(HEAD + body, encoding="utf-8")
    rel = segdsl.load(path).run(db=db, as_of=as_of, params=params)
    cols = rel.columns
    return {row[0]: dict(zip(cols[1:], row[1:])) for row in rel.fetchall()}


def col(result: dict, name: str) -> dict:
    return {k: v[name] for k, v in result.items()}


def test_population_is_cut_at_as_of(shop):
    # 3 signed up on the as_of day (in), 4 the day after (out), 2 has no signup date (in)
    assert sorted(run(shop, "feature one = 1")) == [1, 2, 3, 5]
    assert sorted(run(shop, "feature one = 1", as_of=dt.date(2026, 7, 1))) == [1, 2, 3, 4, 5]


def test_events_after_the_as_of_day_never_count(shop):
    r = run(shop, "feature revenue = sum(orders.amount)\nfeature n = count(orders)")
    assert col(r, "revenue")[1] == 130  # 23:59:59 on the as_of day counts, the next midnight does not
    assert col(r, "n") == {1: 3, 2: 2, 3: 0, 5: 0}


def test_empty_aggregates(shop):
    r = run(shop, """
        feature n = count(orders)
        feature total = sum(orders.amount)
        feature mean = avg(orders.amount)
        feature first = min(orders.ordered_at)
        feature kinds = count_distinct(orders.channel)
        segment buyer = exists(orders)
    """)
    assert r[3] == {"n": 0, "total": None, "mean": None, "first": None, "kinds": 0, "buyer": False}
    assert r[2]["total"] == 5 and r[2]["mean"] == 5  # the missing amount is skipped
    assert r[2]["kinds"] == 1


def test_windows_and_their_edges(shop):
    r = run(shop, """
        feature last30 = count(orders in last 30 days)
        feature prev30 = count(orders in previous 30 days)
        feature last1m = count(orders in last 1 month)
        feature since_june = count(orders since @2026-06-01)
        feature before_june = count(orders before @2026-06-01)
        feature q2 = count(orders where ordered_at between @2026-04-01 and @2026-05-31)
    """)
    # customer 1: 06-30 23:59 (in), 06-01 (in: after 05-31), 05-31 (out of last 30: exactly 30 days before)
    assert col(r, "last30")[1] == 2
    assert col(r, "prev30")[1] == 1  # 05-31 is in (as_of-60, as_of-30]
    assert col(r, "last1m")[1] == 3  # (05-30, 06-30] holds 05-31 too
    assert col(r, "since_june")[1] == 2 and col(r, "before_june")[1] == 1
    assert col(r, "q2") == {1: 1, 2: 2, 3: 0, 5: 0}  # between dates includes the whole last day


def test_calendar_months_clamp_to_month_end(shop):
    r = run(shop, "feature n = count(orders in last 1 month)", as_of=dt.date(2026, 3, 31))
    assert col(r, "n") == {1: 0, 2: 0, 5: 0}
    r = run(shop, "feature n = count(orders in last 2 months)", as_of=dt.date(2026, 5, 31))
    assert col(r, "n")[2] == 2  # (03-31, 05-31] holds 04-01 and 05-01


def test_two_valued_membership(shop):
    r = run(shop, """
        feature revenue = sum(orders.amount)
        segment big = revenue > 50
        segment not_big = not (revenue > 50)
        segment small = not big
    """)
    assert col(r, "big") == {1: True, 2: False, 3: False, 5: False}
    assert col(r, "not_big") == {1: False, 2: True, 3: False, 5: False}  # unknown stays outside
    assert col(r, "small") == {1: False, 2: True, 3: True, 5: True}  # the complement of a segment


def test_division_by_zero_is_missing(shop):
    r = run(shop, "feature ratio = 100 / income\nfeature half = 1 / 2")
    assert col(r, "ratio") == {1: 100 / 50000, 2: None, 3: None, 5: 10.0}
    assert col(r, "half")[1] == 0.5  # real division


def test_text_is_exact_case_sensitive_and_unicode(shop):
    r = run(shop, """
        segment lodz = city = "Łódź"
        segment russian = city in ("Москва")
        segment gmail = email like "%@gmail.com"
        segment three = email like "x_y@%"
        segment percent = email contains "%"
        segment starts = email starts with "a"
        segment web_orders = exists(orders where channel = "web")
    """)
    assert col(r, "lodz") == {1: True, 2: False, 3: False, 5: False}
    assert col(r, "russian")[3] is True
    assert col(r, "gmail") == {1: True, 2: False, 3: False, 5: False}
    assert col(r, "percent") == {1: False, 2: False, 3: False, 5: True}
    assert col(r, "starts") == {1: True, 2: False, 3: False, 5: True}
    assert col(r, "web_orders") == {1: True, 2: True, 3: False, 5: False}


def test_ages_are_whole_years(shop):
    r = run(shop, "feature age = years_between(birth_date, as_of)")
    assert col(r, "age") == {1: 36, 2: 26, 3: None, 5: 56}  # 1990-06-30 turns 36 on the as_of day
    r = run(shop, "feature age = years_between(birth_date, as_of)", as_of=dt.date(2027, 2, 28))
    assert col(r, "age")[2] == 26  # born on a leap day: the birthday has not come on Feb 28


def test_second_stage_feature_in_a_filter(shop):
    r = run(shop, """
        feature first = min(orders.ordered_at)
        feature later = sum(orders.amount where ordered_at > first)
        feature after_signup = count(orders where ordered_at > customers.signup_date)
    """)
    assert col(r, "later") == {1: 120, 2: None, 3: None, 5: None}
    assert col(r, "after_signup")[1] == 3 and col(r, "after_signup")[2] == 0


def test_segmentations(shop):
    r = run(shop, """
        feature revenue = sum(orders.amount)
        segmentation kind { big = revenue > 50  some = revenue > 0  else none }
        segmentation band = bucket(income, [10, 50000])
        segmentation tier = quantile(income, 2)
        segment big_kind = kind.big
    """)
    assert col(r, "kind") == {1: "big", 2: "some", 3: "none", 5: "none"}
    assert col(r, "band") == {1: "50000+", 2: "<10", 3: None, 5: "10-49999"}
    # incomes 50000, 0, missing, 10: two halves of the three known values
    assert col(r, "tier") == {2: 1, 5: 1, 1: 2, 3: None}
    assert col(r, "big_kind") == {1: True, 2: False, 3: False, 5: False}


def test_quantile_ties_are_broken_by_key(shop):
    r = run(shop, "feature one = 1\nsegmentation q = quantile(one, 4)")
    assert col(r, "q") == {1: 1, 2: 2, 3: 3, 5: 4}


def test_holdout_follows_the_documented_hash(shop):
    r = run(shop, 'segment all = true\nholdout t = all split 50% a, 30% b, 20% c seed "s1"')

    def arm(key: int) -> str:
        bucket = int(hashlib.md5(f"s1:{key}".encode()).hexdigest()[:8], 16) % 10000
        return "a" if bucket < 5000 else "b" if bucket < 8000 else "c"

    assert col(r, "t") == {k: arm(k) for k in (1, 2, 3, 5)}


def test_params_override(shop):
    body = "param limit: number = 50\nfeature revenue = sum(orders.amount)\nsegment big = revenue > limit"
    assert col(run(shop, body), "big")[1] is True
    assert col(run(shop, body, params={"limit": "500"}), "big")[1] is False


def test_hostile_names_and_text_are_not_injected(shop):
    db, folder = shop
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("""CREATE TABLE "we""ird; --tbl" ("id; DROP TABLE x" INTEGER, "na`me" VARCHAR);
                   INSERT INTO "we""ird; --tbl" VALUES (1, 'it''s; -- \\ not code'), (2, 'plain')""")
    con.close()
    path = folder / "h.seg"
    path.write_text('entity people from "we\\"ird; --tbl" key `id; DROP TABLE x`\n'
                    'segment quoted = `na``me` = "it\'s; -- \\\\ not code"\n', encoding="utf-8")
    rel = segdsl.load(path).run(db=db, as_of=AS_OF)
    assert sorted(rel.fetchall()) == [(1, True), (2, False)]
    del rel
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 8


def test_hostile_text_literal_round_trips(shop):
    db, folder = shop
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("UPDATE customers SET city = 'it''s; -- \\ \"x\"' WHERE customer_id = 5")
    con.close()
    r = run(shop, "segment odd = city = \"it's; -- \\\\ \\\"x\\\"\"")
    assert col(r, "odd") == {1: False, 2: False, 3: False, 5: True}


def test_a_window_after_a_condition_in_where_is_the_aggregates(shop):
    r = run(shop, """
        feature a = count(orders where (channel = "web") in last 30 days)
        feature b = count(orders in last 30 days where channel = "web")
        feature c = count(orders where amount > 1 and (channel = "web") in last 30 days)
    """)
    assert col(r, "a") == col(r, "b") == {1: 1, 2: 0, 3: 0, 5: 0}
    assert col(r, "c")[1] == 1


def test_an_event_without_a_time_is_never_counted(tmp_path):
    """README semantics 1: events are counted up to the end of the as_of day; an event whose time is
    missing is at no point in time, so no aggregate sees it — with or without a window."""
    import sqlite3

    import duckdb

    rows = [(1, None, 50.0), (1, "2026-06-01 10:00:00", 5.0), (2, None, 7.0)]
    body = """
entity customers from "people" key id
events orders from "sales" by id at sold_at
feature n = count(orders)
feature total = sum(orders.amount)
feature top = max(orders.amount)
feature n_window = count(orders in last 1 year)
feature n_where = count(orders where amount > 1)
segment buyer = exists(orders)
"""
    expected = {1: (1, 5.0, 5.0, 1, 1, True), 2: (0, None, None, 0, 0, False)}
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE people (id INTEGER); INSERT INTO people VALUES (1), (2)")
    con.execute("CREATE TABLE sales (id INTEGER, sold_at TIMESTAMP, amount DOUBLE)")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?)", rows)
    con.close()
    lite = tmp_path / "shop.db"
    con = sqlite3.connect(lite)
    con.execute("CREATE TABLE people (id INTEGER)")
    con.executemany("INSERT INTO people VALUES (?)", [(1,), (2,)])
    con.execute("CREATE TABLE sales (id INTEGER, sold_at TIMESTAMP, amount REAL)")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    model = segdsl.load(body)
    assert {r[0]: r[1:] for r in model.run(db=db, as_of=AS_OF).fetchall()} == expected
    assert {r[0]: tuple(r[1:]) for r in rows_of(model.run_on(f"sqlite:///{lite}", as_of=AS_OF))[1]} == expected
