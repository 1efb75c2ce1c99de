"""The estimate forms' fields: the query parameters of the estimate pages and API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from wattlens.web import services


def training_form(
    accelerator: str | None = None,
    count: str | None = None,
    accelerator_hours: str | None = None,
    days: str | None = None,
    params: str | None = None,
    tokens: str | None = None,
    active_params: str | None = None,
    model: str | None = None,
    mfu: Annotated[str | None, Query(description="X or LOW:HIGH in (0, 1].")] = None,
    precision: str | None = None,
    boundary: str | None = None,
    pue: Annotated[str | None, Query(description="X or LOW:HIGH.")] = None,
    location: str | None = None,
    samples: str | None = None,
    seed: str | None = None,
) -> dict[str, str | None]:
    return {k: v for k, v in locals().items() if k in services.TRAINING_FIELDS}


def inference_form(
    model: str | None = None,
    params: str | None = None,
    active_params: str | None = None,
    output_tokens: str | None = None,
    input_tokens: Annotated[str | None, Query(description="N or LOW:HIGH.")] = None,
    accelerator: str | None = None,
    count: str | None = None,
    pipeline: Annotated[str | None, Query(description="Pipeline stages (default 1).")] = None,
    batch: str | None = None,
    precision: str | None = None,
    stack: Annotated[str | None, Query(description="Serving stack (default unknown).")] = None,
    boundary: str | None = None,
    pue: Annotated[str | None, Query(description="X or LOW:HIGH.")] = None,
    location: str | None = None,
    samples: str | None = None,
    seed: str | None = None,
) -> dict[str, str | None]:
    return {k: v for k, v in locals().items() if k in services.INFERENCE_FIELDS}


TrainingForm = Annotated[dict[str, str | None], Depends(training_form)]
InferenceForm = Annotated[dict[str, str | None], Depends(inference_form)]
