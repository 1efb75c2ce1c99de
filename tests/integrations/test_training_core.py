"""TrainingMeter on a real (tiny) CPU training loop."""

from __future__ import annotations

import pytest

from wattlens.errors import UsageError
from wattlens.integrations.training import TrainingForecast, TrainingMeter

from .training_helpers import check_forecast, check_stored_run


def _train(tm: TrainingMeter, epochs: int, steps: int) -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    # About 0.2 s per epoch: long beside the store's set-up between epochs.
    x, y = torch.randn(8192, 64), torch.randn(8192, 1)
    tm.start_run(epochs)
    for _ in range(epochs):
        tm.start_epoch()
        for _ in range(steps):
            tm.start_step()
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            tm.end_step()
        tm.end_epoch()
    tm.end_run()


def test_training_meter_stores_epochs_and_forecasts() -> None:
    seen: list[TrainingForecast] = []
    tm = TrainingMeter("core-test", forecast_after=2, on_forecast=seen.append)
    _train(tm, epochs=5, steps=20)
    check_stored_run(tm, 5)
    check_forecast(tm, 5, warmup=1, after=2)
    assert seen == tm.forecasts
    assert "forecast" in tm.epochs[2].measurement.host["training"]
    assert "forecast" not in tm.epochs[1].measurement.host["training"]


def test_other_ranks_measure_but_do_not_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    tm = TrainingMeter("rank-1", forecast_after=2)
    assert not tm.writer
    _train(tm, epochs=3, steps=2)
    assert tm.saved == []
    assert tm.result is not None
    assert tm.result.energy_j > 0
    assert tm.forecast is not None


def test_no_forecast_without_total_epochs() -> None:
    tm = TrainingMeter("open-ended", forecast_after=2, save=False)
    tm.start_run()
    for _ in range(4):
        tm.start_epoch()
        tm.start_step()
        tm.end_step()
        tm.end_epoch()
    tm.end_run()
    assert tm.forecast is None
    assert len(tm.epochs) == 4


def test_step_stride_keeps_step_windows_within_budget() -> None:
    tm = TrainingMeter("stride", save=False, step_budget=0.005)
    tm.start_epoch()
    for _ in range(5):  # empty steps: a window costs far more than 0.5 % of them
        tm.start_step()
        tm.end_step()
    assert tm.step_stride > 1
    tm.end_run()


def test_bad_settings_name_the_setting() -> None:
    with pytest.raises(UsageError, match="forecast_after must be at least 2"):
        TrainingMeter(forecast_after=1)
    with pytest.raises(UsageError, match="step_budget"):
        TrainingMeter(step_budget=0)
    with pytest.raises(UsageError, match="end_run\\(\\) without start_run"):
        TrainingMeter(save=False).end_run()


_KILLED_SCRIPT = """
import sys, time
from wattlens.integrations.training import TrainingMeter

tm = TrainingMeter("killed-run", total_epochs=10, forecast_after=2)
tm.start_run()
print(tm.run_id, flush=True)
for epoch in (1, 2):
    tm.start_epoch()
    for _ in range(3):
        tm.start_step()
        time.sleep(0.02)
        tm.end_step()
    tm.end_epoch()
    tm.flush()
    print("saved", epoch, flush=True)
tm.start_epoch()
time.sleep(120)  # killed here, in the middle of epoch 3
"""


def test_a_killed_training_process_leaves_its_finished_epochs() -> None:
    import signal
    import subprocess
    import sys

    from wattlens.store import Store

    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_SCRIPT], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            run_id = proc.stdout.readline().strip()
            assert proc.stdout.readline().strip() == "saved 1"
            assert proc.stdout.readline().strip() == "saved 2"
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with Store() as store:
        run = store.get(run_id)
        windows = store.windows(run_id)
        listed = [r["run_id"] for r in store.list_runs()]
    assert listed == [run_id]
    assert run.status == "running"
    assert [(w.kind, w.detail["epoch"]) for w in windows] == [
        ("epoch", 1),
        ("steps", 1),
        ("epoch", 2),
        ("steps", 2),
    ]
    epochs = [w for w in windows if w.kind == "epoch"]
    # The run keeps the energy of the epochs it finished, and says it did not end.
    assert run.energy_j == pytest.approx(sum(w.energy_j for w in epochs))
    assert run.energy_j > 0
    assert run.host["training"]["epochs"] == 2
    assert any("running" in w for w in run.warnings)
    assert [w.detail["steps"] for w in epochs] == [3, 3]
