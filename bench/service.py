"""Render service overhead: jobs per minute and added latency over a direct ``briefreel run``, for 1, 2 and 4
concurrent jobs, with the baseline measured in the same run.

    .venv/bin/python bench/service.py [--jobs 1,2,4] [--repeat 1] [--brief examples/brief_en.pdf] [--concurrency 1]

For each N, interleaved:

* direct: N ``briefreel run BRIEF --out DIR -q`` processes started together (password in BRIEFREEL_PASSWORD, a
  fresh cache each), wall clock from start to each one's exit;
* service: one embedded ``briefreel serve`` (fresh data folder, ``--concurrency`` jobs at once), N jobs submitted
  together over HTTP (the same brief and password), latency from POST to status ``done``.

Every job gets its own base seed, so no job can reuse another's shots from the cache. Printed: mean latency per
job, jobs per minute (N / wall time of the batch), and the service / direct ratios. The service renders each job's
shots one after another (that is how it reports progress and stops between shots on a cancel); a direct run
renders panel shots in parallel processes. With ``--repeat R`` each figure is the median of R interleaved rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BRIEFREEL = str(Path(sys.executable).with_name("briefreel"))
KEY = "bench-key"
PASSWORDS = {"brief_en.pdf": "reel-2026", "brief_zh.pdf": "分镜2026"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def direct(n: int, brief: Path, password: str, work: Path, seed0: int) -> tuple[float, list[float]]:
    procs, t0 = [], time.perf_counter()
    for i in range(n):
        env = os.environ | {"BRIEFREEL_PASSWORD": password, "BRIEFREEL_CACHE_DIR": str(work / f"cache-d{seed0 + i}")}
        procs.append(subprocess.Popen([BRIEFREEL, "run", str(brief), "--out", str(work / f"direct-{seed0 + i}"),
                                       "--seed", str(seed0 + i), "-q"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    ends = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"briefreel run failed: {err.decode(errors='replace')}")
        ends.append(time.perf_counter() - t0)
    return time.perf_counter() - t0, ends


def service(client: httpx.Client, n: int, brief: Path, password: str, seed0: int) -> tuple[float, list[float]]:
    pdf = brief.read_bytes()
    lat: list[float] = [0.0] * n
    t0 = time.perf_counter()

    def one(i: int) -> None:
        start = time.perf_counter()
        r = client.post("/v1/jobs", headers={"Authorization": f"Bearer {KEY}"},
                        data={"password": password, "seed": str(seed0 + i)},
                        files={"brief": (brief.name, pdf, "application/pdf")})
        r.raise_for_status()
        job_id = r.json()["id"]
        while True:
            r = client.get(f"/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {KEY}"})
            r.raise_for_status()
            job = r.json()
            if job["status"] in ("done", "failed", "cancelled"):
                if job["status"] != "done":
                    raise SystemExit(f"service job {job['status']}: {job['error']}")
                lat[i] = time.perf_counter() - start
                return
            time.sleep(0.25)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, lat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", default="1,2,4", help="concurrent jobs per round (default: 1,2,4)")
    ap.add_argument("--brief", default=str(ROOT / "examples" / "brief_en.pdf"))
    ap.add_argument("--concurrency", type=int, default=1, help="jobs the service renders at once (default: 1)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds per N; medians are printed (default: 1)")
    args = ap.parse_args()
    brief = Path(args.brief)
    password = os.environ.get("BRIEFREEL_PASSWORD") or PASSWORDS.get(brief.name, "")
    counts = [int(x) for x in args.jobs.split(",")]

    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    port = free_port()
    env = os.environ | {"BRIEFREEL_API_KEY": KEY, "BRIEFREEL_DATA_DIR": str(work / "service"),
                        "BRIEFREEL_SUBMIT_LIMIT": "100000", "BRIEFREEL_RATE_LIMIT": "100000"}
    env.pop("BRIEFREEL_BROKER", None)
    server = subprocess.Popen([BRIEFREEL, "serve", "--port", str(port), "--concurrency", str(args.concurrency),
                               "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                              stderr=(work / "serve.log").open("wb"))
    rows = []
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        for _ in range(100):
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        print(f"brief: {brief.name}; cpu cores: {len(os.sched_getaffinity(0))}; service concurrency: "
              f"{args.concurrency} (embedded mode)", flush=True)
        seed = 1000
        for n in counts:
            rounds = []
            for _ in range(max(1, args.repeat)):
                d_wall, d_lat = direct(n, brief, password, work, seed)
                seed += n
                s_wall, s_lat = service(client, n, brief, password, seed)
                seed += n
                rounds.append((d_wall, statistics.mean(d_lat), s_wall, statistics.mean(s_lat)))
                print(f"  N={n}: direct {d_wall:.1f} s, service {s_wall:.1f} s", flush=True)
            rows.append((n, *(statistics.median(r[i] for r in rounds) for i in range(4))))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("| concurrent jobs | direct latency s | service latency s | added latency s | ratio "
          "| direct jobs/min | service jobs/min | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for n, d_wall, d_lat, s_wall, s_lat in rows:
        d_jpm, s_jpm = 60 * n / d_wall, 60 * n / s_wall
        print(f"| {n} | {d_lat:.1f} | {s_lat:.1f} | {s_lat - d_lat:+.1f} | {s_lat / d_lat:.2f} "
              f"| {d_jpm:.1f} | {s_jpm:.1f} | {s_jpm / d_jpm:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
