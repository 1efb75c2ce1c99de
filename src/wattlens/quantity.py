"""Parse quantities as published: ``"500,000 kWh"``, ``"128.7万千瓦时"``, ``"4.2–6.6亿立方米"``.

A :class:`Quantity` is a value (or a ``low``–``high`` range) in SI base units
with its dimension, plus what was written (the magnitude words and the unit),
so that messages can quote the text back. The functions here are pure.

Base units: energy ``J``, time ``s``, volume ``L`` (the project's water unit),
mass ``g``, length ``m``, money ``currency:XXX`` (ISO code, one base per
currency: converting needs an exchange rate). Counts (requests, households,
``倍`` / times, FLOP) are dimensionless; their word is kept as a label.

Magnitude words: ``十 百 千 万/萬 亿/億`` (``万亿`` = 1e12), ``thousand million
billion trillion`` and ``k M B bn mn`` before a space, ``/`` or the end.
Ranges: ``4.2–6.6亿``, ``10-50``, ``10~50``, ``10 to 50``, ``10至50``; a magnitude
word written once applies to both ends. Qualifiers (``>``, ``~``, ``about``,
``more than``, ``约``, ``超过``, ``以上`` …) are kept, not applied. A year is
365 days, as the articles that multiply by 365 assume.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from wattlens.errors import InputValueError

#: A dimension: sorted ``(base, exponent)`` pairs; ``()`` is dimensionless.
Dims = tuple[tuple[str, int], ...]

DIMENSIONLESS: Dims = ()
ENERGY: Dims = (("J", 1),)
TIME: Dims = (("s", 1),)
POWER: Dims = (("J", 1), ("s", -1))
VOLUME: Dims = (("L", 1),)
MASS: Dims = (("g", 1),)
LENGTH: Dims = (("m", 1),)

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY

_HINT = (
    "write a number with a unit, e.g. '500,000 kWh', '128.7万千瓦时', '4.2–6.6亿立方米', "
    "'US$0.147/kWh', '500 mL per 50 questions' or a bare count like '117 households'"
)


def currency_dims(code: str) -> Dims:
    """The dimension of an amount of money in one currency (``"CNY"`` → ``currency:CNY``)."""
    return ((f"currency:{code}", 1),)


def dims_mul(a: Dims, b: Dims, sign: int = 1) -> Dims:
    """Multiply dimensions (``sign=-1`` divides)."""
    exponents = dict(a)
    for base, exp in b:
        exponents[base] = exponents.get(base, 0) + sign * exp
    return tuple(sorted((k, v) for k, v in exponents.items() if v != 0))


def dims_pow(a: Dims, power: int) -> Dims:
    """Raise a dimension to an integer power."""
    return tuple(sorted((k, v * power) for k, v in a if v * power != 0))


_DIM_NAMES: dict[Dims, str] = {
    DIMENSIONLESS: "count",
    ENERGY: "energy",
    TIME: "time",
    POWER: "power (energy per time)",
    VOLUME: "volume",
    MASS: "mass",
    LENGTH: "length",
    (("L", 1), ("s", -1)): "volume per time",
    (("s", -1),): "rate (per time)",
    (("J", 1), ("m", -1)): "energy per length",
}


def dimension_name(dims: Dims) -> str:
    """A word for a dimension (``energy``, ``currency:CNY per time``) or its base units."""
    if dims in _DIM_NAMES:
        return _DIM_NAMES[dims]
    money = [b for b, e in dims if b.startswith("currency:") and e == 1]
    if len(money) == 1:
        rest = dims_mul(dims, ((money[0], 1),), -1)
        if rest == DIMENSIONLESS:
            return money[0]
        if rest in ((("s", -1),), (("J", -1),)):
            return f"{money[0]} per {'time' if rest == (('s', -1),) else 'energy'}"
    return si_unit(dims)


def si_unit(dims: Dims) -> str:
    """The base units of a dimension as text: ``J/s``, ``currency:CNY/J``, ``1`` for counts."""
    if not dims:
        return "1"
    num = [b if e == 1 else f"{b}^{e}" for b, e in dims if e > 0]
    den = [b if e == -1 else f"{b}^{-e}" for b, e in dims if e < 0]
    text = "·".join(num) or "1"
    if den:
        text += "/" + "/".join(den)
    return text


@dataclass(frozen=True)
class Unit:
    """A parsed unit: the SI factor of one of it, its dimension and the text as written."""

    factor: float
    dims: Dims
    text: str


def _u(factor: float, dims: Dims) -> tuple[float, Dims]:
    return (factor, dims)


_KWH = 3.6e6
# Case-sensitive symbols (SI prefixes differ by case: mW vs MW).
_SYMBOLS: dict[str, tuple[float, Dims]] = {
    "J": _u(1.0, ENERGY), "kJ": _u(1e3, ENERGY), "MJ": _u(1e6, ENERGY),
    "GJ": _u(1e9, ENERGY), "TJ": _u(1e12, ENERGY), "PJ": _u(1e15, ENERGY),
    "mWh": _u(3.6, ENERGY), "Wh": _u(3600.0, ENERGY), "kWh": _u(_KWH, ENERGY),
    "MWh": _u(_KWH * 1e3, ENERGY), "GWh": _u(_KWH * 1e6, ENERGY),
    "TWh": _u(_KWH * 1e9, ENERGY), "PWh": _u(_KWH * 1e12, ENERGY),
    "mW": _u(1e-3, POWER), "W": _u(1.0, POWER), "kW": _u(1e3, POWER),
    "MW": _u(1e6, POWER), "GW": _u(1e9, POWER), "TW": _u(1e12, POWER),
    "mL": _u(1e-3, VOLUME), "ml": _u(1e-3, VOLUME), "L": _u(1.0, VOLUME),
    "l": _u(1.0, VOLUME), "kL": _u(1e3, VOLUME), "ML": _u(1e6, VOLUME),
    "m3": _u(1e3, VOLUME), "km3": _u(1e12, VOLUME),
    "mg": _u(1e-3, MASS), "g": _u(1.0, MASS), "kg": _u(1e3, MASS), "t": _u(1e6, MASS),
    "kt": _u(1e9, MASS), "Mt": _u(1e12, MASS), "Gt": _u(1e15, MASS),
    "gCO2e": _u(1.0, MASS), "kgCO2e": _u(1e3, MASS), "tCO2e": _u(1e6, MASS),
    "m": _u(1.0, LENGTH), "km": _u(1e3, LENGTH),
    "s": _u(1.0, TIME), "min": _u(60.0, TIME), "h": _u(3600.0, TIME),
    "d": _u(SECONDS_PER_DAY, TIME), "yr": _u(SECONDS_PER_YEAR, TIME),
    "FLOP": _u(1.0, DIMENSIONLESS), "kFLOP": _u(1e3, DIMENSIONLESS),
    "MFLOP": _u(1e6, DIMENSIONLESS), "GFLOP": _u(1e9, DIMENSIONLESS),
    "TFLOP": _u(1e12, DIMENSIONLESS), "PFLOP": _u(1e15, DIMENSIONLESS),
    "%": _u(0.01, DIMENSIONLESS), "x": _u(1.0, DIMENSIONLESS), "×": _u(1.0, DIMENSIONLESS),
}  # fmt: skip

# Words, matched case-insensitively; English plurals ending in "s" also match.
_WORDS: dict[str, tuple[float, Dims]] = {
    "joule": _u(1.0, ENERGY), "watt-hour": _u(3600.0, ENERGY),
    "kilowatt-hour": _u(_KWH, ENERGY), "kilowatt hour": _u(_KWH, ENERGY),
    "megawatt-hour": _u(_KWH * 1e3, ENERGY), "gigawatt-hour": _u(_KWH * 1e6, ENERGY),
    "terawatt-hour": _u(_KWH * 1e9, ENERGY), "watt": _u(1.0, POWER),
    "kilowatt": _u(1e3, POWER), "megawatt": _u(1e6, POWER), "gigawatt": _u(1e9, POWER),
    "litre": _u(1.0, VOLUME), "liter": _u(1.0, VOLUME), "millilitre": _u(1e-3, VOLUME),
    "milliliter": _u(1e-3, VOLUME), "cubic metre": _u(1e3, VOLUME),
    "cubic meter": _u(1e3, VOLUME), "gallon": _u(3.785411784, VOLUME),
    "tonne": _u(1e6, MASS), "gram": _u(1.0, MASS), "kilogram": _u(1e3, MASS),
    "second": _u(1.0, TIME), "minute": _u(60.0, TIME), "hour": _u(3600.0, TIME),
    "hr": _u(3600.0, TIME), "day": _u(SECONDS_PER_DAY, TIME), "week": _u(7 * SECONDS_PER_DAY, TIME),
    "year": _u(SECONDS_PER_YEAR, TIME), "gpu-hour": _u(3600.0, TIME),
    "gpu hour": _u(3600.0, TIME), "accelerator-hour": _u(3600.0, TIME),
    "percent": _u(0.01, DIMENSIONLESS), "times": _u(1.0, DIMENSIONLESS),
    # Chinese (simplified and traditional): 度 is the everyday word for kWh.
    "度": _u(_KWH, ENERGY), "千瓦时": _u(_KWH, ENERGY), "千瓦時": _u(_KWH, ENERGY),
    "瓦时": _u(3600.0, ENERGY), "瓦時": _u(3600.0, ENERGY),
    "兆瓦时": _u(_KWH * 1e3, ENERGY), "兆瓦時": _u(_KWH * 1e3, ENERGY),
    "吉瓦时": _u(_KWH * 1e6, ENERGY), "吉瓦時": _u(_KWH * 1e6, ENERGY),
    "太瓦时": _u(_KWH * 1e9, ENERGY), "太瓦時": _u(_KWH * 1e9, ENERGY),
    "焦耳": _u(1.0, ENERGY), "瓦": _u(1.0, POWER), "千瓦": _u(1e3, POWER),
    "兆瓦": _u(1e6, POWER), "吉瓦": _u(1e9, POWER),
    "毫升": _u(1e-3, VOLUME), "升": _u(1.0, VOLUME), "立方米": _u(1e3, VOLUME),
    "克": _u(1.0, MASS), "千克": _u(1e3, MASS), "公斤": _u(1e3, MASS),
    "吨": _u(1e6, MASS), "噸": _u(1e6, MASS),
    "秒": _u(1.0, TIME), "分钟": _u(60.0, TIME), "分鐘": _u(60.0, TIME),
    "小时": _u(3600.0, TIME), "小時": _u(3600.0, TIME), "天": _u(SECONDS_PER_DAY, TIME),
    "日": _u(SECONDS_PER_DAY, TIME), "周": _u(7 * SECONDS_PER_DAY, TIME),
    "年": _u(SECONDS_PER_YEAR, TIME), "倍": _u(1.0, DIMENSIONLESS),
}  # fmt: skip

# Count nouns: dimensionless, kept as a label. The last word of a phrase decides
# ("US households", "Olympic pools"); Chinese measure words stand alone.
_COUNT_NOUNS = {
    "household", "home", "request", "query", "queries", "search", "searches", "question",
    "answer", "response", "prompt", "interaction", "pool", "parameter", "param", "token",
    "server", "gpu", "chip", "car", "person", "people", "user", "bit", "operation", "op",
    "flops", "country", "countries", "unit", "item", "bottle",
}  # fmt: skip
_CN_COUNT = {
    "次", "个", "個", "户", "戶", "家庭", "人", "台", "张", "張", "问题", "問題", "请求", "請求",
    "回答", "搜索", "查询", "查詢", "游泳池", "泳池", "参数", "參數", "服务器", "伺服器",
}  # fmt: skip
_CN_MEASURE = ("个", "個", "次", "户", "戶", "台", "座", "张", "張")

_CURRENCY_WORDS: dict[str, str] = {
    "USD": "USD", "US$": "USD", "$": "USD", "美元": "USD", "RMB": "CNY", "CNY": "CNY",
    "元": "CNY", "人民币": "CNY", "人民幣": "CNY", "人民币元": "CNY", "EUR": "EUR", "€": "EUR",
    "欧元": "EUR", "歐元": "EUR", "GBP": "GBP", "£": "GBP", "JPY": "JPY", "日元": "JPY",
}  # fmt: skip
_CURRENCY_PREFIXES = ("US$", "USD", "RMB", "CNY", "EUR", "GBP", "JPY", "$", "€", "£")

_MAGNITUDES: dict[str, float] = {
    "十": 1e1, "百": 1e2, "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8,
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
}  # fmt: skip
# Abbreviations count only before a space, "/" or the end ("5k requests", not "5 kWh").
_MAGNITUDE_ABBREVIATIONS: dict[str, float] = {
    "k": 1e3, "M": 1e6, "mn": 1e6, "mln": 1e6, "B": 1e9, "bn": 1e9,
}  # fmt: skip

_LEADING_QUALIFIERS: list[tuple[str, str]] = sorted(
    [
        (">=", "at least"), ("≥", "at least"), ("<=", "at most"), ("≤", "at most"),
        (">", "more than"), ("<", "less than"), ("~", "about"), ("≈", "about"),
        ("more than", "more than"), ("over", "more than"), ("at least", "at least"),
        ("at most", "at most"), ("up to", "up to"), ("less than", "less than"),
        ("under", "less than"), ("about", "about"), ("around", "about"),
        ("approximately", "about"), ("approx.", "about"), ("nearly", "about"),
        ("almost", "about"), ("some", "about"), ("约", "about"), ("約", "about"),
        ("大约", "about"), ("大約", "about"), ("近", "about"), ("超过", "more than"),
        ("超過", "more than"), ("逾", "more than"), ("高达", "up to"), ("高達", "up to"),
        ("至少", "at least"), ("不到", "less than"),
    ],
    key=lambda item: -len(item[0]),
)  # fmt: skip
_TRAILING_QUALIFIERS: list[tuple[str, str]] = [
    ("以上", "at least"), ("多", "more than"), ("左右", "about"), ("以下", "at most"),
    ("or more", "at least"), ("+", "at least"),
]  # fmt: skip

_CJK = re.compile(r"[\u3400-\u9fff]+")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+")
_RANGE_SEP = re.compile(r"\s*(?:–|—|-|~|to|至|到)\s*")
_PER = re.compile(r"\s*/\s*|\s+per\s+|\s+a\s+(?=(?:day|year|week|hour)\b)|每")


@dataclass(frozen=True)
class Quantity:
    """A value or range in SI base units, with its dimension and what was written.

    Attributes:
        low: Lower end in SI base units (equal to ``high`` for a point value).
        high: Upper end in SI base units.
        dims: The dimension (see :data:`Dims`).
        text: The text as given.
        unit: The unit as written (``"千瓦时/天"``, ``"kWh"``; ``""`` for a bare number).
        unit_factor: SI value of one ``unit`` (to express other values in it).
        magnitude: The magnitude words as written (``"万"``, ``"亿"``, ``"million"``).
        qualifier: ``"more than"``, ``"about"``, ``"at least"`` … or ``None``.
    """

    low: float
    high: float
    dims: Dims
    text: str
    unit: str = ""
    unit_factor: float = 1.0
    magnitude: str = ""
    qualifier: str | None = None

    @property
    def value(self) -> float:
        """The central value: the value itself, or the midpoint of a range."""
        return (self.low + self.high) / 2

    @property
    def is_range(self) -> bool:
        """Whether a range was written."""
        return self.low != self.high

    @property
    def dimension(self) -> str:
        """A word for the dimension (``energy``, ``count``, ``currency:CNY``)."""
        return dimension_name(self.dims)

    def in_unit(self, value_si: float) -> float:
        """Express an SI value in this quantity's written unit."""
        return value_si / self.unit_factor


def _fail(text: str, why: str) -> InputValueError:
    return InputValueError(f"cannot parse {text!r} as a quantity: {why}", hint=_HINT)


def _strip_prefix(text: str, options: list[tuple[str, str]]) -> tuple[str, str | None]:
    lowered = text.casefold()
    for word, meaning in options:
        if lowered.startswith(word.casefold()):
            rest = text[len(word) :]
            # A word qualifier must end at a word boundary ("over 5", not "overt").
            if word[-1].isascii() and word[-1].isalpha() and rest[:1].isalpha():
                continue
            return rest.lstrip(), meaning
    return text, None


def _strip_currency(text: str) -> tuple[str, str | None]:
    for prefix in _CURRENCY_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip(), _CURRENCY_WORDS[prefix]
    return text, None


def _magnitudes(text: str) -> tuple[str, float, str]:
    """Consume magnitude words after a number; stop where a unit begins."""
    factor, words = 1.0, []
    rest = text
    while True:
        stripped = rest.lstrip()
        if not stripped or _starts_with_unit(stripped):
            break
        for word, value in _MAGNITUDES.items():
            if stripped.casefold().startswith(word):
                after = stripped[len(word) :]
                if word.isascii() and after[:1].isalpha():
                    continue
                factor *= value
                words.append(stripped[: len(word)])
                rest = after
                break
        else:
            match = re.match(r"(mln|mn|bn|[kMB])(?=\s|/|$)", stripped)
            if not match:
                break
            factor *= _MAGNITUDE_ABBREVIATIONS[match.group(1)]
            words.append(match.group(1))
            rest = stripped[match.end() :]
    sep = "" if all(not w.isascii() for w in words) else " "
    return rest, factor, sep.join(words)


def _starts_with_unit(text: str) -> bool:
    """Whether a Chinese unit word starts here (so that 千瓦时 is not 千 + 瓦时)."""
    return any(text.startswith(w) for w in _WORDS if not w.isascii() and len(w) > 1)


def _number(text: str, original: str) -> tuple[float, str]:
    match = _NUMBER.match(text)
    if not match:
        raise _fail(original, f"expected a number at {text[:20]!r}" if text else "no number")
    return float(match.group(0).replace(",", "")), text[match.end() :]


def _term(text: str, original: str) -> tuple[float, Dims, str | None]:
    """One unit term: a symbol, a word, a currency or a count noun (factor, dims, currency)."""
    term = text.strip()
    if term in _SYMBOLS:
        return (*_SYMBOLS[term], None)
    if term in _CURRENCY_WORDS:
        return (1.0, currency_dims(_CURRENCY_WORDS[term]), _CURRENCY_WORDS[term])
    lowered = term.casefold()
    candidates = [lowered]
    if lowered.endswith("s"):
        candidates.append(lowered[:-1])
    for candidate in candidates:
        if candidate in _WORDS:
            return (*_WORDS[candidate], None)
    bare = term[1:] if len(term) > 1 and term.startswith(_CN_MEASURE) else term
    if bare in _CN_COUNT or (bare.endswith(("家庭", "泳池")) and _CJK.fullmatch(bare)):
        return (1.0, DIMENSIONLESS, None)
    words = re.split(r"[\s-]+", lowered)
    if term and all(re.fullmatch(r"[a-z][a-z.']*", w) for w in words):
        last = words[-1]
        if last in _COUNT_NOUNS or last.rstrip("s") in _COUNT_NOUNS or last[:-2] in _COUNT_NOUNS:
            return (1.0, DIMENSIONLESS, None)
    raise _fail(original, f"unknown unit {term!r}")


def parse_unit(text: str, *, original: str | None = None) -> Unit:
    """Parse a unit expression: ``kWh/day``, ``RMB/kWh``, ``mL per 50 questions``, ``千瓦时/天``.

    Terms are divided by ``/``, ``per``, ``a`` (``kWh a day``) or ``每``; a term
    after the first may start with a number (``per 50 questions``).

    Raises:
        InputValueError: The unit (or a term of it) is not known.
    """
    source = text if original is None else original
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        return Unit(1.0, DIMENSIONLESS, "")
    parts = _PER.split(normal)
    factor, dims = 1.0, DIMENSIONLESS
    for index, raw_part in enumerate(parts):
        part = raw_part.strip()
        count = 1.0
        if index > 0:
            if not part:
                raise _fail(source, "nothing after '/' or 'per'")
            match = _NUMBER.match(part)
            if match:
                count = float(match.group(0).replace(",", ""))
                part = part[match.end() :].strip()
                if count <= 0:
                    raise _fail(source, "a divisor must be positive")
        elif not part:
            continue
        term_factor, term_dims, _ = _term(part, source) if part else (1.0, DIMENSIONLESS, None)
        if index == 0:
            factor, dims = term_factor, term_dims
        else:
            factor /= term_factor * count
            dims = dims_mul(dims, term_dims, -1)
    return Unit(factor, dims, text.strip())


def _strip_trailing_qualifier(text: str) -> tuple[str, str | None]:
    for word, meaning in _TRAILING_QUALIFIERS:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)].rstrip(), meaning
    return text, None


def parse_quantity(text: str | float) -> Quantity:
    """Parse a published quantity into SI base units.

    Examples: ``"500,000 kWh"``, ``"128.7万千瓦时"``, ``"2亿元"``, ``"4.2–6.6亿立方米"``,
    ``"0.3 Wh"``, ``"500 mL"``, ``"1,287 MWh"``, ``"US$0.147"``, ``"RMB 1.06/kWh"``,
    ``">17,000 times"``, ``"117 US households"``, ``"50萬千瓦時/天"``.

    Args:
        text: The quantity as written (a bare number is a count).

    Returns:
        The parsed :class:`Quantity`.

    Raises:
        InputValueError: The text is not a number with a known unit; the message quotes it.
    """
    if isinstance(text, bool):
        raise _fail(str(text), "a boolean is not a quantity")
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise _fail(str(text), "not a finite number")
        return Quantity(float(text), float(text), DIMENSIONLESS, str(text))
    original = text
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        raise _fail(original, "it is empty")
    rest, qualifier = _strip_prefix(normal, _LEADING_QUALIFIERS)
    rest, trailing = _strip_trailing_qualifier(rest)
    qualifier = qualifier or trailing
    rest, currency = _strip_currency(rest)
    low, rest = _number(rest, original)
    rest, low_factor, low_words = _magnitudes(rest)
    high, high_factor, high_words = low, low_factor, low_words
    sep = _RANGE_SEP.match(rest)
    if sep and (after := _strip_currency(rest[sep.end() :])[0]) and _NUMBER.match(after):
        high, rest = _number(after, original)
        rest, high_factor, high_words = _magnitudes(rest)
        if not high_words:
            high_factor, high_words = low_factor, low_words
        elif not low_words:
            low_factor, low_words = high_factor, high_words
    low, high = low * low_factor, high * high_factor
    if low > high:
        raise _fail(original, "the low end of the range is above the high end")
    unit_text = rest.strip()
    unit = parse_unit(unit_text, original=original)
    factor, dims = unit.factor, unit.dims
    if currency is not None:
        dims = dims_mul(dims, currency_dims(currency))
        unit_text = f"{currency}{unit_text}" if unit_text.startswith("/") else unit_text
        if unit_text == "":
            unit_text = currency
    magnitude = low_words if low_words == high_words else f"{low_words}/{high_words}"
    values = (low * factor, high * factor)
    if not all(math.isfinite(v) for v in values):
        raise _fail(original, "the number is too large")
    return Quantity(
        low=values[0],
        high=values[1],
        dims=dims,
        text=original,
        unit=unit_text,
        unit_factor=factor,
        magnitude=magnitude,
        qualifier=qualifier,
    )


def uses_chinese(quantity: Quantity) -> bool:
    """Whether a quantity was written with Chinese magnitude words or units."""
    return bool(_CJK.search(quantity.magnitude + quantity.unit))


def format_number(
    value: float, *, chinese: bool = False, traditional: bool = False, digits: int = 4
) -> str:
    """Format a number for people: ``1,287,000``, ``2.500e-05`` or ``128.7万`` / ``1.935亿``.

    Args:
        value: The number.
        chinese: Use 万 and 亿 from 10,000 up.
        traditional: Write them 萬 and 億.
        digits: Significant digits.
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if chinese and magnitude >= 1e4:
        wan, yi = ("萬", "億") if traditional else ("万", "亿")
        unit, word = (1e8, yi) if magnitude >= 1e8 else (1e4, wan)
        return f"{value / unit:.{digits}g}{word}"
    if 1e-3 <= magnitude < 1e12:
        rounded = float(f"{value:.{digits}g}")
        if rounded == int(rounded):
            return f"{int(rounded):,}"
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
        return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")
    return f"{value:.{digits - 1}e}"


def format_in_unit(low_si: float, high_si: float, quantity: Quantity) -> str:
    """Express an SI value or range in the unit a quantity was written in."""
    chinese = uses_chinese(quantity)
    traditional = bool(re.search("[萬億時個們]", quantity.magnitude + quantity.unit))
    unit = quantity.unit
    sep = "" if (chinese or not unit or unit.startswith("/")) else " "
    low = format_number(quantity.in_unit(low_si), chinese=chinese, traditional=traditional)
    if low_si == high_si:
        return f"{low}{sep}{unit}"
    high = format_number(quantity.in_unit(high_si), chinese=chinese, traditional=traditional)
    return f"{low}–{high}{sep}{unit}"
