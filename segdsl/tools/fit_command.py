"""`segdsl fit`: fit a model's predictions on its data and store the parameters in MODEL.seg.lock.

The engine computes and groups each prediction's summary; the fit runs on
the grouped rows; the lock file is replaced only when every prediction
fitted, so a failure leaves the stored parameters as they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lang.diagnostics import Diagnostic, error
from ..predict.lock import StoredFit, lock_path, read_lock, write_lock
from ..engines.predictions import Summary, excluded_note, fit_predictions


@dataclass
class FitOutcome:
    path: Path
    fits: dict[str, StoredFit]
    summaries: dict[str, Summary]
    notes: list[Diagnostic]
    seconds: float


def fit_model(model: Any, engine: Any, as_of: dt.date, params: dict[str, object] | None = None,
              names: list[str] | None = None, write: bool = True) -> FitOutcome:
    """Fit the model's predictions (all, or `names`) on the engine; write the lock file unless told not to."""
    import time

    from ..engines.execution import read_schemas

    started = time.perf_counter()
    if model.program.main == "<text>":
        raise error("SEG334", "a model given as text has no place for a lock file", None,
                    "save the model to a .seg file and fit that")
    ir = model.with_schemas(read_schemas(engine, model.ir)).ir
    if not ir.predictions:
        raise error("SEG330", f"{model.program.main} has no prediction to fit", None,
                    "define one, for example: prediction clv = btyd(orders, value: orders.amount)")
    for n in names or []:
        if n not in ir.predictions:
            from ..lang.diagnostics import did_you_mean

            raise error("SEG330", f"the model has no prediction `{n}`", None,
                        did_you_mean(n, list(ir.predictions)) or f"predictions: {', '.join(ir.predictions)}")
    fits, summaries = fit_predictions(ir, engine, as_of, model.resolve_params(params), names)
    path = lock_path(model.program.main)
    notes = [Diagnostic("SEG125", text, ir.predictions[n].span, "fix or exclude them in the data", "warning")
             for n, f in fits.items() if (text := excluded_note(f))]
    if write:
        stored = read_lock(path)
        stored.update(fits)
        write_lock(path, stored)
    return FitOutcome(path, fits, summaries, notes, time.perf_counter() - started)


def render(outcome: FitOutcome) -> list[str]:
    """The parameters, log-likelihoods and sample sizes, one block per prediction."""
    lines = []
    for name, f in outcome.fits.items():
        b, g, s = f.bgnbd, f.gamma_gamma, outcome.summaries[name]
        lines.append(f"{name}: fitted as of {f.as_of.isoformat()} on {b.customers:,} customers "
                     f"({b.repeat_customers:,} with repeat purchases; {len(s.x):,} summary rows)")
        lines.append(f"  BG/NBD       r = {b.r:.6g}  α = {b.alpha:.6g}  a = {b.a:.6g}  b = {b.b:.6g}  "
                     f"log-likelihood {b.log_likelihood:,.4f}  ({b.iterations} iterations)")
        if g is not None:
            lines.append(f"  Gamma-Gamma  p = {g.p:.6g}  q = {g.q:.6g}  v = {g.v:.6g}  "
                         f"log-likelihood {g.log_likelihood:,.4f}  ({g.customers:,} repeat customers"
                         + (f", {g.excluded:,} left out" if g.excluded else "") + ")")
        lines.append(f"  data {f.data}" + (f"  events {f.events}" if f.events else ""))
    return lines
