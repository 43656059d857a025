"""render_board end to end with the panel renderer: clips, animatic, render.json, cache, CLI, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefreel.render.base import frame_spans
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.render.ffmpeg import probe
from briefreel.render.pipeline import get_renderer, render_board
from briefreel.render.seeds import derive_seed
from briefreel.storyboard.schema import Storyboard

ROOT = Path(__file__).resolve().parents[1]


def make_board(aspect="16:9") -> Storyboard:
    return Storyboard.model_validate({
        "title": "Brightwater", "language": "en", "aspect_ratio": aspect,
        "shots": [
            {"id": "S01", "size": "LS", "movement": "push_in", "duration_s": 1.0, "description": "The harbour."},
            {"id": "S02", "size": "MS", "movement": "pan_left", "duration_s": 0.5, "description": "Mia smiles.",
             "dialogue": "Every morning.", "seed": 1234},
            {"id": "S03", "size": "CU", "movement": "static", "duration_s": 1.25, "description": "The bottle."},
        ],
    })


def render(board, out, cache, **kw):
    kw.setdefault("exports", False)
    return render_board(board, out, cache_dir=cache, progress=False, **kw)


def test_render_board_writes_clips_animatic_and_render_json(tmp_path):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    report = render(board, out, cache)
    spans = frame_spans([s.duration_s for s in board.shots], 24)
    assert report.rendered == ["S01", "S02", "S03"] and report.reused == []
    info = probe(out / "animatic.mp4")
    assert info.frames == spans[-1][1] == 66 and info.fps == 24
    assert (info.width, info.height, info.pix_fmt) == (1280, 720, "yuv420p")
    for shot, (a, b) in zip(board.shots, spans):
        assert report.clips[shot.id] == out / "clips" / f"{shot.id}.mp4"
        assert probe(report.clips[shot.id]).frames == b - a
    rec = json.loads((out / "render.json").read_text())
    assert rec["renderer"] == "panel" and rec["settings"]["width"] == 1280 and rec["settings"]["fps"] == 24
    assert "yuv420p" in rec["settings"]["encoder"]
    assert rec["rendered"] == ["S01", "S02", "S03"] and rec["reused"] == []
    assert rec["animatic"] == {"path": "animatic.mp4", "frames": 66, "duration_s": 2.75}
    by_id = {s["id"]: s for s in rec["shots"]}
    assert by_id["S02"]["seed"] == 1234  # the shot's own seed
    assert by_id["S01"]["seed"] == derive_seed(0, "S01")  # or one derived from the base seed and the id
    assert [s["frames"] for s in rec["shots"]] == [24, 12, 30]
    assert [s["start_frame"] for s in rec["shots"]] == [0, 24, 36]
    for s in rec["shots"]:
        assert s["status"] == "rendered" and s["clip"] == f"clips/{s['id']}.mp4" and len(s["cache_key"]) == 20
        assert (cache / f"{s['cache_key']}.mp4").is_file()
    assert set(rec["timings"]) >= {"render_s", "join_s", "total_s"}
    assert not [p for p in out.rglob(".*")]  # no temporaries left


def test_cache_reuses_unchanged_shots_and_rerenders_edits(tmp_path):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    render(board, out, cache)
    first = (out / "clips" / "S03.mp4").read_bytes()

    again = render(board, out, cache)
    assert again.rendered == [] and again.reused == ["S01", "S02", "S03"]
    assert probe(out / "animatic.mp4").frames == 66

    edited = board.model_copy(deep=True)
    edited.shots[1].dialogue = "Every single morning."  # the caption changes S02's pixels
    third = render(edited, out, cache)
    assert third.rendered == ["S02"] and third.reused == ["S01", "S03"]
    rec = json.loads((out / "render.json").read_text())
    assert [s["status"] for s in rec["shots"]] == ["reused", "rendered", "reused"]
    assert (out / "clips" / "S03.mp4").read_bytes() == first

    seeded = render(board, out, cache, renderer_options={"seed": 9})  # another base seed: derived seeds change
    assert seeded.rendered == ["S01", "S03"] and seeded.reused == ["S02"]  # S02 keeps its own seed

    forced = render(board, out, cache, use_cache=False)
    assert forced.rendered == ["S01", "S02", "S03"] and forced.reused == []


def test_removed_shots_leave_no_stale_clips(tmp_path):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    render(board, out, cache)
    fewer = board.model_copy(deep=True)
    fewer.shots = fewer.shots[:2]
    render(fewer, out, cache)
    assert sorted(p.name for p in (out / "clips").iterdir()) == ["S01.mp4", "S02.mp4"]
    assert probe(out / "animatic.mp4").frames == 36


@pytest.mark.parametrize("aspect,size", [("9:16", (720, 1280)), ("1:1", (960, 960))])
def test_portrait_and_square_boards(tmp_path, aspect, size):
    report = render(make_board(aspect), tmp_path / "out", tmp_path / "cache", workers=1)
    info = probe(report.animatic)
    assert (info.width, info.height, info.frames) == (*size, 66)


def test_bad_input_is_a_typed_error_with_nothing_half_written(tmp_path):
    with pytest.raises(RendererUnavailable, match="unknown renderer"):
        get_renderer("blender")
    board = make_board()
    board.shots[1].duration_s = 0.01  # shorter than a frame at 24 fps
    with pytest.raises(RenderError, match="shorter than one frame"):
        render(board, tmp_path / "out", tmp_path / "cache")
    assert not (tmp_path / "out" / "animatic.mp4").exists()
    assert not (tmp_path / "out" / "render.json").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_on_shot_reports_every_shot_in_the_calling_process(tmp_path, workers):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    events = []
    report = render(board, out, cache, workers=workers, on_shot=events.append)
    assert report.rendered == ["S01", "S02", "S03"]
    assert all(e.total == 3 and board.shots[e.index].id == e.shot_id for e in events)
    for shot in board.shots:  # started, then rendered, once each
        assert [e.status for e in events if e.shot_id == shot.id] == ["started", "rendered"]
    finished = [e for e in events if e.status == "rendered"]
    assert [e.done for e in finished] == [1, 2, 3]
    assert all(e.seconds > 0 and e.error is None for e in finished)
    rec = {s["id"]: s for s in json.loads((out / "render.json").read_text())["shots"]}
    assert {e.shot_id: e.seconds for e in finished} == {i: rec[i]["seconds"] for i in rec}

    events.clear()
    again = render(board, out, cache, workers=workers, on_shot=events.append)
    assert again.reused == ["S01", "S02", "S03"]
    assert [(e.shot_id, e.index, e.status, e.done, e.seconds) for e in events] == [
        ("S01", 0, "reused", 1, 0.0), ("S02", 1, "reused", 2, 0.0), ("S03", 2, "reused", 3, 0.0)]


@pytest.mark.parametrize("workers", [1, 2])
def test_should_stop_cancels_between_shots_and_keeps_finished_ones(tmp_path, workers):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    events = []
    with pytest.raises(RenderCancelled, match="cancelled") as err:
        render(board, out, cache, workers=workers, on_shot=events.append,
               should_stop=lambda: any(e.status == "rendered" for e in events))
    assert err.value.exit_code == 32 and isinstance(err.value, RenderError)
    done = [e.shot_id for e in events if e.status == "rendered"]
    assert 1 <= len(done) < 3  # it stopped before the last shot
    started = [e.shot_id for e in events if e.status == "started"]
    assert sorted(started) == sorted(done)  # a shot that started also finished; the rest never began
    assert not (out / "animatic.mp4").exists() and not (out / "render.json").exists()
    assert not [p for p in out.rglob(".*")]  # no temporaries left

    report = render(board, out, cache, workers=workers)  # the finished shots come from the cache
    assert report.reused == [s for s in ("S01", "S02", "S03") if s in done]
    assert report.rendered == [s for s in ("S01", "S02", "S03") if s not in done]
    assert probe(out / "animatic.mp4").frames == 66

    with pytest.raises(RenderCancelled):  # asked to stop before anything: nothing renders
        render(make_board(), tmp_path / "other", tmp_path / "cache2", workers=workers, should_stop=lambda: True)
    assert not list((tmp_path / "cache2").glob("*.mp4"))


def test_cli_render_edited_shots_json(tmp_path):
    board = make_board()
    shots = tmp_path / "shots.json"
    board.save(shots)
    out = tmp_path / "out"
    env = {**os.environ, "BRIEFREEL_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "briefreel.cli", "render", str(shots), "--out", str(out)]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "rendered 3, reused 0" in res.stderr
    assert probe(out / "animatic.mp4").frames == 66
    assert (out / "shots.json").is_file() and json.loads((out / "render.json").read_text())["rendered"]
    assert (tmp_path / "cache").is_dir()

    board.shots[0].description = "The harbour, busier."
    board.save(shots)
    res = subprocess.run(cmd + ["-q"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "rendered 1, reused 2" in res.stderr
    res = subprocess.run(cmd + ["-q", "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "rendered 3, reused 0" in res.stderr
