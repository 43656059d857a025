"""Issue 13, faults: a full disk (at submission and while rendering), a render-pool process killed mid-job (as
the OOM killer would), a cancel during a long shot, and the shot cache per API key. The real app with its embedded
workers, real renders, a real full filesystem (a small tmpfs: needs root to mount; skipped otherwise).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient

from briefreel.service.app import create_app
from briefreel.service.settings import Settings
from briefreel.service.store import JobStore

pytestmark = pytest.mark.slow
KEY, KEY2 = "fault-key-one", "fault-key-two"
AUTH = {"Authorization": f"Bearer {KEY}"}
AUTH2 = {"Authorization": f"Bearer {KEY2}"}


def board(n: int = 2, duration: float = 0.5, title: str = "Harbour") -> dict:
    moves = ["push_in", "pan_left", "tilt_up", "static"]
    return {"title": title, "language": "en", "shots": [
        {"id": f"S{i + 1:02d}", "size": "MS", "movement": moves[i % 4], "duration_s": duration,
         "description": f"{title}: the harbour, shot {i + 1}", "prompt": "a quiet harbour at dawn"}
        for i in range(n)]}


def submit(c: TestClient, b: dict, headers=AUTH, **data):
    return c.post("/v1/jobs", headers=headers, data=data,
                  files={"shots": ("shots.json", json.dumps(b).encode(), "application/json")})


def wait_for(c: TestClient, job_id: str, pred, timeout: float = 180, headers=AUTH) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if pred(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def final(job: dict) -> bool:
    return job["status"] in ("done", "failed", "cancelled")


@pytest.fixture
def app_client(tmp_path):
    clients = []

    def make(**over):
        over = {"api_keys": (KEY, KEY2), "data_dir": tmp_path / "data", "workers": 1, "poll_interval": 0.1,
                "retry_backoff": 0.3} | over
        client = TestClient(create_app(Settings(**over)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def tmpfs(tmp_path):
    """A small real filesystem that can fill up: a tmpfs of 32 MB (root only)."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(mnt: Path, leave: int = 0) -> Path:
    """Fill ``mnt`` up to ``leave`` free bytes with a ballast file."""
    ballast = mnt / f"ballast-{uuid.uuid4().hex[:6]}"
    free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
    with open(ballast, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
            f.flush()
        except OSError:
            pass
    return ballast


def test_a_submission_on_a_full_disk_is_507_json_and_writes_nothing(app_client, tmpfs):
    c = app_client(storage=str(tmpfs / "files"), workers=0)
    assert submit(c, board()).status_code == 202  # the disk works...
    before = {p for p in (tmpfs / "files").rglob("*")}
    fill(tmpfs)
    r = submit(c, board())  # ...and now it is full
    assert r.status_code == 507, r.text
    assert r.headers["content-type"] == "application/json" and r.headers["retry-after"]
    assert r.json()["error"]["code"] == "insufficient_storage"
    assert {p for p in (tmpfs / "files").rglob("*")} == before  # no half-written job folder
    assert len(JobStore(c.app.state.settings.db_path).list(limit=100)) == 1  # no second row


def test_a_full_disk_while_rendering_is_retried_with_backoff_then_done(app_client, tmpfs):
    c = app_client(storage=str(tmpfs / "files"))
    ballast = fill(tmpfs, leave=64 * 1024)  # shots.json fits, the clips do not
    job = submit(c, board(2, 1.0)).json()
    retried = wait_for(c, job["id"], lambda j: final(j) or (j["status"] == "queued" and j["attempts"] >= 1))
    assert retried["status"] == "queued" and retried["error"] is None, (retried["error"], retried.get("note"))
    assert "attempt 1 failed" in retried["note"] and "disk is full" in retried["note"], retried
    ballast.unlink()  # space again: the retry goes through
    done = wait_for(c, job["id"], final)
    assert done["status"] == "done" and done["attempts"] >= 2, done


def test_a_disk_that_stays_full_fails_after_the_attempt_limit(app_client, tmpfs):
    c = app_client(storage=str(tmpfs / "files"), max_retries=2, retry_backoff=0.1)
    fill(tmpfs, leave=64 * 1024)
    job = submit(c, board(1, 1.0)).json()
    failed = wait_for(c, job["id"], final)
    assert failed["status"] == "failed" and failed["attempts"] == 3, failed
    assert failed["error"]["code"] == "disk_full" and "failed 3 attempts" in failed["error"]["message"]


def _pool_workers() -> list[psutil.Process]:
    """This process's render-pool workers: the children of its multiprocessing fork server."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "forkserver" in " ".join(child.cmdline()):
                out += child.children()
        except psutil.NoSuchProcess:
            pass
    return out


def test_a_killed_render_process_is_retried_and_the_job_finishes(app_client):
    c = app_client()
    job = submit(c, board(4, 3.0, title="Killed worker")).json()
    wait_for(c, job["id"], lambda j: final(j) or any(s["state"] == "rendering" for s in j["progress"]["shots"]))
    deadline = time.monotonic() + 30
    while not (workers := _pool_workers()):
        assert time.monotonic() < deadline, "no render-pool process to kill"
        time.sleep(0.05)
    os.kill(workers[0].pid, signal.SIGKILL)  # as the OOM killer would
    done = wait_for(c, job["id"], final, timeout=300)
    assert done["status"] == "done", done
    assert done["attempts"] == 2, done  # the first attempt died with the pool; the retry finished it


def test_cancel_during_a_long_shot_stops_within_a_second_or_two(app_client):
    c = app_client()
    job = submit(c, board(1, 60.0, title="Long shot")).json()  # one shot of 60 s: 1,440 frames
    wait_for(c, job["id"], lambda j: final(j) or j["progress"]["shots"][0]["state"] == "rendering")
    time.sleep(1.0)  # well inside the shot
    t0 = time.monotonic()
    assert c.delete(f"/v1/jobs/{job['id']}", headers=AUTH).status_code == 202
    cancelled = wait_for(c, job["id"], final)
    latency = time.monotonic() - t0
    assert cancelled["status"] == "cancelled", cancelled
    assert latency < 3.0, f"cancel took {latency:.1f} s"  # before: the rest of the shot (tens of seconds)


def test_the_shot_cache_is_per_key(app_client):
    c = app_client()
    b = board(1, 0.5, title="Same board")
    first = submit(c, b).json()
    assert wait_for(c, first["id"], final)["status"] == "done"
    again = submit(c, b).json()  # the same key: from its cache
    assert wait_for(c, again["id"], final)["progress"]["shots"][0]["state"] == "reused"
    other = submit(c, b, headers=AUTH2).json()  # another key learns nothing from a cache hit
    done = wait_for(c, other["id"], final, headers=AUTH2)
    assert done["status"] == "done" and done["progress"]["shots"][0]["state"] == "done"


def test_a_wan_shot_stops_between_denoising_steps(tmp_path):
    """The Wan renderer asks should_stop after every denoising step (a tiny random pipeline, 40 steps, on the CPU)."""
    pytest.importorskip("diffusers")
    import sys

    from briefreel.render.errors import RenderCancelled
    from briefreel.render.pipeline import render_board
    from briefreel.storyboard.schema import Storyboard

    model = tmp_path / "tiny-wan"
    subprocess.run([str(Path(sys.executable).with_name("briefreel")), "make-tiny-wan", str(model)], check=True,
                   capture_output=True)
    asked: list[float] = []

    def should_stop() -> bool:  # asked once before the shot, then after each step: stop after the second step
        asked.append(time.monotonic())
        return len(asked) > 2

    with pytest.raises(RenderCancelled):
        render_board(Storyboard.model_validate(board(1, 0.5)), tmp_path / "out", renderer="wan",
                     renderer_options={"model": str(model), "steps": 40, "device": "cpu"},
                     cache_dir=tmp_path / "cache", progress=False, exports=False, should_stop=should_stop)
    assert len(asked) == 3  # the shot, step 1, step 2: the other 38 steps never ran
    assert not (tmp_path / "out" / "animatic.mp4").exists()


@pytest.mark.skipif(__import__("shutil").which("redis-server") is None, reason="redis-server missing")
def test_the_sweeper_with_the_redis_job_store(tmp_path):
    """Retention in a farm (BRIEFREEL_STORE=redis://...): the same rule, finished jobs past the age only."""
    from briefreel.service.redis_store import RedisJobStore
    from briefreel.service.retention import sweep
    from briefreel.service.runner import Context
    from briefreel.service.storage import Storage

    root = Path(__file__).resolve().parents[1]
    rdir = tmp_path / "redis"
    url = subprocess.run(["bash", str(root / ".ci" / "redis.sh"), "start", str(rdir)], check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", retention_days=7)
        ctx = Context(settings=settings, store=RedisJobStore(url), storage=Storage(str(tmp_path / "files")),
                      safety=None)
        now = time.time()
        ids = {}
        for name in ("old_done", "new_done", "old_running"):
            job_id = ids[name] = uuid.uuid4().hex
            ctx.storage.put_bytes(f"jobs/{job_id}/shots.json", b"{}")
            ctx.store.create(job_id, "k_owner", title=name, options={}, shot_ids=["S01"])
            ctx.store.claim(job_id, "w", 60)
            if name.endswith("done"):
                ctx.store.finish(job_id, "w", "done", files=["shots.json"])
                age = 30 if name.startswith("old") else 1
                ctx.store.r.hset(f"briefreel:job:{job_id}", "finished", now - age * 86400)  # aged
        assert sweep(ctx).deleted == [ids["old_done"]]
        assert ctx.store.get(ids["old_done"]) is None and not ctx.storage.exists(f"jobs/{ids['old_done']}/shots.json")
        assert [j["id"] for j in ctx.store.list("k_owner")] == [ids["old_running"], ids["new_done"]]
    finally:
        subprocess.run(["bash", str(root / ".ci" / "redis.sh"), "stop", str(rdir)], check=False)
