"""Retention: finished jobs and their files are deleted after a while, so outputs do not pile up forever.

    BRIEFREEL_RETENTION_DAYS=30   a job that finished (done, failed, cancelled) more than 30 days ago goes
    BRIEFREEL_RETENTION_GB=0      and, when > 0, the oldest finished jobs go while their files take more than this
    BRIEFREEL_SWEEP_S=600         how often the sweeper looks

Only finished jobs are ever touched: a queued or running job, however old, keeps its row and its files. A swept
job's row goes too (``GET /v1/jobs/{id}`` answers 404 afterwards), with its folder in storage and any scratch
folder a worker left in ``DATA_DIR/work``. The shot cache (``DATA_DIR/cache``) is not swept here.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger("briefreel.service")


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0


def job_bytes(ctx, job_id: str) -> int:
    storage = ctx.storage
    total = 0
    for name in storage.list(f"jobs/{job_id}"):
        try:
            total += storage.size(f"jobs/{job_id}/{name}")
        except (OSError, FileNotFoundError):
            pass
    return total


def sweep(ctx, now: float | None = None) -> SweepReport:
    """One pass: delete finished jobs past the age limit, then the oldest finished ones while over the size cap."""
    settings = ctx.settings
    now = time.time() if now is None else now
    report = SweepReport()
    doomed: list[dict] = []
    if settings.retention_days > 0:
        doomed = ctx.store.finished_jobs(before=now - settings.retention_days * 86400, limit=100_000)
    if settings.retention_gb > 0:
        cap = settings.retention_gb * 1e9
        gone = {j["id"] for j in doomed}
        rest = [j for j in ctx.store.finished_jobs(limit=1_000_000) if j["id"] not in gone]  # oldest first
        sizes = {j["id"]: job_bytes(ctx, j["id"]) for j in rest}
        total = sum(sizes.values())
        for job in rest:
            if total <= cap:
                break
            doomed.append(job)
            total -= sizes[job["id"]]
    for job in doomed:
        if job["status"] not in ("done", "failed", "cancelled"):  # never a live job
            continue
        size = job_bytes(ctx, job["id"])
        ctx.storage.delete(f"jobs/{job['id']}")
        shutil.rmtree(settings.work_dir / job["id"], ignore_errors=True)
        ctx.store.delete(job["id"])
        report.deleted.append(job["id"])
        report.freed_bytes += size
    if report.deleted:
        log.info("retention: deleted %d finished job(s), %.1f MB", len(report.deleted), report.freed_bytes / 1e6)
    return report


class Sweeper(threading.Thread):
    """Runs :func:`sweep` every ``BRIEFREEL_SWEEP_S`` seconds (and once at start)."""

    def __init__(self, ctx, every: float | None = None):
        super().__init__(daemon=True, name="briefreel-sweeper")
        self.ctx = ctx
        self.every = every or ctx.settings.sweep_s
        self._halt = threading.Event()

    def run(self) -> None:
        while True:
            try:
                sweep(self.ctx)
            except Exception:  # noqa: BLE001 - a failed pass is retried on the next one
                log.exception("retention sweep failed")
            if self._halt.wait(self.every):
                return

    def stop(self) -> None:
        self._halt.set()
