"""Who may talk to the dashboard: the Host header check, other sites' pages
(``Sec-Fetch-Site``), the token, and the security headers.

One HTTP middleware guards every response (pages, API, static files, unknown
paths alike); a route dependency would leave the static files and the 404
answers outside the check.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.responses import Response

from wattlens.web.html import error_response

COOKIE = "wattlens_token"
#: Host names a loopback-bound server answers to (guards against DNS rebinding).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def host_name(header: str) -> str:
    """The host of a Host header, without its port (``[::1]:80`` gives ``[::1]``)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class TokenCheck:
    """Whether a request carries the server's token (always true without one)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self._expected = token.encode() if token else None

    def _matches(self, candidate: str | None) -> bool:
        return (
            self._expected is not None
            and candidate is not None
            and hmac.compare_digest(candidate.encode(), self._expected)
        )

    def __call__(self, request: Request) -> tuple[bool, bool]:
        """(allowed, allowed by ``?token=``: then the cookie is set)."""
        if self._expected is None:
            return True, False
        if self._matches(request.query_params.get("token")):
            return True, True
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self._matches(value.strip()):
            return True, False
        return self._matches(request.cookies.get(COOKIE)), False


def _is_loopback_address(host: str) -> bool:
    """Whether ``host`` is a loopback IP address (127.0.0.0/8, ::1), not a name."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refusal(request: Request, allowed_hosts: Sequence[str] | None) -> Response | None:
    """The error answer to a request for a host this server does not serve, else None.

    A server that answers to loopback names answers to every loopback address
    (``--host 127.0.0.2``): an address, unlike a name, cannot be rebound by DNS.
    """
    if allowed_hosts is None:
        return None
    host = host_name(request.headers.get("host", ""))
    if host in allowed_hosts:
        return None
    if "127.0.0.1" in allowed_hosts and _is_loopback_address(host):
        return None
    return error_response(
        request,
        400,
        f"this server does not answer to host {host!r}",
        "open it at http://127.0.0.1:PORT/",
    )


def _cross_site(request: Request) -> Response | None:
    """The 403 answer to a request another site's page made, else None.

    Browsers say where a request comes from in ``Sec-Fetch-Site``: ``same-origin``
    (the dashboard's own pages) and ``none`` (typed in, a bookmark) pass, as does a
    request without the header (curl, scripts, older browsers). From another site
    (``cross-site``, or ``same-site``: another port of this host) only a click on a
    link to a page is answered; the API, the downloads and anything a page embeds
    (images, frames, scripts, fetches) would spend this server's time for that page.
    """
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in ("", "same-origin", "none"):
        return None
    navigation = (
        request.method in ("GET", "HEAD")
        and request.headers.get("sec-fetch-mode", "").lower() == "navigate"
        and request.headers.get("sec-fetch-dest", "document").lower() == "document"
        and not request.url.path.startswith("/api/")
    )
    if navigation:
        return None
    return error_response(
        request,
        403,
        f"this server does not answer {site} requests from other sites' pages",
        "open the dashboard itself, or call the API from a script",
    )


def install_guard(app: FastAPI, token: str | None, allowed_hosts: Sequence[str] | None) -> None:
    """Check the Host header and the token of every request; add the security headers."""
    check = TokenCheck(token)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        refused = _refusal(request, allowed_hosts) or _cross_site(request)
        if refused is not None:
            return refused
        ok, from_query = check(request)
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
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
