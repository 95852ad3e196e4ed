"""`segdsl explain`: why one member is in or out of a segment.

For one key, every feature value and every condition of the chosen
segments (and of the cases of each segmentation) with its value — true,
false or unknown — as a tree, ending in the reason the member is in or out,
and for each segmentation the case it fell into and the earlier cases it
failed.

The values are computed by the engine, not re-implemented here: every
condition and every input of a condition becomes an extra column ("probe")
of the same membership query that `run` executes, compiled by the same
compiler, restricted to the member at the end. Conditions are compiled as
features, that is without the two-valued COALESCE of segments, so an
unknown condition shows as unknown. Membership itself is read from the
segment's own column, so it is exactly what `run` says.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any, TYPE_CHECKING

from sqlglot import exp

from ..semantic import model as m
from .datalint import Probes, member_query
from ..lang.diagnostics import SegError, SourceCache, did_you_mean, error
from ..lang.diagnostics import reason as failure
from ..semantic.lints import snippet
from ..semantic.model import T

if TYPE_CHECKING:
    from ..engines import Engine
    from .api import Model

MARK = {True: "✓", False: "✗", None: "?"}
WORD = {True: "true", False: "false", None: "unknown"}


@dataclass
class Node:
    """One condition of a segment with its value, its inputs and its parts."""

    text: str
    probe: str
    kind: str  # and, or, not, segment (a reference, expanded), test
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (label, probe)
    children: list["Node"] = field(default_factory=list)
    value: bool | None = None
    input_values: list[tuple[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"condition": self.text, "value": WORD[self.value], "kind": self.kind,
                "inputs": {k: _json(v) for k, v in self.input_values},
                "parts": [c.to_dict() for c in self.children]}


@dataclass
class SegmentWhy:
    name: str
    label: str | None
    member: bool
    condition: Node
    reason: str


@dataclass
class CaseWhy:
    name: str
    condition: Node | None  # None: the else case
    value: bool | None


@dataclass
class SegmentationWhy:
    name: str
    label: str | None
    kind: str
    case: str | None  # the member's case (None: none)
    tried: list[CaseWhy]  # cases up to the one that matched
    inputs: list[tuple[str, Any]]  # computed partitions: the values they were computed from
    reason: str


@dataclass
class Explanation:
    entity: str
    key_column: str
    key: str
    as_of: dt.date
    in_population: bool
    population_reason: str | None = None
    features: list[tuple[str, Any]] = field(default_factory=list)
    segments: list[SegmentWhy] = field(default_factory=list)
    segmentations: list[SegmentationWhy] = field(default_factory=list)
    holdouts: list[tuple[str, str | None]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "entity": self.entity, "key": self.key, "as_of": self.as_of.isoformat(),
            "in_population": self.in_population, "population_reason": self.population_reason,
            "features": {k: _json(v) for k, v in self.features},
            "segments": {s.name: {"member": s.member, "reason": s.reason, "condition": s.condition.to_dict()}
                         for s in self.segments},
            "segmentations": {g.name: {"case": g.case, "reason": g.reason,
                                       "inputs": {k: _json(v) for k, v in g.inputs},
                                       "tried": [{"case": c.name, "value": WORD[c.value],
                                                  "condition": c.condition.to_dict() if c.condition else None}
                                                 for c in g.tried]}
                              for g in self.segmentations},
            "holdouts": dict(self.holdouts),
        }

    def render(self) -> str:
        head = f"{self.entity} {self.key_column} = {self.key}, as of {self.as_of.isoformat()}"
        if not self.in_population:
            return head + "\n\n" + (self.population_reason or "not in the population") + "\n"
        out = [head, ""]
        if self.features:
            out.append("features")
            width = max(len(k) for k, _ in self.features)
            out += [f"  {k.ljust(width)}  {show(v)}" for k, v in self.features]
            out.append("")
        for sw in self.segments:
            label = f' "{sw.label}"' if sw.label else ""
            out.append(f"segment {sw.name}{label}: {'IN' if sw.member else 'OUT'}")
            out += _tree(sw.condition)
            out.append(f"  → {sw.reason}")
            out.append("")
        for g in self.segmentations:
            label = f' "{g.label}"' if g.label else ""
            shown = g.case if g.case is not None else "(no case)"
            extra = ", ".join(f"{k} = {show(v)}" for k, v in g.inputs)
            out.append(f"segmentation {g.name}{label}: {shown}" + (f"   ({extra})" if extra else ""))
            if g.tried:
                width = max(len(c.name) for c in g.tried)
                rows: list[tuple[str, str]] = []
                for c in g.tried:
                    if c.condition is None:
                        rows.append((f"  {MARK[True]} else {c.name}", ""))
                        continue
                    cond = c.condition
                    inputs = _inputs(cond)
                    rows.append((f"  {MARK[c.value]} {c.name.ljust(width)}  {cond.text}",
                                 WORD[c.value].ljust(7) + (f"  {inputs}" if inputs else "")))
                out += _columns(rows)
            out.append(f"  → {g.reason}")
            out.append("")
        for name, arm in self.holdouts:
            out.append(f"holdout {name}: {arm if arm is not None else '(not in the split segment)'}")
        while out and not out[-1]:
            out.pop()
        return "\n".join(out) + "\n"


def _json(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def show(v: Any) -> str:
    """A value as a person reads it."""
    if v is None:
        return "missing"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(round(v, 4))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def _inputs(node: Node) -> str:
    return ", ".join(f"{k} = {show(v)}" for k, v in node.input_values)


def _columns(rows: list[tuple[str, str]]) -> list[str]:
    """Rows of (left, right) with the right parts aligned."""
    width = min(max((len(a) for a, _ in rows), default=0), 72)
    return [(f"{a.ljust(width)}  {b}" if b else a).rstrip() for a, b in rows]


def _tree(node: Node, indent: str = "  ", top: bool = True) -> list[str]:
    """A condition and its parts as lines, drawn as a tree, values aligned."""
    lines: list[tuple[str, str]] = []

    def line(n: Node, prefix: str, branch: str) -> None:
        inputs = _inputs(n)
        lines.append((f"{prefix}{branch}{MARK[n.value]} {n.text}",
                      WORD[n.value].ljust(7) + (f"  {inputs}" if inputs else "")))

    def walk(n: Node, prefix: str) -> None:
        for i, c in enumerate(n.children):
            last = i == len(n.children) - 1
            line(c, prefix, "└─ " if last else "├─ ")
            walk(c, prefix + ("   " if last else "│  "))

    if top:
        line(node, indent, "")
    walk(node, indent)
    return _columns(lines)


# ── computing ───────────────────────────────────────────────────────────────


class _Builder:
    """Turns conditions into trees of probes, and fills in their values."""

    def __init__(self, model: m.CheckedModel, sources: SourceCache):
        self.model = model
        self.sources = sources
        self.probes = Probes(model, "_why")
        self.types: dict[str, T] = {}

    def probe(self, e: m.Expr) -> str:
        name = self.probes.add(e)
        self.types[name] = e.type
        return name

    def text(self, e: m.Expr) -> str:
        return snippet(self.sources, getattr(e, "span", None), limit=60)

    def tree(self, e: m.Expr, depth: int = 0) -> Node:
        if isinstance(e, (m.And, m.Or)):
            node = Node(self.text(e), self.probe(e), "and" if isinstance(e, m.And) else "or")
            node.children = [self.tree(i, depth) for i in e.items]
            return node
        if isinstance(e, m.Not):
            node = Node(self.text(e), self.probe(e), "not")
            node.children = [self.tree(e.operand, depth)]
            return node
        if isinstance(e, m.SegmentRef) and e.name in self.model.segments and depth < 4:
            node = Node(self.text(e), self.probe(e), "segment")
            node.children = [self.tree(self.model.segments[e.name].expr, depth + 1)]
            return node
        node = Node(self.text(e), self.probe(e), "test")
        node.inputs = [(self.label(x, e), self.probe(x)) for x in self._operands(e)]
        return node

    def _operands(self, e: m.Expr) -> list[m.Expr]:
        if isinstance(e, m.Compare):
            parts = [e.left, e.right]
        elif isinstance(e, m.InList):
            parts = [e.subject]
        elif isinstance(e, m.Between):
            parts = [e.subject, e.low, e.high]
        elif isinstance(e, (m.IsMissing, m.DateWindow)):
            parts = [e.subject]
        elif isinstance(e, m.TextMatch):
            parts = [e.subject, e.pattern]
        else:
            parts = []
        return [p for p in parts if not _constant(p)]

    def label(self, x: m.Expr, parent: m.Expr) -> str:
        if isinstance(x, (m.Column, m.FeatureRef, m.SegmentationRef, m.ParamRef)):
            return x.name
        if isinstance(x, m.ScoreRef):
            return f"{x.owner}.{x.score}"
        if isinstance(x, m.Agg) and getattr(x, "span", None) == getattr(parent, "span", None):
            return "matching events"  # exists(…) is count(…) > 0 with the span of the whole
        return self.text(x)

    def fill(self, node: Node, row: dict[str, Any]) -> None:
        node.value = _bool(row.get(node.probe))
        node.input_values = [(label, row.get(p)) for label, p in node.inputs]
        for c in node.children:
            self.fill(c, row)


def _constant(e: m.Expr) -> bool:
    if isinstance(e, (m.Const, m.DurationConst, m.AsOf)):
        return True
    if isinstance(e, m.DateShift):
        return _constant(e.operand)
    return False


def _bool(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "t")
    return bool(v)


def _reason_segment(name: str, member: bool, node: Node) -> str:
    if member:
        return f"in `{name}`: `{node.text}` is true"
    if node.value is None:
        missing = _missing_inputs(node)
        because = f" because {', '.join(f'`{x}`' for x in missing)} {'is' if len(missing) == 1 else 'are'} missing" \
            if missing else ""
        return (f"out of `{name}`: `{node.text}` is unknown{because}, and a condition that cannot be decided "
                "counts as out")
    if node.kind == "and":
        failed = [c for c in node.children if c.value is not True]
        parts = ", ".join(f"`{c.text}` is {WORD[c.value]}" for c in failed)
        return f"out of `{name}`: {parts}"
    if node.kind == "or":
        return f"out of `{name}`: none of the alternatives is true"
    return f"out of `{name}`: `{node.text}` is false"


def _missing_inputs(node: Node) -> list[str]:
    found: list[str] = []
    for label, v in node.input_values:
        if v is None and label not in found:
            found.append(label)
    for c in node.children:
        if c.value is None:
            found += [x for x in _missing_inputs(c) if x not in found]
    return found


def explain(model: Model, key: str, target: Engine, as_of: dt.date, params: dict[str, object] | None = None,
            names: list[str] | None = None) -> Explanation:
    """Explain one member. `model` is a segdsl.tools.api.Model, `target` a segdsl.engines.Engine."""
    from ..sql.compile import to_sql
    from ..engines.execution import read_schemas

    schemas = read_schemas(target, model.ir)
    ir = model.with_schemas(schemas).ir
    values = model.resolve_params(params)
    sources = model.program.sources
    chosen_segments, chosen_segmentations = _choose(ir, names)
    b = _Builder(ir, sources)
    seg_trees = {n: b.tree(ir.segments[n].expr) for n in chosen_segments}
    case_trees: dict[str, list[tuple[str, Node]]] = {}
    computed_inputs: dict[str, list[tuple[str, str]]] = {}
    for n in chosen_segmentations:
        sg = ir.segmentations[n]
        if isinstance(sg, m.CaseSegmentation):
            case_trees[n] = [(c, b.tree(cond)) for c, cond in sg.cases]
        else:
            labels = ["recency", "frequency", "monetary"] if isinstance(sg, m.RfmSegmentation) else [None]
            computed_inputs[n] = [(lab or b.label(x, x), b.probe(x)) for x, lab in zip(sg.inputs(), labels)]
    outputs = (list(ir.features) + list(chosen_segments) + list(chosen_segmentations) + list(ir.holdouts)
               + list(b.probes.names.values()))
    probed = b.probes.model_with_probes()
    whole_population = any(ir.segmentations[n].ranked for n in probed.closure(outputs) if n in ir.segmentations)
    restricted = _OneMember(target, ir, key) if not whole_population else target
    query = member_query(probed, restricted, as_of, values, outputs, schemas)
    key_col = exp.column(exp.to_identifier(ir.entity.key, quoted=True))
    text_type = exp.DataType.build("TEXT")
    one = exp.select(exp.Star()).from_(exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("m")))
                                       ).where(exp.EQ(this=exp.cast(key_col, text_type),
                                                      expression=exp.Literal.string(str(key))))
    try:
        columns, rows = target.fetch(to_sql(one, target.dialect, pretty=False))
    except target.errors as exc:
        raise error("SEG305", f"the engine could not compute the explanation: {failure(exc)}", None,
                    "check that the columns hold the types the model expects (dates, numbers)") from None
    why = Explanation(ir.entity.name, ir.entity.key, str(key), as_of, bool(rows))
    if not rows:
        why.population_reason = _not_found(target, ir, key, as_of)
        return why
    row = dict(zip(columns, _normalised(rows[0], columns, ir, b.types)))
    why.features = [(n, row.get(n)) for n in ir.features]
    for n, node in seg_trees.items():
        b.fill(node, row)
        member = bool(row.get(n))
        why.segments.append(SegmentWhy(n, ir.segments[n].label, member, node, _reason_segment(n, member, node)))
    for n in chosen_segmentations:
        sg = ir.segmentations[n]
        case = row.get(n)
        case = None if case is None else str(case)
        if isinstance(sg, m.CaseSegmentation):
            tried: list[CaseWhy] = []
            for c, node in case_trees[n]:
                b.fill(node, row)
                tried.append(CaseWhy(c, node, node.value))
                if c == case:
                    break
            if case is not None and case == sg.else_case:
                tried.append(CaseWhy(case, None, True))
            failed = [t for t in tried if t.name != case]
            before = ", ".join(f"{t.name}" + (" (unknown)" if t.value is None else "") for t in failed)
            if case is None:
                reason = f"no case of `{n}` holds and it has no else case" + (f"; failed: {before}" if before else "")
            elif case == sg.else_case:
                reason = f"{case}: the else case, as no case before it holds (failed: {before})"
            else:
                reason = f"{case}: the first case that holds" + (f"; failed before it: {before}" if before else "")
            why.segmentations.append(SegmentationWhy(n, sg.label, sg.kind, case, tried, [], reason))
        else:
            inputs = [(label, row.get(p)) for label, p in computed_inputs[n]]
            if isinstance(sg, m.RfmSegmentation):
                inputs += [(f"{n}_{s}", row.get(f"{n}_{s}")) for s in sg.SCORES]
            if case is None:
                missing = [k for k, v in inputs if v is None]
                reason = f"no case: {', '.join(f'`{x}`' for x in missing) or 'a value'} is missing"
            elif isinstance(sg, m.BucketSegmentation):
                reason = f"{case}: the band its value falls in"
            elif isinstance(sg, m.QuantileSegmentation):
                reason = f"{case}: its {sg.n}-quantile among all members"
            else:
                reason = f"{case}: from its RFM scores"
            why.segmentations.append(SegmentationWhy(n, sg.label, sg.kind, case, [], inputs, reason))
    why.holdouts = [(n, None if row.get(n) is None else str(row.get(n))) for n in ir.holdouts]
    return why


def _normalised(values: tuple, columns: list[str], ir: m.CheckedModel, probe_types: dict[str, T]) -> list[Any]:
    from ..engines.values import definition_types, normalise

    types = definition_types(ir)
    types.update(probe_types)
    return [normalise(v, types.get(c, T.ANY)) for v, c in zip(values, columns)]


def _choose(ir: m.CheckedModel, names: list[str] | None) -> tuple[list[str], list[str]]:
    if not names:
        return list(ir.segments), list(ir.segmentations)
    segs, parts = [], []
    for n in names:
        owner = n.partition(".")[0]
        if n in ir.segments:
            segs.append(n)
        elif owner in ir.segmentations:
            parts.append(owner)
        else:
            known = list(ir.segments) + list(ir.segmentations)
            raise error("SEG306", f"unknown segment `{n}`", None,
                        did_you_mean(n, known) or f"segments: {', '.join(known) or 'none'}")
    return list(dict.fromkeys(segs)), list(dict.fromkeys(parts))


class _OneMember:
    """A target whose sources hold only one member's rows.

    Features aggregate each member's own events, so computing them for one
    member alone gives the same values; used only when no definition ranks
    members against each other (quantile, RFM).
    """

    def __init__(self, target: Engine, ir: m.CheckedModel, key: str):
        self.target = target
        self.dialect = target.dialect
        self.columns = {ir.entity.source: ir.entity.key}
        for ev in ir.events.values():
            self.columns.setdefault(ev.source, ev.by)
        self.key = key

    def source(self, source: str) -> exp.Expression:
        table = self.target.source(source)
        col = self.columns.get(source)
        if col is None:
            return table
        where = exp.EQ(this=exp.cast(exp.column(exp.to_identifier(col, quoted=True)), exp.DataType.build("TEXT")),
                       expression=exp.Literal.string(self.key))
        return exp.Subquery(this=exp.select(exp.Star()).from_(table).where(where))


def _not_found(target: Engine, ir: m.CheckedModel, key: str, as_of: dt.date) -> str:
    from ..sql.compile import to_sql

    ent = ir.entity
    key_col = exp.column(exp.to_identifier(ent.key, quoted=True))
    cols = [key_col.copy()] + ([exp.column(exp.to_identifier(ent.since, quoted=True))] if ent.since else [])
    query = exp.select(*cols).from_(target.source(ent.source)).where(
        exp.EQ(this=exp.cast(key_col, exp.DataType.build("TEXT")), expression=exp.Literal.string(key))).limit(1)
    try:
        _, rows = target.fetch(to_sql(query, target.dialect, pretty=False))
    except target.errors as exc:
        return f"cannot look the member up: {failure(exc)}"
    if not rows:
        return f"no member of `{ent.name}` has {ent.key} = {key}"
    since = rows[0][1] if ent.since else None
    return (f"not in the population as of {as_of.isoformat()}: {ent.since} is {show(since)}, after as_of; "
            "a member exists from that day on")


__all__ = ["explain", "Explanation", "Node", "show", "SegError"]
