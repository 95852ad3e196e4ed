"""Benchmark data: the demo generator's shop, cached by size, seed and rates.

A data set is generated once into ``<data>/customers=<n>-seed=<s>-orders=<o>-events=<e>/``
and reused by later runs; a ``COMPLETE`` marker is written last, so an
interrupted generation is redone instead of half-read.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ORDERS_PER_CUSTOMER = 20.0
EVENTS_PER_CUSTOMER = 20.0
SEED = 42


@dataclass(frozen=True)
class DataSet:
    customers: int
    path: Path
    seconds: float  # generation time in this run; 0.0 when it was reused

    def file(self, table: str) -> Path:
        return self.path / f"{table}.parquet"


def folder(root: Path, customers: int, seed: int = SEED, orders: float = ORDERS_PER_CUSTOMER,
           events: float = EVENTS_PER_CUSTOMER) -> Path:
    return Path(root) / f"customers={customers}-seed={seed}-orders={orders:g}-events={events:g}"


def ensure(root: Path, customers: int, seed: int = SEED, orders: float = ORDERS_PER_CUSTOMER,
           events: float = EVENTS_PER_CUSTOMER, say=print) -> DataSet:
    """The data set of this size, generated unless a complete copy is cached."""
    path = folder(root, customers, seed, orders, events)
    marker = path / "COMPLETE"
    if marker.is_file():
        return DataSet(customers, path, 0.0)
    if path.exists():
        shutil.rmtree(path)
    say(f"generating {customers:,} customers into {path} …")
    started = time.perf_counter()
    # In a process of its own: the generator's memory is returned to the machine when it ends.
    done = subprocess.run([sys.executable, "-m", "benchmarks.data", str(path), str(customers), str(seed),
                           repr(orders), repr(events)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"generating {customers:,} customers failed:\n{done.stderr[-2000:]}")
    seconds = time.perf_counter() - started
    marker.write_text(f"{seconds:.1f} s\n", encoding="utf-8")
    say(f"  generated in {seconds:.1f} s")
    return DataSet(customers, path, seconds)


if __name__ == "__main__":
    from segdsl.tools import demo

    out, n, seed_, orders_, events_ = sys.argv[1:6]
    demo.generate(Path(out), customers=int(n), seed=int(seed_), orders_per_customer=float(orders_),
                  events_per_customer=float(events_))
