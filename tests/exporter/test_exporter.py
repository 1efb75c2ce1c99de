"""The exporter's counters are the meter's energy, exposed in a valid Prometheus text format."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.exporter._support import BoundedModelSensor
from wattlens.errors import UsageError
from wattlens.exporter import MAX_LABEL_CHARS, OTHER_WINDOW, Exporter
from wattlens.meter import Meter
from wattlens.sensors.base import Reading
from wattlens.sensors.fake import FakeSensor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def samples(exporter: Exporter, name: str) -> list[Sample]:
    """The samples named ``name`` in the exporter's exposition, parsed by prometheus_client."""
    return [
        sample
        for family in text_string_to_metric_families(exporter.exposition())
        for sample in family.samples
        if sample.name == name
    ]


def by_device(exporter: Exporter, name: str) -> dict[str, float]:
    return {s.labels["device"]: s.value for s in samples(exporter, name)}


def test_counters_are_the_meters_energy_per_component() -> None:
    clock = Clock()

    def energy(t: float) -> dict[str, float]:
        # A load that is not constant: 300 W ramping to 500 W on one GPU, 120 W on the other.
        return {"gpu:0": 300 * t + 10 * t * t, "gpu:1": 120 * t}

    meter = Meter([FakeSensor(energy_j=energy, clock=clock)], clock=clock)
    exporter = Exporter(meter, host_label="node-1")
    for step in (0.7, 1.0, 2.5, 0.3):
        clock.now += step
        exporter.update()
    exact = energy(clock.now)
    got = by_device(exporter, "wattlens_energy_joules_total")
    assert got == pytest.approx(exact, rel=1e-12)
    assert exporter.totals_j() == pytest.approx(exact, rel=1e-12)
    # The power gauge is the last interval's average: d/dt over the 0.3 s step.
    last = {k: (exact[k] - energy(clock.now - 0.3)[k]) / 0.3 for k in exact}
    assert by_device(exporter, "wattlens_power_watts") == pytest.approx(last, rel=1e-9)
    labels = {
        s.labels["device"]: s.labels for s in samples(exporter, "wattlens_energy_joules_total")
    }
    assert labels["gpu:0"] == {
        "component": "gpu",
        "device": "gpu:0",
        "host": "node-1",
        "method": "measured",
    }
    exporter.close()
    assert meter.open_windows == []


def test_counters_match_a_window_of_the_same_meter_in_real_time() -> None:
    meter = Meter([FakeSensor({"gpu:0": 250.0, "gpu:1": 75.0})])
    meter.begin("whole")
    exporter = Exporter(meter)
    for _ in range(5):
        time.sleep(0.02)
        exporter.update()
    exporter.close()
    whole = {c.id: c.energy_j for c in meter.end("whole").components}
    totals = exporter.totals_j()
    # The exporter's windows lie inside the outer one and leave no gap between them; each
    # opens just before the previous one closes, so on a loaded machine they may overlap by
    # a read (milliseconds): the exact equality is checked under the injected clock above.
    for device, joules in totals.items():
        assert joules == pytest.approx(whole[device], rel=0.05)


def test_exposition_parses_with_the_method_label_and_modelled_bounds() -> None:
    clock = Clock()
    meter = Meter(
        [
            FakeSensor({"gpu:0": 400.0}, method="sampled", clock=clock),
            BoundedModelSensor(50.0, low=0.5, high=2.0, clock=clock),
        ],
        clock=clock,
    )
    exporter = Exporter(meter, host_label="n", run="llama-ft")
    clock.now = 10.0
    exporter.update()
    families = {f.name: f for f in text_string_to_metric_families(exporter.exposition())}
    assert families["wattlens_energy_joules"].type == "counter"
    assert families["wattlens_power_watts"].type == "gauge"
    methods = {
        s.labels["device"]: s.labels["method"] for s in families["wattlens_energy_joules"].samples
    }
    assert methods == {"gpu:0": "measured", "cpu": "modelled"}
    assert all(s.labels["run"] == "llama-ft" for s in families["wattlens_energy_joules"].samples)
    bounds = {
        s.labels["bound"]: s.value
        for s in samples(exporter, "wattlens_energy_range_joules_total")
        if s.labels["device"] == "cpu"
    }
    assert bounds == pytest.approx({"low": 250.0, "high": 1000.0})
    # A measured component has no range.
    assert {
        s.labels["device"] for s in samples(exporter, "wattlens_energy_range_joules_total")
    } == {"cpu"}
    info = {s.labels["device"]: s.labels for s in samples(exporter, "wattlens_component_info")}
    assert info["gpu:0"]["sensor"] == "fake"
    assert info["cpu"]["name"] == "test CPU"
    assert [s.value for s in samples(exporter, "wattlens_exporter_updates_total")] == [1.0]


def test_window_names_beyond_the_bound_are_summed_as_other() -> None:
    clock = Clock()
    meter = Meter([FakeSensor({"gpu:0": 100.0}, clock=clock)], clock=clock)
    exporter = Exporter(meter, max_windows=3)
    for index in range(10):
        with exporter.window(f"step-{index}"):
            clock.now += 2.0
    counts = {s.labels["window"]: s.value for s in samples(exporter, "wattlens_windows_total")}
    assert counts == {"step-0": 1, "step-1": 1, "step-2": 1, OTHER_WINDOW: 7}
    energy = {
        s.labels["window"]: s.value
        for s in samples(exporter, "wattlens_window_energy_joules_total")
    }
    assert energy == pytest.approx({"step-0": 200, "step-1": 200, "step-2": 200, "other": 1400})
    seconds = {
        s.labels["window"]: s.value
        for s in samples(exporter, "wattlens_window_duration_seconds_total")
    }
    assert seconds["other"] == pytest.approx(14.0)
    # A known name keeps its own value after the bound is reached.
    with exporter.window("step-1"):
        clock.now += 1.0
    counts = {s.labels["window"]: s.value for s in samples(exporter, "wattlens_windows_total")}
    assert counts["step-1"] == 2


def test_a_failed_window_is_not_recorded() -> None:
    meter = Meter([FakeSensor({"gpu:0": 100.0})])
    exporter = Exporter(meter)
    with pytest.raises(RuntimeError), exporter.window("step"):
        raise RuntimeError("boom")
    assert samples(exporter, "wattlens_windows_total") == []
    assert "step" not in meter.open_windows


class FailingSensor(FakeSensor):
    def __init__(self, clock: Clock, fail_after: int) -> None:
        super().__init__({"gpu:0": 200.0}, clock=clock)
        self.fail_after = fail_after

    def read(self) -> Reading:
        if self.reads >= self.fail_after:
            self.reads += 1
            raise OSError("GPU is lost")
        return super().read()


def test_a_failing_sensor_is_down_and_its_energy_held() -> None:
    clock = Clock()
    meter = Meter([FailingSensor(clock, fail_after=3)], clock=clock)
    exporter = Exporter(meter)
    clock.now = 1.0
    exporter.update()  # reads 2 and 3 succeed
    assert by_device(exporter, "wattlens_component_up") == {"gpu:0": 1.0}
    clock.now = 5.0
    exporter.update()  # fails: held at the last good read
    assert by_device(exporter, "wattlens_component_up") == {"gpu:0": 0.0}
    assert by_device(exporter, "wattlens_energy_joules_total") == {"gpu:0": pytest.approx(200.0)}


def test_each_exporter_has_its_own_registry() -> None:
    first = Exporter(Meter([FakeSensor({"gpu:0": 1.0})]), host_label="a")
    second = Exporter(Meter([FakeSensor({"gpu:7": 1.0})]), host_label="b")
    assert first.registry is not second.registry
    assert set(by_device(first, "wattlens_energy_joules_total")) == {"gpu:0"}
    assert set(by_device(second, "wattlens_energy_joules_total")) == {"gpu:7"}
    global_names = {family.name for family in REGISTRY.collect()}
    assert not any(name.startswith("wattlens") for name in global_names)
    first.close()
    second.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host_label": " "}, "host label is empty"),
        ({"run": ""}, "run label is empty"),
        ({"run": "x" * (MAX_LABEL_CHARS + 1)}, "at most 128"),
        ({"max_windows": -1}, "max_windows"),
    ],
)
def test_bad_labels_are_usage_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Exporter(Meter([FakeSensor({"gpu:0": 1.0})]), **kwargs)  # type: ignore[arg-type]


def test_update_after_close_is_a_usage_error() -> None:
    exporter = Exporter(Meter([FakeSensor({"gpu:0": 1.0})]))
    exporter.close()
    exporter.close()  # closing twice is harmless
    with pytest.raises(UsageError, match="closed"):
        exporter.update()
    with pytest.raises(UsageError, match="closed"):
        exporter.start(1.0)


def test_serves_the_exposition_over_http_and_refuses_a_busy_port() -> None:
    exporter = Exporter(Meter([FakeSensor({"gpu:0": 300.0})]), host_label="h")
    server = exporter.serve("127.0.0.1", 0)
    try:
        exporter.update()
        with urllib.request.urlopen(server.url, timeout=10) as response:
            body = response.read().decode()
            assert response.headers["Content-Type"].startswith("text/plain")
        (sample,) = [
            s
            for family in text_string_to_metric_families(body)
            for s in family.samples
            if s.name == "wattlens_energy_joules_total"
        ]
        assert sample.value == pytest.approx(exporter.totals_j()["gpu:0"])
        with pytest.raises(UsageError, match="Address already in use") as caught:
            exporter.serve("127.0.0.1", server.port)
        assert caught.value.hint is not None
        assert "--port" in caught.value.hint
    finally:
        exporter.close()
    # Closing frees the port (a connection of the scrape may linger in TIME_WAIT, which
    # servers bind through with SO_REUSEADDR as wsgiref's does).
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", server.port))


def test_an_unknown_host_is_a_usage_error() -> None:
    exporter = Exporter(Meter([FakeSensor({"gpu:0": 1.0})]))
    with pytest.raises(UsageError, match=r"cannot listen on no-such-host\.invalid:") as caught:
        exporter.serve("no-such-host.invalid", 0)
    assert caught.value.hint is not None
    assert "--host" in caught.value.hint
    exporter.close()


def test_start_updates_in_the_background() -> None:
    exporter = Exporter(Meter([FakeSensor({"gpu:0": 100.0})]))
    exporter.start(0.05)
    deadline = time.monotonic() + 20
    while exporter.updates < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(UsageError, match="already"):
        exporter.start(0.05)
    exporter.close()
    assert exporter.updates >= 3
    assert exporter.totals_j()["gpu:0"] > 0
    with pytest.raises(UsageError, match="positive"):
        Exporter(Meter([FakeSensor({"gpu:0": 1.0})])).start(0.0)
