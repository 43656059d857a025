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


# -- Brief to storyboard with the Wan renderer: the submit/poll pair, inside the one node -----------------------------

@pytest.fixture(scope="module")
def wan_service(tmp_path_factory):
    """A render service whose operator lists two tiny Wan models: "tiny" (2 steps a segment) and "slow" (the same
    weights at 400 steps, a render that outlives any test's budget)."""
    pytest.importorskip("diffusers")
    from briefreel.render.wan_tiny import make_tiny_wan

    base = tmp_path_factory.mktemp("wan-models")
    tiny = make_tiny_wan(base / "tiny", "t2v")
    slow = make_tiny_wan(base / "slow", "t2v")
    card = json.loads((slow / "briefreel_wan.json").read_text())
    (slow / "briefreel_wan.json").write_text(json.dumps({**card, "steps": 400}))
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path_factory.mktemp("wan-svc") / "data", workers=1,
                        poll_interval=0.2, models={"tiny": str(tiny), "slow": str(slow)})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the render service did not start"
        time.sleep(0.05)
    yield {"render_service_url": f"http://127.0.0.1:{port}", "render_service_api_key": KEY}
    server.should_exit = True
    thread.join(30)


def test_brief_to_storyboard_renders_wan_on_the_service_with_step_progress(wan_service, tmp_path):
    from briefreel.storyboard.schema import Storyboard

    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                           "parameters": {"password": "reel-2026", "renderer": "wan", "wan_model": "tiny",
                                          "time_budget_s": 420, **wan_service}}, tmp_path, timeout=900)
    v = variables(lines)
    assert v["ok"] is True and v["render_status"] == "done" and v["render_progress"] == 1.0, v
    assert v["renderer"] == "wan" and v["job_id"] and "Animatic status" not in v["warnings"]
    (board_json,) = [m["message"]["json_object"] for m in lines if m["type"] == "json"]
    board = Storyboard.model_validate(board_json)
    blobs = {m["meta"]["filename"]: m for m in lines if m["type"] == "blob"}
    assert set(blobs) == {"animatic.mp4", "storyboard.pdf"}
    assert frames(Path(blobs["animatic.mp4"]["path"])) == v["animatic_frames"] == round(board.duration_s * 24)
    # The run panel's log followed the job on the service, down to the denoising steps of the shot rendering.
    logs = [m["message"] for m in lines if m["type"] == "log" and m["message"]["label"] == "Render on the service"]
    assert logs[-1]["status"] == "success" and logs[-1]["data"]["shots_done"] == len(board.shots)
    stepped = [log["data"] for log in logs if log["data"].get("steps")]
    assert stepped and all(d["steps"] % 2 == 0 for d in stepped)  # 2 steps a segment
    assert all(0 < d["step"] <= d["steps"] and d["shot"] for d in stepped)
    assert "reel-2026" not in raw and KEY not in raw


def test_a_wan_render_past_the_budget_returns_the_board_and_the_job_for_animatic_status(wan_service, tmp_path):
    import httpx

    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                           "parameters": {"password": "reel-2026", "renderer": "wan", "wan_model": "slow",
                                          "time_budget_s": 30, **wan_service}}, tmp_path, timeout=300)
    v = variables(lines)
    try:
        # The node returns within its budget, with the shot list, and the render going on under job_id.
        assert v["ok"] is True and v["job_id"] and v["render_status"] in ("queued", "running"), v
        assert v["shot_count"] >= 3 and [m for m in lines if m["type"] == "json"]
        assert not [m for m in lines if m["type"] == "blob"] and v["animatic_frames"] == 0
        assert f"Animatic status node with job_id {v['job_id']}" in v["warnings"] and v["job_id"] in texts(lines)
        status, _ = run_tool({"tool": "animatic_status", "parameters": {**wan_service, "job_id": v["job_id"]}},
                             tmp_path / "status")
        s = variables(status)
        assert s["job_id"] == v["job_id"] and s["status"] in ("queued", "running") and s["done"] is False
    finally:  # stop the 400-step render at its next denoising step
        if v.get("job_id"):
            httpx.delete(f"{wan_service['render_service_url']}/v1/jobs/{v['job_id']}",
                         headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


def test_render_animatic_with_variants_queues_one_job_per_variant(service, tmp_path):
    b = board(2)
    b["shots"][1]["description"] = "The harbour of {{city}} at dawn"
    lines, raw = run_tool({"tool": "render_animatic",
                           "parameters": {**service, "shots": json.dumps(b), "renderer": "panel",
                                          "variants": "city=Ningbo,Xiamen"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is True and v["group"] and len(v["job_ids"]) == 2 and v["done"] is False, v
    assert "Ningbo:" in v["summary"] and "Xiamen:" in v["summary"] and "Traceback" not in raw
    status, _ = run_tool({"tool": "animatic_status", "parameters": {**service, "job_id": v["job_ids"][1],
                                                                    "wait_s": 240}}, tmp_path / "s")
    s = variables(status)
    assert s["done"] is True and [m["meta"]["filename"] for m in status if m["type"] == "blob"] == ["animatic.mp4"]
    lines, _ = run_tool({"tool": "render_animatic", "parameters": {**service, "shots": json.dumps(b),
                                                                   "variants": "town=Paris"}}, tmp_path / "bad")
    assert variables(lines)["ok"] is False
