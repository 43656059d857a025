"""Issue 17: panels draw what the shot names (objects, product kind, place, light, poses), the sheet and the page
take clean panels, and audio notes stay out of video prompts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from briefreel.render import pictograms as P
from briefreel.render.panel import draw_panel
from briefreel.render.panel_layout import layout
from briefreel.storyboard.schema import Storyboard

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {"en": ("examples/brief_en.pdf", "reel-2026"), "zh": ("examples/brief_zh.pdf", "分镜2026")}


@pytest.fixture(scope="module")
def boards():
    from briefreel.parsers import open_brief
    from briefreel.storyboard import plan

    out = {}
    for lang, (pdf, password) in EXAMPLES.items():
        out[lang] = plan(open_brief(ROOT / pdf, password=password))
    return out


def _short(board: Storyboard, seconds: float = 0.5) -> Storyboard:
    shots = [s.model_copy(update={"duration_s": seconds}) for s in board.shots]
    return board.model_copy(update={"shots": shots, "target_duration_s": None})


def test_nouns_map_to_objects_in_both_languages():
    board = Storyboard.model_validate({"title": "t", "shots": [
        {"id": "S01", "size": "CU", "duration_s": 1, "description": "Her hands pour beans into a hand grinder."},
        {"id": "S02", "size": "ECU", "duration_s": 1, "description": "白桃果肉与气泡在玻璃杯中翻滚。"},
        {"id": "S03", "size": "LS", "duration_s": 1, "description": "A tram and a cyclist pass the shops."},
        {"id": "S04", "size": "MS", "duration_s": 1, "description": "You can see she is tired."},  # a verb "can"
    ]})
    got = [P.objects_in(s, board) for s in board.shots]
    assert got[0] == ["beans", "grinder"]
    assert set(got[1]) == {"peach", "bubbles", "glass"}  # 玻璃杯 is a glass, not also a cup
    assert got[2] == ["tram", "cyclist", "shop"]
    assert got[3] == []


def test_product_is_drawn_as_its_kind(boards):
    assert P.product_kind(boards["en"]) == "bag"  # "340 g whole bean", "the bag"
    assert P.product_kind(boards["zh"]) == "bottle"  # 一瓶…, 瓶盖
    can = Storyboard.model_validate({"title": "t", "bible": [
        {"id": "P1", "kind": "product", "name": "Zest Soda", "description": "Zest Soda 330 ml can"}],
        "shots": [{"id": "S01", "size": "INSERT", "duration_s": 1, "characters": ["P1"], "description": "Zest Soda."}]})
    assert P.product_kind(can) == "can"


def test_place_light_and_pose_follow_the_words(boards):
    en = boards["en"]
    lays = [layout(s, en, 1280, 720, i) for i, s in enumerate(en.shots)]
    assert [lay.place for lay in lays[:2]] == ["skyline", "kitchen"]
    assert lays[0].light == "pre_dawn" and lays[1].light == "pre_dawn"  # the light carries through the scene
    assert lays[4].light == "golden_hour"  # "the sun breaks over the rooftops"
    assert lays[5].place == "street" and lays[5].poses[0] == ("walk", "hold")
    zh = boards["zh"]
    zl = [layout(s, zh, 720, 1280, i) for i, s in enumerate(zh.shots)]
    assert zl[2].place == "road" and zl[2].poses[0][0] == "ride"  # 骑着单车穿过林荫道
    assert zl[4].place == "riverside" and zl[4].light == "golden_hour"  # 傍晚的河边草地
    assert all(p == ("sit", "raise") for p in zl[4].poses)  # 野餐，举起气泡水碰杯


def test_the_light_is_the_palette():
    def board(desc):
        return Storyboard.model_validate({"title": "t", "shots": [
            {"id": "S01", "size": "LS", "duration_s": 1, "description": desc}]})
    means = {}
    for name, desc in (("night", "A street at night."), ("day", "A street at noon."),
                       ("golden", "A street at sunset.")):
        b = board(desc)
        a = np.asarray(draw_panel(b.shots[0], b, 320, 180, clean=True), dtype=np.float32)
        means[name] = a.mean(axis=(0, 1))
    assert means["night"].sum() < 0.6 * means["day"].sum()
    assert means["golden"][0] - means["golden"][2] > means["day"][0] - means["day"][2] + 20  # warmer


def test_render_json_records_what_was_drawn_and_it_is_what_the_words_name(boards, tmp_path):
    from briefreel.render.pipeline import render_board

    for lang, board in boards.items():
        out = tmp_path / lang
        render_board(_short(board), out, use_cache=False, progress=False, workers=1, exports=False)
        record = json.loads((out / "render.json").read_text(encoding="utf-8"))
        for shot, row in zip(board.shots, record["shots"]):
            drew = row["info"]["drew"]
            assert {"objects", "place", "light", "figures"} <= set(drew)
            named = P.objects_in(shot, board)
            if drew.get("product"):
                named = [drew["product"] if k == drew["product"] else k for k in named]
            assert set(named) <= set(drew["objects"]), (lang, shot.id, shot.description, drew)
    en = json.loads((tmp_path / "en" / "render.json").read_text(encoding="utf-8"))
    drew = {r["id"]: r["info"]["drew"] for r in en["shots"]}
    assert {"bag", "grinder", "beans"} <= set(drew["S03"]["objects"])
    assert {"tram", "cyclist", "shop", "cup"} <= set(drew["S06"]["objects"])
    assert drew["S06"]["place"] == "street" and drew["S01"]["light"] == "pre_dawn"


def test_example_boards_render_to_pngs_to_look_at(boards, tmp_path):
    """Every panel of both bundled examples as PNGs (tmp output; the session looked at them)."""
    from briefreel.render.base import FRAME_SIZES

    for lang, board in boards.items():
        w, h = FRAME_SIZES[board.aspect_ratio]
        for shot in board.shots:
            img = draw_panel(shot, board, w // 2, h // 2, clean=True)
            img.save(tmp_path / f"{lang}_{shot.id}.png")
            assert np.asarray(img).std() > 15
    assert len(list(tmp_path.glob("*.png"))) == len(boards["en"].shots) + len(boards["zh"].shots)


def test_sheet_and_page_take_clean_panels(tmp_path, monkeypatch):
    """With panel-renderer clips (labels and caption burned in), the sheet's and the page's stills are the clean
    drawn frame: pixel for pixel the clean panel, far from the labelled one."""
    from briefreel.render import exports
    from briefreel.render.exports import sheet
    from briefreel.render.pipeline import render_board

    board = Storyboard.model_validate({"title": "t", "language": "en", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 0.5, "description": "A woman holds a cup in a kitchen.",
         "dialogue": "Start with light.", "dialogue_kind": "vo"}]})
    seen = {}
    real = sheet.write_sheet

    def spy(board_, path, stills, page="A4"):
        seen.update(stills)
        return real(board_, path, stills, page=page)

    monkeypatch.setattr(sheet, "write_sheet", spy)
    render_board(board, tmp_path, use_cache=False, progress=False, workers=1)
    shot = board.shots[0]
    got = np.asarray(seen["S01"].convert("RGB"), dtype=np.int16)
    size = seen["S01"].size
    clean = np.asarray(draw_panel(shot, board, 1280, 720, clean=True).resize(size, Image.LANCZOS), dtype=np.int16)
    labelled = np.asarray(draw_panel(shot, board, 1280, 720).resize(size, Image.LANCZOS), dtype=np.int16)
    assert np.abs(got - clean).mean() < 1.0
    # the label chip (top left) and the caption (lower third) are not there
    chip = (slice(0, size[1] // 8), slice(0, size[0] // 3))
    cap = (slice(size[1] * 3 // 4, size[1] * 15 // 16), slice(size[0] // 4, size[0] * 3 // 4))
    for region in (chip, cap):
        assert np.abs(got[region] - labelled[region]).mean() > 8
        assert np.abs(got[region] - clean[region]).mean() < 1.5
    assert exports.panel_clips(tmp_path)


def test_audio_notes_stay_out_of_video_prompts(boards):
    from briefreel.storyboard.prompts import build_prompt, visual_tone

    assert visual_tone("warm, quiet, hopeful; natural light, no voice-over hype") == \
        "warm, quiet, hopeful; natural light"
    assert visual_tone("轻松，音乐轻快，温暖") == "轻松，温暖"
    en = boards["en"]
    for shot in en.shots:
        prompt = build_prompt(shot, en)
        assert "voice-over" not in prompt.lower() and "hype" not in prompt.lower()
        assert "natural light" in prompt
