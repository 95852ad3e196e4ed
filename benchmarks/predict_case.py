"""Case 8: predicted value — fit plus scoring against the plain run of the same model, in the same run.

Three variants of one model run as `segdsl run … --output members.parquet`,
each a whole process, interleaved (plain, fit + score, score, plain, …) so
that a slow moment of a shared machine hits every variant alike; the figure
is the median wall time and the process's peak resident memory:

* plain: the model without the prediction (its features and segments);
* fit + score: the model with `prediction clv = btyd(…)`, its parts and value
  tiers, with no lock file, so `run` computes the summary, fits BG/NBD and
  Gamma-Gamma and scores every member in SQL;
* score: the same with a stored fit (the lock file `segdsl fit` writes), as a
  scheduled run scores — including the check that the stored fit is not stale.

The goal is fit + score ≤ 2 × plain. When lifetimes is installed, it fits the
same summary (the members' frequency, recency, age and monetary value that
segdsl wrote) and predicts every member, in a process of its own, timed the
same way and capped in memory and time: a cap reached is the figure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING

from . import models

if TYPE_CHECKING:
    from . import data as data_sets
    from .runner import Bench

CASE = "8 predicted value"
GOAL = 2.0  # fit + score / plain, whole processes
LIFETIMES_SECONDS = 300  # lifetimes stops itself (SIGALRM) after this long; the cap is then its figure

PLAIN = models.SOURCES + """
feature revenue     = sum(orders.amount)
feature orders_365d = count(orders in last 1 year)
segment big_spenders = revenue >= 1000
segment active = orders_365d >= 1
"""
PREDICTED = PLAIN + """
prediction clv = btyd(orders, value: orders.amount, horizon: 1 year, unit: 1 week)
segmentation value_tier = quantile(clv.value, 10)
segment valuable_at_risk = clv.alive < 0.5 and revenue >= 1000
"""
HOW = ("8. **Predicted value.** A model with two features and two segments ([`benchmarks/predict_case.py`]"
       "(benchmarks/predict_case.py)), run by `segdsl run --db shop.duckdb --output` as a process: plain; with "
       "`prediction clv = btyd(orders, value: orders.amount, horizon: 1 year, unit: 1 week)`, ten value tiers "
       "and a segment on `clv.alive` and no lock file (fit + score: the grouped summary, the BG/NBD and "
       "Gamma-Gamma fits and the scoring SQL); and the same with the lock file `segdsl fit` wrote (score, "
       "with the check that the stored fit is not stale). The three run interleaved; peak memory is each "
       "process's `VmHWM`. lifetimes (`BetaGeoFitter`, `GammaGammaFitter`), when installed, fits the members' "
       "frequency, recency, age and monetary value that the fit + score run wrote and predicts every member, "
       f"in a process stopped at the memory cap or after {LIFETIMES_SECONDS} s: a cap reached is its figure.")
# lifetimes on the members' own summary, as an analyst would: one row per customer.
LIFETIMES_CHILD = r"""
import sys, time
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_parquet(sys.argv[1], columns=["clv_frequency", "clv_recency", "clv_age", "clv_monetary"])
s = s[s["clv_age"].notna()]
x, tx, T = s["clv_frequency"].astype(float), s["clv_recency"].astype(float) / 7.0, s["clv_age"].astype(float) / 7.0
bg = BetaGeoFitter().fit(x.values, tx.values, T.values)
rep = s[(x > 0) & (s["clv_monetary"] > 0)]
gg = GammaGammaFitter().fit(rep["clv_frequency"].astype(float).values, rep["clv_monetary"].astype(float).values)
m = s["clv_monetary"].astype(float).fillna(0.0)
alive = bg.conditional_probability_alive(x, tx, T)
purchases = bg.conditional_expected_number_of_purchases_up_to_time(365.25 / 7, x, tx, T)
value = gg.customer_lifetime_value(bg, x, tx, T, m, time=12, discount_rate=0.0, freq="W")
print(len(s), float(alive.mean()), float(purchases.sum()), float(value.sum()))
"""


def _args(model: Path, db: Path, out: Path, command: str = "run") -> list[str]:
    from .runner import AS_OF

    args = [sys.executable, "-m", "segdsl.tools.cli", command, str(model), "--db", str(db), "--as-of",
            AS_OF.isoformat()]
    return args + (["--output", str(out)] if command == "run" else [])


def _lifetimes_installed() -> bool:
    """Looked up, not imported: the benchmark's own process stays free of pandas and autograd."""
    import importlib.util

    return importlib.util.find_spec("lifetimes") is not None


def run(bench: Bench, ds: data_sets.DataSet) -> None:
    from .measure import Row, _fmt_bytes, run_process, size_label
    from .runner import REPO, shop_database

    size = size_label(ds.customers)
    db = shop_database(ds)
    work = bench.work / "predict"
    work.mkdir(exist_ok=True)
    files = {"plain": work / "plain.seg", "fit + score": work / "fit.seg", "score": work / "score.seg"}
    files["plain"].write_text(PLAIN, encoding="utf-8")
    files["fit + score"].write_text(PREDICTED, encoding="utf-8")
    files["score"].write_text(PREDICTED, encoding="utf-8")
    env = {**os.environ, "COLUMNS": "120"}
    fitted = run_process(_args(files["score"], db, work, "fit"), cwd=REPO, env=env)
    if fitted.returncode != 0:
        raise RuntimeError(f"segdsl fit failed (exit {fitted.returncode}): {fitted.stderr.strip()[-400:]}")
    outs = {k: work / f"{v.stem}.parquet" for k, v in files.items()}
    runs = 1 if bench.args.quick else bench.args.repeat
    times: dict[str, list[float]] = {k: [] for k in files}
    peaks: dict[str, int] = {k: 0 for k in files}
    stderr: dict[str, str] = {}
    warm = bench.warm(ds)
    for i in range(runs + (1 if warm else 0)):  # the first round warms the file cache, untimed
        for name, model in files.items():
            p = run_process(_args(model, db, outs[name]), cwd=REPO, env=env)
            if p.returncode != 0:
                raise RuntimeError(f"{name} failed (exit {p.returncode}): {p.stderr.strip()[-400:]}")
            stderr[name] = p.stderr
            if not warm or i > 0:
                times[name].append(p.seconds)
                peaks[name] = max(peaks[name], p.peak_rss or 0)
    if "SEG331" in stderr["score"]:
        raise RuntimeError("the stored fit was reported stale on the data it was fitted on")
    plain = median(times["plain"])
    ratio = median(times["fit + score"]) / plain
    score_ratio = median(times["score"]) / plain
    bench.res.add(Row(CASE, size, "plain `segdsl run --output` (no prediction)", plain, runs,
                      f"peak {_fmt_bytes(peaks['plain'])}"), bench.say)
    bench.res.add(Row(CASE, size, "fit + score: `run` with no lock file", median(times["fit + score"]), runs,
                      f"{ratio:.2f} × plain; peak {_fmt_bytes(peaks['fit + score'])}", f"≤ {GOAL:g} × plain",
                      ratio <= GOAL), bench.say)
    bench.res.add(Row(CASE, size, "score with the stored fit (staleness checked)", median(times["score"]), runs,
                      f"{score_ratio:.2f} × plain; peak {_fmt_bytes(peaks['score'])}"), bench.say)
    bench.res.add(Row(CASE, size, "`segdsl fit` alone (writes the lock file)", fitted.seconds, 1,
                      f"peak {_fmt_bytes(fitted.peak_rss)}"), bench.say)
    bench._ratios.setdefault("predict", {})[ds.customers] = (ratio, score_ratio)
    _lifetimes(bench, ds, outs["fit + score"], plain, env)
    for out in outs.values():
        out.unlink(missing_ok=True)


def _lifetimes(bench: Bench, ds: data_sets.DataSet, members: Path, plain: float, env: dict) -> None:
    """lifetimes on the same members' summary, side by side; its caps reached are its figure."""
    from .measure import Row, _fmt_bytes, run_process, size_label
    from .runner import REPO

    size = size_label(ds.customers)
    measure = "lifetimes 0.11: fit BG/NBD + Gamma-Gamma, predict every member (pandas, whole process)"
    if not _lifetimes_installed():
        bench.res.add(Row(CASE, size, "lifetimes (not installed: skipped)", None, 0), bench.say)
        bench.res.notes.append("lifetimes is not installed: case 8 ran without it (pip install -e '.[dev]').")
        return
    # The alarm is set in the process itself, so that its own peak memory is what is measured.
    code = f"import signal; signal.alarm({LIFETIMES_SECONDS})\n" + LIFETIMES_CHILD
    args = [sys.executable, "-c", code, str(members)]
    p = run_process(args, cap=bench.args.pandas_cap, cwd=REPO, env=env)
    ratio = p.seconds / plain
    if p.returncode == 0:
        figure = f"{ratio:.1f} × plain segdsl run; peak {_fmt_bytes(p.peak_rss)}"
        bench.res.add(Row(CASE, size, measure, p.seconds, 1, figure), bench.say)
    else:
        why = (f"stopped at the memory cap of {_fmt_bytes(bench.args.pandas_cap)}" if p.stopped else
               f"stopped after {LIFETIMES_SECONDS:.0f} s" if p.returncode == -14 else
               f"failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1][:200] if p.stderr.strip() else ''}")
        bench.res.add(Row(CASE, size, measure, p.seconds, 1,
                          f"{why}; ≥ {ratio:.1f} × plain segdsl run; peak {_fmt_bytes(p.peak_rss)}"), bench.say)
    bench._ratios.setdefault("predict_lifetimes", {})[ds.customers] = (p.seconds, p.peak_rss, p.returncode == 0)


def goals(ratios: dict, size_label) -> list[tuple[str, str, bool | None]]:
    got = ratios.get("predict", {})
    parts, met = [], None
    for n, (ratio, score) in sorted(got.items()):
        parts.append(f"{size_label(n)}: {ratio:.2f} × (score with a stored fit {score:.2f} ×)")
    if 1_000_000 in got:
        met = got[1_000_000][0] <= GOAL
    lt = ratios.get("predict_lifetimes", {})
    if lt:
        parts.append("lifetimes " + ", ".join(
            f"{size_label(n)}: {s:.1f} s{'' if ok else ' (stopped)'}, peak {p / 2 ** 30:.2f} GiB" if p else
            f"{size_label(n)}: {s:.1f} s" for n, (s, p, ok) in sorted(lt.items())))
    return [(f"8. fit + score at 1 M ≤ {GOAL:g} × the plain run of the same model (lifetimes side by side)",
             "; ".join(parts) or "not measured", met)]
