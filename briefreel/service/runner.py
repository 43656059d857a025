"""One job, top to bottom: what a worker (embedded thread or Celery task) does with a job it has claimed.

    load shots.json -> safety check -> render_board (shot by shot, cache in DATA_DIR/cache) -> publish outputs

The job's inputs were written at submission (``jobs/<id>/shots.json``, and ``jobs/<id>/brief.pdf``: the upload as
it came, still encrypted); the password was used then and is not here. Progress is reported per shot and a
cancel request is seen between frames (panel) and denoising steps (Wan), through render_board's ``on_shot`` and
``should_stop`` (so panel shots still render in parallel worker processes); a heartbeat thread keeps the job's
lease while it runs. Shots already in the cache (from an earlier, interrupted or cancelled attempt) are reused,
not rendered again. The shot cache is per API key (``DATA_DIR/cache/<key id>``): a key never learns, from a
reused shot, that another key rendered the same board.

Transient failures are tried again after a backoff, up to ``BRIEFREEL_MAX_RETRIES`` times: a full disk (ENOSPC
anywhere in the error's chain, ffmpeg's "No space left on device" included), a render-pool process that died
(``BrokenProcessPool``: the OOM killer), a lost connection, a GPU out of memory. The job's ``attempts`` counts
them and its message says which attempt failed and why.
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
from briefreel.job import RenderOptions
from briefreel.render.errors import RenderCancelled, RenderError
from briefreel.service.errors import is_disk_full
from briefreel.service.safety import SafetyFilter
from briefreel.service.settings import Settings
from briefreel.service.storage import Storage, private_umask
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


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


LOW_DISK_BYTES = 4 * 1024 * 1024


def low_disk(paths) -> bool:
    """Any of ``paths`` (or the folder above it, when it does not exist yet) on a filesystem with under 4 MiB
    free: what a render that failed there most likely ran into (ffmpeg's last words do not always say so)."""
    for path in paths:
        path = Path(path)
        while not path.exists() and path != path.parent:
            path = path.parent
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        if st.f_bavail * st.f_frsize < LOW_DISK_BYTES:
            return True
    return False


def transient_reason(exc: BaseException, paths=()) -> str | None:
    """Why ``exc`` is worth another attempt ("disk full", "render process died", ...), or None. ``paths``: where
    the job writes; a render error while one of them is (nearly) full counts as a full disk."""
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, (JobCancelled, RenderCancelled, StoryboardError)):
        return None
    if is_disk_full(exc) or (isinstance(exc, (RenderError, OSError)) and low_disk(paths)):
        return "disk full"
    for e in _chain(exc):
        if isinstance(e, BrokenProcessPool):
            return "a render process died"
        if isinstance(e, Transient):
            return "transient failure"
        if type(e).__name__ in ("OutOfMemoryError", "AcceleratorError"):  # torch.cuda.OutOfMemoryError
            return "GPU out of memory"
    if isinstance(exc, RenderError):
        return None
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return "lost connection"
    if isinstance(exc, MemoryError):
        return "out of memory"
    # A flaky disk or network filesystem, not a missing file or a permission error.
    if isinstance(exc, OSError) and exc.errno in (5, 11, 110, 112, 116):  # EIO EAGAIN ETIMEDOUT EHOSTDOWN ESTALE
        return "I/O error"
    return None


def is_transient(exc: BaseException) -> bool:
    return transient_reason(exc) is not None


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
    reason = transient_reason(exc, _write_paths(ctx, job["id"]))
    if reason == "disk full":
        code, message = "disk_full", "the server's disk is full"
    elif reason == "a render process died":
        code, message = "render_process_died", "a render process died (killed, or out of memory)"
    elif code == "internal":
        code = "transient" if reason else "internal"
        message = f"{message.split(' (')[0]} ({type(exc).__name__})"
    attempts = job["attempts"]
    if reason and attempts <= ctx.settings.max_retries:
        delay = backoff(ctx.settings, attempts)
        ctx.store.retry_later(job["id"], worker, delay, code,
                              f"attempt {attempts} failed ({message}); retrying in {delay:g} s")
        log.warning("job %s: attempt %d failed (%s), retry in %g s: %s", job["id"], attempts, reason, delay, exc)
        return "retry"
    if reason:
        message = f"{message}; failed {attempts} attempts"
    if code in ("internal", "transient") or reason:
        log.error("job %s failed after %d attempt(s)", job["id"], attempts, exc_info=exc)
    ctx.store.finish(job["id"], worker, "failed", error_code=code, error_message=message)
    return "failed"


def _write_paths(ctx: Context, job_id: str) -> list[Path]:
    local = ctx.storage.local_path(f"jobs/{job_id}")
    return [ctx.settings.cache_dir, ctx.settings.work_dir, *([local] if local is not None else [])]


# -- rendering ----------------------------------------------------------------------------------------------------

def _render(ctx: Context, job: dict, board: Storyboard, worker: str, should_stop) -> list[str]:
    """Render the board into the job's folder and return the output file names."""
    from briefreel.render.pipeline import render_board
    from briefreel.service import fanout
    from briefreel.service.submission import resolve_model

    private_umask()  # the job's folder, clips, exports and cache entries: 0600 files, 0700 folders
    job_id = job["id"]
    options = RenderOptions.from_job(resolve_model(job["options"], ctx.settings))
    storage = ctx.storage
    local = storage.local_path(f"jobs/{job_id}")
    out_dir = local if local is not None else ctx.settings.work_dir / job_id
    out_dir.mkdir(parents=True, exist_ok=True)
    for scratch in out_dir.glob(".render-*"):  # left by an attempt that was killed
        shutil.rmtree(scratch, ignore_errors=True)
    if local is None:
        storage.get_file(f"jobs/{job_id}/shots.json", out_dir / "shots.json")

    # Shot-parallel (a Wan job on a Celery farm): the shots fan out across the workers first; then the render below
    # finds every one of them in the shot cache and assembles the animatic (service/fanout.py).
    fanned = fanout.wanted(ctx.settings, options, board)
    if fanned:
        fanout.fan_out(ctx, job, board, worker, should_stop)

    render_board(
        board,
        out_dir,
        renderer=options.renderer,
        renderer_options=options.renderer_kwargs(),
        use_cache=options.use_cache or fanned,
        cache_dir=ctx.settings.cache_dir / job["owner"],  # per key: no learning what another key rendered
        progress=False,
        on_shot=fanout.shot_reporter(ctx.store, job_id),  # per shot, and its denoising step (Wan)
        should_stop=should_stop,
        step_events=True,
    )
    if local is None:
        for name in _walk(out_dir):
            storage.put_file(out_dir / name, f"jobs/{job_id}/{name}")
        shutil.rmtree(out_dir, ignore_errors=True)
    return storage.list(f"jobs/{job_id}")


def _walk(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)).replace(os.sep, "/") for p in folder.rglob("*") if p.is_file())

