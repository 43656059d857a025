"""Render shots with the Wan text-to-video pipelines of ``diffusers``.

    briefreel run brief.pdf --out out/spot --renderer wan --model Wan-AI/Wan2.2-T2V-A14B-Diffusers
    briefreel run brief.pdf --out out/spot --renderer wan --model /models/Wan2.2-T2V-A14B-Diffusers --preset fast \\
        --lora /models/Wan2.2-Lightning/high_noise_model.safetensors:1.0

One :class:`WanRenderer` serves every Wan text-to-video checkpoint in the diffusers layout: Wan2.2-T2V-A14B (two
experts, ``transformer`` for high noise and ``transformer_2`` for low noise, switched at ``boundary_ratio``),
Wan2.2-TI2V-5B (48-channel VAE, ``expand_timesteps``, 24 fps) and Wan2.1-T2V-1.3B/14B (16 fps). This file is the
renderer, top to bottom: its options, the renderer contract (``generation``, ``cache_key``, ``render_shot``),
generating the frames (``generate``: one timed pipeline call per segment, a callback after every denoising step
that reports it and asks whether to stop), loading and placing the pipeline, writing the clip. Its helpers, by
concern:

* ``render/wan_model.py``: what the model is (:func:`read_model_spec`, from its config files, never its name), what
  a shot asks of it (native size, ``4k+1``-frame segments) and the memory plan;
* ``render/wan_fast.py``: the fast modes (presets, LoRA, First-Block-Cache/MagCache, attention backends, t5_cpu);
* ``render/wan_embeds.py``: prompts and the per-job prompt-embedding cache;
* ``render/wan_sizes.py``: real-size random pipelines for benchmarks; ``render/wan_tiny.py``: the tiny test model.

A shot longer than one clip is rendered as a chain of segments, each a full ``4k+1``-frame generation with its own
derived seed, joined end to end; ``render/animatic.py`` then retimes the clip from the model's fps to 24 fps and
trims it to the shot's exact span.

The pipeline is loaded once, by the first shot that needs it, and kept for every later shot (and for the next
renderer in the same process that asks for the same weights and placement: see :func:`release_pipelines`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from briefreel.render.base import Clip, RenderSettings
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.render.seeds import segment_seed, shot_seed
from briefreel.render.wan_embeds import EMBED_CACHE_SIZE, WAN_NEGATIVE_PROMPT, PromptEmbeddings, shot_prompts
from briefreel.render.wan_fast import (ATTENTION_ALIASES, ATTENTION_BACKENDS, CACHES, MAG_CALIBRATION_PROMPT,
                                       MAG_CALIBRATION_SEED, PRESETS, StepCache, check_attention,
                                       disable_step_caches, expert_steps, experts, file_revision, load_lora,
                                       make_scheduler, parse_cache, parse_lora, place_text_encoder, split_lora)
from briefreel.render.wan_i2v import cache_fields, extend_generation, render_conditioned_shot
from briefreel.render.wan_model import (AREA_720P, DTYPES, FAMILIES, GIB, MEMORY_PLANS, ModelSpec, apply_memory_plan,
                                        choose_memory_plan, detect_family, folder_revision, load_pipeline,
                                        locate_model, measure_memory_plan, pick_size, read_model_spec, round_to,
                                        segment_plan, vae_tiling_for)
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = [
    "VERSION", "WanRenderer", "release_pipelines", "write_video",
    # re-exported from the helpers, for the callers that have always imported them from here
    "WAN_NEGATIVE_PROMPT", "EMBED_CACHE_SIZE", "shot_prompts", "PromptEmbeddings",
    "ATTENTION_ALIASES", "ATTENTION_BACKENDS", "CACHES", "MAG_CALIBRATION_PROMPT", "MAG_CALIBRATION_SEED", "PRESETS",
    "StepCache", "check_attention", "expert_steps", "parse_cache", "parse_lora", "split_lora",
    "FAMILIES", "GIB", "MEMORY_PLANS", "ModelSpec", "choose_memory_plan", "detect_family", "folder_revision",
    "locate_model", "pick_size", "read_model_spec", "segment_plan", "vae_tiling_for",
]

# Bump whenever the same inputs would give different pixels (segment rule, seed derivation, encoder settings...).
VERSION = "2"


# -- the warm pipeline ----------------------------------------------------------------------------------------------

# The last loaded pipeline, kept for the next renderer that asks for the same weights, device, dtype, memory plan,
# LoRA, text-encoder placement, compile and attention: a render service renders job after job, and reloading 14B
# weights for each would dominate. One slot only.
_WARM: dict[tuple, "_Loaded"] = {}


def release_pipelines() -> None:
    """Drop the warm pipeline (and its GPU memory)."""
    if not _WARM:
        return
    _WARM.clear()
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


@dataclass
class _Loaded:
    pipe: Any
    device: str
    plan: str
    vae_tiling: bool  # the plan's choice at the model's largest size; each call decides with vae_tiling_for
    scheduler: Any = None  # the scheduler as loaded (each call sets its own: preset, flow_shift)
    cpu_text_encoder: Any = None  # t5_cpu: the text encoder, kept off the pipeline and on the CPU
    notes: dict[str, Any] = field(default_factory=dict)


class WanRenderer:
    """Shots through ``diffusers.WanPipeline``, loaded once (on the first shot rendered) and kept warm.

    Fast modes (each recorded in the clip's info, hence in render.json; those that change pixels are in the cache
    key): ``preset`` ("fast": 4 steps, no CFG, Euler, shift 5; "quality": the model's defaults), ``lora``
    ("PATH[:scale]", fused into both experts), ``cache`` (diffusers First-Block-Cache "fbc[:threshold]" or MagCache
    "mag[:threshold]" on both experts), ``compile`` (regional torch.compile of the repeated transformer blocks),
    ``attention`` (diffusers backend: native SDPA, flash, _flash_3, sage), ``t5_cpu`` (the text encoder stays on the
    CPU). Prompt embeddings are always cached per renderer: each distinct prompt and negative prompt is encoded once
    per job, not once per shot or segment.

    ``pipeline=`` hands in a ready ``WanPipeline`` (e.g. :func:`render.wan_sizes.build_pipeline`'s random
    real-size one) instead of loading weights from ``model``; ``model`` still supplies the configs.
    """

    name = "wan"
    # cancel hook (render_board sets it): asked after every denoising step; True raises RenderCancelled
    should_stop: Callable[[], bool] | None = None
    # progress hook (render_board(step_events=True) sets it per shot): on_step(step, steps) after every denoising
    # step, counted over all the shot's segments. The same step callback clocks the step and asks should_stop.
    on_step: Callable[[int, int], None] | None = None
    version = VERSION

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        guidance_2: float | None = None,
        memory: str | None = "auto",
        seed: int | None = None,
        device: str | None = None,
        dtype: str | None = None,
        width: int | None = None,
        height: int | None = None,
        flow_shift: float | None = None,
        revision: str | None = None,
        vae_tiling: bool | None = None,
        max_sequence_length: int = 512,
        progress: bool = False,
        preset: str | None = None,
        lora: str | os.PathLike | None = None,
        t5_cpu: bool = False,
        cache: str | None = None,
        compile: bool = False,
        attention: str | None = None,
        pipeline: Any = None,
    ) -> None:
        try:
            import diffusers  # noqa: F401
            import torch
        except ImportError as exc:
            raise RendererUnavailable(
                f"the wan renderer needs torch and diffusers ({exc.name} is missing): pip install 'briefreel[wan]'"
            ) from None
        self.spec = read_model_spec(model, revision)
        memory = memory or "auto"
        if memory not in MEMORY_PLANS:
            raise RenderError(f"unknown memory plan {memory!r}; choose one of {', '.join(MEMORY_PLANS)}")
        if dtype is not None and dtype not in DTYPES:
            raise RenderError(f"unknown dtype {dtype!r}; choose bfloat16, float16 or float32")
        if (width is None) != (height is None):
            raise RenderError("give both width and height for the wan renderer, or neither (the model's native size)")
        if steps is not None and steps < 1:
            raise RenderError("steps must be at least 1")
        if guidance_2 is not None and not self.spec.two_experts:
            raise RenderError(f"guidance_2 applies to two-expert models (Wan2.2-T2V-A14B), not {self.spec.family}")
        if preset is not None and preset not in PRESETS:
            raise RenderError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        if flow_shift is not None and not (math.isfinite(float(flow_shift)) and float(flow_shift) > 0):
            raise RenderError("flow_shift must be above 0")
        chosen = PRESETS[preset or "quality"]
        self.preset = preset
        self.steps = int(steps or chosen.get("steps") or self.spec.steps)
        self.guidance = float(guidance if guidance is not None else chosen.get("guidance", self.spec.guidance))
        # One guidance sets both experts (as WanPipeline does when guidance_scale_2 is None) unless guidance_2 is given.
        if not self.spec.two_experts:
            self.guidance_2 = None
        elif guidance_2 is not None:
            self.guidance_2 = float(guidance_2)
        elif guidance is not None:
            self.guidance_2 = self.guidance
        else:
            self.guidance_2 = float(chosen.get("guidance_2", self.spec.guidance_2))
        self.scheduler = chosen.get("scheduler", "default")  # "default": the model's own (UniPC as released)
        self.flow_shift = float(flow_shift) if flow_shift is not None else chosen.get("flow_shift")
        self.memory = memory
        self.seed = seed
        self.device = str(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise RendererUnavailable(f"--device {self.device} asked for, but torch sees no CUDA GPU here")
        self.dtype = DTYPES[dtype] if dtype else None
        self.width, self.height = width, height
        self.vae_tiling = vae_tiling
        self.max_sequence_length = max_sequence_length
        self.progress = progress
        self.lora = parse_lora(lora) if lora else None
        if self.lora is not None:
            import importlib.util

            if importlib.util.find_spec("peft") is None:
                raise RendererUnavailable("lora needs the peft package (diffusers loads LoRAs through it): "
                                          "pip install peft")
        self.lora_revision = file_revision(self.lora[0]) if self.lora else None
        self.t5_cpu = bool(t5_cpu)
        self.cache = StepCache.parse(cache)  # None: no step cache
        self.compile = bool(compile)
        self.attention = check_attention(attention, self.device)
        self._given = pipeline
        self._loaded: _Loaded | None = None
        # Prompt embeddings, per renderer (one renderer per job): each distinct text encoded once.
        self.embeddings = PromptEmbeddings()
        self._schedulers: dict[tuple, Any] = {}
        self.last_timings: dict[str, Any] = {}

    # -- the renderer contract ------------------------------------------------------------------------------------

    def generation(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        """The exact pipeline arguments (and seeds) for one shot: the cache key and the render share it."""
        prompt, negative = shot_prompts(shot, board)
        if self.width and self.height:
            m = self.spec.size_multiple
            width, height = round_to(int(self.width), m), round_to(int(self.height), m)
        else:
            width, height = pick_size(self.spec, settings.width, settings.height)
        segments = segment_plan(frames, settings.fps, self.spec)
        seed = shot_seed(shot, self.seed or 0)  # the same rule as render_board (render.seeds)
        seeds = [seed] + [segment_seed(seed, i) for i in range(1, len(segments))]
        gen = {
            "prompt": prompt, "negative_prompt": negative, "width": width, "height": height,
            "segments": segments, "seed": seed, "segment_seeds": seeds, "steps": self.steps,
            "guidance": self.guidance, "guidance_2": self.guidance_2, "fps": self.spec.fps,
            "flow_shift": self.flow_shift if self.flow_shift is not None else self.spec.flow_shift,
            "scheduler": self.scheduler, "preset": self.preset,
            "max_sequence_length": self.max_sequence_length,
            "lora": None if self.lora is None else
            {"path": str(self.lora[0]), "scale": self.lora[1], "revision": self.lora_revision},
            "cache": None if self.cache is None else str(self.cache),
            # Tiling blends tile seams, so it is part of what a clip looks like: explicit, or always at 720p;
            # "auto" below 720p (on under the offload plans, which depend on the card).
            "vae_tiling": (bool(self.vae_tiling) if self.vae_tiling is not None
                           else True if width * height >= AREA_720P else "auto"),
        }
        # A model that takes a picture starts from the shot's keyframe and chains long shots (render/wan_i2v.py).
        return extend_generation(self, shot, board, settings, frames, gen)

    def compute_dtype(self) -> str:
        """Transformer and text encoder dtype: bfloat16 on a GPU as released (float16 on cards without bfloat16,
        e.g. V100, T4), float32 on the CPU; ``dtype=`` overrides. The VAE always decodes in float32."""
        if self.dtype:
            return self.dtype
        if not self.device.startswith("cuda"):
            return "float32"
        import torch

        return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"

    def cache_key(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        gen = self.generation(shot, board, settings, frames)
        return {
            "renderer": self.name, "version": self.version, "model": self.spec.source,
            "revision": self.spec.revision, "family": self.spec.family, "dtype": self.compute_dtype(),
            **cache_fields(gen),
        }

    def render_shot(
        self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int, out_path: Path
    ) -> Clip:
        gen = self.generation(shot, board, settings, frames)
        if gen.get("image_source") or gen.get("chain"):
            return render_conditioned_shot(self, shot, board, settings, frames, out_path, gen)
        chunks, timings = self.generate(gen, label=f"shot {shot.id}")
        loaded = self._loaded
        t1 = time.perf_counter()
        total = write_video(chunks, Path(out_path), gen["fps"])
        t2 = time.perf_counter()
        lora = None if self.lora is None else f"{self.lora[0]}:{self.lora[1]:g}"
        return Clip(
            path=Path(out_path), frames=total, fps=gen["fps"], width=gen["width"], height=gen["height"],
            seed=gen["seed"], conformed=False,
            info={
                "model": self.spec.source, "revision": self.spec.revision, "family": self.spec.family,
                "prompt": gen["prompt"], "negative_prompt": gen["negative_prompt"],
                "segments": gen["segments"], "segment_seeds": gen["segment_seeds"], "steps": gen["steps"],
                "guidance": gen["guidance"], "guidance_2": gen["guidance_2"], "flow_shift": gen["flow_shift"],
                "preset": self.preset, "scheduler": timings["scheduler"], "lora": lora, "cache": gen["cache"],
                "compile": self.compile, "attention": self.attention, "t5_cpu": self.t5_cpu,
                "memory_plan": loaded.plan, "vae_tiling": timings["vae_tiling"], "device": loaded.device,
                **loaded.notes,
                "text_encoder_calls": timings["text_encoder_calls"], "text_encoder_s": timings["text_encoder_s"],
                "denoise_s": timings["denoise_s"], "vae_decode_s": timings["vae_decode_s"],
                "step_s": timings["step_s"],
                **({"mag_calibration_s": timings["mag_calibration_s"]} if "mag_calibration_s" in timings else {}),
                "generate_s": timings["generate_s"], "encode_s": round(t2 - t1, 3),
            },
        )

    # -- generating the frames (render_shot without the file; bench/wan_gpu.py times this) ------------------------

    def generate(self, gen: dict[str, Any], label: str = "shot", *, decode: bool = True
                 ) -> tuple[list[Any], dict[str, Any]]:
        """Every segment of ``gen`` as float frames (F, H, W, 3) in [0, 1], and where the time went.

        ``decode=False`` stops at the latents (no VAE decode; benchmarks that time the denoiser alone)."""
        import torch

        t0 = time.perf_counter()
        loaded = self._load()
        pipe = loaded.pipe
        pipe.set_progress_bar_config(disable=not self.progress)
        pipe.scheduler = self._scheduler_for(loaded, gen)
        tiling = vae_tiling_for(gen["width"], gen["height"], loaded.plan, self.vae_tiling)
        if tiling:
            pipe.vae.enable_tiling()
        else:
            pipe.vae.disable_tiling()
        calls0, te0 = self.embeddings.calls, self.embeddings.seconds
        cfg = gen["guidance"] > 1.0  # WanPipeline runs the unconditional pass only then
        prompt_embeds = self._embed(loaded, gen["prompt"], gen["max_sequence_length"])
        negative_embeds = self._embed(loaded, gen["negative_prompt"], gen["max_sequence_length"]) if cfg else None
        out_of_memory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # torch < 2.5: cuda's
        timings: dict[str, Any] = {"scheduler": type(pipe.scheduler).__name__, "vae_tiling": tiling,
                                   "denoise_s": 0.0, "vae_decode_s": 0.0, "steps": []}
        chunks = []
        total_steps = gen["steps"] * len(gen["segments"])
        for n, (num_frames, seed) in enumerate(zip(gen["segments"], gen["segment_seeds"])):
            try:
                self._enable_step_cache(loaded, gen, num_frames, negative_embeds is not None, timings)
                kwargs = self._call_kwargs(gen, num_frames, torch.Generator("cpu").manual_seed(seed),
                                           prompt_embeds, negative_embeds)
                if not decode:
                    kwargs["output_type"] = "latent"
                frames, seg = self._timed_call(loaded, kwargs, step_offset=n * gen["steps"], steps=total_steps)
            except out_of_memory as exc:
                raise RenderError(
                    f"{label}: out of GPU memory with memory plan {loaded.plan!r} "
                    "(try --memory group_offload or a smaller model)") from exc
            finally:
                disable_step_caches(pipe)
            chunks.append(frames)
            timings["denoise_s"] += seg["denoise_s"]
            timings["vae_decode_s"] += seg["vae_decode_s"]
            timings["steps"] += seg["steps"]
        per_expert: dict[str, list[float]] = {}
        for expert, seconds in timings["steps"]:
            per_expert.setdefault(expert, []).append(seconds)
        timings.update(
            step_s={k: round(sorted(v)[len(v) // 2], 4) for k, v in per_expert.items()},
            denoise_s=round(timings["denoise_s"], 3), vae_decode_s=round(timings["vae_decode_s"], 3),
            text_encoder_calls=self.embeddings.calls - calls0,
            text_encoder_s=round(self.embeddings.seconds - te0, 3), generate_s=round(time.perf_counter() - t0, 3),
        )
        self.last_timings = timings
        return chunks, timings

    def _call_kwargs(self, gen: dict[str, Any], num_frames: int, generator, prompt_embeds=None,
                     negative_embeds=None) -> dict[str, Any]:
        """The WanPipeline arguments for one segment (prompt strings when no embeddings are given)."""
        kwargs: dict[str, Any] = {
            "height": gen["height"], "width": gen["width"], "num_frames": num_frames,
            "num_inference_steps": gen["steps"], "guidance_scale": gen["guidance"], "generator": generator,
            "output_type": "np", "max_sequence_length": gen["max_sequence_length"],
        }
        if prompt_embeds is not None:
            kwargs["prompt_embeds"] = prompt_embeds
            if negative_embeds is not None:
                kwargs["negative_prompt_embeds"] = negative_embeds
        else:
            kwargs.update(prompt=gen["prompt"], negative_prompt=gen["negative_prompt"])
        if gen["guidance_2"] is not None:
            kwargs["guidance_scale_2"] = gen["guidance_2"]
        return kwargs

    def _timed_call(self, loaded: _Loaded, kwargs: dict[str, Any], step_offset: int = 0, steps: int = 0
                    ) -> tuple[Any, dict[str, Any]]:
        """One pipeline call, with one step callback (diffusers' ``callback_on_step_end``) that does all three
        things a step end needs: clock it (on a GPU each mark waits for the card, a negligible cost next to a step),
        report it (``on_step(step_offset + i + 1, steps)``) and ask ``should_stop``."""
        import torch

        pipe = loaded.pipe
        cuda = loaded.device.startswith("cuda") and torch.cuda.is_available()

        def sync() -> None:
            if cuda:
                torch.cuda.synchronize()

        ratio = pipe.config.get("boundary_ratio") if getattr(pipe, "transformer_2", None) is not None else None
        boundary = None if ratio is None else ratio * pipe.scheduler.config.num_train_timesteps
        marks: list[tuple[str, float]] = []

        def on_step(_pipe, i, t, tensors):
            sync()
            expert = "transformer" if boundary is None or float(t) >= boundary else "transformer_2"
            marks.append((expert, time.perf_counter()))
            if self.on_step is not None:
                self.on_step(step_offset + i + 1, steps or kwargs["num_inference_steps"])
            if self.should_stop is not None and self.should_stop():  # cancel between steps, not between shots
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

    # -- prompt embeddings, scheduler and step cache, set per call on the (possibly shared) warm pipeline ----------

    def _embed(self, loaded: _Loaded, text: str, max_sequence_length: int):
        """``text``'s embeddings on the execution device, encoded once per renderer (render/wan_embeds.py)."""
        return self.embeddings.get(loaded.pipe, text, max_sequence_length, loaded.device, loaded.cpu_text_encoder)

    # The embedding cache's counters and entries under the names earlier callers used.
    @property
    def text_encoder_calls(self) -> int:
        return self.embeddings.calls

    @text_encoder_calls.setter
    def text_encoder_calls(self, value: int) -> None:
        self.embeddings.calls = value

    @property
    def text_encoder_s(self) -> float:
        return self.embeddings.seconds

    @text_encoder_s.setter
    def text_encoder_s(self, value: float) -> None:
        self.embeddings.seconds = value

    @property
    def _embeds(self) -> dict[tuple[str, int], Any]:
        return self.embeddings.entries

    def _scheduler_for(self, loaded: _Loaded, gen: dict[str, Any]):
        key = (gen["scheduler"], gen["flow_shift"])
        if key not in self._schedulers:
            self._schedulers[key] = make_scheduler(loaded.scheduler, gen["scheduler"], gen["flow_shift"])
        return self._schedulers[key]

    def _enable_step_cache(self, loaded: _Loaded, gen: dict[str, Any], num_frames: int, cfg: bool,
                           timings: dict[str, Any]) -> None:
        if self.cache is None:
            return
        import torch

        def calibrate(prompt: str, seed: int) -> None:  # MagCache's calibration run: this setup, a fixed prompt
            embeds = self._embed(loaded, prompt, gen["max_sequence_length"])
            negative = self._embed(loaded, gen["negative_prompt"], gen["max_sequence_length"]) if cfg else None
            kwargs = self._call_kwargs(dict(gen, prompt=prompt), num_frames, torch.Generator("cpu").manual_seed(seed),
                                       embeds, negative)
            kwargs["output_type"] = "latent"  # the ratios come from the denoiser; no decode needed
            loaded.pipe(**kwargs)

        setup = (gen["width"], gen["height"], num_frames, gen["steps"], gen["guidance"], gen["guidance_2"],
                 gen["scheduler"], gen["flow_shift"], cfg)
        spent = self.cache.enable(loaded.pipe, loaded.pipe.scheduler, gen["steps"], setup, calibrate)
        if spent:
            timings["mag_calibration_s"] = round(timings.get("mag_calibration_s", 0.0) + spent, 3)

    # -- loading and the memory plan -----------------------------------------------------------------------------

    @property
    def pipeline(self):
        """The loaded ``WanPipeline`` (loads it on first use)."""
        return self._load().pipe

    def _warm_key(self, main) -> tuple:
        lora = None if self.lora is None else (str(self.lora[0]), self.lora[1], self.lora_revision)
        return (self.spec.source, self.spec.revision, self.device, str(main), self.memory, lora, self.t5_cpu,
                self.compile, self.attention)

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        import diffusers
        import torch

        device = self.device
        main = getattr(torch, self.compute_dtype())
        warm_key = None
        if self._given is not None:
            pipe = self._given
        else:
            warm_key = self._warm_key(main)
            if warm_key in _WARM:
                self._loaded = _WARM[warm_key]
                return self._loaded
            release_pipelines()  # one slot: free the previous model before loading another
            if not self.progress:
                diffusers.utils.logging.disable_progress_bar()
                try:
                    import transformers

                    transformers.utils.logging.disable_progress_bar()
                except Exception:  # noqa: BLE001 (a cosmetic setting)
                    pass
            pipe = load_pipeline(self.spec, main)

        # The scheduler as loaded: each call sets its own (preset, flow_shift) from it.
        if getattr(pipe, "_briefreel_scheduler", None) is None:
            pipe._briefreel_scheduler = pipe.scheduler
        notes: dict[str, Any] = {}
        if self.attention != "native":
            for _, expert in experts(pipe):
                expert.set_attention_backend(self.attention)
        if self._given is not None and getattr(pipe, "_all_hooks", None):
            pipe.remove_all_hooks()  # a handed-in pipeline may carry an earlier renderer's model offload
        if self.lora is not None:
            notes["lora_s"] = load_lora(pipe, self.lora[0], self.lora[1], self.spec.family)
        cpu_encoder = place_text_encoder(pipe, device, self.t5_cpu)
        if self.width and self.height:
            largest = (int(self.width), int(self.height))
        else:
            largest = tuple(max(self.spec.sizes, key=lambda s: s[0] * s[1]))
        plan, tiling, plan_notes = measure_memory_plan(pipe, device, largest, self.memory, self.vae_tiling)
        notes.update(plan_notes)
        apply_memory_plan(pipe, plan, device)
        if cpu_encoder is not None:
            cpu_encoder.to("cpu")
        if self.compile:
            t0 = time.perf_counter()
            for _, expert in experts(pipe):
                # Caching hooks run outside the compiled graph (torch.compiler.disable): no fullgraph with them.
                expert.compile_repeated_blocks(fullgraph=self.cache is None)
            notes["compile_setup_s"] = round(time.perf_counter() - t0, 3)
        notes["dtype"] = str(main).removeprefix("torch.")
        self._loaded = _Loaded(pipe=pipe, device=device, plan=plan, vae_tiling=tiling,
                               scheduler=pipe._briefreel_scheduler, cpu_text_encoder=cpu_encoder, notes=notes)
        if warm_key is not None:
            _WARM[warm_key] = self._loaded
        return self._loaded


# -- writing the clip -----------------------------------------------------------------------------------------------

def write_video(chunks, out_path: Path, fps: float, crf: int = 12) -> int:
    """Write float frames in [0, 1] (arrays of shape (F, H, W, 3)) as one H.264 clip; returns the frame count.

    The file appears only when complete (written under a temporary name, then renamed). A low CRF keeps the
    clip close to lossless: the animatic step encodes it once more.
    """
    import imageio_ffmpeg
    import numpy as np

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.part{out_path.suffix or '.mp4'}")
    height, width = chunks[0].shape[1:3]
    writer = imageio_ffmpeg.write_frames(
        str(tmp), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=None,
        macro_block_size=1, output_params=["-crf", str(crf), "-preset", "fast"],
    )
    count = 0
    try:
        writer.send(None)
        for chunk in chunks:
            for frame in chunk:
                writer.send(np.ascontiguousarray((np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)))
                count += 1
        writer.close()
        os.replace(tmp, out_path)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return count
