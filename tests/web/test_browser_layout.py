"""Every dashboard page fits a laptop (1280 px) and a phone (400 px) screen, in real Chromium.

The page itself must never scroll sideways (a wide data table scrolls inside its
own box) and the navigation bar wraps instead of running off the screen or
stacking its links on top of each other. The server and browser are the ones of
``test_e2e.py`` (Debian's ``chromium`` driven by Playwright).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.web.conftest import ARTIFACTS, RUNS
from tests.web.test_e2e import HOUR_RUN, Server, launch_chromium
from wattlens.store import Store

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    os.environ.get("WATTLENS_SKIP_BROWSER") == "1",
    reason="WATTLENS_SKIP_BROWSER=1: the dashboard's browser tests were asked to be skipped",
)
SHOTS = ARTIFACTS / "web-layout"
VIEWPORTS = {"laptop": (1280, 800), "phone": (400, 800)}
PAGES = {
    "runs": "/runs",
    "run": f"/runs/{HOUR_RUN.run_id}",
    "run-modelled": f"/runs/{RUNS[2].run_id}",
    "compare": f"/compare?ids={RUNS[0].run_id}&ids={RUNS[1].run_id}",
    "estimate": "/estimate",
    "estimate-inference": "/estimate/inference?model=llama-3.1-70b&output_tokens=400"
    "&accelerator=H100+SXM&location=FR&stack=older",
    "estimate-training": "/estimate/training?accelerator=H100+SXM&params=405B&tokens=15.6T",
    "estimate-error": "/estimate/training?accelerator=H1000&count=1024&days=30",
    "scenarios": "/scenarios",
    "catalog": "/catalog",
    "catalog-accelerators": "/catalog/accelerators",
    "catalog-prices-yearly": "/catalog/prices_yearly",
    "catalog-row": "/catalog/accelerators/nvidia-h100-sxm",
}
# The scenario whose yearly table (six columns of p50 with p5-p95) was wider than 1280 px.
WIDE_SCENARIO = "chatgpt-2025"

# What sticks out of the window, for the failure message.
_LAYOUT = """() => {
  const width = window.innerWidth;
  const out = [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('svg') && e.getBoundingClientRect().right > width + 0.5
                 && !e.closest('.table-scroll'))
    .slice(0, 8)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
              + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '')
              + ' right=' + Math.round(e.getBoundingClientRect().right));
  return {scroll: document.scrollingElement.scrollWidth, width: width, out: out};
}"""
_NAV = """() => [...document.querySelectorAll('nav.top a')].map(a => {
  const r = a.getBoundingClientRect();
  return {text: a.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          width: r.width, height: r.height};
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('layout') / 'runs.sqlite'}"
    with Store(url) as store:
        for run in (*RUNS, HOUR_RUN):
            store.save(run)
    with Server(url) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_chromium("browser tests", SHOTS)


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def _settle(page: Page) -> None:
    """Wait until every chart is drawn (or failed): charts resize the page when they draw."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart')]"
        ".every(f => f.dataset.drawn === 'true' || f.dataset.error || f.closest('[hidden]'))"
    )


def _assert_fits(page: Page, name: str) -> None:
    width = page.evaluate("() => window.innerWidth")
    layout: dict[str, Any] = page.evaluate(_LAYOUT)
    page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    assert layout["scroll"] <= layout["width"], (
        f"{name} at {width} px scrolls sideways to {layout['scroll']} px: {layout['out']}"
    )
    links: list[dict[str, Any]] = page.evaluate(_NAV)
    assert [link["text"] for link in links] == [
        "wattlens", "Runs", "Estimate", "Scenarios", "Catalog", "API",
    ]  # fmt: skip
    for link in links:
        assert link["width"] > 0
        assert link["height"] > 0
        assert link["left"] >= 0
        assert link["right"] <= width, f"nav link {link['text']!r} runs off the screen: {link}"
    for i, a in enumerate(links):
        for b in links[i + 1 :]:
            apart = (
                a["right"] <= b["left"] or b["right"] <= a["left"]
                or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            )  # fmt: skip
            assert apart, f"nav links {a['text']!r} and {b['text']!r} overlap: {a}, {b}"


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_the_screen(server: Server, page: Page, name: str) -> None:
    response = page.goto(server.base + PAGES[name])
    assert response is not None
    assert response.status == (400 if name == "estimate-error" else 200)
    _settle(page)
    _assert_fits(page, name)


def test_scenario_results_fit_the_screen(server: Server, page: Page) -> None:
    page.goto(server.base + "/scenarios")
    page.fill("input[name=samples]", "2000")
    page.select_option("select[name=example]", WIDE_SCENARIO)
    page.wait_for_selector("[data-testid=result][data-state=done]", timeout=120_000)
    _settle(page)
    _assert_fits(page, f"scenario-{WIDE_SCENARIO}")
    rows = page.locator("table[data-testid=yearly] tbody tr")
    assert rows.count() == 3
    # The p5-p95 range sits under the p50, so six such columns fit a laptop screen.
    energy = rows.first.locator("td[data-field=energy]")
    assert energy.locator(".range").count() == 1
    width = page.evaluate("() => window.innerWidth")
    table_box: dict[str, float] = page.evaluate(
        "() => { const b = document.querySelector('table[data-testid=yearly]')"
        ".closest('.table-scroll').getBoundingClientRect(); return {right: b.right}; }"
    )
    assert table_box["right"] <= width
    if width >= 1280:  # on a laptop nothing needs to scroll, not even the table
        assert page.evaluate(
            "() => { const s = document.querySelector('table[data-testid=yearly]')"
            ".closest('.table-scroll'); return s.scrollWidth <= s.clientWidth; }"
        )


def test_html_report_fits_a_phone(browser: Browser, tmp_path: Path) -> None:
    from wattlens import estimate
    from wattlens.report import estimate_report

    e = estimate.inference(
        model="llama-3.1-8b", output_tokens=400, accelerator="H100 SXM", location="FR"
    )
    path = tmp_path / "report.html"
    path.write_text(estimate_report(e, title="Inference estimate"), encoding="utf-8")
    context = browser.new_context(viewport={"width": 400, "height": 800}, offline=True)
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_function(
            "() => document.querySelectorAll('figure.chart .main-svg').length >= "
            "document.querySelectorAll('figure.chart').length"
        )
        layout = page.evaluate(_LAYOUT)
        page.screenshot(path=SHOTS / "report-estimate-400.png", full_page=True)
        assert layout["scroll"] <= layout["width"], layout
        link = page.locator("ul.sources a[href^='https://resources.nvidia.com/']").first
        assert link.get_attribute("rel") == "noopener noreferrer"
    finally:
        context.close()


def test_the_stack_field_in_the_browser(server: Server, page: Page) -> None:
    page.goto(server.base + "/estimate")
    form = page.locator("form[data-testid=form-inference]")
    assert form.locator("select[name=stack]").input_value() == "unknown"
    form.locator("input[name=model]").fill("llama-3.1-8b")
    form.locator("input[name=output_tokens]").fill("400")
    form.locator("input[name=accelerator]").fill("H100 SXM")
    form.locator("select[name=stack]").select_option("older")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=result]")
    assert "stack=older" in page.url
    assert page.locator("[data-testid=stack-value]").inner_text() == "older"
    assert form.locator("select[name=stack]").input_value() == "older"
    citation = page.locator("ul.sources [data-source='serving_stacks/older']")
    assert "older engine generation" in citation.inner_text()
    _settle(page)
    _assert_fits(page, "estimate-stack")
