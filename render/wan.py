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
from briefreel.render.errors import RenderError, RendererUnavailable
from briefreel.render.seeds import segment_seed, shot_seed
from briefreel.storyboard.schema import Shot, Storyboard

# Bump whenever the same inputs would give different pixels (segment rule, seed derivation, encoder settings...).
VERSION = "1"

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


# -- the renderer ---------------------------------------------------------------------------------------------------

# The last loaded pipeline, kept for the next renderer that asks for the same weights, device, dtype and memory
# plan: a render service renders job after job, and reloading 14B weights for each would dominate. One slot only.
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
    vae_tiling: bool
    notes: dict[str, Any] = field(default_factory=dict)


class WanRenderer:
    """Shots through ``diffusers.WanPipeline``, loaded once (on the first shot rendered) and kept warm."""

    name = "wan"
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
        self.steps = steps or self.spec.steps
        self.guidance = self.spec.guidance if guidance is None else float(guidance)
        # One --guidance sets both experts (as WanPipeline does when guidance_scale_2 is None) unless guidance_2 is given.
        if not self.spec.two_experts:
            self.guidance_2 = None
        elif guidance_2 is not None:
            self.guidance_2 = float(guidance_2)
        else:
            self.guidance_2 = self.guidance if guidance is not None else self.spec.guidance_2
        self.memory = memory
        self.seed = seed
        self.device = str(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise RendererUnavailable(f"--device {self.device} asked for, but torch sees no CUDA GPU here")
        self.dtype = _DTYPES[dtype] if dtype else None
        self.width, self.height = width, height
        self.flow_shift = flow_shift
        self.vae_tiling = vae_tiling
        self.max_sequence_length = max_sequence_length
        self.progress = progress
        self._loaded: _Loaded | None = None

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
            "max_sequence_length": self.max_sequence_length,
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
        import torch

        gen = self.generation(shot, board, settings, frames)
        loaded = self._load()
        pipe = loaded.pipe
        pipe.set_progress_bar_config(disable=not self.progress)
        out_of_memory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # torch < 2.5: cuda's
        chunks = []
        t0 = time.perf_counter()
        for num_frames, seed in zip(gen["segments"], gen["segment_seeds"]):
            kwargs = self._call_kwargs(gen, num_frames, torch.Generator("cpu").manual_seed(seed))
            try:
                chunks.append(pipe(**kwargs).frames[0])
            except out_of_memory as exc:
                raise RenderError(
                    f"shot {shot.id}: out of GPU memory with memory plan {loaded.plan!r} "
                    "(try --memory group_offload or a smaller model)") from exc
        t1 = time.perf_counter()
        total = write_video(chunks, Path(out_path), gen["fps"])
        t2 = time.perf_counter()
        return Clip(
            path=Path(out_path), frames=total, fps=gen["fps"], width=gen["width"], height=gen["height"],
            seed=gen["seed"], conformed=False,
            info={
                "model": self.spec.source, "revision": self.spec.revision, "family": self.spec.family,
                "prompt": gen["prompt"], "negative_prompt": gen["negative_prompt"],
                "segments": gen["segments"], "segment_seeds": gen["segment_seeds"], "steps": gen["steps"],
                "guidance": gen["guidance"], "guidance_2": gen["guidance_2"], "flow_shift": gen["flow_shift"],
                "memory_plan": loaded.plan, "vae_tiling": loaded.vae_tiling, "device": loaded.device,
                **loaded.notes, "generate_s": round(t1 - t0, 3), "encode_s": round(t2 - t1, 3),
            },
        )

    # -- pipeline call, kept in one place so bench/wan_overhead.py can make the identical bare call ---------------

    def _call_kwargs(self, gen: dict[str, Any], num_frames: int, generator) -> dict[str, Any]:
        kwargs = {
            "prompt": gen["prompt"], "negative_prompt": gen["negative_prompt"], "height": gen["height"],
            "width": gen["width"], "num_frames": num_frames, "num_inference_steps": gen["steps"],
            "guidance_scale": gen["guidance"], "generator": generator, "output_type": "np",
            "max_sequence_length": gen["max_sequence_length"],
        }
        if gen["guidance_2"] is not None:
            kwargs["guidance_scale_2"] = gen["guidance_2"]
        return kwargs

    # -- loading and the memory plan -----------------------------------------------------------------------------

    @property
    def pipeline(self):
        """The loaded ``WanPipeline`` (loads it on first use)."""
        return self._load().pipe

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        import diffusers
        import torch

        device = self.device
        main = getattr(torch, self.compute_dtype())
        warm_key = (self.spec.source, self.spec.revision, device, str(main), self.memory, self.flow_shift,
                    self.vae_tiling)
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
            pipe = cls.from_pretrained(self.spec.source, revision=self.spec.hub_revision, **{dtype_arg: dtypes})
        except Exception as exc:  # noqa: BLE001 (missing/damaged files surface as many exception types)
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise RendererUnavailable(
                f"cannot load Wan model {self.spec.source}: {type(exc).__name__}: {first}") from exc
        if self.flow_shift is not None:
            pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, flow_shift=self.flow_shift)

        plan, tiling, notes = self._memory_plan(pipe, device)
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
        if tiling:
            pipe.vae.enable_tiling()
        notes["dtype"] = str(main).removeprefix("torch.")
        self._loaded = _WARM[warm_key] = _Loaded(pipe=pipe, device=device, plan=plan, vae_tiling=tiling, notes=notes)
        return self._loaded

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
        free, total = torch.cuda.mem_get_info(torch.device(device))
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

    Working memory is estimated from the frame size: about 4 GiB of activations at 1280x720 (81 frames, 14B
    transformer), plus a VAE decode peak of about 8 GiB that VAE tiling cuts to about 2 GiB, all scaled by pixel
    count. Full GPU when everything fits
    in 90 % of the free memory; model CPU offload (one component on the card at a time) when the largest component
    fits; group offload (layers streamed in on a CUDA stream) otherwise. VAE tiling is on for every plan but full
    GPU, and on full GPU when the untiled decode peak would not fit. ``memory``/``vae_tiling`` override the choice.
    """
    scale = size[0] * size[1] / (1280 * 720)
    work, vae_peak, vae_tiled = GIB * (1 + 3 * scale), 8 * GIB * scale, 2 * GIB * min(1.0, scale)
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
        vae_tiling = plan != "gpu" or total + work + vae_peak > budget
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
