"""Diff mode of `segdsl export`: who entered an audience since a snapshot, and who left it.

The membership now — every member of the entity with its identifiers and
whether it is in the audience — streams from the model's engine, and the
snapshot's members of the same segment, case or arm from the history
store's engine, into temporary tables of a local DuckDB (which spills to a
temporary folder beyond its memory budget, so no member is held by Python).
DuckDB then anti-joins them: the entered members are in the audience now
and were not in the snapshot; the members who left were in the snapshot and
are in the entity but not in the audience now. Both lists stream out in
batches into the destination's files. Members are matched by the entity key
as text, the form a snapshot keeps (`segdsl.activation.store`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import duckdb
from sqlglot import exp

from ..engines.execution import _guarded, engine_failure
from ..lang.diagnostics import error
from ..semantic import model as m
from ..semantic.model import T
from ..sql.options import OutputColumn
from . import history as hist
from .store import Selection, sql, store_failure

BATCH = 100_000


def _snapshot_members(store: Any, series: str, when: dt.date, aud: m.Audience) -> str:
    """SQL (in the store's dialect) of the snapshot's members of the audience's segment, case or arm."""
    pair = store.pair(series, when, when)
    query = exp.select(exp.column("member", quoted=True)).from_(pair)
    cond = Selection(aud.owner, aud.case).condition(store.dialect)
    return sql(query.where(cond) if cond is not None else query, store.dialect)


def _reader(relation: Any) -> Any:
    """A relation's rows as Arrow batches, on DuckDB 1.x and 2.x alike."""
    method = getattr(relation, "to_arrow_reader", None)
    return method(BATCH) if method is not None else relation.fetch_record_batch(BATCH)


def diff_export(engine: Any, now_sql: str, columns: list[OutputColumn], aud: m.Audience, destination: Any,
                store: Any, when: dt.date, series: str | None, paths: list[Path], mapping: dict[str, str],
                region: str | None, write: Callable[..., Any]) -> Any:
    from .export import IN_AUDIENCE, MEMBER, Exported, _text_columns
    from .writer import write_audience

    name, snaps = hist.series_of(store, series)
    snap = hist.find(snaps, when, "--since")
    defined = {(s.definition, s.value) for s in snap.sizes}
    if (aud.owner, aud.case) not in defined:
        raise error("SEG325", f"the snapshot of {when.isoformat()} in the series `{name}` does not hold "
                    f"`{aud.owner}{'.' + aud.case if aud.case else ''}`", None,
                    "compare with a snapshot of the model that defines the audience's segment")
    kinds = list(mapping)
    with tempfile.TemporaryDirectory(prefix="segdsl-export-") as spill:
        con = duckdb.connect(config={"temp_directory": spill})
        try:
            tag = uuid.uuid4().hex[:10]
            now, then = f"now_{tag}", f"then_{tag}"
            try:
                reader = _guarded(engine, engine.stream(now_sql, columns))
                con.register("incoming_now", reader)
                con.execute(f'CREATE TEMPORARY TABLE {now} AS SELECT *, CAST("{MEMBER}" AS VARCHAR) AS _key '
                            "FROM incoming_now")
                con.unregister("incoming_now")
            except engine.errors as exc:
                raise engine_failure(engine, exc, "compute the audience") from None
            try:
                old = store.engine.stream(_snapshot_members(store, name, when, aud), [OutputColumn("member", T.TEXT)])
                con.register("incoming_then", old)
                con.execute(f"CREATE TEMPORARY TABLE {then} AS SELECT DISTINCT member FROM incoming_then")
                con.unregister("incoming_then")
            except store.engine.errors as exc:
                raise store_failure(store.describe(), exc, "no file was written") from None
            ids = ", ".join(f'n."{k}"' for k in kinds)
            entered = (f"SELECT {ids} FROM {now} n LEFT JOIN {then} t ON t.member = n._key "
                       f'WHERE n."{IN_AUDIENCE}" AND t.member IS NULL')
            left = (f"SELECT {ids} FROM {now} n JOIN {then} t ON t.member = n._key "
                    f'WHERE NOT n."{IN_AUDIENCE}"')
            gone = con.execute(f"SELECT count(*) FROM {then} t LEFT JOIN {now} n ON t.member = n._key "
                               "WHERE n._key IS NULL").fetchall()[0][0]
            # the list of those who left is written under a name of its own and put in place only after
            # the list of those who entered: a failure on either leaves both paths as they were
            pending = paths[1].with_name(f".{paths[1].stem}.{tag}.pending{paths[1].suffix}")
            try:
                removed = write(write_audience, destination,
                                _text_columns(_reader(con.sql(left)), kinds), pending, mapping,
                                region)
                added = write(write_audience, destination,
                              _text_columns(_reader(con.sql(entered)), kinds), paths[0], mapping,
                              region)
                pending.replace(paths[1])
            finally:
                pending.unlink(missing_ok=True)
        finally:
            con.close()
    return Exported(aud, str(paths[0]), added, str(paths[1]), removed, int(gone), when)
