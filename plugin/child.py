"""Run a :mod:`plugin.worker` job in a child process and stream its events, cooperatively.

Under the Dify SDK everything is gevent-patched: ``subprocess``, the reader thread and ``queue`` all yield to the
hub, so the heartbeat keeps beating while the child works. The caller gets each worker event as it comes, and a
``{"event": "tick"}`` whenever the child has been quiet for ``tick_s`` (so a tool can keep its stream alive).
A child still running at the deadline is killed with its whole process group.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the folder that holds plugin/, parsers/, storyboard/, render/


class ChildTimeout(Exception):
    """The job outlived its deadline and was stopped."""


def run_job(job: dict, *, deadline: float, tick_s: float = 10.0) -> Iterator[dict]:
    """Yield the events of ``job`` (see plugin.worker); ``deadline`` is a ``time.monotonic()`` instant."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "briefreel.plugin.worker"],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            proc.stdin.write(json.dumps(job).encode("utf-8"))
            proc.stdin.close()
            yield from _events(proc, deadline, tick_s)
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                _kill(proc)
            if proc.stdout:
                proc.stdout.close()


def _events(proc: subprocess.Popen, deadline: float, tick_s: float) -> Iterator[dict]:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for raw in proc.stdout:
            lines.put(raw)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    got_final = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(proc)
            raise ChildTimeout()
        try:
            raw = lines.get(timeout=min(tick_s, left))
        except queue.Empty:
            yield {"event": "tick"}
            continue
        if raw is None:
            break
        try:
            event = json.loads(raw)
        except ValueError:
            continue  # not an event line
        got_final = got_final or event.get("event") in ("result", "error")
        yield event
    if not got_final:
        code = proc.wait()
        yield {"event": "error", "code": "internal", "exit_code": 1,
               "message": f"the worker process ended without a result (exit status {code})"}


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
