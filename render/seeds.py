"""Seeds: one rule for every renderer and the pipeline, so a shot draws (or samples) the same picture whichever
path renders it, and ``render.json`` records the seed that was used.

    shot_seed(shot, base_seed)     # the shot's own seed, or derive_seed(base_seed, shot.id)
    derive_seed(base_seed, "S01")  # a stable 31-bit seed from the run's base seed and the shot id
    segment_seed(seed, 2)          # a long Wan shot's third segment: a stable 32-bit seed from the shot's seed
"""

from __future__ import annotations

from typing import Any

from briefreel.render.base import stable_hash
from briefreel.storyboard.schema import Shot

__all__ = ["derive_seed", "shot_seed", "segment_seed"]


def derive_seed(base_seed: int, shot_id: str) -> int:
    """A stable 31-bit seed from the run's base seed and the shot id."""
    return int(stable_hash({"base_seed": int(base_seed or 0), "shot": shot_id}), 16) % (2**31)


def shot_seed(shot: Shot, base_seed: int = 0) -> int:
    """The shot's own seed when it has one, else :func:`derive_seed` of the base seed and the shot id."""
    return int(shot.seed) if shot.seed is not None else derive_seed(base_seed, shot.id)


def segment_seed(*parts: Any) -> int:
    """A 32-bit seed from ``parts`` (a segment's seed from its shot's seed and its index)."""
    return int(stable_hash({"seed": list(parts)}), 16) % (2**32)
