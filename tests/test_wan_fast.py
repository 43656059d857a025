"""Wan fast modes and real-size builders, run for real on tiny Wan pipelines on the CPU (no mocks).

Presets, a random LoRA in the LightX2V key naming fused into both experts, the prompt-embedding cache (text-encoder
forwards counted with a forward hook), First-Block-Cache and MagCache (PSNR against no cache), attention backends,
VAE tiling, regional compile, and ``render/wan_sizes.py``'s meta-device builds at the published sizes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from briefreel.render.base import RenderSettings  # noqa: E402
from briefreel.render.errors import RenderError, RendererUnavailable  # noqa: E402
from briefreel.render.wan import (  # noqa: E402
    WanRenderer,
    choose_memory_plan,
    expert_steps,
    parse_cache,
    parse_lora,
    release_pipelines,
    vae_tiling_for,
)
from briefreel.render.wan_sizes import (  # noqa: E402
    build_pipeline,
    model_config,
    parameter_counts,
    write_config_folder,
    write_random_lora,
)
from briefreel.render.wan_tiny import make_tiny_wan  # noqa: E402
from briefreel.storyboard.schema import Storyboard  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
    release_pipelines()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiny-wan-fast")
    return {v: make_tiny_wan(base / v, v) for v in ("t2v", "a14b")}


def board_of(prompts, durations=None, **extra) -> Storyboard:
    durations = durations or [1.0] * len(prompts)
    return Storyboard.model_validate({"aspect_ratio": "16:9", "shots": [
        {"id": f"S{i + 1:02d}", "size": "MS", "duration_s": d, "description": p, "prompt": p}
        for i, (p, d) in enumerate(zip(prompts, durations))], **extra})


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def frames_of(renderer: WanRenderer, board: Storyboard, frames: int = 24) -> np.ndarray:
    gen = renderer.generation(board.shots[0], board, RenderSettings.for_board(board), frames)
    chunks, _ = renderer.generate(gen)
    return np.concatenate(chunks)


# -- presets ----------------------------------------------------------------------------------------------------------

def test_fast_preset_is_four_euler_steps_without_cfg(tiny, tmp_path):
    board = board_of(["a red kite over a grey harbour"])
    fast = WanRenderer(tiny["a14b"], preset="fast")
    assert (fast.steps, fast.guidance, fast.guidance_2, fast.scheduler, fast.flow_shift) == (4, 1.0, 1.0, "euler", 5.0)
    clip = fast.render_shot(board.shots[0], board, RenderSettings.for_board(board), 24, tmp_path / "f.mp4")
    assert clip.path.is_file() and clip.frames >= 17 and (clip.frames - 1) % 4 == 0
    info = clip.info
    assert info["preset"] == "fast" and info["scheduler"] == "FlowMatchEulerDiscreteScheduler"
    assert info["steps"] == 4 and info["guidance"] == 1.0
    assert info["text_encoder_calls"] == 1  # no CFG: the negative prompt is never encoded
    assert sum(1 for _ in info["step_s"]) == 2  # both experts ran
    # Explicit settings win over the preset; "quality" is the model's defaults; the key tells them apart.
    assert WanRenderer(tiny["a14b"], preset="fast", steps=6).steps == 6
    quality = WanRenderer(tiny["a14b"], preset="quality")
    assert (quality.steps, quality.guidance, quality.guidance_2, quality.scheduler) == (4, 4.0, 3.0, "default")
    settings = RenderSettings.for_board(board)
    k_fast = fast.cache_key(board.shots[0], board, settings, 24)
    k_quality = quality.cache_key(board.shots[0], board, settings, 24)
    assert k_fast != k_quality and k_fast["scheduler"] == "euler" and k_fast["preset"] == "fast"
    with pytest.raises(RenderError, match="unknown preset"):
        WanRenderer(tiny["a14b"], preset="turbo")


def test_flow_shift_and_scheduler_are_per_call_on_the_shared_pipeline(tiny):
    board = board_of(["a lighthouse at dawn"])
    default = WanRenderer(tiny["t2v"])
    shifted = WanRenderer(tiny["t2v"], flow_shift=9.0)
    assert shifted.pipeline is default.pipeline  # one warm pipeline; the scheduler is set on every call
    a, b, again = frames_of(default, board), frames_of(shifted, board), frames_of(default, board)
    assert np.array_equal(a, again) and not np.array_equal(a, b)


# -- LoRA -------------------------------------------------------------------------------------------------------------

def test_random_lora_loads_into_both_experts_and_renders(tiny, tmp_path):
    pytest.importorskip("peft")  # diffusers loads LoRAs through peft (the wan extra should carry it)
    cfg = json.loads((tiny["a14b"] / "transformer" / "config.json").read_text())
    lora = write_random_lora(tmp_path / "lightning.safetensors", cfg, rank=4)
    from safetensors.torch import load_file

    keys = load_file(str(lora))
    assert "diffusion_model.blocks.0.self_attn.q.lora_down.weight" in keys
    assert "diffusion_model.blocks.1.cross_attn.o.lora_up.weight" in keys
    assert "diffusion_model.blocks.0.ffn.2.alpha" in keys

    board = board_of(["a red kite over a grey harbour"])
    settings = RenderSettings.for_board(board)
    plain = WanRenderer(tiny["a14b"], preset="fast")
    base_q = [plain.pipeline.transformer.blocks[0].attn1.to_q.weight.detach().clone(),
              plain.pipeline.transformer_2.blocks[0].attn1.to_q.weight.detach().clone()]
    without = frames_of(plain, board)
    with_lora = WanRenderer(tiny["a14b"], preset="fast", lora=f"{lora}:0.5")
    clip = with_lora.render_shot(board.shots[0], board, settings, 24, tmp_path / "l.mp4")
    pipe = with_lora.pipeline
    assert pipe is not plain.pipeline  # a LoRA gets its own warm pipeline
    # Fused into both experts, adapter layers gone (plain Linear again).
    for expert, before in zip((pipe.transformer, pipe.transformer_2), base_q):
        q = expert.blocks[0].attn1.to_q
        assert type(q).__name__ == "Linear"
        assert float((q.weight - before).abs().mean()) > 1e-4
    assert clip.info["lora"] == f"{lora}:0.5" and clip.path.is_file()
    lora_frames = frames_of(with_lora, board)
    assert psnr(without, lora_frames) < 60  # the LoRA changes the pictures
    key = with_lora.cache_key(board.shots[0], board, settings, 24)
    assert key["lora"]["scale"] == 0.5 and key["lora"]["path"] == str(lora)
    assert key != plain.cache_key(board.shots[0], board, settings, 24)


def test_lora_argument_errors(tiny, tmp_path):
    f = tmp_path / "x:y.safetensors"
    f.write_bytes(b"")
    assert parse_lora(f"{f}:0.25") == (f.resolve(), 0.25)
    assert parse_lora(str(f)) == (f.resolve(), 1.0)  # a colon inside the name stays in the path
    with pytest.raises(RendererUnavailable, match="no LoRA file"):
        WanRenderer(tiny["t2v"], lora=str(tmp_path / "missing.safetensors"))
    with pytest.raises(RenderError, match="finite"):
        parse_lora(f"{f}:nan")


# -- prompt embeddings: once per distinct text per job ----------------------------------------------------------------

def test_text_encoder_runs_once_per_distinct_prompt_across_a_board(tiny, tmp_path):
    from briefreel.render.pipeline import render_board

    # Four shots, two distinct prompts; the 4.5 s shot is three segments. One shared negative prompt.
    board = board_of(["a red kite", "a red kite", "a blue boat", "a red kite"], [1.0, 1.0, 1.0, 4.5])
    pipe = WanRenderer(tiny["t2v"]).pipeline  # the warm pipeline render_board's renderer will get
    calls = []
    hook = pipe.text_encoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        report = render_board(board, tmp_path / "out", renderer="wan", renderer_options={"model": str(tiny["t2v"])},
                              cache_dir=tmp_path / "cache", progress=False, exports=False)
    finally:
        hook.remove()
    assert sorted(report.rendered) == ["S01", "S02", "S03", "S04"]
    record = json.loads((tmp_path / "out" / "render.json").read_text())
    infos = {s["id"]: s["info"] for s in record["shots"]}
    assert len(infos["S04"]["segments"]) == 3
    assert len(calls) == 3  # "a red kite", "a blue boat", the negative prompt: not 4 shots x 3 segments x 2
    assert sum(i["text_encoder_calls"] for i in infos.values()) == 3
    assert infos["S02"]["text_encoder_calls"] == 0 and infos["S04"]["text_encoder_calls"] == 0
    # A new job (a new renderer) encodes again.
    calls.clear()
    hook = pipe.text_encoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        frames_of(WanRenderer(tiny["t2v"]), board_of(["a red kite"]))
    finally:
        hook.remove()
    assert len(calls) == 2


def test_embedding_cache_gives_the_same_frames_as_prompt_strings(tiny):
    import torch

    board = board_of(["a red kite over a grey harbour"])
    r = WanRenderer(tiny["t2v"], seed=3)
    cached = frames_of(r, board)
    gen = r.generation(board.shots[0], board, RenderSettings.for_board(board), 24)
    kwargs = r._call_kwargs(gen, gen["segments"][0], torch.Generator("cpu").manual_seed(gen["segment_seeds"][0]))
    assert "prompt" in kwargs and "prompt_embeds" not in kwargs
    bare = r.pipeline(**kwargs).frames[0]
    assert np.array_equal(cached[: len(bare)], bare)


def test_t5_cpu_is_recorded_and_keeps_the_encoder_on_the_cpu(tiny, tmp_path):
    board = board_of(["a red kite"])
    r = WanRenderer(tiny["t2v"], t5_cpu=True, device="cpu")
    clip = r.render_shot(board.shots[0], board, RenderSettings.for_board(board), 24, tmp_path / "t.mp4")
    assert clip.info["t5_cpu"] is True
    assert next(r.pipeline.text_encoder.parameters()).device.type == "cpu"


# -- caching hooks ----------------------------------------------------------------------------------------------------

def test_first_block_cache_and_magcache_on_both_experts(tiny, tmp_path):
    board = board_of(["a red kite over a grey harbour"])
    settings = RenderSettings.for_board(board)
    base = frames_of(WanRenderer(tiny["a14b"], steps=8, seed=1), board)
    fbc = WanRenderer(tiny["a14b"], steps=8, seed=1, cache="fbc:0.05")
    fbc_frames = frames_of(fbc, board)
    mag = WanRenderer(tiny["a14b"], steps=8, seed=1, cache="mag")
    clip = mag.render_shot(board.shots[0], board, settings, 24, tmp_path / "m.mp4")
    mag_frames = frames_of(mag, board)
    assert fbc_frames.shape == base.shape == mag_frames.shape
    assert psnr(base, fbc_frames) > 15 and psnr(base, mag_frames) > 15
    # MagCache was calibrated once (this sampling setup), per expert, with one ratio per step that expert runs.
    assert len(mag.cache.ratios) == 1 and clip.info["mag_calibration_s"] > 0 and clip.info["cache"] == "mag:0.06"
    ratios = next(iter(mag.cache.ratios.values()))
    split = expert_steps(mag.pipeline, mag.pipeline.scheduler, 8)
    assert set(ratios) == {"transformer", "transformer_2"}
    assert {k: len(v) for k, v in ratios.items()} == split
    # The hooks are off again after each call: the shared pipeline renders uncached for the next renderer.
    assert not mag.pipeline.transformer.is_cache_enabled and not mag.pipeline.transformer_2.is_cache_enabled
    assert np.array_equal(frames_of(WanRenderer(tiny["a14b"], steps=8, seed=1), board), base)
    k = fbc.cache_key(board.shots[0], board, settings, 24)
    assert k["cache"] == "fbc:0.05" and k != mag.cache_key(board.shots[0], board, settings, 24)


def test_cache_argument_errors(tiny):
    assert parse_cache(None) is None and parse_cache("off") is None
    assert parse_cache("fbc") == ("fbc", 0.05) and parse_cache("mag:0.1") == ("mag", 0.1)
    for bad in ("teacache", "fbc:x", "mag:-1"):
        with pytest.raises(RenderError):
            parse_cache(bad)
    with pytest.raises(RenderError):
        WanRenderer(tiny["t2v"], cache="fbc:zero")


# -- attention, tiling, compile ---------------------------------------------------------------------------------------

def test_attention_backends(tiny):
    import importlib.util

    assert WanRenderer(tiny["t2v"]).attention == "native"
    assert WanRenderer(tiny["t2v"], attention="sdpa").attention == "native"
    with pytest.raises(RenderError, match="unknown attention backend"):
        WanRenderer(tiny["t2v"], attention="xformers2")
    for name, package in (("flash", "flash_attn"), ("sage", "sageattention"), ("fa3", "flash_attn_interface")):
        if importlib.util.find_spec(package) is None or not __import__("torch").cuda.is_available():
            with pytest.raises(RendererUnavailable, match="not usable here|needs"):
                WanRenderer(tiny["t2v"], attention=name)


def test_vae_tiling_at_720p_and_per_call(tiny):
    assert vae_tiling_for(1280, 720, "gpu") and vae_tiling_for(1280, 704, "gpu")
    assert not vae_tiling_for(832, 480, "gpu") and vae_tiling_for(832, 480, "model_offload")
    assert not vae_tiling_for(1280, 720, "gpu", False) and vae_tiling_for(64, 32, "cpu", True)
    gib = 1024**3
    weights = {"transformer": 10 * gib, "vae": gib}
    assert choose_memory_plan(weights, 139 * gib, (1280, 720)) == ("gpu", True)
    assert choose_memory_plan(weights, 139 * gib, (832, 480)) == ("gpu", False)
    board = board_of(["a red kite"])
    tiled = WanRenderer(tiny["t2v"], vae_tiling=True)
    _, timings = tiled.generate(tiled.generation(board.shots[0], board, RenderSettings.for_board(board), 24))
    assert timings["vae_tiling"] is True and tiled.pipeline.vae.use_tiling
    plain = WanRenderer(tiny["t2v"])
    _, timings = plain.generate(plain.generation(board.shots[0], board, RenderSettings.for_board(board), 24))
    assert timings["vae_tiling"] is False and not plain.pipeline.vae.use_tiling
    key = WanRenderer(tiny["t2v"], width=1280, height=720).cache_key(
        board.shots[0], board, RenderSettings.for_board(board), 24)
    assert key["vae_tiling"] is True


def test_regional_compile_renders_the_same_pictures(tiny, tmp_path):
    import shutil

    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("torch.compile on the CPU needs a C compiler")
    board = board_of(["a red kite"])
    release_pipelines()
    plain = frames_of(WanRenderer(tiny["t2v"], seed=2), board, 12)
    compiled = WanRenderer(tiny["t2v"], seed=2, compile=True)
    frames = frames_of(compiled, board, 12)
    assert compiled._loaded.notes["compile_setup_s"] >= 0
    blocks = compiled.pipeline.transformer.blocks
    assert all(getattr(b, "_compiled_call_impl", None) is not None for b in blocks)
    assert psnr(plain, frames) > 30
    release_pipelines()


# -- real-size builders -----------------------------------------------------------------------------------------------

def test_published_sizes_on_the_meta_device():
    a14b = parameter_counts("t2v-a14b")
    assert 14.2e9 < a14b["transformer"] == a14b["transformer_2"] < 14.4e9
    assert 5.6e9 < a14b["text_encoder"] < 5.8e9  # UMT5-XXL encoder, 11.4 GB in bf16
    ti2v = parameter_counts("ti2v-5b")
    assert 4.9e9 < ti2v["transformer"] < 5.1e9 and "transformer_2" not in ti2v
    assert ti2v["vae"] > 5 * a14b["vae"]  # the Wan2.2 VAE is the big one
    i2v = parameter_counts("i2v-a14b")
    assert i2v["transformer"] > a14b["transformer"]  # 36 input channels (image latents and mask)
    assert model_config("t2v-a14b")["boundary_ratio"] == 0.875 and model_config("i2v-a14b")["boundary_ratio"] == 0.9


def test_config_folder_reads_as_the_released_family(tmp_path):
    from briefreel.render.wan import read_model_spec

    a14b = read_model_spec(write_config_folder("t2v-a14b", tmp_path / "a14b"))
    assert (a14b.family, a14b.two_experts, a14b.steps, a14b.flow_shift) == ("wan2.2-t2v-a14b", True, 40, 3.0)
    ti2v = read_model_spec(write_config_folder("ti2v-5b", tmp_path / "ti2v"))
    assert (ti2v.family, ti2v.expand_timesteps, ti2v.size_multiple, ti2v.fps) == ("wan2.2-ti2v-5b", True, 32, 24)
    assert not list((tmp_path / "a14b").rglob("*.safetensors"))  # configs only


def test_materialise_keeps_buffers_dtypes_and_is_seeded():
    import torch
    from diffusers import WanTransformer3DModel

    from briefreel.render.wan_sizes import materialise

    cfg = model_config("t2v-a14b", tiny=True)["transformer"]
    keep = WanTransformer3DModel._keep_in_fp32_modules
    a = materialise(lambda: WanTransformer3DModel(**cfg), "cpu", torch.bfloat16, seed=5, keep_fp32=keep)
    b = materialise(lambda: WanTransformer3DModel(**cfg), "cpu", torch.bfloat16, seed=5, keep_fp32=keep)
    c = materialise(lambda: WanTransformer3DModel(**cfg), "cpu", torch.bfloat16, seed=6, keep_fp32=keep)
    reference = WanTransformer3DModel(**cfg)
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q) and torch.isfinite(p.float()).all()
        wanted = torch.float32 if any(k in name.split(".") for k in keep) else torch.bfloat16
        assert p.dtype == wanted, name
    assert any(not torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters()))
    for (name, buf), ref in zip(a.named_buffers(), reference.buffers()):  # rotary tables computed, not garbage
        assert torch.equal(buf, ref), name


@pytest.mark.parametrize("name", ["t2v-a14b", "ti2v-5b"])
def test_tiny_builds_render_through_the_renderer(name, tmp_path):
    pipe = build_pipeline(name, device="cpu", dtype="float32", tiny=True)
    folder = write_config_folder(name, tmp_path / name, tiny=True)
    r = WanRenderer(folder, pipeline=pipe, seed=0)
    assert r.pipeline is pipe
    board = board_of(["a red kite"])
    clip = r.render_shot(board.shots[0], board, RenderSettings.for_board(board), 24, tmp_path / "c.mp4")
    assert clip.path.is_file() and clip.frames >= 17
    assert set(clip.info["step_s"]) == ({"transformer", "transformer_2"} if name == "t2v-a14b" else {"transformer"})


def test_tiny_image_to_video_build_runs():
    from PIL import Image

    pipe = build_pipeline("i2v-a14b", device="cpu", dtype="float32", tiny=True)
    assert type(pipe).__name__ == "WanImageToVideoPipeline" and pipe.config.boundary_ratio == 0.9
    import torch

    image = Image.new("RGB", (64, 32), (200, 40, 40))
    # The I2V pipeline cleans prompt text with ftfy (not installed here): hand it the UMT5 output directly.
    ids = pipe.tokenizer(["a red kite"], padding="max_length", max_length=512, return_tensors="pt")
    with torch.no_grad():
        embeds = pipe.text_encoder(ids.input_ids, ids.attention_mask).last_hidden_state
    out = pipe(image=image, prompt_embeds=embeds, height=32, width=64, num_frames=5, num_inference_steps=2,
               guidance_scale=1.0, output_type="np").frames[0]
    assert out.shape == (5, 32, 64, 3) and np.isfinite(out).all()


# -- the fast modes through the job contract, from the command line ---------------------------------------------------

def test_cli_run_brief_with_the_fast_preset_and_a_lora(tiny, tmp_path):
    """``briefreel run BRIEF --renderer wan --preset fast --lora PATH:1.0`` end to end: the encrypted example brief,
    planned, every shot through the tiny two-expert model with a random LoRA fused into both experts."""
    import os
    import subprocess
    import sys

    pytest.importorskip("peft")
    root = Path(__file__).resolve().parents[1]
    cfg = json.loads((tiny["a14b"] / "transformer" / "config.json").read_text())
    lora = write_random_lora(tmp_path / "lightning.safetensors", cfg, rank=4)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "briefreel.cli", "run", str(root / "examples" / "brief_en.pdf"), "--out", str(out),
         "--renderer", "wan", "--model", str(tiny["a14b"]), "--preset", "fast", "--lora", f"{lora}:1.0",
         "--step-cache", "fbc", "--cache-dir", str(tmp_path / "cache")],
        cwd=root, capture_output=True, text=True, timeout=900,
        env={**os.environ, "OMP_NUM_THREADS": "1", "BRIEFREEL_PASSWORD": "reel-2026"})
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "render.json").read_text())
    board = Storyboard.load(out / "shots.json")
    assert len(record["shots"]) == len(board.shots) >= 5 and (out / "animatic.mp4").is_file()
    for shot in record["shots"]:
        info = shot["info"]
        assert (info["preset"], info["steps"], info["guidance"], info["lora"], info["cache"]) == \
            ("fast", 4, 1.0, f"{lora.resolve()}:1", "fbc:0.05")
        assert info["scheduler"] == "FlowMatchEulerDiscreteScheduler" and info["lora_s"] >= 0
    # a typo in a fast-mode flag is refused by the contract before the brief is read, naming the flag
    bad = subprocess.run([sys.executable, "-m", "briefreel.cli", "run", str(root / "examples" / "brief_en.pdf"),
                          "--out", str(tmp_path / "bad"), "--renderer", "wan", "--model", str(tiny["a14b"]),
                          "--step-cache", "teacache"], cwd=root, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--step-cache: unknown step cache 'teacache'" in bad.stderr
