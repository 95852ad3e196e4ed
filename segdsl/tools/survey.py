"""Survey answers and support contacts of the demo shop: the data of psychographic and needs-based segments.

Part of the demo data set (segdsl.tools.demo), written in the same way:
DuckDB SQL over the customers' temporary table `w`, randomness from
``u(row id, key)`` hashes, so the rows are the same in every run.

* answers (customer_id, question, answer, answered_at): about a third of
  the customers answer a profile survey, one to three times (waves). Each
  wave answers five questions at one moment; a question may be skipped
  (missing answer) and an answer may change from one wave to the next, so
  the latest answer per question is what a segment should read. Answers
  follow the hidden traits that drive buying: deal seekers value price,
  the preferred category shows up as the interest, and the customers who
  need fast delivery or advice (below) say so.
* contacts (customer_id, contacted_at, topic, channel): support contacts.
  Customers who need advice ask for product advice before they buy; those
  who need speed ask about delivery.

Customers who need speed (u(id, 'c.speed') < 0.2) also choose express
shipping more often (orders.shipping, segdsl.tools.demo); who needs advice is
u(id, 'c.advice') < 0.15. Both are hashes of the customer id, so the three
tables agree without carrying a column between them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

QUESTIONS: tuple[str, ...] = ("values", "lifestyle", "interest", "need", "personality")
ANSWERS: dict[str, tuple[tuple[str, float], ...]] = {
    "values": (("price", 0.30), ("quality", 0.35), ("convenience", 0.20), ("sustainability", 0.15)),
    "lifestyle": (("active", 0.22), ("family", 0.26), ("urban_professional", 0.20), ("homebody", 0.20),
                  ("student", 0.12)),
    "interest": (("tech", 0.18), ("fashion", 0.24), ("home", 0.17), ("beauty", 0.15), ("outdoor", 0.14),
                 ("reading", 0.12)),
    "need": (("low_price", 0.30), ("choice", 0.30), ("fast_delivery", 0.20), ("advice", 0.20)),
    "personality": (("adventurous", 0.25), ("practical", 0.35), ("social", 0.20), ("cautious", 0.20)),
}
# The interest a preferred category shows as.
INTEREST_OF_CATEGORY = {"electronics": "tech", "fashion": "fashion", "home": "home", "beauty": "beauty",
                        "sports": "outdoor", "books": "reading"}
TOPICS = ("product_advice", "delivery", "returns", "payment")
SPEED = "u(customer_id, 'c.speed') < 0.2"
ADVICE = "u(customer_id, 'c.advice') < 0.15"

Pick = Callable[[str, Sequence[tuple[str, float]]], str]


def shipping_sql(pick: Pick, u_ship: str) -> str:
    """orders.shipping: express for most orders of the customers who need speed, rarely for the others."""
    return (f"CASE WHEN {SPEED} THEN {pick(u_ship, [('express', 0.6), ('standard', 0.3), ('pickup', 0.1)])} "
            f"ELSE {pick(u_ship, [('express', 0.06), ('standard', 0.79), ('pickup', 0.15)])} END")


def answers_sql(pick: Pick, by_key: Callable[[str, dict[str, str]], str], as_of: datetime.date,
                after_days: int) -> str:
    """One row per answered (or skipped) question of every survey wave."""
    end = f"DATE '{as_of.isoformat()}' + {after_days}"
    qlist = "[" + ", ".join(f"'{q}'" for q in QUESTIONS) + "]"
    interest = by_key("pref_category", {c: f"'{i}'" for c, i in INTEREST_OF_CATEGORY.items()})
    default = {q: pick("u_answer", ANSWERS[q]) for q in QUESTIONS}
    answer = f"""CASE question
      WHEN 'values' THEN CASE WHEN eco AND u_bias < 0.7 THEN 'sustainability'
                              WHEN deal_seeker AND u_bias < 0.7 THEN 'price' ELSE {default['values']} END
      WHEN 'lifestyle' THEN {default['lifestyle']}
      WHEN 'interest' THEN CASE WHEN u_bias < 0.55 THEN {interest} ELSE {default['interest']} END
      WHEN 'need' THEN CASE WHEN speed AND u_bias < 0.7 THEN 'fast_delivery'
                            WHEN advice AND u_bias < 0.7 THEN 'advice'
                            WHEN deal_seeker AND u_bias < 0.6 THEN 'low_price' ELSE {default['need']} END
      ELSE {default['personality']} END"""
    return f"""
WITH r AS (
  SELECT customer_id, signup_date, last_active, churned, deal_seeker, pref_category,
    {SPEED} AS speed, {ADVICE} AS advice, u(customer_id, 's.eco') < 0.25 AS eco,
    u(customer_id, 's.waves') AS u_waves
  FROM w
  WHERE u(customer_id, 's.respond') < 0.33 AND signup_date <= {end}
), s AS (
  -- one to three waves, most customers answer once
  SELECT *, unnest(range(1 + floor(u_waves * u_waves * 3)::INTEGER)) AS wave FROM r
), t AS (
  SELECT *, customer_id * 4 + wave AS wave_id,
    least({end}, last_active + CASE WHEN churned THEN 60 ELSE 0 END) AS until
  FROM s
), q AS (
  SELECT *,
    signup_date + floor(u(wave_id, 's.day') * (greatest(until - signup_date, 0) + 1))::INTEGER AS day,
    day_seconds(wave_id, 's.time') AS seconds,
    unnest(range({len(QUESTIONS)})) AS qi
  FROM t
), a AS (
  SELECT *, {qlist}[qi + 1] AS question, wave_id * 8 + qi AS answer_id,
    -- an answer is the customer's own and stays, unless a later wave changes it (a fifth of the time)
    CASE WHEN wave > 0 AND u(wave_id * 8 + qi, 's.change') < 0.2 THEN u(wave_id * 8 + qi, 's.answer')
         ELSE u(customer_id * 8 + qi, 's.answer') END AS u_answer,
    u(customer_id * 8 + qi, 's.bias') AS u_bias
  FROM q
)
SELECT
  customer_id,
  question,
  CASE WHEN u(answer_id, 's.skip') < 0.06 THEN NULL ELSE {answer} END AS answer,
  day_ts(day, seconds) AS answered_at
FROM a
ORDER BY customer_id, answered_at, question
"""


def contacts_sql(pick: Pick, as_of: datetime.date, after_days: int) -> str:
    """Support contacts: many product-advice contacts from the customers who need advice."""
    end = f"DATE '{as_of.isoformat()}' + {after_days}"
    topic = (f"CASE WHEN advice AND u_topic < 0.7 THEN 'product_advice' "
             f"WHEN speed AND u_topic < 0.6 THEN 'delivery' "
             f"ELSE {pick('u_topic2', [('product_advice', 0.2), ('delivery', 0.35), ('returns', 0.3), ('payment', 0.15)])} END")
    return f"""
WITH r AS (
  SELECT customer_id, signup_date, last_active, churned, {SPEED} AS speed, {ADVICE} AS advice,
    -- exponential counts: the advice seekers call six times as often
    floor(-ln(1.0 - u(customer_id, 't.n')) * CASE WHEN {ADVICE} THEN 4.0 ELSE 0.7 END)::INTEGER AS n
  FROM w
  WHERE signup_date <= {end}
), x AS (
  SELECT *, unnest(range(n)) AS i,
    least({end}, last_active + CASE WHEN churned THEN 30 ELSE 0 END) AS until
  FROM r WHERE n > 0
), t AS (
  SELECT *, customer_id * 64 + i AS contact_id FROM x
), d AS (
  SELECT *,
    signup_date + floor(u(contact_id, 't.day') * (greatest(until - signup_date, 0) + 1))::INTEGER AS day,
    day_seconds(contact_id, 't.time') AS seconds,
    u(contact_id, 't.topic') AS u_topic, u(contact_id, 't.topic2') AS u_topic2,
    u(contact_id, 't.channel') AS u_channel
  FROM t
)
SELECT
  customer_id,
  day_ts(day, seconds) AS contacted_at,
  {topic} AS topic,
  {pick('u_channel', [('chat', 0.45), ('phone', 0.30), ('email', 0.25)])} AS channel
FROM d
ORDER BY customer_id, contacted_at
"""
