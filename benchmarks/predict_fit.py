"""Fitting BG/NBD and Gamma-Gamma at a million customers: segdsl.predict against lifetimes.

    python -m benchmarks.predict_fit [--customers 1000000] [--lifetimes /path/to/python-with-lifetimes]

Customers are simulated from BG/NBD and Gamma-Gamma (CDNOW-like parameters,
ages up to two years, purchase times on whole days, weekly units), then
fitted in a child process each, so that every figure has its own peak
memory (VmHWM): segdsl on the per-customer rows, on rows grouped by
(x, tₓ, T) — what an engine's GROUP BY hands over — and Gamma-Gamma on the
repeat customers; lifetimes (BetaGeoFitter, GammaGammaFitter) on the same
rows when a Python with lifetimes is given. Times include reading the
arrays; the grouping itself is timed separately.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
import numpy as np
t0 = time.perf_counter()
data = np.load(sys.argv[2])
kind = sys.argv[1]
out = {}
if kind.startswith("segdsl"):
    from segdsl.predict import fit as pf
    if kind == "segdsl_rows":
        f = pf.fit_bgnbd(data["x"], data["tx"], data["T"])
    elif kind == "segdsl_grouped":
        t = time.perf_counter()
        (x, tx, T), n = pf.group_rows(data["x"], data["tx"], data["T"])
        out["group_s"] = time.perf_counter() - t
        out["rows"] = int(len(n))
        t0 = time.perf_counter()
        f = pf.fit_bgnbd(x, tx, T, n)
    else:
        f = pf.fit_gamma_gamma(data["x"], data["m"])
    out.update(f.params)
    out["iterations"] = f.iterations
    out["log_likelihood"] = f.log_likelihood
else:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    if kind == "lifetimes_rows":
        f = BetaGeoFitter().fit(data["x"], data["tx"], data["T"])
    elif kind == "lifetimes_grouped":
        df = pd.DataFrame({"x": data["x"], "tx": data["tx"], "T": data["T"]})
        g = df.groupby(["x", "tx", "T"]).size().reset_index(name="n")
        out["rows"] = len(g)
        t0 = time.perf_counter()
        f = BetaGeoFitter().fit(g["x"], g["tx"], g["T"], weights=g["n"])
    else:
        rep = data["x"] > 0
        f = GammaGammaFitter().fit(data["x"][rep], data["m"][rep])
    out.update({k: float(v) for k, v in f.params_.items()})
out["seconds"] = time.perf_counter() - t0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        out["peak_mib"] = int(line.split()[1]) / 1024
print(json.dumps(out))
"""


def simulate(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """BG/NBD purchases (r 0.243, α 4.414 weeks, a 0.793, b 2.426) over ages of 1–730 days, times
    rounded up to whole days; Gamma-Gamma mean repeat values (p 6.25, q 3.74, v 15.44)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414 * 7, 0.793, 2.426  # α in days
    T = rng.integers(1, 731, n).astype(float)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = np.arange(n)
    while active.size:
        t[active] += rng.exponential(1 / lam[active])
        active = active[t[active] < T[active]]
        x[active] += 1
        tx[active] = t[active]
        active = active[rng.random(active.size) > drop[active]]
    p, q, v = 6.25, 3.74, 15.44
    nu = rng.gamma(q, 1 / v, n)
    m = np.where(x > 0, rng.gamma(np.maximum(p * x, 1e-9), 1 / nu) / np.maximum(x, 1), 0.0)
    return {"x": x, "tx": np.ceil(tx) / 7, "T": T / 7, "m": np.round(m, 2)}


def run(kind: str, path: Path, python: str) -> dict:
    proc = subprocess.run([python, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=False)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--lifetimes", help="a Python interpreter with lifetimes installed")
    ap.add_argument("--skip-lifetimes-rows", action="store_true", help="lifetimes on grouped rows only")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    data = simulate(args.customers)
    print(f"simulated {args.customers:,} customers in {time.perf_counter() - started:.1f} s: "
          f"{int((data['x'] > 0).sum()):,} with repeat purchases, max x {int(data['x'].max())}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.npz"
        np.savez(path, **data)
        kinds = [("segdsl_rows", sys.executable), ("segdsl_grouped", sys.executable), ("segdsl_gg", sys.executable)]
        if args.lifetimes:
            kinds += [("lifetimes_grouped", args.lifetimes), ("lifetimes_gg", args.lifetimes)]
            if not args.skip_lifetimes_rows:
                kinds.insert(3, ("lifetimes_rows", args.lifetimes))
        results = {}
        for kind, python in kinds:
            results[kind] = res = run(kind, path, python)
            shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}
            print(f"{kind:18} {json.dumps(shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
