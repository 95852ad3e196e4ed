"""Compare two membership results row by row, in DuckDB.

Rows are matched by the entity key. Whole numbers, text, booleans and dates
must be equal; floating-point features (sums of amounts) may differ in the
last bits because engines add in different orders, so they are equal within
a relative 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Difference:
    left_rows: int
    right_rows: int
    differing_rows: int
    columns: dict[str, int]  # column -> rows where it differs

    @property
    def equal(self) -> bool:
        return self.left_rows == self.right_rows and self.differing_rows == 0

    def describe(self) -> str:
        if self.equal:
            return f"equal ({self.left_rows:,} rows)"
        cols = ", ".join(f"{c}: {n:,}" for c, n in sorted(self.columns.items(), key=lambda x: -x[1])[:6])
        return f"DIFFERENT: {self.left_rows:,} vs {self.right_rows:,} rows, {self.differing_rows:,} differ ({cols})"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compare(con, left: str, right: str, key: str, columns: list[str] | None = None) -> Difference:
    """Compare relations `left` and `right` (table names or parenthesised queries) on `columns`."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {left})").fetchall())
    cols = [c for c in (columns or list(types)) if c != key]
    checks = []
    for c in cols:
        a, b = f"l.{_q(c)}", f"r.{_q(c)}"
        if types[c] in ("DOUBLE", "FLOAT", "REAL") or types[c].startswith("DECIMAL"):
            differs = (f"(({a} IS NULL) <> ({b} IS NULL) OR abs(CAST({a} AS DOUBLE) - CAST({b} AS DOUBLE))"
                       f" > 1e-9 * greatest(1.0, abs(CAST({a} AS DOUBLE))))")
        else:
            differs = f"(CAST({a} AS VARCHAR) IS DISTINCT FROM CAST({b} AS VARCHAR))"
        checks.append((c, f"coalesce({differs}, false)"))
    flags = ", ".join(f"count(*) FILTER (WHERE {d}) AS {_q(c)}" for c, d in checks) or "0 AS none"
    any_diff = " OR ".join(d for _, d in checks) or "false"
    row = con.execute(
        f"SELECT (SELECT count(*) FROM {left}), (SELECT count(*) FROM {right}), "
        f"count(*) FILTER (WHERE l.{_q(key)} IS NULL OR r.{_q(key)} IS NULL OR {any_diff}), {flags} "
        f"FROM {left} AS l FULL JOIN {right} AS r ON l.{_q(key)} = r.{_q(key)}").fetchone()
    per_col = {c: n for (c, _), n in zip(checks, row[3:]) if n}
    return Difference(row[0], row[1], row[2], per_col)
