"""The embedded queue: jobs wait in the SQLite store and worker threads in the server process take them.

Durable by construction: a job is a committed row before the API answers 202, and a worker only marks it done
after its outputs are published. When the server dies (kill -9 included) nothing is lost: the next server takes
the data folder's lock, puts every job that was 'running' back in the queue and finishes it; shots rendered
before the crash come from the shot cache.

In Redis mode the same store is the source of truth, and :class:`Reaper` runs in the API to hand jobs of dead
Celery workers (no heartbeat within ``BRIEFREEL_LEASE_S``) to the live ones, long before Redis's visibility
timeout would.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import uuid

from briefreel.service.runner import Context, run_claimed_job

log = logging.getLogger("briefreel.service")


class DataDirLocked(RuntimeError):
    pass


def lock_data_dir(ctx: Context):
    """Embedded mode owns its data folder: a second embedded server on it would double-run jobs.

    The lock is an flock, so the kernel drops it when the process dies, kill -9 included.
    """
    path = ctx.settings.data_dir / "server.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirLocked(f"another embedded briefreel server is using {ctx.settings.data_dir}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def worker_name(kind: str = "embedded") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class EmbeddedWorkers:
    """``n`` threads, each taking the most urgent due job, one at a time."""

    def __init__(self, ctx: Context, n: int = 1):
        self.ctx = ctx
        self.n = n
        self._halt = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.current: dict[str, str | None] = {}

    def start(self) -> None:
        orphans = self.ctx.store.requeue_running()
        if orphans:
            log.info("resuming %d job(s) interrupted by the last shutdown: %s", len(orphans), ", ".join(orphans))
        for i in range(self.n):
            name = worker_name()
            t = threading.Thread(target=self._loop, args=(name,), daemon=True, name=f"briefreel-worker-{i}")
            self._threads.append(t)
            t.start()

    def wake(self) -> None:
        """A job was submitted: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; a running job stops before its next shot and goes back to the queue."""
        self._halt.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def _loop(self, name: str) -> None:
        while not self._halt.is_set():
            try:
                job = self.ctx.store.claim_next(name, self.ctx.settings.lease_s)
            except Exception:
                log.exception("could not read the job queue")
                job = None
            if job is None:
                self._wake.wait(self.ctx.settings.poll_interval)
                self._wake.clear()
                continue
            self.current[name] = job["id"]
            try:
                run_claimed_job(self.ctx, job, name, stopping=self._halt)
            except Exception:
                log.exception("worker %s crashed on job %s", name, job["id"])
            finally:
                self.current[name] = None


class Reaper(threading.Thread):
    """Every few seconds, jobs whose worker stopped sending heartbeats go back to the queue (and, in Redis
    mode, are published again)."""

    def __init__(self, ctx: Context, publish=None, every: float | None = None):
        super().__init__(daemon=True, name="briefreel-reaper")
        self.ctx = ctx
        self.publish = publish
        self.every = every or max(1.0, ctx.settings.lease_s / 3)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                for job_id in self.ctx.store.reap():
                    log.warning("job %s: its worker stopped answering; queued again", job_id)
                    if self.publish is None:
                        continue
                    job = self.ctx.store.get(job_id)
                    try:
                        self.publish(job_id, job["priority"] if job else 5)
                    except Exception as exc:  # the broker is down: try again on the next pass
                        log.error("job %s: could not queue it again (%s); will retry", job_id, exc)
                        self.ctx.store.unreap(job_id)
            except Exception:
                log.exception("reaper pass failed")

    def stop(self) -> None:
        self._halt.set()
