"""Audit published claims: recompute each one and say whether it holds.

A claims file (YAML) lists claims as published — the text in any language,
the value and unit as stated — and how to recompute each from other claims,
named inputs (published figures with their source), catalog constants and
wattlens models. For every claim the audit gives the recomputed value, the
ratio ``stated ÷ recomputed`` and a verdict:

``consistent``
    the stated value agrees with the recomputed one within the tolerance: a point
    within it (or inside a recomputed range), a range at **both** ends, a qualified
    value as a bound (``>2500`` needs at least 2,500, less 5 % for rounding), a date
    when the periods overlap (2023 is not 2021);
``unit error``
    it does not, but it would after a slip of 10^1 … 10^9 in either direction, and the
    slip is named: billion ↔ 亿 (10×), million ↔ 万 (100×), 万 ↔ 亿 (10^4), a dropped
    万, thousand or kWh ↔ MWh (10^3) …; one end of a range may slip alone;
``misquote``
    the claim disagrees with the source it cites (``source:`` and ``quoted_as:``)
    while its arithmetic holds, or repeats the source's number with another meaning;
``inconsistent``
    it is off and no such slip explains it;
``unverifiable``
    the file gives nothing to recompute or quote it from.

A claim may carry ``date:`` (when the figure was true or published): with the file's
``date:`` (the article's) a figure older than ``stale_after_years`` (5) is named as
stale. ``as_of:`` (default: the year of ``date:``, else the article's) picks the year of
the catalog's yearly series (``cat("grids", "us")`` reads ``grids_yearly``,
``cat("prices", "de")`` reads ``prices_yearly``; the nearest year when the series does not
reach it, said in the source; the current row when there is no year at all).

Values are read by the one quantity grammar of wattlens (:mod:`wattlens.quantity`,
listed by ``wattlens units``), as CLI options and scenario files are: ``5 mWh``
is 18 J, ``200m requests`` 2e8, ``US$26.8m`` 26.8 million dollars; a claim has
no other context, so ``5 m`` (million or metres?) is an error naming both.

The file format::

    title: ChatGPT一年电费高达2亿元 …          # optional
    source: TMTPost, 20 April 2024, https://…  # optional: the article audited
    date: 2024-04-20                             # optional: the article's date
    tolerance: 15%                               # default 15 %; a fraction or "N%"
    inputs:                                      # published figures used as inputs
      devries_requests:
        value: 1.95亿
        unit: requests/day
        source: de Vries (2023) Joule 7(10), doi:10.1016/j.joule.2023.09.004
    claims:
      - id: C02_energy                           # a Python-style name, unique
        text: 其电量消耗高达每天50万千瓦时          # as published
        text_en: ChatGPT uses ~500,000 kWh a day  # optional
        value: 50万                               # as stated (number, or text with unit)
        unit: 千瓦时/天                             # optional when value carries it
        recompute: devries_requests * cat("equivalents", "chatgpt-request-devries-2023")
        tolerance: 20%                           # optional, this claim only
        sources: [de Vries (2023) …]
        source: de Vries (2023)                  # optional: whom the article cites …
        quoted_as: 564 MWh/day                   # … and what that source says
        date: 2023                               # optional: the figure's date
        as_of: 2023                              # optional: year of catalog series
        kind: energy                             # optional (``date`` reads 2023 as a year)
        note: optional remark shown with the verdict

Recompute expressions are parsed with :mod:`ast` and evaluated by a small
interpreter (never ``eval``): numbers, ``+ - * / **``, parentheses, names
and these functions:

- a claim id: that claim's *stated* value (``recomputed(ID)`` for its recomputed
  value); an input id: the input's value;
- ``q("365 d")``: a literal quantity, parsed like a stated value;
- ``cat("kind", "name")`` or ``cat("kind", "name", "field")``: a catalog value
  with its unit (``equivalents`` → ``value`` in its ``unit``; ``prices`` →
  ``price_local_per_kwh``; ``exchange_rates`` → ``usd_per_unit`` in USD per unit;
  ``accelerators`` / ``cpus`` → ``tdp_w``; ``grids`` → ``co2e_g_per_kwh``;
  ``water`` → ``l_per_kwh``; ``pue`` → ``pue``; ``models`` → ``params_total``);
- ``training_energy(accelerator=…, count=…, days=… | accelerator_hours=…, pue=…,
  boundary=…)``: the wattlens training model's p5–p95 energy (p50 central);
- ``landauer(kelvin)``: the Landauer bound k·T·ln 2 in joules per bit erased.

The package: :mod:`~wattlens.audit.verdict` (verdicts), :mod:`~wattlens.audit.values`
(values with units and ranges), :mod:`~wattlens.audit.claims_file` (the file's schema),
:mod:`~wattlens.audit.expressions` (the expression compiler and lookups),
:mod:`~wattlens.audit.auditor` (the audit and its explanations),
:mod:`~wattlens.audit.publish` (Markdown and HTML reports) and
:mod:`~wattlens.audit.extract` (an article's text to a draft claims file).
"""

from __future__ import annotations

from wattlens.audit.auditor import AuditReport, ClaimResult, audit, audit_claims
from wattlens.audit.claims_file import (
    CLAIM_KINDS,
    Claim,
    ClaimsFile,
    ClaimsFileError,
    InputFigure,
    Path_,
    Problem,
    Tolerance,
    load_claims,
    parse_claims,
)
from wattlens.audit.values import Value
from wattlens.audit.verdict import (
    DEFAULT_TOLERANCE,
    SLIP_POWERS,
    VERDICTS,
    Judgement,
    judge,
)
from wattlens.physics import BOLTZMANN_J_PER_K

__all__ = [
    "BOLTZMANN_J_PER_K",
    "CLAIM_KINDS",
    "DEFAULT_TOLERANCE",
    "SLIP_POWERS",
    "VERDICTS",
    "AuditReport",
    "Claim",
    "ClaimResult",
    "ClaimsFile",
    "ClaimsFileError",
    "InputFigure",
    "Judgement",
    "Path_",
    "Problem",
    "Tolerance",
    "Value",
    "audit",
    "audit_claims",
    "judge",
    "load_claims",
    "parse_claims",
]
