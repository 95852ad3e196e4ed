"""A `Predict` node of the model as SQL: the summary features as DOUBLE, the fitted parameters as constants.

The node's inputs are the prediction's summary features (columns of an
earlier layer), cast to DOUBLE once per reference and divided by the unit's
length in days; a member without purchases (no age) gets NULL for every
part, never the value of an empty history.
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ..lang.diagnostics import error
from ..semantic import model as m
from . import sql as S
from .fit import BGNBDFit, GammaGammaFit

BGNBD_PARAMS = ("r", "alpha", "a", "b")
SPEND_PARAMS = ("p", "q", "v")


class _Params:
    """Fitted parameters in the attribute form the SQL builders read."""

    def __init__(self, values: dict[str, float], names: tuple[str, ...]):
        for k in names:
            setattr(self, k, float(values[k]))


def unbound(node: m.Predict) -> Exception:
    return error("SEG330", f"the prediction `{node.prediction}` has no fitted parameters", node.span,
                 "fit it on the data with `segdsl fit MODEL.seg --db …` (or --target), which writes MODEL.seg.lock "
                 "beside the model; `run` fits by itself when there is no lock file")


def _parts(node: m.Predict, compile_input: Callable[[m.Expr], exp.Expression]
           ) -> tuple[dict[str, float], S.Member, float | None]:
    """The node's parameters, its summary as DOUBLE expressions in units, and the horizon whose z and y
    its ₂F₁ reads (None when it reads none, or one per step)."""
    if node.fit is None:
        raise unbound(node)
    values = node.params()
    double = exp.DataType.build("DOUBLE")

    def days(e: m.Expr) -> exp.Expression:
        return exp.cast(compile_input(e), double)

    def units(e: m.Expr) -> exp.Expression:
        d = days(e)
        return d if node.unit_days == 1 else S.div(d, S.lit(node.unit_days))

    member = S.Member(days(node.x), units(node.tx), units(node.T), days(node.m) if node.m is not None else None)
    horizon = (node.horizon if node.part == "purchases" else
               node.steps * node.step if node.part == "value" and node.discount == 0 else None)
    return values, member, horizon


def inputs(node: m.Predict, compile_input: Callable[[m.Expr], exp.Expression]) -> dict[str, exp.Expression]:
    """The inputs of a part by role (x, tx, T, m, and z@h, y@h of its horizon h), as expressions of the
    layer's columns, for a derived table below the layer that computes the part (`predict_sql`'s
    `given`): the ₂F₁ reads x and z about a hundred times each, inside CASE branches where no engine
    shares a repeated expression. Computed once per row, the scoring of a million members (all four
    parts and value tiers, on DuckDB) took 1.4 s instead of 2.1 s, its text 88 kB instead of 134 kB."""
    values, member, horizon = _parts(node, compile_input)
    out = {"x": member.x, "tx": member.tx, "T": member.T}
    if member.m is not None:
        out["m"] = member.m
    if horizon is not None:
        z, y = S.horizon_zy(_Params(values, BGNBD_PARAMS), member, horizon)
        out[f"z@{horizon!r}"], out[f"y@{horizon!r}"] = z, y
    return out


def predict_sql(node: m.Predict, compile_input: Callable[[m.Expr], exp.Expression],
                given: Callable[[str], exp.Expression] | None = None) -> exp.Expression:
    """The SQL of one part of a prediction; `compile_input` writes an input feature (a column reference).
    `given` returns a column holding an input by its role (`inputs`), computed in a derived table below."""
    values, member, horizon = _parts(node, compile_input)
    zy = None
    if given is not None:
        member = S.Member(given("x"), given("tx"), given("T"), given("m") if member.m is not None else None)
        if horizon is not None:
            zy = (given(f"z@{horizon!r}"), given(f"y@{horizon!r}"))
    # Expected purchases are (a+b+x−1)/(a−1) · (1 − G) · P(alive): near a = 1, G is near 1 and 1 − G keeps
    # only a fraction |a − 1| of G's digits, so G is evaluated that much more precisely (a plan within
    # 10⁻¹⁰·|a − 1|, not below 10⁻¹³: the text grows by about a tenth per decade).
    tolerance = min(1e-10, max(1e-13, 1e-10 * abs(values["a"] - 1)))
    bgnbd = _Params(values, BGNBD_PARAMS)
    if node.part == "alive":
        body = S.p_alive(bgnbd, member)
    elif node.part == "purchases":
        body = S.expected_purchases(bgnbd, member, node.horizon, tolerance, zy)
    elif node.part == "spend":
        body = S.expected_spend(_Params(values, SPEND_PARAMS), member)
    else:
        body = S.expected_value(bgnbd, _Params(values, SPEND_PARAMS), member, node.steps, node.step, node.discount,
                                tolerance, zy)
    missing = exp.Is(this=compile_input(node.T), expression=exp.Null())
    return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=body)


def bind(node: m.Predict, bgnbd: BGNBDFit, spend: GammaGammaFit | None) -> m.Predict:
    """The node with the fitted parameters."""
    from dataclasses import replace

    pairs = [(k, float(getattr(bgnbd, k))) for k in BGNBD_PARAMS]
    if spend is not None:
        pairs += [(k, float(getattr(spend, k))) for k in SPEND_PARAMS]
    return replace(node, fit=tuple(pairs))
