"""The command line: segdsl check | compile | run | demo.

Every user mistake ends as a rendered diagnostic and an exit code (1 for
findings in a model, 2 for bad usage); an unexpected exception is reported
as an internal error with a request to report it, never as a traceback.
Heavy libraries (sqlglot, duckdb) are imported inside the commands that need
them so that `check` and `--help` start fast.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .diagnostics import SegError

app = typer.Typer(
    name="segdsl",
    help="Customer segments as code: .seg files compiled to SQL and run on DuckDB.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

USAGE_CODES = {"SEG301", "SEG302", "SEG303", "SEG306", "SEG307", "SEG309"}


def _report(exc: SegError) -> int:
    """Print diagnostics; the exit code: 2 for bad usage, 1 for problems in a model."""
    # Plain text, never wrapped: diagnostics are read by people and by CI logs alike.
    sys.stderr.write(exc.render() + "\n")
    count = len(exc.diagnostics)
    if count > 1:
        sys.stderr.write(f"\n{count} problems\n")
    usage = all(d.code in USAGE_CODES or (d.code == "SEG304" and d.span is None) for d in exc.diagnostics)
    return 2 if usage else 1


def _guard(fn):
    """Run a command body with the error policy of the whole CLI."""
    try:
        return fn()
    except SegError as exc:
        raise typer.Exit(_report(exc))
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        import traceback

        log = Path(os.environ.get("TMPDIR", "/tmp")) / "segdsl-crash.log"
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f"details are in {log}"
        except OSError:
            where = "run with SEGDSL_DEBUG=1 for details"
        if os.environ.get("SEGDSL_DEBUG"):
            raise
        sys.stderr.write(f"error[SEG900]: internal error: {type(exc).__name__}: {exc}\n"
                         f"  = hint: this is a bug in segdsl, not in your model; please report it ({where})\n")
        raise typer.Exit(3)


def _params(values: list[str] | None) -> dict[str, str]:
    from .diagnostics import error

    params: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise error("SEG301", f"`{item}` is not NAME=VALUE", None, "for example --param vip_spend=2500")
        params[name.strip()] = value
    return params


@app.command()
def check(
    files: List[Path] = typer.Argument(..., help="Model files (.seg) or folders holding them."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database: check columns and types against its "
                                      "tables and run the data lints."),
    target: Optional[str] = typer.Option(None, "--target", help="A target URL (postgresql://…, duckdb:///…): "
                                         "check against its tables and run the data lints there."),
    schema: Optional[Path] = typer.Option(None, "--schema", help="A schema file (TOML or JSON) with the columns "
                                          "of the sources."),
    data: bool = typer.Option(False, "--data", help="Run the data lints on the data files the models name."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date of the data lints, YYYY-MM-DD (default: today)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    fmt: str = typer.Option("text", "--format", "-f", help="Output: text, json, github (annotations) or sarif."),
    config: Optional[Path] = typer.Option(None, "--config", help="A segdsl.toml or pyproject.toml to use instead "
                                          "of the nearest one."),
    lint: bool = typer.Option(True, "--lint/--no-lint", help="Run the segment-quality lints."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when all is well."),
) -> None:
    """Check models: syntax, names, types, and segment-quality lints.

    Without data, columns are checked against `columns (…)` declarations,
    a --schema file, or data files the model names. With --db or --target,
    against the real tables, and the data lints (too broad, too small,
    empty, stale, missing data, overlap) run with a few aggregate queries.

    Exit code 0 when clean, 1 when a model has problems, 2 for bad usage.

    [bold]Examples[/bold]

      segdsl check examples/

      segdsl check examples/retail.seg --db shop.duckdb --as-of 2026-06-30

      segdsl check models/ --format sarif > segdsl.sarif
    """

    def body() -> None:
        from .diagnostics import error
        from .validate import CheckOptions, check_paths

        formats = ("text", "json", "github", "sarif")
        if fmt not in formats:
            raise error("SEG309", f"unknown format `{fmt}`", None, "formats: " + ", ".join(formats))
        date = None
        if as_of is not None:
            from .api import parse_as_of

            date = parse_as_of(as_of)
        if db is not None and target is not None:
            raise error("SEG309", "give --db or --target, not both", None, "--db PATH is --target duckdb:///PATH")
        options = CheckOptions(db=db, target=target, schema=schema, data=data, as_of=date,
                               params=_params(param), lint=lint, config=config)
        result = check_paths(list(files), options)
        _print_check(result, fmt, quiet)
        raise typer.Exit(result.exit_code())

    _guard(body)


def _print_check(result, fmt: str, quiet: bool) -> None:
    from . import formats

    if fmt == "text":
        stdout, stderr = formats.text(result, quiet)
        for line in stdout.splitlines():
            if line.startswith("ok "):
                from rich.markup import escape

                out.print("[green]ok[/green] " + escape(line[3:]), soft_wrap=True, highlight=False)
            else:
                out.print(line, soft_wrap=True, markup=False, style="dim")
        sys.stderr.write(stderr)
        return
    text = {"json": formats.to_json, "github": formats.github, "sarif": formats.sarif}[fmt](result)
    sys.stdout.write(text)


@app.command("compile")
def compile_(
    file: Path = typer.Argument(..., help="The model file."),
    dialect: str = typer.Option("duckdb", "--dialect", "-d", help="SQL dialect: duckdb, postgres, snowflake, …"),
    segment: Optional[str] = typer.Option(None, "--segment", "-s",
                                          help="Only the keys of this segment (or a case: lifecycle.new)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date (default: the engine's current date)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
) -> None:
    """Print the SQL of a model (all members with every definition, or one segment).

    [bold]Examples[/bold]

      segdsl compile examples/retail.seg

      segdsl compile examples/retail.seg --dialect postgres --segment vip --as-of 2026-06-30
    """

    def body() -> None:
        from .api import load

        model = load(file)
        sql = model.sql(dialect=dialect, segment=segment, as_of=as_of, params=_params(param))
        print(sql)

    _guard(body)


@app.command()
def run(
    file: Path = typer.Argument(..., help="The model file."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date, YYYY-MM-DD (default: today)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Write one row per member to a .parquet or .csv file."),
) -> None:
    """Compute segments on DuckDB and print their sizes.

    Data files named in the model (.csv, .parquet, .json) are read relative to
    the model file; table names are read from --db.

    [bold]Examples[/bold]

      segdsl run examples/retail.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl run model.seg --param vip_spend=2500 --output members.parquet
    """

    def body() -> None:
        _run(file, db, as_of, _params(param), output)

    _guard(body)


def _run(file: Path, db: Path | None, as_of: str | None, params: dict[str, str], output: Path | None) -> None:
    from . import run as r
    from .api import load, parse_as_of

    date = parse_as_of(as_of)
    model = load(file)
    if output is not None and output.suffix.lower() not in (".parquet", ".csv"):
        from .diagnostics import error

        raise error("SEG307", f"cannot write `{output}`", None, "the output must end in .parquet or .csv")
    con = r.connect(db)
    started = time.perf_counter()
    with err.status("reading source schemas…"):
        checked = model.with_schemas(r.read_schemas(con, model.ir, model.root))
        sql = r.membership_sql(checked.ir, model.root, date, model.resolve_params(params))
    with err.status("computing segments…"):
        table = r.materialize(con, sql)
    if output is not None:
        with err.status(f"writing {output}…"):
            r.write_output(con, f"SELECT * FROM {r.quoted(table)}", output)
    total, rows = r.summary(con, table, checked.ir)
    _print_summary(checked.ir, total, rows, date, time.perf_counter() - started)
    if output is not None:
        out.print(f"wrote {total:,} members to {output}")


def _print_summary(ir, total: int, rows, date, seconds: float) -> None:
    from rich.table import Table

    table = Table(title=f"{ir.entity.name}: {total:,} members as of {date.isoformat()}", title_justify="left")
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
        label = "" if name == last else name + (f" [dim]({d.label})[/dim]" if getattr(d, "label", None) else "")
        style = "dim" if case == "(none)" else None
        table.add_row(label, case, f"{count:,}", f"{share:.1%}", f"[cyan]{'█' * round(share * 20)}[/cyan]",
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
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date (default: today)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="Migration reports: the earlier date."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Migration reports: the later date."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
) -> None:
    """Compute the reports of a model (or ad hoc ones) and render them.

    Every figure is computed by the engine; the document holds value,
    cross-tab (with a chi-square test), overlap, profile and migration
    reports as tables and charts.

    [bold]Examples[/bold]

      segdsl report examples/retail.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl report examples/retail.seg --db shop.duckdb --format html --out report.html

      segdsl report model.seg --report "crosstab gender by lifecycle" --format md
    """

    def body() -> None:
        import datetime as dt

        from . import render
        from . import report as rep
        from . import run as r
        from .api import load, parse_as_of
        from .diagnostics import display_path, error

        if format not in render.FORMATS:
            raise error("SEG307", f"unknown format `{format}`", None, f"formats: {', '.join(render.FORMATS)}")
        date = parse_as_of(as_of)
        migration = None
        if date_from or date_to:
            if not (date_from and date_to):
                raise error("SEG302", "--from and --to go together", None, "give both dates")
            migration = (parse_as_of(date_from), parse_as_of(date_to))
        model = load(file).with_reports(list(adhoc or []))
        params = model.resolve_params(_params(param))
        con = r.connect(db)
        with err.status("computing reports…"):
            schemas = r.read_schemas(con, model.ir, model.root)
            checked = model.with_schemas(schemas)
            if adhoc:
                wanted = [n for n, x in checked.ir.reports.items() if x.span and x.span.file == "<--report>"]
            else:
                wanted = list(name or [])
            reports = rep.select_reports(checked.ir, wanted)
            results = rep.compute(
                con, checked.ir, schemas, reports, model.program.sources,
                lambda ir, when, outputs: r.membership_sql(ir, model.root, when, params, outputs),
                date, migration)
        context = render.Context(display_path(file), date, str(db) if db else "data files of the model",
                                 dt.datetime.now().replace(microsecond=0))
        if format == "terminal" and out_path is None:
            render.print_terminal(results, context, out)
            return
        text = render.render(results, context, "md" if format == "terminal" else format)
        if out_path is None:
            print(text)
        else:
            out_path.write_text(text, encoding="utf-8")
            out.print(f"wrote {len(results)} reports to {out_path}")

    _guard(body)


@app.command()
def demo(
    customers: int = typer.Option(1_000_000, "--customers", "-n", min=100, help="How many customers to generate."),
    seed: int = typer.Option(42, "--seed", help="Seed of the generator: the same seed gives the same data."),
    out_dir: Path = typer.Option(Path("segdsl-demo"), "--out", help="Folder for the data and the model."),
) -> None:
    """Generate a realistic shop data set and run the flagship model on it.

    The data (customers, orders, web events, B2B accounts and invoices) is
    generated inside DuckDB, deterministic for a seed, and written as
    Parquet files plus a shop.duckdb database holding the same tables.

    [bold]Examples[/bold]

      segdsl demo

      segdsl demo --customers 100000 --seed 7 --out /tmp/shop
    """

    def body() -> None:
        from . import demo as d

        out_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with err.status("generating data…") as status:
            d.generate(out_dir, customers=customers, seed=seed,
                       progress=lambda step: status.update(f"generating {step}…"))
            status.update("loading shop.duckdb…")
            db = d.build_database(out_dir)
        out.print(f"generated {customers:,} customers into {out_dir}/ in {time.perf_counter() - started:.1f} s")
        model = d.install_examples(out_dir)
        out.print(f"running {model} as of {d.DEMO_AS_OF.isoformat()}")
        _run(model, db, d.DEMO_AS_OF.isoformat(), {}, None)
        out.print(f"\nnext: segdsl run {model} --db {db} --as-of {d.DEMO_AS_OF.isoformat()} --output members.parquet")

    _guard(body)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
