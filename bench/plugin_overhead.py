"""What the Dify plugin costs on top of the command line: Brief to storyboard / ``briefreel run``, same run.

    .venv/bin/python bench/plugin_overhead.py                 # examples/brief_en.pdf, 3 interleaved repeats
    .venv/bin/python bench/plugin_overhead.py --repeats 5 --brief tests/fixtures/pdf/en_ruled_table_coffee.pdf

Ours: the tool built and invoked through the Dify SDK's own classes (``python -m briefreel.plugin.local_run``): the SDK import
and gevent patching, the brief downloaded from a loopback file server as Dify serves it, the child worker (parse,
rules plan, panel render, exports), the JSON, variable and blob messages (files read back into memory), all
printed as the daemon would receive them. Baseline: ``briefreel run BRIEF --out DIR --no-cache -q`` doing the same
decrypt, plan, render and exports. Both start a fresh Python, so start-up is on both sides. Runs are interleaved
and the median is reported; wall time and CPU time (the process and every child it waited for) are printed, CPU
time being the steadier figure on a shared machine. Goal: ratio <= 1.15 (a few seconds of SDK start-up on a 20 s
job).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], stdin: str | None = None, env: dict | None = None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr[-1500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brief", default=str(ROOT / "examples" / "brief_en.pdf"))
    ap.add_argument("--password", default="reel-2026")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    briefreel = str(Path(sys.executable).with_name("briefreel"))
    ours, base = [], []
    with tempfile.TemporaryDirectory() as tmp:
        spec = json.dumps({"tool": "brief_to_storyboard", "files": {"brief": args.brief}, "out": f"{tmp}/plugin",
                           "parameters": {"password": args.password, "planner": "rules", "renderer": "panel",
                                          "max_file_mb": 200}})
        env = dict(os.environ, BRIEFREEL_PASSWORD=args.password)
        for i in range(args.repeats):
            ours.append(timed([sys.executable, "-m", "briefreel.plugin.local_run"], stdin=spec))
            base.append(timed([briefreel, "run", args.brief, "--out", f"{tmp}/cli{i}", "--no-cache", "-q"], env=env))
            print(f"  run {i + 1}: plugin {ours[-1][0]:.2f} s wall / {ours[-1][1]:.2f} s cpu; "
                  f"cli {base[-1][0]:.2f} s wall / {base[-1][1]:.2f} s cpu", file=sys.stderr)
    for label, k in (("wall", 0), ("cpu", 1)):
        o, b = statistics.median(x[k] for x in ours), statistics.median(x[k] for x in base)
        print(f"{label}: plugin {o:.2f} s, briefreel run {b:.2f} s, ratio {o / b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
