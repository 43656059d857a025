"""Keyframes and image-to-video wired in (issue 15): render_board, render.json, the exports, the CLI, make-tiny-wan.
CPU, tiny random Wan pipelines, no mocks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from briefreel.render.keyframes import absolute_images, make_keyframes
from briefreel.storyboard.schema import Storyboard
from tests.test_keyframes import board_of, picture, tiny, one_torch_thread  # noqa: F401 (fixtures)

# -- wired in: render_board, the exports, the CLI ---------------------------------------------------------------------

def test_panel_render_moves_over_the_keyframes_and_the_sheet_shows_them(tmp_path):
    from briefreel.render.exports import make_stills
    from briefreel.render.pipeline import render_board

    out = tmp_path / "out"
    board = make_keyframes(board_of([1.5, 1.5]), out)["board"]
    mine = picture(tmp_path / "own.png", color=(20, 160, 40))
    board = board.model_copy(update={"shots": [board.shots[0], board.shots[1].model_copy(
        update={"image": "../own.png"})]})
    report = render_board(board, out, cache_dir=tmp_path / "cache", progress=False, workers=1)
    record = json.loads(report.render_json.read_text(encoding="utf-8"))
    assert record["image_conditioned"] == ["S01", "S02"]
    assert [s["info"]["image_conditioned"] for s in record["shots"]] == [True, True]
    # the sheet's and page's panel is the picture itself (clean, before the move arrows are drawn)
    _, _, plain = make_stills(absolute_images(board, out), {}, drawn=True)
    # S01 pans (its first view is a part of the picture, which spans the pan): its colours; S02 pushes in (its
    # first view is the whole picture): the picture, compared at 16x9 so the thin stripes' resampling does not count
    for shot_id, source in (("S01", out / "keyframes" / "S01.png"), ("S02", mine)):
        src, got = Image.open(source).convert("RGB"), plain[shot_id]
        mean = lambda img: np.asarray(img, float).reshape(-1, 3).mean(axis=0)  # noqa: E731
        assert np.abs(mean(got) - mean(src)).max() < 12.0
        if shot_id == "S02":
            small = np.asarray(got.resize((16, 9), Image.BOX), float)
            assert np.abs(small - np.asarray(src.resize((16, 9), Image.BOX), float)).mean() < 8.0


def test_replacing_a_keyframe_renders_that_shot_alone(tmp_path):
    from briefreel.render.pipeline import render_board

    out = tmp_path / "out"
    board = make_keyframes(board_of([1.0, 1.0, 1.0]), out)["board"]
    first = render_board(board, out, cache_dir=tmp_path / "cache", progress=False, workers=1)
    assert first.rendered == ["S01", "S02", "S03"]
    picture(out / "keyframes" / "S02.png", color=(0, 0, 200), size=(1280, 720))
    again = render_board(Storyboard.load(out / "shots.json"), out, cache_dir=tmp_path / "cache", progress=False,
                         workers=1)
    assert again.rendered == ["S02"] and again.reused == ["S01", "S03"]


def test_wan_i2v_render_is_image_conditioned_and_rerenders_a_replaced_keyframe(tiny, tmp_path):
    from briefreel.render.pipeline import render_board

    out = tmp_path / "out"
    board = board_of([1.0, 3.0])  # the second is two tiny generations long
    picture(out / "keyframes" / "S01.png", size=(128, 64))
    board = board.model_copy(update={"shots": [board.shots[0].model_copy(update={"image": "keyframes/S01.png"}),
                                               board.shots[1]]})
    board._folder = out  # as Storyboard.load(out / "shots.json") records it: image is relative to that folder
    options = {"model": str(tiny["i2v"]), "seed": 1}
    report = render_board(board, out, renderer="wan", renderer_options=options, cache_dir=tmp_path / "c",
                          progress=False)
    record = json.loads(report.render_json.read_text(encoding="utf-8"))
    info = {s["id"]: s["info"] for s in record["shots"]}
    assert record["image_conditioned"] == ["S01", "S02"]
    assert info["S01"]["image_source"] == "shot" and info["S02"]["image_source"] == "panel"  # I2V always needs one
    assert info["S02"]["chain"] and info["S02"]["conditioned_segments"] == [True, True]
    picture(out / "keyframes" / "S01.png", color=(0, 200, 200), size=(128, 64))
    again = render_board(board, out, renderer="wan", renderer_options=options, cache_dir=tmp_path / "c",
                         progress=False)
    assert again.rendered == ["S01"] and again.reused == ["S02"]


def test_cli_keyframes_then_render_elsewhere_keeps_the_pictures(tmp_path):
    from briefreel.cli import main

    src = tmp_path / "src"
    src.mkdir()
    board_of([1.0, 1.0]).save(src / "shots.json")
    out = tmp_path / "out"
    assert main(["keyframes", str(src / "shots.json"), "--out", str(out), "-q"]) == 0
    assert (out / "keyframes" / "S01.png").is_file() and (out / "keyframes" / "S02.png").is_file()
    assert [s.image for s in Storyboard.load(out / "shots.json").shots] == ["keyframes/S01.png",
                                                                            "keyframes/S02.png"]
    other = tmp_path / "other"
    assert main(["render", str(out / "shots.json"), "--out", str(other), "-q", "--cache-dir",
                 str(tmp_path / "cache")]) == 0
    # Storyboard.save (storyboard/keyframes.py) copies the pictures along: the new folder's shots.json is whole
    moved = Storyboard.load(other / "shots.json")
    assert [s.image for s in moved.shots] == ["keyframes/S01.png", "keyframes/S02.png"]
    for name in ("S01.png", "S02.png"):
        assert (other / "keyframes" / name).read_bytes() == (out / "keyframes" / name).read_bytes()
    assert json.loads((other / "render.json").read_text())["image_conditioned"] == ["S01", "S02"]
    # a picture that is not there: the panel renderer draws the shot as if it had none (storyboard/keyframes.py:
    # load_image), and render.json does not call it image-conditioned (a Wan model that takes a picture refuses it:
    # KeyframeError)
    broken = board_of([1.0]).model_copy(update={"shots": [board_of([1.0]).shots[0].model_copy(
        update={"image": "nope.png"})]})
    broken.save(tmp_path / "broken.json")
    assert main(["render", str(tmp_path / "broken.json"), "--out", str(tmp_path / "b"), "-q"]) == 0
    assert json.loads((tmp_path / "b" / "render.json").read_text())["image_conditioned"] == []


def test_make_tiny_wan_i2v_variant(tmp_path):
    from briefreel.cli import main

    assert main(["make-tiny-wan", str(tmp_path / "i2v"), "--variant", "i2v"]) == 0
    index = json.loads((tmp_path / "i2v" / "model_index.json").read_text())
    assert index["_class_name"] == "WanImageToVideoPipeline" and index["boundary_ratio"] == 0.9


# -- the sheet cleans scans only (issue 16's clean_drawing) --------------------------------------------------------

def test_sheet_cleans_scans_only_and_keeps_a_colour_keyframes_colours(tmp_path):
    """On a drawn board (storyboard/drawn.py records each scan's digest in source["scans"]), a colour keyframe
    or photo put in a scan's place appears on the sheet with its own colours; the scan is still cleaned."""
    from briefreel.render.panel import draw_panel, is_scan
    from briefreel.storyboard.keyframes import data_uri, digest

    import io

    from PIL import ImageDraw

    scan_img = Image.new("RGB", (320, 180), (205, 195, 170))  # a "scan": tinted paper, a few pencil lines
    ImageDraw.Draw(scan_img).line((40, 40, 280, 140), fill=(60, 60, 60), width=3)
    buf = io.BytesIO()
    scan_img.save(buf, format="PNG")
    paper = data_uri(buf.getvalue())
    base = board_of([1.0, 1.0])
    shots = [s.model_copy(update={"image": paper}) for s in base.shots]
    board = base.model_copy(update={"shots": shots})
    board.source = {"format": "drawn", "scans": {s.id: digest(s, board) for s in shots}}
    colour = (30, 90, 200)
    keyframe = picture(tmp_path / "keyframes" / "S02.png", color=colour)
    board = board.model_copy(update={"shots": [shots[0], shots[1].model_copy(update={"image": str(keyframe)})]})
    assert is_scan(board.shots[0], board) and not is_scan(board.shots[1], board)
    w, h = 320, 180
    scan = np.asarray(draw_panel(board.shots[0], board, w, h, clean=True), float)
    kept = np.asarray(draw_panel(board.shots[1], board, w, h, clean=True), float)
    centre = (slice(h // 3, 2 * h // 3), slice(w // 3, 2 * w // 3))
    # the keyframe's blue (between its white stripes) is on the sheet as it is in the file
    body = kept[centre].reshape(-1, 3)
    blue = body[(np.abs(body - colour).sum(axis=1) < 30)]
    assert len(blue) > 0.5 * len(body), "the keyframe's colour is not on the sheet"
    # a board that is not drawn never cleans: the same tinted picture keeps its tone
    plain = base.model_copy(update={"shots": shots})
    assert not is_scan(plain.shots[0], plain)
    raw = np.asarray(draw_panel(plain.shots[0], plain, w, h, clean=True), float)
    assert np.abs(np.median(raw[centre].reshape(-1, 3), axis=0) - (205, 195, 170)).max() < 20
    # the scan was cleaned: its paper tone is gone (near white)
    assert np.median(scan[centre].reshape(-1, 3), axis=0).min() > 240
