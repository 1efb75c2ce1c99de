"""The meter over every backend: wraps counted, failures degrade, attribution adds up.

A window's result never depends on a read going well: a component whose
reads failed inside the window is ``partial`` with the reason (energy up to
its last good read) and the run still ends with a result; attributed energy
is credited once per interval, never from before ``begin``, and stays within
``[0, energy]`` for consecutive and overlapping windows alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sensors.conformance.rigs import BUILDERS, WRAPPING, Rig
from wattlens.meter import CadenceReader, Meter
from wattlens.sensors.base import Component, Reading

NO_SAMPLER_S = 3_600.0  # the sampler thread waits an hour: the tests drive every read


def meter_for(rig: Rig) -> Meter:
    return Meter(
        sensors=[rig.sensor],
        interval_s=NO_SAMPLER_S,
        clock=rig.clock,
        reader=CadenceReader(clock=rig.clock, threaded=False),
    )


@pytest.mark.parametrize("name", WRAPPING)
def test_a_window_across_many_wraps_counts_them_all(name: str, tmp_path: Path) -> None:
    # F1: a counter-only meter was never read between its edges.
    rig = BUILDERS[name](tmp_path)
    reader = CadenceReader(clock=rig.clock, threaded=False)
    meter = Meter(sensors=[rig.sensor], interval_s=NO_SAMPLER_S, clock=rig.clock, reader=reader)
    assert rig.wrap_j is not None
    cid = rig.ids[0]
    meter.begin("long")
    step_j = round(rig.wrap_j / 3)
    for _ in range(16):  # more than five wraps
        rig.load(cid, step_j, step_j / 500)
        reader.run_due()
    result = meter.end("long")
    meter.close()
    energy = {c.id: c.energy_j for c in result.components}
    assert energy[cid] == pytest.approx(16 * step_j, rel=1e-3)


def test_a_component_failing_at_the_end_is_partial_and_the_run_has_a_result(rig: Rig) -> None:
    # F3: one NOT_SUPPORTED or lost GPU at Meter.end lost the whole run.
    meter = meter_for(rig)
    bad = rig.ids[0]
    meter.begin("w")
    rig.load(bad, 300.0, 1.0)
    rig.sensor.read()  # the last good read
    rig.load(bad, 100.0, 1.0)
    rig.fail(bad)
    result = meter.end("w")
    meter.close()
    by_id = {c.id: c for c in result.components}
    assert by_id[bad].status == "partial"
    assert by_id[bad].status_reason
    assert by_id[bad].energy_j == pytest.approx(300.0, abs=1e-3)
    assert any(bad in w for w in result.warnings)
    for cid in rig.ids[1:]:
        assert by_id[cid].status == "measured"


def test_a_window_after_the_failure_is_measured_again(rig: Rig) -> None:
    meter = meter_for(rig)
    bad = rig.ids[0]
    rig.fail(bad)
    meter.begin("failing")
    meter.end("failing")
    rig.recover(bad)
    meter.begin("later")
    rig.load(bad, 200.0, 1.0)
    later = {c.id: c for c in meter.end("later").components}
    meter.close()
    assert later[bad].status == "measured"


class Exploding:
    """A sensor whose every read after ``armed`` raises something unexpected."""

    name = "exploding"
    needs_polling = False
    max_read_interval_s: float | None = None

    def __init__(self) -> None:
        self.energy = 0.0
        self.armed = False

    def components(self) -> list[Component]:
        return [Component("gpu:9", "gpu", "boom", "counter", "exploding", "test")]

    def read(self) -> Reading:
        if self.armed:
            raise RuntimeError("driver vanished")
        return Reading(timestamp_s=0.0, energy_j={"gpu:9": self.energy})

    def close(self) -> None:
        pass


def test_a_sensor_raising_anything_degrades_only_its_own_components(rig: Rig) -> None:
    boom = Exploding()
    meter = Meter(sensors=[rig.sensor, boom], interval_s=NO_SAMPLER_S, clock=rig.clock)
    meter.begin("w")
    boom.energy = 42.0
    meter.begin("inner")  # a last good read of 42 J
    boom.armed = True
    rig.load(rig.ids[0], 300.0, 1.0)
    outer = meter.end("w")
    meter.end("inner")
    meter.close()
    by_id = {c.id: c for c in outer.components}
    assert by_id["gpu:9"].status == "partial"
    assert "driver vanished" in (by_id["gpu:9"].status_reason or "")
    assert by_id["gpu:9"].energy_j == pytest.approx(42.0)
    assert by_id[rig.ids[0]].energy_j == pytest.approx(300.0, abs=1e-3)
    assert by_id[rig.ids[0]].status == "measured"
