"""A tiny run of the benchmark (python -m benchmarks), so that it keeps working.

It checks that every case produced its figures and that every comparison
of results came out equal. It asserts nothing about times: a tiny data set
on a shared machine says nothing about speed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest


from benchmarks import measure, runner  # noqa: E402

HAVE_PANDAS = importlib.util.find_spec("pandas") is not None
HAVE_SPARK = importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None


def _run(tmp_path: Path, cases: str) -> tuple[dict, str]:
    report = tmp_path / "BENCHMARKS.md"
    state = tmp_path / "results.json"
    code = runner.main(["--sizes", "2000", "--quick", "--cases", cases, "--data", str(tmp_path / "data"),
                        "--output", str(report), "--json", str(state)])
    assert code == 0
    return json.loads(state.read_text(encoding="utf-8")), report.read_text(encoding="utf-8")


def _rows(state: dict, case: int) -> list[dict]:
    return [r for r in state["rows"] if r["case"].startswith(f"{case} ")]


def test_every_case_produces_figures_and_equal_results(tmp_path: Path) -> None:
    state, report = _run(tmp_path, "1,2,3,4,5,6,13")

    assert all(state["verified"].values()), state["verified"]
    assert any(k.startswith("1.") for k in state["verified"])
    assert any(k.startswith("2.") for k in state["verified"])

    hand = _rows(state, 1)
    assert len(hand) == 2 and all(r["median"] and r["median"] > 0 for r in hand)
    assert "results equal" in hand[1]["figure"]

    scaling = _rows(state, 2)
    for kind in ("over the feature library", "with own aggregates"):
        series = [r for r in scaling if kind in r["measure"]]
        assert [r["measure"].split()[0] for r in series] == ["1", "10", "50", "100"], scaling
        assert all(r["median"] > 0 for r in series)

    pandas_rows = _rows(state, 3)
    if HAVE_PANDAS:
        assert len(pandas_rows) == 2 and all(r["median"] > 0 for r in pandas_rows)
        assert state["verified"]["3. segdsl = pandas (2 k)"] is True
    else:
        assert any("skipped" in r["measure"] for r in pandas_rows)

    floor = _rows(state, 4)
    assert len(floor) == 2 and all(r["median"] > 0 for r in floor)

    compile_rows = _rows(state, 5)
    assert {r["measure"].split(" for ")[-1] for r in compile_rows if "compile to SQL" in r["measure"]} == {
        "duckdb", "snowflake"}
    check = [r for r in compile_rows if "segdsl check" in r["measure"]]
    assert check and check[0]["median"] > 0 and check[0]["figure"].startswith("exit ")

    memory = _rows(state, 6)
    assert len(memory) == 1 and memory[0]["median"] > 0 and "members written" in memory[0]["figure"]

    polars_rows = _rows(state, 13)
    assert state["verified"]["13. segdsl = polars (2 k)"] is True
    assert [r["size"] for r in polars_rows] == ["", "2 k", "2 k"] and all(r["median"] > 0 for r in polars_rows)

    # The report holds the machine, a goal line per goal, and the table.
    for heading in ("## Machine", "## Goals", "## Results", "## Verification"):
        assert heading in report
    goal_rows = [line.split(" ")[1] for line in report.splitlines() if line.startswith("| ") and
                 line.split(" ")[1][:1].isdigit() and line.split(" ")[1].endswith(".")]
    assert goal_rows == ["1.", "2.", "3a.", "3b.", "4.", "5a.", "5b.", "6.", "7.", "8.", "9.", "10.", "12a.", "12b.",
                         "12c.", "12d.", "12e.", "13a.", "13b."]


def test_a_partial_run_keeps_the_other_cases_with_merge(tmp_path: Path) -> None:
    _run(tmp_path, "1,4")
    report = tmp_path / "BENCHMARKS.md"
    code = runner.main(["--sizes", "2000", "--quick", "--cases", "5", "--merge", "--data", str(tmp_path / "data"),
                        "--output", str(report), "--json", str(tmp_path / "results.json")])
    assert code == 0
    state = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert _rows(state, 1) and _rows(state, 4) and _rows(state, 5)
    assert "Measured in several runs (--merge)" in report.read_text(encoding="utf-8")


@pytest.mark.skipif(not HAVE_SPARK, reason="needs pyspark and Java (pip install -e '.[spark]')")
def test_spark_gives_the_same_membership(tmp_path: Path) -> None:
    state, _ = _run(tmp_path, "7")
    spark = _rows(state, 7)
    assert len(spark) == 1 and spark[0]["median"] and spark[0]["median"] > 0, spark
    assert state["verified"]["7. Spark membership = DuckDB (2 k)"] is True


def test_predicted_value_is_timed_against_the_plain_run(tmp_path: Path) -> None:
    """Case 8: plain, fit + score and score with the stored fit timed, and lifetimes beside them when installed."""
    state, report = _run(tmp_path, "8")
    rows = _rows(state, 8)
    assert [r["measure"].split(" ")[0] for r in rows[:4]] == ["plain", "fit", "score", "`segdsl"], rows
    assert all(r["median"] > 0 for r in rows[:4])
    assert "× plain" in rows[1]["figure"] and rows[1]["goal"] == "≤ 2 × plain"
    assert state["ratios"]["predict"]["2000"][0] == pytest.approx(rows[1]["median"] / rows[0]["median"])
    if importlib.util.find_spec("lifetimes") is not None:
        assert rows[4]["measure"].startswith("lifetimes 0.11") and rows[4]["median"] > 0, rows[4]
        assert "peak" in rows[4]["figure"]
    else:
        assert "skipped" in rows[4]["measure"]
    assert "| 8. fit + score at 1 M" in report and "8. **Predicted value.**" in report


def test_trait_aggregates_equal_the_hand_written_sql(tmp_path: Path) -> None:
    state, report = _run(tmp_path, "10")
    rows = _rows(state, 10)
    assert [r["measure"].split(":")[0] for r in rows] == ["baseline", "hand-written SQL",
                                                           "most_frequent, first, last, share"]
    assert all(r["median"] > 0 for r in rows)
    assert state["verified"]["10. traits = hand-written (2 k)"] is True
    assert "× baseline" in rows[2]["figure"] and "results equal" in rows[2]["figure"]
    assert "| 10. trait aggregates" in report


def test_sizes_parse() -> None:
    assert measure.parse_size("100k") == 100_000
    assert measure.parse_size("1m") == 1_000_000
    assert measure.parse_size("10M") == 10_000_000
    assert measure.parse_size("2500") == 2500
    assert measure.size_label(10_000_000) == "10 M" and measure.size_label(100_000) == "100 k"
