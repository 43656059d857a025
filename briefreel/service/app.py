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

Every other route needs ``Authorization: Bearer <key>``. Errors are ``{"error": {"code": ..., "message": ...}}``.
The password of an encrypted brief is used once, while the request is answered, to decrypt and storyboard the
brief; it is never stored, logged or returned. The upload itself is kept as it came (still encrypted).
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import time
import uuid
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from briefreel.service.auth import KeyRing
from briefreel.service.limits import BodyLimit, RateLimiter
from briefreel.service.runner import Context
from briefreel.service.settings import Settings
from briefreel.service.storage import BadKey, check_token, safe_name, sign_token

log = logging.getLogger("briefreel.service")

RENDERERS = ("panel", "wan")
PLANNERS = ("rules", "llm")
_INT_OPTIONS = ("steps", "seed", "width", "height")
_FLOAT_OPTIONS = ("guidance",)
_STR_OPTIONS = ("model", "memory", "device", "dtype")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.headers, self.extra = status, code, message, headers, extra


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    ctx = Context.from_settings(settings)
    keys = KeyRing(settings.api_keys, allow_anonymous=settings.insecure_no_auth)
    if not settings.api_keys and not settings.insecure_no_auth:
        raise RuntimeError("no API key: set BRIEFREEL_API_KEY (several keys: comma-separated), "
                           "or BRIEFREEL_INSECURE_NO_AUTH=1 on a trusted network")
    requests_limit = RateLimiter(settings.rate_limit)
    submit_limit = RateLimiter(settings.submit_limit)
    secret = settings.signing_secret()
    state: dict = {}

    def publish(job_id: str, priority: int) -> None:
        if settings.embedded:
            if "workers" in state:
                state["workers"].wake()
        else:
            from briefreel.service.celery_app import publish as celery_publish

            celery_publish(settings, job_id, priority)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from briefreel.service.queue import EmbeddedWorkers, Reaper, lock_data_dir

        if settings.embedded:
            state["lock"] = lock_data_dir(ctx)
            if settings.workers > 0:
                state["workers"] = EmbeddedWorkers(ctx, settings.workers)
                state["workers"].start()
            else:  # jobs of a crashed server wait for the next one that runs workers
                pass
        else:
            # Queued jobs are published again: a Redis that restarted without persistence lost their messages.
            # A duplicate message is harmless (a worker drops a message for a job that is running or finished).
            from briefreel.service.celery_app import publish as celery_publish

            for job in ctx.store.list(status="queued", limit=100_000):
                try:
                    celery_publish(settings, job["id"], job["priority"],
                                   countdown=max(0.0, job["not_before"] - time.time()) or None)
                except Exception as exc:  # the broker is not up yet: the reaper and the next start cover it
                    log.error("could not re-publish queued jobs: %s", exc)
                    break
            state["reaper"] = Reaper(ctx, publish=publish)
            state["reaper"].start()
        log.info("briefreel service ready (%s mode, data in %s)", "embedded" if settings.embedded else "redis",
                 settings.data_dir)
        try:
            yield
        finally:
            if "workers" in state:
                state["workers"].stop()
            if "reaper" in state:
                state["reaper"].stop()
            if "lock" in state:
                import os

                os.close(state.pop("lock"))

    app = FastAPI(
        title="briefreel render service",
        version="0.1.0",
        description="Password-protected PDF brief in; shots.json, storyboard and animatic out.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.service = state
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_upload_mb * 1_000_000))

    # -- errors -------------------------------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": {"code": exc.code, "message": exc.message, **exc.extra}},
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"error": {"code": "invalid_request", "message": f"{where}: {first.get('msg')}"}},
                            status_code=422)

    # -- auth and rate limits -----------------------------------------------------------------------------------
    def authorize(request: Request, submit: bool = False) -> str:
        kid = keys.identify(request.headers.get("authorization"))
        if kid is None:
            raise ApiError(401, "unauthorized", "missing or invalid API key: send 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": "Bearer"})
        for limiter in (requests_limit, submit_limit) if submit else (requests_limit,):
            wait = limiter.take(kid)
            if wait > 0:
                raise ApiError(429, "rate_limited",
                               f"too many requests for this key: at most {limiter.rate} per minute"
                               f"{' for job submissions' if limiter is submit_limit else ''}; retry in {wait:.0f} s",
                               headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        return kid

    def own_job(kid: str, job_id: str) -> dict:
        job = ctx.store.get(job_id)
        if job is None or (job["owner"] != kid and kid != "anonymous"):
            raise ApiError(404, "job_not_found", f"no job {job_id!r} for this key")
        return job

    def job_view(job: dict, request: Request) -> dict:
        shots = job["progress"]
        finished_states = ("done", "reused")
        view = {
            "id": job["id"],
            "status": job["status"],
            "title": job["title"],
            "priority": job["priority"],
            "options": job["options"],
            "created_at": _iso(job["created"]),
            "started_at": _iso(job["started"]),
            "finished_at": _iso(job["finished"]),
            "attempts": job["attempts"],
            "cancel_requested": job["cancel_requested"],
            "progress": {
                "shots_total": len(shots),
                "shots_done": sum(1 for s in shots if s["state"] in finished_states),
                "fraction": round(sum(1 for s in shots if s["state"] in finished_states) / max(1, len(shots)), 3),
                "shots": shots,
            },
            "error": None,
            "files": [],
            "url": str(request.url_for("get_job", job_id=job["id"])),
        }
        if job["status"] in ("failed", "cancelled") and job["error_code"]:
            view["error"] = {"code": job["error_code"], "message": job["error_message"]}
        elif job["error_code"]:  # a transient failure being retried
            view["note"] = job["error_message"]
        if job["status"] == "done":
            view["files"] = [
                {"name": n, "url": str(request.url_for("get_file", job_id=job["id"], name=n))} for n in job["files"]
            ]
        return view

    # -- routes -------------------------------------------------------------------------------------------------
    @app.get("/health", tags=["service"])
    def health():
        return {"status": "ok", "mode": "embedded" if settings.embedded else "redis", "version": app.version}

    @app.post("/v1/jobs", status_code=202, tags=["jobs"], openapi_extra=_SUBMIT_OPENAPI)
    async def submit_job(request: Request):
        """Submit a brief (multipart field ``brief``, with ``password`` when it is encrypted) or a ``shots``
        (shots.json) file. Options (form fields): renderer (panel|wan), planner (rules|llm), model, steps, guidance,
        seed, memory, device, dtype, width, height, priority (0-9, 9 most urgent; default 5)."""
        kid = authorize(request, submit=True)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise ApiError(415, "unsupported_media_type",
                           "send multipart/form-data with a 'brief' PDF (and 'password') or a 'shots' file")
        form = await request.form(max_files=2, max_fields=50)
        try:
            options, priority = _options(form)
            if settings.models and options.get("model") and options["model"] not in settings.models:
                raise ApiError(422, "invalid_option", "this service renders only with the models: "
                               + ", ".join(settings.models))
            brief_file, shots_file = form.get("brief"), form.get("shots")
            if isinstance(brief_file, UploadFile) == isinstance(shots_file, UploadFile):
                raise ApiError(422, "invalid_request", "send exactly one of the files 'brief' (PDF) or 'shots'")
            if isinstance(brief_file, UploadFile):
                pdf = await brief_file.read()
                password = form.get("password")
                password = password if isinstance(password, str) and password != "" else None
                filename = _clean_filename(brief_file.filename or "brief.pdf")
                try:
                    board = await run_in_threadpool(_plan_brief, pdf, password, filename, options["planner"])
                finally:
                    password = None  # used once, never kept
                inputs = {"brief.pdf": pdf}
                options["source"] = filename
            else:
                raw = await shots_file.read()
                board = _load_board(raw)
                pdf = None
                inputs = {}
                options["source"] = _clean_filename(shots_file.filename or "shots.json")
        finally:
            await form.close()

        if ctx.safety is not None:
            refusal = ctx.safety.check(board)
            if refusal is not None:
                raise ApiError(422, "unsafe_content", refusal.reason, **refusal.to_dict())

        job_id = uuid.uuid4().hex
        inputs["shots.json"] = (board.to_json() + "\n").encode("utf-8")
        await run_in_threadpool(_write_inputs, ctx, job_id, inputs)
        job = ctx.store.create(job_id, kid, title=board.title, options=options,
                               shot_ids=[s.id for s in board.shots], priority=priority,
                               files=sorted(inputs))
        try:
            publish(job_id, priority)
        except Exception as exc:  # the broker is down: say so rather than leave a job nobody will run
            log.error("could not queue job %s: %s", job_id, exc)
            ctx.store.claim(job_id, "api", 1)
            ctx.store.finish(job_id, "api", "failed", error_code="broker_unavailable",
                             error_message="the job queue (broker) is unreachable; submit again later")
            raise ApiError(503, "broker_unavailable", "the job queue (broker) is unreachable; try again later")
        log.info("job %s queued by %s: %d shots, renderer %s", job_id, kid, len(board.shots), options["renderer"])
        view = job_view(job, request)
        return JSONResponse(view, status_code=202, headers={"Location": view["url"]})

    @app.get("/v1/jobs", tags=["jobs"])
    def list_jobs(request: Request, status: str | None = None, limit: int = 50):
        kid = authorize(request)
        owner = None if kid == "anonymous" else kid
        return {"jobs": [job_view(j, request) for j in ctx.store.list(owner, status, max(1, min(limit, 500)))]}

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], name="get_job")
    def get_job(job_id: str, request: Request):
        kid = authorize(request)
        return job_view(own_job(kid, job_id), request)

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"])
    def cancel_job(job_id: str, request: Request):
        kid = authorize(request)
        job = own_job(kid, job_id)
        if job["status"] in ("done", "failed", "cancelled"):
            raise ApiError(409, "already_finished", f"job {job_id} is already {job['status']}")
        job = ctx.store.request_cancel(job_id)
        return JSONResponse(job_view(job, request), status_code=202)

    @app.get("/v1/jobs/{job_id}/files", tags=["files"])
    def list_files(job_id: str, request: Request):
        kid = authorize(request)
        own_job(kid, job_id)
        names = ctx.storage.list(f"jobs/{job_id}")
        return {"files": [{"name": n, "size": ctx.storage.size(f"jobs/{job_id}/{n}"),
                           "url": str(request.url_for("get_file", job_id=job_id, name=n))} for n in names]}

    @app.get("/v1/jobs/{job_id}/files/{name:path}", tags=["files"], name="get_file")
    def get_file(job_id: str, name: str, request: Request):
        kid = authorize(request)
        own_job(kid, job_id)
        return _serve(job_id, _checked_name(job_id, name))

    @app.get("/v1/jobs/{job_id}/links/{name:path}", tags=["files"])
    def get_link(job_id: str, name: str, request: Request, expires_in: int | None = None):
        kid = authorize(request)
        own_job(kid, job_id)
        name = _checked_name(job_id, name)
        ttl = max(1, min(expires_in or settings.link_ttl, 7 * 24 * 3600))
        url = ctx.storage.sign(f"jobs/{job_id}/{name}", ttl)
        expires_at = int(time.time()) + ttl
        if url is None:
            token = sign_token(secret, job_id, name, expires_at)
            url = str(request.url_for("get_signed_file", token=token))
        return {"name": name, "url": url, "expires_at": _iso(expires_at), "expires_in": ttl}

    @app.get("/v1/files/{token}", tags=["files"], name="get_signed_file")
    def get_signed_file(token: str):
        found = check_token(secret, token)
        if found is None:
            raise ApiError(403, "link_expired", "this download link is invalid or has expired; ask for a new one")
        job_id, name = found
        return _serve(job_id, _checked_name(job_id, name))

    def _checked_name(job_id: str, name: str) -> str:
        try:
            name = safe_name(name)
        except BadKey:
            raise ApiError(400, "bad_file_name", "file names are plain paths inside the job's folder") from None
        if not ctx.storage.exists(f"jobs/{job_id}/{name}") or name.endswith(".part"):
            raise ApiError(404, "file_not_found", f"job {job_id} has no file {name!r} (yet)")
        return name

    def _serve(job_id: str, name: str):
        key = f"jobs/{job_id}/{name}"
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        local = ctx.storage.local_path(key)
        if local is not None:
            return FileResponse(local, media_type=media, filename=name.rsplit("/", 1)[-1])
        url = ctx.storage.sign(key, 300)
        if url:
            return RedirectResponse(url, status_code=307)

        def chunks():
            with ctx.storage.open(key) as f:
                while chunk := f.read(1 << 20):
                    yield chunk

        return StreamingResponse(chunks(), media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="{name.rsplit("/", 1)[-1]}"'})

    return app


# -- submission helpers (no state) -----------------------------------------------------------------------------------

def _field(kind: str, description: str, **extra) -> dict:
    return {"type": kind, "description": description, **extra}


_SUBMIT_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "properties": {
                "brief": _field("string", "the brief (PDF, encrypted or not)", format="binary"),
                "password": _field("string", "the brief's password; used once, never stored", format="password"),
                "shots": _field("string", "a shots.json instead of a brief", format="binary"),
                "renderer": _field("string", "shot renderer", enum=list(RENDERERS), default="panel"),
                "planner": _field("string", "shot planner for a brief", enum=list(PLANNERS), default="rules"),
                "model": _field("string", "Wan weights: a diffusers folder on the workers, or a hub id"),
                "steps": _field("integer", "denoising steps"),
                "guidance": _field("number", "guidance scale"),
                "seed": _field("integer", "base seed"),
                "memory": _field("string", "Wan memory plan",
                                 enum=["auto", "gpu", "model_offload", "group_offload", "sequential_offload"]),
                "device": _field("string", "torch device"),
                "dtype": _field("string", "torch dtype"),
                "width": _field("integer", "Wan render width"),
                "height": _field("integer", "Wan render height"),
                "priority": _field("integer", "0-9, 9 most urgent", minimum=0, maximum=9, default=5),
            },
        }}},
    },
    "responses": {"202": {"description": "queued: the job, with its id"}},
}

def _options(form) -> tuple[dict, int]:
    def text(key: str, default: str | None = None) -> str | None:
        value = form.get(key)
        if value is None or isinstance(value, UploadFile) or value.strip() == "":
            return default
        return value.strip()

    options: dict = {"renderer": text("renderer", "panel"), "planner": text("planner", "rules")}
    if options["renderer"] not in RENDERERS:
        raise ApiError(422, "invalid_option", f"renderer must be one of {', '.join(RENDERERS)}")
    if options["planner"] not in PLANNERS:
        raise ApiError(422, "invalid_option", f"planner must be one of {', '.join(PLANNERS)}")
    for key, cast in [(k, int) for k in _INT_OPTIONS] + [(k, float) for k in _FLOAT_OPTIONS] + \
                     [(k, str) for k in _STR_OPTIONS]:
        value = text(key)
        if value is None:
            continue
        try:
            options[key] = cast(value)
        except ValueError:
            raise ApiError(422, "invalid_option", f"{key} must be a number") from None
    raw = text("priority", "5")
    if not raw.isdigit() or not 0 <= int(raw) <= 9:
        raise ApiError(422, "invalid_option", "priority must be an integer from 0 to 9 (9 is the most urgent)")
    return options, int(raw)


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:200] or "upload"


def _plan_brief(pdf: bytes, password: str | None, filename: str, planner: str):
    """Decrypt, extract and storyboard the brief, in memory. Typed intake/storyboard errors become 422s."""
    if b"%PDF" not in pdf[:1024]:
        raise ApiError(422, "damaged_pdf", "the 'brief' upload is not a PDF")
    from briefreel.parsers import open_brief
    from briefreel.parsers.errors import BriefError
    from briefreel.storyboard import plan
    from briefreel.storyboard.errors import StoryboardError

    try:
        brief = open_brief(pdf, password=password)
    except BriefError as exc:
        raise ApiError(422, exc.code, exc.message) from None
    finally:
        password = None
    if not brief.filename:
        brief.filename = filename
    try:
        return plan(brief, planner=planner)
    except StoryboardError as exc:
        raise ApiError(422, exc.code, exc.message) from None


def _load_board(raw: bytes):
    from pydantic import ValidationError

    from briefreel.storyboard.schema import Storyboard

    try:
        return Storyboard.from_json(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_shots", "shots.json must be UTF-8 text") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ApiError(422, "invalid_shots", f"not a valid shots.json: {where}: {first.get('msg')}") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_shots", f"not a valid shots.json: {str(exc).splitlines()[0]}") from None


def _write_inputs(ctx: Context, job_id: str, inputs: dict[str, bytes]) -> None:
    for name, data in inputs.items():
        ctx.storage.put_bytes(f"jobs/{job_id}/{name}", data)
