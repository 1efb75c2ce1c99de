"""The framework-neutral part of every training callback: windows per step and epoch, a forecast.

A :class:`TrainingMeter` keeps three kinds of window open on one
:class:`~wattlens.meter.Meter`: the whole run, the current epoch and (some of)
the steps. When an epoch ends, the run store gets two windows of the run
``<run_id>`` (see :mod:`wattlens.windows`): the epoch (``kind="epoch"``, with
its step count and the latest forecast in ``detail``) and a summary of the
steps measured in it (``kind="steps"``: their energy, count and mean), written
with a snapshot of the run whose status is ``running`` and whose energy is that
of the finished epochs. The whole run is saved at the end, like a run of
``wattlens run``; a process that dies before leaves the run ``running`` with the
windows of the epochs it finished.

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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from wattlens.errors import UsageError
from wattlens.integrations.training.forecast import (
    DEFAULT_LEVEL,
    EnergyForecast,
    forecast_energy,
)
from wattlens.store.ids import new_run_id
from wattlens.windows import KIND_EPOCH, KIND_STEPS, Window

if TYPE_CHECKING:
    from wattlens.measurement import ComponentEnergy, Measurement, RunStatus
    from wattlens.meter import Meter
    from wattlens.sensors.base import Sensor
    from wattlens.types import Impacts

__all__ = ["EpochRecord", "TrainingForecast", "TrainingMeter", "is_global_rank_zero"]

DEFAULT_FORECAST_AFTER = 3
DEFAULT_STEP_BUDGET = 0.005
#: What the writer thread saves: a final run, or a running snapshot with windows.
_Item: TypeAlias = "Measurement | tuple[Measurement, list[Window]]"


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
    step_duration_s: tuple[float, ...] = ()
    """Durations of the measured steps, in the order of ``step_energy_j``."""

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
        """Run ids saved so far: the run's, once its final record is saved."""
        self.saved_windows: list[int] = []
        """``seq`` of every window saved so far (two per epoch: the epoch, its steps)."""
        self.warnings: list[str] = []
        self._prefix = f"wattlens-training:{self.run_id}"
        self._running = False
        self._in_epoch = False
        self._in_step = False
        self._epoch_steps = 0
        self._step_energies: list[float] = []
        self._step_durations: list[float] = []
        self._run_started = datetime.now(UTC)
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
            self.saved_windows = []
        self._run_started = datetime.now(UTC)
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
        self._step_durations = []

    def end_epoch(self) -> EpochRecord:
        """Close the epoch window, save its windows and update the forecast."""
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
            epoch,
            raw,
            self._epoch_steps,
            tuple(self._step_energies),
            self._stride,
            tuple(self._step_durations),
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
        if self.save and self.writer:
            self._save((self._snapshot(), self._windows(record, forecast)))
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
        self._step_durations.append(m.duration_s)
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

    def _offset_s(self, iso: str) -> float:
        """Seconds from the run's start to an instant of the meter (ISO 8601)."""
        instant = datetime.fromisoformat(iso)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return max((instant - self._run_started).total_seconds(), 0.0)

    def _windows(self, record: EpochRecord, forecast: TrainingForecast | None) -> list[Window]:
        """The epoch's window and the summary of its measured steps."""
        m = record.measurement
        start_s, end_s = self._offset_s(m.started_at), self._offset_s(m.ended_at)
        detail: dict[str, Any] = {"epoch": record.epoch, "steps": record.steps}
        if forecast is not None:
            detail["forecast"] = forecast.energy.to_dict()
        seq = 2 * (record.epoch - 1)
        epoch = Window(
            seq, KIND_EPOCH, f"epoch {record.epoch}", start_s, end_s, m.duration_s, m.energy_j,
            m.energy_low_j, m.energy_high_j, tuple(m.methods), detail,
        )  # fmt: skip
        measured = len(record.step_energy_j)
        steps_j = sum(record.step_energy_j)
        steps = Window(
            seq + 1,
            KIND_STEPS,
            f"epoch {record.epoch} steps",
            start_s,
            end_s,
            sum(record.step_duration_s),
            steps_j,
            methods=tuple(m.methods),
            detail={
                "epoch": record.epoch,
                "steps": record.steps,
                "measured_steps": measured,
                "step_stride": record.step_stride,
                "mean_step_energy_j": steps_j / measured if measured else None,
                "step_energy_j": list(record.step_energy_j),
            },
        )
        return [epoch, steps]

    def _snapshot(self) -> Measurement:
        """The run so far, status ``running``: the energy of its finished epochs."""
        from wattlens.measurement import Measurement

        measured = [e.measurement for e in self.epochs]
        last = measured[-1]
        by_id: dict[str, list[ComponentEnergy]] = {}
        for m in measured:
            for c in m.components:
                by_id.setdefault(c.id, []).append(c)
        duration = sum(m.duration_s for m in measured)
        components = tuple(_sum_components(parts, duration) for parts in by_id.values())
        training = {
            "run_id": self.run_id,
            "epochs": len(self.epochs),
            "total_epochs": self.total_epochs,
            "epoch_energy_j": [e.energy_j for e in self.epochs],
            "steps": sum(e.steps for e in self.epochs),
        }
        if self.forecasts:
            training["forecast"] = self.forecasts[-1].to_dict()
        note = (
            f"saved after epoch {len(self.epochs)} while the run went on: the energy is that of "
            "its finished epochs (the time between them is not counted); a run still "
            "'running' after its process ended stopped there"
        )
        return Measurement(
            run_id=self.run_id,
            name=self.name,
            started_at=self._run_started.isoformat(timespec="microseconds"),
            ended_at=last.ended_at,
            duration_s=duration,
            components=components,
            status="running",
            host={**last.host, "training": training},
            warnings=(note,),
            location=last.location,
            pue=last.pue,
            scope=last.scope,
            scope_reason=last.scope_reason,
            workload_cpu_share=last.workload_cpu_share,
        )

    def _save(self, item: _Item) -> None:
        """Hand a record to the writer thread: a save never stalls training between epochs."""
        if not (self.save and self.writer):
            return
        if self._writer is None:
            self._writer = _Writer(self.url, self.location)
        self._writer.put(item)

    def flush(self) -> None:
        """Wait until every record handed over so far is saved."""
        if self._writer is not None:
            done = self._writer.drain()
            self.saved.extend(d for d in done if isinstance(d, str))
            self.saved_windows.extend(d for d in done if isinstance(d, int))
            self.warnings.extend(self._writer.take_warnings())


def _sum_components(parts: list[ComponentEnergy], duration_s: float) -> ComponentEnergy:
    """One component over several windows: energies added, power averaged over their time."""

    def total(values: list[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    energy = sum(c.energy_j for c in parts)
    peaks = [c.peak_power_w for c in parts if c.peak_power_w is not None]
    worst = next((c for c in parts if c.status != "measured"), parts[-1])
    return replace(
        parts[-1],
        energy_j=energy,
        avg_power_w=energy / duration_s if duration_s > 0 else 0.0,
        peak_power_w=max(peaks) if peaks else None,
        energy_low_j=total([c.energy_low_j for c in parts]),
        energy_high_j=total([c.energy_high_j for c in parts]),
        attributed_energy_j=total([c.attributed_energy_j for c in parts]),
        status=worst.status,
        status_reason=worst.status_reason,
    )


class _Writer:
    """One daemon thread that saves records in order."""

    def __init__(self, url: str | None, location: str | None = None) -> None:
        import queue
        import threading

        self._url = url
        self._location = location
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._done: list[str | int] = []
        self._warnings: list[str] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name="wattlens-training-store", daemon=True
        )
        self._thread.start()

    def put(self, item: _Item) -> None:
        self._queue.put(item)

    def _run(self) -> None:
        from wattlens.store import RunKeptError, save_or_keep
        from wattlens.store.fast import save_windows_or_keep

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
                    if isinstance(item, tuple):
                        run, windows = item
                        save_windows_or_keep(run, windows, self._url)
                        self._done.extend(w.seq for w in windows)
                    else:
                        save_or_keep(item, self._url)
                        self._done.append(item.run_id)
                except RunKeptError as exc:  # kept in the spool; the next store opening saves it
                    self._warnings.append(str(exc))
                except BaseException as exc:  # raised to the training loop at the next flush
                    self._error = exc
            finally:
                self._queue.task_done()

    def drain(self) -> list[str | int]:
        self._queue.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        done, self._done = self._done, []
        return done

    def take_warnings(self) -> list[str]:
        out, self._warnings = self._warnings, []
        return out
