"""The predictions as portable SQL expressions (sqlglot), with the fitted parameters as constants.

Every builder takes sqlglot expressions for a member's summary — frequency
x, recency tₓ, age T (in the fit's unit), mean repeat value m — which must
be DOUBLE (cast them once where the summary is computed: integer columns
would make some engines do decimal or integer arithmetic), and returns one
expression. Only arithmetic, CASE, LN and EXP appear (no POWER of a
negative number, no user functions, no recursion), every literal is a
double written with an exponent, every EXP argument is guarded so that no
engine raises on underflow (PostgreSQL does: values below e⁻⁶⁰⁰ ≈ 10⁻²⁶¹
become 0), every LN argument is positive and no division can be by zero,
so the same text compiles for every dialect sqlglot supports and gives the
same numbers on every engine.

Each input is referenced several times (x and the horizon's z about a
hundred times in expected purchases), so pass column references of a
derived table rather than long expressions; `size()` measures the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlglot import exp

from . import hyp2f1 as hf
from .formulas import BGNBD, GammaGamma

EXP_FLOOR = -600.0  # EXP below this is taken as 0 (PostgreSQL raises on double underflow)
Expr = exp.Expression


# ── building blocks ──────────────────────────────────────────────────────────


def lit(v: float) -> Expr:
    """A double literal, written with an exponent so that every engine reads it as a double
    (DuckDB, Spark and MySQL read 0.5 as a decimal), negative values as a negation."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {v}")
    text = repr(abs(v))
    if "e" not in text and "E" not in text:
        text += "e0"
    node = exp.Literal(this=text, is_string=False)
    return exp.Neg(this=node) if v < 0 or (v == 0 and math.copysign(1, v) < 0) else node


def _p(e: Expr) -> Expr:
    """Parenthesised unless atomic (a column, a literal, a negative literal, a function call)."""
    atomic = isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Func)) or (
        isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal))
    return e if atomic else exp.Paren(this=e)


def add(a: Expr, b: Expr) -> Expr:
    return exp.Add(this=a, expression=b)


def sub(a: Expr, b: Expr) -> Expr:
    return exp.Sub(this=a, expression=_p(b))


def mul(a: Expr, b: Expr) -> Expr:
    return exp.Mul(this=_p(a), expression=_p(b))


def div(a: Expr, b: Expr) -> Expr:
    # typed: both sides are doubles, so sqlglot need not cast for engines whose / divides integers
    return exp.Div(this=_p(a), expression=_p(b), typed=True, safe=False)


def ln(a: Expr) -> Expr:
    return exp.Ln(this=a)


def shifted(x: Expr, c: float, sign: int = 1) -> Expr:
    """sign·x + c as `x + c`, `x - c` or `c - x` (no literal-only arithmetic)."""
    if sign == 0:
        return lit(c)
    if sign > 0:
        if c == 0:
            return x.copy()
        return add(x.copy(), lit(c)) if c > 0 else sub(x.copy(), lit(-c))
    return sub(lit(c), x.copy())


def safe_exp(arg: Expr) -> Expr:
    """EXP(arg), or 0 where arg < −600 (the value is below 10⁻²⁶⁰)."""
    return exp.Case(ifs=[exp.If(this=exp.LT(this=arg.copy(), expression=lit(EXP_FLOOR)), true=lit(0.0))],
                    default=exp.Exp(this=arg))


def case(*whens: tuple[Expr, Expr], default: Expr | None = None) -> Expr:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in whens], default=default)


def table(x: Expr, values: dict[int, float], default: Expr | None = None) -> Expr:
    """CASE x WHEN 0 THEN v0 WHEN 1 THEN v1 … [ELSE default] END (NULL for any other x)."""
    return exp.Case(this=x.copy(), ifs=[exp.If(this=exp.Literal.number(k), true=lit(v)) for k, v in values.items()],
                    default=default)


def size(e: Expr, dialect: str = "duckdb") -> tuple[int, int]:
    """(nodes, characters of the SQL text) of an expression."""
    return sum(1 for _ in e.walk()), len(e.sql(dialect))


# ── ₂F₁ ──────────────────────────────────────────────────────────────────────


def _ratios(series: hf.Series, n: int) -> list[int]:
    """The term indices m < n whose ratio t_{m+1}/t_m is used: the series stops after a zero ratio
    (an upper parameter that is a non-positive integer)."""
    out = []
    for m in range(n):
        u1, u2 = series.u1, series.u2
        if (u1.c1 == 0 and u1.c0 + m == 0) or (u2.c1 == 0 and u2.c0 + m == 0):
            break
        out.append(m)
    return out


def _ratio(series: hf.Series, x: Expr, w: Expr, m: int) -> Expr:
    """ρ_m = w (u1 + m)(u2 + m) / ((v + m)(m + 1)), parameters affine in x."""
    u1, u2, v = series.u1, series.u2, series.v
    if u1.c1 == 0 and u2.c1 == 0:
        k = (u1.c0 + m) * (u2.c0 + m) / (m + 1)
        return div(mul(w.copy(), lit(k)), shifted(x, v.c0 + m, v.c1))
    num = mul(mul(w.copy(), shifted(x, u1.c0 + m, u1.c1)), shifted(x, u2.c0 + m, u2.c1))
    den = shifted(x, v.c0 + m, v.c1) if m == 0 else mul(shifted(x, v.c0 + m, v.c1), lit(m + 1))
    return div(num, den)


def _product(series: hf.Series, x: Expr, w: Expr, ms: list[int]) -> Expr:
    """ρ_{m₀} ⋯ ρ_{m_k} as one flat product: constants folded, w to the power k, the affine factors
    multiplied in a chain (which neither sqlglot nor an engine nests)."""
    u1, u2, v = series.u1, series.u2, series.v
    const = 1.0
    num: list[Expr] = []
    den: list[Expr] = []
    for m in ms:
        const /= m + 1
        for u in (u1, u2):
            if u.c1 == 0:
                const *= u.c0 + m
            else:
                num.append(shifted(x, u.c0 + m, u.c1))
        den.append(shifted(x, v.c0 + m, v.c1))
    power = w.copy() if len(ms) == 1 else exp.Pow(this=w.copy(), expression=exp.Literal.number(len(ms)))
    top: Expr = mul(lit(const), power)
    for f in num:
        top = mul(top, f)
    bottom = den[0]
    for f in den[1:]:
        bottom = mul(bottom, f)
    return div(top, bottom)


def _series_sum(series: hf.Series, x: Expr, w: Expr, n: int) -> Expr:
    """Σ_{m ≤ n} t_m of ₂F₁(u1, u2; v; w) in blocks of about √n terms, so the expression nests about
    2√n deep rather than n (sqlglot's parser and some engines limit nesting):

        S = H₀ + Π₀ (H₁ + Π₁ (H₂ + …)),  H_k = 1 + ρ (1 + ρ (…)) over block k,  Π_k = ∏ of its ρ.
    """
    ms = _ratios(series, n)
    if not ms:
        return lit(1.0)
    size_ = max(1, math.isqrt(len(ms) - 1) + 1)
    blocks = [ms[i:i + size_] for i in range(0, len(ms), size_)]

    def horner(ratios: list[int]) -> Expr:
        """Σ_{j ≤ len} ∏_{i < j} ρ_i over these ratios."""
        if not ratios:
            return lit(1.0)
        out: Expr = add(lit(1.0), _ratio(series, x, w, ratios[-1]))
        for m in reversed(ratios[:-1]):
            out = add(lit(1.0), mul(_ratio(series, x, w, m), out))
        return out

    # block k holds the terms t_{kB} … t_{kB+B−1} (its last ratio leads to the next block); the last
    # block holds every remaining term up to t_n
    out = horner(blocks[-1])
    for block in reversed(blocks[:-1]):
        out = add(horner(block[:-1]), mul(_product(series, x, w, block), out))
    return out


def _affine_times(c: hf.Affine, x: Expr, factor: Expr) -> Expr | None:
    """(c0 + c1·x) · factor, or None when it is 0."""
    if c.c1 == 0:
        return None if c.c0 == 0 else mul(lit(c.c0), factor)
    return mul(shifted(x, c.c0, c.c1), factor)


def g_sql(plan: hf.Hyp2f1Plan, x: Expr, z: Expr, y: Expr) -> Expr:
    """G(x, z) = (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) by the plan; NULL outside its domain.

    z and y = 1 − z are passed separately so that y keeps its relative precision near z = 1
    (compute both from T: z = t / (α + T + t), y = (α + T) / (α + T + t)).
    """
    ly = ln(y.copy())
    region_a = mul(safe_exp(mul(lit(plan.p), ly)), _series_sum(hf.Series(hf.Affine(plan.q), hf.Affine(plan.p),
                                                                          hf.Affine(plan.q + plan.r, 1)), x, z, plan.n_a))
    bands = plan.bands
    band_limit: Expr = lit(bands[0][1])
    if len(bands) > 1:
        band_limit = case(*[(exp.GTE(this=x.copy(), expression=lit(x_from)), lit(zmax))
                            for x_from, zmax in reversed(bands[1:])], default=lit(bands[0][1]))
    on = [k for k in range(plan.x_b + 1) if plan.z_switch[k] <= 1]
    if plan.x_b < 0:
        return case((exp.And(this=exp.GTE(this=x.copy(), expression=lit(0.0)),
                             expression=exp.LTE(this=z.copy(), expression=band_limit)), region_a))
    small_limit = table(x, {k: (plan.z_switch[k] if k in on else plan.z_small[k]) for k in range(plan.x_b + 1)})
    limit = case((exp.GTE(this=x.copy(), expression=lit(plan.x_b + 1)), band_limit), default=small_limit)
    first = (exp.LTE(this=z.copy(), expression=limit), region_a)
    if not on:
        return case(first)
    t1, t2 = plan.terms()
    lz = ln(z.copy())
    parts = []
    for term, gammas, n in ((t1, plan.gamma1, plan.n_b1), (t2, plan.gamma2, plan.n_b2)):
        exponent = _affine_times(term.y_exp, x, ly.copy())
        z_part = _affine_times(term.z_exp, x, lz.copy())
        exponent = z_part if exponent is None else (exponent if z_part is None else add(exponent, z_part))
        power = safe_exp(exponent) if exponent is not None else lit(1.0)
        parts.append(mul(mul(table(x, {k: gammas[k] for k in on}), power), _series_sum(term.series, x, y, n)))
    region_b = add(parts[0], parts[1])
    second = (exp.And(this=exp.LTE(this=x.copy(), expression=lit(plan.x_b)),
                      expression=exp.LTE(this=z.copy(), expression=lit(1 - hf.Y_MIN))), region_b)
    return case(first, second)


def hyp2f1_sql(model: BGNBD, x: Expr, z: Expr, y: Expr | None = None, tolerance: float = hf.DEFAULT_TOLERANCE) -> Expr:
    """The scaled ₂F₁ of expected purchases, G(x, z); y = 1 − z if not given."""
    y = y if y is not None else sub(lit(1.0), z.copy())
    return g_sql(hf.plan(model.r, model.a, model.b, tolerance), x, z, y)


# ── predictions ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Member:
    """A member's summary as DOUBLE expressions: frequency x, recency tₓ, age T (fit's unit),
    mean repeat value m (only for spend and value)."""

    x: Expr
    tx: Expr
    T: Expr
    m: Expr | None = None

    @classmethod
    def columns(cls, x: str = "x", tx: str = "tx", T: str = "T", m: str | None = "m", table: str | None = None,
                cast: bool = False) -> Member:
        """Column references, optionally cast to DOUBLE."""
        def col(name: str) -> Expr:
            c = exp.column(name, table=table, quoted=True)
            return exp.cast(c, "DOUBLE") if cast else c
        return cls(col(x), col(tx), col(T), col(m) if m else None)


def log_alive_odds_sql(model: BGNBD, member: Member) -> Expr:
    """L = ln(a / (b + x − 1)) + (r + x) ln((α + T) / (α + tₓ)) for x > 0 (P(alive) = 1 / (1 + e^L))."""
    x = member.x
    return add(sub(lit(math.log(model.a)), ln(shifted(x, model.b - 1))),
               mul(shifted(x, model.r), ln(div(shifted(member.T, model.alpha), shifted(member.tx, model.alpha)))))


def p_alive(model: BGNBD, member: Member) -> Expr:
    """P(alive) = 1 / (1 + e^L); 1 where x = 0, and 0 where L > 600 (the value is below 10⁻²⁶⁰),
    so that EXP never overflows."""
    odds = log_alive_odds_sql(model, member)
    return case((exp.LTE(this=member.x.copy(), expression=lit(0.0)), lit(1.0)),
                (exp.GT(this=odds.copy(), expression=lit(-EXP_FLOOR)), lit(0.0)),
                default=div(lit(1.0), add(lit(1.0), exp.Exp(this=odds))))


def horizon_zy(model: BGNBD, member: Member, horizon: float | Expr) -> tuple[Expr, Expr]:
    """z = t / (α + T + t) and y = (α + T) / (α + T + t), each with its own relative precision."""
    if isinstance(horizon, exp.Expression):
        denominator = add(shifted(member.T, model.alpha), horizon.copy())
        return div(horizon.copy(), denominator), div(shifted(member.T, model.alpha), denominator.copy())
    if not (horizon > 0 and math.isfinite(horizon)):
        raise ValueError(f"the horizon must be a positive number of units, not {horizon!r}")
    return (div(lit(horizon), shifted(member.T, model.alpha + horizon)),
            div(shifted(member.T, model.alpha), shifted(member.T, model.alpha + horizon)))


def one_minus_g(model: BGNBD, member: Member, horizon: float | Expr, tolerance: float,
                zy: tuple[Expr, Expr] | None = None) -> Expr:
    z, y = zy if zy is not None else horizon_zy(model, member, horizon)
    return sub(lit(1.0), g_sql(hf.plan(model.r, model.a, model.b, tolerance), member.x, z, y))


def expected_purchases(model: BGNBD, member: Member, horizon: float | Expr,
                       tolerance: float = hf.DEFAULT_TOLERANCE, zy: tuple[Expr, Expr] | None = None,
                       omg: Expr | None = None) -> Expr:
    """Expected purchases in the next `horizon` units: (a + b + x − 1)/(a − 1) · (1 − G) · P(alive).
    NULL where G is outside the plan's domain (see `expected_purchases_domain`).

    zy: column references for `horizon_zy(model, member, horizon)` computed in a derived table
    below, which keeps the text about 40 % shorter (z and y are read about a hundred times);
    omg: a column holding `one_minus_g` itself (segdsl.predict.compile.pair_table).
    """
    if model.a == 1:
        raise ValueError("a = 1 is a removable singularity of the expected purchases that the formula "
                         "(and lifetimes) cannot evaluate")
    scale = mul(shifted(member.x, model.a + model.b - 1), lit(1 / (model.a - 1)))
    if omg is None:
        omg = one_minus_g(model, member, horizon, tolerance, zy)
    return mul(mul(scale, omg), p_alive(model, member))


def expected_spend(model: GammaGamma, member: Member) -> Expr:
    """Gamma-Gamma expected spend per purchase: p (v + x m) / (p x + q − 1); v p / (q − 1) where x = 0."""
    if not model.q > 1:
        raise ValueError(f"Gamma-Gamma with q = {model.q} ≤ 1 has no finite mean spend")
    if member.m is None:
        raise ValueError("expected spend needs the mean repeat value m")
    xm = case((exp.GT(this=member.x.copy(), expression=lit(0.0)), mul(member.x.copy(), member.m.copy())),
              default=lit(0.0))
    return div(mul(lit(model.p), add(lit(model.v), xm)), add(mul(lit(model.p), member.x.copy()), lit(model.q - 1)))


def value_steps(steps: int, step: float, discount: float) -> list[tuple[float, float]]:
    """(horizon, weight) per period for the discounted value: Σᵢ (E(i·s) − E((i−1)·s)) vⁱ, v = 1/(1 + d),
    is Σᵢ wᵢ E(i·s) with wᵢ = vⁱ − vⁱ⁺¹ (i < n) and wₙ = vⁿ.

    A planner can join a members' table with these rows and sum weight · expected_purchases(horizon)
    (a horizon expression) per member, times the spend: one ₂F₁ in the text instead of one per step.
    """
    if steps < 1 or not (step > 0) or not (discount >= 0):
        raise ValueError("expected value needs steps ≥ 1, a step > 0 and a discount rate ≥ 0")
    v = 1 / (1 + discount)
    return [(i * step, v ** i - (v ** (i + 1) if i < steps else 0.0)) for i in range(1, steps + 1)]


def expected_value(model: BGNBD, spend_model: GammaGamma, member: Member, steps: int, step: float,
                   discount: float = 0.0, tolerance: float = hf.DEFAULT_TOLERANCE,
                   zy: tuple[Expr, Expr] | None = None, omg: Expr | None = None) -> Expr:
    """lifetimes' customer_lifetime_value: spend · Σᵢ (E(i·step) − E((i−1)·step)) / (1 + d)^i.

    Without a discount the sum telescopes to spend · E(steps·step): one ₂F₁. With one it is
    spend · (a+b+x−1)/(a−1) · P(alive) · Σᵢ wᵢ (1 − G(zᵢ)) (see `value_steps`): one ₂F₁ per step,
    so the text grows with the steps (12 monthly steps: about 130 kB for CDNOW).
    """
    weights = value_steps(steps, step, discount)
    spend = expected_spend(spend_model, member)
    if discount == 0:
        return mul(spend, expected_purchases(model, member, steps * step, tolerance, zy, omg))
    if model.a == 1:
        raise ValueError("a = 1 is a removable singularity of the expected purchases")
    if zy is not None or omg is not None:
        raise ValueError("a discounted value evaluates one horizon per step: it takes no zy")
    total: Expr | None = None
    for horizon, w in weights:
        term = mul(lit(w), one_minus_g(model, member, horizon, tolerance))
        total = term if total is None else add(total, term)
    assert total is not None
    scale = mul(shifted(member.x, model.a + model.b - 1), lit(1 / (model.a - 1)))
    return mul(mul(spend, scale), mul(_p(total), p_alive(model, member)))


def expected_purchases_domain(model: BGNBD, horizon: float,
                              tolerance: float = hf.DEFAULT_TOLERANCE) -> list[tuple[int, int | None, float]]:
    """Where expected purchases in `horizon` units is NULL: rows (x_from, x_to or None, T_min) —
    members with x in the range and T < T_min get NULL (z = t / (α + T + t) above the plan's reach).
    Empty when every member is served."""
    rows = []
    for x_from, x_to, z_max in hf.plan(model.r, model.a, model.b, tolerance).domain():
        if z_max >= 1 - hf.Y_MIN:
            continue
        t_min = horizon * (1 - z_max) / z_max - model.alpha if z_max > 0 else math.inf
        if t_min > 0:
            rows.append((x_from, x_to, t_min))
    return rows


# ── SQLite ───────────────────────────────────────────────────────────────────


def sqlite_math_functions(con: object) -> list[str]:
    """Register LN, EXP and POWER on a sqlite3 connection whose SQLite was built without its math
    functions (SQLITE_ENABLE_MATH_FUNCTIONS, on in the standard builds since 3.35); returns the
    names registered. They behave as SQLite's own: NULL for LN of a number ≤ 0 and on overflow."""
    registered = []
    for name, nargs, fn in (("ln", 1, _ln), ("exp", 1, _exp), ("power", 2, _power)):
        try:
            con.execute(f"SELECT {name}({', '.join(['1.0'] * nargs)})")  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such function
            con.create_function(name, nargs, fn, deterministic=True)  # type: ignore[attr-defined]
            registered.append(name)
    return registered


def _ln(v: float | None) -> float | None:
    return math.log(v) if v is not None and v > 0 else None


def _exp(v: float | None) -> float | None:
    if v is None:
        return None
    try:
        return math.exp(v)
    except OverflowError:
        return None


def _power(base: float | None, exponent: float | None) -> float | None:
    if base is None or exponent is None:
        return None
    try:
        return math.pow(base, exponent)
    except (OverflowError, ValueError):
        return None
