WITH "population" AS (
  SELECT
    e."account_id" AS "account_id",
    e."created_at" AS "created_at",
    e."employees" AS "employees",
    e."plan" AS "plan",
    e."tech_stack" AS "tech_stack",
    e."industry" AS "industry"
  FROM "accounts" AS e
  WHERE
    e."created_at" IS NULL
    OR CAST(e."created_at" AS DATE) <= CAST('2026-06-30' AS DATE)
), "agg_0_invoices" AS (
  SELECT
    e."account_id" AS "_key",
    CAST(SUM(
      CASE
        WHEN (
          CAST(e."issued_at" AS DATE) > CAST('2025-06-30' AS DATE)
          AND CAST(e."issued_at" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        AND e."status" <> 'open'
        THEN CAST(e."amount" AS DECIMAL(38, 9))
      END
    ) AS DOUBLE) AS "_invoices_1",
    CAST(SUM(
      CASE
        WHEN (
          CAST(e."issued_at" AS DATE) > CAST('2024-06-30' AS DATE)
          AND CAST(e."issued_at" AS DATE) <= CAST('2025-06-30' AS DATE)
        )
        AND e."status" <> 'open'
        THEN CAST(e."amount" AS DECIMAL(38, 9))
      END
    ) AS DOUBLE) AS "_invoices_2",
    COUNT_IF(e."status" = 'overdue') AS "_invoices_3",
    MAX(e."issued_at") AS "_invoices_4"
  FROM "invoices" AS e
  WHERE
    CAST(e."issued_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."account_id"
), "layer_0" AS (
  SELECT
    p.*,
    a_invoices."_invoices_1" AS "_invoices_1",
    a_invoices."_invoices_2" AS "_invoices_2",
    COALESCE(a_invoices."_invoices_3", 0) AS "_invoices_3",
    a_invoices."_invoices_4" AS "_invoices_4",
    (
      EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."created_at" AS DATE))
    ) - CASE
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."created_at" AS DATE))
      ) > 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) < EXTRACT(MONTH FROM CAST(p."created_at" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."created_at" AS DATE))
      THEN 1
      WHEN (
        EXTRACT(YEAR FROM CAST('2026-06-30' AS DATE)) - EXTRACT(YEAR FROM CAST(p."created_at" AS DATE))
      ) < 0
      AND EXTRACT(MONTH FROM CAST('2026-06-30' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-06-30' AS DATE)) > EXTRACT(MONTH FROM CAST(p."created_at" AS DATE)) * 100 + EXTRACT(DAY FROM CAST(p."created_at" AS DATE))
      THEN -1
      ELSE 0
    END AS "account_age",
    COALESCE(p."employees" >= 1000, FALSE) AS "enterprise",
    COALESCE(p."tech_stack" IN ('aws', 'gcp', 'azure'), FALSE) AS "cloud_native",
    COALESCE(p."industry" IN ('finance', 'healthcare'), FALSE) AS "regulated",
    CASE
      WHEN p."employees" IS NULL
      THEN NULL
      WHEN p."employees" < 10
      THEN '<10'
      WHEN p."employees" < 50
      THEN '10-49'
      WHEN p."employees" < 250
      THEN '50-249'
      WHEN p."employees" < 1000
      THEN '250-999'
      ELSE '1000+'
    END AS "company_size",
    CASE
      WHEN p."plan" = 'enterprise'
      THEN 'paid_big'
      WHEN p."plan" IN ('team', 'business')
      THEN 'paid'
      ELSE 'free'
    END AS "plan_tier"
  FROM "population" AS p
  LEFT JOIN "agg_0_invoices" AS a_invoices
    ON p."account_id" = a_invoices."_key"
), "layer_1" AS (
  SELECT
    p.*,
    p."_invoices_1" AS "billed_12m",
    p."_invoices_2" AS "billed_prev",
    p."_invoices_3" AS "overdue",
    p."_invoices_4" AS "last_invoice",
    COALESCE(p."enterprise" AND p."plan" IN ('free', 'team'), FALSE) AS "enterprise_prospect"
  FROM "layer_0" AS p
), "layer_2" AS (
  SELECT
    p.*,
    COALESCE(p."billed_12m" > (
      p."billed_prev"
    ) * (
      1.25
    ), FALSE) AS "expanding",
    COALESCE(p."overdue" >= 2, FALSE) AS "payment_risk",
    COALESCE(
      (
        CAST(p."last_invoice" AS DATE) < CAST('2026-03-30' AS DATE)
        OR p."last_invoice" IS NULL
      ),
      FALSE
    ) AS "silent"
  FROM "layer_1" AS p
)
SELECT
  p."account_id" AS "account_id",
  p."billed_12m" AS "billed_12m",
  p."billed_prev" AS "billed_prev",
  p."overdue" AS "overdue",
  p."last_invoice" AS "last_invoice",
  p."account_age" AS "account_age",
  p."enterprise" AS "enterprise",
  p."enterprise_prospect" AS "enterprise_prospect",
  p."expanding" AS "expanding",
  p."payment_risk" AS "payment_risk",
  p."silent" AS "silent",
  p."cloud_native" AS "cloud_native",
  p."regulated" AS "regulated",
  p."company_size" AS "company_size",
  p."plan_tier" AS "plan_tier"
FROM "layer_2" AS p
