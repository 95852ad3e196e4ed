"""Set-up and editor commands: demo, lsp."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..cli import _guard, app, err, out
from .running import _run


@app.command()
def demo(
    customers: int = typer.Option(1_000_000, "--customers", "-n", min=100, help="How many customers to generate."),
    seed: int = typer.Option(42, "--seed", help="Seed of the generator: the same seed gives the same data."),
    out_dir: Path = typer.Option(Path("segdsl-demo"), "--out", help="Folder for the data and the model."),
) -> None:
    """Generate a realistic shop data set and run the flagship model on it.

    The data (customers, orders, web events, survey answers, support contacts, B2B accounts and invoices) is
    generated inside DuckDB, deterministic for a seed, and written as
    Parquet files plus a shop.duckdb database holding the same tables.

    [bold]Examples[/bold]

      segdsl demo

      segdsl demo --customers 100000 --seed 7 --out /tmp/shop
    """

    def body() -> None:
        from .. import demo as d

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


@app.command()
def lsp() -> None:
    """Serve an editor: the segdsl language server (LSP 3.17 over standard input and output).

    Diagnostics as `check` gives them, completion, hover, definitions, references,
    rename, symbols, formatting and member counts as code lenses. Editors start it
    themselves (the VS Code extension in editors/vscode does); it needs the `lsp` extra:
    pip install "segdsl[lsp]".
    """

    def body() -> None:
        from ...lang.diagnostics import error

        try:
            from ..lsp.server import main as serve
        except ImportError as exc:
            raise error("SEG314", f"the language server needs the Python package `{exc.name or 'pygls'}`, which "
                        "is not installed", None, 'install it with: pip install "segdsl[lsp]"') from None
        serve()

    _guard(body)
