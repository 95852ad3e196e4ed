"""Machine-readable output of `segdsl check`: golden text, JSON, GitHub annotations and SARIF.

The golden files in tests/golden/formats hold the exact output for three
models (errors, lints, clean); SEGDSL_UPDATE_GOLDEN=1 rewrites them for
review. SARIF output is validated against the OASIS SARIF 2.1.0 schema
(vendored in tests/sarif with its provenance), for the golden run and for
a run with data lints on the demo shop.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

from segdsl.tools.cli import app
from tests.support.golden import check_golden
from tests.support.paths import GOLDEN, TESTS

CASES = GOLDEN / "formats"
SCHEMA = json.loads((TESTS / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
FILES = ["a_errors.seg", "b_lints.seg", "c_clean.seg"]


def run_check(*args: str, cwd: Path = CASES):
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, ["check", *args])
    finally:
        os.chdir(here)


def golden(name: str, actual: str) -> None:
    check_golden(CASES / name, actual)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_golden_output(fmt: str) -> None:
    result = run_check(*FILES, "--format", fmt)
    assert result.exit_code == 1
    actual = f"# exit: {result.exit_code}\n# stdout\n{result.stdout}"
    if fmt == "text":
        actual += f"# stderr\n{result.stderr}"
    else:
        assert result.stderr == ""  # machine formats keep stderr free for real failures
    golden(f"{fmt}.expected", actual)


def sarif_errors(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft4Validator(SCHEMA).iter_errors(doc)]


def test_sarif_is_valid_and_complete() -> None:
    doc = json.loads(run_check(*FILES, "--format", "sarif").stdout)
    assert sarif_errors(doc) == []
    run = doc["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert {r["ruleId"] for r in results} == {"SEG101", "SEG201", "SEG401", "SEG403", "SEG404"}
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] in FILES and loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"SEG101": "error", "SEG201": "error", "SEG401": "warning", "SEG403": "warning",
                      "SEG404": "note"}
    odd = next(r for r in results if r["ruleId"] == "SEG401")
    assert odd["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 15, "endLine": 7,
                                                                  "endColumn": 45}


def test_schema_rejects_a_broken_log() -> None:
    """The validation is real: the schema catches a result without a message."""
    doc = json.loads(run_check(*FILES, "--format", "sarif").stdout)
    del doc["runs"][0]["results"][0]["message"]
    doc["runs"][0]["results"][1]["level"] = "fatal"
    assert len(sarif_errors(doc)) >= 2


def test_sarif_of_data_lints_is_valid(demo_db, tmp_path) -> None:
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers" key customer_id since signup_date\n'
                     'events orders from "orders" by customer_id at ordered_at\n'
                     'segment martians = country = "MARS"\nsegment all_of_them = customer_id > 0\n'
                     'report value of martians, all_of_them\n')
    result = run_check(str(model), "--db", str(demo_db), "--as-of", "2026-06-30", "--format", "sarif")
    doc = json.loads(result.stdout)
    assert sarif_errors(doc) == []
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"SEG501", "SEG503"}
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/m.seg")  # outside the working folder: absolute


def test_github_annotations_are_workflow_commands() -> None:
    out = run_check(*FILES, "--format", "github").stdout.splitlines()
    pattern = re.compile(r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,"
                         r"title=SEG\d{3} [^:]+::\S.*$")
    assert out and all(pattern.match(line) for line in out), out
    assert any(line.startswith("::notice ") and "SEG404" in line for line in out)
    assert all("\n" not in line and "%0A" in line for line in out if "hint" in line)


def test_json_counts_and_exit_code() -> None:
    doc = json.loads(run_check(*FILES, "--format", "json").stdout)
    assert doc["counts"] == {"error": 2, "warning": 2, "note": 1}
    assert doc["exit_code"] == 1
    assert [f["ok"] for f in doc["files"]] == [False, True, True]
