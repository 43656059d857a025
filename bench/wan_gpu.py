"""Wan2.2 at its released sizes on one GPU, through the Wan renderer, with random weights made on the card.

    python3 bench/wan_gpu.py --json out/wan_gpu.json        # one H200: fits in 8 minutes (budget guard)
    .venv/bin/python bench/wan_gpu.py --tiny                # every case end to end on the CPU, scaled-down models

No weights can be downloaded, so each model is built from its published config (``render/wan_sizes.py``): on the
meta device, then materialised with random bf16 weights directly on the GPU (nothing on disk, nothing in host
memory). Compute and memory are the real ones; the pictures are noise. Every case goes through
``WanRenderer.generate`` (the same code as ``render_shot``, minus writing the file), so prompt-embedding caching,
schedulers, LoRA fusing, memory plans and VAE tiling are the renderer's own.

For each case it prints: seconds per denoising step per expert, text-encoder seconds per prompt, VAE decode
seconds, seconds per 5 s clip, peak GPU memory, and the ratio to the published figure for the same model,
resolution and frames. Only a few steps are timed; the clip time is projected to the full schedule
(text encoder + each expert's steps of the full schedule x its measured step + decode) and the output says so.

Published figures (Wan2.2 README, "Computational Efficiency on Different GPUs", total seconds / peak GB):
T2V-A14B 480p 326.9 s / 41.3 GB and 720p 1041.5 s / 59.8 GB on one H100/H800 (40 steps, CFG, --offload_model
--convert_model_dtype, FlashAttention3); TI2V-5B 720p 534.7 s / 22.9 GB on one RTX 4090 (50 steps, CFG, offload,
t5_cpu). Frame counts are not stated; the code defaults are 81 (A14B, 16 fps) and 121 (TI2V-5B, 24 fps).

Models are built once each and reused across their cases (A14B: 480p, fast mode, 720p, model offload; TI2V-5B:
720p on the card, model offload, the text encoder on the CPU, group offload), and freed in between. A budget
guard skips any case whose estimate would overrun ``--budget`` (printing "skipped (budget)"); results are written to
``--json`` after every case, so a killed run leaves what it measured.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()  # the budget counts the imports too
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PUBLISHED = {
    ("t2v-a14b", "480p"): {"seconds": 326.9, "peak_gb": 41.3, "gpu": "1x H100/H800",
                           "setup": "40 steps, CFG, --offload_model True --convert_model_dtype, FlashAttention3"},
    ("t2v-a14b", "720p"): {"seconds": 1041.5, "peak_gb": 59.8, "gpu": "1x H100/H800",
                           "setup": "40 steps, CFG, --offload_model True --convert_model_dtype, FlashAttention3"},
    ("ti2v-5b", "720p"): {"seconds": 534.7, "peak_gb": 22.9, "gpu": "1x RTX 4090",
                          "setup": "50 steps, CFG, --offload_model True --convert_model_dtype --t5_cpu"},
}
GPU_NOTE = ("GPU difference: an H200 has the H100's Hopper compute (same SMs and bf16 tensor peak) with 141 GB of "
            "HBM3e at 4.8 TB/s instead of 80 GB at 3.35 TB/s, so the A14B figures compare nearly like for like "
            "(the published run offloads, ours runs on the card); an RTX 4090 (Ada, 24 GB) has several times less "
            "bf16 throughput, so the TI2V-5B ratio is far below 1 for the card, not the software.")
SOURCE = "Wan2.2 README, Computational Efficiency on Different GPUs (assets/comp_effic.png)"

# Real sizes (width, height, native frames) and the scaled-down ones --tiny uses.
RES = {"480p": (832, 480), "720p": (1280, 720), "720p-5b": (1280, 704)}
TINY_RES = {"480p": (64, 32), "720p": (96, 48), "720p-5b": (64, 32)}
FRAMES = {"t2v-a14b": 81, "ti2v-5b": 121}
TINY_FRAMES = {"t2v-a14b": 17, "ti2v-5b": 25}
FULL_STEPS = {"t2v-a14b": 40, "ti2v-5b": 50}
# The 30-second, 8-shot animatic of the goal (issue 14): shot lengths in seconds.
ANIMATIC = [3.5, 4.0, 3.5, 4.0, 3.5, 4.0, 3.5, 4.0]
PROMPT = "A red kite over a grey harbour at dawn, gulls wheeling, slow push in, cinematic, 35 mm film"

# Seconds each case is expected to take on one H200 (before any measurement), used by the budget guard; once the
# first case has run they are scaled by how fast this card turned out to be (measured / assumed step time).
EST = {"build-a14b": 30, "a14b-480p-gpu": 60, "a14b-fast": 45, "a14b-720p-gpu": 80, "a14b-480p-model_offload": 55,
       "build-ti2v": 15, "ti2v-720p-gpu": 55, "ti2v-720p-model_offload": 30, "ti2v-t5_cpu": 40,
       "ti2v-720p-group_offload": 45}
ASSUMED_480P_STEP = 8.0  # s per CFG step of one A14B expert at 480p x 81 on an H100-class card (326.9 s / 40)


class Bench:
    def __init__(self, args):
        self.args = args
        self.t0 = START
        self.speed = 1.0
        self.decode_s: dict[tuple, float] = {}  # (model, width, height) -> VAE decode seconds measured on the card
        self.results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "tiny": args.tiny,
                              "budget_s": args.budget, "source": SOURCE, "gpu_note": GPU_NOTE, "cases": []}
        self.json_path = Path(args.json) if args.json else None

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def fits(self, name: str, reserve: float = 0.0) -> bool:
        """Whether ``name`` (and ``reserve`` seconds kept for later cases) fits in what is left of the budget."""
        if self.args.tiny:
            return True
        est = EST.get(name, 60) * self.speed
        if self.elapsed() + est + reserve > self.args.budget:
            print(f"[{name}] skipped (budget): {self.elapsed():.0f} s used, estimate {est:.0f} s"
                  f"{f' + {reserve:.0f} s kept for later cases' if reserve else ''} > {self.args.budget:.0f} s",
                  flush=True)
            self.record({"case": name, "skipped": "budget", "estimate_s": round(est, 1)})
            return False
        return True

    def record(self, entry: dict) -> None:
        entry["at_s"] = round(self.elapsed(), 1)
        self.results["cases"].append(entry)
        self.save()

    def save(self) -> None:
        if not self.json_path:
            return
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.json_path.with_name(f".{self.json_path.name}.part")
        tmp.write_text(json.dumps(self.results, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.json_path)


# -- helpers ----------------------------------------------------------------------------------------------------------

def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def reset_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak() -> dict:
    import torch

    if not torch.cuda.is_available():
        return {}
    return {"peak_alloc_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
            "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2)}


def free_memory() -> None:
    import torch

    from briefreel.render.wan import release_pipelines

    release_pipelines()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def board_for(prompts: list[str], durations: list[float]):
    from briefreel.storyboard.schema import Storyboard

    return Storyboard.model_validate({"aspect_ratio": "16:9", "shots": [
        {"id": f"S{i + 1:02d}", "size": "MS", "duration_s": d, "description": p, "prompt": p}
        for i, (p, d) in enumerate(zip(prompts, durations))]})


def gen_for(renderer, frames: int, prompt: str = PROMPT, seed: int = 0) -> dict:
    """The renderer's own pipeline arguments for one clip of exactly ``frames`` native frames."""
    from briefreel.render.base import RenderSettings

    board = board_for([prompt], [5.0])
    gen = renderer.generation(board.shots[0], board, RenderSettings.for_board(board), 120)
    gen.update(segments=[frames], segment_seeds=[seed], seed=seed)
    return gen


def latent_frames(frames: int) -> int:
    return (frames - 1) // 4 + 1


def run_timed(b: Bench, case: str, renderer, frames: int, *, full_steps: int, res_key: str, model: str,
              decode: bool = True, extra: dict | None = None) -> dict:
    """Time ``renderer``'s own steps, project the full schedule, print and record."""
    from briefreel.render.wan import expert_steps

    reset_peak()
    t0 = time.perf_counter()
    gen = gen_for(renderer, frames)
    _, tm = renderer.generate(gen, label=case, decode=decode)
    wall = time.perf_counter() - t0
    pipe = renderer.pipeline
    timed = expert_steps(pipe, pipe.scheduler, gen["steps"])
    full = expert_steps(pipe, pipe.scheduler, full_steps)
    per_expert: dict[str, list[float]] = {}
    for expert, seconds in tm["steps"]:
        per_expert.setdefault(expert, []).append(seconds)
    step_s, onload_s = {}, {}
    offload = renderer._loaded.plan in ("model_offload", "group_offload", "sequential_offload")
    for expert, values in per_expert.items():
        steady = values[1:] if len(values) > 1 else values  # an expert's first step also warms (or loads) it
        step_s[expert] = sorted(steady)[len(steady) // 2]
        # Under an offload plan the first step of each expert carries its transfer to the card: once per clip.
        onload_s[expert] = max(0.0, values[0] - step_s[expert]) if offload and len(values) > 1 else 0.0
    calls = max(1, tm["text_encoder_calls"])
    te_per_prompt = tm["text_encoder_s"] / calls
    cfg = gen["guidance"] > 1.0
    prompts = 2 if cfg else 1
    w, h = gen["width"], gen["height"]
    if decode:
        decode_s = tm["vae_decode_s"]
        b.decode_s[(model, w, h)] = decode_s
    else:  # the same VAE decode as the on-card case (the VAE is on the card for it under every plan)
        decode_s = b.decode_s.get((model, w, h), 0.0)
    projected = te_per_prompt * prompts + sum(full.get(e, 0) * s for e, s in step_s.items()) + \
        sum(onload_s.values()) + decode_s
    entry = {
        "case": case, "model": model, "width": w, "height": h, "frames": frames, "tokens":
            latent_frames(frames) * (h // renderer.spec.size_multiple) * (w // renderer.spec.size_multiple),
        "memory_plan": renderer._loaded.plan, "cfg": cfg, "scheduler": tm["scheduler"],
        "timed_steps": gen["steps"], "timed_split": timed, "full_steps": full_steps, "full_split": full,
        "step_s": {k: round(v, 3) for k, v in step_s.items()},
        "expert_onload_s": {k: round(v, 3) for k, v in onload_s.items() if v},
        "text_encoder_s_per_prompt": round(te_per_prompt, 3), "text_encoder_calls": tm["text_encoder_calls"],
        "vae_decode_s": round(tm["vae_decode_s"], 3) if decode else None, "vae_tiling": tm["vae_tiling"],
        "vae_decode_s_used": round(decode_s, 3),
        "wall_s": round(wall, 2), "clip_s_projected": round(projected, 1), **peak(), **(extra or {}),
    }
    pub = PUBLISHED.get((model, res_key.removesuffix("-5b")))
    if pub and not b.args.tiny:
        entry.update(published_s=pub["seconds"], published_peak_gb=pub["peak_gb"], published_gpu=pub["gpu"],
                     published_setup=pub["setup"], ratio=round(projected / pub["seconds"], 3))
    print_case(entry, decode)
    b.record(entry)
    return entry


def print_case(e: dict, decode: bool = True) -> None:
    split = " + ".join(f"{n} {k}" for k, n in e["timed_split"].items())
    fsplit = " + ".join(f"{n} {k}" for k, n in e["full_split"].items())
    print(f"[{e['case']}] {e['model']} {e['width']}x{e['height']}x{e['frames']} ({e['tokens']} tokens), "
          f"memory {e['memory_plan']}, {'CFG' if e['cfg'] else 'no CFG'}, {e['scheduler']}", flush=True)
    print(f"  timed {e['timed_steps']} steps ({split}); projected to the full {e['full_steps']}-step schedule "
          f"({fsplit})")
    steps = "   ".join(f"{k} {v:.3f} s/step" for k, v in e["step_s"].items())
    print(f"  denoising: {steps}" + (f"   (expert onload {e['expert_onload_s']})" if e["expert_onload_s"] else ""))
    print(f"  text encoder {e['text_encoder_s_per_prompt']:.3f} s/prompt ({e['text_encoder_calls']} encoded)   "
          + (f"VAE decode {e['vae_decode_s']:.2f} s (tiled: {e['vae_tiling']})" if decode and e["vae_decode_s"]
             is not None else f"VAE decode not run here; the on-card case's {e['vae_decode_s_used']:.2f} s is used"))
    mem = (f"   peak GPU memory {e['peak_alloc_gib']:.1f} GiB allocated, {e['peak_reserved_gib']:.1f} GiB reserved"
           if "peak_alloc_gib" in e else "")
    line = f"  5 s clip, projected to the full schedule: {e['clip_s_projected']:.1f} s (this run {e['wall_s']:.1f} s){mem}"
    print(line)
    if "ratio" in e:
        print(f"  published {e['published_s']} s / {e['published_peak_gb']} GB on {e['published_gpu']} "
              f"({e['published_setup']}) -> ratio {e['ratio']:.2f}")


# -- models -----------------------------------------------------------------------------------------------------------

def build(b: Bench, name: str, work: Path):
    """The release ``name`` with random weights on the device (tiny on the CPU), and its config folder."""
    from briefreel.render.wan_sizes import build_pipeline, parameter_counts, write_config_folder

    tiny = b.args.tiny
    device = "cuda" if cuda() and not tiny else "cpu"
    dtype = "bfloat16" if device == "cuda" else "float32"
    reset_peak()
    t0 = time.perf_counter()
    pipe = build_pipeline(name, device=device, dtype=dtype, tiny=tiny, seed=0)
    sync()
    seconds = time.perf_counter() - t0
    folder = write_config_folder(name, work / name, tiny=tiny)
    counts = parameter_counts(name, tiny=tiny)
    entry = {"case": f"build-{name}", "device": device, "dtype": dtype, "build_s": round(seconds, 2),
             "parameters_b": {k: round(v / 1e9, 4) for k, v in counts.items()}, **peak()}
    unit, div = ("M", 1e6) if tiny else ("B", 1e9)
    print(f"[build-{name}] {sum(counts.values()) / div:.2f} {unit} parameters "
          f"({', '.join(f'{k} {v / div:.2f} {unit}' for k, v in counts.items())}) materialised on {device} in {dtype} "
          f"in {seconds:.1f} s" + (f", {entry['peak_alloc_gib']:.1f} GiB" if "peak_alloc_gib" in entry else ""),
          flush=True)
    b.record(entry)
    return pipe, folder, device


def warm_up(pipe, folder, device, tiny: bool) -> None:
    """One small call so that the first timed step does not pay for CUDA/cuBLAS/SDPA initialisation."""
    from briefreel.render.wan import WanRenderer

    size = (32, 32) if tiny else (256, 256)
    r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", width=size[0], height=size[1], steps=2,
                    seed=0)
    r.generate(gen_for(r, 5), label="warm-up", decode=False)


def a14b_cases(b: Bench, work: Path) -> None:
    from briefreel.render.wan import WanRenderer

    model, tiny = "t2v-a14b", b.args.tiny
    res = TINY_RES if tiny else RES
    frames = TINY_FRAMES[model] if tiny else FRAMES[model]
    if not b.fits("build-a14b"):
        return
    pipe, folder, device = build(b, model, work)
    warm_up(pipe, folder, device, tiny)
    # Timed steps per case: enough that each expert has two or more (the first also warms that expert).
    w, h = res["480p"]
    if b.fits("a14b-480p-gpu"):
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", width=w, height=h, steps=6, seed=0)
        e = run_timed(b, "a14b-480p-gpu", r, frames, full_steps=FULL_STEPS[model], res_key="480p", model=model)
        if not tiny:
            step = max(e["step_s"].values())
            b.speed = min(4.0, max(0.5, step / ASSUMED_480P_STEP))
            print(f"  (budget guard: this card runs {1 / b.speed:.2f}x the assumed speed; estimates scaled)")
        del r

    if b.fits("a14b-fast"):
        fast_case(b, pipe, folder, device, frames, res["480p"], work)

    w, h = res["720p"]
    if b.fits("a14b-720p-gpu"):
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", width=w, height=h, steps=2, seed=0)
        run_timed(b, "a14b-720p-gpu", r, frames, full_steps=FULL_STEPS[model], res_key="720p", model=model)
        del r

    w, h = res["480p"]
    # Keep room for the TI2V-5B build and its on-card case.
    if b.fits("a14b-480p-model_offload", reserve=(EST["build-ti2v"] + EST["ti2v-720p-gpu"]) * b.speed):
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="model_offload", width=w, height=h, steps=4,
                        seed=0)
        run_timed(b, "a14b-480p-model_offload", r, frames, full_steps=FULL_STEPS[model], res_key="480p",
                  model=model, decode=False)
        del r
    del pipe
    free_memory()


def fast_case(b: Bench, pipe, folder, device, frames: int, size, work: Path) -> None:
    """Fast mode end to end for one shot: random LoRA fused into both experts, 4 steps, no CFG, Euler shift 5,
    prompt embeddings cached; then the 8-shot, 30-second animatic projected from it."""
    from briefreel.render.wan import WanRenderer, segment_plan
    from briefreel.render.wan_sizes import write_random_lora

    tiny = b.args.tiny
    t0 = time.perf_counter()
    lora = write_random_lora(work / "lora.safetensors", "t2v-a14b", rank=4 if tiny else 64, tiny=tiny)
    lora_write_s = time.perf_counter() - t0
    w, h = size
    reset_peak()
    r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", width=w, height=h, preset="fast",
                    lora=str(lora), seed=0)
    t0 = time.perf_counter()
    r.pipeline  # noqa: B018 (loads: fuses the LoRA into both experts)
    sync()
    lora_s = time.perf_counter() - t0
    gen = gen_for(r, frames)
    t0 = time.perf_counter()
    chunks, tm = r.generate(gen, label="a14b-fast")
    sync()
    e2e = time.perf_counter() - t0
    write_s = None
    try:
        import imageio_ffmpeg  # noqa: F401

        from briefreel.render.wan import write_video

        t1 = time.perf_counter()
        write_video(chunks, work / "fast.mp4", gen["fps"])
        write_s = time.perf_counter() - t1
    except ImportError:
        pass
    # The same renderer encodes a prompt it has seen for free: the embedding cache.
    calls = r.text_encoder_calls
    r.generate(dict(gen, steps=1), label="a14b-fast-again", decode=False)
    cached = r.text_encoder_calls == calls
    te = tm["text_encoder_s"] / max(1, tm["text_encoder_calls"])
    steps = {k: v for k, v in tm["step_s"].items()}
    step_mean = sum(s for _, s in tm["steps"]) / max(1, len(tm["steps"]))
    # 8 shots, 30 s: each shot's steps and decode scale with its latent frames (an upper bound: attention grows
    # faster than linearly with length, so shorter shots cost less than this); T5 once per distinct prompt.
    from briefreel.render.base import RenderSettings

    shots, total_denoise, total_decode = [], 0.0, 0.0
    board = board_for([f"{PROMPT}, take {i + 1}" for i in range(len(ANIMATIC))], ANIMATIC)
    for shot in board.shots:
        native = segment_plan(round(shot.duration_s * 24), 24, r.spec)
        if tiny:  # the tiny model's frame budget; keep the real shot's share of a 5 s clip
            native = [max(5, round(frames * shot.duration_s / 5.0) // 4 * 4 + 1)]
        lat = sum(latent_frames(n) for n in native)
        f = lat / latent_frames(frames)
        total_denoise += step_mean * gen["steps"] * f
        total_decode += tm["vae_decode_s"] * f
        shots.append({"id": shot.id, "duration_s": shot.duration_s, "native_frames": native})
    projected_8 = total_denoise + total_decode + te * len({s.prompt for s in board.shots})
    entry = {
        "case": "a14b-fast", "model": "t2v-a14b", "width": w, "height": h, "frames": frames,
        "preset": "fast", "steps": gen["steps"], "cfg": gen["guidance"] > 1.0, "scheduler": tm["scheduler"],
        "lora": {"rank": 4 if tiny else 64, "file_mb": round(lora.stat().st_size / 2**20, 1),
                 "write_s": round(lora_write_s, 2), "load_and_fuse_s": round(lora_s, 2)},
        "step_s": steps, "text_encoder_s_per_prompt": round(te, 3), "text_encoder_calls": tm["text_encoder_calls"],
        "embedding_cache_hit": cached, "vae_decode_s": round(tm["vae_decode_s"], 3), "vae_tiling": tm["vae_tiling"],
        "clip_s_end_to_end": round(e2e, 2), "clip_write_s": None if write_s is None else round(write_s, 2),
        "animatic_8_shots_30s_projected_s": round(projected_8, 1), "animatic_shots": shots, **peak(),
    }
    print(f"[a14b-fast] Wan2.2-T2V-A14B {w}x{h}x{frames}, preset fast: {gen['steps']} steps, no CFG, "
          f"{tm['scheduler']} (shift {gen['flow_shift']:g}), random rank-{entry['lora']['rank']} LoRA fused into both "
          f"experts in {lora_s:.1f} s", flush=True)
    print(f"  denoising: {'   '.join(f'{k} {v:.3f} s/step' for k, v in steps.items())}   text encoder "
          f"{te:.3f} s/prompt ({tm['text_encoder_calls']} encoded; same prompt again: "
          f"{'cached, not encoded' if cached else 'ENCODED AGAIN'})")
    print(f"  VAE decode {tm['vae_decode_s']:.2f} s (tiled: {tm['vae_tiling']})   one 5 s shot end to end "
          f"(all {gen['steps']} steps run, nothing projected): {e2e:.1f} s"
          + (f" + {write_s:.2f} s writing the clip" if write_s is not None else
             " (clip not written: no imageio_ffmpeg here)")
          + (f"   peak GPU memory {entry['peak_alloc_gib']:.1f} GiB" if "peak_alloc_gib" in entry else ""))
    print(f"  8-shot 30 s animatic, projected from this shot: {projected_8:.1f} s (denoise {total_denoise:.1f} s + "
          f"decode {total_decode:.1f} s, scaled by each shot's latent frames, an upper bound; text encoder once per "
          f"distinct prompt: {len(board.shots)} x {te:.2f} s)"
          + ("" if tiny else f"   goal <= 300 s: {'met' if projected_8 <= 300 else 'NOT met'}"))
    b.record(entry)
    del r


def ti2v_cases(b: Bench, work: Path) -> None:
    from briefreel.render.wan import WanRenderer

    model, tiny = "ti2v-5b", b.args.tiny
    res = TINY_RES if tiny else RES
    frames = TINY_FRAMES[model] if tiny else FRAMES[model]
    w, h = res["720p-5b"]
    if not b.fits("build-ti2v"):
        return
    pipe, folder, device = build(b, model, work)
    warm_up(pipe, folder, device, tiny)
    if b.fits("ti2v-720p-gpu"):
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", width=w, height=h, steps=3, seed=0)
        run_timed(b, "ti2v-720p-gpu", r, frames, full_steps=FULL_STEPS[model], res_key="720p-5b", model=model)
        del r
    if b.fits("ti2v-720p-model_offload"):
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="model_offload", width=w, height=h, steps=3,
                        seed=0)
        run_timed(b, "ti2v-720p-model_offload", r, frames, full_steps=FULL_STEPS[model], res_key="720p-5b",
                  model=model, decode=False)
        del r
    t5_cpu_case(b, pipe, folder, device)
    if b.fits("ti2v-720p-group_offload"):
        # Group offload hooks cannot be taken off again: this is the last plan on this pipeline.
        r = WanRenderer(folder, pipeline=pipe, device=device, memory="group_offload", width=w, height=h, steps=3,
                        seed=0)
        run_timed(b, "ti2v-720p-group_offload", r, frames, full_steps=FULL_STEPS[model], res_key="720p-5b",
                  model=model, decode=False)
        del r
    else:
        note = "group_offload skipped (budget); model_offload and gpu cover the plans that matter on a 141 GB card"
        b.results.setdefault("notes", []).append(note)
    del pipe
    free_memory()


def t5_cpu_case(b: Bench, pipe, folder, device) -> None:
    """t5_cpu: UMT5-XXL kept on the CPU (the renderer takes it off the pipeline); seconds per prompt there.

    A bf16 matmul of one layer's size is timed first and the whole encoder extrapolated from it: a CPU without
    bf16 instructions could take minutes, and then the case is skipped rather than the budget spent."""
    import torch

    from briefreel.render.wan import WanRenderer

    if not b.fits("ti2v-t5_cpu"):
        return
    enc = pipe.text_encoder if pipe.text_encoder is not None else pipe._briefreel_text_encoder
    cfg = enc.config
    dtype = next(enc.parameters()).dtype
    x = torch.randn(512, cfg.d_model, dtype=dtype)
    wgt = torch.randn(cfg.d_model, cfg.d_ff, dtype=dtype)
    x @ wgt
    t0 = time.perf_counter()
    x @ wgt
    probe = time.perf_counter() - t0
    flops_probe = 2 * 512 * cfg.d_model * cfg.d_ff
    params = sum(p.numel() for p in enc.parameters()) - cfg.vocab_size * cfg.d_model  # the embedding is a lookup
    estimate = probe * (2 * 512 * params) / flops_probe
    if not b.args.tiny and estimate > EST["ti2v-t5_cpu"] * 0.75:
        print(f"[ti2v-t5_cpu] skipped (budget): one prompt on this CPU would take about {estimate:.0f} s "
              f"(a {cfg.d_model}x{cfg.d_ff} {str(dtype).removeprefix('torch.')} matmul took {probe * 1000:.1f} ms)",
              flush=True)
        b.record({"case": "ti2v-t5_cpu", "skipped": "budget", "estimate_s": round(estimate, 1)})
        return
    r = WanRenderer(folder, pipeline=pipe, device=device, memory="gpu", t5_cpu=True, seed=0)
    loaded = r._load()
    encoder = loaded.cpu_text_encoder if loaded.cpu_text_encoder is not None else pipe.text_encoder
    where = next(encoder.parameters()).device.type
    t0 = time.perf_counter()
    r._embed(loaded, PROMPT, 512)
    seconds = time.perf_counter() - t0
    entry = {"case": "ti2v-t5_cpu", "text_encoder_cpu_s_per_prompt": round(seconds, 3), "encoder_device": where,
             "estimate_s": round(estimate, 1), "cpu_threads": torch.get_num_threads(),
             "text_encoder_on_pipeline": pipe.text_encoder is not None}
    print(f"[ti2v-t5_cpu] UMT5-XXL with t5_cpu: {seconds:.2f} s per 512-token prompt on the {where} "
          f"({torch.get_num_threads()} threads; estimate was {estimate:.1f} s); once per distinct prompt per job",
          flush=True)
    b.record(entry)
    del r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="scaled-down models on the CPU (every case, end to end)")
    ap.add_argument("--json", help="write results here after every case (partial results survive a kill)")
    ap.add_argument("--budget", type=float, default=450.0,
                    help="seconds for the whole run (default 450: inside 8 minutes with room to exit)")
    ap.add_argument("--only", choices=["a14b", "ti2v"], action="append",
                    help="run only these model groups (repeatable)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads in --tiny (default 1)")
    args = ap.parse_args(argv)

    import torch

    if args.tiny:
        torch.set_num_threads(args.threads)
    b = Bench(args)
    import diffusers
    import transformers

    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({platform.processor() or 'cpu'})"
    b.results.update(device=dev, torch=torch.__version__, cuda=torch.version.cuda, diffusers=diffusers.__version__,
                     transformers=transformers.__version__, python=platform.python_version())
    print(f"wan_gpu: {dev}, torch {torch.__version__} (CUDA {torch.version.cuda}), diffusers "
          f"{diffusers.__version__}, transformers {transformers.__version__}; budget {args.budget:.0f} s"
          + ("; TINY scaled-down models on the CPU (timings say nothing about real sizes)" if args.tiny else ""),
          flush=True)
    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA GPU: run with --tiny for the CPU version", file=sys.stderr)
        return 2
    if not args.tiny:
        print(GPU_NOTE)
    b.save()
    groups = args.only or ["a14b", "ti2v"]
    with tempfile.TemporaryDirectory(prefix="wan-gpu-") as tmp:
        work = Path(tmp)
        if "a14b" in groups:
            a14b_cases(b, work)
        if "ti2v" in groups:
            ti2v_cases(b, work)
    b.results["total_s"] = round(b.elapsed(), 1)
    skipped = [c["case"] for c in b.results["cases"] if c.get("skipped")]
    b.results["skipped"] = skipped
    b.save()
    print(f"done in {b.elapsed():.0f} s" + (f"; skipped (budget): {', '.join(skipped)}" if skipped else
                                             "; nothing skipped"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
