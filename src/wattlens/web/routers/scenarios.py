"""``/api/scenarios/…``: the example scenarios, and running a scenario file with its levers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wattlens.errors import UsageError
from wattlens.web import services
from wattlens.web.deps import ExamplesDep
from wattlens.web.errors import ServerBusyError

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])
_BODY_HINT = 'POST {"yaml": "...", "levers": [0, 2]} (see /api/openapi.json)'
#: Scenario runs one server computes at once. The heaviest allowed run holds about one
#: CPU core and over a GiB (see benchmarks/bench_web.py): more would starve the pages
#: and could exhaust memory, so a further request gets 429 and ``Retry-After``.
MAX_RUNNING_SCENARIOS = 2
#: Seconds a refused client is told to wait.
RETRY_AFTER_S = 5


class ScenarioGate:
    """Counts the scenario runs in progress (one per application, on its event loop)."""

    def __init__(self, limit: int = MAX_RUNNING_SCENARIOS) -> None:
        self.limit = limit
        self.running = 0


def _gate(request: Request) -> ScenarioGate:
    gate: ScenarioGate | None = getattr(request.app.state, "scenario_gate", None)
    if gate is None:
        gate = request.app.state.scenario_gate = ScenarioGate()
    return gate


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


async def _read_body(request: Request) -> bytes:
    """The body, read up to :data:`services.MAX_SCENARIO_BODY` bytes."""
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
    return bytes(body)


async def scenario_body(request: Request) -> ScenarioRun:
    """The JSON body (only ``application/json``: a cross-site form cannot send it)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise UsageError(
            f"send the scenario as application/json, not {kind or 'no content type'}",
            hint=_BODY_HINT,
        )
    body = await _read_body(request)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"the request body is not JSON: {exc}", hint=_BODY_HINT) from None
    except RecursionError:
        # The parser gives up after about a thousand levels, at once; the body has three.
        raise UsageError(
            "the request body is nested too deeply", hint="send the scenario as " + _BODY_HINT
        ) from None
    try:
        return ScenarioRun.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


@router.get("/examples", summary="The example scenarios")
def api_scenario_examples(examples: ExamplesDep) -> dict[str, Any]:
    """`{examples: [{name, title, file}]}`: the files shipped in examples/scenarios/."""
    return {
        "examples": [{"name": e.name, "title": e.title, "file": e.file} for e in examples.values()]
    }


@router.get(
    "/examples/{name}",
    summary="One example scenario's YAML",
    response_class=PlainTextResponse,
)
def api_scenario_example(examples: ExamplesDep, name: str) -> PlainTextResponse:
    """The file's text; `name` is one of `/api/scenarios/examples` (never a path)."""
    found = services.example(examples, name)
    return PlainTextResponse(found.text, headers={"X-Wattlens-File": found.file})


@router.post(
    "/run",
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
    While 2 runs are in progress (`MAX_RUNNING_SCENARIOS`) a further one is refused
    with 429 and `Retry-After`.
    """
    body = await scenario_body(request)
    gate = _gate(request)
    if gate.running >= gate.limit:
        raise ServerBusyError(
            f"{gate.running} scenario runs are in progress; this server runs at most "
            f"{gate.limit} at once",
            hint=f"try again in {RETRY_AFTER_S} s, or run it with `wattlens scenario run FILE`",
            retry_after_s=RETRY_AFTER_S,
        )
    gate.running += 1  # the event loop runs one coroutine at a time: no lock needed
    try:
        return await run_in_threadpool(
            services.run_scenario,
            body.yaml,
            file=body.file,
            years=body.years,
            samples=body.samples,
            levers=body.levers,
        )
    finally:
        gate.running -= 1
