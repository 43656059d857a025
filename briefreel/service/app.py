"""The HTTP API (FastAPI). OpenAPI at /openapi.json (with the API key; ``BRIEFREEL_DOCS``: key, open, off).

    POST   /v1/jobs                    multipart: brief (PDF) + password, or shots (shots.json); options -> 202 {id}
    GET    /v1/jobs                    your jobs, newest first
    GET    /v1/jobs/{id}               status (queued|running|done|failed|cancelled), progress per shot, error
    DELETE /v1/jobs/{id}               cancel (a running job stops at its next frame, or Wan denoising step)
    GET    /v1/jobs/{id}/files         output files
    GET    /v1/jobs/{id}/files/{name}  download one (animatic.mp4, shots.json, render.json, storyboard.pdf, ...)
    GET    /v1/jobs/{id}/links/{name}  a download link that works without the API key and expires
    GET    /v1/files/{token}           what such a link points at (local storage; S3 links are presigned URLs)
    GET    /health                     no key needed
    GET    /openapi.json               the schema, with the key (BRIEFREEL_DOCS=key, the default); /docs and
                                       /redoc only with BRIEFREEL_DOCS=open (then all three need no key)

Every other route needs ``Authorization: Bearer <key>`` (``deps.require_key``). Errors are
``{"error": {"code": ..., "message": ...}}`` (``errors``), also for failures no handler expected (``CatchAll``).
Access-log lines never carry a query string (``QuerylessAccessLog``). The render options are the job contract's
(``briefreel.job.RenderOptions``), checked before a job exists. The password of an encrypted brief is used once,
while the request is answered, to decrypt and storyboard the brief; it is never stored, logged or returned. The
upload itself is kept as it came (still encrypted).

This module assembles the app: the service's state, the body limit, the error handlers, the routers
(``routes/``) and the lifespan that starts and stops the background workers and the retention sweeper.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from briefreel.service.deps import ServiceState, require_key
from briefreel.service.errors import CatchAll, install_error_handlers
from briefreel.service.limits import BodyLimit
from briefreel.service.routes import ROUTERS
from briefreel.service.settings import Settings

log = logging.getLogger("briefreel.service")


def create_app(settings: Settings | None = None) -> FastAPI:
    service = ServiceState.from_settings(settings or Settings.from_env())
    docs = service.settings.docs
    app = FastAPI(
        title="briefreel render service",
        version="0.1.0",
        description="Password-protected PDF brief in; shots.json, storyboard and animatic out.",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs == "open" else None,
        docs_url="/docs" if docs == "open" else None,
        redoc_url="/redoc" if docs == "open" else None,
    )
    app.state.service = service
    app.state.ctx = service.ctx
    app.state.settings = service.settings
    app.add_middleware(BodyLimit, max_bytes=int(service.settings.max_upload_mb * 1_000_000),
                       timeout=service.settings.body_timeout)
    app.add_middleware(CatchAll)  # outermost of ours: whatever escapes is still a JSON answer
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if docs == "key":
        @app.get("/openapi.json", include_in_schema=False)
        def openapi_with_key(_kid: str = Depends(require_key)):
            return JSONResponse(app.openapi())
    install_access_log_filter()
    return app


class QuerylessAccessLog(logging.Filter):
    """uvicorn's access log, without query strings: ``GET /v1/jobs?password=... 401`` is logged as
    ``GET /v1/jobs 401`` (a client may put anything there, a password included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        elif isinstance(record.msg, str) and "?" in record.msg and not args:
            record.msg = " ".join(w.split("?", 1)[0] if w.startswith("/") else w for w in record.msg.split(" "))
        return True


def install_access_log_filter() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuerylessAccessLog) for f in logger.filters):
        logger.addFilter(QuerylessAccessLog())


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    service: ServiceState = app.state.service
    if service.settings.embedded:
        start_embedded(service)
    else:
        start_redis_mode(service)
    log.info("briefreel service ready (%s mode, data in %s)", "embedded" if service.settings.embedded else "redis",
             service.settings.data_dir)
    try:
        yield
    finally:
        stop_background(service)


def start_embedded(service: ServiceState) -> None:
    """Take the data folder's lock and start the worker threads (none with ``workers=0``: jobs of a crashed
    server then wait for the next server that runs workers)."""
    from briefreel.service.queue import EmbeddedWorkers, lock_data_dir

    service.background["lock"] = lock_data_dir(service.ctx)
    if service.settings.workers > 0:
        service.background["workers"] = EmbeddedWorkers(service.ctx, service.settings.workers)
        service.background["workers"].start()
    start_sweeper(service)


def start_sweeper(service: ServiceState) -> None:
    """The retention sweeper (``retention.py``), when a retention limit is set."""
    from briefreel.service.retention import Sweeper

    if service.settings.retention_days > 0 or service.settings.retention_gb > 0:
        service.background["sweeper"] = Sweeper(service.ctx)
        service.background["sweeper"].start()


def start_redis_mode(service: ServiceState) -> None:
    """Publish queued jobs again (a Redis that restarted without persistence lost their messages; a duplicate
    message is harmless: a worker drops one for a job that is running or finished), then start the reaper."""
    from briefreel.service.celery_app import publish as celery_publish
    from briefreel.service.queue import Reaper

    ctx = service.ctx
    for job in ctx.store.list(status="queued", limit=100_000):
        try:
            celery_publish(service.settings, job["id"], job["priority"],
                           countdown=max(0.0, job["not_before"] - time.time()) or None)
        except Exception as exc:  # the broker is not up yet: the reaper and the next start cover it
            log.error("could not re-publish queued jobs: %s", exc)
            break
    service.background["reaper"] = Reaper(ctx, publish=service.publish)
    service.background["reaper"].start()
    start_sweeper(service)


def stop_background(service: ServiceState) -> None:
    background = service.background
    if "workers" in background:
        background["workers"].stop()
    if "reaper" in background:
        background["reaper"].stop()
    if "sweeper" in background:
        background["sweeper"].stop()
    if "lock" in background:
        os.close(background.pop("lock"))
