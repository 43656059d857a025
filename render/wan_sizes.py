"""Wan2.2 pipelines at their released sizes, with random weights made directly on the device.

No machine here can download Wan weights, yet speed and memory only mean something at the real sizes. This module
holds the published architecture of each Wan2.2 release and builds it with random weights::

    from briefreel.render.wan_sizes import build_pipeline, write_config_folder
    pipe = build_pipeline("t2v-a14b", device="cuda")          # 2 x 14B experts + UMT5-XXL + Wan2.1 VAE, bf16
    folder = write_config_folder("t2v-a14b", "/tmp/a14b")      # its config files only (no weights)
    WanRenderer(folder, pipeline=pipe, ...)                    # the renderer's own path, these weights

Each component is constructed on the meta device (no memory), given its dtype there, then materialised with
``to_empty`` on the target device and filled in place with seeded random numbers: a 60 GB model never touches the
disk or the host's memory. Non-persistent buffers (the rotary tables) are computed on the CPU when the module is
built and copied in. The VAE stays float32 (as the renderer runs it); the modules diffusers keeps in float32
(``WanTransformer3DModel._keep_in_fp32_modules``) stay float32 as ``from_pretrained`` would leave them.

``tiny=True`` gives the same pipelines scaled down (a few layers, small widths, same structure: two experts,
48-channel VAE, ``expand_timesteps``), for the CPU and the tests. The pictures are noise either way; compute, memory
and every code path are the real ones.

Sources (published configs): ``huggingface/diffusers:scripts/convert_wan_to_diffusers.py`` (transformer configs of
``Wan2.2-T2V-A14B``, ``Wan2.2-I2V-14B-720p``, ``Wan2.2-TI2V-5B``; ``vae22_diffusers_config``; the pipelines'
``boundary_ratio`` 0.875 / 0.9 and ``expand_timesteps``; UniPC flow_shift 3.0 for A14B, 5.0 for TI2V) and
``google/umt5-xxl``'s ``config.json`` (the text encoder of every Wan release).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

# -- the published configs -------------------------------------------------------------------------------------------

_DIT_COMMON = {
    "added_kv_proj_dim": None, "attention_head_dim": 128, "cross_attn_norm": True, "eps": 1e-06, "freq_dim": 256,
    "patch_size": [1, 2, 2], "qk_norm": "rms_norm_across_heads", "text_dim": 4096,
}
A14B_EXPERT = {**_DIT_COMMON, "ffn_dim": 13824, "in_channels": 16, "out_channels": 16, "num_attention_heads": 40,
               "num_layers": 40}
I2V_A14B_EXPERT = {**A14B_EXPERT, "in_channels": 36}  # 16 noise + 4 mask + 16 image-latent channels
TI2V_5B = {**_DIT_COMMON, "ffn_dim": 14336, "in_channels": 48, "out_channels": 48, "num_attention_heads": 24,
           "num_layers": 30}

# AutoencoderKLWan's defaults are the Wan2.1 VAE (base_dim 96, z_dim 16, 8x spatial, 4x temporal).
VAE_21: dict[str, Any] = {}
VAE_22: dict[str, Any] = {
    "base_dim": 160, "decoder_base_dim": 256, "z_dim": 48, "is_residual": True, "in_channels": 12,
    "out_channels": 12, "patch_size": 2, "scale_factor_temporal": 4, "scale_factor_spatial": 16,
    "latents_mean": [-0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174, 0.1838, 0.1557, -0.1382, 0.0542, 0.2813,
                     0.0891, 0.1570, -0.0098, 0.0375, -0.1825, -0.2246, -0.1207, -0.0698, 0.5109, 0.2665, -0.2108,
                     -0.2158, 0.2502, -0.2055, -0.0322, 0.1109, 0.1567, -0.0729, 0.0899, -0.2799, -0.1230, -0.0313,
                     -0.1649, 0.0117, 0.0723, -0.2839, -0.2083, -0.0520, 0.3748, 0.0152, 0.1957, 0.1433, -0.2944,
                     0.3573, -0.0548, -0.1681, -0.0667],
    "latents_std": [0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013, 0.8158, 1.0344, 0.5894, 1.0901,
                    0.6885, 0.6165, 0.8454, 0.4978, 0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
                    0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093, 0.5709, 0.6065, 0.6415, 0.4944,
                    0.5726, 1.2042, 0.5458, 1.6887, 0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744],
}

# google/umt5-xxl (encoder half): 5.7 B parameters, of which 1.05 B are the 256,384 x 4096 embedding. The released
# config says tie_word_embeddings=false (about the LM head, which the encoder has none of); transformers 5 reads that
# as "the encoder's embed_tokens is a second copy of shared" (6.7 B). Wan's checkpoint has one embedding, so it is
# tied here: the encoder is 5.7 B parameters, 11.4 GB in bf16, as published.
UMT5_XXL = {
    "vocab_size": 256384, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 24, "num_heads": 64,
    "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128, "dropout_rate": 0.1,
    "layer_norm_epsilon": 1e-06, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": True,
    "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
}

MODELS: dict[str, dict[str, Any]] = {
    "t2v-a14b": {"title": "Wan2.2-T2V-A14B", "pipeline": "WanPipeline", "transformer": A14B_EXPERT,
                 "two_experts": True, "boundary_ratio": 0.875, "expand_timesteps": False, "vae": VAE_21,
                 "flow_shift": 3.0},
    "i2v-a14b": {"title": "Wan2.2-I2V-A14B", "pipeline": "WanImageToVideoPipeline", "transformer": I2V_A14B_EXPERT,
                 "two_experts": True, "boundary_ratio": 0.9, "expand_timesteps": False, "vae": VAE_21,
                 "flow_shift": 3.0},
    "ti2v-5b": {"title": "Wan2.2-TI2V-5B", "pipeline": "WanPipeline", "transformer": TI2V_5B,
                "two_experts": False, "boundary_ratio": None, "expand_timesteps": True, "vae": VAE_22,
                "flow_shift": 5.0},
}

# The scaled-down versions keep every structural choice (channels, patching, VAE kind, experts) and shrink widths.
_TINY_DIT = {"num_attention_heads": 2, "attention_head_dim": 12, "ffn_dim": 32, "num_layers": 2, "text_dim": 32,
             "rope_max_seq_len": 32}
_TINY_VAE = {"base_dim": 8, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1}
_TINY_UMT5 = {"d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4,
              "relative_attention_num_buckets": 8, "relative_attention_max_distance": 32}
# briefreel_wan.json for the tiny versions (they have no native resolution of their own).
_TINY_CARD = {
    "t2v-a14b": {"sizes": [[64, 32], [32, 64], [48, 48]], "max_frames": 33, "steps": 4, "guidance": 4.0,
                 "guidance_2": 3.0},
    "i2v-a14b": {"sizes": [[64, 32], [32, 64], [48, 48]], "max_frames": 33, "steps": 4, "guidance": 3.5,
                 "guidance_2": 3.5},
    "ti2v-5b": {"sizes": [[64, 32], [32, 64], [32, 32]], "max_frames": 49, "steps": 2, "guidance": 5.0},
}


def model_config(name: str, tiny: bool = False) -> dict[str, Any]:
    """The component configs of release ``name`` (a deep copy), scaled down when ``tiny``."""
    if name not in MODELS:
        raise ValueError(f"unknown Wan release {name!r}; choose one of {', '.join(MODELS)}")
    cfg = copy.deepcopy(MODELS[name])
    cfg["text_encoder"] = dict(UMT5_XXL)
    cfg["vae"] = dict(cfg["vae"])
    if tiny:
        cfg["transformer"].update(_TINY_DIT)
        cfg["vae"].update(_TINY_VAE)
        if cfg["vae"].get("decoder_base_dim"):
            cfg["vae"]["decoder_base_dim"] = 8
        cfg["vae"]["temperal_downsample"] = [False, True, True]
        cfg["text_encoder"].update(_TINY_UMT5)
        cfg["text_encoder"]["vocab_size"] = 259  # the local byte-level tokenizer's size
    return cfg


# -- materialising a module on a device ------------------------------------------------------------------------------

def _keep_fp32(name: str, keep: list[str] | tuple[str, ...]) -> bool:
    parts = name.split(".")
    return any(k in parts for k in keep)


def _fill_(name: str, param, generator) -> None:
    """Seeded random values of a sensible scale: unit-variance activations through each layer."""
    import math

    leaf = name.rsplit(".", 1)[-1]
    if leaf == "bias" or name.endswith(".bias"):
        param.zero_()
    elif "scale_shift_table" in name:
        param.normal_(0.0, 1.0 / math.sqrt(param.shape[-1]), generator=generator)
    elif param.ndim == 1 or leaf == "gamma":
        param.fill_(1.0)
    elif "embed_tokens" in name or name.startswith("shared") or "relative_attention_bias" in name:
        param.normal_(0.0, 1.0, generator=generator)
    else:
        fan_in = max(1, param[0].numel())
        param.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)


def materialise(factory, device, dtype, *, seed: int = 0, keep_fp32: list[str] | tuple[str, ...] = ()):
    """``factory()`` built on the meta device, then made on ``device`` in ``dtype`` with seeded random weights.

    Parameters whose dotted name has a component in ``keep_fp32`` stay float32. Buffers keep the values (and dtype)
    the constructor computed for them.
    """
    import torch
    from accelerate import init_empty_weights

    with init_empty_weights(include_buffers=False):
        module = factory()
    buffers = {n: b.detach().clone() for n, b in module.named_buffers()}
    for name, p in module.named_parameters():
        want = torch.float32 if _keep_fp32(name, keep_fp32) else dtype
        if p.dtype != want:
            p.data = p.data.to(want)
    module.to_empty(device=device)
    gen = torch.Generator(device=torch.device(device)).manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            _fill_(name, p, gen)
        for name, b in module.named_buffers():
            b.copy_(buffers[name])
    module.eval()
    module.requires_grad_(False)
    return module


# -- the pipeline ----------------------------------------------------------------------------------------------------

def build_tokenizer():
    """A tokenizer that needs no download (the tiny model's byte-level one): prompts still pad to 512 tokens."""
    from briefreel.render.wan_tiny import build_tokenizer as tiny_tokenizer

    return tiny_tokenizer()


def _components(name: str, tiny: bool, meta: bool, device, dtype, seed: int) -> dict[str, Any]:
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    cfg = model_config(name, tiny)
    dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    keep = tuple(WanTransformer3DModel._keep_in_fp32_modules or ())

    def make(factory, dt, s, keep_fp32=()):
        if meta:
            from accelerate import init_empty_weights

            with init_empty_weights():
                return factory()
        return materialise(factory, device, dt, seed=s, keep_fp32=keep_fp32)

    te_cfg = UMT5Config(**cfg["text_encoder"])

    def umt5():
        model = UMT5EncoderModel(te_cfg)
        model.set_input_embeddings(model.shared)  # one embedding (see UMT5_XXL); meta init does not tie it
        return model

    out: dict[str, Any] = {
        "tokenizer": build_tokenizer(),
        "text_encoder": make(umt5, dtype, seed),
        "vae": make(lambda: AutoencoderKLWan(**cfg["vae"]), torch.float32, seed + 1),
        "transformer": make(lambda: WanTransformer3DModel(**cfg["transformer"]), dtype, seed + 2, keep),
        "transformer_2": (make(lambda: WanTransformer3DModel(**cfg["transformer"]), dtype, seed + 3, keep)
                          if cfg["two_experts"] else None),
        "scheduler": UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                             num_train_timesteps=1000, flow_shift=cfg["flow_shift"]),
    }
    return out


def build_pipeline(name: str, device: str = "cuda", dtype: str = "bfloat16", *, tiny: bool = False, seed: int = 0,
                   meta: bool = False):
    """The ``name`` pipeline (``t2v-a14b``, ``i2v-a14b``, ``ti2v-5b``) with random weights on ``device``.

    ``meta=True`` leaves every weight on the meta device (no memory at all): for counting parameters and writing
    configs. The pipeline is the diffusers class the release uses (``WanPipeline``, ``WanImageToVideoPipeline``).
    """
    import diffusers

    cfg = model_config(name, tiny)
    parts = _components(name, tiny, meta, device, dtype, seed)
    cls = getattr(diffusers, cfg["pipeline"])
    kwargs: dict[str, Any] = {"boundary_ratio": cfg["boundary_ratio"], "expand_timesteps": cfg["expand_timesteps"]}
    if cfg["pipeline"] == "WanImageToVideoPipeline":  # Wan2.2 I2V has no CLIP image encoder
        kwargs.update(image_encoder=None, image_processor=None)
    return cls(**parts, **kwargs)


def parameter_counts(name: str, tiny: bool = False) -> dict[str, int]:
    """Parameters per component of ``name``, counted on the meta device (no memory)."""
    import torch

    pipe = build_pipeline(name, tiny=tiny, meta=True)
    return {k: sum(p.numel() for p in v.parameters()) for k, v in pipe.components.items()
            if isinstance(v, torch.nn.Module)}


def write_config_folder(name: str, folder: str | Path, *, tiny: bool = False) -> Path:
    """The configs (no weights) of ``name`` in the diffusers folder layout, for :func:`~render.wan.read_model_spec`.

    With ``tiny`` the folder also carries ``briefreel_wan.json`` (sizes and sampling defaults of the tiny model).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pipe = build_pipeline(name, tiny=tiny, meta=True)
    pipe.save_config(folder)  # model_index.json
    for comp in ("transformer", "transformer_2", "vae"):
        module = getattr(pipe, comp, None)
        if module is not None:
            module.save_config(folder / comp)
    pipe.scheduler.save_config(folder / "scheduler")
    pipe.text_encoder.config.save_pretrained(folder / "text_encoder")
    pipe.tokenizer.save_pretrained(folder / "tokenizer")
    if tiny:
        card = {"family": f"tiny-{name}", "fps": 24 if name == "ti2v-5b" else 16, **_TINY_CARD[name]}
        (folder / "briefreel_wan.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return folder


def write_random_lora(path: str | Path, transformer_config: dict[str, Any] | str, *, rank: int = 64,
                      seed: int = 0, dtype: str = "bfloat16", tiny: bool = False) -> Path:
    """A random LoRA for a Wan transformer, in the original-Wan key naming that LightX2V / Wan2.2-Lightning
    LoRAs ship with (``diffusion_model.blocks.N.self_attn.q.lora_down.weight``, ``lora_up``, ``alpha``) and that
    diffusers converts on load: every attention projection (self and cross) and both FFN layers of every block.

    ``transformer_config`` is a release name (``t2v-a14b`` ...; ``tiny`` for its scaled-down version) or a
    ``WanTransformer3DModel`` config. The up matrices are small but not zero, so the LoRA changes the output.
    """
    import torch
    from safetensors.torch import save_file

    cfg = model_config(transformer_config, tiny)["transformer"] if isinstance(transformer_config, str) \
        else transformer_config
    dim = int(cfg["num_attention_heads"]) * int(cfg["attention_head_dim"])
    ffn = int(cfg["ffn_dim"])
    gen = torch.Generator().manual_seed(seed)
    out_dtype = getattr(torch, dtype)
    tensors: dict[str, Any] = {}

    def add(prefix: str, fan_in: int, fan_out: int) -> None:
        down = torch.randn(rank, fan_in, generator=gen) / fan_in**0.5
        up = torch.randn(fan_out, rank, generator=gen) * (0.5 / rank**0.5)
        tensors[f"{prefix}.lora_down.weight"] = down.to(out_dtype)
        tensors[f"{prefix}.lora_up.weight"] = up.to(out_dtype)
        tensors[f"{prefix}.alpha"] = torch.tensor(float(rank))

    for i in range(int(cfg["num_layers"])):
        block = f"diffusion_model.blocks.{i}"
        for attn in ("self_attn", "cross_attn"):
            for proj in ("q", "k", "v", "o"):
                add(f"{block}.{attn}.{proj}", dim, dim)
        add(f"{block}.ffn.0", dim, ffn)
        add(f"{block}.ffn.2", ffn, dim)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))
    return path
