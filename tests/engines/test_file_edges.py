"""Edges of the data going in and out: CSV files that are the same bytes on every engine, NaN in data
files read as missing, a CSV file with a header and no rows, and whole numbers beyond 64 bits.

Each answer is computed by hand from the README's semantics (or by the reference evaluator) and
compared with what every verified engine gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path

import pytest

import segdsl
from segdsl.engines.execution import run as run_model
from segdsl.lang.diagnostics import SegError
from tests.support.conformance.data import reference_tables
from tests.support.engines import VERIFIED_ENGINES, loaded
from tests.support.paths import CORPUS
from tests.support.reference import evaluate

AS_OF = dt.date(2026, 6, 30)
CSV_OUTPUTS: dict[str, bytes] = {}


def _key_order(values: list[object]) -> list[object]:
    """Keys as the CSV file must list them: numbers by value, text by code point."""
    return sorted(values, key=lambda v: (str(v).encode("utf-32-be") if isinstance(v, str) else v))


@pytest.mark.parametrize("model_name", ["basics", "keys"])
@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_csv_output_is_the_same_bytes_on_every_engine(engine_name: str, model_name: str, engine, request,
                                                       loaded_engines, engine_folder, tmp_path: Path) -> None:
    """One CSV writer, rows in key order (text keys by code point), one way to print every type."""
    model = segdsl.load(CORPUS / f"{model_name}.seg")

    def csv_bytes(on) -> bytes:
        out = tmp_path / f"members-{on.name}.csv"
        target = on.target()
        try:
            run_model(model, target, AS_OF, {}, output=out)
        finally:
            target.close()
        return out.read_bytes()

    data = csv_bytes(engine)
    rows = list(csv.reader(data.decode("utf-8").splitlines()))
    expected = evaluate(model.ir, reference_tables(), AS_OF, {})
    keys = [r[0] for r in rows[1:]]
    key_type = type(next(iter(expected)))
    assert keys == [str(k) for k in _key_order(list(expected))], "rows in key order"
    assert key_type in (int, str)
    if model_name not in CSV_OUTPUTS:  # DuckDB's file is the one the others are compared with
        duck = data if engine_name == "duckdb" else csv_bytes(loaded("duckdb", request, loaded_engines, engine_folder))
        CSV_OUTPUTS[model_name] = duck
    assert data == CSV_OUTPUTS[model_name], f"{engine_name} wrote other bytes than DuckDB"


NAN_MODEL = """
entity customers from "people.csv" key customer_id
events orders from "orders.{suffix}" by customer_id at ordered_at
feature score_copy = score
feature total = sum(orders.amount)
feature top = max(orders.amount)
feature priced = count(orders.amount)
segment no_score = score is missing
segment high = score > 2
segment low_or_high = not (score <= 2)
segment big_spender = total > 100
"""


def _write_nan_files(folder: Path, suffix: str, nan: str = "nan") -> None:
    """`nan`: how the file writes a NaN besides "NaN" (pandas writes "nan"; Spark's CSV reader knows only
    "NaN" and reads a column with "nan" as text)."""
    (folder / "people.csv").write_text(f"customer_id,score\n1,1.5\n2,NaN\n3,{nan}\n4,\n5,3\n", encoding="utf-8")
    if suffix == "csv":
        (folder / "orders.csv").write_text(f"customer_id,ordered_at,amount\n1,2026-06-01,50.5\n1,2026-06-02,{nan}\n"
                                           "2,2026-06-03,NaN\n3,2026-06-04,200\n", encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"customer_id": [1, 1, 2, 3], "ordered_at": [dt.date(2026, 6, d) for d in (1, 2, 3, 4)],
                                 "amount": [50.5, float("nan"), float("nan"), 200.0]}), folder / "orders.parquet")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("engine_name", ["duckdb", "clickhouse", "spark", "spark-connect"])
def test_nan_in_a_data_file_is_missing(engine_name: str, suffix: str, engine, tmp_path: Path) -> None:
    """pandas writes a missing number as NaN: it is missing (two-valued semantics), not a number above all.
    Through Spark Connect too, where the files are read by the server."""
    _write_nan_files(tmp_path, suffix, "NaN" if engine_name.startswith("spark") else "nan")
    path = tmp_path / "m.seg"
    path.write_text(NAN_MODEL.format(suffix=suffix), encoding="utf-8")
    model = segdsl.load(path)
    target = engine.target()
    target.root = tmp_path
    try:
        from segdsl.engines.execution import members

        table = members(model, target, AS_OF, {}).read_all()
    finally:
        target.close()
    got = {r["customer_id"]: r for r in table.to_pylist()}
    # by hand: NaN and an empty field are both missing; sums and counts skip them
    assert {k: r["score_copy"] for k, r in got.items()} == {1: 1.5, 2: None, 3: None, 4: None, 5: 3.0}
    assert {k for k, r in got.items() if r["no_score"]} == {2, 3, 4}
    assert {k for k, r in got.items() if r["high"]} == {5}
    assert {k for k, r in got.items() if r["low_or_high"]} == {5}
    assert {k: r["total"] for k, r in got.items()} == {1: 50.5, 2: None, 3: 200.0, 4: None, 5: None}
    assert {k: r["top"] for k, r in got.items()} == {1: 50.5, 2: None, 3: 200.0, 4: None, 5: None}
    assert {k: r["priced"] for k, r in got.items()} == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0}
    assert {k for k, r in got.items() if r["big_spender"]} == {3}


HEADER_ONLY_MODEL = """
entity customers from "people.csv" key customer_id
events orders from "orders.csv" by customer_id at ordered_at
feature n = count(orders)
feature recent = count(orders in last 30 days)
feature total = sum(orders.amount)
feature last = max(orders.ordered_at)
feature web_coupons = count(orders where channel = "web" and coupon)
segment buyer = exists(orders)
segment big = total > 10
"""


@pytest.mark.parametrize("engine_name", ["duckdb", "clickhouse", "spark"])
def test_a_csv_file_with_a_header_and_no_rows_is_an_empty_source(engine_name: str, engine, tmp_path: Path) -> None:
    """No rows: no events, whatever types the model expects of the columns; `check` accepts it too."""
    (tmp_path / "people.csv").write_text("customer_id,name\n1,a\n2,b\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text("customer_id,ordered_at,amount,channel,coupon\n", encoding="utf-8")
    path = tmp_path / "m.seg"
    path.write_text(HEADER_ONLY_MODEL, encoding="utf-8")
    model = segdsl.load(path)
    target = engine.target()
    target.root = tmp_path
    try:
        from segdsl.engines.execution import members

        rows = members(model, target, AS_OF, {}).read_all().to_pylist()
    finally:
        target.close()
    assert sorted(r["customer_id"] for r in rows) == [1, 2]
    for r in rows:
        assert (r["n"], r["recent"], r["total"], r["last"], r["web_coupons"], r["buyer"], r["big"]) == \
            (0, 0, None, None, 0, False, False)
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "orders ← orders.csv" in result.output


def test_an_entity_csv_without_rows_has_no_members(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("customer_id,score\n", encoding="utf-8")
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "people.csv" key customer_id\nsegment high = score > 2\n', encoding="utf-8")
    assert segdsl.load(path).run(as_of=AS_OF).fetchall() == []


OVERFLOW_MODELS = {
    "add": "feature big = customers.customer_id + 9223372036854775807\n",
    "multiply": "feature big = customers.customer_id * 9223372036854775000\n",
    "count times": "feature big = count(orders) * 9223372036854775000\n",
}


@pytest.mark.parametrize("what", sorted(OVERFLOW_MODELS))
@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_a_whole_number_beyond_64_bits_is_seg315(engine_name: str, what: str, engine, tmp_path: Path) -> None:
    """Never a wrapped value nor an engine's raw message: SEG315 on every engine, before any output."""
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "customers" key customer_id\n'
                    'events orders from "orders" by customer_id at ordered_at\n' + OVERFLOW_MODELS[what],
                    encoding="utf-8")
    model = segdsl.load(path)
    out = tmp_path / "members.parquet"
    target = engine.target()
    try:
        with pytest.raises(SegError) as caught:
            run_model(model, target, AS_OF, {}, output=out)
    finally:
        target.close()
    codes = [d.code for d in caught.value.diagnostics]
    assert codes == ["SEG315"], caught.value
    assert "64-bit" in caught.value.diagnostics[0].message
    assert not out.exists()


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_a_sum_beyond_64_bits_is_a_real_number_on_every_engine(engine_name: str, engine, tmp_path: Path) -> None:
    """Sums add exactly in DECIMAL(38, 9) (SQLite: integer halves), so a total past 2⁶³ is not an overflow."""
    table = f"defects_big_{uuid.uuid4().hex[:6]}"
    from tests.support.conformance.data import Table

    engine.add(Table(table, (("customer_id", "int"), ("ordered_at", "date"), ("amount", "int")),
                     ((1, dt.date(2026, 6, 1), 9223372036854775000), (1, dt.date(2026, 6, 2), 9223372036854775000),
                      (2, dt.date(2026, 6, 1), -7))))
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "customers" key customer_id\n'
                    f'events orders from "{table}" by customer_id at ordered_at\n'
                    "feature total = sum(orders.amount)\nfeature mean = avg(orders.amount)\n", encoding="utf-8")
    model = segdsl.load(path)
    target = engine.target()
    try:
        from segdsl.engines.execution import members

        got = {r["customer_id"]: r for r in members(model, target, AS_OF, {}).read_all().to_pylist()}
    finally:
        target.close()
    assert got[1]["total"] == float(2 * 9223372036854775000) and got[1]["mean"] == 9223372036854775000.0
    assert got[2]["total"] == -7.0 and got[2]["mean"] == -7.0


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_csv_output_writes_zero_without_a_sign(engine_name: str, engine, tmp_path: Path) -> None:
    """-(x * 0) is -0.0 on DuckDB and PostgreSQL and 0 on SQLite and MariaDB: a CSV file says 0 for all."""
    path = tmp_path / "m.seg"
    path.write_text('entity customers from "customers" key customer_id\n'
                    'events orders from "orders" by customer_id at ordered_at\n'
                    "feature spent = sum(orders.amount)\nfeature z = -(spent * 0)\n", encoding="utf-8")
    out = tmp_path / "members.csv"
    target = engine.target()
    try:
        run_model(segdsl.load(path), target, AS_OF, {}, output=out)
    finally:
        target.close()
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    spent = [r for r in rows if r["spent"] != ""]
    assert spent and all(r["z"] == "0" for r in spent)
    assert all(r["z"] == "" for r in rows if r["spent"] == "")
