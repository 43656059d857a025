"""Drawn storyboards (issue 16): a phone-scanned page of hand-drawn frames gives one shot per frame, in reading
order, each with its frame as ``image``; the animatic shows the drawings and the sheet shows them cleaned.

No mocks: the pages are drawn here (rectangles in a 3- or 2-column grid, captions and notes written letter by letter
in a handwriting-like face with a wobbling baseline, a sketch in each frame), then tilted, keystoned, paper-toned
and noised as a phone scanning app gives them, wrapped as an image-only PDF and read through the parse child.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rapidocr_onnxruntime")

from PIL import Image  # noqa: E402

from briefreel.parsers import open_brief  # noqa: E402
from briefreel.storyboard import plan  # noqa: E402
from briefreel.storyboard.keyframes import image_bytes  # noqa: E402
from briefreel.storyboard.schema import Storyboard  # noqa: E402
from tests.support.scans import PANELS_EN, PANELS_ZH, drawn_page, images_to_pdf, phone_scan  # noqa: E402


@pytest.fixture(scope="module")
def en():
    page = drawn_page(PANELS_EN, 3, seed=1)
    brief = open_brief(images_to_pdf([phone_scan(page, angle=2.5, seed=1)]))
    return brief, plan(brief)


@pytest.fixture(scope="module")
def zh():
    page = drawn_page(PANELS_ZH, 2, seed=2)
    brief = open_brief(images_to_pdf([phone_scan(page, angle=-2.0, seed=2)]))
    return brief, plan(brief)


def _picture(shot, board=None) -> Image.Image:
    return Image.open(io.BytesIO(image_bytes(shot, board))).convert("RGB")


def test_one_shot_per_panel_in_reading_order(en):
    brief, board = en
    assert [s.id for s in board.shots] == ["S01", "S02", "S03", "S04A", "S05", "S06"]
    assert board.source["format"] == "drawn" and board.source["panels"] == 6
    assert [p.caption for p in brief.pages[0].panels] == [c for c, _ in PANELS_EN]
    assert any("6 drawn panels" in w for w in brief.warnings)


def test_sizes_moves_durations_and_lines_from_the_notes(en):
    _, board = en
    s = {x.id: x for x in board.shots}
    assert (s["S01"].size.value, s["S01"].movement.value, s["S01"].movement_speed) == ("EWS", "push_in", "slow")
    assert (s["S02"].size.value, s["S02"].movement.value) == ("CU", "static")
    assert (s["S02"].dialogue, s["S02"].speaker, s["S02"].dialogue_kind) == ("Morning already?", "MAYA", "dialogue")
    assert s["S03"].movement.value == "pan_right" and s["S03"].duration_s == 4.0
    assert s["S05"].movement.value == "tilt_down" and s["S05"].dialogue_kind == "vo"
    assert s["S06"].duration_s == 3.0
    # what the board does not say is a default, and marked as guessed
    assert set(board.source["guessed"]["S04A"]) == {"size", "movement", "duration"}
    assert "guessed" not in s["S01"].movement_note and "static assumed" in s["S04A"].movement_note
    assert "size" not in board.source["guessed"].get("S01", [])


def test_each_shot_has_its_own_frame_as_image(en):
    _, board = en
    pictures = [_picture(s) for s in board.shots]
    for shot, pic in zip(board.shots, pictures):
        assert shot.image.startswith("data:image/png;base64,")
        w, h = pic.size
        assert 1.5 < w / h < 2.0 and w > 250  # the 16:9 frame, not the page or a caption
        a = np.asarray(pic.convert("L"), float)
        assert a[:6].mean() > 150 and a[-6:].mean() > 150  # cropped inside the drawn border
    # different drawings (the hatching differs per frame), so no two crops are the same picture
    small = [np.asarray(p.convert("L").resize((96, 54)), float) for p in pictures]
    for i in range(len(small)):
        for j in range(i + 1, len(small)):
            assert np.abs(small[i] - small[j]).mean() > 1.0


def test_chinese_captions_two_columns(zh):
    brief, board = zh
    assert [s.id for s in board.shots] == ["S01", "S02", "S03", "S04"]
    assert board.language == "zh"
    s = {x.id: x for x in board.shots}
    assert s["S01"].movement.value == "push_in" and s["S04"].movement.value == "pan_right"
    assert s["S02"].size.value == "CU" and s["S02"].dialogue == "夏天来了。" and s["S02"].dialogue_kind == "vo"
    assert all(x.image for x in board.shots)


def test_saved_board_keeps_keyframes_beside_shots_json(en, tmp_path):
    _, board = en
    board = board.model_copy(deep=True)
    board.save(tmp_path / "shots.json")
    assert board.shots[3].image == "keyframes/S04A.png"
    assert (tmp_path / "keyframes" / "S04A.png").is_file()
    again = Storyboard.load(tmp_path / "shots.json")
    assert "base64" not in (tmp_path / "shots.json").read_text(encoding="utf-8")
    assert _picture(again.shots[0], again).size == _picture(en[1].shots[0]).size
    other = tmp_path / "elsewhere"
    other.mkdir()
    again.save(other / "shots.json")  # a render into another folder takes the keyframes along
    assert (other / "keyframes" / "S01.png").is_file()


def test_animatic_shows_the_drawings_and_the_sheet_cleans_them(en, tmp_path):
    from briefreel.render.exports.thumbs import grab_frame
    from briefreel.render.panel import draw_panel
    from briefreel.render.pipeline import render_board
    from briefreel.render.stage import Stage

    _, board = en
    shots = [s.model_copy(update={"duration_s": 1.0}) for s in board.shots[2:4]]  # S03 (pan right), S04A (static)
    small = board.model_copy(update={"shots": shots, "target_duration_s": None}, deep=True)
    out = tmp_path / "out"
    out.mkdir()
    small.save(out / "shots.json")
    render_board(small, out, cache_dir=tmp_path / "cache", progress=False, workers=1)
    frame, _ = grab_frame(out / "animatic.mp4", 1.5, 640)  # the middle of S04A, a static shot
    want = _picture(small.shots[1], small)
    w, h = frame.size
    fw, fh = want.size
    scale = max(w / fw, h / fh)
    want = want.resize((round(fw * scale), round(fh * scale)))
    left, top = (want.width - w) // 2, (want.height - h) // 2
    want = np.asarray(want.crop((left, top, left + w, top + h)).convert("L"), float)
    got = np.asarray(frame.convert("L"), float)
    box = (slice(h // 5, h * 3 // 5), slice(w // 6, w * 5 // 6))  # clear of the label chip and the caption
    drawn_by_us = np.asarray(Stage(small.shots[1], small, w, h).picture(0.0).convert("L"), float)
    assert np.abs(got[box] - want[box]).mean() < 12
    assert np.abs(got[box] - drawn_by_us[box]).mean() > 2 * np.abs(got[box] - want[box]).mean()
    # the sheet's panel: the same drawing with the paper tone gone (whiter paper, as dark strokes)
    sheet = np.asarray(draw_panel(small.shots[1], small, 640, 360, clean=True).convert("L"), float)
    paper_scan = np.percentile(want[box], 75)
    paper_sheet = np.percentile(sheet[72:216, 106:533], 75)
    assert paper_sheet > 245 and paper_sheet > paper_scan + 15
    assert sheet[72:216, 106:533].min() < 90
