"""THE quantity grammar: text → SI value or range, for every face of wattlens.

CLI options, scenario files, claims files, web forms and ``wattlens equivalents``
all read numbers here, so ``5 mWh`` is 18 J, ``200m requests`` 2e8 and
``US$26.8m`` 26.8 million dollars wherever they are written.

A quantity is ``[qualifier] [currency] NUMBER [magnitude] [unit]``, or a range
of two such numbers, e.g. ``"500,000 kWh"``, ``"128.7万千瓦时"``,
``"2.5..2.9 Wh"``, ``"4.2–6.6亿立方米"``, ``"US$26.8m"``, ``"¥2亿"``,
``"2億元人民幣"``, ``"20%至25%"``, ``"about 6.4 million m³"``, ``"10K GPUs"``.

- **Units** come from pint (the unit library): SI prefixes with their case
  (``mWh`` milli, ``MWh`` mega), names and plurals (``megawatt hours``,
  ``miles``), products and powers (``kW·h``, ``m³``); ``KWh`` is read as kWh.
  pint was chosen over astropy (a large astronomy package), unyt and
  quantities (numpy-array types): it is the most used unit library on PyPI,
  maintained, pure Python, parses unit *text* with prefixes and plurals, and
  loads in about 0.3 s (+0.03 s for its cached registry) — only on the first
  unit looked up, never on ``import wattlens``. Our own words (:mod:`.words`)
  cover only what pint does not: magnitude words, Chinese numerals and units,
  currencies, count nouns, qualifiers, ranges and the field's conventions (a
  year of 365 days, ``kt`` the kilotonne, CO2e masses, FLOP counts).
- **Magnitudes**: ``thousand million billion trillion``, ``k K M mn mln B bn``;
  ``m b G T`` only where the value is a count or money (``200m requests``,
  ``US$26.8m``, a ``count`` field); ``十 百 千 万/萬 亿/億 兆`` and Chinese
  numerals (``两千万``, ``半``, ``二分之一``, ``百分之二十``).
- **Ranges**: ``LOW..HIGH``, ``LOW–HIGH``, ``LOW-HIGH``, ``LOW~HIGH``, ``LOW to
  HIGH``, ``LOW至HIGH``, ``LOW:HIGH``; a magnitude word written once applies to
  both ends.
- **Qualifiers** (``about``, ``over``, ``more than``, ``>``, ``约``, ``近``,
  ``多``, ``余``, ``幾乎``, ``將近`` …) are kept on the quantity, never applied.
- **Ambiguity** is an error naming both readings: ``5 m`` with no context
  (5 million or 5 metres), ``¥500`` (yuan or yen), ``5 tons`` (tonnes or short tons).

Base units: energy ``J``, time ``s``, volume ``L`` (the project's water unit),
mass ``g``, length ``m``, money ``currency:XXX`` (see :mod:`.dims`).
"""

from __future__ import annotations

from wattlens.quantity.dims import (
    AREA,
    DIMENSIONLESS,
    ENERGY,
    LENGTH,
    MASS,
    POWER,
    RATE,
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    TIME,
    VOLUME,
    VOLUME_PER_ENERGY,
    Dims,
    currency_dims,
    currency_of,
    dimension_name,
    dims_mul,
    dims_pow,
    si_unit,
)
from wattlens.quantity.fields import (
    parse_count,
    parse_count_span,
    parse_fraction,
    parse_input_tokens,
    parse_mfu,
    parse_range,
    parse_since,
    parse_span,
)
from wattlens.quantity.formatting import format_in_unit, format_number, uses_chinese
from wattlens.quantity.grammar import (
    HINT,
    KINDS,
    Quantity,
    QuantityError,
    Unit,
    parse,
    parse_quantity,
    parse_unit,
)
from wattlens.quantity.listing import accepted

__all__ = [
    "AREA",
    "DIMENSIONLESS",
    "ENERGY",
    "HINT",
    "KINDS",
    "LENGTH",
    "MASS",
    "POWER",
    "RATE",
    "SECONDS_PER_DAY",
    "SECONDS_PER_YEAR",
    "TIME",
    "VOLUME",
    "VOLUME_PER_ENERGY",
    "Dims",
    "Quantity",
    "QuantityError",
    "Unit",
    "accepted",
    "currency_dims",
    "currency_of",
    "dimension_name",
    "dims_mul",
    "dims_pow",
    "format_in_unit",
    "format_number",
    "parse",
    "parse_count",
    "parse_count_span",
    "parse_fraction",
    "parse_input_tokens",
    "parse_mfu",
    "parse_quantity",
    "parse_range",
    "parse_since",
    "parse_span",
    "parse_unit",
    "si_unit",
    "uses_chinese",
]
