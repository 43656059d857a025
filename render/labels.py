"""Labels and captions in the board's language: one source for the burned-in caption (panel clips, conformed Wan
clips), the panel's label chip and ``captions.srt``.

    spec_line(shot, board)     # 'MS · Eye level · Push in · 3.0 s'  /  '中景 · 平视 · 推 · 3.0秒'
    caption_text(shot, board)  # 'VO: Hello'  /  '茶艺师：水温刚好。'  /  ''  (a silent shot)
"""

from __future__ import annotations

import re

from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.storyboard.vocabulary import label as term_label

__all__ = ["FIELD_LABELS", "board_lang", "value", "spec_line", "caption_text"]

FIELD_LABELS = {
    "en": {"shot": "Shot", "scene": "SC", "dialogue": "", "vo": "VO", "super": "SUPER", "seconds": "s"},
    "zh": {"shot": "镜号", "scene": "场", "dialogue": "", "vo": "旁白", "super": "字幕", "seconds": "秒"},
}


def board_lang(board: Storyboard) -> str:
    """"zh" for a Chinese board, "en" for any other."""
    return "zh" if board.language == "zh" else "en"


def value(x) -> str:
    """An enum member's value (a plain string passes through)."""
    return getattr(x, "value", x)


def spec_line(shot: Shot, board: Storyboard) -> str:
    """'MS · Eye level · Push in · 3.0 s' (or 中景 · 平视 · 推 · 3.0秒)."""
    lang = board_lang(board)
    sec = FIELD_LABELS[lang]["seconds"]
    dur = f"{shot.duration_s:.1f} {sec}" if lang == "en" else f"{shot.duration_s:.1f}{sec}"
    size_txt = value(shot.size) if lang == "en" else term_label(shot.size, "zh")
    angle, move = term_label(shot.angle, lang), term_label(shot.movement, lang)
    if lang == "en":
        angle, move = angle[:1].upper() + angle[1:], move[:1].upper() + move[1:]
    return " · ".join([size_txt, angle, move, dur])


def caption_text(shot: Shot, board: Storyboard) -> str:
    """The shot's caption, on screen and in ``captions.srt``; empty when the shot is silent.

    The dialogue or VO (or, when the shot says nothing, its on-screen text, as a super), whitespace collapsed,
    prefixed with the speaker, else with its kind: "VO: …", "旁白：…", "SUPER: …". A line that already starts with
    that prefix is not prefixed twice.
    """
    text = " ".join(shot.dialogue.split())
    kind, who = shot.dialogue_kind or "dialogue", shot.speaker.strip()
    if not text:
        text, kind, who = " ".join(shot.on_screen_text.split()), "super", ""
    if not text:
        return ""
    lang = board_lang(board)
    prefix = who or FIELD_LABELS[lang].get(kind, "")
    if not prefix or re.match(re.escape(prefix) + r"\s*[:：]", text):
        return text
    return f"{prefix}{'：' if lang == 'zh' else ': '}{text}"
