"""The enhancer's rules mode: a shot as a Wan prompt in six parts, offline and deterministic.

Wan's published prompt guidance (Alibaba's formula for Wan 2.x; the rewriting rules of Wan's prompt extension)
orders a prompt as subject and its look, scene, motion, camera language, lighting and style, in the language the
model is prompted in. :func:`enhance_rules` writes those parts from the shot's fields, the bible's words verbatim,
the board's style, tone and aspect. ``storyboard.prompt_enhance`` adds the LLM mode and the validator;
``storyboard.provenance`` re-makes an enhancer prompt with this when its fields change.
"""

from __future__ import annotations

import re

from briefreel.storyboard.prompts import ASPECT_WORDS, DEFAULT_STYLE, LIGHT_WORDS, visual_tone
from briefreel.storyboard.schema import Angle, Movement, Shot, Storyboard
from briefreel.storyboard.vocabulary import label, move_phrase

_PLACE_HINT = re.compile(r"(?<![a-z])(?:light|lit|sun|moon|neon|glow|shadow|candle|lamp|backlit|silhouett)|光|灯|影")


def board_lang(board: Storyboard) -> str:
    return "zh" if board.language == "zh" else "en"


def _sentence(text: str, zh: bool) -> str:
    text = text.strip().rstrip("。.，,;； ")
    if not text:
        return ""
    if not zh:
        text = text[0].upper() + text[1:]
    return text + ("。" if zh else ".")


def _light(heading: str, description: str, zh: bool) -> str:
    if _PLACE_HINT.search(description.lower()):
        return ""  # the description lights the shot itself
    text = f"{heading} {description}".lower()
    for keys, en, zh_words in LIGHT_WORDS:
        for k in keys:
            hit = (re.search(rf"(?<![a-z]){re.escape(k)}(?![a-z])", text) if k.isascii() else k in text)
            if hit:
                return zh_words if zh else en
    return "柔和的自然光" if zh else "soft natural light"


def location(heading: str) -> str:
    """The place in a scene heading: "EXT. HARBOUR - DAWN" → "Harbour"; "内景 咖啡馆 日" → "咖啡馆"."""
    h = re.sub(r"^\s*(?:INT\./EXT|INT/EXT|EXT\./INT|I/E|INT|EXT|EST)[.\s/]+", "", heading.strip(), flags=re.I)
    h = re.sub(r"^\s*(?:内景|外景|内/外景|日/内|日/外|夜/内|夜/外)[\s.、：:]*", "", h)
    h = re.split(r"\s+[-–—]\s+", h)[0]
    h = re.sub(r"\s*[（(]?(?:日|夜|晨|昏|白天|夜晚|黄昏|清晨)[)）]?\s*$", "", h).strip(" .-–—")
    return h.title() if h.isupper() else h


def _motion(shot: Shot, zh: bool) -> str:
    """Natural motion for the subject (Wan's guidance: make the motion explicit, with simple verbs)."""
    fast = shot.movement_speed == "fast"
    if zh:
        return "动作自然连贯" + ("，节奏明快" if fast else "，节奏舒缓")
    return "natural, continuous motion" + (", brisk pacing" if fast else ", unhurried pacing")


def enhance_rules(shot: Shot, board: Storyboard) -> str:
    """The shot as a Wan prompt in six parts, offline: subject and look, scene, motion, camera, lighting, style."""
    lang = board_lang(board)
    zh = lang == "zh"
    bible = {b.id: b for b in board.bible}
    named = [bible[c] for c in shot.characters if c in bible]
    heading = next((s.heading for s in board.scenes if s.number == shot.scene), "")
    parts: list[str] = []
    # 1. subject and its look: the action as written, then each bible entry word for word
    parts.append(_sentence(shot.description, zh))
    for entry in named:
        if entry.kind != "place" and entry.description and entry.description not in parts:
            parts.append(entry.description if entry.description.endswith(("。", ".")) else
                         entry.description + ("。" if zh else "."))
    # 2. scene
    places = [e for e in named if e.kind == "place" and e.description]
    if places:
        parts += [p.description if p.description.endswith(("。", ".")) else p.description + ("。" if zh else ".")
                  for p in places]
    elif heading:
        where = location(heading)
        if where and where.lower() not in shot.description.lower():
            parts.append(_sentence(("场景：" if zh else "Setting: ") + where, zh))
    # 3. motion
    parts.append(_sentence(_motion(shot, zh), zh))
    # 4. camera language: size, angle, the move (and its note)
    size = label(shot.size, lang)
    camera = size if shot.angle == Angle.eye_level else f"{size}{'，' if zh else ', '}{label(shot.angle, lang)}"
    move = move_phrase(shot.movement, shot.movement_speed, lang).strip().rstrip("。.")
    parts.append(_sentence(f"{'镜头：' if zh else 'Camera: '}{camera}{'，' if zh else ', '}{move[0].lower() + move[1:] if not zh and move else move}", zh))
    if shot.movement_note and shot.movement != Movement.static and shot.movement_note.startswith(("also ", "另有")):
        parts.append(_sentence(shot.movement_note, zh))
    # 5. lighting
    light = _light(heading, shot.description, zh)
    if light:
        parts.append(_sentence(("光线：" if zh else "Lighting: ") + light, zh))
    # 6. style (and the board's visual tone, the aspect)
    style = board.style or DEFAULT_STYLE[1 if zh else 0]
    tone = visual_tone(board.tone)
    if tone and tone not in style:
        style = f"{style}{'，' if zh else ', '}{tone}"
    aspect = ASPECT_WORDS.get(board.aspect_ratio, ("", ""))[1 if zh else 0]
    if aspect:
        style = f"{style}{'，' if zh else ', '}{aspect}"
    parts.append(_sentence(("风格：" if zh else "Style: ") + style, zh))
    return ("" if zh else " ").join(p for p in parts if p)
