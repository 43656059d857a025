"""A tiny, randomly initialised Wan pipeline in the diffusers folder layout.

No machine here can download Wan weights, so tests, the CLI and ``bench/`` build this model instead and load it
through exactly the same ``WanPipeline.from_pretrained(folder)`` path as the released checkpoints::

    briefreel make-tiny-wan /tmp/tiny-wan                  # Wan2.1-style text-to-video (one transformer)
    briefreel make-tiny-wan /tmp/tiny-a14b --variant a14b  # Wan2.2-T2V-A14B-style: transformer + transformer_2
    briefreel make-tiny-wan /tmp/tiny-ti2v --variant ti2v  # Wan2.2-TI2V-5B-style: 48-channel VAE, expand_timesteps

The components have the real classes and the real layout of ``Wan-AI/*-Diffusers`` (``model_index.json``,
``transformer/``, ``transformer_2/``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``), only with a
few layers and small widths. Weights are seeded, so the same variant always gives the same files' contents.

The tokenizer is a byte-level BPE with no merges (256 byte tokens plus T5's ``<pad>``, ``</s>``, ``<unk>``), built
with the ``tokenizers`` library and wrapped in a transformers fast tokenizer: it reads any text (Chinese too) and
needs nothing from the hub.

Because the tiny model has no native resolution of its own, the folder also carries ``briefreel_wan.json``: the
sizes, frame budget and sampling defaults the Wan renderer should use for it (see ``render/wan.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

VARIANTS = ("t2v", "a14b", "ti2v", "i2v")  # i2v: render/wan_i2v.py make_tiny_i2v (WanImageToVideoPipeline)

# What the renderer reads instead of a real model family's defaults (sizes are (width, height)).
_TINY_DEFAULTS = {
    "t2v": {"sizes": [[64, 32], [32, 64], [48, 48]], "max_frames": 33, "steps": 2, "guidance": 5.0},
    "a14b": {"sizes": [[64, 32], [32, 64], [48, 48]], "max_frames": 33, "steps": 4, "guidance": 4.0,
             "guidance_2": 3.0},
    # The TI2V VAE compresses space by 16 and the transformer patches by 2: sizes are multiples of 32.
    "ti2v": {"sizes": [[64, 32], [32, 64], [32, 32]], "max_frames": 49, "steps": 2, "guidance": 5.0},
}

TEXT_DIM = 32  # UMT5 d_model == transformer text_dim


def build_tokenizer():
    """A byte-level BPE tokenizer made locally, wrapped so it saves and loads like any transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>"]
    byte_symbols = sorted(set(pre_tokenizers.ByteLevel.alphabet()))
    vocab = {tok: i for i, tok in enumerate(specials + byte_symbols)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", vocab["</s>"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=512)


def build_pipeline(variant: str = "t2v"):
    """The tiny ``WanPipeline`` for ``variant`` (seeded: the same variant gives the same weights)."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    if variant not in VARIANTS or variant == "i2v":  # i2v is a WanImageToVideoPipeline: build_tiny_i2v
        raise ValueError(f"unknown tiny Wan variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    ti2v = variant == "ti2v"
    tokenizer = build_tokenizer()

    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(UMT5Config(
        vocab_size=len(tokenizer), d_model=TEXT_DIM, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, relative_attention_max_distance=32, pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
    )).eval()

    torch.manual_seed(0)
    if ti2v:  # Wan2.2's high-compression VAE: 48 latent channels, 2x2 pixel patches, 16x spatial, residual blocks
        vae = AutoencoderKLWan(base_dim=8, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                               latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1],
                               num_res_blocks=1, scale_factor_spatial=16, scale_factor_temporal=4,
                               temperal_downsample=[False, True, True])
    else:
        vae = AutoencoderKLWan(base_dim=8, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                               temperal_downsample=[False, True, True])

    def transformer(seed: int):
        torch.manual_seed(seed)
        channels = 48 if ti2v else 16
        return WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=channels,
            out_channels=channels, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        )

    # As released: UniPC multistep on flow-matching sigmas.
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                        flow_shift=5.0 if ti2v else 3.0)
    return WanPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
        transformer=transformer(0),
        transformer_2=transformer(1) if variant == "a14b" else None,
        boundary_ratio=0.875 if variant == "a14b" else None,
        expand_timesteps=ti2v,
    )


def make_tiny_wan(out_dir: str | Path, variant: str = "t2v") -> Path:
    """Write the tiny pipeline to ``out_dir`` (atomically: a half-written folder never appears)."""
    if variant == "i2v":
        from briefreel.render.wan_i2v import make_tiny_i2v

        return make_tiny_i2v(out_dir)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists and is not empty")
    pipe = build_pipeline(variant)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        import transformers

        transformers.utils.logging.disable_progress_bar()  # a "Writing model shards" bar for a 100 kB file
        pipe.save_pretrained(tmp, safe_serialization=True)
        card = {"family": f"tiny-{variant}", "fps": 24 if variant == "ti2v" else 16, **_TINY_DEFAULTS[variant]}
        (tmp / "briefreel_wan.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


# -- CLI ------------------------------------------------------------------------------------------------------------

def cmd_make_tiny_wan(args: argparse.Namespace) -> int:
    from briefreel.cli import UsageError

    try:
        path = make_tiny_wan(args.dir, args.variant)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    print(f"{path}  (tiny Wan pipeline, variant {args.variant}; use: --renderer wan --model {path})")
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser("make-tiny-wan", help="write a tiny random Wan pipeline (diffusers layout) for tests")
    p.add_argument("dir", metavar="DIR", help="output folder (must not exist or be empty)")
    p.add_argument("--variant", choices=VARIANTS, default="t2v",
                   help="t2v: Wan2.1-style; a14b: two experts (Wan2.2-T2V-A14B); ti2v: Wan2.2-TI2V-5B-style; "
                        "i2v: Wan2.2-I2V-A14B-style (WanImageToVideoPipeline)")
    p.set_defaults(func=cmd_make_tiny_wan)
