"""Case 13: segdsl against the polars pipeline an analyst would write instead.

Both sides are whole processes that read the same data and write the members
to Parquet: `segdsl run models/shop.seg --db shop.duckdb --output …` and
`python -m benchmarks.polars_shop` (lazy API, streaming engine). They run
interleaved (segdsl, polars, segdsl, …) so that a slower phase of a shared
machine costs both alike, and the two Parquet files are compared on every
column. The fixed cost of `segdsl run` — process start, imports, compiling —
is measured on the same model over a data set of one customer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING

from . import models
from .compare import compare

if TYPE_CHECKING:
    from . import data as data_sets
    from .runner import Bench

CASE = "13 segdsl vs polars"
GOAL_POLARS = {100_000: 1.0, 1_000_000: 0.7, 10_000_000: 0.7}  # segdsl / polars, whole processes
GOAL_FIXED = 0.2  # seconds of a `segdsl run` before the engine works


def _segdsl_args(db: Path, out: Path) -> list[str]:
    from .runner import AS_OF

    return [sys.executable, "-m", "segdsl.tools.cli", "run", str(models.SHOP), "--db", str(db), "--as-of",
            AS_OF.isoformat(), "--output", str(out)]


def run(bench: Bench, ds: data_sets.DataSet) -> None:
    from .runner import AS_OF, REPO, _lit, shop_database
    from .measure import Row, _fmt_bytes, run_process, size_label

    size = size_label(ds.customers)
    try:
        import polars  # noqa: F401
    except ImportError:
        bench.res.add(Row(CASE, size, "polars (not installed: skipped)", None, 0))
        bench.res.notes.append("polars is not installed: case 13 was skipped (pip install -e '.[bench]').")
        return
    db = shop_database(ds)
    seg_out, pl_out = bench.work / "segdsl-members.parquet", bench.work / "polars-members.parquet"
    env = {**os.environ, "COLUMNS": "120"}
    pl_args = [sys.executable, "-m", "benchmarks.polars_shop", str(ds.path), AS_OF.isoformat(), str(pl_out)]
    runs = 1 if bench.args.quick else bench.args.repeat
    times: dict[str, list[float]] = {"segdsl": [], "polars": []}
    peaks: dict[str, int] = {"segdsl": 0, "polars": 0}
    for i in range(runs + (0 if bench.args.quick else 1)):  # the first round warms the file cache, untimed
        for name, args in (("segdsl", _segdsl_args(db, seg_out)), ("polars", pl_args)):
            p = run_process(args, cwd=REPO, env=env)
            if p.returncode != 0:
                raise RuntimeError(f"{name} failed (exit {p.returncode}): {p.stderr.strip()[-400:]}")
            if bench.args.quick or i > 0:
                times[name].append(p.seconds)
                peaks[name] = max(peaks[name], p.peak_rss or 0)
    import duckdb

    con = duckdb.connect()
    diff = compare(con, f"read_parquet({_lit(seg_out)})", f"read_parquet({_lit(pl_out)})", "customer_id")
    con.close()
    bench.res.verified[f"13. segdsl = polars ({size})"] = diff.equal
    s, p_ = median(times["segdsl"]), median(times["polars"])
    ratio = s / p_
    goal = GOAL_POLARS.get(ds.customers)
    bench.res.add(Row(CASE, size, "polars 2 lazy, streaming engine (whole process)", p_, len(times["polars"]),
                      f"peak {_fmt_bytes(peaks['polars'])}"))
    bench.res.add(Row(CASE, size, "`segdsl run --db --output` (whole process)", s, len(times["segdsl"]),
                      f"{ratio:.2f} × polars; peak {_fmt_bytes(peaks['segdsl'])}; results {diff.describe()}",
                      f"≤ {goal:g} × polars" if goal else "", (ratio <= goal and diff.equal) if goal else None))
    bench._ratios.setdefault("polars", {})[ds.customers] = (ratio, diff.equal)
    seg_out.unlink(missing_ok=True)
    pl_out.unlink(missing_ok=True)


def fixed_cost(bench: Bench) -> None:
    """`segdsl run` of the shop model over one customer: what every run pays before the engine works."""
    from . import data as data_sets
    from .runner import REPO, shop_database
    from .measure import Row, run_process

    ds = data_sets.ensure(bench.data_root, 1, bench.args.seed, say=bench.say)
    db = shop_database(ds)
    out = bench.work / "one-member.parquet"
    env = {**os.environ, "COLUMNS": "120"}
    seconds = []
    for _ in range(max(bench.args.repeat, 3) + 1):
        p = run_process(_segdsl_args(db, out), cwd=REPO, env=env)
        if p.returncode != 0:
            raise RuntimeError(f"segdsl run failed (exit {p.returncode}): {p.stderr.strip()[-400:]}")
        seconds.append(p.seconds)
    started = run_process([sys.executable, "-c", "pass"], cwd=REPO)
    t = median(seconds[1:])
    bench.res.add(Row(CASE, "", "fixed cost: `segdsl run` over one customer (whole process)", t, len(seconds) - 1,
                      f"a bare Python start takes {started.seconds:.2f} s", f"≤ {GOAL_FIXED} s", t <= GOAL_FIXED))
    bench._ratios["polars_fixed"] = t
    out.unlink(missing_ok=True)


def goals(ratios: dict, size_label) -> list[tuple[str, str, bool | None]]:
    got = ratios.get("polars", {})
    parts, met = [], None
    for n, (ratio, equal) in sorted(got.items()):
        parts.append(f"{size_label(n)}: {ratio:.2f} ×" + ("" if equal else " (results differ)"))
        goal = GOAL_POLARS.get(n)
        if goal is not None:
            met = (met is not False) and ratio <= goal and equal
    out = [("13a. segdsl ≤ 1.0 × polars at 100 k, ≤ 0.7 × at 1 M and 10 M (whole processes, same result)",
            "; ".join(parts) or "not measured", met)]
    fixed = ratios.get("polars_fixed")
    out.append((f"13b. fixed cost of `segdsl run` ≤ {GOAL_FIXED} s",
                f"{fixed:.2f} s" if fixed is not None else "not measured",
                fixed <= GOAL_FIXED if fixed is not None else None))
    return out
