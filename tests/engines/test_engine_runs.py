"""One execution path on every engine: Arrow results, sizes computed by the engine, cancel, timeout, Ctrl-C.

The queries that take long here are made slow on purpose: a source is read
through a view that sleeps for every row, so a run is stopped while the
engine is really working on it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest


import segdsl  # noqa: E402
from tests.support.conformance.compare import assert_same_members  # noqa: E402
from tests.support.conformance.data import reference_tables  # noqa: E402
from tests.support.engines import VERIFIED_ENGINES  # noqa: E402
from tests.support.reference import evaluate  # noqa: E402
from segdsl.engines.execution import run as run_model  # noqa: E402
from tests.support.paths import CORPUS, EXAMPLES

AS_OF = dt.date(2026, 6, 30)
SLOW_MODEL = """
entity customers from "customers" key customer_id
events orders from "{orders}" by customer_id at ordered_at
feature revenue = sum(orders.amount)
segment buyer = revenue > 0
"""


def _types(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in schema]


def test_every_engine_gives_members_as_arrow_in_the_same_types(loaded_engines, request) -> None:
    """The same schema from every engine, decided by the query: integers, doubles, booleans, dates, text."""
    model = segdsl.load(CORPUS / "basics.seg")
    expected = evaluate(model.ir, reference_tables(), AS_OF, {})
    schemas = {}
    for name in VERIFIED_ENGINES:
        engine = _engine(request, name)
        target = engine.target()
        try:
            reader = model.run_on(target, as_of=AS_OF, bindings=engine.bindings)
            assert isinstance(reader, pa.RecordBatchReader)
            table = reader.read_all()
        finally:
            target.close()
        assert_same_members(table, expected, context=name)
        schemas[name] = _types(table.schema)
    for name, types in schemas.items():
        if name == "sqlite":
            # SQLite declares no types for results: numbers the compiler does not know to be whole
            # (here the max of an integer column) are written as doubles
            types = [(c, "int64" if t == "double" and dict(schemas["duckdb"])[c] == "int64" else t) for c, t in types]
            assert ("big_qty", "double") in schemas["sqlite"] and ("n", "int64") in schemas["sqlite"]
        assert types == schemas["duckdb"], f"{name} differs from duckdb"
    assert ("n", "int64") in schemas["duckdb"] and ("first", "timestamp[us]") in schemas["duckdb"]


def _engine(request, name: str):
    from tests.support.engines import TIMINGS, _LOADED, _make  # the session's engines, loaded once
    from tests.support.conformance.data import TABLES

    if name not in _LOADED:
        started = time.perf_counter()
        e = _make(name, request, request.getfixturevalue("engine_folder"))
        e.load(TABLES)
        e.loaded()
        _LOADED[name] = e
        TIMINGS[f"{name} load"] = time.perf_counter() - started
    return _LOADED[name]


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_sizes_are_one_aggregate_query_on_the_engine(engine_name: str, engine) -> None:
    """`run` without an output: the engine counts; one row comes back, however many members there are."""
    model = segdsl.load(CORPUS / "partitions.seg")
    target = engine.target()
    fetched: list[int] = []
    real = target.fetch

    def counting(sql: str):
        columns, rows = real(sql)
        fetched.append(len(rows))
        return columns, rows

    target.fetch = counting
    try:
        outcome = run_model(model, target, AS_OF, {})
    finally:
        target.close()
    assert fetched == [1]
    expected = evaluate(model.ir, reference_tables(), AS_OF, {})
    assert outcome.tally.total == len(expected)
    for name, case, count in outcome.rows():
        if case == "":
            assert count == sum(1 for v in expected.values() if v[name] is True), name
        else:
            want = None if case == "(none)" else case
            assert count == sum(1 for v in expected.values()
                                if (None if v[name] is None else str(v[name])) == want), (name, case)


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_number_above_int64_is_typed_by_the_query_not_the_values(engine_name: str, engine, tmp_path: Path) -> None:
    """bigint × 1e3 is NUMERIC on PostgreSQL: the file has a double column, whatever the values look like."""
    schema = engine.schema
    table = f"bigs_{uuid.uuid4().hex[:6]}"
    engine.con.execute(f'CREATE TABLE "{schema}"."{table}" (customer_id bigint, ordered_at timestamp, '
                       "amount bigint)")
    engine.con.execute(f'INSERT INTO "{schema}"."{table}" VALUES (1, TIMESTAMP \'2026-06-01\', '
                       "9223372036854775000), (2, TIMESTAMP '2026-06-01', 7)")
    model = tmp_path / "big.seg"
    model.write_text('entity customers from "customers" key customer_id\n'
                     f'events orders from "{table}" by customer_id at ordered_at\n'
                     "feature top = max(orders.amount)\nfeature scaled = top * 1e3\n", encoding="utf-8")
    out = tmp_path / "big.parquet"
    proc = _cli("run", model, "--target", engine.url, "--as-of", AS_OF, "--output", out)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    got = pq.read_table(out)
    assert got.schema.field("top").type == pa.int64() and got.schema.field("scaled").type == pa.float64()
    values = dict(zip(got.column("customer_id").to_pylist(), got.column("scaled").to_pylist()))
    assert values[1] == 9223372036854775000 * 1e3 and values[2] == 7000.0


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_decimal_values_and_exact_sums_are_the_nearest_double(engine_name: str, engine) -> None:
    """A DECIMAL column (prices) arrives as the nearest double of each value, and sums and averages as the
    nearest double of the exact total: -3.3 is not -3.3000000000000003 (Arrow's decimal cast), and
    99999999999999.9999 twice is 2e14, not 199999999999999.97 (ClickHouse's), so a threshold there holds."""
    from decimal import Decimal

    from tests.support.conformance.data import Table

    table = Table(f"prices_{uuid.uuid4().hex[:6]}", (("customer_id", "int"), ("ordered_at", "ts"), ("amount", "dec")),
                  tuple((k, dt.datetime(2026, 6, 1), Decimal(v)) for k, v in
                        ((1, "-3.3"), (1, "20.2"), (1, "10.1"), (2, "99999999999999.9999"),
                         (2, "99999999999999.9999"), (3, "0.1"), (3, "0.2"), (3, "123456.7891"))))
    engine.add(table)
    model = segdsl.load('entity customers from "customers" key customer_id\n'
                        f'events prices from "{table.name}" by customer_id at ordered_at\n'
                        "feature low = min(prices.amount)\nfeature high = max(prices.amount)\n"
                        "feature total = sum(prices.amount)\nfeature mean = avg(prices.amount)\n"
                        "segment over = sum(prices.amount) >= 200000000000000\n"
                        "segment over_avg = avg(prices.amount) >= 100000000000000\n")
    target = engine.target()
    try:
        got = model.run_on(target, as_of=AS_OF, bindings=engine.bindings).read_all().to_pylist()
    finally:
        target.close()
    members = {r["customer_id"]: r for r in got}
    for key in (1, 2, 3):
        values = [Decimal(str(v)) for k, _, v in table.rows if k == key]
        if engine_name == "sqlite":  # no decimal type: NUMERIC affinity stores the nearest REAL
            values = [Decimal(float(v)) for v in values]
        exact = sum(values)
        expected = {"low": float(min(values)), "high": float(max(values)), "total": float(exact),
                    "mean": float(exact) / len(values), "over": float(exact) >= 2e14,
                    "over_avg": float(exact) / len(values) >= 1e14}
        assert {c: members[key][c] for c in expected} == expected, (engine_name, key)
    assert members[2]["over"] and members[2]["over_avg"]


@pytest.mark.parametrize("engine_name", ["mysql"])
def test_decimals_wider_than_28_digits_are_read_from_mysql(engine_name: str, engine, tmp_path: Path) -> None:
    """ConnectorX carries MySQL decimals in 28 digits at scale 10 and fails on a DECIMAL(30, 0) value of
    2^63 + 5 ("decimal scale is not equal to expected scale"): such a result is read through the driver."""
    table = f"wide_{uuid.uuid4().hex[:6]}"
    cur = engine.con.cursor()
    cur.execute(f"CREATE TABLE `{table}` (customer_id BIGINT, ordered_at DATETIME, amount DECIMAL(30, 0))")
    cur.execute(f"INSERT INTO `{table}` VALUES (1, '2026-06-01', 9223372036854775813), "
                "(2, '2026-06-01', 100000000000000000000), (3, '2026-06-01', 7)")
    model = tmp_path / "wide.seg"
    model.write_text('entity customers from "customers" key customer_id\n'
                     f'events orders from "{table}" by customer_id at ordered_at\n'
                     "feature top = max(orders.amount)\nfeature plus = top + 1\n", encoding="utf-8")
    out = tmp_path / "wide.parquet"
    proc = _cli("run", model, "--target", engine.url, "--as-of", AS_OF, "--output", out)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    got = {r["customer_id"]: r for r in pq.read_table(out).to_pylist()}
    assert got[1]["top"] == float(2**63 + 5) and got[2]["top"] == 1e20 and got[3]["top"] == 7.0
    assert got[2]["plus"] == float(10**20 + 1) and got[3]["plus"] == 8.0


# ── stopping a run ──────────────────────────────────────────────────────────


def _slow_source(engine, seconds_per_row: float) -> str:
    """A view over `orders` that sleeps for every row it reads; returns the source name a model uses."""
    name = f"slow_orders_{uuid.uuid4().hex[:6]}"
    if engine.name == "postgres":
        schema = engine.schema
        engine.con.execute(f'CREATE FUNCTION "{schema}".slow_{name}(x bigint) RETURNS bigint AS '
                           f"$$ SELECT pg_sleep({seconds_per_row}); SELECT x $$ LANGUAGE sql VOLATILE")
        engine.con.execute(f'CREATE VIEW "{schema}"."{name}" AS SELECT "{schema}".slow_{name}(customer_id) '
                           f'AS customer_id, ordered_at, amount FROM "{schema}".orders')
    else:
        engine.con.cursor().execute(f"CREATE VIEW `{name}` AS SELECT customer_id + SLEEP({seconds_per_row}) * 0 "
                                    "AS customer_id, ordered_at, amount FROM orders")
    return name


def _server_running(engine, marker: str) -> list:
    """Queries of other sessions on the server that read `marker`."""
    if engine.name == "postgres":
        return engine.con.execute("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE %s "
                                  "AND pid <> pg_backend_pid()", (f"%{marker}%",)).fetchall()
    cur = engine.con.cursor()
    cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s AND ID <> CONNECTION_ID()",
                (f"%{marker}%",))
    return list(cur.fetchall())


def _kill(engine, marker: str) -> int:
    killed = 0
    for (pid,) in _server_running(engine, marker):
        if engine.name == "postgres":
            engine.con.execute("SELECT pg_cancel_backend(%s)", (pid,))
        else:
            engine.con.cursor().execute(f"KILL QUERY {int(pid)}")
        killed += 1
    return killed


def _cli(*args: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "segdsl", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("engine_name", ["postgres", "mysql"])
def test_a_query_killed_on_the_server_leaves_the_old_output(engine_name: str, engine, tmp_path: Path) -> None:
    view = _slow_source(engine, 0.3)
    model = tmp_path / "slow.seg"
    model.write_text(SLOW_MODEL.format(orders=view), encoding="utf-8")
    out = tmp_path / "members.parquet"
    out.write_bytes(b"the previous members")
    proc = _cli("run", model, "--target", engine.url, "--as-of", AS_OF, "--output", out)
    try:
        assert _wait_for(lambda: _server_running(engine, view)), "the query never started"
        assert _kill(engine, view) >= 1
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, stderr
    assert "error[SEG305]" in stderr and "could not compute the segments" in stderr, stderr
    reason = {"postgres": "canceling statement due to user request", "mysql": "interrupted"}[engine_name]
    assert reason in stderr.lower(), stderr
    assert out.read_bytes() == b"the previous members"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.parquet", "slow.seg"]


@pytest.mark.parametrize("engine_name", ["postgres", "mysql"])
def test_timeout_cancels_the_query_on_the_server(engine_name: str, engine, tmp_path: Path) -> None:
    view = _slow_source(engine, 0.3)
    model = tmp_path / "slow.seg"
    model.write_text(SLOW_MODEL.format(orders=view), encoding="utf-8")
    out = tmp_path / "members.parquet"
    started = time.monotonic()
    proc = _cli("run", model, "--target", engine.url, "--as-of", AS_OF, "--output", out, "--timeout", "2")
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 1, stderr
    assert "error[SEG305]" in stderr and "did not finish within --timeout 2 s" in stderr, stderr
    assert time.monotonic() - started < 30
    assert _wait_for(lambda: not _server_running(engine, view), 10), "the query still runs on the server"
    assert not out.exists() and list(tmp_path.iterdir()) == [model]


@pytest.mark.parametrize("engine_name", ["postgres", "mysql"])
def test_ctrl_c_cancels_the_query_and_writes_nothing(engine_name: str, engine, tmp_path: Path) -> None:
    view = _slow_source(engine, 0.3)
    model = tmp_path / "slow.seg"
    model.write_text(SLOW_MODEL.format(orders=view), encoding="utf-8")
    out = tmp_path / "members.parquet"
    proc = _cli("run", model, "--target", engine.url, "--as-of", AS_OF, "--output", out)
    try:
        assert _wait_for(lambda: _server_running(engine, view)), "the query never started"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert _wait_for(lambda: not _server_running(engine, view), 10), "the query still runs on the server"
    assert list(tmp_path.iterdir()) == [model]


def test_no_progress_display_in_a_pipe(tmp_path: Path, demo_db: Path) -> None:
    """In a pipe or a CI log nothing but the result: no progress bar, neither segdsl's nor DuckDB's."""
    out = tmp_path / "m.parquet"
    proc = _cli("run", EXAMPLES / "retail.seg", "--db", demo_db, "--as-of",
                "2026-06-30", "--output", out)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stderr == ""
    assert "█" in stdout and "▕" not in stdout and "%" in stdout  # the sizes table, no DuckDB progress bar
    assert pq.read_metadata(out).num_rows > 0


def _has_open(pid: int, path: Path) -> bool:
    """Whether a process holds a file open (Linux's /proc; elsewhere, after a few seconds)."""
    fds = Path(f"/proc/{pid}/fd")
    if not fds.parent.exists():
        time.sleep(5)
        return True
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except OSError:  # a descriptor closed while listing them
        return False


def _slow_duckdb(tmp_path: Path) -> tuple[Path, Path]:
    """A DuckDB file whose orders source is a view of 900 billion rows, and a model reading it: no machine
    finishes it within the tests' waits, however many cores it has, so only an interruption can stop it."""
    import duckdb

    db = tmp_path / "big.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers AS SELECT range AS customer_id FROM range(3000)")
    con.execute("CREATE TABLE orders AS SELECT c.range AS customer_id, TIMESTAMP '2026-01-01' AS ordered_at, "
                "1.0 AS amount FROM range(3000) c, range(3000) d")
    con.execute("CREATE VIEW slow AS SELECT o.* FROM orders o, range(100000) x")
    con.close()
    model = tmp_path / "m.seg"
    model.write_text(SLOW_MODEL.format(orders="slow"), encoding="utf-8")
    return db, model


def test_ctrl_c_stops_duckdb_and_keeps_the_old_file(tmp_path: Path) -> None:
    """Ctrl-C while DuckDB writes the output: exit 130, the older file whole, no temporary file — not an
    internal error, nor an abort from closing the connection under the query that still runs."""
    db, model = _slow_duckdb(tmp_path)
    out = tmp_path / "m.parquet"  # DuckDB's own writer (COPY); CSV files go through the Arrow writer
    out.write_text("older\n", encoding="utf-8")
    proc = _cli("run", model, "--db", db, "--as-of", AS_OF, "--output", out)
    try:
        assert _wait_for(lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), 60), "no write began"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "SEG900" not in stderr and "Traceback" not in stderr, stderr
    assert out.read_text(encoding="utf-8") == "older\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.duckdb", "m.parquet", "m.seg"]


@pytest.mark.parametrize("command", ["report", "check"])
def test_ctrl_c_during_reports_and_lints_on_duckdb_is_an_interruption(tmp_path: Path, command: str) -> None:
    """Reports and data lints (and explain) query DuckDB in the main thread, where DuckDB turns Ctrl-C into
    RuntimeError("Query interrupted"): the command must still say "interrupted" (exit 130), not SEG900."""
    db, model = _slow_duckdb(tmp_path)
    extra = {"report": ["--report", "value of buyer measure revenue", "--format", "md"], "check": []}[command]
    proc = _cli(command, model, "--db", db, "--as-of", AS_OF, *extra)
    try:
        assert _wait_for(lambda: _has_open(proc.pid, db), 60), "the database was never opened"
        time.sleep(1)  # the engine is reading the view
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "SEG900" not in stderr and "Traceback" not in stderr, stderr


def test_timeout_stops_duckdb_too(tmp_path: Path) -> None:
    """An embedded engine is interrupted in this process: the run stops, nothing is written."""
    db, model = _slow_duckdb(tmp_path)
    out = tmp_path / "m.parquet"
    started = time.monotonic()
    proc = _cli("run", model, "--db", db, "--as-of", AS_OF, "--output", out, "--timeout", "1")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "did not finish within --timeout 1 s" in stderr, stderr
    assert time.monotonic() - started < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.duckdb", "m.seg"]
