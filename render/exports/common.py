"""What every export shares: shot timing at 24 fps, timecodes, labels in the board's language, atomic writes."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from briefreel.child import current_umask
from briefreel.render.base import ANIMATIC_FPS, frame_spans
from briefreel.render.errors import RenderError
from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.storyboard.vocabulary import ANGLE_LABELS, MOVE_LABELS, SIZE_LABELS
from briefreel.storyboard.vocabulary import label as term_label


class ExportError(RenderError):
    """A storyboard export could not be written (nothing was half-written; earlier files are untouched)."""

    exit_code = 30
    code = "export_failed"


@dataclass(frozen=True)
class Timed:
    """A shot placed on the animatic's timeline: frames [start, end) at ``fps``."""

    index: int
    shot: Shot
    start: int
    end: int
    fps: int

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def start_s(self) -> float:
        return self.start / self.fps

    @property
    def end_s(self) -> float:
        return self.end / self.fps


def timed_shots(board: Storyboard, fps: int = ANIMATIC_FPS) -> list[Timed]:
    """Every shot with its frame-exact span: the same spans the animatic is cut with."""
    spans = frame_spans([s.duration_s for s in board.shots], fps)
    return [Timed(i, s, a, b, fps) for i, (s, (a, b)) in enumerate(zip(board.shots, spans))]


def timecode(frame: int, fps: int = ANIMATIC_FPS) -> str:
    """Non-drop SMPTE timecode HH:MM:SS:FF."""
    ff = frame % fps
    s = frame // fps
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def clock(seconds: float) -> str:
    """A short human duration: 8.5 s, 1:05."""
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


# -- labels -------------------------------------------------------------------------------------------------------

LABELS = {
    "en": {
        "storyboard": "Storyboard", "shot": "Shot", "scene": "Scene", "size": "Size", "angle": "Angle",
        "movement": "Move", "duration": "Duration", "description": "Picture", "dialogue": "Dialogue / VO",
        "vo": "VO", "dialogue_kind": "Dialogue", "super": "Super", "sfx": "SFX", "on_screen_text": "On screen",
        "shots": "shots", "total": "total", "page": "page", "start": "Start", "animatic": "Animatic",
        "no_animatic": "The animatic has not been rendered yet (animatic.mp4 beside this page).",
        "play_hint": "Click a shot to jump to it; \u2191/\u2193 step through shots, space plays.",
        "untitled": "Untitled brief",
    },
    "zh": {
        "storyboard": "分镜脚本", "shot": "镜号", "scene": "场景", "size": "景别", "angle": "角度",
        "movement": "运镜", "duration": "时长", "description": "画面内容", "dialogue": "台词/旁白",
        "vo": "旁白", "dialogue_kind": "台词", "super": "字幕", "sfx": "音效", "on_screen_text": "画面文字",
        "shots": "个镜头", "total": "总时长", "page": "页", "start": "入点", "animatic": "动态分镜",
        "no_animatic": "动态分镜尚未渲染（animatic.mp4 应与本页放在同一文件夹）。",
        "play_hint": "点击镜头跳转；\u2191/\u2193 切换镜头，空格播放。",
        "untitled": "未命名简报",
    },
}

# Size, angle and movement names come from the storyboard's own vocabulary, so the sheet, the page, the panels and
# the prompts all say the same thing.
TERM_TABLES = (SIZE_LABELS, ANGLE_LABELS, MOVE_LABELS)


def lang(board: Storyboard) -> str:
    return board.language if board.language in LABELS else "en"


def label(board: Storyboard, key: str) -> str:
    return LABELS[lang(board)][key]


def size_name(board: Storyboard, shot: Shot) -> str:
    return term_label(shot.size, lang(board))


def angle_name(board: Storyboard, shot: Shot) -> str:
    return term_label(shot.angle, lang(board))


def move_name(board: Storyboard, shot: Shot) -> str:
    name = term_label(shot.movement, lang(board))
    if shot.movement_speed and shot.movement.value != "static":
        speed = {"zh": {"slow": "慢", "medium": "", "fast": "快"}}.get(lang(board), {}).get(
            shot.movement_speed, shot.movement_speed if shot.movement_speed != "medium" else "")
        if speed:
            name = f"{speed}{name}" if lang(board) == "zh" else f"{speed} {name}"
    return name


_VO_NAMES = {"vo", "v.o.", "v.o", "voice over", "voice-over", "voiceover", "旁白", "画外音"}
_SFX_NAMES = {"sfx", "fx", "sound", "音效", "声音"}


def line_kind(board: Storyboard, shot: Shot) -> str:
    """How the shot's spoken/printed line is labelled: VO, Dialogue (with speaker), Super or SFX."""
    kind = shot.dialogue_kind or "dialogue"
    speaker = shot.speaker.strip().strip("()（）[]【】<>《》:：").strip()
    if speaker.lower() in _SFX_NAMES:
        return label(board, "sfx")
    key = {"vo": "vo", "super": "super"}.get(kind, "dialogue_kind")
    text = label(board, key)
    if speaker and kind != "super" and speaker.lower() not in _VO_NAMES | {text.lower()}:
        text = f"{text} ({speaker})" if lang(board) == "en" else f"{text}（{speaker}）"
    return text


def title(board: Storyboard) -> str:
    return board.title.strip() or label(board, "untitled")


# -- files --------------------------------------------------------------------------------------------------------

@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block finishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~current_umask())  # as a plain open() would make it (mkstemp makes 0600)
        tmp_path.replace(path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def all_text(board: Storyboard) -> str:
    """Every character the sheet and the page may show for ``board`` (the embedded font is cut to these)."""
    parts = [title(board), board.style, board.tone]
    for lang in LABELS.values():
        parts.extend(lang.values())
    for table in TERM_TABLES:
        for names in table.values():
            parts.extend(names)
    for s in board.shots:
        parts += [s.id, s.description, s.dialogue, s.speaker, s.on_screen_text, s.sfx, line_kind(board, s)]
    parts.append("慢快第页秒")
    return "".join(parts)
