"""Issue 13: shot ids that become the same clip file after sanitising (``A/1`` and ``A_1`` -> clips/A_1.mp4) are
refused when shots.json is read: by the schema, so the CLI (exit 21) and the service (422) both refuse, naming
both ids. Render and exports use the schema's one rule (``clip_stem``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from briefreel.storyboard.schema import Storyboard, clip_stem

ROOT = Path(__file__).resolve().parent.parent


def _board(*ids: str) -> dict:
    return {"title": "Ids", "language": "en",
            "shots": [{"id": i, "size": "LS", "duration_s": 1.0, "description": f"shot {n}"} for n, i in enumerate(ids)]}


@pytest.mark.parametrize("a,b", [("A/1", "A_1"), ("S 1", "S_1"), ("S01.", "S01"), ("s1a", "S1A"), ("../x", "x")])
def test_ids_that_share_a_clip_file_are_refused_naming_both(a, b):
    with pytest.raises(ValidationError) as exc:
        Storyboard.model_validate(_board(a, b))
    message = str(exc.value)
    assert repr(a) in message and repr(b) in message and f"clips/{clip_stem(b)}.mp4" in message


def test_distinct_ids_still_load():
    board = Storyboard.model_validate(_board("S01", "S02", "S12A", "镜头3"))
    assert [clip_stem(s.id) for s in board.shots] == ["S01", "S02", "S12A", "镜头3"]


def test_render_and_exports_name_clips_by_the_one_rule(tmp_path):
    from briefreel.render.exports.timeline import media_path

    board = Storyboard.model_validate(_board("A/1", "B 2"))
    for shot in board.shots:
        assert media_path(shot, tmp_path, None).name == f"{clip_stem(shot.id)}.mp4"


def test_the_cli_refuses_with_exit_21(tmp_path):
    path = tmp_path / "shots.json"
    path.write_text(json.dumps(_board("A/1", "A_1")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    r = subprocess.run([sys.executable, "-m", "briefreel.cli", "render", str(path), "--out", str(tmp_path / "out")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 21, r.stderr
    assert "'A/1'" in r.stderr and "'A_1'" in r.stderr
    assert not (tmp_path / "out" / "clips").exists()


def test_the_service_refuses_with_422(tmp_path):
    from fastapi.testclient import TestClient

    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings

    key = "hardening-key"
    with TestClient(create_app(Settings(api_keys=(key,), data_dir=tmp_path / "data", workers=0))) as client:
        r = client.post("/v1/jobs", headers={"Authorization": f"Bearer {key}"},
                        files={"shots": ("shots.json", json.dumps(_board("A/1", "A_1")).encode(), "application/json")})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_shots" and "'A/1'" in error["message"] and "'A_1'" in error["message"]
        assert client.get("/v1/jobs", headers={"Authorization": f"Bearer {key}"}).json()["jobs"] == []
