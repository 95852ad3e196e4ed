"""Activation commands: export — an audience's file for its ad or e-mail platform."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..cli import _bindings, _db_or_target, _guard, _open_engine, _params, app, out


@app.command("export")
def export_(
    file: Path = typer.Argument(..., help="The model file."),
    audience: str = typer.Option(..., "--audience", "-a", help="The audience to export (an `audience` of the model)."),
    output: Path = typer.Option(..., "--output", "-o", help="The destination's file: .csv (Meta, Google Ads, "
                                "TikTok, csv) or .parquet."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Compute where the data lives "
                                         "(postgresql://…, mysql+pymysql://…, spark://local[*], …)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The membership at this date (default: today)."),
    region: Optional[str] = typer.Option(None, "--region", help="Country (ISO code, e.g. US) for phone numbers "
                                         "and postcodes of members without a country."),
    store: Optional[str] = typer.Option(None, "--store", "-s", help="Diff mode: the history store holding the "
                                        "snapshot to compare with (table:NAME in the --target, FILE.duckdb, FOLDER/)."),
    since: Optional[str] = typer.Option(None, "--since", help="Diff mode: the snapshot's date; --output gets the "
                                        "members who entered since, --removed those who left."),
    removed: Optional[Path] = typer.Option(None, "--removed", help="Diff mode: the file of the members who left."),
    series: Optional[str] = typer.Option(None, "--series", help="Diff mode: the series (default: the only one)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table of the target: SOURCE=TABLE (repeatable)."),
) -> None:
    """Write an audience's file for its platform: its columns, normalisation and hashing.

    Invalid identifiers are emptied and counted per rule; members left with
    no identifier are counted and left out. The file appears only when it
    is complete. With --since (and --store), only the change since that
    snapshot: the members who entered go to --output, those who left to
    --removed.

    [bold]Examples[/bold]

      segdsl export campaign.seg --audience win_back_meta --db shop.duckdb --as-of 2026-06-30 -o win_back.csv

      segdsl export campaign.seg -a win_back_meta --db shop.duckdb --store history/ --since 2026-06-23 \\
        --as-of 2026-06-30 -o added.csv --removed removed.csv
    """

    def body() -> None:
        from ...activation.export import export
        from ..api import load
        from ...lang.diagnostics import error

        _db_or_target(db, target)
        if (store is None) != (since is None):
            raise error("SEG325", "diff mode needs both --store and --since", None,
                        "--store names the history, --since the snapshot's date")
        model = load(file)
        engine = _open_engine(model.root, db, target, _bindings(bind))
        try:
            if store is not None:
                from ...activation import history as hist

                with hist.open_store(store, engine if target else None) as st:
                    done = export(model, engine, audience, output, as_of, _params(param), region,
                                  (st, since, series), removed)
            else:
                done = export(model, engine, audience, output, as_of, _params(param), region, None, removed)
        finally:
            engine.close()
        _print_export(done)

    _guard(body)


def _print_export(done) -> None:
    """The files written, and per identifier the values kept, missing and invalid (by rule)."""
    from ...activation.destinations import get

    title = get(done.audience.destination).title
    parts = [("entered" if done.since else "members", done.report, done.path)]
    if done.removed is not None:
        parts.append(("left", done.removed, done.removed_path))
    for what, report, path in parts:
        out.print(f"wrote {report.rows_out:,} {what} of `{done.audience.name}` to {path} ({title})",
                  markup=False, soft_wrap=True)
        for kind, _ in done.audience.identifiers:
            bad = sum(n for (k, _r), n in report.invalid.items() if k == kind)
            out.print(f"  {kind}: {report.present.get(kind, 0):,} written, {report.missing.get(kind, 0):,} missing, "
                      f"{bad:,} invalid", markup=False, soft_wrap=True)
        for line in report.lines():
            out.print(f"  {line}", markup=False, soft_wrap=True)
    if done.gone:
        out.print(f"{done.gone:,} members of the snapshot are no longer in the entity: nothing identifies them "
                  "for removal", markup=False, soft_wrap=True)
