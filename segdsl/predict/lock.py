"""The lock file: fitted parameters stored beside the model (MODEL.seg.lock), reviewed in git.

`segdsl fit` writes it; loading a model binds its parameters into every
prediction, so that `compile` embeds fixed numbers and every run gives the
same scores. Each entry keeps what the fit saw — the as_of date, a
fingerprint of the summary the engine computed, a fingerprint of the
prediction's events up to as_of (cheap to compute again, so that a run can
tell whether the data changed without computing the summary), the counts —
and a fingerprint of the prediction's definition (its events source, value
and unit), so a changed definition is never scored with parameters fitted
for another one. The text is JSON with sorted keys and one value a line, so a
refit shows in a diff as the numbers that changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..lang.diagnostics import Diagnostic, SegError, Span, display_path
from ..semantic import model as m
from .compile import bind as bind_node
from .fit import BGNBDFit, GammaGammaFit

FORMAT = 1
SUFFIX = ".lock"


def lock_path(model_path: str | Path) -> Path:
    return Path(str(model_path) + SUFFIX)


def definition_fingerprint(p: m.Prediction) -> str:
    """What the fit depends on in the model: the source, the value, the unit (not the horizon nor the discount,
    which only the scoring reads). Spans take no part in the model's repr."""
    # column types are left out: the model checked with and without the data's schema is one definition
    value = re.sub(r"type=<T\.\w+: '\w+'>", "", repr(p.value))
    text = f"{p.source}|{value}|{p.unit_days!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class StoredFit:
    """One prediction's entry of the lock file."""

    name: str
    as_of: dt.date
    definition: str  # definition_fingerprint
    data: str  # fingerprint of the summary the fit saw
    bgnbd: BGNBDFit
    gamma_gamma: GammaGammaFit | None
    excluded: int = 0  # repeat customers without a positive mean value
    # fingerprint of the events up to as_of (segdsl.engines.predictions.events_fingerprint); None in a
    # lock file written before it was stored, whose staleness is then judged by the summary's fingerprint
    events: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"as_of": self.as_of.isoformat(), "definition": self.definition, "data": self.data,
                               "bgnbd": self.bgnbd.to_dict()}
        if self.gamma_gamma is not None:
            out["gamma_gamma"] = self.gamma_gamma.to_dict()
        if self.events is not None:
            out["events"] = self.events
        return out

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "StoredFit":
        gg = d.get("gamma_gamma")
        spend = GammaGammaFit.from_dict(gg) if gg is not None else None
        events = d.get("events")
        return cls(name, dt.date.fromisoformat(d["as_of"]), str(d["definition"]), str(d["data"]),
                   BGNBDFit.from_dict(d["bgnbd"]), spend, spend.excluded if spend is not None else 0,
                   str(events) if events is not None else None)


def read_lock(path: Path) -> dict[str, StoredFit]:
    """The fits stored at `path` (none when there is no file); a damaged file is SEG334."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("predictions"), dict):
            raise ValueError(f"not a segdsl lock file of format {FORMAT}")
        return {name: StoredFit.from_dict(name, entry) for name, entry in data["predictions"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise SegError([Diagnostic("SEG334", f"cannot read the lock file {display_path(path)}: {exc}",
                                   Span(str(path), 1, 1, 1, 2),
                                   "write it again with `segdsl fit` (it is made by segdsl, not by hand)")]) from None


def lock_text(fits: dict[str, StoredFit]) -> str:
    body = {"format": FORMAT, "predictions": {n: fits[n].to_dict() for n in sorted(fits)}}
    return json.dumps(body, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_lock(path: Path, fits: dict[str, StoredFit]) -> None:
    """Replace the lock file atomically (a fit that fails leaves the old one as it was)."""
    text = lock_text(fits)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def bind(ir: m.CheckedModel, fits: dict[str, tuple[BGNBDFit, GammaGammaFit | None]]) -> m.CheckedModel:
    """The model with fitted parameters in the predictions named in `fits` (the others stay unbound)."""
    if not fits or not ir.predictions:
        return ir
    features = dict(ir.features)
    for name, (bgnbd, spend) in fits.items():
        p = ir.predictions.get(name)
        if p is None:
            continue
        for part in m.PREDICTION_PARTS:
            column = dict(p.features).get(part)
            if column is None or column not in features:
                continue
            f = features[column]
            node = f.expr
            assert isinstance(node, m.Predict)
            if spend is None and part in ("spend", "value"):
                continue
            features[column] = replace(f, expr=bind_node(node, bgnbd, spend))
    return replace(ir, features=features)


def bind_stored(ir: m.CheckedModel, stored: dict[str, StoredFit]) -> tuple[m.CheckedModel, list[str]]:
    """Bind the stored fits whose definition still matches; the names of those that no longer match."""
    usable, changed = {}, []
    for name, p in ir.predictions.items():
        s = stored.get(name)
        if s is None:
            continue
        if s.definition != definition_fingerprint(p):
            changed.append(name)
            continue
        usable[name] = (s.bgnbd, s.gamma_gamma)
    return bind(ir, usable), changed


def unbound_predictions(ir: m.CheckedModel) -> list[str]:
    """Predictions whose parts have no parameters yet."""
    out = []
    for name, p in ir.predictions.items():
        node = ir.features[p.feature("alive")].expr
        if isinstance(node, m.Predict) and node.fit is None:
            out.append(name)
    return out


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
