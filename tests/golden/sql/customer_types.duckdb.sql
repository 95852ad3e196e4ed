WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."signup_date" AS "signup_date",
    e."income" AS "income"
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
        CAST(e."ordered_at" AS DATE) > CAST('2026-01-01' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
    ) AS "_orders_5"
  FROM "orders" AS e
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."customer_id"
), "agg_0_web" AS (
  SELECT
    e."customer_id" AS "_key",
    COUNT_IF(e."type" = 'view') AS "_web_6",
    COUNT_IF(e."type" = 'add_to_cart') AS "_web_7"
  FROM "web_events" AS e
  WHERE
    CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND (
      CAST(e."event_time" AS DATE) > CAST('2026-04-01' AS DATE)
      AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    )
    AND (
      e."type" = 'view' OR e."type" = 'add_to_cart'
    )
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
    COALESCE(a_web."_web_6", 0) AS "_web_6",
    COALESCE(a_web."_web_7", 0) AS "_web_7",
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
    END AS "age",
    COALESCE(
      (
        CAST(p."signup_date" AS DATE) > CAST('2026-05-01' AS DATE)
        AND CAST(p."signup_date" AS DATE) <= CAST('2026-06-30' AS DATE)
      ),
      FALSE
    ) AS "new_customers",
    COALESCE(p."income" >= 120000, FALSE) AS "high_income"
  FROM "population" AS p
  LEFT JOIN "agg_0_orders" AS a_orders
    ON p."customer_id" = a_orders."_key"
  LEFT JOIN "agg_0_web" AS a_web
    ON p."customer_id" = a_web."_key"
), "layer_1" AS (
  SELECT
    p.*,
    p."_orders_1" AS "revenue",
    p."_orders_2" AS "order_count",
    p."_orders_3" AS "first_order",
    p."_orders_4" AS "last_order",
    p."_orders_5" AS "orders_180d",
    p."_web_6" AS "views_90d",
    p."_web_7" AS "carts_90d"
  FROM "layer_0" AS p
), "layer_2" AS (
  SELECT
    p.*,
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    COALESCE(p."orders_180d" >= 3, FALSE) AS "regular_customers",
    COALESCE(p."order_count" = 0 AND (
      p."views_90d" >= 3 OR p."carts_90d" >= 1
    ), FALSE) AS "potential_customers"
  FROM "layer_1" AS p
), "layer_3" AS (
  SELECT
    p.*,
    COALESCE(
      (
        p."recency" > 365 OR (
          p."order_count" = 0 AND p."views_90d" = 0
        )
      ),
      FALSE
    ) AS "inactive_customers"
  FROM "layer_2" AS p
), "layer_4" AS (
  SELECT
    p.*,
    CASE
      WHEN p."new_customers"
      THEN 'new'
      WHEN p."regular_customers"
      THEN 'regular'
      WHEN p."potential_customers"
      THEN 'potential'
      WHEN p."inactive_customers"
      THEN 'inactive'
      ELSE 'occasional'
    END AS "customer_type"
  FROM "layer_3" AS p
)
SELECT
  p."customer_id" AS "customer_id",
  p."revenue" AS "revenue",
  p."order_count" AS "order_count",
  p."first_order" AS "first_order",
  p."last_order" AS "last_order",
  p."recency" AS "recency",
  p."age" AS "age",
  p."orders_180d" AS "orders_180d",
  p."views_90d" AS "views_90d",
  p."carts_90d" AS "carts_90d",
  p."new_customers" AS "new_customers",
  p."regular_customers" AS "regular_customers",
  p."potential_customers" AS "potential_customers",
  p."inactive_customers" AS "inactive_customers",
  p."high_income" AS "high_income",
  p."customer_type" AS "customer_type"
FROM "layer_4" AS p
