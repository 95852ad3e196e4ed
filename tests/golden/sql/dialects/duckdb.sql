-- segdsl SQL for duckdb (verified tier: DuckDB, embedded (CI: duckdb 2.0)).
-- One line per construct: what it is compiled to, with as_of = the engine's current date.

-- population (since)
e."signup_date" IS NULL OR e."signup_date" <= CURRENT_DATE

-- event time cut (orders)
CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- member key (orders)
e."customer_id"

-- join of aggregates
p."customer_id" = a_orders."_key"

-- c_as_of: as_of
CURRENT_DATE

-- c_date_literal: @2024-02-29
CAST('2024-02-29' AS DATE)

-- c_timestamp_literal: @2024-02-29T23:59:30
CAST('2024-02-29 23:59:30' AS TIMESTAMP)

-- c_shift_days: as_of - 30 days
CAST(CURRENT_DATE + INTERVAL (-30) DAY AS DATE)

-- c_shift_months: as_of - 1 month
CAST(CURRENT_DATE + INTERVAL (-1) MONTH AS DATE)

-- c_shift_timestamp: last_login + 1 month
p."last_login" + INTERVAL 1 MONTH

-- c_days_between: days_between(signup_date, as_of)
DATE_DIFF('DAY', p."signup_date", CURRENT_DATE)

-- c_years_between: years_between(birth_date, as_of)
(EXTRACT(YEAR FROM CURRENT_DATE) - EXTRACT(YEAR FROM p."birth_date")) - CASE WHEN (EXTRACT(YEAR FROM CURRENT_DATE) - EXTRACT(YEAR FROM p."birth_date")) > 0 AND EXTRACT(MONTH FROM CURRENT_DATE) * 100 + EXTRACT(DAY FROM CURRENT_DATE) < EXTRACT(MONTH FROM p."birth_date") * 100 + EXTRACT(DAY FROM p."birth_date") THEN 1 WHEN (EXTRACT(YEAR FROM CURRENT_DATE) - EXTRACT(YEAR FROM p."birth_date")) < 0 AND EXTRACT(MONTH FROM CURRENT_DATE) * 100 + EXTRACT(DAY FROM CURRENT_DATE) > EXTRACT(MONTH FROM p."birth_date") * 100 + EXTRACT(DAY FROM p."birth_date") THEN -1 ELSE 0 END

-- c_divide: income / score
CAST((p."income") AS DOUBLE) / NULLIF(CAST((p."score") AS DOUBLE), 0)

-- c_negate: -income
-(p."income")

-- c_two_valued: income > 5
COALESCE(p."income" > 5, FALSE)

-- c_bool_column: is_b2b
COALESCE(p."is_b2b", FALSE)

-- c_not: not c_two_valued
COALESCE(NOT (p."c_two_valued"), FALSE)

-- c_and_or: (income > 5 or score < 3) and is_b2b
COALESCE((p."income" > 5 OR p."score" < 3) AND p."is_b2b", FALSE)

-- c_is_missing: income is missing
COALESCE(p."income" IS NULL, FALSE)

-- c_text_equal: city = "Łódź"
COALESCE(p."city" = 'Łódź', FALSE)

-- c_text_order: city > "Kraków"
COALESCE(p."city" > 'Kraków', FALSE)

-- c_in_list: city in ("Łódź", "Москва")
COALESCE(p."city" IN ('Łódź', 'Москва'), FALSE)

-- c_not_in_list: city not in ("Łódź")
COALESCE(NOT p."city" IN ('Łódź'), FALSE)

-- c_between_dates: signup_date between @2024-01-01 and @2024-03-31
COALESCE(p."signup_date" BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-03-31' AS DATE), FALSE)

-- c_window_last: signup_date in last 30 days
COALESCE((p."signup_date" > CAST(CURRENT_DATE + INTERVAL (-30) DAY AS DATE) AND p."signup_date" <= CURRENT_DATE), FALSE)

-- c_window_previous: last_login in previous 1 month
COALESCE((CAST(p."last_login" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-2) MONTH AS DATE) AND CAST(p."last_login" AS DATE) <= CAST(CURRENT_DATE + INTERVAL (-1) MONTH AS DATE)), FALSE)

-- c_window_since: last_login since @2026-01-01
COALESCE((CAST(p."last_login" AS DATE) >= CAST('2026-01-01' AS DATE) AND CAST(p."last_login" AS DATE) <= CURRENT_DATE), FALSE)

-- c_window_before: signup_date before as_of - 1 year
COALESCE(p."signup_date" < CAST(CURRENT_DATE + INTERVAL (-1) YEAR AS DATE), FALSE)

-- c_timestamp_vs_date: last_login > @2026-06-01
COALESCE(p."last_login" > CAST('2026-06-01' AS DATE), FALSE)

-- c_like: email like "%\\_x[y]*%"
COALESCE(p."email" LIKE '%\_x[y]*%', FALSE)

-- c_like_param: email like label
COALESCE(p."email" LIKE 'web', FALSE)

-- c_like_escaped: email like "50\% off\_\\%"
COALESCE(p."email" LIKE '50\% off\_\\%' ESCAPE '\', FALSE)

-- c_like_param_escaped: email like pct
COALESCE(p."email" LIKE '50\%' ESCAPE '\', FALSE)

-- c_not_like: email not like "%@gmail.com"
COALESCE(NOT (p."email" LIKE '%@gmail.com'), FALSE)

-- c_contains: email contains "%"
COALESCE(STRPOS(p."email", '%') > 0, FALSE)

-- c_starts_with: email starts with "Łó"
COALESCE(SUBSTRING(p."email", 1, LENGTH('Łó')) = 'Łó', FALSE)

-- c_count: count(orders)
COUNT(*) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_where: count(orders where channel = "web" in last 90 days)
COUNT_IF((CAST(e."ordered_at" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-90) DAY AS DATE) AND CAST(e."ordered_at" AS DATE) <= CURRENT_DATE) AND e."channel" = 'web') … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_distinct_text: count_distinct(orders.channel)
COUNT(DISTINCT e."channel") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_sum: sum(orders.amount)
CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_avg: avg(orders.amount)
CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) / NULLIF(CAST(COUNT(e."amount") AS DOUBLE), 0) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_min_text: min(orders.channel)
MIN(e."channel") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_timestamp: max(orders.ordered_at)
MAX(e."ordered_at") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_bool: count(orders.coupon)
COUNT(e."coupon") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_distinct_bool: count_distinct(orders.coupon)
COUNT(DISTINCT e."coupon") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_min_bool: min(orders.coupon)
MIN(e."coupon") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_bool: max(orders.coupon)
MAX(e."coupon") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_bool_where: max(orders.coupon where channel = "web")
MAX(CASE WHEN e."channel" = 'web' THEN e."coupon" END) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_condition: max((orders.amount > 100))
MAX(e."amount" > 100) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_date: count(orders.shipped_on)
COUNT(e."shipped_on") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_distinct_date: count_distinct(orders.shipped_on)
COUNT(DISTINCT e."shipped_on") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_min_date: min(orders.shipped_on)
MIN(e."shipped_on") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_date: max(orders.shipped_on)
MAX(e."shipped_on") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_distinct_timestamp: count_distinct(orders.ordered_at)
COALESCE(LEN(LIST_DISTINCT(LIST(e."ordered_at"))), 0) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_min_timestamp: min(orders.ordered_at)
MIN(e."ordered_at") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_count_text: count(orders.channel)
COUNT(e."channel") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_max_text: max(orders.channel)
MAX(e."channel") … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_after_first: sum(orders.amount where ordered_at > c_max_timestamp - 30 days)
CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND e."ordered_at" > (p."c_max_timestamp" + INTERVAL (-30) DAY)

-- c_most_frequent_text: most_frequent(orders.channel)
SELECT "_key", "_v" AS "_orders_23" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g") AS "_r" FROM (SELECT e."customer_id" AS "_key", e."channel" AS "_g", COUNT(*) AS "_n", MIN(e."channel") AS "_v" FROM "orders" AS e WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."channel") IS NULL) GROUP BY e."customer_id", e."channel") AS c) AS r WHERE "_r" = 1

-- c_most_frequent_bool: most_frequent(orders.coupon where channel = "web")
SELECT "_key", "_v" AS "_orders_24" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g") AS "_r" FROM (SELECT e."customer_id" AS "_key", e."coupon" AS "_g", COUNT(*) AS "_n", MIN(e."coupon") AS "_v" FROM "orders" AS e WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."coupon") IS NULL) AND (e."channel" = 'web') GROUP BY e."customer_id", e."coupon") AS c) AS r WHERE "_r" = 1

-- c_first_text: first(orders.channel where coupon)
SELECT e."customer_id" AS "_key", MIN(e."channel") AS "_orders_25" FROM "orders" AS e JOIN (SELECT e."customer_id" AS "_key", MIN(e."ordered_at") AS "_t" FROM "orders" AS e WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."channel") IS NULL) AND (e."coupon") GROUP BY e."customer_id") AS _e ON e."customer_id" = _e."_key" AND e."ordered_at" = _e."_t" WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."channel") IS NULL) AND (e."coupon") GROUP BY e."customer_id"

-- c_last_timestamp: last(orders.ordered_at in last 90 days)
SELECT e."customer_id" AS "_key", MIN(e."ordered_at") AS "_orders_26" FROM "orders" AS e JOIN (SELECT e."customer_id" AS "_key", MAX(e."ordered_at") AS "_t" FROM "orders" AS e WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."ordered_at") IS NULL) AND ((CAST(e."ordered_at" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-90) DAY AS DATE) AND CAST(e."ordered_at" AS DATE) <= CURRENT_DATE)) GROUP BY e."customer_id") AS _e ON e."customer_id" = _e."_key" AND e."ordered_at" = _e."_t" WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE AND NOT ((e."ordered_at") IS NULL) AND ((CAST(e."ordered_at" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-90) DAY AS DATE) AND CAST(e."ordered_at" AS DATE) <= CURRENT_DATE)) GROUP BY e."customer_id"

-- c_share: share(orders.amount where channel = "web")
CAST((COALESCE(CAST(SUM(CASE WHEN e."channel" = 'web' THEN CAST(e."amount" AS DECIMAL(38, 9)) END) AS DOUBLE), 0)) AS DOUBLE) / NULLIF(CAST((CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE)) AS DOUBLE), 0) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_share_count: share(orders in last 90 days where coupon)
CAST((COUNT(CASE WHEN ((CAST(e."ordered_at" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-90) DAY AS DATE) AND CAST(e."ordered_at" AS DATE) <= CURRENT_DATE)) AND (e."coupon") THEN 1 END)) AS DOUBLE) / NULLIF(CAST((COUNT(CASE WHEN (CAST(e."ordered_at" AS DATE) > CAST(CURRENT_DATE + INTERVAL (-90) DAY AS DATE) AND CAST(e."ordered_at" AS DATE) <= CURRENT_DATE) THEN 1 END)) AS DOUBLE), 0) … WHERE CAST(e."ordered_at" AS DATE) <= CURRENT_DATE

-- c_cases: c_sum > 100  else b }
CASE WHEN p."c_sum" > 100 THEN 'a' ELSE 'b' END

-- c_case_ref: c_cases.a
COALESCE(COALESCE(p."c_cases" = 'a', FALSE), FALSE)

-- c_bucket: bucket(c_sum, [10, 100])
CASE WHEN p."c_sum" IS NULL THEN NULL WHEN p."c_sum" < 10 THEN '<10' WHEN p."c_sum" < 100 THEN '10-99' ELSE '100+' END

-- c_quantile: quantile(c_sum, 4)
CASE WHEN p."c_sum" IS NULL THEN NULL ELSE NTILE(4) OVER (PARTITION BY CASE WHEN p."c_sum" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_sum" ASC, p."customer_id") END

-- c_rfm (recency score): rfm(recency: c_days_between, frequency: c_count, monetary: c_sum)
CASE WHEN p."c_days_between" IS NULL THEN NULL ELSE NTILE(5) OVER (PARTITION BY CASE WHEN p."c_days_between" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_days_between" DESC, p."customer_id") END

-- c_holdout: c_two_valued split 50% a, 50% b seed "s"
CASE WHEN p."c_two_valued" THEN CASE WHEN (CAST('0x' || SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 1, 8) AS BIGINT)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- event time cut (invoices)
e."issued_on" <= CURRENT_DATE

-- member key (invoices)
e."account_id"

-- join of aggregates
p."account_id" = a_invoices."_key"

-- k_total: sum(invoices.total)
CAST(SUM(CAST(e."total" AS DECIMAL(38, 9))) AS DOUBLE) … WHERE e."issued_on" <= CURRENT_DATE

-- k_all: true
COALESCE(TRUE, FALSE)

-- k_quantile: quantile(k_total, 3)
CASE WHEN p."k_total" IS NULL THEN NULL ELSE NTILE(3) OVER (PARTITION BY CASE WHEN p."k_total" IS NULL THEN 1 ELSE 0 END ORDER BY p."k_total" ASC, p."account_id") END

-- k_holdout: k_all split 50% a, 50% b seed "s"
CASE WHEN p."k_all" THEN CASE WHEN (CAST('0x' || SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 1, 8) AS BIGINT)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- --as view analytics.segments
CREATE OR REPLACE VIEW "analytics"."segments" AS SELECT 1 AS one

-- --as table analytics.segments
CREATE OR REPLACE TABLE "analytics"."segments" AS SELECT 1 AS one
