"""`segdsl test --create`: a test block written from real data, for a few members.

The fixtures are those members' rows of the entity and of every events
source, only the columns the model reads, read from the database. The
expectations are what the model answers on those fixtures — computed by
running the new test itself, so the block passes as written and states the
members' current membership, ready to be reviewed and committed.
Segmentations that rank members against each other (quantile, rfm) are left
out: on a few members they would not say what they say on the population.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sqlglot import exp

from ..engines.base import Engine
from ..engines.execution import read_schemas
from ..engines.values import normalise
from ..lang.diagnostics import SegError, error, reason
from ..lang.formatter import format_text, quote
from ..lang.parser import parse
from ..lang.program import Program
from ..semantic import model as m
from ..semantic.model import T
from ..sql.compile import to_sql
from ..sql.dialects.base import num
from .fixtures import read_columns, show_value
from .prepare import prepare
from .runner import members_of, membership


def _value(v: object) -> str:
    return quote(v) if isinstance(v, str) else show_value(v)


def _key(raw: str, t: T) -> object:
    if t is T.NUMBER:
        try:
            return int(raw)
        except ValueError:
            try:
                return float(raw)
            except ValueError:
                raise error("SEG309", f"`--member {raw}` is not a number, and the keys are numbers", None,
                            "give the member's key as it is in the entity") from None
    return raw


def _rows(engine: Engine, source: str, columns: list[str], types: dict[str, T], by: str,
          keys: list[object]) -> list[tuple]:
    literal = lambda k: num(k) if isinstance(k, (int, float)) else exp.Literal.string(str(k))  # noqa: E731
    query = exp.select(*[exp.column(exp.to_identifier(c, quoted=True)) for c in columns]).from_(
        engine.source(source)).where(exp.In(this=exp.column(exp.to_identifier(by, quoted=True)),
                                            expressions=[literal(k) for k in keys]))
    query = query.order_by(*[exp.column(exp.to_identifier(c, quoted=True)) for c in columns])
    try:
        _, rows = engine.fetch(to_sql(query, engine.dialect, pretty=False))
    except engine.errors as exc:
        raise error("SEG305", f"cannot read `{source}` on {engine.describe()}: {reason(exc)}") from None
    return [tuple(normalise(v, types.get(c, T.ANY)) for v, c in zip(r, columns)) for r in rows]


def create_test(program: Program, ir: m.CheckedModel, engine: Engine, name: str, members: list[str],
                as_of: dt.date, where: str) -> str:
    """The text of a test block named `name` for these members, as the database holds them at as_of."""
    schemas = read_schemas(engine, ir)
    reads = read_columns(ir)
    ent = ir.entity
    key_type = schemas[ent.name].get(ent.key, T.ANY)
    keys = [_key(k, key_type) for k in dict.fromkeys(members)]
    blocks: list[str] = []
    found: set = set()
    for source_name, source, by, first in [(ent.name, ent.source, ent.key, [ent.key])] + \
            [(n, e.source, e.by, [e.by, e.at]) for n, e in ir.events.items()]:
        have = schemas[source_name]
        columns = first + [c for c in reads.get(source_name, {}) if c in have and c not in first]
        rows = _rows(engine, source, columns, have, by, keys)
        if source_name == ent.name:
            found = {r[0] for r in rows}
        if not rows:
            continue
        body = "\n".join("    " + ", ".join(_value(v) for v in r) for r in rows)
        blocks.append(f"  {source_name} ({', '.join(columns)}) {{\n{body}\n  }}")
    absent = [k for k in keys if k not in found]
    if absent:
        raise error("SEG309", f"no member of `{ent.name}` has {ent.key} {show_value(absent[0])}", None,
                    f"give keys of `{ent.name}` as they are in {engine.describe()}")
    head = f"test {name} {quote(f'Written from {where} as of {as_of.isoformat()}')} {{\n  as_of @{as_of.isoformat()}\n"
    draft = head + "\n".join(blocks) + "\n  expect " + next(iter(ir.segments), ent.key) + " not in []\n}\n"
    return _with_expectations(program, ir, engine, draft)


def _with_expectations(program: Program, ir: m.CheckedModel, engine: Engine, draft: str) -> str:
    """The draft with the expectations its own run gives."""
    main = next(f for f in program.files if f.path == program.main)
    (test,) = parse(draft, main.path).tests
    files = [dataclasses.replace(f, tests=()) for f in program.files]
    prepared = prepare(test, ir, files, Path(main.path).resolve().parent)
    from ..engines import open_duckdb

    local = open_duckdb(None, program.root)
    try:
        checked, _, rows = membership(prepared, dataclasses.replace(program, files=files), local)
    finally:
        local.close()
    from ..lang.syntax import Name

    lines = []
    for name in checked.segments:
        got = sorted(members_of(checked, (Name(name, test.span),), rows), key=str)
        lines.append(f"  expect {name} = [{', '.join(_value(k) for k in got)}]")
    ranked = []
    for name, d in list(checked.segmentations.items()) + list(checked.holdouts.items()):
        if isinstance(d, m.Segmentation) and d.ranked:
            ranked.append(name)
            continue
        for label in d.labels:
            got = sorted(members_of(checked, (Name(name, test.span), Name(label, test.span)), rows), key=str)
            if got:
                shown = label if label.isidentifier() else "`" + label.replace("`", "``") + "`"
                lines.append(f"  expect {name}.{shown} = [{', '.join(_value(k) for k in got)}]")
    if ranked:
        lines.append(f"  # not tested here: {', '.join(ranked)} rank members among the whole population")
    text = draft[: draft.index("  expect ")] + "\n".join(lines) + "\n}\n"
    try:
        return format_text(text, main.path)
    except SegError:
        return text


__all__ = ["create_test"]
