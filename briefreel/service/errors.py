"""The service's errors as HTTP answers: ``{"error": {"code": ..., "message": ...}}`` with the error's status.

Every typed briefreel error (intake, storyboard, job options) reaches the client through one handler, by way of
:func:`briefreel.errors.error_payload`; :class:`ApiError` is for what only HTTP has (auth, rate limits, routes).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from briefreel.errors import BriefreelError, error_payload


class ApiError(BriefreelError):
    """An HTTP-only refusal: ``status``, ``code``, a safe ``message``, optional response ``headers`` and ``extra``
    fields for the error object (the safety filter's shot, field and term)."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.headers, self.extra = status, code, headers, extra


def error_response(exc: BaseException) -> JSONResponse:
    payload = error_payload(exc)
    body = {"code": payload["code"], "message": payload["message"], **getattr(exc, "extra", {})}
    return JSONResponse({"error": body}, status_code=payload["status"], headers=getattr(exc, "headers", None))


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
