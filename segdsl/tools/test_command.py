"""`segdsl test`: run the tests of models, explain each failing member, report in the chosen format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..engines.base import Engine
from ..lang.diagnostics import Diagnostic, SegError, SourceCache, did_you_mean, error
from ..lang.program import collect
from ..testing import output
from ..testing.runner import FileTests, TestResult, run_files
from ..testing.tables import FixtureEngine

MAX_EXPLAINED = 3  # wrong members explained per expectation


@dataclass
class TestOptions:
    target: str | None = None
    fmt: str = "text"
    explain: bool = True
    names: tuple[str, ...] = ()  # only these tests (by name)


def _opener(target: str | None):
    from .. import engines

    def open_engine(root: Path) -> Engine:
        return engines.open_engine(target, root) if target else engines.open_duckdb(None, root)

    return open_engine


def _explain(run: output.Run):
    """Explanations of the wrong members of each failed expectation, as `segdsl explain` gives them."""
    from .api import Model
    from .explain import explain

    def after(loaded: FileTests, result: TestResult, engine: Engine) -> None:
        prepared = result.prepared
        if prepared is None or loaded.program is None or loaded.ir is None:
            return
        ir = loaded.ir
        model = Model(loaded.program, ir)
        fixtures = FixtureEngine(engine, prepared.tables, prepared.schemas)
        for i, o in enumerate(result.outcomes):
            if o.passed:
                continue
            e = o.expect
            owner = e.subject[0].text
            if owner in ir.holdouts:
                names = [ir.holdouts[owner].segment]
            elif owner in ir.segments:
                names = [owner]
            elif owner in ir.segmentations:
                names = [e.subject_text if len(e.subject) > 1 else owner]
            else:
                continue  # a feature's value: shown as it is
            keys = o.wrong_members if e.kind in ("members", "not_in", "contains") else [e.key.value if e.key else None]
            texts = []
            for key in keys[:MAX_EXPLAINED]:
                try:
                    why = explain(model, str(key), fixtures, prepared.as_of, prepared.params, names)  # type: ignore[arg-type]
                except SegError as exc:
                    texts.append(f"cannot explain {key}: {exc.diagnostics[0].message}")
                    continue
                texts.append(why.render())
            if len(keys) > MAX_EXPLAINED:
                texts.append(f"({len(keys) - MAX_EXPLAINED} more members not explained)")
            run.explanations[(loaded.path, result.name, i)] = texts

    return after


def test_paths(paths: list[Path], options: TestOptions) -> output.Run:
    if options.fmt not in output.FORMATS:
        raise error("SEG309", f"unknown format `{options.fmt}`", None, "formats: " + ", ".join(output.FORMATS))
    files = collect(paths)
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise error("SEG304", f"cannot find `{missing[0]}`", None, "name .seg files or folders holding them")
    if not files:
        raise error("SEG304", "no .seg files to test", None, "name files or folders")
    if options.target:
        from ..engines.url import parse_target

        parse_target(options.target)  # a bad URL is a usage error before anything runs
    run = output.Run([], SourceCache(), options.target and _engine_name(options.target) or "duckdb")
    wanted = set(options.names)
    select = (lambda test: test.name.text in wanted) if wanted else (lambda test: True)
    run.files = run_files(files, _opener(options.target), select, _explain(run) if options.explain else None)
    for f in run.files:
        if f.program is not None:
            run.sources._texts.update(f.program.sources._texts)
    if wanted and not any(f.results for f in run.files):
        from ..testing.runner import main_tests

        names = [x.name.text for f in run.files if f.program is not None for x in main_tests(f.program)]
        raise error("SEG340", f"no test named {', '.join(sorted(wanted))}", None,
                    did_you_mean(sorted(wanted)[0], names) or f"tests: {', '.join(names) or 'none'}")
    return run


def _engine_name(url: str) -> str:
    from ..engines.url import parse_target

    return parse_target(url).dialect


__all__ = ["TestOptions", "test_paths", "Diagnostic"]
