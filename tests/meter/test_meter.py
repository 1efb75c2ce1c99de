"""Measurement windows over faithful fake sensors, with an injected clock."""

from __future__ import annotations

import threading
import time

import pytest

from wattlens.errors import SensorError, UsageError
from wattlens.meter import Meter
from wattlens.sensors.base import Reading
from wattlens.sensors.fake import FakeSensor


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_window_energy_is_power_times_duration(clock: Clock) -> None:
    gpu = FakeSensor({"gpu:0": 300.0, "cpu:package-0": 50.0}, clock=clock)
    meter = Meter([gpu], clock=clock)
    meter.begin("step")
    clock.advance(2.0)
    result = meter.end("step")
    energies = {c.id: c.energy_j for c in result.components}
    assert energies == {"gpu:0": pytest.approx(600.0), "cpu:package-0": pytest.approx(100.0)}
    assert result.energy_j == pytest.approx(700.0)
    assert result.duration_s == pytest.approx(2.0)
    assert result.avg_power_w == pytest.approx(350.0)
    assert result.methods == ["counter"]
    assert not result.is_modeled


def test_nested_and_overlapping_windows(clock: Clock) -> None:
    meter = Meter([FakeSensor({"gpu:0": 100.0}, clock=clock)], clock=clock)
    meter.begin("epoch")
    clock.advance(1)
    meter.begin("step-1")
    clock.advance(2)
    meter.begin("eval")  # overlaps step-1 and outlives it
    clock.advance(3)
    step = meter.end("step-1")
    clock.advance(4)
    evaluation = meter.end("eval")
    epoch = meter.end("epoch")
    assert step.energy_j == pytest.approx(500.0)
    assert evaluation.energy_j == pytest.approx(700.0)
    assert epoch.energy_j == pytest.approx(1000.0)
    assert meter.open_windows == []


def test_duplicate_and_unknown_windows_are_usage_errors(clock: Clock) -> None:
    meter = Meter([FakeSensor({"gpu:0": 1.0}, clock=clock)], clock=clock)
    meter.begin("a")
    with pytest.raises(UsageError, match="already open"):
        meter.begin("a")
    with pytest.raises(UsageError, match="no open window named 'b'"):
        meter.end("b")
    meter.cancel("a")
    assert meter.open_windows == []


def test_attributed_share_never_exceeds_component(clock: Clock) -> None:
    sensor = FakeSensor({"gpu:0": 100.0}, clock=clock, attributed_share=1.7)
    meter = Meter([sensor], clock=clock)
    meter.begin("w")
    clock.advance(1)
    component = meter.end("w").components[0]
    assert component.attributed_energy_j == pytest.approx(component.energy_j)


def test_attribution_share_is_reported(clock: Clock) -> None:
    sensor = FakeSensor({"gpu:0": 100.0}, clock=clock, attributed_share=0.25)
    meter = Meter([sensor], clock=clock)
    meter.begin("w")
    clock.advance(4)
    result = meter.end("w")
    assert result.attributed_energy_j == pytest.approx(100.0)
    assert result.energy_j == pytest.approx(400.0)


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wattlens-sampler"]


def test_no_background_thread_with_counters_and_no_timeline() -> None:
    meter = Meter([FakeSensor({"gpu:0": 10.0})])
    meter.begin("w")
    assert _sampler_threads() == []
    meter.end("w")
    meter.close()


def test_timeline_samples_power_in_background() -> None:
    sensor = FakeSensor({"gpu:0": 250.0})
    with Meter([sensor], timeline=True, interval_s=0.02) as meter:
        meter.begin("w")
        assert len(_sampler_threads()) == 1
        time.sleep(0.3)
        result = meter.end("w")
    assert _sampler_threads() == []
    assert result.timeline is not None
    assert len(result.timeline) >= 5
    for point in result.timeline:
        assert point.power_w["gpu:0"] == pytest.approx(250.0, rel=1e-6)
    assert [p.t_s for p in result.timeline] == sorted(p.t_s for p in result.timeline)
    assert result.peak_power_w == pytest.approx(250.0, rel=1e-6)


def test_polling_sensor_starts_sampler_without_timeline() -> None:
    sensor = FakeSensor({"gpu:0": 1.0}, needs_polling=True)
    meter = Meter([sensor], interval_s=0.02)
    meter.begin("w")
    time.sleep(0.15)
    meter.end("w")
    meter.close()
    assert sensor.reads >= 5


def test_measurement_round_trips_through_dict(clock: Clock) -> None:
    from wattlens.measurement import Measurement

    meter = Meter([FakeSensor({"gpu:0": 100.0}, clock=clock)], clock=clock, location="fr")
    meter.begin("w")
    clock.advance(36)
    result = meter.end("w", command=["python", "x.py"], exit_code=3, status="failed")
    data = result.to_dict()
    again = Measurement.from_dict(data)
    assert again.to_dict() == data
    assert data["exit_code"] == 3
    assert data["command"] == ["python", "x.py"]


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_interval_must_be_positive(bad: float) -> None:
    with pytest.raises(UsageError, match="interval must be positive"):
        Meter([FakeSensor({"gpu:0": 1.0})], interval_s=bad)


def test_measure_context_manager_and_decorator() -> None:
    import wattlens
    from wattlens.sensors.fake import FakeSensor as Fake

    sensor = Fake({"cpu:package-0": 20.0})
    with wattlens.measure("block", sensors=[sensor]) as m:
        time.sleep(0.05)
    assert m.result.name == "block"
    assert m.result.energy_j == pytest.approx(20.0 * m.result.duration_s, rel=0.05)

    with pytest.raises(ZeroDivisionError), wattlens.measure("boom", sensors=[sensor]) as failing:
        _ = 1 / 0
    assert failing.result.status == "failed"

    @wattlens.measured(name="step")
    def step(x: int) -> int:
        return x * 2

    assert step(21) == 42
    last = step.last_measurement  # type: ignore[attr-defined]
    assert last.name == "step"
    assert last.status == "completed"


def test_a_meter_without_sensors_says_nothing_was_measured() -> None:
    meter = Meter([])
    meter.begin("w")
    result = meter.end("w")
    assert result.energy_j == 0
    assert any("nothing was measured" in w for w in result.warnings)


def test_a_meter_samples_again_after_close() -> None:
    sensor = FakeSensor({"gpu:0": 1.0}, needs_polling=True)
    meter = Meter([sensor], interval_s=0.02)
    meter.begin("first")
    meter.end("first")
    meter.close()
    meter.begin("second")  # the sampler stopped by close() starts again
    reads = sensor.reads
    time.sleep(0.2)
    meter.end("second")
    meter.close()
    assert sensor.reads - reads >= 5


class _FailsOnce(FakeSensor):
    def __init__(self) -> None:
        super().__init__({"gpu:0": 1.0}, needs_polling=True)
        self.failed = False

    def read(self) -> Reading:
        if self.reads >= 3 and not self.failed:
            self.failed = True
            raise SensorError("transient driver error")
        return super().read()


def test_one_failed_sample_does_not_stop_the_sampler() -> None:
    sensor = _FailsOnce()
    meter = Meter([sensor], interval_s=0.02)
    meter.begin("w")
    time.sleep(0.3)
    meter.end("w")
    meter.close()
    assert sensor.failed
    assert sensor.reads >= 8
