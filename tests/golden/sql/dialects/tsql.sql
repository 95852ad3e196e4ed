-- segdsl SQL for tsql (generated tier: Microsoft SQL Server 2019+ / Azure SQL).
-- One line per construct: what it is compiled to, with as_of = the engine's current date.

-- population (since)
e.[signup_date] IS NULL OR e.[signup_date] <= CAST(GETDATE() AS DATE)

-- event time cut (orders)
CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- member key (orders)
e.[customer_id]

-- join of aggregates
p.[customer_id] = a_orders.[_key]

-- c_as_of: as_of
CAST(GETDATE() AS DATE)

-- c_date_literal: @2024-02-29
CAST('2024-02-29' AS DATE)

-- c_timestamp_literal: @2024-02-29T23:59:30
CAST('2024-02-29 23:59:30' AS DATETIME2)

-- c_shift_days: as_of - 30 days
CAST(DATEADD(DAY, -30, CAST(GETDATE() AS DATE)) AS DATE)

-- c_shift_months: as_of - 1 month
CAST(DATEADD(MONTH, -1, CAST(GETDATE() AS DATE)) AS DATE)

-- c_shift_timestamp: last_login + 1 month
DATEADD(MONTH, 1, p.[last_login])

-- c_days_between: days_between(signup_date, as_of)
DATEDIFF(DAY, p.[signup_date], CAST(GETDATE() AS DATE))

-- c_years_between: years_between(birth_date, as_of)
(DATEPART(YEAR, CAST(GETDATE() AS DATE)) - DATEPART(YEAR, p.[birth_date])) - CASE WHEN (DATEPART(YEAR, CAST(GETDATE() AS DATE)) - DATEPART(YEAR, p.[birth_date])) > 0 AND DATEPART(MONTH, CAST(GETDATE() AS DATE)) * 100 + DATEPART(DAY, CAST(GETDATE() AS DATE)) < DATEPART(MONTH, p.[birth_date]) * 100 + DATEPART(DAY, p.[birth_date]) THEN 1 WHEN (DATEPART(YEAR, CAST(GETDATE() AS DATE)) - DATEPART(YEAR, p.[birth_date])) < 0 AND DATEPART(MONTH, CAST(GETDATE() AS DATE)) * 100 + DATEPART(DAY, CAST(GETDATE() AS DATE)) > DATEPART(MONTH, p.[birth_date]) * 100 + DATEPART(DAY, p.[birth_date]) THEN -1 ELSE 0 END

-- c_divide: income / score
CAST((p.[income]) AS FLOAT) / NULLIF(CAST((p.[score]) AS FLOAT), 0)

-- c_negate: -income
-(p.[income])

-- c_two_valued: income > 5
COALESCE(CASE WHEN p.[income] > 5 THEN 1 WHEN NOT (p.[income] > 5) THEN 0 END, 0)

-- c_bool_column: is_b2b
COALESCE(p.[is_b2b], 0)

-- c_not: not c_two_valued
COALESCE(CASE WHEN NOT (p.[c_two_valued]) = 1 THEN 1 WHEN NOT (NOT (p.[c_two_valued]) = 1) THEN 0 END, 0)

-- c_and_or: (income > 5 or score < 3) and is_b2b
COALESCE(CASE WHEN (p.[income] > 5 OR p.[score] < 3) AND p.[is_b2b] = 1 THEN 1 WHEN NOT ((p.[income] > 5 OR p.[score] < 3) AND p.[is_b2b] = 1) THEN 0 END, 0)

-- c_is_missing: income is missing
COALESCE(CASE WHEN p.[income] IS NULL THEN 1 WHEN NOT (p.[income] IS NULL) THEN 0 END, 0)

-- c_text_equal: city = "Łódź"
COALESCE(CASE WHEN p.[city] COLLATE Latin1_General_100_BIN2 = N'Łódź' THEN 1 WHEN NOT (p.[city] COLLATE Latin1_General_100_BIN2 = N'Łódź') THEN 0 END, 0)

-- c_text_order: city > "Kraków"
COALESCE(CASE WHEN p.[city] COLLATE Latin1_General_100_BIN2 > N'Kraków' THEN 1 WHEN NOT (p.[city] COLLATE Latin1_General_100_BIN2 > N'Kraków') THEN 0 END, 0)

-- c_in_list: city in ("Łódź", "Москва")
COALESCE(CASE WHEN p.[city] COLLATE Latin1_General_100_BIN2 IN (N'Łódź', N'Москва') THEN 1 WHEN NOT (p.[city] COLLATE Latin1_General_100_BIN2 IN (N'Łódź', N'Москва')) THEN 0 END, 0)

-- c_not_in_list: city not in ("Łódź")
COALESCE(CASE WHEN NOT p.[city] COLLATE Latin1_General_100_BIN2 IN (N'Łódź') THEN 1 WHEN NOT (NOT p.[city] COLLATE Latin1_General_100_BIN2 IN (N'Łódź')) THEN 0 END, 0)

-- c_between_dates: signup_date between @2024-01-01 and @2024-03-31
COALESCE(CASE WHEN p.[signup_date] BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-03-31' AS DATE) THEN 1 WHEN NOT (p.[signup_date] BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-03-31' AS DATE)) THEN 0 END, 0)

-- c_window_last: signup_date in last 30 days
COALESCE(CASE WHEN (p.[signup_date] > CAST(DATEADD(DAY, -30, CAST(GETDATE() AS DATE)) AS DATE) AND p.[signup_date] <= CAST(GETDATE() AS DATE)) THEN 1 WHEN NOT ((p.[signup_date] > CAST(DATEADD(DAY, -30, CAST(GETDATE() AS DATE)) AS DATE) AND p.[signup_date] <= CAST(GETDATE() AS DATE))) THEN 0 END, 0)

-- c_window_previous: last_login in previous 1 month
COALESCE(CASE WHEN (CAST(p.[last_login] AS DATE) > CAST(DATEADD(MONTH, -2, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(p.[last_login] AS DATE) <= CAST(DATEADD(MONTH, -1, CAST(GETDATE() AS DATE)) AS DATE)) THEN 1 WHEN NOT ((CAST(p.[last_login] AS DATE) > CAST(DATEADD(MONTH, -2, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(p.[last_login] AS DATE) <= CAST(DATEADD(MONTH, -1, CAST(GETDATE() AS DATE)) AS DATE))) THEN 0 END, 0)

-- c_window_since: last_login since @2026-01-01
COALESCE(CASE WHEN (CAST(p.[last_login] AS DATE) >= CAST('2026-01-01' AS DATE) AND CAST(p.[last_login] AS DATE) <= CAST(GETDATE() AS DATE)) THEN 1 WHEN NOT ((CAST(p.[last_login] AS DATE) >= CAST('2026-01-01' AS DATE) AND CAST(p.[last_login] AS DATE) <= CAST(GETDATE() AS DATE))) THEN 0 END, 0)

-- c_window_before: signup_date before as_of - 1 year
COALESCE(CASE WHEN p.[signup_date] < CAST(DATEADD(YEAR, -1, CAST(GETDATE() AS DATE)) AS DATE) THEN 1 WHEN NOT (p.[signup_date] < CAST(DATEADD(YEAR, -1, CAST(GETDATE() AS DATE)) AS DATE)) THEN 0 END, 0)

-- c_timestamp_vs_date: last_login > @2026-06-01
COALESCE(CASE WHEN p.[last_login] > CAST('2026-06-01' AS DATE) THEN 1 WHEN NOT (p.[last_login] > CAST('2026-06-01' AS DATE)) THEN 0 END, 0)

-- c_like: email like "%\\_x[y]*%"
COALESCE(CASE WHEN p.[email] COLLATE Latin1_General_100_BIN2 LIKE '%\\_x\[y]*%' ESCAPE '\' THEN 1 WHEN NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE '%\\_x\[y]*%' ESCAPE '\') THEN 0 END, 0)

-- c_like_param: email like label
COALESCE(CASE WHEN p.[email] COLLATE Latin1_General_100_BIN2 LIKE 'web' ESCAPE '\' THEN 1 WHEN NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE 'web' ESCAPE '\') THEN 0 END, 0)

-- c_like_escaped: email like "50\% off\_\\%"
COALESCE(CASE WHEN p.[email] COLLATE Latin1_General_100_BIN2 LIKE '50\% off\_\\%' ESCAPE '\' THEN 1 WHEN NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE '50\% off\_\\%' ESCAPE '\') THEN 0 END, 0)

-- c_like_param_escaped: email like pct
COALESCE(CASE WHEN p.[email] COLLATE Latin1_General_100_BIN2 LIKE '50\%' ESCAPE '\' THEN 1 WHEN NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE '50\%' ESCAPE '\') THEN 0 END, 0)

-- c_not_like: email not like "%@gmail.com"
COALESCE(CASE WHEN NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE '%@gmail.com' ESCAPE '\') THEN 1 WHEN NOT (NOT (p.[email] COLLATE Latin1_General_100_BIN2 LIKE '%@gmail.com' ESCAPE '\')) THEN 0 END, 0)

-- c_contains: email contains "%"
COALESCE(CASE WHEN CHARINDEX(N'%', p.[email] COLLATE Latin1_General_100_BIN2) > 0 OR DATALENGTH(N'%') = 0 THEN 1 WHEN NOT (CHARINDEX(N'%', p.[email] COLLATE Latin1_General_100_BIN2) > 0 OR DATALENGTH(N'%') = 0) THEN 0 END, 0)

-- c_starts_with: email starts with "Łó"
COALESCE(CASE WHEN LEFT(CAST(p.[email] AS NVARCHAR(MAX)), DATALENGTH(CAST(N'Łó' AS NVARCHAR(MAX))) / 2) = N'Łó' COLLATE Latin1_General_100_BIN2 THEN 1 WHEN NOT (LEFT(CAST(p.[email] AS NVARCHAR(MAX)), DATALENGTH(CAST(N'Łó' AS NVARCHAR(MAX))) / 2) = N'Łó' COLLATE Latin1_General_100_BIN2) THEN 0 END, 0)

-- c_count: count(orders)
COUNT(*) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_where: count(orders where channel = "web" in last 90 days)
COUNT(CASE WHEN (CAST(e.[ordered_at] AS DATE) > CAST(DATEADD(DAY, -90, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)) AND e.[channel] COLLATE Latin1_General_100_BIN2 = N'web' THEN 1 END) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_distinct_text: count_distinct(orders.channel)
COUNT(DISTINCT e.[channel] COLLATE Latin1_General_100_BIN2) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_sum: sum(orders.amount)
CAST(SUM(CAST(e.[amount] AS NUMERIC(38, 9))) AS FLOAT) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_avg: avg(orders.amount)
CAST(SUM(CAST(e.[amount] AS NUMERIC(38, 9))) AS FLOAT) / NULLIF(CAST(COUNT(e.[amount]) AS FLOAT), 0) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_min_text: min(orders.channel)
MIN(e.[channel] COLLATE Latin1_General_100_BIN2) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_timestamp: max(orders.ordered_at)
MAX(e.[ordered_at]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_bool: count(orders.coupon)
COUNT(e.[coupon]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_distinct_bool: count_distinct(orders.coupon)
COUNT(DISTINCT e.[coupon]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_min_bool: min(orders.coupon)
MIN(CAST(e.[coupon] AS INTEGER)) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_bool: max(orders.coupon)
MAX(CAST(e.[coupon] AS INTEGER)) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_bool_where: max(orders.coupon where channel = "web")
MAX(CAST(CASE WHEN e.[channel] COLLATE Latin1_General_100_BIN2 = N'web' THEN e.[coupon] END AS INTEGER)) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_condition: max((orders.amount > 100))
MAX(CAST(CASE WHEN e.[amount] > 100 THEN 1 WHEN NOT (e.[amount] > 100) THEN 0 END AS INTEGER)) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_date: count(orders.shipped_on)
COUNT(e.[shipped_on]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_distinct_date: count_distinct(orders.shipped_on)
COUNT(DISTINCT e.[shipped_on]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_min_date: min(orders.shipped_on)
MIN(e.[shipped_on]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_date: max(orders.shipped_on)
MAX(e.[shipped_on]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_distinct_timestamp: count_distinct(orders.ordered_at)
COUNT(DISTINCT e.[ordered_at]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_min_timestamp: min(orders.ordered_at)
MIN(e.[ordered_at]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_count_text: count(orders.channel)
COUNT(e.[channel]) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_max_text: max(orders.channel)
MAX(e.[channel] COLLATE Latin1_General_100_BIN2) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_after_first: sum(orders.amount where ordered_at > c_max_timestamp - 30 days)
CAST(SUM(CAST(e.[amount] AS NUMERIC(38, 9))) AS FLOAT) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND e.[ordered_at] > DATEADD(DAY, -30, p.[c_max_timestamp])

-- c_most_frequent_text: most_frequent(orders.channel)
SELECT [_key], [_v] AS [_orders_23] FROM (SELECT [_key] AS [_key], [_v] AS [_v], ROW_NUMBER() OVER (PARTITION BY [_key] ORDER BY [_n] DESC, CASE WHEN [_g] COLLATE Latin1_General_100_BIN2 IS NULL THEN 1 ELSE 0 END, [_g] COLLATE Latin1_General_100_BIN2) AS [_r] FROM (SELECT e.[customer_id] AS [_key], e.[channel] COLLATE Latin1_General_100_BIN2 AS [_g], COUNT(*) AS [_n], MIN(e.[channel] COLLATE Latin1_General_100_BIN2) AS [_v] FROM [orders] AS e WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[channel]) IS NULL) GROUP BY e.[customer_id], e.[channel] COLLATE Latin1_General_100_BIN2) AS c) AS r WHERE [_r] = 1

-- c_most_frequent_bool: most_frequent(orders.coupon where channel = "web")
SELECT [_key], [_v] AS [_orders_24] FROM (SELECT [_key] AS [_key], [_v] AS [_v], ROW_NUMBER() OVER (PARTITION BY [_key] ORDER BY [_n] DESC, CASE WHEN [_g] IS NULL THEN 1 ELSE 0 END, [_g]) AS [_r] FROM (SELECT e.[customer_id] AS [_key], e.[coupon] AS [_g], COUNT(*) AS [_n], MIN(CAST(e.[coupon] AS INTEGER)) AS [_v] FROM [orders] AS e WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[coupon]) IS NULL) AND (e.[channel] COLLATE Latin1_General_100_BIN2 = N'web') GROUP BY e.[customer_id], e.[coupon]) AS c) AS r WHERE [_r] = 1

-- c_first_text: first(orders.channel where coupon)
SELECT e.[customer_id] AS [_key], MIN(e.[channel] COLLATE Latin1_General_100_BIN2) AS [_orders_25] FROM [orders] AS e JOIN (SELECT e.[customer_id] AS [_key], MIN(e.[ordered_at]) AS [_t] FROM [orders] AS e WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[channel]) IS NULL) AND (e.[coupon]) = 1 GROUP BY e.[customer_id]) AS _e ON e.[customer_id] = _e.[_key] AND e.[ordered_at] = _e.[_t] WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[channel]) IS NULL) AND (e.[coupon]) = 1 GROUP BY e.[customer_id]

-- c_last_timestamp: last(orders.ordered_at in last 90 days)
SELECT e.[customer_id] AS [_key], MIN(e.[ordered_at]) AS [_orders_26] FROM [orders] AS e JOIN (SELECT e.[customer_id] AS [_key], MAX(e.[ordered_at]) AS [_t] FROM [orders] AS e WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[ordered_at]) IS NULL) AND ((CAST(e.[ordered_at] AS DATE) > CAST(DATEADD(DAY, -90, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE))) GROUP BY e.[customer_id]) AS _e ON e.[customer_id] = _e.[_key] AND e.[ordered_at] = _e.[_t] WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE) AND NOT ((e.[ordered_at]) IS NULL) AND ((CAST(e.[ordered_at] AS DATE) > CAST(DATEADD(DAY, -90, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE))) GROUP BY e.[customer_id]

-- c_share: share(orders.amount where channel = "web")
CAST((COALESCE(CAST(SUM(CASE WHEN e.[channel] COLLATE Latin1_General_100_BIN2 = N'web' THEN CAST(e.[amount] AS NUMERIC(38, 9)) END) AS FLOAT), 0)) AS FLOAT) / NULLIF(CAST((CAST(SUM(CAST(e.[amount] AS NUMERIC(38, 9))) AS FLOAT)) AS FLOAT), 0) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_share_count: share(orders in last 90 days where coupon)
CAST((COUNT(CASE WHEN ((CAST(e.[ordered_at] AS DATE) > CAST(DATEADD(DAY, -90, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE))) AND (e.[coupon]) = 1 THEN 1 END)) AS FLOAT) / NULLIF(CAST((COUNT(CASE WHEN (CAST(e.[ordered_at] AS DATE) > CAST(DATEADD(DAY, -90, CAST(GETDATE() AS DATE)) AS DATE) AND CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)) THEN 1 END)) AS FLOAT), 0) … WHERE CAST(e.[ordered_at] AS DATE) <= CAST(GETDATE() AS DATE)

-- c_cases: c_sum > 100  else b }
CASE WHEN p.[c_sum] > 100 THEN 'a' ELSE 'b' END

-- c_case_ref: c_cases.a
COALESCE(COALESCE(CASE WHEN p.[c_cases] = 'a' THEN 1 WHEN NOT (p.[c_cases] = 'a') THEN 0 END, 0), 0)

-- c_bucket: bucket(c_sum, [10, 100])
CASE WHEN p.[c_sum] IS NULL THEN NULL WHEN p.[c_sum] < 10 THEN '<10' WHEN p.[c_sum] < 100 THEN '10-99' ELSE '100+' END

-- c_quantile: quantile(c_sum, 4)
CASE WHEN p.[c_sum] IS NULL THEN NULL ELSE NTILE(4) OVER (PARTITION BY CASE WHEN p.[c_sum] IS NULL THEN 1 ELSE 0 END ORDER BY CASE WHEN p.[c_sum] IS NULL THEN 1 ELSE 0 END, p.[c_sum] ASC, CASE WHEN p.[customer_id] IS NULL THEN 1 ELSE 0 END, p.[customer_id]) END

-- c_rfm (recency score): rfm(recency: c_days_between, frequency: c_count, monetary: c_sum)
CASE WHEN p.[c_days_between] IS NULL THEN NULL ELSE NTILE(5) OVER (PARTITION BY CASE WHEN p.[c_days_between] IS NULL THEN 1 ELSE 0 END ORDER BY p.[c_days_between] DESC, CASE WHEN p.[customer_id] IS NULL THEN 1 ELSE 0 END, p.[customer_id]) END

-- c_holdout: c_two_valued split 50% a, 50% b seed "s"
CASE WHEN p.[c_two_valued] = 1 THEN CASE WHEN (CAST(SUBSTRING(HASHBYTES('MD5', CAST((N's:' + CAST(p.[customer_id] AS NVARCHAR(MAX))) COLLATE Latin1_General_100_BIN2_UTF8 AS VARCHAR(MAX))), 1, 4) AS BIGINT)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- event time cut (invoices)
e.[issued_on] <= CAST(GETDATE() AS DATE)

-- member key (invoices)
e.[account_id] COLLATE Latin1_General_100_BIN2

-- join of aggregates
p.[account_id] COLLATE Latin1_General_100_BIN2 = a_invoices.[_key]

-- k_total: sum(invoices.total)
CAST(SUM(CAST(e.[total] AS NUMERIC(38, 9))) AS FLOAT) … WHERE e.[issued_on] <= CAST(GETDATE() AS DATE)

-- k_all: true
COALESCE(1, 0)

-- k_quantile: quantile(k_total, 3)
CASE WHEN p.[k_total] IS NULL THEN NULL ELSE NTILE(3) OVER (PARTITION BY CASE WHEN p.[k_total] IS NULL THEN 1 ELSE 0 END ORDER BY CASE WHEN p.[k_total] IS NULL THEN 1 ELSE 0 END, p.[k_total] ASC, CASE WHEN p.[account_id] COLLATE Latin1_General_100_BIN2 IS NULL THEN 1 ELSE 0 END, p.[account_id] COLLATE Latin1_General_100_BIN2) END

-- k_holdout: k_all split 50% a, 50% b seed "s"
CASE WHEN p.[k_all] = 1 THEN CASE WHEN (CAST(SUBSTRING(HASHBYTES('MD5', CAST((N's:' + CAST(p.[account_id] AS NVARCHAR(MAX))) COLLATE Latin1_General_100_BIN2_UTF8 AS VARCHAR(MAX))), 1, 4) AS BIGINT)) % 10000 < 5000 THEN 'a' ELSE 'b' END END

-- --as view analytics.segments
CREATE OR ALTER VIEW [analytics].[segments] AS SELECT 1 AS one

-- --as table analytics.segments
BEGIN TRANSACTION ; DROP TABLE IF EXISTS [analytics].[segments] ; SELECT * INTO [analytics].[segments] FROM ( SELECT 1 AS one ) AS temp ; COMMIT
