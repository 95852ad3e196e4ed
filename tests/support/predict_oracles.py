"""The lifetimes oracle files of tests/oracles (written by make_lifetimes_oracles.py), as arrays."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from tests.support.paths import TESTS

ORACLES = TESTS / "oracles"
DATASETS = ("cdnow", "gen_a", "gen_b", "gen_c", "gen_d")
HORIZONS = (1.0, 39.0, 52.0, 104.0)
CLV = ((12, 0.01), (6, 0.0), (3, 0.1))  # (months, monthly discount rate); a month is 4.345 weeks
WEEKS_PER_MONTH = 4.345


@dataclass(frozen=True)
class Params:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class Spend:
    p: float
    q: float
    v: float


@dataclass(frozen=True)
class Dataset:
    name: str
    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    m: np.ndarray  # mean repeat value (0 where x = 0, as lifetimes' data has it)
    params: Params  # the parameters lifetimes' predictions were computed at
    spend: Spend
    predictions: dict[str, np.ndarray]  # lifetimes' values, by column of lifetimes_predictions.csv
    fit: dict  # lifetimes' own fit of the data set, or {"error": …}


@lru_cache(maxsize=None)
def fits() -> dict:
    return json.loads((ORACLES / "lifetimes_fits.json").read_text())


@lru_cache(maxsize=None)
def dataset(name: str) -> Dataset:
    """One data set with lifetimes' predictions for each of its customers."""
    path = ORACLES / ("cdnow_summary.csv" if name == "cdnow" else "generated_summary.csv")
    rows = {r["id"]: r for r in csv.DictReader(path.open()) if name == "cdnow" or r["dataset"] == name}
    preds = [r for r in csv.DictReader((ORACLES / "lifetimes_predictions.csv").open()) if r["dataset"] == name]
    summary = [rows[p["id"]] for p in preds]
    columns = [c for c in preds[0] if c not in ("dataset", "id")]
    meta = fits()["parameters"][name]
    return Dataset(
        name=name,
        x=np.array([float(s["x"]) for s in summary]),
        tx=np.array([float(s["t_x"]) for s in summary]),
        T=np.array([float(s["T"]) for s in summary]),
        m=np.array([float(s["zbar"]) for s in summary]),
        params=Params(meta["r"], meta["alpha"], meta["a"], meta["b"]),
        spend=Spend(meta["p"], meta["q"], meta["v"]),
        predictions={c: np.array([float(p[c]) for p in preds]) for c in columns},
        fit=fits()[name],
    )


def relative_error(got: np.ndarray, want: np.ndarray, floor: float = 1e-300) -> np.ndarray:
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    return np.abs(got - want) / np.maximum(np.abs(want), floor)
