"""``/static/…``: the dashboard's own files and plotly.js, from the installed packages only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/static/plotly.min.js")
def plotly_js(request: Request) -> FileResponse:
    """The copy of plotly.js inside the installed plotly package: nothing from the internet."""
    path: Path = request.app.state.plotly_js
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


def mount_static(app: FastAPI) -> None:
    """Serve this package's ``static/`` folder (after :data:`router`, which it would shadow)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
