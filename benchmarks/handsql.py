"""The shop model (models/shop.seg) as an expert would write it by hand for DuckDB.

One pass over each events source, sargable time predicates on the raw
timestamps, the web events filtered before they are grouped, one window per
distinct ordering (the quantile of revenue and the RFM monetary score are
the same NTILE, so it is computed once). The result has the same columns,
with the same values, as segdsl's membership query.
"""

from __future__ import annotations

import datetime as dt


def _ts(d: dt.date) -> str:
    return f"TIMESTAMP '{d.isoformat()} 00:00:00'"


def shop_sql(as_of: dt.date, vip_spend: float = 1000, customers: str = "customers", orders: str = "orders",
             web_events: str = "web_events") -> str:
    day = dt.timedelta(days=1)
    end = _ts(as_of + day)                    # events before the end of the as_of day
    last_90 = _ts(as_of - 89 * day)           # (as_of - 90 days, as_of]
    last_30 = as_of - 29 * day
    last_7 = _ts(as_of - 6 * day)
    md = as_of.month * 100 + as_of.day
    return f"""
WITH o AS (
  SELECT customer_id,
         sum(amount) AS revenue,
         count(*) AS order_count,
         min(ordered_at) AS first_order,
         max(ordered_at) AS last_order,
         count(*) FILTER (WHERE ordered_at >= {last_90}) AS orders_90d,
         count(*) FILTER (WHERE channel = 'web') AS web_orders,
         sum(margin) AS margin,
         count(*) FILTER (WHERE ordered_at >= {last_7}) AS orders_7d
  FROM {orders}
  WHERE ordered_at < {end}
  GROUP BY customer_id
), carts AS (
  SELECT DISTINCT customer_id
  FROM {web_events}
  WHERE type = 'add_to_cart' AND event_time >= {last_7} AND event_time < {end}
), m AS (
  SELECT c.customer_id, o.revenue, coalesce(o.order_count, 0) AS order_count, o.first_order, o.last_order,
         date_diff('day', CAST(o.last_order AS DATE), DATE '{as_of}') AS recency,
         {as_of.year} - year(c.birth_date)
           - CASE WHEN month(c.birth_date) * 100 + day(c.birth_date) > {md} THEN 1 ELSE 0 END AS age,
         coalesce(o.orders_90d, 0) AS orders_90d, coalesce(o.web_orders, 0) AS web_orders, o.margin,
         coalesce(o.revenue >= {vip_spend} AND o.orders_90d >= 2, false) AS vip,
         coalesce(CAST(o.first_order AS DATE) >= DATE '{last_30}', false) AS newcomers,
         k.customer_id IS NOT NULL AND coalesce(o.orders_7d, 0) = 0 AS cart_abandoners,
         coalesce(c.city IN ('Warszawa', 'Kraków', 'Москва', 'Łódź'), false) AS big_cities
  FROM {customers} c
  LEFT JOIN o ON o.customer_id = c.customer_id
  LEFT JOIN carts k ON k.customer_id = c.customer_id
  WHERE c.signup_date IS NULL OR c.signup_date <= DATE '{as_of}'
{windows_and_membership(DUCKDB_BUCKET)}"""


# The holdout bucket of vip_test on DuckDB: the first 32 bits of md5(seed:key) modulo 10000.
DUCKDB_BUCKET = "('0x' || md5('spring-2026:' || customer_id::VARCHAR)[1:8])::BIGINT % 10000"


def windows_and_membership(bucket: str) -> str:
    """The query's tail from the member rows `m` on, the same on every engine but for the holdout
    bucket: one NTILE per distinct ordering, then the segments, segmentations and RFM cases."""
    return f"""), s AS (
  SELECT m.*,
         coalesce(recency > 180, false) AS lapsed,
         CASE WHEN revenue IS NOT NULL
              THEN ntile(5) OVER (PARTITION BY revenue IS NULL ORDER BY revenue, customer_id) END AS tier,
         CASE WHEN recency IS NOT NULL
              THEN ntile(5) OVER (PARTITION BY recency IS NULL ORDER BY recency DESC, customer_id) END AS rfm_r,
         ntile(5) OVER (ORDER BY order_count, customer_id) AS rfm_f
  FROM m
)
SELECT customer_id, revenue, order_count, first_order, last_order, recency, age, orders_90d, web_orders,
       margin, vip, newcomers, lapsed, vip AND lapsed AS vip_at_risk, cart_abandoners, big_cities,
       CASE WHEN newcomers THEN 'new' WHEN orders_90d >= 3 THEN 'loyal' WHEN lapsed THEN 'inactive'
            WHEN order_count = 0 THEN 'prospect' ELSE 'occasional' END AS lifecycle,
       CASE WHEN age IS NULL THEN NULL WHEN age < 18 THEN '<18' WHEN age < 25 THEN '18-24'
            WHEN age < 35 THEN '25-34' WHEN age < 50 THEN '35-49' WHEN age < 65 THEN '50-64'
            ELSE '65+' END AS age_band,
       tier AS spend_tier,
       CASE WHEN rfm_r IS NULL OR tier IS NULL THEN NULL
            WHEN rfm_r = 5 THEN CASE WHEN rfm_f + tier >= 8 THEN 'champions'
                                     WHEN rfm_f + tier >= 4 THEN 'potential_loyalist' ELSE 'new_customers' END
            WHEN rfm_r = 4 THEN CASE WHEN rfm_f + tier >= 8 THEN 'loyal'
                                     WHEN rfm_f + tier >= 4 THEN 'potential_loyalist' ELSE 'promising' END
            WHEN rfm_r = 3 THEN CASE WHEN rfm_f + tier >= 8 THEN 'loyal'
                                     WHEN rfm_f + tier >= 6 THEN 'need_attention' ELSE 'about_to_sleep' END
            WHEN rfm_f + tier = 10 THEN 'cant_lose_them'
            WHEN rfm_f + tier >= 6 THEN 'at_risk'
            WHEN rfm_r = 2 THEN 'hibernating'
            ELSE 'lost' END AS rfm,
       CASE WHEN vip THEN CASE WHEN {bucket} < 9000
                               THEN 'treatment' ELSE 'control' END END AS vip_test,
       rfm_r, rfm_f, tier AS rfm_m
FROM s"""


def floor_sql(orders: str = "orders") -> str:
    """The physical floor: one grouped aggregation over the events table."""
    return f"SELECT customer_id, count(*) AS n FROM {orders} GROUP BY customer_id"


def floor_all_sql(orders: str = "orders", web_events: str = "web_events") -> str:
    """The floor for every source the shop model reads: each events table grouped once."""
    return (f"SELECT o.customer_id, o.n, w.n AS w FROM (SELECT customer_id, count(*) AS n FROM {orders} GROUP BY 1) o "
            f"FULL JOIN (SELECT customer_id, count(*) AS n FROM {web_events} GROUP BY 1) w USING (customer_id)")
