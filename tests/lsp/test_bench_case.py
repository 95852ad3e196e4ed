"""Case 9 of the benchmark runs and reports its figures against `segdsl check` of the same run."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import runner


def test_case_9_measures_diagnostics_and_completion_against_check(tmp_path: Path) -> None:
    report, state = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    code = runner.main(["--sizes", "2000", "--quick", "--cases", "9", "--data", str(tmp_path / "data"),
                        "--output", str(report), "--json", str(state)])
    assert code == 0
    rows = [r for r in json.loads(state.read_text(encoding="utf-8"))["rows"] if r["case"].startswith("9 ")]
    assert [r["measure"].split()[0] for r in rows] == ["`segdsl", "diagnostics", "diagnostics", "completion"]
    assert all(r["median"] > 0 for r in rows)
    assert all(r["figure"].endswith("× check") for r in rows[1:])
    assert "9. language server, 500 definitions" in report.read_text(encoding="utf-8")
