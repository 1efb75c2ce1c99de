"""What the grammar accepts, as data: `wattlens units` prints it (and ``--json``)."""

from __future__ import annotations

from typing import Any

from wattlens.quantity.dims import dimension_name
from wattlens.quantity.words import (
    AMBIGUOUS_UNITS,
    CHINESE_BIG_UNITS,
    CHINESE_DIGITS,
    CHINESE_SMALL_UNITS,
    COUNT_ABBREVIATIONS,
    CURRENCY_PREFIXES,
    CURRENCY_WORDS,
    INNER_QUALIFIERS,
    LEADING_QUALIFIERS,
    MAGNITUDE_ABBREVIATIONS,
    MAGNITUDE_WORDS_EN,
    MAGNITUDE_WORDS_ZH,
    OWN_UNITS,
    RANGE_SEPARATORS,
    TRAILING_QUALIFIERS,
)


def accepted() -> dict[str, Any]:
    """Everything the quantity grammar reads, grouped (stable keys, for ``--json``)."""
    from wattlens.quantity.unitlib import LISTED_UNITS

    units = {dimension: list(words) for dimension, words in LISTED_UNITS.items()}
    for word, (_, dims) in OWN_UNITS.items():
        name = dimension_name(dims).split(" (")[0]
        name = "ratio" if name == "count" and "FLOP" not in word else name
        name = "count of operations" if "FLOP" in word else name
        units.setdefault(name, []).append(word)
    currencies: dict[str, list[str]] = {}
    for spelling, code in {**CURRENCY_PREFIXES, **CURRENCY_WORDS}.items():
        if code != "¥":
            currencies.setdefault(code, []).append(spelling)
    currencies.setdefault("CNY", []).append("¥ (with Chinese words; otherwise name CNY or JPY)")
    qualifiers: dict[str, list[str]] = {}
    for word, meaning in [*LEADING_QUALIFIERS, *TRAILING_QUALIFIERS, *INNER_QUALIFIERS.items()]:
        if word not in qualifiers.setdefault(meaning, []):
            qualifiers[meaning].append(word)
    return {
        "units": {
            dimension: list(dict.fromkeys(words)) for dimension, words in sorted(units.items())
        },
        "unit_library": "pint: SI prefixes are case-sensitive (mWh milli, MWh mega); "
        "plurals and names (megawatt hours, miles), products (kW·h) and powers (m³) work",
        "magnitudes": {
            "en": {**MAGNITUDE_WORDS_EN, **MAGNITUDE_ABBREVIATIONS},
            "en_counts_and_money": COUNT_ABBREVIATIONS,
            "zh": MAGNITUDE_WORDS_ZH,
            "zh_numerals": {
                **CHINESE_DIGITS,
                **CHINESE_SMALL_UNITS,
                **CHINESE_BIG_UNITS,
                "半": 0.5,
                "二分之一": 0.5,
                "百分之二十": 0.2,
            },
        },
        "currencies": {code: sorted(set(words)) for code, words in sorted(currencies.items())},
        "qualifiers": qualifiers,
        "ranges": {
            "separators": list(RANGE_SEPARATORS),
            "examples": ["2.5..2.9 Wh", "85–134 TWh", "20%至25%", "4.2–6.6亿立方米", "0.3:0.5"],
            "note": "a magnitude word written once applies to both ends",
        },
        "ambiguous": {
            "m": "million with a count or money (200m requests, US$26.8m), metre with a "
            "length; with no context an error",
            "¥": "yuan with Chinese words (¥2亿), otherwise an error naming CNY and JPY",
            **AMBIGUOUS_UNITS,
        },
        "dates": {
            "examples": ["2023年", "2023年4月", "2024年4月20日", "2024-04-20", "2019年到2021年"],
            "note": "a date is a calendar period, never a duration; a bare year (2023) is a "
            "date where a date is expected (kind 'date'); 3年 stays three years",
        },
        "vague": {
            "數億 / 数万 / 几十": "several: the range 1–9 times the magnitude (數億 = 1–9亿)"
        },
        "conventions": {
            "year": "365 days",
            "兆": "10^12 as a number (3兆元); the prefix mega in 兆瓦 and 兆瓦时",
        },
    }
