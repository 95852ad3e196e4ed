-- segdsl SQL for oracle (generated tier: Oracle Database 19c+ (--as table: 23ai)).
-- One line per construct: what it is compiled to, with as_of = the engine's current date.

-- population (since)
e."signup_date" IS NULL OR TRUNC(e."signup_date") <= TRUNC(CURRENT_DATE)

-- event time cut (orders)
TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- member key (orders)
e."customer_id"

-- join of aggregates
p."customer_id" = a_orders."_key"

-- c_as_of: as_of
TRUNC(CURRENT_DATE)

-- c_date_literal: @2024-02-29
TO_DATE('2024-02-29', 'YYYY-MM-DD')

-- c_timestamp_literal: @2024-02-29T23:59:30
TO_TIMESTAMP('2024-02-29 23:59:30', 'YYYY-MM-DD HH24:MI:SS')

-- c_shift_days: as_of - 30 days
TRUNC(CURRENT_DATE) + -30

-- c_shift_months: as_of - 1 month
LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -1), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -1) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1))

-- c_shift_timestamp: last_login + 1 month
LEAST(ADD_MONTHS(p."last_login", 1), ADD_MONTHS(TRUNC(p."last_login", 'MM'), 1) + (EXTRACT(DAY FROM p."last_login") - 1))

-- c_days_between: days_between(signup_date, as_of)
TRUNC(TRUNC(CURRENT_DATE)) - TRUNC(p."signup_date")

-- c_years_between: years_between(birth_date, as_of)
(EXTRACT(YEAR FROM TRUNC(TRUNC(CURRENT_DATE))) - EXTRACT(YEAR FROM TRUNC(p."birth_date"))) - CASE WHEN (EXTRACT(YEAR FROM TRUNC(TRUNC(CURRENT_DATE))) - EXTRACT(YEAR FROM TRUNC(p."birth_date"))) > 0 AND EXTRACT(MONTH FROM TRUNC(TRUNC(CURRENT_DATE))) * 100 + EXTRACT(DAY FROM TRUNC(TRUNC(CURRENT_DATE))) < EXTRACT(MONTH FROM TRUNC(p."birth_date")) * 100 + EXTRACT(DAY FROM TRUNC(p."birth_date")) THEN 1 WHEN (EXTRACT(YEAR FROM TRUNC(TRUNC(CURRENT_DATE))) - EXTRACT(YEAR FROM TRUNC(p."birth_date"))) < 0 AND EXTRACT(MONTH FROM TRUNC(TRUNC(CURRENT_DATE))) * 100 + EXTRACT(DAY FROM TRUNC(TRUNC(CURRENT_DATE))) > EXTRACT(MONTH FROM TRUNC(p."birth_date")) * 100 + EXTRACT(DAY FROM TRUNC(p."birth_date")) THEN -1 ELSE 0 END

-- c_divide: income / score
CAST((p."income") AS DOUBLE PRECISION) / NULLIF(CAST((p."score") AS DOUBLE PRECISION), 0)

-- c_negate: -income
-(p."income")

-- c_two_valued: income > 5
COALESCE(CASE WHEN p."income" > 5 THEN 1 WHEN NOT (p."income" > 5) THEN 0 END, 0)

-- c_bool_column: is_b2b
COALESCE(p."is_b2b", 0)

-- c_not: not c_two_valued
COALESCE(CASE WHEN NOT (p."c_two_valued") = 1 THEN 1 WHEN NOT (NOT (p."c_two_valued") = 1) THEN 0 END, 0)

-- c_and_or: (income > 5 or score < 3) and is_b2b
COALESCE(CASE WHEN (p."income" > 5 OR p."score" < 3) AND p."is_b2b" = 1 THEN 1 WHEN NOT ((p."income" > 5 OR p."score" < 3) AND p."is_b2b" = 1) THEN 0 END, 0)

-- c_is_missing: income is missing
COALESCE(CASE WHEN p."income" IS NULL THEN 1 WHEN NOT (p."income" IS NULL) THEN 0 END, 0)

-- c_text_equal: city = "Łódź"
COALESCE(CASE WHEN p."city" = 'Łódź' THEN 1 WHEN NOT (p."city" = 'Łódź') THEN 0 END, 0)

-- c_text_order: city > "Kraków"
COALESCE(CASE WHEN p."city" > 'Kraków' THEN 1 WHEN NOT (p."city" > 'Kraków') THEN 0 END, 0)

-- c_in_list: city in ("Łódź", "Москва")
COALESCE(CASE WHEN p."city" IN ('Łódź', 'Москва') THEN 1 WHEN NOT (p."city" IN ('Łódź', 'Москва')) THEN 0 END, 0)

-- c_not_in_list: city not in ("Łódź")
COALESCE(CASE WHEN NOT p."city" IN ('Łódź') THEN 1 WHEN NOT (NOT p."city" IN ('Łódź')) THEN 0 END, 0)

-- c_between_dates: signup_date between @2024-01-01 and @2024-03-31
COALESCE(CASE WHEN TRUNC(p."signup_date") BETWEEN TRUNC(TO_DATE('2024-01-01', 'YYYY-MM-DD')) AND TRUNC(TO_DATE('2024-03-31', 'YYYY-MM-DD')) THEN 1 WHEN NOT (TRUNC(p."signup_date") BETWEEN TRUNC(TO_DATE('2024-01-01', 'YYYY-MM-DD')) AND TRUNC(TO_DATE('2024-03-31', 'YYYY-MM-DD'))) THEN 0 END, 0)

-- c_window_last: signup_date in last 30 days
COALESCE(CASE WHEN (TRUNC(p."signup_date") > TRUNC(TRUNC(CURRENT_DATE) + -30) AND TRUNC(p."signup_date") <= TRUNC(TRUNC(CURRENT_DATE))) THEN 1 WHEN NOT ((TRUNC(p."signup_date") > TRUNC(TRUNC(CURRENT_DATE) + -30) AND TRUNC(p."signup_date") <= TRUNC(TRUNC(CURRENT_DATE)))) THEN 0 END, 0)

-- c_window_previous: last_login in previous 1 month
COALESCE(CASE WHEN (TRUNC(p."last_login") > TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -2), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -2) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1))) AND TRUNC(p."last_login") <= TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -1), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -1) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1)))) THEN 1 WHEN NOT ((TRUNC(p."last_login") > TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -2), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -2) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1))) AND TRUNC(p."last_login") <= TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -1), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -1) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1))))) THEN 0 END, 0)

-- c_window_since: last_login since @2026-01-01
COALESCE(CASE WHEN (TRUNC(p."last_login") >= TRUNC(TO_DATE('2026-01-01', 'YYYY-MM-DD')) AND TRUNC(p."last_login") <= TRUNC(TRUNC(CURRENT_DATE))) THEN 1 WHEN NOT ((TRUNC(p."last_login") >= TRUNC(TO_DATE('2026-01-01', 'YYYY-MM-DD')) AND TRUNC(p."last_login") <= TRUNC(TRUNC(CURRENT_DATE)))) THEN 0 END, 0)

-- c_window_before: signup_date before as_of - 1 year
COALESCE(CASE WHEN TRUNC(p."signup_date") < TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -12), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -12) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1))) THEN 1 WHEN NOT (TRUNC(p."signup_date") < TRUNC(LEAST(ADD_MONTHS(TRUNC(CURRENT_DATE), -12), ADD_MONTHS(TRUNC(TRUNC(CURRENT_DATE), 'MM'), -12) + (EXTRACT(DAY FROM TRUNC(CURRENT_DATE)) - 1)))) THEN 0 END, 0)

-- c_timestamp_vs_date: last_login > @2026-06-01
COALESCE(CASE WHEN p."last_login" > TO_DATE('2026-06-01', 'YYYY-MM-DD') THEN 1 WHEN NOT (p."last_login" > TO_DATE('2026-06-01', 'YYYY-MM-DD')) THEN 0 END, 0)

-- c_like: email like "%\\_x[y]*%"
COALESCE(CASE WHEN p."email" LIKE '%\\_x[y]*%' ESCAPE '\' THEN 1 WHEN NOT (p."email" LIKE '%\\_x[y]*%' ESCAPE '\') THEN 0 END, 0)

-- c_like_param: email like label
COALESCE(CASE WHEN p."email" LIKE 'web' ESCAPE '\' THEN 1 WHEN NOT (p."email" LIKE 'web' ESCAPE '\') THEN 0 END, 0)

-- c_like_escaped: email like "50\% off\_\\%"
COALESCE(CASE WHEN p."email" LIKE '50\% off\_\\%' ESCAPE '\' THEN 1 WHEN NOT (p."email" LIKE '50\% off\_\\%' ESCAPE '\') THEN 0 END, 0)

-- c_like_param_escaped: email like pct
COALESCE(CASE WHEN p."email" LIKE '50\%' ESCAPE '\' THEN 1 WHEN NOT (p."email" LIKE '50\%' ESCAPE '\') THEN 0 END, 0)

-- c_not_like: email not like "%@gmail.com"
COALESCE(CASE WHEN NOT (p."email" LIKE '%@gmail.com' ESCAPE '\') THEN 1 WHEN NOT (NOT (p."email" LIKE '%@gmail.com' ESCAPE '\')) THEN 0 END, 0)

-- c_contains: email contains "%"
COALESCE(CASE WHEN INSTR(p."email", '%') > 0 THEN 1 WHEN NOT (INSTR(p."email", '%') > 0) THEN 0 END, 0)

-- c_starts_with: email starts with "Łó"
COALESCE(CASE WHEN SUBSTR(p."email", 1, LENGTH('Łó')) = 'Łó' THEN 1 WHEN NOT (SUBSTR(p."email", 1, LENGTH('Łó')) = 'Łó') THEN 0 END, 0)

-- c_count: count(orders)
COUNT(*) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_where: count(orders where channel = "web" in last 90 days)
COUNT(CASE WHEN (TRUNC(e."ordered_at") > TRUNC(TRUNC(CURRENT_DATE) + -90) AND TRUNC(e."ordered_at") <= TRUNC(TRUNC(CURRENT_DATE))) AND e."channel" = 'web' THEN 1 END) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_distinct_text: count_distinct(orders.channel)
COUNT(DISTINCT e."channel") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_sum: sum(orders.amount)
CAST(SUM(CAST(e."amount" AS NUMBER(38, 9))) AS DOUBLE PRECISION) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_avg: avg(orders.amount)
CAST(SUM(CAST(e."amount" AS NUMBER(38, 9))) AS DOUBLE PRECISION) / NULLIF(CAST(COUNT(e."amount") AS DOUBLE PRECISION), 0) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_min_text: min(orders.channel)
MIN(e."channel") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_timestamp: max(orders.ordered_at)
MAX(e."ordered_at") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_bool: count(orders.coupon)
COUNT(e."coupon") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_distinct_bool: count_distinct(orders.coupon)
COUNT(DISTINCT e."coupon") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_min_bool: min(orders.coupon)
MIN(e."coupon") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_bool: max(orders.coupon)
MAX(e."coupon") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_bool_where: max(orders.coupon where channel = "web")
MAX(CASE WHEN e."channel" = 'web' THEN e."coupon" END) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_condition: max((orders.amount > 100))
MAX(CASE WHEN e."amount" > 100 THEN 1 WHEN NOT (e."amount" > 100) THEN 0 END) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_date: count(orders.shipped_on)
COUNT(e."shipped_on") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_distinct_date: count_distinct(orders.shipped_on)
COUNT(DISTINCT e."shipped_on") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_min_date: min(orders.shipped_on)
MIN(e."shipped_on") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_date: max(orders.shipped_on)
MAX(e."shipped_on") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_distinct_timestamp: count_distinct(orders.ordered_at)
COUNT(DISTINCT e."ordered_at") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_min_timestamp: min(orders.ordered_at)
MIN(e."ordered_at") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_count_text: count(orders.channel)
COUNT(e."channel") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_max_text: max(orders.channel)
MAX(e."channel") … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_after_first: sum(orders.amount where ordered_at > c_max_timestamp - 30 days)
CAST(SUM(CAST(e."amount" AS NUMBER(38, 9))) AS DOUBLE PRECISION) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND e."ordered_at" > p."c_max_timestamp" + -30

-- c_most_frequent_text: most_frequent(orders.channel)
SELECT "_key", "_v" AS "_orders_23" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC NULLS LAST, "_g") AS "_r" FROM (SELECT e."customer_id" AS "_key", e."channel" AS "_g", COUNT(*) AS "_n", MIN(e."channel") AS "_v" FROM "orders" e WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."channel") IS NULL) GROUP BY e."customer_id", e."channel") c) r WHERE "_r" = 1

-- c_most_frequent_bool: most_frequent(orders.coupon where channel = "web")
SELECT "_key", "_v" AS "_orders_24" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC NULLS LAST, "_g") AS "_r" FROM (SELECT e."customer_id" AS "_key", e."coupon" AS "_g", COUNT(*) AS "_n", MIN(e."coupon") AS "_v" FROM "orders" e WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."coupon") IS NULL) AND (e."channel" = 'web') GROUP BY e."customer_id", e."coupon") c) r WHERE "_r" = 1

-- c_first_text: first(orders.channel where coupon)
SELECT e."customer_id" AS "_key", MIN(e."channel") AS "_orders_25" FROM "orders" e JOIN (SELECT e."customer_id" AS "_key", MIN(e."ordered_at") AS "_t" FROM "orders" e WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."channel") IS NULL) AND (e."coupon") = 1 GROUP BY e."customer_id") _e ON e."customer_id" = _e."_key" AND e."ordered_at" = _e."_t" WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."channel") IS NULL) AND (e."coupon") = 1 GROUP BY e."customer_id"

-- c_last_timestamp: last(orders.ordered_at in last 90 days)
SELECT e."customer_id" AS "_key", MIN(e."ordered_at") AS "_orders_26" FROM "orders" e JOIN (SELECT e."customer_id" AS "_key", MAX(e."ordered_at") AS "_t" FROM "orders" e WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."ordered_at") IS NULL) AND ((TRUNC(e."ordered_at") > TRUNC(TRUNC(CURRENT_DATE) + -90) AND TRUNC(e."ordered_at") <= TRUNC(TRUNC(CURRENT_DATE)))) GROUP BY e."customer_id") _e ON e."customer_id" = _e."_key" AND e."ordered_at" = _e."_t" WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE) AND NOT ((e."ordered_at") IS NULL) AND ((TRUNC(e."ordered_at") > TRUNC(TRUNC(CURRENT_DATE) + -90) AND TRUNC(e."ordered_at") <= TRUNC(TRUNC(CURRENT_DATE)))) GROUP BY e."customer_id"

-- c_share: share(orders.amount where channel = "web")
CAST((COALESCE(CAST(SUM(CASE WHEN e."channel" = 'web' THEN CAST(e."amount" AS NUMBER(38, 9)) END) AS DOUBLE PRECISION), 0)) AS DOUBLE PRECISION) / NULLIF(CAST((CAST(SUM(CAST(e."amount" AS NUMBER(38, 9))) AS DOUBLE PRECISION)) AS DOUBLE PRECISION), 0) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_share_count: share(orders in last 90 days where coupon)
CAST((COUNT(CASE WHEN ((TRUNC(e."ordered_at") > TRUNC(TRUNC(CURRENT_DATE) + -90) AND TRUNC(e."ordered_at") <= TRUNC(TRUNC(CURRENT_DATE)))) AND (e."coupon") = 1 THEN 1 END)) AS DOUBLE PRECISION) / NULLIF(CAST((COUNT(CASE WHEN (TRUNC(e."ordered_at") > TRUNC(TRUNC(CURRENT_DATE) + -90) AND TRUNC(e."ordered_at") <= TRUNC(TRUNC(CURRENT_DATE))) THEN 1 END)) AS DOUBLE PRECISION), 0) … WHERE TRUNC(e."ordered_at") <= TRUNC(CURRENT_DATE)

-- c_cases: c_sum > 100  else b }
CASE WHEN p."c_sum" > 100 THEN 'a' ELSE 'b' END

-- c_case_ref: c_cases.a
COALESCE(COALESCE(CASE WHEN p."c_cases" = 'a' THEN 1 WHEN NOT (p."c_cases" = 'a') THEN 0 END, 0), 0)

-- c_bucket: bucket(c_sum, [10, 100])
CASE WHEN p."c_sum" IS NULL THEN NULL WHEN p."c_sum" < 10 THEN '<10' WHEN p."c_sum" < 100 THEN '10-99' ELSE '100+' END

-- c_quantile: quantile(c_sum, 4)
CASE WHEN p."c_sum" IS NULL THEN NULL ELSE NTILE(4) OVER (PARTITION BY CASE WHEN p."c_sum" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_sum" ASC, p."customer_id") END

-- c_rfm (recency score): rfm(recency: c_days_between, frequency: c_count, monetary: c_sum)
CASE WHEN p."c_days_between" IS NULL THEN NULL ELSE NTILE(5) OVER (PARTITION BY CASE WHEN p."c_days_between" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_days_between" DESC NULLS LAST, p."customer_id") END

-- c_holdout: c_two_valued split 50% a, 50% b seed "s"
CASE WHEN p."c_two_valued" = 1 THEN CASE WHEN MOD((TO_NUMBER(SUBSTR(LOWER(RAWTOHEX(STANDARD_HASH('s:' || TO_CHAR(p."customer_id"), 'MD5'))), 1, 8), 'xxxxxxxx')), 10000) < 5000 THEN 'a' ELSE 'b' END END

-- event time cut (invoices)
TRUNC(e."issued_on") <= TRUNC(CURRENT_DATE)

-- member key (invoices)
e."account_id"

-- join of aggregates
p."account_id" = a_invoices."_key"

-- k_total: sum(invoices.total)
CAST(SUM(CAST(e."total" AS NUMBER(38, 9))) AS DOUBLE PRECISION) … WHERE TRUNC(e."issued_on") <= TRUNC(CURRENT_DATE)

-- k_all: true
COALESCE(1, 0)

-- k_quantile: quantile(k_total, 3)
CASE WHEN p."k_total" IS NULL THEN NULL ELSE NTILE(3) OVER (PARTITION BY CASE WHEN p."k_total" IS NULL THEN 1 ELSE 0 END ORDER BY p."k_total" ASC, p."account_id") END

-- k_holdout: k_all split 50% a, 50% b seed "s"
CASE WHEN p."k_all" = 1 THEN CASE WHEN MOD((TO_NUMBER(SUBSTR(LOWER(RAWTOHEX(STANDARD_HASH('s:' || TO_CHAR(p."account_id"), 'MD5'))), 1, 8), 'xxxxxxxx')), 10000) < 5000 THEN 'a' ELSE 'b' END END

-- --as view analytics.segments
CREATE OR REPLACE VIEW "analytics"."segments" AS SELECT 1 AS one

-- --as table analytics.segments
DROP TABLE IF EXISTS "analytics"."segments" ; CREATE TABLE "analytics"."segments" AS SELECT 1 AS one
