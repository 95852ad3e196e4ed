"""The conformance fixture: one small data set, loaded into every verified engine.

Each row is here for a reason, written next to it: window edges around the
main as_of (2026-06-30), calendar-month ends and leap days for the other
as_of dates, NULLs in every column, members without events, text that
differs only by case, accent, trailing space or Unicode normalisation,
LIKE/GLOB wildcards and backslashes as data, hostile names and strings.

Money amounts are sums of powers of two (x.5, x.25, x.125) so that sums are
exact on every engine and quantile ties are real ties, not rounding noise.
Expected values are never written here: they come from tests/reference.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

D = dt.date
TS = dt.datetime


@dataclass(frozen=True)
class Table:
    """A source table: (column, kind) pairs and rows. Kinds: int, float, text, date, ts, tstz (with a
    time zone), bool."""

    name: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple, ...]

    def dicts(self) -> list[dict[str, object]]:
        names = [c for c, _ in self.columns]
        return [dict(zip(names, r)) for r in self.rows]


CUSTOMERS = Table(
    "customers",
    (("customer_id", "int"), ("name", "text"), ("city", "text"), ("email", "text"), ("birth_date", "date"),
     ("income", "float"), ("signup_date", "date"), ("is_b2b", "bool"), ("last_login", "ts"), ("score", "int"),
     ("tags", "text")),
    (
        # signed up long ago; birthday on the as_of day; logs in at 23:59:59 on the as_of day
        (1, "Ann", "Łódź", "ann@gmail.com", D(1990, 6, 30), 50000.0, D(2024, 1, 1), False,
         TS(2026, 6, 30, 23, 59, 59), 10, "a,b"),
        # no signup date (stays in); born on a leap day; income 0 (division by zero); city in lower case
        (2, "Bob", "łódź", "bob@GMAIL.com", D(2000, 2, 29), 0.0, None, True, TS(2026, 6, 1, 0, 0, 0), 20, None),
        # signs up on the as_of day (in); no events at all; name without the accent of 4
        (3, "Jose", "Москва", None, None, None, D(2026, 6, 30), None, None, 30, ""),
        # signs up the day after the main as_of (out until 2026-07-01)
        (4, "José", "Berlin", "x_y@web.de", D(1980, 7, 1), 70000.0, D(2026, 7, 1), False,
         TS(2026, 7, 1, 0, 0, 0), 40, "x"),
        # `%` inside the data; name that differs from 1 by case only
        (5, "ann", None, "a%b@web.de", D(1970, 1, 1), 10.0, D(2020, 1, 1), True, None, None, "b"),
        # upper-case city; `xay` matches the LIKE pattern x_y@% too; signed up on a leap day
        (6, "ANN", "ŁÓDŹ", "xay@web.de", D(2004, 3, 1), 2500.5, D(2024, 2, 29), False,
         TS(2024, 3, 1, 12, 0, 0), 10, "a"),
        # trailing spaces in city and email (MySQL compares 'a' = 'a ' as equal); born on a leap day
        (7, "Zoë", "Łódź ", "zoe@gmail.com ", D(2008, 2, 29), 100.25, D(2024, 3, 31), None,
         TS(2024, 2, 29, 8, 0, 0), 20, "a,b"),
        # backslash in the data; quote in the name; signed up on the last day of February
        (8, "O'Brien", "Kraków", "back\\slash@x.pl", D(1996, 2, 28), 1000000.0, D(2025, 2, 28), True,
         TS(2025, 2, 28, 0, 0, 0), 30, None),
        # negative income; sub-second timestamp; born on the 31st
        (9, "Ωmega", "Warszawa", "under_score@x.pl", D(2001, 1, 31), -50.0, D(2020, 5, 31), False,
         TS(2020, 5, 31, 23, 59, 59, 500000), 40, "c"),
        # missing everything but the key and the name
        (10, "Nul", None, None, None, None, None, None, None, None, None),
        # the twin of 1: equal revenue, score, city and email (quantile ties broken by key)
        (11, "Twin", "Łódź", "ann@gmail.com", D(1990, 6, 30), 50000.0, D(2024, 1, 1), False,
         TS(2026, 6, 15, 12, 0, 0), 10, "a,b"),
        # equal revenue to 1 and 11 in one order
        (12, "Sam", "Москва", "sam@ex.com", D(1985, 12, 31), 2500.5, D(2023, 12, 31), True,
         TS(2026, 6, 29, 0, 0, 0), 20, "b"),
        # GLOB's own wildcards as data (SQLite: like is lowered to GLOB)
        (13, "Star", "a[b]?*", "q?x*@[x].com", D(1999, 12, 31), 1.125, D(2021, 1, 31), False,
         TS(2026, 5, 31, 23, 59, 59), 30, "*"),
        # percent sign in the city; decomposed é (e + U+0301) vs precomposed in 4
        (14, "Jose\u0301", "100%", "p%@x.com", D(1975, 6, 30), 33.5, D(2022, 6, 30), True,
         TS(2026, 4, 30, 6, 0, 0), 40, "a"),
    ),
)

ORDERS = Table(
    "orders",
    (("customer_id", "int"), ("ordered_at", "ts"), ("amount", "float"), ("channel", "text"),
     ("shipped_on", "date"), ("coupon", "bool"), ("qty", "int")),
    (
        (1, TS(2026, 6, 30, 23, 59, 59), 100.0, "web", D(2026, 7, 2), False, 1),  # last second of as_of: in
        (1, TS(2026, 7, 1, 0, 0, 0), 1000.0, "web", None, True, 1),  # first second after: never counts
        (1, TS(2026, 5, 31, 12, 0, 0), 10.0, "store", D(2026, 6, 1), False, 2),  # exactly 30 days before
        (1, TS(2026, 6, 1, 0, 0, 0), 20.0, "Web", D(2026, 6, 1), None, 3),  # midnight: > date 06-01 is false
        (1, TS(2026, 5, 30, 23, 59, 59), 7.5, "app", None, False, 1),  # outside (05-30, 06-30] of 1 month
        (2, TS(2026, 4, 1, 8, 0, 0), 5.0, None, D(2026, 4, 2), True, 2),  # missing channel
        (2, TS(2026, 5, 1, 8, 0, 0), None, "web", None, False, None),  # missing amount and qty
        (2, TS(2024, 2, 29, 10, 0, 0), 12.25, "web", D(2024, 3, 1), False, 1),  # leap day
        (2, TS(2024, 3, 1, 0, 0, 0), 3.0, "store", D(2024, 2, 29), True, 4),  # shipped before ordered
        (4, TS(2026, 6, 15, 8, 0, 0), 500.0, "web", D(2026, 6, 16), False, 5),  # member 4 is not in yet
        (5, TS(2026, 6, 29, 10, 0, 0), 0.0, "WEB", None, True, 1),  # zero amount; upper-case channel
        (6, TS(2024, 3, 31, 0, 0, 0), 40.0, "web", D(2024, 4, 1), False, 1),
        (6, TS(2024, 2, 29, 23, 59, 59), 60.0, "store", D(2024, 3, 1), False, 1),  # out of last month at 03-31
        (6, TS(2024, 1, 31, 12, 0, 0), 80.0, "web", D(2024, 2, 1), True, 2),
        (6, TS(2024, 3, 30, 0, 0, 0), 1.5, "app", None, None, 1),  # avg of qty 1,1,2,1 is not whole
        (7, TS(2026, 6, 30, 0, 0, 0), 2.5, "Łódź-store", D(2026, 6, 30), False, 3),  # Unicode channel
        (7, None, 99.0, "web", None, False, 1),  # no event time: never counts
        (8, TS(2025, 2, 28, 12, 0, 0), 250.0, "web", D(2025, 3, 1), False, 2),
        (8, TS(2025, 3, 31, 9, 0, 0), 125.0, "web", D(2025, 4, 1), True, 1),
        (8, TS(2026, 2, 28, 18, 30, 0), 62.5, "store", D(2026, 3, 2), False, 1),
        (9, TS(2026, 6, 10, 10, 0, 0), 1000000.0, "web", D(2026, 6, 11), False, 7),
        (9, TS(2026, 6, 11, 10, 0, 0), 0.125, "a\nb", None, False, 1),  # newline in text
        (11, TS(2026, 6, 30, 23, 59, 59), 100.0, "web", D(2026, 7, 1), False, 1),  # twin of 1: same revenue
        (11, TS(2026, 6, 2, 0, 0, 0), 37.5, "store", D(2026, 6, 3), False, 1),
        (12, TS(2026, 6, 20, 0, 0, 0), 137.5, "store", D(2026, 6, 21), True, 2),  # same revenue, one order
        (13, TS(2026, 5, 31, 0, 0, 0), 8.0, "a[b]?*", None, False, 1),
        (14, TS(2026, 3, 31, 23, 0, 0), 33.5, "web ", D(2026, 4, 30), False, 2),  # trailing space
        (None, TS(2026, 6, 1, 0, 0, 0), 5.0, "web", None, False, 1),  # no member
        (99, TS(2026, 6, 15, 0, 0, 0), 500.0, "web", None, False, 1),  # unknown member
    ),
)

WEB_EVENTS = Table(
    "web_events",
    (("customer_id", "int"), ("event_time", "ts"), ("type", "text"), ("page", "text")),
    (
        (1, TS(2026, 6, 28, 10, 0, 0), "add_to_cart", "/p/1"),
        (1, TS(2026, 6, 29, 9, 0, 0), "view", "/"),
        (2, TS(2026, 6, 25, 0, 0, 0), "add_to_cart", "/p/2"),
        (5, TS(2026, 6, 30, 23, 0, 0), "add_to_cart", None),
        (5, TS(2026, 6, 24, 0, 0, 0), "Add_To_Cart", "/p/5"),  # case differs: not an add_to_cart
        (7, TS(2026, 6, 23, 23, 59, 59), "add_to_cart", "/p/7"),  # 7 days before: out of last 7 days
        (12, TS(2026, 6, 29, 0, 0, 0), "add_to_cart", "/p/12"),
        (None, TS(2026, 6, 29, 0, 0, 0), "add_to_cart", "/"),
    ),
)

def _zone(hours: float) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


UTC, WARSAW, NEW_YORK, TOKYO = _zone(0), _zone(2), _zone(-5), _zone(9)

# Timestamps with a time zone ("tstz"): read in UTC whatever the zone of the machine, the session or
# the column. Each row's wall-clock date in the zone it is written in differs from its UTC date.
VISITS = Table(
    "visits",
    (("customer_id", "int"), ("visited_at", "tstz"), ("device", "text")),
    (
        (1, TS(2026, 6, 30, 23, 30, 0, tzinfo=UTC), "app"),  # 07-01 in Tokyo: still the as_of day in UTC
        (1, TS(2026, 7, 1, 1, 30, 0, tzinfo=WARSAW), "web"),  # written 07-01, but 06-30 23:30 in UTC
        (1, TS(2026, 7, 1, 0, 30, 0, tzinfo=UTC), "web"),  # the day after as_of in UTC: never counts
        (2, TS(2026, 6, 23, 23, 30, 0, tzinfo=NEW_YORK), "app"),  # 06-24 04:30 UTC: in the last 7 days
        (2, TS(2026, 6, 24, 0, 30, 0, tzinfo=TOKYO), "web"),  # 06-23 15:30 UTC: out of the last 7 days
        (5, TS(2026, 6, 1, 0, 0, 0, tzinfo=UTC), "app"),  # midnight UTC, 05-31 in New York
        (5, TS(2024, 2, 29, 23, 0, 0, tzinfo=NEW_YORK), "web"),  # 03-01 04:00 UTC: after the leap day
        (6, TS(2024, 3, 31, 20, 0, 0, tzinfo=UTC), "app"),  # 04-01 in Tokyo; month ends move in other zones
        (7, None, "web"),  # no visit time: never counts
        (11, TS(2026, 6, 30, 12, 0, 0, 123000, tzinfo=UTC), "web"),  # milliseconds survive min and max
        (11, TS(2026, 6, 30, 12, 0, 0, 500000, tzinfo=WARSAW), "app"),  # 10:00:00.5 UTC: the earlier one
        (12, TS(2026, 1, 30, 20, 0, 0, tzinfo=UTC), "app"),  # 01-31 in Tokyo: + 1 month is 02-28 in UTC, 02-27 there
    ),
)

# Text keys: distinct on every engine only if compared byte for byte.
ACCOUNTS = Table(
    "accounts",
    (("account_id", "text"), ("plan", "text"), ("seats", "int")),
    (
        ("ab", "Pro", 5), ("AB", "pro", 5), ("ab ", "Pro ", 5), ("Ab", "Basic", 1), ("a", "Pro", 2),
        ("ä", "Pro", 2), ("Z", "Basic", 9), ("é", "Basic", 3), ("e\u0301", "Pro", 3), ("b", None, None),
    ),
)

INVOICES = Table(
    "invoices",
    (("account_id", "text"), ("issued_on", "date"), ("total", "float")),
    (
        ("ab", D(2026, 6, 1), 10.0), ("ab", D(2026, 6, 2), 10.0), ("AB", D(2026, 6, 3), 20.0),
        ("ab ", D(2026, 6, 4), 40.0), ("ä", D(2026, 6, 5), 80.0), ("é", D(2026, 6, 30), 1.5),
        ("e\u0301", D(2026, 7, 1), 3.0), ("a", D(2026, 5, 1), 10.0), ("Z", D(2026, 1, 1), 10.0),
        ("zz", D(2026, 6, 1), 5.0),
    ),
)

# Hostile names and strings: quotes, backticks, semicolons, comment markers, backslashes, newlines.
HOSTILE_TABLE = 'we"ird; --tbl'
HOSTILE = Table(
    HOSTILE_TABLE,
    (("id; DROP TABLE x", "int"), ("na`me", "text"), ("-- note", "text"), ('a"b', "int")),
    (
        (1, "it's; -- \\ not code", None, 1),
        (2, '"; DROP TABLE customers; --', "x", 2),
        (3, "line\nbreak", None, 3),
        (4, "/* comment */", "y", None),
        (5, "`tick`", None, 5),
        (6, "plain", "z", 6),
        (7, "back\\slash", None, 7),
    ),
)
HOSTILE_EVENTS = Table(
    "hostile_events",
    (('by"key', "int"), ("at time", "ts"), ("amount$", "float")),
    (
        (1, TS(2026, 6, 1, 0, 0, 0), 1.5),
        (1, TS(2026, 6, 2, 0, 0, 0), 2.5),
        (2, TS(2026, 6, 3, 0, 0, 0), 4.0),
        (7, TS(2026, 7, 3, 0, 0, 0), 8.0),
    ),
)

# Amounts that are not binary fractions: a float sum depends on the order the rows are added in, the
# exact sum (each value at nine decimals) does not. In insertion order 169.40 + 139.81 + 40.79 is
# 350.00000000000006 as floats; exactly it is 350, and 0.1 + 0.2 is exactly the 0.3 of member 5.
PAYMENTS = Table(
    "payments",
    (("customer_id", "int"), ("paid_at", "ts"), ("amount", "float")),
    (
        (1, TS(2026, 6, 1, 9, 0, 0), 169.40),
        (2, TS(2026, 6, 1, 9, 0, 0), 0.1),
        (1, TS(2026, 6, 2, 9, 0, 0), 139.81),
        (6, TS(2026, 6, 1, 9, 0, 0), 1e15),  # 1e15 + 0.01 - 1e15 is 0.0 as floats, 0.01 exactly
        (2, TS(2026, 6, 2, 9, 0, 0), 0.2),
        (1, TS(2026, 6, 3, 9, 0, 0), 40.79),
        (6, TS(2026, 6, 2, 9, 0, 0), 0.01),
        (5, TS(2026, 6, 1, 9, 0, 0), 0.3),
        (6, TS(2026, 6, 3, 9, 0, 0), -1e15),
        (8, TS(2026, 6, 1, 9, 0, 0), -0.1),  # negative amounts: -0.3 exactly
        (8, TS(2026, 6, 2, 9, 0, 0), -0.2),
        (9, TS(2026, 6, 1, 9, 0, 0), 0.333333333),
        (9, TS(2026, 6, 2, 9, 0, 0), 0.333333333),
        (9, TS(2026, 6, 3, 9, 0, 0), 0.333333334),  # an average of exactly 1/3 of a unit
        (11, TS(2026, 6, 1, 9, 0, 0), 350.0),  # the same total as member 1 in one payment: a quantile tie
    ),
)

# An events table named like the first CTE of the membership query: read in its place, it would give
# each member one row (member 1 has three sightings, member 2 one, the rest none).
POPULATION = Table(
    "population",
    (("customer_id", "int"), ("seen_at", "ts")),
    (
        (1, TS(2026, 6, 1, 9, 0, 0)),
        (1, TS(2026, 6, 2, 9, 0, 0)),
        (1, TS(2026, 6, 3, 9, 0, 0)),
        (2, TS(2026, 6, 4, 9, 0, 0)),
    ),
)

# Survey answers: the latest answer per question (first/last), ties in time and in counts (most_frequent),
# answers that differ by case only, missing answers, and scores to share.
ANSWERS = Table(
    "answers",
    (("customer_id", "int"), ("question", "text"), ("answer", "text"), ("answered_at", "ts"), ("score", "float"),
     ("answered_on", "date"), ("agrees", "bool")),
    (
        (1, "diet", "vegan", TS(2025, 1, 10, 9, 0, 0), 2.0, D(2025, 1, 10), True),
        (1, "diet", "meat", TS(2026, 3, 1, 9, 0, 0), 1.0, D(2026, 3, 1), False),  # changed mind: last is meat
        (1, "diet", "fish", TS(2026, 7, 1, 0, 0, 0), 4.0, D(2026, 7, 1), True),  # after as_of: never counts
        (1, "sport", "run", TS(2026, 3, 1, 9, 0, 0), 0.5, D(2026, 3, 1), True),  # same time as meat
        (2, "diet", "vegan", TS(2026, 5, 1, 8, 0, 0), 1.5, D(2026, 5, 1), True),
        (2, "diet", "Vegan", TS(2026, 5, 1, 8, 0, 0), 2.5, D(2026, 5, 1), None),  # same time: V < v by code point
        (2, "diet", None, TS(2026, 6, 1, 8, 0, 0), 3.0, D(2026, 6, 1), False),  # missing answer: skipped
        (2, "sport", "swim", TS(2026, 6, 1, 8, 0, 0), None, D(2026, 6, 1), True),  # missing score
        (5, "diet", "meat", TS(2026, 6, 30, 23, 59, 59), 0.0, D(2026, 6, 30), False),  # a share of zero
        (5, "diet", "fish", TS(2026, 6, 30, 23, 59, 59), 0.0, D(2026, 6, 30), True),  # the whole is 0: missing
        (6, "sport", "run", TS(2024, 3, 1, 0, 0, 0), 1.25, D(2024, 3, 1), True),
        (6, "sport", "swim", TS(2024, 3, 2, 0, 0, 0), 1.25, D(2024, 3, 2), True),
        (6, "sport", "swim", TS(2024, 3, 3, 0, 0, 0), 1.25, D(2024, 3, 3), False),  # swim twice: most frequent
        (6, "sport", "run ", TS(2024, 3, 30, 0, 0, 0), 1.25, D(2024, 3, 30), True),  # trailing space: not run
        (7, "sport", "yoga", None, 9.0, None, True),  # no time: never counts
        (8, "diet", "b", TS(2026, 2, 1, 9, 0, 0), 1.0, D(2026, 2, 1), True),
        (8, "diet", "a", TS(2026, 2, 2, 9, 0, 0), 1.0, D(2026, 2, 1), True),  # same day, later time
        (8, "diet", "b", TS(2026, 2, 3, 9, 0, 0), 1.0, D(2026, 2, 3), False),
        (8, "diet", "a", TS(2026, 2, 4, 9, 0, 0), 1.0, D(2026, 2, 4), False),  # a and b twice: a is the smaller
        (9, "diet", "Łódź", TS(2026, 6, 10, 0, 0, 0), -1.0, D(2026, 6, 10), True),  # negative scores
        (9, "diet", "Zürich", TS(2026, 6, 10, 0, 0, 0), 3.0, D(2026, 6, 10), False),  # Z < Ł by code point
        (12, "sport", "run", TS(2026, 6, 20, 0, 0, 0), 1.0, D(2026, 6, 20), True),
        (99, "diet", "vegan", TS(2026, 6, 1, 0, 0, 0), 1.0, D(2026, 6, 1), True),  # unknown member
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, ORDERS, WEB_EVENTS, ACCOUNTS, INVOICES, HOSTILE,
                                                 HOSTILE_EVENTS, VISITS, PAYMENTS, POPULATION, ANSWERS)}


def as_utc(value: object) -> object:
    """A timestamp with a time zone as the language reads it: its UTC time, without the zone."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def reference_tables() -> dict[str, list[dict[str, object]]]:
    """The data as the reference evaluator reads it: source string → rows (timestamps in UTC)."""
    return {name: [{k: as_utc(v) for k, v in row.items()} for row in t.dicts()] for name, t in TABLES.items()}
