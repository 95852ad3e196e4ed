"""Where `check` learns the columns of a model's sources, without running it.

In order of trust, for each source: the database (`--db`, `--target`) for a
table and the file itself for a data file (both are the truth), then a
schema file (`--schema`), then the `columns (…)` the model declares (handled
by the checker, which also holds declarations against the truth). A source
with none of these is checked by names alone.

A schema file is TOML or JSON, one table per source, named as in `from`
(the table name or file path) or by the model's name for it:

    [customers]
    customer_id = "number"
    birth_date  = "date"
    country     = "VARCHAR"        # SQL type names work too

Reading a Parquet file's schema reads only its footer, so this stays fast.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..lang import syntax as s
from ..lang.diagnostics import Diagnostic, SegError, Span, error
from .model import PARAM_TYPES, T

Schemas = dict[str, dict[str, T]]

_SQL_TYPES = [
    (re.compile(r"^(TINYINT|SMALLINT|INTEGER|INT\d*|BIGINT|HUGEINT|U\w*INT\w*|FLOAT\d*|DOUBLE( PRECISION)?|REAL|"
                r"DECIMAL|NUMERIC|NUMBER|SERIAL|BIGSERIAL|LONG|SHORT|BYTE)\b"), T.NUMBER),
    (re.compile(r"^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|NVARCHAR|NCHAR|BPCHAR|UUID|ENUM|CITEXT)\b"), T.TEXT),
    (re.compile(r"^(BOOLEAN|BOOL|BIT)\b"), T.BOOL),
    (re.compile(r"^DATE$"), T.DATE),
    (re.compile(r"^(TIMESTAMP|DATETIME|TIMESTAMPTZ)\b"), T.TIMESTAMP),
]


def language_type(name: str) -> T:
    """The language type of a type name: a language type or an SQL type (ANY if neither)."""
    if name in PARAM_TYPES:
        return PARAM_TYPES[name]
    upper = name.strip().upper()
    if "[" in upper or upper.startswith(("STRUCT", "MAP", "LIST", "UNION", "ARRAY")):
        return T.ANY  # nested values have no language type
    for pattern, t in _SQL_TYPES:
        if pattern.match(upper):
            return t
    return T.ANY


@dataclass(frozen=True)
class Source:
    name: str  # the model's name: entity or events
    source: str  # as written in `from`
    span: Span | None

    @property
    def is_file(self) -> bool:
        return s.is_data_file(self.source)


def sources_of(files: list[s.File]) -> list[Source]:
    """The entity and events sources a program declares (first definition of a name wins)."""
    out: dict[str, Source] = {}
    for f in files:
        for d in f.definitions:
            if isinstance(d, (s.Entity, s.Events)) and d.name.text not in out:
                out[d.name.text] = Source(d.name.text, d.source, d.source_span)
    return list(out.values())


@dataclass
class Found:
    """Schemas by model name, where each came from, and problems reading them."""

    schemas: Schemas = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


def read_schema_file(path: Path) -> dict[str, dict[str, T]]:
    """A schema file (TOML or JSON); a malformed one is a usage error (SEG309)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("SEG304", f"cannot find the schema file `{path}`", None, "give the path of a .toml or .json file") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error("SEG309", f"cannot read the schema file `{path}`: {exc}") from None
    try:
        data = json.loads(text) if Path(path).suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise error("SEG309", f"`{path}` is not valid {'JSON' if str(path).endswith('.json') else 'TOML'}: {exc}",
                    None, None) from None
    out: dict[str, dict[str, T]] = {}
    for table, columns in data.items():
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise error("SEG309", f"`{path}`: `{table}` must map column names to type names", None,
                        'for example [customers] with birth_date = "date"')
        out[table] = {c: language_type(t) for c, t in columns.items()}
    return out


def from_schema_file(found: Found, sources: list[Source], table: dict[str, dict[str, T]], label: str) -> None:
    for src in sources:
        if src.name in found.schemas:
            continue
        cols = table.get(src.source, table.get(src.name))
        if cols is not None:
            found.schemas[src.name] = cols
            found.origin[src.name] = label


Describe = Callable[[Source], dict[str, T]]


def from_engine(found: Found, sources: list[Source], describe: Describe, what: Callable[[Source], bool],
                label: Callable[[Source], str]) -> None:
    """Ask an engine for the columns of the sources `what` selects."""
    for src in sources:
        if src.name in found.schemas or not what(src):
            continue
        try:
            found.schemas[src.name] = describe(src)
            found.origin[src.name] = label(src)
        except SegError as exc:
            found.problems.extend(exc.diagnostics)


__all__ = ["Found", "Source", "sources_of", "language_type", "read_schema_file", "from_schema_file", "from_engine",
           "Schemas", "Describe"]
