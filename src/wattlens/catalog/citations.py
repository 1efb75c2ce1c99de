"""Citations for the "sources" of a result: catalog row ids or source text, made readable.

A result names its sources as catalog row ids (``accelerators/nvidia-h100-sxm``),
serving-stack profiles (``serving_stacks/current``) or, in scenario files, free
text. :func:`cite` turns any of them into a :class:`Citation`: the text of the
source as the catalog states it, the year of the source, and a link.

A link is never made up. It is the first ``http(s)://`` address the text
contains or, when there is none, one the text names unambiguously: a DOI
(``doi:10.…`` → ``https://doi.org/10.…``), an arXiv identifier (``arXiv:2407.21783``
→ ``https://arxiv.org/abs/2407.21783``), a Hugging Face repository whose model
card or ``config.json`` is cited (``meta-llama/Llama-3.1-8B config.json`` →
``https://huggingface.co/meta-llama/Llama-3.1-8B``), a document the module knows by
its title (``_KNOWN_DOCUMENTS``: each address checked) or a ``github.com/OWNER/REPO``
path. A source that names none of these has no link.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["Citation", "cite", "link_parts"]

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s;,]+)", re.IGNORECASE)
_ARXIV = re.compile(r"\barXiv:\s*(\d{4}\.\d{4,5})(v\d+)?\b", re.IGNORECASE)
_HF_REPO = re.compile(
    r"(?<![\w./-])([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)\s+(?:model card|config\.json)\b"
)
_GITHUB = re.compile(r"(?<![\w./-])github\.com/([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")
# Documents some catalog sources cite by title only, with the address of the document
# itself, each checked against independent references to the same document.
_KNOWN_DOCUMENTS = (
    # Urs Hoelzle's post on the Official Google Blog, 11 Jan 2009.
    (
        "'Powering a Google search'",
        "https://googleblog.blogspot.com/2009/01/powering-google-search.html",
    ),
    # Luccioni, Viguier, Ligozat, JMLR 24(253), 2023: the journal's page of the paper.
    ("Estimating the Carbon Footprint of BLOOM", "https://jmlr.org/papers/v24/23-0069.html"),
)
# A year a source can carry (the catalog's bounds on ``year``), outside any address.
_YEAR = re.compile(r"(?<![\d.-])(19[5-9]\d|20\d\d)(?![\d])")
# A kind/id reference: a catalog kind (or serving_stacks) and a row id.
_ROW_ID = re.compile(r"^([a-z][a-z_]*)/([a-z0-9][a-z0-9._-]*)$")
# An address that ends a clause is dropped from the text (the link carries it) unless a
# preposition introduces it, where the sentence needs it to read ("… in https://…").
_PREPOSITIONS = frozenset({"in", "at", "from", "via", "see", "on", "of", "by", "to"})


@dataclass(frozen=True)
class Citation:
    """A source as a person reads it.

    Attributes:
        id: what was cited: a row id (``kind/id``) or the source text itself.
        text: the source's own words (without the address that :attr:`url` links to,
            where the address only ended the text).
        url: the source's address, or ``None`` when the source names none.
        year: the year of the source (the catalog row's ``year``; for free text, the
            latest year the text mentions), or ``None``.
    """

    id: str
    text: str
    url: str | None
    year: int | None


def _trim_url(url: str) -> str:
    """An address without the punctuation of the sentence around it."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _urls(text: str) -> list[tuple[int, int, str]]:
    """Every ``http(s)://`` address in ``text``: (start, end, address)."""
    found = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if "://" in url and len(url) > len(url.split("://", 1)[0]) + 3:
            found.append((match.start(), match.start() + len(url), url))
    return found


@functools.lru_cache(maxsize=4096)
def link_parts(text: str) -> tuple[tuple[str, str | None], ...]:
    """``text`` in pieces, each with the ``http(s)`` address it links to (or ``None``).

    Templates render the pieces with an ``<a>`` for each address, so text is always
    escaped and only ``http``/``https`` links are ever made.
    """
    parts: list[tuple[str, str | None]] = []
    last = 0
    for start, end, url in _urls(text):
        if start > last:
            parts.append((text[last:start], None))
        parts.append((url, url))
        last = end
    if last < len(text):
        parts.append((text[last:], None))
    return tuple(parts)


def _without(text: str, start: int, end: int) -> str:
    """``text`` without the address at ``start:end`` if it only ends a clause."""
    after = text[end:].lstrip()
    if after and after[0] not in ";,(":
        return text
    before = text[:start].rstrip()
    words = before.split()
    if words and words[-1].lower() in _PREPOSITIONS:
        return text
    before = before.rstrip(",;:").rstrip()
    if not before:
        return text
    # "X, URL, Y" reads "X, Y"; "X URL (Y)" and "X URL ; Y" keep their space.
    joined = before + after if after.startswith(",") else f"{before} {after}"
    return re.sub(r"\s{2,}", " ", joined).strip().rstrip(",;:").strip()


def _latest_year(text: str) -> int | None:
    bare = _URL.sub(" ", text)
    years = [int(y) for y in _YEAR.findall(bare)]
    return max(years) if years else None


def _named_link(text: str) -> str | None:
    """The address of a document ``text`` names without writing its address out."""
    if doi := _DOI.search(text):
        return "https://doi.org/" + _trim_url(doi.group(1))
    if arxiv := _ARXIV.search(text):
        return f"https://arxiv.org/abs/{arxiv.group(1)}{arxiv.group(2) or ''}"
    for title, url in _KNOWN_DOCUMENTS:
        if title.lower() in text.lower():
            return url
    if repo := _HF_REPO.search(text):
        return "https://huggingface.co/" + repo.group(1)
    if github := _GITHUB.search(text):
        return "https://github.com/" + _trim_url(github.group(1))
    return None


@functools.lru_cache(maxsize=4096)
def _from_text(text: str) -> tuple[str, str | None]:
    """The citation text and link of a source text."""
    urls = _urls(text)
    if urls:
        start, end, url = urls[0]
        return _without(text, start, end), url
    return text, _named_link(text)


@functools.cache
def _stack_rows() -> dict[str, list[dict[str, str]]]:
    """The rows of the serving-stack data file, by stack (the file the estimator reads)."""
    import csv
    from importlib import resources

    text = (resources.files("wattlens.formulas") / "data" / "serving_stacks.csv").read_text(
        encoding="utf-8"
    )
    rows: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(text.splitlines()):
        rows.setdefault(row["stack"], []).append(row)
    return rows


def _stack_citation(ref: str, name: str) -> Citation | None:
    rows = _stack_rows().get(name)
    if not rows:
        return None
    label = next((r["basis"] for r in rows if r["parameter"] == "label"), None)
    basis = "; ".join(sorted({r["source"] for r in rows if r["source"]}))
    what = f"serving stack {name!r}: {label}" if label else "serving-stack constants"
    text = f"{what}. Parameters from: {basis}"
    years = [int(r["year"]) for r in rows if r["year"].isdigit()]
    _, url = _from_text(basis)
    return Citation(ref, text, url, max(years) if years else None)


def _row_citation(ref: str, kind: str, row_id: str) -> Citation | None:
    from wattlens.catalog.loader import KINDS, get_catalog
    from wattlens.errors import WattlensError

    if kind not in KINDS:
        return None
    try:
        row = get_catalog().entry(kind, row_id).row
    except WattlensError:
        return None
    if row.id != row_id:  # matched by name or alias: not the row the id names
        return None
    text, url = _from_text(row.source)
    return Citation(ref, text, url, row.year)


def cite(source_text_or_id: str) -> Citation:
    """The citation of a catalog row id (``kind/id``), a serving-stack id or a source text.

    A row id resolves to the row's ``source`` and ``year`` (in the process-wide
    catalog, user rows included); an id that names no row is cited as it is,
    without a link. Any other text is cited as written, with the link it
    contains or names (see the module documentation).
    """
    ref = " ".join(source_text_or_id.split())
    if match := _ROW_ID.match(ref):
        kind, row_id = match.groups()
        if kind == "serving_stacks":
            found = _stack_citation(ref, row_id)
        else:
            found = _row_citation(ref, kind, row_id)
        return found or Citation(ref, ref, None, None)
    return _text_citation(ref)


@functools.lru_cache(maxsize=4096)
def _text_citation(ref: str) -> Citation:
    text, url = _from_text(ref)
    return Citation(ref, text, url, _latest_year(ref))
