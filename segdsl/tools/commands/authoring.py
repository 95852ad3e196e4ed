"""Authoring commands: check, fmt, explain, compile, dialects — a model read, checked and shown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..cli import _bindings, _guard, _open_engine, _params, _report, app, out


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
        from ...lang.diagnostics import error
        from ..check_command import CheckOptions, check_paths

        formats = ("text", "json", "github", "sarif")
        if fmt not in formats:
            raise error("SEG309", f"unknown format `{fmt}`", None, "formats: " + ", ".join(formats))
        date = None
        if as_of is not None:
            from ..api import parse_as_of

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
    from .. import check_output as formats

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
        from ...lang.formatter import diff, format_paths, format_text

        if [str(f) for f in files] == ["-"]:
            sys.stdout.write(format_text(sys.stdin.read(), "<stdin>"))
            return
        missing = [f for f in files if not f.exists()]
        if missing:
            from ...lang.diagnostics import error

            raise error("SEG304", f"cannot find `{missing[0]}`", None, "name .seg files or folders holding them")
        outcomes = format_paths(list(files), write=not (check_only or show_diff))
        if not outcomes:
            from ...lang.diagnostics import error

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

        from ..api import load, parse_as_of
        from ...lang.diagnostics import error
        from ..explain import explain as explain_member

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
    create: Optional[str] = typer.Option(None, "--create", help="Write a test of this name from real data instead: "
                                         "the rows of the --member keys and their current membership."),
    member: Optional[List[str]] = typer.Option(None, "--member", "-m", help="With --create: a member's key "
                                               "(repeatable)."),
    db: Optional[Path] = typer.Option(None, "--db", help="With --create: the DuckDB database holding the data."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="With --create: the date of the test (default: today)."),
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

      segdsl test retail.seg --create vip_regulars --member 42 --member 77 --db shop.duckdb --as-of 2026-06-30
    """

    def body() -> None:
        from ..test_command import TestOptions, test_paths
        from ...testing import output as report

        if create is not None:
            sys.stdout.write(_create_test(list(files), create, list(member or []), db, target, as_of))
            return
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


def _create_test(files: list[Path], name: str, members: list[str], db: Path | None, target: str | None,
                 as_of: str | None) -> str:
    """A test block from real data (segdsl test --create)."""
    from ...lang.diagnostics import error
    from ...semantic.params import parse_as_of
    from ...testing.create import create_test
    from ..api import load

    if len(files) != 1 or not files[0].is_file():
        raise error("SEG309", "--create writes a test for one model file", None, "name one .seg file")
    if not members:
        raise error("SEG309", "--create needs the members to take the rows of", None, "add --member KEY, once per member")
    if db is not None and target is not None:
        raise error("SEG309", "give --db or --target, not both", None, "--db PATH is --target duckdb:///PATH")
    if not name.isidentifier():
        raise error("SEG309", f"`{name}` cannot name a test", None, "a test name is a word: vip_regulars")
    date = parse_as_of(as_of)
    model = load(files[0])
    with _open_engine(model.root, db, target) as engine:
        where = target and engine.describe() or (str(db) if db else "the model's data files")
        return create_test(model.program, model.ir, engine, name, members, date, where)


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
        from ..api import load

        kind, name = _as_option(as_, as_name)
        model = load(file)
        bindings = _bindings(bind)
        schemas, origin, chosen = None, None, dialect_given or "duckdb"
        if schema is not None:
            from ...semantic.schema import Found, from_schema_file, read_schema_file, sources_of

            found = Found()
            from_schema_file(found, sources_of(model.program.files), read_schema_file(schema), str(schema))
            schemas, origin = found.schemas, str(schema)
        if target is not None:
            from ...engines.execution import read_schemas

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
    from ...lang.diagnostics import error

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

    from ...sql import dialects as dl

    table = Table(title="segdsl dialects", title_justify="left")
    for column in ("dialect", "tier", "engine", "run --target", "notes"):
        table.add_column(column, overflow="fold")
    for name, d in dl.DIALECTS.items():
        tier = f"[green]{d.tier}[/green]" if d.tier == "verified" else d.tier
        table.add_row(name, tier, d.engine, d.target or "—", d.notes)
    out.print(table)
