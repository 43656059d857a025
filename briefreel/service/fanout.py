"""Shot-parallel jobs on the Celery farm (issue 14.4): a Wan job's shots fan out across the GPU workers, and the
animatic is assembled when the last shot lands.

    worker A claims job J  ->  publishes one ``briefreel.render_shot(J, S)`` message per shot but the first
        ->  renders every shot it can claim, in board order  ->  waits for the shots other workers hold
        ->  render_board over the whole board: every shot comes from the shot cache; it joins them, writes
            render.json and the exports (runner._render, as for any job)
    worker B takes a shot message  ->  claims the shot  ->  renders it into the same shot cache  ->  marks it done

A claim (``store.claim_shot``, atomic in SQLite and in Redis) gives a shot to one worker at a time, under a lease
that worker renews while it renders. A message for a shot that is claimed or done, or for a job that is no longer
running, is dropped. A shot whose worker died (its lease ran out) or failed goes back to the coordinating worker,
which renders it itself; if the coordinator dies, the job's own lease runs out and another worker coordinates it,
reusing every shot already in the cache. With one worker, that worker renders every shot and the shot messages
are dropped when it reaches them.

The workers share ``DATA_DIR`` (one machine, one worker per GPU: the layout the README describes): the shot cache
``DATA_DIR/cache/<key id>`` is where the shots meet. Workers on several machines need that folder on a shared disk.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from briefreel.job import RenderOptions, shot_state
from briefreel.render.errors import RenderCancelled
from briefreel.storyboard.schema import Storyboard

log = logging.getLogger("briefreel.service")

FINISHED = ("done", "reused")
WAIT_S = 0.3  # how often the coordinator looks at the shots other workers hold


def wanted(settings, options: RenderOptions, board: Storyboard) -> bool:
    """Fan out: a Celery farm (not the embedded queue), the setting on, a Wan job of more than one shot (panel
    shots already render in parallel processes inside one worker)."""
    return bool(settings.shot_parallel and not settings.embedded and options.renderer == "wan"
                and len(board.shots) > 1)


def shot_reporter(store, job_id: str) -> Callable[[Any], None]:
    """render_board's ``on_shot`` for a job: each shot's state in the job's progress; denoising steps at most one
    write a second (and the last one)."""
    last_step = [0.0]

    def on_shot(e) -> None:
        if e.status == "step":
            if e.step < e.steps and time.monotonic() - last_step[0] < 1.0:
                return
            last_step[0] = time.monotonic()
            store.set_shot(job_id, e.shot_id, shot_state(e.status), step=e.step, steps=e.steps)
            return
        info = {"seconds": round(e.seconds, 2)} if e.status == "rendered" else {}
        store.set_shot(job_id, e.shot_id, shot_state(e.status), **info)

    return on_shot


# -- the coordinating worker ------------------------------------------------------------------------------------------

def fan_out(ctx, job: dict, board: Storyboard, worker: str, should_stop: Callable[[], bool]) -> None:
    """Publish the shots, render those this worker can claim, and return once every shot is in the cache."""
    from briefreel.service.celery_app import publish_shot

    job_id, ids = job["id"], [s.id for s in board.shots]
    for shot_id in ids[1:]:  # the first is this worker's
        publish_shot(ctx.settings, job_id, shot_id, job["priority"])
    while True:
        if should_stop():
            raise RenderCancelled("cancelled while its shots rendered")
        progress = {p["id"]: p for p in ctx.store.get(job_id)["progress"]}
        if all(progress[s]["state"] in FINISHED for s in ids):
            return
        mine = next((s for s in ids if progress[s]["state"] not in FINISHED
                     and ctx.store.claim_shot(job_id, s, worker, ctx.settings.lease_s)), None)
        if mine is None:  # every other shot is held by a live worker: wait for them
            time.sleep(WAIT_S)
            continue
        render_claimed(ctx, job, board, mine, worker, should_stop)


# -- a worker that took a shot message --------------------------------------------------------------------------------

def run_shot(ctx, job_id: str, shot_id: str, worker: str) -> str:
    """The ``briefreel.render_shot`` task: render one shot of a running job if it is free, else drop the message."""
    from briefreel.service.storage import private_umask

    job = ctx.store.get(job_id)
    if job is None or job["status"] != "running" or job["cancel_requested"]:
        return "skipped"
    if not ctx.store.claim_shot(job_id, shot_id, worker, ctx.settings.lease_s):
        return "skipped"
    private_umask()
    try:
        board = Storyboard.from_json(ctx.storage.get_bytes(f"jobs/{job_id}/shots.json").decode("utf-8"))
        render_claimed(ctx, job, board, shot_id, worker, lambda: ctx.store.cancel_requested(job_id))
    except RenderCancelled:
        ctx.store.set_shot(job_id, shot_id, "pending")
        return "cancelled"
    except Exception:  # noqa: BLE001 - the coordinator renders it again and reports what fails there
        log.warning("job %s: shot %s failed on %s; back to the coordinator", job_id, shot_id, worker, exc_info=True)
        ctx.store.set_shot(job_id, shot_id, "pending")
        return "failed"
    return "done"


# -- one claimed shot into the shot cache -----------------------------------------------------------------------------

class _ShotLease(threading.Thread):
    """Renews this worker's claim on a shot while it renders."""

    def __init__(self, ctx, job_id: str, shot_id: str, worker: str):
        super().__init__(daemon=True, name=f"shot-lease-{job_id}-{shot_id}")
        self.ctx, self.job_id, self.shot_id, self.worker = ctx, job_id, shot_id, worker
        self._halt = threading.Event()

    def run(self) -> None:
        every = max(0.2, self.ctx.settings.lease_s / 3)
        while not self._halt.wait(every):
            try:
                self.ctx.store.claim_shot(self.job_id, self.shot_id, self.worker, self.ctx.settings.lease_s)
            except Exception:  # noqa: BLE001 - a busy store: try again next beat
                log.warning("shot lease for %s/%s failed", self.job_id, self.shot_id, exc_info=True)

    def stop(self) -> None:
        self._halt.set()


def render_claimed(ctx, job: dict, board: Storyboard, shot_id: str, worker: str,
                   should_stop: Callable[[], bool]) -> None:
    """Render ``shot_id`` as the whole board's render would (the same frame span, seed and cache key: render_board's
    own plan), into the job's shot cache, reporting it in the job's progress."""
    from briefreel.render.pipeline import BoardRender
    from briefreel.service.submission import resolve_model

    options = RenderOptions.from_job(resolve_model(job["options"], ctx.settings))
    ctx.settings.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".shot-", dir=ctx.settings.work_dir))
    lease = _ShotLease(ctx, job["id"], shot_id, worker)
    lease.start()
    render = None
    try:
        render = BoardRender(board, work, renderer=options.renderer, renderer_options=options.renderer_kwargs(),
                             use_cache=options.use_cache, cache_dir=ctx.settings.cache_dir / job["owner"],
                             progress=False, exports=False, on_shot=shot_reporter(ctx.store, job["id"]),
                             should_stop=should_stop, step_events=True)
        render.jobs = render.plan()
        render.work = work
        render.render(render.reuse([j for j in render.jobs if j.shot.id == shot_id]))
    finally:
        lease.stop()
        if render is not None:
            render.bar.close()
        shutil.rmtree(work, ignore_errors=True)
