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


def pair_horizon(node: m.Predict, compile_input: Callable[[m.Expr], exp.Expression]) -> float | None:
    """The horizon of the one ₂F₁ a part reads, when it can be computed once per pair (x, T) of the
    members (`pair_table`): x and T are columns, which the pairs are selected and joined back on."""
    _, _, horizon = _parts(node, compile_input)
    keys = (compile_input(node.x), compile_input(node.T))
    return horizon if all(isinstance(k, exp.Column) for k in keys) else None


def pair_table(node: m.Predict, horizons: dict[float, str], compile_input: Callable[[m.Expr], exp.Expression],
               relation: exp.Expression, row: str, alias: str) -> tuple[exp.Expression, exp.Expression]:
    """1 − G of each horizon (to the column named in `horizons`) for every distinct (x, T) of the
    members in `relation`, beside the two columns; and the condition that joins it, as `alias`, to a
    layer's row. `row` is the table alias of the columns `compile_input` writes (`relation`'s alias).

    1 − G depends on a member's x and T only (z and y are functions of T): a million members of the
    benchmark have 137,000 pairs, so the ₂F₁, most of the scoring's time, is evaluated 7 × less often.
    The same expressions as per member, so the same values."""
    values, member, _ = _parts(node, compile_input)
    keys = [compile_input(node.x), compile_input(node.T)]
    assert all(isinstance(k, exp.Column) for k in keys)
    pairs = exp.select(*(k.copy() for k in keys), copy=False).distinct(copy=False).from_(relation, copy=False)
    bgnbd = _Params(values, BGNBD_PARAMS)
    inner = {"_x": member.x}
    for i, h in enumerate(horizons):
        inner[f"_z{i}"], inner[f"_y{i}"] = S.horizon_zy(bgnbd, member, h)
    below = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(row)),
                       *(exp.alias_(e, n, quoted=True, copy=False) for n, e in inner.items()), copy=False)
    below = below.from_(exp.Subquery(this=pairs, alias=exp.TableAlias(this=exp.to_identifier(row))), copy=False)

    def c(name: str) -> exp.Expression:
        return exp.column(name, table=row, quoted=True)

    columns = [k.copy() for k in keys]
    for i, (h, name) in enumerate(horizons.items()):
        zy = (c(f"_z{i}"), c(f"_y{i}"))
        omg = S.one_minus_g(bgnbd, S.Member(c("_x"), member.tx, member.T), h, _tolerance(values), zy)
        columns.append(exp.alias_(omg, name, quoted=True, copy=False))
    table = exp.select(*columns, copy=False).from_(
        exp.Subquery(this=below, alias=exp.TableAlias(this=exp.to_identifier(row))), copy=False)
    on = exp.and_(*(exp.EQ(this=k.copy(), expression=exp.column(k.name, table=alias, quoted=True)) for k in keys))
    return exp.Subquery(this=table, alias=exp.TableAlias(this=exp.to_identifier(alias))), on


def _tolerance(values: dict[str, float]) -> float:
    """Expected purchases are (a+b+x−1)/(a−1) · (1 − G) · P(alive): near a = 1, G is near 1 and 1 − G keeps
    only a fraction |a − 1| of G's digits, so G is evaluated that much more precisely (a plan within
    10⁻¹⁰·|a − 1|, not below 10⁻¹³: the text grows by about a tenth per decade)."""
    return min(1e-10, max(1e-13, 1e-10 * abs(values["a"] - 1)))


def predict_sql(node: m.Predict, compile_input: Callable[[m.Expr], exp.Expression],
                given: Callable[[str], exp.Expression | None] | None = None) -> exp.Expression:
    """The SQL of one part of a prediction; `compile_input` writes an input feature (a column reference).
    `given` returns a column holding an input by its role (`inputs`), computed in a derived table below,
    or None; `g@h`, 1 − G of horizon h, comes from a `pair_table` when given."""
    values, member, horizon = _parts(node, compile_input)
    zy = omg = None
    if given is not None:
        member = S.Member(given("x"), given("tx"), given("T"), given("m") if member.m is not None else None)
        if horizon is not None:
            zy = (given(f"z@{horizon!r}"), given(f"y@{horizon!r}"))
            omg = given(f"g@{horizon!r}")
    tolerance = _tolerance(values)
    bgnbd = _Params(values, BGNBD_PARAMS)
    if node.part == "alive":
        body = S.p_alive(bgnbd, member)
    elif node.part == "purchases":
        body = S.expected_purchases(bgnbd, member, node.horizon, tolerance, zy, omg)
    elif node.part == "spend":
        body = S.expected_spend(_Params(values, SPEND_PARAMS), member)
    else:
        body = S.expected_value(bgnbd, _Params(values, SPEND_PARAMS), member, node.steps, node.step, node.discount,
                                tolerance, zy, omg)
    missing = exp.Is(this=compile_input(node.T), expression=exp.Null())
    return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=body)


def bind(node: m.Predict, bgnbd: BGNBDFit, spend: GammaGammaFit | None) -> m.Predict:
    """The node with the fitted parameters."""
    from dataclasses import replace

    pairs = [(k, float(getattr(bgnbd, k))) for k in BGNBD_PARAMS]
    if spend is not None:
        pairs += [(k, float(getattr(spend, k))) for k in SPEND_PARAMS]
    return replace(node, fit=tuple(pairs))
