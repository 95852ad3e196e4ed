"""Turn batches of raw identifier columns into a destination's columns, counting what is unusable.

Callers stream Arrow record batches (say 100,000 members at a time, straight
from the engine) through one `AudienceNormalizer`; it keeps only counts
between batches, never members. For each batch it

1. normalises the country first (when mapped), since it is the region for
   reading the phone numbers and postal codes of the same rows;
2. applies each field's rule (`segdsl.activation.rules`), which turns invalid
   values into nulls and counts them by reason;
3. hashes the fields the destination wants hashed: SHA-256 of the UTF-8
   bytes, 64 lower-case hex digits, computed by DuckDB's vectorised
   ``sha256`` over the Arrow column (about four times hashlib's speed; a
   batch smaller than 20,000 rows goes through hashlib, which is quicker
   than opening DuckDB);
4. leaves out the rows left with no identifier but their location
   (country, state, city, zip identify nobody by themselves), counting them.

The running `AudienceReport` holds, per identifier, the values missing and
the values invalid by reason, ready to print ("phone: 1,234 not a valid
number for country PL").
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from . import rules
from .destinations import ActivationError, Destination, UnknownIdentifier, get


# Where a member lives narrows a match down but identifies nobody by itself.
LOCATION = frozenset({"country", "state", "city", "zip"})


class MissingColumn(ActivationError):
    def __init__(self, kind: str, column: str, available: list[str]):
        import difflib

        close = difflib.get_close_matches(column, available, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "columns: " + ", ".join(available)
        super().__init__(f"no column `{column}` for the identifier `{kind}`", hint)
        self.kind = kind
        self.column = column


@dataclass
class AudienceReport:
    """What happened to the members fed so far."""

    destination: str
    rows_in: int = 0
    rows_out: int = 0
    rows_without_identifier: int = 0
    present: Counter[str] = field(default_factory=Counter)  # values that reached the file, per kind
    missing: Counter[str] = field(default_factory=Counter)
    invalid: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, reason)
    incomplete: int = 0  # rows with only part of the kinds that match together
    together: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """One line per problem, largest first: "phone: 1,234 not a valid number for country PL"."""
        out = [f"{kind}: {n:,} {reason}" for (kind, reason), n in
               sorted(self.invalid.items(), key=lambda item: (-item[1], item[0]))]
        if self.incomplete:
            out.append(f"{' + '.join(self.together)}: {self.incomplete:,} members with only some of them "
                       "(they match only together)")
        if self.rows_without_identifier:
            out.append(f"{self.rows_without_identifier:,} members without any usable identifier, left out")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination, "rows_in": self.rows_in, "rows_out": self.rows_out,
            "rows_without_identifier": self.rows_without_identifier,
            "present": dict(self.present), "missing": dict(self.missing),
            "invalid": [{"identifier": k, "reason": r, "count": n} for (k, r), n in sorted(self.invalid.items())],
            "incomplete": self.incomplete,
        }


_SMALL = 20_000  # below this many values per column, hashlib; above, DuckDB's vectorised sha256


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A relation's rows as an Arrow table, on DuckDB 1.x and 2.x alike."""
    for method in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        fetch = getattr(relation, method, None)
        if fetch is not None:
            out = fetch()
            return out.read_all() if isinstance(out, pa.RecordBatchReader) else out
    raise RuntimeError("this DuckDB cannot return Arrow tables")  # pragma: no cover


class AudienceNormalizer:
    """Normalises batches for one destination and one mapping of kinds to source columns.

    `mapping` maps identifier kinds to the caller's column names, e.g.
    ``{"email": "email", "phone": "mobile", "country": "country"}``.
    `default_region` (ISO alpha-2) reads national phone numbers and postal
    codes of members without a mapped or valid country.
    """

    def __init__(self, destination: Destination | str, mapping: Mapping[str, str],
                 default_region: str | None = None):
        self.destination = get(destination) if isinstance(destination, str) else destination
        if not mapping:
            raise ActivationError(f"no identifier for {self.destination.title}",
                                  "name at least one, e.g. `email: email`")
        for kind in mapping:
            if kind not in self.destination.kinds and kind != "country":
                raise UnknownIdentifier(self.destination, kind)
        if default_region is not None and default_region.upper() not in rules.ISO_COUNTRIES:
            raise ActivationError(f"`{default_region}` is not an ISO 3166-1 alpha-2 country code",
                                  "write a two-letter code such as PL or US")
        self.mapping = dict(mapping)
        self.default_region = default_region.upper() if default_region else None
        self.fields = [f for f in self.destination.fields if f.kind in self.mapping]
        if not self.fields:
            raise ActivationError(f"no identifier for {self.destination.title}: `country` only tells where "
                                  "phone numbers are from", "name one of: " + ", ".join(self.destination.kinds))
        self.schema = pa.schema([(f.column, pa.string()) for f in self.fields])
        self.report = AudienceReport(self.destination.name, together=self.destination.together)
        self._con: duckdb.DuckDBPyConnection | None = None

    def normalize(self, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
        """The destination's columns for the rows of `batch` that keep an identifier."""
        names = batch.schema.names
        for kind, column in self.mapping.items():
            if column not in names:
                raise MissingColumn(kind, column, names)
        if isinstance(batch, pa.Table):
            batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else \
                pa.RecordBatch.from_pylist([], schema=batch.schema)
        report = self.report
        report.rows_in += batch.num_rows
        country = None
        if "country" in self.mapping:
            found = rules.country_code(batch.column(self.mapping["country"]))
            country = found.values
            if "country" not in self.destination.kinds:  # read for the region only
                self._count("country", batch.column(self.mapping["country"]), found)
        ctx = rules.Context(country, self.default_region)
        columns = []
        for f in self.fields:
            raw = batch.column(self.mapping[f.kind])
            result = rules.RULES[f.rule](raw, ctx)
            self._count(f.kind, raw, result)
            columns.append(result.values)
        valid = {f.kind: pc.is_valid(v) for f, v in zip(self.fields, columns)}
        nobody = pa.repeat(pa.scalar(False), batch.num_rows)
        keep = nobody
        for kind, ok in valid.items():
            if kind not in LOCATION:
                keep = pc.or_(keep, ok)
        if any(k in valid for k in self.destination.together):
            every, some = pa.repeat(pa.scalar(True), batch.num_rows), nobody
            for k in self.destination.together:
                every, some = pc.and_(every, valid.get(k, nobody)), pc.or_(some, valid.get(k, nobody))
            report.incomplete += pc.sum(pc.and_(some, pc.invert(every))).as_py() or 0
        columns = [self._sha256(v) if f.hashed else v for f, v in zip(self.fields, columns)]
        out = pa.RecordBatch.from_arrays(columns, schema=self.schema)
        dropped = batch.num_rows - (pc.sum(keep).as_py() or 0)
        if dropped:
            report.rows_without_identifier += dropped
            out = out.filter(keep)
        report.rows_out += out.num_rows
        return out

    def _count(self, kind: str, raw: pa.Array, result: rules.Result) -> None:
        report = self.report
        blank = pc.sum(pc.invert(pc.is_valid(rules.present(raw)))).as_py() or 0
        report.missing[kind] += blank
        report.present[kind] += pc.sum(pc.is_valid(result.values)).as_py() or 0
        for reason, n in result.invalid.items():
            report.invalid[(kind, reason)] += n

    def _sha256(self, values: pa.Array) -> pa.Array:
        if len(values) < _SMALL:
            # Opening DuckDB costs more than hashing a few thousand values one by one.
            return pa.array([None if v is None else hashlib.sha256(v.encode()).hexdigest()
                             for v in values.to_pylist()], pa.string())
        if self._con is None:
            self._con = duckdb.connect()
        table = pa.table({"v": values})
        self._con.register("segdsl_values", table)
        try:
            hashed = _arrow(self._con.sql("SELECT sha256(v) AS h FROM segdsl_values"))
        finally:
            self._con.unregister("segdsl_values")
        return hashed.column("h").combine_chunks().cast(pa.string())

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> "AudienceNormalizer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
