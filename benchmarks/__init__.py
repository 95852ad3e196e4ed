"""segdsl's benchmark: generated SQL against hand-written SQL and pandas, the cost of
more segments, the physical floor, compile speed, memory and Spark.

    python -m benchmarks [--sizes 100k,1m,10m] [--repeat N] [--quick]

It writes its table to BENCHMARKS.md; see benchmarks/runner.py for the cases.
"""
