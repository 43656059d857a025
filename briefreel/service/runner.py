"""One job, top to bottom: what a worker (embedded thread or Celery task) does with a job it has claimed.

    load shots.json -> safety check -> render_board (shot by shot, cache in DATA_DIR/cache) -> publish outputs

The job's inputs were written at submission (``jobs/<id>/shots.json``, and ``jobs/<id>/brief.pdf``: the upload as
it came, still encrypted); the password was used then and is not here. Progress is reported per shot and a
cancel request is seen before each shot, through render_board's ``on_shot`` and ``should_stop`` (so panel shots
still render in parallel worker processes); a heartbeat thread keeps the job's lease while it runs. Shots already
in the cache (from an earlier, interrupted or cancelled attempt) are reused, not rendered again.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from briefreel.errors import error_payload
from briefreel.job import RenderOptions, shot_state
from briefreel.render.errors import RenderCancelled, RenderError
from briefreel.service.safety import SafetyFilter
from briefreel.service.settings import Settings
from briefreel.service.storage import Storage
from briefreel.service.store import JobStore
from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.schema import Storyboard

log = logging.getLogger("briefreel.service")

class JobCancelled(Exception):
    """Raised before the render when the job was cancelled (or another worker took it over); between shots the
    pipeline raises RenderCancelled, which is handled the same way."""


class Transient(Exception):
    """A failure worth retrying (a lost connection, a full disk, a GPU out of memory): the job is tried again."""


@dataclass
class Context:
    settings: Settings
    store: JobStore  # or redis_store.RedisJobStore: the same methods
    storage: Storage
    safety: SafetyFilter | None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Context":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.store and settings.store.startswith(("redis://", "rediss://", "unix://")):
            if settings.embedded:
                raise ValueError("BRIEFREEL_STORE=redis://... needs BRIEFREEL_BROKER (Celery workers): "
                                 "the embedded queue lives in SQLite")
            from briefreel.service.redis_store import RedisJobStore

            store = RedisJobStore(settings.store)
        else:
            store = JobStore(settings.store or settings.db_path)
        return cls(
            settings=settings,
            store=store,
            storage=Storage(settings.storage_url, **settings.storage_options),
            safety=SafetyFilter(settings.safety_words) if settings.safety else None,
        )


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, Transient):
        return True
    if isinstance(exc, (RenderError, StoryboardError, JobCancelled)):  # RenderCancelled is a RenderError
        return False
    if type(exc).__name__ in ("OutOfMemoryError", "AcceleratorError"):  # torch.cuda.OutOfMemoryError
        return True
    if isinstance(exc, (ConnectionError, TimeoutError, MemoryError)):
        return True
    # A full disk or a flaky network filesystem, not a missing file or a permission error.
    return isinstance(exc, OSError) and exc.errno in (28, 5, 11, 110, 112, 116)  # ENOSPC EIO EAGAIN ETIMEDOUT ...


def backoff(settings: Settings, attempt: int) -> float:
    return min(600.0, settings.retry_backoff * 2 ** max(0, attempt - 1))


class _Heartbeat(threading.Thread):
    def __init__(self, ctx: Context, job_id: str, worker: str):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.ctx, self.job_id, self.worker = ctx, job_id, worker
        self.lost = False
        self._halt = threading.Event()

    def run(self):
        every = max(0.2, self.ctx.settings.lease_s / 3)
        while not self._halt.wait(every):
            try:
                if not self.ctx.store.heartbeat(self.job_id, self.worker, self.ctx.settings.lease_s):
                    self.lost = True
                    return
            except Exception:  # a busy database: try again next beat
                log.warning("heartbeat for job %s failed", self.job_id, exc_info=True)

    def stop(self):
        self._halt.set()


def run_claimed_job(ctx: Context, job: dict, worker: str, stopping: threading.Event | None = None) -> str:
    """Run a claimed job to an outcome: 'done', 'failed', 'cancelled', 'retry' (queued again after a backoff),
    'interrupted' (``stopping`` was set: queued again at once) or 'lost' (another worker has it now)."""
    job_id = job["id"]
    store = ctx.store
    beat = _Heartbeat(ctx, job_id, worker)
    beat.start()
    t0 = time.monotonic()

    def interrupted() -> bool:
        return stopping is not None and stopping.is_set()

    def should_stop() -> bool:  # asked by render_board before each shot
        return interrupted() or beat.lost or store.cancel_requested(job_id)

    try:
        if should_stop():
            raise JobCancelled()
        board = Storyboard.from_json(ctx.storage.get_bytes(f"jobs/{job_id}/shots.json").decode("utf-8"))
        if ctx.safety is not None:
            refusal = ctx.safety.check(board)
            if refusal is not None:
                store.finish(job_id, worker, "failed", error_code="unsafe_content", error_message=refusal.reason)
                return "failed"
        files = _render(ctx, job, board, worker, should_stop)
        if beat.lost:
            raise JobCancelled()
        store.finish(job_id, worker, "done", files=files)
        log.info("job %s done in %.1f s (attempt %d)", job_id, time.monotonic() - t0, job["attempts"])
        return "done"
    except (JobCancelled, RenderCancelled):
        if interrupted():
            store.retry_later(job_id, worker, 0, "interrupted", "the server stopped mid-job; it resumes on restart")
            return "interrupted"
        if beat.lost and not store.cancel_requested(job_id):
            log.warning("job %s: lost its lease; another worker has it", job_id)
            return "lost"
        store.finish(job_id, worker, "cancelled", error_code="cancelled", error_message="cancelled while running")
        return "cancelled"
    except Exception as exc:  # noqa: BLE001 - every failure becomes the job's outcome
        return _failed(ctx, job, worker, exc)
    finally:
        beat.stop()


def _failed(ctx: Context, job: dict, worker: str, exc: Exception) -> str:
    """A failed attempt: queued again after a backoff when the failure is transient and retries are left
    ('retry'), else the job fails with the error's code and safe message ('failed'). An untyped error's own text
    is not shown to the client (it could hold anything): its type is, and the log has the traceback."""
    payload = error_payload(exc)
    code, message = payload["code"], payload["message"]
    if code == "internal":
        code = "transient" if is_transient(exc) else "internal"
        message = f"{message.split(' (')[0]} ({type(exc).__name__})"
    if is_transient(exc) and job["attempts"] <= ctx.settings.max_retries:
        delay = backoff(ctx.settings, job["attempts"])
        ctx.store.retry_later(job["id"], worker, delay, code,
                              f"attempt {job['attempts']} failed ({message}); retrying in {delay:g} s")
        log.warning("job %s: transient failure, retry in %g s: %s", job["id"], delay, exc)
        return "retry"
    if code in ("internal", "transient"):
        log.error("job %s failed", job["id"], exc_info=exc)
    ctx.store.finish(job["id"], worker, "failed", error_code=code, error_message=message)
    return "failed"


# -- rendering ----------------------------------------------------------------------------------------------------

def _render(ctx: Context, job: dict, board: Storyboard, worker: str, should_stop) -> list[str]:
    """Render the board into the job's folder and return the output file names."""
    from briefreel.render.pipeline import ShotEvent, render_board

    job_id = job["id"]
    options = RenderOptions.from_job(job["options"])
    storage = ctx.storage
    local = storage.local_path(f"jobs/{job_id}")
    out_dir = local if local is not None else ctx.settings.work_dir / job_id
    out_dir.mkdir(parents=True, exist_ok=True)
    for scratch in out_dir.glob(".render-*"):  # left by an attempt that was killed
        shutil.rmtree(scratch, ignore_errors=True)
    if local is None:
        storage.get_file(f"jobs/{job_id}/shots.json", out_dir / "shots.json")

    def on_shot(e: ShotEvent) -> None:
        info = {"seconds": round(e.seconds, 2)} if e.status == "rendered" else {}
        ctx.store.set_shot(job_id, e.shot_id, shot_state(e.status), **info)

    render_board(
        board,
        out_dir,
        renderer=options.renderer,
        renderer_options=options.renderer_kwargs(),
        use_cache=options.use_cache,
        cache_dir=ctx.settings.cache_dir,
        progress=False,
        on_shot=on_shot,
        should_stop=should_stop,
    )
    if local is None:
        for name in _walk(out_dir):
            storage.put_file(out_dir / name, f"jobs/{job_id}/{name}")
        shutil.rmtree(out_dir, ignore_errors=True)
    return storage.list(f"jobs/{job_id}")


def _walk(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)).replace(os.sep, "/") for p in folder.rglob("*") if p.is_file())

