"""Reliability figures for the render service: jobs held through faults, and what was lost (nothing).

    .venv/bin/python bench/faults.py [--jobs 20] [--skip-farm]

Each scenario prints what it did and what was lost. Renders are tiny (half-second panel shots) so that the whole
run stays within about three minutes on two shared cores.

1. held       an embedded ``briefreel serve`` takes a burst of jobs; every one finishes.
2. server -9  kill -9 of the embedded server with jobs in flight; a restart on the same data folder finishes
              every job, and the shots finished before the crash come from the cache.
3. pool -9    kill -9 of a render-pool process mid-job (what the OOM killer does): the job is retried and finishes.
4. disk full  the storage folder on a small tmpfs (mounted here; needs root; skipped otherwise): at 100 % a POST is
              507 and writes nothing; nearly full, a render fails, is retried with backoff, and finishes once
              space is back.
5. cancel     one 45 s shot cancelled 1 s in: the latency between shots only (the old behaviour, emulated by
              asking should_stop only at the first frame) and between frames (now), in the same run.
6. farm       Redis (Debian's redis-server via .ci/redis.sh), the API and two Celery workers; ``--jobs`` jobs
              submitted at once; kill -9 of one worker mid-run and a replacement started: every job finishes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BRIEFREEL = str(Path(sys.executable).with_name("briefreel"))
KEY = "faults-bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FINAL = ("done", "failed", "cancelled")
STARTED: list[subprocess.Popen] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def board(n: int = 2, duration: float = 0.5, title: str = "Harbour") -> dict:
    moves = ["push_in", "pan_left", "tilt_up", "static"]
    return {"title": title, "language": "en", "shots": [
        {"id": f"S{i + 1:02d}", "size": "MS", "movement": moves[i % 4], "duration_s": duration,
         "description": f"{title}: the harbour, shot {i + 1}", "prompt": "a quiet harbour at dawn"}
        for i in range(n)]}


def submit(c: httpx.Client, b: dict) -> httpx.Response:
    return c.post("/v1/jobs", headers=AUTH, files={"shots": ("shots.json", json.dumps(b).encode(), "application/json")})


def jobs_of(c: httpx.Client, ids: list[str]) -> list[dict]:
    """The jobs ``ids`` (one listing, not one request each)."""
    listed = {j["id"]: j for j in c.get("/v1/jobs", headers=AUTH, params={"limit": 500}).json()["jobs"]}
    return [listed[i] for i in ids if i in listed]


def wait_all(c: httpx.Client, ids: list[str], timeout: float = 180) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = jobs_of(c, ids)
        if all(j["status"] in FINAL for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.3)


def wait_until(pred, timeout: float = 60, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(every)
    raise SystemExit("timed out waiting")


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    p = subprocess.Popen([BRIEFREEL, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    STARTED.append(p)
    return p


def healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    def up():
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited")
        try:
            return httpx.get(url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    wait_until(up, timeout, 0.2)


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def pool_workers(pid: int) -> list[psutil.Process]:
    """The render-pool processes under ``pid``: children of its multiprocessing fork server."""
    out = []
    for child in descendants(pid):
        try:
            if "forkserver" in " ".join(child.cmdline()):
                out += child.children()
        except psutil.NoSuchProcess:
            pass
    return out


def kill9(proc: subprocess.Popen) -> list[psutil.Process]:
    """kill -9 ``proc``; returns its descendants as they were (reaped at the end of the run)."""
    below = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return below


def stop(proc: subprocess.Popen) -> None:
    below = descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    reap(below)


def reap(processes: list[psutil.Process]) -> None:
    for p in processes:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def report(name: str, did: str, submitted: int, jobs: list[dict], extra: str = "") -> dict:
    done = sum(1 for j in jobs if j["status"] == "done")
    lost = submitted - done
    attempts = max((j["attempts"] for j in jobs), default=0)
    print(f"{name:<10} {did}\n{'':<10} submitted {submitted}, done {done}, lost {lost}, most attempts {attempts}"
          f"{'; ' + extra if extra else ''}", flush=True)
    return {"scenario": name, "submitted": submitted, "done": done, "lost": lost, "extra": extra}


def serve_env(data: Path, **extra) -> dict:
    env = os.environ | {"BRIEFREEL_API_KEY": KEY, "BRIEFREEL_DATA_DIR": str(data), "BRIEFREEL_CONCURRENCY": "1",
                        "BRIEFREEL_RETRY_BACKOFF": "0.5", "BRIEFREEL_LEASE_S": "3", "BRIEFREEL_RETENTION_DAYS": "0",
                        "BRIEFREEL_RATE_LIMIT": "0", "BRIEFREEL_SUBMIT_LIMIT": "0"}  # the bench polls a lot
    env.pop("BRIEFREEL_BROKER", None)
    env.pop("BRIEFREEL_STORE", None)
    return env | extra


# -- 1-3: embedded ----------------------------------------------------------------------------------------------------

def embedded(work: Path) -> list[dict]:
    results = []
    data, log = work / "embedded", work / "embedded.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["serve", "--port", str(port), "--log-level", "warning"]
    proc = spawn(args, serve_env(data), log)
    healthy(url, proc)
    with httpx.Client(base_url=url, timeout=60) as c:
        # 1. a burst of jobs
        t0 = time.monotonic()
        ids = [submit(c, board(2, 0.5, f"Held {i}")).json()["id"] for i in range(6)]
        jobs = wait_all(c, ids)
        results.append(report("held", f"6 jobs of 2 shots submitted at once to one embedded server "
                              f"({time.monotonic() - t0:.1f} s)", 6, jobs))

        # 2. kill -9 of the server with jobs in flight
        ids = [submit(c, board(4, 0.75, f"Crash {i}")).json()["id"] for i in range(4)]
        wait_until(lambda: any(s["state"] == "done" for s in c.get(f"/v1/jobs/{ids[0]}", headers=AUTH).json()
                               ["progress"]["shots"]))
        states = [c.get(f"/v1/jobs/{i}", headers=AUTH).json()["status"] for i in ids]
    left = kill9(proc)
    time.sleep(0.5)
    orphans = [p.pid for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    reap(left)
    proc = spawn(args, serve_env(data), log)
    healthy(url, proc)
    with httpx.Client(base_url=url, timeout=60) as c:
        jobs = wait_all(c, ids)
        reused = sum(1 for j in jobs for s in j["progress"]["shots"] if s["state"] == "reused")
        results.append(report("server -9", f"kill -9 of the server with 4 jobs in flight ({', '.join(states)}), "
                              "restarted on the same data folder", 4, jobs,
                              f"{reused} shots reused from the cache; {len(orphans)} of its processes were still "
                              "alive 0.5 s after the kill (reaped here)"))

        # 3. kill -9 of a render-pool process
        job_id = submit(c, board(4, 3.0, "Pool kill")).json()["id"]
        victims = wait_until(lambda: pool_workers(proc.pid), timeout=60, every=0.02)
        os.kill(victims[0].pid, signal.SIGKILL)
        jobs = wait_all(c, [job_id])
        results.append(report("pool -9", f"kill -9 of render-pool process {victims[0].pid} mid-job "
                              "(as the OOM killer would)", 1, jobs,
                              f"job attempts {jobs[0]['attempts']} (retried after the pool broke)"))
    stop(proc)
    return results


# -- 4: disk full -----------------------------------------------------------------------------------------------------

def fill(mnt: Path, leave: int) -> Path:
    ballast = mnt / f"ballast-{uuid.uuid4().hex[:6]}"
    st = os.statvfs(mnt)
    with open(ballast, "wb") as f:
        try:
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
            f.flush()
        except OSError:
            pass
    return ballast


def disk_full(work: Path) -> list[dict]:
    mnt = work / "small-disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        print("disk full  skipped: mounting a small tmpfs needs root", flush=True)
        return []
    results = []
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(["serve", "--port", str(port), "--log-level", "warning"],
                 serve_env(work / "disk", BRIEFREEL_STORAGE=str(mnt / "files")), work / "disk.log")
    try:
        healthy(url, proc)
        with httpx.Client(base_url=url, timeout=60) as c:
            ballast = fill(mnt, 0)
            before = sorted(str(p) for p in mnt.rglob("*") if p.is_file())
            r = submit(c, board())
            after = sorted(str(p) for p in mnt.rglob("*") if p.is_file())
            ballast.unlink()
            ok = r.status_code == 507 and r.headers.get("content-type") == "application/json" and before == after
            print(f"disk full  POST on a 100 % full disk: {r.status_code} {r.json()['error']['code']}, "
                  f"files written: {len(after) - len(before)}, jobs listed: "
                  f"{len(c.get('/v1/jobs', headers=AUTH).json()['jobs'])}{'' if ok else '  <-- WRONG'}", flush=True)

            ballast = fill(mnt, 64 * 1024)  # shots.json fits, the clips do not
            job_id = submit(c, board(2, 1.0, "Disk full")).json()["id"]
            def retried():
                j = c.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
                return j if j["status"] in FINAL or j.get("note") else None

            seen = wait_until(retried, timeout=60)
            ballast.unlink()
            jobs = wait_all(c, [job_id])
            results.append(report("disk full", "a render on a nearly full disk, space freed after the first "
                                  "failure", 1, jobs, f"first failure: {seen.get('note') or seen.get('error')}"))
    finally:
        stop(proc)
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
    return results


# -- 5: cancel latency --------------------------------------------------------------------------------------------------

def cancel_latency(work: Path, seconds: float = 45.0) -> None:
    from briefreel.render.errors import RenderCancelled
    from briefreel.render.panel import PanelRenderer
    from briefreel.render.pipeline import render_board
    from briefreel.storyboard.schema import Storyboard

    b = Storyboard.model_validate(board(1, seconds, "Long shot"))
    figures = {}
    for label, check_every in (("between shots (before)", float("inf")), ("between frames (now)", 0.1)):
        PanelRenderer.STOP_CHECK_S = check_every  # inf: asked once, at the first frame: the old behaviour
        t0, asked = time.monotonic(), []

        def should_stop():
            if time.monotonic() - t0 > 1.0:
                asked.append(asked[0] if asked else time.monotonic())
                return True
            return False

        out = work / f"cancel-{check_every}"
        try:
            render_board(b, out, cache_dir=out / "cache", progress=False, exports=False, should_stop=should_stop)
        except RenderCancelled:
            pass
        figures[label] = time.monotonic() - (asked[0] if asked else t0)
    PanelRenderer.STOP_CHECK_S = 0.1
    print(f"cancel     one {seconds:g} s shot, cancel asked 1 s in; latency "
          + ", ".join(f"{k}: {v:.2f} s" for k, v in figures.items()), flush=True)


# -- 6: farm -------------------------------------------------------------------------------------------------------------

def farm(work: Path, n: int) -> list[dict]:
    if shutil.which("redis-server") is None:
        print("farm       skipped: no redis-server", flush=True)
        return []
    rdir = work / "redis"
    url_redis = subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "start", str(rdir)], check=True,
                               capture_output=True, text=True).stdout.strip()
    data = work / "farm"
    env = serve_env(data, BRIEFREEL_BROKER=url_redis, BRIEFREEL_CONCURRENCY="0")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(api := spawn(["serve", "--port", str(port), "--log-level", "warning"], env, work / "api.log"))
        healthy(url, api)
        workers = [spawn(["worker", "--name", f"w{i}@%h", "--log-level", "warning"], env, work / f"worker{i}.log")
                   for i in range(2)]
        procs += workers
        t0 = time.monotonic()
        with httpx.Client(base_url=url, timeout=60) as c:
            ids: list[str] = []
            lock = threading.Lock()

            def one(i):
                r = submit(c, board(2, 0.5, f"Farm {i}"))
                with lock:
                    ids.append(r.json()["id"])

            threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # kill -9 a worker while it renders, then start a replacement
            wait_until(lambda: sum(j["status"] == "done" for j in jobs_of(c, ids)) >= 3, timeout=120, every=0.3)
            wait_until(lambda: any(j["status"] == "running" for j in jobs_of(c, ids)), timeout=60, every=0.1)
            left = kill9(workers[0])
            reap(left)
            procs.append(spawn(["worker", "--name", "w2@%h", "--log-level", "warning"], env, work / "worker2.log"))
            jobs = wait_all(c, ids, timeout=300)
        results = [report("farm", f"{n} jobs submitted at once to 2 Celery workers; kill -9 of one mid-run and a "
                          f"replacement started ({time.monotonic() - t0:.1f} s)", n, jobs,
                          f"jobs that ran twice: {sum(1 for j in jobs if j['attempts'] > 1)}")]
    finally:
        for p in procs:
            stop(p)
        subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "stop", str(rdir)], check=False)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=20, help="jobs submitted at once to the farm (default 20)")
    ap.add_argument("--skip-farm", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="briefreel-faults-"))
    results: list[dict] = []
    try:
        results += embedded(work)
        results += disk_full(work)
        cancel_latency(work)
        if not args.skip_farm:
            results += farm(work, args.jobs)
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    lost = sum(r["lost"] for r in results)
    print(f"total      {sum(r['submitted'] for r in results)} jobs through {len(results)} faults, lost {lost} "
          f"({time.monotonic() - t0:.0f} s)", flush=True)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
