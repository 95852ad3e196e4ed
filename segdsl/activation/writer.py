"""Stream normalised batches into a destination's file, all or nothing.

The file is written under a temporary name in the target's folder and
renamed into place only after the last batch, so an error, a full disk or
Ctrl-C (KeyboardInterrupt) leaves no partial file and keeps an older file at
that path intact.

CSV follows RFC 4180 with minimal quoting: a field is quoted only when it
holds a comma, a quote or a line break, so the header is the platform's
exact column names (``First Name`` rather than ``"First Name"``) and digests
stay bare. An empty field is a missing value. Lines end in LF. The lines of
a batch are built with pyarrow.compute and written as one buffer, so no
member becomes a Python object. Parquet is written with pyarrow's
ParquetWriter, one row group per batch.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..lang.diagnostics import error
from .destinations import Destination, get
from .normalize import AudienceNormalizer, AudienceReport

_QUOTE_NEEDED = r'[",\r\n]'


def csv_field(values: pa.Array) -> pa.Array:
    """Each value as a CSV field: quoted only when needed, empty for null."""
    text = values.cast(pa.string())
    needs = pc.fill_null(pc.match_substring_regex(text, _QUOTE_NEEDED), False)
    if pc.any(needs).as_py():  # digests and most identifiers never need quotes
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        text = pc.if_else(needs, quoted, text)
    return pc.fill_null(text, "")


def csv_buffer(batch: pa.RecordBatch) -> pa.Buffer:
    """The CSV lines of a batch, built column-wise and joined into one buffer (no Python strings)."""
    big = pa.large_string()
    if batch.num_rows == 0:
        return pa.py_buffer(b"")
    fields = [csv_field(col) for col in batch.columns]
    lines = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(lines.cast(big), pa.scalar("\n", big), pa.scalar("", big))
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()), lines),
                            pa.scalar("", big))
    return joined[0].as_buffer()


def csv_bytes(batch: pa.RecordBatch) -> bytes:
    return csv_buffer(batch).to_pybytes()


def csv_header(names: list[str]) -> bytes:
    return csv_bytes(pa.RecordBatch.from_arrays([pa.array([n]) for n in names], names=[f"c{i}" for i in
                                                                                      range(len(names))]))


def write_audience(destination: Destination | str, batches: Iterable[pa.RecordBatch | pa.Table],
                   path: Path | str, mapping: Mapping[str, str], *,
                   default_region: str | None = None) -> AudienceReport:
    """Normalise `batches` for `destination` and write its file at `path`; return the report.

    The path must end in the destination's suffix (.csv for the ad platforms
    and `csv`, .parquet for `parquet`). Mapping mistakes raise
    `ActivationError` before anything is written; a failure while writing
    raises SegError SEG308 and leaves no file behind.
    """
    dest = get(destination) if isinstance(destination, str) else destination
    path = Path(path)
    if path.suffix.lower() != dest.suffix:
        raise error("SEG307", f"cannot write {dest.title} to `{path}`", None,
                    f"the file for `{dest.name}` must end in {dest.suffix}")
    if not path.parent.exists():
        raise error("SEG307", f"the folder of `{path}` does not exist", None, "create it first")
    normalizer = AudienceNormalizer(dest, mapping, default_region)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with normalizer:
            if dest.file_format == "csv":
                with os.fdopen(fd, "wb") as out:
                    out.write(csv_header([f.column for f in normalizer.fields]))
                    for batch in batches:
                        out.write(memoryview(csv_buffer(normalizer.normalize(batch))))
            else:
                os.close(fd)
                with pq.ParquetWriter(tmp, normalizer.schema) as writer:
                    for batch in batches:
                        part = normalizer.normalize(batch)
                        if part.num_rows:
                            writer.write_batch(part)
        os.replace(tmp, path)
    except OSError as exc:
        raise error("SEG308", f"cannot write `{path}`: {exc.strerror or exc}", None,
                    "an older file at that path is left as it was") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return normalizer.report
