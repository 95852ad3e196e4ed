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

USAGE_CODES = {"SEG301", "SEG302", "SEG303", "SEG306", "SEG307", "SEG309", "SEG312", "SEG313", "SEG314"}


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
        from .fmt import diff, format_paths, format_text

        if [str(f) for f in files] == ["-"]:
            sys.stdout.write(format_text(sys.stdin.read(), "<stdin>"))
            return
        missing = [f for f in files if not f.exists()]
        if missing:
            from .diagnostics import error

            raise error("SEG304", f"cannot find `{missing[0]}`", None, "name .seg files or folders holding them")
        outcomes = format_paths(list(files), write=not (check_only or show_diff))
        if not outcomes:
            from .diagnostics import error

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
        from .diagnostics import error
        from .explain import explain as explain_member

        if fmt_ not in ("text", "json"):
            raise error("SEG309", f"unknown format `{fmt_}`", None, "formats: text, json")
        if db is not None and target is not None:
            raise error("SEG309", "give --db or --target, not both", None, "--db PATH is --target duckdb:///PATH")
        date = parse_as_of(as_of)
        model = load(file)
        params = _params(param)
        with _open_target(model.root, db, target) as tgt:
            why = explain_member(model, member, tgt, date, params, list(segment or []))
        if fmt_ == "json":
            sys.stdout.write(json.dumps(why.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write(why.render())

    _guard(body)


def _open_target(root: Path, db: Path | None, url: str | None):
    """The engine for commands reading data: a target URL, a DuckDB file, or DuckDB in memory."""
    from contextlib import contextmanager

    from . import targets

    @contextmanager
    def opened():
        if url:
            tgt = targets.open_target(url, root)
            try:
                yield tgt
            finally:
                tgt.close()
            return
        from .run import connect

        con = connect(db)
        try:
            yield targets.DuckDBTarget(None, root, connection=con)
        finally:
            con.close()

    return opened()


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
            from .schema import Found, from_schema_file, read_schema_file, sources_of

            found = Found()
            from_schema_file(found, sources_of(model.program.files), read_schema_file(schema), str(schema))
            schemas, origin = found.schemas, str(schema)
        if target is not None:
            from . import targets

            with targets.open_target(target, model.root).bind(bindings) as tgt:
                schemas, origin = targets.read_schemas(tgt, model.ir), tgt.describe()
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
    from .diagnostics import error

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

    from . import dialects as dl

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
                                         help="Write one row per member to a .parquet or .csv file, or to a "
                                         "table of the target: table:SCHEMA.NAME (replaced atomically)."),
    target: Optional[str] = typer.Option(None, "--target", "-t",
                                         help="Run where the data lives: duckdb:///f.duckdb, sqlite:///f.db, "
                                         "postgresql://…, mysql+pymysql://…, spark://local[*], sc://…, chdb:///…"),
    bind: Optional[List[str]] = typer.Option(None, "--bind", help="Read a source of the model from another "
                                             "table of the target: SOURCE=TABLE (repeatable)."),
) -> None:
    """Compute segments and print their sizes: on DuckDB, or on the engine where the data lives.

    Data files named in the model (.csv, .parquet, .json) are read relative to
    the model file; table names are read from --db, or from the --target
    database. Sources are only read (in a read-only transaction where the
    engine has one).

    [bold]Examples[/bold]

      segdsl run examples/retail.seg --db segdsl-demo/shop.duckdb --as-of 2026-06-30

      segdsl run model.seg --param vip_spend=2500 --output members.parquet

      segdsl run model.seg --target postgresql://analyst@db.internal/shop --output table:marts.segments
    """

    def body() -> None:
        if target is not None:
            if db is not None:
                from .diagnostics import error

                raise error("SEG312", "--db and --target cannot be combined", None,
                            "a DuckDB database is a target too: --target duckdb:///path.duckdb")
            _run_target(file, target, as_of, _params(param), output, _bindings(bind))
            return
        if output is not None and output.startswith("table:"):
            from .diagnostics import error

            raise error("SEG307", f"`{output}` needs a target to write to", None,
                        "name the database with --target (for DuckDB: --target duckdb:///path.duckdb)")
        _run(file, db, as_of, _params(param), Path(output) if output is not None else None)

    _guard(body)


def _bindings(values: list[str] | None) -> dict[str, str]:
    from .diagnostics import error

    out: dict[str, str] = {}
    for item in values or []:
        source, sep, table = item.partition("=")
        if not sep or not source or not table:
            raise error("SEG312", f"`{item}` is not SOURCE=TABLE", None, "for example --bind orders=sales.orders_v2")
        out[source] = table
    return out


def _run_target(file: Path, url: str, as_of: str | None, params: dict[str, str], output: str | None,
                bindings: dict[str, str]) -> None:
    """`segdsl run --target`: compute on the target, print sizes, write a file or a table of the target."""
    from . import targets
    from .api import load, parse_as_of

    date = parse_as_of(as_of)
    model = load(file)
    table = output[len("table:"):] if output is not None and output.startswith("table:") else None
    path = Path(output) if output is not None and table is None else None
    if path is not None and path.suffix.lower() not in (".parquet", ".csv"):
        from .diagnostics import error

        raise error("SEG307", f"cannot write `{output}`", None,
                    "the output must end in .parquet or .csv, or be table:SCHEMA.NAME")
    started = time.perf_counter()
    with err.status("connecting…"):
        tgt = targets.open_target(url, model.root, write=table is not None).bind(bindings)
    try:
        if table is not None:
            with err.status(f"writing table {table}…"):
                targets.write_table(model, tgt, table, date, params)
            from .dialects import qualified_table
            from sqlglot import exp

            query = exp.select(exp.Star()).from_(qualified_table(table)).sql(tgt.dialect)
            compiled = targets.compile_for(model, tgt, date, params)
            columns, raw = tgt.fetch(query)
            types = targets.output_types(compiled.ir, columns, compiled.key_type)
            members = targets.Members(columns, [tuple(targets.normalise(v, types[c]) for v, c in zip(r, columns))
                                                for r in raw], types)
            ir = compiled.ir
        else:
            with err.status("computing segments…"):
                compiled = targets.compile_for(model, tgt, date, params)
                members = targets.run(model, tgt, date, params)
            ir = compiled.ir
        if path is not None:
            with err.status(f"writing {path}…"):
                targets.write_file(members, path)
        total, rows = targets.summary(members, ir)
    finally:
        tgt.close()
    _print_summary(ir, total, rows, date, time.perf_counter() - started)
    if output is not None:
        out.print(f"wrote {total:,} members to {table if table is not None else path} on "
                  f"{tgt.describe() if table is not None else 'disk'}")


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

        from . import render
        from .api import load, parse_as_of
        from .diagnostics import display_path, error
        from .targets import parse_target

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
