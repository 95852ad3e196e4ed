"""`audience` definitions and `segdsl export`: the destination's file for the members of a segment, case or arm.

The demo shop (3,000 customers) runs a win-back model with a holdout. What
the file holds is checked against an independent computation: the members
from `segdsl run` on the same data, their identifiers read from the source
table by DuckDB, normalised and hashed by DuckDB's own SQL (lower, trim,
sha256) — not by the rules under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl import engines
from segdsl.activation import export as ex
from segdsl.engines.execution import members as run_members
from segdsl.lang.diagnostics import SegError
from segdsl.lang.formatter import format_text
from segdsl.lang.parser import parse
from segdsl.lang.syntax import without_spans
from segdsl.tools.cli import app

AS_OF = dt.date(2026, 3, 31)
MODEL = """
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at

feature orders_90d  = count(orders in last 90 days)
feature orders_prev = count(orders in previous 90 days)
feature mail        = customers.email
segment win_back    = orders_prev >= 1 and orders_90d = 0
holdout win_back_test = win_back split 80% campaign, 20% control seed "win-back"

audience wb_meta   = win_back_test.campaign to meta (email: customers.email, country: country, city: city)
audience wb_google = win_back to google_ads (email: mail, country: country)
audience wb_plain  = win_back to parquet (external_id: customer_id, email: customers.email, country: country)
"""
runner = CliRunner()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.seg"
    path.write_text(MODEL, encoding="utf-8")
    return path


def arm_members(demo_db: Path, model_file: Path, owner: str, case: str | None) -> set[int]:
    """The members `segdsl run` puts in a segment or an arm: the oracle of who is in the file."""
    model = segdsl.load(model_file)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        table = run_members(model, engine, AS_OF, outputs=[owner]).read_all()
    keys, flags = table.column("customer_id").to_pylist(), table.column(owner).to_pylist()
    return {k for k, f in zip(keys, flags) if (f is True if case is None else f == case)}


def expected(demo_db: Path, keys: set[int], sql: str) -> list[tuple]:
    """Each member's identifiers computed by DuckDB's SQL from the raw table."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        con.register("wanted", pa.table({"k": sorted(keys)}))
        return sorted(con.sql(f"SELECT {sql} FROM customers JOIN wanted ON customer_id = k").fetchall())
    finally:
        con.close()


def read_csv(path: Path) -> tuple[list[str], list[tuple]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], sorted(tuple(r) for r in rows[1:])


def test_meta_file_holds_the_campaign_arm_hashed(demo_db: Path, model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "wb.csv"
    result = runner.invoke(app, ["export", str(model_file), "--audience", "wb_meta", "--db", str(demo_db),
                                 "--as-of", AS_OF.isoformat(), "--output", str(out)])
    assert result.exit_code == 0, result.output
    keys = arm_members(demo_db, model_file, "win_back_test", "campaign")
    assert 100 < len(keys) < 1000  # the demo shop has a real arm to send
    header, rows = read_csv(out)
    assert header == ["email", "ct", "country"]  # Meta's template names, in its order
    want = expected(demo_db, keys, "sha256(lower(trim(email))), "
                    "CASE WHEN city IS NULL OR trim(city) = '' THEN '' ELSE "
                    "sha256(regexp_replace(nfc_normalize(lower(city)), '[^\\p{L}]', '', 'g')) END, "
                    "sha256(lower(country))")
    assert rows == want
    assert f"wrote {len(keys):,} members of `wb_meta`" in result.output
    missing_city = sum(1 for r in want if r[1] == "")
    assert f"city: {len(keys) - missing_city:,} written, {missing_city:,} missing, 0 invalid" in result.output


def test_google_and_plain_files(demo_db: Path, model_file: Path, tmp_path: Path) -> None:
    model = segdsl.load(model_file)
    keys = arm_members(demo_db, model_file, "win_back", None)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        google = ex.export(model, engine, "wb_google", tmp_path / "g.csv", AS_OF)
        plain = ex.export(model, engine, "wb_plain", tmp_path / "p.parquet", AS_OF)
    assert google.report.rows_out == plain.report.rows_out == len(keys)
    header, rows = read_csv(tmp_path / "g.csv")
    assert header == ["Email", "Country"]  # Google hashes e-mail, keeps the country in clear, upper case
    # Google's rule: trimmed, lower case, and for gmail.com / googlemail.com without dots or a +tag
    gmail = "split_part(lower(trim(email)), '@', 2) IN ('gmail.com', 'googlemail.com')"
    assert any(r[0] for r in expected(demo_db, keys, gmail))  # the demo shop has such addresses
    google_email = (f"CASE WHEN {gmail} THEN regexp_replace(regexp_replace(split_part(lower(trim(email)), '@', 1), "
                    "'[+].*$', ''), '[.]', '', 'g') || '@' || split_part(lower(trim(email)), '@', 2) "
                    "ELSE lower(trim(email)) END")
    assert rows == expected(demo_db, keys, f"sha256({google_email}), upper(country)")
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.column_names == ["external_id", "email", "country"]
    got = sorted(zip(*(table.column(c).to_pylist() for c in table.column_names)))
    assert got == expected(demo_db, keys, "CAST(customer_id AS VARCHAR), lower(trim(email)), upper(country)")


def test_invalid_identifiers_are_counted_not_dropped(demo_db: Path, tmp_path: Path) -> None:
    """A copy of the shop with broken e-mails: they are emptied and counted, their rows kept for the country."""
    db = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE customers SET email = 'no-at-sign' WHERE customer_id % 7 = 0")
    con.execute("UPDATE customers SET email = NULL WHERE customer_id % 7 = 1")
    con.close()
    path = tmp_path / "campaign.seg"
    path.write_text(MODEL, encoding="utf-8")
    keys = arm_members(db, path, "win_back", None)
    with engines.open_duckdb(db, tmp_path) as engine:
        done = ex.export(segdsl.load(path), engine, "wb_plain", tmp_path / "p.parquet", AS_OF)
    broken = sum(1 for k in keys if k % 7 == 0)
    blank = sum(1 for k in keys if k % 7 == 1)
    assert broken and blank
    assert done.report.invalid == {("email", "without @"): broken}
    assert done.report.missing["email"] == blank
    assert done.report.rows_out == len(keys)  # every row keeps its external id
    emails = pq.read_table(tmp_path / "p.parquet").column("email").to_pylist()
    assert emails.count(None) == broken + blank


def test_an_interrupted_export_leaves_no_file(demo_db: Path, model_file: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the first batch: no partial file, and an older file at the path stays as it was."""
    out = tmp_path / "wb.csv"
    out.write_text("older\n", encoding="utf-8")
    real = ex._text_columns

    def interrupted(reader, keep):
        for i, batch in enumerate(real(reader, keep)):
            yield batch.slice(0, 5)
            raise KeyboardInterrupt

    monkeypatch.setattr(ex, "_text_columns", interrupted)
    with engines.open_duckdb(demo_db, model_file.parent) as engine, pytest.raises(KeyboardInterrupt):
        ex.export(segdsl.load(model_file), engine, "wb_meta", out, AS_OF)
    assert out.read_text(encoding="utf-8") == "older\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign.seg", "wb.csv"]


def test_bad_options_are_coded(demo_db: Path, model_file: Path, tmp_path: Path) -> None:
    model = segdsl.load(model_file)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        with pytest.raises(SegError) as exc:
            ex.export(model, engine, "wb_mta", tmp_path / "x.csv", AS_OF)
        assert exc.value.diagnostics[0].code == "SEG324" and "wb_meta" in exc.value.diagnostics[0].hint
        with pytest.raises(SegError) as exc:
            ex.export(model, engine, "wb_plain", tmp_path / "x.csv", AS_OF)
        assert exc.value.diagnostics[0].code == "SEG325" and "x.parquet" in exc.value.diagnostics[0].hint
        with pytest.raises(SegError) as exc:
            ex.export(model, engine, "wb_meta", tmp_path / "nowhere" / "x.csv", AS_OF)
        assert exc.value.diagnostics[0].code == "SEG325"
        with pytest.raises(SegError) as exc:
            ex.export(model, engine, "wb_meta", tmp_path / "x.csv", AS_OF, removed=tmp_path / "y.csv")
        assert exc.value.diagnostics[0].code == "SEG325"
    assert not list(tmp_path.glob("*.csv"))


def test_a_missing_identifier_column_is_shown_where_it_is_named(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.seg"
    path.write_text(MODEL.replace("(email: customers.email,", "(email: customers.e_mail,"), encoding="utf-8")
    result = runner.invoke(app, ["export", str(path), "-a", "wb_meta", "--db", str(demo_db), "-o",
                                 str(tmp_path / "x.csv"), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert "error[SEG109]" in result.stderr or "error[SEG101]" in result.stderr, result.stderr
    assert "`e_mail`" in result.stderr
    line = next(i for i, t in enumerate(MODEL.split("\n"), 1) if "wb_meta" in t)
    assert f"m.seg:{line}:" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_audiences_format_and_parse_back() -> None:
    text = MODEL + "audience a_long_name_for_a_test = win_back_test.campaign to tiktok (email: email, " \
                   "phone: customers.email, madid: customer_id)\n"
    formatted = format_text(text, "m.seg")
    assert "audience a_long_name_for_a_test = win_back_test.campaign to tiktok (\n    email: email," in formatted
    assert without_spans(parse(formatted, "m.seg")) == without_spans(parse(text, "m.seg"))
    assert format_text(formatted, "m.seg") == formatted


def test_diff_mode_equals_the_diff_of_two_snapshots(demo_db: Path, model_file: Path, tmp_path: Path) -> None:
    """Entered and left since a snapshot: the same members `segdsl diff` finds between that snapshot and one
    taken at the export's as_of; an older file at --removed stays if the export fails."""
    from segdsl.activation import history

    before = AS_OF - dt.timedelta(days=14)
    model = segdsl.load(model_file)
    store_text = str(tmp_path / "history") + "/"
    for when in (before, AS_OF):
        with engines.open_duckdb(demo_db, model_file.parent) as engine, \
                history.open_store(store_text, None, write=True) as store:
            history.snapshot(model, engine, store, when)
    with history.open_store(store_text) as store:
        history.diff(store, before, AS_OF, tmp_path / "changes.parquet", "win_back_test.campaign")
    changes = pq.read_table(tmp_path / "changes.parquet").to_pylist()
    entered = {int(c["member"]) for c in changes if c["event"] == "entered"}
    exited = {int(c["member"]) for c in changes if c["event"] == "exited"}
    assert entered and exited
    arm_model = tmp_path / "campaign.seg"
    arm_model.write_text(MODEL + "audience wb_plain_arm = win_back_test.campaign to parquet (external_id: "
                         "customer_id)\n", encoding="utf-8")
    args = ["export", str(arm_model), "-a", "wb_plain_arm", "--db", str(demo_db), "--as-of", AS_OF.isoformat(),
            "--store", store_text, "--since", before.isoformat(), "-o", str(tmp_path / "added.parquet"),
            "--removed", str(tmp_path / "gone.parquet")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    added = {int(x) for x in pq.read_table(tmp_path / "added.parquet").column("external_id").to_pylist()}
    gone = {int(x) for x in pq.read_table(tmp_path / "gone.parquet").column("external_id").to_pylist()}
    assert added == entered
    assert gone == exited  # nobody leaves the demo's entity, so every member who left can be removed
    assert f"wrote {len(added):,} entered" in result.output and f"wrote {len(gone):,} left" in result.output
    # a snapshot date the series does not have: coded, and nothing changes
    (tmp_path / "gone.parquet").write_bytes(b"older")
    bad = args[:]
    bad[bad.index("--since") + 1] = (before - dt.timedelta(days=1)).isoformat()
    result = runner.invoke(app, bad)
    assert result.exit_code == 2 and "error[SEG323]" in result.stderr
    assert (tmp_path / "gone.parquet").read_bytes() == b"older"
    assert not list(tmp_path.glob(".*pending*"))


@pytest.mark.parametrize("name", ["sqlite", "postgres", "mysql", "spark", "clickhouse"])
def test_the_same_file_on_every_engine(name: str, demo_db: Path, model_file: Path, tmp_path: Path,
                                       request: pytest.FixtureRequest) -> None:
    """The Meta file computed where the data lives holds the lines DuckDB writes."""
    from tests.reports.test_lift_report import sqlite_copy
    from tests.support.history_places import Place

    model = segdsl.load(model_file)
    with engines.open_duckdb(demo_db, model_file.parent) as engine:
        ex.export(model, engine, "wb_meta", tmp_path / "duckdb.csv", AS_OF)
    place = None
    if name == "sqlite":
        url = f"sqlite:///{sqlite_copy(demo_db, tmp_path)}"
    else:
        place = Place(name, tmp_path / name, demo_db, model_file, request)
    try:
        with (place.engine() if place is not None else engines.open_engine(url, model_file.parent)) as engine:
            done = ex.export(model, engine, "wb_meta", tmp_path / f"{name}.csv", AS_OF)
    finally:
        if place is not None:
            place.cleanup()
    assert done.report.rows_out > 100
    mine = (tmp_path / f"{name}.csv").read_text(encoding="utf-8").split("\n")
    duck = (tmp_path / "duckdb.csv").read_text(encoding="utf-8").split("\n")
    assert mine[0] == duck[0] and sorted(mine) == sorted(duck)  # the same header and lines, in any order


def test_a_long_lift_report_formats_over_lines() -> None:
    text = MODEL + ("report win_back_lift = lift of win_back_test measure exists(orders in next 30 days), "
                    "sum(orders.amount in next 30 days) against control\n").replace("against control",
                                                                                     "against campaign")
    formatted = format_text(text, "m.seg")
    assert ("report win_back_lift = lift of win_back_test\n  measure exists(orders in next 30 days), "
            "sum(orders.amount in next 30 days)\n  against campaign\n") in formatted
    assert without_spans(parse(formatted, "m.seg")) == without_spans(parse(text, "m.seg"))


def test_what_an_audience_sends_counts_as_used(tmp_path: Path) -> None:
    """A feature read only as an identifier and a segment only exported raise no unused-definition note,
    as they do without the audience."""
    text = MODEL.replace("holdout win_back_test", "segment spare = orders_90d > 5\nholdout win_back_test")
    path = tmp_path / "m.seg"
    path.write_text(text.replace("audience wb_google = win_back to google_ads (email: mail, country: country)\n",
                                 ""), encoding="utf-8")
    unused = {f.message for f in segdsl.load(path).lint() if f.code in ("SEG404", "SEG405")}
    assert unused == {"feature `mail` is not used"}
    path.write_text(text + "audience spare_csv = spare to csv (email: mail)\n", encoding="utf-8")
    assert not [f for f in segdsl.load(path).lint() if f.code in ("SEG404", "SEG405")]


def test_national_phone_numbers_read_with_the_country_or_the_region(tmp_path: Path) -> None:
    """Meta's phone is the digits with the country code: a national number is read with the member's country,
    or with --region when the member has none; a number that is not one is counted, never dropped silently."""
    (tmp_path / "people.csv").write_text(
        "id,phone,country\n1,601 234 567,PL\n2,(650) 555-1212,US\n3,601 234 568,\n4,12,PL\n", encoding="utf-8")
    (tmp_path / "m.seg").write_text(
        'entity people from "people.csv" key id\nsegment everyone = true\n'
        "audience all_meta = everyone to meta (phone: phone, country: country)\n", encoding="utf-8")
    out = tmp_path / "p.csv"
    result = runner.invoke(app, ["export", str(tmp_path / "m.seg"), "-a", "all_meta", "--region", "PL", "-o", str(out)])
    assert result.exit_code == 0, result.output
    header, rows = read_csv(out)
    assert header == ["phone", "country"]
    digest = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    assert rows == sorted([(digest("48601234567"), digest("pl")), (digest("16505551212"), digest("us")),
                           (digest("48601234568"), "")])
    assert "phone: 3 written, 0 missing, 1 invalid" in result.output
    assert "1 members without any usable identifier, left out" in result.output  # a country identifies nobody
