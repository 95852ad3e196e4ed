"""Booleans for engines without them (T-SQL, Oracle before 23ai): conditions lowered to 1/0 and back."""

from __future__ import annotations

from sqlglot import exp

from .base import Dialect, is_predicate, num


def _as_condition(x: exp.Expression) -> exp.Expression:
    if isinstance(x, exp.Boolean):
        return exp.EQ(this=num(1), expression=num(1 if x.this else 0))
    if is_predicate(x):
        return x
    return exp.EQ(this=x, expression=num(1))


def _as_value(x: exp.Expression) -> exp.Expression:
    if isinstance(x, exp.Boolean):
        return num(1 if x.this else 0)
    if not is_predicate(x):
        return x
    # keeps unknown unknown: neither branch matches when the condition is NULL
    return exp.Case(ifs=[exp.If(this=x, true=num(1)), exp.If(this=exp.Not(this=exp.Paren(this=x.copy())), true=num(0))])


def lower_booleans(node: exp.Expression) -> exp.Expression:
    """Rewrite a query for engines without boolean values (T-SQL, Oracle before 23ai).

    A condition where a value is expected (a selected segment, an argument of
    COALESCE, an operand of =) becomes CASE WHEN c THEN 1 WHEN NOT c THEN 0
    END; a value where a condition is expected (WHERE, WHEN, AND/OR/NOT)
    becomes `v = 1`. Unknown stays unknown.
    """

    def visit(x: exp.Expression, want: str) -> exp.Expression:
        # children first, each in the context its parent gives it
        for key, value in list(x.args.items()):
            if isinstance(value, exp.Expression):
                x.set(key, visit(value, _context(x, key, value)))
            elif isinstance(value, list):
                x.set(key, [visit(v, _context(x, key, v)) if isinstance(v, exp.Expression) else v for v in value])
        if want == "condition":
            return _as_condition(x)
        if want == "value":
            return _as_value(x)
        return x

    return visit(node, "none")


def _context(parent: exp.Expression, key: str, child: exp.Expression) -> str:
    """Whether `child` stands where a condition, a value, or neither is expected."""
    if isinstance(parent, (exp.Where, exp.Having)) or (isinstance(parent, exp.Join) and key == "on"):
        return "condition"
    if isinstance(parent, (exp.And, exp.Or, exp.Not)):
        return "condition"
    if isinstance(parent, exp.If) and key == "this":
        return "condition"
    if isinstance(parent, (exp.Paren, exp.Escape)):
        return "none"
    if isinstance(child, (exp.Select, exp.Subquery, exp.With, exp.CTE, exp.From, exp.Join, exp.Where, exp.Group,
                          exp.Order, exp.Ordered, exp.Table, exp.TableAlias, exp.Identifier, exp.Window,
                          exp.Having, exp.Star, exp.DataType, exp.Var)):
        return "none"
    if isinstance(parent, exp.Alias) or isinstance(parent, (exp.Func, exp.Binary, exp.If, exp.Case, exp.In,
                                                            exp.Between, exp.Is, exp.Cast, exp.Neg, exp.Ordered,
                                                            exp.Select)):
        return "value"
    return "none"


class NoBoolean(Dialect):
    """Engines without boolean values: conditions are lowered to 1/0 where a value is needed."""

    def finish(self, query: exp.Expression) -> exp.Expression:
        return lower_booleans(super().finish(query))
