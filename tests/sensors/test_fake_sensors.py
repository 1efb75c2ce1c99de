"""The public test doubles behave like exact sensors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wattlens.meter import Meter
from wattlens.sensors.base import Sensor
from wattlens.sensors.fake import FakeSensor, ReplaySensor


def test_fakes_satisfy_the_sensor_protocol() -> None:
    assert isinstance(FakeSensor({"gpu:0": 1.0}), Sensor)
    assert isinstance(ReplaySensor([(0, {"gpu:0": 1.0}), (1, {"gpu:0": 1.0})]), Sensor)


def test_fake_sensor_needs_exactly_one_script() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FakeSensor()
    with pytest.raises(ValueError, match="exactly one"):
        FakeSensor({"a": 1.0}, energy_j=lambda t: {"a": t})


def test_fake_energy_function_is_exact() -> None:
    now = [0.0]
    sensor = FakeSensor(energy_j=lambda t: {"gpu:0": 5 * t * t}, clock=lambda: now[0])
    now[0] = 3.0
    assert sensor.read().energy_j["gpu:0"] == pytest.approx(45.0)
    assert sensor.components()[0].kind == "gpu"


def test_replay_integrates_piecewise_linear_power() -> None:
    now = [0.0]
    sensor = ReplaySensor(
        [(100.0, {"gpu:0": 100.0}), (110.0, {"gpu:0": 300.0})], clock=lambda: now[0]
    )
    assert sensor.energy_at(10.0)["gpu:0"] == pytest.approx(2000.0)
    assert sensor.energy_at(5.0)["gpu:0"] == pytest.approx((100 + 200) / 2 * 5)
    # after the trace ends the last power holds
    assert sensor.energy_at(12.0)["gpu:0"] == pytest.approx(2000.0 + 600.0)
    now[0] = 10.0
    assert sensor.read().energy_j["gpu:0"] == pytest.approx(2000.0)
    assert sensor.components()[0].method == "sampled"


def test_replay_rejects_bad_traces() -> None:
    with pytest.raises(ValueError, match="at least two"):
        ReplaySensor([(0, {"gpu:0": 1.0})])
    with pytest.raises(ValueError, match="increase strictly"):
        ReplaySensor([(0, {"gpu:0": 1.0}), (0, {"gpu:0": 1.0})])


def test_recorded_timeline_replays_to_the_same_energy(tmp_path: Path) -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    original = ReplaySensor(
        [(0.0, {"gpu:0": 200.0, "gpu:1": 50.0}), (4.0, {"gpu:0": 400.0, "gpu:1": 50.0})],
        clock=clock,
    )
    meter = Meter([original], clock=clock)
    meter.begin("w")
    now[0] = 4.0
    recorded = meter.end("w")
    path = tmp_path / "trace.json"
    path.write_text(json.dumps([{"t_s": 0.0, "power_w": {"gpu:0": 200.0}},
                                {"t_s": 4.0, "power_w": {"gpu:0": 400.0}}]))  # fmt: skip
    replay = ReplaySensor.from_json(path, clock=clock)
    assert replay.energy_at(4.0)["gpu:0"] == pytest.approx(recorded.components[0].energy_j)
    assert recorded.components[0].energy_j == pytest.approx(1200.0)
