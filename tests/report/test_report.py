"""HTML reports: self-contained, the run's and the estimate's own numbers, PNG charts."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.web.conftest import RUNS, Seeded, make_run
from wattlens import estimate
from wattlens.cli import report as report_cli
from wattlens.errors import UsageError
from wattlens.measurement import TimelinePoint
from wattlens.report import (
    downsample_timeline,
    estimate_report,
    estimate_view,
    plotly_js_path,
    run_report,
    run_view,
    write_html,
)
from wattlens.units import ENERGY, format_energy, format_mass, format_range

HAS_CHROMIUM = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()


def _figures(html: str) -> dict[str, dict[str, object]]:
    found = re.findall(
        r'data-figure="([a-z_]+)">\s*<div[^>]*></div>\s*'
        r'<script type="application/json" class="figure-data">(.*?)</script>',
        html,
        flags=re.S,
    )
    return {name: json.loads(text) for name, text in found}


def _assert_self_contained(html: str) -> None:
    assert re.search(r"<script[^>]+src=", html) is None
    assert re.search(r"<link[^>]+href=", html) is None
    assert "cdn." not in html.replace(plotly_js_path().read_text(encoding="utf-8"), "").lower()
    assert plotly_js_path().read_text(encoding="utf-8") in html


# -- downsampling ----------------------------------------------------------------------------------
def test_downsample_keeps_short_timelines_whole() -> None:
    points = [TimelinePoint(i * 0.5, {"gpu:0": float(i)}) for i in range(10)]
    series = downsample_timeline(points, 100)
    assert series["points"] == series["source_points"] == 10
    assert series["power_w"]["gpu:0"] == [float(i) for i in range(10)]


def test_downsample_averages_buckets_and_keeps_energy() -> None:
    points = [
        TimelinePoint(i * 0.1, {"gpu:0": 100.0 + (i % 7), "cpu": 20.0 + (i % 3)})
        for i in range(36_000)
    ]
    series = downsample_timeline(points, 5_000)
    assert series["points"] <= 5_000
    assert series["bucket_size"] == 8
    for component in ("gpu:0", "cpu"):
        mean_in = sum(p.power_w[component] for p in points) / len(points)
        mean_out = sum(series["power_w"][component]) / series["points"]
        assert mean_out == pytest.approx(mean_in, rel=1e-3)


def test_downsample_missing_components_and_empty() -> None:
    points = [TimelinePoint(float(i), {"a": 1.0} if i < 4 else {"b": 2.0}) for i in range(8)]
    series = downsample_timeline(points, 2)
    assert series["power_w"] == {"a": [1.0, None], "b": [None, 2.0]}
    assert downsample_timeline(None)["points"] == 0
    with pytest.raises(ValueError, match="at least 1"):
        downsample_timeline(points, 0)


# -- run reports -----------------------------------------------------------------------------------
def test_run_report_is_self_contained_with_the_runs_numbers() -> None:
    run = RUNS[0]
    html = run_report(run)
    _assert_self_contained(html)
    assert format_energy(run.energy_j) in html
    assert format_mass(run.impacts["co2e_g"]["central"]) in html
    assert "measured (counter)" in html
    assert "python train.py --epochs 3" in html
    figures = _figures(html)
    assert set(figures) == {"power", "energy_by_component", "impacts"}
    power = figures["power"]["data"]
    assert isinstance(power, list)
    assert {trace["name"] for trace in power} == {"gpu:0 (counter)", "cpu:package-0 (counter)"}
    assert "accelerators/nvidia-h100-sxm" in html  # sources


def test_modelled_run_says_so_with_ranges() -> None:
    run = RUNS[2]
    view = run_view(run)
    assert view["measured"] is False
    assert view["method_label"].startswith("modelled, not measured")
    assert "power" not in view["figures"]  # no timeline recorded
    energy = dict(view["summary"])["energy"]
    # One unit for the whole range, chosen from the central value.
    assert energy == format_range(
        run.energy_low_j, run.energy_j, run.energy_high_j, ENERGY, labels=None
    )
    html = run_report(run)
    assert "cpu, ram modelled" in html


def test_long_timeline_report_sends_at_most_5000_points() -> None:
    run = make_run("c0ffee0000000001", "hour", duration_s=3600.0, hz=10.0)
    figures = run_view(run)["figures"]
    xs = [len(trace["x"]) for trace in figures["power"]["data"]]
    assert max(xs) <= 5_000
    assert "36,000" in figures["power"]["layout"]["title"]["text"]


# -- estimate reports ------------------------------------------------------------------------------
def test_estimate_report_has_distribution_assumptions_and_sources() -> None:
    e = estimate.inference(
        model="llama-3.1-8b", output_tokens=400, accelerator="H100 SXM", batch=8, location="FR"
    )
    html = estimate_report(e, title="Inference", inputs={"model": "llama-3.1-8b"})
    _assert_self_contained(html)
    figures = _figures(html)
    assert set(figures) == {"energy_by_boundary", "uncertainty", "sensitivity", "impacts"}
    hist = figures["uncertainty"]["data"][0]  # type: ignore[index]
    assert sum(hist["y"]) == len(e.samples_j[e.boundary])
    assert format_energy(e.energy_j["p50"]) in html
    for source in e.sources:
        assert source in html
    for a in e.assumptions:
        assert a.name in html
    assert "estimated (modelled, not measured)" in html
    view = estimate_view(e, title="x")
    assert ("boundary", "server") in view["summary"]


def test_write_html_unwritable_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write the report"):
        write_html("<html></html>", blocker / "report.html")


# -- the command -----------------------------------------------------------------------------------
def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(report_cli.app, name="report")

    @app.callback()
    def _root() -> None:
        """wattlens"""

    return app


def test_report_run_command(seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "out" / "run.html"
    result = CliRunner().invoke(_app(), ["report", "run", "b7c8", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "laptop-eval" in html


def test_report_run_unknown_id(seeded: Seeded, tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["report", "run", "ffff", "-o", str(tmp_path / "x.html")])
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == "no stored run has id 'ffff'"


def test_report_estimate_commands(tmp_path: Path) -> None:
    out = tmp_path / "inference.html"
    result = CliRunner().invoke(
        _app(),
        ["report", "estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400",
         "-a", "H100 SXM", "--batch", "8", "-o", str(out), "--samples", "2000"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Inference estimate per request on H100 SXM" in out.read_text(encoding="utf-8")
    out = tmp_path / "training.html"
    result = CliRunner().invoke(
        _app(),
        ["report", "estimate", "training", "-a", "H100 SXM", "--params", "70B", "--tokens",
         "2T", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "accelerator-hours" in out.read_text(encoding="utf-8")


@pytest.mark.skipif(
    not HAS_CHROMIUM and os.environ.get("WATTLENS_SKIP_BROWSER") == "1",
    reason="WATTLENS_SKIP_BROWSER=1 and no Chromium: PNG export not tested",
)
def test_report_png_export(seeded: Seeded, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(),
        ["report", "run", "a1b2c3d4e5f60001", "-o", str(tmp_path / "r.html"),
         "--png", str(tmp_path / "png")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert names == ["energy_by_component.png", "impacts.png", "power.png"]
    for name in names:
        data = (tmp_path / "png" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 5_000


# -- scenarios -------------------------------------------------------------------------------------
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "selfhosted-8b-h100.yaml"


def test_scenario_report_has_the_scenario_numbers(tmp_path: Path) -> None:
    from wattlens import scenario
    from wattlens.report import scenario_report
    from wattlens.report.figures import quantile_text

    loaded = scenario.load(EXAMPLE)
    result = scenario.run(loaded, samples=2_000)
    steps = scenario.waterfall(loaded, samples=2_000)
    html = scenario_report(result, steps)
    _assert_self_contained(html)
    assert set(_figures(html)) == {"energy_by_year", "carbon_by_year", "water_by_year", "levers"}
    assert quantile_text(result["daily"]["energy_j"], format_energy) in html
    for step in steps["steps"]:
        assert step["lever"] in html
    for row in result["catalog_rows"]:
        assert row in html
    levers = _figures(html)["levers"]["data"][0]  # type: ignore[index]
    assert len(levers["x"]) == len(steps["steps"]) + 1


def test_report_scenario_command(tmp_path: Path) -> None:
    out = tmp_path / "scenario.html"
    result = CliRunner().invoke(
        _app(), ["report", "scenario", str(EXAMPLE), "--samples", "1000", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Levers, in order" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        _app(),
        ["report", "scenario", str(EXAMPLE), "--samples", "1000", "--no-levers", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Levers, in order" not in out.read_text(encoding="utf-8")
