"""Case 12: every verified server and embedded engine at size, through `segdsl run --target`.

For each engine (PostgreSQL, MariaDB, SQLite, ClickHouse through chdb, Spark
in local mode, Spark through a Spark Connect server started for the case and
stopped after it, as production Spark is reached) and size, the data set is loaded once through the engine's
bulk path (benchmarks.loaders) and kept; then, in the same run:

- the engine's own time for segdsl's compiled query and for an expert's
  hand-written query (benchmarks.handsql_engines), each through the engine's
  own client with every row handed to it (benchmarks.engine_client);
- `segdsl run shop.seg --target … --output members.parquet` as a whole
  process: its wall time and its peak resident memory (VmHWM);
- the membership of segdsl's file and of the hand-written query's result
  compared with DuckDB's for the same model on the Parquet files;
- `segdsl run second_stage.seg --target …`, a model with second-stage
  aggregates, timed and compared alike (benchmarks.second_stage).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from . import handsql_engines, loaders, models, second_stage
from .compare import Difference, compare

MIB = 1024 ** 2
GOAL_COMMAND = 1.3        # `segdsl run --target … --output` ≤ 1.3 × the engine's own time for the query, at 1 M
GOAL_HAND = 1.2           # segdsl's SQL ≤ 1.2 × the hand-written SQL on the same engine
GOAL_RSS = 500 * MIB      # peak RSS of the segdsl process at 1 M, whatever the engine
GOAL_SIZE = 1_000_000
LARGEST = 1_000_000       # the case runs at the benchmark's sizes up to this one
MEASURES = ("shop", "second-stage")  # what the case measures on each engine (--engine-measures)
CASE = "12 engines at size"
NAMES = {"postgres": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite", "clickhouse": "ClickHouse (chdb)",
         "spark": "Spark local", "spark-connect": "Spark Connect"}
SPARKS = ("spark", "spark-connect")  # both read the data set's Parquet files where they are
# the Spark Connect server of the case: Spark's defaults, all cores, the driver memory of Spark local
SPARK_CONNECT_CONFS = {"spark.driver.memory": os.environ.get("SEGDSL_SPARK_MEMORY", "4g"),
                       "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}

HOW = ("12. **Engines at size.** The data set loaded into PostgreSQL (COPY), MariaDB (LOAD DATA LOCAL INFILE, "
       "InnoDB), SQLite (one transaction of inserts), ClickHouse through chdb (MergeTree tables filled from the "
       "Parquet files) — kept between runs in schemas `segdsl_bench_<size>` ([`benchmarks/loaders.py`]"
       "(benchmarks/loaders.py)) — and Spark on the Parquet files, in local mode and through Spark Connect "
       "(a local Spark Connect server started by the case in UTC and stopped after it, "
       "[`benchmarks/spark_server.py`](benchmarks/spark_server.py), as production Spark is reached). "
       "The engine's own time runs segdsl's compiled query and an expert's hand-written query for each engine "
       "([`benchmarks/handsql_engines.py`](benchmarks/handsql_engines.py)) through the engine's own client with "
       "every row handed to it: psql `COPY (…) TO STDOUT`, the mariadb client with `--quick` (in the session "
       "`segdsl run` opens: UTC, temporary tables of up to 256 MiB in memory), Python's "
       "sqlite3, chdb's Arrow output, a Parquet write in one Spark session (local, or a Spark Connect session) "
       "([`benchmarks/engine_client.py`](benchmarks/engine_client.py)), interleaved after a warm-up round. "
       "`segdsl run shop.seg --target … --output members.parquet` is timed as a whole process (start-up, "
       "schema reading, compilation, the query, the Parquet file; for Spark local the start of its JVM too; "
       "through Spark Connect `--target sc://127.0.0.1:PORT`, a session of the running server), with its "
       "peak resident memory (for chdb the engine runs inside that process; Spark's JVM, local or the Spark "
       "Connect server, is a process of its own, not counted). The membership of segdsl's file and of the hand-written result is compared with "
       "DuckDB's for the same model. Run it with `--cases 12 --engines postgres,mysql,…,spark-connect`; servers come "
       "from SEGDSL_PG_URL and SEGDSL_MYSQL_URL.")


def sizes(all_sizes: list[int]) -> list[int]:
    return [n for n in all_sizes if n <= LARGEST] or [min(all_sizes)]


def run_size(bench, ds) -> None:
    """Every chosen engine at one size, one after the other (never two engines at once)."""
    for engine in bench.args.engines:
        bench.say(f"  {NAMES[engine]}")
        measure(bench, ds, engine)


def _forget(bench, engine: str, size: str, chosen: tuple[str, ...] = MEASURES) -> None:
    """Drop the figures of an engine at a size that the measures chosen now replace; the others (kept by
    --merge from an earlier run) stay, so that one measure can be run again alone."""
    name = NAMES[engine]

    def replaced(text: str) -> bool:
        """Whether a row's (or a verification's) measure is chosen now; "not available" is every measure's."""
        return text.endswith("not available") or (
            "second-stage" if second_stage.TAG in text else "shop") in chosen

    res = bench.res
    res.rows = [r for r in res.rows if not (r.case == CASE and r.size == size and r.measure.startswith(name + ":")
                                             and replaced(r.measure))]
    res.verified = {k: v for k, v in res.verified.items()
                    if not (k.startswith(f"12. {name} ") and k.endswith(f"({size})") and replaced(k))}
    for key, measure in (("engines", "shop"), (second_stage.KEY, "second-stage")):
        if measure in chosen:
            bench._ratios.setdefault(key, {}).pop(f"{engine} {size}", None)


def membership_columns(ir) -> list[tuple[str, str]]:
    """The membership columns of a model, each with how it is compared: flag, number or text."""
    from segdsl.semantic import model as m

    out = []
    for n in ir.order:
        if n in ir.segments:
            out.append((n, "flag"))
        elif n in ir.segmentations:
            d = ir.segmentations[n]
            out.append((n, "number" if d.type is m.T.NUMBER else "text"))
        elif n in ir.holdouts:
            out.append((n, "text"))
    return out


def normalised(relation: str, columns: list[tuple[str, str]]) -> str:
    """The membership of a result in one form whatever the engine's types (0/1 flags, DOUBLE tiers)."""
    parts = ['CAST("customer_id" AS BIGINT) AS customer_id']
    for name, kind in columns:
        col = f'"{name}"'
        if kind == "flag":
            parts.append(f"CAST(CAST({col} AS BOOLEAN) AS VARCHAR) AS {col}")
        elif kind == "number":
            parts.append(f"CAST(CAST({col} AS DOUBLE) AS VARCHAR) AS {col}")
        else:
            parts.append(f"CAST({col} AS VARCHAR) AS {col}")
    return f"(SELECT {', '.join(parts)} FROM {relation})"


def _compile(engine: str, loaded: loaders.Loaded, duck) -> str:
    """segdsl's query as `segdsl run --target` compiles it (with the engine's own column types)."""
    from .runner import AS_OF, compiled

    if engine in SPARKS:  # the views of the engine client are named like the tables
        return compiled(duck, models.SHOP, "spark")
    import segdsl
    from segdsl.engines import open_engine
    from segdsl.engines.execution import compile_for

    model = segdsl.load(models.SHOP)
    target = open_engine(loaded.url, root=model.root).bind(loaded.bindings)
    try:
        return compile_for(model, target, AS_OF, {}).sql
    finally:
        target.close()


def _reason(exc: BaseException) -> str:
    """The first line of an error, as the case reports an engine that is not available."""
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def measure(bench, ds, engine: str) -> None:
    """One engine at one size; for Spark Connect, a server started for it and stopped after, whatever
    happens (one that does not start is reported as not available, with the reason)."""
    if engine != "spark-connect":
        _measure(bench, ds, engine)
        return
    from . import spark_server
    from .measure import Row, size_label

    folder = bench.work / f"spark-connect-{ds.customers}"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        url, stop = spark_server.start(folder, SPARK_CONNECT_CONFS, master="local[*]")
    except Exception as exc:  # noqa: BLE001 - no pyspark, no Java, a server that did not start: reported
        size = size_label(ds.customers)
        _forget(bench, engine, size, bench.args.engine_measures)
        bench.res.add(Row(CASE, size, f"{NAMES[engine]}: not available", None, 0, _reason(exc)), bench.say)
        shutil.rmtree(folder, ignore_errors=True)
        return
    bench.say(f"    Spark Connect server started at {url}")
    try:
        _measure(bench, ds, engine, url)
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)
        bench.say(f"    Spark Connect server at {url} stopped")


def _measure(bench, ds, engine: str, url: str = "") -> None:
    """The measures chosen (--engine-measures) of one engine at one size, on the data set loaded once."""
    from .measure import Row, size_label
    from .runner import connect

    size = size_label(ds.customers)
    chosen = bench.args.engine_measures
    _forget(bench, engine, size, chosen)
    try:
        loaded = loaders.ensure(engine, ds, bench.data_root, say=bench.say, url=url)
    except Exception as exc:  # noqa: BLE001 - a server that is not there is reported, not fatal
        bench.res.add(Row(CASE, size, f"{NAMES[engine]}: not available", None, 0, _reason(exc)), bench.say)
        return
    work = bench.work / f"engine-{engine}-{ds.customers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    duck = connect(ds, bench.scratch())
    try:
        if "shop" in chosen:
            _shop(bench, ds, engine, loaded, work, duck)
        if "second-stage" in chosen:
            second_stage.measure(bench, ds, engine, loaded, work, duck)
    finally:
        duck.close()
        shutil.rmtree(work, ignore_errors=True)
    if loaded.seconds:
        bench.res.notes.append(f"Case 12: loading {size} customers into {NAMES[engine]} took {loaded.seconds:.0f} s.")


def model_file(engine: str, loaded: loaders.Loaded, work: Path, model: Path) -> Path:
    """The model as `segdsl run` reads it on the engine: Spark reads the Parquet files in place of tables."""
    if engine not in SPARKS:
        return model
    out = work / model.name
    out.write_text(loaders.spark_model(model.read_text(encoding="utf-8"), loaded.files), encoding="utf-8")
    return out


def run_command(loaded: loaders.Loaded, model: Path, out: Path,
                repeat: int) -> tuple[list[float], list[int], str | None]:
    """`segdsl run <model> --target … --output <out>` as a user runs it, `repeat` times as a whole process:
    the wall times, the peak resident memories, and the end of the error output of a run that failed."""
    from .measure import run_process
    from .runner import AS_OF, REPO

    args = [sys.executable, "-m", "segdsl.tools.cli", "run", str(model), "--target", loaded.url,
            *loaded.bind_args(), "--as-of", AS_OF.isoformat(), "--output", str(out)]
    env = {**os.environ, "COLUMNS": "120"}
    runs, peaks = [], []
    for _ in range(repeat):
        run = run_process(args, cwd=REPO, env=env)
        if run.returncode != 0 or not out.is_file():
            return runs, peaks, (run.stderr.strip() or run.stdout.strip())[-300:]
        runs.append(run.seconds)
        peaks.append(run.peak_rss or 0)
    return runs, peaks, None


def duckdb_reference(duck, model: Path) -> tuple[str, list[tuple[str, str]]]:
    """DuckDB's membership for the model on the Parquet files, in table m_duck (dropped by the caller),
    as the normalised relation each engine's result is compared with, and the model's membership columns."""
    import segdsl

    from .runner import compiled

    cols = membership_columns(segdsl.load(model).ir)
    duck.execute(f"CREATE OR REPLACE TEMP TABLE m_duck AS {compiled(duck, model)}")
    return normalised("m_duck", cols), cols


def parquet_membership(duck, reference: str, cols: list[tuple[str, str]], path: Path) -> Difference:
    """A Parquet result's membership compared with DuckDB's reference."""
    from .runner import _lit

    return compare(duck, reference, normalised(f"read_parquet({_lit(path)})", cols), "customer_id")


def _shop(bench, ds, engine: str, loaded: loaders.Loaded, work: Path, duck) -> None:
    """The shop model: segdsl's and the hand-written query through the engine's own client, and the command."""
    from .runner import AS_OF, REPO
    from .measure import Row, _fmt_bytes, median, run_process, size_label

    size = size_label(ds.customers)
    name = NAMES[engine]
    res = bench.res
    seg_sql = _compile(engine, loaded, duck)
    dialect = "spark" if engine in SPARKS else engine
    hand_sql = handsql_engines.shop_sql(dialect, AS_OF, {t: loaded.table(t) for t in loaders.TABLES})
    (work / "segdsl.sql").write_text(seg_sql, encoding="utf-8")
    (work / "hand.sql").write_text(hand_sql, encoding="utf-8")
    repeat = bench.args.repeat
    client_target = str(ds.path) if engine in SPARKS else loaded.url
    client_env = {**os.environ, "SEGDSL_SPARK_CONNECT_URL": loaded.url} if engine == "spark-connect" else None
    p = run_process([sys.executable, "-m", "benchmarks.engine_client", engine, client_target, str(repeat),
                     str(work), f"segdsl={work / 'segdsl.sql'}", f"hand={work / 'hand.sql'}"], cwd=REPO,
                    env=client_env)
    if p.returncode != 0:
        tail = [line for line in p.stderr.strip().splitlines() if line.strip()][-2:]
        res.add(Row(CASE, size, f"{name}: the engine's client failed", None, 0, " / ".join(tail)[-300:]),
                bench.say)
        return
    client = json.loads(p.stdout.strip().splitlines()[-1])
    out = work / "members.parquet"
    runs, peaks, failure = run_command(loaded, model_file(engine, loaded, work, models.SHOP), out, repeat)
    reference, cols = duckdb_reference(duck, models.SHOP)
    hand_diff = parquet_membership(duck, reference, cols, work / "hand.parquet")
    res.verified[f"12. {name} hand-written membership = DuckDB ({size})"] = hand_diff.equal
    seg_diff = None
    if failure is None:
        seg_diff = parquet_membership(duck, reference, cols, out)
        res.verified[f"12. {name} segdsl membership = DuckDB ({size})"] = seg_diff.equal
    duck.execute("DROP TABLE m_duck")

    t_sql, t_hand = median(client["seconds"]["segdsl"]), median(client["seconds"]["hand"])
    n = len(client["seconds"]["segdsl"])
    at_goal = ds.customers >= GOAL_SIZE
    sql_ratio = t_sql / t_hand
    res.add(Row(CASE, size, f"{name}: hand-written SQL, engine's own client", t_hand, n,
                f"{client['version']}; membership {hand_diff.describe()}"), bench.say)
    res.add(Row(CASE, size, f"{name}: segdsl's SQL, engine's own client", t_sql, n,
                f"{sql_ratio:.2f} × hand-written", f"≤ {GOAL_HAND} ×", sql_ratio <= GOAL_HAND), bench.say)
    entry = {"sql": t_sql, "hand": t_hand, "hand_equal": hand_diff.equal, "n": ds.customers}
    if failure is not None:
        res.add(Row(CASE, size, f"{name}: `segdsl run --target … --output members.parquet`", None, 0,
                    f"failed: {failure}", f"≤ {GOAL_COMMAND} × at 1 M", False), bench.say)
        entry.update(command=None, rss=None, equal=False)
    else:
        t_cmd, peak = median(runs), max(peaks) or None
        ratio = t_cmd / t_sql
        res.add(Row(CASE, size, f"{name}: `segdsl run --target … --output members.parquet`", t_cmd, len(runs),
                    f"{ratio:.2f} × the engine's query; membership {seg_diff.describe()}",
                    f"≤ {GOAL_COMMAND} × at 1 M" if at_goal else "",
                    (ratio <= GOAL_COMMAND and seg_diff.equal) if at_goal else None), bench.say)
        res.add(Row(CASE, size, f"{name}: peak RSS of the segdsl process", peak, len(runs),
                    "JVM not counted (a process of its own)" if engine == "spark" else
                    "the server's JVM not counted (a process of its own)" if engine == "spark-connect" else
                    ("the engine runs in this process" if engine == "clickhouse" else ""),
                    f"≤ {_fmt_bytes(GOAL_RSS)} at 1 M" if at_goal else "",
                    (peak is not None and peak <= GOAL_RSS) if at_goal else None, unit="bytes"), bench.say)
        entry.update(command=t_cmd, rss=peak, equal=seg_diff.equal)
    bench._ratios.setdefault("engines", {})[f"{engine} {size}"] = entry


def goals(ratios: dict) -> list[tuple[str, str, bool | None]]:
    """The goals of case 12, judged at 1 M with the smaller sizes shown."""
    from .measure import _fmt_bytes, size_label

    got = ratios.get("engines") or {}
    by_engine: dict[str, list[dict]] = {}
    for key, entry in got.items():
        by_engine.setdefault(key.split()[0], []).append(entry)

    def judged(fig, test, name):
        """Met only when every engine was measured at 1 M and each met it: a goal of every engine is
        not met by the engines that happened to run, and one engine over the goal fails it."""
        parts, ok, missing = [], True, []
        for engine in NAMES:
            entries = sorted(by_engine.get(engine, []), key=lambda e: e["n"])
            shown = [f"{size_label(e['n'])} {fig(e)}" for e in entries if fig(e) is not None]
            if shown:
                parts.append(f"{NAMES[engine]}: " + ", ".join(shown))
            at_goal = [e for e in entries if e["n"] >= GOAL_SIZE and fig(e) is not None]
            if at_goal:
                ok = ok and all(test(e) for e in at_goal)
            else:
                missing.append(NAMES[engine])
        figure = "; ".join(parts) or "not measured"
        if parts and missing:
            figure += f" (not measured at 1 M: {', '.join(missing)})"
        if not ok:
            return (name, figure, False)
        return (name, figure, None if missing else True)

    def cmd(e):
        return None if not e.get("command") else f"{e['command'] / e['sql']:.2f} ×"

    def hand(e):
        return f"{e['sql'] / e['hand']:.2f} ×"

    def rss(e):
        return None if not e.get("rss") else _fmt_bytes(e["rss"])

    out = [
        judged(cmd, lambda e: bool(e.get("command")) and e["command"] / e["sql"] <= GOAL_COMMAND,
               f"12a. `segdsl run --target … --output` ≤ {GOAL_COMMAND} × the engine's own query time at 1 M"),
        judged(hand, lambda e: e["sql"] / e["hand"] <= GOAL_HAND,
               f"12b. segdsl's SQL ≤ {GOAL_HAND} × an expert's hand-written SQL on the same engine"),
        judged(rss, lambda e: bool(e.get("rss")) and e["rss"] <= GOAL_RSS,
               f"12c. peak RSS of `segdsl run --target` ≤ {GOAL_RSS // MIB} MiB at 1 M, whatever the engine"),
    ]
    equal = [(k, e.get("equal"), e.get("hand_equal")) for k, e in got.items()]
    if equal:
        bad = [k for k, seg, hand in equal if not seg]
        figure = (f"{len(equal)} engine × size runs; " + ("all equal" if not bad else "different: " + ", ".join(bad)))
        out.append(("12d. same membership as DuckDB on every engine at every size", figure, not bad))
    else:
        out.append(("12d. same membership as DuckDB on every engine at every size", "not measured", None))
    return out + second_stage.goals(ratios)


def engine_list(text: str) -> list[str]:
    import argparse

    chosen = [e.strip().lower() for e in text.split(",") if e.strip()]
    aliases = {"mariadb": "mysql", "postgresql": "postgres", "chdb": "clickhouse", "pg": "postgres",
               "sparkconnect": "spark-connect", "sc": "spark-connect"}
    chosen = [aliases.get(e, e) for e in chosen]
    unknown = [e for e in chosen if e not in NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown engine {', '.join(unknown)}; engines: {', '.join(NAMES)}")
    return chosen


def measure_list(text: str) -> tuple[str, ...]:
    """--engine-measures: a slow engine's shop figures need not be measured again to add the other measure."""
    import argparse

    chosen = tuple(m for m in MEASURES if m in {t.strip().lower() for t in text.split(",")})
    unknown = {t.strip().lower() for t in text.split(",") if t.strip()} - set(MEASURES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown measure {', '.join(sorted(unknown)) or text!r}; "
                                         f"measures: {', '.join(MEASURES)}")
    return chosen


def default_engines() -> str:
    return ",".join(NAMES)
