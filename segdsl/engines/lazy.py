"""Modules imported at their first use, not when segdsl starts.

pyarrow (with numpy) takes longer to import than a small `segdsl run` takes
to compute, and the DuckDB path — the default — never needs it: DuckDB
writes the output files itself. Engines that stream through Arrow touch an
attribute and pay the import then.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module until an attribute is read, then imports it (once) and reads from it."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


pa: Any = LazyModule("pyarrow")
pc: Any = LazyModule("pyarrow.compute")
