"""No tool needs provider credentials (issue 12, item 1).

Dify treats a tool provider that declares any ``credentials_for_provider`` (even optional ones) as needing
authorization: until someone saves them, every tool of the provider fails with "No credential is configured for tool
provider" (Dify's ``need_credentials``: a non-empty credentials schema or an OAuth schema). So the provider declares
none, and the render service's URL and API key are ``form: form`` parameters of the two tools that use it, the key a
``secret-input`` (encrypted and masked by Dify).

The first test loads the packaged plugin with the SDK's own loader (``PluginRegistration``), checks what Dify would
check, validates an empty credentials dict with the provider class, and runs every tool with ``credentials={}``:
Brief to storyboard succeeds on the encrypted example. The second shows Render animatic and Animatic status take the
URL and key from their own parameters (a loopback stand-in for the render service records what they send), and
ignore provider credentials.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from briefreel.plugin.local_run import serve_files
from briefreel.plugin.package import build
from tests.test_plugin_tools import EXAMPLE, PASSWORD, run_tool, texts, variables

RENDER_TOOLS = ("render_animatic", "animatic_status")

# Runs in the staged package (its cwd), as the daemon starts it: the SDK's loader, then each tool with no credentials.
SCRIPT = r"""
import json, sys
from dify_plugin import DifyPluginEnv
from dify_plugin.core.plugin_registration import PluginRegistration
from dify_plugin.core.runtime import Session
from dify_plugin.entities.tool import ToolInvokeMessage, ToolRuntime

spec = json.loads(sys.stdin.read())
registration = PluginRegistration(DifyPluginEnv())
((provider, provider_cls, tools),) = registration.tools_mapping.values()
report = {
    "credentials_schema": [c.name for c in provider.credentials_schema],
    "oauth_schema": provider.oauth_schema is not None,
    "parameters": {name: {p.name: [p.type.value, p.form.value, bool(p.required)] for p in cfg.parameters}
                   for name, (cfg, _) in tools.items()},
}
provider_cls().validate_credentials({})  # what Dify would send: nothing
report["validated"] = True
report["runs"] = {}
for name, params in spec["runs"].items():
    tool = tools[name][1](runtime=ToolRuntime(credentials={}, user_id="u", session_id=None),
                          session=Session.empty_session())
    messages = list(tool.invoke(params))
    report["runs"][name] = {
        "variables": {m.message.variable_name: m.message.variable_value for m in messages
                      if m.type == ToolInvokeMessage.MessageType.VARIABLE and m.message.variable_name != "storyboard"},
        "json": sum(1 for m in messages if m.type == ToolInvokeMessage.MessageType.JSON),
    }
print(json.dumps(report))
"""


def test_provider_needs_no_credentials_and_every_tool_runs_without_them(tmp_path):
    stage = tmp_path / "stage"
    build(tmp_path / "dist", stage=stage)
    served, files = serve_files({"brief": str(EXAMPLE)})  # a signed-looking loopback URL, as Dify hands files over
    runs = {"brief_to_storyboard": {**served, "password": PASSWORD, "planner": "rules", "renderer": "none"},
            "render_animatic": {"shots": json.dumps({"shots": []})},
            "animatic_status": {"job_id": "job-1"}}
    try:
        proc = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps({"runs": runs}), cwd=stage,
                              capture_output=True, text=True, timeout=300)
    finally:
        files.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    # Dify's need_credentials is false: no credential schema, no OAuth; and the provider accepts an empty dict
    assert report["credentials_schema"] == [] and report["oauth_schema"] is False and report["validated"]

    # the render tools carry the service's URL and key as settings (form), the key a secret Dify encrypts and masks
    for name in RENDER_TOOLS:
        params = report["parameters"][name]
        assert params["render_service_url"] == ["string", "form", True], name
        assert params["render_service_api_key"] == ["secret-input", "form", False], name
    # Brief to storyboard needs the service only for renderer=wan: there the pair is optional, never required
    b2s = report["parameters"]["brief_to_storyboard"]
    assert b2s["render_service_url"] == ["string", "form", False]
    assert b2s["render_service_api_key"] == ["secret-input", "form", False]

    # Brief to storyboard runs to the end with credentials={}
    done = report["runs"]["brief_to_storyboard"]
    assert done["variables"]["ok"] is True and done["variables"]["error_code"] == "", done
    assert done["variables"]["shot_count"] >= 3 and done["json"] == 1

    # the render tools run too, and say the service is one of their own settings (not the provider's authorization)
    for name in RENDER_TOOLS:
        v = report["runs"][name]["variables"]
        assert v["ok"] is False and v["error_code"] == "service_not_configured", (name, v)
        assert "this tool's" in v["error"] and "Render service URL" in v["error"]
        assert "authoriz" not in v["error"].lower() and "credential" not in v["error"].lower()
    assert PASSWORD not in proc.stdout + proc.stderr


class _RenderService:
    """A loopback stand-in for the render service that records every request (method, path, Authorization)."""

    def __init__(self):
        self.requests: list[tuple[str, str, str | None]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: dict, status: int = 200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                recorder.requests.append((self.command, self.path, self.headers.get("Authorization")))

            def do_POST(self):  # noqa: N802 - a submitted job, queued
                self._record()
                self._answer({"id": "job-1", "status": "queued", "progress": {"shots_done": 0, "shots_total": 2,
                                                                              "fraction": 0.0}}, 202)

            def do_GET(self):  # noqa: N802 - the job, still running
                self._record()
                self._answer({"id": "job-1", "status": "running", "progress": {"shots_done": 1, "shots_total": 2,
                                                                               "fraction": 0.5}})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


def test_render_tools_read_the_service_url_and_key_from_their_own_parameters(tmp_path):
    key = "k-7f3e-render"
    svc = _RenderService()
    shots = json.dumps({"title": "Harbour", "shots": [{"id": "S01", "size": "MS", "duration_s": 1.0,
                                                      "description": "the harbour at dawn"}]})
    try:
        where = {"render_service_url": svc.url, "render_service_api_key": key}
        lines, raw = run_tool({"tool": "render_animatic", "credentials": {},
                               "parameters": {**where, "shots": shots, "renderer": "panel", "wait_s": 0}}, tmp_path)
        v = variables(lines)
        assert v["ok"] is True and v["job_id"] == "job-1" and v["status"] == "queued" and v["done"] is False, v
        assert svc.requests == [("POST", "/v1/jobs", f"Bearer {key}")]
        assert key not in raw and "job-1" in texts(lines)

        lines, raw = run_tool({"tool": "animatic_status", "parameters": {**where, "job_id": "job-1"}},
                              tmp_path / "status")
        v = variables(lines)
        assert v["status"] == "running" and v["progress"] == 0.5 and key not in raw
        assert svc.requests[-1] == ("GET", "/v1/jobs/job-1", f"Bearer {key}")

        # an anonymous service: no key, no Authorization header
        run_tool({"tool": "animatic_status", "parameters": {"render_service_url": svc.url, "job_id": "job-1"}},
                 tmp_path / "anonymous")
        assert svc.requests[-1] == ("GET", "/v1/jobs/job-1", None)

        # provider credentials (where an older version kept them) are not read: nothing is sent
        sent = len(svc.requests)
        for tool, params in (("render_animatic", {"shots": shots}), ("animatic_status", {"job_id": "job-1"})):
            lines, raw = run_tool({"tool": tool, "credentials": where, "parameters": params}, tmp_path / tool)
            assert variables(lines)["error_code"] == "service_not_configured" and key not in raw
        assert len(svc.requests) == sent
    finally:
        svc.close()
