"""Hand-computed checks of the reference evaluator itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys

import pytest


import segdsl  # noqa: E402
from tests.support.reference import add_months, evaluate, like, ntile, shift, years_between  # noqa: E402

D = dt.date
TS = dt.datetime
AS_OF = D(2024, 3, 31)

HEAD = """
entity customers from "customers.parquet" key id since signup
events orders from "orders.parquet" by cid at ts
"""


def run(body: str, customers, orders=(), as_of=AS_OF, params=None):
    ir = segdsl.load(HEAD + body).ir
    tables = {"customers.parquet": list(customers), "orders.parquet": list(orders)}
    return evaluate(ir, tables, as_of, params)


def cust(i, **kw):
    return {"id": i, "signup": None, **kw}


def order(cid, ts, **kw):
    return {"cid": cid, "ts": ts, **kw}


# ── date arithmetic ─────────────────────────────────────────────────────────


def test_month_shift_clamps_to_month_end():
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2023, 3, 31), -1) == D(2023, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2024, 12, 15), 1) == D(2025, 1, 15)
    assert add_months(D(2024, 1, 15), -1) == D(2023, 12, 15)
    assert shift(D(2024, 2, 29), 1, "year") == D(2025, 2, 28)
    assert shift(D(2024, 2, 29), -4, "year") == D(2020, 2, 29)
    assert shift(D(2024, 3, 1), -1, "week") == D(2024, 2, 23)
    assert shift(TS(2024, 3, 31, 12, 30), -1, "month") == TS(2024, 2, 29, 12, 30)


def test_years_between_is_an_age():
    assert years_between(D(2000, 4, 1), D(2024, 3, 31)) == 23
    assert years_between(D(2000, 3, 31), D(2024, 3, 31)) == 24
    assert years_between(D(2020, 2, 29), D(2021, 2, 28)) == 0
    assert years_between(D(2020, 2, 29), D(2021, 3, 1)) == 1
    assert years_between(D(2024, 3, 31), D(2020, 3, 31)) == -4
    # negative spans truncate toward zero: swapping the dates flips the sign
    assert years_between(D(2024, 3, 31), D(2000, 4, 1)) == -23
    assert years_between(D(2021, 2, 28), D(2020, 2, 29)) == 0


def test_like_patterns():
    # patterns escape with a backslash (the model's `\\%` and `\\_`; data's own backslashes come doubled)
    assert like("50% off", "50\\% off") is True and like("500 off", "50\\% off") is False
    assert like("a_b", "a\\_b") is True and like("axb", "a\\_b") is False
    assert like("50\\x off", "50\\\\% off") is True and like("50x off", "50\\\\% off") is False
    assert like("Łódź", "Ł_d_")
    assert not like("e\u0301", "_")  # two code points
    assert like("a\nb", "a%b")
    assert not like("Web", "web")
    assert like("", "%") and not like("", "_")


# ── windows and point in time ───────────────────────────────────────────────


def test_window_edges_and_point_in_time():
    orders = [
        order(1, TS(2024, 3, 31, 0, 0)),       # as_of day, midnight: counts
        order(1, TS(2024, 3, 31, 23, 59, 59)),  # as_of day, last second: counts
        order(1, TS(2024, 4, 1, 0, 0)),        # the day after: never counts
        order(1, TS(2024, 3, 2, 8, 0)),        # 29 days before: in the last 30 days
        order(1, TS(2024, 3, 1, 23, 0)),       # exactly 30 days before: the previous 30 days
        order(1, TS(2024, 1, 31, 12, 0)),      # exactly 60 days before: neither
        order(1, None),                        # no time: never counts
        order(99, TS(2024, 3, 30)),            # not a member
    ]
    out = run("""
        feature total = count(orders)
        feature last30 = count(orders in last 30 days)
        feature prev30 = count(orders in previous 30 days)
        feature since_mar = count(orders since @2024-03-01)
        feature before_mar = count(orders before @2024-03-01)
        feature last_month = count(orders in last 1 month)
        feature between_ts = count(orders where ts between @2024-03-01 and @2024-03-02)
    """, [cust(1), cust(2)], orders)
    assert out[1] == {"total": 5, "last30": 3, "prev30": 1, "since_mar": 4, "before_mar": 1,
                      "last_month": 4, "between_ts": 2}
    assert out[2] == {"total": 0, "last30": 0, "prev30": 0, "since_mar": 0, "before_mar": 0,
                      "last_month": 0, "between_ts": 0}


def test_last_month_on_leap_day():
    # (as_of - 1 month, as_of] = (2024-02-29, 2024-03-31]
    orders = [order(1, D(2024, 2, 29)), order(1, D(2024, 3, 1)), order(1, D(2024, 2, 28))]
    out = run("feature n = count(orders in last 1 month)\nfeature p = count(orders in previous 1 month)",
              [cust(1)], orders)
    # previous: (as_of - 2 months, as_of - 1 month] = (2024-01-31, 2024-02-29]
    assert out[1] == {"n": 1, "p": 2}


def test_population_since_cut():
    customers = [
        {"id": 1, "signup": D(2024, 3, 31)},
        {"id": 2, "signup": TS(2024, 3, 31, 23, 59)},
        {"id": 3, "signup": D(2024, 4, 1)},
        {"id": 4, "signup": None},
    ]
    out = run("feature one = 1", customers)
    assert sorted(out) == [1, 2, 4]


def test_entity_window_with_missing_date():
    customers = [cust(1, born=D(2024, 3, 2)), cust(2, born=None), cust(3, born=D(2024, 3, 1))]  # 3: exactly 30 days before
    out = run("""
        feature recent = born in last 30 days
        segment s = born in last 30 days
        segment t = not s
        feature age = years_between(born, as_of)
        feature days = days_between(born, as_of)
    """, customers)
    assert out[1] == {"recent": True, "s": True, "t": False, "age": 0, "days": 29}
    assert out[2] == {"recent": None, "s": False, "t": True, "age": None, "days": None}
    assert out[3]["recent"] is False


# ── values, logic, aggregates ───────────────────────────────────────────────


def test_aggregates_of_nothing_and_nulls():
    orders = [order(1, D(2024, 3, 1), amount=None, channel="web"),
              order(1, D(2024, 3, 2), amount=2.5, channel="web"),
              order(1, D(2024, 3, 3), amount=2.5, channel=None),
              order(1, D(2024, 3, 4), amount=-1.0, channel="app")]
    out = run("""
        feature n = count(orders)
        feature n_amount = count(orders.amount)
        feature n_distinct = count_distinct(orders.amount)
        feature total = sum(orders.amount)
        feature mean = avg(orders.amount)
        feature low = min(orders.amount)
        feature high = max(orders.channel)
        feature web = sum(orders.amount where channel = "web")
        feature not_web = count(orders where channel != "web")
        feature any_web = exists(orders where channel = "web")
    """, [cust(1), cust(2)], orders)
    assert out[1] == {"n": 4, "n_amount": 3, "n_distinct": 2, "total": 4.0, "mean": 4.0 / 3, "low": -1.0,
                      "high": "web", "web": 2.5, "not_web": 1, "any_web": True}
    assert out[2] == {"n": 0, "n_amount": 0, "n_distinct": 0, "total": None, "mean": None, "low": None,
                      "high": None, "web": None, "not_web": 0, "any_web": False}


def test_three_valued_logic_and_division():
    customers = [cust(1, x=None, t="a"), cust(2, x=0, t=None), cust(3, x=4, t="b")]
    out = run("""
        feature half = 2 / x
        feature unknown_or = x > 1 or t = "a"
        feature unknown_and = x > 1 and t = "a"
        feature listed = x not in (0, 1)
        feature between = x between 0 and 4
        feature missing = x is missing
        segment s = x > 1
        segment not_s = not s
    """, customers)
    assert out[1] == {"half": None, "unknown_or": True, "unknown_and": None, "listed": None,
                      "between": None, "missing": True, "s": False, "not_s": True}
    assert out[2] == {"half": None, "unknown_or": None, "unknown_and": False, "listed": False,
                      "between": True, "missing": False, "s": False, "not_s": True}
    assert out[3] == {"half": 0.5, "unknown_or": True, "unknown_and": False, "listed": True,
                      "between": True, "missing": False, "s": True, "not_s": False}


def test_second_stage_uses_member_values():
    orders = [order(1, D(2024, 1, 1), amount=10.0), order(1, D(2024, 2, 1), amount=20.0),
              order(1, D(2024, 3, 1), amount=30.0), order(2, D(2024, 1, 1), amount=5.0)]
    out = run("""
        feature first = min(orders.ts)
        feature after_first = sum(orders.amount where ts > first)
        feature over_limit = count(orders where amount > customers.limit)
    """, [cust(1, limit=15), cust(2, limit=None)], orders)
    assert out[1]["after_first"] == 50.0 and out[1]["over_limit"] == 2
    assert out[2]["after_first"] is None and out[2]["over_limit"] == 0


# ── partitions ──────────────────────────────────────────────────────────────


def test_ntile_distribution():
    assert list(ntile(list("abcdefg"), 3).values()) == [1, 1, 1, 2, 2, 3, 3]
    assert list(ntile(list("ab"), 5).values()) == [1, 2]
    assert list(ntile(list("abcdefghij"), 4).values()) == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]
    assert ntile([], 3) == {}


def test_quantile_ties_by_key_and_missing():
    values = {5: 1.0, 3: 1.0, 9: None, 1: 2.0, 7: 1.0, 2: 0.0}
    out = run("segmentation q = quantile(v, 2)", [cust(k, v=v) for k, v in values.items()])
    # ordered: 2 (0.0), 3, 5, 7 (1.0, by key), 1 (2.0) -> sizes 3 and 2
    assert {k: out[k]["q"] for k in values} == {2: 1, 3: 1, 5: 1, 7: 2, 1: 2, 9: None}


def test_bucket_labels():
    customers = [cust(1, age=17), cust(2, age=18), cust(3, age=64.5), cust(4, age=65), cust(5, age=None)]
    out = run("segmentation band = bucket(age, [18, 25, 65])", customers)
    assert [out[k]["band"] for k in range(1, 6)] == ["<18", "18-24", "25-64", "65+", None]


def test_cases_first_match_and_else():
    customers = [cust(1, x=5), cust(2, x=1), cust(3, x=None)]
    out = run("""
        segmentation life { big = x > 3  small = x > 0  else other }
        segment big = life.big
        segment other = life.other
    """, customers)
    assert [out[k]["life"] for k in (1, 2, 3)] == ["big", "small", "other"]
    assert [out[k]["big"] for k in (1, 2, 3)] == [True, False, False]
    assert [out[k]["other"] for k in (1, 2, 3)] == [False, False, True]


def test_rfm_scores_and_group():
    # recency: lower is better, so the largest recency gets score 1
    customers = [cust(k, rec=r, freq=k, mon=10 * k) for k, r in zip(range(1, 6), (50, 40, 30, 20, 10))]
    customers.append(cust(6, rec=None, freq=1, mon=1))
    out = run("segmentation rfm = rfm(recency: rec, frequency: freq, monetary: mon)", customers)
    for k in range(1, 6):
        assert (out[k]["rfm_r"], out[k]["rfm_f"], out[k]["rfm_m"]) == (k, k, k)
    assert out[5]["rfm"] == "champions" and out[1]["rfm"] == "lost" and out[3]["rfm"] == "need_attention"
    assert out[6]["rfm"] is None and out[6]["rfm_r"] is None and out[6]["rfm_f"] == 1


def test_holdout_arms():
    customers = [cust(k, x=k) for k in range(1, 41)]
    out = run('segment s = x > 10\nholdout h = s split 30% a, 70% b seed "spring"', customers)
    for k in range(1, 41):
        if k <= 10:
            assert out[k]["h"] is None
        else:
            bucket = int(hashlib.md5(f"spring:{k}".encode()).hexdigest()[:8], 16) % 10000
            assert out[k]["h"] == ("a" if bucket < 3000 else "b")


def test_params_override():
    out = run("param limit: number = 10\nsegment big = x >= limit", [cust(1, x=5)], params={"limit": 5})
    assert out[1]["big"] is True
    out = run("param limit: number = 10\nsegment big = x >= limit", [cust(1, x=5)])
    assert out[1]["big"] is False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
