"""Maximum-likelihood fits of BG/NBD and Gamma-Gamma on grouped summaries.

The engine computes each member's summary and groups it — (x, tₓ, T) with
a count for BG/NBD, (x, m) with a count for Gamma-Gamma — so ten million
customers arrive here as a few hundred thousand rows of plain arrays. The
log-likelihoods are computed in log space (Hardie's note 004 on the
`#NUM!` overflow of the BG/NBD likelihood: the two terms of the sum are
combined with logaddexp), the log-gamma terms once per distinct x, and the
gradients analytically (digamma), so L-BFGS-B converges in a few dozen
evaluations over the parameters' logarithms (which keeps them positive).

A fit that does not converge, or whose data cannot identify the model,
raises `FitError` with a `kind`, the counts and, when the optimizer ran,
the last parameters, log-likelihood, iterations and the optimizer's message.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .formulas import scipy_special

MIN_CUSTOMERS = 10
MIN_REPEAT_CUSTOMERS = 3
LOG_BOUND = 30.0  # parameters stay within e^±30 of their starting scale
GRADIENT_TOLERANCE = 1e-5  # of the mean log-likelihood per customer, in log-parameters


class FitError(Exception):
    """A fit that cannot be made or did not converge.

    kind: "bad_input" (a summary row that cannot be a customer's), "too_few"
    (not enough customers or repeat customers to identify the model),
    "not_converged" (the optimizer stopped without an optimum; `fit` holds
    the last parameters), "improper" (Gamma-Gamma's q ≤ 1: no finite mean spend).
    """

    def __init__(self, kind: str, message: str, hint: str = "", counts: dict[str, int] | None = None,
                 fit: BGNBDFit | GammaGammaFit | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.counts = counts or {}
        self.fit = fit


@dataclass(frozen=True)
class FitInfo:
    """How a fit went: what a lock file records beside the parameters."""

    log_likelihood: float  # total over customers (not per customer)
    customers: int
    rows: int  # distinct summary rows the likelihood was computed on
    iterations: int
    evaluations: int
    converged: bool
    message: str


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD parameters (time in the summary's unit) and how the fit went."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    repeat_customers: int
    rows: int
    iterations: int
    evaluations: int
    converged: bool
    message: str
    model: str = field(default="bgnbd")

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BGNBDFit:
        return _from_dict(cls, data, "bgnbd")

    @classmethod
    def from_json(cls, text: str) -> BGNBDFit:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma parameters (spend per purchase) and how the fit went."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int  # repeat customers with a positive mean repeat value: the ones fitted
    excluded: int  # repeat customers left out for a mean repeat value ≤ 0 (or missing)
    rows: int
    iterations: int
    evaluations: int
    converged: bool
    message: str
    model: str = field(default="gamma_gamma")

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per purchase, v p / (q − 1) (infinite for q ≤ 1)."""
        return self.v * self.p / (self.q - 1) if self.q > 1 else math.inf

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GammaGammaFit:
        return _from_dict(cls, data, "gamma_gamma")

    @classmethod
    def from_json(cls, text: str) -> GammaGammaFit:
        return cls.from_dict(json.loads(text))


def _from_dict(cls: type, data: dict[str, Any], model: str) -> Any:
    """Read a stored fit back, checking that it is one and that its parameters are usable."""
    if not isinstance(data, dict) or data.get("model") != model:
        raise ValueError(f"not a stored {model} fit")
    names = {f.name for f in fields(cls)}
    missing = names - set(data) - {"model"}
    if missing:
        raise ValueError(f"stored {model} fit lacks {', '.join(sorted(missing))}")
    values = {k: data[k] for k in names if k in data}
    out = cls(**values)
    for k, v in out.params.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"stored {model} fit has {k} = {v!r}: parameters are positive numbers")
    return out


def _dot(weights: np.ndarray, values: np.ndarray) -> float:
    """Σ weights · values without BLAS: numpy's `@` hands a long vector to a threaded BLAS, which on a
    busy machine costs a thousand times the arithmetic."""
    return float(np.sum(weights * values))


# ── summaries ────────────────────────────────────────────────────────────────


def group_rows(*columns: ArrayLike, count: ArrayLike | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of equal-length columns with their summed counts (sorted), for callers that
    hold per-customer arrays; an engine does this with GROUP BY."""
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = len(cols[0])
    weights = np.ones(n) if count is None else np.asarray(count, dtype=float).ravel()
    if n == 0:
        return [c[:0] for c in cols], weights[:0]
    order = np.lexsort(cols[::-1])
    sorted_cols = [c[order] for c in cols]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in sorted_cols:
        change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    return [c[starts] for c in sorted_cols], np.add.reduceat(weights[order], starts)


def _check_bgnbd(x: np.ndarray, tx: np.ndarray, T: np.ndarray, n: np.ndarray) -> None:
    bad = {
        "non-finite values": ~(np.isfinite(x) & np.isfinite(tx) & np.isfinite(T) & np.isfinite(n)),
        "a frequency that is not a whole number ≥ 0": (x < 0) | (x != np.round(x)),
        "recency outside 0…T": (tx < 0) | (tx > T),
        "repeat purchases but recency 0, or recency without repeat purchases": ((x > 0) & (tx <= 0)) | ((x == 0) & (tx != 0)),
        "a count that is not positive": n <= 0,
    }
    problems = {k: int(np.count_nonzero(v)) for k, v in bad.items() if np.any(v)}
    if problems:
        text = "; ".join(f"{c} row(s) with {k}" for k, c in problems.items())
        raise FitError("bad_input", f"the BG/NBD summary has rows no customer can have: {text}",
                       "frequency counts repeat purchase days, recency and T are measured from the first purchase",
                       counts=problems)


# ── BG/NBD ───────────────────────────────────────────────────────────────────


class _BGNBDLikelihood:
    """−(total log-likelihood) / customers and its gradient, in log-parameters.

    Evaluated some twenty times per fit over up to a million rows, so the evaluation is arranged for
    few passes over them: customers without repeat purchases (x = 0, tₓ = 0) depend on T only and are
    grouped by it; the logarithms of α + T and α + tₓ are taken once per distinct T and tₓ (days: a
    few thousand) and gathered; each repeat row then needs one exponential and one log1p; the terms
    of x alone are computed once per distinct x; and the rows are cut into blocks that stay in the
    CPU's cache, evaluated in threads (numpy releases the GIL in its loops).
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, n: np.ndarray) -> None:
        self.total = float(n.sum())
        self.xs, inverse = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inverse, weights=n)  # customers per distinct x
        once = x <= 0
        self.T0, i0 = np.unique(T[once], return_inverse=True)
        self.n0 = np.bincount(i0, weights=n[once], minlength=len(self.T0))
        rep = ~once
        xr, nr = x[rep], n[rep]
        self.xr, ix = np.unique(xr, return_inverse=True)
        self.Tr, iT = np.unique(T[rep], return_inverse=True)
        self.txr, itx = np.unique(tx[rep], return_inverse=True)
        nx = nr * xr
        self.rows = [(xr[i:j], nr[i:j], nx[i:j], ix[i:j], iT[i:j], itx[i:j]) for i, j in _blocks(len(xr))]

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        xs, wx = self.xs, self.wx
        lg, dg = scipy_special().gammaln, scipy_special().digamma
        # log-gamma parts depend on x only
        a12 = (lg(r + xs) - lg(r) + r * math.log(alpha)
               + lg(a + b) + lg(b + xs) - lg(b) - lg(a + b + xs))
        total = _dot(wx, a12)
        # gradient in r, α, a, b, and Σ n w₄ (the part of a's that `_Shared.repeat` sums)
        g = np.array([_dot(wx, dg(r + xs) - dg(r)) + self.total * math.log(alpha), self.total * r / alpha,
                      _dot(wx, dg(a + b) - dg(a + b + xs)),
                      _dot(wx, dg(a + b) + dg(b + xs) - dg(b) - dg(a + b + xs)), 0.0])
        # no repeat purchases: the second term is 0, the sum is (α + T)^−r
        log_T0 = np.log(alpha + self.T0)
        total -= r * _dot(self.n0, log_T0)
        g[0] -= _dot(self.n0, log_T0)
        g[1] -= r * _dot(self.n0, 1.0 / (alpha + self.T0))
        shared = _Shared(r=r, log_T=np.log(alpha + self.Tr), inv_T=1.0 / (alpha + self.Tr),
                         log_tx=np.log(alpha + self.txr), inv_tx=1.0 / (alpha + self.txr),
                         log_ab=math.log(a) - np.log(b + self.xr - 1), inv_b=1.0 / (b + self.xr - 1))
        for t, gr in _map(shared.repeat, self.rows):
            total += t
            g += gr
        grad = np.array([g[0] * r, g[1] * alpha, (g[2] + g[4] / a) * a, g[3] * b])
        return float(-total / self.total), -grad / self.total


@dataclass(frozen=True)
class _Shared:
    """What every repeat row of one evaluation reads, per distinct T, tₓ and x."""

    r: float
    log_T: np.ndarray
    inv_T: np.ndarray
    log_tx: np.ndarray
    inv_tx: np.ndarray
    log_ab: np.ndarray  # ln a − ln(b + x − 1)
    inv_b: np.ndarray  # 1 / (b + x − 1)

    def repeat(self, rows: tuple[np.ndarray, ...]) -> tuple[float, np.ndarray]:
        """Σ n log((α+T)^−(r+x) + a/(b+x−1) (α+tₓ)^−(r+x)) over a block of repeat rows, and its
        gradient (the a-part unscaled, as Σ n w₄)."""
        x, n, nx, ix, iT, itx = rows
        r = self.r
        log_T = self.log_T[iT]
        delta = log_T - self.log_tx[itx]  # ≥ 0
        # d = ln(second term / first term): the sum is the first term times 1 + eᵈ; |d| is kept below 700
        # so that no arithmetic meets a subnormal number (a hundred times slower), an error below 10⁻³⁰⁰
        d = (r + x) * delta
        d += self.log_ab[ix]
        np.clip(d, -700.0, 700.0, out=d)
        e = np.exp(-np.abs(d))  # e^−|d|
        soft = np.log1p(e)
        soft += np.maximum(d, 0.0)  # ln(1 + eᵈ)
        # w₄ = eᵈ / (1 + eᵈ), the second term's share
        w4 = np.where(d >= 0, 1.0, e)
        w4 /= 1.0 + e
        nw4 = w4 * n
        total = _dot(n, soft) - r * _dot(n, log_T) - _dot(nx, log_T)
        inv_T = self.inv_T[iT]
        g_r = _dot(nw4, delta) - _dot(n, log_T)
        g_alpha = -(r * _dot(n, inv_T) + _dot(nx, inv_T)) - _dot(nw4 * (r + x), self.inv_tx[itx] - inv_T)
        g_b = -_dot(np.bincount(ix, weights=nw4, minlength=len(self.inv_b)), self.inv_b)
        return total, np.array([g_r, g_alpha, 0.0, g_b, float(np.sum(nw4))])


CHUNK = 65_536  # rows per block: its dozen temporaries stay in the CPU's cache, where the arithmetic is


def _blocks(rows: int) -> list[tuple[int, int]]:
    """[start, end) of the blocks of rows an evaluation works on: numpy's loops over a million rows
    are bound by memory, a block of them by the arithmetic (measured at 644,000 rows: 41 ms per
    evaluation in one block, 19 ms in blocks of 65,536 over two threads)."""
    return [(i, min(rows, i + CHUNK)) for i in range(0, rows, CHUNK)]


def _map(fn: Any, items: list) -> list:
    """fn over items, in one thread per core when there are several items and cores."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if len(items) <= 1 or cores <= 1:
        return [fn(i) for i in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(cores, len(items))) as pool:
        return list(pool.map(fn, items))


def bgnbd_log_likelihood(params: dict[str, float], x: ArrayLike, tx: ArrayLike, T: ArrayLike,
                         count: ArrayLike | None = None) -> float:
    """Total BG/NBD log-likelihood of a summary at the given parameters."""
    x_, tx_, T_ = (np.asarray(v, dtype=float).ravel() for v in (x, tx, T))
    n = np.ones_like(x_) if count is None else np.asarray(count, dtype=float).ravel()
    lik = _BGNBDLikelihood(x_, tx_, T_, n)
    theta = np.log([params["r"], params["alpha"], params["a"], params["b"]])
    return -lik.value_and_grad(theta)[0] * lik.total


def fit_bgnbd(x: ArrayLike, tx: ArrayLike, T: ArrayLike, count: ArrayLike | None = None, *,
              initial: dict[str, float] | None = None, max_iterations: int = 1000,
              min_customers: int = MIN_CUSTOMERS, min_repeat: int = MIN_REPEAT_CUSTOMERS) -> BGNBDFit:
    """Fit BG/NBD by maximum likelihood to a summary: frequency x, recency tₓ, age T (one unit,
    e.g. weeks) and how many customers have each row (1 each when count is None)."""
    x_, tx_, T_ = (np.asarray(v, dtype=float).ravel() for v in (x, tx, T))
    n = np.ones_like(x_) if count is None else np.asarray(count, dtype=float).ravel()
    if not (len(x_) == len(tx_) == len(T_) == len(n)):
        raise FitError("bad_input", "the summary's columns have different lengths")
    _check_bgnbd(x_, tx_, T_, n)
    customers = int(round(n.sum()))
    repeat = int(round(n[x_ > 0].sum()))
    counts = {"customers": customers, "repeat_customers": repeat, "rows": len(x_)}
    if customers < min_customers or repeat < min_repeat:
        raise FitError("too_few", f"BG/NBD needs at least {min_customers} customers, {min_repeat} of them with "
                       f"repeat purchases; the data has {customers} customers, {repeat} with repeat purchases",
                       "use a longer history or a larger population, or fix the parameters in the model",
                       counts=counts)
    lik = _BGNBDLikelihood(x_, tx_, T_, n)
    if initial is None:
        # the mean purchase rate r/α of the repeat purchases; a, b = 1: a uniform dropout probability
        rate = max(_dot(n, x_) / max(_dot(n, T_), 1e-12), 1e-6)
        initial = {"r": 1.0, "alpha": 1.0 / rate, "a": 1.0, "b": 1.0}
    theta0 = np.log([initial["r"], initial["alpha"], initial["a"], initial["b"]])
    res = _minimize(lik.value_and_grad, theta0, max_iterations)
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    fit = BGNBDFit(r=r, alpha=alpha, a=a, b=b, log_likelihood=float(-res.fun * lik.total), customers=customers,
                   repeat_customers=repeat, rows=len(x_), iterations=int(res.nit), evaluations=int(res.nfev),
                   converged=bool(res.converged), message=str(res.message))
    if not fit.converged:
        raise FitError("not_converged", f"the BG/NBD fit did not converge after {fit.iterations} iterations "
                       f"({fit.message}); last r = {r:.6g}, α = {alpha:.6g}, a = {a:.6g}, b = {b:.6g}, "
                       f"log-likelihood {fit.log_likelihood:.6g}",
                       "a parameter running off to 0 or ∞ means the data cannot identify it (no dropout seen, "
                       "or too short a history); fix it in the model or use more data", counts=counts, fit=fit)
    return fit


class _Result:
    def __init__(self, x: np.ndarray, fun: float, nit: int, nfev: int, converged: bool, message: str) -> None:
        self.x, self.fun, self.nit, self.nfev, self.converged, self.message = x, fun, nit, nfev, converged, message


def prefetch(optimizer: bool = True) -> None:
    """Start importing scipy's special functions and, for a fit, its optimizer (together two thirds of
    a second) in a thread, while the engine computes what they wait for; the imports where they are
    used then find them loaded, or wait for them."""
    import sys
    import threading

    wanted = ["scipy.special"] + (["scipy.optimize"] if optimizer else [])
    missing = [name for name in wanted if name not in sys.modules]

    def load() -> None:
        try:
            for name in missing:
                __import__(name)
        except BaseException:  # a process ending meanwhile; where the module is used, its import says why
            pass

    if missing:
        threading.Thread(target=load, name="segdsl-import", daemon=True).start()


def _minimize(fn: Any, theta0: np.ndarray, max_iterations: int) -> _Result:
    """L-BFGS-B on log-parameters within ±LOG_BOUND of the start; converged means the optimizer
    says so, the gradient is small, and no parameter sits on a bound."""
    # imported here: a run that scores with stored parameters loads this module but never the optimizer
    from scipy import optimize

    bounds = [(t - LOG_BOUND, t + LOG_BOUND) for t in theta0]
    res = optimize.minimize(fn, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20})
    grad = np.asarray(res.jac, dtype=float)
    at_bound = any(abs(t - lo) < 1e-6 or abs(t - hi) < 1e-6 for t, (lo, hi) in zip(res.x, bounds))
    small = bool(np.all(np.isfinite(grad))) and float(np.max(np.abs(grad))) <= GRADIENT_TOLERANCE
    message = str(res.message)
    if at_bound:
        message += "; a parameter reached its bound"
    elif not small:
        message += f"; gradient {float(np.max(np.abs(grad))):.2e} above {GRADIENT_TOLERANCE:g}"
    ok = bool(np.isfinite(res.fun)) and small and not at_bound and (res.success or small)
    return _Result(np.asarray(res.x, dtype=float), float(res.fun), int(res.nit), int(res.nfev), ok, message)


# ── Gamma-Gamma ──────────────────────────────────────────────────────────────


class _GammaGammaLikelihood:
    """−(total log-likelihood) / customers and its gradient, in log-parameters."""

    def __init__(self, x: np.ndarray, m: np.ndarray, n: np.ndarray) -> None:
        self.total = float(n.sum())
        self.xs, inverse = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inverse, weights=n)
        log_m = np.log(m)
        self.sum_n_x_log_xm = _dot(n, (x * (log_m + np.log(x))))  # Σ n x (ln m + ln x)
        self.sum_n_log_m = _dot(n, log_m)
        xm, nx = x * m, n * x
        self.rows = [(xm[i:j], n[i:j], nx[i:j]) for i, j in _blocks(len(x))]

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(theta)
        xs, wx = self.xs, self.wx
        lg, dg = scipy_special().gammaln, scipy_special().digamma
        px = p * xs
        total = _dot(wx, (lg(px + q) - lg(px))) + self.total * (q * math.log(v) - lg(q))
        g_p = _dot(wx, (xs * (dg(px + q) - dg(px))))
        g_q = _dot(wx, dg(px + q)) + self.total * (math.log(v) - dg(q))

        def sums(rows: tuple[np.ndarray, ...]) -> np.ndarray:
            xm, n, nx = rows
            log_xmv = np.log(xm + v)
            inv = 1.0 / (xm + v)
            return np.array([_dot(nx, log_xmv), _dot(n, log_xmv), _dot(nx, inv), _dot(n, inv)])

        # (p x − 1) ln m + p x ln x − (p x + q) ln(x m + v), summed
        nx_log, n_log, nx_inv, n_inv = sum(_map(sums, self.rows))
        total += p * self.sum_n_x_log_xm - self.sum_n_log_m - (p * nx_log + q * n_log)
        g_p += self.sum_n_x_log_xm - nx_log
        g_q += -n_log
        g_v = self.total * q / v - (p * nx_inv + q * n_inv)
        grad = np.array([g_p * p, g_q * q, g_v * v])
        return float(-total / self.total), -grad / self.total


def gamma_gamma_log_likelihood(params: dict[str, float], x: ArrayLike, m: ArrayLike,
                               count: ArrayLike | None = None) -> float:
    """Total Gamma-Gamma log-likelihood of (x, mean repeat value) rows at the given parameters."""
    x_, m_ = (np.asarray(v, dtype=float).ravel() for v in (x, m))
    n = np.ones_like(x_) if count is None else np.asarray(count, dtype=float).ravel()
    lik = _GammaGammaLikelihood(x_, m_, n)
    return -lik.value_and_grad(np.log([params["p"], params["q"], params["v"]]))[0] * lik.total


def fit_gamma_gamma(x: ArrayLike, m: ArrayLike, count: ArrayLike | None = None, *,
                    initial: dict[str, float] | None = None, max_iterations: int = 1000,
                    min_customers: int = MIN_CUSTOMERS) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood to repeat customers: frequency x > 0 and mean repeat
    value m. Rows with x = 0 are ignored; rows with m ≤ 0 or missing are excluded and counted."""
    x_, m_ = (np.asarray(v, dtype=float).ravel() for v in (x, m))
    n = np.ones_like(x_) if count is None else np.asarray(count, dtype=float).ravel()
    if not (len(x_) == len(m_) == len(n)):
        raise FitError("bad_input", "the summary's columns have different lengths")
    bad_x = ~np.isfinite(x_) | (x_ < 0) | (x_ != np.round(x_)) | ~np.isfinite(n) | (n <= 0)
    if np.any(bad_x):
        raise FitError("bad_input", f"the Gamma-Gamma summary has {int(np.count_nonzero(bad_x))} row(s) whose "
                       "frequency is not a whole number ≥ 0 or whose count is not positive",
                       counts={"bad_rows": int(np.count_nonzero(bad_x))})
    repeat = x_ > 0
    usable = repeat & np.isfinite(m_) & (m_ > 0)
    excluded = int(round(n[repeat & ~usable].sum()))
    x_, m_, n = x_[usable], m_[usable], n[usable]
    customers = int(round(n.sum()))
    counts = {"customers": customers, "excluded": excluded, "rows": len(x_)}
    if customers < min_customers:
        raise FitError("too_few", f"Gamma-Gamma needs at least {min_customers} repeat customers with a positive "
                       f"mean repeat value; the data has {customers}" + (
                           f" ({excluded} more with a value ≤ 0 or missing)" if excluded else ""),
                       "use a longer history or a larger population, or fix the parameters in the model",
                       counts=counts)
    lik = _GammaGammaLikelihood(x_, m_, n)
    if initial is None:
        mean = _dot(n, m_) / lik.total
        initial = {"p": 1.0, "q": 2.0, "v": mean}  # a population mean spend v p / (q − 1) equal to the data's
    res = _minimize(lik.value_and_grad, np.log([initial["p"], initial["q"], initial["v"]]), max_iterations)
    p, q, v = (float(t) for t in np.exp(res.x))
    fit = GammaGammaFit(p=p, q=q, v=v, log_likelihood=float(-res.fun * lik.total), customers=customers,
                        excluded=excluded, rows=len(x_), iterations=int(res.nit), evaluations=int(res.nfev),
                        converged=bool(res.converged), message=str(res.message))
    # q ≤ 1 first: a heavy tail drives the optimizer along a ridge (p → ∞, v → 0) where it may stop
    # without an optimum, and "no finite mean" is then the diagnosis the user can act on.
    if q <= 1:
        raise FitError("improper", f"the Gamma-Gamma fit has q = {q:.6g} ≤ 1: the population's mean spend per "
                       "purchase is infinite", "a few customers with very large mean repeat values dominate; "
                       "cap or exclude them", counts=counts, fit=fit)
    if not fit.converged:
        raise FitError("not_converged", f"the Gamma-Gamma fit did not converge after {fit.iterations} iterations "
                       f"({fit.message}); last p = {p:.6g}, q = {q:.6g}, v = {v:.6g}, "
                       f"log-likelihood {fit.log_likelihood:.6g}",
                       "spend per purchase may not vary enough between customers for the model; fix the "
                       "parameters in the model or use more data", counts=counts, fit=fit)
    return fit
