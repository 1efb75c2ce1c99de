"""The inputs of an estimate, defined once: typed, validated, built from text or numbers.

:class:`TrainingInputs` and :class:`InferenceInputs` are what the command line
(``wattlens estimate``, ``wattlens report estimate``), the web forms and the
scenario engine hand to :func:`wattlens.estimate.training` and
:func:`wattlens.estimate.inference`. Every quantity field takes

- text, read by the quantity grammar (``70B``, ``2T``, ``300..700``,
  ``30%..50%``, ``1.1:1.4``) through :func:`read_span`, the one place where
  estimate inputs are parsed;
- a number; or
- a ``(low, high)`` pair: a range, drawn in the Monte Carlo (output tokens
  and batch included).

Every number, however given, then passes the one check of :mod:`wattlens.bounds`:
finite, whole where it counts things (batch, accelerators, samples, seed) and
within the documented caps; a bad one is a :class:`FieldError` naming its field.

Example::

    inputs = InferenceInputs.build(model="llama-3.1-70b", accelerator="H100 SXM",
                                   output_tokens="300..700", batch="16..64")
    estimate = inputs.run()
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from wattlens.bounds import FIELDS, check_field, check_finite, check_samples
from wattlens.errors import InputValueError
from wattlens.formulas.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.estimate._common import InferenceEstimate, TrainingEstimate

#: A value, or a ``(low, high)`` range.
Span = float | tuple[float, float]
SpanKind = Literal["count", "count0", "fraction", "ratio"]
_T = TypeVar("_T")


class FieldError(InputValueError):
    """A bad input; ``field`` names it (as in the forms and the keyword API).

    ``code``: ``missing`` (a required input not given), ``unknown`` (no such
    input) or ``invalid`` (a value the input does not take).
    """

    def __init__(
        self, field: str, message: str, *, code: str = "invalid", hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.field = field
        self.code = code


def read_span(value: object, *, kind: SpanKind, what: str) -> Span | None:
    """One estimate input as a value or a ``(low, high)`` pair; None stays None.

    Text goes through the quantity grammar; ``kind`` is its context:
    ``count`` (positive: tokens, parameters, hours, batch), ``count0`` (a
    count that may be 0: input tokens), ``fraction`` (``0.35``, ``35%``) and
    ``ratio`` (a plain positive number, e.g. a PUE).

    Raises:
        InputValueError: the text is not a quantity of that kind, or a pair is reversed.
    """
    from wattlens.quantity import parse_count_span, parse_fraction, parse_input_tokens

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if kind == "fraction":
            return parse_fraction(value, what)
        if kind == "count0":
            return parse_input_tokens(value)
        low, high = parse_count_span(value, what)
        return low if low == high else (low, high)
    if isinstance(value, tuple | list) and len(value) == 2:
        low, high = (_number(what, v) for v in value)
        if low > high:
            raise InputValueError(
                f"{what} range {low:g}..{high:g} has low above high", hint="write LOW..HIGH"
            )
        return low if low == high else (low, high)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(what, value)
    raise InputValueError(
        f"{what}: {value!r} is not a number or a (low, high) range", hint="e.g. 400 or 300..700"
    )


def bounded(field: str, span: Span | None) -> Span | None:
    """``span`` if both its ends are within the bounds of ``field`` (see :mod:`wattlens.bounds`).

    Raises:
        InputValueError: naming ``field``, its bounds and how to fix it.
    """
    if span is not None:
        for end in span if isinstance(span, tuple) else (span,):
            check_field(field, end)
    return span


def _number(what: str, value: object) -> float:
    """A finite float: within the bounds of ``what`` where it names an input."""
    if what in FIELDS:
        return float(check_field(what, value))
    return float(check_finite(what, value, low=-sys.float_info.max, high=sys.float_info.max))


def _reader(kind: SpanKind, field: str) -> BeforeValidator:
    def read(value: object) -> Span | None:
        return bounded(field, _grammar_hint(field, lambda: read_span(value, kind=kind, what=field)))

    return BeforeValidator(read)


def _grammar_hint(field: str, read: Callable[[], _T]) -> _T:
    """The grammar's generic hint (every kind of quantity) becomes the field's own.

    A long number quoted in the message is shortened to its ends and its length.
    """
    from wattlens.quantity import HINT

    try:
        return read()
    except InputValueError as exc:
        if exc.hint == HINT or exc.hint is None:
            exc.hint = FIELDS[field].hint
        # A 400-digit number quoted back in full would bury the message.
        exc.message = re.sub(r"'([^']{12})[^']{40,}([^']{6})'", _shortened, exc.message)
        raise


def _shortened(match: re.Match[str]) -> str:
    return f"'{match[1]}...{match[2]}' ({len(match[0]) - 2} characters)"


def whole_number(field: str, value: object) -> int | None:
    """A whole number of ``field``: a number, or text (``8``, ``1K``, ``2e4``, ``-1``)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"[+-]?[0-9]{1,30}", text):
            value = int(text)  # exact, where a float would round a large seed
        else:
            from wattlens.quantity import parse

            quantity = _grammar_hint(field, lambda: parse(text, kind="count", what=field))
            if quantity.is_range:
                raise InputValueError(
                    f"{field} takes one number, got {text!r}", hint=FIELDS[field].hint
                )
            value = quantity.low
    if value is None:
        return None
    if field == "samples":
        return check_samples(field, value, point=True)
    return int(check_field(field, value))


def _whole(field: str) -> BeforeValidator:
    return BeforeValidator(lambda value: whole_number(field, value))


Whole = Annotated[int | None, _whole("count")]


def _stack(value: object) -> object:
    """A serving-stack name (``current``, ``older``, ``hf``, ``llama.cpp`` or ``unknown``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "unknown"
    if not isinstance(value, str):
        raise InputValueError(f"serving stack: {value!r} is not a name", hint="e.g. current")
    from wattlens.estimate.stacks import check_stack

    return check_stack(value)


def _mfu(value: object) -> object:
    """Model-FLOP utilisation is a fraction: ``40`` is refused with the fraction it meant."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
        raise InputValueError(
            f"MFU is a fraction; did you mean {value / 100:.2f}?", hint=f"--mfu {value / 100:.2f}"
        )
    if isinstance(value, str) and value.strip():
        from wattlens.quantity import parse_count_span

        text = value.strip()
        if "%" not in text:
            try:
                low, high = parse_count_span(text, "--mfu")
            except InputValueError:
                low = high = 0.0
            if 1 < high <= 100:
                shown = f"{low / 100:.2f}" if low == high else f"{low / 100:.2f}..{high / 100:.2f}"
                raise InputValueError(
                    f"MFU is a fraction; did you mean {shown}?", hint=f"--mfu {shown}"
                )
    return bounded(
        "mfu", _grammar_hint("mfu", lambda: read_span(value, kind="fraction", what="mfu"))
    )


Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"]
BoundaryName = Literal["accelerator", "server", "facility"]


class _Inputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def build(cls, data: Mapping[str, Any] | None = None, /, **values: Any) -> Self:
        """Validate inputs (text, numbers or pairs); empty text counts as not given.

        Raises:
            FieldError: the first bad field, named, with the grammar's message and hint.
        """
        merged = {**(data or {}), **values}
        given = {k: v for k, v in merged.items() if v is not None}
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            raise _field_error(exc) from None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the estimate function."""
        return dict(self)


def _field_error(exc: ValidationError) -> FieldError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "input"
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InputValueError):
        return FieldError(field, cause.message, hint=cause.hint)
    if first["type"] == "missing":
        return FieldError(
            field, f"missing value for {field}", code="missing", hint=_MISSING_HINTS.get(field)
        )
    if first["type"] == "extra_forbidden":
        return FieldError(
            field, f"unknown input {field!r}", code="unknown", hint="check the spelling"
        )
    return FieldError(field, f"{field}: {first['msg']}")


_MISSING_HINTS = {
    "accelerator": "name an accelerator from the catalog, e.g. H100 SXM",
    "output_tokens": "tokens generated per request, e.g. 400",
}


class TrainingInputs(_Inputs):
    """What a training estimate needs (see :func:`wattlens.estimate.training`)."""

    accelerator: str
    count: Whole = None
    accelerator_hours: Annotated[Span | None, _reader("count", "accelerator_hours")] = None
    days: Annotated[Span | None, _reader("ratio", "days")] = None
    params: Annotated[Span | None, _reader("count", "params")] = None
    tokens: Annotated[Span | None, _reader("count", "tokens")] = None
    active_params: Annotated[Span | None, _reader("count", "active_params")] = None
    model: str | None = None
    mfu: Annotated[Span | None, BeforeValidator(_mfu)] = None
    precision: Precision = "bf16"
    power_fraction: Annotated[Span | None, _reader("fraction", "power_fraction")] = None
    host_fraction: Annotated[Span | None, _reader("fraction", "host_fraction")] = None
    boundary: BoundaryName = "facility"
    pue: Annotated[Span | None, _reader("ratio", "pue")] = None
    location: str | None = None
    samples: Annotated[int, _whole("samples")] = DEFAULT_SAMPLES
    seed: Annotated[int, _whole("seed")] = DEFAULT_SEED

    def run(self, catalog: Catalog | None = None) -> TrainingEstimate:
        """The estimate of these inputs."""
        from wattlens.estimate.training import training

        return training(**self.kwargs(), catalog=catalog)


class InferenceInputs(_Inputs):
    """What a per-request inference estimate needs (see :func:`wattlens.estimate.inference`)."""

    output_tokens: Annotated[Span, _reader("count", "output_tokens")]
    accelerator: str
    model: str | None = None
    params: Annotated[Span | None, _reader("count", "params")] = None
    active_params: Annotated[Span | None, _reader("count", "active_params")] = None
    input_tokens: Annotated[Span | None, _reader("count0", "input_tokens")] = None
    count: Whole = None
    pipeline: Annotated[int, _whole("pipeline")] = 1
    cores: Annotated[int | None, _whole("cores")] = None
    batch: Annotated[Span | None, _reader("count", "batch")] = None
    precision: Precision = "bf16"
    layers: Annotated[int | None, _whole("layers")] = None
    hidden_size: Annotated[int | None, _whole("hidden_size")] = None
    heads: Annotated[int | None, _whole("heads")] = None
    kv_heads: Annotated[int | None, _whole("kv_heads")] = None
    stack: Annotated[str, BeforeValidator(_stack)] = "unknown"
    boundary: BoundaryName = "server"
    pue: Annotated[Span | None, _reader("ratio", "pue")] = None
    location: str | None = None
    samples: Annotated[int, _whole("samples")] = DEFAULT_SAMPLES
    seed: Annotated[int, _whole("seed")] = DEFAULT_SEED

    def run(self, catalog: Catalog | None = None) -> InferenceEstimate:
        """The estimate of these inputs."""
        from wattlens.estimate.inference import inference

        return inference(**self.kwargs(), catalog=catalog)
