"""Predicted customer value: BG/NBD and Gamma-Gamma, fitted from grouped summaries, scored in SQL.

The models
----------
* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy
  way"): while alive a customer buys at rate λ ~ Gamma(r, α); after each
  purchase they drop out with probability p ~ Beta(a, b). Parameters r, α,
  a, b (α in the summary's time unit).
* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie's note
  025): a customer's purchases have mean ν ~ Gamma(q, v) and shape p;
  fitted on repeat customers whose mean repeat value is positive.
  Parameters p, q, v; q > 1 for a finite population mean v p / (q − 1).

The summary (per member, as the published CDNOW summary defines it)
-------------------------------------------------------------------
* x, frequency: repeat purchase days — the distinct days with a purchase,
  minus one;
* tₓ, recency: from the first purchase to the last, in units;
* T, age: from the first purchase to as_of, in units;
* m, mean repeat value: the mean value of the repeat purchases (undefined
  when x = 0).

Durations are days divided by the unit's length in days (weeks: days / 7,
so 272 days are T = 38.86). The fit's α and every horizon are in that unit.

The predictions (lifetimes 0.11's definitions, equal to its results)
--------------------------------------------------------------------
* P(alive) — `conditional_probability_alive`;
* expected purchases in a horizon t — `conditional_expected_number_of_purchases_up_to_time`;
* expected spend per purchase — `conditional_expected_average_profit`;
* expected value — `customer_lifetime_value`: spend · Σᵢ₌₁..ₙ (E(i·s) − E((i−1)·s)) / (1 + d)^i
  for n steps of s units and a discount rate d per step (lifetimes' time=n,
  discount_rate=d, freq="W" is n, s = 4.345 weeks, d).

Expected purchases and the ₂F₁
------------------------------
Expected purchases need G = (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z),
z = t / (α + T + t), which no engine provides. `hyp2f1` evaluates it as
(1 − z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) (Euler's transformation, so
nothing overflows): a power series in z for small z and large x, and for
x ≤ x_B near z = 1 the connection formula at z = 1 with Γ factors tabulated
per x. The series lengths and switch points are chosen for each fit when
the SQL is built, so that the relative error is provably ≤ 10⁻¹⁰ (at most
10⁻⁸ for awkward parameters; `Hyp2f1Plan.bound`) for every x ≥ 0 and every
z up to at least 0.95 — in practice up to 1 − 10⁻¹² for small x and 0.9999
for large x. Beyond that reach the SQL yields NULL, never a wrong number;
`Hyp2f1Plan.domain()` and `sql.expected_purchases_domain()` say where
(the parameters σ = r − a + 1 near an integer or a, b both large leave
gaps for small x at z above about 0.85).

The API the compiler calls
--------------------------
Fitting (plain arrays in; an engine's GROUP BY produces them)::

    fit_bgnbd(x, tx, T, count=None) -> BGNBDFit       # r, alpha, a, b, log_likelihood, customers, …
    fit_gamma_gamma(x, m, count=None) -> GammaGammaFit  # p, q, v, …, excluded
    BGNBDFit.to_dict() / from_dict(d)                 # the lock file's record
    FitError(kind, message, hint, counts, fit)        # bad_input | too_few | not_converged | improper

SQL (sqlglot expressions of DOUBLE inputs; parameters become constants)::

    member = Member(x, tx, T, m)                      # expressions, or Member.columns(...)
    sql.p_alive(bgnbd, member)
    sql.expected_purchases(bgnbd, member, horizon)    # NULL outside the ₂F₁ domain
    sql.expected_spend(gamma_gamma, member)
    sql.expected_value(bgnbd, gamma_gamma, member, steps, step, discount=0.0)
    sql.expected_purchases_domain(bgnbd, horizon)     # [(x_from, x_to, T_min)]: where NULL comes from
    sql.sqlite_math_functions(con)                    # LN, EXP on an SQLite built without them

The language's side::

    compile.predict_sql(node, compile_input, given)   # a model's Predict node (segdsl.semantic.predictions)
    compile.inputs(node, compile_input)               # its inputs (x, tₓ, T, m, z, y) for a derived table
                                                      # below the layer; `given` then reads them as columns
    lock.read_lock / write_lock / bind_stored         # MODEL.seg.lock: stored fits bound into a checked model
    (segdsl.engines.predictions fits on an engine: the grouped summary, the fingerprint, staleness)

numpy reference (the same formulas, scipy's ₂F₁)::

    formulas.p_alive / expected_purchases / expected_spend / expected_value

May import: segdsl.lang, segdsl.semantic (the model's `Predict` node, in `compile`; the lock file
binds parameters into a checked model). The compiler (segdsl.sql) imports this package, and
fitting on an engine lives in segdsl.engines.predictions.
"""

from __future__ import annotations

from . import formulas, hyp2f1, sql
from .fit import BGNBDFit, FitError, GammaGammaFit, fit_bgnbd, fit_gamma_gamma, group_rows
from .sql import Member

__all__ = ["BGNBDFit", "FitError", "GammaGammaFit", "Member", "fit_bgnbd", "fit_gamma_gamma", "formulas",
           "group_rows", "hyp2f1", "sql"]
