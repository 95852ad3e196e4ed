"""The command line as a user meets it: exit codes, output files, messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from segdsl.tools.cli import app
from tests.support.paths import EXAMPLES

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_check_clean_exits_zero():
    result = invoke("check", EXAMPLES / "retail.seg")
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stdout and "segments" in result.stdout


def test_check_a_folder_reports_every_file(tmp_path):
    (tmp_path / "a.seg").write_text('entity c from "c" key id\nsegment s = revenu > 1\nfeature revenue = 1\n')
    (tmp_path / "b.seg").write_text('entity c from "c" key id\nsegment t = 1 +\n')
    (tmp_path / "ok.seg").write_text('entity c from "c" key id\n')
    result = invoke("check", tmp_path)
    assert result.exit_code == 1
    assert "a.seg:2:13" in result.stderr and "b.seg:2:" in result.stderr
    assert "ok " in result.stdout


def test_usage_errors_exit_two(tmp_path):
    assert invoke("check", tmp_path / "nope.seg").exit_code == 2
    assert invoke("compile", EXAMPLES / "retail.seg", "--dialect", "nosql").exit_code == 2
    assert invoke("check").exit_code == 2  # typer: missing argument


def test_compile_prints_sql_that_duckdb_parses():
    result = invoke("compile", EXAMPLES / "retail.seg", "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("-- segdsl") and "retail.seg" in lines[0]  # the header names the model
    assert next(x for x in lines if not x.startswith("--")).startswith("WITH")
    import sqlglot

    sqlglot.parse_one(result.stdout, read="duckdb")


def test_compile_one_segment_selects_keys_only():
    result = invoke("compile", EXAMPLES / "retail.seg", "--segment", "vip", "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.stderr
    import sqlglot

    tree = sqlglot.parse_one(result.stdout, read="duckdb")
    assert [c.alias_or_name for c in tree.selects] == ["customer_id"]
    assert "lifecycle" not in result.stdout  # definitions the segment does not need are pruned


def _small_model(tmp_path: Path) -> Path:
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT range AS id, range % 3 AS grp FROM range(10)) TO '{tmp_path / "people.parquet"}'""")
    con.execute(f"""COPY (SELECT range % 10 AS pid, DATE '2026-01-01' + (range % 40)::INT AS day, range AS amount
                          FROM range(100)) TO '{tmp_path / "buys.parquet"}'""")
    model = tmp_path / "m.seg"
    model.write_text('entity people from "people.parquet" key id\n'
                     'events buys from "buys.parquet" by pid at day\n'
                     'param floor: number = 400\n'
                     'feature spend = sum(buys.amount)\n'
                     'segment big = spend > floor\n'
                     'segmentation g { zero = grp = 0  else other }\n')
    return model


def test_run_prints_sizes_and_writes_parquet(tmp_path):
    model = _small_model(tmp_path)
    out = tmp_path / "members.parquet"
    result = invoke("run", model, "--as-of", "2026-03-01", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert "10 members" in result.stdout and "big" in result.stdout
    rows = duckdb.sql(f"SELECT id, spend, big, g FROM '{out}' ORDER BY id").fetchall()
    expected = duckdb.sql(f"""SELECT p.id, sum(b.amount), coalesce(sum(b.amount) > 400, false),
                                     CASE WHEN p.grp = 0 THEN 'zero' ELSE 'other' END
                              FROM '{tmp_path / "people.parquet"}' p LEFT JOIN '{tmp_path / "buys.parquet"}' b
                                ON b.pid = p.id AND b.day <= DATE '2026-03-01'
                              GROUP BY p.id, p.grp ORDER BY p.id""").fetchall()
    assert rows == expected
    assert not list(tmp_path.glob(".members.parquet.*"))  # no temporary file is left behind


def test_run_param_changes_membership(tmp_path):
    model = _small_model(tmp_path)
    out = tmp_path / "m.csv"
    assert invoke("run", model, "--as-of", "2026-03-01", "-p", "floor=100000", "-o", out).exit_code == 0
    assert duckdb.sql(f"SELECT count(*) FILTER (WHERE big) FROM '{out}'").fetchall() == [(0,)]


def test_failed_run_keeps_the_old_output(tmp_path, monkeypatch):
    model = _small_model(tmp_path)
    out = tmp_path / "members.parquet"
    out.write_bytes(b"previous contents")
    from segdsl.engines.duckdb import DuckDBEngine

    original = DuckDBEngine.export

    def failing(self, sql, path, columns, tally=None):
        # the engine fails while COPY is writing
        return original(self, "SELECT CAST('x' AS INTEGER) AS boom", path, columns[:1], tally)

    monkeypatch.setattr(DuckDBEngine, "export", failing)
    result = invoke("run", model, "--as-of", "2026-03-01", "--output", out)
    assert result.exit_code == 1
    assert "error[SEG305]: DuckDB could not compute the segments: Conversion Error" in result.stderr
    assert out.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".members")] == []


def test_a_full_disk_keeps_the_old_output(tmp_path, monkeypatch):
    """The file is written, then renamed into place: a failure of the file system is SEG308, nothing else changes."""
    import errno
    import os

    model = _small_model(tmp_path)
    out = tmp_path / "members.parquet"
    out.write_bytes(b"previous contents")

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("segdsl.engines.arrow.os.replace", full)
    result = invoke("run", model, "--as-of", "2026-03-01", "--output", out)
    assert result.exit_code == 1
    assert f"error[SEG308]: cannot write `{out}`: No space left on device" in result.stderr
    assert out.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".members")] == []


def test_internal_errors_are_reported_not_raised(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("unexpected state")

    import segdsl.semantic.checker

    monkeypatch.setattr(segdsl.tools.api, "check", boom)
    monkeypatch.setattr(segdsl.semantic.checker, "check", boom)  # `segdsl check` calls the checker directly
    result = invoke("check", EXAMPLES / "retail.seg")
    assert result.exit_code == 3
    assert "error[SEG900]: internal error: RuntimeError: unexpected state" in result.stderr
    assert "please report it" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_help_has_examples():
    for command in ("check", "compile", "run", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Examples" in result.stdout and f"segdsl {command}" in result.stdout


def test_model_files_can_be_loaded_from_any_folder(tmp_path, monkeypatch):
    model = _small_model(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert invoke("run", model, "--as-of", "2026-03-01").exit_code == 0
    shutil.rmtree(elsewhere)
