"""The HTML pages: runs, a run, compare, estimate, scenarios and the catalog.

Pages read the same services as the JSON API; they are left out of the OpenAPI
document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wattlens.errors import WattlensError
from wattlens.report.views.estimate import estimate_view
from wattlens.report.views.run import compare_figure, run_view
from wattlens.web import services
from wattlens.web.deps import CatalogDep, ExamplesDep, RunList, StoreDep
from wattlens.web.errors import status_of
from wattlens.web.forms import InferenceForm, TrainingForm
from wattlens.web.html import page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/", response_class=RedirectResponse)
def index() -> RedirectResponse:
    return RedirectResponse("/runs", status_code=307)


@router.get("/runs")
def runs_page(request: Request, listing: RunList) -> HTMLResponse:
    filters = {
        "name": request.query_params.get("name", ""),
        "since": request.query_params.get("since", ""),
    }
    return page(
        request, "runs.html", listing=listing, filters=filters, sort_keys=services.SORT_KEYS
    )


@router.get("/runs/{run_id}")
def run_page(request: Request, store: StoreDep, run_id: str) -> HTMLResponse:
    m = services.get_run(store, run_id, timeline=False)
    points = store.timeline_count(m.run_id)
    view = run_view(m, include_timeline=False, timeline_points=points)
    return page(
        request,
        "run.html",
        view=view,
        run_id=m.run_id,
        has_timeline=points > 0,
        raw={"energy_j": m.energy_j, "duration_s": m.duration_s},
        windows=store.windows(m.run_id),
        children=store.children(m.run_id),
    )


@router.get("/compare")
def compare_page(
    request: Request, store: StoreDep, ids: Annotated[list[str] | None, Query()] = None
) -> HTMLResponse:
    result = services.compare_runs(store, ids or [])
    return page(request, "compare.html", result=result, figure=compare_figure(result["runs"]))


@router.get("/estimate")
def estimate_page(request: Request) -> HTMLResponse:
    return page(request, "estimate.html", kind=None, form={}, view=None, error=None)


def _estimate_page(
    request: Request,
    kind: Literal["training", "inference"],
    form: Mapping[str, str | None],
) -> HTMLResponse:
    """The form filled in, with the estimate's view (or the error) under it."""
    filled = {k: v for k, v in form.items() if v}
    if not filled:
        return page(request, "estimate.html", kind=kind, form={}, view=None, error=None)
    estimate = services.estimate_training if kind == "training" else services.estimate_inference
    try:
        result, inputs = estimate(form)
    except WattlensError as exc:
        error = {"message": exc.message, "hint": exc.hint}
        return page(
            request, "estimate.html", status_of(exc), kind=kind, form=filled, view=None, error=error
        )
    what = "Training estimate" if kind == "training" else "Inference estimate per request"
    view = estimate_view(result, title=f"{what} on {inputs['accelerator']}", inputs=inputs)
    query = request.url.query
    api_url = f"/api/estimate/{kind}" + ("?" + query if query else "")
    return page(
        request,
        "estimate.html",
        kind=kind,
        form=filled,
        view=view,
        error=None,
        result=result.to_dict(),
        api_url=api_url,
    )


@router.get("/estimate/training")
def training_page(request: Request, form: TrainingForm) -> HTMLResponse:
    return _estimate_page(request, "training", form)


@router.get("/estimate/inference")
def inference_page(request: Request, form: InferenceForm) -> HTMLResponse:
    return _estimate_page(request, "inference", form)


@router.get("/scenarios")
def scenarios_page(request: Request, examples: ExamplesDep) -> HTMLResponse:
    return page(
        request,
        "scenarios.html",
        examples=list(examples.values()),
        max_bytes=services.MAX_SCENARIO_BYTES,
        max_samples=services.MAX_SCENARIO_SAMPLES,
    )


@router.get("/catalog")
def catalog_page(request: Request, catalog: CatalogDep) -> HTMLResponse:
    return page(request, "catalog.html", kinds=services.catalog_kinds(catalog)["kinds"])


@router.get("/catalog/{kind}")
def catalog_kind_page(request: Request, catalog: CatalogDep, kind: str) -> HTMLResponse:
    data = services.catalog_rows(kind, catalog)
    return page(request, "catalog_kind.html", data=data, columns=services.catalog_columns(kind))


@router.get("/catalog/{kind}/{name}")
def catalog_row_page(request: Request, catalog: CatalogDep, kind: str, name: str) -> HTMLResponse:
    return page(request, "catalog_row.html", data=services.catalog_row(kind, name, catalog))
