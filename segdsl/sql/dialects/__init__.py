"""Dialects: one registered class per SQL dialect, one module each, and the registry.

A dialect's module (`segdsl/sql/dialects/<name>.py`) holds everything segdsl
knows of it: its tier and notes (the tier table of `segdsl dialects` and
the README), its lowering rules (overrides of `base.Dialect`), its printer
(a sqlglot Generator subclass where it needs one), and where segdsl runs it
(target URL schemes, the pip extra with its drivers, the connections it
accepts). Every module here is found and registered when this package is
imported, so adding a dialect, or a rule of one, touches one file.

The tiers: *verified* dialects run the conformance corpus on a real engine in
CI; *generated* ones have golden SQL reviewed by hand and parsed back with
sqlglot.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from ...lang.diagnostics import Diagnostic, SegError, did_you_mean, error, reason
from .base import REGISTRY, Dialect, dtype, nodes, unsupported

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "booleans"):
        importlib.import_module(f"{__name__}.{_module.name}")

# Verified dialects first, each tier in the order of its table.
DIALECTS: dict[str, type[Dialect]] = dict(
    sorted(REGISTRY.items(), key=lambda item: (item[1].tier != "verified", item[1].position)))
VERIFIED = tuple(n for n, d in DIALECTS.items() if d.tier == "verified")
GENERATED = tuple(n for n, d in DIALECTS.items() if d.tier == "generated")
DEFAULT = "duckdb"


def get(name: str) -> Dialect:
    """The dialect of that name (one of DIALECTS; `check_dialect` first for a name a user gave)."""
    return DIALECTS[name]()


def check_dialect(name: str) -> str:
    """A dialect name a user gave, in lower case; an unknown one is SEG303 listing the dialects."""
    d = name.lower()
    if d not in DIALECTS:
        hint = did_you_mean(d, DIALECTS)
        listing = f"verified: {', '.join(VERIFIED)}; generated: {', '.join(GENERATED)}"
        raise error("SEG303", f"unknown dialect `{name}`", None,
                    f"{hint} dialects are {listing}" if hint else f"dialects are {listing}")
    return d


def tier_table() -> list[tuple[str, str, str, str]]:
    """(dialect, tier, engine, notes) rows, verified first: the README table and `segdsl dialects`."""
    return [(d.name, d.tier, d.engine, d.notes) for d in DIALECTS.values()]


def schemes() -> dict[str, str]:
    """Target URL scheme (before any +driver) → dialect."""
    return {scheme: d.name for d in DIALECTS.values() for scheme in d.schemes}


def file_schemes() -> tuple[str, ...]:
    """Target URL schemes that name a file or folder on this machine rather than a server."""
    return tuple(scheme for d in DIALECTS.values() for scheme in d.file_schemes)


def connections() -> dict[str, str]:
    """The Python module of an open connection → dialect."""
    return {module: d.name for d in DIALECTS.values() for module in d.connections}


def ddl(dialect: str, kind: str, name: str, query: exp.Expression) -> list[str]:
    """SQL statements that replace view or table `name` (`schema.name` allowed) with the query.

    Each dialect's own form: CREATE OR REPLACE where it is atomic, otherwise
    a transaction or an atomic rename. Returned as text, one statement each.
    """
    table = qualified_table(name)
    out = []
    for st in get(dialect).statements(kind, table, query):
        try:
            out.append(st if isinstance(st, str)
                       else st.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as exc:
            raise unsupported(f"a {kind}", dialect, reason(exc)) from None
    return out


def qualified_table(name: str) -> exp.Table:
    """`schema.name` or `name` as a quoted table (split at dots; a part may not be empty)."""
    parts = name.split(".")
    if not all(parts) or len(parts) > 3:
        raise SegError([Diagnostic("SEG307", f"`{name}` is not a table name", None,
                                   "write NAME or SCHEMA.NAME")])
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    if len(ids) == 1:
        return exp.Table(this=ids[0])
    if len(ids) == 2:
        return exp.Table(this=ids[1], db=ids[0])
    return exp.Table(this=ids[2], db=ids[1], catalog=ids[0])


__all__ = ["Dialect", "DIALECTS", "VERIFIED", "GENERATED", "DEFAULT", "get", "check_dialect", "tier_table",
           "schemes", "file_schemes", "connections", "ddl", "qualified_table", "unsupported", "nodes", "dtype"]
