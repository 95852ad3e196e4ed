"""What a compilation is asked for (`Options`) and what its result holds (`OutputColumn`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlglot import exp

from ..semantic.model import T
from ..semantic.schema import Schemas


@dataclass(frozen=True)
class Resume:
    """Layers of the membership query already computed, held by the engine: `relation` has every column
    of the CTE `layer_<layer>` for the same model and outputs but those of `deferred`, definitions of
    those layers that the query computes first (a prediction's parts, fitted after the layers were)."""

    layer: int
    relation: exp.Expression
    deferred: tuple[str, ...] = ()


@dataclass(frozen=True)
class Options:
    dialect: str = "duckdb"
    as_of: dt.date | None = None  # None: the engine's current date at run time
    params: dict[str, object] = field(default_factory=dict)
    # Maps a source string of the model (table name or file path) to a table expression.
    source: Callable[[str], exp.Expression] | None = None
    # Column types of the sources by entity/events name, when read from the data: lets a
    # dialect treat text keys exactly (binary grouping and ordering) where collations differ.
    schemas: Schemas | None = None
    # Compute as_of arithmetic on the engine even for a fixed as_of, as a view with the
    # engine's current date does; the conformance tests use it to check each dialect's date functions.
    engine_dates: bool = False
    # Start from layers computed earlier (a prediction's summary, fitted before the members are scored).
    resume: Resume | None = None
    # Days before as_of that a distinct count of them may keep as bits, 0 … day_bits − 1 (DuckDB): the
    # engine allows them when every member's bits fit its memory (segdsl.engines.duckdb.DuckDBEngine.day_bits).
    day_bits: int = 0


@dataclass(frozen=True)
class OutputColumn:
    """A column of the membership: its language type, and whether it holds whole numbers by
    construction (counts, day counts, quantiles), which decides its type in a file where the
    engine declares none (SQLite)."""

    name: str
    type: T
    integral: bool = False
