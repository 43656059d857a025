"""Wan's fast modes, each an option of :class:`~briefreel.render.wan.WanRenderer` (and of the job contract):

* ``preset``: named sampling settings (:data:`PRESETS`; "fast" is the step-distilled recipe) and the scheduler they
  name (:func:`make_scheduler`);
* ``lora``: ``PATH[:scale]`` (:func:`split_lora`, :func:`parse_lora`), loaded into both experts and fused
  (:func:`load_lora`);
* ``cache``: diffusers' First-Block-Cache or MagCache on every expert (:class:`StepCache`, with MagCache's
  calibration), set per call on a possibly shared pipeline;
* ``attention``: a diffusers attention backend (:func:`check_attention`);
* ``t5_cpu``: the text encoder kept off the pipeline, on the CPU (:func:`place_text_encoder`).

``compile`` (regional ``torch.compile``) is two lines in the renderer's loader. Nothing here imports torch or
diffusers at module level.
"""

from __future__ import annotations

import copy
import io
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

from briefreel.render.base import stable_hash
from briefreel.render.errors import RenderError, RendererUnavailable

# Named sampling presets. "fast" is the step-distilled recipe (Wan2.2-Lightning / LightX2V: 4 steps, guidance 1 so
# no CFG pass, flow-matching Euler, shift 5); it is meant to go with a distilled LoRA (``lora=``). "quality" is the
# model's own defaults (its steps and guidance, UniPC at the released shift). Explicit steps, guidance, guidance_2
# and flow_shift win over a preset.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"steps": 4, "guidance": 1.0, "guidance_2": 1.0, "scheduler": "euler", "flow_shift": 5.0},
    "quality": {},
}
ATTENTION_BACKENDS = ("native", "flash", "_flash_3", "sage")
ATTENTION_ALIASES = {"sdpa": "native", "fa2": "flash", "flash2": "flash", "fa3": "_flash_3", "flash3": "_flash_3",
                      "flash_3": "_flash_3"}
# Caching hooks from diffusers and their default thresholds (FirstBlockCacheConfig / MagCacheConfig defaults).
CACHES = {"fbc": 0.05, "mag": 0.06}
# MagCache needs its per-step magnitude ratios measured on the model first (diffusers: a run with calibrate=True
# prints them). The renderer runs that once per sampling setup, on this fixed prompt and seed, so the ratios (and the
# pixels they lead to) depend only on what the cache key already holds, never on which shot came first.
MAG_CALIBRATION_PROMPT = "A lighthouse on a cliff at dawn, waves breaking below, slow push in, cinematic"
MAG_CALIBRATION_SEED = 0


def split_lora(text: str | os.PathLike) -> tuple[str, float]:
    """``PATH[:scale]`` as ``(path, scale)``, without looking at the disk; the colon belongs to the path unless a
    number follows it. RenderError for an empty path or a scale that is not a finite number."""
    text = str(text).strip()
    path, scale, tail = text, 1.0, ""
    head, sep, tail = text.rpartition(":")
    if sep and head:
        try:
            scale, path = float(tail), head
        except ValueError:
            pass
    if not path:
        raise RenderError("lora needs a file: PATH[:scale]")
    if not math.isfinite(scale):
        raise RenderError(f"lora scale must be a finite number, not {tail!r}")
    return path, scale


def parse_lora(text: str | os.PathLike) -> tuple[Path, float]:
    """``PATH[:scale]`` as ``(resolved file, scale)``; RendererUnavailable when there is no such file."""
    path, scale = split_lora(text)
    file = Path(path).expanduser()
    if not file.is_file():
        raise RendererUnavailable(f"no LoRA file at {path} (lora=PATH[:scale], a .safetensors file)")
    return file.resolve(), scale


def parse_cache(text: str | None) -> tuple[str, float] | None:
    """``fbc[:threshold]`` / ``mag[:threshold]`` as ``(kind, threshold)``; None, "", "none", "off": no cache."""
    if text is None or str(text).strip().lower() in ("", "none", "off", "no", "false"):
        return None
    kind, sep, value = str(text).strip().lower().partition(":")
    if kind not in CACHES:
        raise RenderError(f"unknown cache {text!r}; use fbc[:threshold] (First-Block-Cache) or mag[:threshold] "
                          "(MagCache)")
    try:
        threshold = float(value) if sep else CACHES[kind]
    except ValueError:
        raise RenderError(f"cache threshold must be a number, not {value!r}") from None
    if not (math.isfinite(threshold) and threshold > 0):
        raise RenderError(f"cache threshold must be above 0, not {value!r}")
    return kind, threshold


def check_attention(name: str | None, device: str = "cuda") -> str:
    """The diffusers attention backend for ``name`` (native SDPA by default); RendererUnavailable when the package
    a backend needs is not importable, or it needs a CUDA GPU and ``device`` is not one."""
    key = str(name or "native").strip().lower()
    key = ATTENTION_ALIASES.get(key, key)
    if key not in ATTENTION_BACKENDS:
        raise RenderError(f"unknown attention backend {name!r}; choose one of {', '.join(ATTENTION_BACKENDS)}")
    if key == "native":
        return key
    try:
        from diffusers.models.attention_dispatch import AttentionBackendName, _check_attention_backend_requirements

        _check_attention_backend_requirements(AttentionBackendName(key))
    except RuntimeError as exc:
        raise RendererUnavailable(f"attention backend {key!r} is not usable here: {exc}") from None
    except ImportError:  # an older diffusers without the dispatcher: look for the package itself
        import importlib.util

        package = {"flash": "flash_attn", "_flash_3": "flash_attn_interface", "sage": "sageattention"}[key]
        if importlib.util.find_spec(package) is None:
            raise RendererUnavailable(f"attention backend {key!r} needs the {package} package") from None
    if not str(device).startswith("cuda"):
        raise RendererUnavailable(f"attention backend {key!r} needs a CUDA GPU (device is {device})")
    return key


def file_revision(path: Path) -> str:
    """A LoRA file's identity for the cache key: path, size and mtime (hashing gigabytes per lookup would cost more
    than it saves)."""
    st = path.stat()
    return stable_hash({"file": str(path), "size": st.st_size, "mtime": st.st_mtime_ns})


def experts(pipe) -> list[tuple[str, Any]]:
    """``[(name, transformer)]``: the denoising experts a pipeline has (one, or two for Wan2.2-T2V-A14B)."""
    return [(name, getattr(pipe, name)) for name in ("transformer", "transformer_2")
            if getattr(pipe, name, None) is not None]


def expert_steps(pipe, scheduler, steps: int) -> dict[str, int]:
    """How many of ``steps`` denoising steps each expert runs (WanPipeline's rule: ``transformer`` while
    ``t >= boundary_ratio * num_train_timesteps``, ``transformer_2`` after)."""
    sched = copy.deepcopy(scheduler)
    sched.set_timesteps(steps, device="cpu")
    ratio = pipe.config.get("boundary_ratio") if getattr(pipe, "transformer_2", None) is not None else None
    if ratio is None:
        return {"transformer": len(sched.timesteps)}
    boundary = ratio * sched.config.num_train_timesteps
    high = sum(1 for t in sched.timesteps if float(t) >= boundary)
    return {"transformer": high, "transformer_2": len(sched.timesteps) - high}


def parse_mag_ratios(text: str) -> list[float] | None:
    """The ratio lists MagCache printed in calibration (one per guidance branch), averaged element by element."""
    lists = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            values = re.findall(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)", line)
            lists.append([float(v) if math.isfinite(float(v)) else 1.0 for v in values])
    lists = [v for v in lists if v]
    if not lists:
        return None
    n = min(len(v) for v in lists)
    return [sum(v[i] for v in lists) / len(lists) for i in range(n)]


def make_scheduler(base, kind: str, shift: float | None):
    """The scheduler for one call: ``kind`` "euler" is flow-matching Euler at ``shift`` (default 5, the
    step-distilled recipe); "default" is the model's own (``base``, as loaded) at ``shift`` when one is given."""
    if kind == "euler":
        from diffusers import FlowMatchEulerDiscreteScheduler

        return FlowMatchEulerDiscreteScheduler(num_train_timesteps=base.config.num_train_timesteps,
                                               shift=float(shift or 5.0))
    if shift is None or shift == base.config.get("flow_shift"):
        return base
    return type(base).from_config(base.config, flow_shift=shift)


# -- LoRA and the text encoder's place: set when the pipeline is loaded -----------------------------------------------

def load_lora(pipe, path: Path, scale: float, family: str = "wan") -> float:
    """Load the LoRA into every expert (``load_into_transformer_2`` for the low-noise one), fuse it at ``scale``,
    and drop the adapter layers: the denoising steps then cost what they cost without a LoRA. Returns the seconds."""
    t0 = time.perf_counter()
    adapter = "briefreel"
    try:
        pipe.load_lora_weights(str(path), adapter_name=adapter)
        components = ["transformer"]
        if getattr(pipe, "transformer_2", None) is not None:
            pipe.load_lora_weights(str(path), adapter_name=adapter, load_into_transformer_2=True)
            components.append("transformer_2")
        pipe.fuse_lora(components=components, lora_scale=scale, adapter_names=[adapter])
        pipe.unload_lora_weights()
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise RendererUnavailable(f"cannot load LoRA {path} into {family}: {type(exc).__name__}: {first}") from exc
    return round(time.perf_counter() - t0, 3)


def place_text_encoder(pipe, device: str, t5_cpu: bool):
    """t5_cpu on a GPU: take the text encoder off the pipeline (so no memory plan moves it to the GPU) and return
    it; it is put back only while a prompt is encoded. Otherwise a previously taken one is put back (None)."""
    taken = getattr(pipe, "_briefreel_text_encoder", None)
    if not t5_cpu or not device.startswith("cuda"):
        if taken is not None and pipe.text_encoder is None:
            pipe.text_encoder = taken
        return None
    if pipe.text_encoder is not None:
        pipe._briefreel_text_encoder = pipe.text_encoder
        pipe.text_encoder = None
    return pipe._briefreel_text_encoder


# -- caching hooks: set per call on the (possibly shared) warm pipeline ------------------------------------------------

class StepCache:
    """diffusers' First-Block-Cache (``fbc``) or MagCache (``mag``) on every expert, at ``threshold``.

    MagCache needs its per-step magnitude ratios measured on the model first: :meth:`enable` runs that calibration
    once per sampling setup (``setup``: size, frames, steps, guidance, scheduler...), on :data:`MAG_CALIBRATION_PROMPT`
    and seed, through ``calibrate_run(prompt, seed)`` (the renderer's own pipeline call, stopping at the latents),
    so the ratios, and the pixels they lead to, depend only on what the cache key already holds."""

    def __init__(self, kind: str, threshold: float):
        self.kind, self.threshold = kind, threshold
        self.ratios: dict[tuple, dict[str, list[float]]] = {}  # setup -> expert -> ratios

    @classmethod
    def parse(cls, text: str | None) -> "StepCache | None":
        parsed = parse_cache(text)
        return None if parsed is None else cls(*parsed)

    def __str__(self) -> str:
        return f"{self.kind}:{self.threshold:g}"

    def enable(self, pipe, scheduler, steps: int, setup: tuple,
               calibrate_run: Callable[[str, int], Any]) -> float:
        """Hook every expert for the next call; returns the seconds spent calibrating (0 when none was needed)."""
        from diffusers.hooks import FirstBlockCacheConfig, MagCacheConfig

        if self.kind == "fbc":
            for _, expert in experts(pipe):
                expert.enable_cache(FirstBlockCacheConfig(threshold=self.threshold))
            return 0.0
        counts = expert_steps(pipe, scheduler, steps)
        spent = 0.0
        if setup not in self.ratios:
            t0 = time.perf_counter()
            self.ratios[setup] = self.calibrate(pipe, counts, calibrate_run)
            spent = time.perf_counter() - t0
        ratios = self.ratios[setup]
        for name, expert in experts(pipe):
            if counts.get(name) and name in ratios:
                expert.enable_cache(MagCacheConfig(threshold=self.threshold, num_inference_steps=counts[name],
                                                   mag_ratios=ratios[name]))
        return spent

    @staticmethod
    def calibrate(pipe, counts: dict[str, int], run: Callable[[str, int], Any]) -> dict[str, list[float]]:
        """MagCache's calibration (``MagCacheConfig(calibrate=True)``: a full run that prints the per-step ratios),
        per expert, caught from each expert's own print."""
        from diffusers.hooks import MagCacheConfig

        printed = {name: io.StringIO() for name, _ in experts(pipe)}
        saved = sys.stdout
        handles = []
        for name, expert in experts(pipe):
            if not counts.get(name):
                continue
            expert.enable_cache(MagCacheConfig(calibrate=True, num_inference_steps=counts[name]))
            # The ratios are printed from inside the expert's last forward: catch each expert's print apart.
            handles.append(expert.register_forward_pre_hook(
                lambda *_a, _buf=printed[name]: setattr(sys, "stdout", _buf)))
            handles.append(expert.register_forward_hook(lambda *_a: setattr(sys, "stdout", saved)))
        try:
            run(MAG_CALIBRATION_PROMPT, MAG_CALIBRATION_SEED)
        finally:
            sys.stdout = saved
            for h in handles:
                h.remove()
            disable_step_caches(pipe)
        ratios = {}
        for name, buf in printed.items():
            if counts.get(name):
                values = parse_mag_ratios(buf.getvalue())
                if values is None:
                    raise RenderError(f"MagCache calibration printed no ratios for {name}")
                ratios[name] = values
        return ratios


def disable_step_caches(pipe) -> None:
    """Take every caching hook off the pipeline's experts (a warm pipeline is shared between renderers)."""
    for _, expert in experts(pipe):
        if getattr(expert, "is_cache_enabled", False):
            expert.disable_cache()
