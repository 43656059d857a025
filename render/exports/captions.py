"""``captions.srt``: each shot's dialogue, VO or super, timed to the shot's span in the animatic (UTF-8). The text is
the caption burned into the animatic (``render.labels.caption_text``), so the file and the picture agree.

A line too long for two caption lines (about 42 Latin or 21 Chinese characters each) is split into several cues
inside its shot, each on screen for a share of the shot proportional to its length.
"""

from __future__ import annotations

from pathlib import Path

from briefreel.render.base import ANIMATIC_FPS
from briefreel.render.exports.common import atomic_path, timed_shots
from briefreel.render.labels import caption_text
from briefreel.storyboard.schema import Storyboard

_FONT_PX = 20
_LINE_PX = 21 * _FONT_PX  # 21 CJK characters, about 42 Latin ones


def srt_time(frame: int, fps: int) -> str:
    ms = int(round(frame * 1000 / fps))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def cues(board: Storyboard) -> list[tuple[int, int, str]]:
    """(start frame, end frame, text with at most two lines) for every caption, in order."""
    from briefreel.render.fonts import font, wrap

    fnt = font(_FONT_PX)
    out = []
    for t in timed_shots(board):
        text = caption_text(t.shot, board)
        if not text:
            continue
        lines = wrap(text, fnt, _LINE_PX)
        chunks = ["\n".join(lines[i:i + 2]) for i in range(0, len(lines), 2)]
        weights = [max(1, len(c)) for c in chunks]
        total, acc, start = sum(weights), 0, t.start
        for chunk, w in zip(chunks, weights):
            acc += w
            end = t.start + round(t.frames * acc / total)
            if end > start:
                out.append((start, end, chunk))
            start = end
    return out


def srt(board: Storyboard, fps: int = ANIMATIC_FPS) -> str:
    blocks = [
        f"{n}\n{srt_time(a, fps)} --> {srt_time(b, fps)}\n{text}\n"
        for n, (a, b, text) in enumerate(cues(board), start=1)
    ]
    return "\n".join(blocks)


def write_captions(board: Storyboard, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(srt(board), encoding="utf-8")
    return Path(path)
