"""CDNOW end to end: the transactions lifetimes ships, a model with predictions, the published numbers.

tests/oracles/cdnow_sample.txt is lifetimes' datasets/CDNOW_sample.txt (the
1/10th sample of CDNOW: 2,357 customers who first bought in the first
quarter of 1997; columns master id, sample id, date, CDs, dollars).
tests/oracles/lifetimes_cdnow_transactions.csv holds lifetimes 0.11.3's
fits and predictions on the summary of its calibration period (up to
1997-09-30, weeks as days / 7), written by make_cdnow_transactions_oracle.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.predict.fit import BGNBDFit, GammaGammaFit
from segdsl.predict.lock import StoredFit, definition_fingerprint, lock_path, write_lock
from segdsl.tools.cli import app
from tests.support.paths import TESTS

ORACLES = TESTS / "oracles"
AS_OF = dt.date(1997, 9, 30)
MODEL = """
entity customers from "customers" key id
events orders from "orders" by id at ordered_at

prediction p39 = btyd(orders, value: orders.amount, horizon: 39 weeks, unit: 1 week)
prediction v12 = btyd(orders, value: orders.amount, horizon: 12 months, unit: 1 week, discount: 1%)
"""


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cdnow")
    rows = []
    for line in (ORACLES / "cdnow_sample.txt").read_text().splitlines():
        _, cid, day, _, amount = line.split()
        rows.append((int(cid), dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), float(amount)))
    db = folder / "cdnow.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders (id INTEGER, ordered_at DATE, amount DOUBLE)")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)
    con.execute("CREATE TABLE customers AS SELECT DISTINCT id FROM orders")
    con.close()
    return db


def oracle() -> dict[int, dict[str, float]]:
    with (ORACLES / "lifetimes_cdnow_transactions.csv").open() as f:
        return {int(r["id"]): {k: float(v) for k, v in r.items() if k != "id"} for r in csv.DictReader(f)}


def test_the_fit_is_the_published_one(cdnow: Path, tmp_path: Path) -> None:
    """Fader, Hardie & Lee: r = 0.243, α = 4.414, a = 0.793, b = 2.426; p = 6.25, q = 3.74, v = 15.44 —
    fitted from the transactions, the summary computed by DuckDB."""
    path = tmp_path / "cdnow.seg"
    path.write_text(MODEL)
    result = CliRunner().invoke(app, ["fit", str(path), "--db", str(cdnow), "--as-of", AS_OF.isoformat(),
                                      "--prediction", "p39"])
    assert result.exit_code == 0, result.output
    assert "p39: fitted as of 1997-09-30 on 2,357 customers (946 with repeat purchases;" in result.output
    stored = json.loads(lock_path(path).read_text())["predictions"]["p39"]
    b, g = stored["bgnbd"], stored["gamma_gamma"]
    assert (round(b["r"], 3), round(b["alpha"], 3), round(b["a"], 3), round(b["b"], 3)) == (0.243, 4.414, 0.793, 2.426)
    assert (round(g["p"], 2), round(g["q"], 2), round(g["v"], 2)) == (6.25, 3.74, 15.44)
    assert round(b["log_likelihood"], 1) == -9582.4
    lt = json.loads((ORACLES / "lifetimes_cdnow_transactions_fit.json").read_text())
    for k in ("r", "alpha", "a", "b"):
        assert b[k] == pytest.approx(lt["bgnbd"][k], rel=1e-4), k
    for k in ("p", "q", "v"):
        assert g[k] == pytest.approx(lt["gamma_gamma"][k], rel=1e-3), k


def test_every_prediction_equals_lifetimes(cdnow: Path, tmp_path: Path) -> None:
    """At lifetimes' own parameters (stored in the lock file), every customer's summary and four predictions
    equal lifetimes' to 1e-6 relative; customer 1 has the published 1.2259 purchases and P(alive) 0.7266."""
    path = tmp_path / "cdnow.seg"
    path.write_text(MODEL)
    lt = json.loads((ORACLES / "lifetimes_cdnow_transactions_fit.json").read_text())
    model = segdsl.load(path)
    bg = BGNBDFit(**lt["bgnbd"], log_likelihood=0.0, customers=2357, repeat_customers=946, rows=0, iterations=0,
                  evaluations=0, converged=True, message="lifetimes")
    gg = GammaGammaFit(**lt["gamma_gamma"], log_likelihood=0.0, customers=946, excluded=0, rows=0, iterations=0,
                       evaluations=0, converged=True, message="lifetimes")
    write_lock(lock_path(path), {n: StoredFit(n, AS_OF, definition_fingerprint(p), "lifetimes", bg, gg)
                                 for n, p in model.ir.predictions.items()})
    con = duckdb.connect(str(cdnow), read_only=True)
    rel = segdsl.load(path).run(as_of=AS_OF, connection=con)
    got = {r[0]: dict(zip(rel.columns, r)) for r in rel.fetchall()}
    con.close()
    want = oracle()
    assert set(got) == set(want)
    columns = {"p39_frequency": "frequency", "p39_alive": "p_alive", "p39_purchases": "purchases_39",
               "p39_spend": "spend", "v12_value": "value_12"}
    for ours, theirs in columns.items():
        a = np.array([got[k][ours] for k in sorted(want)], dtype=float)
        b = np.array([want[k][theirs] for k in sorted(want)])
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0, err_msg=ours)
    np.testing.assert_allclose([got[k]["p39_recency"] / 7 for k in sorted(want)],
                               [want[k]["recency"] for k in sorted(want)], rtol=1e-12)
    np.testing.assert_allclose([got[k]["p39_age"] / 7 for k in sorted(want)], [want[k]["T"] for k in sorted(want)],
                               rtol=1e-12)
    one = got[1]
    assert (one["p39_frequency"], round(one["p39_recency"] / 7, 2), round(one["p39_age"] / 7, 2)) == (2, 30.43, 38.86)
    assert round(one["p39_purchases"], 3) == 1.226 and round(one["p39_alive"], 4) == 0.7266
