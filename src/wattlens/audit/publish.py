"""Reports to publish: an audit as Markdown or as one self-contained HTML page.

Each claim shows the text as published, the stated value, the recomputation with
its expression, inputs and their sources (citations become links: URLs, DOIs,
arXiv ids), the verdict and the size of the discrepancy. The HTML page loads
nothing from the network: its style is inline and it has no scripts.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wattlens.audit.auditor import AuditReport, ClaimResult

_LINKS = re.compile(
    r"(?P<url>https?://[^\s)\]>,;]+[^\s)\]>,;.])"
    r"|(?P<doi>doi:\s?(?P<doi_id>10\.\d{4,9}/[^\s,;)]+[^\s,;).]))"
    r"|(?P<arxiv>arXiv:\s?(?P<arxiv_id>\d{4}\.\d{4,5}))",
    re.IGNORECASE,
)


def _href(match: re.Match[str]) -> str:
    if match.group("url"):
        return match.group("url")
    if match.group("doi"):
        return f"https://doi.org/{match.group('doi_id')}"
    return f"https://arxiv.org/abs/{match.group('arxiv_id')}"


def _md_escape(text: str) -> str:
    return re.sub(r"([|*_`\[\]<>])", r"\\\1", text)


def _md_links(text: str) -> str:
    """Citation text with its URLs, DOIs and arXiv ids as Markdown links."""
    out, last = [], 0
    for match in _LINKS.finditer(text):
        out.append(_md_escape(text[last : match.start()]))
        out.append(f"[{_md_escape(match.group(0))}]({_href(match)})")
        last = match.end()
    out.append(_md_escape(text[last:]))
    return "".join(out)


def _html_links(text: str) -> str:
    out, last = [], 0
    for match in _LINKS.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f'<a href="{html.escape(_href(match))}">{html.escape(match.group(0))}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def verdict_label(result: ClaimResult) -> str:
    """``unit error (10^4)`` / ``misquote`` / ``consistent`` …"""
    judgement = result.judgement or result.quote
    label = result.verdict
    if result.verdict == "unit error" and judgement is not None and judgement.slip:
        label += f" ({judgement.slip})"
    return label


def discrepancy_text(result: ClaimResult) -> str:
    """The size of the gap: ``+3.4 %``, ``×0.0001``, ``2.0 years`` or empty."""
    judgement = result.judgement or result.quote
    if judgement is None or judgement.discrepancy is None:
        return ""
    if judgement.ratio is None:
        return f"{abs(judgement.discrepancy):.1f} years" if judgement.discrepancy else "0"
    if judgement.end and judgement.slip:
        size = "small" if judgement.slip_direction == "stated too small" else "large"
        return f"{judgement.end} end {judgement.slip} too {size}"
    ratio = judgement.ratio
    if 0.5 <= ratio <= 2:
        return f"{judgement.discrepancy:+.1%}"
    from wattlens.units import format_sig

    return f"×{format_sig(ratio)}"


def _summary(report: AuditReport) -> str:
    return ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items() if n)


def to_markdown(reports: list[AuditReport]) -> str:
    """The audit of one or more claims files as a Markdown report."""
    lines: list[str] = []
    for report in reports:
        title = report.title or report.file
        lines += [f"# Audit: {_md_escape(title)}", ""]
        meta = [f"file `{report.file}`", f"tolerance {report.tolerance:.0%}"]
        if report.date:
            meta.append(f"article date {report.date}")
        if report.source:
            meta.insert(0, _md_links(report.source))
        lines += [" · ".join(meta), "", f"**{len(report.results)} claims:** {_summary(report)}"]
        lines += [
            "",
            "| claim | stated | recomputed | discrepancy | verdict |",
            "|---|---|---|---|---|",
        ]
        for r in report.results:
            lines.append(
                f"| [{_md_escape(r.claim.id)}](#{r.claim.id.lower()}) "
                f"| {_md_escape(r.claim.stated.text)} | {_md_escape(r.recomputed_text()) or '—'} "
                f"| {discrepancy_text(r) or '—'} | **{verdict_label(r)}** |"
            )
        lines.append("")
        for r in report.results:
            lines += _md_claim(r)
    return "\n".join(lines).rstrip() + "\n"


def _md_claim(r: ClaimResult) -> list[str]:
    claim = r.claim
    out = [f"## {claim.id}", "", f"**{verdict_label(r)}**", "", f"> {_md_escape(claim.text)}"]
    if claim.text_en:
        out += [">", f"> {_md_escape(claim.text_en)}"]
    out += ["", f"- stated: {_md_escape(claim.stated.text)}"]
    if r.recomputed is not None:
        out.append(f"- recomputed: `{claim.recompute}` = {_md_escape(r.recomputed_text())}")
    if claim.quoted_as is not None:
        out.append(
            f"- the cited source ({_md_links(claim.cited or '')}) says: "
            f"{_md_escape(claim.quoted_as.text)}"
        )
    if discrepancy_text(r):
        out.append(f"- discrepancy: {discrepancy_text(r)} (stated ÷ recomputed − 1)")
    if r.sources:
        out.append("- inputs and sources:")
        out += [f"  - {_md_links(source)}" for source in r.sources]
    out += ["", _md_escape(r.explanation), ""]
    return out


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}blockquote{margin:.5rem 0;padding-left:1rem;
border-left:3px solid #ccc;color:#444}code{background:#f4f4f4;padding:0 .2rem}
.consistent{color:#176b2c}.unit-error,.inconsistent,.misquote{color:#b00020;font-weight:bold}
.unverifiable{color:#8a6d00}section{border-top:1px solid #ddd;margin-top:1.5rem}
"""


def to_html(reports: list[AuditReport]) -> str:
    """The audit as one self-contained HTML page (inline style, no scripts, no network)."""
    body: list[str] = []
    for report in reports:
        title = html.escape(report.title or report.file)
        body.append(f"<h1>Audit: {title}</h1>")
        meta = [
            f"file <code>{html.escape(report.file)}</code>",
            f"tolerance {report.tolerance:.0%}",
        ]
        if report.date:
            meta.append(f"article date {html.escape(report.date)}")
        if report.source:
            meta.insert(0, _html_links(report.source))
        body.append(f"<p>{' · '.join(meta)}</p>")
        body.append(
            f"<p><strong>{len(report.results)} claims:</strong> {html.escape(_summary(report))}</p>"
        )
        rows = "".join(
            f'<tr><td><a href="#{html.escape(r.claim.id)}">{html.escape(r.claim.id)}</a></td>'
            f"<td>{html.escape(r.claim.stated.text)}</td>"
            f"<td>{html.escape(r.recomputed_text()) or '—'}</td>"
            f"<td>{html.escape(discrepancy_text(r)) or '—'}</td>"
            f'<td class="{r.verdict.replace(" ", "-")}">{html.escape(verdict_label(r))}</td></tr>'
            for r in report.results
        )
        body.append(
            "<table><tr><th>claim</th><th>stated</th><th>recomputed</th>"
            f"<th>discrepancy</th><th>verdict</th></tr>{rows}</table>"
        )
        body += [_html_claim(r) for r in report.results]
    title = html.escape(reports[0].title or reports[0].file) if reports else "Audit"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>Audit: {title}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def _html_claim(r: ClaimResult) -> str:
    claim = r.claim
    parts = [
        f'<section id="{html.escape(claim.id)}"><h2>{html.escape(claim.id)} '
        f'<span class="{r.verdict.replace(" ", "-")}">{html.escape(verdict_label(r))}</span></h2>',
        f"<blockquote>{html.escape(claim.text)}"
        + (f"<br>{html.escape(claim.text_en)}" if claim.text_en else "")
        + "</blockquote><ul>",
        f"<li>stated: {html.escape(claim.stated.text)}</li>",
    ]
    if r.recomputed is not None:
        parts.append(
            f"<li>recomputed: <code>{html.escape(claim.recompute or '')}</code> = "
            f"{html.escape(r.recomputed_text())}</li>"
        )
    if claim.quoted_as is not None:
        parts.append(
            f"<li>the cited source ({_html_links(claim.cited or '')}) says: "
            f"{html.escape(claim.quoted_as.text)}</li>"
        )
    if discrepancy_text(r):
        parts.append(f"<li>discrepancy: {html.escape(discrepancy_text(r))}</li>")
    if r.sources:
        items = "".join(f"<li>{_html_links(s)}</li>" for s in r.sources)
        parts.append(f"<li>inputs and sources:<ul>{items}</ul></li>")
    parts.append(f"</ul><p>{html.escape(r.explanation)}</p></section>")
    return "".join(parts)
