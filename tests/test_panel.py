"""The panel renderer: drawn storyboard panels, CJK text, camera moves, captions, and the clips it encodes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from briefreel.render.base import RenderSettings
from briefreel.render.ffmpeg import probe, read_frames, yuv420_to_rgb, planes_bytes
from briefreel.render.fonts import font, wrap
from briefreel.render.camera import camera_path
from briefreel.render.labels import caption_text, spec_line
from briefreel.render.panel import PanelRenderer, draw_panel
from briefreel.render.stage import Stage
from briefreel.storyboard.schema import Storyboard


def make_board(shots, language="en", aspect="16:9", bible=()) -> Storyboard:
    base = {"size": "MS", "angle": "eye_level", "movement": "static", "duration_s": 1.0,
            "description": "A woman at a kitchen counter opens a bottle.", "dialogue": ""}
    return Storyboard.model_validate({
        "title": "t", "language": language, "aspect_ratio": aspect, "bible": list(bible),
        "shots": [{**base, "id": f"S{i + 1:02d}", **s} for i, s in enumerate(shots)],
    })


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.int16)


def stage_rgb(stage: Stage, t: float) -> np.ndarray:
    return arr(yuv420_to_rgb(planes_bytes(stage.planes(t)), stage.w, stage.h))


# -- text --------------------------------------------------------------------------------------------------------

def test_cjk_glyphs_are_real_not_tofu():
    f = font(40)
    masks = {}
    for ch in "镜号景别运台词推拉":
        m = f.getmask(ch)
        masks[ch] = (m.size, bytes(m))
    notdef = f.getmask("\ue000")  # a private-use code point: the font's missing-glyph box
    notdef = (notdef.size, bytes(notdef))
    assert len(set(masks.values())) == 9  # nine different glyphs
    assert all(v != notdef for v in masks.values())
    assert all(sum(v[1]) > 0 for v in masks.values())


def test_wrap_breaks_cjk_anywhere_and_latin_at_spaces():
    f = font(20)
    zh = wrap("每天早晨都从这里开始，清新，简单，属于我。" * 3, f, 200)
    assert len(zh) > 1 and all(f.getlength(line) <= 200 + f.getlength("。") for line in zh)
    assert not any(line.startswith(("，", "。")) for line in zh)  # closing punctuation never starts a line
    en = wrap("Every morning starts with this bottle of water", f, 150)
    assert len(en) > 1 and all(" " not in (line[0], line[-1]) for line in en)
    assert " ".join(en) == "Every morning starts with this bottle of water"
    cut = wrap("word " * 50, f, 100, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")


def test_labels_follow_the_board_language():
    zh = make_board([{"size": "CU", "movement": "push_in", "dialogue": "你好", "dialogue_kind": "vo"}], "zh")
    en = make_board([{"size": "CU", "movement": "push_in", "dialogue": "Hello", "dialogue_kind": "vo"}])
    assert spec_line(zh.shots[0], zh) == "特写 · 平视 · 推 · 1.0秒"
    assert spec_line(en.shots[0], en) == "CU · Eye level · Push in · 1.0 s"
    assert caption_text(zh.shots[0], zh) == "旁白：你好"
    assert caption_text(en.shots[0], en) == "VO: Hello"


# -- the still panel ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("aspect,size", [("16:9", (1280, 720)), ("9:16", (720, 1280)), ("1:1", (960, 960))])
def test_draw_panel_sizes_and_content(aspect, size):
    board = make_board([{"size": "FS", "movement": "pan_right", "dialogue": "Hi there."}], aspect=aspect)
    img = draw_panel(board.shots[0], board, *size)
    assert img.size == size and img.mode == "RGB"
    a = arr(img)
    assert a.std() > 20  # a drawing, not a flat fill
    # The move is drawn in storyboard red.
    red = (a[..., 0] > 180) & (a[..., 1] < 100) & (a[..., 2] < 100)
    assert red.sum() > 200


def test_draw_panel_composition_follows_shot_size():
    board = make_board([{"size": "LS"}, {"size": "CU"}])
    ls, cu = (arr(draw_panel(s, board, 1280, 720)) for s in board.shots)
    figure = lambda a: ((abs(a[..., 0] - 138) < 12) & (abs(a[..., 2] - 148) < 12)).sum()  # mannequin grey
    assert figure(cu) > 5 * figure(ls)  # the close-up fills the frame with the subject


def test_chinese_panel_differs_from_english_only_in_text():
    zh = make_board([{"description": "她打开瓶子。"}], "zh")
    en = make_board([{"description": "She opens the bottle."}])
    a, b = arr(draw_panel(zh.shots[0], zh, 1280, 720)), arr(draw_panel(en.shots[0], en, 1280, 720))
    diff = np.abs(a - b).sum(axis=2) > 30
    ys, xs = np.nonzero(diff)
    assert diff.sum() > 500 and ys.max() < 120  # only the label chip at the top changed


# -- camera moves ------------------------------------------------------------------------------------------------

def moves_board():
    return make_board([{"movement": m} for m in (
        "static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "crane_down", "roll", "handheld",
        "whip_pan", "arc", "follow", "dolly_zoom", "aerial")])


def test_camera_paths_move_the_right_way():
    board = moves_board()
    paths = {s.movement.value: camera_path(s, 1280, 720, (0.0, -100.0), 7, s.duration_s) for s in board.shots}
    v = lambda m, t: paths[m].view(t)
    assert paths["static"].still and v("static", 0) == v("static", 1)
    assert v("push_in", 1).z > v("push_in", 0).z == 1.0
    assert v("pull_out", 1).z < v("pull_out", 0).z
    assert v("pan_left", 1).cx < v("pan_left", 0).cx and v("pan_right", 1).cx > v("pan_right", 0).cx
    assert v("tilt_up", 1).cy < v("tilt_up", 0).cy and v("crane_down", 1).cy > v("crane_down", 0).cy
    assert abs(v("roll", 1).rot - v("roll", 0).rot) > 5
    shake = [v("handheld", t / 20) for t in range(21)]
    assert len({(round(s.cx, 3), round(s.cy, 3)) for s in shake}) > 15 and all(abs(s.rot) < 2 for s in shake)
    assert max(v("whip_pan", t / 20).blur for t in range(21)) > 10 and v("whip_pan", 0).blur < 1
    assert paths["arc"].subject is not None and paths["arc"].subject(1).cx != paths["arc"].subject(0).cx
    assert paths["follow"].subject(0) == paths["follow"].subject(1)  # the subject holds; the world slides
    assert paths["dolly_zoom"].view(0).z != paths["dolly_zoom"].view(1).z
    assert paths["dolly_zoom"].subject(0).z == paths["dolly_zoom"].subject(1).z


def test_every_move_animates_pixels_smoothly():
    board = moves_board()
    for shot in board.shots:
        stage = Stage(shot, board, 640, 360)
        first, last = stage_rgb(stage, 0.0), stage_rgb(stage, 1.0)
        moved = np.abs(first - last).mean()
        if shot.movement.value == "static":
            assert moved == 0
            continue
        assert moved > 1.0, shot.movement.value
    # Sub-pixel smooth: a slow pan changes every frame, by a little (no stalls, no jumps).
    slow = make_board([{"movement": "pan_right", "movement_speed": "slow", "duration_s": 4.0}])
    stage = Stage(slow.shots[0], slow, 640, 360)
    frames = [stage.planes(i / 95)[0].astype(np.int16) for i in range(40, 56)]
    steps = [np.abs(a - b).mean() for a, b in zip(frames, frames[1:])]
    assert min(steps) > 0.05 and max(steps) < 4 * min(steps)


def test_caption_burned_in_lower_third_only():
    talk = make_board([{"dialogue": "每天早晨都从这里开始。"}], "zh")
    silent = make_board([{"dialogue": ""}], "zh")
    a = Stage(talk.shots[0], talk, 1280, 720)
    b = Stage(silent.shots[0], silent, 1280, 720)
    fa, fb = stage_rgb(a, 0), stage_rgb(b, 0)
    diff = np.abs(fa - fb).sum(axis=2) > 40
    ys, _ = np.nonzero(diff)
    assert diff.sum() > 2000
    assert ys.min() > 720 * 2 / 3  # only in the lower third


# -- clips -------------------------------------------------------------------------------------------------------

def decode(path, w, h):
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(np.int16)
            for f in read_frames(path, w, h, cover=False, pix_fmt="rgb24")]


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_render_shot_writes_a_conformed_h264_clip(tmp_path, aspect):
    board = make_board([{"movement": "push_in", "duration_s": 1.0, "dialogue": "Hello."}], aspect=aspect)
    settings = RenderSettings.for_board(board)
    clip = PanelRenderer().render_shot(board.shots[0], board, settings, 24, tmp_path / "s.mp4")
    info = probe(clip.path)
    assert clip.conformed and clip.frames == info.frames == 24
    assert (info.width, info.height) == ((1280, 720) if aspect == "16:9" else (720, 1280))
    assert info.fps == 24 and info.codec == "h264" and info.pix_fmt == "yuv420p"
    frames = decode(clip.path, info.width, info.height)
    assert len(frames) == 24
    assert np.abs(frames[0] - frames[-1]).mean() > 2  # the push-in really moves
    assert not list(tmp_path.glob(".*part*"))  # no temporary left behind


def test_static_clip_holds_and_seed_is_reproducible(tmp_path):
    board = make_board([{"movement": "handheld", "seed": 42}, {"movement": "static"}])
    settings = RenderSettings.for_board(board)
    r = PanelRenderer()
    c1 = r.render_shot(board.shots[0], board, settings, 12, tmp_path / "a.mp4")
    c2 = r.render_shot(board.shots[0], board, settings, 12, tmp_path / "b.mp4")
    assert c1.seed == 42 and (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    still = decode(r.render_shot(board.shots[1], board, settings, 6, tmp_path / "c.mp4").path, 1280, 720)
    assert len(still) == 6 and np.abs(still[0] - still[-1]).mean() < 0.5  # encoder refinement only


def test_set_and_subject_follow_the_words():
    from briefreel.render.panel_layout import layout

    board = make_board([
        {"size": "EWS", "description": "Pre-dawn city skyline; one kitchen window lights up.",
         "prompt": "Extreme wide shot, shallow depth of field"},
        {"size": "CU", "description": "Hot water blooms the grounds in a glass pour-over."},
        {"size": "CU", "description": "她抬头，阳光洒在脸上。"},
        {"size": "INSERT", "description": 'End card: the logo and the tagline "Start with light."'},
    ])
    lays = [layout(s, board, 1280, 720, i) for i, s in enumerate(board.shots)]
    assert lays[0].setting == "skyline"  # the prompt's "depth of field" is no field
    assert not lays[1].figures and "pour_over" in [t.key for t in lays[1].things]  # nobody: the object is the subject
    assert lays[2].figures and not lays[2].product
    assert lays[3].card == "Start with light."
    card = arr(draw_panel(board.shots[3], board, 1280, 720))
    middle = card[330:470, 300:980]
    assert ((middle.sum(axis=2) < 200).sum() > 1500)  # the tagline, large, in the middle


def test_a_person_with_the_product_is_drawn_as_the_person():
    from briefreel.render.panel_layout import choose_subject, layout

    bible = [{"id": "P1", "kind": "product", "name": "山岚白桃气泡水 330毫升罐装", "description": "白桃气泡水"},
             {"id": "C1", "kind": "character", "name": "Maya", "description": "early 30s"}]
    board = make_board([
        {"size": "MS", "movement": "follow", "characters": ["P1"],
         "description": "女孩骑着薄荷绿单车穿过林荫道，阳光从树叶间洒下来，气泡水放在车筐里。"},
        {"size": "FS", "characters": ["P1"], "description": "傍晚的河边草地，女孩和三个朋友野餐，举起气泡水碰杯。"},
        {"size": "MS", "description": "Maya walks to the bus stop, 气泡水 in hand."},  # the product named, not listed
        {"size": "CU", "characters": ["P1"], "description": "Her hands pour the drink into a glass."},
        {"size": "ECU", "description": "白桃果肉与气泡在玻璃杯中翻滚，慢动作。"},
        {"size": "INSERT", "characters": ["C1", "P1"], "description": "Maya's can on the table, condensation running."},
        {"size": "MS", "characters": ["P1"], "description": "The can stands on a sunny windowsill."},
    ], language="zh", bible=bible)
    subj = [choose_subject(s, board) for s in board.shots]
    assert subj[:3] == [(1, True), (4, True), (1, True)]  # people act: they are the subject, the product a detail
    assert subj[3:] == [(0, True), (0, True), (0, True), (0, True)]  # object close-ups and inserts: the object
    lays = [layout(s, board, 1280, 720, i) for i, s in enumerate(board.shots)]
    assert len(lays[0].figures) == 1 and lays[0].product[2] < 0.3  # the bottle small, beside the rider
    assert len(lays[1].figures) == 4 and lays[1].product_in_hand
    assert not lays[3].figures and lays[3].product[2] > 0.6  # the close-up fills the frame with the object
    # pixels: the rider panel is mostly mannequin grey, the insert mostly the product's own colour
    figure = lambda a: ((abs(a[..., 0] - 138) < 8) & (abs(a[..., 2] - 148) < 8)).sum()
    c = lays[5].product_colour
    bottle = lambda a: ((abs(a[..., 0] - c[0]) < 8) & (abs(a[..., 1] - c[1]) < 8) & (abs(a[..., 2] - c[2]) < 8)).sum()
    ride, insert = (arr(draw_panel(board.shots[i], board, 640, 360)) for i in (0, 5))
    assert figure(ride) > 3 * bottle(ride)
    assert bottle(insert) > 3 * figure(insert)
