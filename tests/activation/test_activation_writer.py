"""Audience files: exact headers, RFC 4180 CSV, Parquet, all-or-nothing writes, demo data end to end."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import segdsl
from segdsl.activation import writer
from segdsl.activation.writer import write_audience
from segdsl.lang.diagnostics import SegError
from tests.support.paths import EXAMPLES

ROWS = {
    "id": [1, 2, 3, 4],
    "email": [" Ann@Example.com", "bob@example.com", None, "not-an-address"],
    "first": ['Ann "Nancy"', "Bob, Jr.", "Zoë\nLine", " "],
    "country": ["PL", "US", "gb", None],
}
MAPPING = {"external_id": "id", "email": "email", "first_name": "first", "country": "country"}


def test_csv_has_the_exact_header_and_reads_back_with_the_csv_module(tmp_path):
    path = tmp_path / "crm.csv"
    report = write_audience("csv", [pa.RecordBatch.from_pydict(ROWS)], path, MAPPING)
    raw = path.read_bytes()
    assert raw.startswith(b"external_id,email,first_name,country\n")
    assert b"Ann@" not in raw and b'"Ann ""Nancy""' in raw  # quoted only because of its quotes
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows == [["external_id", "email", "first_name", "country"],
                    ["1", "ann@example.com", 'Ann "Nancy"', "PL"],
                    ["2", "bob@example.com", "Bob, Jr.", "US"],
                    ["3", "", "Zoë Line", "GB"],  # a name keeps single spaces
                    ["4", "", "", ""]]
    assert report.lines() == ["email: 1 without @"]
    assert writer.csv_field(pa.array(["a\nb", "x\r", None, "", "plain"])).to_pylist() == [
        '"a\nb"', '"x\r"', "", "", "plain"]


def test_ad_platform_headers_are_written_bare(tmp_path):
    write_audience("google_ads", [pa.RecordBatch.from_pydict(ROWS)], tmp_path / "g.csv",
                   {"email": "email", "first_name": "first", "country": "country"})
    assert (tmp_path / "g.csv").read_text().splitlines()[0] == "Email,First Name,Country"
    assert writer.csv_header(["Email", "a,b", 'say "hi"']) == b'Email,"a,b","say ""hi"""\n'


def test_parquet_holds_the_same_rows_as_csv(tmp_path):
    batches = [pa.RecordBatch.from_pydict(ROWS)]
    write_audience("parquet", batches, tmp_path / "crm.parquet", MAPPING)
    table = pq.read_table(tmp_path / "crm.parquet")
    assert table.schema.names == ["external_id", "email", "first_name", "country"]
    assert table.column("email").to_pylist() == ["ann@example.com", "bob@example.com", None, None]
    assert table.column("external_id").to_pylist() == ["1", "2", "3", "4"]


def test_large_batches_hash_like_hashlib(tmp_path):
    """Batches above 20,000 rows are hashed by DuckDB; every digest must equal hashlib's."""
    n = 45_000
    emails = [f"  User.{i}@Example{i % 7}.COM " if i % 11 else f"broken{i}" for i in range(n)]
    table = pa.table({"e": emails})
    report = write_audience("meta", table.to_batches(max_chunksize=30_000), tmp_path / "m.csv", {"email": "e"})
    lines = (tmp_path / "m.csv").read_text().splitlines()
    expected = [hashlib.sha256(e.strip().lower().encode()).hexdigest() for e in emails if "@" in e]
    assert lines[0] == "email" and lines[1:] == expected
    assert report.rows_out == len(expected) and report.invalid[("email", "without @")] == n - len(expected)


def _failing(after: int, exc: BaseException):
    for i in range(after):
        yield pa.RecordBatch.from_pydict({k: v for k, v in ROWS.items()})
    raise exc


@pytest.mark.parametrize("exc", [RuntimeError("the engine went away"), KeyboardInterrupt()])
def test_an_interrupted_export_leaves_no_partial_file(tmp_path, exc):
    path = tmp_path / "audience.csv"
    path.write_text("the previous export\n")
    with pytest.raises(type(exc)):
        write_audience("meta", _failing(2, exc), path, {"email": "email"})
    assert path.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audience.csv"]
    fresh = tmp_path / "new.parquet"
    with pytest.raises(type(exc)):
        write_audience("parquet", _failing(1, exc), fresh, {"email": "email"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audience.csv"]


def test_a_failed_rename_is_a_coded_error(tmp_path, monkeypatch):
    def no_room(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", no_room)
    with pytest.raises(SegError) as info:
        write_audience("csv", [pa.RecordBatch.from_pydict(ROWS)], tmp_path / "x.csv", {"email": "email"})
    d = info.value.diagnostics[0]
    assert (d.code, d.message) == ("SEG308", f"cannot write `{tmp_path / 'x.csv'}`: No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_bad_paths_are_coded_errors(tmp_path):
    with pytest.raises(SegError) as info:
        write_audience("meta", [], tmp_path / "meta.parquet", {"email": "email"})
    d = info.value.diagnostics[0]
    assert (d.code, d.message, d.hint) == ("SEG307", f"cannot write Meta (Custom Audience customer list) to "
                                           f"`{tmp_path / 'meta.parquet'}`", "the file for `meta` must end in .csv")
    with pytest.raises(SegError) as info:
        write_audience("csv", [], tmp_path / "nowhere" / "x.csv", {"email": "email"})
    assert info.value.diagnostics[0].code == "SEG307"


def test_an_empty_audience_is_a_header_only_file(tmp_path):
    report = write_audience("tiktok", [], tmp_path / "t.csv", {"email": "email", "phone": "p"})
    assert (tmp_path / "t.csv").read_text() == "Email_SHA256,Phone_SHA256\n"
    assert report.rows_in == 0


def test_win_back_audience_from_the_demo_shop(demo_db: Path, tmp_path):
    """Members of a segment straight from DuckDB in batches into Meta's file; checked row by row."""
    import duckdb

    model = segdsl.load(EXAMPLES / "lifecycle_campaign.seg")
    con = duckdb.connect(str(demo_db), read_only=True)
    members = model.run(connection=con, as_of="2026-06-30")
    audience = con.sql(f"WITH members AS ({members.sql_query()}) "
                       "SELECT c.customer_id, c.email, c.country, c.city FROM members m "
                       "JOIN customers c USING (customer_id) WHERE m.win_back ORDER BY c.customer_id")
    expected = audience.fetchall()
    assert len(expected) > 100
    batches = getattr(audience, "to_arrow_reader", None) or audience.fetch_record_batch  # DuckDB 2 / 1
    report = write_audience("meta", batches(97), tmp_path / "win_back.csv",
                            {"email": "email", "country": "country", "city": "city"})
    rows = list(csv.DictReader((tmp_path / "win_back.csv").open(newline="")))
    con.close()
    assert report.rows_in == len(expected) == len(rows) and report.rows_without_identifier == 0

    def h(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    import unicodedata
    for (_, email, country, city), row in zip(expected, rows):
        assert row["email"] == h(email.strip().lower())
        assert row["country"] == h(country.lower())
        letters = "".join(ch for ch in unicodedata.normalize("NFC", city or "").lower() if ch.isalpha())
        assert row["ct"] == (h(letters) if letters else "")
