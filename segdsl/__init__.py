"""segdsl: a declarative language for customer segments, compiled to SQL.

Parse (lark) → model → check → compile (sqlglot) → run (DuckDB) → report.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .lang.diagnostics import Diagnostic, SegError

__all__ = ["load", "Model", "SegError", "Diagnostic", "__version__"]


def __getattr__(name: str):
    # The pipeline imports sqlglot and duckdb; load them only when used so
    # that `segdsl --help` and `segdsl check` start fast.
    if name in ("load", "Model"):
        from .tools import api

        return getattr(api, name)
    raise AttributeError(name)
