"""The plugin as the daemon runs it on a self-hosted Dify (INSTALL_METHOD=local: requests on stdin, messages and
heartbeats on stdout): the SDK's heartbeat keeps beating while a brief is decrypted, planned and rendered, because
the heavy work runs in a child process. The daemon kills a plugin after 120 s without activity; here the heartbeat
interval is 1 s and no gap may exceed 5 s."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest

from briefreel.plugin.local_run import serve_files
from briefreel.plugin.package import build
from tests.test_plugin_tools import EXAMPLE, PASSWORD

pytestmark = pytest.mark.slow


def test_heartbeats_keep_coming_while_the_tool_renders(tmp_path):
    build(tmp_path / "dist", stage=tmp_path / "stage")
    env = {**os.environ, "INSTALL_METHOD": "local", "HEARTBEAT_INTERVAL": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "main"], cwd=tmp_path / "stage", env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put((time.monotonic(), raw)) for raw in proc.stdout], daemon=True).start()
    served, server = serve_files({"brief": str(EXAMPLE)})
    try:
        request = {"session_id": "hb-1", "event": "request",
                   "data": {"type": "tool", "action": "invoke_tool", "user_id": "u", "provider": "briefreel",
                            "tool": "brief_to_storyboard", "credentials": {},
                            "tool_parameters": {"password": PASSWORD, **served}}}
        time.sleep(2)  # let it register and start beating
        sent = time.monotonic()
        proc.stdin.write((json.dumps(request) + "\n").encode())
        proc.stdin.flush()
        beats, kinds, ended = [], [], None
        deadline = sent + 300
        while ended is None:
            at, raw = lines.get(timeout=max(1, deadline - time.monotonic()))
            try:
                event = json.loads(raw)
            except ValueError:
                continue  # the manifest declaration spans lines
            if event.get("event") == "heartbeat":
                beats.append(at)
            elif event.get("session_id") == "hb-1":
                kind = event["data"]["type"]
                kinds.append(event["data"]["data"]["type"] if kind == "stream" else kind)
                if kind == "end":
                    ended = at
    finally:
        server.shutdown()
        proc.kill()
        proc.wait(10)
    assert "error" not in kinds and {"json", "blob_chunk", "variable", "text"} <= set(kinds)
    assert ended - sent > 5  # a real render happened
    during = [sent] + [b for b in beats if sent <= b <= ended] + [ended]
    gaps = [b - a for a, b in zip(during, during[1:])]
    assert max(gaps) < 5, f"heartbeat starved for {max(gaps):.1f} s"
    assert len(during) - 2 >= (ended - sent) / 2  # about one a second
