"""`prediction … = btyd(…)` in the language: checking, the summary the engine computes, scoring, the lock file.

The data is simulated from BG/NBD and Gamma-Gamma (numpy, fixed seed) as
transactions; the summary is compared with one computed here in plain
Python from the transactions (lifetimes' definition: repeat purchase days,
days from the first to the last purchase and to as_of, the mean of the
repeat days' totals), and the scores with segdsl.predict.formulas (scipy's
₂F₁) at the fitted parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.lang.diagnostics import SegError
from segdsl.lang.formatter import format_text
from segdsl.predict import formulas
from segdsl.tools.cli import app

AS_OF = dt.date(2026, 6, 30)
START = dt.date(2025, 1, 1)

MODEL = """
entity customers from "customers" key customer_id
events orders from "orders" by customer_id at ordered_at

prediction clv "Predicted value" = btyd(orders, value: orders.amount, horizon: 1 year, unit: 1 week)

feature revenue = sum(orders.amount)
segment valuable_at_risk = clv.alive < 0.5 and revenue > 200
segmentation value_tier = quantile(clv.value, 4)
"""


def simulate(n: int, seed: int = 5) -> tuple[list[tuple], list[tuple]]:
    """Customers who join over 18 months and buy while alive (Poisson days, geometric dropout after each
    purchase), with gamma-distributed values; a few orders after as_of and some zero values."""
    rng = np.random.default_rng(seed)
    customers, orders = [], []
    span = (AS_OF - START).days
    for cid in range(1, n + 1):
        first = int(rng.integers(0, span + 1))
        customers.append((cid, START + dt.timedelta(days=first)))
        if cid % 10 == 0:
            continue  # never bought
        lam = rng.gamma(0.8, 1 / 12.0)  # purchases per day
        p_drop = rng.beta(1.0, 3.0)
        mean_value = rng.gamma(4.0, 15.0)
        day = first
        while day <= span + 20:
            hour = int(rng.integers(0, 24))
            value = float(np.round(rng.gamma(5.0, mean_value / 5.0), 2)) if cid % 37 else 0.0
            orders.append((cid, dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour)), value))
            if rng.random() < 0.2:  # a second order the same day
                orders.append((cid, dt.datetime.combine(START + dt.timedelta(days=day), dt.time(23, 30)), 5.0))
            if rng.random() < p_drop:
                break
            day += 1 + int(rng.exponential(1 / max(lam, 1e-3)))
    return customers, orders


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict_shop")
    customers, orders = simulate(600)
    db = folder / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers (customer_id INTEGER, signup_date DATE)")
    con.executemany("INSERT INTO customers VALUES (?, ?)", customers)
    con.execute("CREATE TABLE orders (customer_id INTEGER, ordered_at TIMESTAMP, amount DOUBLE)")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)", orders)
    con.close()
    return folder, db, customers, orders


def summary_by_hand(orders: list[tuple], as_of: dt.date) -> dict[int, tuple[int, int, int, float | None]]:
    """lifetimes' summary_data_from_transaction_data in days: (x, recency, T, mean repeat value)."""
    days: dict[int, dict[dt.date, float]] = {}
    for cid, at, amount in orders:
        if at.date() <= as_of:
            totals = days.setdefault(cid, {})
            totals[at.date()] = totals.get(at.date(), 0.0) + amount
    out = {}
    for cid, totals in days.items():
        ordered = sorted(totals)
        first, last = ordered[0], ordered[-1]
        x = len(ordered) - 1
        repeat = [totals[d] for d in ordered[1:]]
        out[cid] = (x, (last - first).days, (as_of - first).days, sum(repeat) / x if x else None)
    return out


def write_model(folder: Path, text: str = MODEL, name: str = "model.seg") -> Path:
    path = folder / name
    path.write_text(text)
    lock = Path(str(path) + ".lock")
    if lock.exists():
        lock.unlink()
    return path


def fetch(model, db: Path, as_of: dt.date = AS_OF) -> dict[int, dict[str, object]]:
    con = duckdb.connect(str(db), read_only=True)
    rel = model.run(as_of=as_of, connection=con)
    cols = list(rel.columns)
    out = {row[0]: dict(zip(cols, row)) for row in rel.fetchall()}
    con.close()
    return out


# ── the language ─────────────────────────────────────────────────────────────


def test_format_keeps_a_prediction() -> None:
    text = ('entity c from "c" key id\nevents orders from "o" by id at at\n'
            'prediction   clv  "Value"=btyd( orders,value:orders.amount ,horizon: 39 weeks, discount: 1.5%)\n')
    formatted = format_text(text)
    assert 'prediction clv "Value" = btyd(orders, value: orders.amount, horizon: 39 weeks, discount: 1.5%)' \
        in formatted
    assert format_text(formatted) == formatted


def test_parts_are_features_of_the_model() -> None:
    model = segdsl.load(MODEL)
    ir = model.ir
    p = ir.predictions["clv"]
    assert p.unit_days == 7 and p.horizon_days == 365.25 and p.label == "Predicted value"
    assert [c for _, c in p.features] == ["clv_frequency", "clv_recency", "clv_age", "clv_monetary", "clv_alive",
                                          "clv_purchases", "clv_spend", "clv_value"]
    assert set(c for _, c in p.features) <= set(ir.features)
    # the value tier reads the feature clv_value, which comes before it
    assert ir.order.index("clv_value") < ir.order.index("value_tier")
    node = ir.features["clv_purchases"].expr
    assert node.horizon == pytest.approx(365.25 / 7) and node.fit is None
    assert (node.steps, node.step) == (12, 4.345)  # lifetimes' months of 4.345 weeks


def _diagnostics(text: str) -> list[tuple[str, str, int, str | None]]:
    with pytest.raises(SegError) as info:
        segdsl.load(text).sql()
    return [(d.code, d.message, d.span.line if d.span else 0, d.hint) for d in info.value.diagnostics]


HEAD = 'entity customers from "c" key id\nevents orders from "o" by id at at\n'


@pytest.mark.parametrize("line, code, message, hint", [
    ("prediction clv = btyd(orders, horizon: 30)", "SEG121", "`horizon` must be a duration", "for example 1 year"),
    ("prediction clv = btyd(orders, unit: 1 week, unit: 1 day)", "SEG120", "`unit` is given twice",
     "give each argument once"),
    ("prediction clv = btyd(orders, discount: 0.1)", "SEG121", "the discount is a monthly rate in percent",
     "for example discount: 1%"),
    ("prediction clv = btyd(orders, horizon: 1 day, unit: 1 week)", "SEG121",
     "the horizon (1 day) is shorter than the unit (1 week)", "the unit is the summary's grain: 1 week or 1 day"),
    ("prediction clv = btyd(customers)", "SEG122", "`customers` is not an events source",
     "btyd(…) predicts from purchases: name an events source, for example btyd(orders, …)"),
    ("prediction clv = btyd(orders)\nfeature f = clv.spend", "SEG123",
     "`clv` has no `spend`: it has no value of a purchase", "add value: to btyd(…), for example value: orders.amount"),
    ("prediction clv = btyd(orders)\nfeature f = clv.alivee", "SEG123", "`clv` has no part `alivee`",
     "did you mean `alive`?"),
    ("prediction clv = btyd(orders)\nfeature f = clv + 1", "SEG123", "`clv` is a prediction, not a value",
     "name one of its parts: clv.alive, clv.purchases, clv.spend or clv.value"),
    ("prediction clv = btyd(orders)\nfeature clv_alive = 1", "SEG124",
     "`clv` adds the column `clv_alive`, which `clv_alive` already is", "rename `clv_alive` or the prediction"),
    ("prediction clv = btyd(orders, value: orders.note = 1)", "SEG121",
     "the value of a purchase must be a number, but this is a bool", "for example value: orders.amount"),
])
def test_bad_predictions_are_coded(line: str, code: str, message: str, hint: str) -> None:
    found = _diagnostics(HEAD + line + "\n")
    where = 4 if "\nfeature f" in line else 3  # at the part named, or at the prediction
    assert (code, message, where, hint) in found, found


def test_an_unknown_argument_is_a_syntax_error_listing_the_arguments() -> None:
    found = _diagnostics(HEAD + "prediction clv = btyd(orders, horizn: 1 year)\n")
    assert found == [("SEG001", "unexpected `horizn`", 3, "expected `discount`, `horizon`, `unit`, `value`")]


def test_compile_without_a_fit_says_how_to_get_one() -> None:
    with pytest.raises(SegError) as info:
        segdsl.load(MODEL).sql()
    d = info.value.diagnostics[0]
    assert d.code == "SEG330" and d.message == "the prediction `clv` has no fitted parameters"
    assert "segdsl fit" in d.hint and d.span.line == 5


# ── on data ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("bits", [False, True], ids=["list", "bits"])
@pytest.mark.parametrize("as_of", [AS_OF, AS_OF + dt.timedelta(days=800)], ids=["as_of", "800_days_later"])
def test_summary_is_lifetimes_summary(shop, tmp_path, as_of: dt.date, bits: bool) -> None:
    """In a connection given to segdsl, DuckDB counts purchase days as a list; in one it opens with its
    memory budget, for few enough members, the days 0 … 1,023 before as_of as bits
    (segdsl.engines.duckdb.DAY_BITS). 800 days later purchase days lie on both sides of the bits."""
    from segdsl import engines
    from segdsl.engines.execution import compile_for

    folder, db, customers, orders = shop
    model = segdsl.load(write_model(tmp_path))
    if bits:
        engine = engines.open_duckdb(db, model.root)
        sql = compile_for(model, engine, as_of, None).sql
        rel = engine.con.sql(sql)
        got = {row[0]: dict(zip(rel.columns, row)) for row in rel.fetchall()}
        engine.close()
    else:
        con = duckdb.connect(str(db), read_only=True)
        sql = compile_for(model, engines.open_engine(con, model.root), as_of, None).sql
        con.close()
        got = fetch(model, db, as_of)
    assert ("BITSTRING_AGG" in sql) == bits
    want = summary_by_hand(orders, as_of)
    if as_of != AS_OF:
        ages = [age for _, _, age, _ in want.values()]
        assert min(ages) < 1024 < max(ages)
    assert len(got) == len(customers)
    for cid, row in got.items():
        if cid not in want:
            assert all(row[c] is None for c in ("clv_frequency", "clv_age", "clv_alive", "clv_value")), row
            continue
        x, recency, age, mean = want[cid]
        assert (row["clv_frequency"], row["clv_recency"], row["clv_age"]) == (x, recency, age), (cid, row)
        if mean is None:
            assert row["clv_monetary"] is None
        else:
            assert row["clv_monetary"] == pytest.approx(mean, rel=1e-12), cid


def test_scores_equal_the_formulas_at_the_stored_fit(shop, tmp_path) -> None:
    folder, db, _, orders = shop
    path = write_model(tmp_path)
    result = CliRunner().invoke(app, ["fit", str(path), "--db", str(db), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "BG/NBD       r = " in result.output and f"wrote {path}.lock" in result.output
    stored = json.loads(Path(str(path) + ".lock").read_text())["predictions"]["clv"]
    assert stored["as_of"] == AS_OF.isoformat() and stored["bgnbd"]["converged"]
    model = segdsl.load(path)
    params = dict(model.ir.features["clv_alive"].expr.fit)
    assert params["r"] == stored["bgnbd"]["r"] and params["p"] == stored["gamma_gamma"]["p"]

    class P:
        pass

    fit = P()
    fit.__dict__.update(params)
    got = fetch(model, db)
    rows = [r for r in got.values() if r["clv_age"] is not None]
    x = np.array([float(r["clv_frequency"]) for r in rows])
    tx = np.array([r["clv_recency"] / 7 for r in rows])
    T = np.array([r["clv_age"] / 7 for r in rows])
    m = np.array([r["clv_monetary"] if r["clv_monetary"] is not None else 0.0 for r in rows])
    horizon = 365.25 / 7
    want = {
        "clv_alive": formulas.p_alive(fit, x, tx, T),
        "clv_purchases": formulas.expected_purchases(fit, horizon, x, tx, T),
        "clv_spend": formulas.expected_spend(fit, x, m),
        "clv_value": formulas.expected_value(fit, fit, x, tx, T, m, 12, 4.345),
    }
    for column, values in want.items():
        engine = np.array([r[column] for r in rows], dtype=float)
        assert np.all(np.isfinite(engine)), column
        # this fit has a = 1.01, where 1 − G of expected purchases keeps only a hundredth of G's digits
        np.testing.assert_allclose(engine, values, rtol=1e-9, atol=1e-300, err_msg=column)
    # the segment and the tiers read the scores
    for r in rows:
        assert r["valuable_at_risk"] == (r["clv_alive"] < 0.5 and r["revenue"] > 200)


def test_duckdb_keeps_days_as_bits_only_for_members_its_memory_holds(shop, tmp_path, monkeypatch) -> None:
    """Bits for the 600 members of the shop in segdsl's own connection; none when a quarter of the budget
    holds fewer members' bits, none with a memory limit of the user's, none in a connection given to
    segdsl (its memory is not segdsl's to plan), none for a model without predictions."""
    from segdsl import engines
    from segdsl.engines import duckdb as engine_module

    folder, db, _, _ = shop
    model = segdsl.load(write_model(tmp_path))
    plain = segdsl.load(write_model(tmp_path, "entity customers from \"customers\" key customer_id\n", "plain.seg"))

    def bits(m, con=None, budget: int | None = None) -> int:
        from segdsl.engines.execution import read_schemas

        engine = engines.open_duckdb(db, m.root) if con is None else engines.open_engine(con, m.root)
        try:
            ir = m.with_schemas(read_schemas(engine, m.ir)).ir
            with monkeypatch.context() as patch:
                if budget is not None:  # after the engine opened with the real one
                    patch.setattr(engine_module, "memory_budget", lambda: budget)
                return engine.day_bits(ir)
        finally:
            engine.close()

    per_member = engine_module.DAY_BITS // 8
    assert bits(model) == engine_module.DAY_BITS and bits(plain) == 0
    assert bits(model, con=duckdb.connect(str(db), read_only=True)) == 0
    assert bits(model, budget=599 * 4 * per_member) == 0
    assert bits(model, budget=600 * 4 * per_member) == engine_module.DAY_BITS
    monkeypatch.setenv("SEGDSL_MEMORY_LIMIT", "2GB")
    assert bits(model) == 0


@pytest.mark.parametrize("days", [[], [None], [0, 0, 5, None, 5], [1023, 1024, 1023, 1024, -1, -1, 0],
                                  [-3, 2000, 2000, 7, 1023], list(range(-20, 1100, 3)) * 2])
def test_duckdb_distinct_days_equal_count_distinct(days: list[int | None]) -> None:
    """DuckDB's bits-and-list form of distinct days against COUNT(DISTINCT) on the same values: inside,
    at and beyond both ends of the bits, duplicates, NULL, no value at all."""
    from sqlglot import exp

    from segdsl.engines.duckdb import DAY_BITS

    from segdsl.sql.dialects import get as dialect

    value = exp.column("d", table="t")
    form = dialect("duckdb").distinct_count(value, of_time=True, day_bits=DAY_BITS).sql("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE t (g INTEGER, d BIGINT)")
    con.execute("INSERT INTO t VALUES (2, NULL)")
    if days:
        con.executemany("INSERT INTO t VALUES (1, ?)", [(d,) for d in days])
    got = con.execute(f"SELECT g, {form} FROM t GROUP BY g ORDER BY g").fetchall()
    want = con.execute("SELECT g, COUNT(DISTINCT t.d) FROM t GROUP BY g ORDER BY g").fetchall()
    assert got == want and "BITSTRING_AGG" in form


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_the_summary_is_ordered_as_lexsort_orders_it(n: int) -> None:
    """The fit adds the grouped rows in the order numpy's lexsort gives, whatever shortcut sorts them:
    whole numbers of days, and frequencies with mean values that repeat, are NaN or −0."""
    from segdsl.engines.predictions import _order

    rng = np.random.default_rng(n)
    x = rng.integers(0, 40, n).astype(float)
    days = rng.integers(0, 2000, n).astype(float)
    m = np.round(rng.gamma(2.0, 30.0, n), 1)
    m[rng.random(n) < 0.05] = np.nan
    m[rng.random(n) < 0.05] = -0.0
    m[rng.random(n) < 0.05] = 0.0
    for keys in ((x, m), (x, days, days[::-1].copy()), (x, m + 0.5, days)):
        assert _order(*keys).tolist() == np.lexsort(keys[::-1]).tolist()


def test_run_without_a_lock_fits_and_says_so(shop, tmp_path) -> None:
    folder, db, _, _ = shop
    path = write_model(tmp_path)
    result = CliRunner().invoke(app, ["run", str(path), "--db", str(db), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "note[SEG336]: `clv` fitted on this data (no lock file): r = " in result.output
    assert not Path(str(path) + ".lock").exists()


def test_a_run_fitting_on_the_fly_scores_from_the_members_it_fitted_on(shop, tmp_path, monkeypatch) -> None:
    """Without a lock file, `run` computes the members' summaries once, held by the engine, for the fit and
    the scoring, whose ₂F₁ is then computed once per (x, T) of the held members; with a stored fit it holds
    them for the scoring alone. The members and every value are those of a run with the same parameters
    stored, and of the query as `compile` writes it, which computes the ₂F₁ for each member."""
    from segdsl.engines.duckdb import DuckDBEngine

    folder, db, _, _ = shop
    path = write_model(tmp_path)
    kept: list[str] = []
    keep = DuckDBEngine.keep
    monkeypatch.setattr(DuckDBEngine, "keep", lambda self, name, query: kept.append(name) or keep(self, name, query))
    exported: list[str] = []
    export = DuckDBEngine.export
    monkeypatch.setattr(DuckDBEngine, "export",
                        lambda self, sql, *a, **k: exported.append(sql) or export(self, sql, *a, **k))
    runner = CliRunner()
    shared = runner.invoke(app, ["run", str(path), "--db", str(db), "--as-of", AS_OF.isoformat(),
                                 "--output", str(tmp_path / "shared.parquet")])
    assert shared.exit_code == 0 and "SEG336" in shared.output, shared.output
    assert len(kept) == 1
    assert runner.invoke(app, ["fit", str(path), "--db", str(db), "--as-of", AS_OF.isoformat()]).exit_code == 0
    stored = runner.invoke(app, ["run", str(path), "--db", str(db), "--as-of", AS_OF.isoformat(),
                                 "--output", str(tmp_path / "stored.parquet")])
    assert stored.exit_code == 0 and "SEG33" not in stored.output, stored.output
    assert len(kept) == 2  # a stored fit: the members held for the scoring
    assert len(exported) == 2 and all("_pairs_1" in sql and "SELECT DISTINCT" in sql for sql in exported)
    con = duckdb.connect()
    a, b = (con.execute(f"SELECT * FROM '{tmp_path / n}.parquet' ORDER BY customer_id").fetchall()
            for n in ("shared", "stored"))
    assert len(a) == 600 and a == b
    assert con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'shared'}.parquet'").fetchall() == \
        con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'stored'}.parquet'").fetchall()
    compiled = fetch(segdsl.load(path), db)  # one query, the ₂F₁ per member
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'stored'}.parquet'").fetchall()]
    assert all("clv_value" in row and row["clv_value"] is not None for row in compiled.values() if row["clv_age"])
    assert [tuple(compiled[row[0]][n] for n in names) for row in a] == a


def _stale(output: str) -> list[str]:
    """The SEG331 warnings of a run's output."""
    return [line for line in output.splitlines() if "SEG331" in line]


def _fitted_copy(db: Path, tmp_path: Path) -> tuple[Path, Path, CliRunner]:
    """A copy of the shop's database (to change its data) and the model fitted on it as of AS_OF."""
    copy = tmp_path / "shop.duckdb"
    copy.write_bytes(db.read_bytes())
    path = write_model(tmp_path)
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(path), "--db", str(copy), "--as-of", AS_OF.isoformat()])
    assert fitted.exit_code == 0, fitted.output
    return copy, path, runner


def _add_order(db: Path, day: dt.date, amount: float) -> None:
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO orders VALUES (1, ?, ?)", [dt.datetime.combine(day, dt.time(12)), amount])
    con.close()


def test_a_run_at_another_date_is_stale_by_its_date_only(shop, tmp_path) -> None:
    folder, db, _, _ = shop
    path = write_model(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["fit", str(path), "--db", str(db), "--as-of", "2026-06-30"]).exit_code == 0
    result = runner.invoke(app, ["run", str(path), "--db", str(db), "--as-of", "2026-06-30"])
    assert result.exit_code == 0 and "SEG331" not in result.output
    # the summary at another date differs, but the data the fit saw has not changed
    result = runner.invoke(app, ["run", str(path), "--db", str(db), "--as-of", "2026-05-31"])
    assert result.exit_code == 0, result.output
    assert _stale(result.output) == ["warning[SEG331]: the stored fit of `clv` is stale: as_of 2026-06-30 → 2026-05-31"]


def test_changed_data_is_a_warning_naming_both_fingerprints(shop, tmp_path) -> None:
    folder, db, _, _ = shop
    copy, path, runner = _fitted_copy(db, tmp_path)
    stored = json.loads(Path(str(path) + ".lock").read_text())["predictions"]["clv"]
    assert stored["events"].startswith("sha256:") and stored["events"] != stored["data"]
    # an order after as_of is not data the fit saw
    _add_order(copy, AS_OF + dt.timedelta(days=1), 40.0)
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0 and "SEG331" not in result.output, result.output
    _add_order(copy, AS_OF - dt.timedelta(days=3), 40.0)
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    (line,) = _stale(result.output)
    before, after = line.split("stale: data ")[1].split(" → ")
    assert before == stored["events"][:19] and after.startswith("sha256:") and after != before
    # a run at another date names both changes
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", "2026-05-31"])
    (line,) = _stale(result.output)
    assert f"as_of 2026-06-30 → 2026-05-31; data {stored['events'][:19]} → {after}" in line


def test_a_lock_without_the_events_fingerprint_is_judged_by_its_summary(shop, tmp_path) -> None:
    """A lock file written before the events' fingerprint was stored: the summary's fingerprint, taken at
    the fit's as_of, tells whether the data changed."""
    folder, db, _, _ = shop
    copy, path, runner = _fitted_copy(db, tmp_path)
    lock = Path(str(path) + ".lock")
    body = json.loads(lock.read_text())
    stored = body["predictions"]["clv"]
    del stored["events"]
    lock.write_text(json.dumps(body))
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0 and "SEG331" not in result.output, result.output
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", "2026-05-31"])
    assert _stale(result.output) == ["warning[SEG331]: the stored fit of `clv` is stale: as_of 2026-06-30 → 2026-05-31"]
    _add_order(copy, AS_OF - dt.timedelta(days=3), 40.0)
    result = runner.invoke(app, ["run", str(path), "--db", str(copy), "--as-of", AS_OF.isoformat()])
    (line,) = _stale(result.output)
    assert f"stale: data {stored['data'][:19]} → sha256:" in line
    assert json.loads(lock.read_text()) == body  # read, never rewritten by a run


def test_compile_embeds_the_stored_parameters(shop, tmp_path) -> None:
    folder, db, _, _ = shop
    path = write_model(tmp_path)
    assert CliRunner().invoke(app, ["fit", str(path), "--db", str(db), "--as-of", "2026-06-30"]).exit_code == 0
    stored = json.loads(Path(str(path) + ".lock").read_text())["predictions"]["clv"]
    sql = segdsl.load(path).sql(dialect="postgres")
    assert repr(math.log(stored["bgnbd"]["a"])) in sql  # ln a, a constant of P(alive)
    # a changed unit is another definition: its parameters are not reused
    path.write_text(MODEL.replace("unit: 1 week", "unit: 1 day"))
    with pytest.raises(SegError) as info:
        segdsl.load(path).sql()
    assert info.value.diagnostics[0].code == "SEG330"


def test_the_scoring_reads_its_inputs_from_a_derived_table(shop, tmp_path) -> None:
    """The ₂F₁ reads x and z about a hundred times each: the layer computing the parts reads them as
    columns of a derived table below it, computed once per row; the values are those of the formulas
    (test_scores_equal_the_formulas_at_the_stored_fit, and the conformance corpus on every engine)."""
    folder, db, _, _ = shop
    path = write_model(tmp_path)
    assert CliRunner().invoke(app, ["fit", str(path), "--db", str(db), "--as-of", "2026-06-30"]).exit_code == 0
    for dialect in ("duckdb", "postgres", "mysql", "spark"):
        sql = segdsl.load(path).sql(dialect=dialect)
        quote = "`" if dialect in ("mysql", "spark") else '"'
        frequency = f"CAST(p.{quote}clv_frequency{quote} AS DOUBLE"
        assert sql.count(frequency) <= 2, dialect  # the input column, and the spend's own test of x > 0
        z = f"p.{quote}_clv_z{quote}"
        assert sql.count(z) > 20 and sql.count(f"{quote}_clv_z{quote}") == sql.count(z) + 1, dialect
        assert f"{quote}_clv_z{quote}" not in sql.split("SELECT")[-1].split("FROM")[0], dialect  # not an output


def test_too_few_customers_is_coded_with_the_counts(shop, tmp_path) -> None:
    folder, db, _, _ = shop
    path = write_model(tmp_path)
    result = CliRunner().invoke(app, ["fit", str(path), "--db", str(db), "--as-of", "2025-01-03"])
    assert result.exit_code == 1, result.output
    assert "error[SEG332]: cannot fit `clv`: BG/NBD needs at least 10 customers, 3 of them with repeat purchases; " \
           "the data has" in result.output
    assert not Path(str(path) + ".lock").exists()


def test_damaged_lock_is_coded(tmp_path) -> None:
    path = write_model(tmp_path)
    Path(str(path) + ".lock").write_text("{not json")
    with pytest.raises(SegError) as info:
        segdsl.load(path)
    assert info.value.diagnostics[0].code == "SEG334"


def test_matches_the_reference_evaluator(shop, tmp_path) -> None:
    """Fitted by `run` on DuckDB and by the reference on its own summary: the same members and values."""
    from tests.sql.test_equivalence import compare_results

    folder, db, customers, orders = shop
    path = write_model(tmp_path)
    tables = {"customers": [{"customer_id": c, "signup_date": s} for c, s in customers],
              "orders": [{"customer_id": c, "ordered_at": t, "amount": a} for c, t, a in orders]}
    con = duckdb.connect(str(db), read_only=True)
    for as_of in (AS_OF, dt.date(2026, 1, 15)):
        compare_results(segdsl.load(path), tables, as_of, None, f"as of {as_of}", connection=con)
    con.close()
