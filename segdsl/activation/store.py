"""History stores: where snapshots of the membership are kept, and the SQL that writes and reads them.

A snapshot is the membership of one model at one as_of, in long form — the
shape a membership table in a warehouse has, and the one a sync to a
campaign platform reads: one row per member and per segment, case or arm the
member belongs to.

    members   series, as_of, definition, value, member
              `definition` is a segment, segmentation or holdout of the model;
              `value` its case or arm (missing for a segment); `member` the
              entity key as text, as the holdout hash reads it ('42').
    snapshots series, as_of, definition, kind, value, members, population,
              fingerprint, model, taken_at
              one row per segment, case and arm of every snapshot with its
              size (0 included), the members of the entity at as_of, and the
              model that wrote it.
    changes   series, as_of, previous_as_of, definition, value, member, event
              `entered` and `exited` between consecutive snapshots of a series.

A series is one model's history; its snapshots are ordered by as_of. Three
kinds of store hold these (segdsl.activation.sqlstore, .parquetstore):
tables in a database (a target, or a local DuckDB file), where `changes` is a
view; and a folder of Parquet files, one file per snapshot, whose sizes and
fingerprint are in the file's own metadata and whose changes are files too.

Every query here is built with sqlglot and runs on the store's engine: no
member becomes a Python object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import sqlglot
from sqlglot import exp

from ..sql import dialects as dl
from ..semantic import model as m
from ..lang.diagnostics import SegError, did_you_mean, error
from ..semantic.model import T

if TYPE_CHECKING:
    from ..engines.base import Engine
    from ..engines.execution import Compiled

MEMBER_COLUMNS = ("series", "as_of", "definition", "value", "member")
CATALOG_COLUMNS = ("series", "as_of", "definition", "kind", "value", "members", "population", "fingerprint",
                   "model", "taken_at")
CHANGE_COLUMNS = ("series", "as_of", "previous_as_of", "definition", "value", "member", "event")
DIFF_COLUMNS = ("member", "definition", "value", "event")
ENTERED, EXITED = "entered", "exited"
SERIES_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DEFAULT_TABLE = "segment_history"


# ── what the catalog records ────────────────────────────────────────────────


@dataclass(frozen=True)
class Size:
    """Members of one segment, case or arm in a snapshot."""

    definition: str
    kind: str  # segment, segmentation or holdout
    value: str | None  # the case or arm; None for a segment
    members: int

    @property
    def label(self) -> str:
        return self.definition if self.value is None else f"{self.definition}.{self.value}"


@dataclass(frozen=True)
class Snapshot:
    """One snapshot as the store's catalog records it."""

    series: str
    as_of: dt.date
    fingerprint: str
    model: str
    taken_at: dt.datetime
    population: int
    sizes: tuple[Size, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {"series": self.series, "as_of": self.as_of.isoformat(), "fingerprint": self.fingerprint,
                "model": self.model, "taken_at": self.taken_at.isoformat(sep=" "), "population": self.population,
                "sizes": [{"definition": s.definition, "kind": s.kind, "value": s.value, "members": s.members}
                          for s in self.sizes]}

    @classmethod
    def from_dict(cls, d: dict) -> "Snapshot":
        return cls(d["series"], dt.date.fromisoformat(d["as_of"]), d["fingerprint"], d["model"],
                   dt.datetime.fromisoformat(d["taken_at"]), int(d["population"]),
                   tuple(Size(s["definition"], s["kind"], s["value"], int(s["members"])) for s in d["sizes"]))


def snapshots_from_rows(rows: Sequence[Sequence[object]]) -> list[Snapshot]:
    """Snapshots from catalog rows (in CATALOG_COLUMNS order), each with its sizes in the order written."""
    grouped: dict[tuple[str, dt.date], list[Sequence[object]]] = {}
    for row in rows:
        grouped.setdefault((str(row[0]), as_date(row[1])), []).append(row)
    out = []
    for (series, as_of), group in sorted(grouped.items(), key=lambda kv: kv[0]):
        first = group[0]
        sizes = tuple(Size(str(r[2]), str(r[3]), None if r[4] is None else str(r[4]), int(r[5])) for r in group)
        out.append(Snapshot(series, as_of, str(first[7]), str(first[8]), as_datetime(first[9]), int(first[6]),
                            sizes))
    return out


def as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value))


def sizes_of(ir: m.CheckedModel, rows: Sequence[tuple[str, str, int]]) -> tuple[Size, ...]:
    """Catalog sizes from the (definition, case, members) rows `run` prints (engines.arrow.Tally.rows);
    members without a case are not a case, so they are not kept (population less the cases)."""
    from ..engines.arrow import NONE_LABEL

    out = []
    for name, case, count in rows:
        if name in ir.segments:
            out.append(Size(name, "segment", None, count))
        elif case != NONE_LABEL:
            out.append(Size(name, "holdout" if name in ir.holdouts else "segmentation", case, count))
    return tuple(out)


def definitions_of(ir: m.CheckedModel) -> list[str]:
    """The segments, segmentations and holdouts of a model, in its order: what a snapshot keeps."""
    wanted = [n for n in ir.order if n in ir.segments or n in ir.segmentations or n in ir.holdouts]
    if not wanted:
        raise error("SEG306", "the model has no segments to keep", None,
                    "define a segment, a segmentation or a holdout")
    return wanted


def check_series(name: str) -> str:
    if not SERIES_NAME.fullmatch(name):
        raise error("SEG320", f"`{name}` is not a series name", None,
                    "letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, at most 128 characters")
    return name


def default_series(main: str) -> str:
    """A model's series by default: its file name without .seg, made a valid series name."""
    stem = Path(main).stem if main and main != "<text>" else ""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".-")[:128]
    if not name:
        raise error("SEG320", "a model given as text needs a series name", None, "pass series=NAME")
    return name


# ── choosing the store ──────────────────────────────────────────────────────


@dataclass(frozen=True)
class StoreSpec:
    """What `--store` names: a table of the target, a DuckDB file, or a folder of Parquet files."""

    kind: str  # "table", "duckdb" or "parquet"
    text: str
    table: str | None = None
    path: Path | None = None


STORE_FORMS = "table:[SCHEMA.]NAME (with --target), FILE.duckdb, or FOLDER/ (Parquet files)"


def parse_store(text: str) -> StoreSpec:
    """`--store table:mart.history`, `--store history.duckdb`, `--store history/` (or an existing folder)."""
    if text.startswith("table:"):
        name = text[len("table:"):]
        dl.qualified_table(name)  # SEG307 for a malformed name
        return StoreSpec("table", text, table=name)
    path = Path(text)
    if path.suffix.lower() == ".duckdb":
        return StoreSpec("duckdb", text, table=DEFAULT_TABLE, path=path)
    if text.endswith(("/", "\\")) or path.is_dir():
        return StoreSpec("parquet", text, path=path)
    raise error("SEG320", f"`{text}` is not a history store", None, f"a store is {STORE_FORMS}")


def store_failure(where: str, exc: BaseException | str, hint: str | None = None) -> SegError:
    from ..lang.diagnostics import reason

    why = exc if isinstance(exc, str) else reason(exc)
    return error("SEG321", f"cannot use the history store {where}: {why}", None,
                 hint or "check that it exists and that it may be written; nothing was changed")


def missing_folder(folder: Path) -> str:
    return f"{folder} is a file, not a folder" if folder.exists() else f"the folder {folder} does not exist"


# ── the store interface ─────────────────────────────────────────────────────


class Store(ABC):
    """A place that keeps snapshots. `engine` runs the store's SQL (the target, or DuckDB)."""

    engine: "Engine"
    dialect: str = "duckdb"

    @abstractmethod
    def describe(self) -> str:
        """The store as the user named it, for messages."""

    @abstractmethod
    def open_for_writing(self) -> None:
        """Create the store if it does not exist yet, and prove it can be written, before any work."""

    @abstractmethod
    def snapshots(self, series: str | None = None) -> list[Snapshot]:
        """Every snapshot the catalog records (of one series), by series and as_of."""

    @abstractmethod
    def stage(self, source: "Engine", compiled: "Compiled") -> exp.Expression:
        """The membership computed into a table the store's engine reads (dropped by `unstage`)."""

    @abstractmethod
    def unstage(self, staging: exp.Expression) -> None:
        """Drop what `stage` made."""

    @abstractmethod
    def commit(self, snapshot: Snapshot, rows: exp.Select) -> None:
        """Put a snapshot in place of any earlier one of the same series and as_of, all or nothing.
        `rows` selects (definition, value, member) on the store's engine."""

    @abstractmethod
    def pair(self, series: str, first: dt.date, second: dt.date) -> exp.Expression:
        """A relation of the member rows (as_of, definition, value, member) of two snapshots of a series."""

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stage_arrow(duck: "Engine", source: "Engine", compiled: "Compiled") -> exp.Table:
    """The membership computed by `source`, streamed as Arrow batches into a temporary table of a local
    DuckDB (a local store's engine): DuckDB reads the batches as they come and spills beyond its budget."""
    import uuid

    name = f"segdsl_snapshot_{uuid.uuid4().hex[:12]}"
    incoming = f"{name}_incoming"
    duck.con.register(incoming, source.stream(compiled.sql, compiled.columns))
    try:
        duck.execute(f"CREATE TEMPORARY TABLE {_id(name).sql('duckdb')} AS SELECT * FROM "
                     f"{_id(incoming).sql('duckdb')}")
    finally:
        duck.con.unregister(incoming)
    return exp.Table(this=_id(name))


# ── SQL shared by every store ───────────────────────────────────────────────


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(_id(name), table=_id(table) if table else None)


def _aliased(query: exp.Expression, alias: str) -> exp.Subquery:
    return exp.Subquery(this=query, alias=exp.TableAlias(this=_id(alias)))


def _text(value: str | None, dialect: str) -> exp.Expression:
    if value is None:
        return exp.cast(exp.Null(), dl.dtype("TEXT"))
    return dl.get(dialect).text_literal(value)


def _text_equals(column: exp.Expression, value: str, dialect: str) -> exp.Expression:
    """An exact comparison with text (MySQL's collations would ignore case)."""
    return dl.get(dialect).compare("=", column, T.TEXT, dl.get(dialect).text_literal(value), T.TEXT)


def long_rows(ir: m.CheckedModel, staging: exp.Expression, dialect: str) -> exp.Select:
    """(definition, value, member): the membership in `staging` (one row per member, a column per
    definition) unpivoted, one row per member and segment, case or arm it belongs to.

    The staging table is read once, joined with the list of definitions, so it
    can be a temporary table (MySQL cannot open one twice in a query).
    """
    low = dl.get(dialect)
    names = definitions_of(ir)
    listed: exp.Expression | None = None
    for n in names:
        row = low.constant_row(exp.select(exp.alias_(exp.Literal.string(n), "definition", quoted=True)))
        listed = row if listed is None else exp.union(listed, row, distinct=False)
    values, tests = [], []
    for n in names:
        is_n = _text_equals(_col("definition", "n"), n, dialect)
        if n in ir.segments:
            tests.append(exp.If(this=is_n, true=_col(n, "w")))
        else:
            values.append(exp.If(this=is_n.copy(), true=exp.cast(_col(n, "w"), dl.dtype("TEXT"))))
            tests.append(exp.If(this=is_n.copy(), true=exp.Not(this=exp.Is(this=_col(n, "w"), expression=exp.Null()))))
    value = exp.Case(ifs=values, default=_text(None, dialect)) if values else _text(None, dialect)
    member = low.key_text(_col(ir.entity.key, "w"))
    return (exp.select(_col("definition", "n"), exp.alias_(value, "value", quoted=True),
                       exp.alias_(member, "member", quoted=True))
            .from_(_as(staging, "w"))
            .join(_aliased(listed, "n"), join_type="cross")
            .where(exp.Case(ifs=tests)))


def _as(relation: exp.Expression, alias: str) -> exp.Expression:
    """A table or derived table under an alias."""
    if isinstance(relation, exp.Table):
        out = relation.copy()
        out.set("alias", exp.TableAlias(this=_id(alias)))
        return out
    if isinstance(relation, exp.Subquery):
        return _aliased(relation.this.copy(), alias)
    return _aliased(relation.copy(), alias)


@dataclass(frozen=True)
class Selection:
    """What `--segment` picks in a diff: a definition (every case of it), or one case or arm."""

    definition: str | None = None
    value: str | None = None

    def condition(self, dialect: str, table: str | None = None) -> exp.Expression | None:
        if self.definition is None:
            return None
        cond = _text_equals(_col("definition", table), self.definition, dialect)
        if self.value is not None:
            cond = exp.and_(cond, _text_equals(_col("value", table), self.value, dialect))
        return cond


def selection(text: str | None, known: Sequence[Snapshot]) -> Selection:
    """`--segment vip`, `--segment lifecycle` (every case) or `--segment lifecycle.new`, checked against
    the definitions and cases the snapshots hold."""
    if text is None:
        return Selection()
    sizes = [s for snap in known for s in snap.sizes]
    definitions = {s.definition for s in sizes}
    if text in definitions:
        return Selection(text)
    owner, dot, case = text.partition(".")
    if dot and owner in definitions:
        cases = sorted({s.value for s in sizes if s.definition == owner and s.value is not None})
        if case in cases:
            return Selection(owner, case)
        raise error("SEG306", f"`{owner}` has no case `{case}` in these snapshots", None,
                    did_you_mean(case, cases) or f"cases: {', '.join(cases) or 'none (a segment)'}")
    labels = sorted(definitions | {s.label for s in sizes})
    raise error("SEG306", f"unknown segment `{text}` in these snapshots", None,
                did_you_mean(text, labels) or f"segments: {', '.join(sorted(definitions))}")


def diff_query(pair: exp.Expression, second: dt.date, chosen: Selection, dialect: str) -> exp.Select:
    """(member, definition, value, event): rows in exactly one of two snapshots, `entered` when that is
    the second. Grouping rather than an anti-join: one scan, and a missing value (a segment) groups."""
    low = dl.get(dialect)
    is_second = exp.EQ(this=exp.Max(this=_col("as_of")), expression=low.date_literal(second))
    event = exp.Case(ifs=[exp.If(this=is_second, true=exp.Literal.string(ENTERED))],
                     default=exp.Literal.string(EXITED))
    query = (exp.select(_col("member"), _col("definition"), _col("value"), exp.alias_(event, "event", quoted=True))
             .from_(_as(pair, "p"))
             .group_by(_col("definition"), _col("value"), _col("member"))
             .having(exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
    cond = chosen.condition(dialect)
    return query.where(cond) if cond is not None else query


def diff_counts(diff: exp.Select) -> exp.Select:
    """Members entered and exited per definition and value, counted by the engine over a diff."""
    return (exp.select(_col("definition"), _col("value"), _col("event"),
                       exp.alias_(exp.Count(this=exp.Star()), "members", quoted=True))
            .from_(_aliased(diff, "d"))
            .group_by(_col("definition"), _col("value"), _col("event")))


_CHANGES = """
WITH snaps AS (
  SELECT series, as_of,
         ROW_NUMBER() OVER (PARTITION BY series ORDER BY as_of) AS k,
         LAG(as_of) OVER (PARTITION BY series ORDER BY as_of) AS previous_as_of,
         LEAD(as_of) OVER (PARTITION BY series ORDER BY as_of) AS next_as_of
  FROM (SELECT DISTINCT series, as_of FROM segdsl_catalog) AS c
), r AS (
  SELECT m.series, m.definition, m.value, m.member, m.as_of, s.previous_as_of, s.next_as_of, s.k,
         LAG(s.k) OVER (PARTITION BY m.series, m.definition, m.value, m.member ORDER BY s.k) AS previous_k,
         LEAD(s.k) OVER (PARTITION BY m.series, m.definition, m.value, m.member ORDER BY s.k) AS next_k
  FROM segdsl_members AS m JOIN snaps AS s ON s.series = m.series AND s.as_of = m.as_of
)
SELECT series, as_of, previous_as_of, definition, value, member, 'entered' AS event FROM r
WHERE previous_as_of IS NOT NULL AND (previous_k IS NULL OR previous_k <> k - 1)
UNION ALL
SELECT series, next_as_of AS as_of, as_of AS previous_as_of, definition, value, member, 'exited' AS event FROM r
WHERE next_as_of IS NOT NULL AND (next_k IS NULL OR next_k <> k + 1)
"""


def changes_query(members: exp.Table, catalog: exp.Table) -> exp.Expression:
    """Entered and exited events between consecutive snapshots of every series, as one query (a view).

    Each snapshot is numbered within its series (from the catalog, so a
    snapshot whose segments are all empty counts too); a member row whose
    previous row of the same member and definition is not in the snapshot
    just before is an entry, one whose next row is not in the snapshot just
    after is an exit at that next snapshot. One window pass over the history,
    no self-join.
    """
    query = sqlglot.parse_one(_CHANGES, read="duckdb")
    names = {"segdsl_members": members, "segdsl_catalog": catalog}

    def place(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in names:
            out = names[node.name].copy()
            if node.alias:
                out.set("alias", node.args["alias"].copy())
            return out
        return node

    return query.transform(place)


def changes_between(pair: exp.Expression, series: str, previous: dt.date, as_of: dt.date,
                    dialect: str) -> exp.Select:
    """The changes of one pair of consecutive snapshots, in the columns of the changes view."""
    low = dl.get(dialect)
    diff = diff_query(pair, as_of, Selection(), dialect)
    return exp.select(exp.alias_(low.text_literal(series), "series", quoted=True),
                      exp.alias_(low.date_literal(as_of), "as_of", quoted=True),
                      exp.alias_(low.date_literal(previous), "previous_as_of", quoted=True),
                      _col("definition"), _col("value"), _col("member"), _col("event")).from_(_aliased(diff, "d"))


def sql(query: exp.Expression, dialect: str) -> str:
    """A store query as the dialect's text (every name quoted)."""
    return query.sql(dialect, identify=True, unsupported_level=sqlglot.ErrorLevel.RAISE)


__all__ = ["MEMBER_COLUMNS", "CATALOG_COLUMNS", "CHANGE_COLUMNS", "DIFF_COLUMNS", "Size", "Snapshot", "Store",
           "StoreSpec", "parse_store", "Selection", "selection", "long_rows", "diff_query", "changes_query",
           "changes_between", "sizes_of", "definitions_of", "default_series", "check_series", "store_failure"]
