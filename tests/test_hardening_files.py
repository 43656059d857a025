"""Issue 13: job files are private. A real ``briefreel serve`` (started with the usual 022 umask) keeps every job
file 0600 and every folder 0700: the stored shots.json (a brief's decrypted storyboard), the render's clips and
exports, the shot cache. The CLI's output follows the caller's umask (the exports used to force 0644)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling test module
from test_service_e2e import AUTH, _serve, _wait_healthy, board, free_port, submit, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def modes(folder: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        out[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return out


def _not_private(folder: Path) -> dict[str, str]:
    bad = {}
    for name, mode in modes(folder).items():
        want = 0o700 if (folder / name).is_dir() else 0o600
        if mode != want:
            bad[name] = oct(mode)
    return bad


def test_service_job_files_are_0600_and_folders_0700(tmp_path):
    data, log = tmp_path / "data", tmp_path / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    old = os.umask(0o022)  # what a service started from a login shell gets
    try:
        proc = _serve(data, port, log)
    finally:
        os.umask(old)
    try:
        _wait_healthy(url, proc)
        with httpx.Client(base_url=url, timeout=30) as c:
            job = wait_for(c, submit(c, board(2, duration=0.5, title="Private"))["id"])
        assert job["status"] == "done", job
        files = data / "files"
        job_dir = files / "jobs" / job["id"]
        assert (job_dir / "shots.json").is_file() and (job_dir / "animatic.mp4").is_file()
        assert (job_dir / "storyboard.pdf").is_file() and any((job_dir / "clips").iterdir())
        assert _not_private(files) == {}
        assert _not_private(data / "cache") == {}
    finally:
        proc.terminate()
        proc.wait(30)


def _cli_render(tmp_path: Path, umask: int) -> Path:
    shots = tmp_path / "in.json"
    shots.write_text(json.dumps(board(2, duration=0.5)))
    out = tmp_path / f"out-{umask:o}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    env["BRIEFREEL_CACHE_DIR"] = str(tmp_path / f"cache-{umask:o}")
    r = subprocess.run([sys.executable, "-m", "briefreel.cli", "render", str(shots), "--out", str(out)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                       preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    return out


def test_cli_output_follows_the_umask(tmp_path):
    out = _cli_render(tmp_path, 0o077)
    assert {"storyboard.pdf", "storyboard.html", "timeline.otio", "shots.csv", "animatic.mp4"} <= \
        {p.name for p in out.iterdir()}
    assert _not_private(out) == {}
    out = _cli_render(tmp_path, 0o022)  # a user's usual umask: readable output, as before
    assert stat.S_IMODE((out / "storyboard.pdf").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "animatic.mp4").stat().st_mode) == 0o644
