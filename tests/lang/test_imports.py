"""Imports: relative paths, diamonds read once, cycles and misses reported."""

from __future__ import annotations

import pytest

import segdsl
from tests.support.conformance.compare import rows_of
from segdsl.lang.diagnostics import SegError


def test_imports_are_relative_to_the_importing_file_and_read_once(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "base.seg").write_text('entity c from "c.csv" key id\nparam limit: number = 5\n')
    (tmp_path / "lib" / "left.seg").write_text('import "base.seg"\nfeature a = 1\n')
    (tmp_path / "lib" / "right.seg").write_text('import "base.seg"\nfeature b = 2\n')
    (tmp_path / "main.seg").write_text('import "lib/left.seg"\nimport "lib/right.seg"\nsegment s = a + b > limit\n')
    model = segdsl.load(tmp_path / "main.seg")
    assert set(model.ir.features) == {"a", "b"} and model.ir.params["limit"].value == 5
    assert len(model.program.files) == 4  # base once, though two files import it


def test_problems_in_imported_files_name_that_file(tmp_path):
    (tmp_path / "shared.seg").write_text('entity c from "c.csv" key id\nfeature x = revnue_total + 1\n'
                                         "feature revenue_total = 2\n")
    (tmp_path / "main.seg").write_text('import "shared.seg"\nsegment s = x > 1\n')
    with pytest.raises(SegError) as info:
        segdsl.load(tmp_path / "main.seg").sql()  # a near miss is a typo unless the data has the column
    d = info.value.diagnostics[0]
    assert d.code == "SEG101" and d.span.file.endswith("shared.seg") and d.span.line == 2
    assert "shared.seg:2:13" in info.value.render()


def test_definitions_may_come_in_any_order_across_files(tmp_path):
    (tmp_path / "segs.seg").write_text("segment s = total > 10\n")
    (tmp_path / "main.seg").write_text('import "segs.seg"\nfeature total = 20\nentity c from "c.csv" key id\n')
    assert segdsl.load(tmp_path / "main.seg").ir.order.index("total") < segdsl.load(
        tmp_path / "main.seg").ir.order.index("s")


# ── data files travel with the file that names them ────────────────────────

BASE = 'entity customers from "data.csv" key customer_id\nevents orders from "../sales/orders.csv" by customer_id ' \
       'at ordered_at\nfeature n = count(orders)\n'


def _shared(tmp_path):
    """lib/base.seg names lib/data.csv and sales/orders.csv; app/m.seg imports it from elsewhere."""
    for folder in ("lib", "sales", "app"):
        (tmp_path / folder).mkdir()
    (tmp_path / "lib" / "base.seg").write_text(BASE)
    (tmp_path / "lib" / "data.csv").write_text("customer_id,city\n1,Łódź\n2,Kraków\n3,\n")
    (tmp_path / "sales" / "orders.csv").write_text("customer_id,ordered_at\n1,2026-06-01 10:00:00\n"
                                                   "1,2026-06-02 10:00:00\n2,2026-07-02 10:00:00\n")
    model = tmp_path / "app" / "m.seg"
    model.write_text('import "../lib/base.seg"\nsegment buyer = n > 0\n')
    return model


def test_data_paths_are_relative_to_the_file_that_names_them(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    model = _shared(tmp_path)
    loaded = segdsl.load(model)
    assert loaded.ir.entity.source == "../lib/data.csv"  # as a path from the main model's folder
    assert loaded.ir.events["orders"].source == "../sales/orders.csv"
    members = {r[0]: r[1:] for r in loaded.run(as_of="2026-06-30").fetchall()}
    assert members == {1: (2, True), 2: (0, False), 3: (0, False)}
    monkeypatch.chdir(tmp_path / "sales")  # from any working folder
    runner = CliRunner()
    checked = runner.invoke(app, ["check", str(model), "--no-lint"])
    assert checked.exit_code == 0, checked.stderr
    assert "customers ← ../lib/data.csv, orders ← ../sales/orders.csv" in checked.stdout
    ran = runner.invoke(app, ["run", str(model), "--as-of", "2026-06-30"])
    assert ran.exit_code == 0 and "customers: 3 members" in ran.stdout
    report = runner.invoke(app, ["report", str(model), "--report", "value of buyer", "--format", "csv",
                                 "--as-of", "2026-06-30"])
    assert report.exit_code == 0 and "value_buyer,Members and value,buyer,members,1\n" in report.stdout
    # a warehouse reads the table named after the file
    sql = runner.invoke(app, ["compile", str(model), "--dialect", "postgres"])
    assert sql.exit_code == 0 and 'FROM "data" AS e' in sql.stdout and 'FROM "orders" AS e' in sql.stdout


def test_a_shared_file_travels_with_its_data(tmp_path):
    """Two models in different folders import the same file: both read the same data."""
    model = _shared(tmp_path)
    other = tmp_path / "other.seg"
    other.write_text('import "lib/base.seg"\nsegment buyer = n > 0\n')
    assert segdsl.load(other).ir.entity.source == "lib/data.csv"
    for m in (model, other):
        assert sorted(segdsl.load(m).run(as_of="2026-06-30").fetchall()) == [(1, 2, True), (2, 0, False),
                                                                            (3, 0, False)]


def test_a_missing_data_file_is_reported_where_it_is_named(tmp_path):
    model = _shared(tmp_path)
    (tmp_path / "lib" / "data.csv").unlink()
    with pytest.raises(SegError) as info:
        segdsl.load(model).run(as_of="2026-06-30")
    d = info.value.diagnostics[0]
    assert d.code == "SEG304" and d.span.file.endswith("base.seg") and (d.span.line, d.span.column) == (1, 23)
    assert d.message == "cannot find the data file `../lib/data.csv`"
    assert d.hint.startswith("paths are relative to the file that names them; looked for ")
    assert d.hint.endswith("data.csv")


def test_bind_and_schema_files_name_the_rewritten_path(tmp_path):
    """`--bind` and schema files name a source as the model resolves it: the path from the main model."""
    import sqlite3

    model = _shared(tmp_path)
    db = tmp_path / "shop.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE crm_people (customer_id INTEGER, city TEXT)")
    con.execute("CREATE TABLE orders (customer_id INTEGER, ordered_at TEXT)")
    con.executemany("INSERT INTO crm_people VALUES (?, ?)", [(1, "a"), (2, "b")])
    con.execute("INSERT INTO orders VALUES (2, '2026-06-01 00:00:00')")
    con.commit()
    con.close()
    members = segdsl.load(model).run_on(f"sqlite:///{db}", as_of="2026-06-30",
                                        bindings={"../lib/data.csv": "crm_people"})
    assert sorted(rows_of(members)[1]) == [(1, 0, False), (2, 1, True)]
    schema = tmp_path / "schema.toml"
    schema.write_text('["../lib/data.csv"]\ncustomer_id = "number"\ncity = "text"\n'
                      '[orders]\ncustomer_id = "number"\nordered_at = "timestamp"\n')
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    result = CliRunner().invoke(app, ["compile", str(model), "--dialect", "postgres", "--schema", str(schema)])
    assert result.exit_code == 0 and "-- column types: " in result.stdout
