"""Connection limits of ``wattlens serve``: a client must send its request in time.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but
waits forever for the headers of a request that has begun (or of the first
one): a few hundred connections that send half a request would hold every file
descriptor of the server. :func:`timed_h11_protocol` gives uvicorn's h11
protocol a deadline: from a connection's start, or from the first byte of each
next request, the whole request (headers and body) must arrive within
``request_timeout_s`` or the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "DEFAULT_KEEP_ALIVE_S",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "MAX_HEADER_BYTES",
    "timed_h11_protocol",
]

#: Seconds a client has to send a whole request (``wattlens serve --request-timeout``).
DEFAULT_REQUEST_TIMEOUT_S = 10.0
#: Seconds an idle keep-alive connection stays open (uvicorn's ``timeout_keep_alive``).
DEFAULT_KEEP_ALIVE_S = 5
#: Largest request line and headers h11 buffers (``h11_max_incomplete_event_size``).
MAX_HEADER_BYTES = 16 * 1024


class _TimedH11Protocol(H11Protocol):
    request_timeout_s = DEFAULT_REQUEST_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.DONE:
            self._disarm()
        elif self._request_timer is None:
            self._arm()  # the first byte of a next request on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._request_timer = self.loop.call_later(self.request_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _expired(self) -> None:
        self._request_timer = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


def timed_h11_protocol(request_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol; it closes a connection whose request takes over the timeout."""
    return type(
        "TimedH11Protocol", (_TimedH11Protocol,), {"request_timeout_s": float(request_timeout_s)}
    )
