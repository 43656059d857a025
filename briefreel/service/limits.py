"""Request limits: a token bucket per API key (429), a cap on the request body (413), and timeouts for slow
clients (a request's headers within ``BRIEFREEL_HEADER_TIMEOUT`` s, its body within ``BRIEFREEL_BODY_TIMEOUT`` s).

The body cap is an ASGI middleware: it refuses a declared ``Content-Length`` over the cap before reading anything,
and counts the bytes of a chunked upload as they arrive, so an oversized upload never lands in memory or on disk.
The same middleware gives the body a deadline (408 after it). The header deadline lives in the HTTP protocol
(``guarded_h11``, what ``briefreel serve`` runs uvicorn with): uvicorn itself has none, so a client sending a
byte every few seconds of its headers would hold a connection forever. The buckets live in the API process (one API
process per data folder in embedded mode; behind a load balancer, give each instance its share of the limit).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

MAX_BUCKETS = 100_000  # per limiter: past this, full (idle) buckets are forgotten


class RateLimiter:
    """``rate`` events per ``per`` seconds per key, with bursts up to ``rate``."""

    def __init__(self, rate: int, per: float = 60.0):
        self.rate = rate
        self.per = per
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token. Returns 0 when allowed, else the seconds to wait before the next token."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        refill = self.rate / self.per
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * refill)
            if len(self._buckets) > MAX_BUCKETS:
                self._prune(now, refill)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / refill

    def _prune(self, now: float, refill: float) -> None:
        for k, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * refill >= self.rate:
                del self._buckets[k]

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a token again (0 when it has one now), spending nothing."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            if key not in self._buckets:
                return 0.0
            tokens, last = self._buckets[key]
            refill = self.rate / self.per
            tokens = min(float(self.rate), tokens + (time.monotonic() - last) * refill)
            return 0.0 if tokens >= 1 else (1 - tokens) / refill


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes``, 408 for one not sent within ``timeout`` s."""

    def __init__(self, app, max_bytes: int, timeout: float = 0.0):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0
        started = False
        deadline = time.monotonic() + self.timeout if self.timeout > 0 else None
        body_done = False

        async def limited_receive():
            nonlocal seen, body_done
            if deadline is not None and not body_done:
                try:
                    message = await asyncio.wait_for(receive(), max(0.001, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    raise TooSlow() from None
            else:
                message = await receive()
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except TooLarge:
            if not started:
                await self._refuse(send)
        except TooSlow:
            if not started:
                await self._refuse(send, 408, "request_timeout",
                                   f"the request body did not arrive within {self.timeout:g} s")

    async def _refuse(self, send, status: int = 413, code: str = "too_large", message: str | None = None):
        message = message or f"the upload is over the {self.max_bytes / 1e6:g} MB limit"
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def guarded_h11(header_timeout: float):
    """uvicorn's h11 protocol with a deadline on each request's headers: the connection is closed when they are
    not all in ``header_timeout`` s after it opened or after the previous response (``uvicorn.Config(http=...)``).
    A client still sending the body of a request that was already answered (a 408 or a 413) is cut off."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer = None

        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport.is_closing():
                return
            if self.conn.their_state is h11.IDLE:
                self._arm()
            elif self.conn.their_state is h11.SEND_BODY:  # answered before its body was in: no more of it
                self._close()

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            if header_timeout > 0:
                self._header_timer = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE:
                self.logger.info("closing a connection whose request headers took over %g s", header_timeout)
                self._close()

        def _close(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol
