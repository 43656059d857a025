"""The packaged plugin run exactly as the Dify plugin daemon's local runtime runs it: ``make plugin``'s .difypkg
extracted, its requirements.txt installed into a Python 3.12 venv (tests/test_plugin_e2e.py's ``plugin_venv``, shared
and cached), ``python -m main`` started in the package folder with ``INSTALL_METHOD=local``, requests written to its
stdin as JSON lines, and the session's messages read back from its stdout. The brief is served over loopback HTTP
under a signed-looking /files/<id>/file-preview URL, as Dify serves uploads to plugins.

What the daemon does, from langgenius/dify-plugin-daemon @ bdb5642a:
  internal/core/local_runtime/subprocess.go  getInstanceCmd: exec.Command(<venv python>, "-m", runner.entrypoint),
                                             cmd.Dir = the extracted package, env = the daemon's own environment +
                                             INSTALL_METHOD=local + PATH
  internal/core/session_manager/session.go   Message: {"session_id", "conversation_id", "message_id", "app_id",
                                             "endpoint_id", "context", "event": "request", "data": <request>}
  internal/core/io_tunnel/mapping.go         GetInvokePluginMap: the request is {"user_id", "type": "tool",
                                             "action": "invoke_tool"} + RequestInvokeTool (pkg/entities/requests/
                                             tool.go: "provider", "tool", "tool_parameters", "credentials")
  internal/core/local_runtime/io.go          Write: the message plus "\n" on the plugin's stdin

Covered here: a right password and a wrong one, in one plugin process (the daemon keeps an instance for many
sessions). The LLM planner through reverse invocation and a render through the render service are covered over the
serverless protocol in tests/test_plugin_e2e.py and tests/test_plugin_service.py; over stdio they are still to do.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest

from briefreel.plugin.local_run import serve_files
from tests.test_plugin_e2e import collect_messages, unpacked_plugin
from tests.test_plugin_tools import EXAMPLE, PASSWORD, frames

pytestmark = pytest.mark.slow
WRONG = "reel-2025"


class LocalRuntime:
    """One plugin instance, started and fed as the daemon's local runtime does."""

    def __init__(self, plugin_dir: Path, venv: Path, log: Path):
        # the daemon's container environment is its own; a minimal one here, plus what getInstanceCmd appends
        env = {"HOME": os.environ.get("HOME", str(plugin_dir)), "LANG": "C.UTF-8",
               "INSTALL_METHOD": "local", "PATH": os.environ.get("PATH", "")}
        self.stderr = open(log, "wb")
        self.proc = subprocess.Popen([str(venv / "bin" / "python"), "-m", "main"], cwd=plugin_dir, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     start_new_session=True)
        self.raw = bytearray()
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.raw.extend(line)
            self.lines.put(line)
        self.lines.put(None)

    def invoke_tool(self, session_id: str, tool: str, parameters: dict, timeout: float = 400) -> list[dict]:
        message = {"session_id": session_id, "conversation_id": None, "message_id": None, "app_id": None,
                   "endpoint_id": None, "context": {}, "event": "request",
                   "data": {"user_id": "runtime-user", "type": "tool", "action": "invoke_tool",
                            "provider": "briefreel", "tool": tool, "tool_parameters": parameters,
                            "credentials": {}}}
        self.proc.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        datas, deadline = [], time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(1.0, deadline - time.monotonic()))
            assert line is not None, "the plugin exited"
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the SDK prints its declaration over several lines at start-up
            if not isinstance(event, dict) or event.get("session_id") != session_id:
                continue  # heartbeats, the declaration, other sessions
            assert event.get("event") == "session", event
            datas.append(event["data"])
            if event["data"]["type"] in ("end", "error"):
                return collect_messages(datas)
            assert time.monotonic() < deadline, "no end of session"

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.stderr.close()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local-runtime")
    plugin_dir, venv = unpacked_plugin(tmp)
    rt = LocalRuntime(plugin_dir, venv, tmp / "stderr.log")
    rt.log = tmp / "stderr.log"
    yield rt
    rt.close()


def variables_of(messages: list[dict]) -> dict:
    return {m["message"]["variable_name"]: m["message"]["variable_value"] for m in messages if m["type"] == "variable"}


def test_the_packaged_plugin_storyboards_an_encrypted_brief_over_stdio(runtime, tmp_path):
    served, server = serve_files({"brief": str(EXAMPLE)})
    try:
        messages = runtime.invoke_tool("rt-right", "brief_to_storyboard", {"password": PASSWORD, **served})
    finally:
        server.shutdown()
    variables = variables_of(messages)
    assert variables["ok"] is True and variables["error_code"] in ("", None), variables
    (board,) = [m["message"]["json_object"] for m in messages if m["type"] == "json"]
    assert variables["shot_count"] == len(board["shots"]) >= 3
    blobs = {m["meta"]["filename"]: m for m in messages if m["type"] == "blob"}
    assert {b["meta"]["mime_type"] for b in blobs.values()} == {"video/mp4", "application/pdf"}
    mp4 = tmp_path / "animatic.mp4"
    mp4.write_bytes(blobs["animatic.mp4"]["data"])
    assert frames(mp4) == round(sum(s["duration_s"] for s in board["shots"]) * 24) == variables["animatic_frames"]
    assert blobs["storyboard.pdf"]["data"][:5] == b"%PDF-"
    for line in bytes(runtime.raw).splitlines():  # the daemon's bufio.Scanner limit (PLUGIN_STDIO_MAX_BUFFER_SIZE)
        assert len(line) < 5 * 1024 * 1024
    assert PASSWORD.encode() not in bytes(runtime.raw)
    assert PASSWORD.encode() not in runtime.log.read_bytes()  # the daemon logs the plugin's stderr


def test_a_wrong_password_is_a_clear_output_over_stdio(runtime):
    served, server = serve_files({"brief": str(EXAMPLE)})
    try:
        messages = runtime.invoke_tool("rt-wrong", "brief_to_storyboard", {"password": WRONG, **served})
    finally:
        server.shutdown()
    variables = variables_of(messages)
    assert variables["ok"] is False and variables["error_code"] == "wrong_password", variables
    assert variables["error"] and "password" in variables["error"].lower()
    assert not [m for m in messages if m["type"] == "blob"]
    raw = bytes(runtime.raw)
    assert WRONG.encode() not in raw and b"Traceback" not in raw
    assert WRONG.encode() not in runtime.log.read_bytes()
    assert runtime.proc.poll() is None  # the instance stays up for the next session
