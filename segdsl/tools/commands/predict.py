"""Prediction commands: fit — a model's predictions fitted on the data and stored beside the model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..cli import _bindings, _db_or_target, _guard, _open_engine, _params, app


@app.command()
def fit(
    file: Path = typer.Argument(..., help="The model file."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Fit on the data up to this date, YYYY-MM-DD "
                                        "(default: today)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Fit where the data lives (a target URL)."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source from another table: SOURCE=TABLE."),
    prediction: Optional[List[str]] = typer.Option(None, "--prediction", help="Fit only this prediction "
                                                   "(repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the fit without writing the lock file."),
) -> None:
    """Fit the model's predictions (BG/NBD, Gamma-Gamma) and store them in MODEL.seg.lock beside the model.

    The engine computes each member's summary and groups it; only the grouped
    rows are fitted. `compile` and `run` read the lock file, so a compiled
    query embeds the stored parameters and every run scores alike.

    [bold]Examples[/bold]

      segdsl fit examples/predicted_value.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl fit model.seg --target postgresql://analyst@db.internal/shop
    """

    def body() -> None:
        from ..api import load, parse_as_of
        from ..fit_command import fit_model, render

        _db_or_target(db, target)
        date = parse_as_of(as_of)
        model = load(file)
        engine = _open_engine(model.root, db, target, _bindings(bind))
        try:
            outcome = fit_model(model, engine, date, _params(param), list(prediction or []) or None,
                                write=not dry_run)
        finally:
            engine.close()
        for note in outcome.notes:
            sys.stderr.write(note.render(model.program.sources) + "\n")
        for line in render(outcome):
            sys.stdout.write(line + "\n")
        if not dry_run:
            sys.stdout.write(f"wrote {outcome.path}\n")

    _guard(body)
