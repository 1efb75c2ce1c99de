"""The one check for numbers given to wattlens: finite, whole where counted, within bounds.

Every numeric input of an estimate (command-line options, the Python API, the
dashboard's forms, scenario files) passes through :func:`check_finite`, so that
``1e308`` tokens, a PUE of ``1e400`` or a 400-digit accelerator count is an
error naming the input rather than an overflow, ``inf`` or ``nan`` in a result.

The caps sit far beyond any real workload; they exist so that every product
the models form stays finite and every Monte Carlo array fits in memory:

======================  ==========================================================
input                   accepted
======================  ==========================================================
``samples``             100 to :data:`MAX_SAMPLES` (200,000) on the command line, the
                        dashboard, scenario files and the typed inputs; the estimate
                        functions also take 1 (a point estimate) and up to
                        :data:`MAX_API_SAMPLES` (1,000,000); memory grows with them
``seed``                a whole number, 0 to 2**64 - 1
``count``               a whole number of accelerators, 1 to :data:`MAX_ACCELERATORS`
``batch``               whole numbers of concurrent requests, 1 to :data:`MAX_BATCH`
``pue``                 1 to :data:`MAX_PUE` (5); a PUE below 1 is impossible
``mfu``                 :data:`MIN_MFU` (0.001) to 1
``power_fraction``      above 0, at most 1 (TDP caps average board power)
``host_fraction``       above 0, at most :data:`MAX_HOST_FRACTION` (2)
``params``,             1 to :data:`MAX_PARAMS` (1e15)
``active_params``
``tokens`` (training)   1 to :data:`MAX_TRAINING_TOKENS` (1e16)
``output_tokens``       1 to :data:`MAX_REQUEST_TOKENS` (1e9) per request
``input_tokens``        0 to :data:`MAX_REQUEST_TOKENS` (1e9) per request
``days``                above 0, at most :data:`MAX_DAYS` (36,500, a century)
``accelerator_hours``   above 0, at most :data:`MAX_ACCELERATOR_HOURS` (1e12)
``pipeline``            a whole number of pipeline stages, 1 to :data:`MAX_LAYERS`
``cores``               a whole number of CPU cores, 1 to :data:`MAX_ACCELERATORS`
                        (and at most the catalog CPU's own cores)
``layers``,             whole numbers, 1 to :data:`MAX_LAYERS`, :data:`MAX_HIDDEN_SIZE`
``hidden_size``,        and :data:`MAX_HEADS`
``heads``, ``kv_heads``
``interval_s``          above 0, at most :data:`MAX_INTERVAL_S` (3,600 s): the sampling
                        interval of ``wattlens.measure``, whose ``pue`` takes 1 to 5
======================  ==========================================================
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from wattlens.errors import InputValueError

#: The most Monte Carlo samples one estimate or scenario draws (command line, dashboard,
#: scenario files): 200,000 samples of one input take 1.6 MB, and a scenario holds
#: samples x years x request classes of them.
MAX_SAMPLES = 200_000
#: The most samples the estimate functions of the Python API draw (an inference estimate
#: peaks near 400 MiB at 1,000,000 samples, 120 MiB at 200,000); the faces and the typed
#: inputs stop at :data:`MAX_SAMPLES`.
MAX_API_SAMPLES = 1_000_000
#: The fewest samples that give stable p5/p95 (1 is a point estimate, Python API only).
MIN_SAMPLES = 100
#: The largest seed: numpy's generators take any non-negative integer; 64 bits is plenty.
MAX_SEED = 2**64 - 1
#: The most accelerators in one run or replica (the largest clusters have some 1e5-1e6).
MAX_ACCELERATORS = 10_000_000
#: The largest batch of concurrent requests on one replica (served batches are 1 to ~1,000).
MAX_BATCH = 1_000_000
#: The largest PUE accepted (measured data centres are 1.05-2.5; 5 leaves room for outliers).
MAX_PUE = 5.0
#: The lowest model-FLOP utilisation accepted (real training runs reach 0.2-0.6).
MIN_MFU = 0.001
#: The largest host power per accelerator as a fraction of its TDP (DGX servers at full
#: load leave 0.8-1.0 x TDP per GPU for the host).
MAX_HOST_FRACTION = 2.0
#: The most parameters of one model (500 times the largest published models).
MAX_PARAMS = 1e15
#: The most training tokens of one run (some 300 times the largest training sets).
MAX_TRAINING_TOKENS = 1e16
#: The most tokens of one request (100 times the longest context windows).
MAX_REQUEST_TOKENS = 1e9
#: The longest training run, in days (a century).
MAX_DAYS = 36_500
#: The most accelerator-hours of one training run.
MAX_ACCELERATOR_HOURS = 1e12
#: The longest sampling interval of a measurement's power timeline, in seconds.
MAX_INTERVAL_S = 3600.0
#: Model shape: the most layers, the widest model and the most attention heads.
MAX_LAYERS = 10_000
MAX_HIDDEN_SIZE = 1_000_000
MAX_HEADS = 100_000

Number = int | float


@dataclass(frozen=True)
class Bound:
    """What one numeric input accepts: ``low`` to ``high``, whole or not."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    integer: bool = False
    hint: str | None = None
    scalar: bool = False
    """One number only: no ``(low, high)`` range (counts of things, samples, seeds)."""


def _counted(low: float, high: float, hint: str) -> Bound:
    return Bound(low, high, integer=True, hint=hint, scalar=True)


#: The bounds of every numeric estimate input, by its keyword name.
FIELDS: dict[str, Bound] = {
    "count": _counted(1, MAX_ACCELERATORS, hint="a whole number of accelerators, e.g. 8"),
    "samples": _counted(
        MIN_SAMPLES, MAX_SAMPLES,
        hint="20,000 (the default) gives stable p5/p95; memory grows with the samples",
    ),
    "seed": _counted(0, MAX_SEED, hint="a whole number, 0 or more, e.g. 42"),
    "batch": Bound(1, MAX_BATCH, integer=True,
                   hint="whole concurrent requests per replica, e.g. 64 or 16..64"),
    "pue": Bound(1.0, MAX_PUE, hint="a PUE is facility over IT energy, e.g. 1.2 or 1.1..1.4"),
    "mfu": Bound(MIN_MFU, 1.0,
                 hint="the model-FLOP utilisation as a fraction, e.g. 0.4 or 30%..50%"),
    "power_fraction": Bound(0.0, 1.0, low_inclusive=False,
                            hint="average board power over TDP, e.g. 0.8 or 0.6..1"),
    "host_fraction": Bound(0.0, MAX_HOST_FRACTION, low_inclusive=False,
                           hint="host power per accelerator over its TDP, e.g. 0.3"),
    "params": Bound(1.0, MAX_PARAMS,
                    hint="parameters are an absolute count, e.g. 7e10 or 70B"),
    "active_params": Bound(1.0, MAX_PARAMS,
                           hint="active parameters per token, e.g. 3.7e10"),
    "tokens": Bound(1.0, MAX_TRAINING_TOKENS,
                    hint="training tokens are an absolute count, e.g. 2e12 or 2T"),
    "output_tokens": Bound(1.0, MAX_REQUEST_TOKENS,
                           hint="tokens generated per request, e.g. 400 or 300..700"),
    "input_tokens": Bound(0.0, MAX_REQUEST_TOKENS, hint="prompt tokens, e.g. 500 or 200..800"),
    "days": Bound(0.0, MAX_DAYS, low_inclusive=False, hint="the run's duration in days, e.g. 14.8"),
    "accelerator_hours": Bound(0.0, MAX_ACCELERATOR_HOURS, low_inclusive=False,
                               hint="the run's accelerator-hours, e.g. 3.5e6"),
    "layers": _counted(1, MAX_LAYERS, hint="the model's transformer layers, e.g. 32"),
    "hidden_size": _counted(1, MAX_HIDDEN_SIZE, hint="the model width, e.g. 4096"),
    "heads": _counted(1, MAX_HEADS, hint="attention (query) heads, e.g. 32"),
    "kv_heads": _counted(1, MAX_HEADS, hint="key/value heads, e.g. 8"),
    "pipeline": _counted(1, MAX_LAYERS, hint="pipeline-parallel stages (each holds some "
                         "of the model's layers), e.g. 2"),
    "cores": _counted(1, MAX_ACCELERATORS, hint="the cores of the CPU that run the model, "
                      "e.g. 2"),
}  # fmt: skip


def show(value: object) -> str:
    """A number as a message shows it: short, and safe for any size of integer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, int):
        if abs(value) < 10**15:
            return f"{value:,}"
        # str() of a huge int is slow (and refused past 4,300 digits): count digits by bits.
        digits = math.floor(abs(value).bit_length() * math.log10(2)) + 1
        return f"a {digits}-digit number"
    if value == 0:
        return "0"
    if math.isfinite(value) and 1e-4 <= abs(value) < 1e15:
        return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:.6g}"
    return f"{value:.6g}"


def _shown_bound(value: float) -> str:
    if value == MAX_SEED:
        return "2**64 - 1"
    if float(value).is_integer() and abs(value) < 1e8:
        return f"{int(value):,}"
    return f"{value:g}"


@functools.cache  # a handful of bounds, described on every check
def _describe(bound: Bound) -> str:
    low, high = bound.low, bound.high
    whole = "a whole number " if bound.integer else ""
    if low is not None and high is not None:
        if bound.low_inclusive:
            return f"{whole}from {_shown_bound(low)} to {_shown_bound(high)}"
        return f"{whole}above {_shown_bound(low)} and at most {_shown_bound(high)}"
    if low is not None:
        return f"{whole}{'at least' if bound.low_inclusive else 'above'} {_shown_bound(low)}"
    if high is not None:
        return f"{whole}at most {_shown_bound(high)}"
    return "a whole number" if bound.integer else "a finite number"


def check_finite(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    low_inclusive: bool = True,
    hint: str | None = None,
) -> Number:
    """``value`` if it is a finite number within ``low``..``high`` (whole if ``integer``).

    Integers of any size are compared exactly (never converted to float first);
    a whole float (``64.0``) is returned as an int where ``integer`` is set.

    Raises:
        InputValueError: ``"<name> must be ..., got ..."`` with ``hint`` (or the bounds).
    """
    bound = Bound(low, high, low_inclusive, integer, hint)
    return _check(name, value, bound)


def _fix(bound: Bound) -> str:
    return bound.hint or f"give {_describe(bound)}"


def _check(name: str, value: object, bound: Bound) -> Number:
    given = value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputValueError(f"{name} must be a number, got {show(value)}", hint=_fix(bound))
    if not isinstance(value, int | float):
        # numpy scalars, Fraction, Decimal: as the int or float they stand for.
        try:
            value = int(value) if isinstance(value, numbers.Integral) else float(value)
        except (OverflowError, ValueError):
            value = math.inf
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputValueError(f"{name} must be a finite number, got {value}", hint=_fix(bound))
        if bound.integer:
            if not value.is_integer():
                raise InputValueError(
                    f"{name} must be a whole number, got {show(value)}", hint=_fix(bound)
                )
            value = int(value)
        elif value == 0:
            value = 0.0  # -0.0 reads as 0
    low, high = bound.low, bound.high
    too_low = low is not None and (value < low or (not bound.low_inclusive and value == low))
    if too_low or (high is not None and value > high):
        raise InputValueError(_out_of_bounds(name, value, bound, show(given)), hint=_fix(bound))
    return value


def _out_of_bounds(name: str, value: Number, bound: Bound, shown: str) -> str:
    """The side that was crossed: not negative, positive, or within the bounds."""
    low = bound.low
    if low is not None and low >= 0 and value <= 0:
        if low == 0 and bound.low_inclusive:
            return f"{name} must not be negative, got {shown}"
        if low > 0:
            return f"{name} must be a positive number ({_describe(bound)}), got {shown}"
        return f"{name} must be a positive number, got {shown}"
    return f"{name} out of range: must be {_describe(bound)}, got {shown}"


def check_field(field: str, value: object, name: str | None = None) -> Number:
    """One estimate input (a key of :data:`FIELDS`), named ``name`` (default: ``field``
    with spaces, as in ``output tokens``).

    Raises:
        InputValueError: the value is not finite, not whole where counted, or out of bounds.
    """
    return _check(name or field.replace("_", " "), value, FIELDS[field])


def check_samples(name: str, value: object, *, point: bool = False, cap: int = MAX_SAMPLES) -> int:
    """A number of Monte Carlo samples: 100 to ``cap`` (or 1 where ``point``).

    ``cap`` is :data:`MAX_SAMPLES` for the command line, the dashboard, scenarios
    and the typed inputs; the estimate functions take up to :data:`MAX_API_SAMPLES`.

    Raises:
        InputValueError: naming ``name`` and the cap.
    """
    if point and value == 1 and not isinstance(value, bool):
        return 1
    bound = FIELDS["samples"]
    if cap != bound.high:
        bound = Bound(bound.low, cap, bound.low_inclusive, bound.integer, bound.hint)
    return int(_check(name, value, bound))


def check_numbers(values: Mapping[str, object]) -> None:
    """Check every numeric estimate input among ``values`` (keyword name to value).

    A value may be a number, a ``(low, high)`` pair or an uncertain input (anything
    with ``low`` and ``high``, and optionally ``mode``); None is not given. Keys
    that are not numeric inputs are ignored, so ``check_numbers(locals())`` at the
    top of an estimate function checks its arguments.

    Raises:
        InputValueError: the first input out of bounds, named by its keyword.
    """
    for field, bound in FIELDS.items():
        value = values.get(field)
        if value is None:
            continue
        if bound.scalar and not isinstance(value, numbers.Integral):
            # numpy's seeding and array sizes take ints only: 42.0 would end in a TypeError.
            _check(field.replace("_", " "), value, bound)  # a number, or the error saying so
            raise InputValueError(
                f"{field.replace('_', ' ')} must be an int, got {show(value)}", hint=bound.hint
            )
        if field == "samples":
            check_samples("samples", value, point=True, cap=MAX_API_SAMPLES)
            continue
        for end in _ends(field, value):
            _check(field.replace("_", " "), end, bound)


def _ends(field: str, value: object) -> tuple[object, ...]:
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise InputValueError(
                f"{field} must be a number or a (low, high) pair, got {len(value)} items",
                hint=FIELDS[field].hint,
            )
        return tuple(value)
    if hasattr(value, "low") and hasattr(value, "high"):
        mode = getattr(value, "mode", None)
        ends = (value.low, value.high)
        return ends if mode is None else (*ends, mode)
    return (value,)


__all__ = [
    "FIELDS",
    "MAX_ACCELERATORS",
    "MAX_ACCELERATOR_HOURS",
    "MAX_API_SAMPLES",
    "MAX_BATCH",
    "MAX_DAYS",
    "MAX_HEADS",
    "MAX_HIDDEN_SIZE",
    "MAX_HOST_FRACTION",
    "MAX_INTERVAL_S",
    "MAX_LAYERS",
    "MAX_PARAMS",
    "MAX_PUE",
    "MAX_REQUEST_TOKENS",
    "MAX_SAMPLES",
    "MAX_SEED",
    "MAX_TRAINING_TOKENS",
    "MIN_MFU",
    "MIN_SAMPLES",
    "Bound",
    "check_field",
    "check_finite",
    "check_numbers",
    "check_samples",
    "show",
]
