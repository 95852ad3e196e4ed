"""Run a compiled model on Spark in local mode (the scale-out path).

    python -m benchmarks.spark_shop DATA_DIR QUERY.sql OUT_DIR [REPEAT]

The Parquet files of the data set become temporary views named like the
model's tables; the session time zone is UTC and the warehouse a temporary
folder. Each run writes the members to OUT_DIR as Parquet; the seconds of
every run are printed as JSON (the first run includes the JVM's warm-up).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("customers", "orders", "web_events")


def main(argv: list[str]) -> int:
    data, query_file, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    repeat = int(argv[3]) if len(argv) > 3 else 1
    sql = query_file.read_text(encoding="utf-8")
    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="segdsl-spark-")
    started = time.perf_counter()
    spark = (SparkSession.builder.master("local[*]").appName("segdsl-bench")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.driver.memory", os.environ.get("SEGDSL_SPARK_MEMORY", "6g"))
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", str(max(2 * (os.cpu_count() or 2), 8)))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    try:
        for table in TABLES:
            spark.read.parquet(str(data / f"{table}.parquet")).createOrReplaceTempView(table)
        seconds = []
        for _ in range(repeat):
            t = time.perf_counter()
            spark.sql(sql).write.mode("overwrite").parquet(str(out))
            seconds.append(time.perf_counter() - t)
        print(json.dumps({"seconds": seconds, "startup": startup, "version": spark.version}))
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
