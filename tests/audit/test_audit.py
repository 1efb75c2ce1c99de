"""`wattlens audit`: verdicts, the seed article, expressions and bad claims files."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import typer

from wattlens.audit import (
    SLIP_POWERS,
    ClaimsFileError,
    audit,
    audit_claims,
    judge,
    parse_claims,
)
from wattlens.errors import WattlensError

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "claims" / "seed-article.yaml"


# -- verdict logic -------------------------------------------------------------


def test_consistent_within_tolerance() -> None:
    j = judge((115.0, 115.0), (100.0, 100.0), 0.15)
    assert j.verdict == "consistent"
    assert j.ratio == pytest.approx(1.15)
    assert j.slip is None
    assert judge((116.0, 116.0), (100.0, 100.0), 0.15).verdict == "inconsistent"
    assert judge((86.0, 86.0), (100.0, 100.0), 0.15).verdict == "consistent"
    assert judge((84.0, 84.0), (100.0, 100.0), 0.15).verdict == "inconsistent"
    assert judge((116.0, 116.0), (100.0, 100.0), 0.2).verdict == "consistent"


@pytest.mark.parametrize("power", SLIP_POWERS)
@pytest.mark.parametrize("sign", [1, -1])
def test_each_magnitude_slip_in_both_directions(power: int, sign: int) -> None:
    recomputed = 1287.0
    stated = recomputed * 1.05 * 10.0 ** (-sign * power)
    j = judge((stated, stated), (recomputed, recomputed), 0.15)
    assert j.verdict == "unit error"
    assert j.slip == f"10^{power}"
    assert j.slip_direction == ("stated too small" if sign > 0 else "stated too large")
    assert j.ratio == pytest.approx(1.05 * 10.0 ** (-sign * power))


@pytest.mark.parametrize("factor", [2.9, 0.345, 5e3, 3e5, 0.05])
def test_other_factors_are_inconsistent(factor: float) -> None:
    j = judge((100.0 * factor, 100.0 * factor), (100.0, 100.0), 0.15)
    assert j.verdict == "inconsistent"
    assert j.slip is None


def test_slip_beyond_tolerance_is_inconsistent() -> None:
    assert judge((1.3e-4, 1.3e-4), (1.0, 1.0), 0.15).verdict == "inconsistent"


def test_ranges_match_at_both_ends() -> None:
    assert judge((10.0, 10.0), (10.0, 50.0), 0.15).verdict == "consistent"
    # Overlap is not agreement: both ends must match within the tolerance.
    assert judge((4.2, 6.6), (6.0, 7.0), 0.15).verdict == "inconsistent"
    assert judge((1.0, 2.0), (3.0, 4.0), 0.15).verdict == "inconsistent"
    j = judge((1.0, 1.5), (1.0e4, 1.5e4), 0.15)
    assert (j.verdict, j.slip) == ("unit error", "10^4")


def test_zero_recomputed_has_no_ratio() -> None:
    j = judge((1.0, 1.0), (0.0, 0.0), 0.15)
    assert j.ratio is None
    assert j.verdict == "inconsistent"


# -- the seed article ------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_report() -> dict[str, Any]:
    return audit(SEED).to_dict()


def _claims(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["claims"]}


def test_seed_article_unit_errors(seed_report: dict[str, Any]) -> None:
    claims = _claims(seed_report)
    gpt3 = claims["C16"]
    assert gpt3["verdict"] == "unit error"
    assert gpt3["slip"] == "10^4"
    assert gpt3["slip_direction"] == "stated too small"
    assert gpt3["stated"]["unit"] == "度"
    # Recomputed with the wattlens training model (10,000 V100 x 14.8 days, PUE 1.1).
    assert gpt3["recomputed"]["low"] < 1.287e6 < gpt3["recomputed"]["high"]
    assert "万" in gpt3["explanation"]
    household = claims["C20"]
    assert (household["verdict"], household["slip"]) == ("unit error", "10^4")
    assert household["recomputed"]["value"] == pytest.approx(500_000 / (10_715 / 365), rel=1e-6)


def test_seed_article_bloom_households_is_a_misquote(seed_report: dict[str, Any]) -> None:
    bloom = _claims(seed_report)["C30"]
    # The number is the copied source's (117 Chinese households), but as US households
    # it recomputes to 40: a misquote, not a slip.
    assert bloom["verdict"] == "misquote"
    assert bloom["slip"] is None
    assert bloom["ratio"] == pytest.approx(2.9, abs=0.05)
    assert bloom["recomputed"]["value"] == pytest.approx(40.4, abs=0.1)
    assert bloom["quoted_as"]["verdict"] == "consistent"
    assert any("household-us" in s for s in bloom["sources"])


def test_seed_article_other_verdicts(seed_report: dict[str, Any]) -> None:
    verdicts = {c["id"]: c["verdict"] for c in seed_report["claims"]}
    assert len(verdicts) >= 60
    assert verdicts["C05_usd"] == "unverifiable"
    wrong = {k: v for k, v in verdicts.items() if v not in {"consistent", "unverifiable"}}
    assert wrong == {
        "C16": "unit error",  # 128.7度 for 128.7万度
        "C20": "unit error",  # 1.7倍 for 1.7万倍
        "C30": "misquote",  # 117 Chinese households as US households
        "A11_teslas": "inconsistent",  # 3,000 Teslas for 32 km
        "A32_water_2027": "unit error",  # 4.2-66亿 for 42-66亿 (4.2-6.6 billion)
        "A47_helion_date": "inconsistent",  # April 2023 for November 2021
    }
    assert {"C02_energy", "C03", "C04", "C06", "C22", "C24", "C25", "C29", "C41"} <= {
        k for k, v in verdicts.items() if v == "consistent"
    }
    summary = seed_report["summary"]
    assert summary["unit error"] == 3
    assert summary["misquote"] == 1
    assert summary["inconsistent"] == 2
    assert sum(summary.values()) == len(verdicts)


def test_seed_article_named_slips_stale_and_dates(seed_report: dict[str, Any]) -> None:
    claims = _claims(seed_report)
    water = claims["A32_water_2027"]
    assert (water["slip"], water["slip_end"]) == ("10^1", "low")
    assert "billion ↔ 亿" in water["slip_name"]
    assert "a dropped 万" in claims["C16"]["slip_name"]
    assert "15 years before the article" in claims["C22"]["stale"]
    helion = claims["A47_helion_date"]
    assert helion["stated"]["dimension"] == "date"
    assert helion["discrepancy"] == pytest.approx(1.4, abs=0.1)


def test_seed_article_bill(seed_report: dict[str, Any]) -> None:
    bill = _claims(seed_report)["C03"]
    # 500,000 kWh/day x 365 x RMB 1.06 = RMB 193,450,000 a year.
    assert bill["recomputed"]["value"] == pytest.approx(193_450_000, rel=1e-9)
    assert bill["recomputed"]["unit"] == "元/年"
    assert bill["ratio"] == pytest.approx(2e8 / 193_450_000)


def test_seed_verdicts_come_from_recomputation(tmp_path: Path) -> None:
    """Fix the article's slips in the file and the same recomputations agree."""
    text = SEED.read_text(encoding="utf-8")
    fixed = (
        text.replace("value: 128.7度", "value: 128.7万度")
        .replace("value: 1.7倍", "value: 1.7萬倍")
        .replace('value: "117"', 'value: "40"')
        .replace('    quoted_as: "117"\n', "")  # the copied source's 117 meant something else
    )
    path = tmp_path / "fixed.yaml"
    path.write_text(fixed, encoding="utf-8")
    verdicts = {r.claim.id: r.verdict for r in audit(path).results}
    assert verdicts["C16"] == verdicts["C20"] == verdicts["C30"] == "consistent"


# -- expressions -----------------------------------------------------------------


def _audit_text(body: str) -> dict[str, dict[str, Any]]:
    report = audit_claims(parse_claims(textwrap.dedent(body), "t.yaml"))
    return _claims(report.to_dict())


def test_units_convert_through_the_expression() -> None:
    claims = _audit_text(
        """
        tolerance: 1%
        inputs:
          rate: {value: 1 kWh/day, source: test figure}
        claims:
          - {id: yearly, text: t, value: 365 kWh, recompute: rate * q("1 year")}
          - {id: watts, text: t, value: 41.667 W, recompute: rate}
          - {id: pct, text: t, value: 50%, recompute: 1 / 2}
          - {id: power, text: t, value: "4", recompute: (1 + 1) ** 2}
          - {id: neg, text: t, value: "-3", recompute: -(1 + 2)}
          - {id: chain, text: t, value: 730 kWh, recompute: recomputed(yearly) * 2}
          - {id: stated_ref, text: t, value: 730 kWh, recompute: stated(yearly) + yearly}
        """
    )
    assert {c["verdict"] for c in claims.values()} == {"consistent"}
    assert claims["yearly"]["recomputed"]["value"] == pytest.approx(365.0)


def test_claim_tolerance_overrides_file_tolerance() -> None:
    claims = _audit_text(
        """
        tolerance: 0.05
        claims:
          - {id: a, text: t, value: 110 kWh, recompute: q("100 kWh")}
          - {id: b, text: t, value: 110 kWh, recompute: q("100 kWh"), tolerance: 20%}
        """
    )
    assert claims["a"]["verdict"] == "inconsistent"
    assert claims["b"]["verdict"] == "consistent"
    assert claims["b"]["tolerance"] == pytest.approx(0.2)


def test_catalog_values_carry_units_and_sources() -> None:
    claims = _audit_text(
        """
        claims:
          - id: h
            text: t
            value: 29.36 kWh/day
            recompute: cat("equivalents", "household-us")
          - id: rate
            text: t
            value: 7.08 CNY/USD
            recompute: 1 / cat("exchange_rates", "cny")
          - id: tdp
            text: t
            value: 700 W
            recompute: cat("accelerators", "H100 SXM", "tdp_w")
        """
    )
    assert all(c["verdict"] == "consistent" for c in claims.values())
    assert any(
        s.startswith("catalog equivalents/household-us.value") for s in claims["h"]["sources"]
    )


def test_landauer_bound() -> None:
    claims = _audit_text(
        """
        claims:
          - {id: l, text: t, value: 2.87e-21 J, recompute: landauer(300), tolerance: 1%}
        """
    )
    assert claims["l"]["verdict"] == "consistent"


def test_ranges_propagate() -> None:
    claims = _audit_text(
        """
        inputs:
          answers: {value: 10–50, unit: responses, source: test figure}
        claims:
          - {id: w, text: t, value: 10 mL, recompute: q("500 mL") / answers}
        """
    )
    w = claims["w"]
    assert (w["recomputed"]["low"], w["recomputed"]["high"]) == pytest.approx((10.0, 50.0))
    assert w["verdict"] == "consistent"


def test_unverifiable_without_recompute() -> None:
    claims = _audit_text("claims:\n  - {id: a, text: t, value: 5 kWh, note: no source}\n")
    assert claims["a"]["verdict"] == "unverifiable"
    assert claims["a"]["recomputed"] is None
    assert claims["a"]["ratio"] is None
    assert "no source" in claims["a"]["explanation"]


# -- bad files -------------------------------------------------------------------

BAD_FILES = [
    (  # wrong type
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
            tolerance: lots
        """,
        6, "claims[0] (A).tolerance", "valid number", "percentage",
    ),
    (  # wrong type: a list where text is expected
        """
        claims:
          - id: A
            text: [a, b]
            value: 5 kWh
        """,
        4, "claims[0] (A).text", "valid string", "quote the claim",
    ),
    (  # missing field
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
          - id: B
            text: y
        """,
        6, "claims[1] (B).value", "'value' is missing", "give the value as stated",
    ),
    (  # unknown field
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
            recompte: A
        """,
        6, "claims[0] (A).recompte", "unknown field", "fix its spelling",
    ),
    (  # a unit that does not parse
        """
        claims:
          - id: A
            text: x
            value: 5
            unit: kWhh
        """,
        5, "claims[0] (A).value", "unknown unit 'kWhh'", "did you mean 'kWh'",
    ),
    (  # a bad input unit
        """
        inputs:
          x: {value: 5 flurbs, source: somewhere}
        claims:
          - {id: A, text: x, value: 5 kWh}
        """,
        3, "inputs.x.value", "unknown unit", "write a number",
    ),
    (  # unknown reference
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
          - id: B
            text: y
            value: 5 kWh
            recompute: AA * 2
        """,
        9, "claims[1] (B).recompute", "unknown reference 'AA'", "did you mean: A",
    ),
    (  # unknown catalog name
        """
        claims:
          - id: A
            text: x
            value: 5 kWh/year
            recompute: cat("equivalents", "household-uss")
        """,
        6, "claims[0] (A).recompute", "household-uss", "household-us",
    ),
    (  # cycle
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
            recompute: recomputed(B)
          - id: B
            text: y
            value: 5 kWh
            recompute: recomputed(A) * 2
        """,
        6, "claims[0] (A).recompute", "cycle: A → B → A", "break the cycle",
    ),
    (  # dimension mismatch
        """
        claims:
          - {id: A, text: x, value: 5 kWh, recompute: q("3 kWh/day")}
        """,
        3, "claims[0] (A).recompute", "power (energy per time)", "multiply by a time",
    ),
    (  # not Python: no attribute access, no calls outside the language
        """
        claims:
          - id: A
            text: x
            value: 5 kWh
            recompute: __import__("os").system("true")
        """,
        6, "claims[0] (A).recompute", "not allowed", "use numbers",
    ),
    (  # syntax error
        """
        claims:
          - {id: A, text: x, value: 5 kWh, recompute: "2 *"}
        """,
        3, "claims[0] (A).recompute", "invalid expression", "use numbers",
    ),
    (  # duplicate id
        """
        claims:
          - {id: A, text: x, value: 5 kWh}
          - {id: A, text: y, value: 5 kWh}
        """,
        4, "claims[1] (A).id", "already used", "its own id",
    ),
    (  # bad id
        """
        claims:
          - {id: C-16, text: x, value: 5 kWh}
        """,
        3, "claims[0] (C-16).id", "pattern", "letters, digits",
    ),
    (  # recomputed() of a claim without a recompute
        """
        claims:
          - {id: A, text: x, value: 5 kWh}
          - {id: B, text: y, value: 5 kWh, recompute: recomputed(A)}
        """,
        4, "claims[1] (B).recompute", "has no recompute", "its stated value",
    ),
    (  # YAML syntax
        """
        claims:
          - id: A
            text: x: y
        """,
        4, "(YAML)", "not valid YAML", "quote",
    ),
    (  # not a mapping
        """
        - a
        - b
        """,
        1, "(file)", "mapping", "claims:",
    ),
    (  # empty claims list
        """
        claims: []
        """,
        2, "claims", "at least 1", "list of claims",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "line", "field", "problem", "hint"), BAD_FILES)
def test_bad_files_name_file_line_field_and_fix(
    tmp_path: Path, *, body: str, line: int, field: str, problem: str, hint: str
) -> None:
    path = tmp_path / "claims.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")  # line 1 is empty
    with pytest.raises(ClaimsFileError) as info:
        audit(path)
    err = info.value
    assert err.exit_code == 2
    assert err.line == line, str(err)
    assert err.field == field
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: {re.escape(field)}: ", str(err))
    assert problem in err.message
    assert err.hint is not None
    assert hint in err.hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ClaimsFileError) as info:
        audit(tmp_path / "nope.yaml")
    assert "cannot read" in info.value.message


# -- the command -----------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `audit` as `wattlens.cli.main` does: wattlens errors → message + exit code."""
    from wattlens.cli import app as wattlens_app
    from wattlens.cli import main
    from wattlens.cli.audit import audit as audit_command

    registered = any(c.name == "audit" for c in wattlens_app.registered_commands)
    capsys.readouterr()
    code = 0
    try:
        if registered:
            main(["audit", *map(str, args)])
        else:  # until cli/__init__.py registers the command
            app = typer.Typer()
            app.command("audit")(audit_command)
            app.callback()(lambda: None)
            try:
                app(args=["audit", *map(str, args)], prog_name="wattlens")
            except WattlensError as exc:
                sys.stderr.write(f"error: {exc.message}\nhint: {exc.hint}\n")
                sys.exit(exc.exit_code)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, SEED, "--json")
    assert code == 0  # a report, even with inconsistent claims
    data = json.loads(out)
    assert set(data) >= {"file", "tolerance", "claims", "summary"}
    assert data["tolerance"] == pytest.approx(0.15)
    first = data["claims"][0]
    assert set(first) >= {
        "id", "text", "stated", "recomputed", "ratio", "verdict", "slip", "explanation", "sources",
    }  # fmt: skip
    assert data["summary"]["unit error"] == 3


def test_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, SEED)
    assert code == 0
    assert "unit error (10^4)" in out
    assert "C30" in out
    assert "inconsistent" in out
    assert "misquote" in out
    assert "summary" in out


def test_cli_bad_file_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("claims:\n  - {id: A, text: x, value: 5 kWhh}\n", encoding="utf-8")
    code, out, err = _run(capsys, path, "--json")
    assert code == 2
    assert out == ""
    assert f"{path}:2" in err
    assert "kWhh" in err
