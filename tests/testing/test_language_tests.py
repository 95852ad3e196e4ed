"""Tests written in .seg files: parsing, checking, running on DuckDB, the failure diff, output formats.

The runner's answers on fixtures are compared with the independent reference
evaluator (tests/support/reference.py), and every example's tests are run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from segdsl import engines
from segdsl.lang.formatter import format_text
from segdsl.lang.parser import parse
from segdsl.lang.syntax import without_spans
from segdsl.testing.prepare import prepare
from segdsl.testing.runner import load, main_tests, membership, run_files
from segdsl.tools.cli import app
from tests.support.paths import EXAMPLES
from tests.support.reference import evaluate

MODEL = """\
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
param vip_spend: number = 1000
feature revenue = sum(orders.amount)
feature orders_90d = count(orders in last 90 days)
segment vip "Top spenders" = revenue >= vip_spend and orders_90d >= 2
segmentation tier { big = revenue >= 500  else small }
holdout vip_test = vip split 50% a, 50% b seed "s"
"""

PASSING = MODEL + """
test vip_needs_recent_orders "VIP: big spend and two orders in the last 90 days" {
  as_of @2026-06-30
  customers (customer_id, signup_date) { 1, @2025-01-01; 2, @2025-01-01; 3, @2025-01-01 }
  orders (customer_id, ordered_at, amount) {
    1, @2026-06-01, 900; 1, @2026-06-20, 300
    2, @2025-01-01, 5000
  }
  expect vip = [1]
  expect vip not in [2, 3]
  expect tier.big contains [1, 2]
  expect tier.small = [3]
  expect revenue of 2 = 5000
  expect revenue of 3 is missing
  expect vip of 1 = true
  expect tier of 3 = "small"
}
"""

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.seg"))


def write(tmp_path: Path, text: str, name: str = "model.seg") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


# ── syntax ──────────────────────────────────────────────────────────────────


def test_test_blocks_are_kept_apart_from_definitions():
    tree = parse(PASSING, "m.seg")
    assert len(tree.definitions) == 8
    (test,) = tree.tests
    assert (test.name.text, test.label, test.as_of.value) == (
        "vip_needs_recent_orders", "VIP: big spend and two orders in the last 90 days", dt.date(2026, 6, 30))
    customers, orders = test.fixtures
    assert [c.text for c in orders.columns] == ["customer_id", "ordered_at", "amount"]
    # rows separated by `;` and by line breaks alike
    assert [[v.value for v in r.values] for r in orders.rows] == [
        [1, dt.date(2026, 6, 1), 900], [1, dt.date(2026, 6, 20), 300], [2, dt.date(2025, 1, 1), 5000]]
    kinds = [e.kind for e in test.expects]
    assert kinds == ["members", "not_in", "contains", "members", "value", "missing", "value", "value"]
    assert test.expects[2].subject_text == "tier.big"
    assert test.expects[4].key.value == 2 and test.expects[4].value.value == 5000


def test_fixture_values_params_and_files():
    text = MODEL + """
test t {
  as_of @2026-06-30
  params { vip_spend = 10, }
  customers (customer_id, signup_date) { 1, missing; -2, @2025-01-01T10:30 }
  orders from "orders.csv"
  expect vip = []
}
"""
    (test,) = parse(text).tests
    assert [(p.name.text, p.value.value) for p in test.params] == [("vip_spend", 10)]
    assert [[v.value for v in r.values] for r in test.fixtures[0].rows] == [
        [1, None], [-2, dt.datetime(2025, 1, 1, 10, 30)]]
    assert test.fixtures[1].file == "orders.csv" and test.expects[0].keys == ()


def test_formatting_keeps_what_a_test_says_and_settles():
    messy = PASSING.replace("  expect vip = [1]", "  expect   vip=[ 1 ]   # the one\n").replace(
        "{ 1, @2025-01-01; 2, @2025-01-01; 3, @2025-01-01 }", "{1,@2025-01-01;2,@2025-01-01\n3,@2025-01-01}")
    out = format_text(messy)
    assert without_spans(parse(out)) == without_spans(parse(messy))
    assert format_text(out) == out
    assert "  expect vip = [1]  # the one\n" in out
    assert "    3, @2025-01-01\n" in out


def test_a_test_is_not_a_definition_keyword_elsewhere():
    # `test` stays usable as a name where the grammar expects a name
    text = 'entity c from "c" key id\nfeature test = id + 1\nsegment s = test > 2\n'
    assert [d.name.text for d in parse(text).definitions[1:]] == ["test", "s"]


# ── running ─────────────────────────────────────────────────────────────────


def test_a_passing_test(tmp_path: Path):
    result = cli("test", str(write(tmp_path, PASSING)))
    assert result.exit_code == 0, result.output
    assert "ok   " in result.stdout and "1 test on duckdb: 1 passed" in result.stdout


def test_a_failing_test_shows_the_diff_at_the_expect_and_explains_each_member(tmp_path: Path):
    wrong = PASSING.replace("expect vip = [1]", "expect vip = [2, 3]")
    path = write(tmp_path, wrong)
    result = cli("test", str(path))
    assert result.exit_code == 1
    line = next(i for i, x in enumerate(wrong.splitlines(), 1) if "expect vip = [2, 3]" in x)
    assert f"FAIL {path}:{line}:3: vip_needs_recent_orders: expect vip = [2, 3]" in result.stderr
    assert "missing: 2, 3; unexpected: 1; actual: [1]" in result.stderr
    # the explanation of `segdsl explain`, computed on the fixtures, for each wrong member
    assert 'segment vip "Top spenders": OUT' in result.stderr and 'segment vip "Top spenders": IN' in result.stderr
    assert "revenue >= vip_spend" in result.stderr
    assert "0 passed, 1 failed" in result.stdout


@pytest.mark.parametrize("wrong,shown", [
    ("expect vip not in [2, 3]", ("expect vip not in [1, 3]", "in, expected not in: 1")),
    ("expect tier.big contains [1, 2]", ("expect tier.big contains [1, 3]", "expected in, not in: 3")),
    ("expect revenue of 2 = 5000", ("expect revenue of 2 = 4999.5", "expected 4999.5, got 5000")),
    ("expect revenue of 3 is missing", ("expect revenue of 1 is missing", "expected missing, got 1200")),
    ("expect tier of 3 = \"small\"", ("expect tier of 3 = \"big\"", 'expected "big", got "small"')),
])
def test_each_kind_of_expectation_can_fail(tmp_path: Path, wrong: str, shown: tuple[str, str]):
    result = cli("test", str(write(tmp_path, PASSING.replace(wrong, shown[0]))), "--no-explain")
    assert result.exit_code == 1
    assert shown[0] in result.stderr and shown[1] in result.stderr


def test_params_and_as_of_change_the_answer(tmp_path: Path):
    text = PASSING.replace("as_of @2026-06-30", "as_of @2026-06-30\n  params { vip_spend = 5000 }")
    result = cli("test", str(write(tmp_path, text)), "--no-explain")
    assert result.exit_code == 1 and "missing: 1" in result.stderr
    later = PASSING.replace("as_of @2026-06-30", "as_of @2026-12-31")  # both orders leave the window
    result = cli("test", str(write(tmp_path, later)), "--no-explain")
    assert "missing: 1" in result.stderr


def test_members_after_as_of_are_not_members(tmp_path: Path):
    text = MODEL + """
test later_signup {
  as_of @2026-06-30
  customers (customer_id, signup_date) { 1, @2026-07-01 }
  orders (customer_id, ordered_at, amount) { 1, @2026-06-01, 900; 1, @2026-06-20, 300 }
  expect vip = []
  expect revenue of 1 is missing
}
"""
    assert cli("test", str(write(tmp_path, text))).exit_code == 0


def test_csv_fixture_next_to_the_test_and_a_test_file_importing_the_model(tmp_path: Path):
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib", MODEL, "model.seg")
    (tmp_path / "orders_fixture.csv").write_text(
        "customer_id,ordered_at,amount\n1,2026-06-01,900\n1,2026-06-20,300.5\n2,2025-01-01,\n", encoding="utf-8")
    test_file = write(tmp_path, 'import "lib/model.seg"\n\n' + """
test from_csv {
  as_of @2026-06-30
  customers (customer_id, signup_date) { 1, @2025-01-01; 2, @2025-01-01 }
  orders from "orders_fixture.csv"
  expect vip = [1]
  expect revenue of 1 = 1200.5
  expect revenue of 2 is missing
}
""", "model_test.seg")
    result = cli("test", str(test_file))
    assert result.exit_code == 0, result.output + result.stderr


def test_check_and_run_leave_tests_aside_but_check_them(tmp_path: Path):
    path = write(tmp_path, PASSING)
    assert cli("check", str(path), "--no-lint").exit_code == 0
    bad = write(tmp_path, PASSING.replace("expect vip = [1]", "expect vip = [9]"), "bad.seg")
    result = cli("check", str(bad), "--no-lint")
    assert result.exit_code == 1 and "error[SEG135]: member 9 is not in the fixture of `customers`" in result.stderr
    # compile: the SQL of a model with tests is that of the model alone
    plain = write(tmp_path, MODEL, "plain.seg")
    assert cli("compile", str(path)).stdout.split("\n", 2)[2] == cli("compile", str(plain)).stdout.split("\n", 2)[2]


@pytest.mark.parametrize("change,code,message", [
    ("customers (customer_id, signup_date) {", "SEG131", "the model has no entity or events `customrs`"),
    ("expect vip = [1]", "SEG134", "`revenue` is a feature: it has values, not members"),
    ("expect revenue of 2 = 5000", "SEG133", "`revenue` is a number, not \"a lot\""),
    ("as_of @2026-06-30", "SEG230", "the model has no parameter `vip_spnd`"),
    ("2, @2025-01-01, 5000", "SEG133", "\"2025-01-01\" is a text, but `orders.ordered_at` holds dates"),
])
def test_bad_tests_are_coded_diagnostics(tmp_path: Path, change: str, code: str, message: str):
    replacement = {
        "customers (customer_id, signup_date) {": "customrs (customer_id, signup_date) {",
        "expect vip = [1]": "expect revenue = [1]",
        "expect revenue of 2 = 5000": 'expect revenue of 2 = "a lot"',
        "as_of @2026-06-30": "as_of @2026-06-30\n  params { vip_spnd = 1 }",
        "2, @2025-01-01, 5000": '2, "2025-01-01", 5000',
    }[change]
    result = cli("test", str(write(tmp_path, PASSING.replace(change, replacement))))
    assert result.exit_code == 1
    assert f"error[{code}]: {message}" in result.stderr, result.stderr
    assert "ERR " in result.stdout


def test_huge_number_literal_is_a_coded_error(tmp_path: Path):
    result = cli("check", str(write(tmp_path, 'entity c from "c" key id\nfeature x = ' + "9" * 5000 + "\n")))
    assert result.exit_code == 1
    assert "error[SEG202]: the number `999999999999…(5000 characters)` is out of range" in result.stderr
    assert "SEG900" not in result.stderr


def test_definition_named_like_an_operator_needs_backticks(tmp_path: Path):
    bad = cli("check", str(write(tmp_path, 'entity c from "c" key id\nsegment and = id > 1\n')))
    assert bad.exit_code == 1 and "error[SEG004]: `and` is a word of the language" in bad.stderr
    good = write(tmp_path, 'entity c from "c" key id\nsegment `and` = id > 1\nsegment s = `and` or id < 0\n', "ok.seg")
    assert cli("check", str(good), "--no-lint").exit_code == 0


# ── output formats ──────────────────────────────────────────────────────────


def test_json_junit_and_github_formats(tmp_path: Path):
    path = write(tmp_path, PASSING.replace("expect vip = [1]", "expect vip = [2]"))
    data = json.loads(cli("test", str(path), "--format", "json").stdout)
    assert data["summary"] == {"tests": 1, "passed": 0, "failed": 1, "errors": 0, "files_with_errors": 0}
    first = data["files"][0]["tests"][0]["expectations"][0]
    assert (first["passed"], first["missing"], first["unexpected"], first["actual"]) == (False, [2], [1], [1])
    assert len(first["explanations"]) == 2

    xml = ET.fromstring(cli("test", str(path), "--format", "junit").stdout)
    (case,) = xml.iter("testcase")
    assert case.get("name") == "vip_needs_recent_orders" and case.find("failure") is not None
    assert "missing: 2; unexpected: 1" in case.find("failure").get("message")

    github = cli("test", str(path), "--format", "github").stdout
    line = next(i for i, x in enumerate(PASSING.splitlines(), 1) if "expect vip = [1]" in x)
    assert f"::error file={path},line={line},col=3,title=segdsl test vip_needs_recent_orders failed::" in github


def test_usage_errors_exit_2(tmp_path: Path):
    path = write(tmp_path, PASSING)
    assert cli("test", str(path), "--format", "yaml").exit_code == 2
    assert cli("test", str(path), "--name", "nope").exit_code == 2
    assert cli("test", str(tmp_path / "absent.seg")).exit_code == 2


# ── the examples ────────────────────────────────────────────────────────────


def test_every_example_ships_tests_that_pass():
    files = run_files(EXAMPLE_FILES, lambda root: engines.open_duckdb(None, root))
    for f in files:
        assert not f.errors, f.errors
        assert f.results, f"{f.path} has no test"
        for r in f.results:
            assert r.passed, (f.path, r.name, r.errors, [o.summary() for o in r.outcomes if not o.passed])


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return str(a)[:10] == str(b)[:10] if type(a) is not type(b) else a == b
    return a == b


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_answers_on_fixtures_equal_the_reference_evaluator(path: Path):
    loaded = load(path)
    engine = engines.open_duckdb(None, path.parent)
    try:
        for test in main_tests(loaded.program):
            prepared = prepare(test, loaded.ir, loaded.program.files, path.parent)
            ir, _, rows = membership(prepared, loaded.program, engine)
            tables = {src: [dict(zip(tb.columns, r)) for r in tb.rows] for src, tb in prepared.tables.items()}
            expected = evaluate(ir, tables, prepared.as_of, prepared.params)
            assert set(rows) == set(expected), test.name.text
            for key, values in expected.items():
                for name, value in values.items():
                    got = rows[key].get(name)
                    if name in ir.segmentations or name in ir.holdouts:
                        got, value = (None if got is None else str(got)), (None if value is None else str(value))
                    assert _same(value, got), (test.name.text, key, name, value, got)
    finally:
        engine.close()


def test_a_changed_definition_fails_a_shipped_test(tmp_path: Path):
    for f in EXAMPLES.iterdir():
        shutil.copy(f, tmp_path)
    retail = tmp_path / "retail.seg"
    retail.write_text(retail.read_text(encoding="utf-8").replace(
        "revenue >= vip_spend and orders_90d >= 2", "revenue > vip_spend and orders_90d >= 2"), encoding="utf-8")
    result = cli("test", str(retail))
    assert result.exit_code == 1
    assert "expect vip = [1]" in result.stderr and "missing: 1" in result.stderr
    assert "✗ revenue > vip_spend" in result.stderr  # the explanation names the condition that failed


def test_coverage_lists_what_no_test_expects(tmp_path: Path):
    path = write(tmp_path, PASSING)
    text = cli("test", str(path), "--coverage").stdout
    # vip, tier.big and tier.small are expected; the holdout's arms are not
    assert "coverage: 3 of 5 segments, cases and arms are expected by a test" in text
    assert f"not covered: {path}:8: arm vip_test.a" in text.replace(str(path.resolve()), str(path))
    data = json.loads(cli("test", str(path), "--coverage", "--format", "json").stdout)["coverage"]
    assert (data["total"], data["covered"]) == (5, 3)
    assert {i["name"] for i in data["not_covered"]} == {"vip_test.a", "vip_test.b"}


def test_create_writes_a_test_from_real_data_that_passes(tmp_path: Path):
    import duckdb

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES (1, DATE '2024-01-01', 'Kraków'), "
                "(2, DATE '2025-01-01', 'Łódź'), (3, DATE '2025-01-01', 'Gdańsk')) t(customer_id, signup_date, city)")
    con.execute("CREATE TABLE orders AS SELECT * FROM (VALUES (1, TIMESTAMP '2026-06-01 10:00', 900.0), "
                "(1, TIMESTAMP '2026-06-20 10:00', 300.5), (2, TIMESTAMP '2025-01-01 10:00', 5000.0), "
                "(3, TIMESTAMP '2026-06-01 10:00', 1.0)) t(customer_id, ordered_at, amount)")
    con.close()
    model = write(tmp_path, MODEL.replace('"customers"', '"customers"'))
    result = cli("test", str(model), "--create", "from_shop", "--member", "1", "--member", "2", "--db", str(db),
                 "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.stderr
    block = result.stdout
    assert "as_of @2026-06-30" in block and "expect vip = [1]" in block and "expect tier.big = [1, 2]" in block
    assert "3," not in block  # only the members asked for
    assert "1, @2026-06-20T10:00, 300.5" in block
    model.write_text(MODEL + "\n" + block, encoding="utf-8")
    assert cli("test", str(model)).exit_code == 0
    absent = cli("test", str(model), "--create", "x", "--member", "9", "--db", str(db), "--as-of", "2026-06-30")
    assert absent.exit_code == 2 and "no member of `customers` has customer_id 9" in absent.stderr
