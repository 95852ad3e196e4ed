"""Shared fixtures: small typed data sets in DuckDB databases."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


@pytest.fixture
def shop(tmp_path: Path):
    """A tiny shop with hand-picked edge cases; returns (db path, model dir)."""
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("""
        CREATE TABLE customers (customer_id INTEGER, city VARCHAR, email VARCHAR, birth_date DATE,
                                income DOUBLE, signup_date DATE);
        INSERT INTO customers VALUES
          (1, 'Łódź',   'ann@gmail.com', DATE '1990-06-30', 50000, DATE '2024-01-01'),
          (2, 'łódź',   'bob@GMAIL.com', DATE '2000-02-29', 0,     NULL),
          (3, 'Москва', NULL,            NULL,               NULL,  DATE '2026-06-30'),
          (4, 'Berlin', 'x_y@web.de',    DATE '1980-07-01', 70000, DATE '2026-07-01'),
          (5, NULL,     'a%b@web.de',    DATE '1970-01-01', 10,    DATE '2020-01-01');
        CREATE TABLE orders (customer_id INTEGER, ordered_at TIMESTAMP, amount DOUBLE, channel VARCHAR);
        INSERT INTO orders VALUES
          (1, TIMESTAMP '2026-06-30 23:59:59', 100, 'web'),
          (1, TIMESTAMP '2026-07-01 00:00:00', 1000, 'web'),
          (1, TIMESTAMP '2026-05-31 12:00:00', 10, 'store'),
          (1, TIMESTAMP '2026-06-01 00:00:00', 20, 'Web'),
          (2, TIMESTAMP '2026-04-01 08:00:00', 5, NULL),
          (2, TIMESTAMP '2026-05-01 08:00:00', NULL, 'web'),
          (4, TIMESTAMP '2026-06-15 08:00:00', 500, 'web'),
          (9, TIMESTAMP '2026-06-15 08:00:00', 500, 'web');
    """)
    con.close()
    return db, tmp_path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A small demo shop (3,000 customers) as a DuckDB database with the examples' tables."""
    from segdsl.tools import demo

    folder = tmp_path_factory.mktemp("demo")
    demo.generate(folder, customers=3000, seed=7)
    return demo.build_database(folder)


# The verified engines (DuckDB, SQLite, PostgreSQL, MariaDB, Spark, ClickHouse) as session fixtures.
from tests.support.engines import (  # noqa: E402,F401
    chdb_session, engine, engine_folder, loaded_engines, pytest_terminal_summary, spark_connect, spark_session,
)
