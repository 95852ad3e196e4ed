"""The command line: the app, its error policy and the helpers its commands share.

The commands themselves are in `segdsl.tools.commands` (check, fmt, explain,
test, compile, dialects | run, report | snapshot, history, diff | export | demo, lsp).

Every user mistake ends as a rendered diagnostic and an exit code (1 for
findings in a model, 2 for bad usage); an unexpected exception is reported
as an internal error with a request to report it, never as a traceback.
Heavy libraries (sqlglot, duckdb) are imported inside the commands that need
them so that `check` and `--help` start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def _db_or_target(db: Path | None, target: str | None) -> None:
    """--db and --target name the same thing (where the data lives): refuse both at once, before any work."""
    if target is not None and db is not None:
        from ..lang.diagnostics import error

        raise error("SEG312", "--db and --target cannot be combined", None,
                    "a DuckDB database is a target too: --target duckdb:///path.duckdb")


def _open_engine(root: Path, db: Path | None, url: str | None, bindings: dict[str, str] | None = None,
                 write: bool = False):
    """The engine for commands reading data: a target URL, a DuckDB file, or DuckDB in memory."""
    from .. import engines

    engine = engines.open_engine(url, root, write=write) if url else engines.open_duckdb(db, root)
    return engine.bind(bindings)


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


# The commands register themselves on `app` (after the helpers above, which they import).
from .commands import authoring, running, history, activation, setup, predict  # noqa: E402,F401


def main() -> None:
    app()


if __name__ == "__main__":
    # Run as `python -m segdsl.tools.cli`, this file is `__main__`; the commands were registered on the
    # app of `segdsl.tools.cli`, which they import by that name.
    from segdsl.tools.cli import main as main_

    sys.exit(main_())
