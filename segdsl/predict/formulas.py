"""The predictions in numpy: the reference the SQL is compared with, and what `explain` can show.

Arrays in, arrays out; the Gauss hypergeometric function is scipy's, taken
in the Euler-transformed form that never overflows (see `hyp2f1`), and
every formula is the one lifetimes 0.11 implements, so that the two agree
to rounding:

* `p_alive`: 1 / (1 + [x > 0] · a / (b + x − 1) · ((α + T) / (α + tₓ))^(r+x))
  (Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model", note 021);
* `expected_purchases`: equation (10) of Fader, Hardie & Lee (2005),
  (a + b + x − 1) / (a − 1) · (1 − G(x, z)) · P(alive), z = t / (α + T + t);
* `expected_spend`: the Gamma-Gamma conditional mean of spend per purchase,
  p (v + x m) / (p x + q − 1) — lifetimes' `conditional_expected_average_profit`
  ((1 − w) · v p / (q − 1) + w m, w = p x / (p x + q − 1)) rearranged;
* `expected_value`: lifetimes' `customer_lifetime_value`: the spend times
  the purchases expected in each of `steps` periods of `step` units,
  discounted by (1 + d)^i in period i:
  Σᵢ₌₁..ₙ spend · (E(i·step) − E((i−1)·step)) / (1 + d)^i.
  lifetimes' `time=n, discount_rate=d, freq="W"` is `steps=n, step=4.345,
  discount=d` in weeks (freq "D": step 30 in days; "M": 1 in months).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike


def scipy_special():  # type: ignore[no-untyped-def]
    """scipy.special, imported on first use: its import takes a third of a second, which a run spends
    while the engine works (`segdsl.predict.fit.prefetch`) rather than before it starts."""
    from scipy import special

    return special


class BGNBD(Protocol):
    r: float
    alpha: float
    a: float
    b: float


class GammaGamma(Protocol):
    p: float
    q: float
    v: float


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def log_alive_odds(m: BGNBD, x: ArrayLike, tx: ArrayLike, T: ArrayLike) -> np.ndarray:
    """ln of the odds of having dropped out, L; P(alive) = 1 / (1 + e^L) (−∞ where x = 0)."""
    x, tx, T = _arrays(x, tx, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(m.a) - np.log(m.b + np.maximum(x, 1) - 1) + (m.r + x) * np.log((m.alpha + T) / (m.alpha + tx))
    return np.where(x > 0, out, -np.inf)


def p_alive(m: BGNBD, x: ArrayLike, tx: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, tₓ, T)."""
    return scipy_special().expit(-log_alive_odds(m, x, tx, T))


def g_function(m: BGNBD, x: ArrayLike, z: ArrayLike) -> np.ndarray:
    """G(x, z) = (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z), as (1 − z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)."""
    x, z = _arrays(x, z)
    return (1 - z) ** (m.a - 1) * scipy_special().hyp2f1(m.a + m.b - 1 - m.r, m.a - 1, m.a + m.b + x - 1, z)


def expected_purchases(m: BGNBD, t: ArrayLike, x: ArrayLike, tx: ArrayLike, T: ArrayLike) -> np.ndarray:
    """E[purchases in (T, T + t] | x, tₓ, T]: lifetimes' conditional_expected_number_of_purchases_up_to_time."""
    t, x, tx, T = _arrays(t, x, tx, T)
    z = t / (m.alpha + T + t)
    return (m.a + m.b + x - 1) / (m.a - 1) * (1 - g_function(m, x, z)) * p_alive(m, x, tx, T)


def expected_spend(g: GammaGamma, x: ArrayLike, mean_value: ArrayLike) -> np.ndarray:
    """E[spend per purchase | x, mean repeat value]; the population mean v p / (q − 1) where x = 0."""
    x, mv = _arrays(x, mean_value)
    mv = np.where(x > 0, mv, 0.0)  # undefined without repeat purchases, and weightless there
    return g.p * (g.v + x * mv) / (g.p * x + g.q - 1)


def expected_value(m: BGNBD, g: GammaGamma, x: ArrayLike, tx: ArrayLike, T: ArrayLike, mean_value: ArrayLike,
                   steps: int, step: float, discount: float = 0.0) -> np.ndarray:
    """Discounted value of the purchases expected in `steps` periods of `step` units (lifetimes' CLV)."""
    x, tx, T = _arrays(x, tx, T)
    spend = expected_spend(g, x, mean_value)
    total = np.zeros(np.broadcast(x, tx, T).shape)
    before = np.zeros_like(total)
    for i in range(1, steps + 1):
        now = expected_purchases(m, i * step, x, tx, T)
        total = total + spend * (now - before) / (1 + discount) ** i
        before = now
    return total


def lifetimes_step(freq: str) -> float:
    """Length in lifetimes' time unit of one of its CLV periods (a month): its `factor` table."""
    return {"W": 4.345, "M": 1.0, "D": 30.0, "H": 30.0 * 24}[freq]
