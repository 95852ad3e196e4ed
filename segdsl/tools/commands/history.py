"""Membership history commands: snapshot, history, diff (segdsl.activation.history)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..cli import _bindings, _db_or_target, _guard, _open_engine, _params, _progress, app, out
from .running import _print_summary


@app.command()
def snapshot(
    file: Path = typer.Argument(..., help="The model file."),
    store: str = typer.Option(..., "--store", "-s", help="Where the history is kept: table:[SCHEMA.]NAME in the "
                              "--target, a local FILE.duckdb, or a FOLDER/ of Parquet files."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Compute where the data lives "
                                         "(postgresql://…, mysql+pymysql://…, spark://local[*], …)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The snapshot's date, YYYY-MM-DD (default: today)."),
    series: Optional[str] = typer.Option(None, "--series", help="The series to add to (default: the model's file "
                                         "name without .seg)."),
    force: bool = typer.Option(False, "--force", help="Add to the series even though the model changed since it "
                               "last wrote there."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table of the target: SOURCE=TABLE (repeatable)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="Stop after this many seconds: "
                                            "the work is cancelled and the store is left as it was."),
) -> None:
    """Keep the membership at as_of in a history store: every segment, case and holdout arm.

    One row per member and segment, case or arm it belongs to, with the
    sizes and the model's fingerprint. A snapshot of the same date replaces
    the earlier one, all or nothing; a model that changed since it last
    wrote the series is refused (start a new --series, or --force).

    [bold]Examples[/bold]

      segdsl snapshot examples/lifecycle_campaign.seg --db shop.duckdb --store history/ --as-of 2026-06-30

      segdsl snapshot model.seg --target postgresql://analyst@db/shop --store table:marts.segment_history
    """

    def body() -> None:
        from ...activation import history as hist
        from ...activation.store import parse_store
        from ..api import load, parse_as_of

        _db_or_target(db, target)
        spec = parse_store(store)
        date = parse_as_of(as_of)
        model = load(file)
        params = _params(param)
        engine = _open_engine(model.root, db, target, _bindings(bind), write=spec.kind == "table")
        try:
            # a table: store is kept in the --target, never in a --db opened only to be read
            with hist.open_store(spec, engine if target else None, write=True) as st, \
                    _progress(engine.describe()) as status:
                def show(step: str, seconds: float) -> None:
                    if status is not None:
                        status.update(f"{engine.describe()}: {step}… {seconds:,.0f} s")

                written = hist.snapshot(model, engine, st, date, params, series, force, timeout, show)
        finally:
            engine.close()
        ir = written.compiled.ir
        _print_summary(ir, written.tally.total, written.tally.rows(list(ir.order)), date, written.seconds)
        snap = written.snapshot
        what = "replaced the snapshot" if written.replaced else "added a snapshot"
        out.print(f"{what} of {date.isoformat()} to the series `{snap.series}` in {spec.text} "
                  f"({written.count} snapshot{'s' if written.count != 1 else ''})", markup=False, soft_wrap=True)

    _guard(body)


@app.command()
def history(
    store: str = typer.Option(..., "--store", "-s", help="The history store: table:[SCHEMA.]NAME in the --target, "
                              "a FILE.duckdb, or a FOLDER/ of Parquet files."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="The target holding a table: store."),
    series: Optional[str] = typer.Option(None, "--series", help="Only this series."),
    fmt_: str = typer.Option("text", "--format", "-f", help="text, json or csv (one row per snapshot and segment)."),
    last: int = typer.Option(8, "--last", min=1, help="Text: show the latest N snapshots of each series."),
) -> None:
    """List the snapshots of a history store with the size of every segment, case and arm.

    [bold]Examples[/bold]

      segdsl history --store history/

      segdsl history --store table:marts.segment_history --target postgresql://analyst@db/shop --format csv
    """

    def body() -> None:
        from ...activation import history as hist
        from ...activation.store import parse_store
        from ...lang.diagnostics import error

        if fmt_ not in ("text", "json", "csv"):
            raise error("SEG309", f"unknown format `{fmt_}`", None, "formats: text, json, csv")
        spec = parse_store(store)
        engine = _open_engine(Path.cwd(), None, target) if target else None
        try:
            with hist.open_store(spec, engine) as st:
                snaps = hist.snapshots(st, series)
        finally:
            if engine is not None:
                engine.close()
        if fmt_ == "json":
            import json

            sys.stdout.write(json.dumps([s.to_dict() for s in snaps], ensure_ascii=False, indent=2) + "\n")
        elif fmt_ == "csv":
            import csv

            from ...activation.store import CATALOG_COLUMNS

            writer = csv.DictWriter(sys.stdout, fieldnames=list(CATALOG_COLUMNS), lineterminator="\n")
            writer.writeheader()
            writer.writerows(hist.history_rows(snaps))
        else:
            _print_history(snaps, spec.text, last)

    _guard(body)


def _print_history(snaps, where: str, last: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not snaps:
        out.print(f"{escape(where)} holds no snapshots yet")
        return
    for name in dict.fromkeys(s.series for s in snaps):
        mine = [s for s in snaps if s.series == name]
        shown = mine[-last:]
        latest = mine[-1]
        table = Table(title=f"series {escape(name)}: {len(mine)} snapshot{'s' if len(mine) != 1 else ''} "
                      f"({escape(latest.model)}, fingerprint {latest.fingerprint[:16]})", title_justify="left")
        table.add_column("segment")
        table.add_column("case")
        for s in shown:
            table.add_column(s.as_of.isoformat(), justify="right")
        table.add_row("all members", "", *[f"{s.population:,}" for s in shown], style="bold")
        labels = list(dict.fromkeys((z.definition, z.value) for s in shown for z in s.sizes))
        last_name: str | None = None
        last_value: str | None = None
        for definition, value in labels:
            cells = []
            for s in shown:
                found = [z.members for z in s.sizes if (z.definition, z.value) == (definition, value)]
                cells.append(f"{found[0]:,}" if found else "—")
            if definition != last_name and last_name is not None and (value is not None or last_value is not None):
                table.add_section()  # each partition in a block of its own; segments together
            table.add_row("" if definition == last_name else escape(definition), escape(value or ""), *cells)
            last_name, last_value = definition, value
        out.print(table)
        if len(mine) > len(shown):
            out.print(f"[dim]{len(mine) - len(shown)} earlier snapshots not shown (--last N, or --format csv)[/dim]")
        for before, after in zip(mine, mine[1:]):
            if before.fingerprint != after.fingerprint:
                out.print(f"[yellow]the model changed at {after.as_of.isoformat()}[/yellow] (fingerprint "
                          f"{before.fingerprint[:16]} → {after.fingerprint[:16]}, {escape(after.model)})")


@app.command()
def diff(
    store: str = typer.Option(..., "--store", "-s", help="The history store: table:[SCHEMA.]NAME in the --target, "
                              "a FILE.duckdb, or a FOLDER/ of Parquet files."),
    date_from: str = typer.Option(..., "--from", help="The earlier snapshot's date."),
    date_to: str = typer.Option(..., "--to", help="The later snapshot's date."),
    output: Path = typer.Option(..., "--output", "-o", help="Write the members that entered and exited to this "
                                ".parquet or .csv file."),
    segment: Optional[str] = typer.Option(None, "--segment", help="Only this segment, segmentation or holdout "
                                          "(every case), or one case or arm: lifecycle.new."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="The target holding a table: store."),
    series: Optional[str] = typer.Option(None, "--series", help="The series (needed when the store holds several)."),
) -> None:
    """Write the members that entered and exited each segment, case and arm between two snapshots.

    One row per change (member, definition, value, event: entered or
    exited): what a mirror or diff sync to a campaign platform needs. The
    rows are computed and written by the store's engine, streamed into the
    file, which appears only when it is complete.

    [bold]Examples[/bold]

      segdsl diff --store history/ --from 2026-06-23 --to 2026-06-30 --output changes.parquet

      segdsl diff --store history/ --from 2026-06-23 --to 2026-06-30 --segment win_back_test.campaign -o sync.csv
    """

    def body() -> None:
        from rich.markup import escape
        from rich.table import Table

        from ...activation import history as hist
        from ...activation.store import parse_store
        from ..api import parse_as_of
        from ...engines.arrow import check_output_path

        spec = parse_store(store)
        first, second = parse_as_of(date_from), parse_as_of(date_to)
        check_output_path(output)
        engine = _open_engine(Path.cwd(), None, target) if target else None
        try:
            with hist.open_store(spec, engine) as st:
                done = hist.diff(st, first, second, output, segment, series)
        finally:
            if engine is not None:
                engine.close()
        table = Table(title=f"series {escape(done.series)}: {first.isoformat()} → {second.isoformat()}",
                      title_justify="left")
        for column, justify in (("segment", "left"), ("case", "left"), ("entered", "right"), ("exited", "right")):
            table.add_column(column, justify=justify)
        pairs = list(dict.fromkeys((d, v) for d, v, _, _ in done.counts))
        for d, v in pairs:
            n = {e: c for dd, vv, e, c in done.counts if (dd, vv) == (d, v)}
            table.add_row(escape(d), escape(v or ""), f"{n.get('entered', 0):,}", f"{n.get('exited', 0):,}")
        if not pairs:
            table.add_row("(no changes)", "", "0", "0", style="dim")
        out.print(table)
        out.print(f"wrote {done.rows:,} changes to {done.written}", markup=False, soft_wrap=True)

    _guard(body)
