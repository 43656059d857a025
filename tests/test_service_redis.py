"""Redis mode: the API publishes jobs to Celery, two ``briefreel worker`` processes render them, and a kill -9 of
a worker in the middle of a job loses nothing: the other worker finishes it.

Redis is Debian's redis-server started on loopback by the project's own script (.ci/redis.sh).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from briefreel.service.store import JobStore  # noqa: E402
from tests.support.leftovers import no_leftover_processes  # noqa: F401,E402 - a fixture

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling test module
from test_service_e2e import BRIEFREEL, KEY, _wait_healthy, board, free_port, submit, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("redis-server") is None and os.geteuid() != 0,
                                                    reason="redis-server missing (make test installs it)")]


@pytest.fixture
def redis_url(tmp_path):
    d = tmp_path / "redis"
    url = subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "start", str(d)], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert re.match(r"redis://127\.0\.0\.1:\d+/0$", url)
    yield url
    subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "stop", str(d)], check=False)


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM every process still running, then wait; kill what does not stop within 20 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.mark.usefixtures("no_leftover_processes")  # kill -9 leaves no render-pool process behind
@pytest.mark.parametrize("store_kind", ["sqlite", "redis"])
def test_kill_9_of_a_worker_mid_job_loses_nothing(tmp_path, redis_url, store_kind):
    """With the job store in SQLite (one machine) and in Redis (several machines)."""
    data = tmp_path / "data"
    env = os.environ | {
        "BRIEFREEL_API_KEY": KEY, "BRIEFREEL_DATA_DIR": str(data), "BRIEFREEL_BROKER": redis_url,
        "BRIEFREEL_LEASE_S": "3",  # a dead worker's job is handed on after 3 s without a heartbeat
    }
    if store_kind == "redis":
        from briefreel.service.redis_store import RedisJobStore

        env["BRIEFREEL_STORE"] = redis_url
        store = RedisJobStore(redis_url)
    else:
        store = JobStore(data / "jobs.sqlite3")
    procs: list[subprocess.Popen] = []

    def spawn(args, name):
        p = subprocess.Popen(BRIEFREEL + args, env=env, stdout=(tmp_path / f"{name}.log").open("wb"),
                             stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        api = spawn(["serve", "--port", str(port), "--log-level", "warning"], "api")
        workers = {}
        for i in range(2):
            p = spawn(["worker", "--name", f"w{i}@test", "--log-level", "warning"], f"worker{i}")
            workers[p.pid] = p
        _wait_healthy(url, api)
        with httpx.Client(base_url=url, timeout=30) as c:
            assert c.get("/health").json()["mode"] == "redis"
            jobs = [submit(c, board(6, duration=1.0, title=f"Farm {i}"))["id"] for i in range(3)]

            deadline = time.monotonic() + 180
            victim = None
            while victim is None:  # a job with a finished shot and shots still to render
                for j in jobs:
                    job = store.get(j)
                    states = [s["state"] for s in job["progress"]]
                    if job["status"] == "running" and "done" in states and "pending" in states:
                        victim = job
                        break
                now = [store.get(j) for j in jobs]
                assert time.monotonic() < deadline and not all(j["status"] == "done" for j in now), now
                time.sleep(0.05)
            pid = int(victim["worker"].split(":")[2])
            assert pid in workers
            workers[pid].send_signal(signal.SIGKILL)
            workers[pid].wait(10)

            finals = [wait_for(c, j, timeout=300) for j in jobs]
        assert [f["status"] for f in finals] == ["done"] * 3, finals
        rescued = store.get(victim["id"])
        assert rescued["attempts"] >= 2
        assert int(rescued["worker"].split(":")[2]) != pid  # the other worker finished it
        for f in finals:
            assert (data / "files" / "jobs" / f["id"] / "animatic.mp4").stat().st_size > 0
        if store_kind == "redis":
            assert not (data / "jobs.sqlite3").exists()  # every process used the Redis store
    finally:
        _stop(procs)


def test_priorities_reach_redis_in_order(tmp_path, redis_url):
    """API priority 9 (most urgent) is served before 5, and 5 before 0, through Redis priority steps."""
    from kombu import Connection

    from briefreel.service.celery_app import publish
    from briefreel.service.settings import Settings

    settings = Settings(broker=redis_url, data_dir=tmp_path / "data")
    for job_id, priority in (("low", 0), ("normal", 5), ("urgent", 9), ("normal-2", 5)):
        publish(settings, job_id, priority)
    with Connection(redis_url, transport_options={"priority_steps": list(range(10)), "sep": ":",
                                                  "queue_order_strategy": "priority"}) as conn:
        q = conn.SimpleQueue(settings.queue_name)
        order = []
        for _ in range(4):
            msg = q.get(timeout=5)
            order.append(msg.headers.get("argsrepr") or msg.payload[0][0])
            msg.ack()
        q.close()
    assert [o.strip("()[],'\"") for o in order] == ["urgent", "normal", "normal-2", "low"]


def test_queued_jobs_survive_a_redis_that_lost_its_data(tmp_path, redis_url):
    """Redis restarted without persistence: the API publishes the store's queued jobs again when it starts."""
    import redis

    data = tmp_path / "data"
    env = os.environ | {"BRIEFREEL_API_KEY": KEY, "BRIEFREEL_DATA_DIR": str(data), "BRIEFREEL_BROKER": redis_url}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs = []
    try:
        api = subprocess.Popen(BRIEFREEL + ["serve", "--port", str(port), "--log-level", "warning"], env=env,
                               stdout=subprocess.DEVNULL, stderr=(tmp_path / "api.log").open("wb"))
        procs.append(api)
        _wait_healthy(url, api)
        with httpx.Client(base_url=url, timeout=30) as c:
            jobs = [submit(c, board(1, duration=0.5, title=f"Lost {i}"))["id"] for i in range(2)]
        redis.Redis.from_url(redis_url).flushall()  # the messages are gone; the jobs are still queued in the store
        api.send_signal(signal.SIGTERM)
        api.wait(20)
        api = subprocess.Popen(BRIEFREEL + ["serve", "--port", str(port), "--log-level", "warning"], env=env,
                               stdout=subprocess.DEVNULL, stderr=(tmp_path / "api2.log").open("wb"))
        procs.append(api)
        _wait_healthy(url, api)
        procs.append(subprocess.Popen(BRIEFREEL + ["worker", "--log-level", "warning"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.log").open("wb")))
        with httpx.Client(base_url=url, timeout=30) as c:
            assert [wait_for(c, j, timeout=180)["status"] for j in jobs] == ["done", "done"]
    finally:
        _stop(procs)
