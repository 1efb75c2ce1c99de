"""The grammar: text → :class:`Quantity` (SI value or range, dimension, qualifier).

A quantity is ``[qualifier] [currency] NUMBER [magnitude] [unit] [(sep) NUMBER
[magnitude]] [unit] [qualifier]``; see :mod:`wattlens.quantity` for the words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from wattlens.errors import InputValueError
from wattlens.quantity import chinese
from wattlens.quantity.dims import (
    DATE,
    DIMENSIONLESS,
    ENERGY,
    VOLUME_PER_ENERGY,
    Dims,
    currency_dims,
    currency_of,
    dimension_name,
    dims_mul,
)
from wattlens.quantity.words import (
    AMBIGUOUS_UNITS,
    CN_COUNT_NOUNS,
    CN_MEASURE_WORDS,
    CN_SEVERAL,
    COUNT_ABBREVIATIONS,
    COUNT_NOUNS,
    CURRENCY_PREFIXES,
    CURRENCY_WORDS,
    INNER_QUALIFIERS,
    LEADING_QUALIFIERS,
    MAGNITUDE_ABBREVIATIONS,
    MAGNITUDE_WORDS_EN,
    MAGNITUDE_WORDS_ZH,
    OWN_UNITS,
    TRAILING_QUALIFIERS,
    YEN_OR_YUAN,
)

HINT = (
    "write a number with a unit, e.g. '500,000 kWh', '128.7万千瓦时', '2.5..2.9 Wh', "
    "'US$26.8m', '200m requests', '0.147 USD/kWh' or a bare count like '117 households' "
    "(`wattlens units` lists what is accepted)"
)

#: The contexts a caller may give (``kind=``) and the dimension each expects.
KINDS: dict[str, Dims | None] = {
    "count": DIMENSIONLESS,
    "fraction": DIMENSIONLESS,
    "energy": ENERGY,
    "power": (("J", 1), ("s", -1)),
    "time": (("s", 1),),
    "volume": (("L", 1),),
    "mass": (("g", 1),),
    "length": (("m", 1),),
    "area": (("m", 2),),
    "rate": (("s", -1),),
    "volume_per_energy": VOLUME_PER_ENERGY,
    "money": None,  # any one currency
    "price": None,  # one currency per energy
    "date": DATE,
}
#: Contexts where ``m``, ``b``, ``G``, ``T`` are magnitudes (million, billion, trillion).
COUNT_CONTEXTS = frozenset({"count", "money", "price"})

_CJK = re.compile(r"[\u3400-\u9fff]")
_ISO_CODE = re.compile(r"[A-Z]{3}")
_NUMBER = re.compile(
    r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+(?:[eE][+-]?\d+)?"
)
_BOUNDARY = r"(?=$|[\s/.–—~～:+\-)]|[\u3400-\u9fff])"
_EN_MAGNITUDE = re.compile(
    rf"(thousand|million|billion|trillion|mln|mn|bn|[kKMB]|[mbGgTt]){_BOUNDARY}", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"\s*(?:\.\.|–|—|~|～|:|\bto\b|至|到|-)\s*"
    rf"(?=(?:US\$|HK\$|NT\$|[$€£¥])?\s*[+-]?(?:\d|\.\d|[{chinese.NUMERAL_CHARS}半]))"
)
# ``10^8`` (the number is then 10) or ``3×10^8``.
_POWER_OF_TEN = re.compile(r"(?:(\s*[×x*]\s*10))?\s*\^\s*([+-]?\d{1,3})")
_DATE_ZH = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号號])?)?")
_DATE_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_SEVERAL = re.compile(rf"([{''.join(CN_SEVERAL)}])(?=[{''.join(MAGNITUDE_WORDS_ZH)}])")
_GLOSS = re.compile(r"(.+?)\s*[(（]([^()（）]+)[)）]")
_PER = re.compile(r"\s*/\s*|(?:^|\s+)per\s+|\s+a\s+(?=(?:day|year|week|hour|month)\b)|每")


@dataclass(frozen=True)
class Quantity:
    """A value or range in SI base units, with its dimension and what was written.

    Attributes:
        low: Lower end in SI base units (equal to ``high`` for a point value).
        high: Upper end in SI base units.
        dims: The dimension (see :mod:`wattlens.quantity.dims`).
        text: The text as given.
        unit: The unit as written (``"千瓦时/天"``, ``"kWh"``; ``""`` for a bare number).
        unit_factor: SI value of one ``unit`` (to express other values in it).
        magnitude: The magnitude words as written (``"万"``, ``"亿"``, ``"million"``).
        qualifier: ``"more than"``, ``"about"``, ``"at least"`` … or ``None`` (never applied).
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

    @property
    def currency(self) -> str | None:
        """The ISO code of an amount of money or a price (``None`` otherwise)."""
        money = [b for b, e in self.dims if b.startswith("currency:") and e == 1]
        return money[0].removeprefix("currency:") if len(money) == 1 else None

    @property
    def span(self) -> tuple[float, float]:
        """``(low, high)`` in SI units."""
        return (self.low, self.high)

    def in_unit(self, value_si: float) -> float:
        """Express an SI value in this quantity's written unit."""
        return value_si / self.unit_factor


class QuantityError(InputValueError):
    """Text that is not a quantity (or not the one asked for); ``code`` says which problem.

    Codes: ``empty``, ``no_number``, ``unknown_unit``, ``missing_unit``, ``wrong_dimension``,
    ``ambiguous``, ``reversed``, ``not_finite``, ``bad_divisor``.
    """

    def __init__(
        self, text: str, reason: str, *, code: str, what: str = "value", hint: str = HINT
    ) -> None:
        subject = "a quantity" if what == "value" else what
        super().__init__(f"cannot parse {text!r} as {subject}: {reason}", hint=hint)
        self.text = text
        self.reason = reason
        self.code = code
        self.what = what


@dataclass(frozen=True)
class Unit:
    """A parsed unit: the SI factor of one of it, its dimension and the text as written."""

    factor: float
    dims: Dims
    text: str
    #: ``"unit"``, ``"count"`` (a count noun), ``"currency"`` or ``"ratio"`` (%, x, times).
    label: str = "unit"


# -- units ---------------------------------------------------------------------------------------
def _count_noun(term: str) -> bool:
    bare = term[1:] if len(term) > 1 and term.startswith(CN_MEASURE_WORDS) else term
    if bare in CN_COUNT_NOUNS or (bare.endswith(("家庭", "泳池")) and _CJK.match(bare)):
        return True
    words = re.split(r"[\s-]+", term.casefold())
    if term and all(re.fullmatch(r"[a-z][a-z.']*", w) for w in words):
        last = words[-1]
        return last in COUNT_NOUNS or last.rstrip("s") in COUNT_NOUNS or last[:-2] in COUNT_NOUNS
    return False


def _term(term: str, original: str, *, any_iso_code: bool = False) -> tuple[float, Dims, str]:
    """One unit term: (SI factor, dimension, label); ``any_iso_code`` reads SEK as money."""
    from wattlens.quantity.unitlib import UnknownUnitError, lookup

    own = OWN_UNITS.get(term)
    if own is None and len(term) >= 4 and term.isalpha():
        own = OWN_UNITS.get(term.lower())
    if own is not None:
        label = "ratio" if own[1] == DIMENSIONLESS and "FLOP" not in term else "unit"
        return own[0], own[1], label
    code = CURRENCY_WORDS.get(term) or CURRENCY_WORDS.get(term.lower())
    if code is not None:
        return 1.0, currency_dims(code), "currency"
    if term.casefold() in AMBIGUOUS_UNITS:
        raise QuantityError(
            original,
            f"{term!r} is ambiguous: {AMBIGUOUS_UNITS[term.casefold()]}",
            code="ambiguous",
        )
    if _count_noun(term):
        return 1.0, DIMENSIONLESS, "count"
    try:
        factor, dims = lookup(term)
    except UnknownUnitError as exc:
        if any_iso_code and not exc.ambiguous and _ISO_CODE.fullmatch(term):
            return 1.0, currency_dims(term), "currency"  # an ISO 4217 code: SEK, INR
        code = "ambiguous" if exc.ambiguous else "unknown_unit"
        raise QuantityError(original, exc.why, code=code) from None
    return factor, dims, "unit"


def parse_unit(text: str, *, original: str | None = None, any_iso_code: bool = False) -> Unit:
    """Parse a unit expression: ``kWh/day``, ``RMB/kWh``, ``mL per 50 questions``, ``千瓦时/天``.

    Terms are divided by ``/``, ``per``, ``a`` (``kWh a day``) or ``每``; a term after
    the first may start with a number (``per 50 questions``). Each term is one of the
    grammar's own words (currencies, count nouns, Chinese units) or a unit of the unit
    library (``MWh``, ``megawatt hours``, ``kW·h``, ``miles``). With ``any_iso_code``
    (money and prices), any three capital letters the library does not know are a
    currency code.

    Raises:
        QuantityError: The unit (or a term of it) is not known.
    """
    source = text if original is None else original
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        return Unit(1.0, DIMENSIONLESS, "", "ratio")
    parts = _PER.split(normal)
    factor, dims, label = 1.0, DIMENSIONLESS, "ratio"
    for index, raw_part in enumerate(parts):
        part = raw_part.strip()
        count = 1.0
        if index > 0:
            if not part:
                raise QuantityError(source, "nothing after '/' or 'per'", code="unknown_unit")
            match = _NUMBER.match(part)
            if match:
                count = float(match.group(0).replace(",", "").replace("_", ""))
                part = part[match.end() :].strip()
                if count <= 0:
                    raise QuantityError(source, "a divisor must be positive", code="bad_divisor")
        elif not part:
            continue
        term_factor, term_dims, term_label = (
            _term(part, source, any_iso_code=any_iso_code) if part else (1.0, (), "count")
        )
        if index == 0:
            factor, dims, label = term_factor, term_dims, term_label
        else:
            factor /= term_factor * count
            dims = dims_mul(dims, term_dims, -1)
    return Unit(factor, dims, text.strip(), label)


# -- numbers -------------------------------------------------------------------------------------
@dataclass
class _Side:
    """One end of a quantity as read so far."""

    number: float
    factor: float = 1.0
    words: tuple[str, ...] = ()
    pending: str | None = None  # m, b, G, T …: a magnitude only in a count or money context
    currency: str | None = None
    chinese: bool = False


_LEADING = [(word.casefold(), len(word), meaning) for word, meaning in LEADING_QUALIFIERS]


def _strip_leading(text: str) -> tuple[str, str | None]:
    if text[:1].isdigit():
        return text, None
    lowered = text.casefold()
    for folded, length, meaning in _LEADING:
        if lowered.startswith(folded):
            rest = text[length:]
            if folded[-1].isascii() and folded[-1].isalpha() and rest[:1].isalpha():
                continue  # "over 5", not "overt"
            return rest.lstrip(), meaning
    return text, None


def _strip_trailing(text: str) -> tuple[str, str | None]:
    for word, meaning in TRAILING_QUALIFIERS:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)].rstrip(), meaning
    return text, None


def _strip_currency(text: str) -> tuple[str, str | None]:
    if text[:1].isdigit():
        return text, None
    for prefix, code in CURRENCY_PREFIXES.items():
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip(), code
    return text, None


def _read_number(text: str, original: str) -> tuple[_Side, str]:
    rest, currency = _strip_currency(text)
    match = _NUMBER.match(rest)
    if match:
        side = _Side(float(match.group(0).replace(",", "").replace("_", "")), currency=currency)
        rest = rest[match.end() :]
        power = _POWER_OF_TEN.match(rest)
        if power is not None and (power.group(1) is not None or side.number == 10):
            exponent = int(power.group(2))
            side.number = 10.0**exponent if power.group(1) is None else side.number * 10.0**exponent
            rest = rest[power.end() :]
    else:
        found = chinese.match_number(rest)
        if found is None:
            shown = f"expected a number at {rest[:20]!r}" if rest else "no number"
            raise QuantityError(original, f"it is not a number ({shown})", code="no_number")
        side = _Side(found[0], currency=currency, chinese=True)
        rest = found[1]
    return side, rest


def _read_magnitudes(side: _Side, text: str) -> str:
    """Consume magnitude words after a number; stop where a unit begins."""
    rest = text
    words: list[str] = []
    while True:
        stripped = rest.lstrip()
        if not stripped or chinese.starts_with_unit(stripped):
            break
        head = stripped[:1]
        if head in MAGNITUDE_WORDS_ZH:
            side.factor *= MAGNITUDE_WORDS_ZH[head]
            words.append(head)
            side.chinese = True
            rest = stripped[1:]
            continue
        if head in INNER_QUALIFIERS and not words and stripped[1:2] in MAGNITUDE_WORDS_ZH:
            rest = stripped[1:]  # 200多万: the qualifier is read again from the original text
            continue
        match = _EN_MAGNITUDE.match(stripped)
        if not match or side.pending is not None:
            break
        token = match.group(1)
        value = MAGNITUDE_WORDS_EN.get(token.lower()) if len(token) > 3 else None
        if value is None:
            value = MAGNITUDE_ABBREVIATIONS.get(token)
        if value is None and token in COUNT_ABBREVIATIONS:
            side.pending = token
            rest = stripped[match.end() :]
            break
        if value is None:
            break
        side.factor *= value
        words.append(token)
        rest = stripped[match.end() :]
    side.words = tuple(words)
    return rest


_INNER = re.compile(rf"\d([{''.join(INNER_QUALIFIERS)}])[{''.join(MAGNITUDE_WORDS_ZH)}]")


def _inner_qualifier(text: str) -> str | None:
    match = _INNER.search(text)
    return INNER_QUALIFIERS[match.group(1)] if match else None


def _resolve_pending(
    side: _Side, unit_text: str, kind: str | None, money: bool, original: str
) -> str:
    """Decide whether ``m``/``b``/``G``/``T`` after a number is a magnitude or a unit."""
    token = side.pending
    if token is None:
        return unit_text
    follows_count = False
    if unit_text and not unit_text.startswith("/"):
        first = _PER.split(unit_text)[0].strip()
        follows_count = (
            _count_noun(first) or first in CURRENCY_WORDS or first.lower() in CURRENCY_WORDS
        )
    if money or kind in COUNT_CONTEXTS or follows_count:
        side.factor *= COUNT_ABBREVIATIONS[token]
        side.words = (*side.words, token)
        side.pending = None
        return unit_text
    if token == "m" and kind is None:
        number = f"{side.number:g}"
        raise QuantityError(
            original,
            f"'m' is ambiguous: {number} million (a count or money) or {number} metres (a length)",
            code="ambiguous",
            hint=f"write '{number} million' or '{number} metres' (or name the unit fully)",
        )
    side.pending = None
    joined = f"{token}{unit_text}" if unit_text.startswith("/") else f"{token} {unit_text}"
    return joined.strip()


# -- the quantity --------------------------------------------------------------------------------
def _split_range(rest: str) -> tuple[str, str] | None:
    """``(unit before the separator, text after it)`` when a range separator follows."""
    for match in _SEPARATOR.finditer(rest):
        before = rest[: match.start()]
        # A unit before the separator ("20%至25%", "2 kWh - 3 kWh"), not another number.
        if not _NUMBER.search(before):
            return before.strip(), rest[match.end() :]
    return None


def _expected(kind: str | None, dims: Dims, unit: Unit, original: str, what: str) -> None:
    if kind is None:
        return
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    expected = KINDS[kind]
    if kind == "money":
        ok = currency_of(dims) is not None
        example = "'US$26.8m', '2亿元' or '5 million EUR'"
    elif kind == "price":
        money = [b for b, e in dims if b.startswith("currency:")]
        ok = len(money) == 1 and dims_mul(dims, ((money[0], 1),), -1) == (("J", -1),)
        example = "'0.147 USD/kWh' or '1.06元/度'"
    else:
        ok = dims == expected
        example = ""
    if ok and kind == "count" and unit.label == "ratio" and unit.text:
        raise QuantityError(
            original,
            f"{unit.text!r} is not a count",
            code="wrong_dimension",
            what=what,
        )
    if ok and kind == "fraction" and unit.text and unit.text not in {"%", "percent"}:
        ok = False
    if ok:
        return
    if dims == DIMENSIONLESS and not unit.text and kind not in {"count", "fraction"}:
        raise QuantityError(original, "a unit is missing", code="missing_unit", what=what)
    got = dimension_name(dims)
    wanted = kind.replace("_", " ")
    reason = f"it is {_article(got)} {got}, not {_article(wanted)} {wanted}"
    raise QuantityError(
        original,
        reason + (f" (e.g. {example})" if example else ""),
        code="wrong_dimension",
        what=what,
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def parse(text: str | float, *, kind: str | None = None, what: str = "value") -> Quantity:
    """Parse a quantity as written into SI units (see :mod:`wattlens.quantity`).

    Args:
        text: The text (a bare number is a count; with a ``kind`` of a dimension, an error).
        kind: The context: ``count``, ``fraction``, ``energy``, ``power``, ``time``,
            ``volume``, ``mass``, ``length``, ``area``, ``rate``, ``volume_per_energy``,
            ``money`` or ``price``. It decides ``m`` (million for counts and money, metre
            for lengths, an error otherwise) and is checked against the parsed dimension.
        what: The field's name, for error messages.

    Raises:
        QuantityError: The text is not a quantity, or not one of ``kind``.
    """
    if isinstance(text, bool):
        raise QuantityError(str(text), "a boolean is not a quantity", code="no_number", what=what)
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise QuantityError(str(text), "not a finite number", code="not_finite", what=what)
        quantity = Quantity(float(text), float(text), DIMENSIONLESS, str(text))
        _expected(kind, DIMENSIONLESS, Unit(1.0, DIMENSIONLESS, "", "ratio"), str(text), what)
        return quantity
    original = text
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        raise QuantityError(original, "it is empty", code="empty", what=what)
    try:
        return _parse_text(original, normal, kind, what)
    except QuantityError as exc:
        if exc.what != what:
            raise QuantityError(
                original, exc.reason, code=exc.code, what=what, hint=exc.hint or HINT
            ) from None
        raise


def _decimal_year(
    year: int, month: int | None, day: int | None, original: str
) -> tuple[float, float]:
    """A calendar period as ``(start, end)`` in decimal years (end just before the next)."""
    from datetime import date, timedelta

    try:
        start = date(year, month or 1, day or 1)
        if day is not None:
            end = start + timedelta(days=1)
        elif month is not None:
            end = date(year + (month == 12), month % 12 + 1, 1)
        else:
            end = date(year + 1, 1, 1)
    except ValueError as exc:
        raise QuantityError(
            original, f"it is not a calendar date ({exc})", code="no_number"
        ) from None

    def decimal(when: date) -> float:
        first = date(when.year, 1, 1)
        days = (date(when.year + 1, 1, 1) - first).days
        return when.year + (when - first).days / days

    return decimal(start), decimal(end) - 1e-9


def _date_span(text: str, kind: str | None, original: str) -> tuple[float, float] | None:
    """A date (``2023年4月``, ``2023-04-20``; a bare year with ``kind="date"``) or None."""
    for pattern in (_DATE_ZH, _DATE_ISO):
        match = pattern.fullmatch(text)
        if match is None or (pattern is _DATE_ISO and match.group(2) is None and kind != "date"):
            continue
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if month is not None and not 1 <= month <= 12:
            continue
        return _decimal_year(year, month, day, original)
    return None


def _parse_date(original: str, normal: str, kind: str | None, what: str) -> Quantity | None:
    rest, qualifier = _strip_leading(normal)
    span = _date_span(rest, kind, original)
    if span is None:
        parts = re.split(r"\s*(?:到|至|–|—|~|-|\bto\b)\s*", rest)
        if len(parts) != 2:
            return None
        ends = [_date_span(part, "date", original) for part in parts]
        if (
            ends[0] is None
            or ends[1] is None
            or not (_DATE_ZH.fullmatch(parts[0]) or kind == "date")
        ):
            return None
        span = (ends[0][0], ends[1][1])
        if span[0] > span[1]:
            raise QuantityError(
                original, "the low end of the range is above the high end", code="reversed"
            )
    if kind not in {None, "date"}:
        _expected(kind, DATE, Unit(1.0, DATE, "date"), original, what)
    return Quantity(span[0], span[1], DATE, original, unit="date", qualifier=qualifier)


def _qualified(normal: str) -> tuple[str, str | None, bool]:
    """The text with its qualifiers read: (rest, qualifier, several)."""
    rest, qualifier = _strip_leading(normal)
    several = _SEVERAL.match(rest) is not None
    if several:
        rest = "1-9" + rest[1:]  # 數億: several hundred million, 1–9 × 10^8
    rest, trailing = _strip_trailing(rest)
    return rest, qualifier or trailing or _inner_qualifier(rest), several


def _parse_text(original: str, normal: str, kind: str | None, what: str) -> Quantity:
    date = _parse_date(original, normal, kind, what)
    if date is not None:
        return date
    rest, qualifier, several = _qualified(normal)
    low, rest = _read_number(rest, original)
    rest = _read_magnitudes(low, rest)
    if rest[:1] in INNER_QUALIFIERS and rest[1:].strip():
        qualifier = qualifier or INNER_QUALIFIERS[rest[0]]  # 500多天, 140余項
        rest = rest[1:]
    high, low_unit = low, ""
    split = _split_range(rest)
    if split is not None:
        low_unit, after = split
        high, rest = _read_number(after, original)
        rest = _read_magnitudes(high, rest)
        if not high.words and high.pending is None:
            high.factor, high.words, high.pending = low.factor, low.words, low.pending
        elif not low.words and low.pending is None:
            low.factor, low.words, low.pending = high.factor, high.words, high.pending
    unit_text = rest.strip()
    currency = low.currency or high.currency
    money = currency is not None or _starts_with_currency(unit_text or low_unit)
    unit_text = _resolve_pending(high, unit_text, kind, money, original)
    if low is not high:
        _resolve_pending(low, unit_text, kind, money, original)
    if low_unit and unit_text:
        low_u = parse_unit(low_unit, original=original)
        high_u = parse_unit(unit_text, original=original)
        if (low_u.factor, low_u.dims) != (high_u.factor, high_u.dims):
            raise QuantityError(
                original,
                f"the two ends have different units ({low_unit!r} and {unit_text!r})",
                code="wrong_dimension",
            )
    unit_text = _drop_gloss(unit_text or low_unit, original)
    unit = parse_unit(unit_text, original=original, any_iso_code=kind in {"money", "price"})
    factor, dims = unit.factor, unit.dims
    if currency is not None:
        dims, unit_text = _with_currency(currency, low, unit, unit_text, original)
    low_value, high_value = low.number * low.factor * factor, high.number * high.factor * factor
    if not (math.isfinite(low_value) and math.isfinite(high_value)):
        raise QuantityError(original, "the number is too large", code="not_finite")
    if low_value > high_value:
        raise QuantityError(
            original, "the low end of the range is above the high end", code="reversed"
        )
    low_words, high_words = _join(low), _join(high)
    magnitude = low_words if low_words == high_words else f"{low_words}/{high_words}"
    _expected(kind, dims, unit, original, what)
    if several:
        qualifier = "several"
    return Quantity(
        low=low_value,
        high=high_value,
        dims=dims,
        text=original,
        unit=unit_text,
        unit_factor=factor,
        magnitude=magnitude,
        qualifier=qualifier,
    )


def _with_currency(
    currency: str, side: _Side, unit: Unit, unit_text: str, original: str
) -> tuple[Dims, str]:
    """The dimension and unit text of a quantity written with a currency before it."""
    currency = _resolve_yen(currency, side, unit_text, original)
    if unit.label == "currency":  # 人民幣27.04億元 names the currency twice, alike
        if unit.dims != currency_dims(currency):
            raise QuantityError(original, "the currency is written twice", code="wrong_dimension")
        return unit.dims, unit_text
    if unit_text.startswith("/") or not unit_text:
        unit_text = f"{currency}{unit_text}"
    return dims_mul(unit.dims, currency_dims(currency)), unit_text


def _drop_gloss(unit_text: str, original: str) -> str:
    """``GW(吉瓦)``: a unit glossed in brackets by the same unit is that unit."""
    gloss = _GLOSS.fullmatch(unit_text)
    if gloss is None:
        return unit_text
    outer = parse_unit(gloss.group(1), original=original)
    try:
        inner = parse_unit(gloss.group(2), original=original)
    except QuantityError:
        return unit_text
    if (inner.factor, inner.dims) == (outer.factor, outer.dims):
        return gloss.group(1)
    return unit_text


def _starts_with_currency(unit_text: str) -> bool:
    first = _PER.split(unit_text)[0].strip() if unit_text else ""
    return bool(first) and (first in CURRENCY_WORDS or first.lower() in CURRENCY_WORDS)


def _resolve_yen(currency: str, side: _Side, unit_text: str, original: str) -> str:
    if currency != YEN_OR_YUAN:
        return currency
    if side.chinese or _CJK.search(unit_text):
        return "CNY"
    raise QuantityError(
        original,
        "'¥' is ambiguous: Chinese yuan (CNY) or Japanese yen (JPY)",
        code="ambiguous",
        hint="write CNY or RMB for yuan, JPY for yen (e.g. 'CNY 2亿', '500 JPY')",
    )


def _join(side: _Side) -> str:
    sep = "" if all(not w.isascii() for w in side.words) else " "
    return sep.join(side.words)


def parse_quantity(text: str | float) -> Quantity:
    """Parse a published quantity into SI base units, with no context (the claims checker).

    Examples: ``"500,000 kWh"``, ``"128.7万千瓦时"``, ``"2亿元"``, ``"4.2–6.6亿立方米"``,
    ``"US$26.8m"``, ``"RMB 1.06/kWh"``, ``">17,000 times"``, ``"117 US households"``.

    Raises:
        QuantityError: The text is not a number with a known unit; the message quotes it.
    """
    return parse(text)
