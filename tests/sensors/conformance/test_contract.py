"""The sensor contract, the same for every backend (run over every rig).

A reading covers every component; energy is cumulative, never decreases and
equals what the hardware used; wraps are counted; a failing component is held
at its last energy and counted in ``faults`` while the others go on; a counter
catches up after the failure; a counter that steps back adds nothing.
"""

from __future__ import annotations

import pytest

from tests.sensors.conformance.rigs import BUILDERS, GLITCHING, WRAPPING, Rig
from wattlens.sensors.base import Sensor

LOADS = [(300.0, 1.0), (1_000.0, 4.0), (50.0, 0.25), (2.0, 0.5)]  # (J, s): whole watts


def test_components_are_unique_and_each_reading_covers_them(rig: Rig) -> None:
    assert isinstance(rig.sensor, Sensor)
    ids = rig.ids
    assert ids
    assert len(set(ids)) == len(ids)
    assert {c.method for c in rig.sensor.components()} <= {"counter", "sampled"}
    reading = rig.sensor.read()
    assert set(reading.energy_j) == set(ids)
    assert reading.faults == {}


def test_energy_is_monotone_and_equals_the_load(rig: Rig) -> None:
    start = rig.sensor.read().energy_j
    loaded = dict.fromkeys(rig.ids, 0.0)
    previous = start
    for i, (joules, seconds) in enumerate(LOADS * 2):
        cid = rig.ids[i % len(rig.ids)]
        rig.load(cid, joules, seconds)
        loaded[cid] += joules
        now = rig.sensor.read().energy_j
        assert all(now[c] >= previous[c] for c in rig.ids)
        previous = now
    for cid in rig.ids:
        assert previous[cid] - start[cid] == pytest.approx(loaded[cid], abs=1e-3)


@pytest.mark.parametrize("name", WRAPPING)
def test_every_wrap_is_counted_when_read_often_enough(name: str, tmp_path: object) -> None:
    from pathlib import Path

    rig = BUILDERS[name](Path(str(tmp_path)))
    assert rig.wrap_j is not None
    cid = rig.ids[0]
    start = rig.sensor.read().energy_j[cid]
    step_j = round(rig.wrap_j / 3)
    for _ in range(10):  # 10/3 wraps, read three times per wrap
        rig.load(cid, step_j, step_j / 500)
        rig.sensor.read()
    assert rig.sensor.read().energy_j[cid] - start == pytest.approx(10 * step_j, rel=1e-6)


def test_a_failing_component_is_held_counted_and_does_not_stop_the_others(rig: Rig) -> None:
    bad, good = rig.ids[0], rig.ids[-1]
    before = rig.sensor.read()
    rig.load(bad, 300.0, 1.0)
    if good != bad:
        rig.load(good, 200.0, 1.0)
    rig.fail(bad)
    failing = rig.sensor.read()
    assert failing.energy_j[bad] <= before.energy_j[bad] + 300.0 + 1e-6
    count, reason = failing.faults[bad]
    assert count >= 1
    assert reason
    if good != bad:
        assert good not in failing.faults
        assert failing.energy_j[good] - before.energy_j[good] == pytest.approx(200.0, abs=1e-3)
    rig.recover(bad)
    rig.load(bad, 100.0, 1.0)
    after = rig.sensor.read()
    assert after.faults[bad][0] == count  # recovered: no new fault
    if rig.method == "counter":
        # The counter kept counting while unreadable: nothing was lost.
        assert after.energy_j[bad] - before.energy_j[bad] == pytest.approx(400.0, abs=1e-3)
    else:
        assert after.energy_j[bad] >= failing.energy_j[bad]


@pytest.mark.parametrize("name", GLITCHING)
def test_a_counter_stepping_back_adds_nothing(name: str, tmp_path: object) -> None:
    from pathlib import Path

    rig = BUILDERS[name](Path(str(tmp_path)))
    cid = rig.ids[0]
    before = rig.sensor.read().energy_j[cid]
    assert rig.glitch is not None
    rig.glitch(cid)
    after = rig.sensor.read()
    assert after.energy_j[cid] == before
    assert "went back" in after.faults[cid][1]
    rig.load(cid, 300.0, 1.0)
    assert rig.sensor.read().energy_j[cid] - before == pytest.approx(300.0, abs=1e-3)
