"""A model with predictions on the six verified engines: the CDNOW summary and scores as DuckDB gives them.

The model reads the CDNOW transactions (tests/oracles/cdnow_sample.txt) with lifetimes' parameters in
its lock file; every engine computes the summary and the four predictions in SQL, and each value must
equal lifetimes' (1e-6 relative, as on DuckDB in test_predict_cdnow) and the summary exactly; and
`segdsl fit` on each engine, from that engine's grouped summary, finds lifetimes' parameters and the
fingerprint of the events computed here by hand, so that a lock file fitted on one engine is not stale on
another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import segdsl
from segdsl.predict.fit import BGNBDFit, GammaGammaFit
from segdsl.tools.fit_command import fit_model
from segdsl.predict.lock import StoredFit, definition_fingerprint, lock_path, write_lock
from tests.predict.test_predict_cdnow import AS_OF, ORACLES, oracle
from tests.support.conformance.data import Table
from tests.support.engines import VERIFIED_ENGINES


def events_fingerprint_by_hand(orders: Table, as_of: dt.date) -> str:
    """segdsl.engines.predictions.events_fingerprint of (id, date, amount) rows: the count, the first and
    last day and the sum of the days before as_of, and the exact sum of the amounts as the nearest double."""
    kept = [(day, amount) for _, day, amount in orders.rows if day <= as_of]
    days = [(as_of - day).days for day, _ in kept]
    total = float(sum(Fraction(Decimal(repr(amount))) for _, amount in kept))
    text = "|".join(repr(float(v)) for v in (len(kept), min(days), max(days), sum(days), total))
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def _tables() -> tuple[Table, Table]:
    tag = uuid.uuid4().hex[:6]
    rows = []
    for line in (ORACLES / "cdnow_sample.txt").read_text().splitlines():
        _, cid, day, _, amount = line.split()
        rows.append((int(cid), dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), float(amount)))
    orders = Table(f"predict_cdnow_orders_{tag}", (("id", "int"), ("ordered_at", "date"), ("amount", "float")),
                   tuple(rows))
    customers = Table(f"predict_cdnow_customers_{tag}", (("id", "int"),), tuple((k,) for k in sorted({r[0] for r in rows})))
    return customers, orders


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_cdnow_predictions_on_every_engine(engine_name: str, engine, tmp_path) -> None:
    customers, orders = _tables()
    engine.add(customers)
    engine.add(orders)
    path = tmp_path / "cdnow.seg"
    path.write_text(f'entity customers from "{customers.name}" key id\n'
                    f'events orders from "{orders.name}" by id at ordered_at\n'
                    "prediction p39 = btyd(orders, value: orders.amount, horizon: 39 weeks, unit: 1 week)\n"
                    "segment likely = p39.alive > 0.5 and p39.purchases >= 1\n")
    lt = json.loads((ORACLES / "lifetimes_cdnow_transactions_fit.json").read_text())
    bg = BGNBDFit(**lt["bgnbd"], log_likelihood=0.0, customers=2357, repeat_customers=946, rows=0, iterations=0,
                  evaluations=0, converged=True, message="lifetimes")
    gg = GammaGammaFit(**lt["gamma_gamma"], log_likelihood=0.0, customers=946, excluded=0, rows=0, iterations=0,
                       evaluations=0, converged=True, message="lifetimes")
    model = segdsl.load(path)
    write_lock(lock_path(path), {"p39": StoredFit("p39", AS_OF, definition_fingerprint(model.ir.predictions["p39"]),
                                                  "lifetimes", bg, gg)})
    target = engine.target()
    try:
        got = segdsl.load(path).run_on(target, as_of=AS_OF, bindings=engine.bindings).read_all().to_pylist()
        # `segdsl fit` on this engine: its grouped summary gives lifetimes' optimum
        fitted = fit_model(segdsl.load(path), target, AS_OF, write=False).fits["p39"]
    finally:
        target.close()
    for k in ("r", "alpha", "a", "b"):
        assert getattr(fitted.bgnbd, k) == pytest.approx(lt["bgnbd"][k], rel=1e-4), (engine_name, k)
    for k in ("p", "q", "v"):
        assert getattr(fitted.gamma_gamma, k) == pytest.approx(lt["gamma_gamma"][k], rel=1e-4), (engine_name, k)
    assert (fitted.bgnbd.customers, fitted.bgnbd.repeat_customers) == (2357, 946), engine_name
    assert fitted.events == events_fingerprint_by_hand(orders, AS_OF), engine_name
    members = {r["id"]: r for r in got}
    want = oracle()
    assert set(members) == set(want), engine_name
    keys = sorted(want)
    assert [members[k]["p39_frequency"] for k in keys] == [want[k]["frequency"] for k in keys], engine_name
    np.testing.assert_allclose([members[k]["p39_recency"] / 7 for k in keys], [want[k]["recency"] for k in keys],
                               rtol=1e-12, err_msg=engine_name)
    for ours, theirs in (("p39_alive", "p_alive"), ("p39_purchases", "purchases_39"), ("p39_spend", "spend")):
        np.testing.assert_allclose([members[k][ours] for k in keys], [want[k][theirs] for k in keys], rtol=1e-6,
                                   atol=0, err_msg=f"{engine_name} {ours}")
    for k in keys:
        r = members[k]
        assert r["likely"] == (r["p39_alive"] > 0.5 and r["p39_purchases"] >= 1), (engine_name, k)
