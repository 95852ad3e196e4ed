"""The numpy reference of the predictions against lifetimes' values and the published CDNOW figures."""

from __future__ import annotations

import numpy as np
import pytest
from tests.support.predict_oracles import CLV, DATASETS, HORIZONS, WEEKS_PER_MONTH, dataset, relative_error
from scipy import special

from segdsl.predict import fit_bgnbd
from segdsl.predict import formulas as F


def test_cdnow_customer_one() -> None:
    """Customer 1 (x = 2, tₓ = 30.43, T = 38.86) at the maximum-likelihood fit: 1.2259 purchases expected
    in the next 39 weeks and alive with probability 0.7266 (at the rounded published parameters the
    purchases are 1.2260)."""
    d = dataset("cdnow")
    assert (d.x[0], d.tx[0], d.T[0]) == (2, 30.43, 38.86)
    fitted = fit_bgnbd(d.x, d.tx, d.T)
    assert round(float(F.expected_purchases(fitted, 39, 2, 30.43, 38.86)), 4) == 1.2259
    assert round(float(F.p_alive(fitted, 2, 30.43, 38.86)), 4) == 0.7266
    assert round(float(F.expected_purchases(d.params, 39, 2, 30.43, 38.86)), 4) == 1.2260


@pytest.mark.parametrize("name", DATASETS)
def test_every_prediction_equals_lifetimes(name: str) -> None:
    """Every customer of CDNOW and of the generated sets (x up to 500 in gen_d): 1e-9 relative (the
    oracle file keeps 13 digits)."""
    d = dataset(name)
    lt = d.predictions
    ours = {"p_alive": F.p_alive(d.params, d.x, d.tx, d.T), "spend": F.expected_spend(d.spend, d.x, d.m)}
    for t in HORIZONS:
        ours[f"purchases_{t:g}"] = F.expected_purchases(d.params, t, d.x, d.tx, d.T)
    for months, rate in CLV:
        ours[f"clv_{months}_{rate:g}"] = F.expected_value(d.params, d.spend, d.x, d.tx, d.T, d.m, months,
                                                          WEEKS_PER_MONTH, rate)
    assert set(ours) == set(lt)
    for column, values in ours.items():
        assert np.max(relative_error(values, lt[column])) < 1e-9, column


def test_g_function_is_the_scaled_hypergeometric_function() -> None:
    """G in its Euler-transformed form equals (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) where the latter
    does not overflow."""
    p = dataset("cdnow").params
    x = np.array([0, 1, 2, 5, 20, 60])
    z = np.array([0.1, 0.5, 0.9, 0.95, 0.3, 0.7])
    direct = (1 - z) ** (p.r + x) * special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    assert np.max(relative_error(F.g_function(p, x, z), direct)) < 1e-12


def test_spend_without_repeat_purchases_is_the_population_mean() -> None:
    s = dataset("cdnow").spend
    assert F.expected_spend(s, [0, 0], [np.nan, 123.0]) == pytest.approx([s.v * s.p / (s.q - 1)] * 2)


def test_undiscounted_value_telescopes_to_spend_times_purchases() -> None:
    d = dataset("gen_a")
    value = F.expected_value(d.params, d.spend, d.x, d.tx, d.T, d.m, 12, 4.345)
    direct = F.expected_spend(d.spend, d.x, d.m) * F.expected_purchases(d.params, 12 * 4.345, d.x, d.tx, d.T)
    assert np.max(relative_error(value, direct)) < 1e-12
    assert F.lifetimes_step("W") == 4.345 and F.lifetimes_step("D") == 30.0
