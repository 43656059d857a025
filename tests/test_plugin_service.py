"""Render animatic and Animatic status against the real render service (briefreel/service: FastAPI under uvicorn on
loopback, embedded queue, real panel renders), through the SDK's classes. The service's URL and key are the tools'
own parameters (the provider declares no credentials: tests/test_plugin_credentials.py)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from briefreel.service.app import create_app
from briefreel.service.settings import Settings
from tests.test_plugin_tools import EXAMPLE, frames, run_tool, texts, variables

KEY = "plugin-test-key"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path_factory.mktemp("svc") / "data", workers=1,
                        poll_interval=0.2)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the render service did not start"
        time.sleep(0.05)
    # the render tools' own settings (tool parameters), merged into each call's parameters
    yield {"render_service_url": f"http://127.0.0.1:{port}", "render_service_api_key": KEY}
    server.should_exit = True
    thread.join(30)


def board(n: int = 2, duration: float = 0.5) -> dict:
    return {"title": "Harbour", "language": "en", "aspect_ratio": "16:9",
            "shots": [{"id": f"S{i + 1:02d}", "size": "MS", "movement": "push_in", "duration_s": duration,
                       "description": f"Shot {i + 1}: the harbour at dawn", "prompt": "a quiet harbour at dawn"}
                      for i in range(n)]}


def test_the_tools_check_the_service_url_and_key(service, tmp_path):
    shots = json.dumps(board())
    cases = {"service_auth": {**service, "render_service_api_key": "nope"},
             "service_unreachable": {"render_service_url": "http://127.0.0.1:9"},
             "service_not_configured": {"render_service_url": "render.internal:8000"}}
    for code, where in cases.items():
        lines, raw = run_tool({"tool": "render_animatic", "parameters": {**where, "shots": shots}}, tmp_path / code)
        v = variables(lines)
        assert v["ok"] is False and v["error_code"] == code, (code, v)
        assert "Traceback" not in raw
        if code == "service_auth":
            assert "refused the API key" in v["error"] and "nope" not in raw
        elif code == "service_unreachable":
            assert "Could not reach" in v["error"]
        else:
            assert "http://" in v["error"]
    # a key without a URL: the URL is what is missing, and the key shows nowhere
    lines, raw = run_tool({"tool": "animatic_status", "parameters": {"render_service_api_key": KEY, "job_id": "x"}},
                          tmp_path / "no_url")
    v = variables(lines)
    assert v["error_code"] == "service_not_configured" and "Render service URL" in v["error"] and KEY not in raw


def test_render_animatic_waits_and_returns_the_animatic_then_status_finds_it(service, tmp_path):
    # Dify's json output of Brief to storyboard is a list holding the board; the tool takes it as text
    lines, raw = run_tool({"tool": "render_animatic",
                           "parameters": {**service, "shots": json.dumps([board()]), "renderer": "panel",
                                          "wait_s": 240}},
                          tmp_path)
    v = variables(lines)
    assert v["ok"] is True and v["status"] == "done" and v["done"] is True and v["progress"] == 1.0, v
    (blob,) = [m for m in lines if m["type"] == "blob"]
    assert blob["meta"] == {"mime_type": "video/mp4", "filename": "animatic.mp4"}
    assert frames(Path(blob["path"])) == 24  # 2 x 0.5 s at 24 fps
    assert KEY not in raw
    status, _ = run_tool({"tool": "animatic_status", "parameters": {**service, "job_id": v["job_id"]}},
                         tmp_path / "again")
    s = variables(status)
    assert s["status"] == "done" and s["job_id"] == v["job_id"]
    assert [m["meta"]["filename"] for m in status if m["type"] == "blob"] == ["animatic.mp4"]


def test_a_job_outliving_the_wait_returns_its_id_for_animatic_status(service, tmp_path):
    lines, _ = run_tool({"tool": "render_animatic",
                         "parameters": {**service, "shots": json.dumps(board(3)), "renderer": "panel", "wait_s": 0}},
                        tmp_path)
    v = variables(lines)
    assert v["ok"] is True and v["done"] is False and v["status"] in ("queued", "running")
    assert v["job_id"] in texts(lines) and not [m for m in lines if m["type"] == "blob"]
    later, _ = run_tool({"tool": "animatic_status", "parameters": {**service, "job_id": v["job_id"], "wait_s": 240}},
                        tmp_path / "later")
    s = variables(later)
    assert s["done"] is True and s["progress"] == 1.0
    (blob,) = [m for m in later if m["type"] == "blob"]
    assert frames(Path(blob["path"])) == 36


def test_the_brief_itself_with_a_wrong_password(service, tmp_path):
    lines, raw = run_tool({"tool": "render_animatic", "files": {"brief": str(EXAMPLE)},
                           "parameters": {**service, "password": "bad-guess-77", "renderer": "panel"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "wrong_password" and "password" in v["error"]
    assert "bad-guess-77" not in raw and "Traceback" not in raw


def test_clear_errors_for_setup_mistakes(service, tmp_path):
    lines, _ = run_tool({"tool": "render_animatic", "parameters": {"shots": json.dumps(board())}}, tmp_path)
    assert variables(lines)["error_code"] == "service_not_configured"
    lines, _ = run_tool({"tool": "animatic_status", "parameters": {**service, "job_id": "no-such-job"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "job_not_found"
    lines, _ = run_tool({"tool": "render_animatic", "parameters": {**service, "shots": "{not json"}}, tmp_path)
    assert variables(lines)["error_code"] == "invalid_shots"


def test_a_wan_job_without_a_model_fails_with_the_services_reason(service, tmp_path):
    lines, _ = run_tool({"tool": "render_animatic",
                         "parameters": {**service, "shots": json.dumps(board(1)), "renderer": "wan", "wait_s": 120}},
                        tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["status"] == "failed" and v["job_id"]
    assert v["error_code"] == "renderer_unavailable" and "model" in v["error"]
