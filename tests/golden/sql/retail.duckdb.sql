WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."city" AS "city"
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
    COUNT_IF(e."channel" = 'web') AS "_orders_6",
    CAST(SUM(CAST(e."margin" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_7",
    COUNT_IF(
      (
        CAST(e."ordered_at" AS DATE) > CAST('2026-06-23' AS DATE)
        AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
    ) AS "_orders_9"
  FROM "orders" AS e
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."customer_id"
), "agg_0_web" AS (
  SELECT
    e."customer_id" AS "_key",
    COUNT(*) AS "_web_8"
  FROM "web_events" AS e
  WHERE
    CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND (
      CAST(e."event_time" AS DATE) > CAST('2026-06-23' AS DATE)
      AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    )
    AND e."type" = 'add_to_cart'
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
    a_orders."_orders_7" AS "_orders_7",
    COALESCE(a_orders."_orders_9", 0) AS "_orders_9",
    COALESCE(a_web."_web_8", 0) AS "_web_8",
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
    COALESCE(p."city" IN ('Warszawa', 'Kraków', 'Москва', 'Łódź'), FALSE) AS "big_cities"
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
    p."_orders_5" AS "orders_90d",
    p."_orders_6" AS "web_orders",
    p."_orders_7" AS "margin",
    COALESCE(p."_web_8" > 0 AND (
      NOT (
        p."_orders_9" > 0
      )
    ), FALSE) AS "cart_abandoners",
    CASE
      WHEN p."age" IS NULL
      THEN NULL
      WHEN p."age" < 18
      THEN '<18'
      WHEN p."age" < 25
      THEN '18-24'
      WHEN p."age" < 35
      THEN '25-34'
      WHEN p."age" < 50
      THEN '35-49'
      WHEN p."age" < 65
      THEN '50-64'
      ELSE '65+'
    END AS "age_band"
  FROM "layer_0" AS p
), "layer_2" AS (
  SELECT
    p.*,
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    COALESCE(p."revenue" >= 1000 AND p."orders_90d" >= 2, FALSE) AS "vip",
    COALESCE(p."revenue" >= 1000, FALSE) AS "big_spenders",
    COALESCE(
      (
        CAST(p."first_order" AS DATE) > CAST('2026-05-31' AS DATE)
        AND CAST(p."first_order" AS DATE) <= CAST('2026-06-30' AS DATE)
      ),
      FALSE
    ) AS "newcomers",
    CASE
      WHEN p."revenue" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."revenue" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."revenue" ASC, p."customer_id"
      )
    END AS "spend_tier"
  FROM "layer_1" AS p
), "layer_3" AS (
  SELECT
    p.*,
    COALESCE(p."recency" > 180, FALSE) AS "lapsed",
    CASE
      WHEN (
        CAST(p."first_order" AS DATE) > CAST('2026-05-31' AS DATE)
        AND CAST(p."first_order" AS DATE) <= CAST('2026-06-30' AS DATE)
      )
      THEN 'new'
      WHEN p."orders_90d" >= 3
      THEN 'loyal'
      WHEN p."recency" > 180
      THEN 'inactive'
      WHEN p."order_count" = 0
      THEN 'prospect'
      ELSE 'occasional'
    END AS "lifecycle",
    CASE
      WHEN p."recency" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."recency" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."recency" DESC, p."customer_id"
      )
    END AS "rfm_r",
    CASE
      WHEN p."order_count" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."order_count" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."order_count" ASC, p."customer_id"
      )
    END AS "rfm_f",
    p."spend_tier" AS "rfm_m",
    CASE
      WHEN p."vip"
      THEN CASE
        WHEN (
          CAST('0x' || SUBSTRING(LOWER(MD5('spring-2026:' || CAST(p."customer_id" AS TEXT))), 1, 8) AS BIGINT)
        ) % 10000 < 9000
        THEN 'treatment'
        ELSE 'control'
      END
    END AS "vip_test"
  FROM "layer_2" AS p
), "layer_4" AS (
  SELECT
    p.*,
    COALESCE(p."big_spenders" AND p."lapsed", FALSE) AS "spenders_at_risk",
    CASE
      WHEN p."rfm_r" IS NULL OR p."rfm_f" IS NULL OR p."rfm_m" IS NULL
      THEN NULL
      WHEN p."rfm_r" = 5 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 8
      THEN 'champions'
      WHEN p."rfm_r" = 5 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 4
      THEN 'potential_loyalist'
      WHEN p."rfm_r" = 5
      THEN 'new_customers'
      WHEN p."rfm_r" = 4 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 8
      THEN 'loyal'
      WHEN p."rfm_r" = 4 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 4
      THEN 'potential_loyalist'
      WHEN p."rfm_r" = 4
      THEN 'promising'
      WHEN p."rfm_r" = 3 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 8
      THEN 'loyal'
      WHEN p."rfm_r" = 3 AND (
        p."rfm_f" + p."rfm_m"
      ) >= 6
      THEN 'need_attention'
      WHEN p."rfm_r" = 3
      THEN 'about_to_sleep'
      WHEN (
        p."rfm_f" + p."rfm_m"
      ) = 10
      THEN 'cant_lose_them'
      WHEN (
        p."rfm_f" + p."rfm_m"
      ) >= 6
      THEN 'at_risk'
      WHEN p."rfm_r" = 2
      THEN 'hibernating'
      ELSE 'lost'
    END AS "rfm"
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
  p."orders_90d" AS "orders_90d",
  p."web_orders" AS "web_orders",
  p."margin" AS "margin",
  p."vip" AS "vip",
  p."big_spenders" AS "big_spenders",
  p."newcomers" AS "newcomers",
  p."lapsed" AS "lapsed",
  p."spenders_at_risk" AS "spenders_at_risk",
  p."cart_abandoners" AS "cart_abandoners",
  p."big_cities" AS "big_cities",
  p."lifecycle" AS "lifecycle",
  p."age_band" AS "age_band",
  p."spend_tier" AS "spend_tier",
  p."rfm" AS "rfm",
  p."vip_test" AS "vip_test",
  p."rfm_r" AS "rfm_r",
  p."rfm_f" AS "rfm_f",
  p."rfm_m" AS "rfm_m"
FROM "layer_4" AS p
