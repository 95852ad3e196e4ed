WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."gender" AS "gender",
    e."income" AS "income",
    e."country" AS "country",
    e."city" AS "city",
    e."area" AS "area",
    e."email" AS "email",
    e."device" AS "device",
    e."platform" AS "platform"
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
    MAX(e."ordered_at") AS "_orders_4"
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
    COALESCE(p."gender" = 'female', FALSE) AS "women",
    COALESCE(p."gender" = 'male', FALSE) AS "men",
    COALESCE(p."income" >= 100000, FALSE) AS "high_earners",
    COALESCE(
      p."country" = 'PL'
      AND p."city" IN ('Warszawa', 'Kraków', 'Łódź', 'Wrocław', 'Gdańsk', 'Poznań'),
      FALSE
    ) AS "polish_big_cities",
    COALESCE(
      (
        p."country" = 'RU' OR p."city" IN ('Москва', 'Санкт-Петербург', 'Казань')
      ),
      FALSE
    ) AS "russian_speaking",
    COALESCE(p."area" = 'rural', FALSE) AS "rural",
    COALESCE(p."email" LIKE '%@gmail.com', FALSE) AS "gmail_users",
    COALESCE(p."device" = 'mobile' AND p."platform" IN ('ios', 'android'), FALSE) AS "mobile_first",
    CASE
      WHEN p."income" IS NULL
      THEN NULL
      WHEN p."income" < 30000
      THEN '<30000'
      WHEN p."income" < 60000
      THEN '30000-59999'
      WHEN p."income" < 100000
      THEN '60000-99999'
      WHEN p."income" < 200000
      THEN '100000-199999'
      ELSE '200000+'
    END AS "income_band",
    CASE
      WHEN p."country" = 'PL'
      THEN 'poland'
      WHEN p."country" = 'DE'
      THEN 'dach'
      WHEN p."country" = 'RU'
      THEN 'russia'
      WHEN p."country" IN ('GB', 'FR')
      THEN 'western'
      ELSE 'other'
    END AS "region"
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
    COALESCE(p."age" BETWEEN 18 AND 29, FALSE) AS "young_adults",
    COALESCE(p."age" >= 65, FALSE) AS "seniors",
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
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency"
  FROM "layer_1" AS p
)
SELECT
  p."customer_id" AS "customer_id",
  p."revenue" AS "revenue",
  p."order_count" AS "order_count",
  p."first_order" AS "first_order",
  p."last_order" AS "last_order",
  p."recency" AS "recency",
  p."age" AS "age",
  p."women" AS "women",
  p."men" AS "men",
  p."young_adults" AS "young_adults",
  p."seniors" AS "seniors",
  p."high_earners" AS "high_earners",
  p."polish_big_cities" AS "polish_big_cities",
  p."russian_speaking" AS "russian_speaking",
  p."rural" AS "rural",
  p."gmail_users" AS "gmail_users",
  p."mobile_first" AS "mobile_first",
  p."age_band" AS "age_band",
  p."income_band" AS "income_band",
  p."region" AS "region"
FROM "layer_2" AS p
