"""What hover shows of a name: its kind, label, type, text as written, place, and compiled SQL.

The SQL is the expression the membership query computes for the definition (DuckDB), read
from the compiled query itself, with the internal columns of earlier layers (aggregates of
an events source, shared windows) written out, so that what is shown is what runs.
"""

from __future__ import annotations

from pathlib import Path

from .analysis import Definition

MAX_SQL_CHARS = 4000


def definition_text(text: str | None, d: Definition) -> str:
    """The definition as written in its file."""
    if text is None:
        return ""
    lines = text.splitlines()
    sp = d.span
    if sp.line <= 0 or sp.line > len(lines):
        return ""
    if sp.line == sp.end_line:
        return lines[sp.line - 1][sp.column - 1: sp.end_column - 1]
    chunk = [lines[sp.line - 1][sp.column - 1:]] + lines[sp.line: sp.end_line - 1]
    if sp.end_line <= len(lines):
        chunk.append(lines[sp.end_line - 1][: sp.end_column - 1])
    return "\n".join(chunk)


def type_of(d: Definition, model) -> str | None:
    """The language type of a definition as the checked model knows it."""
    if model is None:
        return None
    if d.kind == "feature" and d.key in model.features:
        return model.features[d.key].type.value if hasattr(model.features[d.key].type, "value") else \
            str(model.features[d.key].type)
    if d.kind == "param" and d.key in model.params:
        t = model.params[d.key].type
        return getattr(t, "value", str(t))
    if d.kind in ("segment", "case"):
        return "boolean"
    if d.kind == "segmentation":
        return "text (the case of each member)"
    if d.kind == "holdout":
        return "text (the arm of each member of the segment)"
    return None


def compiled_sql(d: Definition, model) -> str | None:
    """The SQL expression of a feature or segment in the DuckDB membership query."""
    if model is None or d.kind not in ("feature", "segment") or d.key not in getattr(model, "order", ()):
        return None
    try:
        from sqlglot import exp

        from ...sql.compile import membership
        from ...sql.options import Options

        query = membership(model, Options("duckdb"), [d.key])
    except Exception:  # noqa: BLE001 - a model that does not compile still has a hover
        return None
    defined: dict[str, list] = {}
    for alias in query.find_all(exp.Alias):
        defined.setdefault(alias.alias, []).append(alias.this)
    if d.key not in defined:
        return None

    def expand(node, seen: frozenset[str], depth: int):
        if depth > 12:
            return node

        def swap(n):
            if isinstance(n, exp.Column) and n.name.startswith("_") and n.name in defined:
                options = defined[n.name]
                chosen = options[0] if n.name in seen else options[-1]
                if chosen is n or any(chosen is a for a in n.walk()):
                    return n
                return expand(chosen.copy(), seen | {n.name}, depth + 1)
            return n

        return node.transform(swap, copy=True)

    result = expand(defined[d.key][-1].copy(), frozenset(), 0)
    sql = result.sql(dialect="duckdb", pretty=True)
    return sql if len(sql) <= MAX_SQL_CHARS else sql[:MAX_SQL_CHARS] + "\n…"


def hover_markdown(d: Definition, text: str | None, model, here: Path) -> str:
    """The hover of a definition, as Markdown."""
    parts = [f"**{d.kind}** `{d.key}`" + (f" — {d.label}" if d.label else "")]
    t = type_of(d, model)
    if t:
        parts.append(f"type: {t}")
    written = definition_text(text, d)
    if written:
        parts.append(f"```segdsl\n{written}\n```")
    where = d.path.name if d.path.parent == here.parent else str(d.path)
    parts.append(f"defined in {where}:{d.name_span.line}")
    sql = compiled_sql(d, model)
    if sql:
        parts.append(f"compiled (DuckDB):\n```sql\n{sql}\n```")
    return "\n\n".join(parts)


def column_markdown(key: str, schemas: dict) -> str:
    """The hover of a column: where it comes from and its type when the data is known."""
    source, _, name = key[len("column:"):].partition(".")
    owner = source or next(iter(schemas), "")
    t = schemas.get(source, {}).get(name) if source else None
    if not source:
        for cols in schemas.values():
            if name in cols:
                t = cols[name]
                break
    head = f"**column** `{name}` of " + (f"events `{source}`" if source else "the entity")
    if t is not None:
        head += f"\n\ntype: {getattr(t, 'value', t)}"
    elif owner:
        head += "\n\ntype: unknown (no schema file or database names it)"
    return head


__all__ = ["hover_markdown", "column_markdown", "compiled_sql", "definition_text", "type_of"]
