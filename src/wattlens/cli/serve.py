"""``wattlens serve``: the web dashboard over the run store."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from wattlens.errors import UsageError, WattlensError

_WEB_HINT = "install the web extra: pip install 'wattlens[web]'"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to bind. Anything but loopback (127.0.0.1, ::1) needs --token.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port.")] = 8080,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="WATTLENS_TOKEN",
            show_envvar=True,
            help="Require this token on every page and API call (header "
            "'Authorization: Bearer T' or ?token=T).",
        ),
    ] = None,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout",
            min=0.1,
            max=3600,
            help="Seconds a client has to send a whole request (headers and body); "
            "a slower connection is closed.",
        ),
    ] = 10.0,
    keep_alive: Annotated[
        int,
        typer.Option(
            "--keep-alive", min=1, max=3600, help="Seconds an idle connection stays open."
        ),
    ] = 5,
) -> None:
    """Serve the dashboard: runs (list, run page, compare), estimate forms, the catalog,
    and a read-only JSON API under /api (OpenAPI document at /api/openapi.json).

    It reads the run store (WATTLENS_DB, else runs.sqlite in your user data
    directory) and needs no internet: plotly.js is served from the installed
    plotly package. It binds 127.0.0.1 unless told otherwise; binding any other
    address requires --token (or WATTLENS_TOKEN).

    A client must send each request within --request-timeout seconds and an
    idle connection is closed after --keep-alive seconds, so that connections
    left half-open cannot use up the server's file descriptors.

    Example: wattlens serve --port 8080, then open http://127.0.0.1:8080/
    """
    if token is not None and not token.strip():
        raise UsageError("the token is empty", hint="give a non-empty --token or WATTLENS_TOKEN")
    loopback = is_loopback(host)
    if not loopback and not token:
        raise UsageError(
            f"binding {host} exposes your runs beyond this machine and needs a token",
            hint="add --token SECRET (or set WATTLENS_TOKEN), or bind --host 127.0.0.1",
        )
    try:
        import uvicorn

        from wattlens.web.app import (
            LOOPBACK_HOSTS,
            MAX_HEADER_BYTES,
            create_app,
            timed_h11_protocol,
        )
    except ImportError as exc:
        raise WattlensError(
            f"the dashboard needs the web extra ({exc.name} is missing)", hint=_WEB_HINT
        ) from exc
    app = create_app(token=token, allowed_hosts=LOOPBACK_HOSTS if loopback else None)
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{shown}:{port}/"
    typer.echo(
        f"wattlens dashboard on {where} (store: {app.state.store.location})"
        + ("; open it with ?token=YOUR_TOKEN once, or send 'Authorization: Bearer'" if token
           else ""),
        err=True,
    )  # fmt: skip
    try:
        uvicorn.run(
            app,
            host=host.strip("[]"),
            port=port,
            log_level="info",
            access_log=False,
            http=timed_h11_protocol(request_timeout),
            timeout_keep_alive=keep_alive,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        )
    except OSError as exc:
        raise WattlensError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or stop what is using it",
        ) from exc
