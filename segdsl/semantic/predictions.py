"""Check a `prediction`: its arguments, its events source, and the features it adds to the model.

A prediction is written in terms the rest of the language already has, so
that every stage — the planner, the compiler of every dialect, explain,
reports and the reference evaluator — handles it without knowing about it:

* the summary (lifetimes' `summary_data_from_transaction_data`, as the
  published CDNOW summary defines it) becomes four features over the events
  source, in days: `<name>_age` (T: days from the first purchase to as_of),
  `<name>_recency` (tₓ: days from the first purchase to the last),
  `<name>_frequency` (x: distinct purchase days, minus one) and
  `<name>_monetary` (m: the mean of the repeat days' values, each day summed);
* each prediction becomes a feature `<name>_<part>` holding one `Predict`
  node over those four, which only the SQL compiler expands (segdsl.predict).

A member without a purchase up to as_of has no summary, so every part is
missing for it. `clv.alive` in an expression reads the feature `clv_alive`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import model as m
from ..lang import syntax as s
from ..lang.diagnostics import Span, did_you_mean
from .model import T

if TYPE_CHECKING:  # pragma: no cover
    from .checker import Checker

# The length of a duration in days: calendar months and years at their Gregorian mean.
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
ARGUMENTS = ("value", "horizon", "unit", "discount")
DEFAULTS = {"horizon": (1, "year"), "unit": (1, "week")}
# A month for the value's monthly steps, as lifetimes' customer_lifetime_value counts it per unit.
LIFETIMES_MONTH = {"week": 4.345, "day": 30.0}
MODELS = ("btyd",)


def part_columns(name: str, with_value: bool = True) -> list[tuple[str, str]]:
    """(part, feature name) of a prediction, the summary first."""
    parts = [p for p in m.PREDICTION_SUMMARY if with_value or p != "monetary"]
    parts += [p for p in m.PREDICTION_PARTS if with_value or p in ("alive", "purchases")]
    return [(p, f"{name}_{p}") for p in parts]


def month_steps(horizon_units: float, unit: str, unit_days: float, amount: int) -> tuple[int, float]:
    """(steps, step): the whole months of a horizon and a month in units, as lifetimes counts them
    (4.345 weeks, 30 days) for a unit of one week or one day."""
    if unit in LIFETIMES_MONTH and amount == 1:
        step = LIFETIMES_MONTH[unit]
    else:
        step = (365.25 / 12) / unit_days
    return max(1, round(horizon_units / step)), step


class PredictionChecks:
    """The checker's part for predictions (mixed into segdsl.semantic.checker.Checker)."""

    def _predictions(self: "Checker") -> dict[str, m.Prediction]:
        if not hasattr(self, "_predictions_done"):
            self._predictions_done: dict[str, m.Prediction | None] = {}
        return {k: v for k, v in self._predictions_done.items() if v is not None}

    def _prediction_output_names(self: "Checker") -> list[tuple[str, s.Prediction]]:
        """The feature names every prediction adds, for the output-name checks."""
        out = []
        for d in self.defs.values():
            if isinstance(d, s.Prediction):
                with_value = any(a.name.text == "value" for a in d.args)
                out += [(column, d) for _, column in part_columns(d.name.text, with_value)]
        return out

    def _check_prediction_names(self: "Checker") -> None:
        """A part's feature must not clash with another output column (SEG124)."""
        defined = {n.casefold(): n for n, d in self.defs.items()
                   if isinstance(d, (s.Feature, s.Segment, s.Segmentation, s.Holdout))}
        seen: dict[str, str] = {}
        for column, d in self._prediction_output_names():
            other = defined.get(column.casefold()) or seen.get(column.casefold())
            if other is not None:
                self.out.add("SEG124", f"`{d.name.text}` adds the column `{column}`, which `{other}` already is",
                             d.name.span, f"rename `{other}` or the prediction")
            seen[column.casefold()] = d.name.text

    def _resolve_prediction(self: "Checker", name: str) -> m.Prediction | None:
        self._predictions()
        if name in self._predictions_done:
            return self._predictions_done[name]
        self._predictions_done[name] = None
        d = self.defs[name]
        assert isinstance(d, s.Prediction)
        errors_before = len(self.out.diagnostics)
        result = self._prediction(d)
        if len(self.out.diagnostics) > errors_before:
            result = None
        self._predictions_done[name] = result
        return result

    def _prediction(self: "Checker", d: s.Prediction) -> m.Prediction | None:
        name = d.name.text
        source = d.source.text
        errors_before = len(self.out.diagnostics)
        if source not in self.events:
            target = self.defs.get(source)
            self.out.add("SEG122", f"`{source}` is not an events source", d.source.span,
                         did_you_mean(source, list(self.events)) or (
                             "btyd(…) predicts from purchases: name an events source, for example btyd(orders, …)"
                             if target is not None or not self.events else f"events sources: {', '.join(self.events)}"))
            return None
        args: dict[str, s.PredictionArg] = {}
        for a in d.args:
            key = a.name.text
            if key not in ARGUMENTS:
                self.out.add("SEG120", f"btyd(…) has no argument `{key}`", a.name.span,
                             did_you_mean(key, ARGUMENTS) or f"its arguments are {', '.join(ARGUMENTS)}")
            elif key in args:
                self.out.add("SEG120", f"`{key}` is given twice", a.name.span, "give each argument once")
            else:
                args[key] = a
        value: m.Expr | None = None
        if "value" in args:
            v = args["value"].value
            if isinstance(v, s.Percent):
                self.out.add("SEG121", "the value of a purchase is a column of the events, not a percentage",
                             v.span, f"for example value: {source}.amount")
            else:
                from .checker import _Ctx

                value = self.expr(v, _Ctx(source=source))
                if value.type not in (T.NUMBER, T.ANY):
                    self.out.add("SEG121", f"the value of a purchase must be a number, but this is a "
                                 f"{value.type.value}", getattr(v, "span", d.span), f"for example value: {source}.amount")
        durations = {}
        for key in ("horizon", "unit"):
            a = args.get(key)
            if a is None:
                durations[key] = DEFAULTS[key] + (d.name.span,)
                continue
            v = a.value
            if not isinstance(v, s.Duration):
                self.out.add("SEG121", f"`{key}` must be a duration", getattr(v, "span", a.name.span),
                             "for example 1 year" if key == "horizon" else "for example 1 week")
                continue
            if v.amount <= 0:
                self.out.add("SEG121", f"`{key}` must be at least 1 long", v.span, "for example 1 week")
                continue
            durations[key] = (v.amount, v.unit, v.span)
        discount = 0.0
        if "discount" in args:
            v = args["discount"].value
            if not isinstance(v, s.Percent):
                self.out.add("SEG121", "the discount is a monthly rate in percent", getattr(v, "span", d.span),
                             "for example discount: 1%")
            elif not 0 <= v.value < 100:
                self.out.add("SEG121", f"a discount of {v.text}% is not a rate", v.span, "from 0% to below 100%")
            else:
                discount = v.value / 100
        if "horizon" not in durations or "unit" not in durations or len(self.out.diagnostics) > errors_before:
            return None
        h_amount, h_unit, _ = durations["horizon"]
        u_amount, u_unit, u_span = durations["unit"]
        unit_days = u_amount * UNIT_DAYS[u_unit]
        horizon_days = h_amount * UNIT_DAYS[h_unit]
        if horizon_days < unit_days:
            self.out.add("SEG121", f"the horizon ({h_amount} {h_unit}) is shorter than the unit "
                         f"({u_amount} {u_unit})", u_span, "the unit is the summary's grain: 1 week or 1 day")
            return None
        columns = part_columns(name, value is not None)
        self._prediction_features(name, source, value, unit_days, horizon_days / unit_days,
                                  month_steps(horizon_days / unit_days, u_unit, unit_days, u_amount), discount,
                                  dict(columns), d.name.span)
        plural = lambda n, u: f"{n} {u}" + ("s" if n != 1 else "")  # noqa: E731
        return m.Prediction(name, d.label, source, value, unit_days, horizon_days, plural(h_amount, h_unit),
                            plural(u_amount, u_unit), discount, tuple(columns), d.name.span)

    def _prediction_features(self: "Checker", name: str, source: str, value: m.Expr | None, unit_days: float,
                             horizon: float, steps: tuple[int, float], discount: float, columns: dict[str, str],
                             span: Span) -> None:
        """The summary and the parts as features of the model, in the order they use each other."""
        ev = self.events[source]
        at = m.Column(ev.at.text, source, self._column_type(source, ev.at.text, None))
        days_ago = m.DaysBetween(at, m.AsOf())
        age = m.FeatureRef(columns["age"], T.NUMBER)
        features: dict[str, m.Expr] = {
            "age": m.Agg("max", source, days_ago, None),
            "recency": m.Arith("-", age, m.Agg("min", source, days_ago, None)),
            # + 0 · age: missing, not -1, for a member without purchases
            "frequency": m.Arith("+", m.Arith("-", m.Agg("count_distinct", source, days_ago, None),
                                              m.Const(1, T.NUMBER)), m.Arith("*", m.Const(0, T.NUMBER), age)),
        }
        x = m.FeatureRef(columns["frequency"], T.NUMBER)
        if value is not None:
            first_day = m.Agg("sum", source, value, m.Compare("=", days_ago, age))
            features["monetary"] = m.Arith("/", m.Arith("-", m.Agg("sum", source, value, None), first_day), x)
        mv = m.FeatureRef(columns["monetary"], T.NUMBER) if value is not None else None
        tx = m.FeatureRef(columns["recency"], T.NUMBER)
        for part in m.PREDICTION_PARTS:
            if part in columns:
                features[part] = m.Predict(name, part, x, tx, age, mv if part in ("spend", "value") else None,
                                           unit_days, horizon, steps[0], steps[1], discount, None, span)
        for part, expr in features.items():
            feature = columns[part]
            self.resolved[feature] = m.Feature(feature, expr, span)

    def _prediction_part(self: "Checker", owner: s.Name, member: s.Name, span: Span) -> m.Expr | None:
        """`clv.alive`: the feature of that part; None (with a diagnostic) when there is none."""
        d = self.defs[owner.text]
        assert isinstance(d, s.Prediction)
        p = self._resolve_prediction(owner.text)
        if p is None:
            return None
        parts = dict(p.features)
        if member.text not in parts:
            known = m.PREDICTION_PARTS + m.PREDICTION_SUMMARY
            if member.text in known:
                self.out.add("SEG123", f"`{owner.text}` has no `{member.text}`: it has no value of a purchase",
                             member.span, f"add value: to btyd(…), for example value: {p.source}.amount")
            else:
                self.out.add("SEG123", f"`{owner.text}` has no part `{member.text}`", member.span,
                             did_you_mean(member.text, list(parts)) or f"its parts are {', '.join(parts)}")
            return None
        return m.FeatureRef(parts[member.text], T.NUMBER, span)

    def _prediction_value(self: "Checker", n: s.Name) -> None:
        """A prediction named bare, as a value (SEG123)."""
        self.out.add("SEG123", f"`{n.text}` is a prediction, not a value", n.span,
                     f"name one of its parts: {n.text}.alive, {n.text}.purchases, {n.text}.spend or {n.text}.value")
