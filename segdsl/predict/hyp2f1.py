"""The Gauss hypergeometric function of BG/NBD's expected purchases, planned for portable SQL.

BG/NBD's conditional expectation needs

    G(x, z) = (1 − z)^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z),   z = t / (α + T + t),

a number in (0, ∞) that no SQL engine can compute directly (₂F₁ itself
overflows a double for large x: it grows like (1 − z)^−x). Euler's
transformation removes the growth:

    G = y^p · F,   F = ₂F₁(q, p; c; z),   y = 1 − z,  p = a − 1,  q = a + b − 1 − r,  c = q + r + x.

Two of the three parameters are constants of the fit, and the series in z
converges the faster the larger x. G is evaluated in one of two regions:

* **A**, the power series of F in z to N_A terms, Horner-evaluated with
  term ratios `K_n · z / (x + C_n)` (constants K_n, C_n);
* **B** (integer x ≤ x_B and z above a switch point z_sw(x)), the
  connection formula at z = 1 (Abramowitz & Stegun 15.3.6), s = σ + x,
  σ = r − a + 1:

      F = Γ₁(x) · ₂F₁(q, p; 1 − s; y) + Γ₂(x) · y^s · ₂F₁(r + x, b + x; 1 + s; y),
      Γ₁ = Γ(c)Γ(s) / (Γ(r+x)Γ(b+x)),  Γ₂ = Γ(c)Γ(−s) / (Γ(q)Γ(p)),

  each series either as written (form "a") or Euler-transformed (form
  "b": z^(1−c) ₂F₁(1−b−x, 1−r−x; 1−s; y) and
  z^(2−a−b−x) ₂F₁(2−a, 2+r−a−b; 1+s; y)), whichever is cheaper for the fit.
  Γ₁ and Γ₂ come from a table per x computed here with their signs, so no
  log-gamma function is needed in SQL.

Every choice — N_A, the forms and lengths of the two series of B, x_B,
z_sw(x) and how far in z region A reaches for larger x — is made when the
SQL is built, from the fitted parameters, by bounding the relative error:

* truncation: a series whose term ratio |t_{m+1}/t_m| stays ≤ ρ < 1 from
  the N-th term on has a remainder ≤ |t_N| / (1 − ρ). Every |t_m| grows with
  z (y) and falls as x grows, so in region A the bound at the corner
  (smallest x, largest z) holds for the whole region; region B is checked
  for each x on cells of a grid in y from 10⁻¹² to its largest y, every
  factor taken at the worse end of its cell;
* the denominator: when q > 0 every term of F after the first has the
  sign of p, so F is monotone in z and in x and its smallest value in a
  region is at a corner (otherwise half the smallest value on a grid is
  used, and the plan says `proven=False`);
* rounding: (6N + 40) · 2⁻⁵³ times Σ|terms| / |F| (large only where the two
  terms of B cancel), assuming the engine's LN and EXP within 2 ulp.

Truncation is held to a quarter of the tolerance (10⁻¹⁰ by default) in
region A and in each term of region B, rounding to half. When that leaves
some x short of z = 0.95, the tolerance is relaxed to 10× and then 100×
(never above 10⁻⁸): the plan's `bound` is what holds. Where no evaluation
meets it — z beyond the reach of region A for x > x_B, or x ≤ x_B with a
connection formula that cancels (σ within about 10⁻⁵ of an integer) — the
SQL yields NULL; `Hyp2f1Plan.domain()` and `describe()` say where.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .formulas import scipy_special

U = 2.0 ** -53  # unit roundoff of a double
DEFAULT_TOLERANCE = 1e-10
Z_TARGET = 0.95  # regions A and B together reach this z for every x
Z_BANDS = (0.99, 0.999, 0.9999)  # further z reached by region A for larger x
Y_MIN = 1e-12  # region B is bounded down to y = 1 − z = 1e-12
_N_A_CHOICES = (16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 80, 96, 128)
_N_B_MAX = 80
_N_MAX = 128  # longest series considered
_X_B_MAX = 24
_RATIO_SCAN = 4096
# SQL size of one Horner level relative to region A's, by series form (forms with x in both
# upper parameters multiply two affine factors)
_LEVEL_COST = {"A": 1.0, "1a": 1.0, "1b": 1.6, "2a": 1.6, "2b": 1.0}


# ── series and their bounds ──────────────────────────────────────────────────


@dataclass(frozen=True)
class Affine:
    """A parameter c0 + c1·x (c1 ∈ {−1, 0, 1})."""

    c0: float
    c1: int = 0

    def at(self, x: float) -> float:
        return self.c0 + self.c1 * x


@dataclass(frozen=True)
class Series:
    """₂F₁(u1, u2; v; w) with parameters affine in x."""

    u1: Affine
    u2: Affine
    v: Affine

    def at(self, x: float) -> tuple[float, float, float]:
        return self.u1.at(x), self.u2.at(x), self.v.at(x)


@dataclass(frozen=True)
class Term:
    """One term of region B in units of G: Γ[x] · y^(y_exp) · z^(z_exp) · series(y)."""

    series: Series
    y_exp: Affine
    z_exp: Affine


def region_b_terms(r: float, a: float, b: float) -> dict[str, Term]:
    """The two terms of the connection formula, each in its two forms ("1a", "1b", "2a", "2b")."""
    q, p, sigma = a + b - 1 - r, a - 1, r - a + 1
    return {
        "1a": Term(Series(Affine(q), Affine(p), Affine(1 - sigma, -1)), Affine(p), Affine(0.0)),
        "1b": Term(Series(Affine(1 - b, -1), Affine(1 - r, -1), Affine(1 - sigma, -1)), Affine(p),
                   Affine(1 - q - r, -1)),
        "2a": Term(Series(Affine(r, 1), Affine(b, 1), Affine(1 + sigma, 1)), Affine(r, 1), Affine(0.0)),
        "2b": Term(Series(Affine(2 - a), Affine(2 + r - a - b), Affine(1 + sigma, 1)), Affine(r, 1),
                   Affine(2 - a - b, -1)),
    }


@lru_cache(maxsize=8192)
def _series(u1: float, u2: float, v: float) -> tuple[np.ndarray, np.ndarray]:
    """(C_0…C_M, ρ_0…ρ_M), M = _N_MAX: ₂F₁(u1, u2; v; w) = Σ C_m w^m, and
    ρ_n = sup_{m ≥ n} |C_{m+1} / C_m| (at least the limit 1).

    The sup is scanned over 4096 further ratios, which passes every turning
    point of (m+u1)(m+u2)/((m+v)(m+1)) for parameters below a few thousand.
    """
    k = np.arange(_N_MAX + _RATIO_SCAN, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratios = (u1 + k) * (u2 + k) / ((v + k) * (k + 1))
        coef = np.concatenate([[1.0], np.cumprod(ratios[:_N_MAX])])
        rho = np.maximum(np.maximum.accumulate(np.abs(ratios)[::-1])[::-1][:_N_MAX + 1], 1.0)
    rho = np.where(np.isfinite(rho), rho, np.inf)
    coef.setflags(write=False)
    rho.setflags(write=False)
    return coef, rho


@lru_cache(maxsize=512)
def _terms(u1: float, u2: float, v: float, grid: str) -> np.ndarray:
    """Matrix [n, i]: |t_n| of ₂F₁(u1, u2; v; w_i) for n = 0…_N_MAX on the z or the y grid
    (cumulative products of the term ratios: no powers)."""
    coef, _ = _series(u1, u2, v)
    w = _GRIDS[grid]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratios = np.abs(coef[1:] / coef[:-1])
        steps = np.empty((_N_MAX + 1, len(w)))
        steps[0] = 1.0
        steps[1:] = ratios[:, None] * w[None, :]
        out = np.cumprod(steps, axis=0)
    out = np.where(np.isnan(out), 0.0, out)  # a series that stops (a zero parameter): 0/0 after it
    out.setflags(write=False)
    return out


@lru_cache(maxsize=512)
def _tails(u1: float, u2: float, v: float, grid: str) -> np.ndarray:
    """Matrix [n, i]: upper bound of Σ_{m ≥ n} |t_m| of ₂F₁(u1, u2; v; w_i), for n = 0…_N_MAX."""
    _, rho = _series(u1, u2, v)
    w = _GRIDS[grid][None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(rho[:, None] * w < 1, _terms(u1, u2, v, grid) / (1 - rho[:, None] * w), np.inf)
    out = np.where(np.isnan(out), np.inf, out)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=512)
def _abs_sums(u1: float, u2: float, v: float, grid: str) -> np.ndarray:
    """Matrix [n, i]: Σ_{m ≤ n} |t_m| at w_i — what the rounding errors of a Horner evaluation of n
    terms are proportional to."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.cumsum(_terms(u1, u2, v, grid), axis=0)
    out.setflags(write=False)
    return out


_Z_GRID = np.unique(np.round(np.concatenate([np.arange(1, 500) / 500, np.arange(9981, 10000) / 10000]), 6))
# y = 1 − z: every 1 − z of the z grid (so each switch point is a grid point) and a geometric grid below
_Y_GRID = np.unique(np.concatenate([np.geomspace(Y_MIN, 1e-4, 41)[:-1], np.round(1 - _Z_GRID, 6)]))
_GRIDS = {"z": _Z_GRID, "y": _Y_GRID}


# ── region A ─────────────────────────────────────────────────────────────────

@lru_cache(maxsize=2048)
def _f_lower(q: float, p: float, c: float, proven: bool) -> np.ndarray:
    """A lower bound of |F| = |₂F₁(q, p; c; ·)| on [0, z] for each z of the grid.

    Proven (q > 0, c > 0, p > −1): F ≥ 1 when p ≥ 0, and F decreases with z
    when p < 0, so its value at z. Otherwise F may change sign, and the
    bound is taken relative to max(|F|, 1): half the smallest |F| on the
    grid up to z, or 1.
    """
    f = np.abs(scipy_special().hyp2f1(q, p, c, _Z_GRID))
    if proven:
        out = np.ones_like(f) if p >= 0 else f * (1 - 1e-13)
    else:
        out = np.maximum(0.5 * np.minimum.accumulate(f), 1.0)
    out = np.where(np.isfinite(out), out, 0.0)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=2048)
def _region_a_table(q: float, p: float, c: float, proven: bool, budget: float) -> tuple[np.ndarray, np.ndarray]:
    """For n = 0…_N_MAX: the largest z of the grid up to which the series of F to n terms is
    within `budget` relative to F (for every z below it: the bound grows with z), and
    Σ|t_m| / |F| there."""
    fmin = _f_lower(q, p, c, proven)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = _tails(q, p, c, "z") / fmin[None, :]
    ok = np.isfinite(rel) & (rel <= budget)
    # the first grid point that fails, per n; everything before it is within the budget
    first_bad = np.where(ok.all(axis=1), len(_Z_GRID), np.argmin(ok, axis=1))
    reach = np.where(first_bad > 0, _Z_GRID[np.maximum(first_bad - 1, 0)], 0.0)
    idx = np.maximum(first_bad - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        amp = _abs_sums(q, p, c, "z")[np.arange(_N_MAX + 1), idx] / fmin[idx]
    return reach, np.where(np.isfinite(amp), amp, np.inf)


def _region_a_reach(q: float, p: float, c: float, n: int, budget: float, proven: bool) -> tuple[float, float]:
    """(largest z region A serves with n terms at this c, rounding amplification there)."""
    reach, amp = _region_a_table(q, p, c, proven, budget)
    return float(reach[n]), float(amp[n])


# ── region B ─────────────────────────────────────────────────────────────────


def connection_gammas(r: float, a: float, b: float, x: int) -> tuple[float, float]:
    """Γ₁(x), Γ₂(x) of the connection formula with their signs; infinite when σ is an integer.

    Γ(−s) by reflection, −π / (s sin(πs) Γ(s)), with sin(π(m + x + δ)) =
    (−1)^(m+x) sin(πδ) for σ = m + δ: δ keeps its precision however close σ
    is to an integer.
    """
    q, p, sigma = a + b - 1 - r, a - 1, r - a + 1
    c, s = q + r + x, sigma + x
    m = round(sigma)
    delta = sigma - m
    if delta == 0 or s == 0:
        return math.inf, math.inf
    lg = scipy_special().gammaln
    sign_cs = float(scipy_special().gammasgn(c) * scipy_special().gammasgn(s))
    with np.errstate(over="ignore"):
        g1 = sign_cs * math.exp(lg(c) + lg(s) - lg(r + x) - lg(b + x))
        sin_ps = (-1.0) ** ((m + x) % 2) * math.sin(math.pi * delta)
        g2 = (-math.pi / (s * sin_ps)) * sign_cs * math.exp(lg(c) - lg(s)) \
            * float(scipy_special().rgamma(q)) * float(scipy_special().rgamma(p))
    return float(g1), float(g2)


def _y_index(y_hi: float) -> int:
    """Index of the grid point y_hi (a switch point's 1 − z)."""
    return int(np.searchsorted(_Y_GRID, y_hi + 1e-9)) - 1


@lru_cache(maxsize=1024)
def _b_f(q: float, p: float, c: float) -> np.ndarray:
    """|F| on the y grid, a little reduced for scipy's own error."""
    out = np.abs(scipy_special().hyp2f1(q, p, c, 1 - _Y_GRID)) * (1 - 1e-13)
    out.setflags(write=False)
    return out


def _b_factor(term: Term, p: float, x: int) -> np.ndarray:
    """The term's power factor in units of F, y^(y_exp − p) z^(z_exp), on the y grid."""
    with np.errstate(over="ignore", divide="ignore"):
        return _Y_GRID ** (term.y_exp.at(x) - p) * (1 - _Y_GRID) ** term.z_exp.at(x)


@lru_cache(maxsize=4096)
def _b_truncations(term: Term, gamma: float, r: float, a: float, b: float, x: int, proven: bool) -> np.ndarray:
    """Matrix [n, i]: the relative truncation bound of one term of region B at frequency x, for
    Y_MIN ≤ y ≤ _Y_GRID[i], with n terms: the largest over the cells [y_j, y_{j+1}] below, each with
    its tail at the upper end (tails grow with y), the factor at its larger end (a product of
    monotone powers) and |F| at its smaller end (monotone when proven)."""
    q, p = a + b - 1 - r, a - 1
    if not math.isfinite(gamma):
        return np.full((_N_MAX + 1, len(_Y_GRID)), np.inf)
    f = _b_f(q, p, q + r + x)
    factor = _b_factor(term, p, x)
    tails = _tails(*term.series.at(x), "y")
    f_cell = np.minimum(f[:-1], f[1:])
    if not proven:
        f_cell = np.maximum(0.5 * f_cell, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        part = abs(gamma) * (np.maximum(factor[:-1], factor[1:]) / f_cell)[None, :] * tails[:, 1:]
    part = np.where(np.isfinite(part), part, np.inf)
    out = np.concatenate([np.zeros((_N_MAX + 1, 1)), np.maximum.accumulate(part, axis=1)], axis=1)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=4096)
def _b_weight(term: Term, gamma: float, r: float, a: float, b: float, x: int, proven: bool) -> np.ndarray:
    """|Γ| · factor / |F| at the grid points: what multiplies Σ_{m ≤ n} |t_m| in `_b_amplification`."""
    q, p = a + b - 1 - r, a - 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = abs(gamma) * (_b_factor(term, p, x) / np.maximum(_b_f(q, p, q + r + x), 0.0 if proven else 1.0))
    out.setflags(write=False)
    return out


def _b_sums(term: Term, gamma: float, r: float, a: float, b: float, x: int, n: int, i: int, proven: bool
            ) -> np.ndarray:
    """|Γ| · factor · Σ_{m ≤ n} |t_m| / |F| at the first i grid points (one row: the plan asks for a few
    of the 129, so the whole matrix is not formed)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = _b_weight(term, gamma, r, a, b, x, proven)[:i] * _abs_sums(*term.series.at(x), "y")[n, :i]
    return np.where(np.isfinite(out), out, np.inf)


def _b_amplification(terms: tuple[Term, Term], gammas: tuple[float, float], r: float, a: float, b: float, x: int,
                     y_hi: float, ns: tuple[int, int], proven: bool = True) -> float:
    """max over the grid up to y_hi of Σ|terms of both series, with their factors| / |F|."""
    if not all(math.isfinite(g) for g in gammas):
        return math.inf
    i = _y_index(y_hi) + 1
    s1 = _b_sums(terms[0], gammas[0], r, a, b, x, ns[0], i, proven)
    s2 = _b_sums(terms[1], gammas[1], r, a, b, x, ns[1], i, proven)
    return float(np.max(s1 + s2))


# ── the plan ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Hyp2f1Plan:
    """How to evaluate G(x, z) in SQL for one BG/NBD fit, and where the evaluation is bounded.

    For integer x ≤ x_b, region B serves z > z_switch[x] (2.0 where B is off
    for that x, and then region A serves z ≤ z_small[x]); for x > x_b region A
    serves z up to the z of the last band whose x_from ≤ x. Elsewhere the
    SQL yields NULL.
    """

    r: float
    a: float
    b: float
    n_a: int
    form1: str  # "1a" or "1b"
    form2: str  # "2a" or "2b"
    n_b1: int
    n_b2: int
    x_b: int  # −1: no region B
    z_switch: tuple[float, ...]
    z_small: tuple[float, ...]
    gamma1: tuple[float, ...]
    gamma2: tuple[float, ...]
    bands: tuple[tuple[int, float], ...]  # (x_from, z_max), x_from increasing from x_b + 1
    bound: float  # relative error bound of G (and F) inside the domain
    proven: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def p(self) -> float:
        return self.a - 1

    @property
    def q(self) -> float:
        return self.a + self.b - 1 - self.r

    @property
    def sigma(self) -> float:
        return self.r - self.a + 1

    def terms(self) -> tuple[Term, Term]:
        forms = region_b_terms(self.r, self.a, self.b)
        return forms[self.form1], forms[self.form2]

    def z_max(self, x: float) -> float:
        """The largest z at which G(x, z) is bounded (the SQL is not NULL) for frequency x."""
        if 0 <= x <= self.x_b and float(x).is_integer():
            k = int(x)
            return 1 - Y_MIN if self.z_switch[k] <= 1 else self.z_small[k]
        if x < 0 or (x <= self.x_b and not float(x).is_integer()):
            return -1.0
        best = -1.0
        for x_from, z in self.bands:
            if x >= x_from:
                best = z
        return best

    def domain(self) -> list[tuple[int, int | None, float]]:
        """Rows (x_from, x_to or None for no end, z_max): G is bounded for integer x in
        [x_from, x_to] and 0 ≤ z ≤ z_max, and NULL above."""
        rows = [(k, k, self.z_max(k)) for k in range(self.x_b + 1)]
        for i, (x_from, z) in enumerate(self.bands):
            rows.append((x_from, self.bands[i + 1][0] - 1 if i + 1 < len(self.bands) else None, z))
        merged: list[tuple[int, int | None, float]] = []
        for row in rows:
            last = merged[-1] if merged else None
            if last is not None and last[2] == row[2] and last[1] is not None and last[1] + 1 == row[0]:
                merged[-1] = (last[0], row[1], row[2])
            else:
                merged.append(row)
        return merged

    def covers(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Whether each (x, z) lies in the bounded domain (where the SQL is not NULL)."""
        x = np.asarray(x, float)
        z = np.asarray(z, float)
        limit = np.array([self.z_max(v) for v in x.ravel()]).reshape(x.shape)
        return (z >= 0) & (z <= limit)

    def describe(self) -> str:
        """One paragraph for a lint or a report: the method, the bound and where NULL comes from."""
        b_on = [k for k in range(self.x_b + 1) if self.z_switch[k] <= 1]
        text = (f"series of {self.n_a} terms in z" + (
            f"; for x ≤ {b_on[-1]} and z near 1 the connection formula at z = 1 "
            f"({self.n_b1} + {self.n_b2} terms)" if b_on else "")
            + f"; relative error ≤ {self.bound:.1e}" + ("" if self.proven else " (denominator checked numerically)"))
        limits = []
        for x_from, x_to, z in self.domain():
            if z < 1 - Y_MIN:
                xs = f"x = {x_from}" if x_to == x_from else (
                    f"x ≥ {x_from}" if x_to is None else f"{x_from} ≤ x ≤ {x_to}")
                limits.append(f"{xs}: z ≤ {z:g}")
        if limits:
            text += "; NULL beyond " + ", ".join(limits)
        return text + "".join(f". {n}" for n in self.notes)

    def to_dict(self) -> dict:
        return {"r": self.r, "a": self.a, "b": self.b, "n_a": self.n_a, "form1": self.form1, "form2": self.form2,
                "n_b1": self.n_b1, "n_b2": self.n_b2, "x_b": self.x_b, "z_switch": list(self.z_switch),
                "z_small": list(self.z_small), "gamma1": list(self.gamma1), "gamma2": list(self.gamma2),
                "bands": [list(v) for v in self.bands], "bound": self.bound, "proven": self.proven,
                "notes": list(self.notes)}


def _cost(plan: Hyp2f1Plan) -> float:
    """Fewer NULLs first, then SQL size: series levels weighted by their form, and the tables."""
    nulls = sum(1 for k in range(plan.x_b + 1) if plan.z_switch[k] > 1)
    levels = plan.n_a + _LEVEL_COST[plan.form1] * plan.n_b1 + _LEVEL_COST[plan.form2] * plan.n_b2
    return nulls * 1e4 - min(plan.bands[0][1], Z_TARGET) * 1e3 + levels + 0.5 * (plan.x_b + 1)


def _first_within(values: np.ndarray, budget: float, lo: int = 2) -> int | None:
    """The smallest n ≥ lo with values[n] ≤ budget and every later one too; None if none."""
    ok = values <= budget
    if not ok[-1]:
        return None
    bad = np.nonzero(~ok)[0]
    return max(lo, int(bad[-1]) + 1 if len(bad) else 0)


@lru_cache(maxsize=64)
def plan(r: float, a: float, b: float, tolerance: float = DEFAULT_TOLERANCE) -> Hyp2f1Plan:
    """The evaluation of G for this fit: within `tolerance` if that reaches z = 0.95 for every x,
    otherwise within 10× or 100× the tolerance (never above 10⁻⁸), whichever first does."""
    best: Hyp2f1Plan | None = None
    for tol in (tolerance, 10 * tolerance, 100 * tolerance):
        if tol > max(tolerance, 1e-8):
            break
        candidate = _plan(r, a, b, tol)
        if best is None or _coverage(candidate) > _coverage(best):
            best = candidate
        if _coverage(best) >= Z_TARGET:
            break
    assert best is not None
    return best


def _coverage(plan: Hyp2f1Plan) -> float:
    """The z up to which every x is served."""
    return min(z for _, _, z in plan.domain())


@lru_cache(maxsize=256)
def _plan(r: float, a: float, b: float, tolerance: float) -> Hyp2f1Plan:
    """The cheapest evaluation of G for this fit whose relative error is within `tolerance`.

    Truncation takes a quarter of the tolerance in region A and in each term
    of region B, rounding the other half.
    """
    r, a, b = float(r), float(a), float(b)
    if not (r > 0 and a > 0 and b > 0 and math.isfinite(r + a + b)):
        raise ValueError(f"BG/NBD parameters must be positive and finite (r={r}, a={a}, b={b})")
    q, p, sigma = a + b - 1 - r, a - 1, r - a + 1
    proven = q > 0 and q + r > 0  # x = 0 has the smallest c; p = a − 1 > −1 always
    truncation = tolerance / 4
    rounding_budget = tolerance / 2
    forms = region_b_terms(r, a, b)
    best: Hyp2f1Plan | None = None
    for n_a in _N_A_CHOICES:
        reach: list[tuple[float, float]] = []
        for x in range(_X_B_MAX + 2):
            reach.append(_region_a_reach(q, p, q + r + x, n_a, truncation, proven or (x > 0 and q > 0)))
            if reach[-1][0] >= Z_TARGET:
                break
        x_b = len(reach) - 2
        if reach[-1][0] < Z_TARGET:
            x_b = _X_B_MAX
        z_small = [z for z, _ in reach[:x_b + 1]]
        z_switch = z_small
        rounding_a = (6 * n_a + 40) * U * max(amp for _, amp in reach)
        if rounding_a > rounding_budget:
            continue
        gammas = [connection_gammas(r, a, b, k) for k in range(x_b + 1)]
        trunc = {f: [_b_truncations(forms[f], gammas[k][0 if f[0] == "1" else 1], r, a, b, k,
                                    proven or (k > 0 and q > 0))[:_N_B_MAX + 1, _y_index(1 - z_switch[k])]
                     for k in range(x_b + 1)] for f in forms}
        lengths: dict[str, tuple[int, list[bool]]] = {}
        for f in forms:
            on = [bool(t[-1] <= truncation) for t in trunc[f]]
            worst = np.max([t for t, o in zip(trunc[f], on) if o], axis=0) if any(on) else np.zeros(_N_B_MAX + 1)
            lengths[f] = (_first_within(worst, truncation) or 0, on)
        for f1 in ("1a", "1b"):
            for f2 in ("2a", "2b"):
                (n1, on1), (n2, on2) = lengths[f1], lengths[f2]
                amps = [_b_amplification((forms[f1], forms[f2]), gammas[k], r, a, b, k, 1 - z_switch[k], (n1, n2),
                                         proven or (k > 0 and q > 0))
                        if on1[k] and on2[k] else math.inf for k in range(x_b + 1)]
                rounding = [(6 * (n1 + n2) + 40) * U * amp for amp in amps]
                on = [bool(v <= rounding_budget) for v in rounding]
                used = [v for v, o in zip(rounding, on) if o]
                bound = 2 * truncation + max([rounding_a] + used) + 4 * U
                bands = (_bands(q, p, r, n_a, x_b, reach[-1][0], truncation) if reach[-1][0] >= Z_TARGET
                         else ((x_b + 1, reach[-1][0]),))
                notes: tuple[str, ...] = ()
                if not all(on):
                    off = [k for k in range(x_b + 1) if not on[k]]
                    notes = (f"The connection formula at z = 1 cancels for these parameters "
                             f"(σ = r − a + 1 = {sigma:.6g}): for x = {off[0]}…{off[-1]} only the series in z is "
                             f"used",)
                candidate = Hyp2f1Plan(
                    r=r, a=a, b=b, n_a=n_a, form1=f1, form2=f2, n_b1=n1 if any(on) else 0,
                    n_b2=n2 if any(on) else 0, x_b=x_b,
                    z_switch=tuple(z_switch[k] if on[k] else 2.0 for k in range(x_b + 1)),
                    z_small=tuple(z_small), gamma1=tuple(g[0] for g in gammas), gamma2=tuple(g[1] for g in gammas),
                    bands=tuple(bands), bound=bound, proven=proven, notes=notes)
                if best is None or _cost(candidate) < _cost(best):
                    best = candidate
    if best is None:
        raise ValueError(f"no bounded evaluation of ₂F₁ for r={r}, a={a}, b={b}")
    return best


def _bands(q: float, p: float, r: float, n_a: int, x_b: int, z_first: float, truncation: float
           ) -> tuple[tuple[int, float], ...]:
    """(x_from, z_max) rows for x > x_b: from which x on region A reaches each z of Z_BANDS."""
    bands = [(x_b + 1, z_first)]

    def reach(x: int) -> float:
        return _region_a_reach(q, p, q + r + x, n_a, truncation, q > 0)[0]

    for target in Z_BANDS:
        if bands[-1][1] >= target:
            continue
        lo, hi = bands[-1][0], max(2 * bands[-1][0], 8)
        while reach(hi) < target:
            lo, hi = hi, hi * 2
            if hi > 10 ** 6:
                return tuple(bands)
        while lo < hi:
            mid = (lo + hi) // 2
            if reach(mid) >= target:
                hi = mid
            else:
                lo = mid + 1
        bands.append((hi, target))
    return tuple(bands)


def g_reference(r: float, a: float, b: float, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """G(x, z) = (1 − z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) by scipy, the oracle the SQL is checked against."""
    x = np.asarray(x, float)
    z = np.asarray(z, float)
    return (1 - z) ** (a - 1) * scipy_special().hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
