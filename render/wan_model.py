"""The Wan model as the renderer sees it, before and around the weights: where a checkpoint is, what it is, what a
shot asks of it, and how its weights are placed on the card.

* :func:`read_model_spec` reads a diffusers folder or hub id into a :class:`ModelSpec`, from the model's own files,
  never from its name:

  - ``model_index.json``: the pipeline class (``WanPipeline``, or ``WanImageToVideoPipeline``: Wan2.2-I2V-A14B,
    see ``render/wan_i2v.py``), ``boundary_ratio``, ``expand_timesteps``,
    whether ``transformer_2`` exists;
  - ``vae/config.json``: ``z_dim`` and the spatial/temporal scale factors (frames are ``4k+1`` for a 4x VAE);
  - ``transformer/config.json``: patch size (sizes are multiples of VAE scale x patch) and width (1.3B vs 14B);
  - ``scheduler/scheduler_config.json``: ``flow_shift`` as released.

  Those facts pick a family in :data:`FAMILIES`, which holds the published defaults the configs do not carry (fps,
  native sizes, frames per clip, steps, guidance). A folder may carry ``briefreel_wan.json`` to override any of them
  (a fine-tune trained at other sizes; the tiny test model from ``briefreel make-tiny-wan`` uses it).
* :func:`pick_size` and :func:`segment_plan`: the native size for a board's aspect ratio, and the ``4k+1``-frame
  segments that cover a shot. With ``need = ceil(span_frames * model_fps / 24)`` native frames:
  ``n = ceil(need / max_frames)`` segments of ``4k+1 >= ceil(need / n)`` frames each (at least 5).
* :func:`load_pipeline`, :func:`measure_memory_plan`, :func:`choose_memory_plan`, :func:`vae_tiling_for`: loading
  the weights, and the memory plan (all on the GPU, model offload, group offload) from their size and free VRAM.

Nothing here imports torch or diffusers at module level.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefreel.render.base import stable_hash
from briefreel.render.errors import RendererUnavailable
from briefreel.render.wan_i2v import I2V_DEFAULTS, I2V_FAMILY, I2V_PIPELINE

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
    I2V_FAMILY: I2V_DEFAULTS,  # WanImageToVideoPipeline (render/wan_i2v.py)
}

MEMORY_PLANS = ("auto", "gpu", "model_offload", "group_offload", "sequential_offload")
OFFLOAD_PLANS = ("model_offload", "group_offload", "sequential_offload")
DTYPES = {"bfloat16": "bfloat16", "bf16": "bfloat16", "float16": "float16", "fp16": "float16",
          "half": "float16", "float32": "float32", "fp32": "float32"}  # accepted spellings -> torch dtype names
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
GIB = 1024**3
AREA_720P = 1280 * 704  # the smaller of Wan's two 720p sizes (TI2V-5B's 1280x704)


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
    if index.get("_class_name") == I2V_PIPELINE:
        return I2V_FAMILY
    if _has_second_expert(index):
        return "wan2.2-t2v-a14b"
    width = transformer.get("num_attention_heads", 40) * transformer.get("attention_head_dim", 128)
    return "wan2.1-t2v-14b" if width >= 5120 else "wan2.1-t2v-1.3b"


def read_model_spec(model: str | os.PathLike | None, revision: str | None = None) -> ModelSpec:
    source, folder, rev, commit = locate_model(model, revision)
    index = _read_json(folder / "model_index.json")
    cls = index.get("_class_name", "")
    if cls not in ("WanPipeline", I2V_PIPELINE):
        raise RendererUnavailable(
            f"{model} holds a {cls or 'unknown'} checkpoint; the wan renderer needs a WanPipeline or "
            f"{I2V_PIPELINE} (Wan2.1-T2V, Wan2.2-T2V-A14B, Wan2.2-TI2V-5B or Wan2.2-I2V-A14B in the diffusers "
            "layout)")
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


# -- what a shot asks of the model ------------------------------------------------------------------------------------

def pick_size(spec: ModelSpec, width: int, height: int) -> tuple[int, int]:
    """The model's native size whose aspect ratio is nearest ``width:height`` (first listed wins ties)."""
    target = math.log(width / height)
    return tuple(min(spec.sizes, key=lambda s: abs(math.log(s[0] / s[1]) - target)))  # type: ignore[return-value]


def round_to(value: int, multiple: int) -> int:
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


# -- the memory plan -----------------------------------------------------------------------------------------------

def vae_tiling_for(width: int, height: int, plan: str, vae_tiling: bool | None = None) -> bool:
    """Whether the VAE decodes in tiles: as asked, else always at 720p and above (the decode is where 80 GB cards
    run out: Wan2.2 issue #42) and under every offload plan."""
    if vae_tiling is not None:
        return bool(vae_tiling)
    return width * height >= AREA_720P or plan in OFFLOAD_PLANS


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


# -- loading and placing the weights ----------------------------------------------------------------------------------

def load_pipeline(spec: ModelSpec, main_dtype):
    """``spec``'s pipeline through ``from_pretrained``: transformer(s) and text encoder in ``main_dtype``, the VAE in
    float32 (the diffusers Wan examples do the same: bf16 decoding bands colours). RendererUnavailable when the
    files are missing or damaged."""
    import diffusers
    import torch

    dtypes = {"default": main_dtype, "vae": torch.float32}
    cls = getattr(diffusers, spec.pipeline_class)
    # diffusers renamed from_pretrained's torch_dtype to dtype; pass whichever this version takes.
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401

        dtype_arg = "dtype"
    except ImportError:
        dtype_arg = "torch_dtype"
    try:
        return cls.from_pretrained(spec.source, revision=spec.hub_revision, **{dtype_arg: dtypes})
    except Exception as exc:  # noqa: BLE001 (missing/damaged files surface as many exception types)
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise RendererUnavailable(f"cannot load Wan model {spec.source}: {type(exc).__name__}: {first}") from exc


def measure_memory_plan(pipe, device: str, size: tuple[int, int], memory: str = "auto",
                        vae_tiling: bool | None = None) -> tuple[str, bool, dict[str, Any]]:
    """``(plan, vae_tiling, notes)`` for a loaded pipeline: its weights and the free VRAM measured, then
    :func:`choose_memory_plan` at ``size`` (the largest the renderer will ask for). On a CPU the plan is ``cpu``."""
    import torch

    sizes = {name: sum(p.numel() * p.element_size() for p in comp.parameters())
             for name, comp in pipe.components.items() if isinstance(comp, torch.nn.Module)}
    notes: dict[str, Any] = {"weights_bytes": sum(sizes.values())}
    if not device.startswith("cuda"):
        if memory != "auto":
            notes["memory_note"] = f"memory plan {memory!r} ignored: no GPU"
        return "cpu", bool(vae_tiling), notes
    # Weights already on the card (a handed-in pipeline built there) count as free for the plan.
    on_card = sum(p.numel() * p.element_size() for comp in pipe.components.values()
                  if isinstance(comp, torch.nn.Module) for p in comp.parameters() if p.device.type == "cuda")
    free, total = torch.cuda.mem_get_info(torch.device(device))
    free = min(total, free + on_card)
    notes.update(free_vram_gib=round(free / GIB, 2), total_vram_gib=round(total / GIB, 2))
    plan, tiling = choose_memory_plan(sizes, free, size, memory, vae_tiling)
    return plan, tiling, notes


def apply_memory_plan(pipe, plan: str, device: str) -> None:
    """Place the pipeline's weights as ``plan`` says (diffusers' own offload hooks)."""
    import torch

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
