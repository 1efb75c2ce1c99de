"""Dashboard and report pages: sources as citations with links, the serving-stack field."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import RUNS, Seeded
from wattlens.estimate.stacks import stack_names
from wattlens.report import run_report
from wattlens.report.render import jinja_environment
from wattlens.web.app import create_app

H100_DATASHEET = "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"
INFERENCE = "/estimate/inference?model=llama-3.1-8b&output_tokens=400&accelerator=H100+SXM"


class Links(HTMLParser):
    """Every ``<a>`` of a document: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append((dict(attrs), []))

    def handle_data(self, data: str) -> None:
        for _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            attrs, text = self._open.pop()
            self.links.append((attrs, "".join(text)))


def _links(fragment: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Links()
    parser.feed(fragment)
    return parser.links


def _sources(page: str) -> str:
    found = re.search(r'<ul class="sources" data-testid="sources">(.*?)</ul>', page, re.S)
    assert found is not None, "the page lists no sources"
    return found.group(1)


@pytest.fixture
def client(seeded: Seeded) -> TestClient:
    return TestClient(create_app(seeded.url), raise_server_exceptions=False)


def _assert_h100_cited(sources: str, *, catalog_link: bool) -> None:
    links = _links(sources)
    datasheet = [attrs for attrs, _ in links if attrs.get("href") == H100_DATASHEET]
    assert datasheet, links
    assert all(attrs.get("rel") == "noopener noreferrer" for attrs in datasheet)
    assert "NVIDIA H100 Tensor Core GPU datasheet (Technical Specifications table)" in sources
    # The id is no longer the whole entry: it follows the citation.
    assert "<li><code>accelerators/nvidia-h100-sxm</code></li>" not in sources
    to_catalog = [a for a, _ in links if a.get("href") == "/catalog/accelerators/nvidia-h100-sxm"]
    assert bool(to_catalog) is catalog_link


def test_estimate_page_cites_its_sources_with_links(client: TestClient) -> None:
    page = client.get(INFERENCE + "&location=FR")
    assert page.status_code == 200
    sources = _sources(page.text)
    _assert_h100_cited(sources, catalog_link=True)
    assert "https://arxiv.org/abs/2407.21783" in sources  # the model's paper
    assert "serving stack &#39;current&#39;" in sources


def test_run_page_and_run_report_cite_their_sources(client: TestClient) -> None:
    page = client.get(f"/runs/{RUNS[0].run_id}")
    assert page.status_code == 200
    _assert_h100_cited(_sources(page.text), catalog_link=True)
    # The offline report has no dashboard to link the row to.
    _assert_h100_cited(_sources(run_report(RUNS[0])), catalog_link=False)


def test_catalog_pages_link_each_rows_source(client: TestClient) -> None:
    row = client.get("/catalog/accelerators/nvidia-h100-sxm").text
    assert [a for a, _ in _links(row) if a.get("href") == H100_DATASHEET]
    listing = client.get("/catalog/accelerators").text
    hrefs = [a.get("href") for a, _ in _links(listing)]
    assert H100_DATASHEET in hrefs
    assert sum(1 for h in hrefs if h and h.startswith("https://")) >= 20


def test_a_hostile_source_text_is_escaped_and_links_only_http() -> None:
    hostile = (
        "Evil <script>alert(1)</script> javascript:alert(2) "
        'https://example.org/x?a=1&b="><img src=x onerror=alert(3)>'
    )
    out = (
        jinja_environment()
        .from_string('{% from "_macros.html" import citation %}{{ citation(s) }}')
        .render(s=hostile)
    )
    assert "<script>" not in out
    assert "<img" not in out
    assert "&lt;script&gt;" in out
    links = _links(out)
    assert [a["href"] for a, _ in links] == ["https://example.org/x?a=1&b="]
    assert all(a["rel"] == "noopener noreferrer" for a, _ in links)


# -- the serving stack -----------------------------------------------------------------------------
def _p50(page: str) -> float:
    found = re.search(r'data-testid="energy-raw"[^>]*data-p50="([^"]+)"', page)
    assert found is not None
    return float(found.group(1))


def _stack_shown(page: str) -> str:
    found = re.search(r'<b data-testid="stack-value">(.*?)</b>', page)
    assert found is not None, "the result does not say which serving stack it used"
    return html.unescape(found.group(1))


def test_the_estimate_form_offers_every_serving_stack_unknown_first(client: TestClient) -> None:
    page = client.get("/estimate").text
    select = re.search(r'<select name="stack">(.*?)</select>', page, re.S)
    assert select is not None
    values = re.findall(r'<option value="([^"]+)"', select.group(1))
    assert values == list(stack_names())
    assert values[0] == "unknown"
    assert re.search(r'<option value="unknown" selected>', select.group(1))


def test_the_serving_stack_changes_the_estimate_and_is_shown(client: TestClient) -> None:
    older = client.get(INFERENCE + "&batch=64&stack=older")
    current = client.get(INFERENCE + "&batch=64&stack=current")
    unknown = client.get(INFERENCE + "&batch=64")
    assert older.status_code == current.status_code == unknown.status_code == 200
    # An older engine generation is slower per step at the same batch: more energy per request.
    assert _p50(older.text) > 1.2 * _p50(current.text)
    assert _stack_shown(older.text) == "older"
    assert _stack_shown(current.text) == "current"
    assert _stack_shown(unknown.text).startswith("unknown:")
    assert '<option value="older" selected>' in older.text
    api = client.get("/api/estimate/inference?" + older.url.query.decode()).json()
    assert api["energy_j"]["p50"] == _p50(older.text)


def test_an_unknown_serving_stack_is_a_form_error(client: TestClient) -> None:
    page = client.get(INFERENCE + "&stack=tensorrt-9")
    assert page.status_code == 400
    assert "unknown serving stack" in page.text
    assert 'data-testid="error-hint"' in page.text
