"""Every problem of a claims file in one run; --fail-on, stdin, many files, md and html."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from wattlens.audit import ClaimsFileError, audit

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "claims" / "seed-article.yaml"

MANY_PROBLEMS = """\
claims:
  - id: A
    text: x
    value: 5 kWhh
  - id: B
    text: y
    value: 5 kWh
    recompute: AA * 2
  - id: C
    text: z
    value: 5 kWh
    recompte: A
  - {id: D, text: w, value: 5 kWh, recompute: 'q("3 kWh/day")'}
  - {id: E, text: v, value: [1, 2]}
"""


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")
    with pytest.raises(ClaimsFileError) as info:
        audit(path)
    err = info.value
    assert err.exit_code == 2
    found = [(p.line, p.field) for p in err.problems]
    assert found == [
        (4, "claims[0] (A).value"),
        (8, "claims[1] (B).recompute"),
        (12, "claims[2] (C).recompte"),
        (13, "claims[3] (D).recompute"),
        (14, "claims[4] (E).value"),
    ]
    # Each with its column and a specific fix, all in the message.
    assert all(p.column for p in err.problems)
    assert f"{path}:4:12: claims[0] (A).value" in err.message
    hints = {p.field: p.hint for p in err.problems}
    assert "did you mean 'kWh'" in hints["claims[0] (A).value"]
    assert "did you mean: A" in hints["claims[1] (B).recompute"]
    assert "did you mean 'recompute'" in hints["claims[2] (C).recompte"]
    assert "multiply by a time" in hints["claims[3] (D).recompute"]
    assert err.message.count("fix:") == 5


def _run(
    capsys: pytest.CaptureFixture[str], *args: str | Path, stdin: str | None = None
) -> tuple[int, str, str]:
    from wattlens.cli import main

    capsys.readouterr()
    code = 0
    if stdin is not None:
        pytest.MonkeyPatch().setattr("sys.stdin", io.StringIO(stdin))
    try:
        main(["audit", *map(str, args)])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


def test_fail_on_sets_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, SEED, "--fail-on", "inconsistent,unit-error,misquote")
    assert code == 1
    assert "C16 (unit error)" in err
    code, _, _ = _run(capsys, SEED, "--json")
    assert code == 0
    code, _, err = _run(capsys, SEED, "--fail-on", "wrong")
    assert code == 2
    assert "unit-error" in err


def test_stdin_and_many_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "one.yaml"
    other.write_text("claims:\n  - {id: a, text: t, value: 5 kWh, recompute: 'q(\"5 kWh\")'}\n")
    code, out, _ = _run(capsys, "-", other, "--format", "json", stdin=SEED.read_text("utf-8"))
    assert code == 0
    data = json.loads(out)
    assert [r["file"] for r in data["reports"]] == ["<stdin>", str(other)]
    assert data["summary"]["unit error"] == data["reports"][0]["summary"]["unit error"]
    assert data["summary"]["consistent"] == data["reports"][0]["summary"]["consistent"] + 1


def test_bad_files_are_all_reported_before_any_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad1, bad2 = tmp_path / "b1.yaml", tmp_path / "b2.yaml"
    bad1.write_text("claims:\n  - {id: A, text: x, value: 5 kWhh}\n")
    bad2.write_text("claims:\n  - {id: B, text: x, value: 5 flurbs}\n")
    code, out, err = _run(capsys, bad1, SEED, bad2)
    assert code == 2
    assert out == ""
    assert f"{bad1}:2:" in err
    assert f"{bad2}:2:" in err


def test_markdown_report_shows_recomputation_sources_and_gap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, SEED, "--format", "md")
    assert code == 0
    assert out.startswith("# Audit: ")
    assert "| claim | stated | recomputed | discrepancy | verdict |" in out
    section = out.split("## C16", 1)[1].split("\n## ", 1)[0]
    assert "**unit error (10^4)**" in section
    assert "- recomputed: `training_energy(" in section
    assert "[arXiv:2104.10350](https://arxiv.org/abs/2104.10350)" in section
    assert "- discrepancy: ×0.000103" in section
    assert "[doi:10.1016/j.joule.2023.09.004](https://doi.org/10.1016/j.joule.2023.09.004)" in out


def test_html_report_is_one_self_contained_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    code, out, _ = _run(capsys, SEED, "--format", "html", "-o", target)
    assert code == 0
    assert out == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"<link|src=|@import|url\(", page)  # nothing fetched
    assert 'id="C16"' in page
    assert 'href="https://arxiv.org/abs/2104.10350"' in page
    assert "unit error (10^4)" in page


def test_text_output_lists_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, SEED)
    assert code == 0
    assert "source: catalog equivalents/household-us" in out


def test_json_alias_matches_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, a, _ = _run(capsys, SEED, "--json")
    _, b, _ = _run(capsys, SEED, "--format", "json")
    assert json.loads(a) == json.loads(b)


def test_a_claim_reads_dates_written_by_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            date: 2024-04-20
            claims:
              - {id: a, text: t, value: 0.3 Wh, date: 2009-01-11, recompute: 'q("0.3 Wh")'}
            """
        )
    )
    report = audit(path)
    assert report.date == "2024-04-20"
    assert report.results[0].stale is not None
