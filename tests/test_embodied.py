"""Embodied impacts: amortisation arithmetic, the separate field in estimates, measurements
and scenarios, and that the use-phase figures never include it."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from wattlens import embodied as embodied_module
from wattlens.catalog import Catalog
from wattlens.embodied import HOURS_PER_YEAR, amortised_g_per_hour, embodied, footprint
from wattlens.errors import InputValueError
from wattlens.estimate import inference, training
from wattlens.measurement import ComponentEnergy, Measurement

EXAMPLE = Path(__file__).parent.parent / "examples" / "scenarios" / "selfhosted-8b-h100.yaml"


def _finite(q: dict[str, float]) -> bool:
    return all(math.isfinite(q[k]) and q[k] >= 0 for k in ("p5", "p50", "p95", "mean"))


# -- arithmetic --------------------------------------------------------------------------------
def test_150_kg_over_five_years_at_full_use_is_3_42_g_per_hour() -> None:
    assert amortised_g_per_hour(150.0, 5.0, 1.0) == pytest.approx(3.4247, abs=1e-4)
    assert round(amortised_g_per_hour(150.0, 5.0, 1.0), 2) == 3.42


def test_the_bloom_paper_rate_is_reproduced() -> None:
    # Luccioni et al. 2023: 150 kg per GPU, 6 years, 85 % use -> "0.003 kg per GPU-hour",
    # and 1.08 million GPU-hours -> 3.64 t.
    rate_g = amortised_g_per_hour(150.0, 6.0, 0.85)
    assert rate_g == pytest.approx(3.3575, abs=1e-3)
    assert rate_g * 1_082_990 / 1e6 == pytest.approx(3.64, abs=0.01)


def test_lower_use_spreads_the_footprint_over_fewer_hours() -> None:
    assert amortised_g_per_hour(100.0, 4.0, 0.5) == pytest.approx(
        2 * amortised_g_per_hour(100.0, 4.0, 1.0)
    )
    assert HOURS_PER_YEAR == 365 * 24


@pytest.mark.parametrize(
    ("kg", "years", "use"), [(-1.0, 5.0, 1.0), (150.0, 0.0, 1.0), (150.0, 5.0, 1.5)]
)
def test_impossible_amortisation_inputs_are_refused(kg: float, years: float, use: float) -> None:
    with pytest.raises(ValueError, match="utilisation"):
        amortised_g_per_hour(kg, years, use)


# -- the footprint and its range -------------------------------------------------------------
def test_h100_uses_the_vendor_footprint_and_the_range_stays_inside_its_bounds(
    catalog: Catalog,
) -> None:
    fp = footprint("H100 SXM", catalog)
    assert fp.specific
    assert fp.device_kgco2e == (164.0, 164.0)  # 1,312 kg / 8 GPUs
    assert fp.server_kgco2e == (2500.0 / 8, 5700.0 / 8)
    assert fp.lifetime_years == (3.0, 6.0)
    assert fp.utilisation == (0.85, 1.0)
    assert "embodied/nvidia-hgx-h100-per-gpu" in fp.sources
    e = embodied("H100 SXM", 1.0, catalog)
    rate = e.carbon_per_accelerator_hour_g
    lowest = amortised_g_per_hour(164.0 + 2500.0 / 8, 6.0, 1.0)
    highest = amortised_g_per_hour(164.0 + 5700.0 / 8, 3.0, 0.85)
    assert lowest <= rate.p5 < rate.p50 < rate.p95 <= highest
    # One accelerator-hour: the carbon is the hourly rate, in kilograms.
    assert e.carbon_kgco2e.p50 == pytest.approx(rate.p50 / 1000.0)


def test_carbon_is_linear_in_accelerator_hours(catalog: Catalog) -> None:
    one = embodied("nvidia-b200", 1.0, catalog)
    many = embodied("nvidia-b200", 250.0, catalog)
    assert many.carbon_kgco2e.p50 == pytest.approx(250.0 * one.carbon_kgco2e.p50)
    assert many.adp_kgsbeq is not None
    assert one.adp_kgsbeq is not None
    assert many.adp_kgsbeq.p95 == pytest.approx(250.0 * one.adp_kgsbeq.p95)


def test_an_accelerator_without_a_published_footprint_takes_the_flagged_generic_range(
    catalog: Catalog,
) -> None:
    fp = footprint("L4", catalog)
    assert not fp.specific
    assert fp.unsourced == ("nvidia-l4",)
    assert fp.device_kgco2e == (150.0, 284.25)
    assert "no footprint is published for nvidia-l4" in fp.basis
    # A name the catalog does not know is kept as given and also takes the generic range.
    assert footprint("Some Future GPU", catalog).unsourced == ("Some Future GPU",)


def test_the_caller_may_state_lifetime_and_use(catalog: Catalog) -> None:
    fixed = embodied("H100 SXM", 1.0, catalog, lifetime_years=(5.0, 5.0), utilisation=(1.0, 1.0))
    assert fixed.footprint.lifetime_years == (5.0, 5.0)
    low = amortised_g_per_hour(164.0 + 2500.0 / 8, 5.0, 1.0)
    high = amortised_g_per_hour(164.0 + 5700.0 / 8, 5.0, 1.0)
    assert low <= fixed.carbon_per_accelerator_hour_g.p5 <= high
    assert low <= fixed.carbon_per_accelerator_hour_g.p95 <= high


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lifetime_years": (0.0, 3.0)}, "lifetime_years must be"),
        ({"lifetime_years": (6.0, 3.0)}, "low <= high"),
        ({"utilisation": (0.5, 1.5)}, "at most 1"),
        ({"utilisation": (float("nan"), 1.0)}, "utilisation must be"),
    ],
)
def test_bad_lifetime_or_use_is_an_input_error(
    catalog: Catalog, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputValueError, match=message):
        embodied("H100 SXM", 1.0, catalog, **kwargs)


@pytest.mark.parametrize("hours", [-1.0, float("inf"), float("nan")])
def test_impossible_accelerator_hours_are_an_input_error(catalog: Catalog, hours: float) -> None:
    with pytest.raises(InputValueError, match="accelerator-hours"):
        embodied("H100 SXM", hours, catalog)


def test_hours_given_as_samples_keep_their_spread(catalog: Catalog) -> None:
    hours = np.linspace(1.0, 3.0, 5000)
    e = embodied("H100 SXM", hours, catalog)
    assert e.accelerator_hours.p50 == pytest.approx(2.0, rel=0.01)
    samples = e.carbon_samples()
    assert samples is not None
    assert samples.shape == (5000,)
    # The summary is of the same pairing of hours and draws as the samples.
    assert e.carbon_kgco2e.mean == pytest.approx(float(samples.mean()))
    fixed = embodied("H100 SXM", 2.0).carbon_kgco2e
    assert e.carbon_kgco2e.p95 / e.carbon_kgco2e.p5 > fixed.p95 / fixed.p5


# -- estimates ---------------------------------------------------------------------------------
def _inference(catalog: Catalog) -> Any:
    return inference(
        model="llama-3.1-8b", accelerator="H100 SXM", output_tokens=300, samples=2000,
        catalog=catalog,
    )  # fmt: skip


def test_inference_json_has_a_finite_modelled_embodied_field(catalog: Catalog) -> None:
    est = _inference(catalog)
    data = est.to_dict()
    emb = data["embodied"]
    assert emb["method"] == "modeled"
    assert _finite(emb["carbon_kgco2e"])
    assert emb["water_l"] is None  # no source gives embodied water
    assert _finite(emb["adp_kgsbeq"])
    assert emb["sources"]
    assert all(s.startswith("embodied/") for s in emb["sources"])
    # The hours are the request's busy time on its accelerators.
    hours = emb["accelerator_hours"]["p50"]
    assert hours == pytest.approx(est.time_per_request_s.p50 * est.count / 3600.0, rel=0.05)


def test_training_embodied_covers_the_accelerator_hours(catalog: Catalog) -> None:
    est = training(accelerator="H100 SXM", accelerator_hours=1e6, samples=2000, catalog=catalog)
    emb = est.to_dict()["embodied"]
    assert emb["accelerator_hours"]["p50"] == pytest.approx(1e6)
    rate = emb["carbon_per_accelerator_hour_g"]
    # Each of the estimate's samples is paired with one draw of footprint, lifetime and use.
    assert emb["carbon_kgco2e"]["p50"] == pytest.approx(rate["p50"] * 1e6 / 1000.0, rel=0.02)


def test_use_phase_figures_do_not_change_with_the_embodied_model(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _inference(catalog).to_dict()
    real = embodied_module.amortise

    def inflated(fp: Any, hours: Any) -> Any:
        return real(fp, np.asarray(hours) * 1e6)

    monkeypatch.setattr(embodied_module, "amortise", inflated)
    after = _inference(catalog).to_dict()
    carbon_before = before["embodied"]["carbon_kgco2e"]["p50"]
    assert after["embodied"]["carbon_kgco2e"]["p50"] > 1e5 * carbon_before
    for key in ("energy_j", "energy_by_boundary_j", "impacts", "prefill_energy_j"):
        assert after[key] == before[key], key


def test_human_estimate_output_has_one_labelled_embodied_line(cli: Any) -> None:
    out = cli("estimate", "training", "-a", "H100 SXM", "--accelerator-hours", "1000",
              "--samples", "500")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "embodied" in line]
    assert len(lines) == 1
    assert "embodied (manufacturing, modelled)" in lines[0]
    assert "not in the figures above" in " ".join(out.stdout.split())


# -- measurements ------------------------------------------------------------------------------
def _measurement(kinds: list[tuple[str, str]], duration_s: float = 7200.0) -> Measurement:
    components = tuple(
        ComponentEnergy(id=f"{kind}:{i}", kind=kind, name=name, method="counter",  # type: ignore[arg-type]
                        sensor="test", basis="test", energy_j=1000.0, avg_power_w=10.0)
        for i, (kind, name) in enumerate(kinds)
    )  # fmt: skip
    return Measurement(
        run_id="r1", name="t", started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T02:00:00Z", duration_s=duration_s, components=components,
    )  # fmt: skip


def test_a_measurement_amortises_over_its_duration_and_device_count() -> None:
    m = _measurement([("gpu", "NVIDIA H100 80GB HBM3"), ("gpu", "NVIDIA H100 80GB HBM3"),
                      ("cpu", "AMD EPYC 9654")])  # fmt: skip
    data = m.to_dict()["embodied"]
    assert data["accelerator_hours"]["p50"] == pytest.approx(2 * 7200.0 / 3600.0)
    assert data["accelerators"] == ["nvidia-h100-sxm", "nvidia-h100-sxm"]
    assert _finite(data["carbon_kgco2e"])
    # The use-phase figures are those of the energy alone.
    assert m.to_dict()["energy_j"] == pytest.approx(3000.0)


def test_a_run_without_an_accelerator_has_no_embodied_figure() -> None:
    assert _measurement([("cpu", "AMD EPYC 9654")]).to_dict()["embodied"] is None


H100 = "NVIDIA H100 80GB HBM3"


def _expected_mean_kg(fp: Any, device_hours: float, server_hours: float) -> float:
    """The mean of the amortised footprint, from the spans alone (uniform draws):
    E[1/X] = ln(b/a) / (b - a) for X uniform on [a, b]."""

    def mean(span: tuple[float, float]) -> float:
        return (span[0] + span[1]) / 2.0

    def mean_inverse(span: tuple[float, float]) -> float:
        a, b = span
        return 1.0 / a if a == b else math.log(b / a) / (b - a)

    per_hour = mean_inverse(fp.lifetime_years) * mean_inverse(fp.utilisation) / HOURS_PER_YEAR
    return per_hour * (
        mean(fp.device_kgco2e) * device_hours + mean(fp.server_kgco2e) * server_hours
    )


def _workload(share: float | None, gpu_shares: list[float | None]) -> Measurement:
    base = _measurement([("gpu", H100)] * len(gpu_shares) + [("cpu", "AMD EPYC 9654")])
    components = tuple(
        replace(c, attributed_energy_j=gpu_shares[i] if c.kind == "gpu" else 400.0)
        for i, c in enumerate(base.components)
    )
    return replace(base, components=components, scope="workload", workload_cpu_share=share)


def test_workload_scope_counts_the_gpus_it_used_and_its_share_of_the_host() -> None:
    m = _workload(0.5, [600.0, 0.0, 0.0, 0.0])  # 2 h on one of four H100s, half the host
    fp = footprint([H100] * 4)
    data = m.to_dict()
    emb, machine = data["embodied"], data["machine_embodied"]
    assert (emb["scope"], emb["devices"], emb["host_share"]) == ("workload", ["gpu:0"], 0.5)
    assert emb["accelerator_hours"]["p50"] == pytest.approx(2.0)
    # 1 GPU x 2 h of device, 0.5 x 4 GPUs x 2 h of host server (per accelerator).
    assert emb["carbon_kgco2e"]["mean"] == pytest.approx(
        _expected_mean_kg(fp, device_hours=2.0, server_hours=4.0), rel=0.01
    )
    assert machine["scope"] == "machine"
    assert machine["devices"] == ["gpu:0", "gpu:1", "gpu:2", "gpu:3"]
    assert machine["carbon_kgco2e"]["mean"] == pytest.approx(
        _expected_mean_kg(fp, device_hours=8.0, server_hours=8.0), rel=0.01
    )
    # Paired draws: the workload's figure is below the machine's at every percentile.
    for key in ("p5", "p50", "p95", "mean"):
        assert emb["carbon_kgco2e"][key] < machine["carbon_kgco2e"][key]
    # Abiotic depletion takes the workload's share of the carbon.
    ratio = emb["carbon_kgco2e"]["mean"] / machine["carbon_kgco2e"]["mean"]
    assert emb["adp_kgsbeq"]["p50"] == pytest.approx(machine["adp_kgsbeq"]["p50"] * ratio)
    line = m.embodied.describe() if m.embodied is not None else ""
    assert "for the process tree (gpu:0 and 50% of the host)" in line
    assert "; machine: " in line


def test_workload_scope_with_unknown_shares_counts_the_whole_machine() -> None:
    m = _workload(None, [None, None])  # neither GPU's nor the host's share is known
    data = m.to_dict()
    assert data["embodied"]["devices"] == ["gpu:0", "gpu:1"]
    assert data["embodied"]["host_share"] == 1.0
    assert data["embodied"]["carbon_kgco2e"] == pytest.approx(
        data["machine_embodied"]["carbon_kgco2e"]
    )


def test_machine_scope_reports_the_machine_figure_in_both_fields() -> None:
    m = _measurement([("gpu", H100), ("gpu", H100)])
    data = m.to_dict()
    assert data["embodied"]["scope"] == "machine"
    assert data["machine_embodied"] == data["embodied"]


def test_a_ranks_embodied_is_its_own_devices_and_the_ranks_add_up_to_the_node() -> None:
    def tagged(m: Measurement, role: str, rank: int) -> Measurement:
        tag = {"run_id": "job", "role": role, "rank": rank, "hostname": "n1"}
        return replace(m, host={"distributed": tag}, scope="workload", workload_cpu_share=0.1)

    gpu = ComponentEnergy(id="gpu:0", kind="gpu", name=H100, method="counter", sensor="t",
                          basis="t", energy_j=10.0, avg_power_w=1.0,
                          attributed_energy_j=10.0)  # fmt: skip
    base = _measurement([("gpu", H100)])
    ranks = [
        tagged(replace(base, components=(replace(gpu, id=f"gpu:{r}"),)), "rank", r) for r in (0, 1)
    ]
    node = replace(_measurement([("gpu", H100), ("gpu", H100), ("cpu", "AMD EPYC 9654")]),
                   host={"distributed": {"run_id": "job", "role": "node", "rank": 0}})  # fmt: skip
    figures = [r.to_dict() for r in ranks]
    assert [f["embodied"]["scope"] for f in figures] == ["rank", "rank"]
    assert [f["embodied"]["devices"] for f in figures] == [["gpu:0"], ["gpu:1"]]
    assert [f["machine_embodied"] for f in figures] == [None, None]
    node_kg = node.to_dict()["embodied"]["carbon_kgco2e"]["mean"]
    assert sum(f["embodied"]["carbon_kgco2e"]["mean"] for f in figures) == pytest.approx(node_kg)
    assert ranks[0].embodied is not None
    assert "of this rank's devices (gpu:0)" in ranks[0].embodied.describe()


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> FakeGpu:
    from wattlens.sensors import discover as discover_module
    from wattlens.sensors.discover import Discovery
    from wattlens.sensors.nvml import NvmlSensor

    gpu = FakeGpu(uuid="GPU-a", energy_mj=0)
    sensor = NvmlSensor(nvml_module=FakeNvml([gpu]), environ={})
    monkeypatch.setattr(discover_module, "_default", Discovery((sensor,), ()))
    return gpu


def test_wattlens_run_and_runs_show_report_embodied(cli: Any, fake_gpu: FakeGpu) -> None:
    ran = cli("run", "--json", "--name", "emb", "--", sys.executable, "-c", "pass")
    assert ran.exit_code == 0, ran.stderr
    data = ran.json()
    emb = data["embodied"]
    assert emb["accelerators"] == ["nvidia-h100-sxm"]
    # The machine's GPU for the whole run (in workload scope, `embodied` is the process
    # tree's part: this fake GPU lists none of its processes).
    machine = data["machine_embodied"]
    assert machine["accelerator_hours"]["p50"] == pytest.approx(data["duration_s"] / 3600.0)
    assert _finite(emb["carbon_kgco2e"])
    shown = cli("runs", "show", data["run_id"], "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["embodied"]["carbon_kgco2e"] == pytest.approx(emb["carbon_kgco2e"])
    text = cli("runs", "show", data["run_id"])
    assert text.exit_code == 0, text.stderr
    assert "embodied (manufacturing, modelled)" in text.stdout


# -- scenarios ---------------------------------------------------------------------------------
def test_scenario_reports_embodied_per_year_beside_unchanged_use_phase_figures(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattlens.scenario import load, run

    data = run(load(EXAMPLE), samples=2000, catalog=catalog)
    emb = data["embodied"]
    assert emb["method"] == "modeled"
    assert len(emb["yearly"]) == data["years"] == 3
    assert [y["year"] for y in emb["yearly"]] == [2026, 2027, 2028]
    for year in emb["yearly"]:
        assert _finite(year["carbon_kgco2e"])
    # Demand grows, and the total is the sum over the years (summed per sample).
    assert emb["yearly"][2]["carbon_kgco2e"]["p50"] > emb["yearly"][0]["carbon_kgco2e"]["p50"]
    total_mean = sum(y["carbon_kgco2e"]["mean"] for y in emb["yearly"])
    assert emb["carbon_kgco2e"]["mean"] == pytest.approx(total_mean, rel=1e-9)
    assert "modelled request classes (100% of the request mix)" in emb["basis"]

    real = embodied_module.amortise

    def inflated(fp: Any, hours: Any) -> Any:
        return real(fp, np.asarray(hours) * 1e6)

    monkeypatch.setattr(embodied_module, "amortise", inflated)
    again = run(load(EXAMPLE), samples=2000, catalog=catalog)
    assert again["embodied"]["carbon_kgco2e"]["p50"] > 1e5 * emb["carbon_kgco2e"]["p50"]
    for key in ("yearly", "total", "daily", "per_request"):
        assert json.dumps(again[key]) == json.dumps(data[key]), key


def test_a_scenario_without_modelled_classes_has_no_embodied_figure(catalog: Catalog) -> None:
    from wattlens.scenario import loads, run

    text = """
name: given energy only
years: 1
demand:
  requests_per_day: 1000
requests:
  - name: chat
    share: 1
    energy_per_request: 0.3 Wh
    boundary: server
"""
    data = run(loads(text), samples=500, catalog=catalog)
    assert data["embodied"] is None


def test_human_scenario_output_has_one_labelled_embodied_line(cli: Any) -> None:
    out = cli("scenario", "run", EXAMPLE, "--samples", "500")
    assert out.exit_code == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert text.count("embodied (manufacturing, modelled): first year") == 1
    assert "not in the figures above" in text


def test_wattlens_run_in_workload_scope_shows_the_process_trees_embodied_beside_the_machines(
    cli: Any, fake_gpu: FakeGpu
) -> None:
    args = ("run", "--scope", "workload", "--no-store")
    ran = cli(*args, "--json", "--", sys.executable, "-c", "pass")
    assert ran.exit_code == 0, ran.stderr
    data = ran.json()
    assert data["scope"] == "workload"
    emb, machine = data["embodied"], data["machine_embodied"]
    assert emb["scope"] == "workload"
    assert emb["devices"] == []  # the fake GPU lists none of the command's processes
    assert 0.0 <= emb["host_share"] <= 1.0
    share = data["workload_cpu_share"]
    assert emb["host_share"] == (1.0 if share is None else share)
    assert machine["scope"] == "machine"
    assert emb["carbon_kgco2e"]["mean"] <= machine["carbon_kgco2e"]["mean"]
    text = cli(*args, "--", sys.executable, "-c", "pass")
    assert text.exit_code == 0, text.stderr
    line = " ".join(text.stderr.split())
    assert "embodied (manufacturing, modelled) for the process tree (" in line
    assert "% of the host): " in line
    assert "; machine: " in line.partition("embodied (manufacturing")[2]
