"""Chinese numerals: ``两千万``, ``十亿``, ``一亿三千万``, ``半``, ``二分之一``, ``百分之二十``."""

from __future__ import annotations

import re

from wattlens.quantity.words import (
    CHINESE_BIG_UNITS,
    CHINESE_DIGITS,
    CHINESE_SMALL_UNITS,
    OWN_UNITS,
)

NUMERAL_CHARS = "".join([*CHINESE_DIGITS, *CHINESE_SMALL_UNITS, *CHINESE_BIG_UNITS])
_RUN = re.compile(f"[{NUMERAL_CHARS}]+")
_FRACTION = re.compile(rf"([{NUMERAL_CHARS}]+|\d+)分之([{NUMERAL_CHARS}]+|\d+(?:\.\d+)?)")
# Unit words that begin with a numeral character (千瓦时 is 千瓦 + 时, not 千 + 瓦时).
_UNIT_START = re.compile(
    "|".join(sorted((w for w in OWN_UNITS if w[:1] in NUMERAL_CHARS and len(w) > 1), key=len))
)


def starts_with_unit(text: str) -> bool:
    """Whether a Chinese unit word that begins with a numeral character starts here."""
    return text[:1] in NUMERAL_CHARS and _UNIT_START.match(text) is not None


def numeral_value(run: str) -> float:
    """The value of a run of Chinese numeral characters (``一亿三千万`` → 130,000,000)."""
    total, section, largest = 0.0, 0.0, 0.0
    digit: int | None = None
    for char in run:
        if char in CHINESE_DIGITS:
            digit = CHINESE_DIGITS[char]
        elif char in CHINESE_SMALL_UNITS:
            section += (1 if digit is None else digit) * CHINESE_SMALL_UNITS[char]
            digit = None
        else:
            big = CHINESE_BIG_UNITS[char]
            section += digit or 0
            digit = None
            if big > largest:
                total, largest = (total + section) * big, big
            else:
                total += section * big
            section = 0.0
    return total + section + (digit or 0)


def _plain(text: str) -> float:
    return float(text) if text[0].isdigit() else numeral_value(text)


def match_number(text: str) -> tuple[float, str] | None:
    """A Chinese number at the start of ``text``: its value and the rest, or None."""
    fraction = _FRACTION.match(text)
    if fraction:
        denominator = _plain(fraction.group(1))
        if denominator > 0:
            return _plain(fraction.group(2)) / denominator, text[fraction.end() :]
    for half in ("一半", "半"):
        if text.startswith(half):
            return 0.5, text[len(half) :]
    run = _RUN.match(text)
    if run is None:
        return None
    end = next((i for i in range(run.end()) if starts_with_unit(text[i:])), run.end())
    if end == 0:
        return None
    return numeral_value(text[:end]), text[end:]
