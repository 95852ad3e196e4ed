"""`segdsl check` against schemas: data files, a database, a target, `columns (…)`, a schema file.

Each way of knowing the columns must catch unknown columns and type
mismatches at their place in the .seg file; every file's problems come in
one run; exit codes are 0 clean, 1 findings, 2 usage.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.support.conformance.compare import rows_of
from segdsl.tools.cli import app
from tests.support.paths import EXAMPLES

runner = CliRunner()

BROKEN = '''entity customers from "{customers}" key customer_id since signup_date
events orders from "{orders}" by customer_id at ordered_at
feature spend = sum(orders.channel)
feature recent = count(orders where amount in last 30 days)
segment odd = city > 5
segment old = birth_date < 1990
segment typo = cty = "Łódź"
'''
# (line, column, code, words) the broken model must report, whatever tells the columns
EXPECTED = [
    (3, 21, "SEG201", "sum needs a number, but this is a text"),
    (4, 37, "SEG201", "a time window needs a date or timestamp, but this is a number"),
    (5, 15, "SEG201", "cannot compare a text with a number"),
    (6, 15, "SEG201", "cannot compare a date with a number"),
    (7, 16, "SEG101", "unknown name `cty`: not a definition nor a column of `customers`"),
]


def check(*args: object, cwd: Path | None = None):
    return runner.invoke(app, ["check", *map(str, args)])


def found(result) -> list[tuple[int, int, str, str]]:
    """(line, column, code, message) of every diagnostic in JSON output."""
    doc = json.loads(result.stdout)
    return [(d["line"], d["column"], d["code"], d["message"]) for d in doc["diagnostics"] if d["severity"] == "error"]


def assert_expected(result) -> None:
    got = found(result)
    for line, column, code, words in EXPECTED:
        assert any(g[:3] == (line, column, code) and words in g[3] for g in got), (line, code, got)
    assert result.exit_code == 1


@pytest.fixture
def data_files(tmp_path: Path) -> Path:
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 1 AS customer_id, 'Łódź' AS city, DATE '1990-01-01' AS birth_date,
                          DATE '2024-01-01' AS signup_date) TO '{tmp_path / "customers.parquet"}'""")
    con.execute(f"""COPY (SELECT 1 AS customer_id, TIMESTAMP '2026-01-01 10:00' AS ordered_at, 5.0 AS amount,
                          'web' AS channel) TO '{tmp_path / "orders.csv"}' (HEADER)""")
    con.close()
    return tmp_path


def test_without_data_names_and_types_are_checked_but_columns_are_not(tmp_path):
    model = tmp_path / "m.seg"
    model.write_text(BROKEN.format(customers="customers", orders="orders"))
    result = check(model, "--format", "json")
    assert result.exit_code == 0  # notes about unused features only
    # without a schema only what the model itself says can be checked: here, nothing is wrong with names
    assert found(result) == []
    doc = json.loads(result.stdout)
    assert doc["files"][0]["ok"] is True


def test_data_files_named_by_the_model_give_the_schema(data_files):
    model = data_files / "m.seg"
    model.write_text(BROKEN.format(customers="customers.parquet", orders="orders.csv"))
    result = check(model, "--format", "json")
    assert_expected(result)
    assert json.loads(result.stdout)["files"][0]["ok"] is False


def test_a_database_gives_the_schema(data_files, tmp_path):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE customers AS SELECT * FROM read_parquet('{data_files / 'customers.parquet'}')")
    con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{data_files / 'orders.csv'}')")
    con.close()
    model = tmp_path / "m.seg"
    model.write_text(BROKEN.format(customers="customers", orders="orders"))
    assert_expected(check(model, "--db", db, "--format", "json", "--no-lint"))
    assert_expected(check(model, "--target", f"duckdb:///{db}", "--format", "json", "--no-lint"))
    missing = tmp_path / "missing.seg"
    missing.write_text('entity c from "nowhere" key id\n')
    result = check(missing, "--db", db)
    assert result.exit_code == 1 and "error[SEG305]: cannot read `nowhere`" in result.stderr
    assert "missing.seg:1:15" in result.stderr


def test_declared_columns_give_the_schema_without_data(tmp_path):
    model = tmp_path / "m.seg"
    head = ('entity customers from "customers" key customer_id since signup_date\n'
            '  columns (city text, birth_date date, signup_date date)\n'
            'events orders from "orders" by customer_id at ordered_at\n'
            '  columns (ordered_at timestamp, amount number, channel text)\n')
    body = BROKEN.split("\n", 2)[2]  # the definitions after entity and events
    model.write_text(head + body)
    result = check(model, "--format", "json")
    shifted = [(line + 2, col, code, words) for line, col, code, words in EXPECTED]
    got = found(result)
    for line, column, code, words in shifted:
        assert any(g[:3] == (line, column, code) and words in g[3] for g in got), (line, code, got)


def test_declared_columns_are_held_against_the_data(data_files):
    model = data_files / "m.seg"
    model.write_text('entity customers from "customers.parquet" key customer_id\n'
                     '  columns (city number, shoe_size number)\n'
                     'segment s = city = "Łódź"\n')
    result = check(model, "--format", "json")
    got = {(line, code): msg for line, _, code, msg in found(result)}
    assert "`city` is declared number, but the data holds text" in got[(2, "SEG201")]
    assert "`customers` is declared with column `shoe_size`, which the data lacks" in got[(2, "SEG109")]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_schema_file_gives_the_schema(tmp_path, suffix):
    columns = {"customers": {"customer_id": "BIGINT", "city": "VARCHAR", "birth_date": "date",
                             "signup_date": "DATE"},
               "orders": {"customer_id": "number", "ordered_at": "TIMESTAMP", "amount": "DOUBLE",
                          "channel": "text"}}
    schema = tmp_path / f"schema{suffix}"
    if suffix == ".json":
        schema.write_text(json.dumps(columns))
    else:
        schema.write_text("\n".join(f"[{t}]\n" + "\n".join(f'{c} = "{ty}"' for c, ty in cols.items())
                                    for t, cols in columns.items()) + "\n")
    model = tmp_path / "m.seg"
    model.write_text(BROKEN.format(customers="customers", orders="orders"))
    result = check(model, "--schema", schema, "--format", "json")
    assert_expected(result)
    assert json.loads(result.stdout)["files"][0]["columns_from"] == {"customers": str(schema),
                                                                     "orders": str(schema)}


def test_every_problem_of_every_file_in_one_run(tmp_path):
    (tmp_path / "a.seg").write_text('entity c from "c" key id\nsegment s = revenu > 1\nfeature revenue = 1\n'
                                    'segment t = x > 1 and\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.seg").write_text('entity c from "c" key id\nparam p: number = "x"\nsegment u = 1 + 1\n')
    (tmp_path / "ok.seg").write_text('entity c from "c" key id\n')
    result = check(tmp_path, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    by_file = {}
    for d in doc["diagnostics"]:
        by_file.setdefault(Path(d["file"]).name, []).append(d["code"])
    assert by_file["a.seg"] == ["SEG001"] or "SEG001" in by_file["a.seg"]
    assert sorted(by_file["b.seg"]) == ["SEG201", "SEG205"]
    assert [f["ok"] for f in doc["files"]] == [False, True, False]


def test_problems_of_a_shared_import_are_reported_once(tmp_path):
    (tmp_path / "lib.seg").write_text('entity c from "c" key id\nsegment bad = x > 3 and x < 1\n')
    for name in ("one.seg", "two.seg"):
        (tmp_path / name).write_text('import "lib.seg"\nsegment s = bad or x = 2\nreport value of s\n')
    result = check(tmp_path, "--format", "json")
    codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
    assert codes.count("SEG401") == 1


def test_exit_codes(tmp_path):
    assert check(EXAMPLES).exit_code == 0
    assert check(tmp_path / "nope.seg").exit_code == 2
    assert check(EXAMPLES, "--format", "xml").exit_code == 2
    (tmp_path / "bad.toml").write_text("[tool.segdsl]\nsmall-size = -1\n")
    assert check(EXAMPLES / "retail.seg", "--config", tmp_path / "bad.toml").exit_code == 2
    assert check(EXAMPLES / "retail.seg", "--as-of", "yesterday-ish").exit_code == 2
    (tmp_path / "m.seg").write_text('entity c from "c" key id\nsegment s = a > 2 and a < 1\nreport value of s\n')
    assert check(tmp_path / "m.seg").exit_code == 1


def test_examples_check_against_the_demo_database(demo_db, tmp_path):
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)
    result = check(folder, "--db", demo_db, "--as-of", "2026-06-30", "--no-lint", "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0, doc["diagnostics"]
    assert all(f["ok"] for f in doc["files"])
    retail = next(f for f in doc["files"] if f["path"].endswith("retail.seg"))
    assert retail["columns_from"] == {"customers": "the database", "orders": "the database", "web": "the database"}


# ── a real column that is a near miss of a definition ──────────────────────

NEAR = '''entity customers from "customers.csv" key customer_id
feature revenue = 10
feature fromx = 1
segment big = revnue > 20
segment kw = from > 2
'''


def _near(tmp_path: Path, header: str = "customer_id,revnue,from") -> Path:
    (tmp_path / "customers.csv").write_text(f"{header}\n1,30,5\n2,10,1\n3,,\n", encoding="utf-8")
    model = tmp_path / "m.seg"
    model.write_text(NEAR, encoding="utf-8")
    return model


def test_check_and_run_both_accept_a_column_named_like_a_definition(tmp_path):
    """`revnue` beside `revenue` (and `from` beside `fromx`) is a typo without data, a column with it."""
    model = _near(tmp_path)
    assert runner.invoke(app, ["check", str(model), "--no-lint"]).exit_code == 0
    out = tmp_path / "members.csv"
    result = runner.invoke(app, ["run", str(model), "--as-of", "2026-06-30", "--output", str(out)])
    assert result.exit_code == 0, result.stderr
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0] == ["customer_id", "revenue", "fromx", "big", "kw"]
    assert {r[0]: (r[3], r[4]) for r in rows[1:]} == {"1": ("true", "true"), "2": ("false", "false"),
                                                       "3": ("false", "false")}
    report = runner.invoke(app, ["report", str(model), "--report", "value of big, kw", "--format", "csv"])
    assert report.exit_code == 0, report.stderr
    assert "value_big_kw,Members and value,big,members,1\n" in report.stdout
    assert "value_big_kw,Members and value,kw,members,1\n" in report.stdout
    import segdsl

    loaded = segdsl.load(model)  # loading reads no data: the names are taken as columns for now
    assert [d.message for d in loaded.guesses] == ["unknown name `revnue`", "unknown name `from`"]
    assert [r[3:] for r in loaded.run(as_of="2026-06-30").fetchall()] == [(True, True), (False, False),
                                                                          (False, False)]


def test_without_data_a_near_miss_is_still_a_typo(tmp_path):
    model = _near(tmp_path)
    (tmp_path / "customers.csv").unlink()
    result = runner.invoke(app, ["compile", str(model)])
    assert result.exit_code == 1
    assert "error[SEG101]: unknown name `revnue`" in result.stderr and "did you mean `revenue`?" in result.stderr
    assert "error[SEG101]: unknown name `from`" in result.stderr
    checked = runner.invoke(app, ["check", str(model), "--no-lint"])
    assert checked.exit_code == 1 and "unknown name `revnue`" in checked.stderr
    schema = tmp_path / "schema.toml"
    schema.write_text('[customers]\ncustomer_id = "number"\nrevnue = "number"\nfrom = "number"\n')
    assert runner.invoke(app, ["compile", str(model), "--schema", str(schema)]).exit_code == 0


def test_with_data_that_lacks_the_column_run_says_so(tmp_path):
    model = _near(tmp_path, header="customer_id,revnue2,from")
    result = runner.invoke(app, ["run", str(model), "--as-of", "2026-06-30"])
    assert result.exit_code == 1
    assert "error[SEG101]: unknown name `revnue`: not a definition nor a column of `customers`" in result.stderr
    assert "unknown name `from`" not in result.stderr  # that one is a real column


def test_run_on_a_target_accepts_the_column_too(tmp_path):
    import sqlite3

    import segdsl

    db = tmp_path / "shop.db"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE customers (customer_id INTEGER, revnue REAL, "from" INTEGER)')
    con.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(1, 30, 5), (2, 10, 1), (3, None, None)])
    con.commit()
    con.close()
    model = segdsl.load(NEAR.replace('"customers.csv"', '"customers"'))
    members = model.run_on(f"sqlite:///{db}", as_of="2026-06-30")
    assert {r[0]: tuple(r[3:]) for r in rows_of(members)[1]} == {1: (True, True), 2: (False, False), 3: (False, False)}
