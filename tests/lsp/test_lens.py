"""Code lenses: member counts of each segment on the configured DuckDB file, cancelled by an edit."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import duckdb

from segdsl.tools.api import load
from tests.lsp.client import Client
from tests.lsp.test_diagnostics import expected, received
from tests.support.reference import evaluate

AS_OF = "2026-06-30"
MODEL = """\
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

feature spend = sum(orders.amount)
segment buyers = exists(orders in last 90 days)
segment web_buyers "Bought on the web" = exists(orders where channel = "web")
segment big = spend >= 100
segment nobody = spend > 1000000
"""


def lenses(client: Client, uri: str) -> list[dict]:
    return client.request("textDocument/codeLens", {"textDocument": {"uri": uri}})


def counted(client: Client, uri: str, timeout: float = 60) -> list[dict]:
    """The lenses once counted: asked again after the server asks the editor to refresh them."""
    first = lenses(client, uri)
    if first and all("member" in x["command"]["title"] and "counting" not in x["command"]["title"] for x in first):
        return first
    client.wait_for(lambda m: m["method"] == "workspace/codeLens/refresh", timeout, requests=True)
    return lenses(client, uri)


def test_counts_and_shares_equal_the_reference_evaluator(shop) -> None:
    db, folder = shop
    (folder / "segdsl.toml").write_text('db = "shop.duckdb"\n', encoding="utf-8")
    model = folder / "m.seg"
    model.write_text(MODEL, encoding="utf-8")
    with Client(folder, options={"codeLens": {"asOf": AS_OF, "database": None}}) as c:
        uri = c.open(model)
        # the configured database: columns checked and data lints run, as `segdsl check` does
        assert received(c.diagnostics(uri)) == expected(model)
        found = counted(c, uri)
    con = duckdb.connect(str(db), read_only=True)
    tables = {}
    for name in ("customers", "orders"):
        cur = con.execute(f"SELECT * FROM {name}")
        columns = [d[0] for d in cur.description]
        tables[name] = [dict(zip(columns, row)) for row in cur.fetchall()]
    con.close()
    ir = load(model).ir
    members = evaluate(ir, tables, dt.date.fromisoformat(AS_OF))
    total = len(members)
    lines = MODEL.splitlines()
    got = {}
    for lens in found:
        line = lines[lens["range"]["start"]["line"]]
        name = re.match(r"segment (\w+)", line).group(1)
        got[name] = lens["command"]["title"]
    wanted = {}
    for name in ir.segments:
        n = sum(1 for row in members.values() if row[name] is True)
        wanted[name] = f"{n:,} member{'' if n == 1 else 's'} · {100.0 * n / total:.1f} % at {AS_OF}"
    assert got == wanted
    assert total == 4 and got["nobody"].startswith("0 members")  # customer 4 signs up after as_of


def test_no_lenses_without_a_database(tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text(MODEL, encoding="utf-8")
    with Client(tmp_path) as c:
        uri = c.open(model)
        c.diagnostics(uri)
        assert lenses(c, uri) == []


def _slow_database(folder: Path) -> Path:
    """Orders as a view of 900 billion rows: no machine counts it, only a cancellation ends the query."""
    db = folder / "big.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers AS SELECT range AS customer_id, DATE '2020-01-01' AS signup_date "
                "FROM range(3000)")
    con.execute("CREATE TABLE base AS SELECT c.range AS customer_id, TIMESTAMP '2026-01-01' AS ordered_at, "
                "1.0 AS amount, 'web' AS channel FROM range(3000) c, range(3000) d")
    con.execute("CREATE VIEW orders AS SELECT o.* FROM base o, range(100000) x")
    con.close()
    return db


def test_an_edit_cancels_the_count_of_the_older_text(tmp_path: Path) -> None:
    db = _slow_database(tmp_path)
    model = tmp_path / "m.seg"
    model.write_text(MODEL, encoding="utf-8")
    # the editor's setting names the database: the check itself reads no data
    with Client(tmp_path, options={"codeLens": {"asOf": AS_OF, "database": str(db)}}) as c:
        uri = c.open(model)
        c.diagnostics(uri)
        first = lenses(c, uri)
        assert [x["command"]["title"] for x in first] == ["counting members…"] * 4
        time.sleep(1.0)  # the query runs
        started = time.monotonic()
        c.change(uri, MODEL + "segment more = spend > 5\n")
        c.wait_for(lambda m: m["method"] == "window/logMessage"
                   and m["params"]["message"] == f"member counts of {uri} (version 1) stopped", 30)
        assert time.monotonic() - started < 10
        assert [d["code"] for d in c.diagnostics(uri)] == []
        assert len(lenses(c, uri)) == 5  # the new text is counted afresh
    assert c.proc.returncode == 0


def test_a_database_that_cannot_be_opened_is_said_on_the_lenses(tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text(MODEL, encoding="utf-8")
    (tmp_path / "broken.duckdb").write_text("not a database", encoding="utf-8")
    with Client(tmp_path, options={"codeLens": {"asOf": AS_OF, "database": str(tmp_path / "broken.duckdb")}}) as c:
        uri = c.open(model)
        c.diagnostics(uri)
        titles = {x["command"]["title"] for x in counted(c, uri)}
        assert len(titles) == 1 and titles.pop().startswith("members not counted: ")


def test_an_edit_cancels_the_data_lints_of_the_older_text(tmp_path: Path) -> None:
    """The configured database is read by the data lints of every check: one that cannot finish is
    interrupted by the next edit, whose diagnostics then come at once."""
    _slow_database(tmp_path)
    (tmp_path / "segdsl.toml").write_text('db = "big.duckdb"\n', encoding="utf-8")
    model = tmp_path / "m.seg"
    model.write_text(MODEL, encoding="utf-8")
    with Client(tmp_path) as c:
        uri = c.open(model)
        time.sleep(1.5)  # the first check reads the view
        started = time.monotonic()
        c.change(uri, MODEL + "segment broken = (\n")
        assert [d["code"] for d in c.diagnostics(uri, timeout=30)] == ["SEG001"]
        assert time.monotonic() - started < 10
    assert c.proc.returncode == 0
