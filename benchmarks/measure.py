"""What the benchmark measures with: result rows, interleaved timing, and processes watched for memory.

Kept apart from the cases so that every case module (engines, polars,
traits, the language server) times and reports alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

GIB = 1024 ** 3


# ── results ─────────────────────────────────────────────────────────────────


@dataclass
class Row:
    case: str
    size: str
    measure: str
    median: float | None  # seconds (or bytes for memory rows, see unit)
    runs: int
    figure: str = ""
    goal: str = ""
    met: bool | None = None  # None: no goal, or not measured
    unit: str = "s"
    when: str = ""  # when it was measured (rows kept by --merge are older)


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[tuple[str, str, bool | None]] = field(default_factory=list)  # goal, figure, met
    verified: dict[str, bool] = field(default_factory=dict)  # check -> equal

    def add(self, row: Row, echo=print) -> None:
        self.rows.append(row)
        echo(_format_row(row))


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"


def _fmt_bytes(b: float | None) -> str:
    return "—" if b is None else f"{b / GIB:.2f} GiB"


def _fmt_value(row: Row) -> str:
    return _fmt_bytes(row.median) if row.unit == "bytes" else _fmt_seconds(row.median)


def _met(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "—"}[met]


def _format_row(row: Row) -> str:
    return f"  {row.case:<28} {row.size:>6}  {row.measure:<44} {_fmt_value(row):>10}  {row.figure}"


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000} k"
    return f"{n:,}"


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    number = t[:-1] if mult > 1 else t
    value = int(float(number) * mult)
    if value < 100:
        raise argparse.ArgumentTypeError(f"a size must be at least 100 customers, not {text!r}")
    return value


# ── timing helpers ──────────────────────────────────────────────────────────


def interleaved(variants: dict, repeat: int, warmup: bool = True, after=None) -> dict:
    """Run every variant `repeat` times, interleaved; one untimed warm-up round first.

    `after(name, last)` runs untimed after each run: it drops results that are
    not needed any more (ten million rows of a hundred columns are gigabytes).
    """
    times: dict = {name: [] for name in variants}
    if warmup:
        for name, fn in variants.items():
            fn()
            if after:
                after(name, False)
    for i in range(repeat):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
            if after:
                after(name, i == repeat - 1)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def cpu_probe() -> float:
    """Seconds of a fixed pure-Python loop: how fast this machine's CPU is at the moment (shared machines vary)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(2_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def _rss_of(pid: int) -> int | None:
    """Resident memory of a live process in bytes (Linux /proc; psutil elsewhere when installed)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:  # noqa: BLE001 - no way to watch the process
        return None


def _high_water_of(pid: int) -> int | None:
    """Peak resident memory of a live process so far (Linux VmHWM), in bytes.

    This is the process's own: the ru_maxrss that wait4 reports for a child
    also counts the parent's resident memory at the fork (Linux carries the
    old address space's peak across exec), so after this benchmark has held
    ten million members itself, every child would seem to need as much.
    """
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@dataclass
class Process:
    returncode: int
    seconds: float
    peak_rss: int | None  # bytes: the OS's high-water mark of the process (VmHWM, else wait4's ru_maxrss)
    stdout: str
    stderr: str
    stopped: bool  # killed for going over the memory cap


def run_process(args: list[str], cap: int | None = None, cwd: Path | None = None, env=None) -> Process:
    """Run a program, watch its memory, and report its peak resident memory as the OS accounts it."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=cwd, env=env)
    stopped = False
    rusage = None
    high_water = None
    while True:
        hwm = _high_water_of(proc.pid)  # read before the exit status: after it the process is gone
        if hwm is not None:
            high_water = max(high_water or 0, hwm)
        if hasattr(os, "wait4"):
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            done = pid != 0
        else:  # pragma: no cover - not POSIX
            done = proc.poll() is not None
            status = proc.returncode
        if done:
            break
        if cap is not None:
            rss = _rss_of(proc.pid)
            if rss is not None and rss > cap:
                proc.kill()
                stopped = True
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if hasattr(os, "wait4"):
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        peak = high_water or (rusage.ru_maxrss * scale if rusage is not None else None)
    else:  # pragma: no cover
        code, peak = proc.returncode, None
    out.seek(0)
    err.seek(0)
    return Process(code, seconds, peak, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"), stopped)
