"""Fitting a model's predictions on the engine that holds the data.

The engine computes each member's summary (the prediction's features) and
groups it: BG/NBD by (x, tₓ, T) with a count, Gamma-Gamma by (x, m) over
the repeat customers. Only those grouped rows reach Python, as Arrow columns
turned into numpy arrays — never a member as a Python object. The
fingerprint of the data is a hash of the grouped summary, so a fit can tell
whether the data it was made from has changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot import exp

from ..lang.diagnostics import Diagnostic, SegError, error
from ..predict.fit import BGNBDFit, FitError, GammaGammaFit, fit_bgnbd, fit_gamma_gamma
from ..predict.lock import StoredFit, definition_fingerprint
from ..semantic import model as m
from ..semantic.model import T
from ..sql.compile import membership, to_sql
from ..sql.options import Options, OutputColumn

FIT_CODES = {"too_few": "SEG332", "not_converged": "SEG333", "bad_input": "SEG335", "improper": "SEG335"}


@dataclass(frozen=True)
class Summary:
    """The grouped summary of one prediction, as the engine computed it (days, not units)."""

    x: np.ndarray
    tx: np.ndarray  # days
    T: np.ndarray  # days
    n: np.ndarray
    gx: np.ndarray  # Gamma-Gamma rows: x > 0
    gm: np.ndarray
    gn: np.ndarray

    def fingerprint(self) -> str:
        """A hash of the grouped rows in a fixed order (the engine's GROUP BY has none); the mean values
        rounded to 9 significant digits, which every engine's double arithmetic agrees on."""
        h = hashlib.sha256()
        order = np.lexsort((self.T, self.tx, self.x))
        for a in (self.x, self.tx, self.T, self.n):
            h.update(np.ascontiguousarray(a[order], dtype=np.float64).tobytes())
        gm = _round_significant(self.gm)
        order = np.lexsort((gm, self.gx))
        for a in (self.gx, gm, self.gn):
            h.update(np.ascontiguousarray(a[order], dtype=np.float64).tobytes())
        return "sha256:" + h.hexdigest()[:32]

    @property
    def customers(self) -> int:
        return int(self.n.sum())


def _round_significant(v: np.ndarray, digits: int = 9) -> np.ndarray:
    v = np.where(np.isfinite(v), v, 0.0)
    scale = np.where(v != 0, 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(np.where(v != 0, v, 1.0))))), 1.0)
    return np.round(v * scale) / scale


def _stream(engine: Any, query: exp.Expression, names: list[str]) -> dict[str, np.ndarray]:
    sql = to_sql(query, engine.dialect, pretty=False)
    table = engine.stream(sql, [OutputColumn(n, T.NUMBER) for n in names]).read_all()
    return {n: table.column(n).to_numpy(zero_copy_only=False).astype(float) for n in names}


def summary(ir: m.CheckedModel, p: m.Prediction, engine: Any, as_of: dt.date | None,
            params: dict[str, object]) -> Summary:
    """The grouped summary of prediction `p`, computed by the engine."""
    cols = dict(p.features)
    outputs = [cols["age"], cols["recency"], cols["frequency"]] + ([cols["monetary"]] if "monetary" in cols else [])
    opts = Options(engine.dialect, as_of, params, source=engine.source)
    inner = exp.Subquery(this=membership(ir, opts, outputs), alias=exp.TableAlias(this=exp.to_identifier("s")))

    def c(name: str) -> exp.Expression:
        return exp.column(name, table="s", quoted=True)

    double = exp.DataType.build("DOUBLE")
    x, tx, T_ = (exp.cast(c(cols[k]), double) for k in ("frequency", "recency", "age"))
    known = exp.Not(this=exp.Is(this=c(cols["age"]), expression=exp.Null()))
    if "monetary" not in cols:
        grouped = exp.select(x.as_("x"), tx.as_("tx"), T_.as_("t"), exp.Count(this=exp.Star()).as_("n")).from_(
            inner).where(known).group_by(x, tx, T_)
        rows = _stream(engine, grouped, ["x", "tx", "t", "n"])
        gx = gm = gn = np.zeros(0)
    else:
        # Both groupings in one pass over the members (the members' features are the costly part): every
        # member twice, as a BG/NBD row (k = 0) and as a Gamma-Gamma row (k = 1), grouped once by k and the
        # columns of its model — a two-row table joined, which every engine plans alike, where a CTE read
        # twice is computed twice by some.
        kinds = exp.union(exp.select(exp.Literal.number(0).as_("k")), exp.select(exp.Literal.number(1).as_("k")),
                          distinct=False).subquery("k_")
        k = exp.column("k", table="k_")

        def when(kind: int, value: exp.Expression) -> exp.Expression:
            return exp.Case(ifs=[exp.If(this=exp.EQ(this=k.copy(), expression=exp.Literal.number(kind)),
                                        true=value)])

        mv = exp.cast(c(cols["monetary"]), double)
        keys = [k.copy(), x, when(0, tx), when(0, T_), when(1, mv)]
        scope = exp.or_(exp.and_(exp.EQ(this=k.copy(), expression=exp.Literal.number(0)), known),
                        exp.and_(exp.EQ(this=k.copy(), expression=exp.Literal.number(1)),
                                 exp.GT(this=c(cols["frequency"]), expression=exp.Literal.number(0))))
        grouped = exp.select(*(e.copy().as_(n) for e, n in zip(keys, ("k", "x", "tx", "t", "m"))),
                             exp.Count(this=exp.Star()).as_("n")).from_(inner).join(kinds, join_type="cross").where(
            scope).group_by(*(e.copy() for e in keys))
        both = _stream(engine, grouped, ["k", "x", "tx", "t", "m", "n"])
        bg, gg = both["k"] == 0, both["k"] == 1
        rows = {"x": both["x"][bg], "tx": both["tx"][bg], "t": both["t"][bg], "n": both["n"][bg]}
        gx, gm, gn = both["x"][gg], both["m"][gg], both["n"][gg]
    # in a fixed order (GROUP BY has none), so that the fit's sums, and so its parameters, do not depend on
    # the engine's plan
    order = np.lexsort((rows["t"], rows["tx"], rows["x"]))
    g_order = np.lexsort((gm, gx))
    return Summary(rows["x"][order], rows["tx"][order], rows["t"][order], rows["n"][order], gx[g_order],
                   gm[g_order], gn[g_order])


def fit_summary(p: m.Prediction, s: Summary, as_of: dt.date) -> StoredFit:
    """Fit both models to a summary; a fit that fails is a coded diagnostic at the prediction."""
    try:
        bgnbd = fit_bgnbd(s.x, s.tx / p.unit_days, s.T / p.unit_days, s.n)
        spend = fit_gamma_gamma(s.gx, s.gm, s.gn) if p.value is not None else None
    except FitError as exc:
        raise fit_failure(p, exc) from None
    return StoredFit(p.name, as_of, definition_fingerprint(p), s.fingerprint(), bgnbd, spend,
                     spend.excluded if spend is not None else 0)


def fit_failure(p: m.Prediction, exc: FitError) -> SegError:
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in (exc.counts or {}).items())
    message = f"cannot fit `{p.name}`: {exc.message}" + (f" ({counts})" if counts and exc.kind != "too_few" else "")
    return SegError([Diagnostic(FIT_CODES.get(exc.kind, "SEG335"), message, p.span, exc.hint or None)])


def fit_predictions(ir: m.CheckedModel, engine: Any, as_of: dt.date, params: dict[str, object],
                    names: list[str] | None = None) -> tuple[dict[str, StoredFit], dict[str, Summary]]:
    """Fit the named predictions (all by default) on the engine."""
    fits, summaries = {}, {}
    for name in names or list(ir.predictions):
        p = ir.predictions[name]
        try:
            s = summary(ir, p, engine, as_of, params)
        except engine.errors as exc:
            from .execution import engine_failure

            raise engine_failure(engine, exc, f"compute the summary of `{name}`") from None
        summaries[name] = s
        fits[name] = fit_summary(p, s, as_of)
    return fits, summaries


def excluded_note(fit: StoredFit) -> str | None:
    if fit.excluded:
        return (f"{fit.name}: {fit.excluded:,} repeat customers with a mean purchase value ≤ 0 or missing are "
                "left out of the spend model")
    return None


def stale(stored: StoredFit, as_of: dt.date, data: str) -> Diagnostic | None:
    """SEG331 when the data or as_of differ from what the stored fit saw (a warning: the stored
    parameters are still used, as the lock file says)."""
    changes = []
    if stored.as_of != as_of:
        changes.append(f"as_of {stored.as_of.isoformat()} → {as_of.isoformat()}")
    if stored.data != data:
        changes.append(f"data {stored.data[:19]} → {data[:19]}")
    if not changes:
        return None
    return Diagnostic("SEG331", f"the stored fit of `{stored.name}` is stale: " + "; ".join(changes), None,
                      "the stored parameters are used as they are; refit with `segdsl fit` to update them",
                      "warning")


__all__ = ["Summary", "summary", "fit_summary", "fit_predictions", "stale", "error"]


def prepare(ir: m.CheckedModel, main: str, engine: Any, as_of: dt.date | None, params: dict[str, object]
            ) -> tuple[m.CheckedModel, list[Diagnostic]]:
    """The model ready to score on this engine: stored fits checked against the data (SEG331 when stale),
    and predictions without one fitted here and now (a note says so; nothing is written)."""
    from ..predict.lock import bind, lock_path, read_lock, unbound_predictions

    if not ir.predictions:
        return ir, []
    date = as_of or dt.date.today()
    stored = read_lock(lock_path(main)) if main != "<text>" else {}
    notes: list[Diagnostic] = []
    missing = unbound_predictions(ir)
    for name in ir.predictions:
        if name in missing or name not in stored:
            continue
        s = summary(ir, ir.predictions[name], engine, date, params)
        warning = stale(stored[name], date, s.fingerprint())
        if warning is not None:
            notes.append(warning)
    if missing:
        fits, _ = fit_predictions(ir, engine, date, params, missing)
        ir = bind(ir, {n: (f.bgnbd, f.gamma_gamma) for n, f in fits.items()})
        for n, f in fits.items():
            b = f.bgnbd
            where = "no lock file" if n not in stored else "the stored fit is for another definition"
            notes.append(Diagnostic(
                "SEG336", f"`{n}` fitted on this data ({where}): r = {b.r:.4g}, α = {b.alpha:.4g}, a = {b.a:.4g}, "
                f"b = {b.b:.4g} from {b.customers:,} customers", ir.predictions[n].span,
                "run `segdsl fit` to store the parameters beside the model, so that every run and compiled "
                "query uses the same ones", "note"))
            extra = excluded_note(f)
            if extra:
                notes.append(Diagnostic("SEG125", extra, ir.predictions[n].span, None, "warning"))
    return ir, notes
