"""Jobs: submit (``POST /v1/jobs``), list, status, cancel. Every route needs an API key (``deps.require_key``)."""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from briefreel.service.deps import ServiceState, get_service, require_key, require_submit_key
from briefreel.service.errors import ApiError, DiskFull, is_disk_full
from briefreel.service.submission import Submission, expand_variants, form_text, read_submission, submit_openapi
from briefreel.service.views import job_view

log = logging.getLogger("briefreel.service")
router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=202, openapi_extra=submit_openapi())
async def submit_job(request: Request, kid: str = Depends(require_submit_key),
                     service: ServiceState = Depends(get_service)):
    """Submit a brief (multipart field ``brief``, with ``password`` when it is encrypted) or a ``shots``
    (shots.json) file, with the render options of the job contract (``briefreel.job.RenderOptions``: renderer,
    model, revision, steps, guidance, guidance_2, flow_shift, width, height, memory, device, dtype, seed,
    vae_tiling, use_cache), planner (rules|llm) and priority (0-9, 9 most urgent; default 5). With ``variants``
    (an A/B matrix for the board's ``{{placeholders}}``) it queues one job per variant and answers
    ``{"group": ..., "jobs": [...]}``; each job's options hold its ``variant`` (slug, values, group)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type",
                       "send multipart/form-data with a 'brief' PDF (and 'password') or a 'shots' file")
    form = await request.form(max_files=2, max_fields=50)
    try:
        submission = await read_submission(form, service.settings, kid)
        variants = expand_variants(form_text(form, "variants"), submission)
    finally:
        await form.close()
    _check_safety(service, submission.board)
    if variants:  # an A/B matrix: one job per variant, grouped (each job's options hold its variant)
        return await _queue_variants(request, service, kid, submission, variants)
    job = await run_in_threadpool(_queue, service, kid, submission)
    view = job_view(job, request)
    return JSONResponse(view, status_code=202, headers={"Location": view["url"]})


async def _queue_variants(request: Request, service: ServiceState, kid: str, submission: Submission,
                          variants: list) -> JSONResponse:
    for _, board in variants:
        _check_safety(service, board)
    group = uuid.uuid4().hex
    jobs = []
    for variant, board in variants:
        one = Submission(board, {**submission.options, "variant": {**variant, "group": group}}, submission.priority,
                         dict(submission.inputs))
        jobs.append(job_view(await run_in_threadpool(_queue, service, kid, one), request))
    return JSONResponse({"group": group, "jobs": jobs}, status_code=202)


def _check_safety(service: ServiceState, board) -> None:
    if service.ctx.safety is not None:
        refusal = service.ctx.safety.check(board)
        if refusal is not None:
            raise ApiError(422, "unsafe_content", refusal.reason, **refusal.to_dict())


def _queue(service: ServiceState, kid: str, submission: Submission) -> dict:
    """Store the inputs, commit the job row, then publish it. Whatever fails on the way (a full disk, the broker
    down) takes back what was written: a request that does not get its 202 leaves no row and no file."""
    ctx, board = service.ctx, submission.board
    job_id = uuid.uuid4().hex
    inputs = {**submission.inputs, "shots.json": (board.to_json() + "\n").encode("utf-8")}
    committed = False
    try:
        for name, data in inputs.items():
            ctx.storage.put_bytes(f"jobs/{job_id}/{name}", data)
        job = ctx.store.create(job_id, kid, title=board.title, options=submission.options,
                               shot_ids=[s.id for s in board.shots], priority=submission.priority,
                               files=sorted(inputs))
        committed = True
        try:
            service.publish(job_id, submission.priority)
        except Exception as exc:  # the broker is down: say so rather than leave a job nobody will run
            log.error("could not queue job %s: %s", job_id, exc)
            raise ApiError(503, "broker_unavailable", "the job queue (broker) is unreachable; try again later",
                           headers={"Retry-After": "30"}) from None
    except BaseException as exc:
        _take_back(service, job_id, committed)
        if isinstance(exc, Exception) and not isinstance(exc, ApiError) and is_disk_full(exc):
            log.error("job submission refused: disk full")
            raise DiskFull() from None
        raise
    log.info("job %s queued by %s: %d shots, renderer %s", job_id, kid, len(board.shots),
             submission.options["renderer"])
    return job


def _take_back(service: ServiceState, job_id: str, committed: bool) -> None:
    ctx = service.ctx
    try:
        if committed:
            ctx.store.delete(job_id)
    except Exception:  # noqa: BLE001
        log.exception("job %s: could not delete its row after a failed submission", job_id)
    try:
        ctx.storage.delete(f"jobs/{job_id}")
    except Exception:  # noqa: BLE001
        log.exception("job %s: could not delete its files after a failed submission", job_id)


@router.get("")
def list_jobs(request: Request, status: str | None = None, limit: int = 50, kid: str = Depends(require_key),
              service: ServiceState = Depends(get_service)):
    owner = None if kid == "anonymous" else kid
    jobs = service.ctx.store.list(owner, status, max(1, min(limit, 500)))
    return {"jobs": [job_view(j, request) for j in jobs]}


@router.get("/{job_id}", name="get_job")
def get_job(job_id: str, request: Request, kid: str = Depends(require_key),
            service: ServiceState = Depends(get_service)):
    return job_view(service.own_job(kid, job_id), request)


@router.delete("/{job_id}")
def cancel_job(job_id: str, request: Request, kid: str = Depends(require_key),
               service: ServiceState = Depends(get_service)):
    job = service.own_job(kid, job_id)
    if job["status"] in ("done", "failed", "cancelled"):
        raise ApiError(409, "already_finished", f"job {job_id} is already {job['status']}")
    job = service.ctx.store.request_cancel(job_id)
    return JSONResponse(job_view(job, request), status_code=202)
