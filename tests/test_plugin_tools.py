"""The plugin's tools, built and invoked through the Dify SDK's own classes (``plugin.local_run``:
``Tool(runtime=ToolRuntime(...), session=Session.empty_session())``, ``Tool.invoke``), on the bundled encrypted
brief served from a loopback HTTP server as Dify serves uploaded files.

The SDK gevent-patches the process that imports it, so each invocation runs in its own Python process; the limits
helpers (download, re-encode, message size) are tested here directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.files import download
from briefreel.plugin.fit import fit_video, fits_message, json_size

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "brief_en.pdf"
PASSWORD = "reel-2026"


def run_tool(spec: dict, tmp_path: Path, timeout: int = 600) -> tuple[list[dict], str]:
    spec = {"out": str(tmp_path / "out"), **spec}
    proc = subprocess.run([sys.executable, "-m", "briefreel.plugin.local_run"], input=json.dumps(spec), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], proc.stdout + proc.stderr


def variables(lines: list[dict]) -> dict:
    return {m["message"]["variable_name"]: m["message"]["variable_value"] for m in lines if m["type"] == "variable"}


def texts(lines: list[dict]) -> str:
    return "".join(m["message"]["text"] for m in lines if m["type"] == "text")


def frames(path: Path) -> int:
    import imageio_ffmpeg

    return imageio_ffmpeg.count_frames_and_secs(str(path))[0]


# -- brief_to_storyboard -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_encrypted_brief_to_storyboard_json_files_and_variables(tmp_path):
    from briefreel.storyboard.schema import Storyboard

    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                           "parameters": {"password": PASSWORD, "planner": "rules", "renderer": "panel"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is True and v["error_code"] == "", v
    (board_json,) = [m["message"]["json_object"] for m in lines if m["type"] == "json"]
    board = Storyboard.model_validate(board_json)  # the shots.json contract
    assert v["shot_count"] == len(board.shots) >= 3
    assert v["duration_s"] == pytest.approx(board.duration_s)
    assert v["title"] == board.title and v["language"] == "en" and v["aspect_ratio"] == board.aspect_ratio
    assert v["storyboard"]["shots"] == board_json["shots"]
    blobs = {m["meta"]["filename"]: m for m in lines if m["type"] == "blob"}
    assert set(blobs) == {"animatic.mp4", "storyboard.pdf"}
    assert blobs["animatic.mp4"]["meta"]["mime_type"] == "video/mp4"
    assert blobs["storyboard.pdf"]["meta"]["mime_type"] == "application/pdf"
    mp4 = Path(blobs["animatic.mp4"]["path"])
    assert frames(mp4) == v["animatic_frames"] == round(board.duration_s * 24)
    assert Path(blobs["storyboard.pdf"]["path"]).read_bytes()[:5] == b"%PDF-"
    assert mp4.stat().st_size <= 15 * 1024 * 1024
    assert f"{len(board.shots)} shots" in texts(lines)
    # the password is nowhere: not in any message, log, variable or returned file
    assert PASSWORD not in raw
    for blob in blobs.values():
        assert PASSWORD.encode() not in Path(blob["path"]).read_bytes()


@pytest.mark.parametrize("password, code", [("not-the-password", "wrong_password"), ("", "password_required")])
def test_wrong_or_missing_password_is_a_clear_output_not_a_traceback(tmp_path, password, code):
    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                           "parameters": {"password": password}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == code
    assert "password" in v["error"].lower() and texts(lines) == v["error"]
    assert "Traceback" not in raw and not [m for m in lines if m["type"] in ("json", "blob")]
    if password:
        assert password not in raw
    logs = [m["message"] for m in lines if m["type"] == "log"]
    assert logs[-1]["status"] == "error"  # the run panel's log shows the failed step


def test_a_file_that_is_not_a_pdf(tmp_path):
    junk = tmp_path / "brief.pdf"
    junk.write_bytes(b"<html>not a pdf</html>" * 20)
    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(junk)}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "damaged_pdf" and "Traceback" not in raw
    assert v["error"] == '"brief.pdf" is not a PDF. Give the brief as a PDF file.'
    truncated = tmp_path / "half.pdf"
    truncated.write_bytes(EXAMPLE.read_bytes()[:1500])  # a PDF cut short: the parser's own verdict
    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(truncated)},
                           "parameters": {"password": PASSWORD}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] in ("damaged_pdf", "wrong_password", "no_text") and "Traceback" not in raw


def test_llm_planner_without_a_model_says_so_before_any_work(tmp_path):
    lines, _ = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                         "parameters": {"password": PASSWORD, "planner": "llm"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "no_model" and "model" in v["error"].lower()
    assert not [m for m in lines if m["type"] == "log"]  # nothing was downloaded or parsed


def test_no_brief_connected(tmp_path):
    lines, _ = run_tool({"tool": "brief_to_storyboard", "parameters": {}}, tmp_path)
    assert variables(lines)["error_code"] == "no_file"


# -- downloading Dify's file URLs ----------------------------------------------------------------------------------

class _Files:
    """A loopback file server that answers like Dify's: 200 with the bytes, or 403 once a link has expired."""

    def __init__(self, body: bytes = b"%PDF-1.7 test", status: int = 200):
        files = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(files.status)
                self.send_header("Content-Length", str(len(files.body) if files.status == 200 else 0))
                self.end_headers()
                if files.status == 200:
                    self.wfile.write(files.body)

            def log_message(self, *args):
                pass

        self.body, self.status = body, status
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/files/abc/file-preview?timestamp=1&sign=x"

    def close(self):
        self.server.shutdown()


def test_download_reads_the_whole_file():
    body = bytes(range(256)) * 4000  # ~1 MB, several chunks
    files = _Files(body)
    try:
        assert download(files.url) == body
    finally:
        files.close()


@pytest.mark.parametrize("status, code", [(403, "link_expired"), (404, "download_failed"), (500, "download_failed")])
def test_download_errors_are_clear(status, code):
    files = _Files(status=status)
    try:
        with pytest.raises(ToolUserError) as info:
            download(files.url)
        assert info.value.code == code
    finally:
        files.close()


def test_download_refuses_relative_urls_and_oversized_files():
    with pytest.raises(ToolUserError) as info:
        download("/files/abc/file-preview?sign=x")
    assert info.value.code == "relative_url" and "FILES_URL" in info.value.message
    files = _Files(b"x" * 5000)
    try:
        with pytest.raises(ToolUserError) as info:
            download(files.url, max_bytes=1000)
        assert info.value.code == "over_limit"
    finally:
        files.close()


def test_unreachable_file_server():
    with pytest.raises(ToolUserError) as info:
        download("http://127.0.0.1:9/files/x", deadline_s=5)
    assert info.value.code == "download_failed" and "FILES_URL" in info.value.message


# -- Dify's size limits ---------------------------------------------------------------------------------------------

def _noisy_mp4(path: Path, n_frames: int = 48, size: str = "320x180") -> Path:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
           f"testsrc2=size={size}:rate=24,noise=alls=60:allf=t+u", "-frames:v", str(n_frames),
           "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, check=True)
    return path


def test_a_too_large_animatic_is_reencoded_with_every_frame(tmp_path):
    src = _noisy_mp4(tmp_path / "animatic.mp4")
    limit = src.stat().st_size // 4
    out, note = fit_video(src, limit, tmp_path)
    assert out != src and out.stat().st_size <= limit
    assert frames(out) == frames(src) == 48
    assert "re-encoded" in note and "MB" in note
    same, none = fit_video(src, src.stat().st_size, tmp_path)
    assert same == src and none == ""


def test_an_animatic_that_cannot_fit_is_refused_clearly(tmp_path):
    src = _noisy_mp4(tmp_path / "animatic.mp4", n_frames=12, size="160x90")
    with pytest.raises(ToolUserError) as info:
        fit_video(src, 500, tmp_path)
    assert info.value.code == "file_too_large" and "PLUGIN_MAX_FILE_SIZE" in info.value.message


def test_message_budget_stays_under_the_daemon_line_limit():
    assert fits_message({"shots": [{"description": "x" * 1000}] * 100})
    big = {"shots": [{"description": "镜" * 1000}] * 2000}  # ~6 MB of UTF-8
    assert json_size(big) > 5 * 1024 * 1024 and not fits_message(big)


def test_dify_model_selector_and_schema_for_structured_output():
    from briefreel.plugin.dify_llm import inline_refs, model_config
    from briefreel.storyboard.llm import planner_schema

    cfg = model_config({"provider": "langgenius/openai/openai", "model": "gpt-4o-mini", "mode": "chat",
                        "completion_params": {"temperature": 0.2}, "type": "model-selector"})
    assert cfg == {"provider": "langgenius/openai/openai", "model": "gpt-4o-mini", "model_type": "llm",
                   "mode": "chat", "completion_params": {"temperature": 0.2}}
    with pytest.raises(ToolUserError) as info:
        model_config(None)
    assert info.value.code == "no_model"
    flat = inline_refs(planner_schema())
    assert "$ref" not in json.dumps(flat) and "$defs" not in flat
    assert flat["properties"]["shots"]["items"]["properties"]["size"]["enum"]


@pytest.mark.slow
def test_animatic_over_the_file_limit_comes_back_reencoded(tmp_path):
    lines, _ = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                         "parameters": {"password": PASSWORD, "max_file_mb": 1}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is True and "re-encoded" in v["warnings"] and "re-encoded" in texts(lines)
    (mp4,) = [m for m in lines if m["type"] == "blob" and m["meta"]["filename"] == "animatic.mp4"]
    assert mp4["bytes"] <= 1024 * 1024
    assert frames(Path(mp4["path"])) == v["animatic_frames"] == round(v["duration_s"] * 24)


def test_wan_needs_the_render_service_and_says_so_before_any_work(tmp_path):
    """Wan renders on the render service (tests/test_plugin_service.py follows one); without its URL the tool says
    so at once, before the brief is downloaded or read, and a bad Wan setting is refused the contract's way."""
    lines, _ = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                         "parameters": {"password": PASSWORD, "renderer": "wan"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "service_not_configured" and "Render service URL" in v["error"]
    assert not [m for m in lines if m["type"] == "log"]
    lines, _ = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(EXAMPLE)},
                         "parameters": {"password": PASSWORD, "renderer": "wan", "preset": "turbo",
                                        "render_service_url": "http://127.0.0.1:9"}}, tmp_path / "bad")
    v = variables(lines)
    assert v["ok"] is False and v["error_code"] == "invalid_option" and "preset" in v["error"]


def test_the_worker_is_stopped_at_the_deadline(tmp_path):
    """A job past its time budget is killed with its process group (no orphan renders)."""
    import os
    import time

    from briefreel.plugin.child import ChildTimeout, run_job
    from briefreel.storyboard.schema import Storyboard

    board = Storyboard.model_validate({"title": "Long", "shots": [
        {"id": f"S{i:02d}", "size": "MS", "duration_s": 6.0, "description": f"shot {i}"} for i in range(1, 9)]})
    board.save(tmp_path / "shots.json")
    job = {"op": "render", "shots": str(tmp_path / "shots.json"), "out_dir": str(tmp_path / "out"),
           "renderer": "panel"}
    events = []
    started = time.monotonic()
    with pytest.raises(ChildTimeout):
        for event in run_job(job, deadline=time.monotonic() + 3, tick_s=0.5):
            events.append(event)
    assert time.monotonic() - started < 15
    assert {"event": "tick"} in events or any(e.get("stage") == "render" for e in events)
    assert not (tmp_path / "out" / "animatic.mp4").exists()
    # nothing of the job is left running (the worker and its render processes share one process group)
    time.sleep(0.5)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and b"plugin.worker" in _cmdline(p)]


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_chinese_brief_with_a_chinese_password_shot_list_only(tmp_path):
    password = "分镜2026"
    lines, raw = run_tool({"tool": "brief_to_storyboard", "files": {"brief": str(ROOT / "examples" / "brief_zh.pdf")},
                           "parameters": {"password": password, "renderer": "none"}}, tmp_path)
    v = variables(lines)
    assert v["ok"] is True and v["language"] == "zh" and v["animatic_frames"] == 0
    (board,) = [m["message"]["json_object"] for m in lines if m["type"] == "json"]
    assert len(board["shots"]) == v["shot_count"] >= 3 and v["aspect_ratio"] == board["aspect_ratio"]
    assert not [m for m in lines if m["type"] == "blob"]
    assert f"{v['shot_count']} 个镜头" in texts(lines)
    assert password not in raw


def test_the_worker_plans_and_reports_shots_as_the_job_contract_does(tmp_path):
    """plugin.worker reads and plans through briefreel.job.storyboard_brief and reports each shot with
    briefreel.job.shot_state (the render service's per-shot states)."""
    import time

    from briefreel.job import SHOT_STATES, storyboard_brief
    from briefreel.plugin.child import run_job
    from briefreel.storyboard.schema import Storyboard

    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(EXAMPLE.read_bytes())
    job = {"op": "storyboard", "pdf": str(pdf), "password": PASSWORD, "filename": "Harbour brief.pdf",
           "planner": "rules", "shots_out": str(tmp_path / "shots.json"), "return_brief": True}
    events = list(run_job(job, deadline=time.monotonic() + 120))
    result = events[-1]
    assert result["event"] == "result", events
    assert [e["stage"] for e in events if e["event"] == "progress"] == ["parse", "planned"]
    board = Storyboard.load(result["shots"])
    expected = storyboard_brief(EXAMPLE.read_bytes(), PASSWORD, planner="rules", filename="Harbour brief.pdf")
    assert board.model_dump(exclude={"source"}) == expected.board.model_dump(exclude={"source"})
    assert result["brief"]["filename"] == "Harbour brief.pdf" and result["brief_info"]["encrypted"] is True

    tiny = Storyboard.model_validate({"title": "Tiny", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 0.5, "description": "a harbour at dawn"}]})
    tiny.save(tmp_path / "tiny.json")
    job = {"op": "render", "shots": str(tmp_path / "tiny.json"), "out_dir": str(tmp_path / "out"), "renderer": "panel"}
    events = list(run_job(job, deadline=time.monotonic() + 120))
    assert events[-1]["event"] == "result", events
    states = [e["state"] for e in events if e.get("shot") == "S01"]
    assert states and set(states) <= set(SHOT_STATES.values()) and states[-1] == "done"
