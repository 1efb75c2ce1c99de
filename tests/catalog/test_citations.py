"""Citations of sources: catalog row ids and source text made readable, links never invented."""

from __future__ import annotations

import dataclasses
import re

import pytest

from wattlens.catalog import KINDS, get_catalog
from wattlens.catalog.citations import _KNOWN_DOCUMENTS, Citation, cite, link_parts


def test_an_accelerator_row_cites_its_datasheet_with_its_year() -> None:
    c = cite("accelerators/nvidia-h100-sxm")
    assert c == Citation(
        id="accelerators/nvidia-h100-sxm",
        text="NVIDIA H100 Tensor Core GPU datasheet (Technical Specifications table)",
        url="https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet",
        year=2023,
    )


def test_a_model_row_links_its_arxiv_paper() -> None:
    row = get_catalog().get("models", "llama-3.1-8b")
    c = cite("models/llama-3.1-8b")
    assert c.url == "https://arxiv.org/abs/2407.21783"
    assert c.text == row.source  # nothing to drop: the link is derived, not written out
    assert c.year == row.year == 2024


def test_a_model_card_links_its_hugging_face_repository() -> None:
    c = cite("models/gpt-2-small")
    assert c.url == "https://huggingface.co/openai-community/gpt2"
    assert c.text.startswith("openai-community/gpt2 model card")


def test_a_doi_links_through_doi_org() -> None:
    c = cite("equivalents/chatgpt-request-devries-2023")
    assert c.url == "https://doi.org/10.1016/j.joule.2023.09.004"
    assert c.year == 2023


def test_an_address_that_ends_a_clause_leaves_the_text_and_keeps_the_rest() -> None:
    c = cite("equivalents/household-us")
    assert c.url == "https://www.eia.gov/tools/faqs/faq.php?id=97&t=3"
    assert c.text == (
        "U.S. EIA FAQ 'How much electricity does an American home use?' (last updated 7 Oct 2021)"
    )
    price = cite("prices/de")
    assert price.url == "https://ec.europa.eu/eurostat/databrowser/view/nrg_pc_205/default/table"
    assert "https://" not in price.text
    assert price.text.endswith("currency=EUR, unit=KWH")


def test_an_address_the_sentence_needs_stays_in_the_text_and_is_linked() -> None:
    c = cite("equivalents/country-electricity-fr")
    assert c.url == "https://github.com/ember-climate/ember-data-api"
    assert "in https://github.com/ember-climate/ember-data-api (commit 02ce82d" in c.text
    links = [href for _, href in link_parts(c.text) if href]
    assert links == [
        "https://github.com/ember-climate/ember-data-api",
        "https://ember-energy.org/data/yearly-electricity-data/",
    ]


def test_a_document_cited_by_title_links_the_document() -> None:
    c = cite("equivalents/web-search-google-2009")
    assert c.url == "https://googleblog.blogspot.com/2009/01/powering-google-search.html"
    assert c.year == 2009


def test_a_source_that_names_no_address_has_no_link() -> None:
    row = get_catalog().get("water", "onsite-microsoft")
    c = cite("water/onsite-microsoft")
    assert c.url is None
    assert c.text == row.source
    assert c.text == "Microsoft 2025 Environmental Sustainability Report, datacenter water (p. 35)"
    assert c.year == 2025


def test_a_serving_stack_cites_the_data_its_profile_was_fitted_on() -> None:
    c = cite("serving_stacks/current")
    assert c.text.startswith("serving stack 'current': current optimised engine")
    assert "ML.ENERGY leaderboard v3.0" in c.text
    assert c.year is not None
    assert c.year >= 2023


@pytest.mark.parametrize(
    "ref", ["accelerators/no-such-chip", "serving_stacks/no-such-stack", "nokind/x"]
)
def test_an_id_that_names_no_row_is_cited_as_it_is(ref: str) -> None:
    assert cite(ref) == Citation(ref, ref, None, None)


def test_an_alias_is_not_taken_for_a_row_id() -> None:
    # "h100" is an alias of nvidia-h100-sxm, not its id: a source names rows by id.
    assert cite("accelerators/h100").url is None


def test_free_text_keeps_its_words_and_takes_its_latest_year() -> None:
    text = (
        "Josh You, Epoch AI Gradient Updates (Feb 2025) 'How much energy does ChatGPT use?': "
        "~0.3 Wh per typical GPT-4o query, revisiting a 2023 estimate"
    )
    c = cite(text)
    assert c == Citation(text, text, None, 2025)


def test_free_text_address_loses_the_sentence_punctuation() -> None:
    c = cite("A table (at https://example.org/a_(b)/c.pdf).")
    assert c.url == "https://example.org/a_(b)/c.pdf"
    assert c.text == "A table (at https://example.org/a_(b)/c.pdf)."
    c = cite("A report, see https://example.org/r.pdf")
    assert (c.text, c.url) == (
        "A report, see https://example.org/r.pdf",
        "https://example.org/r.pdf",
    )
    c = cite("A report (2021), https://example.org/r.pdf")
    assert (c.text, c.url, c.year) == ("A report (2021)", "https://example.org/r.pdf", 2021)


def test_only_http_addresses_become_links() -> None:
    text = "javascript:alert(1) data:text/html,<b>x</b> ftp://example.org/f"
    assert link_parts(text) == ((text, None),)
    assert cite(text).url is None


def test_citations_are_frozen() -> None:
    c = cite("accelerators/nvidia-h100-sxm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.url = "https://example.org"  # type: ignore[misc]


def _derived_from(url: str, source: str) -> bool:
    """``url`` is written in ``source`` or spelled out by an identifier ``source`` names."""
    if url in source:
        return True
    for title, known in _KNOWN_DOCUMENTS:
        if url == known:
            return title.lower() in source.lower()
    for prefix, pattern in (
        ("https://doi.org/", r"doi:\s*{}"),
        ("https://arxiv.org/abs/", r"arXiv:\s*{}"),
        ("https://huggingface.co/", r"(?<![\w./-]){}\s+(?:model card|config\.json)"),
        ("https://github.com/", r"github\.com/{}"),
    ):
        if url.startswith(prefix):
            return re.search(pattern.format(re.escape(url[len(prefix) :])), source) is not None
    return False


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_shipped_row_is_cited_with_its_year_and_no_invented_link(kind: str) -> None:
    for entry in get_catalog().entries(kind):
        row = entry.row
        c = cite(f"{kind}/{row.id}")
        assert c.year == row.year
        assert c.text
        assert c.text in row.source or c.url is not None  # only the linked address is dropped
        if c.url is not None:
            assert re.fullmatch(r"https?://[^\s<>\"]+", c.url), c.url
            assert _derived_from(c.url, row.source), (row.id, c.url)


def test_most_shipped_sources_have_a_link() -> None:
    sources = {e.row.source for kind in KINDS for e in get_catalog().entries(kind)}
    linked = sum(cite(s).url is not None for s in sources)
    assert linked / len(sources) > 0.95
