"""``/api/runs``, ``/api/compare``: the run store, as ``wattlens runs … --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic_core import to_json

from wattlens.report.render import run_report
from wattlens.report.views.run import MAX_TIMELINE_POINTS, timeline_figure
from wattlens.web import services
from wattlens.web.deps import RunList, StoreDep

router = APIRouter(prefix="/api", tags=["runs"])
#: The report draws its charts with inline scripts: it runs in a sandbox.
_REPORT_CSP = (
    "sandbox allow-scripts; default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:"
)


@router.get("/runs", summary="List runs (wattlens runs ls --json)")
def api_runs(listing: RunList) -> dict[str, Any]:
    """`{count, shown, offset, limit, sort, order, runs: [...]}`, runs as `runs ls --json`."""
    return listing


@router.get("/runs/{run_id}", summary="One run (wattlens runs show --json)")
def api_run(
    store: StoreDep,
    run_id: str,
    timeline: Annotated[bool, Query(description="Include every point.")] = False,
) -> dict[str, Any]:
    """The run's full record; `timeline` is null unless asked for (see `/timeline`).

    As `runs show --json`, with the run's `windows` (a training run's epochs and
    steps) and `children` (its rank and node records).
    """
    m = services.get_run(store, run_id, timeline=timeline)
    data = m.to_dict()
    if not timeline:
        data["timeline"] = None
    data["windows"] = [w.to_dict() for w in store.windows(m.run_id)]
    data["children"] = store.children(m.run_id)
    return data


@router.get(
    "/runs/{run_id}/timeline",
    summary="Power timeline, downsampled",
    response_model=dict[str, Any],
)
def api_timeline(
    store: StoreDep,
    run_id: str,
    max_points: Annotated[int, Query(ge=10, le=20_000)] = MAX_TIMELINE_POINTS,
) -> Response:
    """`{t_s, power_w: {component: [...]}, points, source_points, bucket_size, figure}`.

    Consecutive samples are averaged in buckets of `bucket_size`, which keeps the energy.
    """
    m, series = services.run_timeline(store, run_id, max_points)
    labels = {c.id: f"{c.id} ({c.method})" for c in m.components}
    # Plain floats and strings, encoded by pydantic's JSON writer: the standard
    # library's takes most of the time of a 5,000-point answer (benchmarks/bench_web.py).
    # A value that is not finite is a gap in the chart: null.
    body = to_json({**series, "figure": timeline_figure(series, labels)}, inf_nan_mode="null")
    return Response(body, media_type="application/json")


@router.get("/runs/{run_id}/report.html", summary="HTML report of a run")
def api_report(store: StoreDep, run_id: str) -> HTMLResponse:
    """The self-contained report of `wattlens report run ID` (made in memory)."""
    m = services.get_run(store, run_id)
    return HTMLResponse(
        run_report(m),
        headers={
            "Content-Disposition": f'attachment; filename="wattlens-run-{m.run_id[:8]}.html"',
            "Content-Security-Policy": _REPORT_CSP,
        },
    )


@router.get("/compare", summary="Compare runs (wattlens runs compare --json)")
def api_compare(
    store: StoreDep,
    ids: Annotated[list[str], Query(description="Two or more run ids.")],
) -> dict[str, Any]:
    """`{baseline_run_id, runs: [...]}` with ratios to the first run."""
    return services.compare_runs(store, ids)
