"""The Wan renderer, run for real on tiny randomly initialised Wan pipelines (CPU).

Every model here is written by ``briefreel make-tiny-wan`` and loaded through ``WanPipeline.from_pretrained``,
the same path as released weights. Sizes and step counts are tiny; the animatic is still conformed to 1280x720.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

import imageio_ffmpeg  # noqa: E402

from briefreel.render.base import RenderSettings, frame_spans  # noqa: E402
from briefreel.render.errors import RendererUnavailable  # noqa: E402
from briefreel.render.wan import (  # noqa: E402
    WAN_NEGATIVE_PROMPT,
    WanRenderer,
    choose_memory_plan,
    read_model_spec,
    release_pipelines,
    segment_plan,
)
from briefreel.render.wan_tiny import make_tiny_wan  # noqa: E402
from briefreel.storyboard.schema import Storyboard  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The tiny model's ops are too small to share between threads; on a busy CI machine two threads spin-wait
    and run several times slower than one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiny-wan")
    return {v: make_tiny_wan(base / v, v) for v in ("t2v", "a14b", "ti2v")}


def board_of(durations, aspect="16:9", **extra) -> Storyboard:
    shots = [{"id": f"S{i + 1:02d}", "size": "MS", "duration_s": d, "description": f"Shot {i + 1}: a red kite "
              f"over a grey harbour", "prompt": f"a red kite over a grey harbour, take {i + 1}",
              "dialogue": "Hello" if i == 0 else ""} for i, d in enumerate(durations)]
    return Storyboard.model_validate({"aspect_ratio": aspect, "shots": shots, **extra})


def probe(path: Path) -> tuple[int, float, tuple[int, int]]:
    """(frames, fps, (width, height)) of a video file, read by the bundled ffmpeg."""
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = gen.__next__()
    gen.close()
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return frames, meta["fps"], tuple(meta["size"])


def decode(path: Path) -> np.ndarray:
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = gen.__next__()
    w, h = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in gen])


# -- the tiny model -------------------------------------------------------------------------------------------------

def test_make_tiny_wan_writes_the_diffusers_layout_deterministically(tiny, tmp_path):
    a14b = tiny["a14b"]
    for part in ("model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
                 "tokenizer/tokenizer.json", "transformer/config.json", "transformer_2/config.json",
                 "vae/config.json", "transformer/diffusion_pytorch_model.safetensors"):
        assert (a14b / part).is_file(), part
    index = json.loads((a14b / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline" and index["boundary_ratio"] == 0.875
    assert index["text_encoder"] == ["transformers", "UMT5EncoderModel"]
    assert index["scheduler"] == ["diffusers", "UniPCMultistepScheduler"]

    again = make_tiny_wan(tmp_path / "again", "a14b")

    def digest(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.rglob("*.safetensors")}

    assert digest(again) == digest(a14b)


def test_make_tiny_wan_cli(tmp_path):
    from briefreel.cli import main

    assert main(["make-tiny-wan", str(tmp_path / "m"), "--variant", "ti2v"]) == 0
    assert json.loads((tmp_path / "m" / "model_index.json").read_text())["expand_timesteps"] is True
    assert main(["make-tiny-wan", str(tmp_path / "m")]) == 2  # not empty: refused, nothing overwritten


def test_tokenizer_round_trips_chinese_and_english(tiny):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny["t2v"] / "tokenizer")
    for text in ("A red kite over the harbour", "港口上空的红色风筝"):
        ids = tok(text).input_ids
        assert ids[-1] == tok.eos_token_id
        assert tok.decode(ids, skip_special_tokens=True) == text


# -- what the configs say -------------------------------------------------------------------------------------------

def _config_only_folder(root: Path, name: str, *, two=False, ti2v=False, heads=12, layers=30) -> Path:
    """The config files of a released checkpoint (no weights): enough for the family, sizes and defaults."""
    folder = root / name
    (folder / "transformer").mkdir(parents=True)
    (folder / "vae").mkdir()
    (folder / "scheduler").mkdir()
    index = {"_class_name": "WanPipeline", "boundary_ratio": 0.875 if two else None,
             "expand_timesteps": ti2v, "transformer": ["diffusers", "WanTransformer3DModel"],
             "transformer_2": ["diffusers", "WanTransformer3DModel"] if two else [None, None],
             "vae": ["diffusers", "AutoencoderKLWan"]}
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "transformer" / "config.json").write_text(json.dumps(
        {"num_attention_heads": heads, "attention_head_dim": 128, "num_layers": layers, "patch_size": [1, 2, 2],
         "in_channels": 48 if ti2v else 16}))
    vae = {"z_dim": 48, "scale_factor_spatial": 16, "scale_factor_temporal": 4} if ti2v else {"z_dim": 16}
    (folder / "vae" / "config.json").write_text(json.dumps(vae))
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps({"flow_shift": 5.0 if ti2v else 3.0}))
    return folder


def test_family_defaults_come_from_the_configs_not_the_name(tmp_path):
    # Folder names are deliberately misleading: only the configs may decide.
    a14b = read_model_spec(_config_only_folder(tmp_path, "Wan2.1-T2V-1.3B", two=True, heads=40, layers=40))
    assert (a14b.family, a14b.fps, a14b.two_experts, a14b.steps) == ("wan2.2-t2v-a14b", 16, True, 40)
    assert (a14b.guidance, a14b.guidance_2) == (4.0, 3.0)
    assert [1280, 720] in a14b.sizes and a14b.size_multiple == 16 and a14b.max_frames == 81

    ti2v = read_model_spec(_config_only_folder(tmp_path, "Wan2.2-T2V-A14B", ti2v=True, heads=24))
    assert (ti2v.family, ti2v.fps, ti2v.expand_timesteps, ti2v.size_multiple) == ("wan2.2-ti2v-5b", 24, True, 32)
    assert ti2v.sizes[0] == [1280, 704] and ti2v.max_frames == 121 and ti2v.guidance_2 is None

    small = read_model_spec(_config_only_folder(tmp_path, "Wan2.1-T2V-14B", heads=12, layers=30))
    assert (small.family, small.fps, small.sizes[0], small.steps) == ("wan2.1-t2v-1.3b", 16, [832, 480], 50)
    big = read_model_spec(_config_only_folder(tmp_path, "mystery", heads=40, layers=40))
    assert (big.family, big.sizes[0]) == ("wan2.1-t2v-14b", [1280, 720])


def test_native_size_follows_the_board_aspect(tmp_path):
    folder = _config_only_folder(tmp_path, "a14b", two=True, heads=40, layers=40)
    renderer = WanRenderer(folder)
    for aspect, size in (("16:9", (1280, 720)), ("9:16", (720, 1280)), ("1:1", (960, 960))):
        board = board_of([2.0], aspect)
        gen = renderer.generation(board.shots[0], board, RenderSettings.for_board(board), 48)
        assert (gen["width"], gen["height"]) == size
        assert gen["segments"] == [33]  # 2 s at 16 fps = 32 frames -> 33 = 4*8+1


def test_segment_plan_is_4k_plus_1_and_covers_the_shot(tiny):
    spec = read_model_spec(tiny["t2v"])  # 16 fps, at most 33 frames per generation
    for span in (1, 12, 24, 36, 48, 49, 77, 120, 500):
        segs = segment_plan(span, 24, spec)
        assert all((n - 1) % 4 == 0 and 5 <= n <= spec.max_frames for n in segs)
        assert sum(segs) / spec.fps >= span / 24  # covers the shot's duration
        assert len(segs) == -(-(-(-span * 16 // 24)) // 33)  # ceil(ceil(native frames) / 33) segments
    real = read_model_spec(tmp_dir_a14b(tiny))
    assert segment_plan(120, 24, real) == [81]  # 5 s at 16 fps: one 81-frame clip
    assert segment_plan(240, 24, real) == [81, 81]  # 10 s: two chained clips


def tmp_dir_a14b(tiny) -> Path:
    folder = tiny["a14b"].parent / "a14b-configs"
    if not folder.exists():
        _config_only_folder(tiny["a14b"].parent, "a14b-configs", two=True, heads=40, layers=40)
    return folder


# -- rendering shots ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant,aspect", [("t2v", "16:9"), ("a14b", "9:16"), ("ti2v", "1:1")])
def test_render_shot_native_clip(tiny, tmp_path, variant, aspect):
    board = board_of([1.5], aspect)
    settings = RenderSettings.for_board(board)
    renderer = WanRenderer(tiny[variant], seed=3)
    clip = renderer.render_shot(board.shots[0], board, settings, 36, tmp_path / "S01.mp4")
    spec = renderer.spec
    assert not clip.conformed and clip.fps == spec.fps == (24 if variant == "ti2v" else 16)
    frames, fps, size = probe(clip.path)
    assert frames == clip.frames and (clip.frames - 1) % 4 == 0
    assert clip.frames / clip.fps >= 1.5
    assert fps == spec.fps and size == (clip.width, clip.height)
    assert clip.info["segment_seeds"][0] == clip.seed
    if variant == "a14b":
        assert renderer.pipeline.transformer_2 is not None and clip.info["guidance_2"] == 3.0
        assert size[1] > size[0]  # portrait for 9:16
    assert not list(tmp_path.glob(".*part*"))  # no temporary file left behind


def test_long_shot_chains_segments_with_their_own_seeds(tiny, tmp_path):
    board = board_of([5.0])
    renderer = WanRenderer(tiny["t2v"])
    clip = renderer.render_shot(board.shots[0], board, RenderSettings.for_board(board), 120, tmp_path / "S01.mp4")
    segs = clip.info["segments"]
    assert len(segs) == 3 and clip.frames == sum(segs) >= 80
    assert len(set(clip.info["segment_seeds"])) == 3
    assert probe(clip.path)[0] == clip.frames


def test_same_seed_same_frames_other_seed_differs(tiny, tmp_path):
    board = board_of([1.0])
    shot, settings = board.shots[0], RenderSettings.for_board(board)
    first = WanRenderer(tiny["t2v"], seed=11).render_shot(shot, board, settings, 24, tmp_path / "a.mp4")
    release_pipelines()  # the second render loads the model afresh
    again = WanRenderer(tiny["t2v"], seed=11).render_shot(shot, board, settings, 24, tmp_path / "b.mp4")
    other = WanRenderer(tiny["t2v"], seed=12).render_shot(shot, board, settings, 24, tmp_path / "c.mp4")
    assert first.seed == again.seed != other.seed
    a, b, c = decode(first.path), decode(again.path), decode(other.path)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 1.0
    # A seed written into the shot wins over the derived one.
    pinned = shot.model_copy(update={"seed": 424242})
    key = WanRenderer(tiny["t2v"], seed=99).cache_key(pinned, board, settings, 24)
    assert key["seed"] == 424242


def test_prompts_and_cache_key(tiny):
    board = board_of([1.0, 1.0], negative_prompt="text, watermark")
    settings = RenderSettings.for_board(board)
    r = WanRenderer(tiny["t2v"])
    s1, s2 = board.shots
    s2 = s2.model_copy(update={"negative_prompt": "lens flare", "prompt": ""})
    k1, k2 = r.cache_key(s1, board, settings, 24), r.cache_key(s2, board, settings, 24)
    assert k1["negative_prompt"] == "text, watermark" and k2["negative_prompt"] == "lens flare"
    assert k2["prompt"].startswith("Shot 2: a red kite")  # empty prompt: the description stands in
    plain = board_of([1.0])
    assert r.cache_key(plain.shots[0], plain, settings, 24)["negative_prompt"] == WAN_NEGATIVE_PROMPT
    for field in ("prompt", "negative_prompt", "model", "revision", "width", "height", "segments", "steps",
                  "guidance", "seed", "version"):
        assert field in k1
    assert r.cache_key(s1, board, settings, 48) != k1  # frames
    assert WanRenderer(tiny["t2v"], steps=3).cache_key(s1, board, settings, 24) != k1
    assert WanRenderer(tiny["t2v"], guidance=2.0).cache_key(s1, board, settings, 24) != k1
    assert WanRenderer(tiny["a14b"]).cache_key(s1, board, settings, 24)["model"] != k1["model"]


def test_revision_changes_when_weights_change(tiny, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny["t2v"], folder)
    before = read_model_spec(folder).revision
    assert read_model_spec(folder).revision == before
    weights = folder / "transformer" / "diffusion_pytorch_model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert read_model_spec(folder).revision != before


def test_missing_model_is_renderer_unavailable(tmp_path):
    with pytest.raises(RendererUnavailable, match="no model folder at .*nowhere"):
        WanRenderer(tmp_path / "nowhere")
    with pytest.raises(RendererUnavailable, match="needs --model"):
        WanRenderer()
    (tmp_path / "empty").mkdir()
    with pytest.raises(RendererUnavailable, match="no model_index.json"):
        WanRenderer(tmp_path / "empty")
    with pytest.raises(RendererUnavailable, match="neither in the local Hugging Face cache nor reachable"):
        WanRenderer("briefreel-test/no-such-wan-model")


def test_cuda_asked_for_without_a_gpu(tiny):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RendererUnavailable, match="no CUDA GPU"):
        WanRenderer(tiny["t2v"], device="cuda")
    assert WanRenderer(tiny["t2v"]).compute_dtype() == "float32"


def test_other_wan_checkpoints_are_refused_and_i2v_is_detected(tiny, tmp_path):
    folder = tmp_path / "vace"
    shutil.copytree(tiny["t2v"], folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["_class_name"] = "WanVACEPipeline"
    (folder / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(RendererUnavailable, match="needs a WanPipeline or WanImageToVideoPipeline"):
        WanRenderer(folder)
    # Wan2.2-I2V-A14B (issue 15, render/wan_i2v.py): its own family and published defaults
    index["_class_name"] = "WanImageToVideoPipeline"
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "briefreel_wan.json").unlink()
    spec = read_model_spec(folder)
    assert (spec.family, spec.pipeline_class, spec.steps, spec.fps) == ("wan2.2-i2v-a14b", "WanImageToVideoPipeline",
                                                                       40, 16)


def _released_sizes() -> dict[str, dict[str, int]]:
    """Bytes per component of the released checkpoints (bfloat16, VAE float32), counted on the meta device from
    the published configs (render.wan_sizes): no weights needed."""
    from briefreel.render.wan_sizes import parameter_counts

    def size(counts: dict[str, int]) -> dict[str, int]:
        return {k: v * (4 if k == "vae" else 2) for k, v in counts.items()}

    return {"a14b": size(parameter_counts("t2v-a14b")), "ti2v": size(parameter_counts("ti2v-5b"))}


def test_memory_plan_from_free_vram():
    gib = 1024**3
    sizes = _released_sizes()
    a14b, ti2v = sizes["a14b"], sizes["ti2v"]
    # 14.3 B parameters per expert, 5.7 B in UMT5-XXL's encoder (11.4 GB in bf16, as published).
    assert 26 * gib < a14b["transformer"] < 27.5 * gib and 10 * gib < a14b["text_encoder"] < 11 * gib
    # H200 (139 GiB free): all on the card; the 720p decode is tiled all the same (vae_tiling_for).
    assert choose_memory_plan(a14b, 139 * gib, (1280, 720)) == ("gpu", True)
    assert choose_memory_plan(a14b, 139 * gib, (832, 480)) == ("gpu", False)
    # H100 (79 GiB): 64 GiB of weights leave too little working room; one expert at a time, tiled decode.
    assert choose_memory_plan(a14b, 79 * gib, (1280, 720)) == ("model_offload", True)
    # A 24 GB card: one 27 GiB expert does not fit; layers are streamed in.
    assert choose_memory_plan(a14b, 23 * gib, (1280, 720)) == ("group_offload", True)
    # Wan2.2-TI2V-5B: all on an H100; one component at a time on a 24 GB card.
    assert choose_memory_plan(ti2v, 79 * gib, (1280, 704)) == ("gpu", True)
    assert choose_memory_plan(ti2v, 23 * gib, (1280, 704)) == ("model_offload", True)
    # memory= and vae_tiling= override the choice.
    assert choose_memory_plan(ti2v, 23 * gib, (1280, 704), memory="group_offload") == ("group_offload", True)
    assert choose_memory_plan(ti2v, 79 * gib, (1280, 704), vae_tiling=False) == ("gpu", False)


def test_memory_plan_on_cpu(tiny):
    r = WanRenderer(tiny["t2v"], device="cpu", memory="group_offload")
    r.pipeline  # loads
    assert r._loaded.plan == "cpu" and "ignored: no GPU" in r._loaded.notes["memory_note"]
    assert r._loaded.notes["weights_bytes"] > 100_000


def test_pipeline_loads_once_and_stays_warm(tiny):
    first = WanRenderer(tiny["t2v"], device="cpu")
    pipe = first.pipeline
    assert first.pipeline is pipe  # once per renderer
    assert WanRenderer(tiny["t2v"], device="cpu").pipeline is pipe  # and for the next one with the same weights
    other = WanRenderer(tiny["a14b"], device="cpu").pipeline
    assert other is not pipe and other.transformer_2 is not None
    with pytest.raises(Exception, match="both width and height"):
        WanRenderer(tiny["t2v"], width=64)


# -- the whole render: render_board, cache, animatic ----------------------------------------------------------------

@pytest.fixture
def render_pipeline():
    from briefreel.render import pipeline

    return pipeline


def test_render_board_end_to_end_and_cache(tiny, tmp_path, render_pipeline):
    board = board_of([1.0, 2.5, 0.75])
    out, cache = tmp_path / "out", tmp_path / "cache"
    opts = {"model": str(tiny["t2v"]), "seed": 5}
    report = render_pipeline.render_board(board, out, renderer="wan", renderer_options=opts, cache_dir=cache,
                                          progress=False)
    assert sorted(report.rendered) == ["S01", "S02", "S03"] and report.reused == []
    spans = frame_spans([s.duration_s for s in board.shots], 24)
    frames, fps, size = probe(out / "animatic.mp4")
    assert frames == spans[-1][1] == round(4.25 * 24) and fps == 24 and size == (1280, 720)
    record = json.loads((out / "render.json").read_text())
    assert record["renderer"] == "wan"
    for shot in record["shots"]:  # per-shot seeds and the model's revision are on record
        info = shot["info"]
        assert info["segment_seeds"][0] == shot["seed"] and info["model"] == str(tiny["t2v"].resolve())
        assert info["revision"].startswith("folder:") and all((n - 1) % 4 == 0 for n in info["segments"])

    # The same board, no cache, elsewhere: the very same animatic.
    render_pipeline.render_board(board, tmp_path / "again", renderer="wan", renderer_options=opts,
                                 use_cache=False, cache_dir=tmp_path / "cache2", progress=False, exports=False)
    assert np.array_equal(decode(out / "animatic.mp4"), decode(tmp_path / "again" / "animatic.mp4"))

    # Nothing changed: everything reused. One prompt edited: that shot alone renders again.
    again = render_pipeline.render_board(board, out, renderer="wan", renderer_options=opts, cache_dir=cache,
                                         progress=False)
    assert again.rendered == [] and sorted(again.reused) == ["S01", "S02", "S03"]
    edited = board.model_copy(deep=True)
    edited.shots[1].prompt = "a blue kite over a grey harbour"
    third = render_pipeline.render_board(edited, out, renderer="wan", renderer_options=opts, cache_dir=cache,
                                         progress=False)
    assert third.rendered == ["S02"] and sorted(third.reused) == ["S01", "S03"]
    assert probe(out / "animatic.mp4")[0] == spans[-1][1]


def test_render_board_two_experts_portrait(tiny, tmp_path, render_pipeline):
    board = board_of([1.25, 0.5], aspect="9:16")
    report = render_pipeline.render_board(board, tmp_path / "out", renderer="wan",
                                          renderer_options={"model": str(tiny["a14b"])},
                                          cache_dir=tmp_path / "cache", progress=False)
    assert sorted(report.rendered) == ["S01", "S02"]
    frames, fps, size = probe(tmp_path / "out" / "animatic.mp4")
    assert frames == round(1.75 * 24) and size == (720, 1280)


def test_render_board_missing_model(tmp_path, render_pipeline):
    with pytest.raises(RendererUnavailable):
        render_pipeline.render_board(board_of([1.0]), tmp_path / "out", renderer="wan",
                                     renderer_options={"model": str(tmp_path / "nowhere")},
                                     cache_dir=tmp_path / "cache", progress=False)
    assert not (tmp_path / "out" / "animatic.mp4").exists()


# -- the command line -----------------------------------------------------------------------------------------------

def _briefreel(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "briefreel.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, timeout=600)


def test_cli_render_with_wan(tiny, tmp_path, render_pipeline):
    board = board_of([1.0, 0.5])
    board.save(tmp_path / "shots.json")
    cache = tmp_path / "cache"
    done = _briefreel("render", str(tmp_path / "shots.json"), "--out", str(tmp_path / "out"), "--renderer", "wan",
                      "--model", str(tiny["t2v"]), "--cache-dir", str(cache), "-q")
    assert done.returncode == 0, done.stderr
    assert probe(tmp_path / "out" / "animatic.mp4")[0] == 36
    missing = _briefreel("render", str(tmp_path / "shots.json"), "--out", str(tmp_path / "out2"), "--renderer",
                         "wan", "--model", str(tmp_path / "nowhere"), "--cache-dir", str(cache), "-q")
    assert missing.returncode == 31 and "no such model folder" in missing.stderr


def test_cli_hub_id_from_the_local_cache(tiny, tmp_path, render_pipeline):
    """A hub id resolves through the Hugging Face cache (offline) and records the snapshot's commit."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "models--briefreel-test--tiny-wan"
    shutil.copytree(tiny["t2v"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    board = board_of([0.5])
    board.save(tmp_path / "shots.json")
    done = _briefreel("render", str(tmp_path / "shots.json"), "--out", str(tmp_path / "out"), "--renderer", "wan",
                      "--model", "briefreel-test/tiny-wan", "--cache-dir", str(tmp_path / "cache"), "-q",
                      env={"HF_HUB_CACHE": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert f"hub:{commit}" in (tmp_path / "out" / "render.json").read_text()


def test_cli_run_brief_with_wan(tiny, tmp_path, render_pipeline):
    brief = ROOT / "examples" / "brief_en.pdf"
    done = _briefreel("run", str(brief), "--out", str(tmp_path / "out"), "--renderer", "wan", "--model",
                      str(tiny["t2v"]), "--cache-dir", str(tmp_path / "cache"), "-q",
                      env={"BRIEFREEL_PASSWORD": "reel-2026"})
    assert done.returncode == 0, done.stderr
    board = Storyboard.load(tmp_path / "out" / "shots.json")
    frames, fps, size = probe(tmp_path / "out" / "animatic.mp4")
    assert frames == round(board.duration_s * 24) and fps == 24


# -- progress within a shot: one event per denoising step --------------------------------------------------------------

def test_step_events_report_every_denoising_step_and_stop_between_them(tiny, tmp_path, render_pipeline):
    from briefreel.render.errors import RenderCancelled

    board = board_of([1.0, 3.0])  # S02 needs two segments of the tiny model (at most 33 frames at 16 fps)
    events = []
    opts = {"model": str(tiny["t2v"]), "seed": 2}
    render_pipeline.render_board(board, tmp_path / "out", renderer="wan", renderer_options=opts,
                                 cache_dir=tmp_path / "cache", progress=False, exports=False,
                                 on_shot=events.append, step_events=True)
    record = json.loads((tmp_path / "out" / "render.json").read_text())
    segments = {s["id"]: len(s["info"]["segments"]) for s in record["shots"]}
    assert segments == {"S01": 1, "S02": 2}
    for shot in board.shots:
        mine = [e for e in events if e.shot_id == shot.id]
        total = 2 * segments[shot.id]  # the tiny t2v model takes 2 steps a segment
        assert [e.status for e in mine] == ["started"] + ["step"] * total + ["rendered"]
        assert [(e.step, e.steps) for e in mine if e.status == "step"] == [(i, total) for i in range(1, total + 1)]
        assert all(e.done == mine[0].done for e in mine[:-1])  # a step finishes no shot
    # Without step_events (the default) consumers see the four statuses only.
    quiet = []
    render_pipeline.render_board(board, tmp_path / "quiet", renderer="wan", renderer_options=opts,
                                 use_cache=False, cache_dir=tmp_path / "cache", progress=False, exports=False,
                                 on_shot=quiet.append)
    assert {e.status for e in quiet} == {"started", "rendered"}
    # One callback reports the step and asks should_stop: a stop asked at step 3 of S02 ends the render there.
    seen = []
    with pytest.raises(RenderCancelled):
        render_pipeline.render_board(board, tmp_path / "stopped", renderer="wan", renderer_options=opts,
                                     use_cache=False, cache_dir=tmp_path / "cache", progress=False, exports=False,
                                     on_shot=seen.append, step_events=True,
                                     should_stop=lambda: any(e.shot_id == "S02" and e.step >= 3 for e in seen))
    assert [(e.shot_id, e.step) for e in seen if e.status == "step"][-1] == ("S02", 3)
    assert not (tmp_path / "stopped" / "animatic.mp4").exists()


def test_cli_shows_denoising_steps_in_the_status_line(tiny, tmp_path, monkeypatch):
    import io

    import briefreel.cli as cli

    class TTY(io.StringIO):
        def isatty(self):
            return True

    board = board_of([0.5])
    board.save(tmp_path / "shots.json")
    err = TTY()
    monkeypatch.setattr(sys, "stderr", err)
    assert cli.main(["render", str(tmp_path / "shots.json"), "--out", str(tmp_path / "out"), "--renderer", "wan",
                     "--model", str(tiny["a14b"]), "--cache-dir", str(tmp_path / "cache")]) == 0
    shown = err.getvalue().replace("\x1b[K", "")
    assert "\rshots 0/1: rendering S01, step 1/4" in shown and "\rshots 0/1: rendering S01, step 4/4" in shown
    assert "Loading pipeline components" not in shown and "it/s]" not in shown  # no diffusers bar in the way
