"""The dashboard's HTML: the Jinja2 environment, pages, and errors as pages or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from wattlens._version import __version__
from wattlens.report.render import jinja_environment
from wattlens.units import (
    format_duration,
    format_energy,
    format_mass,
    format_number,
    format_power,
)

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


def url_with(request: Request, **changes: Any) -> str:
    """This page's path and query with some parameters changed (and no token)."""
    url = request.url.remove_query_params("token").include_query_params(**changes)
    return url.path + ("?" + url.query if url.query else "")


def catalog_href(ref: str) -> str | None:
    """The catalog page of a ``kind/id`` source, or ``None`` when it names no catalog kind."""
    from wattlens.catalog.loader import KINDS

    kind, _, row_id = ref.partition("/")
    if kind not in KINDS or not row_id or "/" in row_id:
        return None
    return f"/catalog/{quote(kind)}/{quote(row_id)}"


def serving_stacks() -> list[tuple[str, str]]:
    """The estimate form's serving-stack choices: (name, label), ``unknown`` first."""
    from wattlens.estimate.stacks import UNKNOWN, stacks

    return [
        (UNKNOWN, "unknown: spans every stack below (default)"),
        *((name, f"{name}: {profile.label.split(' (')[0]}") for name, profile in stacks().items()),
    ]


def page_templates(accelerators: list[str], models: list[str]) -> Environment:
    """The pages' templates (over the report's), with the formatters they use."""
    templates = jinja_environment(TEMPLATES)
    templates.globals.update(
        version=__version__,
        url_with=url_with,
        fmt_energy=format_energy,
        fmt_duration=format_duration,
        fmt_mass=format_mass,
        fmt_power=format_power,
        cell=format_number,
        accelerators=accelerators,
        models=models,
        catalog_href=catalog_href,
        serving_stacks=serving_stacks(),
    )
    return templates


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` rendered for ``request`` with ``context``."""
    templates: Environment = request.app.state.templates
    html = templates.get_template(name).render(request=request, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


def error_body(message: str, hint: str | None, status: int) -> dict[str, Any]:
    return {"error": message, "hint": hint, "status": status}


def error_response(request: Request, status: int, message: str, hint: str | None) -> Response:
    """An error as JSON under ``/api/``, as a page elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(message, hint, status), status_code=status)
    return page(request, "error.html", status, status=status, message=message, hint=hint)
