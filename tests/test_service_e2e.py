"""The render service end to end, as a client drives it over HTTP: real uvicorn on loopback, real panel renders.

- a shots.json job renders to an animatic that opens, with every output file downloadable;
- the bundled encrypted brief with its password (and a wrong password, refused with a typed code, the password
  found nowhere in the data folder);
- cancelling a running job stops it between shots;
- kill -9 of an embedded ``briefreel serve`` with jobs in flight: after a restart every job completes and the
  shots finished before the crash are reused from the cache, not rendered again.

Renders are tiny (half-second shots) so this stays quick on two shared cores.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from briefreel.service.app import create_app
from briefreel.service.settings import Settings
from briefreel.service.store import JobStore
from tests.support.leftovers import no_leftover_processes  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[1]
KEY = "e2e-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BRIEFREEL = [str(Path(sys.executable).with_name("briefreel"))]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def board(n: int = 2, duration: float = 0.5, title: str = "Harbour spot") -> dict:
    moves = ["static", "push_in", "pan_left", "tilt_up", "pull_out", "truck_right"]
    return {
        "title": title, "language": "en", "aspect_ratio": "16:9",
        "shots": [
            {"id": f"S{i + 1:02d}", "size": ["LS", "MS", "CU"][i % 3], "movement": moves[i % len(moves)],
             "duration_s": duration, "description": f"{title}: shot {i + 1} on the harbour",
             "prompt": f"{title}, shot {i + 1}, a quiet harbour at dawn", "dialogue": "Every morning." if i == 0 else ""}
            for i in range(n)
        ],
    }


def submit(client: httpx.Client, b: dict, **data) -> dict:
    r = client.post("/v1/jobs", headers=AUTH, data=data,
                    files={"shots": ("shots.json", json.dumps(b).encode(), "application/json")})
    assert r.status_code == 202, r.text
    return r.json()


def wait_for(client: httpx.Client, job_id: str, statuses=("done", "failed", "cancelled"), timeout=240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job}")


def video_frames(path: Path) -> int:
    import imageio_ffmpeg

    n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return n


class ThreadedServer:
    """create_app(settings) under uvicorn in a thread, as the Dify plugin's tests run it."""

    def __init__(self, settings: Settings):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def server(tmp_path):
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=1, poll_interval=0.2)
    with ThreadedServer(settings) as client:
        client.settings = settings
        yield client


def test_a_shots_job_end_to_end(server):
    job = submit(server, board(2), renderer="panel")
    done = wait_for(server, job["id"])
    assert done["status"] == "done", done
    assert done["error"] is None and done["progress"]["shots_done"] == 2 and done["progress"]["fraction"] == 1.0
    assert {s["state"] for s in done["progress"]["shots"]} <= {"done", "reused"}
    names = {f["name"] for f in done["files"]}
    assert {"animatic.mp4", "shots.json", "render.json"} <= names

    r = server.get(f"/v1/jobs/{job['id']}/files/animatic.mp4", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    out = server.settings.data_dir / "downloaded.mp4"
    out.write_bytes(r.content)
    assert video_frames(out) == 24  # 2 x 0.5 s at 24 fps, frame exact
    render = server.get(f"/v1/jobs/{job['id']}/files/render.json", headers=AUTH).json()
    assert render  # the pipeline's report of what was rendered
    link = server.get(f"/v1/jobs/{job['id']}/links/animatic.mp4", headers=AUTH).json()
    assert httpx.get(link["url"]).content == r.content  # the expiring link needs no key


def test_cancel_stops_a_running_job_between_shots(server):
    job = submit(server, board(8, duration=1.0, title="Cancel me"))
    deadline = time.monotonic() + 120
    while True:  # wait until it is rendering
        j = server.get(f"/v1/jobs/{job['id']}", headers=AUTH).json()
        if j["status"] == "running" and any(s["state"] != "pending" for s in j["progress"]["shots"]):
            break
        assert time.monotonic() < deadline and j["status"] in ("queued", "running"), j
        time.sleep(0.1)
    r = server.delete(f"/v1/jobs/{job['id']}", headers=AUTH)
    assert r.status_code == 202 and r.json()["cancel_requested"]
    final = wait_for(server, job["id"])
    assert final["status"] == "cancelled", final
    assert final["error"]["code"] == "cancelled"
    assert final["progress"]["shots_done"] < 8  # it stopped before the end
    assert not any(f["name"] == "animatic.mp4" for f in final["files"])


def test_a_failed_job_says_why(server):
    server.settings.models["missing"] = "/nonexistent/wan-model"  # listed by the operator, absent on disk
    job = submit(server, board(1), renderer="wan", model="missing")
    failed = wait_for(server, job["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] in ("renderer_unavailable", "render_error")
    assert "/nonexistent/wan-model" in failed["error"]["message"]


def test_the_example_brief_with_its_password_and_a_wrong_one(server, caplog):
    caplog.set_level("DEBUG")
    pdf = (ROOT / "examples" / "brief_en.pdf").read_bytes()
    password = "reel-2026"

    r = server.post("/v1/jobs", headers=AUTH, data={"password": "not-the-password"},
                    files={"brief": ("brief_en.pdf", pdf, "application/pdf")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_password"
    assert "not-the-password" not in r.text
    r = server.post("/v1/jobs", headers=AUTH, files={"brief": ("brief_en.pdf", pdf, "application/pdf")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "password_required"

    r = server.post("/v1/jobs", headers=AUTH, data={"password": password},
                    files={"brief": ("brief_en.pdf", pdf, "application/pdf")})
    assert r.status_code == 202, r.text
    job = r.json()
    assert password not in r.text
    # the upload is kept exactly as it came: still encrypted
    kept = server.get(f"/v1/jobs/{job['id']}/files/brief.pdf", headers=AUTH).content
    assert kept == pdf and b"/Encrypt" in kept
    shots = server.get(f"/v1/jobs/{job['id']}/files/shots.json", headers=AUTH).json()
    assert len(shots["shots"]) >= 2
    done = wait_for(server, job["id"], timeout=600)
    assert done["status"] == "done", done
    assert password not in json.dumps(done)
    assert password not in caplog.text and "not-the-password" not in caplog.text  # nor in any log line
    # the password is nowhere at rest: job store, inputs, outputs, cache
    for path in server.settings.data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert password.encode() not in blob and password.encode("utf-16-le") not in blob, path


def _serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = os.environ | {"BRIEFREEL_API_KEY": KEY, "BRIEFREEL_DATA_DIR": str(data_dir), "BRIEFREEL_CONCURRENCY": "1"}
    env.pop("BRIEFREEL_BROKER", None)
    return subprocess.Popen(BRIEFREEL + ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level",
                                         "warning"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not come up")


@pytest.mark.usefixtures("no_leftover_processes")  # kill -9 leaves no render-pool process behind
def test_kill_9_of_the_embedded_server_loses_nothing(tmp_path):
    data, log = tmp_path / "data", tmp_path / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(data, port, log)
    try:
        _wait_healthy(url, proc)
        with httpx.Client(base_url=url, timeout=30) as c:
            jobs = [submit(c, board(4, duration=1.0, title=f"Crash {i}"))["id"] for i in range(3)]
            store = JobStore(data / "jobs.sqlite3")
            deadline = time.monotonic() + 180
            while True:  # kill once a shot of the first job is finished and the rest are not
                first = store.get(jobs[0])
                states = [s["state"] for s in first["progress"]]
                if "done" in states and first["status"] == "running":
                    break
                assert time.monotonic() < deadline, first
                time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = {j: store.get(j) for j in jobs}
        done_before = {s["id"] for s in before[jobs[0]]["progress"] if s["state"] == "done"}
        assert before[jobs[0]]["status"] == "running" and done_before
        assert any(b["status"] != "done" for b in before.values())

        proc = _serve(data, port, log)  # same data folder
        _wait_healthy(url, proc)
        with httpx.Client(base_url=url, timeout=30) as c:
            finals = [wait_for(c, j) for j in jobs]
        assert [f["status"] for f in finals] == ["done"] * 3, finals
        first = finals[0]
        assert first["attempts"] == 2  # it ran again after the restart...
        reused = {s["id"] for s in first["progress"]["shots"] if s["state"] == "reused"}
        assert done_before <= reused  # ...and its finished shots came from the cache
        for f in finals:
            mp4 = data / "files" / "jobs" / f["id"] / "animatic.mp4"
            assert video_frames(mp4) == 96
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)


def test_a_graceful_stop_puts_the_running_job_back_and_a_restart_finishes_it(tmp_path):
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=1, poll_interval=0.2)
    srv = ThreadedServer(settings)
    with srv as client:
        job = submit(client, board(6, duration=1.0, title="Stop and go"))
        deadline = time.monotonic() + 120
        while not any(s["state"] == "done" for s in client.get(f"/v1/jobs/{job['id']}", headers=AUTH)
                      .json()["progress"]["shots"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    store = JobStore(settings.db_path)
    stopped = store.get(job["id"])
    assert stopped["status"] == "queued" and stopped["error_code"] == "interrupted", stopped
    with ThreadedServer(settings) as client:
        final = wait_for(client, job["id"])
    assert final["status"] == "done" and final["error"] is None and "note" not in final
    assert any(s["state"] == "reused" for s in final["progress"]["shots"])


def test_a_wan_job_through_the_service(server, tmp_path):
    """The text-to-video path: a tiny, randomly initialised Wan pipeline (built here) behind the same API."""
    pytest.importorskip("diffusers")
    model = tmp_path / "tiny-wan"
    subprocess.run(BRIEFREEL + ["make-tiny-wan", str(model)], check=True, capture_output=True)
    server.settings.models["tiny-wan"] = str(model)  # the operator lists it; clients name it
    job = submit(server, board(1, duration=0.5, title="Wan"), renderer="wan", model="tiny-wan", device="cpu")
    done = wait_for(server, job["id"], timeout=600)
    assert done["status"] == "done", done
    assert done["options"]["renderer"] == "wan" and done["options"]["model"] == "tiny-wan"
    render = server.get(f"/v1/jobs/{job['id']}/files/render.json", headers=AUTH).json()
    assert render["renderer"] == "wan" and render["shots"][0]["status"] == "rendered"
    out = tmp_path / "wan.mp4"
    out.write_bytes(server.get(f"/v1/jobs/{job['id']}/files/animatic.mp4", headers=AUTH).content)
    assert video_frames(out) == 12
