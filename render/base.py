"""What every renderer is: a shot in, a video clip file out.

A renderer turns one :class:`storyboard.schema.Shot` into one clip file. The animatic step (``render/animatic.py``)
then conforms each clip to its shot's exact frame span and joins them. Renderers know nothing about caching,
conforming or the output folder; that keeps each one readable top to bottom in its own file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from briefreel.storyboard.schema import Shot, Storyboard

ANIMATIC_FPS = 24

# Output size of the animatic per aspect ratio (the panel renderer draws at this size too).
FRAME_SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (960, 960),
}


@dataclass(frozen=True)
class RenderSettings:
    """How the animatic is made: size and frame rate of the final cut."""

    width: int
    height: int
    fps: int = ANIMATIC_FPS

    @classmethod
    def for_board(cls, board: Storyboard, fps: int = ANIMATIC_FPS) -> "RenderSettings":
        w, h = FRAME_SIZES[board.aspect_ratio]
        return cls(width=w, height=h, fps=fps)


@dataclass
class Clip:
    """A rendered shot on disk."""

    path: Path
    frames: int
    fps: float
    width: int
    height: int
    seed: int | None = None
    # True when the clip already has the animatic's size, fps, frame count and captions: no conform needed.
    conformed: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def frame_spans(durations: list[float], fps: int) -> list[tuple[int, int]]:
    """Frame-exact spans for consecutive shots: shot i covers frames [start, end).

    Boundaries are rounded from the running total, so the cut never drifts: the animatic has exactly
    round(sum(durations) * fps) frames and every shot is within half a frame of its duration.
    """
    spans, t = [], 0.0
    for d in durations:
        start = round(t * fps)
        t += d
        spans.append((start, round(t * fps)))
    return spans


def stable_hash(parts: dict[str, Any]) -> str:
    """A short, stable digest of everything that affects a clip's pixels."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


@runtime_checkable
class Renderer(Protocol):
    name: str  # "panel", "wan"
    version: str  # bump whenever the same inputs would give different pixels

    def cache_key(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        """Everything that affects this shot's pixels (prompt, model, size, frames, steps, seed, version...)."""
        ...

    def render_shot(
        self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int, out_path: Path
    ) -> Clip:
        """Render ``shot`` to ``out_path`` (an .mp4). ``frames`` is the shot's span at ``settings.fps``."""
        ...
