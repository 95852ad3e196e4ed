WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date",
    e."area" AS "area",
    e."income" AS "income"
  FROM "customers" AS e
  WHERE
    e."signup_date" IS NULL
    OR CAST(e."signup_date" AS DATE) <= CAST('2026-06-30' AS DATE)
), "pick_0_answers_1" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_5"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MAX(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'values'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'values'
    )
  GROUP BY
    e."customer_id"
), "pick_0_answers_2" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_6"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MAX(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'lifestyle'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'lifestyle'
    )
  GROUP BY
    e."customer_id"
), "pick_0_answers_3" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_7"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MAX(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'interest'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'interest'
    )
  GROUP BY
    e."customer_id"
), "pick_0_answers_4" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_8"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MAX(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'need'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'need'
    )
  GROUP BY
    e."customer_id"
), "pick_0_answers_5" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_9"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MAX(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'personality'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'personality'
    )
  GROUP BY
    e."customer_id"
), "pick_0_answers_6" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."answer") AS "_answers_10"
  FROM "answers" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MIN(e."answered_at") AS "_t"
    FROM "answers" AS e
    WHERE
      CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."answer"
        ) IS NULL
      )
      AND (
        e."question" = 'values'
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."answered_at" = _e."_t"
  WHERE
    CAST(e."answered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."answer"
      ) IS NULL
    )
    AND (
      e."question" = 'values'
    )
  GROUP BY
    e."customer_id"
), "agg_0_contacts" AS (
  SELECT
    e."customer_id" AS "_key",
    COUNT(*) AS "_contacts_23"
  FROM "contacts" AS e
  WHERE
    CAST(e."contacted_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND (
      CAST(e."contacted_at" AS DATE) > CAST('2025-06-30' AS DATE)
      AND CAST(e."contacted_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    )
    AND e."topic" = 'delivery'
  GROUP BY
    e."customer_id"
), "pick_0_orders_1" AS (
  SELECT
    "_key",
    "_v" AS "_orders_19"
  FROM (
    SELECT
      "_key",
      "_v",
      ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g") AS "_r"
    FROM (
      SELECT
        e."customer_id" AS "_key",
        e."category" AS "_g",
        COUNT(*) AS "_n",
        MIN(e."category") AS "_v"
      FROM "orders" AS e
      WHERE
        CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
        AND NOT (
          (
            e."category"
          ) IS NULL
        )
        AND (
          (
            CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
            AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
          )
        )
      GROUP BY
        e."customer_id",
        e."category"
    ) AS c
  ) AS r
  WHERE
    "_r" = 1
), "pick_0_orders_2" AS (
  SELECT
    "_key",
    "_v" AS "_orders_20"
  FROM (
    SELECT
      "_key",
      "_v",
      ROW_NUMBER() OVER (PARTITION BY "_key" ORDER BY "_n" DESC, "_g") AS "_r"
    FROM (
      SELECT
        e."customer_id" AS "_key",
        e."channel" AS "_g",
        COUNT(*) AS "_n",
        MIN(e."channel") AS "_v"
      FROM "orders" AS e
      WHERE
        CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
        AND NOT (
          (
            e."channel"
          ) IS NULL
        )
      GROUP BY
        e."customer_id",
        e."channel"
    ) AS c
  ) AS r
  WHERE
    "_r" = 1
), "pick_0_orders_3" AS (
  SELECT
    e."customer_id" AS "_key",
    MIN(e."channel") AS "_orders_21"
  FROM "orders" AS e
  JOIN (
    SELECT
      e."customer_id" AS "_key",
      MIN(e."ordered_at") AS "_t"
    FROM "orders" AS e
    WHERE
      CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
      AND NOT (
        (
          e."channel"
        ) IS NULL
      )
    GROUP BY
      e."customer_id"
  ) AS _e
    ON e."customer_id" = _e."_key" AND e."ordered_at" = _e."_t"
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND NOT (
      (
        e."channel"
      ) IS NULL
    )
  GROUP BY
    e."customer_id"
), "agg_0_orders" AS (
  SELECT
    e."customer_id" AS "_key",
    CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_1",
    COUNT(*) AS "_orders_2",
    MIN(e."ordered_at") AS "_orders_3",
    MAX(e."ordered_at") AS "_orders_4",
    CAST((
      COALESCE(
        CAST(SUM(
          CASE
            WHEN (
              (
                CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
                AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
              )
            )
            AND (
              e."category" = 'sports'
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE),
        0
      )
    ) AS DOUBLE) / NULLIF(
      CAST((
        CAST(SUM(
          CASE
            WHEN (
              CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
              AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE)
      ) AS DOUBLE),
      0
    ) AS "_orders_11",
    CAST((
      COALESCE(
        CAST(SUM(
          CASE
            WHEN (
              (
                CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
                AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
              )
            )
            AND (
              e."category" = 'electronics'
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE),
        0
      )
    ) AS DOUBLE) / NULLIF(
      CAST((
        CAST(SUM(
          CASE
            WHEN (
              CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
              AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE)
      ) AS DOUBLE),
      0
    ) AS "_orders_13",
    CAST((
      COALESCE(
        CAST(SUM(
          CASE
            WHEN (
              (
                CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
                AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
              )
            )
            AND (
              e."category" = 'home'
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE),
        0
      )
    ) AS DOUBLE) / NULLIF(
      CAST((
        CAST(SUM(
          CASE
            WHEN (
              CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
              AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
            )
            THEN CAST(e."amount" AS DECIMAL(38, 9))
          END
        ) AS DOUBLE)
      ) AS DOUBLE),
      0
    ) AS "_orders_14",
    CAST((
      COALESCE(
        CAST(SUM(CASE WHEN e."amount" >= 250 THEN CAST(e."amount" AS DECIMAL(38, 9)) END) AS DOUBLE),
        0
      )
    ) AS DOUBLE) / NULLIF(CAST((
      CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE)
    ) AS DOUBLE), 0) AS "_orders_15",
    CAST((
      COUNT(CASE WHEN e."coupon_used" THEN 1 END)
    ) AS DOUBLE) / NULLIF(CAST((
      COUNT(1)
    ) AS DOUBLE), 0) AS "_orders_16",
    CAST((
      COUNT(CASE WHEN e."shipping" = 'pickup' THEN 1 END)
    ) AS DOUBLE) / NULLIF(CAST((
      COUNT(1)
    ) AS DOUBLE), 0) AS "_orders_17",
    CAST((
      COUNT(
        CASE
          WHEN (
            (
              CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
              AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
            )
          )
          AND (
            e."shipping" = 'express'
          )
          THEN 1
        END
      )
    ) AS DOUBLE) / NULLIF(
      CAST((
        COUNT(
          CASE
            WHEN (
              CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
              AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
            )
            THEN 1
          END
        )
      ) AS DOUBLE),
      0
    ) AS "_orders_18",
    COUNT(
      DISTINCT CASE
        WHEN (
          CAST(e."ordered_at" AS DATE) > CAST('2025-06-30' AS DATE)
          AND CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
        )
        THEN e."category"
      END
    ) AS "_orders_24"
  FROM "orders" AS e
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
  GROUP BY
    e."customer_id"
), "agg_0_web" AS (
  SELECT
    e."customer_id" AS "_key",
    CAST((
      COUNT(CASE WHEN e."type" = 'view' AND STRPOS(e."page", 'sports') > 0 THEN 1 END)
    ) AS DOUBLE) / NULLIF(CAST((
      COUNT(1)
    ) AS DOUBLE), 0) AS "_web_12"
  FROM "web_events" AS e
  WHERE
    CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND (
      CAST(e."event_time" AS DATE) > CAST('2025-06-30' AS DATE)
      AND CAST(e."event_time" AS DATE) <= CAST('2026-06-30' AS DATE)
    )
  GROUP BY
    e."customer_id"
), "layer_0" AS (
  SELECT
    p.*,
    t_answers_1."_answers_5" AS "_answers_5",
    t_answers_2."_answers_6" AS "_answers_6",
    t_answers_3."_answers_7" AS "_answers_7",
    t_answers_4."_answers_8" AS "_answers_8",
    t_answers_5."_answers_9" AS "_answers_9",
    t_answers_6."_answers_10" AS "_answers_10",
    COALESCE(a_contacts."_contacts_23", 0) AS "_contacts_23",
    t_orders_1."_orders_19" AS "_orders_19",
    t_orders_2."_orders_20" AS "_orders_20",
    t_orders_3."_orders_21" AS "_orders_21",
    a_orders."_orders_1" AS "_orders_1",
    COALESCE(a_orders."_orders_2", 0) AS "_orders_2",
    a_orders."_orders_3" AS "_orders_3",
    a_orders."_orders_4" AS "_orders_4",
    a_orders."_orders_11" AS "_orders_11",
    a_orders."_orders_13" AS "_orders_13",
    a_orders."_orders_14" AS "_orders_14",
    a_orders."_orders_15" AS "_orders_15",
    a_orders."_orders_16" AS "_orders_16",
    a_orders."_orders_17" AS "_orders_17",
    a_orders."_orders_18" AS "_orders_18",
    COALESCE(a_orders."_orders_24", 0) AS "_orders_24",
    a_web."_web_12" AS "_web_12",
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
    END AS "age"
  FROM "population" AS p
  LEFT JOIN "pick_0_answers_1" AS t_answers_1
    ON p."customer_id" = t_answers_1."_key"
  LEFT JOIN "pick_0_answers_2" AS t_answers_2
    ON p."customer_id" = t_answers_2."_key"
  LEFT JOIN "pick_0_answers_3" AS t_answers_3
    ON p."customer_id" = t_answers_3."_key"
  LEFT JOIN "pick_0_answers_4" AS t_answers_4
    ON p."customer_id" = t_answers_4."_key"
  LEFT JOIN "pick_0_answers_5" AS t_answers_5
    ON p."customer_id" = t_answers_5."_key"
  LEFT JOIN "pick_0_answers_6" AS t_answers_6
    ON p."customer_id" = t_answers_6."_key"
  LEFT JOIN "agg_0_contacts" AS a_contacts
    ON p."customer_id" = a_contacts."_key"
  LEFT JOIN "pick_0_orders_1" AS t_orders_1
    ON p."customer_id" = t_orders_1."_key"
  LEFT JOIN "pick_0_orders_2" AS t_orders_2
    ON p."customer_id" = t_orders_2."_key"
  LEFT JOIN "pick_0_orders_3" AS t_orders_3
    ON p."customer_id" = t_orders_3."_key"
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
    p."_answers_5" AS "stated_values",
    p."_answers_6" AS "stated_lifestyle",
    p."_answers_7" AS "stated_interest",
    p."_answers_8" AS "stated_need",
    p."_answers_9" AS "stated_personality",
    p."_answers_10" AS "first_values",
    p."_orders_11" AS "outdoor_spend",
    p."_web_12" AS "outdoor_visits",
    p."_orders_13" AS "tech_spend",
    p."_orders_14" AS "home_spend",
    p."_orders_15" AS "premium_spend",
    p."_orders_16" AS "coupon_orders",
    p."_orders_17" AS "pickup_orders",
    p."_orders_18" AS "express_orders",
    p."_orders_19" AS "favourite",
    p."_orders_20" AS "usual_channel",
    p."_orders_21" AS "first_channel",
    p."_contacts_23" AS "delivery_asked"
  FROM "layer_0" AS p
), "agg_2_contacts" AS (
  SELECT
    e."customer_id" AS "_key",
    COUNT(*) AS "_contacts_22"
  FROM "contacts" AS e
  JOIN (
    SELECT DISTINCT
      p."customer_id" AS "_member",
      p."last_order"
    FROM "layer_1" AS p
  ) AS p
    ON e."customer_id" = p."_member"
  WHERE
    CAST(e."contacted_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND e."topic" = 'product_advice'
    AND e."contacted_at" <= p."last_order"
  GROUP BY
    e."customer_id"
), "layer_2" AS (
  SELECT
    p.*,
    COALESCE(a_contacts."_contacts_22", 0) AS "_contacts_22",
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    COALESCE(
      (
        p."outdoor_spend" >= 0.4
        OR p."outdoor_visits" >= 0.4
        OR p."stated_interest" = 'outdoor'
      ),
      FALSE
    ) AS "outdoor",
    COALESCE(
      (
        p."stated_values" = 'sustainability'
        OR (
          p."order_count" >= 3 AND p."pickup_orders" >= 0.5
        )
      ),
      FALSE
    ) AS "eco_conscious",
    COALESCE(
      (
        (
          p."order_count" >= 2 AND p."coupon_orders" >= 0.5
        )
        OR p."stated_values" = 'price'
        OR p."stated_need" = 'low_price'
      ),
      FALSE
    ) AS "price_sensitive",
    COALESCE(
      (
        (
          p."order_count" >= 2 AND p."premium_spend" >= 0.5
        )
        OR (
          p."stated_values" = 'quality' AND p."revenue" >= 1000
        )
      ),
      FALSE
    ) AS "premium",
    COALESCE((
      p."tech_spend" >= 0.5 OR p."stated_interest" = 'tech'
    ), FALSE) AS "tech_lovers",
    COALESCE(p."stated_values" <> p."first_values", FALSE) AS "changed_values",
    COALESCE(p."order_count" >= 3 AND p."usual_channel" <> p."first_channel", FALSE) AS "channel_switchers",
    CASE
      WHEN (
        p."stated_lifestyle" = 'active' OR p."outdoor_spend" >= 0.5
      )
      THEN 'active'
      WHEN p."stated_lifestyle" = 'family'
      THEN 'family'
      WHEN (
        p."stated_lifestyle" = 'urban_professional'
        OR (
          p."area" = 'urban' AND p."income" >= 60000
        )
      )
      THEN 'urban_professional'
      WHEN (
        p."stated_lifestyle" = 'homebody' OR p."home_spend" >= 0.5
      )
      THEN 'homebody'
      WHEN (
        p."stated_lifestyle" = 'student' OR (
          p."age" < 24 AND p."income" < 25000
        )
      )
      THEN 'student'
      ELSE 'unknown'
    END AS "lifestyle",
    CASE
      WHEN p."stated_personality" = 'adventurous'
      THEN 'adventurous'
      WHEN p."stated_personality" = 'practical'
      THEN 'practical'
      WHEN p."stated_personality" = 'social'
      THEN 'social'
      WHEN p."stated_personality" = 'cautious'
      THEN 'cautious'
      ELSE 'not_surveyed'
    END AS "personality"
  FROM "layer_1" AS p
  LEFT JOIN "agg_2_contacts" AS a_contacts
    ON p."customer_id" = a_contacts."_key"
), "layer_3" AS (
  SELECT
    p.*,
    p."_contacts_22" AS "advice_asked",
    CASE
      WHEN p."recency" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."recency" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."recency" DESC, p."customer_id"
      )
    END AS "value_groups_r",
    CASE
      WHEN p."order_count" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."order_count" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."order_count" ASC, p."customer_id"
      )
    END AS "value_groups_f",
    CASE
      WHEN p."revenue" IS NULL
      THEN NULL
      ELSE NTILE(5) OVER (
        PARTITION BY CASE WHEN p."revenue" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."revenue" ASC, p."customer_id"
      )
    END AS "value_groups_m"
  FROM "layer_2" AS p
), "layer_4" AS (
  SELECT
    p.*,
    CASE
      WHEN (
        (
          p."order_count" >= 2 AND p."express_orders" >= 0.5
        )
        OR p."stated_need" = 'fast_delivery'
        OR p."delivery_asked" >= 2
      )
      THEN 'delivery_speed'
      WHEN (
        p."advice_asked" >= 2 OR p."stated_need" = 'advice'
      )
      THEN 'advice'
      WHEN p."price_sensitive"
      THEN 'low_price'
      WHEN (
        p."stated_need" = 'choice' OR p."_orders_24" >= 4
      )
      THEN 'choice'
      ELSE 'no_clear_need'
    END AS "needs",
    CASE
      WHEN p."value_groups_r" IS NULL
      OR p."value_groups_f" IS NULL
      OR p."value_groups_m" IS NULL
      THEN NULL
      WHEN p."value_groups_r" = 5 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 8
      THEN 'champions'
      WHEN p."value_groups_r" = 5 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 4
      THEN 'potential_loyalist'
      WHEN p."value_groups_r" = 5
      THEN 'new_customers'
      WHEN p."value_groups_r" = 4 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 8
      THEN 'loyal'
      WHEN p."value_groups_r" = 4 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 4
      THEN 'potential_loyalist'
      WHEN p."value_groups_r" = 4
      THEN 'promising'
      WHEN p."value_groups_r" = 3 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 8
      THEN 'loyal'
      WHEN p."value_groups_r" = 3 AND (
        p."value_groups_f" + p."value_groups_m"
      ) >= 6
      THEN 'need_attention'
      WHEN p."value_groups_r" = 3
      THEN 'about_to_sleep'
      WHEN (
        p."value_groups_f" + p."value_groups_m"
      ) = 10
      THEN 'cant_lose_them'
      WHEN (
        p."value_groups_f" + p."value_groups_m"
      ) >= 6
      THEN 'at_risk'
      WHEN p."value_groups_r" = 2
      THEN 'hibernating'
      ELSE 'lost'
    END AS "value_groups"
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
  p."stated_values" AS "stated_values",
  p."stated_lifestyle" AS "stated_lifestyle",
  p."stated_interest" AS "stated_interest",
  p."stated_need" AS "stated_need",
  p."stated_personality" AS "stated_personality",
  p."first_values" AS "first_values",
  p."outdoor_spend" AS "outdoor_spend",
  p."outdoor_visits" AS "outdoor_visits",
  p."tech_spend" AS "tech_spend",
  p."home_spend" AS "home_spend",
  p."premium_spend" AS "premium_spend",
  p."coupon_orders" AS "coupon_orders",
  p."pickup_orders" AS "pickup_orders",
  p."express_orders" AS "express_orders",
  p."favourite" AS "favourite",
  p."usual_channel" AS "usual_channel",
  p."first_channel" AS "first_channel",
  p."advice_asked" AS "advice_asked",
  p."delivery_asked" AS "delivery_asked",
  p."outdoor" AS "outdoor",
  p."eco_conscious" AS "eco_conscious",
  p."price_sensitive" AS "price_sensitive",
  p."premium" AS "premium",
  p."tech_lovers" AS "tech_lovers",
  p."changed_values" AS "changed_values",
  p."channel_switchers" AS "channel_switchers",
  p."lifestyle" AS "lifestyle",
  p."personality" AS "personality",
  p."needs" AS "needs",
  p."value_groups" AS "value_groups",
  p."value_groups_r" AS "value_groups_r",
  p."value_groups_f" AS "value_groups_f",
  p."value_groups_m" AS "value_groups_m"
FROM "layer_4" AS p
