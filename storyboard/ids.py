"""Shot ids on disk: the one rule that turns a shot id into its clip's file name (render, exports, keyframes)."""

from __future__ import annotations

import re


def clip_stem(shot_id: str) -> str:
    """The file name (without ``.mp4``) a shot's clip gets in ``clips/`` and the exports: the one sanitising rule.
    Ids whose stems collide (``A/1`` and ``A_1``, or ``S1a`` and ``S1A`` on a case-insensitive disk) are refused."""
    return re.sub(r"[^\w.\-]+", "_", shot_id, flags=re.UNICODE).strip("._") or "shot"
