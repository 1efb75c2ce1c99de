"""What routes receive through ``Depends``: the store, the catalog, the example scenarios,
and the query parameters that pages and the API share."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request

from wattlens.catalog import Catalog
from wattlens.store import Store
from wattlens.web import services


def get_store(request: Request) -> Store:
    """The application's run store (opened by :func:`~wattlens.web.app.create_app`)."""
    store: Store = request.app.state.store
    return store


def get_catalog() -> Catalog:
    """The fact catalog (shipped rows and the user's files)."""
    from wattlens.catalog import get_catalog as load

    return load()


def get_examples(request: Request) -> dict[str, services.Example]:
    """The example scenarios, read once at startup (names, never paths)."""
    examples: dict[str, services.Example] = request.app.state.examples
    return examples


StoreDep = Annotated[Store, Depends(get_store)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
ExamplesDep = Annotated[dict[str, services.Example], Depends(get_examples)]


def run_list(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=services.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET)] = 0,
    sort: Annotated[
        Literal["started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status"],
        Query(description="Column to sort by."),
    ] = "started_at",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    name: Annotated[str | None, Query(description="Name; * and ? make a glob.")] = None,
    since: Annotated[str | None, Query(description="ISO 8601; runs started at or after.")] = None,
) -> dict[str, Any]:
    """A page of the runs list (``wattlens runs ls``), for the list page and ``/api/runs``."""
    return services.list_runs(
        store, limit=limit, offset=offset, sort=sort, order=order, name=name, since=since
    )


RunList = Annotated[dict[str, Any], Depends(run_list)]
