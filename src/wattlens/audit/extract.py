"""``wattlens audit extract``: from an article's text to a draft claims file.

Every quantity with a unit or a magnitude word (Chinese, simplified or traditional,
and English) becomes a draft claim: its sentence, the quantity as written, its parsed
value, a guessed kind and an empty ``recompute:`` for the analyst, with suggestions
where the sentence matches a pattern the catalog and models know (energy per request,
household equivalents, training energy, PUE, water per request). The draft loads as a
claims file; every claim is ``unverifiable`` until its recomputation is filled in.

Republished Chinese text is often messy: a converter may insert pinyin after some
characters (``電費(fèi)``); such glosses are removed before reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattlens.quantity import Quantity, QuantityError, parse, si_unit
from wattlens.quantity.dims import DATE, ENERGY, MASS, POWER, TIME

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹ"
# A pinyin gloss after a Chinese character: "(fèi)", "(shí)" (at least one tone mark).
_PINYIN = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（](?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,8}}[)）]"
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])\s+(?=[A-Z\"“])|\n+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Where a quantity may start: a qualifier or currency, then a number (digits, Chinese
# numerals with a unit, 數億).
_QUALIFIERS_ZH = (
    "超過|超过|將近|将近|幾乎|几乎|約合|约合|大約|大约|高達|高达|接近|不到|不足|至少|約|约|近|逾"
)
_QUALIFIERS_EN = (
    r"more than|over|about|around|approximately|nearly|almost|roughly|up to|at least|"
    r"at most|less than|under"
)
_START = re.compile(
    rf"(?:(?:{_QUALIFIERS_ZH})\s*|(?:\b(?:{_QUALIFIERS_EN})\s+)|[~≈>＞<＜]\s*)?"
    r"(?:US\$|HK\$|NT\$|[$€£¥]|人民幣|人民币|RMB\s?|USD\s?)?"
    r"(?:\d[\d,]*(?:\.\d+)?|[數数幾几][十百千萬万億亿]|[一二兩两三四五六七八九十百千萬万億亿半]+(?=[倍分])"
    r"|[一二三四五六七八九十]+分之[一二三四五六七八九十]+)",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\b")
_RANGE_END = re.compile(r"\s*(?:–|—|-|~|～|\bto\b|至|到)\s*\d[\d,]*(?:\.\d+)?")
# Words that end no unit ("US$26.8m a year": "a" is not the year unit here; "1.10 in").
_STOP_WORDS = frozenset(
    {"a", "an", "in", "at", "of", "to", "and", "the", "for", "per", "by", "on", "or", "from",
     "up", "is", "was", "as", "with"}
)  # fmt: skip
_MAX_UNIT_CHARS = 10
_MAX_UNIT_WORDS = 4
_WORD = re.compile(r"\s*[A-Za-z\u00b5°%³²·$/][A-Za-z0-9\u00b5°%³²·$/.-]*")


@dataclass
class Found:
    """One quantity found in the text."""

    text: str
    quantity: Quantity
    sentence: str
    line: int
    kind: str
    suggestions: list[str] = field(default_factory=list)


def clean_text(raw: str, suffix: str = ".txt") -> str:
    """The readable text of an article: HTML and Markdown markup and pinyin glosses removed."""
    text = raw
    if suffix in {".html", ".htm"}:
        text = _html_text(text)
    elif suffix in {".md", ".markdown"}:
        text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
        text = re.sub(r"^#+\s*|[*_`]{1,3}", "", text, flags=re.MULTILINE)
    return _PINYIN.sub("", text)


def _html_text(raw: str) -> str:
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in {"script", "style"}:
                self.skip += 1
            if tag in {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr", "section"}:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in {"script", "style"} and self.skip:
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    parser = _Text()
    parser.feed(raw)
    return "".join(parser.parts)


def _guess_kind(quantity: Quantity) -> str:  # noqa: PLR0911 - one kind per dimension
    dims = quantity.dims
    if dims == DATE:
        return "date"
    if quantity.currency is not None or any(b.startswith("currency:") for b, _ in dims):
        return "money"
    if dims in (ENERGY, POWER) and (
        "h" in quantity.unit.casefold()
        or "時" in quantity.unit
        or "时" in quantity.unit
        or "度" in quantity.unit
    ):
        return "energy"
    if dims == POWER:
        return "power"
    if dims == ENERGY:
        return "energy"
    if any(b == "L" for b, _ in dims):
        return "water"
    if dims == MASS or "CO2" in quantity.unit:
        return "carbon"
    if dims == TIME:
        return "time"
    if dims == (("s", -1),):
        return "count"  # 200m requests a day
    if not dims:
        unit = quantity.unit
        if unit in {"%", "percent"} or "%" in quantity.text:
            return "share"
        if unit in {"倍", "x", "×", "times"} or not unit:
            return "ratio"
        return "count"
    return "other"


_PER_REQUEST = re.compile(
    r"每次|每個請求|每个请求|per (?:request|query|search|prompt)|互動|互动|搜索", re.I
)
_HOUSEHOLD = re.compile(r"家庭|household|homes?\b", re.I)
_TRAINING = re.compile(r"訓練|训练|train", re.I)
_PUE = re.compile(r"PUE|電源使用效率|电源使用效率|power usage effectiveness", re.I)
_WATER_PER = re.compile(
    r"每回答|每.{0,4}問題|每.{0,4}问题|per (?:question|request|response|prompt)", re.I
)


def _suggest(found: Found) -> list[str]:
    sentence, kind = found.sentence, found.kind
    out: list[str] = []
    if kind == "energy" and _PER_REQUEST.search(sentence):
        out.append(
            'per-request energy: cat("equivalents", "chatgpt-request-devries-2023") or '
            'cat("equivalents", "web-search-google-2009"); model one: `wattlens estimate inference`'
        )
    if _HOUSEHOLD.search(sentence) and kind in {"count", "ratio", "energy"}:
        out.append(
            'household equivalent: ENERGY / (cat("equivalents", "household-us") * q("1 year")) '
            "(or household-eu, residential-per-capita-cn)"
        )
    if kind == "energy" and _TRAINING.search(sentence):
        out.append(
            'training energy: training_energy(accelerator="…", count=…, days=…, pue=…) '
            "or accelerator_hours=…"
        )
    if _PUE.search(sentence):
        out.append('PUE: cat("pue", "industry-average") (or google, microsoft, aws …)')
    if kind == "water" and _WATER_PER.search(sentence):
        out.append(
            'water per request: ENERGY_PER_REQUEST * (cat("water", "onsite-microsoft") + '
            'cat("water", "offsite-us"))'
        )
    return out


def _candidates(sentence: str) -> list[tuple[int, int, Quantity]]:
    """Non-overlapping quantities in a sentence: (start, end, quantity)."""
    found: list[tuple[int, int, Quantity]] = []
    position = 0
    while True:
        match = _START.search(sentence, position)
        if match is None:
            return found
        start = match.start()
        before = sentence[:start].rstrip()[-1:]
        if before in {"第", "月", "?", "-", "/"} or (
            start > 0 and sentence[start - 1].isalnum() and sentence[start - 1].isascii()
        ):
            position = match.end()
            continue
        best = _longest(sentence, start, match.end())
        if best is None:
            position = match.end()
            continue
        end, quantity = best
        found.append((start, end, quantity))
        position = end


def _unit_ends(sentence: str, number_end: int) -> list[int]:
    """Where the unit after a number may end, longest first (the bare number last)."""
    tail = sentence[number_end:]
    cjk_ends = [number_end + k for k in range(min(_MAX_UNIT_CHARS, len(tail)), 0, -1)]
    if tail[:1] and (_CJK.match(tail[0]) or tail[0] in "%％"):
        return [*cjk_ends, number_end]
    offset, words = 0, list[int]()
    while len(words) < _MAX_UNIT_WORDS:
        word = _WORD.match(tail, offset)
        if word is None:
            break
        offset = word.end()
        if word.group(0).strip().casefold() not in _STOP_WORDS:
            words.append(number_end + offset)
    ends = [*reversed(words)]
    if tail[:1] and _CJK.match(tail.lstrip()[:1] or " "):
        ends += cjk_ends  # "43.3 萬度"
    return [*ends, number_end]


def _longest(sentence: str, start: int, number_end: int) -> tuple[int, Quantity] | None:
    """The longest text from ``start`` that parses as a quantity with a unit or magnitude."""
    iso = _ISO_DATE.match(sentence, start)
    if iso is not None:
        try:
            return iso.end(), parse(iso.group(0))
        except QuantityError:
            pass
    second = _RANGE_END.match(sentence, number_end)
    if second is not None:
        number_end = second.end()  # 620–1,050 TWh, 10 to 50 responses, 4.2-66億
    for end in _unit_ends(sentence, number_end):
        text = sentence[start:end].rstrip().rstrip(".,;:。，、；：")
        if re.fullmatch(r"\d{1,2}月(?:\d{1,2}[日号號]?)?", text):
            continue  # 4月10日: a date without its year, or a number of months
        try:
            quantity = parse(text)
        except QuantityError:
            continue
        if quantity.unit or quantity.magnitude or quantity.qualifier == "several":
            return start + len(text), quantity
        if _PUE.search(sentence[max(0, start - 12) : start]):
            return start + len(text), quantity  # "a PUE of 1.10": a ratio with no unit
        return None
    return None


def _sentences(text: str) -> list[tuple[int, str]]:
    """Sentences with the line they start on; a paragraph's wrapped lines are joined."""
    out: list[tuple[int, str]] = []
    paragraph: list[str] = []
    start = 0

    def flush() -> None:
        joined = ""
        for line in paragraph:
            glue = "" if joined[-1:] and _CJK.match(joined[-1]) and _CJK.match(line[:1]) else " "
            joined = f"{joined}{glue}{line}" if joined else line
        for piece in _SENTENCE_END.split(joined):
            if piece and piece.strip():
                out.append((start, piece.strip()))
        paragraph.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            flush()
            continue
        if not paragraph:
            start = number
        paragraph.append(line.strip())
    flush()
    return out


def extract(text: str, *, lang: str | None = None) -> list[Found]:
    """Every quantity with a unit or magnitude in a cleaned text, with its sentence."""
    found: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for line, sentence in _sentences(text):
        if lang == "en" and _CJK.search(sentence):
            continue
        if lang == "zh" and not _CJK.search(sentence):
            continue
        for start, end, quantity in _candidates(sentence):
            written = sentence[start:end].strip()
            key = (written, sentence)
            if key in seen:
                continue  # a headline repeated on the page
            seen.add(key)
            item = Found(written, quantity, sentence, line, _guess_kind(quantity))
            item.suggestions = _suggest(item)
            found.append(item)
    return found


def _article_date(text: str) -> str | None:
    head = "\n".join(text.splitlines()[:8])
    match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", head) or re.search(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日", head
    )
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _parsed(quantity: Quantity) -> str:
    if quantity.dims == DATE:
        return f"parsed: a date ({quantity.low:.3f}–{quantity.high:.3f} in decimal years)"

    def span(low: float, high: float) -> str:
        return f"{low:.4g}" if low == high else f"{low:.4g}–{high:.4g}"

    si = f"{span(quantity.low, quantity.high)} {si_unit(quantity.dims)}"
    qualifier = f" ({quantity.qualifier})" if quantity.qualifier else ""
    if quantity.unit and quantity.unit_factor != 1:
        written = span(quantity.in_unit(quantity.low), quantity.in_unit(quantity.high))
        return f"parsed: {written} {quantity.unit} = {si}{qualifier}"
    return f"parsed: {si}{qualifier}"


def draft(path: str | Path, *, lang: str | None = None) -> str:
    """A draft claims file (YAML) for the article at ``path`` (.txt, .md or .html)."""
    import yaml

    source = Path(path)
    raw = source.read_text(encoding="utf-8")
    text = clean_text(raw, source.suffix.lower())
    items = extract(text, lang=lang)
    title = next((line.strip() for line in text.splitlines() if line.strip()), source.name)
    claims: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        claim: dict[str, Any] = {
            "id": f"C{number:02d}",
            "text": item.sentence,
            "value": item.text,
            "kind": item.kind,
            "recompute": None,
            "note": f"{_parsed(item.quantity)}; line {item.line}",
        }
        if item.suggestions:
            claim["suggestions"] = item.suggestions
        claims.append(claim)
    document: dict[str, Any] = {"title": title, "source": str(source)}
    date = _article_date(text)
    if date:
        document["date"] = date
    document["tolerance"] = "15%"
    document["claims"] = claims or [
        {"id": "C01", "text": "(no quantity found)", "value": 0, "recompute": None}
    ]
    header = (
        f"# Draft claims for {source.name}, written by `wattlens audit extract`.\n"
        "# For each claim: keep it or delete it, fill in recompute: (an expression over\n"
        '# claim ids, inputs, q("…"), cat(…), training_energy(…); see the suggestions),\n'
        "# add source:/quoted_as: where the article cites a figure, then run\n"
        f"#   wattlens audit {source.stem}.yaml\n"
        "# Until filled in, every claim is unverifiable.\n"
    )
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    return header + body
