"""Drawn storyboards: one shot per drawn panel, its picture as the shot's ``image``.

A scanned page of hand-drawn frames comes out of intake with ``Page.panels`` (``parsers/scan_layout.py``): each
frame's crop (PNG), its caption ("Scene 1", "镜头 3", "SHOT 4A") and the lines written under it, in the order the
page reads. Here each panel becomes a shot:

* **id** from the caption's number (``SHOT 4A`` → ``S04A``), else the panel's place in the board;
* **size, angle, move** from the panel's text (``storyboard.vocabulary.parse_camera``: "CU", "slow push in",
  "特写", "推"); where the text names none, a director's default (the first panel wide, the rest medium, static)
  and the shot is listed in ``board.source["guessed"]`` (``{"S02": ["size", "movement"]}``), with
  ``movement_note`` saying the move was guessed;
* **duration** from "(3s)", "3 sec", "3秒" in the text, else shared from the brief's target length, else 3 s;
* **dialogue** from ``VO:`` / ``旁白：`` / ``NAME:`` / quoted lines; the rest of the text is the description;
* **image**: the panel as a ``data:image/png;base64`` URI until the board is saved (``storyboard/keyframes.py``);
  ``board.source["scans"]`` maps each such shot id to its picture's digest (``keyframes.digest``): the sheet and
  page clean a picture (``render.exports.clean``) only while it is still that scan, never a keyframe or a photo
  that replaced it.
"""

from __future__ import annotations

import re

from briefreel.storyboard.schema import Movement, Shot, ShotSize, Storyboard

DEFAULT_S = 3.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?|秒)\b|(\d+(?:\.\d+)?)\s*秒", re.IGNORECASE)
_SPOKEN = re.compile(r"^\s*(vo|v\.o\.|voice[- ]?over|旁白|画外音|配音|[A-Za-z][A-Za-z .'-]{1,20}|[\u4e00-\u9fff]{1,4})\s*[:：]\s*(.+)$",
                     re.IGNORECASE)
_VO = ("vo", "v.o", "voice-over", "voiceover", "voice over", "旁白", "画外音", "配音")


def _cue(who: str) -> str | None:
    """A speaker cue: VO words, a Chinese name, or a name mostly in capitals (handwriting OCR mixes case: "MAyA")."""
    w = who.strip()
    if w.lower().rstrip(".") in _VO or re.fullmatch(r"[\u4e00-\u9fff]{1,4}", w):
        return w
    letters = [c for c in w if c.isalpha()]
    return w if letters and sum(c.isupper() for c in letters) >= 0.6 * len(letters) else None
_QUOTED = re.compile(r"^\s*[\"“「](.+)[\"”」]\s*$")
_CAMERA_ONLY = re.compile(r"^\s*(camera|cam|move|镜头运动|运镜|景别|机位)\s*[:：]", re.IGNORECASE)


def has_panels(brief) -> bool:
    """A drawn storyboard: at least two frames found on the brief's scanned pages."""
    return sum(len(getattr(p, "panels", []) or []) for p in brief.pages) >= 2


def plan_drawn(brief) -> Storyboard:
    """The storyboard of a drawn board: one shot per panel, in reading order."""
    from briefreel.storyboard.durations import spread
    from briefreel.storyboard.keyframes import data_uri, digest
    from briefreel.storyboard.meta import detect_language, read_meta
    from briefreel.storyboard.prompts import build_prompt, negative_prompt
    from briefreel.storyboard.vocabulary import parse_camera
    from briefreel.parsers.scan_layout import caption_number

    meta = read_meta(brief)
    panels = [(page.number, p) for page in brief.pages for p in (getattr(page, "panels", None) or [])]
    lang = detect_language(" ".join(p.caption + "\n" + p.text for _, p in panels) or brief.text)
    shots: list[Shot] = []
    guessed: dict[str, list[str]] = {}
    stated: dict[int, float] = {}
    seen: set[str] = set()
    for i, (page_number, panel) in enumerate(panels):
        number = caption_number(panel.caption) if panel.caption else None
        sid = _shot_id(number, i, seen)
        text = panel.text.strip()
        description_lines, dialogue, kind, speaker = [], "", "", ""
        for line in text.splitlines():
            m = _SPOKEN.match(line)
            q = _QUOTED.match(line)
            if m and _cue(m.group(1)) and not _CAMERA_ONLY.match(line) and not parse_camera(m.group(1), lang).found:
                who = m.group(1).strip()
                kind = "vo" if who.lower().rstrip(".") in _VO else "dialogue"
                speaker = "" if kind == "vo" else who.upper()
                dialogue = (dialogue + " " + m.group(2).strip()).strip()
            elif q:
                dialogue = (dialogue + " " + q.group(1).strip()).strip()
                kind = kind or "dialogue"
            else:
                description_lines.append(line.strip())
        caption_rest = ""
        if panel.caption:
            from briefreel.parsers.scan_layout import CAPTION

            cm = CAPTION.match(panel.caption)
            caption_rest = (cm.group(2) or "").strip() if cm else ""
        cam = parse_camera(panel.caption + "\n" + text, lang)
        guesses = []
        size = cam.size
        if size is None:
            size = ShotSize.LS if i == 0 else ShotSize.MS
            guesses.append("size")
        movement = cam.movement
        note = cam.note
        if movement is None:
            movement = Movement.static
            guesses.append("movement")
            note = (note + "; " if note else "") + ("运镜未注明：按固定镜头处理" if lang == "zh"
                                                    else "move not given on the board: static assumed")
        d = _DURATION.search(text)
        if d:
            stated[i] = float(d.group(1) or d.group(2))
        else:
            guesses.append("duration")
        description = " ".join(x for x in [caption_rest] + [_DURATION.sub("", ln).strip(" ()（）,，")
                                                             for ln in description_lines] if x).strip()
        if not description:
            description = (f"画格{i + 1}" if lang == "zh" else f"Panel {i + 1}")
        if guesses:
            guessed[sid] = guesses
        shots.append(Shot(id=sid, size=size, angle=cam.angle or "eye_level", movement=movement,
                          movement_speed=cam.speed if cam.speed in ("slow", "medium", "fast") else None,
                          movement_note=note, duration_s=stated.get(i, DEFAULT_S), description=description,
                          dialogue=dialogue, dialogue_kind=kind if dialogue else "", speaker=speaker,
                          source_page=page_number, image=data_uri(__import__("base64").b64decode(panel.png))
                          if panel.png else None))
    target = meta.target_duration_s
    if target and len(stated) < len(shots):
        weights = [1.0 + len(s.description) / 80 + len(s.dialogue) / 40 for s in shots]
        for shot, seconds in zip(shots, spread(weights, target, stated)):
            shot.duration_s = seconds
    board = Storyboard(title=meta.title or brief.metadata.get("title", ""), language=lang,
                       target_duration_s=target, aspect_ratio=meta.aspect_ratio
                       if meta.aspect_ratio in ("16:9", "9:16", "1:1") else "16:9",
                       style=meta.style, tone=meta.tone, negative_prompt=negative_prompt(lang), shots=shots,
                       source={"planner": "rules", "format": "drawn", "file": brief.filename,
                               "pages": brief.page_count, "panels": len(shots), "guessed": guessed,
                               # which pictures are scans (the sheet cleans those only): shot id -> the scan's
                               # digest, so a keyframe or photo put in its place later is not taken for one
                               "scans": {s.id: digest(s) for s in shots if s.image}})
    for shot in board.shots:
        shot.prompt = build_prompt(shot, board)
    return board


def _shot_id(number: str | None, index: int, seen: set[str]) -> str:
    if number:
        m = re.match(r"(\d+)([A-Z]?)$", number)
        sid = f"S{int(m.group(1)):02d}{m.group(2)}" if m else f"S{number}"
    else:
        sid = f"S{index + 1:02d}"
    base, k = sid, 2
    while sid in seen:
        sid = f"{base}-{k}"
        k += 1
    seen.add(sid)
    return sid
