WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date"
  FROM "customers" AS e
  WHERE
    e."signup_date" IS NULL
    OR CAST(e."signup_date" AS DATE) <= CAST('2026-06-30' AS DATE)
), "agg_0_orders" AS (
  SELECT
    e."customer_id" AS "_key",
    CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_1",
    COUNT(*) AS "_orders_2",
    MIN(e."ordered_at") AS "_orders_3",
    MAX(e."ordered_at") AS "_orders_4",
    COUNT_IF(
      (
        CAST(e."ordered_at" AS DATE) > CAST('2026-04-01' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
    ) AS "_orders_5",
    COUNT_IF(
      (
        CAST(e."ordered_at" AS DATE) > CAST('2026-01-01' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-04-01' AS DATE)
      )
    ) AS "_orders_6"
  FROM "orders" AS e
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."customer_id"
), "layer_0" AS (
  SELECT
    p.*,
    a_orders."_orders_1" AS "_orders_1",
    COALESCE(a_orders."_orders_2", 0) AS "_orders_2",
    a_orders."_orders_3" AS "_orders_3",
    a_orders."_orders_4" AS "_orders_4",
    COALESCE(a_orders."_orders_5", 0) AS "_orders_5",
    COALESCE(a_orders."_orders_6", 0) AS "_orders_6",
    (
      EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."birth_date" AS DATE))
    ) - CASE
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."birth_date" AS DATE))
      ) > 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) < EXTRACT(MONTH FROM CAST(p."birth_date" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."birth_date" AS DATE))
      THEN 1
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."birth_date" AS DATE))
      ) < 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) > EXTRACT(MONTH FROM CAST(p."birth_date" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."birth_date" AS DATE))
      THEN -1
      ELSE 0
    END AS "age"
  FROM "population" AS p
  LEFT JOIN "agg_0_orders" AS a_orders
    ON p."customer_id" = a_orders."_key"
), "layer_1" AS (
  SELECT
    p.*,
    p."_orders_1" AS "revenue",
    p."_orders_2" AS "order_count",
    p."_orders_3" AS "first_order",
    p."_orders_4" AS "last_order",
    p."_orders_5" AS "orders_90d",
    p."_orders_6" AS "orders_prev"
  FROM "layer_0" AS p
), "layer_2" AS (
  SELECT
    p.*,
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    COALESCE(p."orders_prev" >= 1 AND p."orders_90d" = 0, FALSE) AS "win_back"
  FROM "layer_1" AS p
), "layer_3" AS (
  SELECT
    p.*,
    CASE
      WHEN p."win_back"
      THEN CASE
        WHEN (
          CAST('0x' || SUBSTRING(LOWER(MD5('win-back-2026-q2:' || CAST(p."customer_id" AS TEXT))), 1, 8) AS BIGINT)
        ) % 10000 < 8000
        THEN 'campaign'
        ELSE 'control'
      END
    END AS "win_back_test"
  FROM "layer_2" AS p
)
SELECT
  p."customer_id" AS "customer_id",
  p."revenue" AS "revenue",
  p."order_count" AS "order_count",
  p."first_order" AS "first_order",
  p."last_order" AS "last_order",
  p."recency" AS "recency",
  p."age" AS "age",
  p."orders_90d" AS "orders_90d",
  p."orders_prev" AS "orders_prev",
  p."win_back" AS "win_back",
  p."win_back_test" AS "win_back_test"
FROM "layer_3" AS p
