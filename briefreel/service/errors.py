"""The service's errors as HTTP answers: ``{"error": {"code": ..., "message": ...}}`` with the error's status.

Every typed briefreel error (intake, storyboard, job options) reaches the client through one handler, by way of
:func:`briefreel.errors.error_payload`; :class:`ApiError` is for what only HTTP has (auth, rate limits, routes).
An error with a ``retry_after_s`` attribute (the intake's ``busy`` when every parse slot is taken) gets a
``Retry-After`` header. A full disk is ``507 insufficient_storage``. Anything else that escapes a route is caught by
:class:`CatchAll`: logged with its traceback, answered ``500 internal`` in JSON, never plain text.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from briefreel.errors import INTERNAL_MESSAGE, BriefreelError, error_payload

log = logging.getLogger("briefreel.service")


class ApiError(BriefreelError):
    """An HTTP-only refusal: ``status``, ``code``, a safe ``message``, optional response ``headers`` and ``extra``
    fields for the error object (the safety filter's shot, field and term)."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.headers, self.extra = status, code, headers, extra


class DiskFull(ApiError):
    def __init__(self):
        super().__init__(507, "insufficient_storage", "the server's disk is full; nothing was stored, try again later",
                         headers={"Retry-After": "60"})


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT anywhere in the exception's chain, or SQLite's "database or disk is full"."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
            return True
        if "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _retry_after(exc: BaseException) -> dict:
    seconds = getattr(exc, "retry_after_s", None)
    if seconds is None:
        return {}
    try:
        return {"Retry-After": str(max(1, math.ceil(float(seconds))))}
    except (TypeError, ValueError):
        return {"Retry-After": "5"}


# What a message says where the service's client acts differently from a command-line user, by code.
SERVICE_MESSAGES = {
    "password_required": "this PDF is password-protected: send its password in the `password` form field",
}


def error_response(exc: BaseException) -> JSONResponse:
    payload = error_payload(exc)
    message = SERVICE_MESSAGES.get(payload["code"], payload["message"])
    body = {"code": payload["code"], "message": message, **getattr(exc, "extra", {})}
    headers = {**_retry_after(exc), **(getattr(exc, "headers", None) or {})}
    if "Retry-After" in headers:
        body["retry_after_s"] = int(headers["Retry-After"])
    return JSONResponse({"error": body}, status_code=payload["status"], headers=headers or None)


async def _briefreel_error(request: Request, exc: BriefreelError) -> JSONResponse:
    return error_response(exc)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse({"error": {"code": "invalid_request", "message": f"{where}: {first.get('msg')}"}},
                        status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BriefreelError, _briefreel_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


class CatchAll:
    """ASGI middleware, outermost: an exception no handler took becomes a JSON 500 (507 for a full disk), logged
    with its traceback; the client sees a fixed message, never the exception's text."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - every failure gets an answer
            if is_disk_full(exc):
                log.error("%s %s: disk full", scope.get("method"), scope.get("path"))
                status, body, headers = 507, {"code": "insufficient_storage", "message": DiskFull().message}, \
                    [(b"retry-after", b"60")]
            else:
                log.error("%s %s failed", scope.get("method"), scope.get("path"), exc_info=exc)
                status, body, headers = 500, {"code": "internal", "message": INTERNAL_MESSAGE}, []
            if started:  # the answer is under way: all we can do is end the connection
                return
            data = json.dumps({"error": body}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(data)).encode()), *headers]})
            await send({"type": "http.response.body", "body": data})
