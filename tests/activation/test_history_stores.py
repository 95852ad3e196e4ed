"""Membership history on every kind of store: a DuckDB file, a Parquet folder, PostgreSQL, MariaDB and Spark.

Each store gets the same five weekly snapshots of the demo shop. What it
holds must be what `segdsl run --as-of` computes on each date; its changes
must add up (previous ∪ entered − exited = current, per definition) and
replay from the first snapshot to every later one; diffs must equal the
difference of the two memberships; the stores must equal each other; a
snapshot run again changes nothing; and a write that fails half-way leaves
the store as it was. A ClickHouse target keeps no table store: it fills a
local one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import duckdb
import pytest


import segdsl  # noqa: E402
from tests.support.history_places import DATES, MODEL, SERIES, STORES, Place, Readout, read, run_at  # noqa: E402
from segdsl.activation import history  # noqa: E402


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history_model") / "campaign.seg"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(demo_db: Path, model_file: Path) -> dict[dt.date, tuple[set, int]]:
    """`run --as-of` at every snapshot date: the oracle of what each snapshot holds."""
    model = segdsl.load(model_file)
    return {d: run_at(demo_db, model, d) for d in DATES}


_PLACES: dict[str, Place] = {}


@pytest.fixture(scope="module")
def places() -> Iterator[dict[str, Place]]:
    yield _PLACES
    for p in _PLACES.values():
        p.cleanup()
    _PLACES.clear()


@pytest.fixture
def build(places: dict[str, Place], request, demo_db: Path, model_file: Path, tmp_path_factory):
    """A store by name, filled with the five snapshots on first use."""

    def get(name: str) -> Place:
        if name not in places:
            p = Place(name, tmp_path_factory.mktemp(f"store_{name}"), demo_db, model_file, request)
            places[name] = p
            for d in DATES:
                p.snapshot(d)
        return places[name]

    return get


@pytest.fixture
def place(store_name: str, build) -> Place:
    return build(store_name)


def by_definition(rows: set) -> dict[str, set]:
    out: dict[str, set] = defaultdict(set)
    for row in rows:
        out[row[0]].add(row)
    return out


@pytest.mark.parametrize("store_name", STORES)
def test_every_snapshot_holds_what_run_computes(store_name: str, place: Place, runs) -> None:
    r = place.readout()
    assert sorted(r.members) == DATES
    for d in DATES:
        rows, population = runs[d]
        assert r.members[d] == rows, d
        assert r.population[d] == population
        counted: dict[tuple[str, str | None], int] = defaultdict(int)
        for definition, value, _ in rows:
            counted[(definition, value)] += 1
        # every segment, case and arm has its size, 0 included (`nobody`, and quantile cases that are empty)
        assert {k: v for k, v in r.sizes[d].items() if v} == dict(counted)
        assert r.sizes[d][("nobody", None)] == 0
        assert {("win_back_test", "campaign"), ("win_back_test", "control"), ("lifecycle", "active")} <= set(r.sizes[d])
    assert len(set(r.fingerprints.values())) == 1


@pytest.mark.parametrize("store_name", STORES)
def test_changes_add_up_and_replay_to_run(store_name: str, place: Place, runs) -> None:
    """previous ∪ entered − exited = current for each definition; replayed from the first snapshot, the
    changes give `run --as-of` at every later date."""
    r = place.readout()
    assert {c[0] for c in r.changes} <= set(DATES[1:])
    state = set(r.members[DATES[0]])
    for previous, current in zip(DATES, DATES[1:]):
        events = [c for c in r.changes if c[0] == current]
        assert all(c[1] == previous for c in events)  # consecutive snapshots
        entered = {(d, v, m) for _, _, d, v, m, e in events if e == "entered"}
        exited = {(d, v, m) for _, _, d, v, m, e in events if e == "exited"}
        assert entered and exited
        before, after = by_definition(r.members[previous]), by_definition(r.members[current])
        ins, outs = by_definition(entered), by_definition(exited)
        for definition in set(before) | set(after) | set(ins):
            assert not ins[definition] & before[definition]
            assert outs[definition] <= before[definition]
            assert (before[definition] | ins[definition]) - outs[definition] == after[definition], definition
        state = (state | entered) - exited
        assert state == runs[current][0], current


@pytest.mark.parametrize("store_name", [s for s in STORES if s != "duckdb"])
def test_stores_equal_each_other(store_name: str, place: Place, build) -> None:
    """Rows, sizes, population, fingerprints and changes are the same in every store as in the DuckDB file."""
    baseline = build("duckdb").readout()
    mine = place.readout()
    assert mine.comparable() == baseline.comparable()
    assert mine.fingerprints == baseline.fingerprints


@pytest.mark.parametrize("store_name", STORES)
def test_diff_is_the_difference_of_the_memberships(store_name: str, place: Place, runs, tmp_path: Path) -> None:
    first, second = DATES[1], DATES[3]
    engine, store = place.open()
    try:
        whole = history.diff(store, first, second, tmp_path / "all.parquet")
        arm = history.diff(store, first, second, tmp_path / "arm.csv", segment="win_back_test.control", series=SERIES)
        seg = history.diff(store, first, second, tmp_path / "seg.parquet", segment="win_back")
    finally:
        store.close()
        engine.close()
    a, b = runs[first][0], runs[second][0]
    expected = {(m, d, v, "entered") for d, v, m in b - a} | {(m, d, v, "exited") for d, v, m in a - b}
    got = set(duckdb.sql(f"SELECT * FROM '{tmp_path / 'all.parquet'}'").fetchall())
    assert got == expected
    assert whole.rows == len(expected)
    assert sum(n for *_, n in whole.counts) == len(expected)
    csv = set(duckdb.sql(f"SELECT member::VARCHAR, definition, value, event FROM read_csv('{tmp_path / 'arm.csv'}', "
                         "all_varchar = true)").fetchall())
    assert csv == {e for e in expected if e[1:3] == ("win_back_test", "control")}
    assert arm.counts and all(c[:2] == ("win_back_test", "control") for c in arm.counts)
    got = set(duckdb.sql(f"SELECT * FROM '{tmp_path / 'seg.parquet'}'").fetchall())
    assert got == {e for e in expected if e[1] == "win_back"} and seg.rows == len(got)


@pytest.mark.parametrize("store_name", STORES)
def test_running_a_snapshot_again_changes_nothing(store_name: str, place: Place) -> None:
    before = place.readout()
    written = place.snapshot(DATES[2])
    assert written.replaced and written.count == len(DATES)
    assert written.previous is not None and written.previous.as_of == DATES[1]
    assert place.readout().comparable() == before.comparable()


@pytest.mark.parametrize("store_name", STORES)
def test_a_failed_write_leaves_the_store_as_it_was(store_name: str, place: Place, monkeypatch, runs, demo_db,
                                                   model_file) -> None:
    """The snapshot of one date written again with another parameter (so its rows differ) fails at the
    last statement, after the earlier rows were deleted and the new ones inserted: nothing changes."""
    before = place.readout()
    changed = {"active_orders": 2}
    from segdsl.activation import parquetstore, sqlstore

    if store_name == "parquet":
        real = parquetstore.FolderStore._write

        def failing(self, query, path, meta):
            if "members" in path.parts:
                raise OSError(28, "No space left on device")
            return real(self, query, path, meta)

        monkeypatch.setattr(parquetstore.FolderStore, "_write", failing)
    else:
        real = sqlstore.TableStore.commit

        def failing_commit(self, snapshot, rows):
            execute = self.engine.execute
            # Spark writes members before the catalog without a transaction (documented): it fails at its first
            # write; the others at the catalog's INSERT, inside the transaction that already replaced the members
            last = "INSERT OVERWRITE" if self.dialect == "spark" else f"INSERT INTO {self.catalog.sql(self.dialect)}"

            def flaky(statement: str) -> None:
                if statement.startswith(last):
                    raise self.engine.errors[0]("connection lost")
                execute(statement)

            self.engine.execute = flaky
            try:
                return real(self, snapshot, rows)
            finally:
                self.engine.execute = execute

        monkeypatch.setattr(sqlstore.TableStore, "commit", failing_commit)
    with pytest.raises(segdsl.SegError) as info:
        place.snapshot(DATES[2], changed, force=True)
    assert info.value.diagnostics[0].code == "SEG321"
    assert "nothing of this snapshot was kept" in info.value.render()
    monkeypatch.undo()
    assert place.readout().comparable() == before.comparable()
    if store_name == "parquet":
        assert not [p for p in place.folder.rglob("*") if p.name.endswith(".tmp")]

    # the same write, not interrupted, does change the snapshot; written back, the store is as before
    place.snapshot(DATES[2], changed, force=True)
    after = place.readout()
    assert after.members[DATES[2]] == run_at(demo_db, segdsl.load(model_file), DATES[2], changed)[0]
    assert after.members[DATES[2]] != before.members[DATES[2]]
    place.snapshot(DATES[2], force=True)
    assert place.readout().comparable() == before.comparable()


@pytest.mark.parametrize("server", ["postgres", "clickhouse"])
def test_a_local_store_takes_members_from_a_server_engine(server: str, demo_db: Path, model_file: Path, build,
                                                          places, request, tmp_path: Path) -> None:
    """Computed on PostgreSQL or ClickHouse, streamed as Arrow batches into a DuckDB file and a Parquet folder:
    what `run` computes on DuckDB. ClickHouse refuses a store in its own tables (no transaction replaces a
    snapshot in both), and says where to keep it; nothing is created in its database."""
    if server in STORES:
        engine = build(server).engine()
    else:
        if server not in places:
            places[server] = Place(server, tmp_path / server, demo_db, model_file, request)
        engine = places[server].engine(write=True)
    try:
        if server == "clickhouse":
            with pytest.raises(segdsl.SegError) as info:
                history.open_store("table:segment_history", engine, write=True)
            (found,) = info.value.diagnostics
            assert found.code == "SEG320"
            assert found.message.startswith("a history store cannot be kept in a clickhouse connection: writing a "
                                            "snapshot replaces rows of two tables, and ClickHouse has no transaction")
            assert found.hint.startswith("keep the store locally: --store FILE.duckdb or --store FOLDER/")
            _, tables = engine.fetch(f"SHOW TABLES FROM `{places[server].clickhouse_database}`")
            assert sorted(t for (t,) in tables) == ["customers", "orders"]
        for local in (str(tmp_path / "local.duckdb"), str(tmp_path / "local") + "/"):
            with history.open_store(local, engine, write=True) as store:
                history.snapshot(segdsl.load(model_file), engine, store, DATES[0], series=SERIES)
            with history.open_store(local) as store:
                r: Readout = read(store)
            expected, population = run_at(demo_db, segdsl.load(model_file), DATES[0])
            assert r.members[DATES[0]] == expected and len(expected) > 1000
            assert r.population[DATES[0]] == population
    finally:
        engine.close()
