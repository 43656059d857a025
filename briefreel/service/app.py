"""The HTTP API (FastAPI). OpenAPI at /openapi.json, interactive docs at /docs.

    POST   /v1/jobs                    multipart: brief (PDF) + password, or shots (shots.json); options -> 202 {id}
    GET    /v1/jobs                    your jobs, newest first
    GET    /v1/jobs/{id}               status (queued|running|done|failed|cancelled), progress per shot, error
    DELETE /v1/jobs/{id}               cancel (a running job stops before its next shot)
    GET    /v1/jobs/{id}/files         output files
    GET    /v1/jobs/{id}/files/{name}  download one (animatic.mp4, shots.json, render.json, storyboard.pdf, ...)
    GET    /v1/jobs/{id}/links/{name}  a download link that works without the API key and expires
    GET    /v1/files/{token}           what such a link points at (local storage; S3 links are presigned URLs)
    GET    /health                     no key needed

Every other route needs ``Authorization: Bearer <key>`` (``deps.require_key``). Errors are
``{"error": {"code": ..., "message": ...}}`` (``errors``). The render options are the job contract's
(``briefreel.job.RenderOptions``), checked before a job exists. The password of an encrypted brief is used once,
while the request is answered, to decrypt and storyboard the brief; it is never stored, logged or returned. The
upload itself is kept as it came (still encrypted).

This module assembles the app: the service's state, the body limit, the error handlers, the routers
(``routes/``) and the lifespan that starts and stops the background workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

from fastapi import FastAPI

from briefreel.service.deps import ServiceState
from briefreel.service.errors import install_error_handlers
from briefreel.service.limits import BodyLimit
from briefreel.service.routes import ROUTERS
from briefreel.service.settings import Settings

log = logging.getLogger("briefreel.service")


def create_app(settings: Settings | None = None) -> FastAPI:
    service = ServiceState.from_settings(settings or Settings.from_env())
    app = FastAPI(
        title="briefreel render service",
        version="0.1.0",
        description="Password-protected PDF brief in; shots.json, storyboard and animatic out.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.ctx = service.ctx
    app.state.settings = service.settings
    app.add_middleware(BodyLimit, max_bytes=int(service.settings.max_upload_mb * 1_000_000))
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


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


def stop_background(service: ServiceState) -> None:
    background = service.background
    if "workers" in background:
        background["workers"].stop()
    if "reaper" in background:
        background["reaper"].stop()
    if "lock" in background:
        os.close(background.pop("lock"))
