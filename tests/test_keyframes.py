"""Keyframes and image-to-video (issue 15), on the CPU with tiny random Wan pipelines; no mocks.

Keyframes for every shot recorded in shots.json; the panel renderer's picture is the keyframe; image-conditioned
Wan generations (TI2V's image path, the tiny I2V-A14B); long shots chained from the previous segment's last frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from briefreel.render.base import RenderSettings
from briefreel.render.keyframes import (
    absolute_images,
    image_digest,
    image_path,
    keyframe_seed,
    make_keyframes,
    rebase_images,
)
from briefreel.storyboard.schema import Storyboard


def board_of(durations, **extra) -> Storyboard:
    shots = [{"id": f"S{i + 1:02d}", "size": "MS", "duration_s": d, "description": f"Shot {i + 1}: a red kite over "
              f"a grey harbour", "prompt": f"a red kite over a grey harbour, take {i + 1}",
              "movement": "push_in" if i % 2 else "pan_left"} for i, d in enumerate(durations)]
    return Storyboard.model_validate({"aspect_ratio": "16:9", "shots": shots, **extra})


def picture(path: Path, color=(200, 40, 40), size=(320, 180)) -> Path:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 20):  # some structure, so a camera move shows
        img.paste((255, 255, 255), (x, 0, x + 4, size[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


# -- paths, hashes, seeds -------------------------------------------------------------------------------------------

def test_image_paths_resolve_against_shots_json_and_rebase(tmp_path):
    board = board_of([2.0, 2.0])
    board = board.model_copy(update={"shots": [board.shots[0].model_copy(update={"image": "pics/a.png"}),
                                               board.shots[1]]})
    src = tmp_path / "brief"
    assert image_path(board.shots[0], src) == (src / "pics/a.png").resolve()
    assert image_path(board.shots[1], src) is None
    moved = rebase_images(board, src, tmp_path / "out")
    assert moved.shots[0].image == "../brief/pics/a.png"
    assert image_path(moved.shots[0], tmp_path / "out") == image_path(board.shots[0], src)
    absolute = absolute_images(board, src)
    assert Path(absolute.shots[0].image).is_absolute()
    # saved and loaded again, the field survives (schema: a path relative to shots.json)
    again = Storyboard.from_json(moved.to_json())
    assert again.shots[0].image == "../brief/pics/a.png"


def test_image_digest_follows_content(tmp_path):
    p = picture(tmp_path / "a.png")
    first = image_digest(p)
    assert first == image_digest(p)
    picture(p, color=(10, 200, 10))
    assert image_digest(p) != first


def test_keyframe_seed_is_shared_by_shots_naming_the_same_bible_entries():
    board = Storyboard.model_validate({
        "bible": [{"id": "P1", "kind": "product", "name": "Kite", "description": "a red kite"},
                  {"id": "L1", "kind": "place", "name": "Harbour", "description": "a grey harbour"}],
        "shots": [{"id": "S01", "size": "MS", "duration_s": 2, "description": "a", "characters": ["P1"]},
                  {"id": "S02", "size": "CU", "duration_s": 2, "description": "b", "characters": ["P1", "L1"]},
                  {"id": "S03", "size": "LS", "duration_s": 2, "description": "c"},
                  {"id": "S04", "size": "LS", "duration_s": 2, "description": "d", "seed": 5,
                   "characters": ["P1"]}]})
    s = board.shots
    assert keyframe_seed(s[0], board) == keyframe_seed(s[1], board)  # the place does not split them
    assert keyframe_seed(s[2], board) != keyframe_seed(s[0], board)
    assert keyframe_seed(s[3], board) == 5  # a shot's own seed wins


# -- keyframes from the panel renderer --------------------------------------------------------------------------------

def test_panel_keyframes_for_every_shot_recorded_in_shots_json(tmp_path):
    board = board_of([2.0, 1.5, 2.5])
    own = picture(tmp_path / "mine" / "photo.jpg")
    board = board.model_copy(update={"shots": [board.shots[0], board.shots[1].model_copy(
        update={"image": str(own)}), board.shots[2]]})
    out = tmp_path / "out"
    report = make_keyframes(board, out)
    assert report["made"] == ["S01", "S03"] and report["kept"] == ["S02"]
    saved = json.loads((out / "shots.json").read_text(encoding="utf-8"))
    images = [s.get("image") for s in saved["shots"]]
    assert images == ["keyframes/S01.png", str(own), "keyframes/S03.png"]
    with Image.open(out / "keyframes" / "S01.png") as img:
        assert img.size == (1280, 720)
    # again: nothing is made; with force only our own keyframes are, never the user's picture
    again = make_keyframes(Storyboard.load(out / "shots.json"), out)
    assert again["made"] == [] and len(again["kept"]) == 3
    forced = make_keyframes(Storyboard.load(out / "shots.json"), out, force=True)
    assert forced["made"] == ["S01", "S03"] and forced["kept"] == ["S02"]


def test_image_stage_moves_the_camera_over_the_picture(tmp_path):
    from briefreel.render.image_stage import ImageStage

    board = board_of([2.0, 2.0])
    img = Image.radial_gradient("L").convert("RGB").resize((640, 360))
    for shot in board.shots:
        stage = ImageStage(shot, board, 1280, 720, image=img, captions=False, labels=False, desc_lines=0)
        first, last = np.asarray(stage.picture(0.0), float), np.asarray(stage.picture(1.0), float)
        assert first.shape == (720, 1280, 3)
        assert np.abs(first - last).mean() > 1.0  # the camera moved over it
    push = ImageStage(board.shots[1], board, 1280, 720, image=img, captions=False, labels=False, desc_lines=0)
    want = np.asarray(img.resize((1280, 720)), float)
    assert np.abs(np.asarray(push.picture(0.0), float) - want).mean() < 6.0  # a push-in starts on the picture


# -- Wan: stills, image conditioning, chains ---------------------------------------------------------------------------

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from briefreel.render.wan_i2v import make_tiny_i2v
    from briefreel.render.wan_tiny import make_tiny_wan

    base = tmp_path_factory.mktemp("tiny-wan-kf")
    return {"t2v": make_tiny_wan(base / "t2v", "t2v"), "ti2v": make_tiny_wan(base / "ti2v", "ti2v"),
            "i2v": make_tiny_i2v(base / "i2v")}


def test_wan_keyframes_single_frame(tiny, tmp_path):
    board = board_of([2.0, 2.0])
    report = make_keyframes(board, tmp_path, renderer="wan", renderer_options={"model": str(tiny["t2v"])})
    assert report["made"] == ["S01", "S02"]
    with Image.open(tmp_path / "keyframes" / "S01.png") as img:
        assert img.size == (64, 32)  # the tiny model's 16:9 size
    assert Storyboard.load(tmp_path / "shots.json").shots[1].image == "keyframes/S02.png"


def test_ti2v_long_shot_chains_from_the_last_frame(tiny):
    from briefreel.render.wan import WanRenderer
    from briefreel.render.wan_i2v import extend_generation, generate_conditioned, takes_image

    board = board_of([4.0])
    shot = board.shots[0]
    settings = RenderSettings.for_board(board)
    r = WanRenderer(tiny["ti2v"], seed=3)
    assert takes_image(r.spec)
    gen = extend_generation(r, shot, board, settings, 96, r.generation(shot, board, settings, 96))
    assert gen["chain"] and gen["segments"] == [49, 49] and not gen["image_conditioned"]
    chunks, timings = generate_conditioned(r, gen, None)
    # the second segment started from the first one's last frame, which is not shown twice
    assert timings["conditioned_segments"] == [False, True]
    assert [len(c) for c in chunks] == [49, 48]
    assert sum(len(c) for c in chunks) >= 96


def test_ti2v_shot_with_a_picture_is_image_conditioned_and_keyed_by_its_content(tiny, tmp_path):
    from briefreel.render.wan import WanRenderer
    from briefreel.render.wan_i2v import conditioning_image, extend_generation, generate_conditioned

    pic = picture(tmp_path / "kf.png")
    board = board_of([1.5])
    shot = board.shots[0].model_copy(update={"image": str(pic)})
    settings = RenderSettings.for_board(board)
    r = WanRenderer(tiny["ti2v"], seed=3)
    gen = extend_generation(r, shot, board, settings, 36, r.generation(shot, board, settings, 36))
    from briefreel.storyboard.keyframes import digest

    assert gen["image_conditioned"] and gen["image_source"] == "shot" and gen["image_sha256"] == digest(shot, board)
    image = conditioning_image(shot, board, gen)
    assert image.size == (gen["width"], gen["height"])
    chunks, timings = generate_conditioned(r, gen, image)
    assert timings["conditioned_segments"] == [True]
    picture(pic, color=(0, 0, 255))
    again = extend_generation(r, shot, board, settings, 36, r.generation(shot, board, settings, 36))
    assert again["image_sha256"] != gen["image_sha256"]
    # a shot without a picture that fits one generation keeps its text-to-video key
    plain = board.shots[0]
    assert extend_generation(r, plain, board, settings, 36, r.generation(plain, board, settings, 36)) == \
        r.generation(plain, board, settings, 36)


def test_tiny_i2v_pipeline_takes_a_picture(tiny):
    import diffusers

    from briefreel.render.wan_i2v import build_tiny_i2v

    pipe = diffusers.WanImageToVideoPipeline.from_pretrained(tiny["i2v"])
    assert pipe.transformer.config.in_channels == 36 and pipe.transformer_2 is not None
    assert pipe.config.boundary_ratio == 0.9
    assert json.loads((tiny["i2v"] / "model_index.json").read_text())["_class_name"] == "WanImageToVideoPipeline"
    embeds = diffusers.WanPipeline._get_t5_prompt_embeds(pipe, prompt="a kite")
    a = Image.new("RGB", (64, 32), (200, 30, 30))
    b = Image.new("RGB", (64, 32), (30, 30, 200))
    outs = [pipe(image=img, prompt_embeds=embeds, negative_prompt_embeds=embeds, height=32, width=64, num_frames=5,
                 num_inference_steps=2, output_type="np", generator=torch.Generator().manual_seed(0)).frames[0]
            for img in (a, a, b)]
    assert outs[0].shape == (5, 32, 64, 3)
    assert np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])  # the picture conditions it
    assert build_tiny_i2v().transformer.config.in_channels == 36


def test_replacing_a_keyframe_renders_that_shot_alone(tmp_path):
    from briefreel.render.pipeline import render_board

    out = tmp_path / "out"
    make_keyframes(board_of([1.0, 1.0, 1.0]), out)
    first = render_board(Storyboard.load(out / "shots.json"), out, cache_dir=tmp_path / "cache", progress=False,
                         workers=1)
    assert first.rendered == ["S01", "S02", "S03"]
    picture(out / "keyframes" / "S02.png", color=(0, 0, 200), size=(1280, 720))
    again = render_board(Storyboard.load(out / "shots.json"), out, cache_dir=tmp_path / "cache", progress=False,
                         workers=1)
    assert again.rendered == ["S02"] and again.reused == ["S01", "S03"]
