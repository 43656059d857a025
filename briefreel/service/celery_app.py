"""Redis mode: jobs go to Celery workers (``briefreel worker``), the same stack Dify runs.

Settings that make a render farm safe (see ../shared research, "job engine"):

- one worker process per GPU, pinned with ``CUDA_VISIBLE_DEVICES``, running one job at a time (solo pool: the
  model stays loaded between jobs and a kill -9 takes the job's process with it, no orphan keeps the GPU);
- ``worker_prefetch_multiplier=1`` and ``task_acks_late``: a worker holds one message, acknowledged only when the
  job has an outcome, so a dead worker's message is delivered again (``task_reject_on_worker_lost`` too);
- Redis ``visibility_timeout`` above the longest render (``BRIEFREEL_VISIBILITY_TIMEOUT``, 6 h by default), so a
  long render is never handed to a second worker while the first still works on it;
- faster than that timeout, the job store's leases: a worker renews its job's lease every few seconds, and a job
  whose lease ran out (its worker was killed) is published again by the API's reaper and by every worker, so
  another worker finishes it in about ``BRIEFREEL_LEASE_S``. A message for a job that is already finished or held
  by a live worker is acknowledged and dropped, so a late redelivery never renders twice;
- priorities 0-9 (9 most urgent) on one queue through Redis priority steps;
- retries with exponential backoff for transient failures (lost connection, full disk, GPU out of memory);
- shot-parallel Wan jobs (``BRIEFREEL_SHOT_PARALLEL``, on): the worker that claims a job publishes one
  ``briefreel.render_shot`` message per shot, so idle workers take shots of it (``service/fanout.py``).
"""

from __future__ import annotations

import logging

from celery import Celery

from briefreel.service.settings import Settings

log = logging.getLogger("briefreel.service")

TASK_NAME = "briefreel.render_job"
SHOT_TASK_NAME = "briefreel.render_shot"  # one shot of a shot-parallel job (service/fanout.py)
_apps: dict[tuple, Celery] = {}


def make_celery(settings: Settings) -> Celery:
    app = Celery("briefreel", broker=settings.broker)
    app.conf.update(
        task_ignore_result=True,  # job state lives in the job store, not in a result backend
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        worker_pool="solo",
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.queue_name,
        task_default_priority=4,  # Redis: 0 is the most urgent; the API's 5 (of 0-9) maps to 4
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "priority_steps": list(range(10)),
            "sep": ":",
            "queue_order_strategy": "priority",
        },
    )
    app.conf.briefreel_settings = settings

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
    def render_job(self, job_id: str):
        from briefreel.service.runner import backoff, run_claimed_job
        from briefreel.service.queue import worker_name

        ctx = _context(settings)
        name = getattr(self.app, "briefreel_worker_name", None) or worker_name("celery")
        job = ctx.store.claim(job_id, name, settings.lease_s)
        if job is None:
            log.info("job %s: finished or held by a live worker; message dropped", job_id)
            return "skipped"
        outcome = run_claimed_job(ctx, job, name)
        if outcome == "retry":
            delay = backoff(settings, job["attempts"])
            raise self.retry(countdown=delay, priority=to_celery_priority(job["priority"]))
        return outcome

    @app.task(name=SHOT_TASK_NAME, acks_late=True, reject_on_worker_lost=True)
    def render_shot(job_id: str, shot_id: str):
        from briefreel.service.fanout import run_shot
        from briefreel.service.queue import worker_name

        name = getattr(app, "briefreel_worker_name", None) or worker_name("celery")
        return run_shot(_context(settings), job_id, shot_id, name)

    return app


_contexts: dict[str, object] = {}


def _context(settings: Settings):
    """The job store and storage a worker uses, made once per data folder."""
    key = str(settings.data_dir)
    if key not in _contexts:
        from briefreel.service.runner import Context

        _contexts[key] = Context.from_settings(settings)
    return _contexts[key]


def to_celery_priority(priority: int) -> int:
    """The API's priority (0-9, 9 most urgent) as a Redis priority (0 most urgent)."""
    return 9 - max(0, min(9, int(priority)))


def get_celery(settings: Settings) -> Celery:
    """One Celery app per broker (and data folder) in this process."""
    key = (settings.broker, settings.queue_name, str(settings.data_dir))
    if key not in _apps:
        _apps[key] = make_celery(settings)
    return _apps[key]


def publish_shot(settings: Settings, job_id: str, shot_id: str, priority: int = 5) -> None:
    """A message for one shot of a running job, a step more urgent than jobs of its priority (a started job's
    shots go before the next job)."""
    get_celery(settings).send_task(SHOT_TASK_NAME, args=[job_id, shot_id], queue=settings.queue_name,
                                   priority=to_celery_priority(min(9, int(priority) + 1)))


def publish(settings: Settings, job_id: str, priority: int = 5, countdown: float | None = None) -> None:
    get_celery(settings).send_task(
        TASK_NAME, args=[job_id], queue=settings.queue_name, priority=to_celery_priority(priority),
        countdown=countdown,
    )
