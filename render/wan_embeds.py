"""Prompts and their UMT5 embeddings: each distinct text encoded once per job, not once per shot or segment.

UMT5-XXL (5.7 B parameters) encodes a prompt in about 0.06 s on an H200 and 1-2 s on 16 CPU threads (``t5_cpu``);
a 30 s animatic has 8 shots, a long shot several segments, and with CFG each call needs the negative prompt too.
:class:`PromptEmbeddings` (one per renderer, and a renderer serves one job) keeps each text's embeddings on the
execution device, so the pipeline is called with ``prompt_embeds`` and never runs the text encoder itself.
"""

from __future__ import annotations

import time
from typing import Any

from briefreel.storyboard.schema import Shot, Storyboard

EMBED_CACHE_SIZE = 64  # prompt embeddings kept per renderer (512 x 4096 bf16 = 4 MB each for UMT5-XXL)

# Wan's own default negative prompt (Wan2.1/2.2 ``sample_neg_prompt``): colour cast, overexposure, static frame,
# blurred details, subtitles, worst quality, JPEG artefacts, extra fingers, deformed limbs, cluttered background,
# three legs, crowded background, walking backwards... Used when neither the shot nor the board sets one.
WAN_NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，"
    "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，"
    "静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)


def shot_prompts(shot: Shot, board: Storyboard) -> tuple[str, str]:
    """(prompt, negative prompt) for a shot: the storyboard's own words first, Wan's defaults last."""
    prompt = shot.prompt.strip()
    if not prompt:
        prompt = ". ".join(p for p in (shot.description.strip(), board.style.strip()) if p)
    negative = shot.negative_prompt.strip() or board.negative_prompt.strip() or WAN_NEGATIVE_PROMPT
    return prompt, negative


class PromptEmbeddings:
    """Each distinct ``(text, max_sequence_length)`` encoded once, the most recent :data:`EMBED_CACHE_SIZE` kept.

    ``calls`` and ``seconds`` count the text-encoder forwards and their time (render.json's ``text_encoder_calls``
    and ``text_encoder_s`` are their differences over a shot)."""

    def __init__(self, size: int = EMBED_CACHE_SIZE):
        self.size = size
        self.entries: dict[tuple[str, int], Any] = {}
        self.calls = 0
        self.seconds = 0.0

    def get(self, pipe, text: str, max_sequence_length: int, device: str, cpu_encoder=None):
        """The embeddings of ``text`` from ``pipe.encode_prompt`` (or the cache). ``cpu_encoder``: ``t5_cpu``'s text
        encoder, kept off the pipeline so no offload hook moves it, put back for the encode only."""
        import torch

        key = (text, int(max_sequence_length))
        if key in self.entries:
            self.entries[key] = self.entries.pop(key)  # most recently used last
            return self.entries[key]
        cuda = device.startswith("cuda") and torch.cuda.is_available()
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        if cpu_encoder is not None:
            pipe.text_encoder = cpu_encoder
        try:
            with torch.no_grad():
                embeds, _ = pipe.encode_prompt(prompt=text, do_classifier_free_guidance=False,
                                               num_videos_per_prompt=1, max_sequence_length=int(max_sequence_length),
                                               device=torch.device(device))
        finally:
            if cpu_encoder is not None:
                pipe.text_encoder = None
        if cuda:
            torch.cuda.synchronize()
        self.put(key, embeds, time.perf_counter() - t0)
        return embeds

    def put(self, key: tuple[str, int], embeds, seconds: float) -> None:
        """Keep embeddings made elsewhere (an image-to-video pipeline encodes its own way) and count the call."""
        self.seconds += seconds
        self.calls += 1
        self.entries[key] = embeds
        while len(self.entries) > self.size:
            self.entries.pop(next(iter(self.entries)))
