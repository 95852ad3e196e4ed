"""Targets: URLs, running in place, compiled DDL executed on real engines, outputs, bad input.

Everything that touches an engine runs on all six verified engines where the
engine can do it, and compares what the engine returns with the reference
evaluator (never with hard-coded rows).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner


import segdsl  # noqa: E402
from tests.support.conformance.compare import assert_same_members  # noqa: E402
from tests.support.conformance.data import TABLES, reference_tables  # noqa: E402
from tests.support.engines import ENGINE_PATHS, VERIFIED_ENGINES  # noqa: E402
from tests.support.reference import evaluate  # noqa: E402
from segdsl import engines  # noqa: E402
from segdsl.engines.execution import compile_for, read_schemas  # noqa: E402
from segdsl.engines.execution import members as run_members  # noqa: E402
from segdsl.engines.execution import run as run_model  # noqa: E402
from segdsl.engines.values import normalise  # noqa: E402
from segdsl.tools.cli import app  # noqa: E402
from segdsl.semantic.model import T  # noqa: E402
from tests.support.paths import CORPUS

AS_OF = dt.date(2026, 6, 30)
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# ── URLs ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("url,dialect,shown", [
    ("duckdb:///shop.duckdb", "duckdb", "duckdb:///shop.duckdb"),
    ("sqlite:////abs/shop.db", "sqlite", "sqlite:///abs/shop.db"),
    ("postgresql://ann:s3cret@db.internal:5433/shop?sslmode=require", "postgres", "postgresql://ann@db.internal:5433/shop"),
    ("postgresql+psycopg2://ann:pw@h/db", "postgres", "postgresql+psycopg2://ann@h/db"),
    ("mysql+pymysql://root:pw@127.0.0.1:3306/test", "mysql", "mysql+pymysql://root@127.0.0.1:3306/test"),
    ("mariadb://u@h/db", "mysql", "mariadb://u@h/db"),
    ("spark://local[*]", "spark", "spark://local[*]"),
    ("sc://spark.internal:15002", "spark", "sc://spark.internal:15002"),
    ("chdb:///tmp/ch", "clickhouse", "chdb:///tmp/ch"),
    ("clickhouse://default:pw@ch:8123/analytics", "clickhouse", "clickhouse://default@ch:8123/analytics"),
])
def test_urls_give_the_dialect_and_never_show_the_password(url: str, dialect: str, shown: str) -> None:
    parsed = engines.parse_target(url)
    assert parsed.dialect == dialect
    assert parsed.redacted() == shown
    assert "pw" not in parsed.redacted() and "s3cret" not in parsed.redacted()


@pytest.mark.parametrize("url", ["postgress://h/db", "not a url", "snowflake://acct/db"])
def test_unknown_targets_are_a_diagnostic_listing_the_forms(url: str) -> None:
    with pytest.raises(segdsl.SegError) as info:
        engines.parse_target(url)
    d = info.value.diagnostics[0]
    assert d.code == "SEG312" and "postgresql://" in d.hint


def test_dialects_command_prints_every_dialect_with_its_tier() -> None:
    from segdsl.sql import dialects

    result = invoke("dialects")
    assert result.exit_code == 0, result.stderr
    for name, d in dialects.DIALECTS.items():
        line = next((x for x in result.stdout.splitlines() if x.strip("│┃ ").startswith(name + " ")), "")
        assert d.tier in line, (name, line)


# ── compiled SQL embedded in each engine ────────────────────────────────────


def statements(sql: str) -> list[str]:
    """The statements of `compile --as view|table` output, without the header and semicolons."""
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("-- "))
    return [s.strip().rstrip(";") for s in body.split(";\n\n") if s.strip()]


def read_back(engine, target: engines.Engine, model: segdsl.Model, relation: str, as_of: dt.date,
              params: dict | None = None):
    """Rows of a view or table as members, streamed and typed like the model's outputs."""
    from segdsl.sql.dialects import qualified_table
    from sqlglot import exp

    compiled = compile_for(model, target, as_of, params)
    return target.stream(exp.select(exp.Star()).from_(qualified_table(relation)).sql(engine.dialect),
                         compiled.columns)


def write_table(model: segdsl.Model, target: engines.Engine, name: str, as_of: dt.date, params: dict) -> int:
    return run_model(model, target, as_of, params, table=name).tally.total


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_compiled_views_and_tables_run_on_the_engine(engine_name: str, engine) -> None:
    """`compile --as view/table` for the engine's dialect, executed there, gives the reference's members.

    Each object is created twice, so replacing an existing view or table works too; the view
    without --as-of follows the engine's current date.
    """
    model = segdsl.load(CORPUS / "keys.seg")
    bindings = engine.ddl_bindings(["accounts", "invoices"])
    today = dt.datetime.now(dt.timezone.utc).date()
    target = engine.target(write=True)
    schemas = read_schemas(target, model.ir)  # what `compile --target URL` reads
    created = []
    try:
        for kind, as_of in (("view", AS_OF), ("table", AS_OF), ("view", None)):
            name = engine.object_name(unique(f"segdsl_{kind}"))
            for _ in range(2):
                sql = model.compile(engine.dialect, as_=kind, name=name, as_of=as_of, bindings=bindings,
                                    schemas=schemas)
                for statement in statements(sql):
                    target.execute(statement)
            created.append((kind, name))
            date = as_of or today
            got = read_back(engine, target, model, name, date)
            assert_same_members(got, evaluate(model.ir, reference_tables(), date, {}), context=f"{kind} {name}")
    finally:
        for kind, name in reversed(created):
            from segdsl.sql.dialects import qualified_table

            try:
                target.execute(f"DROP {kind.upper()} IF EXISTS {qualified_table(name).sql(engine.dialect)}")
            except target.errors:
                pass
        target.close()


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_long_and_segment_outputs_run_on_the_engine(engine_name: str, engine) -> None:
    """`--long` gives one (key, segment) pair per membership; `--segment` the keys of one segment."""
    model = segdsl.load(CORPUS / "keys.seg")
    expected = evaluate(model.ir, reference_tables(), AS_OF, {})
    pairs = set()
    for key, values in expected.items():
        for name, value in values.items():
            if name in model.ir.segments and value is True:
                pairs.add((key, name))
            elif (name in model.ir.segmentations or name in model.ir.holdouts) and value is not None:
                pairs.add((key, f"{name}.{value}"))
    target = engine.target()
    schemas = read_schemas(target, model.ir)
    try:
        for kind in ("long", "segment", "case"):
            sql = model.compile(engine.dialect, long=kind == "long", as_of=AS_OF.isoformat(),
                                segment={"segment": "pro", "case": "q.1"}.get(kind), header=False,
                                bindings=target.bindings, schemas=schemas)
            _, rows = target.fetch(sql)
            if kind == "long":
                got = {(normalise(k, T.TEXT), normalise(s, T.TEXT)) for k, s in rows}
                assert got == pairs
            elif kind == "segment":
                assert sorted(normalise(r[0], T.TEXT) for r in rows) == sorted(
                    k for k, v in expected.items() if v["pro"])
            else:
                assert sorted(normalise(r[0], T.TEXT) for r in rows) == sorted(
                    k for k, v in expected.items() if v["q"] == 1)
    finally:
        target.close()


# ── writing the members into a table of the target ──────────────────────────


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_output_table_is_replaced_atomically(engine_name: str, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new table is built beside the old one and swapped in; a failure leaves the old one intact."""
    model = segdsl.load(CORPUS / "arith.seg")
    name = engine.object_name(unique("segdsl_out"))
    target = engine.target(write=True)
    try:
        for params in ({}, {"limit": "50", "label": "Web"}):
            count = write_table(model, target, name, AS_OF, params)
            expected = evaluate(model.ir, reference_tables(), AS_OF, model.resolve_params(params))
            assert count == len(expected)
            assert_same_members(read_back(engine, target, model, name, AS_OF, params), expected)

        # a failure while building the new table: the old table keeps the last members
        real = target.execute

        def failing(sql: str) -> None:
            if sql.startswith("CREATE TABLE"):
                raise target.errors[0]("disk full")
            real(sql)

        monkeypatch.setattr(target, "execute", failing)
        with pytest.raises(segdsl.SegError) as info:
            write_table(model, target, name, AS_OF, {})
        assert info.value.diagnostics[0].code == "SEG308"
        monkeypatch.undo()
        expected = evaluate(model.ir, reference_tables(), AS_OF, model.resolve_params({"limit": "50", "label": "Web"}))
        assert_same_members(read_back(engine, target, model, name, AS_OF, {"limit": "50", "label": "Web"}), expected)
        from segdsl.sql.dialects import qualified_table

        leftover = qualified_table(name)
        leftover.set("this", __import__("sqlglot").exp.to_identifier(leftover.name + "__segdsl_new", quoted=True))
        assert not target.table_exists(leftover), "the half-built table was not removed"
    finally:
        from segdsl.sql.dialects import qualified_table

        target.execute(f"DROP TABLE IF EXISTS {qualified_table(name).sql(engine.dialect)}")
        target.close()


@pytest.mark.parametrize("engine_name", [e for e in VERIFIED_ENGINES if e != "spark"])
def test_sources_are_read_in_a_read_only_session(engine_name: str, engine) -> None:
    """A target opened for reading refuses to write (Spark has no read-only mode: it only runs SELECTs)."""
    target = engine.target()
    try:
        from sqlglot import exp

        table = exp.to_identifier(unique("segdsl_ro"), quoted=True).sql(engine.dialect)
        statement = {"clickhouse": f"CREATE TABLE {table} (a Int64) ENGINE = Memory"}.get(
            engine.dialect, f"CREATE TABLE {table} (a INTEGER)")
        with pytest.raises(target.errors):
            if engine.dialect == "clickhouse":
                target.fetch(statement)  # fetch is what runs the membership query, with readonly = 2
            else:
                target.execute(statement)
    finally:
        target.close()


@pytest.mark.parametrize("engine_name", ["mysql"])
def test_mariadb_sessions_keep_temporary_tables_of_a_million_members_in_memory(engine_name: str, engine) -> None:
    """Both connections segdsl opens (PyMySQL's, and ConnectorX's that reads the members) may hold 256 MiB
    an internal temporary table, where the server's default of 16 MiB sends a million members' to disk."""
    import importlib.util

    from segdsl.engines.mysql import TEMP_TABLE_BYTES

    query = "SELECT @@max_heap_table_size AS heap, @@tmp_table_size AS tmp"
    target = engine.target()
    try:
        _, rows = target.fetch(query)
        assert all(v >= TEMP_TABLE_BYTES for v in rows[0]), rows
        if importlib.util.find_spec("connectorx") is not None:
            got = target.arrow(query).read_all().to_pylist()
            assert all(v >= TEMP_TABLE_BYTES for v in got[0].values()), got
    finally:
        target.close()


# ── the command line on real targets ────────────────────────────────────────


def _url(engine) -> str | None:
    """A URL for the engine's corpus, as a user would pass it (ClickHouse's chdb session is in-process)."""
    if engine.name == "duckdb":
        return f"duckdb:///{engine.path}"
    if engine.name == "sqlite":
        return f"sqlite:///{engine.path}"
    if engine.name in ("postgres", "mysql", "spark-connect"):
        return engine.url
    if engine.name == "spark":
        return "spark://local[2]"
    return None


@pytest.mark.parametrize("engine_name", [e for e in ENGINE_PATHS if e != "clickhouse"])
def test_run_target_from_the_command_line(engine_name: str, engine, tmp_path: Path) -> None:
    """`segdsl run --target URL` prints the sizes, writes a file and a table of the target."""
    url = _url(engine)
    model_path = CORPUS / "partitions.seg" if engine.name != "spark" else CORPUS / "keys.seg"
    model = segdsl.load(model_path)
    out = tmp_path / "members.parquet"
    binds = [a for source, table in engine.bindings.items() for a in ("--bind", f"{source}={table}")] \
        if engine.name == "spark-connect" else []
    result = invoke("run", model_path, "--target", url, "--as-of", AS_OF, "--output", out, *binds)
    assert result.exit_code == 0, result.stderr
    expected = evaluate(model.ir, reference_tables(), AS_OF, {})
    assert f"{len(expected)} members" in result.stdout
    import duckdb

    rows = duckdb.sql(f"SELECT * FROM '{out}'").fetchall()
    assert len(rows) == len(expected)
    assert {r[0] for r in rows} == set(expected)

    name = engine.object_name(unique("segdsl_cli"))
    result = invoke("run", model_path, "--target", url, "--as-of", AS_OF, "--output", f"table:{name}", *binds)
    assert result.exit_code == 0, result.stderr
    target = engine.target(write=True)
    try:
        assert_same_members(read_back(engine, target, model, name, AS_OF), expected)
        from segdsl.sql.dialects import qualified_table

        target.execute(f"DROP TABLE IF EXISTS {qualified_table(name).sql(engine.dialect)}")
    finally:
        target.close()


@pytest.mark.parametrize("engine_name", VERIFIED_ENGINES)
def test_api_runs_on_an_open_connection(engine_name: str, engine) -> None:
    """Model.run_on takes an open connection or session and leaves it open (chdb allows one per process)."""
    model = segdsl.load(CORPUS / "text.seg")
    target = engine.target()
    connection = getattr(target, "con", None) or getattr(target, "spark", None) or getattr(target, "session", None)
    try:
        members = model.run_on(connection, as_of=AS_OF, bindings=engine.bindings)
        assert_same_members(members, evaluate(model.ir, reference_tables(), AS_OF, {}))
        members = model.run_on(connection, as_of=AS_OF, bindings=engine.bindings)  # still open
        assert members.read_all().num_rows == len(TABLES["customers"].rows)
    finally:
        target.close()


@pytest.mark.parametrize("engine_name", ["spark"])
def test_spark_results_do_not_depend_on_ansi_mode(engine_name: str, engine, spark_session) -> None:
    """The same members with spark.sql.ansi.enabled off (Spark 3's default) as on (Spark 4's default)."""
    was = spark_session.conf.get("spark.sql.ansi.enabled")
    spark_session.conf.set("spark.sql.ansi.enabled", "false")
    try:
        for name in ("arith", "windows"):
            model = segdsl.load(CORPUS / f"{name}.seg")
            target = engine.target()
            try:
                members = run_members(model, target, AS_OF, {}, engine_dates=True).read_all()
            finally:
                target.close()
            assert_same_members(members, evaluate(model.ir, reference_tables(), AS_OF, {}), context=name)
    finally:
        spark_session.conf.set("spark.sql.ansi.enabled", was)


# ── bad input ───────────────────────────────────────────────────────────────


def test_unreachable_server_names_the_url_without_password_and_the_reason(tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text('entity c from "customers" key id\nsegment all = true\n', encoding="utf-8")
    for url in ("postgresql://ann:hunter2@127.0.0.1:1/shop", "mysql+pymysql://ann:hunter2@127.0.0.1:1/shop",
                "clickhouse://ann:hunter2@127.0.0.1:1/shop"):
        result = invoke("run", model, "--target", url)
        assert result.exit_code != 0
        assert "error[SEG313]" in result.stderr, result.stderr
        assert "hunter2" not in result.stderr and "ann@127.0.0.1:1" in result.stderr
        assert "refused" in result.stderr.lower() or "can't connect" in result.stderr.lower() \
            or "failed" in result.stderr.lower(), result.stderr


@pytest.mark.parametrize("scheme", ["duckdb", "sqlite", "chdb"])
def test_a_missing_database_file_or_folder_is_reported_and_not_created(scheme: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources are only read: a mistyped path is SEG313, not a new empty database there."""
    model = tmp_path / "m.seg"
    model.write_text('entity c from "customers" key id\nsegment all = true\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("run", model, "--target", f"{scheme}:///typo_db")
    assert result.exit_code == 2, result.output
    assert "error[SEG313]" in result.stderr and "typo_db" in result.stderr, result.stderr
    assert not (tmp_path / "typo_db").exists()


@pytest.mark.parametrize("engine_name", ["postgres", "mysql", "sqlite"])
def test_missing_table_or_column_on_the_target_points_into_the_model(engine_name: str, engine,
                                                                     tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers" key customer_id\n'
                     'events orders from "no_such_table" by customer_id at ordered_at\n'
                     'segment s = no_such_column > 1\n', encoding="utf-8")
    target = engine.target()
    try:
        with pytest.raises(segdsl.SegError) as info:
            run_members(segdsl.load(model), target, AS_OF, {})
    finally:
        target.close()
    d = info.value.diagnostics[0]
    assert d.code == "SEG305" and "no_such_table" in d.message and d.span.line == 2
    model.write_text('entity customers from "customers" key customer_id\nsegment s = no_such_column > 1\n',
                     encoding="utf-8")
    target = engine.target()
    try:
        with pytest.raises(segdsl.SegError) as info:
            run_members(segdsl.load(model), target, AS_OF, {})
    finally:
        target.close()
    d = info.value.diagnostics[0]
    # a bare name the target's columns do not have (SEG101 names the source it looked in)
    assert d.code in ("SEG101", "SEG109") and "no_such_column" in d.message and "customers" in d.message
    assert d.span.line == 2


# ── compile options ─────────────────────────────────────────────────────────


def test_compile_header_names_the_model_and_its_hash(tmp_path: Path) -> None:
    import hashlib

    model = tmp_path / "k.seg"
    model.write_text((CORPUS / "keys.seg").read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("compile", model, "--dialect", "postgres", "--as", "view", "mart.members")
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("-- segdsl ") and str(model) in first and " for postgres" in first
    digest = segdsl.load(model).content_hash()
    assert digest[:16] in first and len(digest) == len(hashlib.sha256().hexdigest())
    assert "the current date of the engine" in result.stdout  # --as-of today is the default
    assert 'DROP VIEW IF EXISTS "mart"."members"' in result.stdout
    # the same with --as view=NAME; a changed model changes the hash
    same = invoke("compile", model, "--dialect", "postgres", "--as", "view=mart.members")
    assert same.stdout == result.stdout
    model.write_text(model.read_text(encoding="utf-8") + "segment more = true\n", encoding="utf-8")
    assert digest[:16] not in invoke("compile", model, "--dialect", "postgres").stdout.splitlines()[0]


@pytest.mark.parametrize("args", [["--as", "viwe", "x"], ["--as", "view"], ["--as", "query", "x"]])
def test_bad_as_is_a_usage_error(args: list[str]) -> None:
    result = invoke("compile", CORPUS / "keys.seg", *args)
    assert result.exit_code == 2 and "error[SEG307]" in result.stderr, result.stderr


def test_schema_file_makes_text_keys_exact(tmp_path: Path) -> None:
    schema = tmp_path / "schema.toml"
    schema.write_text('[accounts]\naccount_id = "text"\nplan = "text"\nseats = "number"\n'
                      '[invoices]\naccount_id = "text"\nissued_on = "date"\ntotal = "number"\n', encoding="utf-8")
    without = invoke("compile", CORPUS / "keys.seg", "--dialect", "postgres").stdout
    with_types = invoke("compile", CORPUS / "keys.seg", "--dialect", "postgres", "--schema", schema).stdout
    assert "column types unknown" in without and 'COLLATE "C"' not in without
    assert f"column types: {schema}" in with_types and 'p."account_id" COLLATE "C"' in with_types
