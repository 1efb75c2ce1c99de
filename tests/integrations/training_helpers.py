"""Checks shared by the training-callback tests."""

from __future__ import annotations

import itertools

import pytest

from wattlens.integrations.training import TrainingMeter
from wattlens.store import Store


def check_stored_run(tm: TrainingMeter, epochs: int) -> None:
    """The run is stored once, with a window per epoch and per epoch's steps that add up."""
    assert tm.result is not None
    assert len(tm.epochs) == epochs
    assert tm.saved == [tm.run_id]
    assert tm.saved_windows == list(range(2 * epochs))
    with Store() as store:
        run = store.get(tm.run_id)
        windows = store.windows(tm.run_id)
        # No record of its own per epoch any more: the runs list holds the run only.
        assert store.children(tm.run_id) == []
        assert [r["run_id"] for r in store.list_runs(name=run.name)] == [tm.run_id]
    assert run.status == "completed"
    assert run.energy_j == pytest.approx(tm.result.energy_j)
    epoch_windows = [w for w in windows if w.kind == "epoch"]
    step_windows = [w for w in windows if w.kind == "steps"]
    assert [w.detail["epoch"] for w in epoch_windows] == list(range(1, epochs + 1))
    assert [w.energy_j for w in epoch_windows] == pytest.approx([e.energy_j for e in tm.epochs])
    assert all(w.energy_j > 0 for w in epoch_windows)
    assert all(w.detail["steps"] >= 1 for w in epoch_windows)
    # Epochs follow one another inside the run.
    assert all(a.end_s <= b.start_s + 1e-3 for a, b in itertools.pairwise(epoch_windows))
    assert all(0 <= w.start_s < w.end_s <= run.duration_s + 1.0 for w in epoch_windows)
    for steps, epoch in zip(step_windows, tm.epochs, strict=True):
        assert steps.detail["measured_steps"] == len(epoch.step_energy_j) >= 1
        assert steps.energy_j == pytest.approx(sum(epoch.step_energy_j))
        assert all(e > 0 for e in steps.detail["step_energy_j"])
        # The measured steps lie inside their epoch.
        assert steps.energy_j <= epoch.energy_j * 1.001
    # The epochs cover the run but for the set-up before the first and the gaps between them.
    total = sum(w.energy_j for w in epoch_windows)
    assert total <= run.energy_j * 1.001
    assert total >= run.energy_j * 0.8
    assert run.host["training"]["epoch_energy_j"] == pytest.approx(
        [w.energy_j for w in epoch_windows]
    )


def check_forecast(tm: TrainingMeter, epochs: int, warmup: int, after: int) -> None:
    """A forecast exists from epoch ``warmup + after`` on, and brackets its central value."""
    assert len(tm.forecasts) == epochs - (warmup + after) + 1
    first = tm.forecasts[0]
    assert first.energy.epochs_seen == warmup + after
    assert first.energy.total_epochs == epochs
    assert first.energy.energy_low_j <= first.energy.energy_j <= first.energy.energy_high_j
    assert first.impacts.co2e_g.p5 <= first.impacts.co2e_g.p50 <= first.impacts.co2e_g.p95
    assert first.impacts.co2e_g.p50 > 0
    last = tm.forecasts[-1].energy
    # At the last epoch nothing remains: the forecast is the energy used.
    assert last.energy_j == pytest.approx(sum(e.energy_j for e in tm.epochs))
    assert tm.result is not None
    assert tm.result.host["training"]["first_forecast"]["epochs_seen"] == warmup + after
