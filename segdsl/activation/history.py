"""Membership history: snapshots of a model at an as_of kept in a store, and the changes between them.

    from segdsl.activation import history
    model = segdsl.load("lifecycle_campaign.seg")
    with history.open_store("history/") as store, segdsl.engines.open_duckdb("shop.duckdb") as engine:
        history.snapshot(model, engine, store, as_of="2026-06-30")
        history.snapshots(store)                              # what the store holds, with sizes
        history.diff(store, "2026-06-23", "2026-06-30", output="changes.parquet", segment="win_back")

A series is the history of one model (by default named after its file); each
snapshot records the model's fingerprint — the SHA-256 of the model's text,
of every file it imports and of its parameter values — so that a changed
model cannot silently continue a series whose earlier snapshots meant
something else. Snapshots of one as_of replace each other: running the same
snapshot again changes nothing but the time it was taken.

Everything that touches members runs on an engine: the membership is
computed where the data lives, unpivoted, counted, compared and written by
SQL (or streamed as Arrow batches into DuckDB, for a local store); Python
sees sizes and catalog rows only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..lang.diagnostics import display_path, error
from ..engines.base import Engine
from .store import (DIFF_COLUMNS, Selection, Snapshot, Store, StoreSpec, check_series, default_series,
                    definitions_of, diff_counts, diff_query, long_rows, parse_store, selection, sizes_of, sql,
                    store_failure)


def open_store(store: str | StoreSpec, engine: Engine | None = None, write: bool = False) -> Store:
    """The store `--store` names: `table:NAME` in `engine` (the target), `FILE.duckdb`, or `FOLDER/`.

    With write=True the store is created if need be and proven writable
    before anything is computed; otherwise it must exist.
    """
    spec = parse_store(store) if isinstance(store, str) else store
    if spec.kind == "table":
        if engine is None:
            raise error("SEG320", f"`{spec.text}` is a table of a target, and no target was given", None,
                        "name the database with --target (for DuckDB: --target duckdb:///path.duckdb), or keep "
                        "the store in a local file: --store history.duckdb")
        from .sqlstore import open_table_store

        opened: Store = open_table_store(engine, spec.table or "")
    elif spec.kind == "duckdb":
        from .sqlstore import open_duckdb_store

        opened = open_duckdb_store(spec.path, spec.table or "", write, spec.text)
    else:
        from .parquetstore import FolderStore

        opened = FolderStore(spec.path or Path("."), spec.text)
    try:
        opened.open_for_writing() if write else opened.open_for_reading()
    except BaseException:
        opened.close()
        raise
    return opened


def fingerprint(model: Any, params: dict[str, object] | None = None) -> str:
    """SHA-256 of the text of the model and of every file it imports (in import order), and of the value
    of every parameter.

    Not `Model.content_hash`, which also hashes the paths the files were named
    by: the same model run from another folder or checkout is the same model
    (the paths of imports are in the importing text already).
    """
    texts = getattr(model.program.sources, "_texts", {})
    digest = hashlib.sha256()
    for f in model.program.files:
        digest.update("\n".join(texts.get(f.path, [])).encode("utf-8") + b"\0")
    given = model.resolve_params(params)
    values = {name: given.get(name, p.value) for name, p in sorted(model.ir.params.items())}
    digest.update(json.dumps(values, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


@dataclass
class Written:
    """What `snapshot` wrote, and what the series held before."""

    snapshot: Snapshot
    replaced: bool  # a snapshot of that as_of was there before
    previous: Snapshot | None  # the snapshot just before it in the series
    count: int  # snapshots in the series now
    compiled: Any
    tally: Any
    seconds: float


class _Both:
    """The engines a snapshot keeps busy — the one computing and the store's — stopped together
    by Ctrl-C or --timeout (what engines.execution.Supervisor asks of an engine)."""

    def __init__(self, source: Engine, store: Store):
        self.engines = [source] if store.engine is source else [source, store.engine]

    def describe(self) -> str:
        return self.engines[0].describe()

    def cancel(self) -> None:
        for e in self.engines:
            e.cancel()


def check_fingerprint(existing: Sequence[Snapshot], series: str, wanted: str, store: Store) -> None:
    """The series continues only with the model that last wrote it (SEG322 otherwise)."""
    if not existing:
        return
    latest = max(existing, key=lambda s: (s.taken_at, s.as_of))
    if latest.fingerprint == wanted:
        return
    raise error("SEG322", f"the model has changed since it last wrote the series `{series}` in {store.describe()}: "
                f"its fingerprint is {wanted[:16]}, the series' is {latest.fingerprint[:16]} ({latest.model}, "
                f"snapshot of {latest.as_of.isoformat()} taken {latest.taken_at:%Y-%m-%d %H:%M} UTC)", None,
                "start a new series with --series NAME, or continue this one with --force (its earlier "
                "snapshots keep what the old model computed)")


def snapshot(model: Any, engine: Engine, store: Store, as_of: str | dt.date | None = None,
             params: dict[str, object] | None = None, series: str | None = None, force: bool = False,
             timeout: float | None = None, show: Any = None) -> Written:
    """Compute the membership at as_of on `engine` and put it in `store` as a snapshot of the series
    (replacing one of the same as_of), all or nothing.

    `timeout` (seconds) and Ctrl-C cancel the work on both engines; `show(step, seconds)` is told
    the step under way, as `segdsl run` shows it.
    """
    from ..semantic.params import parse_as_of
    from ..engines.execution import Supervisor, compile_for, engine_failure, tally_for

    date = parse_as_of(as_of)
    name = check_series(series) if series else default_series(model.program.main)
    wanted = fingerprint(model, params)
    existing = store.snapshots(name)
    if not force:
        check_fingerprint(existing, name, wanted, store)
    supervisor = Supervisor(_Both(engine, store), timeout, show)  # type: ignore[arg-type]
    started = time.perf_counter()
    compiled = supervisor.step("reading source schemas",
                               lambda: compile_for(model, engine, date, params, definitions_of(model.ir)))
    tally = tally_for(compiled.ir, compiled.columns)
    failures = tuple({*engine.errors, *store.engine.errors})
    try:
        staging = supervisor.step("computing the segments", lambda: store.stage(engine, compiled))
    except failures as exc:
        raise engine_failure(engine, exc) from None
    try:
        supervisor.step("counting the members", lambda: store.engine.summary(staging, tally))
        taken = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        main = model.program.main
        made = Snapshot(name, date, wanted, display_path(main) if main != "<text>" else main, taken, tally.total,
                        sizes_of(compiled.ir, tally.rows(list(compiled.ir.order))))
        rows = long_rows(compiled.ir, staging, store.dialect)
        supervisor.step(f"writing the snapshot into {store.describe()}", lambda: store.commit(made, rows))
    except (OSError, *failures) as exc:
        if store.engine.cancelled or engine.cancelled:
            raise engine_failure(engine, exc) from None
        raise store_failure(store.describe(), exc, "the store is as it was before: nothing of this snapshot "
                            "was kept") from None
    finally:
        store.unstage(staging)
    earlier = [s for s in existing if s.as_of < date]
    replaced = any(s.as_of == date for s in existing)
    return Written(made, replaced, earlier[-1] if earlier else None, len(existing) + (0 if replaced else 1),
                   compiled, tally, time.perf_counter() - started)


def snapshots(store: Store, series: str | None = None) -> list[Snapshot]:
    """The snapshots a store holds (of one series), ordered by series and as_of, with their sizes."""
    found = store.snapshots(check_series(series) if series is not None else None)
    if series is not None and not found:
        known = sorted({s.series for s in store.snapshots()})
        from ..lang.diagnostics import did_you_mean

        raise error("SEG323", f"{store.describe()} holds no series `{series}`", None,
                    did_you_mean(series, known) or f"series: {', '.join(known) or 'none yet'}")
    return found


def series_of(store: Store, series: str | None) -> tuple[str, list[Snapshot]]:
    """The series a command reads: the one named, or the only one the store holds."""
    if series is not None:
        return series, snapshots(store, series)
    found = store.snapshots()
    names = sorted({s.series for s in found})
    if len(names) != 1:
        raise error("SEG323", f"{store.describe()} holds " + (f"{len(names)} series: {', '.join(names)}" if names
                                                            else "no snapshots"), None,
                    "name one with --series NAME" if names else "write one: segdsl snapshot MODEL --store …")
    return names[0], [s for s in found if s.series == names[0]]


def find(snaps: Sequence[Snapshot], when: dt.date, option: str) -> Snapshot:
    for s in snaps:
        if s.as_of == when:
            return s
    dates = ", ".join(s.as_of.isoformat() for s in snaps)
    raise error("SEG323", f"`{option} {when.isoformat()}`: the series `{snaps[0].series}` has no snapshot of that "
                "date" if snaps else f"`{option} {when.isoformat()}`: the series has no snapshots", None,
                f"its snapshots: {dates}" if snaps else None)


@dataclass
class Diff:
    """A diff written to a file: entered and exited members per definition and value, as counted by the engine."""

    series: str
    first: Snapshot
    second: Snapshot
    counts: list[tuple[str, str | None, str, int]]  # definition, value, event, members
    written: str
    rows: int


def diff(store: Store, first: str | dt.date, second: str | dt.date, output: str | Path,
         segment: str | None = None, series: str | None = None) -> Diff:
    """Members that entered and exited each segment, case and arm between two snapshots of a series,
    written to a .parquet or .csv file (member, definition, value, event), streamed from the store's engine."""
    from ..semantic.params import parse_as_of
    from ..sql.options import OutputColumn
    from ..engines.arrow import OutputFailed, check_output_path
    from ..engines.execution import output_failure
    from ..semantic.model import T

    path = check_output_path(Path(output))
    name, snaps = series_of(store, series)
    a = find(snaps, parse_as_of(first), "--from")
    b = find(snaps, parse_as_of(second), "--to")
    if a.as_of == b.as_of:
        raise error("SEG323", f"--from and --to are the same snapshot ({a.as_of.isoformat()})", None,
                    "compare two different dates")
    chosen: Selection = selection(segment, [a, b])
    query = diff_query(store.pair(name, a.as_of, b.as_of), b.as_of, chosen, store.dialect)
    columns = [OutputColumn(c, T.TEXT) for c in DIFF_COLUMNS]
    try:
        _, counted = store.engine.fetch(sql(diff_counts(query), store.dialect))
        rows = store.engine.export(sql(query, store.dialect), path, columns)
    except OutputFailed as exc:
        raise output_failure(exc) from None
    except store.engine.errors as exc:
        raise store_failure(store.describe(), exc, "no file was written") from None
    order = {(s.definition, s.value): i for i, s in enumerate(b.sizes + a.sizes)}
    counts = sorted(((str(d), None if v is None else str(v), str(e), int(n)) for d, v, e, n in counted),
                    key=lambda c: (order.get((c[0], c[1]), len(order)), c[0], c[1] or "", c[2]))
    return Diff(name, a, b, counts, str(path), rows)


def history_rows(snaps: Sequence[Snapshot]) -> list[dict[str, object]]:
    """One row per snapshot and segment, case or arm: the long form `history --format csv` prints."""
    return [{"series": s.series, "as_of": s.as_of.isoformat(), "definition": z.definition, "kind": z.kind,
             "value": z.value, "members": z.members, "population": s.population, "fingerprint": s.fingerprint,
             "model": s.model, "taken_at": s.taken_at.isoformat(sep=" ")} for s in snaps for z in s.sizes]


__all__ = ["open_store", "snapshot", "snapshots", "diff", "fingerprint", "Written", "Diff", "history_rows",
           "series_of"]
