"""The shop model (models/shop.seg) as an expert would write it by hand for each server engine.

The same query as benchmarks/handsql.py (DuckDB), in each engine's own
idiom: one pass over each events table with conditional counts (FILTER
where the engine has it, countIf on ClickHouse, a sum of a comparison on
MariaDB), sargable time predicates on the raw timestamps, the engine's own
date arithmetic, NTILE for the quantiles, and the holdout's MD5 bucket with
the engine's hex functions. Sums are plain sums of the amounts, as people
write them; text is compared exactly (binary collation on MariaDB), as the
language compares it. The result has the membership columns of segdsl's
query, with the same values.
"""

from __future__ import annotations

import datetime as dt

from .handsql import windows_and_membership

DIALECTS = ("postgres", "mysql", "sqlite", "clickhouse", "spark")
CITIES = ("Warszawa", "Kraków", "Москва", "Łódź")


def _ts(dialect: str, d: dt.date) -> str:
    text = f"{d.isoformat()} 00:00:00"
    if dialect == "sqlite":
        return f"'{text}'"  # ISO text, compared as text
    if dialect == "clickhouse":
        return f"toDateTime64('{text}', 6)"
    return f"TIMESTAMP '{text}'"


def _date(dialect: str, d: dt.date) -> str:
    if dialect == "sqlite":
        return f"'{d.isoformat()}'"
    if dialect == "clickhouse":
        return f"toDate32('{d.isoformat()}')"
    return f"DATE '{d.isoformat()}'"


def _count_if(dialect: str, cond: str) -> str:
    if dialect == "clickhouse":
        return f"countIf({cond})"
    if dialect == "mysql":
        return f"SUM({cond})"
    return f"count(*) FILTER (WHERE {cond})"


def _days(dialect: str, ts: str, as_of: dt.date) -> str:
    """Whole days from the day of `ts` to as_of."""
    if dialect == "postgres":
        return f"({_date(dialect, as_of)} - CAST({ts} AS DATE))"
    if dialect == "mysql":
        return f"DATEDIFF({_date(dialect, as_of)}, {ts})"
    if dialect == "sqlite":
        return f"CAST(julianday('{as_of.isoformat()}') - julianday(date({ts})) AS INTEGER)"
    if dialect == "clickhouse":
        return f"dateDiff('day', toDate32({ts}), {_date(dialect, as_of)})"
    return f"datediff({_date(dialect, as_of)}, {ts})"


def _age(dialect: str, birth: str, as_of: dt.date) -> str:
    md = as_of.month * 100 + as_of.day
    if dialect == "postgres":
        year = f"CAST(EXTRACT(YEAR FROM {birth}) AS INTEGER)"
        month_day = f"CAST(EXTRACT(MONTH FROM {birth}) * 100 + EXTRACT(DAY FROM {birth}) AS INTEGER)"
    elif dialect == "mysql":
        year, month_day = f"YEAR({birth})", f"(MONTH({birth}) * 100 + DAY({birth}))"
    elif dialect == "sqlite":
        year, month_day = f"CAST(strftime('%Y', {birth}) AS INTEGER)", f"CAST(strftime('%m%d', {birth}) AS INTEGER)"
    elif dialect == "clickhouse":
        year, month_day = f"toYear({birth})", f"(toMonth({birth}) * 100 + toDayOfMonth({birth}))"
    else:
        year, month_day = f"year({birth})", f"(month({birth}) * 100 + day({birth}))"
    return f"{as_of.year} - {year} - CASE WHEN {month_day} > {md} THEN 1 ELSE 0 END"


def _bucket(dialect: str, key: str, seed: str) -> str:
    """The holdout bucket: the first 32 bits of md5(seed:key) modulo 10000."""
    if dialect == "postgres":
        return f"(('x' || substr(md5('{seed}:' || {key}::text), 1, 8))::bit(32)::bigint % 10000)"
    if dialect == "mysql":
        return f"(CONV(SUBSTRING(MD5(CONCAT('{seed}:', {key})), 1, 8), 16, 10) % 10000)"
    if dialect == "clickhouse":
        return f"(reinterpretAsUInt32(reverse(substring(MD5(concat('{seed}:', toString({key}))), 1, 4))) % 10000)"
    if dialect == "spark":
        return f"(CAST(conv(substr(md5(concat('{seed}:', CAST({key} AS STRING))), 1, 8), 16, 10) AS BIGINT) % 10000)"
    # SQLite: md5() is registered on the connection (segdsl.engines.sqlite.register); hex by instr()
    digits = " + ".join(f"(instr('0123456789abcdef', substr(h, {i + 1}, 1)) - 1) * {16 ** (7 - i)}" for i in range(8))
    return f"((SELECT {digits} FROM (SELECT md5('{seed}:' || {key}) AS h)) % 10000)"


def shop_sql(dialect: str, as_of: dt.date, tables: dict[str, str], vip_spend: float = 1000) -> str:
    """The expert query on `dialect`; `tables` names customers, orders and web_events there."""
    d = dialect
    day = dt.timedelta(days=1)
    end = _ts(d, as_of + day)
    last_90 = _ts(d, as_of - 89 * day)
    last_30 = _ts(d, as_of - 29 * day)
    last_7 = _ts(d, as_of - 6 * day)
    customers, orders, web = tables["customers"], tables["orders"], tables["web_events"]
    city = "c.city COLLATE utf8mb4_bin" if d == "mysql" else "c.city"
    cities = ", ".join(f"'{c}'" for c in CITIES)
    settings = " SETTINGS join_use_nulls = 1" if d == "clickhouse" else ""
    return f"""
WITH o AS (
  SELECT customer_id,
         sum(amount) AS revenue,
         count(*) AS order_count,
         min(ordered_at) AS first_order,
         max(ordered_at) AS last_order,
         {_count_if(d, f"ordered_at >= {last_90}")} AS orders_90d,
         {_count_if(d, "channel = 'web'")} AS web_orders,
         sum(margin) AS margin,
         {_count_if(d, f"ordered_at >= {last_7}")} AS orders_7d
  FROM {orders}
  WHERE ordered_at < {end}
  GROUP BY customer_id
), carts AS (
  SELECT DISTINCT customer_id
  FROM {web}
  WHERE type = 'add_to_cart' AND event_time >= {last_7} AND event_time < {end}
), m AS (
  SELECT c.customer_id AS customer_id, o.revenue AS revenue, coalesce(o.order_count, 0) AS order_count,
         o.first_order AS first_order, o.last_order AS last_order,
         {_days(d, "o.last_order", as_of)} AS recency,
         {_age(d, "c.birth_date", as_of)} AS age,
         coalesce(o.orders_90d, 0) AS orders_90d, coalesce(o.web_orders, 0) AS web_orders, o.margin AS margin,
         coalesce(o.revenue >= {vip_spend} AND o.orders_90d >= 2, false) AS vip,
         coalesce(o.first_order >= {last_30}, false) AS newcomers,
         k.customer_id IS NOT NULL AND coalesce(o.orders_7d, 0) = 0 AS cart_abandoners,
         coalesce({city} IN ({cities}), false) AS big_cities
  FROM {customers} c
  LEFT JOIN o ON o.customer_id = c.customer_id
  LEFT JOIN carts k ON k.customer_id = c.customer_id
  WHERE c.signup_date IS NULL OR c.signup_date <= {_date(d, as_of)}
{windows_and_membership(_bucket(d, "customer_id", "spring-2026"))}{settings}
"""
