"""The plugin as a new user gets it, end to end: ``make plugin``'s .difypkg unpacked, its requirements.txt (the
exact pins of plugin/requirements.lock) installed with pip into a Python 3.12 venv of its own (``plugin_venv``:
built once per lock and kept under .cache/plugin-venv/, since a venv build is slow), the plugin started with the SDK's serverless entry
(``INSTALL_METHOD=serverless python -m main``) on loopback, the brief served from a loopback HTTP server as
Dify's signed file URLs are, and ``invoke_tool`` POSTed as the daemon does; the JSON, the variables and the files
are read back from the stream (blob chunks reassembled as Dify's chunk merger does)."""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from briefreel.plugin.local_run import serve_files
from tests.test_plugin_tools import EXAMPLE, PASSWORD, frames

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def python312() -> str:
    """A Python 3.12 to make the venv with: the one under this test run, else pyenv's, else python3.12 on PATH."""
    if sys.version_info[:2] == (3, 12):
        return getattr(sys, "_base_executable", None) or sys.executable
    for found in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")), reverse=True):
        return found
    found = shutil.which("python3.12")
    assert found, "the Dify SDK needs Python 3.12"
    return found


def plugin_venv(requirements_txt: str) -> Path:
    """A Python 3.12 venv holding exactly ``requirements_txt`` (the package's own file), built with pip and kept
    under .cache/plugin-venv/<sha256 of the file>/ for the next run; ``.complete`` marks a finished build."""
    key = hashlib.sha256(requirements_txt.encode("utf-8")).hexdigest()[:16]
    venv = ROOT / ".cache" / "plugin-venv" / key
    if (venv / ".complete").is_file() and (venv / "bin" / "python").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python312(), "-m", "venv", str(venv)], check=True, timeout=300)
    reqs = venv / "requirements.txt"
    reqs.write_text(requirements_txt, encoding="utf-8")
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(reqs)],
                         capture_output=True, text=True, timeout=1800)
    assert pip.returncode == 0, pip.stderr[-3000:]
    (venv / ".complete").write_text(key)
    return venv


def unpacked_plugin(tmp: Path) -> tuple[Path, Path]:
    """``make plugin``'s .difypkg built into ``tmp/dist`` and extracted to ``tmp/plugin`` (as the daemon's ExtractTo
    does), and the venv its requirements.txt makes."""
    built = subprocess.run([sys.executable, "-m", "briefreel.plugin.package", "--out", str(tmp / "dist")], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (pkg,) = (tmp / "dist").glob("briefreel-*.difypkg")
    assert pkg.stat().st_size < 50 * 1024 * 1024
    with zipfile.ZipFile(pkg) as zf:
        zf.extractall(tmp / "plugin")
    return tmp / "plugin", plugin_venv((tmp / "plugin" / "requirements.txt").read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkspaceModel:
    """Dify's side of reverse invocation, on loopback: POST /backwards-invocation/transaction, answered as the
    daemon streams a model's reply. The "model" sends back the rules draft it is shown, with the first shot's
    angle changed to high, so a test can see its answer went through validation into the storyboard."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        model = self
        self.requests: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                invoke = body["data"]["data"]
                model.requests.append(invoke)
                user = [m for m in invoke["request"]["prompt_messages"] if m["role"] == "user"][0]["content"]
                draft = json.loads(user.split("The rules planner's draft for this part:\n", 1)[1]
                                   .split("\n\nThe brief", 1)[0])
                draft["shots"][0]["angle"] = "high"
                chunk = {"model": invoke["request"]["model"], "prompt_messages": [],
                         "delta": {"index": 0, "message": {"role": "assistant", "content": json.dumps(draft)}},
                         "structured_output": draft}
                sid = body["session_id"]
                lines = [{"backwards_request_id": invoke["backwards_request_id"], "event": e, "message": "",
                          "data": d} for e, d in (("response", chunk), ("end", None))]
                out = "".join(json.dumps({"session_id": sid, "event": "backwards_response", "data": line}) + "\n"
                              for line in lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        import threading

        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def workspace_model():
    model = WorkspaceModel()
    yield model
    model.server.shutdown()


@pytest.fixture(scope="module")
def plugin_url(tmp_path_factory, workspace_model):
    tmp = tmp_path_factory.mktemp("difypkg")
    plugin_dir, venv = unpacked_plugin(tmp)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(tmp)),
           "INSTALL_METHOD": "serverless", "SERVERLESS_HOST": "127.0.0.1", "SERVERLESS_PORT": str(port),
           "SERVERLESS_WORKERS": "1", "DIFY_PLUGIN_DAEMON_URL": workspace_model.url}
    log = open(tmp / "plugin.log", "wb")
    proc = subprocess.Popen([str(venv / "bin" / "python"), "-m", "main"], cwd=plugin_dir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp / "plugin.log").read_text()[-3000:]
        try:
            if httpx.get(f"{url}/health", timeout=2).text == "OK":
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the plugin did not start serving"
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    log.close()


def invoke(url: str, tool: str, parameters: dict, files: dict | None = None) -> tuple[list[dict], bytes]:
    """POST invoke_tool as the daemon does; the stream's messages (blobs reassembled) and its raw bytes."""
    server = None
    if files:
        served, server = serve_files(files)
        parameters = {**parameters, **served}
    body = {"event": "request", "session_id": f"s-{time.monotonic_ns()}",
            "data": {"type": "tool", "action": "invoke_tool", "user_id": "e2e-user", "provider": "briefreel",
                     "tool": tool, "credentials": {}, "tool_parameters": parameters}}
    raw = b""
    try:
        with httpx.stream("POST", f"{url}/invoke", json=body, timeout=httpx.Timeout(600, connect=10)) as r:
            assert r.status_code == 200
            for chunk in r.iter_bytes():
                raw += chunk
    finally:
        if server is not None:
            server.shutdown()
    datas = [json.loads(line)["data"] for line in raw.decode("utf-8").splitlines() if line.strip()]
    return collect_messages(datas), raw


def collect_messages(datas) -> list[dict]:
    """The tool's messages from a session's ``data`` objects ({"type": "stream" | "end" | "error", "data": ...}),
    blob chunks reassembled as Dify's merge_blob_chunks does; an error raises."""
    messages, blobs = [], {}
    for data in datas:
        if data["type"] == "error":
            raise AssertionError(f"the plugin raised: {data}")
        if data["type"] != "stream":
            continue
        msg = data["data"]
        if msg["type"] == "blob_chunk":  # Dify's merge_blob_chunks: in sequence, up to end
            part = msg["message"]
            entry = blobs.setdefault(part["id"], {"chunks": {}, "meta": msg["meta"], "total": part["total_length"]})
            if not part["end"]:
                entry["chunks"][part["sequence"]] = base64.b64decode(part["blob"])
            else:
                data_ = b"".join(entry["chunks"][i] for i in sorted(entry["chunks"]))
                assert len(data_) == entry["total"]
                messages.append({"type": "blob", "meta": entry["meta"], "data": data_})
        else:
            messages.append(msg)
    return messages


def sample_workflow_call(inputs: dict, env: dict | None = None) -> tuple[str, dict, dict]:
    """The tool call of examples/dify_workflow.yml with the Start node's ``inputs`` and the workflow's environment
    variables ``env``, resolved as Dify resolves it: settings (tool_configurations) as constants, node inputs
    (tool_parameters) from the Start variables or the environment variables."""
    import yaml

    dsl = yaml.safe_load((ROOT / "examples" / "dify_workflow.yml").read_text(encoding="utf-8"))
    nodes = {n["data"]["type"]: n for n in dsl["workflow"]["graph"]["nodes"]}
    start_id, tool = nodes["start"]["id"], nodes["tool"]["data"]
    params = {name: cfg["value"] for name, cfg in tool["tool_configurations"].items()}
    files = {}
    for name, given in tool["tool_parameters"].items():
        if given["type"] == "variable":
            assert given["value"][0] == start_id
            files[name] = inputs[given["value"][1]]  # a file variable: served from loopback below
        else:  # mixed: '{{#<start id>.var#}}' or '{{#env.NAME#}}'
            node, ref = given["value"].removeprefix("{{#").removesuffix("#}}").split(".", 1)
            declared = {v["name"] for v in dsl["workflow"]["environment_variables"]}
            if node == "env":
                assert ref in declared
                params[name] = (env or {})[ref]
            else:
                assert node == start_id
                params[name] = inputs[ref]
    return tool["tool_name"], params, files


def test_serverless_plugin_runs_the_sample_workflows_tool_call(plugin_url, tmp_path):
    tool, params, files = sample_workflow_call({"brief": str(EXAMPLE)}, env={"BRIEF_PASSWORD": PASSWORD})
    assert tool == "brief_to_storyboard" and params["password"] == PASSWORD and params["renderer"] == "panel"
    messages, raw = invoke(plugin_url, tool, params, files=files)
    variables = {m["message"]["variable_name"]: m["message"]["variable_value"]
                 for m in messages if m["type"] == "variable"}
    assert variables["ok"] is True, variables
    (board,) = [m["message"]["json_object"] for m in messages if m["type"] == "json"]
    assert variables["shot_count"] == len(board["shots"]) >= 3
    blobs = {m["meta"]["filename"]: m for m in messages if m["type"] == "blob"}
    assert {b["meta"]["mime_type"] for b in blobs.values()} == {"video/mp4", "application/pdf"}
    mp4 = tmp_path / "animatic.mp4"
    mp4.write_bytes(blobs["animatic.mp4"]["data"])
    expected = round(sum(s["duration_s"] for s in board["shots"]) * 24)
    assert frames(mp4) == expected == variables["animatic_frames"]
    assert blobs["storyboard.pdf"]["data"][:5] == b"%PDF-"
    for line in raw.splitlines():  # every non-file message under the daemon's 5 MiB line limit
        assert len(line) < 5 * 1024 * 1024
    assert PASSWORD.encode() not in raw
    for blob in blobs.values():
        assert PASSWORD.encode() not in blob["data"]
    # every output_schema property the workflow can use was emitted
    import yaml

    declared = yaml.safe_load((ROOT / "plugin/tools/brief_to_storyboard.yaml").read_text())["output_schema"]
    assert set(declared["properties"]) <= set(variables)


def test_serverless_wrong_password_is_a_clear_output(plugin_url):
    messages, raw = invoke(plugin_url, "brief_to_storyboard", {"password": "reel-2025"},
                           files={"brief": str(EXAMPLE)})
    variables = {m["message"]["variable_name"]: m["message"]["variable_value"]
                 for m in messages if m["type"] == "variable"}
    assert variables["ok"] is False and variables["error_code"] == "wrong_password"
    assert b"reel-2025" not in raw and b"Traceback" not in raw and b'"type": "error"' not in raw


def test_llm_planner_uses_the_workspace_model_through_reverse_invocation(plugin_url, workspace_model):
    selected = {"provider": "langgenius/openai/openai", "model": "gpt-4o-mini", "mode": "chat",
                "completion_params": {"temperature": 0.3}, "model_type": "llm"}
    messages, raw = invoke(plugin_url, "brief_to_storyboard",
                           {"password": PASSWORD, "planner": "llm", "model": selected, "renderer": "none"},
                           files={"brief": str(EXAMPLE)})
    variables = {m["message"]["variable_name"]: m["message"]["variable_value"]
                 for m in messages if m["type"] == "variable"}
    assert variables["ok"] is True and variables["planner"] == "llm", variables
    (board,) = [m["message"]["json_object"] for m in messages if m["type"] == "json"]
    assert board["shots"][0]["angle"] == "high"  # the model's answer, validated, is the storyboard
    assert board["source"]["model"] == "gpt-4o-mini"
    assert not [m for m in messages if m["type"] == "blob"]  # renderer none: the shot list only
    (call,) = workspace_model.requests
    assert call["type"] == "llm_structured_output"
    request = call["request"]
    assert (request["provider"], request["model"], request["mode"]) == ("langgenius/openai/openai", "gpt-4o-mini",
                                                                        "chat")
    assert request["completion_params"] == {"temperature": 0.3} and request["stream"] is False
    schema = request["structured_output_schema"]
    assert schema["type"] == "object" and "$ref" not in json.dumps(schema)
    assert [m["role"] for m in request["prompt_messages"]] == ["system", "user"]
    assert PASSWORD.encode() not in raw and PASSWORD not in json.dumps(workspace_model.requests)
