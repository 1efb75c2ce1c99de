"""Checks shared by the training-callback tests."""

from __future__ import annotations

import pytest

from wattlens.integrations.training import TrainingMeter
from wattlens.store import Store


def check_stored_run(tm: TrainingMeter, epochs: int) -> None:
    """Every epoch and the run are in the store; the epochs add up to the run."""
    assert tm.result is not None
    assert len(tm.epochs) == epochs
    assert tm.saved == [*(f"{tm.run_id}.epoch{i:04d}" for i in range(1, epochs + 1)), tm.run_id]
    with Store() as store:
        run = store.get(tm.run_id)
        records = [store.get(f"{tm.run_id}.epoch{i:04d}") for i in range(1, epochs + 1)]
    assert run.energy_j == pytest.approx(tm.result.energy_j)
    assert all(r.energy_j > 0 for r in records)
    assert all(r.host["training"]["steps"] >= 1 for r in records)
    assert all(len(r.host["training"]["step_energy_j"]) >= 1 for r in records)
    assert all(e > 0 for r in records for e in r.host["training"]["step_energy_j"])
    # The epochs cover the run but for the set-up before the first and the gaps between them.
    total = sum(r.energy_j for r in records)
    assert total <= run.energy_j * 1.001
    assert total >= run.energy_j * 0.8
    assert run.host["training"]["epoch_records"] == [r.run_id for r in records]


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
