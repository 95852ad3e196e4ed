"""Code lenses: each segment's member count and share at an as_of, counted where the data lives.

Counting runs the model's membership query on the configured database in a worker thread,
one aggregate query for all segments of the document (no member reaches Python). A job
belongs to one version of a document: an edit cancels it (the engine's query is
interrupted), and the editor is asked to refresh its lenses when a job finishes.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class Counts:
    total: int
    segments: dict[str, int]
    as_of: dt.date


@dataclass(eq=False)
class Job:
    """Counting the members of one document version."""

    key: tuple  # (uri, version, database, as_of)
    thread: threading.Thread | None = None
    engine: object = None
    cancelled: bool = False
    result: Counts | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled = True
        engine = self.engine
        if engine is not None:
            try:
                engine.cancel()  # interrupts the running query
            except Exception:  # noqa: BLE001 - already closed
                pass


def count_members(program, model, database: str | Path, as_of: dt.date, job: Job) -> Counts:
    """Members of the population and of each segment of a checked model at `as_of`."""
    from sqlglot import exp

    from ... import engines
    from ...engines.execution import compile_for
    from ...sql import dialects as dl
    from ...sql.aggregates import count_where
    from ...sql.expressions import col
    from ..api import Model

    segments = [n for n in model.order if n in model.segments]
    api_model = Model(program, model)
    url = str(database)
    if "://" in url:
        engine = engines.open_engine(url, program.root)
    else:
        engine = engines.open_duckdb(Path(url), program.root)
    job.engine = engine
    try:
        if job.cancelled:
            raise InterruptedError
        compiled = compile_for(api_model, engine, as_of, None, outputs=segments or None)
        low = dl.get(engine.dialect)
        columns = [count_where(low)] + [count_where(low, col(name)) for name in segments]
        inner = exp.Subquery(this=exp.maybe_parse(compiled.sql, dialect=engine.dialect), alias=exp.TableAlias(
            this=exp.to_identifier("m")))
        query = exp.Select(expressions=columns).from_(inner)
        _, rows = engine.fetch(query.sql(dialect=engine.dialect))
        if job.cancelled:
            raise InterruptedError
        values = [int(v or 0) for v in rows[0]]
        return Counts(values[0], dict(zip(segments, values[1:])), as_of)
    finally:
        job.engine = None
        engine.close()


def run_job(job: Job, work: Callable[[], Counts], finished: Callable[[Job], None]) -> None:
    """Runs a count in a worker thread and tells `finished` unless it was cancelled."""

    def target() -> None:
        try:
            job.result = work()
        except BaseException as exc:  # noqa: BLE001 - an interrupted query raises KeyboardInterrupt here
            if not job.cancelled:
                from ...lang.diagnostics import SegError, reason

                job.error = exc.diagnostics[0].message if isinstance(exc, SegError) and exc.diagnostics \
                    else reason(exc)
        finally:
            job.done.set()
            finished(job)

    job.thread = threading.Thread(target=target, name="segdsl-lens", daemon=True)
    job.thread.start()


def title(name: str, counts: Counts) -> str:
    """The text of a segment's lens: `1,234 members · 12.3 % at 2026-06-30`."""
    n = counts.segments.get(name, 0)
    share = 100.0 * n / counts.total if counts.total else 0.0
    return f"{n:,} member{'' if n == 1 else 's'} · {share:.1f} % at {counts.as_of.isoformat()}"


__all__ = ["Counts", "Job", "count_members", "run_job", "title"]
