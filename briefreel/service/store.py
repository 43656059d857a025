"""The job store: one SQLite file (WAL) that the API, the embedded workers and Celery workers on the same machine
all read and write. It is also the embedded queue: a queued row is a message, claiming it is an UPDATE.

A job row never holds a password or the brief's text: only options, progress, the error and the file list.
Running jobs carry a lease (``worker``, ``lease_until``) that the worker renews with heartbeats; a job whose lease
ran out belongs to a dead worker and goes back to the queue (``reap``), where another worker picks it up.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINAL = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id               TEXT PRIMARY KEY,
    owner            TEXT NOT NULL,
    status           TEXT NOT NULL,
    priority         INTEGER NOT NULL DEFAULT 5,
    created          REAL NOT NULL,
    updated          REAL NOT NULL,
    started          REAL,
    finished         REAL,
    title            TEXT NOT NULL DEFAULT '',
    options          TEXT NOT NULL DEFAULT '{}',
    progress         TEXT NOT NULL DEFAULT '[]',
    files            TEXT NOT NULL DEFAULT '[]',
    error_code       TEXT,
    error_message    TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       REAL NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker           TEXT,
    lease_until      REAL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, priority DESC, created);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created DESC);
"""


class JobStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(_SCHEMA)

    # -- plumbing -----------------------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a kill -9 loses nothing committed
            db.execute("PRAGMA busy_timeout=60000")
            self._local.db = db
        return db

    class _Tx:
        def __init__(self, db):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type, exc, tb):
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
            return False

    def _tx(self) -> "_Tx":
        return self._Tx(self._db())

    @staticmethod
    def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        job = dict(row)
        for key in ("options", "progress", "files"):
            job[key] = json.loads(job[key])
        job["cancel_requested"] = bool(job["cancel_requested"])
        return job

    # -- the API's side -----------------------------------------------------------------------------------------
    def create(self, job_id: str, owner: str, *, title: str, options: dict, shot_ids: list[str],
               priority: int = 5, files: list[str] | None = None) -> dict:
        now = time.time()
        progress = [{"id": s, "state": "pending"} for s in shot_ids]
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (id, owner, status, priority, created, updated, title, options, progress, files)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (job_id, owner, priority, now, now, title, json.dumps(options), json.dumps(progress),
                 json.dumps(files or [])),
            )
        return self.get(job_id)

    def get(self, job_id: str) -> dict | None:
        return self._row(self._db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def list(self, owner: str | None = None, status: str | None = None, limit: int = 50) -> list[dict]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY created DESC LIMIT ?"
        args.append(limit)
        return [self._row(r) for r in self._db().execute(sql, args).fetchall()]

    def counts(self) -> dict[str, int]:
        rows = self._db().execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {s: 0 for s in STATUSES} | {r[0]: r[1] for r in rows}

    def request_cancel(self, job_id: str) -> dict | None:
        """A queued job is cancelled at once; a running one is flagged and stops at its next frame or step."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            if row["status"] == "queued":
                db.execute(
                    "UPDATE jobs SET status='cancelled', finished=?, updated=?, cancel_requested=1,"
                    " error_code='cancelled', error_message='cancelled before it started' WHERE id=?",
                    (now, now, job_id),
                )
            elif row["status"] == "running":
                db.execute("UPDATE jobs SET cancel_requested=1, updated=? WHERE id=?", (now, job_id))
        return self.get(job_id)

    def delete(self, job_id: str) -> bool:
        """Forget a job (a submission taken back, or the retention sweeper)."""
        with self._tx() as db:
            return db.execute("DELETE FROM jobs WHERE id=?", (job_id,)).rowcount == 1

    def finished_jobs(self, before: float | None = None, limit: int = 1000) -> list[dict]:
        """Finished jobs (done, failed, cancelled), oldest finish first; only those finished before ``before``."""
        sql = "SELECT * FROM jobs WHERE status IN ('done', 'failed', 'cancelled') AND finished IS NOT NULL"
        args: list[Any] = []
        if before is not None:
            sql += " AND finished < ?"
            args.append(before)
        sql += " ORDER BY finished LIMIT ?"
        args.append(limit)
        return [self._row(r) for r in self._db().execute(sql, args).fetchall()]

    # -- the workers' side --------------------------------------------------------------------------------------
    def claim_next(self, worker: str, lease_s: float) -> dict | None:
        """Embedded queue: take the most urgent queued job that is due (priority, then age)."""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status='queued' AND not_before <= ?"
                " ORDER BY priority DESC, created LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            self._start(db, row["id"], worker, lease_s, now)
        return self.get(row["id"])

    def claim(self, job_id: str, worker: str, lease_s: float) -> dict | None:
        """Celery mode: start this job if it is queued, or running under a lease that ran out (a dead worker).

        Returns None when the job is finished or another live worker holds it: the message is then a duplicate.
        """
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT status, lease_until FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None:
                return None
            free = row["status"] == "queued" or (
                row["status"] == "running" and (row["lease_until"] or 0) < now
            )
            if not free:
                return None
            self._start(db, job_id, worker, lease_s, now)
        return self.get(job_id)

    @staticmethod
    def _start(db, job_id: str, worker: str, lease_s: float, now: float) -> None:
        db.execute(
            "UPDATE jobs SET status='running', worker=?, lease_until=?, started=COALESCE(started, ?), updated=?,"
            " attempts=attempts+1 WHERE id=?",
            (worker, now + lease_s, now, now, job_id),
        )

    def heartbeat(self, job_id: str, worker: str, lease_s: float) -> bool:
        """Renew the lease. Returns False when this worker no longer owns the job (it was reaped or cancelled)."""
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET lease_until=?, updated=? WHERE id=? AND worker=? AND status='running'",
                (now + lease_s, now, job_id, worker),
            )
            return cur.rowcount == 1

    def cancel_requested(self, job_id: str) -> bool:
        row = self._db().execute("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,)).fetchone()
        return bool(row and row[0])

    def set_shot(self, job_id: str, shot_id: str, state: str, **info) -> None:
        with self._tx() as db:
            row = db.execute("SELECT progress FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None:
                return
            progress = json.loads(row["progress"])
            for p in progress:
                if p["id"] == shot_id:
                    p["state"] = state
                    p.update(info)
            db.execute("UPDATE jobs SET progress=?, updated=? WHERE id=?",
                       (json.dumps(progress), time.time(), job_id))

    def claim_shot(self, job_id: str, shot_id: str, worker: str, lease_s: float) -> bool:
        """Shot-parallel jobs (service/fanout.py): ``worker`` takes ``shot_id`` of a running job, or renews its
        lease on it. Free: pending or failed, or rendering under a lease that ran out (its worker died)."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT status, progress FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None or row["status"] != "running":
                return False
            progress = json.loads(row["progress"])
            for p in progress:
                if p["id"] != shot_id:
                    continue
                state = p.get("state")
                if not (state in ("pending", "failed") or state == "rendering" and (
                        p.get("worker") == worker or float(p.get("lease_until") or 0) < now)):
                    return False
                p.update(state="rendering", worker=worker, lease_until=now + lease_s)
                db.execute("UPDATE jobs SET progress=?, updated=? WHERE id=?", (json.dumps(progress), now, job_id))
                return True
        return False

    def finish(self, job_id: str, worker: str | None, status: str, *, error_code: str | None = None,
               error_message: str | None = None, files: list[str] | None = None) -> bool:
        """Record the outcome. Only the worker holding the job may finish it (a reaped worker's late word is ignored)."""
        assert status in FINAL
        now = time.time()
        sql = ("UPDATE jobs SET status=?, finished=?, updated=?, error_code=?, error_message=?, lease_until=NULL"
               + (", files=?" if files is not None else "") + " WHERE id=? AND status='running'")
        args: list[Any] = [status, now, now, error_code, error_message]
        if files is not None:
            args.append(json.dumps(files))
        args.append(job_id)
        if worker is not None:
            sql += " AND worker=?"
            args.append(worker)
        with self._tx() as db:
            return db.execute(sql, args).rowcount == 1

    def retry_later(self, job_id: str, worker: str, delay: float, error_code: str, error_message: str) -> bool:
        """A transient failure: back to the queue, due after ``delay`` seconds."""
        now = time.time()
        with self._tx() as db:
            return db.execute(
                "UPDATE jobs SET status='queued', not_before=?, updated=?, worker=NULL, lease_until=NULL,"
                " error_code=?, error_message=? WHERE id=? AND worker=? AND status='running'",
                (now + delay, now, error_code, error_message, job_id, worker),
            ).rowcount == 1

    def reap(self, now: float | None = None) -> list[str]:
        """Jobs whose worker stopped sending heartbeats go back to the queue. Returns their ids."""
        now = time.time() if now is None else now
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM jobs WHERE status='running' AND lease_until IS NOT NULL AND lease_until < ?", (now,)
            ).fetchall()]
            for job_id in ids:
                db.execute(
                    "UPDATE jobs SET status='queued', worker=NULL, lease_until=NULL, updated=? WHERE id=?",
                    (now, job_id),
                )
        return ids

    def unreap(self, job_id: str) -> None:
        """Undo a reap whose re-publish failed (broker down): the next reaper pass tries again."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status='running', worker='reaper', lease_until=0 WHERE id=? AND status='queued'",
                       (job_id,))

    def requeue_running(self) -> list[str]:
        """Embedded start-up: this process holds the data folder's lock, so every 'running' job is an orphan."""
        return self.reap(now=float("inf"))
