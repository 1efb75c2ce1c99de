"""The wattlens dashboard: server-rendered pages and a JSON API over the run store.

``create_app(store_url, token=...)`` builds a FastAPI application from the
routers of :mod:`wattlens.web.routers`:

- pages: ``/runs`` (sortable, filterable list), ``/runs/{id}`` (power timeline,
  components, impacts, command and host), ``/compare?ids=A&ids=B``,
  ``/estimate`` (training and inference forms), ``/scenarios`` (an example or
  an uploaded YAML file, its levers, the projection and the waterfall), ``/catalog``;
- JSON API under ``/api/…`` (documented at ``/api/openapi.json``), which the
  pages use for their data;
- ``/static/plotly.min.js`` is the copy inside the installed plotly package:
  nothing is loaded from the internet.

Routes receive the store, the catalog and the example scenarios through
``Depends`` (:mod:`wattlens.web.deps`).

Security (:mod:`wattlens.web.security`): with a ``token`` every request (pages,
API, static files) must carry it as ``Authorization: Bearer T``, ``?token=T`` or
the cookie the server sets after a ``?token=`` visit (``HttpOnly``,
``SameSite=Strict``); a loopback server answers to loopback names and addresses
only; a request another site's page makes (``Sec-Fetch-Site: cross-site`` or
``same-site``) is refused with 403 unless it is a click on a link to a page; at
most 2 scenario runs compute at once (a third gets 429 and ``Retry-After``);
every route is read-only: all are GET but ``POST
/api/scenarios/run``, which computes and stores nothing, and takes only
``application/json`` (so a cross-site form cannot send it) of a bounded size.
Errors answer with the CLI's message and hint (JSON under ``/api``, a page
elsewhere) and never with a stack trace; nothing a request names is read from
the filesystem (static files come from this package only; the example scenarios
are read once at startup and named from that list).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from wattlens._version import __version__
from wattlens.errors import UsageError
from wattlens.report.render import plotly_js_path
from wattlens.store import Store
from wattlens.web import services
from wattlens.web.errors import install_error_handlers
from wattlens.web.html import page_templates
from wattlens.web.routers import catalog, estimates, pages, runs, scenarios, static
from wattlens.web.security import LOOPBACK_HOSTS, install_guard
from wattlens.web.timeouts import MAX_HEADER_BYTES, timed_h11_protocol

__all__ = ["LOOPBACK_HOSTS", "MAX_HEADER_BYTES", "create_app", "timed_h11_protocol"]

_DESCRIPTION = (
    "Runs, estimates, scenarios and the catalog of wattlens, read-only. Every quantity is an "
    "SI float with its unit in the field name (energy_j, co2e_g, water_l)."
)


def create_app(
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
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="wattlens",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load their code from a CDN: not offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.examples = services.load_examples()
    app.state.plotly_js = plotly_js_path()
    app.state.templates = page_templates(
        accelerators=[r["id"] for r in services.catalog_rows("accelerators")["rows"]],
        models=[r["id"] for r in services.catalog_rows("models")["rows"]],
    )
    install_guard(app, token, allowed_hosts)
    install_error_handlers(app)
    for router in (static, runs, estimates, catalog, scenarios, pages):
        app.include_router(router.router)
    static.mount_static(app)
    return app
