"""Plan: the shape of the membership query, decided from the checked model before any SQL is written.

The plan is dialect-free. It says

* which definitions the requested outputs need (`needed`) and which are
  output (`outputs`, in the model's order);
* the stage of every aggregate: 0 when it reads only its events source, one
  more than the layer of the member values it reads otherwise (a feature, a
  segment, an entity column in its argument or filter);
* the layer of every definition: the first one in which all its inputs are
  computed (an RFM segmentation takes two, its scores and then its group);
* the name of every column: a definition keeps its own name, an aggregate is
  `_<source>_<n>`, a score `<name>_r`; a clash gets a number;
* which windows (the NTILE of a quantile or an RFM score) a later layer can
  read from an earlier one instead of sorting the population again.

segdsl.sql.writer turns a plan into CTEs; segdsl.sql.expressions writes the
expressions in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..semantic import model as m

# Internal columns of the aggregations and of the member values a second stage joins.
RESERVED = ("_key", "_member")

# A window: the value it sorts the population by, the number of tiles, and whether it sorts descending.
WindowKey = tuple[m.Expr, int, bool]


@dataclass(frozen=True)
class SharedWindow:
    """Where a window is first computed: its layer and its column."""

    layer: int
    column: str


@dataclass(frozen=True)
class Computed:
    """A definition computed in a layer, or (`scores`) the three scores of an RFM segmentation."""

    name: str
    scores: bool = False


@dataclass
class Layer:
    """One CTE `layer_<index>`: the previous layer, the aggregations of its stage, and its definitions."""

    index: int
    aggregations: dict[str, list[m.Agg]] = field(default_factory=dict)  # events source → aggregates, by source
    computed: list[Computed] = field(default_factory=list)  # in the model's order


class Columns:
    """The column names of a query: one per definition, aggregate, entity column and RFM score, none twice."""

    def __init__(self) -> None:
        self._names: dict[tuple[object, ...], str] = {}
        # compared case-insensitively, as DuckDB, SQLite, MySQL and Spark compare even quoted names
        # (a column `Revenue` beside a feature `revenue` is one name)
        self._taken: set[str] = set(RESERVED)

    def allocate(self, key: tuple[object, ...], wanted: str) -> str:
        """The name of a column: `wanted`, or `wanted_2`, `wanted_3`… where that is taken."""
        if key in self._names:
            return self._names[key]
        name, i = wanted, 2
        while name.casefold() in self._taken:
            name, i = f"{wanted}_{i}", i + 1
        self._taken.add(name.casefold())
        self._names[key] = name
        return name

    def definition(self, name: str) -> str:
        return self._names[("def", name)]

    def aggregate(self, a: m.Agg) -> str:
        return self._names[("agg", a)]

    def entity(self, column: str) -> str:
        return self._names[("col", column)]

    def score(self, owner: str, score: str) -> str:
        return self._names[("score", owner, score)]


@dataclass
class Plan:
    """The membership query of a model for some outputs, before SQL: see the module's docstring."""

    model: m.CheckedModel
    outputs: list[str]  # requested definitions, in the model's order
    needed: set[str]  # the outputs and every definition they use
    columns: Columns
    entity_columns: list[str]  # of the entity, read in the population, in the order first used
    stages: dict[m.Agg, int]  # aggregate → stage, in the order first used
    levels: dict[str, int]  # definition → layer
    layers: list[Layer]
    windows: dict[WindowKey, SharedWindow]  # each window where it is first computed

    def shared_window(self, key: WindowKey, layer: int) -> str | None:
        """The column of an earlier layer holding the same window, if there is one."""
        first = self.windows.get(key)
        return first.column if first is not None and first.layer < layer else None

    def reads_members(self, a: m.Agg) -> bool:
        """Whether an aggregate reads member values, so its aggregation joins the previous layer."""
        return _reads_members(a)


def plan(model: m.CheckedModel, outputs: list[str]) -> Plan:
    """The plan of the membership query for `outputs` (definitions of the model)."""
    return _Planner(model, outputs).plan()


def _reads_members(a: m.Agg) -> bool:
    for part in (a.arg, a.filter, a.part):
        if part is not None:
            for node in m.walk(part):
                if isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef, m.CaseRef, m.ScoreRef)):
                    return True
                if isinstance(node, m.Column) and node.source is None:
                    return True
    return False


class _Planner:
    def __init__(self, model: m.CheckedModel, outputs: list[str]):
        self.model = model
        self.needed = model.closure(outputs)
        wanted = set(outputs)
        self.outputs = [n for n in model.order if n in wanted]
        self.columns = Columns()
        self.entity_columns: list[str] = []
        self.stages: dict[m.Agg, int] = {}
        self.levels: dict[str, int] = {}

    def plan(self) -> Plan:
        for n in self.model.order:
            if n in self.needed:
                self.columns.allocate(("def", n), n)
        self._entity_column(self.model.entity.key)
        for n in self.model.order:
            if n not in self.needed:
                continue
            d = self.model.definition(n)
            level = max((self._member_level(e) for e in self.model.expressions_of(n)), default=-1)
            if isinstance(d, m.RfmSegmentation):
                # scores in one layer, the group in the next
                self.levels[n] = level + 2
                for score in d.SCORES:
                    self.columns.allocate(("score", n, score), f"{n}_{score}")
            else:
                self.levels[n] = level + 1
        layers = self._layers()
        return Plan(self.model, self.outputs, self.needed, self.columns, self.entity_columns, self.stages,
                    self.levels, layers, self._windows(layers))

    def _entity_column(self, name: str) -> str:
        if name not in self.entity_columns:
            self.entity_columns.append(name)
        return self.columns.allocate(("col", name), name)

    def _member_level(self, e: m.Expr) -> int:
        """The layer in which an expression's member values are all available (-1: the population)."""
        level = -1
        for node in m.walk_outside_aggregates(e):
            level = max(level, self._stage(node) if isinstance(node, m.Agg) else self._reads(node))
        return level

    def _reads(self, node: m.Expr) -> int:
        """The layer of the member value a node reads (-1: none, or an entity column, which it records)."""
        if isinstance(node, m.Column) and node.source is None:
            self._entity_column(node.name)
        elif isinstance(node, (m.FeatureRef, m.SegmentRef, m.SegmentationRef)):
            return self.levels[node.name]
        elif isinstance(node, (m.CaseRef, m.ScoreRef)):
            return self.levels[node.owner]
        return -1

    def _stage(self, a: m.Agg) -> int:
        if a in self.stages:
            return self.stages[a]
        inner = max((self._reads(node) for part in (a.arg, a.filter, a.part) if part is not None
                     for node in m.walk(part)),
                    default=-1)
        stage = inner + 1 if _reads_members(a) else 0
        self.stages[a] = stage
        self.columns.allocate(("agg", a), f"_{a.source}_{len(self.stages)}")
        return stage

    def _layers(self) -> list[Layer]:
        top = max(list(self.levels.values()) + list(self.stages.values()) + [0])
        layers = [Layer(i) for i in range(top + 1)]
        for source in sorted({a.source for a in self.stages}):
            for a, stage in self.stages.items():
                if a.source == source:
                    layers[stage].aggregations.setdefault(source, []).append(a)
        for n in self.model.order:
            if n not in self.needed:
                continue
            layers[self.levels[n]].computed.append(Computed(n))
            if isinstance(self.model.definition(n), m.RfmSegmentation):
                layers[self.levels[n] - 1].computed.append(Computed(n, scores=True))
        return layers

    def _windows(self, layers: list[Layer]) -> dict[WindowKey, SharedWindow]:
        windows: dict[WindowKey, SharedWindow] = {}
        for layer in layers:
            for c in layer.computed:
                d = self.model.definition(c.name)
                if c.scores and isinstance(d, m.RfmSegmentation):
                    for score, e, descending in d.scored():
                        windows.setdefault((e, 5, descending),
                                           SharedWindow(layer.index, self.columns.score(c.name, score)))
                elif not c.scores and isinstance(d, m.QuantileSegmentation):
                    windows.setdefault((d.subject, d.n, False),
                                       SharedWindow(layer.index, self.columns.definition(c.name)))
        return windows
