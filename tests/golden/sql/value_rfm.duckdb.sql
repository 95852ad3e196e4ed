WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."signup_date" AS "signup_date"
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
    CAST(SUM(CAST(e."margin" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_5",
    CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) / NULLIF(CAST(COUNT(e."amount") AS DOUBLE), 0) AS "_orders_6",
    CAST(SUM(
      CASE
        WHEN (
          CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
          AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        THEN CAST(e."amount" AS DECIMAL(38, 9))
      END
    ) AS DOUBLE) AS "_orders_7",
    CAST(SUM(
      CASE
        WHEN (
          CAST(e."ordered_at" AS DATE) > CAST('2024-06-30' AS DATE)
          AND CAST(e."ordered_at" AS DATE) <= CAST('2025-06-30' AS DATE)
        )
        THEN CAST(e."amount" AS DECIMAL(38, 9))
      END
    ) AS DOUBLE) AS "_orders_8"
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
    a_orders."_orders_5" AS "_orders_5",
    a_orders."_orders_6" AS "_orders_6",
    a_orders."_orders_7" AS "_orders_7",
    a_orders."_orders_8" AS "_orders_8",
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
    (
      EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."signup_date" AS DATE))
    ) - CASE
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."signup_date" AS DATE))
      ) > 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) < EXTRACT(MONTH FROM CAST(p."signup_date" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."signup_date" AS DATE))
      THEN 1
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."signup_date" AS DATE))
      ) < 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) > EXTRACT(MONTH FROM CAST(p."signup_date" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."signup_date" AS DATE))
      THEN -1
      ELSE 0
    END AS "tenure_years"
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
    p."_orders_5" AS "margin",
    p."_orders_6" AS "avg_order_value",
    p."_orders_7" AS "revenue_365d",
    p."_orders_8" AS "revenue_prev_365"
  FROM "layer_0" AS p
), "agg_2_orders" AS (
  SELECT
    e."customer_id" AS "_key",
    CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_9"
  FROM "orders" AS e
  JOIN (
    SELECT DISTINCT
      p."customer_id" AS "_member",
      p."first_order"
    FROM "layer_1" AS p
  ) AS p
    ON e."customer_id" = p."_member"
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND e."ordered_at" > p."first_order"
  GROUP BY
    e."customer_id"
), "layer_2" AS (
  SELECT
    p.*,
    a_orders."_orders_9" AS "_orders_9",
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    CAST((
      p."margin"
    ) AS DOUBLE) / NULLIF(CAST((
      p."revenue"
    ) AS DOUBLE), 0) AS "margin_rate",
    CAST((
      p."revenue"
    ) AS DOUBLE) / NULLIF(CAST((
      (
        p."tenure_years"
      ) + (
        1
      )
    ) AS DOUBLE), 0) AS "lifetime_value",
    COALESCE(p."margin" >= 500, FALSE) AS "high_margin",
    COALESCE(p."avg_order_value" >= 200, FALSE) AS "big_baskets",
    COALESCE(p."revenue_365d" > (
      p."revenue_prev_365"
    ) * (
      1.2
    ), FALSE) AS "growing",
    COALESCE(p."revenue_365d" < (
      p."revenue_prev_365"
    ) * (
      0.5
    ), FALSE) AS "shrinking",
    CASE
      WHEN p."revenue" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."revenue" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."revenue" ASC, p."customer_id"
      )
    END AS "spend_tier"
  FROM "layer_1" AS p
  LEFT JOIN "agg_2_orders" AS a_orders
    ON p."customer_id" = a_orders."_key"
), "layer_3" AS (
  SELECT
    p.*,
    p."_orders_9" AS "spend_after_first",
    COALESCE(p."margin_rate" < 0.15, FALSE) AS "thin_margin",
    CASE
      WHEN p."lifetime_value" IS NULL
      THEN NULL
      WHEN p."lifetime_value" < 100
      THEN '<100'
      WHEN p."lifetime_value" < 500
      THEN '100-499'
      WHEN p."lifetime_value" < 2000
      THEN '500-1999'
      ELSE '2000+'
    END AS "ltv_band",
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
    p."spend_tier" AS "rfm_m"
  FROM "layer_2" AS p
), "layer_4" AS (
  SELECT
    p.*,
    COALESCE(p."spend_after_first" > 0, FALSE) AS "repeat_buyers",
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
), "layer_5" AS (
  SELECT
    p.*,
    COALESCE(p."rfm_r" <= 2 AND p."rfm_m" = 5, FALSE) AS "champions_at_risk"
  FROM "layer_4" AS p
)
SELECT
  p."customer_id" AS "customer_id",
  p."revenue" AS "revenue",
  p."order_count" AS "order_count",
  p."first_order" AS "first_order",
  p."last_order" AS "last_order",
  p."recency" AS "recency",
  p."age" AS "age",
  p."margin" AS "margin",
  p."margin_rate" AS "margin_rate",
  p."avg_order_value" AS "avg_order_value",
  p."revenue_365d" AS "revenue_365d",
  p."revenue_prev_365" AS "revenue_prev_365",
  p."tenure_years" AS "tenure_years",
  p."lifetime_value" AS "lifetime_value",
  p."spend_after_first" AS "spend_after_first",
  p."high_margin" AS "high_margin",
  p."thin_margin" AS "thin_margin",
  p."big_baskets" AS "big_baskets",
  p."growing" AS "growing",
  p."shrinking" AS "shrinking",
  p."repeat_buyers" AS "repeat_buyers",
  p."spend_tier" AS "spend_tier",
  p."ltv_band" AS "ltv_band",
  p."rfm" AS "rfm",
  p."champions_at_risk" AS "champions_at_risk",
  p."rfm_r" AS "rfm_r",
  p."rfm_f" AS "rfm_f",
  p."rfm_m" AS "rfm_m"
FROM "layer_5" AS p
