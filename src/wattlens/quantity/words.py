"""The words the grammar knows beyond the unit library: magnitudes, qualifiers, currencies.

These tables are data: `wattlens units` lists them, and the parser in
:mod:`wattlens.quantity.grammar` reads them. Units with a physical dimension
come from the unit library (:mod:`wattlens.quantity.unitlib`), except the few
listed in :data:`OWN_UNITS`, whose meaning in this field differs from the
library's or which it does not know.
"""

from __future__ import annotations

from wattlens.quantity.dims import (
    DIMENSIONLESS,
    ENERGY,
    LENGTH,
    MASS,
    POWER,
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    TIME,
    VOLUME,
    Dims,
)

_KWH = 3.6e6

#: Magnitude words that multiply the number before them, in any context.
MAGNITUDE_WORDS_EN: dict[str, float] = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
}  # fmt: skip
#: Abbreviations that count only before a space, ``/`` or the end (``5k requests``,
#: not ``5 kWh``), in any context.
MAGNITUDE_ABBREVIATIONS: dict[str, float] = {
    "k": 1e3, "K": 1e3, "M": 1e6, "mn": 1e6, "mln": 1e6, "B": 1e9, "bn": 1e9,
}  # fmt: skip
#: Abbreviations that are magnitudes only where the value is a count or money
#: (``200m requests``, ``US$26.8m``, ``--params 2T``); elsewhere ``m`` is the metre
#: and ``t`` the tonne.
COUNT_ABBREVIATIONS: dict[str, float] = {
    "m": 1e6, "b": 1e9, "G": 1e9, "g": 1e9, "T": 1e12, "t": 1e12,
}  # fmt: skip
#: Chinese magnitude words after a number (``128.7万``, ``3千万``, ``1.5万亿``).
MAGNITUDE_WORDS_ZH: dict[str, float] = {
    "十": 1e1, "百": 1e2, "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "兆": 1e12,
}  # fmt: skip
#: Chinese numerals (``两千万``, ``十亿``); 兆 as a number is 10^12 (万亿), as in
#: Taiwan, Hong Kong and financial text; before 瓦/瓦时 it is the prefix mega.
CHINESE_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
CHINESE_SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
CHINESE_BIG_UNITS: dict[str, float] = {
    "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "兆": 1e12,
}  # fmt: skip

#: Qualifiers before the number: kept on the quantity, never applied to it.
LEADING_QUALIFIERS: list[tuple[str, str]] = sorted(
    [
        (">=", "at least"), ("≥", "at least"), ("<=", "at most"), ("≤", "at most"),
        (">", "more than"), ("<", "less than"), ("~", "about"), ("≈", "about"),
        ("more than", "more than"), ("over", "more than"), ("at least", "at least"),
        ("at most", "at most"), ("up to", "up to"), ("less than", "less than"),
        ("under", "less than"), ("about", "about"), ("around", "about"),
        ("approximately", "about"), ("approx.", "about"), ("nearly", "about"),
        ("almost", "about"), ("some", "about"), ("roughly", "about"),
        ("约", "about"), ("約", "about"), ("大约", "about"), ("大約", "about"),
        ("近", "about"), ("将近", "about"), ("將近", "about"), ("接近", "about"),
        ("几乎", "about"), ("幾乎", "about"), ("超过", "more than"), ("超過", "more than"),
        ("逾", "more than"), ("高达", "up to"), ("高達", "up to"), ("至少", "at least"),
        ("不到", "less than"), ("不足", "less than"), ("约合", "about"), ("約合", "about"),
        ("大概", "about"), ("大概要", "about"), ("超出", "more than"),
    ],
    key=lambda item: -len(item[0]),
)  # fmt: skip
#: Qualifiers after the quantity (``1.7万倍以上``, ``5,000+``).
TRAILING_QUALIFIERS: list[tuple[str, str]] = [
    ("以上", "at least"), ("多", "more than"), ("余", "more than"), ("餘", "more than"),
    ("左右", "about"), ("以下", "at most"), ("or more", "at least"), ("+", "at least"),
]  # fmt: skip
#: Qualifiers between a number and its magnitude word (``200多万``, ``30余亿``).
INNER_QUALIFIERS: dict[str, str] = {"多": "more than", "余": "more than", "餘": "more than"}

#: Currency symbols and codes written before the number (longest first).
CURRENCY_PREFIXES: dict[str, str] = {
    "US$": "USD", "USD": "USD", "HK$": "HKD", "HKD": "HKD", "NT$": "TWD", "TWD": "TWD",
    "RMB": "CNY", "CNY": "CNY", "EUR": "EUR", "GBP": "GBP", "JPY": "JPY", "$": "USD",
    "€": "EUR", "£": "GBP", "¥": "¥", "人民币": "CNY", "人民幣": "CNY",
}  # fmt: skip
#: Currency words written after the number (``2億元人民幣``, ``5 million USD``, ``3美金``).
CURRENCY_WORDS: dict[str, str] = {
    "USD": "USD", "US$": "USD", "$": "USD", "dollar": "USD", "dollars": "USD",
    "美元": "USD", "美金": "USD", "RMB": "CNY", "CNY": "CNY", "yuan": "CNY", "元": "CNY",
    "人民币": "CNY", "人民幣": "CNY", "元人民币": "CNY", "元人民幣": "CNY", "人民币元": "CNY",
    "人民幣元": "CNY", "块": "CNY", "塊": "CNY", "EUR": "EUR", "€": "EUR", "euro": "EUR",
    "euros": "EUR", "欧元": "EUR", "歐元": "EUR", "GBP": "GBP", "£": "GBP", "英镑": "GBP",
    "英鎊": "GBP",
    "JPY": "JPY", "yen": "JPY", "日元": "JPY",
    "日圓": "JPY", "円": "JPY", "HKD": "HKD", "港元": "HKD", "港币": "HKD", "港幣": "HKD",
    "TWD": "TWD", "新台币": "TWD", "新臺幣": "TWD", "新台幣": "TWD", "元美金": "USD",
}  # fmt: skip
#: ``¥`` is both the yuan and the yen; Chinese magnitude words or units decide, else it
#: is an error that names both.
YEN_OR_YUAN = "¥"


def _u(factor: float, dims: Dims) -> tuple[float, Dims]:
    return (factor, dims)


#: Units the grammar defines itself: where the field's usage differs from the unit
#: library (a year of 365 days, ``kt`` the kilotonne not the knot, CO2e masses),
#: counts of operations (FLOP), ratios and Chinese unit words. Case-sensitive.
OWN_UNITS: dict[str, tuple[float, Dims]] = {
    "yr": _u(SECONDS_PER_YEAR, TIME), "yrs": _u(SECONDS_PER_YEAR, TIME),
    "year": _u(SECONDS_PER_YEAR, TIME), "years": _u(SECONDS_PER_YEAR, TIME),
    "a": _u(SECONDS_PER_YEAR, TIME), "kt": _u(1e9, MASS),
    "gCO2e": _u(1.0, MASS), "kgCO2e": _u(1e3, MASS), "tCO2e": _u(1e6, MASS),
    "ktCO2e": _u(1e9, MASS), "MtCO2e": _u(1e12, MASS), "gCO2": _u(1.0, MASS),
    "kgCO2": _u(1e3, MASS), "tCO2": _u(1e6, MASS), "MtCO2": _u(1e12, MASS),
    "FLOP": _u(1.0, DIMENSIONLESS), "kFLOP": _u(1e3, DIMENSIONLESS),
    "MFLOP": _u(1e6, DIMENSIONLESS), "GFLOP": _u(1e9, DIMENSIONLESS),
    "TFLOP": _u(1e12, DIMENSIONLESS), "PFLOP": _u(1e15, DIMENSIONLESS),
    "EFLOP": _u(1e18, DIMENSIONLESS), "FLOPs": _u(1.0, DIMENSIONLESS),
    "%": _u(0.01, DIMENSIONLESS), "percent": _u(0.01, DIMENSIONLESS),
    "x": _u(1.0, DIMENSIONLESS), "×": _u(1.0, DIMENSIONLESS),
    "times": _u(1.0, DIMENSIONLESS), "倍": _u(1.0, DIMENSIONLESS), "成": _u(0.1, DIMENSIONLESS),
    "GPU-hour": _u(3600.0, TIME), "GPU-hours": _u(3600.0, TIME),
    "GPU hours": _u(3600.0, TIME), "GPU hour": _u(3600.0, TIME),
    "gpu-hours": _u(3600.0, TIME), "accelerator-hours": _u(3600.0, TIME),
    "accelerator-hour": _u(3600.0, TIME), "accelerator hours": _u(3600.0, TIME),
    # Chinese (simplified and traditional): 度 is the everyday word for kWh.
    "度": _u(_KWH, ENERGY), "千瓦时": _u(_KWH, ENERGY), "千瓦時": _u(_KWH, ENERGY),
    "瓦时": _u(3600.0, ENERGY), "瓦時": _u(3600.0, ENERGY),
    "兆瓦时": _u(_KWH * 1e3, ENERGY), "兆瓦時": _u(_KWH * 1e3, ENERGY),
    "吉瓦时": _u(_KWH * 1e6, ENERGY), "吉瓦時": _u(_KWH * 1e6, ENERGY),
    "太瓦时": _u(_KWH * 1e9, ENERGY), "太瓦時": _u(_KWH * 1e9, ENERGY),
    "焦耳": _u(1.0, ENERGY), "焦": _u(1.0, ENERGY), "千焦": _u(1e3, ENERGY),
    "瓦": _u(1.0, POWER), "瓦特": _u(1.0, POWER), "千瓦": _u(1e3, POWER),
    "兆瓦": _u(1e6, POWER), "吉瓦": _u(1e9, POWER),
    "毫升": _u(1e-3, VOLUME), "升": _u(1.0, VOLUME), "公升": _u(1.0, VOLUME),
    "立方米": _u(1e3, VOLUME), "立方公尺": _u(1e3, VOLUME),
    "克": _u(1.0, MASS), "千克": _u(1e3, MASS), "公斤": _u(1e3, MASS),
    "吨": _u(1e6, MASS), "噸": _u(1e6, MASS), "公吨": _u(1e6, MASS), "公噸": _u(1e6, MASS),
    "米": _u(1.0, LENGTH), "公尺": _u(1.0, LENGTH), "千米": _u(1e3, LENGTH),
    "公里": _u(1e3, LENGTH), "英里": _u(1609.344, LENGTH),
    "秒": _u(1.0, TIME), "秒钟": _u(1.0, TIME), "秒鐘": _u(1.0, TIME),
    "分钟": _u(60.0, TIME), "分鐘": _u(60.0, TIME),
    "小时": _u(3600.0, TIME), "小時": _u(3600.0, TIME), "天": _u(SECONDS_PER_DAY, TIME),
    "日": _u(SECONDS_PER_DAY, TIME), "周": _u(7 * SECONDS_PER_DAY, TIME),
    "週": _u(7 * SECONDS_PER_DAY, TIME), "月": _u(SECONDS_PER_YEAR / 12, TIME),
    "年": _u(SECONDS_PER_YEAR, TIME),
}  # fmt: skip

#: Unit words with two readings in this field: an error names both.
AMBIGUOUS_UNITS: dict[str, str] = {
    "ton": "a metric tonne (1,000 kg: write 't' or 'tonne') or a US short ton "
    "(907.18 kg: write 'short_ton')",
    "tons": "metric tonnes (1,000 kg: write 't' or 'tonnes') or US short tons "
    "(907.18 kg: write 'short_ton')",
    "pound": "a mass (write 'lb') or money (write 'GBP' or '£')",
    "pounds": "a mass (write 'lb') or money (write 'GBP' or '£')",
}

#: Count nouns (the last English word of a phrase decides: ``US households``).
COUNT_NOUNS = {
    "household", "home", "request", "query", "queries", "search", "searches", "question",
    "answer", "response", "prompt", "interaction", "pool", "parameter", "param", "token",
    "server", "gpu", "chip", "car", "person", "people", "user", "bit", "operation", "op",
    "flops", "country", "countries", "unit", "item", "bottle", "accelerator", "device",
    "machine", "node", "image", "video", "word", "page", "call", "conversation", "chat",
    "message", "session", "sample", "step", "run", "job", "model", "customer",
}  # fmt: skip
CN_COUNT_NOUNS = {
    "次", "个", "個", "户", "戶", "家庭", "人", "台", "张", "張", "问题", "問題", "请求", "請求",
    "回答", "搜索", "查询", "查詢", "游泳池", "泳池", "参数", "參數", "服务器", "伺服器",
    "用户", "用戶", "词元", "詞元", "块GPU", "塊GPU", "颗", "顆", "张卡", "張卡",
    "臺", "项", "項", "辆", "輛", "国家", "國家", "座", "张芯片", "張芯片", "芯片", "家",
}  # fmt: skip
#: Chinese measure words that may precede a count noun (``50個問題``).
CN_MEASURE_WORDS = (
    "个", "個", "次", "户", "戶", "台", "臺", "座", "张", "張", "块", "塊", "颗", "顆", "项", "項",
    "辆", "輛",
)  # fmt: skip
#: Vague Chinese numbers before a magnitude word (數億: "several hundred million"), read
#: as the range 1–9 times the magnitude.
CN_SEVERAL = ("数", "數", "几", "幾")

#: Range separators between two numbers (``..`` is the scenario files' own).
RANGE_SEPARATORS = ("..", "–", "—", "-", "~", "～", "to", "至", "到", ":")
