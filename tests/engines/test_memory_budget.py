"""segdsl's memory budget for DuckDB: chosen from the machine, overridable, and never the reason a run fails."""

from __future__ import annotations

import duckdb
import pytest

from segdsl.engines import duckdb as duck
from segdsl.lang.diagnostics import SegError

GiB = 1 << 30


def _limit(con) -> int:
    """The connection's memory limit in bytes, read back through DuckDB's own parser of sizes."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    probe = duckdb.connect()
    probe.execute(f"SET memory_limit = '{text}'")
    out = probe.execute("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'").fetchone()[0]
    probe.close()
    return out


@pytest.mark.parametrize("machine, budget", [
    (64 * GiB, GiB),  # a large machine: the ceiling, what a million customers need unspilled
    (4 * GiB, GiB),
    (2 * GiB, 512 << 20),  # a small machine or container: a quarter of it
    (512 << 20, 256 << 20),  # never below the floor
])
def test_the_budget_follows_the_machine(machine, budget):
    assert duck.memory_budget(machine) == budget


def test_a_connection_gets_the_budget_of_this_machine(monkeypatch):
    monkeypatch.delenv("SEGDSL_MEMORY_LIMIT", raising=False)
    con = duck.connect(None)
    try:
        expected = duckdb.connect()
        expected.execute(f"SET memory_limit = '{duck.memory_budget() >> 20}MiB'")
        assert _limit(con) == _limit(expected)
        assert con.execute("SELECT current_setting('temp_directory')").fetchone()[0]  # spills to its own folder
    finally:
        con.close()


def test_the_cgroup_limit_counts(monkeypatch, tmp_path):
    """A container's memory cap is smaller than the machine's memory: the budget follows the cap."""
    real = duck.Path

    def fake(path: str):
        if path == "/sys/fs/cgroup/memory.max":
            f = tmp_path / "memory.max"
            f.write_text(f"{GiB}\n")
            return f
        if path.startswith("/sys/fs/cgroup/"):
            return tmp_path / "absent"
        return real(path)

    monkeypatch.setattr(duck, "Path", fake)
    assert duck._memory_of_machine() == GiB
    assert duck.memory_budget() == 256 << 20


@pytest.mark.parametrize("setting", ["2GB", "default"])
def test_the_user_overrides_it(monkeypatch, setting):
    monkeypatch.setenv("SEGDSL_MEMORY_LIMIT", setting)
    con, plain = duck.connect(None), duckdb.connect()
    try:
        if setting == "default":
            assert _limit(con) == _limit(plain)  # DuckDB's own: 80 % of the machine
        else:
            plain.execute("SET memory_limit = '2GB'")
            assert _limit(con) == _limit(plain)
    finally:
        con.close()
        plain.close()


def test_a_bad_override_is_a_coded_error(monkeypatch):
    monkeypatch.setenv("SEGDSL_MEMORY_LIMIT", "lots")
    with pytest.raises(SegError) as info:
        duck.connect(None)
    d = info.value.diagnostics[0]
    assert d.code == "SEG305" and "SEGDSL_MEMORY_LIMIT" in d.message and "2GB" in d.hint


HUNGRY = "SELECT length(string_agg(repeat('x', 100), ',')) FROM range(400000)"  # one string: nothing to spill


def test_work_beyond_segdsls_own_budget_runs_again_without_it(monkeypatch, tmp_path, capsys):
    """A budget the user did not choose never makes a run fail: the work runs again with DuckDB's limit."""
    monkeypatch.delenv("SEGDSL_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(duck, "memory_budget", lambda machine=None: 16 << 20)
    engine = duck.DuckDBEngine(None, tmp_path)
    try:
        got = engine.within_budget(lambda: engine.con.execute(HUNGRY).fetchone()[0])
    finally:
        engine.con.close()
    assert got == 400000 * 101 - 1
    assert "needed more than segdsl's memory budget of 16 MiB" in capsys.readouterr().err


def test_work_beyond_the_users_own_limit_is_a_coded_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGDSL_MEMORY_LIMIT", "16MB")
    engine = duck.DuckDBEngine(None, tmp_path)
    try:
        with pytest.raises(SegError) as info:
            engine.within_budget(lambda: engine.con.execute(HUNGRY).fetchone())
    finally:
        engine.con.close()
    d = info.value.diagnostics[0]
    assert d.code == "SEG305" and "ran out of memory" in d.message and "SEGDSL_MEMORY_LIMIT" in d.hint
