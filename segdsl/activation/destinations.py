"""The audience destinations, as `segdsl.semantic.destinations` defines them.

They live with the checker, which needs them to tell an unknown destination
or identifier at its place in the model; activation reads them from here.
"""

from __future__ import annotations

from ..semantic.destinations import (CSV, DESTINATIONS, GOOGLE_ADS, KINDS, META, PARQUET, TIKTOK,  # noqa: F401
                                     ActivationError, Destination, Field, UnknownDestination, UnknownIdentifier, get)

__all__ = ["CSV", "DESTINATIONS", "GOOGLE_ADS", "KINDS", "META", "PARQUET", "TIKTOK", "ActivationError",
           "Destination", "Field", "UnknownDestination", "UnknownIdentifier", "get"]
