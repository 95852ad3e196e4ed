WITH "population" AS (
  SELECT
    e."customer_id" AS "customer_id",
    e."birth_date" AS "birth_date"
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
    MAX(DATE_DIFF('DAY', CAST(e."ordered_at" AS DATE), CAST('2026-06-30' AS DATE))) AS "_orders_5",
    MIN(DATE_DIFF('DAY', CAST(e."ordered_at" AS DATE), CAST('2026-06-30' AS DATE))) AS "_orders_6",
    COALESCE(
      LEN(
        LIST_DISTINCT(LIST(DATE_DIFF('DAY', CAST(e."ordered_at" AS DATE), CAST('2026-06-30' AS DATE))))
      ),
      0
    ) AS "_orders_7"
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
    COALESCE(a_orders."_orders_7", 0) AS "_orders_7",
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
  LEFT JOIN "agg_0_orders" AS a_orders
    ON p."customer_id" = a_orders."_key"
), "layer_1" AS (
  SELECT
    p.*,
    p."_orders_1" AS "revenue",
    p."_orders_2" AS "order_count",
    p."_orders_3" AS "first_order",
    p."_orders_4" AS "last_order",
    p."_orders_5" AS "clv_age"
  FROM "layer_0" AS p
), "agg_2_orders" AS (
  SELECT
    e."customer_id" AS "_key",
    CAST(SUM(CAST(e."amount" AS DECIMAL(38, 9))) AS DOUBLE) AS "_orders_8"
  FROM "orders" AS e
  JOIN (
    SELECT DISTINCT
      p."customer_id" AS "_member",
      p."clv_age"
    FROM "layer_1" AS p
  ) AS p
    ON e."customer_id" = p."_member"
  WHERE
    CAST(e."ordered_at" AS DATE) <= CAST('2026-06-30' AS DATE)
    AND DATE_DIFF('DAY', CAST(e."ordered_at" AS DATE), CAST('2026-06-30' AS DATE)) = p."clv_age"
  GROUP BY
    e."customer_id"
), "layer_2" AS (
  SELECT
    p.*,
    a_orders."_orders_8" AS "_orders_8",
    DATE_DIFF('DAY', CAST(p."last_order" AS DATE), CAST('2026-06-30' AS DATE)) AS "recency",
    (
      p."clv_age"
    ) - (
      p."_orders_6"
    ) AS "clv_recency",
    (
      (
        p."_orders_7"
      ) - (
        1
      )
    ) + (
      (
        0
      ) * (
        p."clv_age"
      )
    ) AS "clv_frequency"
  FROM "layer_1" AS p
  LEFT JOIN "agg_2_orders" AS a_orders
    ON p."customer_id" = a_orders."_key"
), "layer_3" AS (
  SELECT
    p.*,
    CAST((
      (
        p."_orders_1"
      ) - (
        p."_orders_8"
      )
    ) AS DOUBLE) / NULLIF(CAST((
      p."clv_frequency"
    ) AS DOUBLE), 0) AS "clv_monetary",
    CASE
      WHEN p."clv_age" IS NULL
      THEN NULL
      ELSE CASE
        WHEN p."_clv_x" <= 0.0e0
        THEN 1.0e0
        WHEN -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
          p."_clv_x" + 1.0253679708151053e0
        ) * LN(
          (
            p."_clv_T" + 12.018691938378884e0
          ) / (
            p."_clv_tx" + 12.018691938378884e0
          )
        ) > 600.0e0
        THEN 0.0e0
        ELSE 1.0e0 / (
          1.0e0 + EXP(
            -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
              p."_clv_x" + 1.0253679708151053e0
            ) * LN(
              (
                p."_clv_T" + 12.018691938378884e0
              ) / (
                p."_clv_tx" + 12.018691938378884e0
              )
            )
          )
        )
      END
    END AS "clv_alive",
    CASE
      WHEN p."clv_age" IS NULL
      THEN NULL
      ELSE (
        (
          (
            p."_clv_x" + 3.1756889183484187e0
          ) * -1.4248350956255427e0
        ) * (
          1.0e0 - CASE
            WHEN p."_clv_z" <= CASE
              WHEN p."_clv_x" >= 9.0e0
              THEN CASE
                WHEN p."_clv_x" >= 15.0e0
                THEN 0.9999e0
                WHEN p."_clv_x" >= 13.0e0
                THEN 0.999e0
                WHEN p."_clv_x" >= 11.0e0
                THEN 0.99e0
                ELSE 0.968e0
              END
              ELSE CASE p."_clv_x"
                WHEN 0
                THEN 0.644e0
                WHEN 1
                THEN 0.69e0
                WHEN 2
                THEN 0.734e0
                WHEN 3
                THEN 0.774e0
                WHEN 4
                THEN 0.814e0
                WHEN 5
                THEN 0.85e0
                WHEN 6
                THEN 0.884e0
                WHEN 7
                THEN 0.916e0
                WHEN 8
                THEN 0.946e0
              END
            END
            THEN CASE
              WHEN -0.7018356040429871e0 * LN(p."_clv_y") < -600.0e0
              THEN 0.0e0
              ELSE EXP(-0.7018356040429871e0 * LN(p."_clv_y"))
            END * (
              1.0e0 + (
                (
                  p."_clv_z" * -1.5091718010983313e0
                ) / (
                  p."_clv_x" + 3.1756889183484187e0
                )
              ) * (
                1.0e0 + (
                  (
                    p."_clv_z" * 0.4696567711959975e0
                  ) / (
                    p."_clv_x" + 4.175688918348419e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_z" * 1.7959329619607736e0
                    ) / (
                      p."_clv_x" + 5.175688918348419e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z" * 2.9590710573431616e0
                      ) / (
                        p."_clv_x" + 6.175688918348419e0
                      )
                    ) * (
                      1.0e0 + (
                        p."_clv_z" * 4.056953914572594e0
                      ) / (
                        p."_clv_x" + 7.175688918348419e0
                      )
                    )
                  )
                )
              ) + (
                (
                  -78.27483622821859e0 * POWER(p."_clv_z", 6)
                ) / (
                  (
                    (
                      (
                        (
                          (
                            p."_clv_x" + 3.1756889183484187e0
                          ) * (
                            p."_clv_x" + 4.175688918348419e0
                          )
                        ) * (
                          p."_clv_x" + 5.175688918348419e0
                        )
                      ) * (
                        p."_clv_x" + 6.175688918348419e0
                      )
                    ) * (
                      p."_clv_x" + 7.175688918348419e0
                    )
                  ) * (
                    p."_clv_x" + 8.175688918348419e0
                  )
                )
              ) * (
                1.0e0 + (
                  (
                    p."_clv_z" * 6.1688200371205175e0
                  ) / (
                    p."_clv_x" + 9.175688918348419e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_z" * 7.203778200416743e0
                    ) / (
                      p."_clv_x" + 10.175688918348419e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z" * 8.230967882980474e0
                      ) / (
                        p."_clv_x" + 11.175688918348419e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z" * 9.25271962903146e0
                        ) / (
                          p."_clv_x" + 12.175688918348419e0
                        )
                      ) * (
                        1.0e0 + (
                          p."_clv_z" * 10.270516512164084e0
                        ) / (
                          p."_clv_x" + 13.175688918348419e0
                        )
                      )
                    )
                  )
                ) + (
                  (
                    392274.3894287253e0 * POWER(p."_clv_z", 6)
                  ) / (
                    (
                      (
                        (
                          (
                            (
                              p."_clv_x" + 9.175688918348419e0
                            ) * (
                              p."_clv_x" + 10.175688918348419e0
                            )
                          ) * (
                            p."_clv_x" + 11.175688918348419e0
                          )
                        ) * (
                          p."_clv_x" + 12.175688918348419e0
                        )
                      ) * (
                        p."_clv_x" + 13.175688918348419e0
                      )
                    ) * (
                      p."_clv_x" + 14.175688918348419e0
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_z" * 12.297896332368122e0
                    ) / (
                      p."_clv_x" + 15.175688918348419e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z" * 13.308652690305422e0
                      ) / (
                        p."_clv_x" + 16.17568891834842e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z" * 14.317974867184414e0
                        ) / (
                          p."_clv_x" + 17.17568891834842e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z" * 15.326131771953534e0
                          ) / (
                            p."_clv_x" + 18.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            p."_clv_z" * 16.333329040867465e0
                          ) / (
                            p."_clv_x" + 19.17568891834842e0
                          )
                        )
                      )
                    )
                  ) + (
                    (
                      10171758.193642506e0 * POWER(p."_clv_z", 6)
                    ) / (
                      (
                        (
                          (
                            (
                              (
                                p."_clv_x" + 15.175688918348419e0
                              ) * (
                                p."_clv_x" + 16.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 17.17568891834842e0
                            )
                          ) * (
                            p."_clv_x" + 18.17568891834842e0
                          )
                        ) * (
                          p."_clv_x" + 19.17568891834842e0
                        )
                      ) * (
                        p."_clv_x" + 20.17568891834842e0
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z" * 18.34545075693303e0
                      ) / (
                        p."_clv_x" + 21.17568891834842e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z" * 19.350602486260893e0
                        ) / (
                          p."_clv_x" + 22.17568891834842e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z" * 20.355263574700388e0
                          ) / (
                            p."_clv_x" + 23.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z" * 21.359500927827206e0
                            ) / (
                              p."_clv_x" + 24.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              p."_clv_z" * 22.363369815464733e0
                            ) / (
                              p."_clv_x" + 25.17568891834842e0
                            )
                          )
                        )
                      )
                    ) + (
                      (
                        80654640.23244765e0 * POWER(p."_clv_z", 6)
                      ) / (
                        (
                          (
                            (
                              (
                                (
                                  p."_clv_x" + 21.17568891834842e0
                                ) * (
                                  p."_clv_x" + 22.17568891834842e0
                                )
                              ) * (
                                p."_clv_x" + 23.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 24.17568891834842e0
                            )
                          ) * (
                            p."_clv_x" + 25.17568891834842e0
                          )
                        ) * (
                          p."_clv_x" + 26.17568891834842e0
                        )
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z" * 24.37017905770678e0
                        ) / (
                          p."_clv_x" + 27.17568891834842e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z" * 25.373190837929222e0
                          ) / (
                            p."_clv_x" + 28.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z" * 26.375979523320375e0
                            ) / (
                              p."_clv_x" + 29.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              (
                                p."_clv_z" * 27.378569016897874e0
                              ) / (
                                p."_clv_x" + 30.17568891834842e0
                              )
                            ) * (
                              1.0e0 + (
                                p."_clv_z" * 28.380979924711408e0
                              ) / (
                                p."_clv_x" + 31.17568891834842e0
                              )
                            )
                          )
                        )
                      ) + (
                        (
                          372374618.2603056e0 * POWER(p."_clv_z", 6)
                        ) / (
                          (
                            (
                              (
                                (
                                  (
                                    p."_clv_x" + 27.17568891834842e0
                                  ) * (
                                    p."_clv_x" + 28.17568891834842e0
                                  )
                                ) * (
                                  p."_clv_x" + 29.17568891834842e0
                                )
                              ) * (
                                p."_clv_x" + 30.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 31.17568891834842e0
                            )
                          ) * (
                            p."_clv_x" + 32.17568891834842e0
                          )
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z" * 30.38533511301973e0
                          ) / (
                            p."_clv_x" + 33.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z" * 31.387308557721934e0
                            ) / (
                              p."_clv_x" + 34.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              (
                                p."_clv_z" * 32.38916239971491e0
                              ) / (
                                p."_clv_x" + 35.17568891834842e0
                              )
                            ) * (
                              1.0e0 + (
                                (
                                  p."_clv_z" * 33.3909071921789e0
                                ) / (
                                  p."_clv_x" + 36.17568891834842e0
                                )
                              ) * (
                                1.0e0 + (
                                  (
                                    p."_clv_z" * 34.39255228221637e0
                                  ) / (
                                    p."_clv_x" + 37.17568891834842e0
                                  )
                                ) * (
                                  1.0e0 + (
                                    p."_clv_z" * 35.39410597836287e0
                                  ) / (
                                    p."_clv_x" + 38.17568891834842e0
                                  )
                                )
                              )
                            )
                          )
                        )
                      )
                    )
                  )
                )
              )
            )
            WHEN p."_clv_x" <= 8.0e0 AND p."_clv_z" <= 0.999999999999e0
            THEN (
              CASE p."_clv_x"
                WHEN 0
                THEN 0.42546952025748985e0
                WHEN 1
                THEN 0.5869696349017307e0
                WHEN 2
                THEN 0.676640408694481e0
                WHEN 3
                THEN 0.7340684438247942e0
                WHEN 4
                THEN 0.774084796555195e0
                WHEN 5
                THEN 0.8035948222960199e0
                WHEN 6
                THEN 0.8262673716782293e0
                WHEN 7
                THEN 0.8442371240380834e0
                WHEN 8
                THEN 0.8588322585563852e0
              END * CASE
                WHEN -0.7018356040429871e0 * LN(p."_clv_y") + (
                  -2.1756889183484187e0 - p."_clv_x"
                ) * LN(p."_clv_z") < -600.0e0
                THEN 0.0e0
                ELSE EXP(
                  -0.7018356040429871e0 * LN(p."_clv_y") + (
                    -2.1756889183484187e0 - p."_clv_x"
                  ) * LN(p."_clv_z")
                )
              END
            ) * (
              1.0e0 + (
                (
                  (
                    p."_clv_y" * (
                      -2.8775245223914054e0 - p."_clv_x"
                    )
                  ) * (
                    -0.025367970815105334e0 - p."_clv_x"
                  )
                ) / (
                  -0.7272035748580925e0 - p."_clv_x"
                )
              ) * (
                1.0e0 + (
                  (
                    (
                      p."_clv_y" * (
                        -1.8775245223914054e0 - p."_clv_x"
                      )
                    ) * (
                      0.9746320291848947e0 - p."_clv_x"
                    )
                  ) / (
                    (
                      0.2727964251419075e0 - p."_clv_x"
                    ) * 2.0e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_y" * (
                        -0.8775245223914054e0 - p."_clv_x"
                      )
                    ) * (
                      1.9746320291848947e0 - p."_clv_x"
                    )
                  ) / (
                    (
                      1.2727964251419075e0 - p."_clv_x"
                    ) * 3.0e0
                  )
                )
              ) + (
                (
                  (
                    (
                      (
                        (
                          (
                            (
                              (
                                (
                                  0.041666666666666664e0 * POWER(p."_clv_y", 4)
                                ) * (
                                  -2.8775245223914054e0 - p."_clv_x"
                                )
                              ) * (
                                -0.025367970815105334e0 - p."_clv_x"
                              )
                            ) * (
                              -1.8775245223914054e0 - p."_clv_x"
                            )
                          ) * (
                            0.9746320291848947e0 - p."_clv_x"
                          )
                        ) * (
                          -0.8775245223914054e0 - p."_clv_x"
                        )
                      ) * (
                        1.9746320291848947e0 - p."_clv_x"
                      )
                    ) * (
                      0.12247547760859456e0 - p."_clv_x"
                    )
                  ) * (
                    2.9746320291848947e0 - p."_clv_x"
                  )
                ) / (
                  (
                    (
                      (
                        -0.7272035748580925e0 - p."_clv_x"
                      ) * (
                        0.2727964251419075e0 - p."_clv_x"
                      )
                    ) * (
                      1.2727964251419075e0 - p."_clv_x"
                    )
                  ) * (
                    2.2727964251419075e0 - p."_clv_x"
                  )
                )
              ) * (
                1.0e0 + (
                  (
                    (
                      p."_clv_y" * (
                        1.1224754776085946e0 - p."_clv_x"
                      )
                    ) * (
                      3.9746320291848947e0 - p."_clv_x"
                    )
                  ) / (
                    (
                      3.2727964251419075e0 - p."_clv_x"
                    ) * 5.0e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      (
                        p."_clv_y" * (
                          2.1224754776085946e0 - p."_clv_x"
                        )
                      ) * (
                        4.974632029184894e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        4.272796425141907e0 - p."_clv_x"
                      ) * 6.0e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y" * (
                          3.1224754776085946e0 - p."_clv_x"
                        )
                      ) * (
                        5.974632029184894e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        5.272796425141907e0 - p."_clv_x"
                      ) * 7.0e0
                    )
                  )
                ) + (
                  (
                    (
                      (
                        (
                          (
                            (
                              (
                                (
                                  (
                                    0.0005952380952380952e0 * POWER(p."_clv_y", 4)
                                  ) * (
                                    1.1224754776085946e0 - p."_clv_x"
                                  )
                                ) * (
                                  3.9746320291848947e0 - p."_clv_x"
                                )
                              ) * (
                                2.1224754776085946e0 - p."_clv_x"
                              )
                            ) * (
                              4.974632029184894e0 - p."_clv_x"
                            )
                          ) * (
                            3.1224754776085946e0 - p."_clv_x"
                          )
                        ) * (
                          5.974632029184894e0 - p."_clv_x"
                        )
                      ) * (
                        4.122475477608594e0 - p."_clv_x"
                      )
                    ) * (
                      6.974632029184894e0 - p."_clv_x"
                    )
                  ) / (
                    (
                      (
                        (
                          3.2727964251419075e0 - p."_clv_x"
                        ) * (
                          4.272796425141907e0 - p."_clv_x"
                        )
                      ) * (
                        5.272796425141907e0 - p."_clv_x"
                      )
                    ) * (
                      6.272796425141907e0 - p."_clv_x"
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      (
                        p."_clv_y" * (
                          5.122475477608594e0 - p."_clv_x"
                        )
                      ) * (
                        7.974632029184894e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        7.272796425141907e0 - p."_clv_x"
                      ) * 9.0e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        (
                          p."_clv_y" * (
                            6.122475477608594e0 - p."_clv_x"
                          )
                        ) * (
                          8.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          8.272796425141907e0 - p."_clv_x"
                        ) * 10.0e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_y" * (
                            7.122475477608594e0 - p."_clv_x"
                          )
                        ) * (
                          9.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          9.272796425141907e0 - p."_clv_x"
                        ) * 11.0e0
                      )
                    )
                  ) + (
                    (
                      (
                        (
                          (
                            (
                              (
                                (
                                  (
                                    (
                                      8.417508417508415e-05 * POWER(p."_clv_y", 4)
                                    ) * (
                                      5.122475477608594e0 - p."_clv_x"
                                    )
                                  ) * (
                                    7.974632029184894e0 - p."_clv_x"
                                  )
                                ) * (
                                  6.122475477608594e0 - p."_clv_x"
                                )
                              ) * (
                                8.974632029184894e0 - p."_clv_x"
                              )
                            ) * (
                              7.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            9.974632029184894e0 - p."_clv_x"
                          )
                        ) * (
                          8.122475477608594e0 - p."_clv_x"
                        )
                      ) * (
                        10.974632029184894e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        (
                          (
                            7.272796425141907e0 - p."_clv_x"
                          ) * (
                            8.272796425141907e0 - p."_clv_x"
                          )
                        ) * (
                          9.272796425141907e0 - p."_clv_x"
                        )
                      ) * (
                        10.272796425141907e0 - p."_clv_x"
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        (
                          p."_clv_y" * (
                            9.122475477608594e0 - p."_clv_x"
                          )
                        ) * (
                          11.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          11.272796425141907e0 - p."_clv_x"
                        ) * 13.0e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          (
                            p."_clv_y" * (
                              10.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            12.974632029184894e0 - p."_clv_x"
                          )
                        ) / (
                          (
                            12.272796425141907e0 - p."_clv_x"
                          ) * 14.0e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_y" * (
                              11.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            13.974632029184894e0 - p."_clv_x"
                          )
                        ) / (
                          (
                            13.272796425141907e0 - p."_clv_x"
                          ) * 15.0e0
                        )
                      )
                    )
                  )
                )
              )
            ) + (
              CASE p."_clv_x"
                WHEN 0
                THEN -1.3528744452134789e0
                WHEN 1
                THEN 1.5753530184503237e0
                WHEN 2
                THEN -1.764911416699369e0
                WHEN 3
                THEN 1.932354364821647e0
                WHEN 4
                THEN -2.083672996982113e0
                WHEN 5
                THEN 2.222586111380138e0
                WHEN 6
                THEN -2.3515845628823633e0
                WHEN 7
                THEN 2.472430971629963e0
                WHEN 8
                THEN -2.586425609969154e0
              END * CASE
                WHEN (
                  p."_clv_x" + 1.0253679708151053e0
                ) * LN(p."_clv_y") + (
                  -2.1756889183484183e0 - p."_clv_x"
                ) * LN(p."_clv_z") < -600.0e0
                THEN 0.0e0
                ELSE EXP(
                  (
                    p."_clv_x" + 1.0253679708151053e0
                  ) * LN(p."_clv_y") + (
                    -2.1756889183484183e0 - p."_clv_x"
                  ) * LN(p."_clv_z")
                )
              END
            ) * (
              1.0e0 + (
                (
                  p."_clv_y" * -1.957657144588657e0
                ) / (
                  p."_clv_x" + 2.7272035748580925e0
                )
              ) * (
                1.0e0 + (
                  (
                    p."_clv_y" * -0.20307124403949137e0
                  ) / (
                    p."_clv_x" + 3.7272035748580925e0
                  )
                ) * (
                  1.0e0 + (
                    p."_clv_y" * 1.0484573894768972e0
                  ) / (
                    p."_clv_x" + 4.727203574858093e0
                  )
                )
              ) + (
                (
                  0.9062325877915549e0 * POWER(p."_clv_y", 4)
                ) / (
                  (
                    (
                      (
                        p."_clv_x" + 2.7272035748580925e0
                      ) * (
                        p."_clv_x" + 3.7272035748580925e0
                      )
                    ) * (
                      p."_clv_x" + 4.727203574858093e0
                    )
                  ) * (
                    p."_clv_x" + 5.727203574858093e0
                  )
                )
              ) * (
                1.0e0 + (
                  (
                    p."_clv_y" * 3.2496802962900078e0
                  ) / (
                    p."_clv_x" + 6.727203574858093e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_y" * 4.299986022993285e0
                    ) / (
                      p."_clv_x" + 7.727203574858093e0
                    )
                  ) * (
                    1.0e0 + (
                      p."_clv_y" * 5.335918684924198e0
                    ) / (
                      p."_clv_x" + 8.727203574858093e0
                    )
                  )
                ) + (
                  (
                    474.42745091757354e0 * POWER(p."_clv_y", 4)
                  ) / (
                    (
                      (
                        (
                          p."_clv_x" + 6.727203574858093e0
                        ) * (
                          p."_clv_x" + 7.727203574858093e0
                        )
                      ) * (
                        p."_clv_x" + 8.727203574858093e0
                      )
                    ) * (
                      p."_clv_x" + 9.727203574858093e0
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_y" * 7.383828900832082e0
                    ) / (
                      p."_clv_x" + 10.727203574858093e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y" * 8.400597476399842e0
                      ) / (
                        p."_clv_x" + 11.727203574858093e0
                      )
                    ) * (
                      1.0e0 + (
                        p."_clv_y" * 9.41431722004619e0
                      ) / (
                        p."_clv_x" + 12.727203574858093e0
                      )
                    )
                  ) + (
                    (
                      6088.1865173352835e0 * POWER(p."_clv_y", 4)
                    ) / (
                      (
                        (
                          (
                            p."_clv_x" + 10.727203574858093e0
                          ) * (
                            p."_clv_x" + 11.727203574858093e0
                          )
                        ) * (
                          p."_clv_x" + 12.727203574858093e0
                        )
                      ) * (
                        p."_clv_x" + 13.727203574858093e0
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y" * 11.435424517963648e0
                      ) / (
                        p."_clv_x" + 14.727203574858093e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_y" * 12.443716670716936e0
                        ) / (
                          p."_clv_x" + 15.727203574858093e0
                        )
                      ) * (
                        1.0e0 + (
                          p."_clv_y" * 13.450903203103119e0
                        ) / (
                          p."_clv_x" + 16.72720357485809e0
                        )
                      )
                    )
                  )
                )
              )
            )
          END
        )
      ) * CASE
        WHEN p."_clv_x" <= 0.0e0
        THEN 1.0e0
        WHEN -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
          p."_clv_x" + 1.0253679708151053e0
        ) * LN(
          (
            p."_clv_T" + 12.018691938378884e0
          ) / (
            p."_clv_tx" + 12.018691938378884e0
          )
        ) > 600.0e0
        THEN 0.0e0
        ELSE 1.0e0 / (
          1.0e0 + EXP(
            -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
              p."_clv_x" + 1.0253679708151053e0
            ) * LN(
              (
                p."_clv_T" + 12.018691938378884e0
              ) / (
                p."_clv_tx" + 12.018691938378884e0
              )
            )
          )
        )
      END
    END AS "clv_purchases"
  FROM (
    SELECT
      p.*,
      CAST(p."clv_frequency" AS DOUBLE) AS "_clv_x",
      CAST(p."clv_recency" AS DOUBLE) / 7.0e0 AS "_clv_tx",
      CAST(p."clv_age" AS DOUBLE) / 7.0e0 AS "_clv_T",
      52.17857142857143e0 / (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 64.19726336695031e0
      ) AS "_clv_z",
      (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 12.018691938378884e0
      ) / (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 64.19726336695031e0
      ) AS "_clv_y"
    FROM "layer_2" AS p
  ) AS p
), "layer_4" AS (
  SELECT
    p.*,
    CASE
      WHEN p."clv_age" IS NULL
      THEN NULL
      ELSE (
        1.3525459964101523e0 * (
          372.2970981277246e0 + CASE WHEN p."_clv_x" > 0.0e0 THEN p."_clv_x" * p."_clv_m" ELSE 0.0e0 END
        )
      ) / (
        1.3525459964101523e0 * p."_clv_x" + 4.423435807133197e0
      )
    END AS "clv_spend",
    CASE
      WHEN p."clv_age" IS NULL
      THEN NULL
      ELSE (
        (
          1.3525459964101523e0 * (
            372.2970981277246e0 + CASE WHEN p."_clv_x" > 0.0e0 THEN p."_clv_x" * p."_clv_m" ELSE 0.0e0 END
          )
        ) / (
          1.3525459964101523e0 * p."_clv_x" + 4.423435807133197e0
        )
      ) * (
        (
          (
            (
              p."_clv_x" + 3.1756889183484187e0
            ) * -1.4248350956255427e0
          ) * (
            1.0e0 - CASE
              WHEN p."_clv_z_2" <= CASE
                WHEN p."_clv_x" >= 9.0e0
                THEN CASE
                  WHEN p."_clv_x" >= 15.0e0
                  THEN 0.9999e0
                  WHEN p."_clv_x" >= 13.0e0
                  THEN 0.999e0
                  WHEN p."_clv_x" >= 11.0e0
                  THEN 0.99e0
                  ELSE 0.968e0
                END
                ELSE CASE p."_clv_x"
                  WHEN 0
                  THEN 0.644e0
                  WHEN 1
                  THEN 0.69e0
                  WHEN 2
                  THEN 0.734e0
                  WHEN 3
                  THEN 0.774e0
                  WHEN 4
                  THEN 0.814e0
                  WHEN 5
                  THEN 0.85e0
                  WHEN 6
                  THEN 0.884e0
                  WHEN 7
                  THEN 0.916e0
                  WHEN 8
                  THEN 0.946e0
                END
              END
              THEN CASE
                WHEN -0.7018356040429871e0 * LN(p."_clv_y_2") < -600.0e0
                THEN 0.0e0
                ELSE EXP(-0.7018356040429871e0 * LN(p."_clv_y_2"))
              END * (
                1.0e0 + (
                  (
                    p."_clv_z_2" * -1.5091718010983313e0
                  ) / (
                    p."_clv_x" + 3.1756889183484187e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_z_2" * 0.4696567711959975e0
                    ) / (
                      p."_clv_x" + 4.175688918348419e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z_2" * 1.7959329619607736e0
                      ) / (
                        p."_clv_x" + 5.175688918348419e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z_2" * 2.9590710573431616e0
                        ) / (
                          p."_clv_x" + 6.175688918348419e0
                        )
                      ) * (
                        1.0e0 + (
                          p."_clv_z_2" * 4.056953914572594e0
                        ) / (
                          p."_clv_x" + 7.175688918348419e0
                        )
                      )
                    )
                  )
                ) + (
                  (
                    -78.27483622821859e0 * POWER(p."_clv_z_2", 6)
                  ) / (
                    (
                      (
                        (
                          (
                            (
                              p."_clv_x" + 3.1756889183484187e0
                            ) * (
                              p."_clv_x" + 4.175688918348419e0
                            )
                          ) * (
                            p."_clv_x" + 5.175688918348419e0
                          )
                        ) * (
                          p."_clv_x" + 6.175688918348419e0
                        )
                      ) * (
                        p."_clv_x" + 7.175688918348419e0
                      )
                    ) * (
                      p."_clv_x" + 8.175688918348419e0
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_z_2" * 6.1688200371205175e0
                    ) / (
                      p."_clv_x" + 9.175688918348419e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z_2" * 7.203778200416743e0
                      ) / (
                        p."_clv_x" + 10.175688918348419e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z_2" * 8.230967882980474e0
                        ) / (
                          p."_clv_x" + 11.175688918348419e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z_2" * 9.25271962903146e0
                          ) / (
                            p."_clv_x" + 12.175688918348419e0
                          )
                        ) * (
                          1.0e0 + (
                            p."_clv_z_2" * 10.270516512164084e0
                          ) / (
                            p."_clv_x" + 13.175688918348419e0
                          )
                        )
                      )
                    )
                  ) + (
                    (
                      392274.3894287253e0 * POWER(p."_clv_z_2", 6)
                    ) / (
                      (
                        (
                          (
                            (
                              (
                                p."_clv_x" + 9.175688918348419e0
                              ) * (
                                p."_clv_x" + 10.175688918348419e0
                              )
                            ) * (
                              p."_clv_x" + 11.175688918348419e0
                            )
                          ) * (
                            p."_clv_x" + 12.175688918348419e0
                          )
                        ) * (
                          p."_clv_x" + 13.175688918348419e0
                        )
                      ) * (
                        p."_clv_x" + 14.175688918348419e0
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_z_2" * 12.297896332368122e0
                      ) / (
                        p."_clv_x" + 15.175688918348419e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z_2" * 13.308652690305422e0
                        ) / (
                          p."_clv_x" + 16.17568891834842e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z_2" * 14.317974867184414e0
                          ) / (
                            p."_clv_x" + 17.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z_2" * 15.326131771953534e0
                            ) / (
                              p."_clv_x" + 18.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              p."_clv_z_2" * 16.333329040867465e0
                            ) / (
                              p."_clv_x" + 19.17568891834842e0
                            )
                          )
                        )
                      )
                    ) + (
                      (
                        10171758.193642506e0 * POWER(p."_clv_z_2", 6)
                      ) / (
                        (
                          (
                            (
                              (
                                (
                                  p."_clv_x" + 15.175688918348419e0
                                ) * (
                                  p."_clv_x" + 16.17568891834842e0
                                )
                              ) * (
                                p."_clv_x" + 17.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 18.17568891834842e0
                            )
                          ) * (
                            p."_clv_x" + 19.17568891834842e0
                          )
                        ) * (
                          p."_clv_x" + 20.17568891834842e0
                        )
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_z_2" * 18.34545075693303e0
                        ) / (
                          p."_clv_x" + 21.17568891834842e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z_2" * 19.350602486260893e0
                          ) / (
                            p."_clv_x" + 22.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z_2" * 20.355263574700388e0
                            ) / (
                              p."_clv_x" + 23.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              (
                                p."_clv_z_2" * 21.359500927827206e0
                              ) / (
                                p."_clv_x" + 24.17568891834842e0
                              )
                            ) * (
                              1.0e0 + (
                                p."_clv_z_2" * 22.363369815464733e0
                              ) / (
                                p."_clv_x" + 25.17568891834842e0
                              )
                            )
                          )
                        )
                      ) + (
                        (
                          80654640.23244765e0 * POWER(p."_clv_z_2", 6)
                        ) / (
                          (
                            (
                              (
                                (
                                  (
                                    p."_clv_x" + 21.17568891834842e0
                                  ) * (
                                    p."_clv_x" + 22.17568891834842e0
                                  )
                                ) * (
                                  p."_clv_x" + 23.17568891834842e0
                                )
                              ) * (
                                p."_clv_x" + 24.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 25.17568891834842e0
                            )
                          ) * (
                            p."_clv_x" + 26.17568891834842e0
                          )
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_z_2" * 24.37017905770678e0
                          ) / (
                            p."_clv_x" + 27.17568891834842e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z_2" * 25.373190837929222e0
                            ) / (
                              p."_clv_x" + 28.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              (
                                p."_clv_z_2" * 26.375979523320375e0
                              ) / (
                                p."_clv_x" + 29.17568891834842e0
                              )
                            ) * (
                              1.0e0 + (
                                (
                                  p."_clv_z_2" * 27.378569016897874e0
                                ) / (
                                  p."_clv_x" + 30.17568891834842e0
                                )
                              ) * (
                                1.0e0 + (
                                  p."_clv_z_2" * 28.380979924711408e0
                                ) / (
                                  p."_clv_x" + 31.17568891834842e0
                                )
                              )
                            )
                          )
                        ) + (
                          (
                            372374618.2603056e0 * POWER(p."_clv_z_2", 6)
                          ) / (
                            (
                              (
                                (
                                  (
                                    (
                                      p."_clv_x" + 27.17568891834842e0
                                    ) * (
                                      p."_clv_x" + 28.17568891834842e0
                                    )
                                  ) * (
                                    p."_clv_x" + 29.17568891834842e0
                                  )
                                ) * (
                                  p."_clv_x" + 30.17568891834842e0
                                )
                              ) * (
                                p."_clv_x" + 31.17568891834842e0
                              )
                            ) * (
                              p."_clv_x" + 32.17568891834842e0
                            )
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_z_2" * 30.38533511301973e0
                            ) / (
                              p."_clv_x" + 33.17568891834842e0
                            )
                          ) * (
                            1.0e0 + (
                              (
                                p."_clv_z_2" * 31.387308557721934e0
                              ) / (
                                p."_clv_x" + 34.17568891834842e0
                              )
                            ) * (
                              1.0e0 + (
                                (
                                  p."_clv_z_2" * 32.38916239971491e0
                                ) / (
                                  p."_clv_x" + 35.17568891834842e0
                                )
                              ) * (
                                1.0e0 + (
                                  (
                                    p."_clv_z_2" * 33.3909071921789e0
                                  ) / (
                                    p."_clv_x" + 36.17568891834842e0
                                  )
                                ) * (
                                  1.0e0 + (
                                    (
                                      p."_clv_z_2" * 34.39255228221637e0
                                    ) / (
                                      p."_clv_x" + 37.17568891834842e0
                                    )
                                  ) * (
                                    1.0e0 + (
                                      p."_clv_z_2" * 35.39410597836287e0
                                    ) / (
                                      p."_clv_x" + 38.17568891834842e0
                                    )
                                  )
                                )
                              )
                            )
                          )
                        )
                      )
                    )
                  )
                )
              )
              WHEN p."_clv_x" <= 8.0e0 AND p."_clv_z_2" <= 0.999999999999e0
              THEN (
                CASE p."_clv_x"
                  WHEN 0
                  THEN 0.42546952025748985e0
                  WHEN 1
                  THEN 0.5869696349017307e0
                  WHEN 2
                  THEN 0.676640408694481e0
                  WHEN 3
                  THEN 0.7340684438247942e0
                  WHEN 4
                  THEN 0.774084796555195e0
                  WHEN 5
                  THEN 0.8035948222960199e0
                  WHEN 6
                  THEN 0.8262673716782293e0
                  WHEN 7
                  THEN 0.8442371240380834e0
                  WHEN 8
                  THEN 0.8588322585563852e0
                END * CASE
                  WHEN -0.7018356040429871e0 * LN(p."_clv_y_2") + (
                    -2.1756889183484187e0 - p."_clv_x"
                  ) * LN(p."_clv_z_2") < -600.0e0
                  THEN 0.0e0
                  ELSE EXP(
                    -0.7018356040429871e0 * LN(p."_clv_y_2") + (
                      -2.1756889183484187e0 - p."_clv_x"
                    ) * LN(p."_clv_z_2")
                  )
                END
              ) * (
                1.0e0 + (
                  (
                    (
                      p."_clv_y_2" * (
                        -2.8775245223914054e0 - p."_clv_x"
                      )
                    ) * (
                      -0.025367970815105334e0 - p."_clv_x"
                    )
                  ) / (
                    -0.7272035748580925e0 - p."_clv_x"
                  )
                ) * (
                  1.0e0 + (
                    (
                      (
                        p."_clv_y_2" * (
                          -1.8775245223914054e0 - p."_clv_x"
                        )
                      ) * (
                        0.9746320291848947e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        0.2727964251419075e0 - p."_clv_x"
                      ) * 2.0e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y_2" * (
                          -0.8775245223914054e0 - p."_clv_x"
                        )
                      ) * (
                        1.9746320291848947e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        1.2727964251419075e0 - p."_clv_x"
                      ) * 3.0e0
                    )
                  )
                ) + (
                  (
                    (
                      (
                        (
                          (
                            (
                              (
                                (
                                  (
                                    0.041666666666666664e0 * POWER(p."_clv_y_2", 4)
                                  ) * (
                                    -2.8775245223914054e0 - p."_clv_x"
                                  )
                                ) * (
                                  -0.025367970815105334e0 - p."_clv_x"
                                )
                              ) * (
                                -1.8775245223914054e0 - p."_clv_x"
                              )
                            ) * (
                              0.9746320291848947e0 - p."_clv_x"
                            )
                          ) * (
                            -0.8775245223914054e0 - p."_clv_x"
                          )
                        ) * (
                          1.9746320291848947e0 - p."_clv_x"
                        )
                      ) * (
                        0.12247547760859456e0 - p."_clv_x"
                      )
                    ) * (
                      2.9746320291848947e0 - p."_clv_x"
                    )
                  ) / (
                    (
                      (
                        (
                          -0.7272035748580925e0 - p."_clv_x"
                        ) * (
                          0.2727964251419075e0 - p."_clv_x"
                        )
                      ) * (
                        1.2727964251419075e0 - p."_clv_x"
                      )
                    ) * (
                      2.2727964251419075e0 - p."_clv_x"
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      (
                        p."_clv_y_2" * (
                          1.1224754776085946e0 - p."_clv_x"
                        )
                      ) * (
                        3.9746320291848947e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        3.2727964251419075e0 - p."_clv_x"
                      ) * 5.0e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        (
                          p."_clv_y_2" * (
                            2.1224754776085946e0 - p."_clv_x"
                          )
                        ) * (
                          4.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          4.272796425141907e0 - p."_clv_x"
                        ) * 6.0e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_y_2" * (
                            3.1224754776085946e0 - p."_clv_x"
                          )
                        ) * (
                          5.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          5.272796425141907e0 - p."_clv_x"
                        ) * 7.0e0
                      )
                    )
                  ) + (
                    (
                      (
                        (
                          (
                            (
                              (
                                (
                                  (
                                    (
                                      0.0005952380952380952e0 * POWER(p."_clv_y_2", 4)
                                    ) * (
                                      1.1224754776085946e0 - p."_clv_x"
                                    )
                                  ) * (
                                    3.9746320291848947e0 - p."_clv_x"
                                  )
                                ) * (
                                  2.1224754776085946e0 - p."_clv_x"
                                )
                              ) * (
                                4.974632029184894e0 - p."_clv_x"
                              )
                            ) * (
                              3.1224754776085946e0 - p."_clv_x"
                            )
                          ) * (
                            5.974632029184894e0 - p."_clv_x"
                          )
                        ) * (
                          4.122475477608594e0 - p."_clv_x"
                        )
                      ) * (
                        6.974632029184894e0 - p."_clv_x"
                      )
                    ) / (
                      (
                        (
                          (
                            3.2727964251419075e0 - p."_clv_x"
                          ) * (
                            4.272796425141907e0 - p."_clv_x"
                          )
                        ) * (
                          5.272796425141907e0 - p."_clv_x"
                        )
                      ) * (
                        6.272796425141907e0 - p."_clv_x"
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        (
                          p."_clv_y_2" * (
                            5.122475477608594e0 - p."_clv_x"
                          )
                        ) * (
                          7.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          7.272796425141907e0 - p."_clv_x"
                        ) * 9.0e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          (
                            p."_clv_y_2" * (
                              6.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            8.974632029184894e0 - p."_clv_x"
                          )
                        ) / (
                          (
                            8.272796425141907e0 - p."_clv_x"
                          ) * 10.0e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_y_2" * (
                              7.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            9.974632029184894e0 - p."_clv_x"
                          )
                        ) / (
                          (
                            9.272796425141907e0 - p."_clv_x"
                          ) * 11.0e0
                        )
                      )
                    ) + (
                      (
                        (
                          (
                            (
                              (
                                (
                                  (
                                    (
                                      (
                                        8.417508417508415e-05 * POWER(p."_clv_y_2", 4)
                                      ) * (
                                        5.122475477608594e0 - p."_clv_x"
                                      )
                                    ) * (
                                      7.974632029184894e0 - p."_clv_x"
                                    )
                                  ) * (
                                    6.122475477608594e0 - p."_clv_x"
                                  )
                                ) * (
                                  8.974632029184894e0 - p."_clv_x"
                                )
                              ) * (
                                7.122475477608594e0 - p."_clv_x"
                              )
                            ) * (
                              9.974632029184894e0 - p."_clv_x"
                            )
                          ) * (
                            8.122475477608594e0 - p."_clv_x"
                          )
                        ) * (
                          10.974632029184894e0 - p."_clv_x"
                        )
                      ) / (
                        (
                          (
                            (
                              7.272796425141907e0 - p."_clv_x"
                            ) * (
                              8.272796425141907e0 - p."_clv_x"
                            )
                          ) * (
                            9.272796425141907e0 - p."_clv_x"
                          )
                        ) * (
                          10.272796425141907e0 - p."_clv_x"
                        )
                      )
                    ) * (
                      1.0e0 + (
                        (
                          (
                            p."_clv_y_2" * (
                              9.122475477608594e0 - p."_clv_x"
                            )
                          ) * (
                            11.974632029184894e0 - p."_clv_x"
                          )
                        ) / (
                          (
                            11.272796425141907e0 - p."_clv_x"
                          ) * 13.0e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            (
                              p."_clv_y_2" * (
                                10.122475477608594e0 - p."_clv_x"
                              )
                            ) * (
                              12.974632029184894e0 - p."_clv_x"
                            )
                          ) / (
                            (
                              12.272796425141907e0 - p."_clv_x"
                            ) * 14.0e0
                          )
                        ) * (
                          1.0e0 + (
                            (
                              p."_clv_y_2" * (
                                11.122475477608594e0 - p."_clv_x"
                              )
                            ) * (
                              13.974632029184894e0 - p."_clv_x"
                            )
                          ) / (
                            (
                              13.272796425141907e0 - p."_clv_x"
                            ) * 15.0e0
                          )
                        )
                      )
                    )
                  )
                )
              ) + (
                CASE p."_clv_x"
                  WHEN 0
                  THEN -1.3528744452134789e0
                  WHEN 1
                  THEN 1.5753530184503237e0
                  WHEN 2
                  THEN -1.764911416699369e0
                  WHEN 3
                  THEN 1.932354364821647e0
                  WHEN 4
                  THEN -2.083672996982113e0
                  WHEN 5
                  THEN 2.222586111380138e0
                  WHEN 6
                  THEN -2.3515845628823633e0
                  WHEN 7
                  THEN 2.472430971629963e0
                  WHEN 8
                  THEN -2.586425609969154e0
                END * CASE
                  WHEN (
                    p."_clv_x" + 1.0253679708151053e0
                  ) * LN(p."_clv_y_2") + (
                    -2.1756889183484183e0 - p."_clv_x"
                  ) * LN(p."_clv_z_2") < -600.0e0
                  THEN 0.0e0
                  ELSE EXP(
                    (
                      p."_clv_x" + 1.0253679708151053e0
                    ) * LN(p."_clv_y_2") + (
                      -2.1756889183484183e0 - p."_clv_x"
                    ) * LN(p."_clv_z_2")
                  )
                END
              ) * (
                1.0e0 + (
                  (
                    p."_clv_y_2" * -1.957657144588657e0
                  ) / (
                    p."_clv_x" + 2.7272035748580925e0
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_y_2" * -0.20307124403949137e0
                    ) / (
                      p."_clv_x" + 3.7272035748580925e0
                    )
                  ) * (
                    1.0e0 + (
                      p."_clv_y_2" * 1.0484573894768972e0
                    ) / (
                      p."_clv_x" + 4.727203574858093e0
                    )
                  )
                ) + (
                  (
                    0.9062325877915549e0 * POWER(p."_clv_y_2", 4)
                  ) / (
                    (
                      (
                        (
                          p."_clv_x" + 2.7272035748580925e0
                        ) * (
                          p."_clv_x" + 3.7272035748580925e0
                        )
                      ) * (
                        p."_clv_x" + 4.727203574858093e0
                      )
                    ) * (
                      p."_clv_x" + 5.727203574858093e0
                    )
                  )
                ) * (
                  1.0e0 + (
                    (
                      p."_clv_y_2" * 3.2496802962900078e0
                    ) / (
                      p."_clv_x" + 6.727203574858093e0
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y_2" * 4.299986022993285e0
                      ) / (
                        p."_clv_x" + 7.727203574858093e0
                      )
                    ) * (
                      1.0e0 + (
                        p."_clv_y_2" * 5.335918684924198e0
                      ) / (
                        p."_clv_x" + 8.727203574858093e0
                      )
                    )
                  ) + (
                    (
                      474.42745091757354e0 * POWER(p."_clv_y_2", 4)
                    ) / (
                      (
                        (
                          (
                            p."_clv_x" + 6.727203574858093e0
                          ) * (
                            p."_clv_x" + 7.727203574858093e0
                          )
                        ) * (
                          p."_clv_x" + 8.727203574858093e0
                        )
                      ) * (
                        p."_clv_x" + 9.727203574858093e0
                      )
                    )
                  ) * (
                    1.0e0 + (
                      (
                        p."_clv_y_2" * 7.383828900832082e0
                      ) / (
                        p."_clv_x" + 10.727203574858093e0
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_y_2" * 8.400597476399842e0
                        ) / (
                          p."_clv_x" + 11.727203574858093e0
                        )
                      ) * (
                        1.0e0 + (
                          p."_clv_y_2" * 9.41431722004619e0
                        ) / (
                          p."_clv_x" + 12.727203574858093e0
                        )
                      )
                    ) + (
                      (
                        6088.1865173352835e0 * POWER(p."_clv_y_2", 4)
                      ) / (
                        (
                          (
                            (
                              p."_clv_x" + 10.727203574858093e0
                            ) * (
                              p."_clv_x" + 11.727203574858093e0
                            )
                          ) * (
                            p."_clv_x" + 12.727203574858093e0
                          )
                        ) * (
                          p."_clv_x" + 13.727203574858093e0
                        )
                      )
                    ) * (
                      1.0e0 + (
                        (
                          p."_clv_y_2" * 11.435424517963648e0
                        ) / (
                          p."_clv_x" + 14.727203574858093e0
                        )
                      ) * (
                        1.0e0 + (
                          (
                            p."_clv_y_2" * 12.443716670716936e0
                          ) / (
                            p."_clv_x" + 15.727203574858093e0
                          )
                        ) * (
                          1.0e0 + (
                            p."_clv_y_2" * 13.450903203103119e0
                          ) / (
                            p."_clv_x" + 16.72720357485809e0
                          )
                        )
                      )
                    )
                  )
                )
              )
            END
          )
        ) * CASE
          WHEN p."_clv_x" <= 0.0e0
          THEN 1.0e0
          WHEN -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
            p."_clv_x" + 1.0253679708151053e0
          ) * LN(
            (
              p."_clv_T" + 12.018691938378884e0
            ) / (
              p."_clv_tx" + 12.018691938378884e0
            )
          ) > 600.0e0
          THEN 0.0e0
          ELSE 1.0e0 / (
            1.0e0 + EXP(
              -1.2101102803022559e0 - LN(p."_clv_x" + 2.8775245223914054e0) + (
                p."_clv_x" + 1.0253679708151053e0
              ) * LN(
                (
                  p."_clv_T" + 12.018691938378884e0
                ) / (
                  p."_clv_tx" + 12.018691938378884e0
                )
              )
            )
          )
        END
      )
    END AS "clv_value",
    COALESCE(p."clv_alive" < 0.5 AND p."revenue" >= 1000, FALSE) AS "valuable_at_risk",
    COALESCE(p."clv_purchases" >= 1, FALSE) AS "likely_buyers"
  FROM (
    SELECT
      p.*,
      CAST(p."clv_monetary" AS DOUBLE) AS "_clv_m",
      52.14e0 / (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 64.15869193837888e0
      ) AS "_clv_z_2",
      (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 12.018691938378884e0
      ) / (
        CAST(p."clv_age" AS DOUBLE) / 7.0e0 + 64.15869193837888e0
      ) AS "_clv_y_2"
    FROM "layer_3" AS p
  ) AS p
), "layer_5" AS (
  SELECT
    p.*,
    CASE
      WHEN p."clv_value" IS NULL
      THEN NULL
      ELSE NTILE(100) OVER (
        PARTITION BY CASE WHEN p."clv_value" IS NULL THEN 1 ELSE 0 END
        ORDER BY p."clv_value" ASC, p."customer_id"
      )
    END AS "value_rank"
  FROM "layer_4" AS p
), "layer_6" AS (
  SELECT
    p.*,
    CASE
      WHEN p."value_rank" = 100
      THEN 'top_1'
      WHEN p."value_rank" >= 96
      THEN 'top_5'
      WHEN p."value_rank" >= 81
      THEN 'top_20'
      ELSE 'rest'
    END AS "value_tier"
  FROM "layer_5" AS p
)
SELECT
  p."customer_id" AS "customer_id",
  p."revenue" AS "revenue",
  p."order_count" AS "order_count",
  p."first_order" AS "first_order",
  p."last_order" AS "last_order",
  p."recency" AS "recency",
  p."age" AS "age",
  p."clv_age" AS "clv_age",
  p."clv_recency" AS "clv_recency",
  p."clv_frequency" AS "clv_frequency",
  p."clv_monetary" AS "clv_monetary",
  p."clv_alive" AS "clv_alive",
  p."clv_purchases" AS "clv_purchases",
  p."clv_spend" AS "clv_spend",
  p."clv_value" AS "clv_value",
  p."value_rank" AS "value_rank",
  p."value_tier" AS "value_tier",
  p."valuable_at_risk" AS "valuable_at_risk",
  p."likely_buyers" AS "likely_buyers"
FROM "layer_6" AS p
