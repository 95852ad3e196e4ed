"""Timestamps with a time zone are read in UTC, whatever the zone of the machine or the session.

An order at 2024-03-31 23:30 UTC is on the as_of day 2024-03-31: a machine
in Warsaw (01:30 the next day) or Tokyo must count it the same way. These
tests run segdsl as a user would — the CLI on CSV and Parquet files and on
a database, the API on connections the user opened in another zone — and
compare with the answer written out from the README's semantics.
"""

from __future__ import annotations

import csv

import datetime as dt
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.engines import duckdb as engine_duckdb
from tests.support.conformance.compare import rows_of
from segdsl.tools.cli import app

ZONES = ("UTC", "Europe/Warsaw", "Asia/Tokyo", "America/Los_Angeles")
MODEL = """
entity customers from "customers.csv" key customer_id
events orders from "{orders}" by customer_id at ordered_at
feature n7 = count(orders in last 7 days)
feature first = min(orders.ordered_at)
segment today = exists(orders in last 1 day)
"""
ORDERS = """customer_id,ordered_at
1,2024-03-31T23:30:00Z
1,2024-03-24T23:30:00+00:00
2,2024-04-01T01:30:00+02:00
2,2024-03-25T08:00:00+09:00
3,2024-04-01T00:30:00Z
"""
# From the README: windows count by the UTC date, (2024-03-24, 2024-03-31] for `in last 7 days`.
EXPECTED = {
    1: (1, dt.datetime(2024, 3, 24, 23, 30), True),   # 03-24 23:30 is outside, 03-31 23:30 inside
    2: (1, dt.datetime(2024, 3, 24, 23, 0), True),    # 03-31 23:30 UTC inside, 03-24 23:00 UTC outside
    3: (0, None, False),                              # 04-01 00:30 UTC is after the as_of day
}


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch):
    """Set the machine's time zone (DuckDB takes it as its default when a database is opened)."""
    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()
    yield set_zone
    monkeypatch.undo()
    time.tzset()


def _files(folder: Path, orders: str = "orders.csv") -> Path:
    (folder / "customers.csv").write_text("customer_id\n1\n2\n3\n", encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS, encoding="utf-8")
    model = folder / "m.seg"
    model.write_text(MODEL.format(orders=orders), encoding="utf-8")
    return model


def _members(rel) -> dict[int, tuple]:
    out = {}
    for key, n7, first, today in rel.fetchall():
        if isinstance(first, dt.datetime) and first.tzinfo is not None:
            first = first.astimezone(dt.timezone.utc).replace(tzinfo=None)
        out[key] = (n7, first, today)
    return out


@pytest.mark.parametrize("name", ZONES)
def test_the_cli_counts_by_the_utc_date_in_every_zone(tmp_path: Path, zone, name: str) -> None:
    model = _files(tmp_path)
    zone(name)
    out = tmp_path / "members.csv"
    result = CliRunner().invoke(app, ["run", str(model), "--as-of", "2024-03-31", "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(out.read_text().splitlines()))
    assert lines[0] == ["customer_id", "n7", "first", "today"]
    got = {int(line[0]): line[1:] for line in lines[1:]}
    for key, (n7, first, today) in EXPECTED.items():
        assert int(got[key][0]) == n7 and got[key][2] == str(today).lower(), (name, key)
        # written as the UTC time (timestamps in files carry no zone, from every engine): the same on every machine
        assert got[key][1] == ("" if first is None else first.isoformat(sep=" ")), (name, key)


@pytest.mark.parametrize("name", ("Pacific/Pago_Pago", "Pacific/Kiritimati"))
def test_today_is_the_utc_date_in_every_zone(tmp_path: Path, zone, name: str) -> None:
    """Without --as-of, as_of is today in UTC: an order a minute ago counts and one at the start of the next
    UTC day does not, on a machine 11 hours behind UTC as on one 14 hours ahead (at any hour, the local date
    of one of the two differs from the UTC date)."""
    now = dt.datetime.now(dt.timezone.utc)
    past = now - dt.timedelta(minutes=1)
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    (tmp_path / "customers.csv").write_text("customer_id\n1\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text(f"customer_id,ordered_at\n1,{past.isoformat()}\n1,{tomorrow.isoformat()}\n",
                                         encoding="utf-8")
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers.csv" key customer_id\n'
                     'events orders from "orders.csv" by customer_id at ordered_at\n'
                     'feature n = count(orders)\n', encoding="utf-8")
    zone(name)
    out = tmp_path / "members.csv"
    result = CliRunner().invoke(app, ["run", str(model), "--output", str(out)])
    assert result.exit_code == 0, result.output
    if now.date() == dt.datetime.now(dt.timezone.utc).date():  # not across midnight UTC while running
        assert f"as of {now.date().isoformat()}" in result.output, (name, result.output)
        assert out.read_text().splitlines()[1:] == ["1,1"], name


@pytest.mark.parametrize("name", ZONES[1:])
def test_parquet_and_database_sources_too(tmp_path: Path, zone, name: str) -> None:
    _files(tmp_path)
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE orders AS SELECT customer_id, CAST(ordered_at AS TIMESTAMPTZ) AS ordered_at "
                f"FROM read_csv('{tmp_path / 'orders.csv'}')")
    con.execute(f"COPY orders TO '{tmp_path / 'orders.parquet'}' (FORMAT PARQUET)")
    con.close()
    zone(name)
    parquet = segdsl.load(_files(tmp_path, "orders.parquet"))
    assert _members(parquet.run(as_of="2024-03-31")) == EXPECTED, name
    table = segdsl.load(_files(tmp_path, "orders"))
    assert _members(table.run(db=tmp_path / "shop.duckdb", as_of="2024-03-31")) == EXPECTED, name


def test_a_connection_passed_in_is_read_in_utc(tmp_path: Path) -> None:
    """Decided: segdsl sets TimeZone = 'UTC' on a DuckDB connection it is given, and leaves it so —
    the relation it returns is computed when it is read, which may be after the call."""
    model = segdsl.load(_files(tmp_path))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    rel = model.run(connection=con, as_of="2024-03-31")
    assert con.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
    assert _members(rel) == EXPECTED


def test_without_utc_the_answer_would_depend_on_the_machine(tmp_path: Path, zone,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting is what makes the difference: without it, Tokyo counts another day."""
    model = segdsl.load(_files(tmp_path))
    zone("Asia/Tokyo")
    monkeypatch.setattr(engine_duckdb, "use_utc", lambda con: con)
    assert _members(model.run(as_of="2024-03-31")) != EXPECTED


def test_the_demo_data_is_the_same_in_every_zone(tmp_path: Path, zone) -> None:
    from segdsl.tools import demo

    digests = []
    for name in ("UTC", "Pacific/Kiritimati"):
        zone(name)
        paths = demo.generate(tmp_path / name.replace("/", "_"), customers=300, seed=3)
        digests.append({p.name: p.read_bytes() for p in paths.values()})
    assert digests[0] == digests[1]


def _pg_connection():
    from tests.support.engines import PG_URL, unavailable

    try:
        import psycopg

        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the server is not here
        unavailable("postgres", str(exc))


def _mysql_connection():
    from tests.support.engines import MYSQL_URL, unavailable

    from segdsl import engines

    try:
        import pymysql

        url = engines.parse_target(MYSQL_URL)
        return pymysql.connect(host=url.host, port=url.port or 3306, user=url.user or "root",
                               password=url.password or "", database=url.database, charset="utf8mb4",
                               autocommit=True, connect_timeout=5)
    except Exception as exc:  # noqa: BLE001
        unavailable("mysql", str(exc))


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_server_connections_passed_in_are_read_in_utc(server: str) -> None:
    """A PostgreSQL or MySQL session in Tokyo: its timestamps with a zone are still read in UTC."""
    import uuid

    suffix = uuid.uuid4().hex[:8]
    table = f"segdsl_tz_{suffix}"
    if server == "postgres":
        con = _pg_connection()
        cur = con.cursor()
        cur.execute("SET TIME ZONE 'Asia/Tokyo'")
        cur.execute(f"CREATE TABLE {table} (customer_id BIGINT, ordered_at TIMESTAMPTZ)")
        people = f"{table}_c"
        cur.execute(f"CREATE TABLE {people} (customer_id BIGINT)")
    else:
        con = _mysql_connection()
        cur = con.cursor()
        cur.execute("SET time_zone = '+09:00'")
        cur.execute(f"CREATE TABLE {table} (customer_id BIGINT, ordered_at TIMESTAMP(6) NULL)")
        people = f"{table}_c"
        cur.execute(f"CREATE TABLE {people} (customer_id BIGINT)")
    try:
        tokyo = dt.timezone(dt.timedelta(hours=9))
        for line in ORDERS.splitlines()[1:]:
            key, at = line.split(",")
            when = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            value = when if server == "postgres" else when.astimezone(tokyo).replace(tzinfo=None)
            cur.execute(f"INSERT INTO {table} VALUES (%s, %s)", (int(key), value))
        for key in (1, 2, 3):
            cur.execute(f"INSERT INTO {people} VALUES (%s)", (key,))
        model = segdsl.load(MODEL.replace('"customers.csv"', f'"{people}"').format(orders=table))
        members = model.run_on(con, as_of="2024-03-31")
        got = {row[0]: tuple(row[1:]) for row in rows_of(members)[1]}
        assert got == EXPECTED
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"DROP TABLE IF EXISTS {people}")
        con.close()
