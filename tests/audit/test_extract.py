"""`wattlens audit extract`: an article's text to a draft claims file that loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from wattlens.audit import audit_claims, parse_claims
from wattlens.audit.extract import clean_text, draft, extract

HERE = Path(__file__).resolve().parent
# The seed article as republished (traditional characters, pinyin inserted by the
# republisher's converter), copied from the project's shared reference material.
ZH_ARTICLE = HERE / "data" / "article-zh.txt"
EN_ARTICLE = HERE / "data" / "article-en.md"


def test_pinyin_glosses_are_removed() -> None:
    assert clean_text("ChatGPT一年電費(fèi)高達(dá)2億元") == "ChatGPT一年電費高達2億元"
    assert clean_text("一“位”(bit)數據") == "一“位”(bit)數據"  # not pinyin
    assert clean_text("8.8GW(吉瓦)") == "8.8GW(吉瓦)"


@pytest.fixture(scope="module")
def zh_draft() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(draft(ZH_ARTICLE, lang="zh"))
    return loaded


def _by_value(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["value"]: c for c in document["claims"]}


def test_zh_article_every_quantity_with_its_kind(zh_draft: dict[str, Any]) -> None:
    claims = _by_value(zh_draft)
    assert len(zh_draft["claims"]) >= 100
    expected = {
        "50萬千瓦時": "energy",
        "2億元人民幣": "money",
        "1.7萬倍以上": "ratio",
        "0.147美元": "money",
        "850億~1340億千瓦時": "energy",
        "數億倍": "ratio",
        "128.7度": "energy",
        "大約40萬臺": "count",
        "29.2太瓦時": "energy",
        "43.3 萬度": "energy",
        "117個家庭": "count",
        "500毫升": "water",
        "640萬立方米": "water",
        "20%至25%": "share",
        "2023年4月": "date",
        "8.8GW": "power",
        "約合人民幣27.04億元": "money",
        "500多天": "time",
        "140余項": "count",
    }
    for value, kind in expected.items():
        assert value in claims, value
        assert claims[value]["kind"] == kind, value
    # The pinyin the republisher inserted is gone from every sentence.
    assert not any("(fèi)" in c["text"] or "(shí)" in c["text"] for c in zh_draft["claims"])
    assert claims["50萬千瓦時"]["text"].startswith("公開數據顯示")
    assert "parsed: 5e+05 千瓦時 = 1.8e+12 J" in claims["50萬千瓦時"]["note"]
    assert zh_draft["date"] == "2024-04-20"


def test_zh_article_suggestions_for_known_patterns(zh_draft: dict[str, Any]) -> None:
    claims = _by_value(zh_draft)
    assert any("household" in s for s in claims["117個家庭"]["suggestions"])
    assert any("training_energy(" in s for s in claims["43.3 萬度"]["suggestions"])
    assert any("per-request energy" in s for s in claims["3Wh"]["suggestions"])
    assert any("water per request" in s for s in claims["500毫升"]["suggestions"])


def test_zh_draft_loads_and_is_unverifiable(zh_draft: dict[str, Any]) -> None:
    report = audit_claims(parse_claims(draft(ZH_ARTICLE, lang="zh"), "draft.yaml"))
    assert report.summary["unverifiable"] == len(zh_draft["claims"])
    assert report.date == "2024-04-20"


def test_en_article() -> None:
    text = draft(EN_ARTICLE, lang="en")
    document = yaml.safe_load(text)
    claims = _by_value(document)
    assert claims["about 200m requests a day"]["kind"] == "count"
    # A sentence wrapped over two lines is one sentence; the Markdown link is its text.
    assert claims["more than 500,000 kWh"]["text"].endswith(
        "of electricity daily, according to de Vries."
    )
    assert claims["about US$26.8m"]["kind"] == "money"
    assert "2.68e+07" in claims["about US$26.8m"]["note"]
    assert claims["620–1,050 TWh"]["kind"] == "energy"
    assert claims["10 to 50 responses"]["kind"] == "count"
    assert claims["552 tCO2e"]["kind"] == "carbon"
    assert claims["6.4 million m³"]["kind"] == "water"
    assert claims["34%"]["kind"] == "share"
    assert claims["10K GPUs"]["note"].startswith("parsed: 1e+04")
    assert any("PUE" in s for s in claims["1.10"]["suggestions"])
    assert any("training_energy(" in s for s in claims["1,287 MWh"]["suggestions"])
    assert document["date"] == "2024-04-22"
    report = audit_claims(parse_claims(text, "en.yaml"))
    assert set(report.summary) >= {"unverifiable"}
    assert report.summary["unverifiable"] == len(document["claims"])


def test_html_article(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><style>p{color:red}</style><script>var x = 5;</script></head>"
        "<body><p>ChatGPT uses 564 MWh a day.</p><p>每次互動耗電3Wh。</p></body></html>",
        encoding="utf-8",
    )
    values = [f.text for f in extract(clean_text(page.read_text(), ".html"))]
    assert values == ["564 MWh a day", "3Wh"]


def test_extract_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from wattlens.cli import main

    target = tmp_path / "draft.yaml"
    with pytest.raises(SystemExit) as info:
        main(["audit", "extract", str(EN_ARTICLE), "--lang", "en", "-o", str(target)])
    assert info.value.code in (0, None)
    assert parse_claims(target.read_text(encoding="utf-8"), str(target)).claims
    with pytest.raises(SystemExit) as info:
        main(["audit", "extract", str(tmp_path / "missing.txt")])
    assert info.value.code == 2
