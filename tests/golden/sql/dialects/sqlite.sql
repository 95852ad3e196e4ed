-- segdsl SQL for sqlite (verified tier: SQLite 3.30+ through Python's sqlite3 (CI: 3.40)).
-- One line per construct: what it is compiled to, with as_of = the engine's current date.

-- population (since)
e."signup_date" IS NULL OR DATE(e."signup_date") <= DATE('now')

-- event time cut (orders)
DATE(e."ordered_at") <= DATE('now')

-- member key (orders)
e."customer_id"

-- join of aggregates
p."customer_id" = a_orders."_key"

-- c_as_of: as_of
DATE('now')

-- c_date_literal: @2024-02-29
'2024-02-29'

-- c_timestamp_literal: @2024-02-29T23:59:30
'2024-02-29 23:59:30.000'

-- c_shift_days: as_of - 30 days
DATE(DATE('now'), '-30 days')

-- c_shift_months: as_of - 1 month
MIN(DATE(DATE('now'), '-1 months'), DATE(DATE('now'), 'start of month', '+0 months', '-1 days'))

-- c_shift_timestamp: last_login + 1 month
MIN(STRFTIME('%Y-%m-%d %H:%M:%f', p."last_login", '+1 months'), DATE(p."last_login", 'start of month', '+2 months', '-1 days') || STRFTIME(' %H:%M:%f', p."last_login"))

-- c_days_between: days_between(signup_date, as_of)
CAST(JULIANDAY(DATE(DATE('now'))) - JULIANDAY(DATE(p."signup_date")) AS INTEGER)

-- c_years_between: years_between(birth_date, as_of)
(CAST(STRFTIME('%Y', DATE(DATE('now'))) AS INTEGER) - CAST(STRFTIME('%Y', DATE(p."birth_date")) AS INTEGER)) - CASE WHEN (CAST(STRFTIME('%Y', DATE(DATE('now'))) AS INTEGER) - CAST(STRFTIME('%Y', DATE(p."birth_date")) AS INTEGER)) > 0 AND CAST(STRFTIME('%m', DATE(DATE('now'))) AS INTEGER) * 100 + CAST(STRFTIME('%d', DATE(DATE('now'))) AS INTEGER) < CAST(STRFTIME('%m', DATE(p."birth_date")) AS INTEGER) * 100 + CAST(STRFTIME('%d', DATE(p."birth_date")) AS INTEGER) THEN 1 WHEN (CAST(STRFTIME('%Y', DATE(DATE('now'))) AS INTEGER) - CAST(STRFTIME('%Y', DATE(p."birth_date")) AS INTEGER)) < 0 AND CAST(STRFTIME('%m', DATE(DATE('now'))) AS INTEGER) * 100 + CAST(STRFTIME('%d', DATE(DATE('now'))) AS INTEGER) > CAST(STRFTIME('%m', DATE(p."birth_date")) AS INTEGER) * 100 + CAST(STRFTIME('%d', DATE(p."birth_date")) AS INTEGER) THEN -1 ELSE 0 END

-- c_divide: income / score
CAST((p."income") AS REAL) / NULLIF(CAST((p."score") AS REAL), 0)

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
COALESCE(p."city" COLLATE BINARY = 'Łódź', FALSE)

-- c_text_order: city > "Kraków"
COALESCE(p."city" COLLATE BINARY > 'Kraków', FALSE)

-- c_in_list: city in ("Łódź", "Москва")
COALESCE(p."city" COLLATE BINARY IN ('Łódź', 'Москва'), FALSE)

-- c_not_in_list: city not in ("Łódź")
COALESCE(NOT p."city" COLLATE BINARY IN ('Łódź'), FALSE)

-- c_between_dates: signup_date between @2024-01-01 and @2024-03-31
COALESCE(DATE(DATE(p."signup_date")) BETWEEN DATE(DATE('2024-01-01')) AND DATE(DATE('2024-03-31')), FALSE)

-- c_window_last: signup_date in last 30 days
COALESCE((DATE(p."signup_date") > DATE(DATE(DATE('now'), '-30 days')) AND DATE(p."signup_date") <= DATE(DATE('now'))), FALSE)

-- c_window_previous: last_login in previous 1 month
COALESCE((DATE(p."last_login") > DATE(MIN(DATE(DATE('now'), '-2 months'), DATE(DATE('now'), 'start of month', '-1 months', '-1 days'))) AND DATE(p."last_login") <= DATE(MIN(DATE(DATE('now'), '-1 months'), DATE(DATE('now'), 'start of month', '+0 months', '-1 days')))), FALSE)

-- c_window_since: last_login since @2026-01-01
COALESCE((DATE(p."last_login") >= DATE('2026-01-01') AND DATE(p."last_login") <= DATE(DATE('now'))), FALSE)

-- c_window_before: signup_date before as_of - 1 year
COALESCE(DATE(p."signup_date") < DATE(MIN(DATE(DATE('now'), '-12 months'), DATE(DATE('now'), 'start of month', '-11 months', '-1 days'))), FALSE)

-- c_timestamp_vs_date: last_login > @2026-06-01
COALESCE(STRFTIME('%Y-%m-%d %H:%M:%f', p."last_login") > STRFTIME('%Y-%m-%d %H:%M:%f', '2026-06-01'), FALSE)

-- c_like: email like "%\\_x[y]*%"
COALESCE(p."email" GLOB '*\?x[[]y][*]*', FALSE)

-- c_like_param: email like label
COALESCE(p."email" GLOB 'web', FALSE)

-- c_like_escaped: email like "50\% off\_\\%"
COALESCE(p."email" GLOB '50% off_\*', FALSE)

-- c_like_param_escaped: email like pct
COALESCE(p."email" GLOB '50%', FALSE)

-- c_not_like: email not like "%@gmail.com"
COALESCE(NOT (p."email" GLOB '*@gmail.com'), FALSE)

-- c_contains: email contains "%"
COALESCE(INSTR(p."email", '%') > 0, FALSE)

-- c_starts_with: email starts with "Łó"
COALESCE(SUBSTRING(p."email", 1, LENGTH('Łó')) = 'Łó' COLLATE BINARY, FALSE)

-- c_count: count(orders)
COUNT(*) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_where: count(orders where channel = "web" in last 90 days)
COUNT(*) FILTER(WHERE (DATE(e."ordered_at") > DATE(DATE(DATE('now'), '-90 days')) AND DATE(e."ordered_at") <= DATE(DATE('now'))) AND e."channel" COLLATE BINARY = 'web') … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_distinct_text: count_distinct(orders.channel)
COUNT(DISTINCT e."channel") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_sum: sum(orders.amount)
SEGDSL_EXACT(SUM(CAST(e."amount" AS INTEGER) >> 32), SUM(CAST(e."amount" AS INTEGER) & 4294967295), SUM(CAST(ROUND((e."amount" - CAST(e."amount" AS INTEGER)) * 1000000000) AS INTEGER))) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_avg: avg(orders.amount)
CAST(SEGDSL_EXACT(SUM(CAST(e."amount" AS INTEGER) >> 32), SUM(CAST(e."amount" AS INTEGER) & 4294967295), SUM(CAST(ROUND((e."amount" - CAST(e."amount" AS INTEGER)) * 1000000000) AS INTEGER))) AS REAL) / NULLIF(CAST(COUNT(e."amount") AS REAL), 0) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_min_text: min(orders.channel)
MIN(e."channel") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_timestamp: max(orders.ordered_at)
SUBSTRING(MAX(STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") || e."ordered_at"), 24) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_bool: count(orders.coupon)
COUNT(e."coupon") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_distinct_bool: count_distinct(orders.coupon)
COUNT(DISTINCT e."coupon") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_min_bool: min(orders.coupon)
MIN(e."coupon") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_bool: max(orders.coupon)
MAX(e."coupon") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_bool_where: max(orders.coupon where channel = "web")
MAX(e."coupon") FILTER(WHERE e."channel" COLLATE BINARY = 'web') … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_condition: max((orders.amount > 100))
MAX(e."amount" > 100) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_date: count(orders.shipped_on)
COUNT(e."shipped_on") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_distinct_date: count_distinct(orders.shipped_on)
COUNT(DISTINCT e."shipped_on") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_min_date: min(orders.shipped_on)
MIN(e."shipped_on") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_date: max(orders.shipped_on)
MAX(e."shipped_on") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_distinct_timestamp: count_distinct(orders.ordered_at)
COUNT(DISTINCT STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at")) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_min_timestamp: min(orders.ordered_at)
SUBSTRING(MIN(STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") || e."ordered_at"), 24) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_count_text: count(orders.channel)
COUNT(e."channel") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_max_text: max(orders.channel)
MAX(e."channel") … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_after_first: sum(orders.amount where ordered_at > c_max_timestamp - 30 days)
SEGDSL_EXACT(SUM(CAST(e."amount" AS INTEGER) >> 32), SUM(CAST(e."amount" AS INTEGER) & 4294967295), SUM(CAST(ROUND((e."amount" - CAST(e."amount" AS INTEGER)) * 1000000000) AS INTEGER))) … WHERE DATE(e."ordered_at") <= DATE('now') AND STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") > STRFTIME('%Y-%m-%d %H:%M:%f', STRFTIME('%Y-%m-%d %H:%M:%f', p."c_max_timestamp", '-30 days'))

-- c_most_frequent_text: most_frequent(orders.channel)
SELECT "_key", "_v" AS "_orders_23" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g" COLLATE BINARY NULLS LAST) AS "_r" FROM (SELECT e."customer_id" AS "_key", e."channel" AS "_g", COUNT(*) AS "_n", MIN(e."channel") AS "_v" FROM "orders" AS e WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."channel") IS NULL) GROUP BY e."customer_id", e."channel") AS c) AS r WHERE "_r" = 1

-- c_most_frequent_bool: most_frequent(orders.coupon where channel = "web")
SELECT "_key", "_v" AS "_orders_24" FROM (SELECT "_key", "_v", ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g" NULLS LAST) AS "_r" FROM (SELECT e."customer_id" AS "_key", e."coupon" AS "_g", COUNT(*) AS "_n", MIN(e."coupon") AS "_v" FROM "orders" AS e WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."coupon") IS NULL) AND (e."channel" COLLATE BINARY = 'web') GROUP BY e."customer_id", e."coupon") AS c) AS r WHERE "_r" = 1

-- c_first_text: first(orders.channel where coupon)
SELECT e."customer_id" AS "_key", MIN(e."channel") AS "_orders_25" FROM "orders" AS e JOIN (SELECT e."customer_id" AS "_key", MIN(STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at")) AS "_t" FROM "orders" AS e WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."channel") IS NULL) AND (e."coupon") GROUP BY e."customer_id") AS _e ON e."customer_id" = _e."_key" AND STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") = _e."_t" WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."channel") IS NULL) AND (e."coupon") GROUP BY e."customer_id"

-- c_last_timestamp: last(orders.ordered_at in last 90 days)
SELECT e."customer_id" AS "_key", SUBSTRING(MIN(STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") || e."ordered_at"), 24) AS "_orders_26" FROM "orders" AS e JOIN (SELECT e."customer_id" AS "_key", MAX(STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at")) AS "_t" FROM "orders" AS e WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."ordered_at") IS NULL) AND ((DATE(e."ordered_at") > DATE(DATE(DATE('now'), '-90 days')) AND DATE(e."ordered_at") <= DATE(DATE('now')))) GROUP BY e."customer_id") AS _e ON e."customer_id" = _e."_key" AND STRFTIME('%Y-%m-%d %H:%M:%f', e."ordered_at") = _e."_t" WHERE DATE(e."ordered_at") <= DATE('now') AND NOT ((e."ordered_at") IS NULL) AND ((DATE(e."ordered_at") > DATE(DATE(DATE('now'), '-90 days')) AND DATE(e."ordered_at") <= DATE(DATE('now')))) GROUP BY e."customer_id"

-- c_share: share(orders.amount where channel = "web")
CAST((COALESCE(SEGDSL_EXACT(SUM(CAST(e."amount" AS INTEGER) >> 32) FILTER(WHERE e."channel" COLLATE BINARY = 'web'), SUM(CAST(e."amount" AS INTEGER) & 4294967295) FILTER(WHERE e."channel" COLLATE BINARY = 'web'), SUM(CAST(ROUND((e."amount" - CAST(e."amount" AS INTEGER)) * 1000000000) AS INTEGER)) FILTER(WHERE e."channel" COLLATE BINARY = 'web')), 0)) AS REAL) / NULLIF(CAST((SEGDSL_EXACT(SUM(CAST(e."amount" AS INTEGER) >> 32), SUM(CAST(e."amount" AS INTEGER) & 4294967295), SUM(CAST(ROUND((e."amount" - CAST(e."amount" AS INTEGER)) * 1000000000) AS INTEGER)))) AS REAL), 0) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_share_count: share(orders in last 90 days where coupon)
CAST((COUNT(*) FILTER(WHERE ((DATE(e."ordered_at") > DATE(DATE(DATE('now'), '-90 days')) AND DATE(e."ordered_at") <= DATE(DATE('now')))) AND (e."coupon"))) AS REAL) / NULLIF(CAST((COUNT(*) FILTER(WHERE (DATE(e."ordered_at") > DATE(DATE(DATE('now'), '-90 days')) AND DATE(e."ordered_at") <= DATE(DATE('now'))))) AS REAL), 0) … WHERE DATE(e."ordered_at") <= DATE('now')

-- c_cases: c_sum > 100  else b }
CASE WHEN p."c_sum" > 100 THEN 'a' ELSE 'b' END

-- c_case_ref: c_cases.a
COALESCE(COALESCE(p."c_cases" = 'a', FALSE), FALSE)

-- c_bucket: bucket(c_sum, [10, 100])
CASE WHEN p."c_sum" IS NULL THEN NULL WHEN p."c_sum" < 10 THEN '<10' WHEN p."c_sum" < 100 THEN '10-99' ELSE '100+' END

-- c_quantile: quantile(c_sum, 4)
CASE WHEN p."c_sum" IS NULL THEN NULL ELSE NTILE(4) OVER (PARTITION BY CASE WHEN p."c_sum" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_sum" ASC NULLS LAST, p."customer_id" NULLS LAST) END

-- c_rfm (recency score): rfm(recency: c_days_between, frequency: c_count, monetary: c_sum)
CASE WHEN p."c_days_between" IS NULL THEN NULL ELSE NTILE(5) OVER (PARTITION BY CASE WHEN p."c_days_between" IS NULL THEN 1 ELSE 0 END ORDER BY p."c_days_between" DESC, p."customer_id" NULLS LAST) END

-- c_holdout: c_two_valued split 50% a, 50% b seed "s"
CASE WHEN p."c_two_valued" THEN CASE WHEN (((((((((0) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 1, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 2, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 3, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 4, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 5, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 6, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 7, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."customer_id" AS TEXT))), 8, 1)) - 1)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- event time cut (invoices)
DATE(e."issued_on") <= DATE('now')

-- member key (invoices)
e."account_id" COLLATE BINARY

-- join of aggregates
p."account_id" COLLATE BINARY = a_invoices."_key"

-- k_total: sum(invoices.total)
SEGDSL_EXACT(SUM(CAST(e."total" AS INTEGER) >> 32), SUM(CAST(e."total" AS INTEGER) & 4294967295), SUM(CAST(ROUND((e."total" - CAST(e."total" AS INTEGER)) * 1000000000) AS INTEGER))) … WHERE DATE(e."issued_on") <= DATE('now')

-- k_all: true
COALESCE(TRUE, FALSE)

-- k_quantile: quantile(k_total, 3)
CASE WHEN p."k_total" IS NULL THEN NULL ELSE NTILE(3) OVER (PARTITION BY CASE WHEN p."k_total" IS NULL THEN 1 ELSE 0 END ORDER BY p."k_total" ASC NULLS LAST, p."account_id" COLLATE BINARY NULLS LAST) END

-- k_holdout: k_all split 50% a, 50% b seed "s"
CASE WHEN p."k_all" THEN CASE WHEN (((((((((0) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 1, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 2, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 3, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 4, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 5, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 6, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 7, 1)) - 1)) * 16 + (INSTR('0123456789abcdef', SUBSTRING(LOWER(MD5('s:' || CAST(p."account_id" AS TEXT))), 8, 1)) - 1)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- --as view analytics.segments
BEGIN ; DROP VIEW IF EXISTS "analytics"."segments" ; CREATE VIEW "analytics"."segments" AS SELECT 1 AS one ; COMMIT

-- --as table analytics.segments
BEGIN ; DROP TABLE IF EXISTS "analytics"."segments" ; CREATE TABLE "analytics"."segments" AS SELECT 1 AS one ; COMMIT
