"""The shop model (models/shop.seg) in pandas, the way an analyst computes segments today.

Run as a program it reads the Parquet files of a data set, computes every
definition of the model, prints the seconds it took as JSON and writes the
members to a Parquet file (after the clock stops) for the comparison with
segdsl:

    python -m benchmarks.pandas_shop DATA_DIR 2026-06-30 OUT.parquet

The code is vectorised pandas throughout (group-bys, boolean masks, ranks);
only the holdout hash is computed per member, and only for VIP members,
because MD5 has no vectorised form in pandas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

CITIES = ["Warszawa", "Kraków", "Москва", "Łódź"]


def _ntile(df, value: str, key: str, n: int, descending: bool):
    """NTILE(n) over the members with a value, ordered by value then key (SQL's bucket sizes)."""
    import numpy as np
    import pandas as pd

    out = pd.Series(pd.NA, index=df.index, dtype="Int64")
    have = df[df[value].notna()]
    order = have.sort_values([value, key], ascending=[not descending, True], kind="stable").index
    rows = len(order)
    if rows == 0:
        return out
    rank = np.arange(rows)
    size, extra = divmod(rows, n)
    big = extra * (size + 1)
    tile = np.where(rank < big, rank // (size + 1), extra + (rank - big) // max(size, 1)) + 1
    out.loc[order] = tile
    return out


def _rfm_label(r, f, m):
    import numpy as np
    import pandas as pd

    fm = f + m
    conditions = [
        (r == 5) & (fm >= 8), (r == 5) & (fm >= 4), r == 5,
        (r == 4) & (fm >= 8), (r == 4) & (fm >= 4), r == 4,
        (r == 3) & (fm >= 8), (r == 3) & (fm >= 6), r == 3,
        fm == 10, fm >= 6, r == 2,
    ]
    labels = ["champions", "potential_loyalist", "new_customers", "loyal", "potential_loyalist", "promising",
              "loyal", "need_attention", "about_to_sleep", "cant_lose_them", "at_risk", "hibernating"]
    filled = [c.fillna(False).to_numpy(dtype=bool) for c in conditions]
    label = pd.Series(np.select(filled, labels, "lost"), index=r.index, dtype=object)
    label[r.isna() | f.isna() | m.isna()] = None
    return label


def shop(data: Path, as_of: dt.date, vip_spend: float = 1000):
    import numpy as np
    import pandas as pd

    end = pd.Timestamp(as_of + dt.timedelta(days=1))
    day0 = pd.Timestamp(as_of)

    customers = pd.read_parquet(data / "customers.parquet",
                                columns=["customer_id", "signup_date", "birth_date", "city"])
    customers = customers[customers["signup_date"].isna() | (customers["signup_date"] <= as_of)]

    orders = pd.read_parquet(data / "orders.parquet",
                             columns=["customer_id", "ordered_at", "amount", "channel", "margin"])
    orders = orders[orders["ordered_at"] < end]
    orders = orders.assign(
        in_90d=orders["ordered_at"] >= day0 - pd.Timedelta(days=89),
        in_7d=orders["ordered_at"] >= day0 - pd.Timedelta(days=6),
        web=orders["channel"] == "web",
    )
    o = orders.groupby("customer_id").agg(
        revenue=("amount", "sum"), order_count=("amount", "size"), first_order=("ordered_at", "min"),
        last_order=("ordered_at", "max"), orders_90d=("in_90d", "sum"), web_orders=("web", "sum"),
        margin=("margin", "sum"), orders_7d=("in_7d", "sum"))
    del orders

    web = pd.read_parquet(data / "web_events.parquet", columns=["customer_id", "event_time", "type"])
    carts = web.loc[(web["type"] == "add_to_cart") & (web["event_time"] >= day0 - pd.Timedelta(days=6))
                    & (web["event_time"] < end), "customer_id"].unique()
    del web

    df = customers.merge(o, how="left", left_on="customer_id", right_index=True)
    for c in ("order_count", "orders_90d", "web_orders", "orders_7d"):
        df[c] = df[c].fillna(0).astype("int64")
    last = df["last_order"].dt.normalize()
    df["recency"] = ((day0 - last).dt.days).astype("Int64")
    birth = pd.to_datetime(df["birth_date"])
    later = (birth.dt.month * 100 + birth.dt.day) > (as_of.month * 100 + as_of.day)
    df["age"] = (as_of.year - birth.dt.year - later.astype("Int64")).astype("Int64")
    df["vip"] = ((df["revenue"] >= vip_spend) & (df["orders_90d"] >= 2)).fillna(False).astype(bool)
    df["newcomers"] = (df["first_order"] >= day0 - pd.Timedelta(days=29)).fillna(False).astype(bool)
    df["lapsed"] = (df["recency"] > 180).fillna(False).astype(bool)
    df["vip_at_risk"] = df["vip"] & df["lapsed"]
    df["cart_abandoners"] = df["customer_id"].isin(carts) & (df["orders_7d"] == 0)
    df["big_cities"] = df["city"].isin(CITIES)
    df["lifecycle"] = np.select(
        [df["newcomers"], df["orders_90d"] >= 3, df["lapsed"], df["order_count"] == 0],
        ["new", "loyal", "inactive", "prospect"], "occasional")
    df["age_band"] = pd.cut(df["age"].astype("float64"), [-np.inf, 18, 25, 35, 50, 65, np.inf], right=False,
                            labels=["<18", "18-24", "25-34", "35-49", "50-64", "65+"]).astype(object)
    df["spend_tier"] = _ntile(df, "revenue", "customer_id", 5, False)
    df["rfm_r"] = _ntile(df, "recency", "customer_id", 5, True)
    df["rfm_f"] = _ntile(df, "order_count", "customer_id", 5, False)
    df["rfm_m"] = df["spend_tier"]
    df["rfm"] = _rfm_label(df["rfm_r"], df["rfm_f"], df["rfm_m"])
    vip_keys = df.loc[df["vip"], "customer_id"]
    buckets = vip_keys.map(lambda k: int(hashlib.md5(f"spring-2026:{k}".encode()).hexdigest()[:8], 16) % 10000)
    df["vip_test"] = None
    df.loc[df["vip"], "vip_test"] = np.where(buckets < 9000, "treatment", "control")
    return df[["customer_id", "revenue", "order_count", "first_order", "last_order", "recency", "age",
               "orders_90d", "web_orders", "margin", "vip", "newcomers", "lapsed", "vip_at_risk",
               "cart_abandoners", "big_cities", "lifecycle", "age_band", "spend_tier", "rfm", "vip_test",
               "rfm_r", "rfm_f", "rfm_m"]]


def main(argv: list[str]) -> int:
    data, as_of, out = Path(argv[0]), dt.date.fromisoformat(argv[1]), Path(argv[2])
    import pandas  # noqa: F401  (imported before the clock starts, as in a notebook)

    started = time.perf_counter()
    members = shop(data, as_of)
    seconds = time.perf_counter() - started
    members.to_parquet(out, index=False)
    print(json.dumps({"seconds": seconds, "rows": len(members)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
