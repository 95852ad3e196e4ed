"""The portable ₂F₁ of expected purchases: the SQL, run on DuckDB, against scipy.special.hyp2f1.

For each fit the plan promises a relative error bound inside its domain
and NULL outside; both are checked on a dense grid of frequencies x (0 to
1,000) and z = t / (α + T + t) (0 to 0.9999).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from tests.support.predict_oracles import Params, dataset, fits
from scipy import special
from sqlglot import exp

from segdsl.predict import formulas as F
from segdsl.predict import hyp2f1 as hf
from segdsl.predict import sql as S

XS = np.array(list(range(0, 41)) + [45, 50, 60, 75, 100, 150, 200, 300, 500, 700, 1000], dtype=float)
ZS = np.concatenate([np.linspace(0.0, 0.95, 77), [0.955, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999]])


def fitted(name: str) -> Params:
    f = fits()[name]["bgnbd"]
    return Params(f["r"], f["alpha"], f["a"], f["b"])


# fits seen in practice: CDNOW and lifetimes' fits of the generated sets, and the small-a, small-b fits
# typical of online retail data
PRACTICE = [dataset("cdnow").params, fitted("gen_a"), fitted("gen_b"), fitted("gen_c"), fitted("gen_d"),
            Params(0.83, 60.0, 0.003, 0.45), Params(0.48, 26.0, 0.03, 0.37)]
# awkward ones: a + b < 1 (so c < 0 at x = 0), a and b both large, and σ = r − a + 1 exactly 0
AWKWARD = [Params(0.3, 2.0, 0.4, 0.2), Params(2.0, 10.0, 3.5, 8.0), Params(0.243, 4.414, 1.243, 2.426)]


@pytest.fixture(scope="module")
def grid() -> duckdb.DuckDBPyConnection:
    x, z = (v.ravel() for v in np.meshgrid(XS, ZS))
    con = duckdb.connect()
    con.register("grid", pa.table({"x": x, "z": z, "y": 1 - z}))
    return con


def reference(p: Params, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """G by scipy; where scipy gives no finite value (it returns inf or NaN for some x when
    σ = r − a + 1 is an integer), by the plain series of the Euler form summed to 20,000 terms."""
    want = F.g_function(p, x, z)
    for i in np.flatnonzero(~np.isfinite(want)):
        q, pp, c = p.a + p.b - 1 - p.r, p.a - 1, p.a + p.b + x[i] - 1
        k = np.arange(20000, dtype=float)
        terms = np.cumprod((q + k) * (pp + k) / ((c + k) * (k + 1)) * z[i])
        want[i] = (1 - z[i]) ** pp * (1 + terms.sum())
    return want


def evaluate(con: duckdb.DuckDBPyConnection, p: Params) -> tuple[hf.Hyp2f1Plan, np.ndarray, np.ndarray, np.ndarray]:
    plan = hf.plan(p.r, p.a, p.b)
    g = S.g_sql(plan, exp.column("x"), exp.column("z"), exp.column("y"))
    rows = con.execute(f"SELECT x, z, {g.sql('duckdb')} FROM grid").fetchall()
    x, z, got = (np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float) for i in range(3))
    return plan, x, z, got


@pytest.mark.parametrize("p", PRACTICE + AWKWARD, ids=lambda p: f"r{p.r:.3g}-a{p.a:.3g}-b{p.b:.3g}")
def test_sql_g_is_within_the_bound_and_null_outside(grid: duckdb.DuckDBPyConnection, p: Params) -> None:
    plan, x, z, got = evaluate(grid, p)
    want = reference(p, x, z)
    inside = plan.covers(x, z)
    assert np.array_equal(np.isnan(got), ~inside), "NULL exactly outside the domain"
    # proven plans bound the relative error; the others the error relative to max(|G|, (1 − z)^(a−1))
    scale = np.abs(want) if plan.proven else np.maximum(np.abs(want), (1 - z) ** (p.a - 1))
    err = np.abs(got - want)[inside] / scale[inside]
    assert plan.bound <= 1e-8
    assert np.max(err) <= plan.bound + 1e-13
    assert np.max(err) <= 1e-8


@pytest.mark.parametrize("p", PRACTICE, ids=lambda p: f"r{p.r:.3g}-a{p.a:.3g}-b{p.b:.3g}")
def test_fits_seen_in_practice_are_covered_to_z_095_for_every_x(p: Params) -> None:
    plan = hf.plan(p.r, p.a, p.b)
    assert min(z for _, _, z in plan.domain()) >= 0.95
    assert plan.bound <= 1e-9
    assert plan.covers(np.array([0.0, 3.0, 1000.0, 10 ** 6]), np.array([0.95, 0.95, 0.95, 0.95])).all()


def test_sql_hyp2f1_matches_scipy_for_the_scaled_function(grid: duckdb.DuckDBPyConnection) -> None:
    """₂F₁(r+x, b+x; a+b+x−1; z) itself, where it is a double: relative error ≤ 1e-8 against scipy."""
    p = dataset("cdnow").params
    plan, x, z, got = evaluate(grid, p)
    f = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    ok = np.isfinite(f) & ~np.isnan(got) & (f < 1e300)
    ours = got[ok] / (1 - z[ok]) ** (p.r + x[ok])
    assert ok.sum() > 3000
    assert np.max(np.abs(ours - f[ok]) / f[ok]) < 1e-8


def test_degenerate_connection_formula_is_reported() -> None:
    """σ = r − a + 1 = 0: the connection formula divides by zero, so small x are served by the series
    alone, up to a z the domain and the description state."""
    plan = hf.plan(0.243, 1.243, 2.426)
    assert plan.sigma == 0 and plan.n_b1 == 0
    assert plan.notes and plan.notes[0].startswith("The connection formula at z = 1 cancels")
    first = plan.domain()[0]
    assert first[0] == 0 and 0.8 < first[2] < 0.95
    assert f"x = 0: z ≤ {first[2]:g}" in plan.describe()


def test_cdnow_plan() -> None:
    plan = hf.plan(0.243, 0.793, 2.426)
    assert plan.proven and plan.bound <= 1e-10
    assert plan.domain()[:2] == [(0, 9, 1 - hf.Y_MIN), (10, 11, plan.bands[0][1])]
    assert plan.z_max(5) == 1 - hf.Y_MIN and plan.z_max(2.5) == -1.0 and plan.z_max(-1) == -1.0
    assert plan.z_max(10 ** 6) == 0.9999
    assert "relative error ≤ 5.0e-11" in plan.describe()


@pytest.mark.parametrize("u", [(1.976, -0.207, 2.219), (0.243, 2.426, 3.219), (9.3, 2.5, 1.5), (-2.3, -0.8, -0.3)])
def test_tail_bounds_are_upper_bounds(u: tuple[float, float, float]) -> None:
    """The geometric remainder bound is never below the actual remainder (summed to 20,000 terms)."""
    w = np.array([0.05, 0.3, 0.5, 0.7, 0.9])
    k = np.arange(20000, dtype=float)
    ratios = (u[0] + k) * (u[1] + k) / ((u[2] + k) * (k + 1))
    for j, wj in enumerate(w):
        terms = np.concatenate([[1.0], np.cumprod(ratios * wj)])
        remainder = np.cumsum(np.abs(terms)[::-1])[::-1][: hf._N_MAX + 1]
        bound = hf._tails(*u, "z")[:, np.searchsorted(hf._Z_GRID, wj)]
        assert np.all(bound >= remainder * (1 - 1e-12)), wj


def test_plans_reject_parameters_that_are_not_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        hf.plan(0.0, 1.0, 1.0)
