"""Case 8: predicted value — fit plus scoring against the plain run of the same model, in the same run.

    python -m benchmarks.predict_case --data segdsl-demo [--data other-demo …] [--repeat 3]
        [--lifetimes /path/to/python-with-lifetimes]

On each demo data set (`segdsl demo --customers N --out DIR`), three variants
run as `segdsl run … --output members.parquet` in a child process each,
interleaved (A, B, C, A, B, C, …) so that a slow moment of the machine hits
every variant alike; the figure is the median wall time and the child's peak
memory (ru_maxrss):

* plain: the model without the prediction (its features and a segment);
* fit + score: the model with `prediction clv = btyd(…)`, its parts and value
  tiers, with no lock file, so `run` computes the summary, fits BG/NBD and
  Gamma-Gamma and scores every member in SQL;
* score: the same with a stored fit (the lock file `segdsl fit` writes), as a
  scheduled run scores.

The goal is fit + score ≤ 2 × plain. With --lifetimes, lifetimes fits the
same summary (the engine's, written to Parquet) and predicts every member in
a child of that Python, timed the same way, side by side.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-06-30"
GOAL = 2.0
PLAIN = """import "common.seg"

feature orders_365d = count(orders in last 1 year)
segment big_spenders = revenue >= 1000
segment active = orders_365d >= 1
"""
PREDICTED = PLAIN + """
prediction clv = btyd(orders, value: orders.amount, horizon: 1 year, unit: 1 week)
segmentation value_tier = quantile(clv.value, 10)
segment valuable_at_risk = clv.alive < 0.5 and revenue >= 1000
"""
LIFETIMES_CHILD = r"""
import sys, time
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
t0 = time.perf_counter()
s = pd.read_parquet(sys.argv[1])
s = s[s["clv_age"].notna()]
x, tx, T = s["clv_frequency"].astype(float), s["clv_recency"] / 7.0, s["clv_age"] / 7.0
bg = BetaGeoFitter().fit(x.values, tx.values, T.values)
rep = s[(x > 0) & (s["clv_monetary"] > 0)]
gg = GammaGammaFitter().fit(rep["clv_frequency"].astype(float).values, rep["clv_monetary"].values)
m = s["clv_monetary"].fillna(0.0)
alive = bg.conditional_probability_alive(x, tx, T)
purchases = bg.conditional_expected_number_of_purchases_up_to_time(365.25 / 7, x, tx, T)
value = gg.customer_lifetime_value(bg, x, tx, T, m, time=12, discount_rate=0.0, freq="W")
print(time.perf_counter() - t0)
"""


def _child(cmd: list[str]) -> tuple[float, int]:
    """Wall time and the child's peak resident memory in bytes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) * 1024  # ru_maxrss of children is the largest so far (kB on Linux)


def run_case(data: Path, repeat: int, lifetimes: str | None) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="predict_case_"))
    try:
        shutil.copy(data / "common.seg", work / "common.seg")
        for name in ("customers.parquet", "orders.parquet", "web_events.parquet"):
            if (data / name).exists():
                (work / name).symlink_to((data / name).resolve())
        db = str((data / "shop.duckdb").resolve())
        (work / "plain.seg").write_text(PLAIN)
        (work / "fit.seg").write_text(PREDICTED)
        (work / "score.seg").write_text(PREDICTED)
        segdsl = [sys.executable, "-m", "segdsl"]
        subprocess.run(segdsl + ["fit", str(work / "score.seg"), "--db", db, "--as-of", AS_OF], check=True,
                       capture_output=True)
        variants = {"plain": "plain.seg", "fit + score": "fit.seg", "score (stored fit)": "score.seg"}
        times: dict[str, list[float]] = {k: [] for k in variants}
        peaks: dict[str, list[int]] = {k: [] for k in variants}
        for _ in range(repeat):
            for label, file in variants.items():
                s, peak = _child(segdsl + ["run", str(work / file), "--db", db, "--as-of", AS_OF, "--output",
                                           str(work / f"{file}.parquet")])
                times[label].append(s)
                peaks[label].append(peak)
        customers = _count(work / "plain.seg.parquet")
        rows = []
        base = statistics.median(times["plain"])
        for label in variants:
            med = statistics.median(times[label])
            rows.append({"data": str(data), "customers": customers, "variant": label, "median_s": med,
                         "runs": len(times[label]), "ratio_to_plain": med / base, "peak_rss_bytes": max(peaks[label])})
        if lifetimes:
            lt_times = []
            for _ in range(repeat):
                t = time.perf_counter()
                subprocess.run([lifetimes, "-c", LIFETIMES_CHILD, str(work / "fit.seg.parquet")], check=True,
                               capture_output=True)
                lt_times.append(time.perf_counter() - t)
            rows.append({"data": str(data), "customers": customers, "variant": "lifetimes (fit + predict the "
                         "engine's summary, in pandas)", "median_s": statistics.median(lt_times), "runs": repeat,
                         "ratio_to_plain": statistics.median(lt_times) / base, "peak_rss_bytes": None})
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _count(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", required=True, type=Path, help="a `segdsl demo` folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lifetimes", help="a Python with lifetimes, pandas and pyarrow, for the side-by-side figure")
    ap.add_argument("--json", type=Path, help="write the rows here")
    args = ap.parse_args()
    rows = []
    for data in args.data:
        rows += run_case(data, args.repeat, args.lifetimes)
    print(f"{'customers':>10}  {'variant':<58} {'median s':>9} {'× plain':>8} {'peak MiB':>9}")
    for r in rows:
        peak = f"{r['peak_rss_bytes'] / 2 ** 20:,.0f}" if r["peak_rss_bytes"] else "—"
        print(f"{r['customers']:>10,}  {r['variant']:<58} {r['median_s']:>9.2f} {r['ratio_to_plain']:>8.2f} {peak:>9}")
    for r in rows:
        if r["variant"] == "fit + score":
            met = r["ratio_to_plain"] <= GOAL
            print(f"goal fit + score ≤ {GOAL:g} × plain at {r['customers']:,}: {r['ratio_to_plain']:.2f} "
                  f"({'met' if met else 'not met'})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
