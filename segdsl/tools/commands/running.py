"""Running commands: run and report — a model computed on an engine, members written or summarised."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..cli import (_bindings, _db_or_target, _document_path, _guard, _open_engine, _params,
                   _progress, _write_document, app, err, out)


@app.command()
def run(
    file: Path = typer.Argument(..., help="The model file."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date, YYYY-MM-DD (default: today)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    output: Optional[str] = typer.Option(None, "--output", "-o",
                                         help="Write one row per member to a .parquet or .csv file, to a "
                                         "table of the target (table:SCHEMA.NAME, replaced atomically), or "
                                         "with Spark to a folder of Parquet files (a path ending in /)."),
    target: Optional[str] = typer.Option(None, "--target", "-t",
                                         help="Run where the data lives: duckdb:///f.duckdb, sqlite:///f.db, "
                                         "postgresql://…, mysql+pymysql://…, spark://local[*], sc://…, chdb:///…"),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table of the target: SOURCE=TABLE (repeatable)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="Stop after this many seconds: "
                                            "the query is cancelled on the engine and nothing is written."),
) -> None:
    """Compute segments and print their sizes: on DuckDB, or on the engine where the data lives.

    Data files named in the model (.csv, .parquet, .json) are read relative to
    the model file; table names are read from --db, or from the --target
    database. Sources are only read (in a read-only transaction where the
    engine has one). Ctrl-C or --timeout cancel the query on the engine and
    leave no partial output.

    [bold]Examples[/bold]

      segdsl run examples/retail.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl run model.seg --param vip_spend=2500 --output members.parquet

      segdsl run model.seg --target postgresql://analyst@db.internal/shop --output table:marts.segments
    """

    def body() -> None:
        from ...lang.diagnostics import error

        _db_or_target(db, target)
        if output is not None and output.startswith("table:") and target is None:
            raise error("SEG307", f"`{output}` needs a target to write to", None,
                        "name the database with --target (for DuckDB: --target duckdb:///path.duckdb)")
        _run(file, db, target, as_of, _params(param), output, _bindings(bind), timeout)

    _guard(body)


def _run(file: Path, db: Path | None, url: str | None, as_of: str | None, params: dict[str, str],
         output: str | None, bindings: dict[str, str] | None = None, timeout: float | None = None) -> None:
    """`segdsl run`: the same path for DuckDB (--db, data files) and every --target."""
    from ..api import load, parse_as_of
    from ...engines.arrow import check_output_path
    from ...engines.execution import Supervisor, is_folder_output, run as run_model

    date = parse_as_of(as_of)
    model = load(file)
    table = output[len("table:"):] if output is not None and output.startswith("table:") else None
    if output is not None and table is None and not is_folder_output(output):
        check_output_path(Path(output))
    engine = _open_engine(model.root, db, url, bindings, write=table is not None)
    try:
        with _progress(engine.describe()) as status:
            def show(step: str, seconds: float) -> None:
                if status is not None:
                    status.update(f"{engine.describe()}: {step}… {seconds:,.0f} s")

            outcome = run_model(model, engine, date, params, output=None if table else output, table=table,
                                supervisor=Supervisor(engine, timeout, show))
    finally:
        engine.close()
    for note in outcome.notes:
        sys.stderr.write(note + "\n")
    _print_summary(outcome.compiled.ir, outcome.tally.total, outcome.rows(), date, outcome.seconds)
    if outcome.written is not None:
        out.print(f"wrote {outcome.tally.total:,} members to {outcome.written}")


def _print_summary(ir, total: int, rows, date, seconds: float) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{escape(ir.entity.name)}: {total:,} members as of {date.isoformat()}", title_justify="left")
    table.add_column("segment")
    table.add_column("case")
    table.add_column("members", justify="right")
    table.add_column("share", justify="right")
    table.add_column("", no_wrap=True)
    last = None
    for name, case, count in rows:
        share = count / total if total else 0.0
        d = ir.segments.get(name) or ir.segmentations.get(name) or ir.holdouts.get(name)
        if name != last and case and last is not None:
            table.add_section()  # each partition in a block of its own; segments together
        label = "" if name == last else escape(name) + (f" [dim]({escape(d.label)})[/dim]"
                                                         if getattr(d, "label", None) else "")
        style = "dim" if case == "(none)" else None
        table.add_row(label, escape(case), f"{count:,}", f"{share:.1%}", f"[cyan]{'█' * round(share * 20)}[/cyan]",
                      style=style)
        last = name
    out.print(table)
    out.print(f"[dim]computed in {seconds:.2f} s[/dim]")


@app.command()
def report(
    file: Path = typer.Argument(..., help="The model file."),
    name: Optional[List[str]] = typer.Option(None, "--name", "-n", help="Only this report (repeatable)."),
    adhoc: Optional[List[str]] = typer.Option(None, "--report", "-r",
                                              help='An ad hoc report, e.g. "crosstab gender by lifecycle".'),
    format: str = typer.Option("terminal", "--format", "-f", help="terminal, md, html, json or csv."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the document to this file."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Compute on this target URL "
                                         "(postgresql://…, mysql+pymysql://…, spark://local[*], …)."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table of the target: SOURCE=TABLE (repeatable)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date (default: today)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="Migration reports: the earlier date."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Migration reports: the later date."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
) -> None:
    """Compute the reports of a model (or ad hoc ones) and render them.

    Every figure is computed by the engine (DuckDB, or the --target where
    the data lives); the document holds value, cross-tab (with a chi-square
    test), overlap, profile and migration reports as tables and charts.

    [bold]Examples[/bold]

      segdsl report examples/retail.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl report examples/retail.seg --db shop.duckdb --format html --out report.html

      segdsl report model.seg --report "crosstab gender by lifecycle" --format md

      segdsl report model.seg --target postgresql://analyst@db/shop --format md
    """

    def body() -> None:
        import datetime as dt

        from ...reports import render
        from ..api import load, parse_as_of
        from ...lang.diagnostics import display_path, error
        from ...engines.url import parse_target

        if format not in render.FORMATS:
            raise error("SEG307", f"unknown format `{format}`", None, f"formats: {', '.join(render.FORMATS)}")
        if db is not None and target is not None:
            raise error("SEG309", "give --db or --target, not both", None, "--db PATH is --target duckdb:///PATH")
        date = parse_as_of(as_of)
        migration = None
        if date_from or date_to:
            if not (date_from and date_to):
                raise error("SEG302", "--from and --to go together", None, "give both dates")
            migration = (parse_as_of(date_from), parse_as_of(date_to))
        model = load(file)
        if out_path is not None:
            _document_path(out_path)  # before the work, as for `run --output`
        with err.status("computing reports…"):
            results = model.report(list(name or []), list(adhoc or []), db=db, target=target, as_of=date,
                                   params=_params(param), migration=migration, bindings=_bindings(bind))
        source = str(db) if db else parse_target(target).redacted() if target else "data files of the model"
        context = render.Context(display_path(file), date, source, dt.datetime.now().replace(microsecond=0))
        if format == "terminal" and out_path is None:
            render.print_terminal(results, context, out)
            return
        text = render.render(results, context, "md" if format == "terminal" else format)
        if out_path is None:
            print(text)
        else:
            _write_document(out_path, text)
            out.print(f"wrote {len(results)} reports to {out_path}")

    _guard(body)
