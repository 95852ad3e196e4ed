"""Fitting a model's predictions on the engine that holds the data.

The engine computes each member's summary (the prediction's features) and
groups it: BG/NBD by (x, tₓ, T) with a count, Gamma-Gamma by (x, m) over
the repeat customers. Only those grouped rows reach Python, as Arrow columns
turned into numpy arrays — never a member as a Python object.

Two fingerprints tell whether the data a stored fit was made from has
changed: a hash of the grouped summary (what the fit saw), and a hash of one
ungrouped aggregate over the prediction's events up to the fit's as_of
(`events_fingerprint`), which a run compares at a fraction of the summary's
cost. Both are taken at the stored fit's as_of, so a run at another date
reports the date, not a change of the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from ..lang.diagnostics import Diagnostic, SegError, error
from ..predict.fit import BGNBDFit, FitError, GammaGammaFit, fit_bgnbd, fit_gamma_gamma, prefetch
from ..predict.lock import StoredFit, definition_fingerprint
from ..semantic import model as m
from ..semantic.model import T
from ..sql.compile import events_totals, membership, membership_prefix, to_sql
from ..sql.options import Options, OutputColumn, Resume

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
        order = _order(self.x, self.tx, self.T)
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
    return {n: _doubles(table.column(n)) for n in names}


def _doubles(column: pa.ChunkedArray) -> np.ndarray:
    """An Arrow column as float64 with NaN for NULL, read from its buffers: pyarrow's own `to_numpy`
    imports pandas, which costs a run a quarter of a second."""
    a = column.combine_chunks()
    if a.type != pa.float64():
        a = a.cast(pa.float64())
    values = np.frombuffer(a.buffers()[1], dtype=np.float64, count=len(a), offset=a.offset * 8).copy()
    if a.null_count:
        bits = np.frombuffer(a.buffers()[0], dtype=np.uint8)
        valid = np.unpackbits(bits, bitorder="little")[a.offset:a.offset + len(a)].astype(bool)
        values[~valid] = np.nan
    return values


@dataclass(frozen=True)
class Members:
    """Members computed once and held by the engine for the rest of a run (`Options.resume`): the summary
    is grouped from them, and the scoring query starts from them instead of computing them again."""

    resume: Resume
    columns: dict[str, str]  # definition → its column in the relation


def summary(ir: m.CheckedModel, p: m.Prediction, engine: Any, as_of: dt.date | None,
            params: dict[str, object], members: Members | None = None) -> Summary:
    """The grouped summary of prediction `p`, computed by the engine (from `members` when given)."""
    cols = dict(p.features)
    if members is not None:
        source: exp.Expression = exp.select(exp.Star()).from_(members.resume.relation.copy())
        cols = {part: members.columns[name] for part, name in cols.items() if name in members.columns}
    else:
        outputs = [cols["age"], cols["recency"], cols["frequency"]] + (
            [cols["monetary"]] if "monetary" in cols else [])
        source = membership(ir, Options(engine.dialect, as_of, params, source=engine.source), outputs)
    inner = exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("s")))

    def c(name: str) -> exp.Expression:
        return exp.column(name, table="s", quoted=True)

    double = exp.DataType.build("DOUBLE")
    x, tx, T_ = (exp.cast(c(cols[k]), double) for k in ("frequency", "recency", "age"))
    known = exp.Not(this=exp.Is(this=c(cols["age"]), expression=exp.Null()))
    bgnbd = exp.select(x.as_("x"), tx.as_("tx"), T_.as_("t"), exp.Count(this=exp.Star()).as_("n")).from_(
        inner).where(known).group_by(x, tx, T_)
    if "monetary" not in cols:
        rows = _stream(engine, bgnbd, ["x", "tx", "t", "n"])
        gx = gm = gn = np.zeros(0)
    elif members is not None:  # a table the engine holds: read twice, each grouping on its own (0.15 s less)
        rows = _stream(engine, bgnbd, ["x", "tx", "t", "n"])
        mv = exp.cast(c(cols["monetary"]), double)
        repeat = exp.GT(this=c(cols["frequency"]), expression=exp.Literal.number(0))
        spend = exp.select(x.copy().as_("x"), mv.as_("m"), exp.Count(this=exp.Star()).as_("n")).from_(
            inner.copy()).where(repeat).group_by(x.copy(), mv.copy())
        g = _stream(engine, spend, ["x", "m", "n"])
        gx, gm, gn = g["x"], g["m"], g["n"]
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
    order = _order(rows["x"], rows["tx"], rows["t"])
    g_order = _order(gx, gm)
    return Summary(rows["x"][order], rows["tx"][order], rows["t"][order], rows["n"][order], gx[g_order],
                   gm[g_order], gn[g_order])


def _order(*keys: np.ndarray) -> np.ndarray:
    """The order of rows sorted by the keys, the first the most significant, as numpy's lexsort gives it:
    for up to three keys of whole numbers of days (below 2²⁰) one sort of them as one integer (at
    645,000 rows 0.1 s instead of 0.27 s); for a frequency and a mean value, a stable sort by the value,
    then by the frequency as 16-bit integers, which numpy sorts by radix (at 714,000 rows 0.1 s instead
    of 0.16 s)."""
    whole = [bool(np.all((k >= 0) & (k < 2 ** 20) & (k == np.floor(k)))) for k in keys]
    if len(keys) == 2 and whole[0] and not whole[1] and (len(keys[0]) == 0 or keys[0].max() < 2 ** 15):
        by_value = np.argsort(keys[1], kind="stable")
        return by_value[np.argsort(keys[0][by_value].astype(np.int16), kind="stable")]
    if len(keys) > 3 or not all(whole):
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for k in keys:
        combined = combined * 2 ** 20 + k.astype(np.int64)
    return np.argsort(combined, kind="stable")


def events_fingerprint(ir: m.CheckedModel, p: m.Prediction, engine: Any, as_of: dt.date,
                       params: dict[str, object]) -> str:
    """A hash of the prediction's events up to as_of, from one ungrouped aggregate: how many, the first
    and last day and the sum of the days (each as days before as_of), and the exact sum of the value.

    One scan without a GROUP BY, where the summary groups every event by member and by day: a run checks
    a stored fit at a fraction of the cost of its scoring. Every figure is an integer or an exact sum
    rounded once to the nearest double (segdsl.sql.aggregates.exact_aggregate), so every engine gives
    the same text for the same data.
    """
    age = ir.features[p.feature("age")].expr
    assert isinstance(age, m.Agg) and age.arg is not None
    days = age.arg  # days from an event to as_of
    aggs = [m.Agg("count", p.source, None, None), m.Agg("min", p.source, days, None),
            m.Agg("max", p.source, days, None), m.Agg("sum", p.source, days, None)]
    if p.value is not None:
        aggs.append(m.Agg("sum", p.source, p.value, None))
    opts = Options(engine.dialect, as_of, params, source=engine.source)
    names = [f"_t{i}" for i in range(len(aggs))]
    sql = to_sql(events_totals(ir, opts, p.source, aggs), engine.dialect, pretty=False)
    try:
        # one row, read as Python values: numpy's view of Arrow would import pandas, most of this check's time
        table = engine.stream(sql, [OutputColumn(n, T.NUMBER) for n in names]).read_all()
    except engine.errors as exc:
        from .execution import engine_failure

        raise engine_failure(engine, exc, f"compute the fingerprint of the events of `{p.name}`") from None
    figures = [table.column(n)[0].as_py() for n in names]
    text = "|".join(repr(float(v)) if v is not None else "null" for v in figures)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def fit_summary(p: m.Prediction, s: Summary, as_of: dt.date, events: str | None = None,
                stored: bool = True) -> StoredFit:
    """Fit both models to a summary; a fit that fails is a coded diagnostic at the prediction.
    `events` is the events' fingerprint to store with the fit (`events_fingerprint`); a fit not `stored`
    in a lock file goes without the summary's fingerprint (a sort and a hash of every row)."""
    try:
        bgnbd = fit_bgnbd(s.x, s.tx / p.unit_days, s.T / p.unit_days, s.n)
        spend = fit_gamma_gamma(s.gx, s.gm, s.gn) if p.value is not None else None
    except FitError as exc:
        raise fit_failure(p, exc) from None
    return StoredFit(p.name, as_of, definition_fingerprint(p), s.fingerprint() if stored else "", bgnbd, spend,
                     spend.excluded if spend is not None else 0, events)


def fit_failure(p: m.Prediction, exc: FitError) -> SegError:
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in (exc.counts or {}).items())
    message = f"cannot fit `{p.name}`: {exc.message}" + (f" ({counts})" if counts and exc.kind != "too_few" else "")
    return SegError([Diagnostic(FIT_CODES.get(exc.kind, "SEG335"), message, p.span, exc.hint or None)])


def fit_predictions(ir: m.CheckedModel, engine: Any, as_of: dt.date, params: dict[str, object],
                    names: list[str] | None = None, to_store: bool = True, members: Members | None = None
                    ) -> tuple[dict[str, StoredFit], dict[str, Summary]]:
    """Fit the named predictions (all by default) on the engine, from `members` when given; fits
    `to_store` in a lock file carry the fingerprints of their events and summary (a fit used once needs none)."""
    prefetch()
    fits, summaries = {}, {}
    for name in names or list(ir.predictions):
        p = ir.predictions[name]
        try:
            s = summary(ir, p, engine, as_of, params, members)
        except engine.errors as exc:
            from .execution import engine_failure

            raise engine_failure(engine, exc, f"compute the summary of `{name}`") from None
        summaries[name] = s
        events = events_fingerprint(ir, p, engine, as_of, params) if to_store else None
        fits[name] = fit_summary(p, s, as_of, events, stored=to_store)
    return fits, summaries


def excluded_note(fit: StoredFit) -> str | None:
    if fit.excluded:
        return (f"{fit.name}: {fit.excluded:,} repeat customers with a mean purchase value ≤ 0 or missing are "
                "left out of the spend model")
    return None


def stored_data(ir: m.CheckedModel, stored: StoredFit, engine: Any, params: dict[str, object]) -> str:
    """The fingerprint of the data a stored fit was made from, as the data is now: of the events (cheap)
    when the lock has one, else of the summary (a lock file written before the events' fingerprint was
    stored). Either is taken at the fit's own as_of, so that a run at another date does not read the
    events after that date as a change of the data."""
    p = ir.predictions[stored.name]
    if stored.events is not None:
        return events_fingerprint(ir, p, engine, stored.as_of, params)
    return summary(ir, p, engine, stored.as_of, params).fingerprint()


def stale(stored: StoredFit, as_of: dt.date, data: str) -> Diagnostic | None:
    """SEG331 when the data or as_of differ from what the stored fit saw (a warning: the stored
    parameters are still used, as the lock file says). `data` is `stored_data`: compared with the
    events' fingerprint when the lock has one, else with the summary's."""
    changes = []
    if stored.as_of != as_of:
        changes.append(f"as_of {stored.as_of.isoformat()} → {as_of.isoformat()}")
    before = stored.events if stored.events is not None else stored.data
    if before != data:
        changes.append(f"data {before[:19]} → {data[:19]}")
    if not changes:
        return None
    return Diagnostic("SEG331", f"the stored fit of `{stored.name}` is stale: " + "; ".join(changes), None,
                      "the stored parameters are used as they are; refit with `segdsl fit` to update them",
                      "warning")


__all__ = ["Summary", "summary", "events_fingerprint", "fit_summary", "fit_predictions", "stored_data", "stale",
           "error"]


def prepare(ir: m.CheckedModel, main: str, engine: Any, options: Options, params: dict[str, object],
            outputs: list[str] | None = None, share: bool = False) -> tuple[m.CheckedModel, list[Diagnostic], Options]:
    """The model ready to score on this engine: stored fits checked against the data (SEG331 when stale),
    and predictions without one fitted here and now (a note says so; nothing is written).

    With `share`, on an engine that holds results, the members up to their predictions are computed once
    for both the fit and the scoring: the options returned start the membership query from them. With
    stored fits too, when the query scores a ₂F₁ (expected purchases or value): from held members its
    query computes the ₂F₁ once per (x, T) (segdsl.sql.writer.Writer._source), 0.4 s less at 1 M for
    the 0.1 s of holding them.
    """
    from ..predict.lock import bind, lock_path, read_lock, unbound_predictions

    if not ir.predictions:
        return ir, [], options
    missing = unbound_predictions(ir)
    prefetch(optimizer=bool(missing))
    date = options.as_of or dt.date.today()
    stored = read_lock(lock_path(main)) if main != "<text>" else {}
    notes: list[Diagnostic] = []
    for name in ir.predictions:
        if name in missing or name not in stored:
            continue
        warning = stale(stored[name], date, stored_data(ir, stored[name], engine, params))
        if warning is not None:
            notes.append(warning)
    if missing:
        members = held_members(ir, engine, replace(options, as_of=date), outputs, missing) if share else None
        fits, _ = fit_predictions(ir, engine, date, params, missing, to_store=False, members=members)
        ir = bind(ir, {n: (f.bgnbd, f.gamma_gamma) for n, f in fits.items()})
        if members is not None:
            options = replace(options, as_of=date, resume=members.resume)
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
    elif share and _scores_series(ir, outputs):
        members = held_members(ir, engine, replace(options, as_of=date), outputs, list(ir.predictions))
        if members is not None:
            options = replace(options, as_of=date, resume=members.resume)
    return ir, notes, options


def _scores_series(ir: m.CheckedModel, outputs: list[str] | None) -> bool:
    """Whether the query for `outputs` computes a part that evaluates the ₂F₁."""
    needed = ir.closure(list(ir.order) if outputs is None else outputs)
    return any(part in ("purchases", "value") and f in needed for p in ir.predictions.values()
               for part, f in p.features)


def held_members(ir: m.CheckedModel, engine: Any, options: Options, outputs: list[str] | None,
                 names: list[str]) -> Members | None:
    """The members up to the layer that completes the summaries of the predictions `names`, without their
    parts, held by the engine, when it can hold a result (None otherwise, or when the query's layers do
    not allow it: `membership_prefix`).

    Fitting on the fly needs every member's summary, and scoring needs it again with all that the
    summary's layers compute (the events' aggregates are most of a run's time): held once, both read it.
    """
    if not engine.holds_results:
        return None
    parts = {f for n in names for part, f in ir.predictions[n].features if part in m.PREDICTION_PARTS}
    summaries = {f for n in names for part, f in ir.predictions[n].features if part in m.PREDICTION_SUMMARY}
    prefix = membership_prefix(ir, options, outputs, summaries, parts)
    if prefix is None:
        return None
    try:
        relation = engine.keep(f"segdsl_members_{uuid.uuid4().hex[:8]}", prefix.query)
    except engine.errors as exc:
        from .execution import engine_failure

        raise engine_failure(engine, exc, "compute the members' summary") from None
    return Members(prefix.resume(relation), prefix.columns)
