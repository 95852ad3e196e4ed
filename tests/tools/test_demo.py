"""The demo data set: reproducible, well-formed, and shaped like a real shop's data."""

from __future__ import annotations

import datetime
import hashlib
import pathlib

import duckdb
import pytest

from segdsl.tools import demo

N = 2000
AS_OF = demo.DEMO_AS_OF
AS_OF_SQL = f"DATE '{AS_OF.isoformat()}'"
END_OF_AS_OF = f"TIMESTAMP '{AS_OF.isoformat()} 23:59:59.999999'"

EXPECTED_SCHEMA = {
    "customers": [
        ("customer_id", "BIGINT"), ("email", "VARCHAR"), ("gender", "VARCHAR"), ("birth_date", "DATE"),
        ("income", "DOUBLE"), ("country", "VARCHAR"), ("city", "VARCHAR"), ("area", "VARCHAR"),
        ("signup_date", "DATE"), ("device", "VARCHAR"), ("platform", "VARCHAR"), ("email_opt_in", "BOOLEAN"),
        ("account_id", "BIGINT"),
    ],
    "orders": [
        ("order_id", "BIGINT"), ("customer_id", "BIGINT"), ("ordered_at", "TIMESTAMP"), ("amount", "DOUBLE"),
        ("margin", "DOUBLE"), ("channel", "VARCHAR"), ("coupon_used", "BOOLEAN"), ("items", "INTEGER"),
        ("category", "VARCHAR"), ("shipping", "VARCHAR"),
    ],
    "web_events": [
        ("customer_id", "BIGINT"), ("event_time", "TIMESTAMP"), ("type", "VARCHAR"), ("page", "VARCHAR"),
    ],
    "accounts": [
        ("account_id", "BIGINT"), ("company", "VARCHAR"), ("industry", "VARCHAR"), ("employees", "INTEGER"),
        ("annual_revenue", "DOUBLE"), ("country", "VARCHAR"), ("plan", "VARCHAR"), ("created_at", "DATE"),
        ("tech_stack", "VARCHAR"),
    ],
    "invoices": [
        ("invoice_id", "BIGINT"), ("account_id", "BIGINT"), ("issued_at", "DATE"), ("amount", "DOUBLE"),
        ("status", "VARCHAR"),
    ],
    "answers": [
        ("customer_id", "BIGINT"), ("question", "VARCHAR"), ("answer", "VARCHAR"), ("answered_at", "TIMESTAMP"),
    ],
    "contacts": [
        ("customer_id", "BIGINT"), ("contacted_at", "TIMESTAMP"), ("topic", "VARCHAR"), ("channel", "VARCHAR"),
    ],
}


def _connect(paths: dict[str, pathlib.Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, path in paths.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def _values(con: duckdb.DuckDBPyConnection, sql: str) -> set:
    return {row[0] for row in con.execute(sql).fetchall()}


@pytest.fixture(scope="module")
def steps() -> list[str]:
    return []


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory, steps: list[str]) -> dict[str, pathlib.Path]:
    return demo.generate(tmp_path_factory.mktemp("demo_a"), customers=N, seed=42, progress=steps.append)


@pytest.fixture(scope="module")
def con(paths: dict[str, pathlib.Path]) -> duckdb.DuckDBPyConnection:
    return _connect(paths)


# --- the call itself -------------------------------------------------------------------------------


def test_writes_the_seven_tables_and_reports_progress(paths, steps):
    assert set(paths) == {"customers", "orders", "web_events", "accounts", "invoices", "answers", "contacts"}
    out_dir = paths["customers"].parent
    for name, path in paths.items():
        assert path == out_dir / f"{name}.parquet"
        assert path.is_file() and path.stat().st_size > 0
    # no temporary files are left behind
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"{n}.parquet" for n in paths)
    assert steps == ["customers", "orders", "web_events", "answers", "contacts", "accounts", "invoices"]


def test_creates_missing_directories_and_replaces_existing_files(tmp_path):
    target = tmp_path / "a" / "b"
    first = demo.generate(target, customers=50, seed=1)
    first["orders"].write_bytes(b"not parquet")
    second = demo.generate(target, customers=50, seed=1)
    con = _connect(second)
    assert _one(con, "SELECT count(*) FROM customers") == 50
    assert _one(con, "SELECT count(*) FROM orders") > 0


@pytest.mark.parametrize("kwargs", [
    {"customers": 0}, {"customers": -5}, {"customers": 2.5}, {"seed": "x"},
    {"orders_per_customer": -1.0}, {"events_per_customer": float("nan")},
])
def test_rejects_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        demo.generate(tmp_path, **{"customers": 10, **kwargs})


def test_as_of_is_the_documented_day():
    assert demo.DEMO_AS_OF == datetime.date(2026, 6, 30)


# --- determinism -----------------------------------------------------------------------------------


def test_same_arguments_give_the_same_data(tmp_path, paths, con):
    again = demo.generate(tmp_path, customers=N, seed=42)
    other = _connect(again)
    for name in paths:
        other.execute(f"CREATE VIEW first_{name} AS SELECT * FROM read_parquet('{paths[name]}')")
        rows = _one(con, f"SELECT count(*) FROM {name}")
        assert rows > 0
        assert _one(other, f"SELECT count(*) FROM {name}") == rows
        # same rows in the same order: compare row by row on the position in the file
        differing = _one(other, f"""
            SELECT count(*)
            FROM read_parquet('{paths[name]}', file_row_number=true) a
            FULL JOIN read_parquet('{again[name]}', file_row_number=true) b USING (file_row_number)
            WHERE a IS DISTINCT FROM b""")
        assert differing == 0, name
        assert _one(other, f"SELECT count(*) FROM (FROM first_{name} EXCEPT ALL FROM {name})") == 0
        # The writer is deterministic too (same DuckDB, same thread count), so the files are identical.
        assert hashlib.sha256(paths[name].read_bytes()).digest() == hashlib.sha256(again[name].read_bytes()).digest()


def test_a_different_seed_gives_different_data(tmp_path, con):
    other = _connect(demo.generate(tmp_path, customers=N, seed=7))
    mine = con.execute("SELECT customer_id, country, signup_date FROM customers ORDER BY 1").fetchall()
    theirs = other.execute("SELECT customer_id, country, signup_date FROM customers ORDER BY 1").fetchall()
    assert len(mine) == len(theirs) == N
    same = sum(a == b for a, b in zip(mine, theirs))
    assert same < N // 10


# --- shape -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(EXPECTED_SCHEMA))
def test_schema(con, table):
    described = [(row[0], row[1]) for row in con.execute(f"DESCRIBE {table}").fetchall()]
    assert described == EXPECTED_SCHEMA[table]


def test_keys_are_dense_and_unique(con):
    assert con.execute("SELECT count(*), count(DISTINCT customer_id), min(customer_id), max(customer_id) "
                       "FROM customers").fetchone() == (N, N, 1, N)
    orders = _one(con, "SELECT count(*) FROM orders")
    assert con.execute("SELECT count(DISTINCT order_id), min(order_id), max(order_id) FROM orders").fetchone() \
        == (orders, 1, orders)
    invoices = _one(con, "SELECT count(*) FROM invoices")
    assert con.execute("SELECT count(DISTINCT invoice_id), min(invoice_id), max(invoice_id) FROM invoices"
                       ).fetchone() == (invoices, 1, invoices)
    assert con.execute("SELECT count(*), count(DISTINCT account_id), min(account_id), max(account_id) "
                       "FROM accounts").fetchone() == (N // 50, N // 50, 1, N // 50)
    assert _one(con, "SELECT count(DISTINCT email) FROM customers") == N


def test_small_populations_still_get_twenty_accounts(tmp_path):
    con = _connect(demo.generate(tmp_path, customers=100))
    assert _one(con, "SELECT count(*) FROM accounts") == 20


def test_referential_integrity(con):
    assert _one(con, "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM customers)") == 0
    assert _one(con, "SELECT count(*) FROM web_events "
                     "WHERE customer_id NOT IN (SELECT customer_id FROM customers)") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE account_id IS NOT NULL "
                     "AND account_id NOT IN (SELECT account_id FROM accounts)") == 0
    assert _one(con, "SELECT count(*) FROM invoices WHERE account_id NOT IN (SELECT account_id FROM accounts)") == 0


def test_no_missing_values_where_none_are_documented(con):
    for table, columns in EXPECTED_SCHEMA.items():
        for column, _ in columns:
            if (table, column) in {("customers", c) for c in ("gender", "birth_date", "income", "city", "account_id")} \
                    | {("answers", "answer")}:  # a skipped question
                continue
            assert _one(con, f"SELECT count(*) FROM {table} WHERE {column} IS NULL") == 0, (table, column)


@pytest.mark.parametrize("column,low,high", [
    ("gender", 0.015, 0.05), ("birth_date", 0.03, 0.075), ("income", 0.07, 0.13), ("city", 0.002, 0.025),
    ("account_id", 0.85, 0.95),
])
def test_missing_value_shares(con, column, low, high):
    share = _one(con, f"SELECT avg(({column} IS NULL)::INTEGER) FROM customers")
    assert low <= share <= high


# --- value domains -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sql,allowed", [
    ("SELECT gender FROM customers WHERE gender IS NOT NULL", {"female", "male", "other"}),
    ("SELECT country FROM customers", {"PL", "DE", "RU", "GB", "FR", "US"}),
    ("SELECT area FROM customers", {"urban", "suburban", "rural"}),
    ("SELECT device FROM customers", {"mobile", "desktop", "tablet"}),
    ("SELECT platform FROM customers", {"ios", "android", "windows", "macos", "linux"}),
    ("SELECT channel FROM orders", {"web", "app", "store"}),
    ("SELECT category FROM orders", {"electronics", "fashion", "home", "beauty", "sports", "books"}),
    ("SELECT type FROM web_events", {"view", "add_to_cart", "checkout", "email_open", "email_click"}),
    ("SELECT industry FROM accounts", {"software", "retail", "manufacturing", "finance", "healthcare", "education"}),
    ("SELECT plan FROM accounts", {"free", "team", "business", "enterprise"}),
    ("SELECT tech_stack FROM accounts", {"aws", "gcp", "azure", "on-prem"}),
    ("SELECT status FROM invoices", {"paid", "open", "overdue"}),
    ("SELECT shipping FROM orders", {"express", "standard", "pickup"}),
    ("SELECT question FROM answers", {"values", "lifestyle", "interest", "need", "personality"}),
    ("SELECT answer FROM answers WHERE question = 'need'",
     {"low_price", "choice", "fast_delivery", "advice", None}),
    ("SELECT topic FROM contacts", {"product_advice", "delivery", "returns", "payment"}),
    ("SELECT channel FROM contacts", {"chat", "phone", "email"}),
])
def test_categorical_domains_are_used_in_full(con, sql, allowed):
    # every documented value occurs, and nothing else does
    assert _values(con, sql) == allowed


def test_cities_match_their_country_and_keep_their_spelling(con):
    pairs = set(con.execute("SELECT DISTINCT country, city FROM customers WHERE city IS NOT NULL").fetchall())
    for country, cities in {
        "PL": {"Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk", "Poznań"},
        "RU": {"Москва", "Санкт-Петербург", "Казань"},
        "DE": {"Berlin", "München"}, "GB": {"London"}, "FR": {"Paris"}, "US": {"New York"},
    }.items():
        assert {(country, city) for city in cities} <= pairs
    cities_by_country: dict[str, set[str]] = {}
    for country, city in pairs:
        cities_by_country.setdefault(country, set()).add(city)
    for country, cities in cities_by_country.items():
        for other, other_cities in cities_by_country.items():
            if other != country:
                assert not cities & other_cities, (country, other)
    # the strings are stored as exact Unicode, not transliterated or escaped
    assert _one(con, "SELECT count(*) FROM customers WHERE city = 'Łódź'") > 0
    assert _one(con, "SELECT count(*) FROM customers WHERE city = 'Санкт-Петербург'") > 0


def test_platform_fits_the_device(con):
    pairs = set(con.execute("SELECT DISTINCT device, platform FROM customers").fetchall())
    assert {p for d, p in pairs if d in ("mobile", "tablet")} <= {"ios", "android"}
    assert {p for d, p in pairs if d == "desktop"} == {"windows", "macos", "linux"}


def test_emails(con):
    assert _one(con, "SELECT count(*) FROM customers WHERE email NOT SIMILAR TO '[a-z]+\\.[0-9]+@[a-z0-9.]+'") == 0
    gmail = _one(con, "SELECT avg((email LIKE '%@gmail.com')::INTEGER) FROM customers")
    assert 0.2 < gmail < 0.8


def test_ages_and_incomes_are_in_range(con):
    low, high = con.execute(f"SELECT min(date_part('year', age({AS_OF_SQL}, birth_date))), "
                            f"max(date_part('year', age({AS_OF_SQL}, birth_date))) FROM customers").fetchone()
    assert 16 <= low <= 20 and 75 <= high <= 90
    low, median, high = con.execute("SELECT min(income), median(income), max(income) FROM customers").fetchone()
    assert 15_000 <= low and high <= 400_000
    assert 25_000 < median < 80_000
    # log-normal: the mean sits well above the median
    assert _one(con, "SELECT avg(income) / median(income) FROM customers") > 1.1


def test_order_values(con):
    assert _one(con, "SELECT count(*) FROM orders WHERE amount <= 0 OR amount <> round(amount, 2)") == 0
    assert _one(con, "SELECT count(*) FROM orders WHERE margin <= 0 OR margin >= amount "
                     "OR margin <> round(margin, 2)") == 0
    assert _one(con, "SELECT count(*) FROM orders WHERE items < 1") == 0
    coupon = _one(con, "SELECT avg(coupon_used::INTEGER) FROM orders")
    assert 0.05 < coupon < 0.4
    # amounts are right-skewed, and electronics baskets cost more than books
    assert _one(con, "SELECT avg(amount) / median(amount) FROM orders") > 1.2
    by_category = dict(con.execute("SELECT category, median(amount) FROM orders GROUP BY 1").fetchall())
    assert by_category["electronics"] > 3 * by_category["books"]


def test_accounts_and_invoices(con):
    low, high = con.execute("SELECT min(employees), max(employees) FROM accounts").fetchone()
    assert low >= 1 and high <= 20_000 and high > 10 * low
    assert _one(con, "SELECT count(*) FROM accounts WHERE annual_revenue <= 0 OR created_at > "
                     f"{AS_OF_SQL}") == 0
    # plans follow company size: no enterprise plans for micro firms, no free plans for large ones
    assert _one(con, "SELECT count(*) FROM accounts WHERE employees < 10 AND plan = 'enterprise'") == 0
    assert _one(con, "SELECT count(*) FROM accounts WHERE employees > 250 AND plan = 'free'") == 0
    assert _one(con, "SELECT count(*) FROM invoices WHERE amount <= 0") == 0
    assert _one(con, "SELECT count(*) FROM invoices i JOIN accounts a USING (account_id) "
                     "WHERE a.plan = 'free' OR i.issued_at < a.created_at") == 0
    assert _one(con, f"SELECT count(*) FROM invoices WHERE issued_at > {AS_OF_SQL} + 30") == 0
    assert _one(con, f"SELECT count(*) FROM invoices WHERE issued_at > {AS_OF_SQL} AND status <> 'open'") == 0


# --- time ----------------------------------------------------------------------------------------------


def test_nothing_happens_before_signup(con):
    assert _one(con, "SELECT count(*) FROM orders JOIN customers USING (customer_id) "
                     "WHERE ordered_at::DATE < signup_date") == 0
    assert _one(con, "SELECT count(*) FROM web_events JOIN customers USING (customer_id) "
                     "WHERE event_time::DATE < signup_date") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE signup_date < DATE '2021-01-01'") == 0


def test_a_little_data_lies_after_as_of(con):
    after = _one(con, f"SELECT avg((ordered_at > {END_OF_AS_OF})::INTEGER) FROM orders")
    assert 0.003 <= after <= 0.03
    assert _one(con, "SELECT max(ordered_at) FROM orders") <= datetime.datetime(2026, 7, 30, 23, 59, 59)
    # orders end on the last second of the as_of day, so the boundary itself is populated
    assert _one(con, f"SELECT count(*) FROM orders WHERE ordered_at::DATE = {AS_OF_SQL}") > 0
    assert _one(con, f"SELECT count(*) FROM web_events WHERE event_time > {END_OF_AS_OF}") > 0
    late = _one(con, f"SELECT count(*) FROM customers WHERE signup_date > {AS_OF_SQL}")
    assert 1 <= late <= 0.02 * N
    assert _one(con, "SELECT max(signup_date) FROM customers") <= AS_OF + datetime.timedelta(days=30)


def test_customers_who_sign_up_after_as_of_have_no_earlier_history(con):
    assert _one(con, f"""SELECT count(*) FROM orders JOIN customers USING (customer_id)
                         WHERE signup_date > {AS_OF_SQL} AND ordered_at <= {END_OF_AS_OF}""") == 0


# --- behaviour -------------------------------------------------------------------------------------------


def test_order_counts_are_skewed_and_match_the_rate(con):
    counts = [row[0] for row in con.execute(
        "SELECT count(o.order_id) FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY c.customer_id"
    ).fetchall()]
    assert len(counts) == N
    mean = sum(counts) / N
    assert 4.5 <= mean <= 5.5
    assert sum(c == 0 for c in counts) / N >= 0.10
    assert sum(c == 1 for c in counts) / N >= 0.05
    assert max(counts) >= 8 * mean
    assert sorted(counts)[N // 2] < mean  # median below the mean: a long tail of heavy buyers
    events = _one(con, "SELECT count(*) FROM web_events") / N
    assert 7.2 <= events <= 8.8


def test_rates_are_honoured(tmp_path):
    con = _connect(demo.generate(tmp_path, customers=N, orders_per_customer=2.0, events_per_customer=3.0))
    assert 1.7 <= _one(con, "SELECT count(*) FROM orders") / N <= 2.3
    assert 2.6 <= _one(con, "SELECT count(*) FROM web_events") / N <= 3.4
    none = _connect(demo.generate(tmp_path / "none", customers=200, orders_per_customer=0, events_per_customer=0))
    assert _one(none, "SELECT count(*) FROM customers") == 200
    assert _one(none, "SELECT count(*) FROM orders") == 0
    assert _one(none, "SELECT count(*) FROM web_events") == 0


def test_recent_buyers_buy_more_often(con):
    # RFM needs structure: customers who bought in the last 90 days have more orders than lapsed ones
    avg_orders = dict(con.execute(f"""
        WITH per AS (
          SELECT customer_id, max(ordered_at) AS last, count(*) AS n
          FROM orders WHERE ordered_at <= {END_OF_AS_OF} GROUP BY 1)
        SELECT last::DATE > {AS_OF_SQL} - 90, avg(n) FROM per GROUP BY 1""").fetchall())
    assert avg_orders[True] > 1.5 * avg_orders[False]


def test_cart_abandoners_exist(con):
    abandoners = _one(con, f"""
        SELECT count(DISTINCT e.customer_id) FROM web_events e
        WHERE e.type = 'add_to_cart' AND e.event_time::DATE > {AS_OF_SQL} - 7 AND e.event_time <= {END_OF_AS_OF}
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = e.customer_id
                          AND o.ordered_at::DATE > {AS_OF_SQL} - 7 AND o.ordered_at <= {END_OF_AS_OF})""")
    assert abandoners >= 0.02 * N


def test_email_events_only_for_opted_in_customers(con):
    assert _one(con, "SELECT count(*) FROM web_events JOIN customers USING (customer_id) "
                     "WHERE type LIKE 'email%' AND NOT email_opt_in") == 0
    assert _one(con, "SELECT count(*) FROM web_events WHERE type LIKE 'email%'") > 0


# --- survey answers and support contacts (segdsl.tools.survey) ---------------------------------------------


def test_survey_answers_have_waves_changes_and_skips(con):
    respondents = _one(con, "SELECT count(DISTINCT customer_id) FROM answers") / N
    assert 0.25 <= respondents <= 0.40
    # one wave answers every question at one moment; some customers answer again later
    assert _one(con, "SELECT count(*) FROM (SELECT customer_id, answered_at FROM answers GROUP BY ALL "
                     "HAVING count(*) <> 5)") == 0
    waves = dict(con.execute("SELECT n, count(*) FROM (SELECT customer_id, count(DISTINCT answered_at) AS n "
                             "FROM answers GROUP BY 1) GROUP BY 1").fetchall())
    assert set(waves) <= {1, 2, 3} and waves[1] > waves.get(2, 0) > 0
    changed = _one(con, "SELECT count(*) FROM (SELECT customer_id, question FROM answers WHERE answer IS NOT NULL "
                        "GROUP BY ALL HAVING count(DISTINCT answer) > 1)")
    assert changed > 0
    skipped = _one(con, "SELECT avg((answer IS NULL)::INTEGER) FROM answers")
    assert 0.03 <= skipped <= 0.09
    assert _one(con, "SELECT count(*) FROM answers JOIN customers USING (customer_id) "
                     "WHERE answered_at::DATE < signup_date") == 0


def test_needs_show_in_behaviour(con):
    # who says they need fast delivery ships express more; who needs advice contacts support more
    express = dict(con.execute("""
        WITH need AS (SELECT DISTINCT customer_id FROM answers WHERE answer = 'fast_delivery')
        SELECT customer_id IN (SELECT customer_id FROM need), avg((shipping = 'express')::INTEGER)
        FROM orders GROUP BY 1""").fetchall())
    assert express[True] > 2 * express[False]
    advice = dict(con.execute("""
        WITH need AS (SELECT DISTINCT customer_id FROM answers WHERE answer = 'advice')
        SELECT c.customer_id IN (SELECT customer_id FROM need), count(t.customer_id) / count(DISTINCT c.customer_id)
        FROM customers c LEFT JOIN contacts t ON t.customer_id = c.customer_id AND t.topic = 'product_advice'
        GROUP BY 1""").fetchall())
    assert advice[True] > 2 * advice[False]
