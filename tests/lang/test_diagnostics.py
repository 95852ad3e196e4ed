"""Golden tests of diagnostics: the exact text a user sees, for every code.

Each case is a `.seg` file (checked with `segdsl check`) or an `.args` file
(a whole command line, `{file}` standing for the case's .seg file), run in
the folder of the cases. The expected stderr and exit code are in
`<case>.expected`. Set SEGDSL_UPDATE_GOLDEN=1 to rewrite them after a
deliberate change, then review the diff.
"""

from __future__ import annotations

import os
import re
import shlex

import pytest
from typer.testing import CliRunner

from segdsl.tools.cli import app
from segdsl.lang.diagnostics import CODES
from tests.support.golden import check_golden
from tests.support.paths import GOLDEN

CASES = GOLDEN / "diagnostics"
SHARED = {"run_model.seg", "run_audience.seg", "run_lift.seg"}


def _cases() -> list[str]:
    names = {p.stem for p in CASES.glob("*.args")}
    names |= {p.stem for p in CASES.glob("*.seg") if p.name not in SHARED}
    return sorted(names)


def _invoke(case: str) -> tuple[int, str]:
    args_file = CASES / f"{case}.args"
    line = args_file.read_text().strip() if args_file.exists() else "check {file}"
    argv = [a.replace("{file}", f"{case}.seg") for a in shlex.split(line)]
    cwd = os.getcwd()
    os.chdir(CASES)
    try:
        result = CliRunner().invoke(app, argv)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("case", _cases())
def test_golden(case: str) -> None:
    code, stderr = _invoke(case)
    actual = f"# exit: {code}\n{stderr}"
    expected_file = CASES / f"{case}.expected"
    check_golden(expected_file, actual)
    # The case is named after the code it shows (an error, or a lint's warning).
    wanted = case.split("_")[0]
    assert re.search(rf"^(error|warning|note)\[{wanted}\]", stderr, re.M), stderr


def test_every_code_has_a_golden_case() -> None:
    shown = {c.split("_")[0] for c in _cases()}
    untested = set(CODES) - shown - {"SEG900"}  # SEG900 is shown in test_cli
    assert not untested, f"codes without a golden case: {sorted(untested)}"


def test_every_diagnostic_has_place_caret_and_message() -> None:
    for case in _cases():
        if (CASES / f"{case}.args").exists():
            continue
        _, stderr = _invoke(case)
        first = stderr.split("\n\n")[0]
        assert re.match(r"(error|warning|note)\[SEG\d{3}\]: \S", first), first
        assert re.search(r"--> \S+:\d+:\d+", first), first
        assert re.search(r"\|\s+\^+", first), first
