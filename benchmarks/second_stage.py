"""Case 12, second-stage aggregates: a model whose aggregates' conditions refer to other aggregates, at size.

`spend_after_first = sum(orders.amount where ordered_at > first_order)` can
only be computed once each member's first order is known: the engine joins
the events to the members' values of a first aggregate. An engine that plans
that join as a nested loop (members × events) is quadratic; MariaDB, without
a hash join by default, once took 310 s for 23 k customers. The model
(benchmarks/models/second_stage.seg, on shop.seg's sources) is run by
`segdsl run --target` on each engine of the case at each size, its membership
compared with DuckDB's, and its time set against the same engine's time for
the shop model and against PostgreSQL's for the same model.
"""

from __future__ import annotations

from pathlib import Path

from . import engines_case, loaders, models

TAG = "second-stage"      # in the measure of every row and verification of this measure
KEY = "second_stage"      # its entries in the benchmark's ratios: {"<engine> <size>": {...}}
GOAL_ORDER = 10.0         # "the same order of time": at most ten times PostgreSQL's time for the same model
GOAL_ENGINE = "mysql"     # the engine the goal is about: the one that once planned it as a nested loop
BASE = "postgres"         # what it is set against

# a paragraph of its own under case 12 of the list of how each case is measured
HOW = ("    **Second-stage aggregates (goal 12e).** "
       "[`benchmarks/models/second_stage.seg`](benchmarks/models/second_stage.seg) has shop.seg's sources and "
       "aggregates whose conditions refer to other aggregates (spend and orders after the member's first order, "
       "web visits since the last one) with segments on them. On each engine of case 12 "
       "and at each size, `segdsl run second_stage.seg --target … --output members.parquet` (the arguments of the "
       "shop model's run) is timed as a whole process and its membership compared with DuckDB's. Shown: its time, "
       "its ratio to the same engine's shop-model command and to PostgreSQL's time for the same model. The goal: "
       f"at 1 M, MariaDB's time for this model is at most {GOAL_ORDER:g} × PostgreSQL's (the same order of "
       "magnitude) and its membership equals DuckDB's. The engines' own difference is shown by the shop model's "
       "hand-written query on each (rows above); a plan that compares every member with every event, or "
       "temporary tables of a million members on disk, is slower than PostgreSQL by more than ten times. "
       "`--engine-measures second-stage` runs this measure alone; with `--merge` the shop figures it is set "
       "against are those of the run that measured them.")


def measure(bench, ds, engine: str, loaded: loaders.Loaded, work: Path, duck) -> None:
    """The second-stage model on one engine at one size; `duck` holds the data set's Parquet files as views."""
    from .measure import Row, median, size_label

    size = size_label(ds.customers)
    name = engines_case.NAMES[engine]
    label = f"{name}: {TAG} model, `segdsl run --target … --output members.parquet`"
    out = work / "second-stage.parquet"
    model = engines_case.model_file(engine, loaded, work, models.SECOND_STAGE)
    runs, _, failure = engines_case.run_command(loaded, model, out, bench.args.repeat)
    ratios = bench._ratios.setdefault(KEY, {})
    at_goal = engine == GOAL_ENGINE and ds.customers >= engines_case.GOAL_SIZE
    goal = f"≤ {GOAL_ORDER:g} × PostgreSQL's at 1 M" if at_goal else ""
    if failure is not None:
        bench.res.verified[f"12. {name} {TAG} membership = DuckDB ({size})"] = False
        bench.res.add(Row(engines_case.CASE, size, label, None, 0, f"failed: {failure}", goal,
                          False if at_goal else None), bench.say)
        ratios[f"{engine} {size}"] = {"n": ds.customers, "command": None, "equal": False}
        return
    reference, cols = engines_case.duckdb_reference(duck, models.SECOND_STAGE)
    diff = engines_case.parquet_membership(duck, reference, cols, out)
    duck.execute("DROP TABLE m_duck")
    bench.res.verified[f"12. {name} {TAG} membership = DuckDB ({size})"] = diff.equal
    t = median(runs)
    entry = {"n": ds.customers, "command": t, "equal": diff.equal}
    ratios[f"{engine} {size}"] = entry
    shop = _shop_command(bench._ratios, engine, size)
    parts = [f"{t / shop:.2f} × the shop model's command" if shop else "shop model not measured"]
    base = ratios.get(f"{BASE} {size}", {}).get("command")
    if engine != BASE:
        parts.append(f"{t / base:.2f} × PostgreSQL's" if base else "PostgreSQL not measured")
    parts.append(f"membership {diff.describe()}")
    met = None
    if at_goal:
        met = bool(base) and t / base <= GOAL_ORDER and diff.equal
    bench.res.add(Row(engines_case.CASE, size, label, t, len(runs), "; ".join(parts), goal, met), bench.say)


def _shop_command(ratios: dict, engine: str, size: str) -> float | None:
    """The same engine's `segdsl run` time for the shop model at the size (this run's, or one kept by --merge)."""
    return (ratios.get("engines", {}).get(f"{engine} {size}") or {}).get("command")


def goals(ratios: dict) -> list[tuple[str, str, bool | None]]:
    """Goal 12e, judged at 1 M: MariaDB's time for the second-stage model against PostgreSQL's, at every
    size measured, with each engine's ratio to its own shop-model command."""
    from .measure import size_label

    name = (f"12e. a model with second-stage aggregates on MariaDB at 1 M in the same order of time as "
            f"PostgreSQL (≤ {GOAL_ORDER:g} ×)")
    got = ratios.get(KEY) or {}
    by_size: dict[int, dict[str, dict]] = {}
    for key, entry in got.items():
        by_size.setdefault(entry["n"], {})[key.split()[0]] = entry
    parts, met = [], None
    for n, engines in sorted(by_size.items()):
        size = size_label(n)
        shown = []
        for engine in engines_case.NAMES:
            e = engines.get(engine)
            if e is None:
                continue
            if not e.get("command"):
                shown.append(f"{engines_case.NAMES[engine]} failed")
                continue
            shop = _shop_command(ratios, engine, size)
            shown.append(f"{engines_case.NAMES[engine]} {e['command']:.1f} s"
                         + (f" ({e['command'] / shop:.2f} × its shop model)" if shop else "")
                         + ("" if e["equal"] else " (membership DIFFERENT)"))
        base, other = engines.get(BASE, {}).get("command"), engines.get(GOAL_ENGINE, {}).get("command")
        ratio = f"; MariaDB / PostgreSQL {other / base:.2f} ×" if base and other else ""
        parts.append(f"{size}: " + ", ".join(shown) + ratio)
        if n >= engines_case.GOAL_SIZE and GOAL_ENGINE in engines and BASE in engines:
            equal = engines[GOAL_ENGINE]["equal"] and engines[BASE]["equal"]
            ok = bool(base and other) and other / base <= GOAL_ORDER and equal
            met = ok if met is None else met and ok
    figure = "; ".join(parts) or "not measured"
    if parts and met is None:
        figure += " (MariaDB and PostgreSQL not both measured at 1 M)"
    return [(name, figure, met)]
