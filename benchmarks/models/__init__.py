"""Models the benchmark runs: the frozen shop model and generated ones.

Generated models are deterministic texts: the same arguments give the same
model, so figures from two runs compare.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SHOP = HERE / "shop.seg"
SECOND_STAGE = HERE / "second_stage.seg"  # shop.seg's sources, aggregates conditioned on aggregates

SOURCES = """\
entity customers from "customers" key customer_id since signup_date
events orders from "orders" by customer_id at ordered_at
events web from "web_events" by customer_id at event_time
"""

# A feature library over both sources: what a team's common.seg holds.
LIBRARY = """\
feature revenue      = sum(orders.amount)
feature order_count  = count(orders)
feature last_order   = max(orders.ordered_at)
feature first_order  = min(orders.ordered_at)
feature recency      = days_between(last_order, as_of)
feature tenure       = days_between(first_order, as_of)
feature orders_30d   = count(orders in last 30 days)
feature orders_90d   = count(orders in last 90 days)
feature revenue_90d  = sum(orders.amount in last 90 days)
feature web_orders   = count(orders where channel = "web")
feature app_orders   = count(orders where channel = "app")
feature coupon_share = count(orders where coupon_used) / order_count
feature avg_basket   = avg(orders.items)
feature margin       = sum(orders.margin)
feature sessions_30d = count(web in last 30 days)
feature carts_30d    = count(web where type = "add_to_cart" in last 30 days)
feature checkouts_90d = count(web where type = "checkout" in last 90 days)
feature email_clicks_90d = count(web where type = "email_click" in last 90 days)
feature last_visit   = max(web.event_time)
"""

CATEGORIES = ["electronics", "fashion", "home", "beauty", "sports", "books"]
CHANNELS = ["web", "app", "store"]
EVENT_TYPES = ["view", "add_to_cart", "checkout", "email_open", "email_click"]
WINDOWS = [7, 30, 90, 365]


def _definition(i: int, own_aggregates: bool) -> str:
    """The i-th segment or segmentation of a scaling model: a mix of what marketing teams write.

    With own_aggregates, three in ten definitions aggregate events themselves
    (count of a category's orders in a window, a web event in a window, spend
    in a channel): each such new aggregate is a new feature in all but name.
    Without, every definition combines the features of the library.
    """
    kind = i % 10
    w = WINDOWS[i % len(WINDOWS)]
    cat = CATEGORIES[i % len(CATEGORIES)]
    etype = EVENT_TYPES[i % len(EVENT_TYPES)]
    t = 1 + i % 4
    if i == 0:
        # The one-segment model reads both sources, as every larger one does.
        if not own_aggregates:
            return "segment s0 = carts_30d > 0 and orders_30d = 0"
        return ('segment s0 = exists(web where type = "add_to_cart" in last 7 days)'
                " and not exists(orders in last 7 days)")
    if kind == 0:
        return f"segment s{i} = revenue >= {250 * t} and orders_90d >= {t}"
    if kind == 1:
        if not own_aggregates:
            return f"segment s{i} = orders_30d >= {t} and revenue_90d > {50 * t}"
        return f'segment s{i} = count(orders where category = "{cat}" in last {w} days) >= {t}'
    if kind == 2:
        if not own_aggregates:
            return f"segment s{i} = sessions_30d >= {t} and recency > {30 * t}"
        return f'segment s{i} = exists(web where type = "{etype}" in last {w} days) and recency > {30 * t}'
    if kind == 3:
        return (f"segmentation g{i} {{\n  high = revenue_90d >= {200 * t}\n  engaged = sessions_30d >= {2 * t}\n"
                f"  lapsing = recency between {60 * t} and {180 * t}\n  else other\n}}")
    if kind == 4:
        return f"segment s{i} = coupon_share >= 0.{t}5 and avg_basket >= {t}"
    if kind == 5:
        return f"segment s{i} = carts_30d >= {t} and checkouts_90d = 0"
    if kind == 6:
        return f"segmentation g{i} = bucket(order_count, [{t}, {3 * t}, {10 * t}, {30 * t}])"
    if kind == 7:
        if not own_aggregates:
            return f"segment s{i} = margin >= {25 * t} and last_order in last {w} days"
        return f'segment s{i} = sum(orders.amount where channel = "{CHANNELS[i % 3]}" in last {w} days) > {50 * t}'
    if kind == 8:
        return f"segment s{i} = email_clicks_90d >= {t} and last_visit in last {w} days"
    return f"segment s{i} = web_orders > app_orders and margin >= {100 * t} and tenure > {100 * t}"


def scaling_model(definitions: int, own_aggregates: bool = False) -> str:
    """A model with the feature library and `definitions` segments and segmentations over the same two sources."""
    body = "\n".join(_definition(i, own_aggregates) for i in range(definitions))
    kind = "with their own aggregates" if own_aggregates else "over the feature library"
    return f"# generated: {definitions} segments and segmentations {kind}\n{SOURCES}\n{LIBRARY}\n{body}\n"


def compile_model(features: int = 250, segments: int = 250) -> str:
    """A large model for compile speed: `features` features and `segments` segments."""
    lines = [f"# generated: {features} features, {segments} segments", SOURCES]
    lines.append("param threshold: number = 100")
    for i in range(features):
        w = WINDOWS[i % len(WINDOWS)]
        kind = i % 5
        if kind == 0:
            lines.append(f'feature f{i} = count(orders where category = "{CATEGORIES[i % 6]}" in last {w + i} days)')
        elif kind == 1:
            lines.append(f'feature f{i} = sum(orders.amount where channel = "{CHANNELS[i % 3]}" in last {w + i} days)')
        elif kind == 2:
            lines.append(f'feature f{i} = count(web where type = "{EVENT_TYPES[i % 5]}" in last {w + i} days)')
        elif kind == 3:
            lines.append(f"feature f{i} = f{i - 3} * 2 + f{i - 2} / (f{i - 1} + 1)")
        else:
            lines.append(f"feature f{i} = days_between(max(orders.ordered_at where items >= {1 + i % 7}), as_of)")
    for j in range(segments):
        a, b = j % features, (j * 7 + 3) % features
        if j % 4 == 0:
            lines.append(f"segment s{j} = f{a} >= threshold and f{b} < {j + 1}")
        elif j % 4 == 1:
            lines.append(f"segment s{j} = f{a} > {j} or s{j - 1}")
        elif j % 4 == 2:
            lines.append(f'segment s{j} = f{a} is not missing and city in ("Warszawa", "Berlin") and not s{j - 2}')
        else:
            lines.append(f"segment s{j} = f{a} between {j} and {j * 3} and age_years >= 18")
    lines.append("feature age_years = years_between(birth_date, as_of)")
    return "\n".join(lines) + "\n"
