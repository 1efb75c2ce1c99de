"""How errors answer: the CLI's message and hint, a status code, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wattlens.errors import StoreError, UsageError, WattlensError
from wattlens.store import RunNotFoundError
from wattlens.web import services
from wattlens.web.html import error_response

log = logging.getLogger("wattlens.web")


class ServerBusyError(UsageError):
    """The server is doing as much of this work as it allows at once (HTTP 429)."""

    def __init__(self, message: str, *, hint: str, retry_after_s: int) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


def status_of(exc: WattlensError) -> int:
    """The HTTP status of a wattlens error."""
    if isinstance(exc, ServerBusyError):
        return 429
    if isinstance(exc, RunNotFoundError | services.ExampleNotFoundError):
        return 404
    if isinstance(exc, services.PayloadTooLargeError):
        return 413
    if isinstance(exc, StoreError):
        return 503
    if exc.exit_code == 2 or isinstance(exc, UsageError):
        return 400
    return 500


def validation_message(exc: RequestValidationError) -> str:
    """The request's invalid values, named as the CLI names its options."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"invalid value for {where or 'the request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


async def _wattlens_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WattlensError)
    response = error_response(request, status_of(exc), exc.message, exc.hint)
    if isinstance(exc, ServerBusyError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        request, 422, validation_message(exc), "see /api/openapi.json for the parameters"
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(request, 404, f"no page at {request.url.path}", "start at /runs")
    return error_response(request, exc.status_code, str(exc.detail), None)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("error while answering %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal server error", "the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error as a page or JSON (see :func:`error_response`)."""
    app.add_exception_handler(WattlensError, _wattlens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
