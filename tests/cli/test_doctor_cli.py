"""``wattlens doctor`` over fake hardware: counter facts per device and ``--check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_amdsmi import FakeAmdGpu, FakeAmdSmi
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from wattlens.sensors import discover as discover_module


@pytest.fixture
def fake_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[FakeGpu]:
    gpus = [FakeGpu(uuid="GPU-a", energy_mj=1_000, power_mw=250_000)]
    real = discover_module.discover

    def fake_discover(**kwargs: Any) -> discover_module.Discovery:
        return real(
            rapl_root=tmp_path / "none",
            nvml_module=FakeNvml(gpus),
            amdsmi_module=FakeAmdSmi([FakeAmdGpu(energy_ticks=2**40)]),
            use_model=False,
            dev_root=tmp_path,
        )

    monkeypatch.setattr(discover_module, "discover", fake_discover)
    return gpus


def test_doctor_lists_counter_width_resolution_update_period_and_attribution(
    cli: Any, fake_machine: list[FakeGpu]
) -> None:
    result = cli("doctor", "--json")
    assert result.exit_code == 0
    data = result.json()
    comps = {c["id"]: c for b in data["backends"] for c in b["components"]}
    nvidia = comps["gpu:0"]["counter"]
    assert nvidia["width_bits"] == 64
    assert nvidia["resolution_j"] == pytest.approx(1e-3)
    assert nvidia["update_period_s"] == pytest.approx(0.1)
    assert nvidia["attribution"] is True
    assert nvidia["max_power_w"] == pytest.approx(700.0)
    amd = comps["gpu:amd:0"]["counter"]
    assert amd["width_bits"] == 64
    assert amd["attribution"] is False
    assert amd["update_period_s"] is None
    assert "check" not in data
    human = cli("doctor")
    assert "64-bit, resolution 1000 µJ" in human.stdout
    assert "per-process share" in human.stdout


def test_doctor_check_flags_a_stuck_counter_and_exits_1(
    cli: Any, fake_machine: list[FakeGpu]
) -> None:
    result = cli("doctor", "--check", "--seconds", "0.2", "--json")
    assert result.exit_code == 1
    checks = {c["id"]: c for c in result.json()["check"]}
    assert any("stuck" in p for p in checks["gpu:0"]["problems"])  # 250 W, energy never moves
    human = cli("doctor", "--check", "--seconds", "0.2")
    assert human.exit_code == 1
    assert "FLAGGED" in human.stdout
