"""The Python faces of the meter: ``measure`` (a context manager) and ``measured``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import ParamSpec, TypeVar, overload

from wattlens.bounds import MAX_INTERVAL_S, MAX_PUE, check_finite
from wattlens.measurement import Measurement, RunStatus, ScopeChoice
from wattlens.meter import DEFAULT_INTERVAL_S, Meter
from wattlens.sensors.base import Sensor

_PUE_HINT = "a PUE is facility over IT energy, 1 to 5, e.g. 1.2"
P = ParamSpec("P")
R = TypeVar("R")


class measure:  # noqa: N801 - used like a function: `with wattlens.measure("x") as m`
    """Measure the energy of a block of code.

    Example::

        with wattlens.measure("tokenise") as m:
            work()
        print(m.result.energy_j, m.result.methods)

    The result is available after the block, even if it raised (then with
    status ``failed``). ``store=True`` also records it in the run store.
    ``scope`` says what the impacts are computed on: ``"workload"`` (this
    process tree's share), ``"machine"``, or ``"auto"`` (the default: the
    process tree when other processes used the machine's CPUs, see
    ``result.scope_reason``); ``result.machine_impacts`` is always the machine's.

    Raises:
        InputValueError: a ``pue`` outside 1 to 5 or an ``interval_s`` outside
            (0, 3600] seconds (see :mod:`wattlens.bounds`).
    """

    def __init__(
        self,
        name: str = "block",
        *,
        sensors: Sequence[Sensor] | None = None,
        timeline: bool = False,
        interval_s: float = DEFAULT_INTERVAL_S,
        location: str | None = None,
        pue: float | None = None,
        store: bool = False,
        scope: ScopeChoice = "auto",
    ) -> None:
        self.name = name
        if pue is not None:
            pue = float(check_finite("pue", pue, low=1.0, high=MAX_PUE, hint=_PUE_HINT))
        interval_s = float(
            check_finite("interval_s", interval_s, low=0.0, low_inclusive=False,
                         high=MAX_INTERVAL_S, hint="seconds between samples, e.g. 0.1")
        )  # fmt: skip
        self._meter = Meter(
            sensors,
            timeline=timeline,
            interval_s=interval_s,
            location=location,
            pue=pue,
            scope=scope,
        )
        self._store = store
        self._result: Measurement | None = None

    @property
    def result(self) -> Measurement:
        """The measurement; only after the block has ended."""
        if self._result is None:
            raise RuntimeError("the measured block has not ended yet")
        return self._result

    def __enter__(self) -> measure:
        self._meter.begin(self.name)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status: RunStatus = "completed" if exc_type is None else "failed"
        if exc_type is KeyboardInterrupt:
            status = "interrupted"
        try:
            self._result = self._meter.end(self.name, status=status)
        finally:
            self._meter.close()
        if self._store:
            from wattlens.store import save_or_keep

            # Retried, and kept in the spool if the store cannot take it (RunKeptError).
            save_or_keep(self._result)


@overload
def measured(
    func: Callable[P, R], *, name: str | None = None, store: bool = False
) -> Callable[P, R]: ...


@overload
def measured(
    func: None = None, *, name: str | None = None, store: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def measured(
    func: Callable[P, R] | None = None, *, name: str | None = None, store: bool = False
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that each call is measured.

    The last measurement is kept on the wrapper as ``.last_measurement``.
    Use bare (``@measured``) or with options (``@measured(name="step", store=True)``).
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        label: str = name or str(getattr(fn, "__qualname__", "function"))

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            block = measure(label, store=store)
            try:
                with block:
                    return fn(*args, **kwargs)
            finally:
                wrapper.last_measurement = block._result  # type: ignore[attr-defined]

        wrapper.last_measurement = None  # type: ignore[attr-defined]
        return wrapper

    if func is not None:
        return decorate(func)
    return decorate
