WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."email_opt_in" AS "email_opt_in"
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
        CAST(e."ordered_at" AS DATE) > CAST('2026-05-31' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
    ) AS "_orders_5",
    COUNT_IF(e."coupon_used") AS "_orders_6",
    COUNT_IF(e."channel" = 'app') AS "_orders_10",
    COUNT(DISTINCT e."category") AS "_orders_11",
    COUNT_IF(
      (
        CAST(e."ordered_at" AS DATE) > CAST('2026-06-23' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
    ) AS "_orders_13"
  FROM "orders" AS e
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."customer_id"
), "agg_0_web" AS (
  SELECT
    e."customer_id" AS "_key",
    COUNT_IF(
      (
        CAST(e."event_time" AS DATE) > CAST('2026-05-31' AS DATE)
        AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
      AND e."type" = 'view'
    ) AS "_web_7",
    COUNT_IF(
      (
        CAST(e."event_time" AS DATE) > CAST('2026-04-01' AS DATE)
        AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
      AND e."type" = 'email_open'
    ) AS "_web_8",
    COUNT_IF(
      (
        CAST(e."event_time" AS DATE) > CAST('2026-04-01' AS DATE)
        AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
      AND e."type" = 'email_click'
    ) AS "_web_9",
    COUNT_IF(
      (
        CAST(e."event_time" AS DATE) > CAST('2026-06-23' AS DATE)
        AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
      AND e."type" = 'add_to_cart'
    ) AS "_web_12"
  FROM "web_events" AS e
  WHERE
    CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND (
      (
        (
          CAST(e."event_time" AS DATE) > CAST('2026-05-31' AS DATE)
          AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        AND e."type" = 'view'
      )
      OR (
        (
          CAST(e."event_time" AS DATE) > CAST('2026-04-01' AS DATE)
          AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        AND e."type" = 'email_open'
      )
      OR (
        (
          CAST(e."event_time" AS DATE) > CAST('2026-04-01' AS DATE)
          AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        AND e."type" = 'email_click'
      )
      OR (
        (
          CAST(e."event_time" AS DATE) > CAST('2026-06-23' AS DATE)
          AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        AND e."type" = 'add_to_cart'
      )
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
    COALESCE(a_orders."_orders_6", 0) AS "_orders_6",
    COALESCE(a_orders."_orders_10", 0) AS "_orders_10",
    COALESCE(a_orders."_orders_11", 0) AS "_orders_11",
    COALESCE(a_orders."_orders_13", 0) AS "_orders_13",
    COALESCE(a_web."_web_7", 0) AS "_web_7",
    COALESCE(a_web."_web_8", 0) AS "_web_8",
    COALESCE(a_web."_web_9", 0) AS "_web_9",
    COALESCE(a_web."_web_12", 0) AS "_web_12",
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
    COALESCE(NOT (
      p."email_opt_in"
    ), FALSE) AS "unsubscribed"
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
    p."_orders_5" AS "orders_30d",
    p."_orders_6" AS "coupon_orders",
    p."_web_7" AS "views_30d",
    p."_web_8" AS "email_opens_90d",
    p."_web_9" AS "email_clicks_90d",
    p."_orders_10" AS "app_orders",
    p."_orders_11" AS "categories",
    COALESCE(p."_web_12" > 0 AND (
      NOT (
        p."_orders_13" > 0
      )
    ), FALSE) AS "cart_abandoners"
  FROM "layer_0" AS p
), "layer_2" AS (
  SELECT
    p.*,
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    CAST((
      p."coupon_orders"
    ) AS DOUBLE) / NULLIF(CAST((
      p."order_count"
    ) AS DOUBLE), 0) AS "coupon_share",
    COALESCE(p."order_count" >= 3 AND p."coupon_orders" = 0, FALSE) AS "never_coupon",
    COALESCE(p."email_opens_90d" >= 3 AND p."email_clicks_90d" = 0, FALSE) AS "openers_no_clicks",
    COALESCE(p."views_30d" >= 5 AND p."orders_30d" = 0, FALSE) AS "window_shoppers",
    COALESCE(p."app_orders" >= 3 AND p."app_orders" = p."order_count", FALSE) AS "app_loyal",
    COALESCE(p."categories" >= 4, FALSE) AS "explorers",
    CASE
      WHEN p."orders_30d" >= 1
      THEN 'buying'
      WHEN p."views_30d" >= 1
      THEN 'browsing'
      WHEN p."email_opens_90d" >= 1
      THEN 'reading'
      ELSE 'dormant'
    END AS "engagement"
  FROM "layer_1" AS p
), "layer_3" AS (
  SELECT
    p.*,
    COALESCE(p."order_count" >= 3 AND p."coupon_share" >= 0.5, FALSE) AS "coupon_hunters"
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
  p."orders_30d" AS "orders_30d",
  p."coupon_orders" AS "coupon_orders",
  p."coupon_share" AS "coupon_share",
  p."views_30d" AS "views_30d",
  p."email_opens_90d" AS "email_opens_90d",
  p."email_clicks_90d" AS "email_clicks_90d",
  p."app_orders" AS "app_orders",
  p."categories" AS "categories",
  p."cart_abandoners" AS "cart_abandoners",
  p."coupon_hunters" AS "coupon_hunters",
  p."never_coupon" AS "never_coupon",
  p."openers_no_clicks" AS "openers_no_clicks",
  p."window_shoppers" AS "window_shoppers",
  p."app_loyal" AS "app_loyal",
  p."explorers" AS "explorers",
  p."unsubscribed" AS "unsubscribed",
  p."engagement" AS "engagement"
FROM "layer_3" AS p
