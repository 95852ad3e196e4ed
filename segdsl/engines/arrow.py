"""Members as Arrow: one column type per language type, whatever the engine, and files written as a stream.

Every engine hands over its results as Arrow record batches in its own types
(booleans as integers on MySQL, NUMERIC as text from PostgreSQL, dates as
text on SQLite, time zones on timestamps). `conform` turns each batch into
the language's types, decided once from the result's declared schema, never
from the values seen: a column is integer where the engine computes an
integer and a double otherwise, so a value above 2⁶³ can never meet a column
typed from smaller values. `Tally` counts segment and case sizes batch by
batch, and `FileWriter` writes the batches into a temporary file that is
renamed into place only when everything is written: no partial file, and an
older one stays intact on failure.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .lazy import pa
from .lazy import pc

from ..sql.options import OutputColumn
from ..lang.diagnostics import error
from ..semantic.model import T

NONE_LABEL = "(none)"


def _storage(t: pa.DataType) -> pa.DataType:
    return t.storage_type if isinstance(t, pa.ExtensionType) else t


def target_type(source: pa.DataType | None, column: OutputColumn) -> pa.DataType:
    """The Arrow type of an output column that the engine declared as `source` (None: not declared)."""
    t = column.type
    if source is None:
        return _language_type(t) if t is not T.NUMBER else pa.int64() if column.integral else pa.float64()
    s = _storage(source)
    if pa.types.is_dictionary(s):
        s = s.value_type
    if t is T.BOOL:
        return pa.bool_()
    if t is T.TEXT:
        return pa.string()
    if t is T.DATE:
        return pa.date32()
    if t is T.TIMESTAMP:
        return pa.timestamp("us")
    if t is T.NUMBER:
        # whole numbers by construction (a count, days, years) are integers even where the engine
        # computes them as NUMERIC (PostgreSQL's EXTRACT) or HUGEINT
        if column.integral or pa.types.is_boolean(s) or (pa.types.is_integer(s) and s != pa.uint64()):
            return pa.int64()
        return pa.float64()
    # a column whose language type is unknown: the engine's type, made plain
    if pa.types.is_decimal(s) or (pa.types.is_string(s) and isinstance(source, pa.ExtensionType)):
        return pa.float64()  # PostgreSQL's NUMERIC arrives as text
    if pa.types.is_binary(s) or pa.types.is_large_binary(s) or pa.types.is_large_string(s):
        return pa.string()
    if pa.types.is_timestamp(s):
        return pa.timestamp("us")
    if pa.types.is_null(s):
        return pa.string()
    return s


def _language_type(t: T) -> pa.DataType:
    return {T.BOOL: pa.bool_(), T.TEXT: pa.string(), T.DATE: pa.date32(), T.TIMESTAMP: pa.timestamp("us"),
            T.ANY: pa.string()}[t]


def schema_for(source: pa.Schema | None, columns: Sequence[OutputColumn]) -> pa.Schema:
    """The output schema of a result: its columns, each typed from its language type and the engine's type."""
    declared = [f.type for f in source] if source is not None else [None] * len(columns)
    return pa.schema([pa.field(c.name, target_type(d, c)) for c, d in zip(columns, declared)])


def _plain(array: pa.Array) -> pa.Array:
    if isinstance(array.type, pa.ExtensionType):
        array = array.storage
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def convert(array: pa.Array, target: pa.DataType) -> pa.Array:
    """One column in the output type (see `target_type` for the rules)."""
    a = _plain(array)
    if a.type == target:
        return a
    if pa.types.is_null(a.type):
        return pa.nulls(len(a), target)
    if pa.types.is_boolean(target):
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            return _text_bool(a)
        if pa.types.is_binary(a.type):
            return _text_bool(a.cast(pa.string()))
        return pc.not_equal(a, pa.scalar(0, a.type) if not pa.types.is_decimal(a.type) else 0)
    if pa.types.is_string(target):
        return a.cast(pa.string())
    if pa.types.is_date32(target):
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type) or pa.types.is_binary(a.type):
            return pc.utf8_slice_codeunits(a.cast(pa.string()), 0, 10).cast(pa.date32())
        if pa.types.is_timestamp(a.type):
            return _naive(a).cast(pa.date32())
        return a.cast(pa.date32())
    if pa.types.is_timestamp(target):
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type) or pa.types.is_binary(a.type):
            return _text_timestamps(a.cast(pa.string()), target)
        if pa.types.is_timestamp(a.type):
            return _naive(a).cast(target)
        return a.cast(target)
    if pa.types.is_integer(target) and (pa.types.is_floating(a.type) or pa.types.is_string(a.type)
                                        or pa.types.is_large_string(a.type)):
        _check_whole_range(a)
    if pa.types.is_integer(target) or pa.types.is_floating(target):
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            return a.cast(pa.string()).cast(target)
        if pa.types.is_decimal(a.type) and pa.types.is_floating(target):
            # Arrow's decimal-to-double cast is not correctly rounded (-3.3 becomes -3.3000000000000003,
            # a third of four-place prices are one unit in the last place off); the exact text, parsed, is
            return a.cast(pa.string()).cast(target)
        return a.cast(target, safe=not pa.types.is_floating(target))
    return a.cast(target)


_INT64_LIMIT = 2.0 ** 63


def _check_whole_range(a: pa.Array) -> None:
    """A whole number that an engine computed as a real number beyond 64 bits (SQLite turns an integer
    sum or product that overflows into one) is an overflow (engines.overflow), not a failed cast."""
    try:
        values = a.cast(pa.float64())
    except pa.ArrowInvalid:
        return  # not numbers: the cast that follows says so
    if len(values) and values.null_count < len(values):
        extreme = pc.max(pc.abs(values)).as_py()
        if extreme is not None and extreme >= _INT64_LIMIT:
            raise pa.ArrowInvalid(f"Integer value {extreme:.0f} not in range: -2^63 to 2^63-1")


def _text_timestamps(a: pa.Array, target: pa.DataType) -> pa.Array:
    """ISO text as timestamps (SQLite stores them so); a time with a zone offset as its UTC time."""
    try:
        return a.cast(target)
    except pa.ArrowInvalid:  # offsets, on some values or all
        import datetime as dt

        def utc(text: str | None) -> dt.datetime | None:
            if text is None:
                return None
            value = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value

        return pa.array([utc(v) for v in a.to_pylist()], type=target)


def _text_bool(a: pa.Array) -> pa.Array:
    """'1', 't', 'true' (any case) are true; other text false; missing stays missing."""
    truthy = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(a)), value_set=pa.array(["1", "t", "true"]))
    return pc.if_else(pc.is_null(a), pa.scalar(None, pa.bool_()), truthy)


def _naive(a: pa.Array) -> pa.Array:
    """A timestamp with a time zone as the UTC wall-clock time (the language's timestamps have no zone)."""
    if getattr(a.type, "tz", None):
        return a.cast(pa.timestamp(a.type.unit))
    return a


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch of engine values in the output schema (from `schema_for`)."""
    return pa.RecordBatch.from_arrays([convert(c, f.type) for c, f in zip(batch.columns, schema)], schema=schema)


def conformed(reader: pa.RecordBatchReader, columns: Sequence[OutputColumn]) -> pa.RecordBatchReader:
    """A reader of engine batches as a reader of batches in the language's types."""
    schema = schema_for(reader.schema, columns)

    def batches() -> Iterator[pa.RecordBatch]:
        for b in reader:
            if b.num_rows:
                yield conform(b, schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def from_rows(rows: Sequence[Sequence[object]], schema: pa.Schema) -> pa.RecordBatch:
    """A batch from DB-API rows (engines without an Arrow interface), column by column, in the output schema.

    Only ever one batch of rows is held: the caller fetches them in batches.
    """
    arrays = []
    for i, field in enumerate(schema):
        values = [r[i] for r in rows]
        try:
            raw = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds (SQLite stores what it is given)
            raw = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        arrays.append(convert(raw, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# ── sizes while streaming ───────────────────────────────────────────────────


class Tally:
    """Members, segment sizes and case sizes: counted batch by batch while members are streamed, or
    read from the one aggregate query (`compile.summary_query`) that an engine computes itself.

    `flags` are the yes/no columns (segments), `labels` the columns holding a
    case (segmentations, holdouts) with their cases in the model's order;
    `numeric` names the label columns whose cases are numbers (quantiles).
    """

    def __init__(self, flags: Sequence[str], labels: dict[str, Sequence[str]], numeric: Iterable[str] = ()):
        self.flags = list(flags)
        self.labels = {k: list(v) for k, v in labels.items()}
        self.numeric = set(numeric)
        self.total = 0
        self.true = {f: 0 for f in self.flags}
        self.cases: dict[str, dict[str | None, int]] = {k: {} for k in self.labels}

    def add(self, batch: pa.RecordBatch) -> None:
        self.total += batch.num_rows
        names = batch.schema.names
        for f in self.flags:
            col = batch.column(names.index(f))
            self.true[f] += int(pc.sum(col.cast(pa.int64())).as_py() or 0)
        for k in self.labels:
            col = batch.column(names.index(k))
            counts = pc.value_counts(col)
            seen = self.cases[k]
            for value, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
                label = None if value is None else _label(value)
                seen[label] = seen.get(label, 0) + n

    def add_summary(self, row: Sequence[object]) -> None:
        """Counts from one row of `compile.summary_query`: members, each flag, each case and none."""
        values = iter(int(v or 0) for v in row)
        self.total += next(values)
        for f in self.flags:
            self.true[f] += next(values)
        for k, labels in self.labels.items():
            seen = self.cases[k]
            for label in labels:
                seen[label] = seen.get(label, 0) + next(values)
            seen[None] = seen.get(None, 0) + next(values)

    def rows(self, order: Sequence[str]) -> list[tuple[str, str, int]]:
        """(definition, case, members) in the model's order; members without a case as (none)."""
        out: list[tuple[str, str, int]] = []
        for n in order:
            if n in self.true:
                out.append((n, "", self.true[n]))
            elif n in self.cases:
                seen = dict(self.cases[n])
                for label in self.labels[n]:
                    out.append((n, label, seen.pop(label, 0)))
                for label in sorted(k for k in seen if k is not None):  # not a case of the model: shown, not hidden
                    out.append((n, label, seen.pop(label)))
                if seen.get(None):
                    out.append((n, NONE_LABEL, seen[None]))
        return out


def _label(value: object) -> str:
    """A case as the model names it: quantile 3 is "3" whether the engine gave 3 or 3.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ── files ───────────────────────────────────────────────────────────────────

OUTPUT_SUFFIXES = (".parquet", ".csv")


def check_output_path(path: Path) -> Path:
    """A file the members can be written to (SEG307 before any work is done if not)."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise error("SEG307", f"cannot write `{path}`", None, "the output must end in .parquet or .csv")
    if not path.parent.exists():
        raise error("SEG307", f"the folder of `{path}` does not exist", None, "create it first")
    if path.is_dir():
        raise error("SEG307", f"`{path}` is a folder", None, "name a file ending in .parquet or .csv")
    return path


# Temporary files being written: removed by `discard_pending` when a run is stopped while an engine
# still holds the thread that writes them (Ctrl-C, --timeout), so no partial file outlives the process.
PENDING: set[Path] = set()


def discard_pending() -> None:
    for tmp in list(PENDING):
        tmp.unlink(missing_ok=True)
        PENDING.discard(tmp)


def temporary_beside(path: Path) -> Path:
    """A new, empty temporary file in the folder of `path` (so that the final rename is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    PENDING.add(Path(tmp))
    return Path(tmp)


def settle(tmp: Path, path: Path | None) -> None:
    """Rename a finished temporary file into place (path) or remove it (None)."""
    try:
        if path is not None:
            os.replace(tmp, path)
        else:
            tmp.unlink(missing_ok=True)
    finally:
        PENDING.discard(tmp)


def _csv_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch as the one CSV writer prints it (every engine's members go through here, so a CSV file
    is the same bytes whichever engine computed it): the header as plain names, text always quoted
    (so "" is empty text and an empty field is missing), numbers in their shortest form (1500, 0.5,
    1e+20; zero without a sign), dates and booleans as ISO and true/false, timestamps as `2024-03-31 23:30:00` with a
    fraction only when there is one."""
    columns = []
    for column, field in zip(batch.columns, schema):
        if pa.types.is_floating(column.type):
            column = pc.add(column, pa.scalar(0.0, column.type))  # -0.0 + 0.0 is 0.0: SQLite and MariaDB have no -0
        elif pa.types.is_timestamp(column.type):
            text = column.cast(pa.string())
            column = pc.replace_substring_regex(text, pattern=r"\.0+$", replacement="")
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class FileWriter:
    """Writes batches into a temporary file beside `path`, renamed into place by `commit()`.

    Anything that ends the write early (an engine error, a full disk, Ctrl-C,
    a timeout) leaves the temporary file to `abort()`, which removes it: the
    path holds the old file or the whole new one, never a part.
    """

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = check_output_path(path)
        self.tmp = temporary_beside(self.path)
        self.schema = schema
        self.rows = 0
        if self.path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(str(self.tmp), schema, compression="snappy")
        else:
            import pyarrow.csv as pcsv

            self._csv_schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_timestamp(f.type) else f
                                          for f in schema])
            with open(self.tmp, "w", newline="", encoding="utf-8") as header:
                csv.writer(header, lineterminator="\n").writerow(schema.names)
            self._sink = pa.OSFile(str(self.tmp), "ab")
            self._writer = pcsv.CSVWriter(self._sink, self._csv_schema,
                                          write_options=pcsv.WriteOptions(include_header=False))

    def write(self, batch: pa.RecordBatch) -> None:
        if self.path.suffix.lower() == ".csv":
            batch = _csv_batch(batch, self._csv_schema)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def commit(self) -> None:
        try:
            self._writer.close()
            self._close_sink()
        except BaseException:
            self.abort()
            raise
        settle(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001 - the file is removed whatever state the writer is in
            pass
        try:
            self._close_sink()
        except Exception:  # noqa: BLE001
            pass
        settle(self.tmp, None)

    def _close_sink(self) -> None:
        sink = getattr(self, "_sink", None)
        if sink is not None and not sink.closed:
            sink.close()


class OutputFailed(Exception):
    """Writing the output failed (a full disk, a folder that went away): SEG308, not the engine's fault."""

    def __init__(self, path: Path, cause: BaseException):
        super().__init__(str(cause))
        self.path = path
        self.cause = cause


class Cancelled(Exception):
    """The run was stopped (Ctrl-C, --timeout) while the engine still returned rows: nothing is kept."""


def write_stream(reader: pa.RecordBatchReader, path: Path, tally: Tally | None = None,
                 stopped: Callable[[], bool] = lambda: False) -> int:
    """Write a reader's batches to `path` atomically, counting sizes on the way; returns the rows written.

    An error while reading is the engine's and propagates as it is; an error while
    writing is OutputFailed. Either way the temporary file is removed. A run stopped
    meanwhile (`stopped()`) is never committed, even if the driver ended the stream
    quietly after its query was killed.
    """
    try:
        writer = FileWriter(path, reader.schema)
    except OSError as exc:
        raise OutputFailed(Path(path), exc) from exc
    try:
        for batch in reader:
            try:
                writer.write(batch)
            except (OSError, pa.ArrowException) as exc:
                raise OutputFailed(writer.path, exc) from exc
            if tally is not None:
                tally.add(batch)
        if stopped():
            raise Cancelled()
        try:
            writer.commit()
        except (OSError, pa.ArrowException) as exc:
            raise OutputFailed(writer.path, exc) from exc
    except BaseException:
        writer.abort()
        raise
    return writer.rows
