"""Compile speed of a large generated model, in a process of its own (as `segdsl compile` runs).

    python -m benchmarks.compile_speed FEATURES SEGMENTS REPEAT

Prints JSON: the seconds of every parse-and-check and of every compilation
to DuckDB and Snowflake SQL. Imports and the grammar are paid once, before
the clock; each step starts after a garbage collection, so that the garbage
of one step is not counted in the next.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sys
import time

AS_OF = dt.date(2026, 6, 30)
DIALECTS = ("duckdb", "snowflake")


def main(argv: list[str]) -> int:
    features, segments, repeat = (int(a) for a in argv[:3])
    import segdsl

    from .models import compile_model

    text = compile_model(features, segments)
    segdsl.load(text).sql(dialect="duckdb", as_of=AS_OF)  # imports, the grammar: paid once per process
    loads: list[float] = []
    per: dict[str, list[float]] = {d: [] for d in DIALECTS}
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        model = segdsl.load(text)
        loads.append(time.perf_counter() - started)
        for dialect in DIALECTS:
            gc.collect()
            started = time.perf_counter()
            model.sql(dialect=dialect, as_of=AS_OF)
            per[dialect].append(time.perf_counter() - started)
    print(json.dumps({"load": loads, **per}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
