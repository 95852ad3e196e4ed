"""BG/NBD and Gamma-Gamma maximum-likelihood fits against published values and lifetimes' fits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.support.predict_oracles import dataset
from scipy import optimize

from segdsl.predict import fit as pf


def test_cdnow_bgnbd_reproduces_the_published_fit() -> None:
    """Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4."""
    d = dataset("cdnow")
    f = pf.fit_bgnbd(d.x, d.tx, d.T)
    assert (round(f.r, 3), round(f.alpha, 3), round(f.a, 3), round(f.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(f.log_likelihood, 1) == -9582.4
    assert (f.customers, f.repeat_customers, f.rows) == (2357, 946, 2357)
    assert f.converged


@pytest.mark.parametrize("name", ["cdnow", "gen_a", "gen_b", "gen_c", "gen_d"])
def test_bgnbd_fit_equals_lifetimes(name: str) -> None:
    """The same optimum as lifetimes (its own fit of the data): parameters to 1e-4, and a
    log-likelihood at least as high (lifetimes' likelihood of its parameters, computed by lifetimes)."""
    d = dataset(name)
    lt = d.fit["bgnbd"]
    f = pf.fit_bgnbd(d.x, d.tx, d.T)
    for k in ("r", "alpha", "a", "b"):
        assert getattr(f, k) == pytest.approx(lt[k], rel=1e-4), k
    assert f.log_likelihood >= lt["log_likelihood"] - 1e-6 * abs(lt["log_likelihood"])
    # and our likelihood function gives lifetimes' value at lifetimes' parameters
    ours_at_lt = pf.bgnbd_log_likelihood(lt, d.x, d.tx, d.T)
    assert ours_at_lt == pytest.approx(lt["log_likelihood"], rel=1e-11)


def test_the_bgnbd_optimum_is_a_maximum() -> None:
    """The fit beats the generating parameters and every 1 % step of one parameter around it."""
    d = dataset("gen_b")
    f = pf.fit_bgnbd(d.x, d.tx, d.T)
    true = {"r": d.params.r, "alpha": d.params.alpha, "a": d.params.a, "b": d.params.b}
    assert f.log_likelihood > pf.bgnbd_log_likelihood(true, d.x, d.tx, d.T)
    for k in f.params:
        for step in (0.99, 1.01):
            moved = {**f.params, k: f.params[k] * step}
            assert pf.bgnbd_log_likelihood(moved, d.x, d.tx, d.T) < f.log_likelihood


def test_arrow_arrays_are_accepted() -> None:
    pa = pytest.importorskip("pyarrow")
    d = dataset("cdnow")
    f = pf.fit_bgnbd(pa.array(d.x), pa.array(d.tx), pa.array(d.T))
    assert f.params == pf.fit_bgnbd(d.x, d.tx, d.T).params


def test_grouped_summary_gives_the_same_fit() -> None:
    d = dataset("cdnow")
    (x, tx, T), n = pf.group_rows(d.x, d.tx, d.T)
    assert len(n) == 1016 and n.sum() == 2357
    whole, grouped = pf.fit_bgnbd(d.x, d.tx, d.T), pf.fit_bgnbd(x, tx, T, n)
    assert grouped.rows == 1016 and grouped.customers == 2357
    for k in whole.params:
        assert grouped.params[k] == pytest.approx(whole.params[k], rel=1e-6)
    assert grouped.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)


def test_analytic_gradients_match_finite_differences() -> None:
    d = dataset("gen_a")
    lik = pf._BGNBDLikelihood(d.x, d.tx, d.T, np.ones_like(d.x))
    theta = np.log([0.4, 7.0, 0.9, 3.0])
    numeric = optimize.approx_fprime(theta, lambda t: lik.value_and_grad(t)[0], 1e-7)
    assert lik.value_and_grad(theta)[1] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    rep = d.x > 0
    gg = pf._GammaGammaLikelihood(d.x[rep], d.m[rep], np.ones(int(rep.sum())))
    theta = np.log([3.0, 2.5, 20.0])
    numeric = optimize.approx_fprime(theta, lambda t: gg.value_and_grad(t)[0], 1e-7)
    assert gg.value_and_grad(theta)[1] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_blocks_in_threads_give_the_value_of_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large summary is evaluated in blocks, in threads: the same value and gradient as in one block
    (to rounding: the blocks' sums are added in a fixed order)."""
    d = dataset("gen_a")
    rep = d.x > 0
    theta_bg, theta_gg = np.log([0.4, 7.0, 0.9, 3.0]), np.log([3.0, 2.5, 20.0])
    one_bg = pf._BGNBDLikelihood(d.x, d.tx, d.T, np.ones_like(d.x)).value_and_grad(theta_bg)
    one_gg = pf._GammaGammaLikelihood(d.x[rep], d.m[rep], np.ones(int(rep.sum()))).value_and_grad(theta_gg)
    monkeypatch.setattr(pf, "CHUNK", 7)
    lik = pf._BGNBDLikelihood(d.x, d.tx, d.T, np.ones_like(d.x))
    assert len(lik.rows) > 10
    many_bg = lik.value_and_grad(theta_bg)
    many_gg = pf._GammaGammaLikelihood(d.x[rep], d.m[rep], np.ones(int(rep.sum()))).value_and_grad(theta_gg)
    for one, many in ((one_bg, many_bg), (one_gg, many_gg)):
        assert many[0] == pytest.approx(one[0], rel=1e-13)
        assert many[1] == pytest.approx(one[1], rel=1e-11, abs=1e-15)


def test_importing_the_predictions_leaves_scipy_for_later() -> None:
    """scipy.special and scipy.optimize (two thirds of a second) are imported where they are used, and
    by `prefetch` in a thread while the engine works: loading a model with a prediction imports neither."""
    import subprocess
    import sys

    code = ("import sys; import segdsl.predict, segdsl.predict.lock, segdsl.engines.predictions; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = ("import sys, threading; from segdsl.predict.fit import prefetch; prefetch(); "
            "[t.join() for t in threading.enumerate() if t.name == 'segdsl-import']; "
            "print('scipy.special' in sys.modules, 'scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_cdnow_gamma_gamma_reproduces_the_published_fit() -> None:
    """Fader, Hardie & Lee (2005), RFM and CLV: p = 6.25, q = 3.74, v = 15.44, on the 946 repeat customers."""
    d = dataset("cdnow")
    g = pf.fit_gamma_gamma(d.x, d.m)
    assert (round(g.p, 2), round(g.q, 2), round(g.v, 2)) == (6.25, 3.74, 15.45)  # 15.4477…: 15.44 truncated
    assert abs(g.v - 15.44) < 0.01
    assert (g.customers, g.excluded) == (946, 0)
    lt = d.fit["gamma_gamma"]
    for k in ("p", "q", "v"):
        assert getattr(g, k) == pytest.approx(lt[k], rel=1e-4), k
    assert g.log_likelihood == pytest.approx(lt["log_likelihood"], rel=1e-9)
    assert pf.gamma_gamma_log_likelihood(lt, d.x[d.x > 0], d.m[d.x > 0]) == pytest.approx(lt["log_likelihood"],
                                                                                           rel=1e-11)
    assert g.mean_spend == pytest.approx(g.v * g.p / (g.q - 1))


@pytest.mark.parametrize("name", ["gen_a", "gen_b", "gen_c", "gen_d"])
def test_gamma_gamma_fit_equals_lifetimes(name: str) -> None:
    d = dataset(name)
    g = pf.fit_gamma_gamma(d.x, d.m)
    lt = d.fit["gamma_gamma"]
    for k in ("p", "q", "v"):
        assert getattr(g, k) == pytest.approx(lt[k], rel=1e-4), k


def test_gamma_gamma_excludes_and_counts_non_positive_values() -> None:
    d = dataset("cdnow")
    m = d.m.copy()
    repeat = np.flatnonzero(d.x > 0)
    m[repeat[:5]] = 0.0
    m[repeat[5:7]] = -3.0
    m[repeat[7]] = np.nan
    g = pf.fit_gamma_gamma(d.x, m)
    assert (g.customers, g.excluded) == (946 - 8, 8)
    kept = np.ones(len(m), dtype=bool)
    kept[repeat[:8]] = False
    same = pf.fit_gamma_gamma(d.x[kept], d.m[kept])
    assert g.params == pytest.approx(same.params, rel=1e-9)


def test_too_few_customers_is_a_fit_error_with_the_counts() -> None:
    with pytest.raises(pf.FitError) as e:
        pf.fit_bgnbd([0, 1, 0, 2, 0], [0, 3, 0, 5, 0], [10, 10, 10, 10, 10])
    assert e.value.kind == "too_few"
    assert e.value.counts == {"customers": 5, "repeat_customers": 2, "rows": 5}
    assert str(e.value) == ("BG/NBD needs at least 10 customers, 3 of them with repeat purchases; the data has "
                            "5 customers, 2 with repeat purchases")
    with pytest.raises(pf.FitError) as e:
        pf.fit_gamma_gamma([1, 2, 0], [10.0, -1.0, 0.0])
    assert e.value.kind == "too_few" and e.value.counts == {"customers": 1, "excluded": 1, "rows": 1}


def test_impossible_summary_rows_are_a_fit_error() -> None:
    with pytest.raises(pf.FitError) as e:
        pf.fit_bgnbd([0, 1.5, 2, 0], [0, 3, 12, 1], [10, 10, 10, 10], count=[1, 1, 1, 0])
    assert e.value.kind == "bad_input"
    assert e.value.counts == {"a frequency that is not a whole number ≥ 0": 1, "recency outside 0…T": 1,
                              "repeat purchases but recency 0, or recency without repeat purchases": 1,
                              "a count that is not positive": 1}


def test_a_fit_that_stops_early_reports_its_last_state() -> None:
    d = dataset("cdnow")
    with pytest.raises(pf.FitError) as e:
        pf.fit_bgnbd(d.x, d.tx, d.T, max_iterations=2)
    err = e.value
    assert err.kind == "not_converged" and err.fit is not None and not err.fit.converged
    assert err.fit.iterations == 2
    assert "did not converge after 2 iterations" in err.message and "last r = " in err.message
    assert err.fit.log_likelihood == pytest.approx(pf.bgnbd_log_likelihood(err.fit.params, d.x, d.tx, d.T))
    assert err.fit.log_likelihood < pf.fit_bgnbd(d.x, d.tx, d.T).log_likelihood


def test_a_heavy_tailed_spend_has_no_finite_mean() -> None:
    """Mean repeat values with a Pareto tail: q ≤ 1, an improper fit."""
    rng = np.random.default_rng(5)
    x = rng.integers(1, 4, 3000).astype(float)
    m = 10 * (1 - rng.random(3000)) ** -1.5  # tail index 2/3: no mean
    with pytest.raises(pf.FitError) as e:
        pf.fit_gamma_gamma(x, m)
    assert e.value.kind == "improper" and e.value.fit is not None and e.value.fit.q <= 1


def test_fits_serialise_and_read_back() -> None:
    d = dataset("cdnow")
    f, g = pf.fit_bgnbd(d.x, d.tx, d.T), pf.fit_gamma_gamma(d.x, d.m)
    assert pf.BGNBDFit.from_json(f.to_json()) == f
    assert pf.GammaGammaFit.from_json(g.to_json()) == g
    stored = json.loads(f.to_json())
    assert stored["model"] == "bgnbd" and stored["alpha"] == f.alpha
    with pytest.raises(ValueError, match="not a stored gamma_gamma fit"):
        pf.GammaGammaFit.from_dict(stored)
    with pytest.raises(ValueError, match="lacks alpha"):
        pf.BGNBDFit.from_dict({k: v for k, v in stored.items() if k != "alpha"})
    with pytest.raises(ValueError, match="has b = -1"):
        pf.BGNBDFit.from_dict({**stored, "b": -1})
