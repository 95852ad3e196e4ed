"""A history store as a folder of Parquet files, readable by any tool that reads Parquet.

    FOLDER/_segdsl_history.json              marks the folder as a store (never written into otherwise)
    FOLDER/members/SERIES/YYYY-MM-DD.parquet one file per snapshot: series, as_of, definition, value, member
    FOLDER/changes/SERIES/YYYY-MM-DD.parquet the entered and exited events since the snapshot before

A snapshot is one file, so replacing it is one rename: the file is written by
DuckDB under a temporary name beside its place (a dot file, which Spark,
DuckDB's `*.parquet` globs and pyarrow datasets all skip) and renamed over
the old one, so a reader sees the old snapshot or the new one and a failure
leaves the old one. Its catalog — sizes, population, fingerprint, model,
time — is in the file's own key-value metadata (`segdsl`), so the rows and
what describes them cannot disagree, and `segdsl history` reads only footers.

A changes file is derived from two snapshot files, whose ids it records; after
every snapshot the changes files that do not match the snapshots next to each
other are written again, so one left stale by an interrupted run is repaired
by the next. `segdsl diff` reads the snapshot files themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..engines.arrow import PENDING, settle
from .store import (Snapshot, Store, _aliased, _col, _id, changes_between, missing_folder, sql, stage_arrow,
                    store_failure)

if TYPE_CHECKING:
    from ..engines.base import Engine
    from ..engines.execution import Compiled

MARKER = "_segdsl_history.json"
META_KEY = b"segdsl"
FORMAT = 1


class FolderStore(Store):
    dialect = "duckdb"

    def __init__(self, path: Path, where: str | None = None):
        from .. import engines

        self.path = Path(path)
        self.where = where or str(self.path)
        self.engine = engines.open_duckdb(None)  # DuckDB in memory runs the store's SQL over its files
        self.ids: dict[tuple[str, dt.date], str] = {}  # snapshot → the id of its file

    def describe(self) -> str:
        return self.where

    def _file(self, part: str, series: str, as_of: dt.date) -> Path:
        return self.path / part / series / f"{as_of.isoformat()}.parquet"

    # ── opening ─────────────────────────────────────────────────────────────
    def open_for_writing(self) -> None:
        where = self.describe()
        if self.path.exists() and not self.path.is_dir():
            raise store_failure(where, "it is a file, not a folder", "name a folder for the Parquet files")
        if not self.path.exists() and not self.path.parent.is_dir():
            raise store_failure(where, missing_folder(self.path.parent), "create it first")
        if self.path.is_dir() and any(self.path.iterdir()) and not (self.path / MARKER).is_file():
            raise store_failure(where, f"the folder holds other files and no {MARKER}",
                                "name an empty or new folder for the store")
        try:
            for folder in (self.path, self.path / "members", self.path / "changes"):
                folder.mkdir(exist_ok=True)
            if not (self.path / MARKER).is_file():
                marker = self.path / f".{MARKER}.{uuid.uuid4().hex[:8]}.tmp"
                marker.write_text(json.dumps({"segdsl": "membership history", "format": FORMAT}) + "\n",
                                  encoding="utf-8")
                os.replace(marker, self.path / MARKER)
            probe = self.path / f".segdsl-probe-{uuid.uuid4().hex[:8]}.tmp"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise store_failure(where, exc) from None

    def open_for_reading(self) -> None:
        if not (self.path / MARKER).is_file():
            what = "there is no such folder" if not self.path.exists() else f"the folder has no {MARKER}"
            raise store_failure(self.describe(), what,
                                "write a snapshot first: segdsl snapshot MODEL --store " + self.describe())

    # ── reading ─────────────────────────────────────────────────────────────
    def snapshots(self, series: str | None = None) -> list[Snapshot]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = []
        folder = self.path / "members"
        names = [series] if series is not None else sorted(p.name for p in folder.iterdir() if p.is_dir()) \
            if folder.is_dir() else []
        for name in names:
            for file in sorted((folder / name).glob("*.parquet")) if (folder / name).is_dir() else []:
                try:
                    meta = json.loads(pq.read_metadata(file).metadata[META_KEY])
                except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as exc:
                    raise store_failure(self.describe(), f"{file} is not a snapshot of segdsl ({exc})",
                                        "remove the file, or write that snapshot again") from None
                snap = Snapshot.from_dict(meta)
                self.ids[(snap.series, snap.as_of)] = meta["id"]
                out.append(snap)
        return sorted(out, key=lambda s: (s.series, s.as_of))

    def pair(self, series: str, first: dt.date, second: dt.date) -> exp.Expression:
        files = exp.Array(expressions=[exp.Literal.string(str(self._file("members", series, d)))
                                       for d in (first, second)])
        read = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[files]))
        query = exp.select(_col("as_of"), _col("definition"), _col("value"), _col("member")).from_(read)
        return _aliased(query, "pair")

    # ── writing ─────────────────────────────────────────────────────────────
    def stage(self, source: "Engine", compiled: "Compiled") -> exp.Expression:
        return stage_arrow(self.engine, source, compiled)

    def unstage(self, staging: exp.Expression) -> None:
        try:
            self.engine.execute(f"DROP TABLE IF EXISTS {_q(staging.name)}")
        except self.engine.errors:
            pass

    def _write(self, query: exp.Expression, path: Path, meta: dict[str, object]) -> None:
        """COPY a query into a temporary file beside `path` with the metadata, then rename it into place."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
        PENDING.add(tmp)  # removed if the run is stopped while DuckDB still writes it
        done = False
        try:
            text = sql(exp.Literal.string(json.dumps(meta, ensure_ascii=False)), "duckdb")
            self.engine.execute(f"COPY ({sql(query, 'duckdb')}) TO {sql(exp.Literal.string(str(tmp)), 'duckdb')} "
                                f"(FORMAT PARQUET, KV_METADATA {{segdsl: {text}}})")
            settle(tmp, path)
            done = True
        finally:
            if not done:
                settle(tmp, None)

    def commit(self, snapshot: Snapshot, rows: exp.Select) -> None:
        from ..sql import dialects as dl

        low = dl.get("duckdb")
        query = exp.select(exp.alias_(low.text_literal(snapshot.series), "series", quoted=True),
                           exp.alias_(low.date_literal(snapshot.as_of), "as_of", quoted=True),
                           _col("definition", "r"), _col("value", "r"), _col("member", "r")).from_(
            _aliased(rows, "r"))
        meta = {**snapshot.to_dict(), "id": uuid.uuid4().hex, "format": FORMAT}
        self._write(query, self._file("members", snapshot.series, snapshot.as_of), meta)
        self.ids[(snapshot.series, snapshot.as_of)] = str(meta["id"])
        try:
            self.reconcile(snapshot.series)
        except (OSError, *self.engine.errors) as exc:
            raise store_failure(self.describe(), f"the snapshot was written, but not the changes since the one "
                                f"before it: {exc}", "the next snapshot writes the changes again") from None

    def reconcile(self, series: str) -> None:
        """Write every changes file of a series that does not match the two snapshots it is derived from,
        and remove those of snapshots that are gone or now first."""
        import pyarrow.parquet as pq

        snaps = self.snapshots(series)
        wanted: set[Path] = set()
        for previous, current in zip(snaps, snaps[1:]):
            path = self._file("changes", series, current.as_of)
            wanted.add(path)
            ids = {"from_id": self.ids[(series, previous.as_of)], "to_id": self.ids[(series, current.as_of)]}
            try:
                meta = json.loads(pq.read_metadata(path).metadata[META_KEY]) if path.is_file() else None
            except Exception:  # noqa: BLE001 - unreadable: written again
                meta = None
            if meta is not None and all(meta.get(k) == v for k, v in ids.items()):
                continue
            pair = self.pair(series, previous.as_of, current.as_of)
            self._write(changes_between(pair, series, previous.as_of, current.as_of, "duckdb"), path,
                        {**ids, "series": series, "as_of": current.as_of.isoformat(),
                         "previous_as_of": previous.as_of.isoformat(), "format": FORMAT})
        folder = self.path / "changes" / series
        for stale in folder.glob("*.parquet") if folder.is_dir() else []:
            if stale not in wanted:
                stale.unlink()


def _q(name: str) -> str:
    return _id(name).sql("duckdb")
