"""The framework-neutral part of every training callback: windows per step and epoch, a forecast.

A :class:`TrainingMeter` keeps three kinds of window open on one
:class:`~wattlens.meter.Meter`: the whole run, the current epoch and (some of)
the steps. Each epoch is saved to the run store as its own record
``<run_id>.epoch<NNNN>`` (name ``<name>:epoch<N>``), carrying in
``host.training`` its step count, the energies of the steps it measured and the
latest forecast; the whole run is saved as ``<run_id>`` at the end, like a run
of ``wattlens run``.

Step windows cost two reads of every sensor. To keep that under
``step_budget`` of the step time (0.5 % by default), the meter measures every
``k``-th step, with ``k`` set from the observed cost of a step window and the
observed step time; every epoch window is always measured in full.

In a distributed job (``torchrun``, MPI, SLURM) only global rank 0 saves
records; the other ranks measure but write nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wattlens.errors import UsageError
from wattlens.integrations.training.forecast import (
    DEFAULT_LEVEL,
    EnergyForecast,
    forecast_energy,
)
from wattlens.store.ids import new_run_id

if TYPE_CHECKING:
    from wattlens.measurement import Measurement, RunStatus
    from wattlens.meter import Meter
    from wattlens.sensors.base import Sensor
    from wattlens.types import Impacts

__all__ = ["EpochRecord", "TrainingForecast", "TrainingMeter", "is_global_rank_zero"]

DEFAULT_FORECAST_AFTER = 3
DEFAULT_STEP_BUDGET = 0.005


def is_global_rank_zero() -> bool:
    """Whether this process is global rank 0 of its job (a process without a launcher is)."""
    from wattlens.distributed import detect_rank

    return detect_rank().rank == 0


@dataclass(frozen=True)
class EpochRecord:
    """One measured epoch."""

    epoch: int
    """1-based."""
    measurement: Measurement
    steps: int
    step_energy_j: tuple[float, ...]
    """Energies of the steps that were measured (every ``step_stride``-th)."""
    step_stride: int

    @property
    def energy_j(self) -> float:
        return self.measurement.energy_j


@dataclass(frozen=True)
class TrainingForecast:
    """A whole run's energy, carbon, water and cost, forecast after some epochs."""

    energy: EnergyForecast
    impacts: Impacts

    def to_dict(self) -> dict[str, Any]:
        return {**self.energy.to_dict(), "impacts": self.impacts.to_dict()}

    def __str__(self) -> str:
        from wattlens.units import format_energy, format_mass, format_money, format_volume

        e, i = self.energy, self.impacts
        return (
            f"wattlens forecast after {e.epochs_seen} of {e.total_epochs} epochs "
            f"({e.level:.0%} interval): energy {format_energy(e.energy_j)} "
            f"({format_energy(e.energy_low_j)} to {format_energy(e.energy_high_j)}), "
            f"CO2e {format_mass(i.co2e_g.p50)} ({format_mass(i.co2e_g.p5)} to "
            f"{format_mass(i.co2e_g.p95)}), water {format_volume(i.water_l.total.p50)}"
            + (f", cost {format_money(i.cost.amount.p50, i.cost.currency)}" if i.cost else "")
        )


class TrainingMeter:
    """Measures a training run by step and epoch, saves it, and forecasts its total.

    Args:
        name: Name of the run in the store.
        total_epochs: Epochs the run will have (needed for the forecast; a callback
            usually sets it from the framework when training starts).
        forecast_after: Epochs after the warm-up before the first forecast (at least 2).
        warmup_epochs: Leading epochs left out of the per-epoch model.
        level: Two-sided coverage of the forecast interval.
        meter: The meter to use; default a new one over ``sensors``.
        sensors: Sensors for a new meter; default what discovery finds.
        location: Where the energy is used (for carbon, water, cost).
        pue: Facility overhead for the impacts.
        save: Save the records to the run store (on global rank 0 only).
        url: Store URL; default ``WATTLENS_DB`` or the user data directory.
        step_budget: Largest share of step time spent on step windows.
        on_forecast: Called with each new forecast (after every epoch from the first one on).
        writer: Whether this process saves records; default: it is global rank 0.
    """

    def __init__(
        self,
        name: str = "training",
        *,
        total_epochs: int | None = None,
        forecast_after: int = DEFAULT_FORECAST_AFTER,
        warmup_epochs: int = 1,
        level: float = DEFAULT_LEVEL,
        meter: Meter | None = None,
        sensors: Sequence[Sensor] | None = None,
        location: str | None = None,
        pue: float | None = None,
        save: bool = True,
        url: str | None = None,
        step_budget: float = DEFAULT_STEP_BUDGET,
        on_forecast: Callable[[TrainingForecast], None] | None = None,
        writer: bool | None = None,
    ) -> None:
        if forecast_after < 2:
            raise UsageError(
                f"forecast_after must be at least 2 epochs, got {forecast_after}",
                hint="an interval needs the spread of at least two epochs",
            )
        if warmup_epochs < 0:
            raise UsageError(f"warmup_epochs must be 0 or more, got {warmup_epochs}")
        if not 0.0 < step_budget < 1.0:
            raise UsageError(f"step_budget must be a fraction in (0, 1), got {step_budget}")
        if total_epochs is not None and total_epochs < 1:
            raise UsageError(f"total_epochs must be at least 1, got {total_epochs}")
        self.name = name
        self.total_epochs = total_epochs
        self.forecast_after = forecast_after
        self.warmup_epochs = warmup_epochs
        self.level = level
        self._meter = meter
        self._sensors = sensors
        self.location = location
        self.pue = pue
        self.save = save
        self.url = url
        self.step_budget = step_budget
        self.on_forecast = on_forecast
        self.writer = is_global_rank_zero() if writer is None else writer
        self.run_id = new_run_id()
        self.epochs: list[EpochRecord] = []
        self.forecasts: list[TrainingForecast] = []
        self.result: Measurement | None = None
        self.saved: list[str] = []
        """Run ids saved so far (epoch records, then the run)."""
        self.warnings: list[str] = []
        self._prefix = f"wattlens-training:{self.run_id}"
        self._running = False
        self._in_epoch = False
        self._in_step = False
        self._epoch_steps = 0
        self._step_energies: list[float] = []
        self._stride = 1
        self._step_cost_s = 0.0
        self._step_time_s = 0.0
        self._cost_mean_s = 0.0
        self._writer: _Writer | None = None

    # -- state -------------------------------------------------------------
    @property
    def meter(self) -> Meter:
        if self._meter is None:
            from wattlens.meter import Meter

            self._meter = Meter(self._sensors, location=self.location, pue=self.pue)
        return self._meter

    @property
    def running(self) -> bool:
        """Whether the run window is open."""
        return self._running

    @property
    def forecast(self) -> TrainingForecast | None:
        """The latest forecast, once ``warmup_epochs + forecast_after`` epochs have ended."""
        return self.forecasts[-1] if self.forecasts else None

    @property
    def step_stride(self) -> int:
        """Every how many steps a step window is measured now."""
        return self._stride

    # -- run ---------------------------------------------------------------
    def start_run(self, total_epochs: int | None = None) -> None:
        """Open the run window (again after a finished run: a new run id)."""
        if self._running:
            return
        if total_epochs is not None:
            if total_epochs < 1:
                raise UsageError(f"total_epochs must be at least 1, got {total_epochs}")
            self.total_epochs = total_epochs
        if self.result is not None:
            self.run_id = new_run_id()
            self._prefix = f"wattlens-training:{self.run_id}"
            self.epochs, self.forecasts, self.saved, self.result = [], [], [], None
        self.meter.begin(self._prefix)
        self._running = True
        if self.save and self.writer and self._writer is None:
            self._writer = _Writer(self.url, self.location)

    def end_run(self, status: RunStatus = "completed") -> Measurement:
        """Close any open step or epoch, close the run window and save the run."""
        if not self._running:
            raise UsageError("end_run() without start_run()", hint="call start_run() first")
        if self._in_step:
            self.meter.cancel(f"{self._prefix}:step")
            self._in_step = False
        if self._in_epoch:
            self.end_epoch()
        raw = self.meter.end(self._prefix, run_id=self.run_id, status=status)
        self._running = False
        training: dict[str, Any] = {
            "run_id": self.run_id,
            "epochs": len(self.epochs),
            "total_epochs": self.total_epochs,
            "epoch_energy_j": [e.energy_j for e in self.epochs],
            "epoch_records": [e.measurement.run_id for e in self.epochs],
            "steps": sum(e.steps for e in self.epochs),
        }
        if self.forecasts:
            training["first_forecast"] = self.forecasts[0].to_dict()
            training["forecast"] = self.forecasts[-1].to_dict()
        result = replace(raw, name=self.name, host={**raw.host, "training": training})
        self.result = result
        self._save(result)
        self.flush()
        return result

    # -- epochs ------------------------------------------------------------
    def start_epoch(self) -> None:
        """Open an epoch window (opening the run first if needed)."""
        if not self._running:
            self.start_run()
        if self._in_epoch:
            self.end_epoch()
        self.meter.begin(f"{self._prefix}:epoch")
        self._in_epoch = True
        self._epoch_steps = 0
        self._step_energies = []

    def end_epoch(self) -> EpochRecord:
        """Close the epoch window, save its record and update the forecast."""
        if not self._in_epoch:
            raise UsageError("end_epoch() without start_epoch()", hint="call start_epoch() first")
        if self._in_step:
            self.end_step()
        epoch = len(self.epochs) + 1
        raw = self.meter.end(f"{self._prefix}:epoch", run_id=f"{self.run_id}.epoch{epoch:04d}")
        self._in_epoch = False
        training: dict[str, Any] = {
            "run_id": self.run_id,
            "epoch": epoch,
            "steps": self._epoch_steps,
            "step_stride": self._stride,
            "step_energy_j": list(self._step_energies),
        }
        record = EpochRecord(
            epoch, raw, self._epoch_steps, tuple(self._step_energies), self._stride
        )
        self.epochs.append(record)
        forecast = self._forecast()
        if forecast is not None:
            training["forecast"] = forecast.to_dict()
        measurement = replace(
            raw, name=f"{self.name}:epoch{epoch}", host={**raw.host, "training": training}
        )
        record = replace(record, measurement=measurement)
        self.epochs[-1] = record
        self._save(measurement)
        if forecast is not None and self.on_forecast is not None:
            self.on_forecast(forecast)
        return record

    # -- steps -------------------------------------------------------------
    def start_step(self) -> None:
        """Begin a step; it gets a window when its turn in the stride comes."""
        if not self._in_epoch:
            self.start_epoch()
        if self._in_step or self._epoch_steps % self._stride:
            return
        t0 = time.perf_counter()
        self.meter.begin(f"{self._prefix}:step")
        self._in_step = True
        self._step_cost_s = time.perf_counter() - t0

    def end_step(self) -> float | None:
        """End a step: its energy in joules, or None when this step was not measured."""
        self._epoch_steps += 1
        if not self._in_step:
            return None
        t0 = time.perf_counter()
        m = self.meter.end(f"{self._prefix}:step")
        self._in_step = False
        cost = self._step_cost_s + time.perf_counter() - t0
        self._step_energies.append(m.energy_j)
        self._adapt(cost, m.duration_s)
        return m.energy_j

    def _adapt(self, cost_s: float, step_s: float) -> None:
        # Running means over the measured steps, weighted to the recent ones.
        w = 0.2 if self._step_time_s else 1.0
        self._step_time_s += w * (step_s - self._step_time_s)
        self._cost_mean_s = (
            cost_s if w == 1.0 else self._cost_mean_s + w * (cost_s - self._cost_mean_s)
        )
        if self._step_time_s > 0:
            self._stride = max(
                1, math.ceil(self._cost_mean_s / (self.step_budget * self._step_time_s))
            )

    # -- forecast and store ------------------------------------------------
    def _forecast(self) -> TrainingForecast | None:
        if self.total_epochs is None or len(self.epochs) < self.warmup_epochs + self.forecast_after:
            return None
        if len(self.epochs) > self.total_epochs:
            return None
        from wattlens.impacts import measured_impacts_typed

        measured = [e.measurement for e in self.epochs]
        used = sum(m.energy_j for m in measured)
        low = sum(m.energy_low_j for m in measured)
        high = sum(m.energy_high_j for m in measured)
        energy = forecast_energy(
            [m.energy_j for m in measured],
            self.total_epochs,
            warmup_epochs=self.warmup_epochs,
            level=self.level,
            meter_low_ratio=low / used if used > 0 else 1.0,
            meter_high_ratio=high / used if used > 0 else 1.0,
        )
        impacts = measured_impacts_typed(
            energy.energy_j,
            energy.energy_low_j,
            energy.energy_high_j,
            location=self.location,
            pue=self.pue,
        )
        forecast = TrainingForecast(energy, impacts)
        self.forecasts.append(forecast)
        return forecast

    def _save(self, measurement: Measurement) -> None:
        """Hand a record to the writer thread: a save never stalls training between epochs."""
        if not (self.save and self.writer):
            return
        if self._writer is None:
            self._writer = _Writer(self.url, self.location)
        self._writer.put(measurement)

    def flush(self) -> None:
        """Wait until every record handed over so far is saved."""
        if self._writer is not None:
            self.saved.extend(self._writer.drain())
            self.warnings.extend(self._writer.take_warnings())


class _Writer:
    """One daemon thread that saves records in order."""

    def __init__(self, url: str | None, location: str | None = None) -> None:
        import queue
        import threading

        self._url = url
        self._location = location
        self._queue: queue.Queue[Measurement | None] = queue.Queue()
        self._done: list[str] = []
        self._warnings: list[str] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name="wattlens-training-store", daemon=True
        )
        self._thread.start()

    def put(self, measurement: Measurement) -> None:
        self._queue.put(measurement)

    def _run(self) -> None:
        from wattlens.store import RunKeptError, save_or_keep

        try:  # create or migrate the tables now, while the first epoch runs
            from wattlens.store.store import Store

            Store(self._url).close()
        except Exception as exc:  # the first save reports it (or keeps the run in the spool)
            self._warnings.append(f"store not ready: {type(exc).__name__}: {exc}")
        try:  # and load the grid factors that the forecast's impacts need
            from wattlens.impacts import factors_at

            factors_at(self._location)
        except Exception as exc:  # the forecast raises it where it is used
            self._warnings.append(f"no grid factors: {type(exc).__name__}: {exc}")
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                try:
                    save_or_keep(item, self._url)
                    self._done.append(item.run_id)
                except RunKeptError as exc:  # kept in the spool; the next store opening saves it
                    self._warnings.append(str(exc))
                except BaseException as exc:  # raised to the training loop at the next flush
                    self._error = exc
            finally:
                self._queue.task_done()

    def drain(self) -> list[str]:
        self._queue.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        done, self._done = self._done, []
        return done

    def take_warnings(self) -> list[str]:
        out, self._warnings = self._warnings, []
        return out
