"""Holdout lift: did the treated arms do better than control, and by how much?

Everything is computed from per-arm aggregates an engine returns in one
GROUP BY — members n, the sum of the outcome and the sum of its squares —
so no member row reaches Python. Each non-control arm is compared with the
control arm; with several treatment arms no multiplicity correction is made.

Yes/no outcomes (the sum is the number of converters)
  rate p = sum / n per arm; absolute lift p_t − p_c; relative lift
  p_t / p_c − 1.
  p-value: the two-proportion z-test with the pooled rate under the null
  hypothesis, z = (p_t − p_c) / sqrt(p̄(1 − p̄)(1/n_t + 1/n_c)); z² equals
  Pearson's chi-square of the 2×2 table without Yates' correction.
  95 % interval of the absolute lift: Wald, with the unpooled standard
  error sqrt(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c) — the interval that goes
  with the estimate rather than with the null hypothesis; it is reliable
  once every arm has ten or more converters and non-converters, which is
  checked (see warnings).
  95 % interval of the relative lift: the delta method on the log of the
  rate ratio (Katz's log interval), exp(log(p_t/p_c) ± z·sqrt((1 − p_t)/x_t
  + (1 − p_c)/x_c)) − 1. A ratio's sampling distribution is skewed; on the
  log scale it is close to normal, so the interval is asymmetric as it
  should be and never goes below −100 %. Fieller's interval is the
  alternative, but it is unbounded whenever the control rate is not
  clearly above zero, whereas the log interval exists as soon as both arms
  have a converter.

Value outcomes (revenue per member, orders per member)
  mean per member m = sum / n; sample variance (sum_sq − sum²/n)/(n − 1).
  Welch's t-test (unequal variances): t = (m_t − m_c)/sqrt(v_t/n_t + v_c/n_c)
  with Welch–Satterthwaite degrees of freedom; the 95 % interval of the
  absolute lift uses the same t quantile and degrees of freedom.
  95 % interval of the relative lift m_t/m_c − 1: Fieller's, the set of
  ratios θ for which (m_t − θ·m_c)/sqrt(v_t/n_t + θ²·v_c/n_c) stays within
  the t quantile. Means may be zero or negative, which rules out the log
  interval; Fieller's interval is exact for normal means and turns
  unbounded (reported as none, with a warning) when the control mean is not
  clearly away from zero, where a ratio says nothing.

Minimum detectable effect (α = 0.05 two-sided, power 0.8 by default)
  (z_{1−α/2} + z_{power}) · σ · sqrt(1/n_t + 1/n_c), with σ the control
  arm's standard deviation (sqrt(p_c(1 − p_c)) for yes/no outcomes): the
  smallest true lift these arm sizes detect four times out of five. When
  the observed lift is smaller, a warning says the arms are too small to
  tell it from no effect.

Sums of squares lose precision when values are large and alike (the
variance is a small difference of large numbers); outcomes in currency
units per member are far from that limit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from scipy import stats

Outcome = Literal["yes/no", "value"]


class LiftError(ValueError):
    """Aggregates that cannot be compared: a missing control arm, impossible sums."""


@dataclass(frozen=True)
class Arm:
    """Per-arm aggregates from the engine: members, sum of the outcome, sum of its squares."""

    name: str
    n: int
    total: float
    total_sq: float | None = None  # needed for value outcomes; equals total for yes/no outcomes


@dataclass
class ArmResult:
    name: str
    members: int
    rate: float | None = None  # yes/no outcomes
    converters: int | None = None
    mean: float | None = None  # value outcomes
    sd: float | None = None


@dataclass
class Comparison:
    """One arm against control; None where a figure is undefined (see `warnings`)."""

    arm: str
    control: str
    absolute_lift: float | None
    ci_low: float | None
    ci_high: float | None
    relative_lift: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    statistic: float | None  # z or Welch's t
    p_value: float | None
    df: float | None  # Welch–Satterthwaite degrees of freedom (value outcomes)
    mde: float | None  # minimum detectable absolute lift
    mde_relative: float | None
    significant: bool | None
    warnings: list[str] = field(default_factory=list)


@dataclass
class LiftResult:
    outcome: Outcome
    control: str
    confidence: float
    power: float
    arms: list[ArmResult]
    comparisons: list[Comparison]
    methods: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


METHODS: dict[Outcome, dict[str, str]] = {
    "yes/no": {"test": "two-proportion z-test, pooled (z² = chi-square without Yates' correction)",
               "absolute interval": "Wald, unpooled standard error",
               "relative interval": "delta method on the log rate ratio (Katz)",
               "minimum detectable effect": "normal approximation with the control rate"},
    "value": {"test": "Welch's t-test", "absolute interval": "Welch t, Welch–Satterthwaite degrees of freedom",
              "relative interval": "Fieller, with the same t quantile",
              "minimum detectable effect": "normal approximation with the control standard deviation"},
}


def lift(arms: Sequence[Arm], control: str, outcome: Outcome, *, confidence: float = 0.95,
         power: float = 0.8) -> LiftResult:
    """Compare every arm with `control`."""
    if outcome not in METHODS:
        raise LiftError(f"unknown outcome kind `{outcome}`: yes/no or value")
    arms = [Arm(a.name, _count(a.name, a.n), float(a.total), None if a.total_sq is None else float(a.total_sq))
            for a in arms]
    by_name = {a.name: a for a in arms}
    if control not in by_name:
        raise LiftError(f"no arm `{control}` among {', '.join(by_name) or 'no arms'}")
    for a in arms:
        _check(a, outcome)
    alpha = 1 - confidence
    results = [_arm_result(a, outcome) for a in arms]
    c = by_name[control]
    comparisons = [(_proportions if outcome == "yes/no" else _means)(a, c, alpha, power)
                   for a in arms if a.name != control]
    return LiftResult(outcome, control, confidence, power, results, comparisons, dict(METHODS[outcome]))


def _count(name: str, n: float) -> int:
    if n < 0 or n != int(n):
        raise LiftError(f"arm `{name}`: {n} is not a number of members")
    return int(n)


def _check(a: Arm, outcome: Outcome) -> None:
    if outcome == "yes/no":
        if not 0 <= a.total <= a.n or a.total != int(a.total):
            raise LiftError(f"arm `{a.name}`: {a.total} converters among {a.n} members")
        if a.total_sq is not None and a.total_sq != a.total:
            raise LiftError(f"arm `{a.name}`: the outcome is not yes/no (its squares add up to "
                            f"{a.total_sq}, its values to {a.total})")
    elif a.total_sq is None:
        raise LiftError(f"arm `{a.name}`: a value outcome needs the sum of squares")
    elif a.n and a.total_sq < 0:
        raise LiftError(f"arm `{a.name}`: a negative sum of squares")


def _variance(a: Arm) -> float | None:
    if a.n < 2:
        return None
    assert a.total_sq is not None
    return max(0.0, (a.total_sq - a.total * a.total / a.n) / (a.n - 1))


def _arm_result(a: Arm, outcome: Outcome) -> ArmResult:
    if outcome == "yes/no":
        return ArmResult(a.name, a.n, rate=a.total / a.n if a.n else None, converters=int(a.total))
    v = _variance(a)
    return ArmResult(a.name, a.n, mean=a.total / a.n if a.n else None, sd=None if v is None else math.sqrt(v))


def _mde(sd: float, nt: int, nc: int, alpha: float, power: float) -> float:
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd * math.sqrt(1 / nt + 1 / nc))


def _too_small(comp: Comparison, label: str, alpha: float, power: float) -> None:
    if comp.mde is not None and comp.absolute_lift is not None and abs(comp.absolute_lift) < comp.mde:
        tail = ("a significant result at this size probably overstates the true lift" if comp.significant
                else "a true lift of this size would usually go unnoticed")
        comp.warnings.append(
            f"arms too small: `{comp.arm}` and `{comp.control}` detect only a lift of ±{label} or more "
            f"(α {alpha:g}, power {power:g}); the observed lift is smaller, and {tail}")


def _proportions(t: Arm, c: Arm, alpha: float, power: float) -> Comparison:
    comp = Comparison(t.name, c.name, *([None] * 12))
    if t.n == 0 or c.n == 0:
        comp.warnings.append(f"`{t.name if t.n == 0 else c.name}` has no members")
        return comp
    xt, xc = int(t.total), int(c.total)
    pt, pc_ = xt / t.n, xc / c.n
    z = float(stats.norm.ppf(1 - alpha / 2))
    comp.absolute_lift = pt - pc_
    pooled = (xt + xc) / (t.n + c.n)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / t.n + 1 / c.n))
    if se0 > 0:
        comp.statistic = comp.absolute_lift / se0
        comp.p_value = float(2 * stats.norm.sf(abs(comp.statistic)))
        comp.significant = comp.p_value < alpha
    else:
        comp.warnings.append("every member of both arms has the same outcome: there is nothing to test")
    se = math.sqrt(pt * (1 - pt) / t.n + pc_ * (1 - pc_) / c.n)
    comp.ci_low, comp.ci_high = comp.absolute_lift - z * se, comp.absolute_lift + z * se
    if xc > 0:
        comp.relative_lift = pt / pc_ - 1
        if xt > 0:
            s = math.sqrt((1 - pt) / xt + (1 - pc_) / xc)
            log_rr = math.log(pt / pc_)
            comp.relative_ci_low = math.exp(log_rr - z * s) - 1
            comp.relative_ci_high = math.exp(log_rr + z * s) - 1
        else:
            comp.warnings.append(f"no converters in `{t.name}`: no interval for the relative lift")
    else:
        comp.warnings.append(f"no converters in `{c.name}`: the relative lift is undefined")
    if 0 < pc_ < 1:
        comp.mde = _mde(math.sqrt(pc_ * (1 - pc_)), t.n, c.n, alpha, power)
        comp.mde_relative = comp.mde / pc_
        _too_small(comp, f"{comp.mde * 100:.2g} points", alpha, power)
    for a, x in ((t, xt), (c, xc)):
        if min(x, a.n - x) < 10:
            comp.warnings.append(f"`{a.name}` has fewer than 10 converters or non-converters: "
                                 "the normal approximation is rough")
    return comp


def _means(t: Arm, c: Arm, alpha: float, power: float) -> Comparison:
    comp = Comparison(t.name, c.name, *([None] * 12))
    vt, vc = _variance(t), _variance(c)
    if vt is None or vc is None:
        comp.warnings.append(f"`{t.name if vt is None else c.name}` has fewer than 2 members")
        return comp
    mt, mc = t.total / t.n, c.total / c.n
    comp.absolute_lift = mt - mc
    st2, sc2 = vt / t.n, vc / c.n
    se = math.sqrt(st2 + sc2)
    if se == 0:
        comp.warnings.append("the outcome does not vary within either arm: there is nothing to test")
        return comp
    df = (st2 + sc2) ** 2 / (st2 ** 2 / (t.n - 1) + sc2 ** 2 / (c.n - 1))
    q = float(stats.t.ppf(1 - alpha / 2, df))
    comp.df = df
    comp.statistic = comp.absolute_lift / se
    comp.p_value = float(2 * stats.t.sf(abs(comp.statistic), df))
    comp.significant = comp.p_value < alpha
    comp.ci_low, comp.ci_high = comp.absolute_lift - q * se, comp.absolute_lift + q * se
    if mc != 0:
        comp.relative_lift = mt / mc - 1
        # Fieller: θ² (m_c² − q² s_c²) − 2θ m_t m_c + (m_t² − q² s_t²) ≤ 0
        a = mc * mc - q * q * sc2
        if a > 0:
            half = q * math.sqrt(mt * mt * sc2 + mc * mc * st2 - q * q * st2 * sc2)
            comp.relative_ci_low = (mt * mc - half) / a - 1
            comp.relative_ci_high = (mt * mc + half) / a - 1
        else:
            comp.warnings.append(f"the mean of `{c.name}` is too close to zero for a bounded interval "
                                 "of the relative lift")
    else:
        comp.warnings.append(f"the mean of `{c.name}` is zero: the relative lift is undefined")
    sd = math.sqrt(vc)
    if sd > 0:
        comp.mde = _mde(sd, t.n, c.n, alpha, power)
        comp.mde_relative = comp.mde / abs(mc) if mc else None
        _too_small(comp, f"{comp.mde:.3g}", alpha, power)
    return comp
