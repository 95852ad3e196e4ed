"""The shop model (models/shop.seg) in polars, as a data-savvy analyst writes it today.

Run as a program it reads the Parquet files of a data set, computes every
definition of the model with polars' lazy API (projection and predicate
pushdown, one group-by with conditional aggregations per source, NTILE-style
tiles with ties broken by key), writes the members to Parquet and prints the
seconds it took as JSON. The benchmark times the whole process, as it times
`segdsl run`:

    python -m benchmarks.polars_shop DATA_DIR 2026-06-30 OUT.parquet [--engine streaming|in-memory]

Only the holdout's MD5 bucket is computed per member, and only for VIP
members: polars has no MD5 expression.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

CITIES = ["Warszawa", "Kraków", "Москва", "Łódź"]
RFM_LABELS = [  # (r, lowest f + m, label): the first that matches wins, as in segdsl's RFM rules
    (5, 8, "champions"), (5, 4, "potential_loyalist"), (5, 0, "new_customers"),
    (4, 8, "loyal"), (4, 4, "potential_loyalist"), (4, 0, "promising"),
    (3, 8, "loyal"), (3, 6, "need_attention"), (3, 0, "about_to_sleep"),
]


def _exact_sum(column: str):
    """The sum of a money column that does not depend on the order of the rows, as segdsl's sums are
    (README, semantics): each value as a whole number of 10⁻⁹, summed as integers. A float sum put a
    customer with orders worth exactly 1,000 on either side of `revenue >= 1000`, run to run."""
    import polars as pl

    return (pl.col(column) * 1e9).round().cast(pl.Int64).sum() / 1e9


def _ntile(value: str, n: int, descending: bool):
    """NTILE(n) over the members with a value, ordered by value then key: SQL's bucket sizes.

    The frame is sorted by key first, so an ordinal rank (ties in the order of
    the rows) is the rank by value and then key, with no sort of its own.
    """
    import polars as pl

    rank = pl.col(value).rank("ordinal", descending=descending).cast(pl.Int64) - 1
    rows = pl.col(value).count()
    size, extra = rows // n, rows % n
    big = extra * (size + 1)
    return (pl.when(rank < big).then(rank // (size + 1))
            .otherwise(extra + (rank - big) // pl.max_horizontal(size, 1)) + 1).cast(pl.Int64)


def _rfm_label():
    import polars as pl

    r, fm = pl.col("rfm_r"), pl.col("rfm_f") + pl.col("rfm_m")
    expr = pl.when(r.is_null() | fm.is_null()).then(pl.lit(None, dtype=pl.String))
    for score, least, label in RFM_LABELS:
        expr = expr.when((r == score) & (fm >= least)).then(pl.lit(label))
    return (expr.when(fm == 10).then(pl.lit("cant_lose_them"))
            .when(fm >= 6).then(pl.lit("at_risk"))
            .when(r == 2).then(pl.lit("hibernating"))
            .otherwise(pl.lit("lost")))


def _age_band():
    import polars as pl

    age = pl.col("age")
    expr = pl.when(age.is_null()).then(pl.lit(None, dtype=pl.String))
    for low, high, label in ((None, 18, "<18"), (18, 25, "18-24"), (25, 35, "25-34"), (35, 50, "35-49"),
                             (50, 65, "50-64")):
        expr = expr.when(age < high).then(pl.lit(label))
    return expr.otherwise(pl.lit("65+"))


def shop(data: Path, as_of: dt.date, vip_spend: float = 1000):
    """The members as a LazyFrame: nothing is read before it is collected."""
    import polars as pl

    day0 = dt.datetime.combine(as_of, dt.time())
    end = day0 + dt.timedelta(days=1)
    d90, d30, d7 = (day0 - dt.timedelta(days=k - 1) for k in (90, 30, 7))

    customers = (pl.scan_parquet(data / "customers.parquet")
                 .select("customer_id", "signup_date", "birth_date", "city")
                 .filter(pl.col("signup_date").is_null() | (pl.col("signup_date") <= as_of)))
    at = pl.col("ordered_at")
    orders = (pl.scan_parquet(data / "orders.parquet")
              .select("customer_id", "ordered_at", "amount", "channel", "margin")
              .filter(at < end)
              .group_by("customer_id")
              .agg(_exact_sum("amount").alias("revenue"), pl.len().alias("order_count"),
                   at.min().alias("first_order"), at.max().alias("last_order"),
                   (at >= d90).sum().alias("orders_90d"), (pl.col("channel") == "web").sum().alias("web_orders"),
                   _exact_sum("margin").alias("margin"), (at >= d7).sum().alias("orders_7d")))
    carts = (pl.scan_parquet(data / "web_events.parquet")
             .select("customer_id", "event_time", "type")
             .filter((pl.col("type") == "add_to_cart") & (pl.col("event_time") >= d7) & (pl.col("event_time") < end))
             .select("customer_id").unique().with_columns(pl.lit(True).alias("carted")))

    birth = pl.col("birth_date")
    later = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()) > (as_of.month * 100 + as_of.day)
    counts = ("order_count", "orders_90d", "web_orders", "orders_7d")
    df = (customers.join(orders, on="customer_id", how="left").join(carts, on="customer_id", how="left")
          .with_columns(*(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
                        (pl.lit(as_of) - pl.col("last_order").dt.date()).dt.total_days().alias("recency"),
                        (as_of.year - birth.dt.year() - later.cast(pl.Int32)).cast(pl.Int64).alias("age"))
          .with_columns(((pl.col("revenue") >= vip_spend) & (pl.col("orders_90d") >= 2)).fill_null(False).alias("vip"),
                        (pl.col("first_order") >= d30).fill_null(False).alias("newcomers"),
                        (pl.col("recency") > 180).fill_null(False).alias("lapsed"),
                        (pl.col("carted").fill_null(False) & (pl.col("orders_7d") == 0)).alias("cart_abandoners"),
                        pl.col("city").is_in(CITIES).fill_null(False).alias("big_cities"),
                        _age_band().alias("age_band"))
          .with_columns((pl.col("vip") & pl.col("lapsed")).alias("vip_at_risk"),
                        pl.when(pl.col("newcomers")).then(pl.lit("new"))
                        .when(pl.col("orders_90d") >= 3).then(pl.lit("loyal"))
                        .when(pl.col("lapsed")).then(pl.lit("inactive"))
                        .when(pl.col("order_count") == 0).then(pl.lit("prospect"))
                        .otherwise(pl.lit("occasional")).alias("lifecycle")))
    df = (df.sort("customer_id")
          .with_columns(_ntile("revenue", 5, False).alias("spend_tier"), _ntile("recency", 5, True).alias("rfm_r"),
                        _ntile("order_count", 5, False).alias("rfm_f"))
          .with_columns(pl.col("spend_tier").alias("rfm_m"))
          .with_columns(_rfm_label().alias("rfm")))

    def arm(keys):
        buckets = [int(hashlib.md5(f"spring-2026:{k}".encode()).hexdigest()[:8], 16) % 10000 for k in keys]
        return pl.Series(["treatment" if b < 9000 else "control" for b in buckets], dtype=pl.String)

    arms = (df.filter(pl.col("vip")).select("customer_id")
            .with_columns(pl.col("customer_id").map_batches(arm, return_dtype=pl.String).alias("vip_test")))
    df = df.join(arms, on="customer_id", how="left")
    return df.select("customer_id", "revenue", "order_count", "first_order", "last_order", "recency", "age",
                     "orders_90d", "web_orders", "margin", "vip", "newcomers", "lapsed", "vip_at_risk",
                     "cart_abandoners", "big_cities", "lifecycle", "age_band", "spend_tier", "rfm", "vip_test",
                     "rfm_r", "rfm_f", "rfm_m")


def main(argv: list[str]) -> int:
    engine = "streaming"
    if "--engine" in argv:
        i = argv.index("--engine")
        engine = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    data, as_of, out = Path(argv[0]), dt.date.fromisoformat(argv[1]), Path(argv[2])
    started = time.perf_counter()
    shop(data, as_of).collect(engine=engine).write_parquet(out)
    print(json.dumps({"seconds": time.perf_counter() - started, "engine": engine}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
