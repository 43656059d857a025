"""Keyframe stills and image-to-video at real size on one GPU, with random weights made on the card.

    python3 bench/wan_gpu_i2v.py --json $OUT/wan_gpu_i2v.json      # one H200: about 90 s (budget guard 110 s)
    .venv/bin/python bench/wan_gpu_i2v.py --tiny                    # the same path, scaled-down models, CPU

What it times (``render/wan_sizes.py`` builds each release from its published config, bf16 on the card; the
pictures are noise, compute and memory are the real ones):

1. **Keyframe still**, Wan2.2-T2V-A14B at 480p (832x480): a single-frame generation (``num_frames=1``, one latent
   frame: 1,560 tokens) and, for comparison, the first frame of a 5-frame generation (two latent frames), each
   ``--still-steps`` steps timed with CFG and projected to the full 40-step schedule, plus its VAE decode.
2. **Image-to-video clip**, Wan2.2-I2V-A14B at 480p, 81 frames (32,760 tokens): the VAE encode of the
   conditioning video (the picture then 80 zero frames, as diffusers' ``WanImageToVideoPipeline`` does),
   ``--steps`` denoising steps with CFG timed and projected to the full 40-step schedule, and the VAE decode of
   the 81 frames (untiled, float32, as the renderer runs it on an H200).

The two A14B releases share the text encoder (UMT5-XXL, 5.7 B) and the VAE: they are built once; the T2V experts
are freed before the I2V experts (36 input channels) are made, so the peak is one release (~68 GB), not two.
Prompt embeddings are computed once (timed) and passed in. Peak GPU memory is reported per phase.

Projection: ``clip_s = text encoder (2 prompts with CFG) + VAE encode + 40 x median step + VAE decode`` (both
experts have the same architecture, so one median step stands for either). Published anchor (Wan2.2 README, one
H100/H800, with offload): I2V-A14B 480p 327.8 s / 41.0 GB for a clip.

Imports only torch, transformers, accelerate, safetensors, numpy, diffusers, pydantic and Pillow (through
``briefreel.render.wan_sizes`` and ``briefreel.render.base``).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PUBLISHED_I2V_480P = {"seconds": 327.8, "peak_gb": 41.0, "gpu": "1x H100/H800",
                      "setup": "40 steps, CFG, --offload_model True --convert_model_dtype, FlashAttention3"}
FULL_STEPS = 40
PROMPT = "A red kite over a grey harbour at dawn, gulls wheeling, slow push in, cinematic, 35 mm film"
NEGATIVE = "blurred details, subtitles, worst quality, static frame"


class Run:
    def __init__(self, args):
        self.args = args
        self.results: dict = {"cases": []}

    def elapsed(self) -> float:
        return time.perf_counter() - START

    def record(self, entry: dict) -> None:
        self.results["cases"].append(entry)
        self.save()

    def save(self) -> None:
        if self.args.json:
            path = Path(self.args.json)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_text(json.dumps(self.results, indent=2) + "\n", encoding="utf-8")
            tmp.replace(path)


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def reset_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak_gib() -> float | None:
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None


def build_shared(name: str, device: str, dtype, tiny: bool):
    """Text encoder, tokenizer, VAE and scheduler of release ``name`` (shared by T2V- and I2V-A14B)."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler
    from transformers import UMT5Config, UMT5EncoderModel

    from briefreel.render.wan_sizes import build_tokenizer, materialise, model_config

    cfg = model_config(name, tiny)
    te_cfg = UMT5Config(**cfg["text_encoder"])

    def umt5():
        m = UMT5EncoderModel(te_cfg)
        m.set_input_embeddings(m.shared)
        return m

    return {
        "tokenizer": build_tokenizer(),
        "text_encoder": materialise(umt5, device, dtype, seed=0),
        "vae": materialise(lambda: AutoencoderKLWan(**cfg["vae"]), device, torch.float32, seed=1),
        "scheduler": UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                             num_train_timesteps=1000, flow_shift=cfg["flow_shift"]),
    }


def build_experts(name: str, device: str, dtype, tiny: bool):
    from diffusers import WanTransformer3DModel

    from briefreel.render.wan_sizes import materialise, model_config

    cfg = model_config(name, tiny)
    keep = tuple(WanTransformer3DModel._keep_in_fp32_modules or ())
    return [materialise(lambda: WanTransformer3DModel(**cfg["transformer"]), device, dtype, seed=s, keep_fp32=keep)
            for s in (2, 3)]


def timed_call(pipe, kwargs: dict) -> dict:
    """One pipeline call: VAE encode and decode clocked by wrapping them, each denoising step by the callback."""
    vae = pipe.vae
    spans = {"encode": 0.0, "decode": 0.0}
    enc, dec = vae.encode, vae.decode

    def wrap(fn, key):
        def inner(*a, **k):
            sync()
            t = time.perf_counter()
            out = fn(*a, **k)
            sync()
            spans[key] += time.perf_counter() - t
            return out
        return inner

    vae.encode, vae.decode = wrap(enc, "encode"), wrap(dec, "decode")
    marks: list[float] = []

    def on_step(_pipe, i, t, tensors):
        sync()
        marks.append(time.perf_counter())
        return {}

    try:
        sync()
        start = time.perf_counter()
        pipe(**kwargs, callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=[])
        sync()
        end = time.perf_counter()
    finally:
        del vae.encode, vae.decode  # back to the class's methods
    # the first step's span also holds the VAE encode of the conditioning video (I2V): take it out
    steps, last = [], start + spans["encode"]
    for at in marks:
        steps.append(at - last)
        last = at
    steady = steps[1:] if len(steps) > 1 else steps
    return {"steps_s": [round(s, 4) for s in steps], "step_s": sorted(steady)[len(steady) // 2],
            "first_step_s": steps[0] if steps else 0.0, "vae_encode_s": spans["encode"],
            "vae_decode_s": spans["decode"], "wall_s": end - start}


def encode_prompts(pipe, device: str) -> tuple:
    """(prompt, negative) UMT5 embeddings through WanPipeline's text path, and seconds per prompt."""
    import diffusers
    import torch

    sync()
    t0 = time.perf_counter()
    with torch.no_grad():
        pos = diffusers.WanPipeline._get_t5_prompt_embeds(pipe, prompt=PROMPT, max_sequence_length=512,
                                                          device=torch.device(device))
        neg = diffusers.WanPipeline._get_t5_prompt_embeds(pipe, prompt=NEGATIVE, max_sequence_length=512,
                                                          device=torch.device(device))
    sync()
    return pos, neg, (time.perf_counter() - t0) / 2


def still_case(run: Run, pipe, embeds, size, frames: int, steps: int, device: str) -> dict:
    import torch

    pos, neg, te_s = embeds
    w, h = size
    reset_peak()
    kw = dict(prompt_embeds=pos, negative_prompt_embeds=neg, height=h, width=w, num_frames=frames,
              num_inference_steps=steps, guidance_scale=4.0, guidance_scale_2=3.0, output_type="np",
              generator=torch.Generator("cpu").manual_seed(0))
    t = timed_call(pipe, kw)
    latent = ((frames - 1) // 4 + 1) * (h // 16) * (w // 16)
    projected = 2 * te_s + FULL_STEPS * t["step_s"] + t["vae_decode_s"]
    entry = {"case": f"still-t2v-a14b-{frames}f", "width": w, "height": h, "frames": frames, "tokens": latent,
             "timed_steps": steps, "steps_s": t["steps_s"], "step_s": round(t["step_s"], 4),
             "text_encoder_s_per_prompt": round(te_s, 3), "vae_decode_s": round(t["vae_decode_s"], 3),
             "still_s_projected": round(projected, 2), "peak_alloc_gib": peak_gib(), "wall_s": round(t["wall_s"], 2)}
    print(f"[{entry['case']}] {w}x{h}x{frames} ({latent} tokens), CFG: {t['step_s']:.3f} s/step "
          f"(timed {steps}: {t['steps_s']}), VAE decode {t['vae_decode_s']:.2f} s, text encoder {te_s:.2f} s/prompt"
          f" -> one still at {FULL_STEPS} steps: {projected:.1f} s; peak {peak_gib()} GiB", flush=True)
    run.record(entry)
    return entry


def i2v_case(run: Run, pipe, embeds, size, frames: int, steps: int) -> dict:
    import numpy as np
    import torch
    from PIL import Image

    pos, neg, te_s = embeds
    w, h = size
    picture = Image.fromarray((np.random.default_rng(0).random((h, w, 3)) * 255).astype("uint8"))
    reset_peak()
    kw = dict(image=picture, prompt_embeds=pos, negative_prompt_embeds=neg, height=h, width=w, num_frames=frames,
              num_inference_steps=steps, guidance_scale=3.5, guidance_scale_2=3.5, output_type="np",
              generator=torch.Generator("cpu").manual_seed(0))
    t = timed_call(pipe, kw)
    latent = ((frames - 1) // 4 + 1) * (h // 16) * (w // 16)
    projected = 2 * te_s + t["vae_encode_s"] + FULL_STEPS * t["step_s"] + t["vae_decode_s"]
    entry = {"case": "clip-i2v-a14b", "width": w, "height": h, "frames": frames, "tokens": latent,
             "timed_steps": steps, "steps_s": t["steps_s"], "step_s": round(t["step_s"], 4),
             "text_encoder_s_per_prompt": round(te_s, 3), "vae_encode_s": round(t["vae_encode_s"], 3),
             "vae_decode_s": round(t["vae_decode_s"], 3), "clip_s_projected": round(projected, 1),
             "peak_alloc_gib": peak_gib(), "wall_s": round(t["wall_s"], 2)}
    if not run.args.tiny:
        entry.update(published=PUBLISHED_I2V_480P, ratio=round(projected / PUBLISHED_I2V_480P["seconds"], 3))
    print(f"[clip-i2v-a14b] {w}x{h}x{frames} ({latent} tokens), CFG: {t['step_s']:.3f} s/step (timed {steps}: "
          f"{t['steps_s']}), VAE encode {t['vae_encode_s']:.2f} s, VAE decode {t['vae_decode_s']:.2f} s -> one clip "
          f"at {FULL_STEPS} steps: {projected:.1f} s; peak {peak_gib()} GiB", flush=True)
    if "ratio" in entry:
        print(f"  published {PUBLISHED_I2V_480P['seconds']} s / {PUBLISHED_I2V_480P['peak_gb']} GB on "
              f"{PUBLISHED_I2V_480P['gpu']} ({PUBLISHED_I2V_480P['setup']}) -> ratio {entry['ratio']:.2f}")
    run.record(entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="scaled-down models on the CPU")
    ap.add_argument("--json", help="write results here after every case")
    ap.add_argument("--steps", type=int, default=3, help="I2V denoising steps timed (default 3)")
    ap.add_argument("--still-steps", type=int, default=4, help="still denoising steps timed (default 4)")
    ap.add_argument("--budget", type=float, default=110.0, help="skip the 5-frame still past this many seconds")
    args = ap.parse_args(argv)

    import torch
    import diffusers

    run = Run(args)
    tiny = args.tiny
    if not tiny and not torch.cuda.is_available():
        print("no CUDA GPU: run with --tiny for the CPU version", file=sys.stderr)
        return 2
    if tiny:
        torch.set_num_threads(1)
    device = "cpu" if tiny else "cuda"
    dtype = torch.float32 if tiny else torch.bfloat16
    size = (64, 32) if tiny else (832, 480)
    frames = 17 if tiny else 81
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() and not tiny else "CPU"
    run.results.update(device=dev, torch=torch.__version__, diffusers=diffusers.__version__,
                       python=platform.python_version(), tiny=tiny)
    print(f"wan_gpu_i2v: {dev}, torch {torch.__version__}, diffusers {diffusers.__version__}"
          + ("; TINY models on the CPU (timings say nothing about real sizes)" if tiny else ""), flush=True)

    t0 = time.perf_counter()
    reset_peak()
    shared = build_shared("t2v-a14b", device, dtype, tiny)
    experts = build_experts("t2v-a14b", device, dtype, tiny)
    sync()
    build_s = time.perf_counter() - t0
    t2v = diffusers.WanPipeline(**shared, transformer=experts[0], transformer_2=experts[1], boundary_ratio=0.875)
    t2v.set_progress_bar_config(disable=True)
    print(f"[build-t2v-a14b] {build_s:.1f} s, {peak_gib()} GiB", flush=True)
    run.record({"case": "build-t2v-a14b", "build_s": round(build_s, 2), "peak_alloc_gib": peak_gib()})
    embeds = encode_prompts(t2v, device)
    # warm-up (CUDA/cuBLAS/SDPA initialisation), not timed
    still_kw = dict(prompt_embeds=embeds[0], height=size[1], width=size[0], num_frames=1, num_inference_steps=1,
                    guidance_scale=1.0, output_type="latent")
    t2v(**still_kw)
    still_case(run, t2v, embeds, size, 1, args.still_steps, device)
    if run.elapsed() < args.budget * 0.3:
        still_case(run, t2v, embeds, size, 5, args.still_steps, device)
    else:
        run.record({"case": "still-t2v-a14b-5f", "skipped": "budget"})

    del t2v, experts
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    t0 = time.perf_counter()
    reset_peak()
    experts = build_experts("i2v-a14b", device, dtype, tiny)
    sync()
    build_s = time.perf_counter() - t0
    i2v = diffusers.WanImageToVideoPipeline(**shared, transformer=experts[0], transformer_2=experts[1],
                                            image_encoder=None, image_processor=None, boundary_ratio=0.9)
    i2v.set_progress_bar_config(disable=True)
    print(f"[build-i2v-a14b experts] {build_s:.1f} s, {peak_gib()} GiB", flush=True)
    run.record({"case": "build-i2v-a14b-experts", "build_s": round(build_s, 2), "peak_alloc_gib": peak_gib()})
    i2v_case(run, i2v, embeds, size, frames, args.steps)
    run.results["total_s"] = round(run.elapsed(), 1)
    run.save()
    print(f"done in {run.elapsed():.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
