"""Data files as every engine that reads them itself must see them (DuckDB, ClickHouse through chdb).

Two rules of the language hold for files as for tables (README, semantics 2
and 3): a NaN in a floating-point column — what pandas writes for a missing
value — is missing, not a number greater than every other (so `x > 0` is
false and `x is missing` true for it); and a CSV file with a header but no
rows is an empty source whose columns have no type yet, not text columns
that a sum or a time window would refuse. Engines read such a file through
`file_relation`, which selects every column, a floating-point one with NaN
made NULL, or — without rows — NULL columns that every operation accepts.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable, Sequence

from sqlglot import exp


def csv_without_rows(path: Path) -> list[str] | None:
    """The column names of a CSV file that has a header and no rows; None when it has rows (or no header)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None:
                return None
            for row in rows:
                if any(cell.strip() for cell in row):
                    return None
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the engine reports what is wrong with the file
    return header


def nan_as_null(isnan: str, placeholder: bool = False) -> Callable[[exp.Expression], exp.Expression]:
    """A column with NaN made NULL, with the engine's name of the NaN test.

    `placeholder`: also put 0 under the NULL. ClickHouse keeps the value under a NULL of a Nullable
    column and casts it too, so a sum's CAST to Decimal would fail on the NaN hidden there.
    """

    def missing(column: exp.Expression) -> exp.Expression:
        nan = exp.Anonymous(this=isnan, expressions=[column.copy()])
        value = exp.Case(ifs=[exp.If(this=nan.copy(), true=exp.Literal.number(0))], default=column.copy()) \
            if placeholder else column.copy()
        return exp.Case(ifs=[exp.If(this=nan, true=exp.Null())], default=value)

    return missing


def file_relation(table: exp.Expression, path: Path, described: Callable[[], Sequence[tuple[str, bool]]],
                  missing: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """The relation a model reads for a data file: `table` itself, or a query over it (see the module).

    `described` gives (column, is floating point) of the file, asked only when it has rows;
    `missing` makes NaN of a column NULL (`nan_as_null`).
    """
    if path.suffix.lower() == ".csv":
        names = csv_without_rows(path)
        if names is not None:
            return exp.Subquery(this=exp.select(*[exp.alias_(exp.Null(), n, quoted=True) for n in names])
                                .where(exp.false()))
    columns = list(described())
    if not any(floating for _, floating in columns):
        return table
    outputs = []
    for name, floating in columns:
        column = exp.column(exp.to_identifier(name, quoted=True))
        if floating:
            column = missing(column)
        outputs.append(exp.alias_(column, name, quoted=True))
    return exp.Subquery(this=exp.select(*outputs).from_(table.copy()))
