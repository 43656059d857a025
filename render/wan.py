"""Render shots with the Wan text-to-video pipelines of ``diffusers``.

    briefreel run brief.pdf --out out/spot --renderer wan --model Wan-AI/Wan2.2-T2V-A14B-Diffusers
    briefreel run brief.pdf --out out/spot --renderer wan --model /models/Wan2.1-T2V-1.3B-Diffusers

One :class:`WanRenderer` serves every Wan text-to-video checkpoint in the diffusers layout: Wan2.2-T2V-A14B (two
experts, ``transformer`` for high noise and ``transformer_2`` for low noise, switched at ``boundary_ratio``),
Wan2.2-TI2V-5B (48-channel VAE, ``expand_timesteps``, 24 fps) and Wan2.1-T2V-1.3B/14B (16 fps). What differs
between them is read from the model's own files, never from its name:

* ``model_index.json``: the pipeline class (must be ``WanPipeline``), ``boundary_ratio``, ``expand_timesteps``,
  whether ``transformer_2`` exists;
* ``vae/config.json``: ``z_dim`` and the spatial/temporal scale factors (frames are ``4k+1`` for a 4x VAE);
* ``transformer/config.json``: patch size (sizes are multiples of VAE scale x patch) and width (1.3B vs 14B);
* ``scheduler/scheduler_config.json``: ``flow_shift`` as released.

Those facts pick a family in :data:`FAMILIES`, which holds the published defaults the configs do not carry (fps,
native sizes, frames per clip, steps, guidance). A folder may carry ``briefreel_wan.json`` to override any of them
(a fine-tune trained at other sizes; the tiny test model from ``briefreel make-tiny-wan`` uses it).

A shot longer than one clip is rendered as a chain of segments, each a full ``4k+1``-frame generation with its own
derived seed, joined end to end; ``render/animatic.py`` then retimes the clip from the model's fps to 24 fps and
trims it to the shot's exact span. The rule, with ``need = ceil(span_frames * model_fps / 24)`` native frames:
``n = ceil(need / max_frames)`` segments of ``4k+1 >= ceil(need / n)`` frames each (at least 5).

The pipeline is loaded once, by the first shot that needs it, and kept for every later shot (and for the next
renderer in the same process that asks for the same weights and placement: see :func:`release_pipelines`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefreel.render.base import Clip, RenderSettings, stable_hash
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.render.seeds import segment_seed, shot_seed
from briefreel.storyboard.schema import Shot, Storyboard

# Bump whenever the same inputs would give different pixels (segment rule, seed derivation, encoder settings...).
VERSION = "2"

# Wan's own default negative prompt (Wan2.1/2.2 ``sample_neg_prompt``): colour cast, overexposure, static frame,
# blurred details, subtitles, worst quality, JPEG artefacts, extra fingers, deformed limbs, cluttered background,
# three legs, crowded background, walking backwards... Used when neither the shot nor the board sets one.
WAN_NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，"
    "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，"
    "静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)

# Published defaults per family (Wan2.1 / Wan2.2 reference configs and the diffusers model cards). Sizes are
# (width, height); the square one is the 16:9 size's pixel area at 1:1 (Wan has no official square size).
FAMILIES: dict[str, dict[str, Any]] = {
    "wan2.1-t2v-1.3b": {"fps": 16, "max_frames": 81, "steps": 50, "guidance": 5.0,
                        "sizes": [[832, 480], [480, 832], [624, 624]]},
    "wan2.1-t2v-14b": {"fps": 16, "max_frames": 81, "steps": 50, "guidance": 5.0,
                       "sizes": [[1280, 720], [720, 1280], [960, 960]]},
    "wan2.2-t2v-a14b": {"fps": 16, "max_frames": 81, "steps": 40, "guidance": 4.0, "guidance_2": 3.0,
                        "sizes": [[1280, 720], [720, 1280], [960, 960]]},
    "wan2.2-ti2v-5b": {"fps": 24, "max_frames": 121, "steps": 50, "guidance": 5.0,
                       "sizes": [[1280, 704], [704, 1280], [960, 960]]},
}

MEMORY_PLANS = ("auto", "gpu", "model_offload", "group_offload", "sequential_offload")
_DTYPES = {"bfloat16": "bfloat16", "bf16": "bfloat16", "float16": "float16", "fp16": "float16",
           "half": "float16", "float32": "float32", "fp32": "float32"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
GIB = 1024**3


# -- the model: where it is, which revision, which family ----------------------------------------------------------

@dataclass
class ModelSpec:
    """Everything about a Wan checkpoint that can be known from its config files, without loading weights."""

    source: str  # what from_pretrained gets: a folder, or a hub id
    folder: Path  # where its config files are (the folder, or the hub cache snapshot)
    revision: str  # folder: digest of configs + weight sizes/mtimes; hub: the resolved commit
    family: str
    pipeline_class: str
    two_experts: bool
    expand_timesteps: bool
    fps: int
    max_frames: int
    steps: int
    guidance: float
    guidance_2: float | None
    sizes: list[list[int]]
    size_multiple: int  # width/height must be multiples of this (VAE spatial scale x transformer patch)
    temporal_factor: int  # frames are k * temporal_factor + 1
    flow_shift: float | None
    hub_revision: str | None = None  # the commit passed to from_pretrained for a hub id


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RendererUnavailable(f"cannot read {path}: {exc}") from None


def folder_revision(folder: Path) -> str:
    """A digest that changes when any config, tokenizer file or weight file of ``folder`` changes.

    Configs are hashed by content; weight files by relative path, size and mtime (reading gigabytes of weights for
    every cache lookup would cost more than the lookup saves).
    """
    parts: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue
        rel = path.relative_to(folder).as_posix()
        st = path.stat()
        if path.name.endswith(_WEIGHT_SUFFIXES):
            parts[rel] = [st.st_size, st.st_mtime_ns]
        elif st.st_size <= 64 * 1024 * 1024:  # configs, tokenizer files, model cards
            parts[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            parts[rel] = [st.st_size, st.st_mtime_ns]
    return "folder:" + stable_hash(parts)


def locate_model(model: str | os.PathLike | None, revision: str | None = None) -> tuple[str, Path, str, str | None]:
    """``(source, config_folder, revision, hub_commit)`` for a local folder or a hub id; RendererUnavailable if neither."""
    if not model:
        raise RendererUnavailable(
            "the wan renderer needs --model: a diffusers Wan folder or a hub id such as "
            "Wan-AI/Wan2.2-T2V-A14B-Diffusers (for a test model: briefreel make-tiny-wan DIR)")
    text = str(model)
    path = Path(text).expanduser()
    if path.is_dir():
        path = path.resolve()
        if not (path / "model_index.json").is_file():
            raise RendererUnavailable(f"{text} is not a diffusers pipeline folder (no model_index.json)")
        return str(path), path, folder_revision(path), None
    if path.exists():
        raise RendererUnavailable(f"--model {text} is a file; give a diffusers Wan folder or a hub id")
    if not _HUB_ID.match(text) or text.startswith((".", "~")):
        raise RendererUnavailable(f"no model folder at {text} (give a diffusers Wan folder or a hub id)")
    try:
        from huggingface_hub import snapshot_download

        # Only the small files: the configs decide the family; weights come with from_pretrained when rendering.
        # Offline, this resolves from the local cache; with neither, it raises.
        snapshot = Path(snapshot_download(text, revision=revision, allow_patterns=["*.json", "*.txt", "*.model"]))
    except Exception as exc:  # noqa: BLE001 (hub errors are many kinds; all mean "not available here")
        raise RendererUnavailable(
            f"no model folder at {text}, and the hub model {text!r} is neither in the local Hugging Face cache nor "
            f"reachable ({type(exc).__name__}); download it where there is network, or pass a local folder"
        ) from None
    commit = snapshot.name  # .../models--org--name/snapshots/<commit>
    if not (snapshot / "model_index.json").is_file():
        raise RendererUnavailable(f"hub model {text!r} is not a diffusers pipeline (no model_index.json)")
    return text, snapshot, f"hub:{commit}", commit


def _has_second_expert(index: dict) -> bool:
    """model_index.json lists a ``transformer_2`` component and a ``boundary_ratio`` to switch to it."""
    entry = index.get("transformer_2") or [None]
    return entry[0] is not None and index.get("boundary_ratio") is not None


def detect_family(index: dict, transformer: dict, vae: dict) -> str:
    """The model family from what the configs say (not from the folder's name)."""
    if index.get("expand_timesteps") and vae.get("z_dim") == 48:
        return "wan2.2-ti2v-5b"
    if _has_second_expert(index):
        return "wan2.2-t2v-a14b"
    width = transformer.get("num_attention_heads", 40) * transformer.get("attention_head_dim", 128)
    return "wan2.1-t2v-14b" if width >= 5120 else "wan2.1-t2v-1.3b"


def read_model_spec(model: str | os.PathLike | None, revision: str | None = None) -> ModelSpec:
    source, folder, rev, commit = locate_model(model, revision)
    index = _read_json(folder / "model_index.json")
    cls = index.get("_class_name", "")
    if cls != "WanPipeline":
        raise RendererUnavailable(
            f"{model} holds a {cls or 'unknown'} checkpoint; the wan renderer needs a text-to-video WanPipeline "
            "(Wan2.1-T2V, Wan2.2-T2V-A14B or Wan2.2-TI2V-5B in the diffusers layout)")
    transformer = _read_json(folder / "transformer" / "config.json") or \
        _read_json(folder / "transformer_2" / "config.json")
    vae = _read_json(folder / "vae" / "config.json")
    scheduler = _read_json(folder / "scheduler" / "scheduler_config.json")
    if not transformer or not vae:
        raise RendererUnavailable(f"{model} lacks transformer/config.json or vae/config.json")

    family = detect_family(index, transformer, vae)
    defaults = dict(FAMILIES[family])
    card = _read_json(folder / "briefreel_wan.json")  # optional overrides (fine-tunes, the tiny test model)
    defaults.update({k: v for k, v in card.items() if k != "family"})
    patch = transformer.get("patch_size", [1, 2, 2])
    spatial = int(vae.get("scale_factor_spatial") or 8)  # AutoencoderKLWan's defaults when a config omits them
    temporal = int(vae.get("scale_factor_temporal") or 4)
    two = _has_second_expert(index)
    return ModelSpec(
        source=source, folder=folder, revision=rev, family=card.get("family", family), pipeline_class=cls,
        two_experts=two, expand_timesteps=bool(index.get("expand_timesteps")),
        fps=int(defaults["fps"]), max_frames=int(defaults["max_frames"]), steps=int(defaults["steps"]),
        guidance=float(defaults["guidance"]),
        guidance_2=float(defaults.get("guidance_2", defaults["guidance"])) if two else None,
        sizes=[list(map(int, s)) for s in defaults["sizes"]],
        size_multiple=spatial * int(max(patch[1], patch[2])), temporal_factor=temporal,
        flow_shift=scheduler.get("flow_shift"), hub_revision=commit,
    )


# -- what to generate for a shot ------------------------------------------------------------------------------------

def pick_size(spec: ModelSpec, width: int, height: int) -> tuple[int, int]:
    """The model's native size whose aspect ratio is nearest ``width:height`` (first listed wins ties)."""
    target = math.log(width / height)
    return tuple(min(spec.sizes, key=lambda s: abs(math.log(s[0] / s[1]) - target)))  # type: ignore[return-value]


def _round_to(value: int, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def segment_plan(span_frames: int, out_fps: float, spec: ModelSpec) -> list[int]:
    """Native frame counts of the segments that cover ``span_frames`` frames at ``out_fps`` (see module docstring)."""
    k = spec.temporal_factor
    need = max(1, math.ceil(span_frames * spec.fps / out_fps - 1e-9))
    cap = (spec.max_frames - 1) // k * k + 1
    n = math.ceil(need / cap)
    per = math.ceil(need / n)
    per = max(k + 1, math.ceil((per - 1) / k) * k + 1)
    return [min(per, cap)] * n


def shot_prompts(shot: Shot, board: Storyboard) -> tuple[str, str]:
    """(prompt, negative prompt) for a shot: the storyboard's own words first, Wan's defaults last."""
    prompt = shot.prompt.strip()
    if not prompt:
        prompt = ". ".join(p for p in (shot.description.strip(), board.style.strip()) if p)
    negative = shot.negative_prompt.strip() or board.negative_prompt.strip() or WAN_NEGATIVE_PROMPT
    return prompt, negative


# -- fast modes: presets, LoRA, caches, attention -------------------------------------------------------------------

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
EMBED_CACHE_SIZE = 64  # prompt embeddings kept per renderer (512 x 4096 bf16 = 4 MB each for UMT5-XXL)
_OFFLOAD_PLANS = ("model_offload", "group_offload", "sequential_offload")
_AREA_720P = 1280 * 704  # the smaller of Wan's two 720p sizes (TI2V-5B's 1280x704)


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


def vae_tiling_for(width: int, height: int, plan: str, vae_tiling: bool | None = None) -> bool:
    """Whether the VAE decodes in tiles: as asked, else always at 720p and above (the decode is where 80 GB cards
    run out: Wan2.2 issue #42) and under every offload plan."""
    if vae_tiling is not None:
        return bool(vae_tiling)
    return width * height >= _AREA_720P or plan in _OFFLOAD_PLANS


def _file_revision(path: Path) -> str:
    st = path.stat()
    return stable_hash({"file": str(path), "size": st.st_size, "mtime": st.st_mtime_ns})


def _experts(pipe) -> list[tuple[str, Any]]:
    return [(name, getattr(pipe, name)) for name in ("transformer", "transformer_2")
            if getattr(pipe, name, None) is not None]


def expert_steps(pipe, scheduler, steps: int) -> dict[str, int]:
    """How many of ``steps`` denoising steps each expert runs (WanPipeline's rule: ``transformer`` while
    ``t >= boundary_ratio * num_train_timesteps``, ``transformer_2`` after)."""
    import copy

    sched = copy.deepcopy(scheduler)
    sched.set_timesteps(steps, device="cpu")
    ratio = pipe.config.get("boundary_ratio") if getattr(pipe, "transformer_2", None) is not None else None
    if ratio is None:
        return {"transformer": len(sched.timesteps)}
    boundary = ratio * sched.config.num_train_timesteps
    high = sum(1 for t in sched.timesteps if float(t) >= boundary)
    return {"transformer": high, "transformer_2": len(sched.timesteps) - high}


def _parse_mag_ratios(text: str) -> list[float] | None:
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


# -- the renderer ---------------------------------------------------------------------------------------------------

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
    should_stop = None
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
        if dtype is not None and dtype not in _DTYPES:
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
        self.dtype = _DTYPES[dtype] if dtype else None
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
        self.lora_revision = _file_revision(self.lora[0]) if self.lora else None
        self.t5_cpu = bool(t5_cpu)
        self.cache = parse_cache(cache)
        self.compile = bool(compile)
        self.attention = check_attention(attention, self.device)
        self._given = pipeline
        self._loaded: _Loaded | None = None
        # Prompt embeddings, per renderer (one renderer per job): text -> tensor on the execution device.
        self._embeds: dict[tuple[str, int], Any] = {}
        self.text_encoder_calls = 0
        self.text_encoder_s = 0.0
        self._mag: dict[tuple, dict[str, list[float]]] = {}
        self._schedulers: dict[tuple, Any] = {}
        self.last_timings: dict[str, Any] = {}

    # -- the renderer contract ------------------------------------------------------------------------------------

    def generation(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        """The exact pipeline arguments (and seeds) for one shot: the cache key and the render share it."""
        prompt, negative = shot_prompts(shot, board)
        if self.width and self.height:
            m = self.spec.size_multiple
            width, height = _round_to(int(self.width), m), _round_to(int(self.height), m)
        else:
            width, height = pick_size(self.spec, settings.width, settings.height)
        segments = segment_plan(frames, settings.fps, self.spec)
        seed = shot_seed(shot, self.seed or 0)  # the same rule as render_board (render.seeds)
        seeds = [seed] + [segment_seed(seed, i) for i in range(1, len(segments))]
        return {
            "prompt": prompt, "negative_prompt": negative, "width": width, "height": height,
            "segments": segments, "seed": seed, "segment_seeds": seeds, "steps": self.steps,
            "guidance": self.guidance, "guidance_2": self.guidance_2, "fps": self.spec.fps,
            "flow_shift": self.flow_shift if self.flow_shift is not None else self.spec.flow_shift,
            "scheduler": self.scheduler, "preset": self.preset,
            "max_sequence_length": self.max_sequence_length,
            "lora": None if self.lora is None else
            {"path": str(self.lora[0]), "scale": self.lora[1], "revision": self.lora_revision},
            "cache": None if self.cache is None else f"{self.cache[0]}:{self.cache[1]:g}",
            # Tiling blends tile seams, so it is part of what a clip looks like: explicit, or always at 720p;
            # "auto" below 720p (on under the offload plans, which depend on the card).
            "vae_tiling": (bool(self.vae_tiling) if self.vae_tiling is not None
                           else True if width * height >= _AREA_720P else "auto"),
        }

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
            "revision": self.spec.revision, "family": self.spec.family, "dtype": self.compute_dtype(), **gen,
        }

    def render_shot(
        self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int, out_path: Path
    ) -> Clip:
        gen = self.generation(shot, board, settings, frames)
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
        calls0, te0 = self.text_encoder_calls, self.text_encoder_s
        cfg = gen["guidance"] > 1.0  # WanPipeline runs the unconditional pass only then
        prompt_embeds = self._embed(loaded, gen["prompt"], gen["max_sequence_length"])
        negative_embeds = self._embed(loaded, gen["negative_prompt"], gen["max_sequence_length"]) if cfg else None
        out_of_memory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # torch < 2.5: cuda's
        timings: dict[str, Any] = {"scheduler": type(pipe.scheduler).__name__, "vae_tiling": tiling,
                                   "denoise_s": 0.0, "vae_decode_s": 0.0, "steps": []}
        chunks = []
        for num_frames, seed in zip(gen["segments"], gen["segment_seeds"]):
            try:
                self._enable_cache(loaded, gen, num_frames, negative_embeds is not None, timings)
                kwargs = self._call_kwargs(gen, num_frames, torch.Generator("cpu").manual_seed(seed),
                                           prompt_embeds, negative_embeds)
                if not decode:
                    kwargs["output_type"] = "latent"
                frames, seg = self._timed_call(loaded, kwargs)
            except out_of_memory as exc:
                raise RenderError(
                    f"{label}: out of GPU memory with memory plan {loaded.plan!r} "
                    "(try --memory group_offload or a smaller model)") from exc
            finally:
                self._disable_cache(pipe)
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
            text_encoder_calls=self.text_encoder_calls - calls0,
            text_encoder_s=round(self.text_encoder_s - te0, 3), generate_s=round(time.perf_counter() - t0, 3),
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

    def _timed_call(self, loaded: _Loaded, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """One pipeline call, with the end of every denoising step clocked (a step callback; on a GPU each mark
        waits for the card, a negligible cost next to a step)."""
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

    # -- prompt embeddings: each distinct text encoded once per renderer --------------------------------------------

    def _embed(self, loaded: _Loaded, text: str, max_sequence_length: int):
        import torch

        key = (text, int(max_sequence_length))
        if key in self._embeds:
            self._embeds[key] = self._embeds.pop(key)  # most recently used last
            return self._embeds[key]
        pipe, cpu_encoder = loaded.pipe, loaded.cpu_text_encoder
        cuda = loaded.device.startswith("cuda") and torch.cuda.is_available()
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        if cpu_encoder is not None:  # t5_cpu: the encoder is kept off the pipeline so no offload hook moves it
            pipe.text_encoder = cpu_encoder
        try:
            with torch.no_grad():
                embeds, _ = pipe.encode_prompt(prompt=text, do_classifier_free_guidance=False,
                                               num_videos_per_prompt=1, max_sequence_length=int(max_sequence_length),
                                               device=torch.device(loaded.device))
        finally:
            if cpu_encoder is not None:
                pipe.text_encoder = None
        if cuda:
            torch.cuda.synchronize()
        self.text_encoder_s += time.perf_counter() - t0
        self.text_encoder_calls += 1
        self._embeds[key] = embeds
        while len(self._embeds) > EMBED_CACHE_SIZE:
            self._embeds.pop(next(iter(self._embeds)))
        return embeds

    # -- scheduler and caching hooks, set per call on the (possibly shared) warm pipeline --------------------------

    def _scheduler_for(self, loaded: _Loaded, gen: dict[str, Any]):
        base = loaded.scheduler
        shift = gen["flow_shift"]
        key = (gen["scheduler"], shift)
        if key not in self._schedulers:
            if gen["scheduler"] == "euler":
                from diffusers import FlowMatchEulerDiscreteScheduler

                self._schedulers[key] = FlowMatchEulerDiscreteScheduler(
                    num_train_timesteps=base.config.num_train_timesteps, shift=float(shift or 5.0))
            elif shift is None or shift == base.config.get("flow_shift"):
                self._schedulers[key] = base
            else:
                self._schedulers[key] = type(base).from_config(base.config, flow_shift=shift)
        return self._schedulers[key]

    def _enable_cache(self, loaded: _Loaded, gen: dict[str, Any], num_frames: int, cfg: bool,
                      timings: dict[str, Any]) -> None:
        if self.cache is None:
            return
        from diffusers.hooks import FirstBlockCacheConfig, MagCacheConfig

        kind, threshold = self.cache
        pipe = loaded.pipe
        if kind == "fbc":
            for _, expert in _experts(pipe):
                expert.enable_cache(FirstBlockCacheConfig(threshold=threshold))
            return
        counts = expert_steps(pipe, pipe.scheduler, gen["steps"])
        key = (gen["width"], gen["height"], num_frames, gen["steps"], gen["guidance"], gen["guidance_2"],
               gen["scheduler"], gen["flow_shift"], cfg)
        if key not in self._mag:
            t0 = time.perf_counter()
            self._mag[key] = self._calibrate_mag(loaded, gen, num_frames, counts)
            timings["mag_calibration_s"] = round(timings.get("mag_calibration_s", 0.0) + time.perf_counter() - t0, 3)
        ratios = self._mag[key]
        for name, expert in _experts(pipe):
            if counts.get(name) and name in ratios:
                expert.enable_cache(MagCacheConfig(threshold=threshold, num_inference_steps=counts[name],
                                                   mag_ratios=ratios[name]))

    def _calibrate_mag(self, loaded: _Loaded, gen: dict[str, Any], num_frames: int,
                       counts: dict[str, int]) -> dict[str, list[float]]:
        """MagCache's calibration (``MagCacheConfig(calibrate=True)``: a full run that prints the per-step ratios),
        done per expert on the calibration prompt and seed at this size, frames and sampling setup."""
        import io
        import sys

        import torch
        from diffusers.hooks import MagCacheConfig

        pipe = loaded.pipe
        printed = {name: io.StringIO() for name, _ in _experts(pipe)}
        saved = sys.stdout
        handles = []
        for name, expert in _experts(pipe):
            if not counts.get(name):
                continue
            expert.enable_cache(MagCacheConfig(calibrate=True, num_inference_steps=counts[name]))
            # The ratios are printed from inside the expert's last forward: catch each expert's print apart.
            handles.append(expert.register_forward_pre_hook(
                lambda *_a, _buf=printed[name]: setattr(sys, "stdout", _buf)))
            handles.append(expert.register_forward_hook(lambda *_a: setattr(sys, "stdout", saved)))
        try:
            calib = dict(gen, prompt=MAG_CALIBRATION_PROMPT)
            embeds = self._embed(loaded, calib["prompt"], gen["max_sequence_length"])
            negative = (self._embed(loaded, gen["negative_prompt"], gen["max_sequence_length"])
                        if gen["guidance"] > 1.0 else None)
            kwargs = self._call_kwargs(calib, num_frames, torch.Generator("cpu").manual_seed(MAG_CALIBRATION_SEED),
                                       embeds, negative)
            kwargs["output_type"] = "latent"  # the ratios come from the denoiser; no decode needed
            pipe(**kwargs)
        finally:
            sys.stdout = saved
            for h in handles:
                h.remove()
            self._disable_cache(pipe)
        ratios = {}
        for name, buf in printed.items():
            if counts.get(name):
                values = _parse_mag_ratios(buf.getvalue())
                if values is None:
                    raise RenderError(f"MagCache calibration printed no ratios for {name}")
                ratios[name] = values
        return ratios

    @staticmethod
    def _disable_cache(pipe) -> None:
        for _, expert in _experts(pipe):
            if getattr(expert, "is_cache_enabled", False):
                expert.disable_cache()

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
            pipe = self._from_pretrained(main)

        # The scheduler as loaded: each call sets its own (preset, flow_shift) from it.
        if getattr(pipe, "_briefreel_scheduler", None) is None:
            pipe._briefreel_scheduler = pipe.scheduler
        notes: dict[str, Any] = {}
        if self.attention != "native":
            for _, expert in _experts(pipe):
                expert.set_attention_backend(self.attention)
        if self._given is not None and getattr(pipe, "_all_hooks", None):
            pipe.remove_all_hooks()  # a handed-in pipeline may carry an earlier renderer's model offload
        if self.lora is not None:
            notes["lora_s"] = self._load_lora(pipe)
        cpu_encoder = self._place_text_encoder(pipe, device)
        plan, tiling, plan_notes = self._memory_plan(pipe, device)
        notes.update(plan_notes)
        if plan == "cpu":
            pipe.to("cpu")
        elif plan == "gpu":
            pipe.to(device)
        elif plan == "model_offload":
            pipe.enable_model_cpu_offload(device=device)
        elif plan == "group_offload":
            pipe.enable_group_offload(onload_device=torch.device(device), offload_device=torch.device("cpu"),
                                      offload_type="leaf_level", use_stream=True)
        elif plan == "sequential_offload":
            pipe.enable_sequential_cpu_offload(device=device)
        if cpu_encoder is not None:
            cpu_encoder.to("cpu")
        if self.compile:
            t0 = time.perf_counter()
            for _, expert in _experts(pipe):
                # Caching hooks run outside the compiled graph (torch.compiler.disable): no fullgraph with them.
                expert.compile_repeated_blocks(fullgraph=self.cache is None)
            notes["compile_setup_s"] = round(time.perf_counter() - t0, 3)
        notes["dtype"] = str(main).removeprefix("torch.")
        self._loaded = _Loaded(pipe=pipe, device=device, plan=plan, vae_tiling=tiling,
                               scheduler=pipe._briefreel_scheduler, cpu_text_encoder=cpu_encoder, notes=notes)
        if warm_key is not None:
            _WARM[warm_key] = self._loaded
        return self._loaded

    def _from_pretrained(self, main):
        import diffusers
        import torch

        # The VAE stays in float32 (the diffusers Wan examples do the same: bf16 decoding bands colours).
        dtypes = {"default": main, "vae": torch.float32}
        cls = getattr(diffusers, self.spec.pipeline_class)
        # diffusers renamed from_pretrained's torch_dtype to dtype; pass whichever this version takes.
        try:
            from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401

            dtype_arg = "dtype"
        except ImportError:
            dtype_arg = "torch_dtype"
        try:
            return cls.from_pretrained(self.spec.source, revision=self.spec.hub_revision, **{dtype_arg: dtypes})
        except Exception as exc:  # noqa: BLE001 (missing/damaged files surface as many exception types)
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise RendererUnavailable(
                f"cannot load Wan model {self.spec.source}: {type(exc).__name__}: {first}") from exc

    def _load_lora(self, pipe) -> float:
        """Load the LoRA into every expert (``load_into_transformer_2`` for the low-noise one), fuse it at its
        scale, and drop the adapter layers: the denoising steps then cost what they cost without a LoRA."""
        path, scale = self.lora
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
            raise RendererUnavailable(f"cannot load LoRA {path} into {self.spec.family}: "
                                      f"{type(exc).__name__}: {first}") from exc
        return round(time.perf_counter() - t0, 3)

    def _place_text_encoder(self, pipe, device: str):
        """t5_cpu: take the text encoder off the pipeline (so no memory plan moves it to the GPU) and return it;
        it is put back only while a prompt is encoded. Otherwise a previously taken one is put back."""
        taken = getattr(pipe, "_briefreel_text_encoder", None)
        if not self.t5_cpu or not device.startswith("cuda"):
            if taken is not None and pipe.text_encoder is None:
                pipe.text_encoder = taken
            return None
        if pipe.text_encoder is not None:
            pipe._briefreel_text_encoder = pipe.text_encoder
            pipe.text_encoder = None
        return pipe._briefreel_text_encoder

    def _memory_plan(self, pipe, device: str) -> tuple[str, bool, dict[str, Any]]:
        """Measure the loaded weights and the free VRAM, then :func:`choose_memory_plan`."""
        import torch

        sizes = {name: sum(p.numel() * p.element_size() for p in comp.parameters())
                 for name, comp in pipe.components.items() if isinstance(comp, torch.nn.Module)}
        notes: dict[str, Any] = {"weights_bytes": sum(sizes.values())}
        if not device.startswith("cuda"):
            if self.memory != "auto":
                notes["memory_note"] = f"memory plan {self.memory!r} ignored: no GPU"
            return "cpu", bool(self.vae_tiling), notes
        # Weights already on the card (a handed-in pipeline built there) count as free for the plan.
        on_card = sum(p.numel() * p.element_size() for comp in pipe.components.values()
                      if isinstance(comp, torch.nn.Module) for p in comp.parameters() if p.device.type == "cuda")
        free, total = torch.cuda.mem_get_info(torch.device(device))
        free = min(total, free + on_card)
        notes.update(free_vram_gib=round(free / GIB, 2), total_vram_gib=round(total / GIB, 2))
        if self.width and self.height:
            size = (int(self.width), int(self.height))
        else:
            size = tuple(max(self.spec.sizes, key=lambda s: s[0] * s[1]))
        plan, tiling = choose_memory_plan(sizes, free, size, self.memory, self.vae_tiling)
        return plan, tiling, notes


def choose_memory_plan(weights: dict[str, int], free: int, size: tuple[int, int], memory: str = "auto",
                       vae_tiling: bool | None = None) -> tuple[str, bool]:
    """``(plan, vae_tiling)`` for component weights (bytes each) on a card with ``free`` bytes, at ``size``.

    Working memory is estimated from the frame size: about 8 GiB of activations at 1280x720 (81 frames, 14B
    transformer: 75,600 tokens; FFN and attention intermediates), plus a VAE decode peak of about 8 GiB that VAE
    tiling cuts to about 2 GiB, all scaled by pixel count. Full GPU when everything fits in 90 % of the free memory;
    model CPU offload (one component on the card at a time) when the largest component fits; group offload (layers
    streamed in on a CUDA stream) otherwise. VAE tiling (:func:`vae_tiling_for`) is on at 720p and above, under every
    offload plan, and on full GPU when the untiled decode peak would not fit. ``memory``/``vae_tiling`` override.
    """
    scale = size[0] * size[1] / (1280 * 720)
    work, vae_peak, vae_tiled = GIB * (2 + 6 * scale), 8 * GIB * scale, 2 * GIB * min(1.0, scale)
    budget = free * 0.9
    total, largest = sum(weights.values()), max(weights.values())
    if memory != "auto":
        plan = memory
    elif total + work + vae_tiled <= budget:
        plan = "gpu"
    elif largest + work + vae_tiled <= budget:
        plan = "model_offload"
    else:
        plan = "group_offload"
    if vae_tiling is None:
        vae_tiling = vae_tiling_for(size[0], size[1], plan) or total + work + vae_peak > budget
    return plan, bool(vae_tiling)


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
