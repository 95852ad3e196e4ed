"""Case 10: the trait aggregates against plain aggregates and hand-written SQL, in the same run.

Three variants over the same orders, each materialised as `segdsl run` does:

* baseline: a model of plain aggregates (count and sum of orders): one
  grouped scan, what any model costs at least;
* traits: most_frequent(category), first(channel), last(channel) and
  share(amount where category = "sports"), as segdsl compiles them (a
  CTE per picked value with ROW_NUMBER(), the share in the grouped scan);
* hand: the same four figures as an expert writes them for DuckDB, with its
  ordered aggregates (`first(x ORDER BY …)`) in one GROUP BY.

The traits are compared with the hand-written result member by member;
the figures are the times and the ratios traits / baseline and traits / hand.
"""

from __future__ import annotations

import datetime as dt

SOURCES = """\
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
"""
BASELINE = SOURCES + """\
feature orders_n = count(orders)
feature revenue = sum(orders.amount)
"""
TRAITS = SOURCES + """\
feature usual_category = most_frequent(orders.category)
feature first_channel = first(orders.channel)
feature last_channel = last(orders.channel)
feature sports_share = share(orders.amount where category = "sports")
"""


def hand_sql(as_of: dt.date) -> str:
    """The four traits in one pass over the orders, with DuckDB's ordered aggregates."""
    end = f"TIMESTAMP '{(as_of + dt.timedelta(days=1)).isoformat()} 00:00:00'"
    return f"""
WITH o AS (
  SELECT customer_id, ordered_at, amount, channel, category FROM orders WHERE ordered_at < {end}
), counted AS (
  SELECT customer_id, category, count(*) AS n FROM o WHERE category IS NOT NULL GROUP BY ALL
), usual AS (
  SELECT customer_id, first(category ORDER BY n DESC, category) AS usual_category FROM counted GROUP BY ALL
), per AS (
  SELECT customer_id,
         first(channel ORDER BY ordered_at, channel) FILTER (WHERE channel IS NOT NULL) AS first_channel,
         first(channel ORDER BY ordered_at DESC, channel) FILTER (WHERE channel IS NOT NULL) AS last_channel,
         coalesce(sum(amount) FILTER (WHERE category = 'sports'), 0) / nullif(sum(amount), 0) AS sports_share
  FROM o GROUP BY ALL
)
SELECT c.customer_id, u.usual_category, p.first_channel, p.last_channel, p.sports_share
FROM customers c LEFT JOIN usual u USING (customer_id) LEFT JOIN per p USING (customer_id)
WHERE c.signup_date IS NULL OR c.signup_date <= DATE '{as_of.isoformat()}'
"""
