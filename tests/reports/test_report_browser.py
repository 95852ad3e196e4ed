"""The HTML report in a real headless browser: everything renders, nothing errs.

Uses Debian's Chromium through Playwright; the screenshot is kept in
test-output/ (or $SEGDSL_TEST_OUTPUT) for people to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from tests.support.paths import EXAMPLES, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OUTPUT = Path(os.environ.get("SEGDSL_TEST_OUTPUT", ROOT / "test-output"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _require_browser() -> None:
    if CHROMIUM is None:
        if os.environ.get("SEGDSL_REQUIRE_ENGINES"):
            pytest.fail("chromium is required here (SEGDSL_REQUIRE_ENGINES=1) but is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


def test_html_report_renders_in_a_browser(demo_db, tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    page_file = tmp_path / "report.html"
    examples = EXAMPLES
    result = CliRunner().invoke(app, [
        "report", str(examples / "retail.seg"), "--db", str(demo_db), "--as-of", "2026-06-30",
        "--from", "2026-03-31", "--to", "2026-06-30", "--format", "html", "--out", str(page_file),
        "-r", "value of lifecycle measure revenue", "-r", "crosstab gender by lifecycle measure avg(revenue)",
        "-r", "overlap of vip, lapsed, newcomers", "-r", "profile of vip", "-r", "migration of lifecycle"])
    assert result.exit_code == 0, result.stderr
    OUTPUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("request", lambda req: requests.append(req.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        kinds = page.eval_on_selector_all("section.report", "els => els.map(e => e.dataset.kind)")
        tables = page.locator("table.data").count()
        charts = page.eval_on_selector_all(
            "figure.chart svg", "els => els.map(e => [e.closest('figure').className, e.getBBox().width,"
            " e.querySelectorAll('rect').length])")
        header = page.inner_text("header")
        page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)
        browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith("file:")] == []  # self-contained: no network
    assert kinds == ["value", "crosstab", "overlap", "profile", "migration"]
    assert tables >= 12
    assert {c[0] for c in charts} == {"chart bars", "chart heatmap"}
    assert len(charts) == 5 and all(width > 100 and rects > 3 for _, width, rects in charts)
    assert "2026-06-30" in header and str(demo_db) in header and str(dt.date.today().year) in header
    assert (OUTPUT / "report.png").stat().st_size > 50_000


def test_persona_cards_render_in_a_browser(demo_db, tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright
    from typer.testing import CliRunner

    from segdsl.tools.cli import app

    page_file = tmp_path / "persona.html"
    result = CliRunner().invoke(app, [
        "report", str(EXAMPLES / "psychographics.seg"), "--db", str(demo_db), "--as-of", "2026-06-30",
        "--format", "html", "--out", str(page_file)])
    assert result.exit_code == 0, result.stderr
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        kinds = page.eval_on_selector_all("section.report", "els => els.map(e => e.dataset.kind)")
        cards = page.eval_on_selector_all(
            "article.card", "els => els.map(e => [e.querySelector('h3').textContent, e.getBoundingClientRect().height,"
            " [...e.querySelectorAll('svg')].map(s => s.getBBox().width)])")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "persona.png"), full_page=True)
        browser.close()
    assert problems == []
    assert kinds == ["persona"]
    assert [c[0] for c in cards] == [f"needs: {x}" for x in ("delivery_speed", "advice", "low_price", "choice",
                                                             "no_clear_need")]
    assert all(height > 300 and len(widths) >= 2 and min(widths) > 100 for _, height, widths in cards)
