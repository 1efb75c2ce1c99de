"""The wattlens dashboard: server-rendered pages and a JSON API over the run store.

``create_app(store_url, token=...)`` builds a FastAPI application:

- pages: ``/runs`` (sortable, filterable list), ``/runs/{id}`` (power timeline,
  components, impacts, command and host), ``/compare?ids=A&ids=B``,
  ``/estimate`` (training and inference forms), ``/scenarios`` (an example or
  an uploaded YAML file, its levers, the projection and the waterfall), ``/catalog``;
- JSON API under ``/api/…`` (documented at ``/api/openapi.json``), which the
  pages use for their data;
- ``/static/plotly.min.js`` is the copy inside the installed plotly package:
  nothing is loaded from the internet.

Security: with a ``token`` every request (pages, API, static files) must carry
it as ``Authorization: Bearer T``, ``?token=T`` or the cookie the server sets
after a ``?token=`` visit (``HttpOnly``, ``SameSite=Strict``); every route is
read-only: all are GET but ``POST /api/scenarios/run``, which computes and stores
nothing, and takes only ``application/json`` (so a cross-site form cannot send
it) of a bounded size. Errors answer with the CLI's message and hint (JSON under
``/api``, a page elsewhere) and never with a stack trace; nothing a request
names is read from the filesystem (static files come from this package only;
the example scenarios are read once at startup and named from that list).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from wattlens._version import __version__
from wattlens.cli._output import fmt_number
from wattlens.errors import StoreError, UsageError, WattlensError
from wattlens.report.figures import (
    MAX_TIMELINE_POINTS,
    compare_figure,
    estimate_view,
    run_view,
    timeline_figure,
)
from wattlens.report.render import jinja_environment, plotly_js_path, run_report
from wattlens.store import RunNotFoundError, Store
from wattlens.units import format_duration, format_energy, format_mass, format_power
from wattlens.web import services

log = logging.getLogger("wattlens.web")

HERE = Path(__file__).parent
COOKIE = "wattlens_token"
#: Host names a loopback-bound server answers to (guards against DNS rebinding).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _status_of(exc: WattlensError) -> int:
    if isinstance(exc, RunNotFoundError | services.ExampleNotFoundError):
        return 404
    if isinstance(exc, services.PayloadTooLargeError):
        return 413
    if isinstance(exc, StoreError):
        return 503
    if exc.exit_code == 2 or isinstance(exc, UsageError):
        return 400
    return 500


def _url_with(request: Request, **changes: Any) -> str:
    """This page's path and query with some parameters changed (and no token)."""
    url = request.url.remove_query_params("token").include_query_params(**changes)
    return url.path + ("?" + url.query if url.query else "")


def _host_name(header: str) -> str:
    """The host of a Host header, without its port (``[::1]:80`` gives ``[::1]``)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _error_body(message: str, hint: str | None, status: int) -> dict[str, Any]:
    return {"error": message, "hint": hint, "status": status}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"invalid value for {where or 'the request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


# -- query parameters shared by pages and API --------------------------------------------------
def run_list(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=services.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: Annotated[
        Literal["started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status"],
        Query(description="Column to sort by."),
    ] = "started_at",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    name: Annotated[str | None, Query(description="Name; * and ? make a glob.")] = None,
    since: Annotated[str | None, Query(description="ISO 8601; runs started at or after.")] = None,
) -> dict[str, Any]:
    return services.list_runs(
        request.app.state.store,
        limit=limit,
        offset=offset,
        sort=sort,
        order=order,
        name=name,
        since=since,
    )


RunList = Annotated[dict[str, Any], Depends(run_list)]


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
    batch: str | None = None,
    precision: str | None = None,
    boundary: str | None = None,
    pue: Annotated[str | None, Query(description="X or LOW:HIGH.")] = None,
    location: str | None = None,
    samples: str | None = None,
    seed: str | None = None,
) -> dict[str, str | None]:
    return {k: v for k, v in locals().items() if k in services.INFERENCE_FIELDS}


TrainingForm = Annotated[dict[str, str | None], Depends(training_form)]
InferenceForm = Annotated[dict[str, str | None], Depends(inference_form)]


class ScenarioRun(BaseModel):
    """The body of ``POST /api/scenarios/run``."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(description="The scenario file's text (YAML), at most 256 KiB.")
    file: str | None = Field(
        default=None, description="A name for the file in messages (only a label)."
    )
    years: int | None = Field(default=None, description="Years to project (default: the file's).")
    samples: int | None = Field(
        default=None,
        description=f"Monte Carlo samples, 100 to {services.MAX_SCENARIO_SAMPLES:,} "
        "(default: the file's).",
    )
    levers: list[int] | None = Field(
        default=None,
        max_length=services.MAX_SCENARIO_LEVERS,
        description="Indices of the file's levers to apply, in the file's order "
        "(default: all; [] for none).",
    )


async def _scenario_body(request: Request) -> ScenarioRun:
    """The JSON body, read up to :data:`services.MAX_SCENARIO_BODY` bytes."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise UsageError(
            f"send the scenario as application/json, not {kind or 'no content type'}",
            hint='POST {"yaml": "...", "levers": [0, 2]} (see /api/openapi.json)',
        )
    too_large = services.PayloadTooLargeError(
        f"the request body is over {services.MAX_SCENARIO_BODY:,} bytes",
        hint=f"a scenario file is at most {services.MAX_SCENARIO_BYTES:,} bytes here",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > services.MAX_SCENARIO_BODY:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > services.MAX_SCENARIO_BODY:
            raise too_large
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"the request body is not JSON: {exc}",
            hint='POST {"yaml": "...", "levers": [0, 2]} (see /api/openapi.json)',
        ) from None
    try:
        return ScenarioRun.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def create_app(  # noqa: PLR0915 - one nested function per route
    store_url: str | None = None,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The dashboard application over the store at ``store_url`` (default: ``WATTLENS_DB``).

    Args:
        store_url: A SQLAlchemy URL of the run store.
        token: When given, every request must carry it (see the module docs).
        allowed_hosts: Host header values to answer (None: any); a server bound
            to loopback passes :data:`LOOPBACK_HOSTS`.

    Raises:
        StoreError: The store URL is invalid.
    """
    if token is not None and not token.strip():
        raise UsageError("the token is empty", hint="give a non-empty --token or WATTLENS_TOKEN")
    store = Store(store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        store.close()

    app = FastAPI(
        title="wattlens",
        version=__version__,
        description="Runs, estimates, scenarios and the catalog of wattlens, read-only. Every "
        "quantity is an SI float with its unit in the field name (energy_j, co2e_g, water_l).",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load their code from a CDN: not offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    examples = services.load_examples()
    app.state.examples = examples
    templates = jinja_environment(HERE / "templates")
    templates.globals.update(
        version=__version__,
        url_with=_url_with,
        fmt_energy=format_energy,
        fmt_duration=format_duration,
        fmt_mass=format_mass,
        fmt_power=format_power,
        cell=fmt_number,
        accelerators=[r["id"] for r in services.catalog_rows("accelerators")["rows"]],
        models=[r["id"] for r in services.catalog_rows("models")["rows"]],
    )

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(
            request=request, path=request.url.path, **context
        )
        return HTMLResponse(html, status_code=status_code)

    def error_response(request: Request, status: int, message: str, hint: str | None) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(_error_body(message, hint, status), status_code=status)
        return page(request, "error.html", status, status=status, message=message, hint=hint)

    # -- security ----------------------------------------------------------------------------------
    expected = token.encode() if token else None

    def _matches(candidate: str | None) -> bool:
        return (
            expected is not None
            and candidate is not None
            and hmac.compare_digest(candidate.encode(), expected)
        )

    def _authorised(request: Request) -> tuple[bool, bool]:
        """(allowed, allowed by ``?token=``: then the cookie is set)."""
        if expected is None:
            return True, False
        if _matches(request.query_params.get("token")):
            return True, True
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and _matches(value.strip()):
            return True, False
        return _matches(request.cookies.get(COOKIE)), False

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if allowed_hosts is not None:
            host = _host_name(request.headers.get("host", ""))
            if host not in allowed_hosts:
                return error_response(
                    request,
                    400,
                    f"this server does not answer to host {host!r}",
                    "open it at http://127.0.0.1:PORT/",
                )
        ok, from_query = _authorised(request)
        if not ok:
            response = error_response(
                request,
                401,
                "this wattlens server needs its token",
                "send the header 'Authorization: Bearer TOKEN' or open the page with ?token=TOKEN",
            )
            response.headers["WWW-Authenticate"] = "Bearer"
        else:
            response = await call_next(request)
            if from_query and token:
                response.set_cookie(
                    COOKIE, token, httponly=True, samesite="strict", path="/", max_age=86400
                )
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # -- errors ------------------------------------------------------------------------------------
    @app.exception_handler(WattlensError)
    async def wattlens_error(request: Request, exc: WattlensError) -> Response:
        return error_response(request, _status_of(exc), exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(
            request, 422, _validation_message(exc), "see /api/openapi.json for the parameters"
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(request, 404, f"no page at {request.url.path}", "start at /runs")
        return error_response(request, exc.status_code, str(exc.detail), None)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error while answering %s %s", request.method, request.url.path)
        return error_response(
            request, 500, "internal server error", "the server log has the details"
        )

    # -- static ------------------------------------------------------------------------------------
    plotly_path = plotly_js_path()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            plotly_path,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # -- API: runs ---------------------------------------------------------------------------------
    @app.get("/api/runs", tags=["runs"], summary="List runs (wattlens runs ls --json)")
    def api_runs(listing: RunList) -> dict[str, Any]:
        """`{count, shown, offset, limit, sort, order, runs: [...]}`, runs as `runs ls --json`."""
        return listing

    @app.get("/api/runs/{run_id}", tags=["runs"], summary="One run (wattlens runs show --json)")
    def api_run(
        run_id: str, timeline: Annotated[bool, Query(description="Include every point.")] = False
    ) -> dict[str, Any]:
        """The run's full record; `timeline` is null unless asked for (see `/timeline`)."""
        data = services.get_run(store, run_id, timeline=timeline).to_dict()
        if not timeline:
            data["timeline"] = None
        return data

    @app.get("/api/runs/{run_id}/timeline", tags=["runs"], summary="Power timeline, downsampled")
    def api_timeline(
        run_id: str,
        max_points: Annotated[int, Query(ge=10, le=20_000)] = MAX_TIMELINE_POINTS,
    ) -> dict[str, Any]:
        """`{t_s, power_w: {component: [...]}, points, source_points, bucket_size, figure}`.

        Consecutive samples are averaged in buckets of `bucket_size`, which keeps the energy.
        """
        m, series = services.run_timeline(store, run_id, max_points)
        labels = {c.id: f"{c.id} ({c.method})" for c in m.components}
        return {**series, "figure": timeline_figure(series, labels)}

    @app.get("/api/runs/{run_id}/report.html", tags=["runs"], summary="HTML report of a run")
    def api_report(run_id: str) -> HTMLResponse:
        """The self-contained report of `wattlens report run ID` (made in memory)."""
        m = services.get_run(store, run_id)
        return HTMLResponse(
            run_report(m),
            headers={
                "Content-Disposition": f'attachment; filename="wattlens-run-{m.run_id[:8]}.html"',
                # The report draws its charts with inline scripts; it runs in a sandbox.
                "Content-Security-Policy": "sandbox allow-scripts; default-src 'none'; "
                "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
                "img-src data: blob:",
            },
        )

    @app.get("/api/compare", tags=["runs"], summary="Compare runs (wattlens runs compare --json)")
    def api_compare(
        ids: Annotated[list[str], Query(description="Two or more run ids.")],
    ) -> dict[str, Any]:
        """`{baseline_run_id, runs: [...]}` with ratios to the first run."""
        return services.compare_runs(store, ids)

    # -- API: estimates ----------------------------------------------------------------------------
    @app.get(
        "/api/estimate/training",
        tags=["estimate"],
        summary="Training estimate (wattlens estimate training --json)",
    )
    def api_training(form: TrainingForm) -> dict[str, Any]:
        """Inputs as the CLI's options (counts accept 70B, 2T; ranges LOW:HIGH)."""
        result, inputs = services.estimate_training(form)
        return {**result.to_dict(), "inputs": inputs}

    @app.get(
        "/api/estimate/inference",
        tags=["estimate"],
        summary="Inference estimate per request (wattlens estimate inference --json)",
    )
    def api_inference(form: InferenceForm) -> dict[str, Any]:
        """Inputs as the CLI's options (counts accept 8B, 2T; ranges LOW:HIGH)."""
        result, inputs = services.estimate_inference(form)
        return {**result.to_dict(), "inputs": inputs}

    # -- API: catalog ------------------------------------------------------------------------------
    @app.get("/api/catalog", tags=["catalog"], summary="Kinds of facts (catalog ls --json)")
    def api_catalog() -> dict[str, Any]:
        return services.catalog_kinds()

    @app.get("/api/catalog/{kind}", tags=["catalog"], summary="Rows of a kind (catalog ls KIND)")
    def api_catalog_kind(kind: str) -> dict[str, Any]:
        return services.catalog_rows(kind)

    @app.get("/api/catalog/{kind}/{name}", tags=["catalog"], summary="One row (catalog show)")
    def api_catalog_row(kind: str, name: str) -> dict[str, Any]:
        return services.catalog_row(kind, name)

    # -- API: scenarios ----------------------------------------------------------------------------
    @app.get("/api/scenarios/examples", tags=["scenarios"], summary="The example scenarios")
    def api_scenario_examples() -> dict[str, Any]:
        """`{examples: [{name, title, file}]}`: the files shipped in examples/scenarios/."""
        return {
            "examples": [
                {"name": e.name, "title": e.title, "file": e.file} for e in examples.values()
            ]
        }

    @app.get(
        "/api/scenarios/examples/{name}",
        tags=["scenarios"],
        summary="One example scenario's YAML",
        response_class=PlainTextResponse,
    )
    def api_scenario_example(name: str) -> PlainTextResponse:
        """The file's text; `name` is one of `/api/scenarios/examples` (never a path)."""
        found = services.example(examples, name)
        return PlainTextResponse(found.text, headers={"X-Wattlens-File": found.file})

    @app.post(
        "/api/scenarios/run",
        tags=["scenarios"],
        summary="Run a scenario and its levers (scenario run --json, scenario levers --json)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ScenarioRun.model_json_schema()}},
            }
        },
    )
    async def api_scenario_run(request: Request) -> dict[str, Any]:
        """`{run, waterfall, levers, figures}`: `run` is `wattlens scenario run --json`,
        `waterfall` is `wattlens scenario levers --json` with only the enabled levers (null
        when none is), `levers` the file's levers (`{index, lever, kind, enabled}`).

        A file over 256 KiB is a 413; a bad file a 400 with the CLI's `file:line` message.
        """
        body = await _scenario_body(request)
        return await run_in_threadpool(
            services.run_scenario,
            body.yaml,
            file=body.file,
            years=body.years,
            samples=body.samples,
            levers=body.levers,
        )

    # -- pages -------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/runs", status_code=307)

    @app.get("/runs", include_in_schema=False, response_class=HTMLResponse)
    def runs_page(request: Request, listing: RunList) -> HTMLResponse:
        return page(
            request,
            "runs.html",
            listing=listing,
            filters={
                "name": request.query_params.get("name", ""),
                "since": request.query_params.get("since", ""),
            },
            sort_keys=services.SORT_KEYS,
        )

    @app.get("/runs/{run_id}", include_in_schema=False, response_class=HTMLResponse)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
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
        )

    @app.get("/compare", include_in_schema=False, response_class=HTMLResponse)
    def compare_page(
        request: Request, ids: Annotated[list[str] | None, Query()] = None
    ) -> HTMLResponse:
        result = services.compare_runs(store, ids or [])
        return page(request, "compare.html", result=result, figure=compare_figure(result["runs"]))

    @app.get("/estimate", include_in_schema=False, response_class=HTMLResponse)
    def estimate_page(request: Request) -> HTMLResponse:
        return page(request, "estimate.html", kind=None, form={}, view=None, error=None)

    def _estimate_page(
        request: Request,
        kind: Literal["training", "inference"],
        form: Mapping[str, str | None],
    ) -> HTMLResponse:
        filled = {k: v for k, v in form.items() if v}
        if not filled:
            return page(request, "estimate.html", kind=kind, form={}, view=None, error=None)
        try:
            if kind == "training":
                result, inputs = services.estimate_training(form)
            else:
                result, inputs = services.estimate_inference(form)
        except WattlensError as exc:
            error = {"message": exc.message, "hint": exc.hint}
            return page(
                request,
                "estimate.html",
                _status_of(exc),
                kind=kind,
                form=filled,
                view=None,
                error=error,
            )
        title = (
            f"Training estimate on {inputs['accelerator']}"
            if kind == "training"
            else f"Inference estimate per request on {inputs['accelerator']}"
        )
        view = estimate_view(result, title=title, inputs=inputs)
        api_url = request.url.replace(path=f"/api/estimate/{kind}").path + (
            "?" + request.url.query if request.url.query else ""
        )
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

    @app.get("/estimate/training", include_in_schema=False, response_class=HTMLResponse)
    def training_page(request: Request, form: TrainingForm) -> HTMLResponse:
        return _estimate_page(request, "training", form)

    @app.get("/estimate/inference", include_in_schema=False, response_class=HTMLResponse)
    def inference_page(request: Request, form: InferenceForm) -> HTMLResponse:
        return _estimate_page(request, "inference", form)

    @app.get("/scenarios", include_in_schema=False, response_class=HTMLResponse)
    def scenarios_page(request: Request) -> HTMLResponse:
        return page(
            request,
            "scenarios.html",
            examples=list(examples.values()),
            max_bytes=services.MAX_SCENARIO_BYTES,
            max_samples=services.MAX_SCENARIO_SAMPLES,
        )

    @app.get("/catalog", include_in_schema=False, response_class=HTMLResponse)
    def catalog_page(request: Request) -> HTMLResponse:
        return page(request, "catalog.html", kinds=services.catalog_kinds()["kinds"])

    @app.get("/catalog/{kind}", include_in_schema=False, response_class=HTMLResponse)
    def catalog_kind_page(request: Request, kind: str) -> HTMLResponse:
        data = services.catalog_rows(kind)
        return page(
            request,
            "catalog_kind.html",
            data=data,
            columns=services.catalog_columns(kind),
        )

    @app.get("/catalog/{kind}/{name}", include_in_schema=False, response_class=HTMLResponse)
    def catalog_row_page(request: Request, kind: str, name: str) -> HTMLResponse:
        return page(request, "catalog_row.html", data=services.catalog_row(kind, name))

    return app
