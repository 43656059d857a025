"""Issue 13, orphans: a render's worker processes and the sandboxed children die with their parent, even when the
parent is killed with SIGKILL (nothing of its process tree is left, walked in /proc by session)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from briefreel import child

ROOT = Path(__file__).resolve().parent.parent


def session_members(sid: int) -> dict[int, str]:
    """Live processes (zombies excluded) whose session id is ``sid``: pid -> command line."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()  # state ppid pgrp session ...
        if fields[0] != b"Z" and int(fields[3]) == sid:
            found[int(entry)] = cmdline
    return found


def _gone(sid: int, timeout: float) -> dict[int, str]:
    """Wait up to ``timeout`` s for session ``sid`` to empty; returns what is still there."""
    end = time.monotonic() + timeout
    left = session_members(sid)
    while left and time.monotonic() < end:
        time.sleep(0.1)
        left = session_members(sid)
    return left


def _board(n: int = 4, seconds: float = 8.0) -> dict:
    return {"schema_version": 1, "title": "Orphans", "language": "en", "aspect_ratio": "16:9",
            "shots": [{"id": f"S{i + 1:02d}", "size": "LS", "movement": "push_in", "duration_s": seconds,
                       "description": f"A harbour at dawn, boat {i + 1}."} for i in range(n)]}


def test_kill_9_of_a_cli_render_leaves_no_process_behind(tmp_path):
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps(_board()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    env.update(BRIEFREEL_WORKERS="2", BRIEFREEL_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "briefreel.cli", "render", str(shots), "--out",
                             str(tmp_path / "out")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    sid = proc.pid
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end:  # mid-render: the workers are encoding (an ffmpeg of the session is up)
            members = session_members(sid)
            if sum("ffmpeg" in c for c in members.values()) >= 2:
                break
            assert proc.poll() is None, "the render ended before it could be killed"
            time.sleep(0.05)
        else:
            raise AssertionError("the render never started its workers")
        before = session_members(sid)
        assert sum("forkserver" in c for c in before.values()) >= 3  # the fork server and its 2 workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        left = _gone(sid, 5.0)
        assert not left, f"left behind after kill -9 (of {len(before)} processes): {left}"
    finally:
        for pid in session_members(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_kill_9_of_a_parent_ends_its_sandboxed_child_and_grandchild(tmp_path):
    """A parent holding a briefreel.child child (which has a grandchild in its group) is killed: both go."""
    script = (
        "import sys, time\n"
        "from briefreel import child\n"
        "for event in child.stream('tests.support.child_probe', {'do': 'linger', 'password': 'x'}, timeout=120):\n"
        "    print(event, flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    first = proc.stdout.readline().decode()  # the child's progress event: child and grandchild are up
    assert "pid" in first, first
    event = eval(first)  # a dict printed by the parent  # noqa: S307 - our own test output
    child_pid, grandchild_pid = event["me"], event["pid"]
    child_sid = os.getsid(child_pid)  # the child leads its own session (start_new_session)
    assert child_sid == child_pid and os.getsid(grandchild_pid) == child_sid
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    try:
        left = _gone(child_sid, 5.0)
        assert not left, f"left behind after kill -9 of the parent: {left}"
    finally:
        for pid in session_members(child_sid):
            os.kill(pid, signal.SIGKILL)


def test_a_child_runs_as_before_while_its_parent_lives():
    final = child.run("tests.support.child_probe", {"do": "echo", "steps": 2}, timeout=30)
    assert final["event"] == "result" and final["request"]["do"] == "echo"
