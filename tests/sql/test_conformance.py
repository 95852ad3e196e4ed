"""The conformance corpus on every verified engine, against the reference evaluator.

Every model of tests/conformance/models runs on DuckDB, SQLite, PostgreSQL,
MariaDB (MySQL dialect), Spark and ClickHouse (chdb), on the same data
(tests/conformance/data.py), at the as_of dates named in the model's header;
each engine's members — membership, segmentation labels, quantiles, RFM
scores, holdout arms, feature values — must equal what tests/reference.py
computes in plain Python from the same model and rows.

Each model also runs once with engine-side date arithmetic (as a view with
`--as-of today` does), so each dialect's own date functions are checked
against the constants segdsl folds at compile time; the windows model does
this at every one of its dates.

A model whose header names `files:` reads data files (relative to the file
that names them): the corpus is copied to a temporary folder with those
files written as CSV from the tables they are named after. The time-zone
model runs as on a machine in Asia/Tokyo.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


import segdsl  # noqa: E402
from tests.support.conformance.compare import assert_same_members  # noqa: E402
from tests.support.conformance.data import HOSTILE_TABLE, TABLES, reference_tables  # noqa: E402
from tests.support.engines import ENGINE_PATHS, VERIFIED_ENGINES  # noqa: E402
from tests.support.reference import evaluate  # noqa: E402
from segdsl.sql import dialects  # noqa: E402
from segdsl.engines.execution import members as run_members  # noqa: E402
from tests.support.paths import CORPUS, ROOT


@dataclass(frozen=True)
class Case:
    model: str
    as_of: dt.date
    params: tuple[tuple[str, str], ...] = ()
    engine_dates: bool = False

    @property
    def id(self) -> str:
        extra = "-engine-dates" if self.engine_dates else ""
        extra += "".join(f"-{k}={v}" for k, v in self.params)
        return f"{self.model}-{self.as_of.isoformat()}{extra}"


def _header(path: Path, key: str) -> list[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(rf"#\s*{key}:\s*(.*)$", line)
        if found:
            return found.group(1).split()
    return []


def cases() -> list[Case]:
    out: list[Case] = []
    for path in sorted(CORPUS.glob("*.seg")):
        dates = [dt.date.fromisoformat(d) for d in _header(path, "as_of")]
        assert dates, f"{path.name} names no as_of dates in its header"
        for d in dates:
            out.append(Case(path.stem, d))
        for d in dates if path.stem == "windows" else dates[:1]:
            out.append(Case(path.stem, d, engine_dates=True))
        params = tuple(tuple(p.split("=", 1)) for p in _header(path, "params"))
        if params:
            out.append(Case(path.stem, dates[0], params))
    return out


CASES = cases()


def test_the_corpus_covers_every_construct() -> None:
    """Every kind of expression, definition and segmentation of the model appears in the corpus."""
    from segdsl.semantic import model as m

    seen: set[str] = set()
    kinds: set[str] = set()
    for path in CORPUS.glob("*.seg"):
        ir = segdsl.load(path).ir
        summary = {f: part for p in ir.predictions.values() for part, f in p.features}  # the summary's features
        for name in ir.order:
            d = ir.definition(name)
            kinds.add(type(d).__name__)
            for e in ir.expressions_of(name):
                for node in m.walk(e):
                    seen.add(type(node).__name__)
                    if isinstance(node, m.Agg):
                        seen.add(f"Agg:{node.func}")
                    if isinstance(node, (m.Compare, m.TextMatch, m.Arith)):
                        seen.add(f"{type(node).__name__}:{node.op}")
                    if isinstance(node, m.DateShift):
                        seen.add(f"DateShift:{node.unit}")
                    if isinstance(node, m.Predict):
                        seen.add(f"Predict:{node.part}")
                    if isinstance(node, m.FeatureRef) and node.name in summary:
                        seen.add(f"Predict:{summary[node.name]}")
        kinds.update(f"param:{p.type.value}" for p in ir.params.values())
    wanted = {"Const", "AsOf", "ParamRef", "Column", "FeatureRef", "SegmentRef", "SegmentationRef", "CaseRef",
              "ScoreRef", "Neg", "Not", "Arith", "DateShift", "Compare", "And", "Or", "InList", "Between",
              "IsMissing", "TextMatch", "DateWindow", "DaysBetween", "YearsBetween", "Agg", "Predict"}
    wanted |= {f"Predict:{part}" for part in ("alive", "purchases", "spend", "value", "frequency", "recency", "age",
                                              "monetary")}
    wanted |= {f"Agg:{f}" for f in ("count", "count_distinct", "sum", "avg", "min", "max", "most_frequent", "first",
                                    "last", "share")}
    wanted |= {f"Compare:{op}" for op in ("=", "!=", "<", "<=", ">", ">=")}
    wanted |= {f"TextMatch:{op}" for op in ("like", "contains", "starts_with")}
    wanted |= {f"Arith:{op}" for op in "+-*/"} | {f"DateShift:{u}" for u in ("day", "month", "year")}
    assert wanted <= seen, f"constructs missing from the corpus: {sorted(wanted - seen)}"
    segmentation_kinds = {cls.__name__ for cls in m.Segmentation.__subclasses__()}  # every kind there is
    assert len(segmentation_kinds) == 4
    assert {"Feature", "Segment", "Holdout", "param:number", "param:text", "param:date", "param:bool"} \
        | segmentation_kinds <= kinds


def test_readme_tiers_match_the_engines_ci_runs() -> None:
    """The verified tier is exactly the set of engines the corpus runs on here."""
    assert set(dialects.VERIFIED) == set(VERIFIED_ENGINES)
    root = ROOT
    for doc in ("README.md", "docs/engines.md"):
        text = (root / doc).read_text(encoding="utf-8")
        for name, tier, _, _ in dialects.tier_table():
            assert re.search(rf"^\|\s*`{name}`\s*\|\s*{tier}\s*\|", text, re.M), f"{doc}: {name} ({tier})"


def corpus_copy(folder: Path, files: list[str]) -> Path:
    """The corpus in `folder`, with the data files a model names written from the tables of their stem."""
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True)
    for name in files:
        table = TABLES[Path(name).stem]
        with open(folder / name, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([c for c, _ in table.columns])
            for row in table.rows:
                writer.writerow(["" if v is None else v.isoformat(sep=" ") if isinstance(v, dt.datetime)
                                 else v for v in row])
    return folder


def _zone(case: Case) -> str | None:
    """The machine's time zone for a case (DuckDB takes it as its default when a database opens)."""
    return "Asia/Tokyo" if case.model == "timezones" else None


@pytest.mark.parametrize("engine_name", ENGINE_PATHS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus(case: Case, engine_name: str, engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = CORPUS / f"{case.model}.seg"
    files = _header(path, "files")
    if files:
        path = corpus_copy(tmp_path / "corpus", files) / path.name
    if _zone(case):
        monkeypatch.setenv("TZ", _zone(case))
        time.tzset()
    try:
        model = segdsl.load(path)
        params = dict(case.params)
        target = engine.target()
        target.root = model.root
        try:
            members = run_members(model, target, case.as_of, params, engine_dates=case.engine_dates).read_all()
        finally:
            target.close()
    finally:
        if _zone(case):
            monkeypatch.undo()
            time.tzset()
    tables = reference_tables()
    for source in [model.ir.entity.source] + [e.source for e in model.ir.events.values()]:
        if Path(source).suffix:  # a data file holds the rows of the table it is named after
            tables[source] = tables[Path(source).stem]
    expected = evaluate(model.ir, tables, case.as_of, model.resolve_params(params))
    assert_same_members(members, expected, context=f"{engine_name}: {case.id}")
    if case.model == "hostile":
        # nothing was injected: every source table still has all its rows
        for name in ("customers", HOSTILE_TABLE, "hostile_events"):
            assert engine.count(name) == len(TABLES[name].rows), name


def test_spark_refuses_the_hostile_table_name(spark_session) -> None:
    """Why the corpus binds one source on Spark: its catalog accepts only [A-Za-z0-9_] names."""
    from pyspark.errors import PySparkException

    frame = spark_session.createDataFrame([(1,)], "id long")
    with pytest.raises(PySparkException):
        frame.createOrReplaceTempView(HOSTILE_TABLE)
