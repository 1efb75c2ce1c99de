"""Inference estimates on a CPU socket or a slice of its cores (wattlens.estimate.cpu)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

import wattlens
from wattlens.catalog import Cpu, get_catalog
from wattlens.errors import InputValueError, UnknownNameError
from wattlens.formulas.uncertainty import Uncertain

MILAN = "amd-epyc-7763"


def _estimate(**kwargs: Any) -> Any:
    base: dict[str, Any] = {
        "output_tokens": 100, "input_tokens": 100, "accelerator": MILAN, "params": 1e9,
        "layers": 16, "hidden_size": 2048, "heads": 16, "kv_heads": 16, "batch": 1.0,
        "precision": "fp32", "stack": "hf", "location": "world",
    }  # fmt: skip
    return wattlens.estimate.inference(**{**base, **kwargs})


def test_catalog_rows_carry_the_roofline_figures() -> None:
    cat = get_catalog()
    milan = cat.get_typed("cpus", MILAN, Cpu)
    # 8 channels x 3200 MT/s x 8 bytes; 64 cores x 2.45 GHz x 32 FP32 FLOP/cycle (2 x 256-bit FMA).
    assert milan.memory_bandwidth_gbs == pytest.approx(8 * 3200 * 8 / 1000)
    assert milan.peak_flops("fp32") == pytest.approx(64 * 2.45e9 * 32)
    assert milan.peak_flops("bf16") is None  # Zen 3 has no bf16 arithmetic
    assert "FMA" in (milan.flops_basis or "")
    granite = cat.get_typed("cpus", "Xeon 6980P", Cpu)
    assert granite.memory_bandwidth_gbs == pytest.approx(12 * 6400 * 8 / 1000)
    assert granite.peak_flops("bf16") == pytest.approx(128 * 2.0e9 * 1024)  # AMX tiles
    assert granite.peak_flops("fp32") == pytest.approx(128 * 2.0e9 * 64)  # 2 AVX-512 FMA


def test_cpu_rows_refuse_inconsistent_or_unsourced_figures() -> None:
    row = {"id": "x", "vendor": "AMD", "segment": "server", "source": "a datasheet",
           "year": 2021}  # fmt: skip
    with pytest.raises(ValidationError, match="channels x MT/s"):
        Cpu(**row, memory_channels=8, memory_mts=3200, memory_bandwidth_gbs=300)
    with pytest.raises(ValidationError, match="flops_basis"):
        Cpu(**row, fp32_flops_per_cycle=32)


def test_point_estimate_is_the_roofline_of_the_slice() -> None:
    e = _estimate(cores=2, samples=1)
    # Shares of the socket at their central values: power sqrt(2/128 x 2/64) (thread to
    # core), bandwidth sqrt(2/64 x 8 x 2/64) (fair share to 8x), compute 2/64.
    bandwidth = 204.8e9 * math.sqrt(2 / 64 * 16 / 64)
    peak = 64 * 2.45e9 * 32 * 2 / 64
    kv_per_token = 2 * 16 * 16 * 128 * 2  # K and V, layers, kv heads x head dim, 16-bit
    bytes_read = 1e9 * 4 + (100 + 50) * kv_per_token
    mem_eff, compute_eff = 0.55, 0.35  # the CPU rows' modes (formulas/data/cpu_stacks.csv)
    # The CPU row's step overhead (1-30 ms, log-uniform) and the hf per-sequence one (0-0.5 ms).
    overhead = math.sqrt(0.001 * 0.03) + 0.00025
    step = max(bytes_read / (bandwidth * mem_eff), 2e9 / (peak * compute_eff)) + overhead
    assert e.decode_step_s.p50 == pytest.approx(step, rel=1e-9)
    assert e.accelerator == "AMD EPYC 7763, 2 of 64 cores"
    assert e.count == 1
    assert e.embodied is None  # the catalog's footprints are of accelerators
    assert e.sources[0] == f"cpus/{MILAN}"
    assert "cpu-slice" in {w.code for w in e.warnings}


def test_slice_shares_are_stated_with_their_ranges() -> None:
    e = _estimate(cores=2)
    shown = {a.name: a for a in e.assumptions}
    assert shown["cpu_power_share"].value.startswith("0.0156-0.0312")  # 2/128 to 2/64
    assert shown["cpu_bandwidth_share"].value.startswith("0.0312-0.25")  # 2/64 to 8 x 2/64
    assert "204.8 GB/s" in shown["cpu"].value
    assert "64 cores x 2.45 GHz x 32 FLOP/cycle" in shown["cpu"].value
    assert "accelerator-unfitted" not in {w.code for w in e.warnings}
    r = e.energy_by_boundary["accelerator"]
    assert 0 < r.p5 < r.p50 < r.p95


def test_whole_socket_by_default_and_energy_grows_with_the_slice() -> None:
    whole = _estimate(samples=1)
    assert whole.accelerator == "AMD EPYC 7763"
    assert "cpu-slice" not in {w.code for w in whole.warnings}
    # A memory-bound 1B model at batch 1: more cores bring more bandwidth, so a request
    # ends sooner, but draw more power; per request the whole socket spends more than 2 cores
    # whose step is slower by less than the power ratio (the hf step overhead is fixed).
    two = _estimate(samples=1, cores=2)
    assert whole.decode_step_s.p50 < two.decode_step_s.p50
    assert whole.energy.p50 > two.energy.p50


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"accelerator": "amd-epyc-9999", "cores": 2}, UnknownNameError, "cpus"),
        ({"cores": 65}, InputValueError, "has 64 cores; --cores 65 is more"),
        ({"cores": 0}, InputValueError, "cores must be"),
        ({"accelerator": "H100 SXM", "cores": 2}, InputValueError, "applies to a CPU"),
        ({"cores": 2, "stack": "current"}, InputValueError, "no CPU profile"),
        ({"cores": 2, "precision": "bf16"}, InputValueError, "no bf16 arithmetic"),
        ({"accelerator": "amd-epyc-7452", "cores": 2}, InputValueError, "no memory bandwidth"),
    ],
)
def test_bad_cpu_input_is_refused(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        _estimate(**kwargs)


def test_unknown_stack_on_a_cpu_mixes_the_cpu_capable_engines() -> None:
    e = _estimate(cores=2, stack="unknown")
    assert {s for s in e.sources if s.startswith("serving_stacks/")} == {
        "serving_stacks/hf", "serving_stacks/llama.cpp"}  # fmt: skip


def test_cpu_overrides_are_sourced_ranges() -> None:
    from wattlens.estimate.cpu import cpu_overrides

    for stack, params in cpu_overrides().items():
        assert stack in ("hf", "llama.cpp")
        for name, value in params.items():
            assert isinstance(value, Uncertain)
            assert value.basis.split(" ", 1)[0] in ("bound", "estimate"), name
            assert 0 < value.low <= value.high <= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cores", "0"], "--cores"),
        (["--cores", "65"], "has 64 cores"),
        (["-a", "amd-epyc-9999", "--cores", "2"], "unknown cpus name"),
    ],
)
def test_cli_bad_cores_exit_2(cli: Any, args: list[str], message: str) -> None:
    result = cli("estimate", "inference", "--params", "1e9", "--output-tokens", "100",
                 "--precision", "fp32", "-a", MILAN, *args)  # fmt: skip
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_cpu_estimate_json(cli: Any) -> None:
    data = cli("estimate", "inference", "--params", "1e9", "--output-tokens", "100",
               "--precision", "fp32", "-a", MILAN, "--cores", "2", "--stack", "hf",
               "--json").json()  # fmt: skip
    assert data["sources"][0] == f"cpus/{MILAN}"
    assert data["count"] == 1
    assert "cpu_power_share" in str(data["assumptions"])
    assert data["embodied"] is None
    assert data["energy_j"]["p5"] < data["energy_j"]["p95"]


def test_the_server_boundary_adds_a_cpu_servers_rest_not_a_gpu_servers_host() -> None:
    e = _estimate(cores=2)
    host = {a.name: a for a in e.assumptions}["host_fraction"]
    assert host.value.startswith("0.1-0.6")  # the CPU row, not the GPU servers' 0.1-0.5
    assert "the CPU is the host" in host.basis
    assert "DGX" not in host.basis
    point = _estimate(cores=2, samples=1)
    accelerator, server = (point.energy_by_boundary[b].p50 for b in ("accelerator", "server"))
    busy_share = (server - accelerator) / accelerator  # host energy / the cores' energy
    assert 0.1 < busy_share < 0.6


def test_cli_text_names_the_cpu_socket(cli: Any) -> None:
    result = cli("estimate", "inference", "--params", "1e9", "--output-tokens", "100",
                 "--precision", "fp32", "-a", MILAN, "--cores", "2", "--stack", "hf")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "served on 1 CPU socket(s)" in result.stdout
    assert "accelerator(s)" not in result.stdout
