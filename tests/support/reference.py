"""An independent reference evaluator of checked models, in plain Python.

It reads the model (segdsl.semantic.model) and evaluates it member by member over
Python rows, with its own three-valued logic and date arithmetic. It shares
nothing with the SQL compiler, so the two can be compared on any model and
data: where they disagree, one of them is wrong.

Only the specification tables of the model are reused: the bucket labels,
the RFM group grid and the holdout arm bounds.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
from typing import Iterable

from segdsl.semantic import model as m

Row = dict[str, object]


# ── values ──────────────────────────────────────────────────────────────────


def as_date(v: object) -> dt.date | None:
    """The date of a date or timestamp (None stays None)."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    raise TypeError(f"not a date: {v!r}")


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar months, stopping at the last day of a shorter month."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    return dt.date(year, month, min(d.day, _days_in_month(year, month)))


def shift(v: object, amount: int, unit: str) -> object:
    """A date or timestamp moved by days, weeks, calendar months or years."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        moved = shift(v.date(), amount, unit)
        return dt.datetime.combine(moved, v.time())
    if unit == "day":
        return v + dt.timedelta(days=amount)
    if unit == "week":
        return v + dt.timedelta(days=7 * amount)
    if unit == "month":
        return add_months(v, amount)
    if unit == "year":
        return add_months(v, 12 * amount)
    raise ValueError(f"unknown unit {unit!r}")


def years_between(a: dt.date, b: dt.date) -> int:
    """Whole years from a to b, as an age; negative when b comes first, truncated toward zero,
    so that swapping the dates only flips the sign."""
    if b < a:
        return -years_between(b, a)
    years = b.year - a.year
    if (b.month, b.day) < (a.month, a.day):
        years -= 1
    return years


# ── three-valued logic ──────────────────────────────────────────────────────


def k_and(values: Iterable[object]) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def k_or(values: Iterable[object]) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def k_not(v: object) -> bool | None:
    return None if v is None else not v


def _comparable(a: object, b: object) -> tuple[object, object]:
    """A date compared with a timestamp is the timestamp of its midnight (SQL promotion)."""
    a_ts, b_ts = isinstance(a, dt.datetime), isinstance(b, dt.datetime)
    if a_ts != b_ts:
        if isinstance(a, dt.date) and not a_ts:
            a = dt.datetime.combine(a, dt.time())
        if isinstance(b, dt.date) and not b_ts:
            b = dt.datetime.combine(b, dt.time())
    return a, b


def compare(op: str, a: object, b: object) -> bool | None:
    if a is None or b is None:
        return None
    a, b = _comparable(a, b)
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise ValueError(f"unknown comparison {op!r}")


def like(text: str, pattern: str) -> bool:
    """The language's LIKE: % any run, _ one character, a backslash makes the next character itself.

    `pattern` is written with backslash escapes (see pattern_of): a pattern
    from data or --param has its own backslashes doubled.
    """
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.fullmatch("".join(out), text, flags=re.DOTALL) is not None


def ntile(ordered: list[object], n: int) -> dict[object, int]:
    """NTILE(n) over keys already in order: sizes differ by at most one, larger buckets first."""
    total = len(ordered)
    size, large = divmod(total, n)
    first_small = large * (size + 1)
    out: dict[object, int] = {}
    for i, key in enumerate(ordered):
        if i < first_small:
            out[key] = 1 + i // (size + 1)
        else:
            out[key] = 1 + large + (i - first_small) // size
    return out


def holdout_bucket(seed: str, key: object) -> int:
    digest = hashlib.md5(f"{seed}:{key}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 10000


# ── the evaluator ───────────────────────────────────────────────────────────


class Evaluator:
    def __init__(self, ir: m.CheckedModel, tables: dict[str, list[Row]], as_of: dt.date,
                 params: dict[str, object] | None = None):
        self.ir = ir
        self.as_of = as_of
        self.params = {n: p.value for n, p in ir.params.items()}
        self.params.update(params or {})
        self.overridden = set(params or {})
        ent = ir.entity
        self.members: dict[object, Row] = {}
        for row in tables[ent.source]:
            since = row.get(ent.since) if ent.since else None
            if since is None or as_date(since) <= as_of:
                self.members[row[ent.key]] = row
        # events of each source by member, after the point-in-time cut
        self.events: dict[str, dict[object, list[Row]]] = {}
        for name, ev in ir.events.items():
            by_member: dict[object, list[Row]] = {}
            for row in tables[ev.source]:
                owner = row.get(ev.by)
                if owner is None or owner not in self.members:
                    continue
                at = as_date(row.get(ev.at))
                if at is None or at > as_of:
                    continue
                by_member.setdefault(owner, []).append(row)
            self.events[name] = by_member
        self.values: dict[object, dict[str, object]] = {k: {} for k in self.members}
        self.scores: dict[tuple[str, str], dict[object, int | None]] = {}
        self._agg_cache: dict[tuple[m.Agg, object], object] = {}

    # definitions ------------------------------------------------------------
    def run(self) -> dict[object, dict[str, object]]:
        for name in self.ir.order:
            d = self.ir.definition(name)
            if isinstance(d, m.Feature):
                for key in self.members:
                    self.values[key][name] = self.expr(d.expr, key)
            elif isinstance(d, m.Segment):
                for key in self.members:
                    self.values[key][name] = self.expr(d.expr, key) is True
            elif isinstance(d, m.Holdout):
                self._holdout(d)
            else:
                self._segmentation(d)
        return self.values

    def _holdout(self, d: m.Holdout) -> None:
        bounds = d.bounds()
        for key in self.members:
            arm = None
            if self.values[key][d.segment] is True:
                bucket = holdout_bucket(d.seed, key)
                arm = next((name for name, bound in bounds if bucket < bound), None)
            self.values[key][d.name] = arm

    def _segmentation(self, d: m.Segmentation) -> None:
        if isinstance(d, m.CaseSegmentation):
            for key in self.members:
                label = next((case for case, cond in d.cases if self.expr(cond, key) is True), d.else_case)
                self.values[key][d.name] = label
        elif isinstance(d, m.BucketSegmentation):
            labels = m.bucket_labels(d.edges)
            for key in self.members:
                v = self.expr(d.subject, key)
                label = None
                if v is not None:
                    label = next((lab for edge, lab in zip(d.edges, labels) if v < edge), labels[-1])
                self.values[key][d.name] = label
        elif isinstance(d, m.QuantileSegmentation):
            tiles = self._ranked(d.subject, d.n, descending=False)
            for key in self.members:
                self.values[key][d.name] = tiles.get(key)
        elif isinstance(d, m.RfmSegmentation):
            scores = {
                "r": self._ranked(d.recency, 5, descending=True),
                "f": self._ranked(d.frequency, 5, descending=False),
                "m": self._ranked(d.monetary, 5, descending=False),
            }
            for s, tiles in scores.items():
                self.scores[(d.name, s)] = {key: tiles.get(key) for key in self.members}
            for key in self.members:
                r, f, mo = (scores[s].get(key) for s in "rfm")
                for s, v in zip("rfm", (r, f, mo)):
                    self.values[key][f"{d.name}_{s}"] = v
                label = m.rfm_group(r, f, mo) if None not in (r, f, mo) else None
                self.values[key][d.name] = label
        else:
            raise ValueError(f"unknown segmentation {d!r}")

    def _ranked(self, e: m.Expr, n: int, descending: bool) -> dict[object, int]:
        """NTILE(n) of the members with a value, by value (asc or desc), then key ascending."""
        present = [(self.expr(e, key), key) for key in self.members]
        present = [(v, key) for v, key in present if v is not None]
        present.sort(key=lambda t: t[1])
        present.sort(key=lambda t: t[0], reverse=descending)  # stable: ties stay in key order
        return ntile([key for _, key in present], n)

    # expressions -------------------------------------------------------------
    def expr(self, e: m.Expr, key: object, event: Row | None = None) -> object:
        method = getattr(self, "_x_" + type(e).__name__, None)
        if method is None:
            raise NotImplementedError(type(e).__name__)
        return method(e, key, event)

    def _x_Const(self, e: m.Const, key, event):
        return e.value

    def _x_DurationConst(self, e, key, event):
        raise ValueError("a bare duration has no value")

    def _x_AsOf(self, e, key, event):
        return self.as_of

    def _x_ParamRef(self, e: m.ParamRef, key, event):
        return self.params[e.name]

    def _x_Column(self, e: m.Column, key, event):
        if e.source is None:
            return self.members[key][e.name]
        if event is None:
            raise ValueError(f"events column {e.source}.{e.name} outside an aggregate")
        return event[e.name]

    def _x_FeatureRef(self, e, key, event):
        return self.values[key][e.name]

    _x_SegmentRef = _x_FeatureRef
    _x_SegmentationRef = _x_FeatureRef

    def _x_CaseRef(self, e: m.CaseRef, key, event):
        return self.values[key][e.owner] == e.case

    def _x_ScoreRef(self, e: m.ScoreRef, key, event):
        return self.scores[(e.owner, e.score)][key]

    def _x_Neg(self, e: m.Neg, key, event):
        v = self.expr(e.operand, key, event)
        return None if v is None else -v

    def _x_Not(self, e: m.Not, key, event):
        return k_not(self.expr(e.operand, key, event))

    def _x_Arith(self, e: m.Arith, key, event):
        a = self.expr(e.left, key, event)
        b = self.expr(e.right, key, event)
        if a is None or b is None:
            return None
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return a * b
        if e.op == "/":
            return None if b == 0 else float(a) / float(b)
        raise ValueError(f"unknown operator {e.op!r}")

    def _x_DateShift(self, e: m.DateShift, key, event):
        return shift(self.expr(e.operand, key, event), e.amount, e.unit)

    def _x_Compare(self, e: m.Compare, key, event):
        return compare(e.op, self.expr(e.left, key, event), self.expr(e.right, key, event))

    def _x_And(self, e: m.And, key, event):
        return k_and(self.expr(i, key, event) for i in e.items)

    def _x_Or(self, e: m.Or, key, event):
        return k_or(self.expr(i, key, event) for i in e.items)

    def _x_InList(self, e: m.InList, key, event):
        subject = self.expr(e.subject, key, event)
        found = k_or(compare("=", subject, self.expr(i, key, event)) for i in e.items)
        return k_not(found) if e.negated else found

    def _x_Between(self, e: m.Between, key, event):
        s, lo, hi = (self.expr(x, key, event) for x in (e.subject, e.low, e.high))
        if e.by_date:
            s, lo, hi = as_date(s), as_date(lo), as_date(hi)
        inside = k_and((compare(">=", s, lo), compare("<=", s, hi)))
        return k_not(inside) if e.negated else inside

    def _x_IsMissing(self, e: m.IsMissing, key, event):
        missing = self.expr(e.subject, key, event) is None
        return not missing if e.negated else missing

    def _x_TextMatch(self, e: m.TextMatch, key, event):
        s = self.expr(e.subject, key, event)
        p = self.expr(e.pattern, key, event)
        if s is None or p is None:
            return None
        if e.op == "like":
            hit = like(s, self.pattern_of(e.pattern, p))
        elif e.op == "contains":
            hit = p in s
        elif e.op == "starts_with":
            hit = s.startswith(p)
        else:
            raise ValueError(f"unknown text match {e.op!r}")
        return not hit if e.negated else hit

    def pattern_of(self, e: m.Expr, value: str) -> str:
        """A like pattern with backslash escapes: a literal or a param's default as the model wrote
        it (`\\%` a literal %), any other text (data, --param) with no escapes of its own."""
        if isinstance(e, m.Const) and e.like is not None:
            return e.like
        if isinstance(e, m.ParamRef) and e.name not in self.overridden and self.ir.params[e.name].like is not None:
            return self.ir.params[e.name].like
        return value.replace("\\", "\\\\")

    def _x_DateWindow(self, e: m.DateWindow, key, event):
        s = as_date(self.expr(e.subject, key, event))
        parts = []
        if e.lower is not None:
            lo = as_date(self.expr(e.lower, key, event))
            parts.append(compare(">=" if e.lower_inclusive else ">", s, lo))
        if e.upper is not None:
            hi = as_date(self.expr(e.upper, key, event))
            parts.append(compare("<=" if e.upper_inclusive else "<", s, hi))
        return k_and(parts)

    def _x_DaysBetween(self, e: m.DaysBetween, key, event):
        a = as_date(self.expr(e.start, key, event))
        b = as_date(self.expr(e.end, key, event))
        return None if a is None or b is None else (b - a).days

    def _x_YearsBetween(self, e: m.YearsBetween, key, event):
        a = as_date(self.expr(e.start, key, event))
        b = as_date(self.expr(e.end, key, event))
        return None if a is None or b is None else years_between(a, b)

    def _x_Agg(self, e: m.Agg, key, event):
        if event is not None:
            raise ValueError("aggregates cannot be nested")
        cache_key = (e, key)
        if cache_key not in self._agg_cache:
            self._agg_cache[cache_key] = self._aggregate(e, key)
        return self._agg_cache[cache_key]

    def _aggregate(self, e: m.Agg, key):
        rows = [r for r in self.events[e.source].get(key, [])
                if e.filter is None or self.expr(e.filter, key, r) is True]
        if e.func == "share":
            return self._share(e, key, rows)
        if e.func in ("first", "last"):
            return self._first_last(e, key, rows)
        if e.arg is None:
            if e.func != "count":
                raise ValueError(f"{e.func} needs a value")
            return len(rows)
        values = [v for v in (self.expr(e.arg, key, r) for r in rows) if v is not None]
        if e.func == "count":
            return len(values)
        if e.func == "count_distinct":
            return len(set(values))
        if not values:
            return None
        if e.func in ("sum", "avg"):
            # The README's rule: each value taken at nine decimal places, added exactly, and the
            # total as the nearest double; an average is that total divided by the count.
            total = float(sum(_nine_places(v) for v in values))
            return total if e.func == "sum" else total / len(values)
        if e.func == "min":
            return min(values)
        if e.func == "max":
            return max(values)
        if e.func == "most_frequent":
            # the most events; among equally many, the smallest value
            counts: dict[object, int] = {}
            for v in values:
                counts[v] = counts.get(v, 0) + 1
            top = max(counts.values())
            return min(v for v, n in counts.items() if n == top)
        raise ValueError(f"unknown aggregate {e.func!r}")

    def _x_Predict(self, e: m.Predict, key, event):
        """The part from the member's summary with numpy and scipy's ₂F₁ (segdsl.predict.formulas), not
        the SQL series. Without stored parameters the prediction is fitted here, once, on the summary this
        evaluator computed for every member (as `run` fits on the engine's)."""
        import numpy as np

        from segdsl.predict import formulas
        from segdsl.predict.fit import fit_bgnbd, fit_gamma_gamma, group_rows

        x, tx, T = (self.expr(v, key) for v in (e.x, e.tx, e.T))
        if T is None or x is None:
            return None
        params = self._prediction_params(e, fit_bgnbd, fit_gamma_gamma, group_rows)
        u = e.unit_days
        bg = _Fitted(params)
        args = (np.array([float(x)]), np.array([tx / u]), np.array([T / u]))
        if e.part == "alive":
            out = formulas.p_alive(bg, *args)
        elif e.part == "purchases":
            out = formulas.expected_purchases(bg, e.horizon, *args)
        else:
            mv = self.expr(e.m, key)
            mean = np.array([float(mv) if mv is not None else 0.0])
            if e.part == "spend":
                out = formulas.expected_spend(bg, args[0], mean)
            else:
                out = formulas.expected_value(bg, bg, *args, mean, e.steps, e.step, e.discount)
        return float(np.asarray(out).ravel()[0])

    def _prediction_params(self, e: m.Predict, fit_bgnbd, fit_gamma_gamma, group_rows) -> dict[str, float]:
        if e.fit is not None:
            return dict(e.fit)
        cache = self.__dict__.setdefault("_fits", {})
        if e.prediction not in cache:
            rows = [(self.expr(e.x, k), self.expr(e.tx, k), self.expr(e.T, k)) for k in self.members]
            rows = [r for r in rows if r[2] is not None]
            # grouped and sorted as the engine's summary is, so that both fits add the same numbers in the
            # same order and agree to the last digit
            (gx, gtx, gT), n = group_rows([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
            bg = fit_bgnbd(gx, gtx / e.unit_days, gT / e.unit_days, n)
            params = dict(bg.params)
            spend_model = self.ir.predictions[e.prediction].value is not None
            if spend_model:
                pairs = [(self.expr(e.x, k), self.expr(m.FeatureRef(self.ir.predictions[e.prediction]
                                                                    .feature("monetary"), m.T.NUMBER), k))
                         for k in self.members]
                pairs = [(float(a), float(b) if b is not None else float("nan")) for a, b in pairs
                         if a is not None and a > 0]
                (sx, sm), sn = group_rows([a for a, _ in pairs], [b for _, b in pairs])
                params.update(fit_gamma_gamma(sx, sm, sn).params)
            cache[e.prediction] = params
        return cache[e.prediction]

    def _first_last(self, e: m.Agg, key, rows: list[Row]):
        """The value of the earliest (latest) event with one; at equal times, the smallest value."""
        at = self.ir.events[e.source].at
        timed = [(r[at], v) for r in rows for v in [self.expr(e.arg, key, r)] if v is not None]
        if not timed:
            return None
        edge = (min if e.func == "first" else max)(t for t, _ in timed)
        return min(v for t, v in timed if t == edge)

    def _share(self, e: m.Agg, key, rows: list[Row]):
        """The part of the whole: sums of the value (or counts of events) where the part's condition is true."""
        inside = [self.expr(e.part, key, r) is True for r in rows]
        if e.arg is None:
            whole, part = len(rows), sum(inside)
            return None if whole == 0 else part / whole
        values = [(self.expr(e.arg, key, r), p) for r, p in zip(rows, inside)]
        values = [(v, p) for v, p in values if v is not None]
        if not values:
            return None
        whole_sum = float(sum(_nine_places(v) for v, _ in values))
        part_sum = float(sum((_nine_places(v) for v, p in values if p), decimal.Decimal(0)))
        return None if whole_sum == 0 else part_sum / whole_sum

    def _x_MemberAgg(self, e, key, event):
        raise ValueError("member aggregates belong to reports, not to members")


class _Fitted:
    """Parameters as the attributes segdsl.predict.formulas reads."""

    def __init__(self, params: dict[str, float]):
        self.__dict__.update(params)


def evaluate(ir: m.CheckedModel, tables: dict[str, list[Row]], as_of: dt.date,
             params: dict[str, object] | None = None) -> dict[object, dict[str, object]]:
    """key -> {definition name -> value} for every member of the population.

    `tables` maps the source strings of the model (entity and events) to
    their rows. Rfm segmentations also give `<name>_r`, `<name>_f`, `<name>_m`.
    """
    return Evaluator(ir, tables, as_of, params).run()


__all__ = ["evaluate", "Evaluator", "as_date", "add_months", "shift", "years_between", "like", "ntile",
           "holdout_bucket", "compare", "k_and", "k_or", "k_not"]


def _nine_places(v: object) -> decimal.Decimal:
    """A number as the engines add it: its shortest decimal form, rounded half away from zero to 1e-9."""
    return decimal.Decimal(repr(v) if isinstance(v, float) else str(v)).quantize(
        decimal.Decimal("1e-9"), rounding=decimal.ROUND_HALF_UP)
