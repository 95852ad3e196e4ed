"""Holdout lift from per-arm aggregates, checked against scipy on the same member rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import relative_risk

import segdsl
from segdsl.reports.lift import Arm, LiftError, lift
from tests.support.paths import EXAMPLES


def aggregates(con: duckdb.DuckDBPyConnection, table: str) -> list[Arm]:
    """What an engine returns: members, sum and sum of squares per arm, in one GROUP BY."""
    rows = con.sql(f"SELECT arm, count(*), sum(y), sum(y * y) FROM {table} GROUP BY arm ORDER BY arm").fetchall()
    return [Arm(arm, n, total, total_sq) for arm, n, total, total_sq in rows]


def members(arms: dict[str, np.ndarray]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    rows = pa.table({"arm": np.concatenate([[name] * len(v) for name, v in arms.items()]),
                     "y": np.concatenate(list(arms.values())).astype(float)})
    con.register("rows", rows)
    con.execute("CREATE TABLE m AS SELECT * FROM rows")
    return con


def test_yes_no_outcome_matches_scipy_on_member_rows():
    rng = np.random.default_rng(2026)
    rows = {"campaign": (rng.random(4000) < 0.118).astype(float), "control": (rng.random(1000) < 0.094).astype(float)}
    result = lift(aggregates(members(rows), "m"), "control", "yes/no")
    (c,) = result.comparisons
    t, k = rows["campaign"], rows["control"]
    xt, xc, nt, nc = int(t.sum()), int(k.sum()), len(t), len(k)
    assert [a.rate for a in result.arms] == [pytest.approx(t.mean()), pytest.approx(k.mean())]
    assert c.absolute_lift == pytest.approx(t.mean() - k.mean(), rel=1e-12)
    chi2, p, _, _ = stats.chi2_contingency([[xt, nt - xt], [xc, nc - xc]], correction=False)
    assert c.p_value == pytest.approx(p, rel=1e-9) and c.statistic ** 2 == pytest.approx(chi2, rel=1e-9)
    assert c.statistic > 0  # the sign follows the lift
    # Wald: the estimate ± z times the standard error, here from the rows' own variances
    half = stats.norm.ppf(0.975) * math.sqrt(np.var(t) / nt + np.var(k) / nc)
    assert (c.ci_low, c.ci_high) == (pytest.approx(c.absolute_lift - half, rel=1e-9),
                                     pytest.approx(c.absolute_lift + half, rel=1e-9))
    # Katz's log interval of the rate ratio, as scipy computes it
    rr = relative_risk(xt, nt, xc, nc)
    low, high = rr.confidence_interval(0.95)
    assert (c.relative_ci_low, c.relative_ci_high) == (pytest.approx(low - 1, rel=1e-9),
                                                       pytest.approx(high - 1, rel=1e-9))
    assert c.relative_lift == pytest.approx(t.mean() / k.mean() - 1, rel=1e-12)
    json.dumps(result.to_dict())  # plain numbers only


def test_value_outcome_matches_welchs_t_test_on_member_rows():
    rng = np.random.default_rng(7)
    # revenue per member: most spend nothing, the rest a skewed amount
    rows = {"campaign": rng.gamma(1.2, 80, 3000) * (rng.random(3000) < 0.3),
            "control": rng.gamma(1.2, 70, 700) * (rng.random(700) < 0.3)}
    result = lift(aggregates(members(rows), "m"), "control", "value")
    (c,) = result.comparisons
    ref = stats.ttest_ind(rows["campaign"], rows["control"], equal_var=False)
    assert c.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert c.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert c.df == pytest.approx(ref.df, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert (c.ci_low, c.ci_high) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))
    assert [a.sd for a in result.arms] == [pytest.approx(np.std(rows[n], ddof=1), rel=1e-9)
                                           for n in ("campaign", "control")]


def _fieller_statistic(theta: float, t: np.ndarray, c: np.ndarray) -> float:
    """Fieller's pivot for H0: mean(t) = θ·mean(c), computed from the member rows."""
    return (t.mean() - theta * c.mean()) / math.sqrt(t.var(ddof=1) / len(t) + theta ** 2 * c.var(ddof=1) / len(c))


def test_relative_interval_of_means_is_fiellers():
    """Its ends are where Fieller's test statistic reaches the t quantile; inside, the test does not reject."""
    rng = np.random.default_rng(11)
    t, c = rng.normal(10.8, 6, 900), rng.normal(10, 5, 300)
    (comp,) = lift([Arm("t", len(t), t.sum(), (t * t).sum()), Arm("c", len(c), c.sum(), (c * c).sum())],
                   "c", "value").comparisons
    q = stats.t.ppf(0.975, comp.df)
    low, high = 1 + comp.relative_ci_low, 1 + comp.relative_ci_high
    assert _fieller_statistic(low, t, c) == pytest.approx(q, rel=1e-9)
    assert _fieller_statistic(high, t, c) == pytest.approx(-q, rel=1e-9)
    for theta in np.linspace(low, high, 7)[1:-1]:
        assert abs(_fieller_statistic(theta, t, c)) < q
    assert low < t.mean() / c.mean() < high


def _power(effect: float, sd: float, nt: int, nc: int, alpha: float = 0.05) -> float:
    """Two-sided z-test power against a true lift `effect`, both tails counted."""
    shift = effect / (sd * math.sqrt(1 / nt + 1 / nc))
    z = stats.norm.ppf(1 - alpha / 2)
    return stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z)


def test_minimum_detectable_effect_has_the_stated_power():
    control = np.r_[np.ones(100), np.zeros(900)]
    (c,) = lift([Arm("t", 9000, 900), Arm("c", 1000, control.sum())], "c", "yes/no").comparisons
    assert _power(c.mde, np.std(control), 9000, 1000) == pytest.approx(0.8, abs=1e-5)
    assert c.mde_relative == pytest.approx(c.mde / 0.1)
    rng = np.random.default_rng(3)
    t, k = rng.normal(10, 5, 400), rng.normal(10, 6, 100)
    (v,) = lift([Arm("t", 400, t.sum(), (t * t).sum()), Arm("c", 100, k.sum(), (k * k).sum())],
                "c", "value").comparisons
    assert _power(v.mde, np.std(k, ddof=1), 400, 100) == pytest.approx(0.8, abs=1e-5)
    assert _power(0.9 * v.mde, np.std(k, ddof=1), 400, 100) < 0.8 - 0.05


def test_small_arms_are_flagged():
    (c,) = lift([Arm("campaign", 400, 52), Arm("control", 100, 10)], "control", "yes/no").comparisons
    assert c.mde > abs(c.absolute_lift) and not c.significant
    assert c.warnings == [
        f"arms too small: `campaign` and `control` detect only a lift of ±{c.mde * 100:.2g} points or more "
        "(α 0.05, power 0.8); the observed lift is smaller, and a true lift of this size would usually go unnoticed"]
    (c,) = lift([Arm("campaign", 100_000, 11_000), Arm("control", 100_000, 10_000)], "control", "yes/no").comparisons
    assert c.warnings == [] and c.significant


def test_undefined_figures_are_none_with_a_reason():
    (c,) = lift([Arm("t", 50, 3), Arm("c", 50, 0)], "c", "yes/no").comparisons
    assert c.relative_lift is None and c.mde is None and c.p_value is not None
    assert "no converters in `c`: the relative lift is undefined" in c.warnings
    assert "`c` has fewer than 10 converters or non-converters: the normal approximation is rough" in c.warnings
    (c,) = lift([Arm("t", 50, 0), Arm("c", 50, 0)], "c", "yes/no").comparisons
    assert c.p_value is None and c.statistic is None and c.absolute_lift == 0
    (c,) = lift([Arm("t", 1, 5, 25), Arm("c", 10, 50, 300)], "c", "value").comparisons
    assert c.p_value is None and c.warnings == ["`t` has fewer than 2 members"]
    # a control mean indistinguishable from zero: no bounded interval for the ratio
    (c,) = lift([Arm("t", 20, 40, 2000), Arm("c", 20, 2, 2000)], "c", "value").comparisons
    assert c.relative_ci_low is None and c.relative_lift == pytest.approx(19)
    assert "the mean of `c` is too close to zero for a bounded interval of the relative lift" in c.warnings


def test_impossible_aggregates_are_refused():
    with pytest.raises(LiftError, match="no arm `holdout` among campaign, control"):
        lift([Arm("campaign", 10, 1), Arm("control", 10, 1)], "holdout", "yes/no")
    with pytest.raises(LiftError, match="12.0 converters among 10 members"):
        lift([Arm("t", 10, 12), Arm("c", 10, 1)], "c", "yes/no")
    with pytest.raises(LiftError, match="the outcome is not yes/no"):
        lift([Arm("t", 10, 3, 5), Arm("c", 10, 1, 1)], "c", "yes/no")
    with pytest.raises(LiftError, match="needs the sum of squares"):
        lift([Arm("t", 10, 3), Arm("c", 10, 1)], "c", "value")


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 400), st.integers(2, 400), st.floats(0.05, 0.95), st.floats(0.05, 0.95), st.integers(0, 2**31))
def test_any_arms_agree_with_scipy(nt, nc, pt, pc, seed):
    rng = np.random.default_rng(seed)
    t, c = (rng.random(nt) < pt).astype(float), (rng.random(nc) < pc).astype(float)
    assume(0 < t.sum() + c.sum() < nt + nc)
    (yes_no,) = lift([Arm("t", nt, t.sum()), Arm("c", nc, c.sum())], "c", "yes/no").comparisons
    _, p, _, _ = stats.chi2_contingency([[t.sum(), nt - t.sum()], [c.sum(), nc - c.sum()]], correction=False)
    assert yes_no.p_value == pytest.approx(p, rel=1e-6, abs=1e-12)
    x, y = t * rng.gamma(2, 30, nt), c * rng.gamma(2, 30, nc)
    assume(np.var(x) > 0 and np.var(y) > 0)
    (value,) = lift([Arm("t", nt, x.sum(), (x * x).sum()), Arm("c", nc, y.sum(), (y * y).sum())],
                    "c", "value").comparisons
    ref = stats.ttest_ind(x, y, equal_var=False)
    assert value.p_value == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)
    assert value.df == pytest.approx(ref.df, rel=1e-6)


def test_win_back_holdout_on_the_demo_shop(demo_db: Path):
    """The campaign's arms at 2026-06-30 and their orders in the 30 days after, aggregated by DuckDB."""
    model = segdsl.load(EXAMPLES / "lifecycle_campaign.seg")
    con = duckdb.connect(str(demo_db), read_only=True)
    arms = model.run(connection=con, as_of="2026-06-30")
    outcome = (f"WITH arms AS ({arms.sql_query()}), o AS ("
               "  SELECT customer_id, count(*) AS n, sum(amount) AS revenue FROM orders"
               "  WHERE ordered_at >= DATE '2026-07-01' AND ordered_at < DATE '2026-07-31' GROUP BY customer_id)"
               " SELECT a.win_back_test AS arm, CASE WHEN o.n > 0 THEN 1.0 ELSE 0.0 END AS bought,"
               "        coalesce(o.revenue, 0) AS revenue"
               " FROM arms a LEFT JOIN o USING (customer_id) WHERE a.win_back_test IS NOT NULL")
    con.execute(f"CREATE TEMP TABLE outcome AS {outcome}")
    rows = {arm: np.array(vals) for arm, vals in con.sql(
        "SELECT arm, list(revenue ORDER BY revenue) FROM outcome GROUP BY arm").fetchall()}
    bought = {arm: np.array(vals) for arm, vals in con.sql(
        "SELECT arm, list(bought) FROM outcome GROUP BY arm").fetchall()}
    assert set(rows) == {"campaign", "control"} and len(rows["control"]) > 20
    for column, kind in (("bought", "yes/no"), ("revenue", "value")):
        agg = [Arm(a, n, s, q) for a, n, s, q in con.sql(
            f"SELECT arm, count(*), sum({column}), sum({column} * {column}) FROM outcome GROUP BY arm").fetchall()]
        (c,) = lift(agg, "control", kind).comparisons
        data = bought if kind == "yes/no" else rows
        if kind == "yes/no":
            k = [[int(v.sum()), len(v) - int(v.sum())] for v in (data["campaign"], data["control"])]
            assert c.p_value == pytest.approx(stats.chi2_contingency(k, correction=False)[1], rel=1e-9)
        else:
            ref = stats.ttest_ind(data["campaign"], data["control"], equal_var=False)
            assert (c.p_value, c.df) == (pytest.approx(ref.pvalue, rel=1e-9), pytest.approx(ref.df, rel=1e-9))
    con.close()
