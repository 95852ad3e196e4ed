"""Write the lifetimes oracle files the predict tests compare with.

Run it in an environment with lifetimes (it is not a dependency of segdsl):

    python3 -m venv /tmp/lifetimes-venv
    /tmp/lifetimes-venv/bin/pip install "lifetimes==0.11.3" "pandas<3" "numpy<2.3" "setuptools<82" scipy
    /tmp/lifetimes-venv/bin/python tests/oracles/make_lifetimes_oracles.py

It writes, beside itself:

* cdnow_summary.csv — the CDNOW sample summary that lifetimes ships
  (datasets/cdnow_customers_summary_with_transactions.csv: 2,357 customers of
  CDNOW's 1/10th sample, 39-week calibration period from 1997-01-01, weekly
  units; x = repeat purchases, t_x = recency, T = age, zbar = mean repeat
  value), copied unchanged apart from the column names;
* generated_summary.csv — customers simulated here from BG/NBD and
  Gamma-Gamma with fixed seeds (numpy only, independent of segdsl);
* lifetimes_fits.json — the parameters the predictions use (CDNOW's
  published ones, the generating ones) and lifetimes' BG/NBD and
  Gamma-Gamma fits of each data set (or its ConvergenceError);
* lifetimes_predictions.csv — for every customer of every data set at those
  parameters: lifetimes' conditional_probability_alive,
  conditional_expected_number_of_purchases_up_to_time for several horizons,
  conditional_expected_average_profit and customer_lifetime_value.
"""

from __future__ import annotations

import json
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

HERE = Path(__file__).parent
HORIZONS = (1.0, 39.0, 52.0, 104.0)
# (name, BG/NBD r, alpha, a, b, Gamma-Gamma p, q, v, customers, T range in weeks, seed)
GENERATED = (
    ("gen_a", 0.5, 8.0, 0.6, 2.5, 4.0, 3.0, 30.0, 400, (1.0, 104.0), 11),
    ("gen_b", 1.4, 20.0, 0.3, 0.9, 2.5, 5.0, 80.0, 400, (0.2, 60.0), 12),
    ("gen_c", 0.3, 2.0, 1.6, 6.0, 8.0, 2.2, 12.0, 400, (5.0, 250.0), 13),
    ("gen_d", 2.0, 1.5, 0.2, 8.0, 3.0, 4.0, 50.0, 300, (10.0, 150.0), 14),  # frequent buyers: x in the hundreds
)
# CLV settings: (time in months, discount rate per month); lifetimes' freq="W" steps 4.345 weeks
CLV = ((12, 0.01), (6, 0.0), (3, 0.1))


def simulate(r: float, alpha: float, a: float, b: float, p: float, q: float, v: float, n: int,
             t_range: tuple[float, float], seed: int) -> pd.DataFrame:
    """BG/NBD purchases in continuous time and Gamma-Gamma spend, by the models' definitions."""
    rng = np.random.default_rng(seed)
    T = np.round(rng.uniform(*t_range, n), 2)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x = np.zeros(n, dtype=int)
    tx = np.zeros(n)
    for i in range(n):
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1 / lam[i])
            if t >= T[i]:
                break
            x[i] += 1
            tx[i] = t
            alive = rng.random() > drop[i]
    nu = rng.gamma(q, 1 / v, n)
    total = np.array([rng.gamma(p * k, 1 / nu_i) if k > 0 else 0.0 for k, nu_i in zip(x, nu)])
    zbar = np.where(x > 0, total / np.maximum(x, 1), 0.0)
    return pd.DataFrame({"x": x, "t_x": np.round(tx, 4), "T": T, "zbar": np.round(zbar, 4)})


def predictions(data: pd.DataFrame, params: dict[str, float], spend: dict[str, float], dataset: str) -> pd.DataFrame:
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(params)[["r", "alpha", "a", "b"]]
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series(spend)[["p", "q", "v"]]
    f, rec, T, m = data["x"], data["t_x"], data["T"], data["zbar"]
    out = pd.DataFrame({"dataset": dataset, "id": data.index}, index=data.index)  # aligned with lifetimes' Series
    out["p_alive"] = bgf.conditional_probability_alive(f, rec, T)
    for t in HORIZONS:
        out[f"purchases_{t:g}"] = bgf.conditional_expected_number_of_purchases_up_to_time(t, f, rec, T)
    out["spend"] = ggf.conditional_expected_average_profit(f, m)
    for months, rate in CLV:
        out[f"clv_{months}_{rate:g}"] = ggf.customer_lifetime_value(bgf, f, rec, T, m, time=months,
                                                                    discount_rate=rate, freq="W").values
    return out


def main() -> None:
    cdnow = load_cdnow_summary_data_with_monetary_value()
    cdnow = cdnow.rename(columns={"frequency": "x", "recency": "t_x", "monetary_value": "zbar"})
    cdnow.index.name = "id"
    cdnow.to_csv(HERE / "cdnow_summary.csv")

    generated = []
    fits: dict[str, dict] = {"lifetimes": lifetimes.__version__}
    frames = []
    published = ({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, {"p": 6.25, "q": 3.74, "v": 15.44})
    sets = [("cdnow", cdnow, published)]
    for name, r, alpha, a, b, p, q, v, n, t_range, seed in GENERATED:
        data = simulate(r, alpha, a, b, p, q, v, n, t_range, seed)
        data.index = pd.RangeIndex(1, n + 1, name="id")
        generated.append(data.assign(dataset=name))
        sets.append((name, data, ({"r": r, "alpha": alpha, "a": a, "b": b}, {"p": p, "q": q, "v": v})))
    pd.concat(generated)[["dataset", "x", "t_x", "T", "zbar"]].to_csv(HERE / "generated_summary.csv")

    for name, data, (params, spend) in sets:
        frames.append(predictions(data, params, spend, name))
        fits.setdefault("parameters", {})[name] = {**params, **spend}
        repeat = data[(data["x"] > 0) & (data["zbar"] > 0)]
        try:
            bgf = BetaGeoFitter().fit(data["x"], data["t_x"], data["T"])
            ggf = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
        except lifetimes.utils.ConvergenceError as exc:
            fits[name] = {"error": str(exc).strip()}
            continue
        fits[name] = {
            # the likelihood of the data in its own time unit (lifetimes fits on rescaled time)
            "bgnbd": {**{k: float(v) for k, v in bgf.params_.items()},
                      "log_likelihood": float(-len(data) * BetaGeoFitter._negative_log_likelihood(
                          np.log(bgf.params_[["r", "alpha", "a", "b"]].to_numpy(dtype=float)), data["x"].to_numpy(),
                          data["t_x"].to_numpy(), data["T"].to_numpy(), np.ones(len(data)), 0.0))},
            "gamma_gamma": {**{k: float(v) for k, v in ggf.params_.items()},
                            "log_likelihood": float(-ggf._negative_log_likelihood_ * len(repeat))},
        }
    (HERE / "lifetimes_fits.json").write_text(json.dumps(fits, indent=2, sort_keys=True) + "\n")
    pd.concat(frames).to_csv(HERE / "lifetimes_predictions.csv", index=False, float_format="%.13g")


if __name__ == "__main__":
    main()
