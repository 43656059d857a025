"""The job store and queue rules: priorities, leases, reaping, retries with backoff, cancellation, and that a
worker which lost its job cannot overwrite the outcome. The rules run on both stores: a real SQLite file, and a
real Redis (Debian's redis-server, started by .ci/redis.sh) for farms on several machines."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from briefreel.render.errors import RenderError
from briefreel.service.runner import backoff, is_transient
from briefreel.service.settings import Settings
from briefreel.service.store import JobStore


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if shutil.which("redis-server") is None and os.geteuid() != 0:
        pytest.skip("redis-server missing (make test installs it)")
    d = tmp_path_factory.mktemp("redis")
    url = subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "start", str(d)], check=True,
                         capture_output=True, text=True).stdout.strip()
    yield url
    subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "stop", str(d)], check=False)


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        return JobStore(tmp_path / "jobs.sqlite3")
    from briefreel.service.redis_store import RedisJobStore

    url = request.getfixturevalue("redis_url")
    return RedisJobStore(url, prefix=f"t{time.monotonic_ns()}:")


def make(store, job_id: str, priority: int = 5) -> dict:
    return store.create(job_id, "k_owner", title=job_id, options={}, shot_ids=["S01", "S02"], priority=priority)


def test_priority_then_age(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    make(store, "low", 1)
    make(store, "normal-1", 5)
    make(store, "urgent", 9)
    make(store, "normal-2", 5)
    order = [store.claim_next("w", 30)["id"] for _ in range(4)]
    assert order == ["urgent", "normal-1", "normal-2", "low"]
    assert store.claim_next("w", 30) is None


def test_leases_reaping_and_stale_workers(any_store):
    store = any_store
    make(store, "j")
    job = store.claim("j", "w1", lease_s=30)
    assert job["status"] == "running" and job["worker"] == "w1" and job["attempts"] == 1
    assert store.claim("j", "w2", lease_s=30) is None  # a live lease: the second message is a duplicate
    assert store.heartbeat("j", "w1", 30)
    assert store.reap() == []  # lease still good

    assert store.reap(now=time.time() + 31) == ["j"]  # w1 went silent
    assert store.get("j")["status"] == "queued"
    assert not store.heartbeat("j", "w1", 30)  # w1 learns it lost the job
    job = store.claim("j", "w2", lease_s=30)
    assert job["worker"] == "w2" and job["attempts"] == 2
    assert not store.finish("j", "w1", "done", files=["x"])  # a late word from w1 is ignored
    assert store.finish("j", "w2", "done", files=["animatic.mp4"])
    assert store.get("j")["files"] == ["animatic.mp4"]
    assert store.claim("j", "w3", 30) is None  # finished: a redelivered message is dropped


def test_retry_later_waits_for_its_backoff(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    make(store, "j")
    store.claim_next("w", 30)
    assert store.retry_later("j", "w", delay=60, error_code="transient", error_message="disk full; retrying")
    job = store.get("j")
    assert job["status"] == "queued" and job["not_before"] > time.time() + 50
    assert store.claim_next("w", 30) is None  # not due yet
    s = Settings(retry_backoff=5)
    assert [backoff(s, a) for a in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(s, 20) == 600


def test_what_counts_as_transient():
    assert is_transient(OSError(errno.ENOSPC, "No space left on device"))
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert not is_transient(FileNotFoundError(errno.ENOENT, "gone"))
    assert not is_transient(RenderError("shot S01 is shorter than one frame"))
    assert not is_transient(ValueError("bad"))


def test_cancel_queued_and_running(any_store):
    store = any_store
    make(store, "queued")
    make(store, "running", 9)
    store.claim("running", "w", 30)
    assert store.request_cancel("queued")["status"] == "cancelled"
    job = store.request_cancel("running")
    assert job["status"] == "running" and job["cancel_requested"]  # the worker stops before its next shot
    assert store.cancel_requested("running")
    assert store.request_cancel("nope") is None


def test_progress_per_shot(any_store):
    store = any_store
    make(store, "j")
    store.set_shot("j", "S02", "done", seconds=1.5)
    assert store.get("j")["progress"] == [{"id": "S01", "state": "pending"},
                                          {"id": "S02", "state": "done", "seconds": 1.5}]
    assert store.counts()["queued"] == 1


def test_embedded_restart_requeues_running_jobs(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    make(store, "a")
    make(store, "b")
    claimed = store.claim_next("dead-server", 3600)["id"]
    assert store.requeue_running() == [claimed]
    assert {j["status"] for j in store.list()} == {"queued"}


def test_a_failed_republish_is_tried_again(any_store):
    store = any_store
    make(store, "j")
    store.claim("j", "dead", lease_s=0.01)
    time.sleep(0.02)
    assert store.reap() == ["j"]
    store.unreap("j")  # the broker was down
    assert store.get("j")["status"] == "running"
    assert store.reap() == ["j"]  # the next pass picks it up again
