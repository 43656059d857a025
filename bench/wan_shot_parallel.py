"""Shot-parallel Wan jobs on the Celery farm (issue 14.4), on the CPU: one 6-shot job on one worker, then the same
job (another seed, so nothing comes from the cache) on two workers; wall time from submission to done, and the ratio.

    .venv/bin/python bench/wan_shot_parallel.py [--shots 6] [--steps 200]

Real parts throughout: Debian's redis-server (.ci/redis.sh), ``briefreel serve`` with ``BRIEFREEL_BROKER`` (the
API only), ``briefreel worker`` processes (Celery, solo pool), a tiny random Wan model the operator lists
(``BRIEFREEL_MODELS``), its step count raised so the denoiser is a real part of each shot as on a GPU. Each
configuration first runs a 2-shot warm-up job (every worker imports torch and loads the model once and keeps it, as
a farm does). While the timed job runs the bench samples its progress and prints which workers rendered which shots and how many shots rendered
at once (2 with two workers: both busy). On a GPU farm each worker is one GPU; the shots of one job then take
about the longest shot's time with as many workers as shots.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.faults import AUTH, free_port, healthy, serve_env, spawn, stop  # noqa: E402


def board(n: int, duration: float) -> dict:
    return {"title": "Harbour", "language": "en", "aspect_ratio": "16:9", "shots": [
        {"id": f"S{i + 1:02d}", "size": "MS", "movement": "static", "duration_s": duration,
         "description": f"The harbour at dawn, shot {i + 1}", "prompt": f"a quiet harbour at dawn, take {i + 1}"}
        for i in range(n)]}


def run_job(url: str, shots: dict, seed: int) -> dict:
    """Submit, follow, and return wall time, the workers per shot and the most shots rendering at once."""
    with httpx.Client(base_url=url, timeout=60) as c:
        t0 = time.monotonic()
        r = c.post("/v1/jobs", headers=AUTH, data={"renderer": "wan", "model": "tiny", "seed": str(seed),
                                                   "use_cache": "false"},
                   files={"shots": ("shots.json", json.dumps(shots).encode(), "application/json")})
        r.raise_for_status()
        job_id = r.json()["id"]
        at_once, holders = 0, {}
        while True:
            job = c.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
            rendering = [s for s in job["progress"]["shots"] if s["state"] == "rendering"]
            at_once = max(at_once, len({s.get("worker") for s in rendering}))
            for s in job["progress"]["shots"]:
                if s.get("worker"):
                    holders[s["id"]] = s["worker"]
            if job["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.1)
        wall = time.monotonic() - t0
    if job["status"] != "done":
        raise SystemExit(f"job {job_id} {job['status']}: {job.get('error')}")
    return {"wall_s": wall, "holders": holders, "at_once": at_once, "job": job_id}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shots", type=int, default=6)
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per shot (2.0: one tiny-model segment)")
    ap.add_argument("--steps", type=int, default=200, help="denoising steps of the tiny model")
    args = ap.parse_args()

    from briefreel.render.wan_tiny import make_tiny_wan

    work = Path(tempfile.mkdtemp(prefix="wan-shot-parallel-"))
    model = make_tiny_wan(work / "tiny", "t2v")
    card = json.loads((model / "briefreel_wan.json").read_text())
    (model / "briefreel_wan.json").write_text(json.dumps({**card, "steps": args.steps}))
    rdir = work / "redis"
    redis = subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "start", str(rdir)], check=True,
                           capture_output=True, text=True).stdout.strip()
    env = serve_env(work / "data", BRIEFREEL_BROKER=redis, BRIEFREEL_CONCURRENCY="0", BRIEFREEL_LEASE_S="10",
                    BRIEFREEL_MODELS=f"tiny={model}", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    shots = board(args.shots, args.duration)
    results = {}
    api = spawn(["serve", "--port", str(port), "--log-level", "warning"], env, work / "api.log")
    try:
        healthy(url, api)
        for n in (1, 2):
            workers = [spawn(["worker", "--name", f"w{i}-of-{n}@%h", "--log-level", "warning"], env,
                             work / f"worker{n}-{i}.log") for i in range(n)]
            try:
                # Warm up: a 2-shot job first, so every worker has imported torch and loaded the model (a worker
                # keeps it between jobs); then the timed job.
                warm = run_job(url, board(2, args.duration), seed=100 + n)
                print(f"{n} worker{'s' if n > 1 else ''}: warm-up job in {warm['wall_s']:.1f} s", flush=True)
                results[n] = run_job(url, shots, seed=n)
            finally:
                for w in workers:
                    stop(w)
            r = results[n]
            by_worker: dict[str, list[str]] = {}
            for shot, holder in sorted(r["holders"].items()):
                by_worker.setdefault(holder, []).append(shot)
            print(f"{n} worker{'s' if n > 1 else ''}: {args.shots} shots in {r['wall_s']:.1f} s (submit to done); "
                  f"shots rendering at once: up to {r['at_once']}; "
                  + "; ".join(f"{w}: {', '.join(s)}" for w, s in by_worker.items()), flush=True)
    finally:
        stop(api)
        subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh"), "stop", str(rdir)], check=False)
    one, two = results[1]["wall_s"], results[2]["wall_s"]
    print(f"ratio two workers / one: {two / one:.2f} ({one / two:.2f}x faster; ideal 0.50 on 2 free cores, "
          f"this machine's cores are shared); both workers busy: {results[2]['at_once'] >= 2}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
