"""Synthetic, deterministic shop data for demos, docs, tests and benchmarks.

The data set has the shape a segmentation model meets in practice: a customer
table with gaps in the demographics, skewed order and web-event histories
(many customers who never or once bought, a few heavy buyers), a B2B side
(accounts and their invoices), and a little data *after* ``DEMO_AS_OF`` so
that point-in-time evaluation is visibly doing its job.

Every row is produced inside DuckDB SQL. Python never loops over rows, so a
million customers take seconds instead of minutes. Randomness comes from
``hash(seed, row_id, 'column')`` instead of ``random()``: DuckDB's random
generator depends on how work is split across threads, while a hash of the
row's identity gives the same value in every run, at any thread count.

The rows, and their order, are the same for the same arguments and DuckDB
version. The files are byte-identical on the same machine; with another
thread count the Parquet row groups are cut elsewhere, so compare contents,
not bytes, across machines. A DuckDB upgrade may change ``hash`` and with it
the data.
"""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Callable, Sequence

import duckdb

from . import survey

DEMO_AS_OF: datetime.date = datetime.date(2026, 6, 30)
"""The last day the data describes; demo runs evaluate their segments at it."""

TABLES: tuple[str, ...] = ("customers", "orders", "web_events", "accounts", "invoices", "answers", "contacts")

# A month of "future" after DEMO_AS_OF: signups and events there must never
# count when a model is evaluated at DEMO_AS_OF.
_AFTER_DAYS = 30
_FIRST_SIGNUP = datetime.date(2021, 1, 1)
_FIRST_ACCOUNT = datetime.date(2016, 1, 1)
_FIRST_INVOICE = datetime.date(2022, 1, 1)

_COUNTRIES = [("PL", 0.34), ("DE", 0.20), ("GB", 0.12), ("FR", 0.10), ("US", 0.14), ("RU", 0.10)]
_CITIES: dict[str, list[tuple[str, float]]] = {
    "PL": [("Warszawa", 0.30), ("Kraków", 0.17), ("Wrocław", 0.14), ("Łódź", 0.12), ("Poznań", 0.11),
           ("Gdańsk", 0.10), ("Szczecin", 0.06)],
    "DE": [("Berlin", 0.35), ("München", 0.25), ("Hamburg", 0.22), ("Köln", 0.18)],
    "GB": [("London", 0.60), ("Manchester", 0.22), ("Edinburgh", 0.18)],
    "FR": [("Paris", 0.55), ("Lyon", 0.25), ("Marseille", 0.20)],
    "US": [("New York", 0.40), ("Los Angeles", 0.32), ("Chicago", 0.28)],
    "RU": [("Москва", 0.50), ("Санкт-Петербург", 0.30), ("Казань", 0.20)],
}
# Median yearly income per country; the spread is applied log-normally.
_INCOME_MEDIAN = {"PL": 38_000, "DE": 52_000, "GB": 48_000, "FR": 44_000, "US": 62_000, "RU": 24_000}
_LOCAL_MAIL = {
    "PL": [("wp.pl", 0.4), ("onet.pl", 0.35), ("o2.pl", 0.25)],
    "DE": [("gmx.de", 0.55), ("web.de", 0.45)],
    "GB": [("outlook.com", 0.5), ("yahoo.co.uk", 0.3), ("icloud.com", 0.2)],
    "FR": [("orange.fr", 0.55), ("free.fr", 0.45)],
    "US": [("yahoo.com", 0.35), ("outlook.com", 0.35), ("icloud.com", 0.3)],
    "RU": [("yandex.ru", 0.55), ("mail.ru", 0.45)],
}
_FIRST_NAMES = ["anna", "jan", "maria", "piotr", "ewa", "tomasz", "kasia", "lukas", "sophie", "hans",
                "emma", "james", "olivia", "liam", "chloe", "louis", "camille", "noah", "ava", "ethan",
                "olga", "ivan", "dmitri", "natalia", "alex", "sam", "mia", "leon", "julia", "max"]
# (category, share of orders, log of the median price, typical margin rate)
_CATEGORIES = [("electronics", 0.18, 5.0, 0.12), ("fashion", 0.26, 4.0, 0.45), ("home", 0.17, 4.3, 0.35),
               ("beauty", 0.15, 3.4, 0.55), ("sports", 0.12, 4.1, 0.30), ("books", 0.12, 2.9, 0.25)]
_INDUSTRIES = [("software", 0.24, 220_000), ("retail", 0.20, 150_000), ("manufacturing", 0.17, 180_000),
               ("finance", 0.12, 300_000), ("healthcare", 0.15, 120_000), ("education", 0.12, 80_000)]
_LEGAL_FORM = {"PL": "{} sp. z o.o.", "DE": "{} GmbH", "GB": "{} Ltd", "FR": "{} SAS", "US": "{} Inc.",
               "RU": "ООО «{}»"}
_COMPANY_A = ["Nord", "Blue", "Silver", "Prime", "Apex", "Vertex", "Bright", "Green", "Quantum", "Iron",
              "Delta", "Polar", "Solid", "Swift", "Crystal", "Golden", "Summit", "Nova", "Urban", "Atlas",
              "Orbit", "Cedar", "Falcon", "Harbor"]
_COMPANY_B = ["Systems", "Logistics", "Labs", "Foods", "Health", "Works", "Analytics", "Retail", "Capital",
              "Energy", "Media", "Solutions", "Dynamics", "Robotics", "Textiles", "Pharma", "Learning",
              "Networks", "Motors", "Studio"]
# Price per seat and month; enterprise adds a platform fee.
_PLAN_PRICE = {"team": 12.0, "business": 29.0, "enterprise": 59.0}


def _q(text: str) -> str:
    """A SQL string literal, so that names with quotes cannot break the query."""
    return "'" + text.replace("'", "''") + "'"


def _pick(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """A weighted choice as a CASE over one uniform column.

    Pass a column computed once in an earlier CTE, not an inline ``u(...)``:
    a CASE evaluates its operand again in every branch.
    """
    total = sum(w for _, w in choices)
    parts, acc = [], 0.0
    for value, weight in choices[:-1]:
        acc += weight / total
        parts.append(f"WHEN {u} < {acc!r} THEN {_q(value)}")
    return f"(CASE {' '.join(parts)} ELSE {_q(choices[-1][0])} END)"


def _by_key(key: str, mapping: dict[str, str], default: str = "NULL") -> str:
    """A CASE that maps each value of ``key`` to its own SQL expression."""
    arms = " ".join(f"WHEN {_q(k)} THEN {v}" for k, v in mapping.items())
    return f"(CASE {key} {arms} ELSE {default} END)"


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _date(d: datetime.date) -> str:
    return f"DATE '{d.isoformat()}'"


def _macros(seed: int) -> list[str]:
    """Per-row randomness as pure functions of (seed, row id, column key).

    ``h`` hashes the combined hash once more: DuckDB combines the hashes of
    several arguments with little mixing, so ``hash(s, r, 'a')`` and
    ``hash(s, r, 'b')`` differ by a near-constant bit pattern and their
    uniforms are strongly correlated (country would decide city). The inner
    ``hash(seed, key)`` is a constant that DuckDB folds once per query, which
    makes ``h`` about 3x cheaper than hashing the key string on every row.

    ``u`` keeps the top 53 bits: full double resolution in [0, 1). ``nz`` is
    a Box-Muller standard normal (DuckDB has no deterministic normal
    generator) and ``day_seconds`` a time of day; both split one hash into
    several 24- or 32-bit uniforms, which halves their cost on tens of
    millions of rows.
    """
    return [
        f"CREATE OR REPLACE TEMP MACRO h(r, k) AS hash(hash(r, hash({seed}::BIGINT, k)))",
        "CREATE OR REPLACE TEMP MACRO u(r, k) AS ((h(r, k) >> 11)::DOUBLE / 9007199254740992.0)",
        "CREATE OR REPLACE TEMP MACRO box_muller(x) AS "
        "(sqrt(-2.0 * ln(1.0 - (x >> 32)::DOUBLE / 4294967296.0))"
        " * cos(2.0 * pi() * (x & 4294967295::UBIGINT)::DOUBLE / 4294967296.0))",
        "CREATE OR REPLACE TEMP MACRO nz(r, k) AS box_muller(h(r, k))",
        # A day number plus seconds of the day as a TIMESTAMP, in integer
        # arithmetic (cheaper than interval arithmetic on millions of rows).
        "CREATE OR REPLACE TEMP MACRO day_ts(d, s) AS "
        "make_timestamp(((d - DATE '1970-01-01')::BIGINT * 86400 + s::BIGINT) * 1000000)",
        # Shop traffic: 70 % in an evening peak (a triangle from 14:30 to
        # 01:30, highest at 20:00), the rest spread over the whole day.
        # Bits 0-9 choose the part, bits 16-39 and 40-63 are two uniforms.
        "CREATE OR REPLACE TEMP MACRO evening_seconds(x) AS "
        "least(86399, floor(3600.0 * CASE WHEN (x & 1023::UBIGINT) < 717 "
        "THEN fmod(44.0 + 5.5 * ((x >> 40)::DOUBLE / 16777216.0"
        " + ((x >> 16) & 16777215::UBIGINT)::DOUBLE / 16777216.0 - 1.0), 24.0) "
        "ELSE 24.0 * (x >> 40)::DOUBLE / 16777216.0 END))::BIGINT",
        "CREATE OR REPLACE TEMP MACRO day_seconds(r, k) AS evening_seconds(h(r, k))",
    ]


def _customers_sql(n: int) -> str:
    """Customer attributes plus the hidden traits that drive their behaviour.

    The hidden traits (churn, buying propensity, preferred category, cart
    abandonment) live in the same table so that orders and web events agree
    with each other: a lapsed customer stops both buying and browsing. Order
    and event weights are integers (micro-units) so that their totals, which
    scale every customer's count, are exact: a floating-point sum depends on
    how threads split the rows and could move a count by one between runs.
    """
    as_of, first = _date(DEMO_AS_OF), _date(_FIRST_SIGNUP)
    span = (DEMO_AS_OF - _FIRST_SIGNUP).days
    n_accounts = max(n // 50, 20)
    cats = [(c, w) for c, w, _, _ in _CATEGORIES]
    city = _by_key("country", {k: _pick("u_city", v) for k, v in _CITIES.items()})
    local_mail = _by_key("country", {k: _pick("u_mail2", v) for k, v in _LOCAL_MAIL.items()})
    income_median = _by_key("country", {k: str(float(v)) for k, v in _INCOME_MEDIAN.items()})
    platform = _by_key("device", {
        "mobile": _pick("u_platform", [("android", 0.58), ("ios", 0.42)]),
        "tablet": _pick("u_platform", [("ios", 0.62), ("android", 0.38)]),
        "desktop": _pick("u_platform", [("windows", 0.68), ("macos", 0.24), ("linux", 0.08)]),
    })
    return f"""
CREATE OR REPLACE TEMP TABLE w AS
WITH r AS (
  SELECT id,
    u(id, 'c.country') AS u_country, u(id, 'c.city') AS u_city, u(id, 'c.city_null') AS u_city_null,
    u(id, 'c.gender') AS u_gender, u(id, 'c.name') AS u_name, u(id, 'c.mail') AS u_mail,
    u(id, 'c.mail2') AS u_mail2, u(id, 'c.area') AS u_area, u(id, 'c.device') AS u_device,
    u(id, 'c.platform') AS u_platform, u(id, 'c.opt_in') AS u_opt_in, u(id, 'c.account') AS u_account,
    u(id, 'c.category') AS u_category,
    16.0 + exp(ln(22.0) + 0.55 * nz(id, 'c.age')) AS age_raw, u(id, 'c.age_redraw') AS u_age,
    CASE WHEN u(id, 'c.late') < 0.005
         THEN {as_of} + 1 + floor(u(id, 'c.late_day') * {_AFTER_DAYS})::INTEGER
         -- sqrt: signups grow over time, as a growing shop's do
         ELSE {first} + floor(sqrt(u(id, 'c.signup')) * {span + 1})::INTEGER END AS signup_date,
    -- Pareto(1.6): most customers buy rarely, a few buy all the time
    least(60.0, pow(1.0 - u(id, 'c.propensity'), -1.0 / 1.6)) AS propensity,
    u(id, 'c.buyer') >= 0.22 AS buyer,
    u(id, 'c.deal') < 0.15 AS deal_seeker,
    exp(0.8 * nz(id, 'c.engagement')) AS engagement,
    u(id, 'c.income_null') < 0.10 AS income_null,
    nz(id, 'c.income') AS z_income,
    u(id, 'c.gender_null') < 0.03 AS gender_null,
    u(id, 'c.birth_null') < 0.05 AS birth_null,
    floor(u(id, 'c.birth_day') * 365)::INTEGER AS birth_day,
    u(id, 'c.churn') AS u_churn, u(id, 'c.churn_day') AS u_churn_day,
    u(id, 'c.abandon') AS u_abandon
  FROM (SELECT range + 1 AS id FROM range({n}))
), a AS (
  SELECT *,
    {_pick("u_country", _COUNTRIES)} AS country,
    -- redraw the rare tail instead of clipping, which would pile people up at 90
    CASE WHEN age_raw < 91.0 THEN age_raw ELSE 18.0 + 50.0 * u_age END AS age,
    {_pick("u_device", [("mobile", 0.56), ("desktop", 0.34), ("tablet", 0.10)])} AS device,
    u_churn < 0.45 AND signup_date <= {as_of} - 60 AS churned
  FROM r
), b AS (
  SELECT *,
    CASE WHEN churned THEN signup_date + floor(pow(u_churn_day, 0.8)
              * ({as_of} - 30 - signup_date))::INTEGER
         ELSE {as_of} END AS last_active,
    NOT churned AND signup_date <= {as_of} - 30 AND u_abandon < 0.04 AS abandoner
  FROM a
), d AS (
  SELECT *,
    -- longer and still-running relationships mean more orders: RFM has structure
    CASE WHEN buyer THEN propensity * pow((greatest(last_active - signup_date + 1, 0) + 30) / 365.0, 0.8)
                        * CASE WHEN churned THEN 0.6 ELSE 1.0 END
         ELSE 0.0 END AS order_weight,
    engagement * (0.4 + 0.6 * propensity)
      * pow((least({as_of}, last_active + 60) - least(signup_date, {as_of}) + 31) / 365.0, 0.6) AS event_weight,
    -- 1..3 abandoned add-to-cart events (u_abandon < 0.04 here)
    CASE WHEN abandoner THEN 1 + floor(u_abandon * 75)::INTEGER ELSE 0 END AS cart_events
  FROM b
)
SELECT
  id AS customer_id,
  {_list(_FIRST_NAMES)}[1 + floor(u_name * {len(_FIRST_NAMES)})::INTEGER] || '.' || id::VARCHAR || '@'
    || CASE WHEN u_mail < 0.45 THEN 'gmail.com' ELSE {local_mail} END AS email,
  CASE WHEN gender_null THEN NULL
       ELSE {_pick("u_gender", [("female", 0.505), ("male", 0.465), ("other", 0.03)])} END AS gender,
  CASE WHEN birth_null THEN NULL
       ELSE ({as_of} - to_years(floor(age)::INTEGER) - to_days(birth_day))::DATE END AS birth_date,
  -- shifted log-normal, higher in mid-career: it approaches the 15k floor
  -- smoothly instead of piling people up at a clipping point
  CASE WHEN income_null THEN NULL
       ELSE round(least(400000.0, 15000.0 + ({income_median} - 15000.0)
            * exp(0.65 * z_income) * (1.0 - 0.35 * pow((age - 50.0) / 40.0, 2))), -2) END AS income,
  country,
  CASE WHEN u_city_null < 0.01 THEN NULL ELSE {city} END AS city,
  {_pick("u_area", [("urban", 0.58), ("suburban", 0.27), ("rural", 0.15)])} AS area,
  signup_date,
  device,
  {platform} AS platform,
  u_opt_in < 0.62 AS email_opt_in,
  CASE WHEN u_account < 0.10
       -- a few accounts have many users, most have one or two
       THEN 1 + floor(pow(u_account / 0.10, 1.8) * {n_accounts})::BIGINT END AS account_id,
  -- hidden traits, not written to customers.parquet
  {_pick("u_category", cats)} AS pref_category,
  deal_seeker, churned, last_active, abandoner, cart_events,
  round(order_weight * 1e6)::BIGINT AS order_weight,
  round(event_weight * 1e6)::BIGINT AS event_weight,
  u(id, 'c.order_round') AS u_order_round,
  u(id, 'c.event_round') AS u_event_round
FROM d
"""


def _counts_sql(order_scale: float, event_scale: float, carts: bool) -> str:
    """How many orders and events each customer gets, and where their ids start.

    Only the columns that orders and events need are carried, so the
    running-sum window sorts narrow rows instead of the whole customer.
    Abandoned carts are web events too: a rate of zero events means none.
    """
    return f"""
CREATE OR REPLACE TEMP TABLE c AS
WITH k AS (
  SELECT customer_id, signup_date, last_active, churned, abandoner, device, deal_seeker, pref_category,
    email_opt_in,
    least(5000, floor(order_weight * {order_scale!r} + u_order_round))::BIGINT AS n_orders,
    least(5000, floor(event_weight * {event_scale!r} + u_event_round))::BIGINT AS n_web,
    {"cart_events" if carts else "0"} AS cart_events
  FROM w
)
SELECT * EXCLUDE (cart_events),
  n_web + cart_events AS n_events,
  (sum(n_orders) OVER (ORDER BY customer_id ROWS UNBOUNDED PRECEDING) - n_orders)::BIGINT AS order_offset,
  (sum(n_web + cart_events) OVER (ORDER BY customer_id ROWS UNBOUNDED PRECEDING) - n_web - cart_events)::BIGINT
    AS event_offset
FROM k
ORDER BY customer_id
"""


_CUSTOMER_COLUMNS = ("customer_id, email, gender, birth_date, income, country, city, area, signup_date, "
                     "device, platform, email_opt_in, account_id")


def _orders_sql() -> str:
    """Orders fanned out from each customer's order count.

    A day is drawn uniformly inside the customer's active period (signup to
    churn, or to DEMO_AS_OF for live customers), so the recent buyers are the
    live, frequent ones. Live customers put ~1.5 % of their orders in the
    month after DEMO_AS_OF, and cart abandoners' orders of the last week are
    moved back, so that their cart really is abandoned.
    """
    as_of = _date(DEMO_AS_OF)
    cats = [(c, w) for c, w, _, _ in _CATEGORIES]
    mu = _by_key("category", {c: str(m) for c, _, m, _ in _CATEGORIES})
    margin = _by_key("category", {c: str(r) for c, _, _, r in _CATEGORIES})
    channel = _by_key("device", {
        "mobile": _pick("u_channel", [("app", 0.55), ("web", 0.30), ("store", 0.15)]),
        "tablet": _pick("u_channel", [("web", 0.45), ("app", 0.40), ("store", 0.15)]),
        "desktop": _pick("u_channel", [("web", 0.75), ("store", 0.20), ("app", 0.05)]),
    })
    return f"""
WITH x AS (
  SELECT customer_id, signup_date, last_active, churned, abandoner, device, deal_seeker, pref_category,
         (order_offset + i + 1)::BIGINT AS order_id
  FROM (SELECT *, unnest(range(n_orders)) AS i FROM c WHERE n_orders > 0)
), r AS (
  SELECT *,
    (NOT churned AND u(order_id, 'o.after') < 0.015) OR signup_date > {as_of} AS after,
    greatest(signup_date, {as_of} + 1) AS after_from,
    u(order_id, 'o.day') AS u_day, u(order_id, 'o.category') AS u_category,
    u(order_id, 'o.pref') AS u_pref, u(order_id, 'o.channel') AS u_channel,
    u(order_id, 'o.coupon') AS u_coupon, u(order_id, 'o.items') AS u_items, u(order_id, 'o.shipping') AS u_ship,
    nz(order_id, 'o.amount') AS z_amount, nz(order_id, 'o.margin') AS z_margin,
    day_seconds(order_id, 'o.time') AS seconds
  FROM x
), d AS (
  SELECT *,
    CASE WHEN after THEN after_from + floor(u_day * ({as_of} + {_AFTER_DAYS} - after_from + 1))::INTEGER
         ELSE signup_date + floor(u_day * (last_active - signup_date + 1))::INTEGER END AS day0,
    CASE WHEN u_pref < 0.6 THEN pref_category ELSE {_pick("u_category", cats)} END AS category,
    least(20, 1 + floor(-ln(1.0 - u_items) * 0.9))::INTEGER AS items,
    u_coupon < CASE WHEN deal_seeker THEN 0.6 ELSE 0.08 END AS coupon_used
  FROM r
), m AS (
  SELECT *,
    CASE WHEN abandoner AND day0 > {as_of} - 7 AND day0 <= {as_of} THEN day0 - 10 ELSE day0 END AS day,
    round(least(20000.0, greatest(0.99, exp({mu} + 0.75 * z_amount) * (1.0 + 0.6 * (items - 1))))
          * CASE WHEN coupon_used THEN 0.85 ELSE 1.0 END, 2) AS amount
  FROM d
)
SELECT
  order_id,
  customer_id,
  day_ts(day, seconds) AS ordered_at,
  amount,
  round(amount * least(0.8, greatest(0.02, {margin} + 0.06 * z_margin
        - CASE WHEN coupon_used THEN 0.08 ELSE 0.0 END)), 2) AS margin,
  {channel} AS channel,
  coupon_used,
  items,
  category,
  {survey.shipping_sql(_pick, "u_ship")} AS shipping
FROM m
"""


def _web_events_sql() -> str:
    """Web events fanned out like orders, over a slightly longer period.

    Browsing outlives buying by up to 60 days for lapsed customers. The last
    ``cart_events`` rows of a cart abandoner are add-to-cart events in the
    week before DEMO_AS_OF; their orders of that week were moved away.
    Customers without e-mail consent get no e-mail events.
    """
    as_of = _date(DEMO_AS_OF)
    event_type = _pick("u_type", [("view", 0.62), ("add_to_cart", 0.14), ("checkout", 0.06),
                                  ("email_open", 0.12), ("email_click", 0.06)])
    cats = [(c, w) for c, w, _, _ in _CATEGORIES]
    return f"""
WITH x AS (
  SELECT customer_id, signup_date, churned, email_opt_in, pref_category, n_web,
         least({as_of}, last_active + CASE WHEN churned THEN 60 ELSE 0 END) AS active_until,
         i, (event_offset + i + 1)::BIGINT AS event_id
  FROM (SELECT *, unnest(range(n_events)) AS i FROM c WHERE n_events > 0)
), r AS (
  SELECT *,
    i >= n_web AS cart_abandon,
    (NOT churned AND u(event_id, 'e.after') < 0.012) OR signup_date > {as_of} AS after,
    greatest(signup_date, {as_of} + 1) AS after_from,
    u(event_id, 'e.day') AS u_day, u(event_id, 'e.type') AS u_type, u(event_id, 'e.page') AS u_page,
    u(event_id, 'e.pref') AS u_pref, u(event_id, 'e.category') AS u_category,
    day_seconds(event_id, 'e.time') AS seconds
  FROM x
), t AS (
  SELECT *,
    CASE WHEN cart_abandon THEN {as_of} - floor(u_day * 7)::INTEGER
         WHEN after THEN after_from + floor(u_day * ({as_of} + {_AFTER_DAYS} - after_from + 1))::INTEGER
         ELSE signup_date + floor(u_day * (active_until - signup_date + 1))::INTEGER END AS day,
    CASE WHEN cart_abandon THEN 'add_to_cart'
         WHEN NOT email_opt_in AND u_type >= 0.82 THEN 'view'
         ELSE {event_type} END AS type,
    CASE WHEN u_pref < 0.6 THEN pref_category ELSE {_pick("u_category", cats)} END AS category
  FROM r
)
SELECT
  customer_id,
  day_ts(day, seconds) AS event_time,
  type,
  CASE type
    WHEN 'view' THEN CASE
      WHEN u_page < 0.45 THEN '/product/' || category || '/' || (1 + floor(u_page / 0.45 * 1000))::INTEGER::VARCHAR
      WHEN u_page < 0.70 THEN '/category/' || category
      WHEN u_page < 0.85 THEN '/'
      ELSE '/search' END
    WHEN 'add_to_cart' THEN '/cart'
    WHEN 'checkout' THEN '/checkout'
    ELSE '/email/newsletter-' || strftime(day, '%Y-%m') || '-' || category
  END AS page
FROM t
"""


def _accounts_sql(n_accounts: int) -> str:
    """B2B accounts with the correlations sales teams rely on: plan follows
    company size, revenue follows headcount and industry."""
    as_of, first = _date(DEMO_AS_OF), _date(_FIRST_ACCOUNT)
    span = (DEMO_AS_OF - _FIRST_ACCOUNT).days
    industries = [(i, w) for i, w, _ in _INDUSTRIES]
    revenue_per_head = _by_key("industry", {i: str(float(r)) for i, _, r in _INDUSTRIES})
    company = _by_key("country", {
        k: _q(f.split("{}")[0]) + " || base_name || " + _q(f.split("{}")[1]) for k, f in _LEGAL_FORM.items()})
    plan = ("CASE WHEN employees < 10 THEN " + _pick("u_plan", [("free", 0.5), ("team", 0.4), ("business", 0.1)])
            + " WHEN employees <= 250 THEN "
            + _pick("u_plan", [("free", 0.15), ("team", 0.40), ("business", 0.35), ("enterprise", 0.10)])
            + " ELSE " + _pick("u_plan", [("team", 0.10), ("business", 0.40), ("enterprise", 0.50)]) + " END")
    tech = ("CASE WHEN industry IN ('manufacturing', 'finance') THEN "
            + _pick("u_tech", [("on-prem", 0.35), ("azure", 0.30), ("aws", 0.25), ("gcp", 0.10)])
            + " ELSE " + _pick("u_tech", [("aws", 0.48), ("azure", 0.22), ("gcp", 0.18), ("on-prem", 0.12)])
            + " END")
    return f"""
CREATE OR REPLACE TEMP TABLE a AS
WITH r AS (
  SELECT id,
    {_list(_COMPANY_A)}[1 + floor(u(id, 'a.name1') * {len(_COMPANY_A)})::INTEGER] || ' '
      || {_list(_COMPANY_B)}[1 + floor(u(id, 'a.name2') * {len(_COMPANY_B)})::INTEGER] AS base_name,
    u(id, 'a.industry') AS u_industry, u(id, 'a.country') AS u_country,
    -- log-normal headcount: median 25, a long tail of large companies
    least(20000, greatest(1, round(exp(ln(25.0) + 1.6 * nz(id, 'a.employees')))))::INTEGER AS employees,
    nz(id, 'a.revenue') AS z_revenue,
    u(id, 'a.plan') AS u_plan, u(id, 'a.tech') AS u_tech,
    {first} + floor(sqrt(u(id, 'a.created')) * {span + 1})::INTEGER AS created_at,
    u(id, 'a.churn') < 0.15 AS churned, u(id, 'a.churn_at') AS u_churn_at,
    u(id, 'a.late_payer') < 0.10 AS late_payer,
    0.2 + 0.6 * u(id, 'a.adoption') AS adoption
  FROM (SELECT range + 1 AS id FROM range({n_accounts}))
), i AS (
  SELECT *, {_pick("u_industry", industries)} AS industry, {_pick("u_country", _COUNTRIES)} AS country FROM r
), p AS (
  SELECT *, {plan} AS plan,
    greatest(date_trunc('month', created_at)::DATE + INTERVAL 1 MONTH, {_date(_FIRST_INVOICE)})::DATE
      AS first_invoice
  FROM i
), m AS (
  SELECT *,
    CASE WHEN plan = 'free' THEN 0
         ELSE (datediff('month', first_invoice, {as_of} + {_AFTER_DAYS}) + 1)
              * CASE WHEN churned THEN u_churn_at ELSE 1.0 END END AS n_invoices_raw
  FROM p
), k AS (
  SELECT *, floor(n_invoices_raw)::BIGINT AS n_invoices FROM m
)
SELECT
  id AS account_id,
  {company} AS company,
  industry,
  employees,
  round(employees * {revenue_per_head} * exp(0.5 * z_revenue), -3) AS annual_revenue,
  country,
  plan,
  created_at,
  {tech} AS tech_stack,
  first_invoice, n_invoices, late_payer, adoption,
  (sum(n_invoices) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) - n_invoices)::BIGINT AS invoice_offset
FROM k
ORDER BY id
"""


_ACCOUNT_COLUMNS = "account_id, company, industry, employees, annual_revenue, country, plan, created_at, tech_stack"


def _invoices_sql() -> str:
    """Monthly invoices on the 1st, priced per seat; recent ones are still
    open, a few old ones overdue (more so for habitual late payers)."""
    as_of = _date(DEMO_AS_OF)
    price = _by_key("plan", {k: str(v) for k, v in _PLAN_PRICE.items()})
    return f"""
WITH x AS (
  SELECT account_id, plan, employees, late_payer, adoption, (invoice_offset + i + 1)::BIGINT AS invoice_id,
         (first_invoice + to_months(i::INTEGER))::DATE AS issued_at
  FROM (SELECT *, unnest(range(n_invoices)) AS i FROM a WHERE n_invoices > 0)
), r AS (
  SELECT *, u(invoice_id, 'i.status') AS u_status, nz(invoice_id, 'i.usage') AS z_usage FROM x
)
SELECT
  invoice_id,
  account_id,
  issued_at,
  round((greatest(1, ceil(employees * adoption)) * {price}
         + CASE WHEN plan = 'enterprise' THEN 1500.0 ELSE 0.0 END) * (1.0 + 0.05 * z_usage), 2) AS amount,
  CASE WHEN issued_at > {as_of} THEN 'open'
       WHEN issued_at > {as_of} - 30 THEN CASE WHEN u_status < 0.55 THEN 'open' ELSE 'paid' END
       WHEN u_status < CASE WHEN late_payer THEN 0.25 ELSE 0.02 END THEN 'overdue'
       ELSE 'paid' END AS status
FROM r
"""


def _write(con: duckdb.DuckDBPyConnection, query: str, target: pathlib.Path) -> None:
    """COPY into a temporary file beside the target, then rename.

    Readers never see a half-written Parquet file, and a failed run leaves
    the previous data set intact. ZSTD at level 1 gives files a third
    smaller than the default Snappy for about the same time; the default
    ZSTD level costs a quarter more CPU for 2 % smaller files.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute(f"COPY ({query}) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' "
                    "(FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 1)")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def generate(out_dir: pathlib.Path, customers: int = 100_000, seed: int = 42,
             orders_per_customer: float = 5.0, events_per_customer: float = 8.0,
             progress: Callable[[str], None] | None = None) -> dict[str, pathlib.Path]:
    """Writes customers.parquet, orders.parquet, web_events.parquet, accounts.parquet, invoices.parquet,
    answers.parquet and contacts.parquet (segdsl.tools.survey) into out_dir, returns name->path.

    The same (customers, seed, rates) always give the same rows, so demo
    output, documentation and benchmark numbers are reproducible. The rates
    are averages over all customers; individual counts are heavily skewed.
    """
    if isinstance(customers, bool) or not isinstance(customers, int) or customers < 1:
        raise ValueError(f"customers must be a positive integer, not {customers!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, not {seed!r}")
    for name, rate in (("orders_per_customer", orders_per_customer), ("events_per_customer", events_per_customer)):
        if not (isinstance(rate, (int, float)) and 0 <= rate <= 1000):
            raise ValueError(f"{name} must be a number between 0 and 1000, not {rate!r}")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.parquet" for name in TABLES}
    say = progress or (lambda _step: None)

    # Row order, and with it the bytes of the files, rests on insertion order
    # being preserved through CREATE TABLE AS, unnest and COPY.
    con = duckdb.connect(":memory:", config={"preserve_insertion_order": True})
    con.execute("SET TimeZone = 'UTC'")  # the data is the same on every machine
    try:
        for macro in _macros(seed):
            con.execute(macro)
        con.execute(_customers_sql(customers))
        order_total, event_total, cart_total = con.execute(
            "SELECT sum(order_weight), sum(event_weight), sum(cart_events) FROM w").fetchone()
        # The rates are totals over all customers; abandoned carts count towards events.
        order_scale = orders_per_customer * customers / order_total if order_total else 0.0
        event_scale = (max(events_per_customer * customers - cart_total, 0.0) / event_total
                       if event_total else 0.0)
        say("customers")
        _write(con, f"SELECT {_CUSTOMER_COLUMNS} FROM w", paths["customers"])
        con.execute(_counts_sql(float(order_scale), float(event_scale), events_per_customer > 0))
        say("orders")
        _write(con, _orders_sql(), paths["orders"])
        say("web_events")
        _write(con, _web_events_sql(), paths["web_events"])
        say("answers")
        _write(con, survey.answers_sql(_pick, _by_key, DEMO_AS_OF, _AFTER_DAYS), paths["answers"])
        say("contacts")
        _write(con, survey.contacts_sql(_pick, DEMO_AS_OF, _AFTER_DAYS), paths["contacts"])
        con.execute(_accounts_sql(max(customers // 50, 20)))
        say("accounts")
        _write(con, f"SELECT {_ACCOUNT_COLUMNS} FROM a ORDER BY account_id", paths["accounts"])
        say("invoices")
        _write(con, _invoices_sql(), paths["invoices"])
    finally:
        con.close()
    return paths


def build_database(out_dir: pathlib.Path) -> pathlib.Path:
    """Load the generated Parquet files into `shop.duckdb`, one table each.

    The examples name tables rather than files, as models do against a
    warehouse; the database makes `--db shop.duckdb` work for all of them.
    It is built under a temporary name and renamed, so a half-built
    database never replaces a good one.
    """
    out_dir = pathlib.Path(out_dir)
    target = out_dir / "shop.duckdb"
    tmp = out_dir / ".shop.duckdb.tmp"
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        if leftover.exists():
            leftover.unlink()
    con = duckdb.connect(str(tmp))
    con.execute("SET TimeZone = 'UTC'")
    try:
        for table in TABLES:
            path = (out_dir / f"{table}.parquet").resolve()
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(path)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def examples_dir() -> pathlib.Path:
    """The example models: inside an installed wheel, or in the source tree."""
    package = pathlib.Path(__file__).resolve().parents[1]
    packaged = package / "examples"
    return packaged if packaged.is_dir() else package.parent / "examples"


def install_examples(out_dir: pathlib.Path) -> pathlib.Path:
    """Copy the example models next to the data; returns the flagship model."""
    out_dir = pathlib.Path(out_dir)
    for model in sorted(examples_dir().glob("*.seg")) + sorted(examples_dir().glob("*.seg.lock")):
        (out_dir / model.name).write_text(model.read_text(encoding="utf-8"), encoding="utf-8")
    return out_dir / "retail.seg"
