"""``/api/estimate/…``: training and inference estimates, as ``wattlens estimate … --json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wattlens.web import services
from wattlens.web.forms import InferenceForm, TrainingForm

router = APIRouter(prefix="/api/estimate", tags=["estimate"])


@router.get("/training", summary="Training estimate (wattlens estimate training --json)")
def api_training(form: TrainingForm) -> dict[str, Any]:
    """Inputs as the CLI's options (counts accept 70B, 2T; ranges LOW:HIGH)."""
    result, inputs = services.estimate_training(form)
    return {**result.to_dict(), "inputs": inputs}


@router.get(
    "/inference", summary="Inference estimate per request (wattlens estimate inference --json)"
)
def api_inference(form: InferenceForm) -> dict[str, Any]:
    """Inputs as the CLI's options (counts accept 8B, 2T; ranges LOW:HIGH)."""
    result, inputs = services.estimate_inference(form)
    return {**result.to_dict(), "inputs": inputs}
