"""Image-to-video for the Wan renderer: clips that start from the shot's keyframe, and long shots without seams.

Which models take a picture (read from their configs, as ``render/wan.py`` reads everything):

* **Wan2.2-I2V-A14B** (``WanImageToVideoPipeline`` in ``model_index.json``; two experts whose input has 36
  channels: 16 of noise, 4 of mask, 16 of the picture's latents). It always needs a picture: a shot without an
  ``image`` is conditioned on its drawn panel (``render.keyframes.drawn_still``), so the clip still shows the board.
* **Wan2.2-TI2V-5B** (``expand_timesteps``): the same weights do text- and image-to-video; with a picture, the first
  latent frame *is* the picture's latent (diffusers' ``WanImageToVideoPipeline`` with ``expand_timesteps``, built
  here from the loaded ``WanPipeline``'s own modules: no second copy of the weights). A shot without an ``image``
  starts from text as before.
* Text-to-video releases (Wan2.1, Wan2.2-T2V-A14B) take no picture: their shots render from text as before.

**Continuity.** With a model that takes a picture, a shot longer than one generation is a chain: segment *k+1* is
conditioned on the last frame of segment *k* and its first frame (that same picture again) is dropped, so the shot
flows on instead of cutting to a new generation. :func:`chained_segment_plan` sizes the segments for that
(``n`` equal ``4k+1`` segments with ``per + (n - 1) * (per - 1) >= need`` frames). Each segment keeps its own
derived seed (``render.seeds.segment_seed``), as before.

What goes into the cache key (:func:`extend_generation`): the picture's content hash (``image_sha256``; for a
drawn panel, a hash of what the panel renderer would draw), ``image_source`` ("shot" or "panel"), ``chain`` and the
segment plan. Replacing a keyframe file renders that shot again and no other.

``make_tiny_i2v`` writes a tiny random Wan2.2-I2V-A14B-style pipeline in the diffusers layout (``briefreel
make-tiny-wan DIR --variant i2v``) so that the whole path runs on a CPU.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from briefreel.render.base import Clip, RenderSettings, stable_hash
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = ["I2V_PIPELINE", "I2V_FAMILY", "takes_image", "needs_image", "image_pipeline", "chained_segment_plan",
           "extend_generation", "conditioning_image", "generate_conditioned", "render_conditioned_shot",
           "keyframe_renderer", "to_picture", "embed", "cache_fields", "build_tiny_i2v", "make_tiny_i2v", "TINY_I2V_CARD"]

I2V_PIPELINE = "WanImageToVideoPipeline"
I2V_FAMILY = "wan2.2-i2v-a14b"
# Published defaults of Wan2.2-I2V-A14B (Wan-Video/Wan2.2 wan/configs/wan_i2v_A14B.py: 40 steps, guide 3.5/3.5,
# 81 frames at 16 fps; boundary 0.9 is in its model_index.json).
I2V_DEFAULTS = {"fps": 16, "max_frames": 81, "steps": 40, "guidance": 3.5, "guidance_2": 3.5,
                "sizes": [[1280, 720], [720, 1280], [960, 960]]}
# briefreel_wan.json of the tiny I2V model.
TINY_I2V_CARD = {"family": "tiny-i2v", "fps": 16, "sizes": [[64, 32], [32, 64], [48, 48]], "max_frames": 33,
                 "steps": 4, "guidance": 3.5, "guidance_2": 3.5}


# -- which models take a picture --------------------------------------------------------------------------------------

def takes_image(spec) -> bool:
    """Can this model start a clip from a picture? (I2V-A14B; TI2V-5B, whose ``expand_timesteps`` makes the
    first latent frame the picture's.)"""
    return spec.pipeline_class == I2V_PIPELINE or bool(spec.expand_timesteps)


def needs_image(spec) -> bool:
    """Does it only work from a picture? (I2V-A14B: every clip needs one.)"""
    return spec.pipeline_class == I2V_PIPELINE


def image_pipeline(pipe):
    """A ``WanImageToVideoPipeline`` on ``pipe``'s own modules (kept on ``pipe``; the scheduler is set per call).
    ``pipe`` itself when it is one already."""
    import diffusers

    cls = diffusers.WanImageToVideoPipeline
    if isinstance(pipe, cls):
        return pipe
    made = getattr(pipe, "_briefreel_i2v", None)
    if made is None or made.transformer is not pipe.transformer or made.vae is not pipe.vae:
        made = cls(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, vae=pipe.vae, scheduler=pipe.scheduler,
                   transformer=pipe.transformer, transformer_2=getattr(pipe, "transformer_2", None),
                   image_encoder=None, image_processor=None, boundary_ratio=pipe.config.get("boundary_ratio"),
                   expand_timesteps=bool(pipe.config.get("expand_timesteps")))
        pipe._briefreel_i2v = made
    made.text_encoder = pipe.text_encoder  # t5_cpu takes it off and puts it back
    made.scheduler = pipe.scheduler
    return made


def embed(renderer, loaded, text: str, max_sequence_length: int):
    """The prompt's UMT5 embeddings, cached on the renderer as ``WanRenderer._embed`` does. An I2V pipeline is
    encoded through ``WanPipeline``'s text path: diffusers' I2V class cleans prompts with ``ftfy`` unconditionally,
    a package the T2V class treats as optional."""
    import diffusers
    import torch

    pipe = loaded.pipe
    if not isinstance(pipe, diffusers.WanImageToVideoPipeline):
        return renderer._embed(loaded, text, max_sequence_length)
    key = (text, int(max_sequence_length))
    if key in renderer._embeds:
        return renderer._embeds[key]
    t0 = time.perf_counter()
    with torch.no_grad():
        embeds = diffusers.WanPipeline._get_t5_prompt_embeds(
            pipe, prompt=text, num_videos_per_prompt=1, max_sequence_length=int(max_sequence_length),
            device=torch.device(loaded.device))
    renderer.text_encoder_s += time.perf_counter() - t0
    renderer.text_encoder_calls += 1
    renderer._embeds[key] = embeds
    return embeds


# -- the plan -----------------------------------------------------------------------------------------------------

def chained_segment_plan(span_frames: int, out_fps: float, spec) -> list[int]:
    """Equal ``4k+1`` segments covering ``span_frames`` output frames when each segment after the first starts on
    the previous one's last frame (that frame is not repeated): ``per + (n - 1) * (per - 1) >= need``."""
    k = spec.temporal_factor
    need = max(1, math.ceil(span_frames * spec.fps / out_fps - 1e-9))
    cap = (spec.max_frames - 1) // k * k + 1
    n = 1 if need <= cap else 1 + math.ceil((need - cap) / (cap - 1))
    per = math.ceil((need - 1) / n) + 1
    per = max(k + 1, math.ceil((per - 1) / k) * k + 1)
    return [min(per, cap)] * n


def _panel_key(shot: Shot, board: Storyboard, width: int, height: int) -> str:
    from briefreel.render.panel import PanelRenderer

    settings = RenderSettings(width=width, height=height)
    return "panel:" + stable_hash(PanelRenderer(seed=shot.seed).cache_key(shot, board, settings, 1))


def extend_generation(renderer, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
                      gen: dict[str, Any]) -> dict[str, Any]:
    """``gen`` (``WanRenderer.generation``) with the picture that conditions the shot, when the model takes one:
    ``image_conditioned``, ``image_source`` ("shot" or "panel"), ``image`` (its path), ``image_sha256``, ``chain``
    and the chained segment plan. Unchanged for text-to-video models, and for a TI2V shot with no picture that
    fits one generation (so their cache keys stay what they were)."""
    from briefreel.render.keyframes import image_path, picture_digest
    from briefreel.render.seeds import segment_seed

    spec = renderer.spec
    if not takes_image(spec):
        return gen
    sha = picture_digest(shot, board)
    segments = chained_segment_plan(frames, settings.fps, spec)
    if sha is None and not needs_image(spec) and len(segments) == 1 and len(gen["segments"]) == 1:
        return gen
    out = dict(gen)
    if sha is not None:
        path = image_path(shot, board)
        out.update(image_conditioned=True, image_source="shot", image=str(path) if path else "data-uri",
                   image_sha256=sha)
    elif needs_image(spec):
        out.update(image_conditioned=True, image_source="panel", image=None,
                   image_sha256=_panel_key(shot, board, gen["width"], gen["height"]))
    else:
        out.update(image_conditioned=False, image_source=None, image=None, image_sha256=None)
    seed = gen["seed"]
    out.update(chain=len(segments) > 1, segments=segments,
               segment_seeds=[seed] + [segment_seed(seed, i) for i in range(1, len(segments))])
    return out


def cache_fields(gen: dict[str, Any]) -> dict[str, Any]:
    """What of ``gen`` belongs in a cache key (the path is left out: the content hash stands for the picture)."""
    return {k: v for k, v in gen.items() if k != "image"}


def conditioning_image(shot: Shot, board: Storyboard, gen: dict[str, Any]):
    """The RGB picture the first segment starts from, covering the generation size (None: from text)."""
    from briefreel.render.keyframes import drawn_still, shot_picture

    width, height = gen["width"], gen["height"]
    if gen.get("image_source") == "shot":
        return shot_picture(shot, board, width, height)
    if gen.get("image_source") == "panel":
        return drawn_still(shot, board, width, height)
    return None


# -- generating ---------------------------------------------------------------------------------------------------

def _timed_call(renderer, pipe, loaded, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """One pipeline call with every denoising step clocked (as ``WanRenderer`` does), cancellable between steps."""
    import torch

    cuda = loaded.device.startswith("cuda") and torch.cuda.is_available()

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    ratio = pipe.config.get("boundary_ratio") if getattr(pipe, "transformer_2", None) is not None else None
    boundary = None if ratio is None else ratio * pipe.scheduler.config.num_train_timesteps
    marks: list[tuple[str, float]] = []

    def on_step(_pipe, i, t, tensors):
        sync()
        marks.append(("transformer" if boundary is None or float(t) >= boundary else "transformer_2",
                      time.perf_counter()))
        if renderer.should_stop is not None and renderer.should_stop():
            raise RenderCancelled(f"cancelled after denoising step {i + 1}")
        return {}

    sync()
    start = time.perf_counter()
    frames = pipe(**kwargs, callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=[]).frames[0]
    sync()
    end = time.perf_counter()
    steps, last = [], start
    for expert, at in marks:
        steps.append((expert, at - last))
        last = at
    return frames, {"denoise_s": last - start, "vae_decode_s": end - last, "steps": steps}


def to_picture(frame):
    """A float frame (H, W, 3) in [0, 1] as an RGB picture."""
    import numpy as np
    from PIL import Image

    return Image.fromarray((np.clip(np.asarray(frame), 0.0, 1.0) * 255.0 + 0.5).astype("uint8"))


def generate_conditioned(renderer, gen: dict[str, Any], image=None, *, label: str = "shot",
                         decode: bool = True) -> tuple[list[Any], dict[str, Any]]:
    """Every segment of ``gen`` as float frames (F, H, W, 3) in [0, 1]: the first from ``image`` (None: from text,
    TI2V only), each later one from the previous segment's last frame, whose repeat is dropped. Timings as
    ``WanRenderer.generate`` gives them. ``decode=False`` (one segment only) stops at the latents."""
    import torch

    from briefreel.render.wan import vae_tiling_for

    if not decode and len(gen["segments"]) > 1:
        raise RenderError("a chained shot needs every segment decoded (the next one starts from its last frame)")
    t0 = time.perf_counter()
    loaded = renderer._load()
    base = loaded.pipe
    base.set_progress_bar_config(disable=not renderer.progress)
    base.scheduler = renderer._scheduler_for(loaded, gen)
    tiling = vae_tiling_for(gen["width"], gen["height"], loaded.plan, renderer.vae_tiling)
    if tiling:
        base.vae.enable_tiling()
    else:
        base.vae.disable_tiling()
    ipipe = image_pipeline(base)
    ipipe.set_progress_bar_config(disable=not renderer.progress)
    calls0, te0 = renderer.text_encoder_calls, renderer.text_encoder_s
    cfg = gen["guidance"] > 1.0
    prompt_embeds = embed(renderer, loaded, gen["prompt"], gen["max_sequence_length"])
    negative_embeds = embed(renderer, loaded, gen["negative_prompt"], gen["max_sequence_length"]) if cfg else None
    out_of_memory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
    timings: dict[str, Any] = {"scheduler": type(base.scheduler).__name__, "vae_tiling": tiling, "denoise_s": 0.0,
                               "vae_decode_s": 0.0, "steps": [], "conditioned_segments": []}
    chunks: list[Any] = []
    cond = image
    for i, (num_frames, seed) in enumerate(zip(gen["segments"], gen["segment_seeds"])):
        kwargs = renderer._call_kwargs(gen, num_frames, torch.Generator("cpu").manual_seed(seed), prompt_embeds,
                                       negative_embeds)
        if not decode:
            kwargs["output_type"] = "latent"
        pipe = base
        if cond is not None:
            pipe = ipipe
            kwargs["image"] = cond
        elif needs_image(renderer.spec):
            raise RenderError(f"{label}: {renderer.spec.source} needs a picture to start from")
        try:
            frames, seg = _timed_call(renderer, pipe, loaded, kwargs)
        except out_of_memory as exc:
            raise RenderError(f"{label}: out of GPU memory with memory plan {loaded.plan!r} "
                              "(try --memory group_offload or a smaller model)") from exc
        timings["conditioned_segments"].append(cond is not None)
        if i > 0:
            frames = frames[1:]  # it shows the previous segment's last frame again
        chunks.append(frames)
        if decode and i + 1 < len(gen["segments"]):
            cond = to_picture(frames[-1])
        timings["denoise_s"] += seg["denoise_s"]
        timings["vae_decode_s"] += seg["vae_decode_s"]
        timings["steps"] += seg["steps"]
    per_expert: dict[str, list[float]] = {}
    for expert, seconds in timings["steps"]:
        per_expert.setdefault(expert, []).append(seconds)
    timings.update(
        step_s={k: round(sorted(v)[len(v) // 2], 4) for k, v in per_expert.items()},
        denoise_s=round(timings["denoise_s"], 3), vae_decode_s=round(timings["vae_decode_s"], 3),
        text_encoder_calls=renderer.text_encoder_calls - calls0,
        text_encoder_s=round(renderer.text_encoder_s - te0, 3), generate_s=round(time.perf_counter() - t0, 3),
    )
    renderer.last_timings = timings
    return chunks, timings


def render_conditioned_shot(renderer, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
                            out_path: Path, gen: dict[str, Any] | None = None) -> Clip:
    """``WanRenderer.render_shot`` for a shot whose generation is image-conditioned or chained (see
    :func:`extend_generation`)."""
    from briefreel.render.wan import write_video

    if gen is None:
        gen = renderer.generation(shot, board, settings, frames)
    image = conditioning_image(shot, board, gen)
    chunks, timings = generate_conditioned(renderer, gen, image, label=f"shot {shot.id}")
    loaded = renderer._loaded
    t1 = time.perf_counter()
    total = write_video(chunks, Path(out_path), gen["fps"])
    t2 = time.perf_counter()
    info = {
        "model": renderer.spec.source, "revision": renderer.spec.revision, "family": renderer.spec.family,
        "prompt": gen["prompt"], "negative_prompt": gen["negative_prompt"],
        "image_conditioned": bool(gen.get("image_conditioned")), "image_source": gen.get("image_source"),
        "image": gen.get("image"), "image_sha256": gen.get("image_sha256"),
        "chain": bool(gen.get("chain")), "conditioned_segments": timings["conditioned_segments"],
        "segments": gen["segments"], "segment_seeds": gen["segment_seeds"], "steps": gen["steps"],
        "guidance": gen["guidance"], "guidance_2": gen["guidance_2"], "flow_shift": gen["flow_shift"],
        "preset": renderer.preset, "scheduler": timings["scheduler"],
        "memory_plan": loaded.plan, "vae_tiling": timings["vae_tiling"], "device": loaded.device, **loaded.notes,
        "text_encoder_calls": timings["text_encoder_calls"], "text_encoder_s": timings["text_encoder_s"],
        "denoise_s": timings["denoise_s"], "vae_decode_s": timings["vae_decode_s"], "step_s": timings["step_s"],
        "generate_s": timings["generate_s"], "encode_s": round(t2 - t1, 3),
    }
    if getattr(renderer, "cache", None) is not None:
        info["cache_note"] = "denoising caches are not applied to image-conditioned shots"
    return Clip(path=Path(out_path), frames=total, fps=gen["fps"], width=gen["width"], height=gen["height"],
                seed=gen["seed"], conformed=False, info=info)


def keyframe_renderer(options: dict[str, Any]):
    """A ``WanRenderer`` for keyframes: a model that makes a picture from text (not I2V-A14B, which needs one)."""
    from briefreel.render.wan import WanRenderer

    renderer = WanRenderer(**{k: v for k, v in options.items() if v is not None})
    if needs_image(renderer.spec):
        raise RendererUnavailable(
            f"{renderer.spec.source} is an image-to-video model: keyframes need a text-to-video one "
            "(Wan2.2-T2V-A14B, Wan2.2-TI2V-5B, Wan2.1-T2V) or the panel renderer (no --model)")
    return renderer


# -- the tiny I2V model -------------------------------------------------------------------------------------------

def build_tiny_i2v():
    """A tiny Wan2.2-I2V-A14B-style ``WanImageToVideoPipeline``: two experts taking 36 input channels (noise, mask,
    picture latents), boundary 0.9, no CLIP image encoder; the tiny T2V model's text encoder, VAE and tokenizer."""
    import torch
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel

    from briefreel.render.wan_tiny import TEXT_DIM, build_pipeline

    t2v = build_pipeline("t2v")

    def transformer(seed: int):
        torch.manual_seed(seed)
        return WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16,
            text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        )

    return WanImageToVideoPipeline(
        tokenizer=t2v.tokenizer, text_encoder=t2v.text_encoder, vae=t2v.vae, scheduler=t2v.scheduler,
        transformer=transformer(2), transformer_2=transformer(3), image_encoder=None, image_processor=None,
        boundary_ratio=0.9,
    )


def make_tiny_i2v(out_dir: str | Path) -> Path:
    """Write the tiny I2V pipeline to ``out_dir`` (atomically), with its ``briefreel_wan.json``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists and is not empty")
    pipe = build_tiny_i2v()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        import transformers

        transformers.utils.logging.disable_progress_bar()
        pipe.save_pretrained(tmp, safe_serialization=True)
        (tmp / "briefreel_wan.json").write_text(json.dumps(TINY_I2V_CARD, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
