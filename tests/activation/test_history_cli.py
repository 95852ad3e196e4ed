"""`segdsl snapshot | history | diff` from the command line, the fingerprint of a series, and bad input and faults.

The example model examples/lifecycle_campaign.seg runs on the demo shop
(3,000 customers); sizes are checked against `segdsl run` on the same data,
diffs against the difference of two runs.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner


import segdsl  # noqa: E402
from tests.support.engines import MYSQL_URL, PG_URL, RUN_ID, unavailable  # noqa: E402
from tests.support.history_places import run_at  # noqa: E402
from segdsl import engines  # noqa: E402
from segdsl.activation import history  # noqa: E402
from segdsl.tools.cli import app  # noqa: E402

EXAMPLES = Path(__file__).parents[2] / "examples"
DATES = ["2026-06-16", "2026-06-23", "2026-06-30"]
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """The campaign example and the file it imports, in a folder of the test's own (to be changed)."""
    for name in ("lifecycle_campaign.seg", "common.seg"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "lifecycle_campaign.seg"


def snapshot(model: Path, db: Path, store: str, as_of: str, *more: object):
    return invoke("snapshot", model, "--db", db, "--store", store, "--as-of", as_of, *more)


@pytest.mark.parametrize("kind", ["folder", "duckdb", "table"])
def test_snapshot_history_and_diff(kind: str, model: Path, demo_db: Path, tmp_path: Path) -> None:
    target: list[object] = []
    if kind == "folder":
        store = str(tmp_path / "history") + "/"
    elif kind == "duckdb":
        store = str(tmp_path / "history.duckdb")
    else:  # a table of the target: a copy of the shop, written into
        shop = tmp_path / "shop.duckdb"
        shutil.copy(demo_db, shop)
        store, target = "table:segment_history", ["--target", f"duckdb:///{shop}"]
    for i, d in enumerate(DATES):
        args = ["snapshot", model, "--store", store, "--as-of", d] + (target or ["--db", demo_db])
        result = invoke(*args)
        assert result.exit_code == 0, result.stderr
        assert f"added a snapshot of {d} to the series `lifecycle_campaign`" in result.stdout
        assert f"({i + 1} snapshot" in result.stdout
        assert "win_back_test" in result.stdout and "campaign" in result.stdout  # the sizes, as `run` prints them
    result = invoke("snapshot", model, "--store", store, "--as-of", DATES[1], *(target or ["--db", demo_db]))
    assert result.exit_code == 0 and f"replaced the snapshot of {DATES[1]}" in result.stdout

    loaded = segdsl.load(model)
    result = invoke("history", "--store", store, *target, "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [s["as_of"] for s in listed] == DATES
    for snap in listed:
        rows, population = run_at(demo_db, loaded, dt.date.fromisoformat(snap["as_of"]))
        assert snap["population"] == population
        for size in snap["sizes"]:
            assert size["members"] == sum(1 for d, v, _ in rows if (d, v) == (size["definition"], size["value"]))
        assert {(s["definition"], s["value"]) for s in snap["sizes"]} >= {
            ("lifecycle", "onboarding"), ("win_back", None), ("win_back_test", "control")}

    result = invoke("history", "--store", store, *target)
    assert result.exit_code == 0, result.stderr
    assert all(d in result.stdout for d in DATES) and "all members" in result.stdout
    result = invoke("history", "--store", store, *target, "--format", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == "series,as_of,definition,kind,value,members,population,fingerprint,model,taken_at"
    assert len(lines) == 1 + sum(len(s["sizes"]) for s in listed)

    out = tmp_path / "changes.parquet"
    result = invoke("diff", "--store", store, *target, "--from", DATES[0], "--to", DATES[2], "--output", out,
                    "--segment", "lifecycle")
    assert result.exit_code == 0, result.stderr
    a = run_at(demo_db, loaded, dt.date.fromisoformat(DATES[0]))[0]
    b = run_at(demo_db, loaded, dt.date.fromisoformat(DATES[2]))[0]
    expected = {(m, d, v, "entered") for d, v, m in b - a if d == "lifecycle"} | \
               {(m, d, v, "exited") for d, v, m in a - b if d == "lifecycle"}
    assert set(duckdb.sql(f"SELECT * FROM '{out}'").fetchall()) == expected
    assert f"wrote {len(expected):,} changes to {out}" in result.stdout
    assert "onboarding" in result.stdout and "entered" in result.stdout


def test_the_changed_model_is_refused_until_forced_or_given_a_new_series(model: Path, demo_db: Path,
                                                                        tmp_path: Path) -> None:
    store = str(tmp_path / "history") + "/"
    assert snapshot(model, demo_db, store, DATES[0]).exit_code == 0
    # the same model from another folder is the same model
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("lifecycle_campaign.seg", "common.seg"):
        shutil.copy(model.parent / name, elsewhere / name)
    result = snapshot(elsewhere / "lifecycle_campaign.seg", demo_db, store, DATES[1])
    assert result.exit_code == 0, result.stderr

    before = history.fingerprint(segdsl.load(model))
    common = model.parent / "common.seg"
    common.write_text(common.read_text().replace("count(orders)", "count(orders where amount > 0)"))
    after = history.fingerprint(segdsl.load(model))  # an imported file is part of the model
    assert after != before
    result = snapshot(model, demo_db, store, DATES[2])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error[SEG322]: the model has changed since it last wrote the series `lifecycle_campaign` in {store}: "
        f"its fingerprint is {after[:16]}, the series' is {before[:16]} (")
    assert "= hint: start a new series with --series NAME, or continue this one with --force" in result.stderr
    assert [s.as_of.isoformat() for s in _snapshots(store)] == DATES[:2]  # nothing written

    result = snapshot(model, demo_db, store, DATES[2], "--series", "campaign_v2")
    assert result.exit_code == 0, result.stderr
    result = snapshot(model, demo_db, store, DATES[2], "--force")
    assert result.exit_code == 0, result.stderr
    snaps = _snapshots(store, "lifecycle_campaign")
    assert [s.fingerprint for s in snaps] == [before, before, after]
    result = invoke("history", "--store", store, "--series", "lifecycle_campaign")
    assert f"the model changed at {DATES[2]}" in result.stdout
    # continued with --force, the series now follows the new model; a parameter is part of it too
    assert snapshot(model, demo_db, store, DATES[0]).exit_code == 0
    result = snapshot(model, demo_db, store, DATES[0], "--param", "foo=1")
    assert result.exit_code == 2 and "SEG301" in result.stderr
    assert history.fingerprint(segdsl.load(model)) != history.fingerprint(
        segdsl.load(EXAMPLES / "retail.seg"), {"vip_spend": 1000}) != history.fingerprint(
        segdsl.load(EXAMPLES / "retail.seg"), {"vip_spend": 2000})
    assert history.fingerprint(segdsl.load(EXAMPLES / "retail.seg")) == history.fingerprint(
        segdsl.load(EXAMPLES / "retail.seg"), {"vip_spend": "1000"})  # a default given again changes nothing


def _snapshots(store: str, series: str | None = None):
    with history.open_store(store) as s:
        return history.snapshots(s, series)


def test_diff_and_history_refuse_what_the_store_does_not_hold(model: Path, demo_db: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "history.duckdb")
    for d in DATES[:2]:
        assert snapshot(model, demo_db, store, d).exit_code == 0
    out = tmp_path / "d.parquet"
    result = invoke("diff", "--store", store, "--from", "2026-06-01", "--to", DATES[1], "--output", out)
    assert result.exit_code == 2
    assert "error[SEG323]: `--from 2026-06-01`: the series `lifecycle_campaign` has no snapshot of that date" in \
        result.stderr and f"its snapshots: {DATES[0]}, {DATES[1]}" in result.stderr
    result = invoke("diff", "--store", store, "--from", DATES[0], "--to", DATES[0], "--output", out)
    assert result.exit_code == 2 and "the same snapshot" in result.stderr
    result = invoke("diff", "--store", store, "--from", DATES[0], "--to", DATES[1], "--output", out,
                    "--segment", "win_bak")
    assert result.exit_code == 2 and "error[SEG306]: unknown segment `win_bak`" in result.stderr
    assert "did you mean `win_back`?" in result.stderr
    result = invoke("diff", "--store", store, "--from", DATES[0], "--to", DATES[1], "--output", out,
                    "--segment", "lifecycle.lost")
    assert result.exit_code == 2 and "`lifecycle` has no case `lost`" in result.stderr
    result = invoke("diff", "--store", store, "--from", DATES[0], "--to", DATES[1], "--output", tmp_path / "d.txt")
    assert result.exit_code == 2 and "SEG307" in result.stderr
    assert not out.exists()

    assert snapshot(model, demo_db, store, DATES[0], "--series", "other").exit_code == 0
    result = invoke("diff", "--store", store, "--from", DATES[0], "--to", DATES[1], "--output", out)
    assert result.exit_code == 2
    assert "holds 2 series: lifecycle_campaign, other" in result.stderr and "--series NAME" in result.stderr
    result = invoke("history", "--store", store, "--series", "lifecycle_campain")
    assert result.exit_code == 2 and "holds no series `lifecycle_campain`" in result.stderr
    assert "did you mean `lifecycle_campaign`?" in result.stderr
    result = invoke("diff", "--store", store, "--series", "lifecycle_campaign", "--from", DATES[0], "--to", DATES[1],
                    "--output", out)
    assert result.exit_code == 0 and out.exists()


def test_bad_stores_are_refused_before_anything_is_computed(model: Path, demo_db: Path, tmp_path: Path) -> None:
    cases = {
        "notes.txt": (2, "error[SEG320]: `notes.txt` is not a history store"),
        "table:mart.history": (2, "error[SEG320]: `table:mart.history` is a table of a target, and no target"),
        "table:a..b": (2, "error[SEG307]: `a..b` is not a table name"),
    }
    for store, (code, message) in cases.items():
        result = snapshot(model, demo_db, store, DATES[0])
        assert result.exit_code == code and result.stderr.startswith(message), (store, result.stderr)
    result = snapshot(model, demo_db, str(tmp_path / "h") + "/", DATES[0], "--series", ".hidden")
    assert result.exit_code == 2 and "error[SEG320]: `.hidden` is not a series name" in result.stderr

    sqlite = tmp_path / "shop.db"
    import sqlite3

    sqlite3.connect(sqlite).close()
    result = invoke("snapshot", model, "--target", f"sqlite:///{sqlite}", "--store", "table:h", "--as-of", DATES[0])
    assert result.exit_code == 2 and "a history store cannot be kept in sqlite:///" in result.stderr
    assert "--store FILE.duckdb or --store FOLDER/" in result.stderr

    # a store that is not one, or cannot be written: SEG321, and nothing is left behind
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "report.txt").write_text("mine")
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "not.duckdb").write_text("not a DuckDB database")
    cases = {
        str(tmp_path / "busy") + "/": "the folder holds other files and no _segdsl_history.json",
        str(tmp_path / "a_file" / "history") + "/": "a_file is a file, not a folder",
        str(tmp_path / "missing" / "history.duckdb"): "does not exist",
        str(tmp_path / "not.duckdb"): "cannot use the history store",
    }
    for store, message in cases.items():
        result = snapshot(model, demo_db, store, DATES[0])
        assert result.exit_code == 1, (store, result.stdout)
        assert result.stderr.startswith("error[SEG321]: cannot use the history store") and message in result.stderr, \
            result.stderr
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["report.txt"]
    assert (tmp_path / "not.duckdb").read_text() == "not a DuckDB database"
    result = invoke("history", "--store", str(tmp_path / "nowhere.duckdb"))
    assert result.exit_code == 1 and "there is no such file" in result.stderr
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_an_interrupted_snapshot_leaves_the_old_file(model: Path, demo_db: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    """Ctrl-C while DuckDB writes the snapshot's file: the old snapshot stays, no temporary file is left."""
    store = str(tmp_path / "history") + "/"
    assert snapshot(model, demo_db, store, DATES[0]).exit_code == 0
    file = tmp_path / "history" / "members" / "lifecycle_campaign" / f"{DATES[0]}.parquet"
    before = file.read_bytes()
    from segdsl.engines.duckdb import DuckDBEngine

    real = DuckDBEngine.execute

    def interrupted(self, sql: str) -> None:
        if sql.startswith("COPY"):
            real(self, sql)  # the whole temporary file is written, then the user presses Ctrl-C
            raise KeyboardInterrupt
        real(self, sql)

    monkeypatch.setattr(DuckDBEngine, "execute", interrupted)
    result = invoke("snapshot", model, "--db", demo_db, "--store", store, "--as-of", DATES[0])
    assert result.exit_code == 130 and "interrupted" in result.stderr
    monkeypatch.undo()
    assert file.read_bytes() == before
    assert not [p for p in (tmp_path / "history").rglob("*") if p.name.startswith(".")]


def test_a_server_store_the_user_cannot_write(model: Path, demo_db: Path, tmp_path: Path) -> None:
    """PostgreSQL: a role without CREATE on the schema; MariaDB: a user who may only read. SEG321, the
    reason from the server, and no table created."""
    try:
        import psycopg
        import pymysql
    except ImportError as exc:
        unavailable("postgres", str(exc))
    role = f"segdsl_ro_{RUN_ID}"
    try:
        pg = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        unavailable("postgres", str(exc))
    schema = f"segdsl_ro_{RUN_ID}"
    url = engines.parse_target(MYSQL_URL)
    try:
        my = pymysql.connect(host=url.host, port=url.port or 3306, user=url.user or "root",
                             password=url.password or "", autocommit=True, connect_timeout=5)
    except pymysql.Error as exc:
        unavailable("mysql", str(exc))
    cur = my.cursor()
    try:
        pg.execute(f'CREATE SCHEMA "{schema}"')
        pg.execute(f'CREATE TABLE "{schema}".customers AS SELECT 1::BIGINT AS customer_id, DATE \'2020-01-01\' '
                   'AS signup_date, 1.0::DOUBLE PRECISION AS amount')
        pg.execute(f'CREATE ROLE "{role}" LOGIN')
        pg.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        pg.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        host = PG_URL.split("@", 1)[1]
        target = f"postgresql://{role}@{host}{'&' if '?' in host else '?'}options=-csearch_path%3D{schema}"
        cur.execute(f"CREATE DATABASE `{schema}`")
        cur.execute(f"CREATE USER '{role}'@'%'")
        cur.execute(f"CREATE USER '{role}'@'localhost'")
        for h in ("%", "localhost"):
            cur.execute(f"GRANT SELECT ON `{schema}`.* TO '{role}'@'{h}'")
        my_target = f"mysql+pymysql://{role}@{url.host}:{url.port or 3306}/{schema}"
        for t in (target, my_target):
            result = invoke("snapshot", model, "--target", t, "--store", "table:segment_history", "--as-of", DATES[0])
            assert result.exit_code == 1, result.stderr
            assert result.stderr.startswith("error[SEG321]: cannot use the history store table:segment_history on "), \
                result.stderr
            assert "denied" in result.stderr.lower()
        assert pg.execute(f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'"
                          ).fetchone()[0] == 1

        # a store created by its owner, into which the role may only write rows: no right to create is needed
        small = tmp_path / "small.seg"
        small.write_text('entity customers from "customers" key customer_id since signup_date\n'
                         'segment paying = amount > 0\n', encoding="utf-8")
        owner = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        result = invoke("snapshot", small, "--target", owner, "--store", "table:segment_history", "--as-of", DATES[0])
        assert result.exit_code == 0, result.stderr
        pg.execute(f'GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        result = invoke("snapshot", small, "--target", target, "--store", "table:segment_history", "--as-of", DATES[1])
        assert result.exit_code == 0, result.stderr
        assert "(2 snapshots)" in result.stdout
        cur.execute(f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'")
        assert cur.fetchone()[0] == 0
    finally:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg.execute(f'DROP ROLE IF EXISTS "{role}"')
        pg.close()
        cur.execute(f"DROP DATABASE IF EXISTS `{schema}`")
        for h in ("%", "localhost"):
            cur.execute(f"DROP USER IF EXISTS '{role}'@'{h}'")
        my.close()


def test_a_spark_session_without_a_metastore_keeps_no_store(model: Path, tmp_path: Path) -> None:
    """`--target spark://local[*]` starts a session whose catalog is in memory: a store there would be
    forgotten when segdsl stops it, so it is refused (run in a process of its own, as a user runs it)."""
    import os
    import subprocess

    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("spark", "pyspark is not installed (pip install 'segdsl[spark]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        unavailable("spark", "no Java runtime (java on PATH or JAVA_HOME)")
    result = subprocess.run([sys.executable, "-m", "segdsl", "snapshot", str(model), "--target", "spark://local[1]",
                             "--store", "table:segment_history", "--as-of", DATES[0]],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error[SEG320]: a history store in spark://local[1] would be forgotten when "
                                    "segdsl stops it: the session's catalog is in memory"), result.stderr
    assert "--store FILE.duckdb or --store FOLDER/" in result.stderr
    assert not (tmp_path / "spark-warehouse").exists()


@pytest.mark.parametrize("kind", ["folder", "duckdb"])
def test_a_backfilled_snapshot_takes_its_place_in_the_changes(kind: str, model: Path, demo_db: Path,
                                                              tmp_path: Path) -> None:
    """Dates written out of order (a week backfilled between two others) give the same changes as in order."""
    from tests.support.history_places import read

    def store(name: str) -> str:
        return str(tmp_path / name) + "/" if kind == "folder" else str(tmp_path / f"{name}.duckdb")

    for name, order in (("in_order", DATES), ("backfilled", [DATES[0], DATES[2], DATES[1]])):
        for d in order:
            assert snapshot(model, demo_db, store(name), d).exit_code == 0
    with history.open_store(store("in_order")) as a, history.open_store(store("backfilled")) as b:
        first, second = read(a, "lifecycle_campaign"), read(b, "lifecycle_campaign")
    assert first.changes and {c[0] for c in first.changes} == {dt.date.fromisoformat(d) for d in DATES[1:]}
    assert second.comparable() == first.comparable()
    if kind == "folder":  # a changes file per snapshot after the first, none left from before the backfill
        files = sorted(p.name for p in (tmp_path / "backfilled" / "changes" / "lifecycle_campaign").iterdir())
        assert files == [f"{d}.parquet" for d in DATES[1:]]


def test_clickhouse_keeps_its_history_locally(model: Path, demo_db: Path, tmp_path: Path) -> None:
    """On a ClickHouse (chdb) target a table store is refused with SEG320 and its hint; a local store
    filled from ClickHouse holds what the same snapshots computed on DuckDB hold. chdb allows one
    database per process, so the commands run as processes of their own."""
    import subprocess

    chdb_dir = tmp_path / "chdb"
    tables = {name: str(tmp_path / f"{name}.parquet") for name in ("customers", "orders", "web_events")}
    con = duckdb.connect(str(demo_db), read_only=True)
    for name, path in tables.items():
        con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
    con.close()
    load = ("import sys; from chdb import session\n"
            f"s = session.Session({str(chdb_dir)!r})\n"
            + "".join(f"s.query(\"CREATE TABLE {n} ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM "
                      f"file('{p}', Parquet)\")\n" for n, p in tables.items())
            + "s.close()\n")
    subprocess.run([sys.executable, "-c", load], check=True, timeout=300)

    def cli(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "segdsl.tools.cli", *map(str, args)], capture_output=True,
                              text=True, timeout=300)

    url = f"chdb:///{chdb_dir}"
    refused = cli("snapshot", model, "--target", url, "--store", "table:h", "--as-of", DATES[0])
    assert refused.returncode == 2 and "error[SEG320]: a history store cannot be kept in chdb:///" in refused.stderr
    assert "replaces rows of two tables, and ClickHouse has no transaction to replace them together" \
        in refused.stderr
    assert "hint: keep the store locally: --store FILE.duckdb or --store FOLDER/" in refused.stderr
    assert "Traceback" not in refused.stderr

    on_clickhouse, on_duckdb = tmp_path / "clickhouse.duckdb", tmp_path / "duckdb.duckdb"
    for d in DATES:
        done = cli("snapshot", model, "--target", url, "--store", on_clickhouse, "--as-of", d)
        assert done.returncode == 0, done.stderr
        assert snapshot(model, demo_db, str(on_duckdb), d).exit_code == 0

    def rows(path: Path) -> list[tuple]:
        """Every table of the store, its rows sorted, without the time each snapshot was taken."""
        with duckdb.connect(str(path), read_only=True) as c:
            out = []
            for (table,) in c.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
                columns = [n for (n,) in c.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                                   "AND column_name <> 'taken_at' ORDER BY column_index",
                                                   [table]).fetchall()]
                picked = ", ".join(f'"{n}"' for n in columns)
                out.append((table, sorted(c.execute(f'SELECT {picked} FROM "{table}"').fetchall(), key=repr)))
            return out

    got, want = rows(on_clickhouse), rows(on_duckdb)
    assert [t for t, _ in got] == [t for t, _ in want]
    assert sum(len(r) for _, r in want) > 1000
    assert got == want
