"""The command line: segdsl check | test | compile | run | report | snapshot | history | diff | demo.

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

from ..lang.diagnostics import SegError, is_usage

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

def _report(exc: SegError) -> int:
    """Print diagnostics; the exit code: 2 for bad usage, 1 for problems in a model."""
    # Plain text, never wrapped: diagnostics are read by people and by CI logs alike.
    sys.stderr.write(exc.render() + "\n")
    count = len(exc.diagnostics)
    if count > 1:
        sys.stderr.write(f"\n{count} problems\n")
    usage = all(is_usage(d) for d in exc.diagnostics)
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
    except BrokenPipeError:  # `segdsl compile … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0)
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
    from ..lang.diagnostics import error

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
        from ..lang.diagnostics import error
        from .check_command import CheckOptions, check_paths

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
    from . import check_output as formats

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


@app.command()
def fmt(
    files: List[Path] = typer.Argument(..., help="Model files (.seg) or folders holding them; - reads standard input."),
    check_only: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if a file is not formatted."),
    show_diff: bool = typer.Option(False, "--diff", help="Print the changes as a unified diff instead of writing."),
) -> None:
    """Format models in the one canonical layout, keeping every comment.

    Files are rewritten in place unless --check or --diff is given; `-`
    formats standard input to standard output. A file with a syntax error is
    reported and left as it is.

    [bold]Examples[/bold]

      segdsl fmt examples/

      segdsl fmt --check models/          # in CI

      segdsl fmt --diff retail.seg
    """

    def body() -> None:
        from ..lang.formatter import diff, format_paths, format_text

        if [str(f) for f in files] == ["-"]:
            sys.stdout.write(format_text(sys.stdin.read(), "<stdin>"))
            return
        missing = [f for f in files if not f.exists()]
        if missing:
            from ..lang.diagnostics import error

            raise error("SEG304", f"cannot find `{missing[0]}`", None, "name .seg files or folders holding them")
        outcomes = format_paths(list(files), write=not (check_only or show_diff))
        if not outcomes:
            from ..lang.diagnostics import error

            raise error("SEG304", "no .seg files to format", None, "name files or folders")
        failed = 0
        changed = [o for o in outcomes if o.changed]
        for o in outcomes:
            if o.error is not None:
                failed = max(failed, _report(o.error))
            elif o.changed and show_diff:
                sys.stdout.write(diff(o.before, o.after, str(o.path)))
            elif o.changed and check_only:
                sys.stderr.write(f"would reformat {o.path}\n")
            elif o.changed:
                sys.stderr.write(f"formatted {o.path}\n")
        unchanged = len(outcomes) - len(changed) - sum(o.error is not None for o in outcomes)
        verb = "would be reformatted" if check_only or show_diff else "reformatted"
        sys.stderr.write(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, {unchanged} left as "
                         f"{'they were' if unchanged != 1 else 'it was'}\n")
        if failed:
            raise typer.Exit(failed)
        if changed and check_only:
            raise typer.Exit(1)

    _guard(body)


@app.command()
def explain(
    file: Path = typer.Argument(..., help="The model file."),
    member: str = typer.Option(..., "--member", "-m", help="The key of the member to explain."),
    segment: Optional[List[str]] = typer.Option(None, "--segment", "-s", help="Explain only this segment or "
                                                "segmentation (repeatable); default: all."),
    db: Optional[Path] = typer.Option(None, "--db", help="A DuckDB database file holding the source tables."),
    target: Optional[str] = typer.Option(None, "--target", help="A target URL (postgresql://…, duckdb:///…)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date, YYYY-MM-DD (default: today)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    fmt_: str = typer.Option("text", "--format", "-f", help="Output: text or json."),
) -> None:
    """Explain why one member is in or out of each segment, and which case it got.

    Prints every feature value, every condition of the chosen segments with
    its value (true, false or unknown) as a tree, the reason the member is in
    or out, and for each segmentation the case it fell into and the earlier
    cases it failed. The values are computed by the engine, as `run` does.

    [bold]Examples[/bold]

      segdsl explain retail.seg --member 1042 --db shop.duckdb --as-of 2026-06-30

      segdsl explain retail.seg --member 1042 --segment vip --db shop.duckdb --format json
    """

    def body() -> None:
        import json

        from .api import load, parse_as_of
        from ..lang.diagnostics import error
        from .explain import explain as explain_member

        if fmt_ not in ("text", "json"):
            raise error("SEG309", f"unknown format `{fmt_}`", None, "formats: text, json")
        if db is not None and target is not None:
            raise error("SEG309", "give --db or --target, not both", None, "--db PATH is --target duckdb:///PATH")
        date = parse_as_of(as_of)
        model = load(file)
        params = _params(param)
        with _open_engine(model.root, db, target) as tgt:
            why = explain_member(model, member, tgt, date, params, list(segment or []))
        if fmt_ == "json":
            sys.stdout.write(json.dumps(why.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write(why.render())

    _guard(body)


@app.command("test")
def test_(
    files: List[Path] = typer.Argument(..., help="Model files (.seg) with tests, or folders holding them."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Run the tests on this engine (a target URL: "
                                         "postgresql://…, sqlite:///…); the fixtures are part of the query, so "
                                         "nothing is created there. Default: DuckDB in memory."),
    fmt: str = typer.Option("text", "--format", "-f", help="Output: text, json, junit (XML) or github (annotations)."),
    name: Optional[List[str]] = typer.Option(None, "--name", "-n", help="Only the test of this name (repeatable)."),
    explain: bool = typer.Option(True, "--explain/--no-explain", help="Explain each wrong member of a failed "
                                 "expectation, condition by condition, as `segdsl explain` does."),
    coverage: bool = typer.Option(False, "--coverage", help="Also list the segments, cases and holdout arms that "
                                  "no test expects any member in or out of."),
) -> None:
    """Run the tests written in .seg files: fixtures in, expected members out.

    A `test` block gives rows for the model's sources and states what the
    model must answer on them (`expect vip = [1, 2]`). Each failed
    expectation shows the members missing and the members not expected, and
    why each of them is in or out.

    Exit code 0 when every test passes, 1 when one fails or cannot run, 2 for bad usage.

    [bold]Examples[/bold]

      segdsl test examples/

      segdsl test examples/retail.seg --format junit > segdsl-tests.xml

      segdsl test models/ --target postgresql://ci@db/shop

      segdsl test examples/ --coverage
    """

    def body() -> None:
        from .test_command import TestOptions, test_paths
        from ..testing import output as report

        run = test_paths(list(files), TestOptions(target=target, fmt=fmt, explain=explain, names=tuple(name or ())))
        run.coverage = coverage
        if fmt == "text":
            stdout, stderr = report.text(run)
            sys.stderr.write(stderr)
            sys.stdout.write(stdout)
        else:
            sys.stdout.write({"json": report.to_json, "junit": report.junit, "github": report.github}[fmt](run))
        raise typer.Exit(run.exit_code())

    _guard(body)


def _open_engine(root: Path, db: Path | None, url: str | None, bindings: dict[str, str] | None = None,
                 write: bool = False):
    """The engine for commands reading data: a target URL, a DuckDB file, or DuckDB in memory."""
    from .. import engines

    engine = engines.open_engine(url, root, write=write) if url else engines.open_duckdb(db, root)
    return engine.bind(bindings)


@app.command("compile")
def compile_(
    file: Path = typer.Argument(..., help="The model file."),
    dialect_given: Optional[str] = typer.Option(None, "--dialect", "-d",
                                                help="SQL dialect: duckdb (default), postgres, snowflake, … "
                                                "(segdsl dialects lists them)."),
    segment: Optional[str] = typer.Option(None, "--segment", "-s",
                                          help="Only the keys of this segment (or a case: lifecycle.new)."),
    as_name: Optional[str] = typer.Argument(None, metavar="[NAME]",
                                            help="The view or table of --as view NAME / --as table NAME."),
    long: bool = typer.Option(False, "--long", help="One (key, segment) row per membership, for activation tools."),
    as_: Optional[str] = typer.Option(None, "--as", help="query (default), view NAME or table NAME: "
                                      "the dialect's CREATE OR REPLACE or its atomic equivalent.",
                                      metavar="KIND [NAME]"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this date, YYYY-MM-DD, or today "
                                        "(default: today, the engine's current date when the SQL runs)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Override a parameter: NAME=VALUE."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table: SOURCE=TABLE (repeatable)."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Read the column types from this target "
                                         "(and compile for its dialect unless --dialect is given); runs nothing."),
    schema: Optional[Path] = typer.Option(None, "--schema", help="Column types from a schema file (TOML or JSON), "
                                          "as for check."),
) -> None:
    """Print the SQL of a model for a dialect, to paste, deploy as a view or table, or embed.

    The output starts with a comment naming the model file and the hash of its
    content. `segdsl dialects` lists the dialects and how well each is verified.

    [bold]Examples[/bold]

      segdsl compile examples/retail.seg

      segdsl compile examples/retail.seg --dialect postgres --segment vip --as-of 2026-06-30

      segdsl compile examples/retail.seg --dialect snowflake --as view analytics.segments

      segdsl compile examples/retail.seg --dialect bigquery --long --as table mart.memberships
    """

    def body() -> None:
        from .api import load

        kind, name = _as_option(as_, as_name)
        model = load(file)
        bindings = _bindings(bind)
        schemas, origin, chosen = None, None, dialect_given or "duckdb"
        if schema is not None:
            from ..semantic.schema import Found, from_schema_file, read_schema_file, sources_of

            found = Found()
            from_schema_file(found, sources_of(model.program.files), read_schema_file(schema), str(schema))
            schemas, origin = found.schemas, str(schema)
        if target is not None:
            from ..engines.execution import read_schemas

            with _open_engine(model.root, None, target, bindings) as tgt:
                schemas, origin = read_schemas(tgt, model.ir), tgt.describe()
                if dialect_given is None:
                    chosen = tgt.dialect
        print(model.compile(dialect=chosen, as_=kind, name=name, segment=segment, long=long, as_of=as_of,
                            params=_params(param), bindings=bindings, schemas=schemas, types_from=origin))

    _guard(body)


def _as_option(kind: str | None, name: str | None) -> tuple[str, str | None]:
    """`--as query`, `--as view NAME`, `--as table NAME` (or `--as view=NAME`).

    Click gives an option one value, so the NAME after `--as view` arrives as
    the command's second argument.
    """
    from ..lang.diagnostics import error

    if kind is not None and "=" in kind:
        kind, _, inline = kind.partition("=")
        if name is not None:
            raise error("SEG307", f"`--as {kind}` got two names", None, f"--as {kind} NAME")
        name = inline
    kind = (kind or "query").lower()
    if kind not in ("query", "view", "table"):
        raise error("SEG307", f"`--as {kind}` is not a kind of output", None,
                    "use --as query, --as view NAME or --as table NAME")
    if kind == "query" and name is not None:
        raise error("SEG307", f"unexpected `{name}`", None, "a name goes with --as view NAME or --as table NAME")
    return kind, name


@app.command()
def dialects() -> None:
    """List the SQL dialects with their support tier.

    [bold]verified[/bold]: the conformance corpus runs on a real engine in CI and must give the same
    members as DuckDB and the reference evaluator. [bold]generated[/bold]: golden SQL reviewed by hand
    and parsed back with sqlglot, not executed.
    """
    from rich.table import Table

    from ..sql import dialects as dl

    table = Table(title="segdsl dialects", title_justify="left")
    for column in ("dialect", "tier", "engine", "run --target", "notes"):
        table.add_column(column, overflow="fold")
    for name, d in dl.DIALECTS.items():
        tier = f"[green]{d.tier}[/green]" if d.tier == "verified" else d.tier
        table.add_row(name, tier, d.engine, d.target or "—", d.notes)
    out.print(table)


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
        from ..lang.diagnostics import error

        if target is not None and db is not None:
            raise error("SEG312", "--db and --target cannot be combined", None,
                        "a DuckDB database is a target too: --target duckdb:///path.duckdb")
        if output is not None and output.startswith("table:") and target is None:
            raise error("SEG307", f"`{output}` needs a target to write to", None,
                        "name the database with --target (for DuckDB: --target duckdb:///path.duckdb)")
        _run(file, db, target, as_of, _params(param), output, _bindings(bind), timeout)

    _guard(body)


def _bindings(values: list[str] | None) -> dict[str, str]:
    from ..lang.diagnostics import error

    out: dict[str, str] = {}
    for item in values or []:
        source, sep, table = item.partition("=")
        if not sep or not source or not table:
            raise error("SEG312", f"`{item}` is not SOURCE=TABLE", None, "for example --bind orders=sales.orders_v2")
        out[source] = table
    return out


def _progress(engine_name: str):
    """A status line with the step and the time spent, in a terminal only (never in a pipe or a CI log)."""
    from contextlib import nullcontext

    if not err.is_terminal or os.environ.get("CI"):
        return nullcontext(None)
    return err.status(f"{engine_name}: starting…")


def _run(file: Path, db: Path | None, url: str | None, as_of: str | None, params: dict[str, str],
         output: str | None, bindings: dict[str, str] | None = None, timeout: float | None = None) -> None:
    """`segdsl run`: the same path for DuckDB (--db, data files) and every --target."""
    from .api import load, parse_as_of
    from ..engines.arrow import check_output_path
    from ..engines.execution import Supervisor, is_folder_output, run as run_model

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

        from ..reports import render
        from .api import load, parse_as_of
        from ..lang.diagnostics import display_path, error
        from ..engines.url import parse_target

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


def _document_path(path: Path) -> None:
    """A path a report document can be written to (SEG307 if not)."""
    from ..lang.diagnostics import error

    if not path.parent.exists():
        raise error("SEG307", f"the folder of `{path}` does not exist", None, "create it first")
    if not path.parent.is_dir():
        raise error("SEG307", f"`{path.parent}` is a file, not a folder", None, "name a file in an existing folder")
    if path.is_dir():
        raise error("SEG307", f"`{path}` is a folder", None, "name a file, such as report.html")


def _write_document(path: Path, text: str) -> None:
    """Write a report through a temporary file beside it (as `fmt` rewrites models): a full disk or
    Ctrl-C leaves the older file whole, never a part of the new one."""
    from ..lang.diagnostics import error
    from ..lang.formatter import _write as replace_file

    try:
        replace_file(path, text)
    except OSError as exc:
        raise error("SEG308", f"cannot write `{path}`: {exc.strerror or exc}", None,
                    "an older file at that path is left as it was") from None


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
        from ..activation import history as hist
        from ..activation.store import parse_store
        from .api import load, parse_as_of
        from ..lang.diagnostics import error

        if target is not None and db is not None:
            raise error("SEG312", "--db and --target cannot be combined", None,
                        "a DuckDB database is a target too: --target duckdb:///path.duckdb")
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
        from ..activation import history as hist
        from ..activation.store import parse_store
        from ..lang.diagnostics import error

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

            from ..activation.store import CATALOG_COLUMNS

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

        from ..activation import history as hist
        from ..activation.store import parse_store
        from .api import parse_as_of
        from ..engines.arrow import check_output_path

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
        _run(model, db, None, d.DEMO_AS_OF.isoformat(), {}, None)
        out.print(f"\nnext: segdsl run {model} --db {db} --as-of {d.DEMO_AS_OF.isoformat()} --output members.parquet")

    _guard(body)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
