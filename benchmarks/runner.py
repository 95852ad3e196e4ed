"""The benchmark: cases, timing, verification and the report.

Every case runs its variants interleaved (A, B, A, B, …) so that a slow
moment of the machine hits both, and reports medians and ratios measured in
the same run. Results that must agree are compared row by row
(benchmarks.compare) and a case whose results differ is marked so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import data as data_sets
from . import engines_case, handsql, lsp_latency, models, polars_case, predict_case, second_stage, traits_case
from .compare import compare
from .measure import (GIB, Results, Row, _fmt_bytes, _fmt_value, _met, cpu_probe, interleaved, median, parse_size,
                      run_process, size_label)

AS_OF = dt.date(2026, 6, 30)
REPO = Path(__file__).resolve().parent.parent
SCALING = (1, 10, 50, 100)
# Which case each entry of the goal figures belongs to.
RATIO_CASES = {"hand": 1, "scaling": 2, "scaling_own": 2, "pandas": 3, "compile": 5, "check": 5, "memory": 6,
               "spark": 7, "predict": 8, "predict_lifetimes": 8, "polars": 13, "polars_fixed": 13, "lsp": 9,
               "traits": 10}
COMPILE_FEATURES, COMPILE_SEGMENTS = 250, 250
TABLES = ("customers", "orders", "web_events")

# The goals of the benchmark, by case.
GOAL_HAND = 1.1           # generated SQL ≤ 1.1 × the hand-written query
GOAL_SCALING = 1.5        # 100 segments ≤ 1.5 × one segment
GOAL_PANDAS = 10.0        # segdsl ≥ 10 × faster than pandas at 1 M customers
GOAL_COMPILE = 0.3        # seconds to compile the 500-definition model, per dialect
GOAL_CHECK = 0.5          # seconds for `segdsl check examples/` as a process
GOAL_MEMORY = 1.5 * GIB   # peak resident memory of `segdsl run --output` at the largest size


# ── DuckDB set-up ───────────────────────────────────────────────────────────


def connect(ds: data_sets.DataSet, spill: Path | None = None):
    """An in-memory DuckDB connection with the data set's Parquet files as views named like the tables.

    The timing cases give every variant the same engine: DuckDB's own memory
    limit (the results of ten million members are kept in memory to compare
    them) and no insertion order, as `segdsl run` sets it. Case 6 measures
    `segdsl run` with its own memory budget.
    """
    import duckdb

    config = {"preserve_insertion_order": False}
    if spill is not None:
        config["temp_directory"] = str(spill)
    con = duckdb.connect(":memory:", config=config)
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_lit(ds.file(table))})")
    return con


def _lit(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def shop_database(ds: data_sets.DataSet) -> Path:
    """shop.duckdb beside the data: views over the Parquet files, for the command line."""
    import duckdb

    db = ds.path / "shop.duckdb"
    if not db.is_file():
        tmp = ds.path / ".shop.duckdb.tmp"
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        for table in TABLES:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_lit(ds.file(table))})")
        con.close()
        os.replace(tmp, db)
    return db


def compiled(con, model_text_or_path, dialect: str = "duckdb") -> str:
    """The membership query of a model, checked against the data's columns, as the run command compiles it."""
    import segdsl
    from segdsl.engines import open_engine
    from segdsl.engines.execution import compile_for, read_schemas

    model = segdsl.load(model_text_or_path)
    engine = open_engine(con, root=model.root)
    if dialect == "duckdb":
        return compile_for(model, engine, AS_OF, {}).sql
    checked = model.with_schemas(read_schemas(engine, model.ir))
    return checked.sql(dialect=dialect, as_of=AS_OF, pretty=False)


def compiled_ir(text: str):
    import segdsl

    return segdsl.load(text).ir


def _aggregates(ir) -> set:
    """The distinct aggregates over events a model computes (what its scans cost)."""
    from segdsl.semantic import model as m

    found = set()
    for name in ir.order:
        for e in ir.expressions_of(name):
            found.update(node for node in m.walk(e) if isinstance(node, m.Agg))
    return found


def materialize(con, table: str, sql: str) -> callable:
    """The timed work: the whole result into a temporary table, as `segdsl run` computes it."""
    return lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")


def dropper(con, tables: dict, keep: set) -> callable:
    """An `after` for interleaved(): drop each result once timed, except the last run of those in `keep`."""
    def after(name, last: bool) -> None:
        if not (last and name in keep):
            con.execute(f"DROP TABLE IF EXISTS {tables[name]}")
    return after


def fingerprint(con, table: str, columns: list[str], into: str) -> None:
    """One hash per member of the given columns (doubles rounded to 1e-6): results compared without keeping them."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {table})").fetchall())
    # Text of every other value, so that engines' types (TIMESTAMP_NS, INTEGER vs BIGINT) do not matter.
    parts = [f'round(CAST("{c}" AS DOUBLE), 6)' if types[c] in ("DOUBLE", "FLOAT") else f'CAST("{c}" AS VARCHAR)'
             for c in columns]
    con.execute(f'CREATE OR REPLACE TEMP TABLE {into} AS SELECT customer_id, hash({", ".join(parts)}) AS h '
                f"FROM {table}")


# ── the cases ───────────────────────────────────────────────────────────────


class Bench:
    def __init__(self, args: argparse.Namespace, say=print):
        self.args = args
        self.say = say
        self.res = Results()
        self.data_root = Path(args.data)
        self.work = Path(tempfile.mkdtemp(prefix="segdsl-bench-"))

    def scratch(self) -> Path:
        """A folder for what DuckDB spills to disk, in the run's work folder."""
        path = self.work / "spill"
        path.mkdir(exist_ok=True)
        return path

    def warm(self, ds: data_sets.DataSet) -> bool:
        """An untimed warm-up round (file cache, allocator) where it costs little next to the timed runs."""
        return not self.args.quick and ds.customers <= 2_000_000

    def data(self, customers: int) -> data_sets.DataSet:
        return data_sets.ensure(self.data_root, customers, self.args.seed, say=self.say)

    # 1 and 4: generated vs hand-written SQL, and the physical floor
    def hand_and_floor(self, ds: data_sets.DataSet) -> None:
        con = connect(ds, self.scratch())
        size = size_label(ds.customers)
        generated = compiled(con, models.SHOP)
        variants = {
            "generated": materialize(con, "m_generated", generated),
            "hand": materialize(con, "m_hand", handsql.shop_sql(AS_OF)),
            "floor": materialize(con, "m_floor", handsql.floor_sql()),
            "floor_all": materialize(con, "m_floor_all", handsql.floor_all_sql()),
        }
        tables = {"generated": "m_generated", "hand": "m_hand", "floor": "m_floor", "floor_all": "m_floor_all"}
        times = interleaved(variants, self.args.repeat, warmup=self.warm(ds),
                            after=dropper(con, tables, {"generated", "hand"}))
        diff = compare(con, "m_generated", "m_hand", "customer_id")
        con.execute("DROP TABLE m_generated")
        con.execute("DROP TABLE m_hand")
        self.res.verified[f"1. generated = hand-written ({size})"] = diff.equal
        g, h = median(times["generated"]), median(times["hand"])
        f, fa = median(times["floor"]), median(times["floor_all"])
        ratio = g / h
        case = "1 generated vs hand SQL"
        self.res.add(Row(case, size, "hand-written SQL (expert, single pass)", h, len(times["hand"])))
        self.res.add(Row(case, size, "segdsl generated SQL", g, len(times["generated"]),
                         f"{ratio:.2f} × hand; results {diff.describe()}", f"≤ {GOAL_HAND} ×",
                         ratio <= GOAL_HAND and diff.equal))
        case = "4 physical floor"
        self.res.add(Row(case, size, "one grouped count over orders", f, len(times["floor"]),
                         f"segdsl = {g / f:.1f} × this"))
        self.res.add(Row(case, size, "grouped counts over orders and web_events", fa, len(times["floor_all"]),
                         f"segdsl = {g / fa:.1f} × this"))
        self._ratios.setdefault("hand", {})[ds.customers] = (ratio, diff.equal)
        con.close()

    # 2: the number of segments
    def scaling(self, ds: data_sets.DataSet) -> None:
        self._scaling(ds, own_aggregates=False)
        if ds.customers <= self.args.own_aggregates_max:
            self._scaling(ds, own_aggregates=True)

    def _scaling(self, ds: data_sets.DataSet, own_aggregates: bool) -> None:
        con = connect(ds, self.scratch())
        size = size_label(ds.customers)
        texts = {n: models.scaling_model(n, own_aggregates) for n in SCALING}
        variants = {n: materialize(con, f"m_scale_{n}", compiled(con, t)) for n, t in texts.items()}
        largest = SCALING[-1]
        columns: dict[int, list[str]] = {}

        def after(n: int, last: bool) -> None:
            # A model's definitions are the first ones of every larger model: their columns must agree.
            # Each result is reduced to one hash per member and dropped, so only one is ever in memory.
            if last:
                columns[n] = [c for c, in con.execute(f"SELECT column_name FROM (DESCRIBE m_scale_{n})").fetchall()]
                fingerprint(con, f"m_scale_{n}", columns[n], f"fp_{n}")
                if n == largest:
                    for smaller in SCALING[:-1]:
                        fingerprint(con, f"m_scale_{n}", columns[smaller], f"fp_{n}_{smaller}")
            con.execute(f"DROP TABLE IF EXISTS m_scale_{n}")

        times = interleaved(variants, self.args.repeat, warmup=self.warm(ds), after=after)
        equal = True
        for n in SCALING[:-1]:
            diff = compare(con, f"fp_{n}", f"fp_{largest}_{n}", "customer_id")
            equal = equal and diff.equal
        kind = "with own aggregates" if own_aggregates else "over the feature library"
        self.res.verified[f"2. scaling models {kind} agree on shared definitions ({size})"] = equal
        base = median(times[1])
        case = "2 segments in one model"
        for n in SCALING:
            t = median(times[n])
            last = n == largest
            goal = last and not own_aggregates
            aggs = len(_aggregates(compiled_ir(texts[n])))
            label = f"{n} segment{'s' if n > 1 else ''} {kind} ({aggs} aggregates)"
            self.res.add(Row(case, size, label, t, len(times[n]),
                             f"{t / base:.2f} × one segment" + ("; verified" if last and equal else ""),
                             f"≤ {GOAL_SCALING} ×" if goal else "",
                             (t / base <= GOAL_SCALING and equal) if goal else None), self.say)
        key = "scaling_own" if own_aggregates else "scaling"
        self._ratios.setdefault(key, {})[ds.customers] = (median(times[largest]) / base, equal)
        con.close()

    # 3: pandas
    def pandas(self, ds: data_sets.DataSet) -> None:
        size = size_label(ds.customers)
        case = "3 segdsl vs pandas"
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.res.add(Row(case, size, "pandas (not installed: skipped)", None, 0))
            self.res.notes.append("pandas is not installed: case 3 was skipped (pip install -e '.[bench]').")
            return
        import segdsl

        con = connect(ds, self.scratch())
        model = segdsl.load(models.SHOP)

        def segdsl_run():
            rel = model.run(connection=con, as_of=AS_OF)
            con.execute("CREATE OR REPLACE TEMP TABLE m_segdsl AS SELECT * FROM rel")

        seg_times = interleaved({"segdsl": segdsl_run}, self.args.repeat, warmup=self.warm(ds))["segdsl"]
        # Keep one hash per member, not the members: pandas needs the machine's memory next.
        members = [c for c, in con.execute("SELECT column_name FROM (DESCRIBE m_segdsl)").fetchall()]
        fingerprint(con, "m_segdsl", members, "fp_segdsl")
        con.execute("DROP TABLE m_segdsl")
        big = ds.customers > 2_000_000
        runs = 1 if (big or self.args.quick) else min(self.args.repeat, 3)
        out = self.work / f"pandas-{ds.customers}.parquet"
        pd_times, peak, failure = [], 0, None
        for _ in range(runs):
            p = run_process([sys.executable, "-m", "benchmarks.pandas_shop", str(ds.path), AS_OF.isoformat(),
                             str(out)], cap=self.args.pandas_cap, cwd=REPO)
            peak = max(peak, p.peak_rss or 0)
            if p.returncode != 0 or p.stopped:
                last_line = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
                failure = ("stopped at the memory cap of " + _fmt_bytes(self.args.pandas_cap) if p.stopped else
                           f"failed (exit {p.returncode}): {last_line}")
                pd_time_wall = p.seconds
                break
            pd_times.append(json.loads(p.stdout.strip().splitlines()[-1])["seconds"])
        s = median(seg_times)
        self.res.add(Row(case, size, "segdsl on DuckDB (load, compile, run)", s, len(seg_times)))
        if failure:
            self.res.add(Row(case, size, "pandas (read Parquet, compute)", None, 0,
                             f"did not finish: {failure} after {pd_time_wall:.0f} s; peak {_fmt_bytes(peak)}",
                             "segdsl finishes" if big else f"≥ {GOAL_PANDAS:g} × faster", True if big else False))
            self._ratios.setdefault("pandas", {})[ds.customers] = (None, None, failure)
        else:
            fingerprint(con, f"read_parquet({_lit(out)})", members, "fp_pandas")
            diff = compare(con, "fp_segdsl", "fp_pandas", "customer_id")
            self.res.verified[f"3. segdsl = pandas ({size})"] = diff.equal
            p_med = median(pd_times)
            speedup = p_med / s
            self.res.add(Row(case, size, "pandas (read Parquet, compute)", p_med, len(pd_times),
                             f"segdsl {speedup:.1f} × faster; peak {_fmt_bytes(peak)}; results {diff.describe()}",
                             f"≥ {GOAL_PANDAS:g} × at 1 M" if ds.customers == 1_000_000 else "",
                             (speedup >= GOAL_PANDAS and diff.equal) if ds.customers == 1_000_000 else None))
            self._ratios.setdefault("pandas", {})[ds.customers] = (speedup, diff.equal, None)
        out.unlink(missing_ok=True)
        con.close()

    # 5: compile speed
    def compile_speed(self) -> None:
        case = "5 compile speed"
        repeat = max(self.args.repeat, 3)
        p = run_process([sys.executable, "-m", "benchmarks.compile_speed", str(COMPILE_FEATURES),
                         str(COMPILE_SEGMENTS), str(repeat)], cwd=REPO)
        if p.returncode != 0:
            raise RuntimeError(f"compile speed failed: {p.stderr.strip()[-500:]}")
        got = json.loads(p.stdout.strip().splitlines()[-1])
        loads, per = got["load"], {d: got[d] for d in ("duckdb", "snowflake")}
        defs = f"{COMPILE_FEATURES} features + {COMPILE_SEGMENTS} segments"
        load = median(loads)
        self.res.add(Row(case, "", f"parse and check ({defs})", load, repeat))
        for dialect, times in per.items():
            t = median(times)
            self.res.add(Row(case, "", f"compile to SQL for {dialect}", t, repeat,
                             f"{load + t:.2f} s with parse and check", f"≤ {GOAL_COMPILE} s", t <= GOAL_COMPILE))
            self._ratios.setdefault("compile", {})[dialect] = (t, load + t)
        examples = REPO / "examples"
        checks = []
        for _ in range(repeat):
            p = run_process([sys.executable, "-m", "segdsl.tools.cli", "check", "--quiet", str(examples)], cwd=REPO)
            checks.append(p.seconds)
        c = median(checks)
        self.res.add(Row(case, "", "`segdsl check examples/` (whole process)", c, repeat,
                         f"exit {p.returncode}", f"≤ {GOAL_CHECK} s", c <= GOAL_CHECK))
        self._ratios["check"] = c

    # 6: memory of the command line
    def memory(self, ds: data_sets.DataSet) -> None:
        size = size_label(ds.customers)
        case = "6 memory of segdsl run"
        db = shop_database(ds)
        out = self.work / "members.parquet"
        args = [sys.executable, "-m", "segdsl.tools.cli", "run", str(models.SHOP), "--db", str(db), "--as-of",
                AS_OF.isoformat(), "--output", str(out)]
        p = run_process(args, cwd=REPO, env={**os.environ, "COLUMNS": "120"})
        ok = p.returncode == 0 and out.is_file()
        rows = None
        if ok:
            import duckdb

            rows = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet({_lit(out)})").fetchone()[0]
        figure = (f"{p.seconds:.1f} s wall; {rows:,} members written" if ok else
                  f"failed (exit {p.returncode}): {p.stderr.strip()[-300:]}")
        notes = [line.strip() for line in p.stderr.splitlines() if line.startswith("note:")]
        if ok and notes:  # for example: the run did not fit the budget and was computed again without it
            figure += "; " + " ".join(notes)
        self.res.add(Row(case, size, "`segdsl run --output members.parquet`: peak RSS", p.peak_rss, 1, figure,
                         f"≤ {_fmt_bytes(GOAL_MEMORY)}", ok and p.peak_rss is not None and p.peak_rss <= GOAL_MEMORY,
                         unit="bytes"))
        self._ratios["memory"] = (ds.customers, p.peak_rss, ok, p.seconds)
        out.unlink(missing_ok=True)

    # 7: Spark
    def spark(self, ds: data_sets.DataSet) -> None:
        size = size_label(ds.customers)
        case = "7 Spark local mode"
        try:
            import pyspark  # noqa: F401
        except ImportError:
            self.res.add(Row(case, size, "Spark (pyspark not installed: skipped)", None, 0))
            self.res.notes.append("pyspark is not installed: case 7 was skipped (pip install -e '.[spark]').")
            return
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            self.res.add(Row(case, size, "Spark (no Java found: skipped)", None, 0))
            return
        con = connect(ds, self.scratch())
        try:
            sql = compiled(con, models.SHOP, "spark")
        except Exception as exc:  # noqa: BLE001 - report what the Spark lowering cannot do yet
            self.res.add(Row(case, size, "Spark: compile failed", None, 0, f"{type(exc).__name__}: {exc}"))
            self.res.verified[f"7. Spark = DuckDB ({size})"] = False
            return
        query = self.work / "spark.sql"
        query.write_text(sql, encoding="utf-8")
        out = self.work / "spark-members"
        repeat = 1 if self.args.quick else min(self.args.repeat, 3) + 1
        p = run_process([sys.executable, "-m", "benchmarks.spark_shop", str(ds.path), str(query), str(out),
                         str(repeat)], cwd=REPO)
        if p.returncode != 0:
            tail = [line for line in p.stderr.strip().splitlines() if line.strip()][-3:]
            self.res.add(Row(case, size, "Spark: run failed", None, 0, " / ".join(tail)[-400:]))
            self.res.verified[f"7. Spark = DuckDB ({size})"] = False
            return
        info = json.loads(p.stdout.strip().splitlines()[-1])
        seconds = info["seconds"][1:] or info["seconds"]  # the first run warms the JVM up
        con.execute(f"CREATE OR REPLACE TEMP TABLE m_duck AS {compiled(con, models.SHOP)}")
        import segdsl

        ir = segdsl.load(models.SHOP).ir
        membership = [n for n in ir.order if n in ir.segments or n in ir.segmentations or n in ir.holdouts]
        spark_rel = f"read_parquet({_lit(out / '*.parquet')})"
        member_diff = compare(con, "m_duck", spark_rel, "customer_id", ["customer_id", *membership])
        all_diff = compare(con, "m_duck", spark_rel, "customer_id")
        self.res.verified[f"7. Spark membership = DuckDB ({size})"] = member_diff.equal
        con.execute("DROP TABLE m_duck")
        self.res.add(Row(case, size, f"Spark {info['version']} local[*], query and Parquet write",
                         median(seconds), len(seconds),
                         f"membership {member_diff.describe()}; all columns {all_diff.describe()}; "
                         f"session start {info['startup']:.0f} s", "same membership", member_diff.equal))
        self._ratios["spark"] = (ds.customers, median(seconds), member_diff.equal)
        shutil.rmtree(out, ignore_errors=True)
        con.close()

    # 10: trait aggregates (benchmarks/traits_case.py)
    def traits(self, ds: data_sets.DataSet) -> None:
        con = connect(ds, self.scratch())
        size = size_label(ds.customers)
        variants = {
            "baseline": materialize(con, "m_base", compiled(con, traits_case.BASELINE)),
            "traits": materialize(con, "m_traits", compiled(con, traits_case.TRAITS)),
            "hand": materialize(con, "m_traits_hand", traits_case.hand_sql(AS_OF)),
        }
        tables = {"baseline": "m_base", "traits": "m_traits", "hand": "m_traits_hand"}
        times = interleaved(variants, self.args.repeat, warmup=self.warm(ds),
                            after=dropper(con, tables, {"traits", "hand"}))
        diff = compare(con, "m_traits", "m_traits_hand", "customer_id")
        self.res.verified[f"10. traits = hand-written ({size})"] = diff.equal
        b, t, h = (median(times[k]) for k in ("baseline", "traits", "hand"))
        case = "10 trait aggregates"
        self.res.add(Row(case, size, "baseline: count and sum of orders", b, len(times["baseline"])))
        self.res.add(Row(case, size, "hand-written SQL: DuckDB ordered aggregates", h, len(times["hand"]),
                         f"{h / b:.2f} × baseline"))
        self.res.add(Row(case, size, "most_frequent, first, last, share", t, len(times["traits"]),
                         f"{t / b:.2f} × baseline, {t / h:.2f} × hand; results {diff.describe()}"))
        self._ratios.setdefault("traits", {})[ds.customers] = (t / b, t / h, diff.equal)
        con.close()

    # ── orchestration ───────────────────────────────────────────────────
    def run(self, previous: dict | None = None, checkpoint=None) -> Results:
        """Run the chosen cases; `checkpoint(bench)` is called after each one so partial results survive."""
        self._ratios: dict = {}
        self.started_at = dt.datetime.now().isoformat(sep=" ", timespec="microseconds")  # identifies the run
        args = self.args
        cases = set(args.cases)
        started = time.perf_counter()
        probe_start = cpu_probe()
        if previous:
            self.merge(previous)

        def step(case: int, size: str, fn, *fn_args) -> None:
            self.forget(case, size)
            mark = len(self.res.rows)
            try:
                fn(*fn_args)
            except Exception as exc:  # noqa: BLE001 - one broken case must not lose the others
                import traceback

                traceback.print_exc()
                self.res.add(Row(f"{case} failed", size, f"the case failed: {type(exc).__name__}", None, 0,
                                 str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""), self.say)
            for row in self.res.rows[mark:]:
                row.when = self.started_at
            self.res.goals = self.goals()
            if checkpoint:
                checkpoint(self)

        if 5 in cases:
            self.say("\ncase 5: compile speed")
            step(5, "", self.compile_speed)
        for n in args.sizes:
            ds = self.data(n)
            label = size_label(n)
            self.say(f"\n{label} customers ({ds.path})")
            if 1 in cases or 4 in cases:
                self.forget(4, label)
                step(1, label, self.hand_and_floor, ds)
            if 2 in cases:
                step(2, label, self.scaling, ds)
            if 3 in cases:
                step(3, label, self.pandas, ds)
            if 10 in cases and n <= 1_000_000:
                step(10, label, self.traits, ds)
            if 8 in cases:
                step(8, label, predict_case.run, self, ds)
            if 13 in cases:
                step(13, label, polars_case.run, self, ds)
        if 13 in cases:
            self.say("\ncase 13: fixed cost of segdsl run")
            step(13, "", polars_case.fixed_cost, self)
        if 9 in cases:
            self.say("\ncase 9: language server latency")
            step(9, "", lsp_latency.run, self)
        if 6 in cases:
            ds = self.data(max(args.sizes))
            self.say(f"\ncase 6: memory at {size_label(ds.customers)} customers")
            step(6, size_label(ds.customers), self.memory, ds)
        if 7 in cases:
            spark_size = args.spark_size or min(args.sizes, key=lambda n: abs(n - 1_000_000))
            ds = self.data(spark_size)
            self.say(f"\ncase 7: Spark at {size_label(ds.customers)} customers")
            step(7, size_label(ds.customers), self.spark, ds)
        if 12 in cases:
            for n in engines_case.sizes(args.sizes):
                ds = self.data(n)
                self.say(f"\ncase 12: engines at {size_label(n)} customers")
                step(12, "", engines_case.run_size, self, ds)  # its figures are replaced per engine and size
        self.res.goals = self.goals()
        runs: dict[str, dict[str, list[str]]] = {}
        for r in self.res.rows:
            sizes = runs.setdefault(r.when, {}).setdefault(r.case.split()[0], [])
            if r.size and r.size not in sizes:
                sizes.append(r.size)
        if len(runs) > 1:  # --merge kept figures of earlier runs
            parts = []
            for when, by_case in sorted(runs.items()):
                listing = ", ".join(c + (f" ({', '.join(sz)})" if sz else "") for c, sz in sorted(by_case.items()))
                parts.append(f"case{'s' if len(by_case) > 1 else ''} {listing} "
                             + (f"in the run started {when[:19]}" if when else "in an earlier run"))
            self.res.notes.append("Measured in several runs (--merge): " + "; ".join(parts) + ".")
        self.res.notes.append(
            f"The last run took {time.perf_counter() - started:.0f} s. A fixed pure-Python loop took "
            f"{probe_start * 1000:.0f} ms at its start and {cpu_probe() * 1000:.0f} ms at its end: on a shared "
            "virtual machine the speed of the CPU varies, and with it every figure measured in a single process.")
        shutil.rmtree(self.work, ignore_errors=True)
        return self.res

    def forget(self, case: int, size: str) -> None:
        """Drop earlier figures that a case run at a size now replaces."""
        whole = case in (5, 6, 7)  # one figure per run, whatever the size
        self.res.rows = [r for r in self.res.rows
                         if not (r.case.split()[0] == str(case) and (whole or r.size == size))]
        self.res.verified = {k: v for k, v in self.res.verified.items()
                             if not (k.startswith(f"{case}.") and (whole or k.endswith(f"({size})")))}
        for key, case_of in RATIO_CASES.items():
            if case_of != case or key not in self._ratios:
                continue
            value = self._ratios[key]
            per_size = ("hand", "scaling", "scaling_own", "pandas", "polars", "traits", "predict", "predict_lifetimes")
            if isinstance(value, dict) and not whole and key in per_size:
                for n in [n for n in value if size_label(int(n)) == size]:
                    del value[n]
            else:
                del self._ratios[key]

    def merge(self, previous: dict) -> None:
        """Start from an earlier run's figures (--merge); what runs now replaces its part of them."""
        for r in previous["rows"]:
            self.res.rows.append(Row(**r))
        self.res.verified.update(previous["verified"])
        for key, value in previous["ratios"].items():
            self._ratios[key] = ({int(k) if k.isdigit() else k: v for k, v in value.items()}
                                 if isinstance(value, dict) else value)

    def state(self, command: str) -> dict:
        return {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "command": command,
                "rows": [r.__dict__ for r in self.res.rows], "verified": self.res.verified,
                "ratios": {k: ({str(n): v for n, v in x.items()} if isinstance(x, dict) else x)
                           for k, x in self._ratios.items()}}

    def goals(self) -> list[tuple[str, str, bool | None]]:
        r = self._ratios
        out: list[tuple[str, str, bool | None]] = []

        def per_size(key: str, fmt) -> tuple[str, bool | None]:
            got = r.get(key, {})
            if not got:
                return "not measured", None
            # Judged at the largest size (the scale the goals are about: what fixed costs do to a
            # query of a few hundred milliseconds is shown, not judged); every comparison must agree.
            parts, equal_all = [], True
            for n, (ratio, equal) in sorted(got.items()):
                parts.append(f"{size_label(n)}: {ratio:.2f} ×" + ("" if equal else " (results differ)"))
                equal_all = equal_all and equal
            largest = max(got)
            return "; ".join(parts), fmt(got[largest][0]) and equal_all

        figure, ok = per_size("hand", lambda x: x <= GOAL_HAND)
        out.append((f"1. generated SQL ≤ {GOAL_HAND} × hand-written SQL, same result", figure, ok))
        figure, ok = per_size("scaling", lambda x: x <= GOAL_SCALING)
        if r.get("scaling_own"):
            own, _ = per_size("scaling_own", lambda x: True)
            figure += f" (segments that add their own aggregates: {own})"
        out.append((f"2. 100 segments ≤ {GOAL_SCALING} × one segment (over the same features)", figure, ok))
        pandas = r.get("pandas", {})
        if 1_000_000 in pandas and pandas[1_000_000][0] is not None:
            speedup, equal, _ = pandas[1_000_000]
            out.append((f"3a. segdsl ≥ {GOAL_PANDAS:g} × faster than pandas at 1 M",
                        f"{speedup:.1f} ×" + ("" if equal else " (results differ)"), speedup >= GOAL_PANDAS and equal))
        else:
            out.append((f"3a. segdsl ≥ {GOAL_PANDAS:g} × faster than pandas at 1 M", "1 M not run", None))
        if 10_000_000 in pandas:
            speedup, equal, failure = pandas[10_000_000]
            figure = (f"pandas {failure}" if failure else f"both finished; segdsl {speedup:.1f} × faster")
            mem = r.get("memory")
            if mem and mem[0] == 10_000_000 and mem[1]:
                figure += f"; segdsl run peak {_fmt_bytes(mem[1])}"
            out.append(("3b. segdsl finishes at 10 M within the machine's memory", figure, True))
        else:
            out.append(("3b. segdsl finishes at 10 M within the machine's memory", "10 M not run", None))
        floors = [f"{row.size}: {row.figure.removeprefix('segdsl = ')} one grouped count over orders"
                  for row in self.res.rows if row.case.startswith("4 ") and row.measure.startswith("one grouped")]
        out.append(("4. physical floor (no goal): segdsl as a multiple of one grouped aggregation",
                    "; ".join(floors).replace(" × this", " ×") or "not measured", None))
        comp = r.get("compile")
        if comp:
            worst = max(t for t, _ in comp.values())
            figure = "; ".join(f"{d}: {t:.2f} s (with parse and check {w:.2f} s)" for d, (t, w) in comp.items())
            out.append((f"5a. 500-definition model compiles in ≤ {GOAL_COMPILE} s per dialect", figure,
                        worst <= GOAL_COMPILE))
        else:
            out.append((f"5a. 500-definition model compiles in ≤ {GOAL_COMPILE} s per dialect", "not measured", None))
        if "check" in r:
            out.append((f"5b. `segdsl check examples/` ≤ {GOAL_CHECK} s", f"{r['check']:.2f} s",
                        r["check"] <= GOAL_CHECK))
        else:
            out.append((f"5b. `segdsl check examples/` ≤ {GOAL_CHECK} s", "not measured", None))
        mem = r.get("memory")
        if mem:
            n, peak, ok, seconds = mem
            target = 10_000_000
            figure = f"{_fmt_bytes(peak)} at {size_label(n)} ({seconds:.0f} s)" if ok else "run failed"
            met = (ok and peak is not None and peak <= GOAL_MEMORY) if n >= target else None
            if n < target:
                figure += f" (goal is at {size_label(target)})"
            out.append((f"6. `segdsl run --output` at 10 M ≤ {_fmt_bytes(GOAL_MEMORY)} peak RSS", figure, met))
        else:
            out.append((f"6. `segdsl run --output` at 10 M ≤ {_fmt_bytes(GOAL_MEMORY)} peak RSS", "not measured", None))
        sp = r.get("spark")
        out.append(("7. Spark local mode: same membership as DuckDB (time reported, no goal)",
                    (f"{size_label(sp[0])}: {sp[1]:.1f} s; membership " + ("equal" if sp[2] else "DIFFERENT"))
                    if sp else "not measured", sp[2] if sp else None))
        out += predict_case.goals(r, size_label)
        out += lsp_latency.goals(r)
        tr = r.get("traits", {})
        out.append(("10. trait aggregates (most_frequent, first, last, share): time against count() and hand SQL, "
                    "same result (no goal)",
                    "; ".join(f"{size_label(int(n))}: {b:.2f} × baseline, {h:.2f} × hand"
                              + ("" if equal else " (results differ)") for n, (b, h, equal) in sorted(tr.items()))
                    or "not measured", all(equal for _, _, equal in tr.values()) if tr else None))
        out += engines_case.goals(r)
        out += polars_case.goals(r, size_label)
        return out


# ── the report ──────────────────────────────────────────────────────────────


def machine() -> list[tuple[str, str]]:
    def version(mod: str) -> str:
        try:
            from importlib.metadata import version as v

            return v(mod)
        except Exception:  # noqa: BLE001
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = None
    java = "not found"
    if shutil.which("java"):
        try:
            p = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
            java = (p.stderr or p.stdout).strip().splitlines()[0]
        except Exception:  # noqa: BLE001
            pass
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores"),
        ("Memory", _fmt_bytes(ram) if ram else "unknown"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Libraries", ", ".join(f"{m} {version(m)}" for m in
                                ("segdsl", "duckdb", "sqlglot", "pandas", "pyarrow", "pyspark"))),
        ("Java", java),
    ]


def markdown(res: Results, args: argparse.Namespace, command: str) -> str:
    lines = ["# Benchmarks", "",
             "Produced by `" + command + "` on " + dt.datetime.now().strftime("%Y-%m-%d %H:%M") + ".",
             "Run it again with `make bench` (or `python -m benchmarks`); it rewrites this file.", "",
             "Data: the demo generator (`segdsl.tools.demo.generate`) with about 20 orders and 20 web events per "
             f"customer, seed {args.seed}, evaluated as of {AS_OF.isoformat()}. Goals measured at several "
             "sizes are judged at the largest one, with the others shown. The model is "
             "[`benchmarks/models/shop.seg`](benchmarks/models/shop.seg) (the flagship retail model) unless a "
             f"case says otherwise. Times are medians of {args.repeat} interleaved run(s), after an untimed "
             "warm-up round for sizes up to 2 M; "
             "ratios compare figures measured in the same run.", "",
             "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine()]
    lines += ["", "## Goals", "", "| goal | figure | status |", "|---|---|---|"]
    lines += [f"| {g} | {f} | {_met(m)} |" for g, f, m in res.goals]
    lines += ["", "## Results", "", "| case | customers | measure | median | runs | figure | goal | status |",
              "|---|---:|---|---:|---:|---|---|---|"]
    for r in res.rows:
        lines.append(f"| {r.case} | {r.size} | {r.measure} | {_fmt_value(r)} | {r.runs} | {r.figure} | "
                     f"{r.goal} | {_met(r.met) if r.goal else ''} |")
    lines += ["", "## Verification", ""]
    lines += [f"- {name}: {'equal' if ok else '**DIFFERENT**'}" for name, ok in res.verified.items()]
    lines += ["", "## How each case is measured", "",
              "Cases 1–4 run in one process on DuckDB with its own memory limit (80 % of the machine: the "
              "results of ten million members are kept to be compared) and without insertion order, as "
              "`segdsl run` runs; case 6 measures `segdsl run` itself, with its memory budget (1 GiB on this "
              "machine).", "",
              "1. **Generated vs hand-written SQL.** segdsl's membership query for `shop.seg` (compiled as "
              "`segdsl run` compiles it, with the data's column types) and an expert's single-pass query for the "
              "same definitions ([`benchmarks/handsql.py`](benchmarks/handsql.py)), each materialised into a "
              "DuckDB temporary table from the Parquet files; the two tables are compared row by row.",
              "2. **Segments in one model.** Generated models with a library of 19 features over two sources "
              "and 1, 10, 50 or 100 segments and segmentations (eight in ten segments, two in ten segmentations) "
              "([`benchmarks/models`](benchmarks/models/__init__.py)). The goal is measured with segments that "
              "combine the library's features; a second series, whose segments also aggregate events themselves "
              "(three in ten: a category's orders in a window, a web event in a window, spend in a channel), "
              "shows the cost of the extra aggregates they bring. Every model's columns must agree with the "
              "largest model's.",
              "3. **pandas.** The same definitions in vectorised pandas "
              "([`benchmarks/pandas_shop.py`](benchmarks/pandas_shop.py)), in a separate process, from reading "
              "Parquet to the last column; segdsl's time includes loading, checking and compiling the model. "
              "Peak memory is the OS's accounting of the pandas process; a run that passes the memory cap "
              f"({_fmt_bytes(args.pandas_cap)}) is stopped so that the machine stays usable.",
              "4. **Physical floor.** `SELECT customer_id, count(*) FROM orders GROUP BY 1` (and both events "
              "tables grouped): no engine can compute the model with less work.",
              "5. **Compile speed.** A generated model with "
              f"{COMPILE_FEATURES} features and {COMPILE_SEGMENTS} segments: parse and check, then SQL text for "
              "DuckDB and Snowflake, in a process of its own ([`benchmarks/compile_speed.py`](benchmarks/compile_speed.py)) "
              "that has imported segdsl and built its grammar once; each step "
              "starts after a garbage collection (the compiler pauses Python's cycle collector while it builds "
              "and prints a query, and the collection that follows costs 40–80 ms once). "
              "`segdsl check examples/` is timed as a whole process, from start to exit.",
              "6. **Memory.** `segdsl run shop.seg --db shop.duckdb --output members.parquet` as a process "
              "(`shop.duckdb` holds views over the Parquet files); peak resident memory is the process's own "
              "high-water mark (`VmHWM`, read every 20 ms): `wait4`'s figure for a child also counts the "
              "memory of the benchmark process that started it.",
              "7. **Spark.** The model compiled for `spark`, run by Spark in local mode on the same Parquet "
              "files (session time zone UTC); the members are compared with DuckDB's.",
              predict_case.HOW, engines_case.HOW, "", second_stage.HOW]
    if res.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in res.notes]
    for name in ("analysis.md", "engines_analysis.md"):
        analysis = Path(__file__).with_name(name)
        if analysis.is_file():
            lines += ["", analysis.read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None,
                   help="customer counts, comma-separated: 100k,1m,10m (default), or 100k with --quick")
    p.add_argument("--repeat", type=int, default=None, help="timed runs per variant (default 3; 1 with --quick)")
    p.add_argument("--quick", action="store_true", help="one run per variant, no warm-up, 100k customers by default")
    p.add_argument("--cases", default="1,2,3,4,5,6,7,8,9,10,12,13", help="which cases to run, e.g. 1,2,5")
    p.add_argument("--engines", type=engines_case.engine_list, default=engines_case.default_engines(),
                   help="case 12: which engines, comma-separated (default: postgres,mysql,sqlite,clickhouse,spark,"
                        "spark-connect)")
    p.add_argument("--engine-measures", type=engines_case.measure_list, default=engines_case.MEASURES,
                   help="case 12: what to measure on each engine, comma-separated: shop (the shop model through "
                        "the engine's client and the command), second-stage (the second-stage model's command); "
                        "default both. With --merge, the figures of the other measure are kept")
    p.add_argument("--data", default=os.environ.get("SEGDSL_BENCH_DATA",
                                                      str(Path(tempfile.gettempdir()) / "segdsl-bench")),
                   help="folder for generated data sets, reused between runs (default: $SEGDSL_BENCH_DATA or "
                        "<tmp>/segdsl-bench)")
    p.add_argument("--seed", type=int, default=data_sets.SEED)
    p.add_argument("--own-aggregates-max", type=parse_size, default=1_000_000,
                   help="largest size for the scaling models whose segments add their own aggregates (default 1m)")
    p.add_argument("--spark-size", type=parse_size, default=None,
                   help="customers for the Spark case (default: the size nearest to 1m)")
    p.add_argument("--pandas-cap", type=float, default=None,
                   help="GiB of resident memory at which the pandas process is stopped (default: 75%% of RAM)")
    p.add_argument("--output", default=str(REPO / "BENCHMARKS.md"), help="where to write the report")
    p.add_argument("--json", default=None,
                   help="where to keep the results as JSON, which --merge reads (default: beside the report, "
                        "BENCHMARKS.json, kept in the repository with it)")
    p.add_argument("--merge", action="store_true",
                   help="keep the figures of the cases not run now from the previous results (with --cases)")
    args = p.parse_args(argv)
    args.sizes = sorted({parse_size(s) for s in (args.sizes or ("100k" if args.quick else "100k,1m,10m")).split(",")})
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.cases = sorted({int(c) for c in args.cases.split(",") if c.strip()})
    if args.pandas_cap is None:
        try:
            args.pandas_cap = int(0.75 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            args.pandas_cap = 16 * GIB
    else:
        args.pandas_cap = int(args.pandas_cap * GIB)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"segdsl benchmark: sizes {', '.join(size_label(n) for n in args.sizes)}; {args.repeat} run(s) each; "
          f"data in {args.data}", flush=True)
    # Beside the report by default: a partial run on a fresh clone merges with the committed figures.
    state_file = Path(args.json) if args.json else Path(args.output).with_suffix(".json")
    previous = None
    if args.merge and state_file.is_file():
        previous = json.loads(state_file.read_text(encoding="utf-8"))
    bench = Bench(args, say=lambda s: print(s, flush=True))

    def save(b: Bench) -> None:
        b.res.rows.sort(key=lambda r: (int(r.case.split()[0]), _size_order(r.size)))
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(b.state(command.strip()), indent=2, default=str), encoding="utf-8")
        Path(args.output).write_text(markdown(b.res, args, command.strip()), encoding="utf-8")

    res = bench.run(previous, checkpoint=save)
    save(bench)
    print("\ngoals:")
    for goal, figure, met in res.goals:
        print(f"  [{_met(met).strip('*'):>7}] {goal}: {figure}")
    print(f"\nwrote {args.output}")
    return 0


def _size_order(label: str) -> float:
    if not label:
        return 0
    number, _, unit = label.partition(" ")
    return float(number.replace(",", "")) * {"k": 1e3, "M": 1e6}.get(unit, 1)
