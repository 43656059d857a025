"""Text-to-video prompts in the shape Wan responds to, the board's negative prompt, and the bible.

A prompt reads: shot size and angle; subject and action (the shot's description); each bible entry in the shot,
word for word; setting and light; the camera move in words; style. English for English briefs, Chinese for
Chinese ones. The bible describes each recurring character, product and place once; its description is repeated
verbatim in every prompt where it appears, so a person looks the same from shot to shot.

    board.bible, per_shot = build_bible(drafts, meta)
    shot.prompt = build_prompt(shot, board)
"""

from __future__ import annotations

import re

from briefreel.storyboard.draft import Draft
from briefreel.storyboard.schema import Angle, BibleEntry, Movement, Shot, Storyboard
from briefreel.storyboard.vocabulary import label, move_phrase

# Wan's usual negative prompt (the list its authors ship), and the same list in English.
NEGATIVE_ZH = ("色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，"
               "残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，"
               "三条腿，背景人很多，倒着走")
NEGATIVE_EN = ("garish colors, overexposed, static, blurry details, subtitles, style, artwork, painting, frame, still, "
               "overall gray, worst quality, low quality, JPEG compression artifacts, ugly, incomplete, extra fingers, "
               "poorly drawn hands, poorly drawn face, deformed, disfigured, malformed limbs, fused fingers, "
               "motionless frame, cluttered background, three legs, crowded background, walking backwards")

DEFAULT_STYLE = ("cinematic commercial film look, shallow depth of field, rich detail",
                 "电影质感的广告画面，浅景深，细节丰富")
ASPECT_WORDS = {"9:16": ("vertical 9:16 composition", "竖屏9:16构图"), "1:1": ("square composition", "方形构图"),
                "16:9": ("", "")}
LIGHT_WORDS = [  # (words in a scene heading or description, English light, Chinese light)
    (("dawn", "sunrise", "清晨", "黎明", "日出", "早晨"), "soft golden dawn light", "柔和的清晨金色光线"),
    (("dusk", "sunset", "golden hour", "黄昏", "傍晚", "日落"), "warm golden-hour light", "温暖的黄昏光线"),
    (("night", "夜"), "night, pools of practical light", "夜晚，点点灯光照明"),
    (("morning",), "fresh morning daylight", "清新的晨光"),
    (("day", "日", "白天"), "natural daylight", "自然日光"),
]
_LIGHT_HINTS = re.compile(r"(?<![a-z])(?:light|lights|lit|sunlight|sunlit|moonlight|neon|glow|glows|glowing|shadow|"
                          r"shadows|candle|candlelight|backlit|silhouette|silhouetted)(?![a-z])|光|灯|阳光|影子")
_QUOTED_TEXT = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」')
_STOP_NAMES = {
    "The", "Then", "We", "Cut", "She", "He", "They", "It", "Close", "Wide", "Logo", "End", "Open", "Next", "Finally",
    "Later", "Meanwhile", "Back", "Now", "Our", "His", "Her", "Their", "This", "That", "A", "An", "In", "On", "At",
    "As", "With", "From", "Over", "Under", "Into", "After", "Before", "When", "While", "Camera", "Shot", "Super",
    "Slow", "Fast", "Medium", "Extreme", "Aerial", "Drone", "Insert", "Pan", "Tilt", "Push", "Pull", "Track",
    "Tracking", "Handheld", "Static", "Low", "High", "Overhead", "Fade", "Dissolve", "Int", "Ext", "Day", "Night",
    "Dawn", "Dusk", "Morning", "Evening", "Everyone", "Nobody", "Someone", "Suddenly", "Music", "Sound", "Title",
    "Product", "Brand", "Our", "Your", "You", "I", "Mr", "Mrs", "Ms", "Dr", "Just", "Only", "Still", "Every", "Each",
    "All", "No", "Yes", "But", "And", "Or", "So", "For", "By", "Of", "To", "Up", "Down", "Here", "There", "What",
    "Who", "Why", "How", "Where", "One", "Two", "Three", "First", "Last", "New", "Big", "Small", "Full", "Long",
    "Cu", "Ecu", "Mcu", "Ms", "Ls", "Ews", "Pov", "Ots", "Vo", "Narrator", "Continued", "Cont'd", "Fountain",
}


def negative_prompt(lang: str) -> str:
    return NEGATIVE_ZH if lang == "zh" else NEGATIVE_EN


# -- the bible ------------------------------------------------------------------------------------------------------

def _location(heading: str) -> str:
    """ "EXT. HARBOUR - DAWN" → "HARBOUR"; "内景 咖啡馆 日" → "咖啡馆"."""
    h = re.sub(r"^\s*(?:INT\./EXT|INT/EXT|EXT\./INT|I/E|INT|EXT|EST)[.\s/]+", "", heading.strip(), flags=re.I)
    h = re.sub(r"^\s*(?:内景|外景|内/外景|日/内|日/外|夜/内|夜/外)[\s.、：:]*", "", h)
    h = re.split(r"\s+[-–—]\s+|\s*[-–—]{1,2}\s*(?=[A-Z]+\s*$)", h)[0]
    h = re.sub(r"\s*[（(]?(?:日|夜|晨|昏|白天|夜晚|黄昏|清晨)[)）]?\s*$", "", h)
    return h.strip(" .-–—")


def _intro(name: str, texts: list[str]) -> str:
    """How the brief introduces ``name``: "MIA (28, yellow rain jacket)", "Mia, a courier in a yellow jacket,"."""
    pats = [re.compile(re.escape(name) + r"\s*[（(]([^)）]{2,80})[)）]", re.I),
            re.compile(re.escape(name) + r",\s+((?:a|an|the|our)\s[^,.;]{3,80})", re.I),
            re.compile(re.escape(name) + r"[，,]\s*([^，。；,;]{2,30}(?:的|岁)[^，。；]{0,30})")]
    for text in texts:
        if name.lower() not in text.lower():
            continue
        for pat in pats:
            m = pat.search(text)
            if m:
                return m.group(1).strip()
    return ""


def _display_name(name: str) -> str:
    """ "MIA" → "Mia", "LÉA" → "Léa"; names with Chinese characters or mixed case stay as written."""
    cjk = any("\u3400" <= ch <= "\u9fff" for ch in name)
    return name.title() if name.isupper() and not cjk else name


def _product_tokens(name: str) -> list[str]:
    """Words that show a product is in a shot: its brand (first word), model numbers, its Chinese category noun."""
    words = [w for w in re.split(r"[\s·,，/()（）]+", name) if w]
    tokens = [words[0].lower()] if words else []
    tokens += [w.lower() for w in words[1:] if any(ch.isdigit() for ch in w) and len(w) >= 2]
    for w in words:
        if len(w) >= 3 and all("\u3400" <= ch <= "\u9fff" for ch in w[-2:]):
            tokens.append(w[-2:])  # 绯色丝绒口红 → 口红
    return [t for t in dict.fromkeys(tokens) if len(t) >= 2 and not t.startswith("#")]


def _en_names(drafts: list[Draft]) -> list[str]:
    """Capitalised names that recur in the story: not only at sentence starts (or introduced "Maya (30s, …)"),
    and never after an article ("the Dash app" is a brand)."""
    counts: dict[str, int] = {}
    trusted: set[str] = set()
    things: set[str] = set()
    for d in drafts:
        seen = set()
        text = _QUOTED_TEXT.sub(" ", d.description)  # words on a sign or a super are not people
        for m in re.finditer(r"(?<![\w'])([A-Z][a-zà-ÿ]{2,}|[A-Z][A-ZÀ-Ý]{2,})(?![\w'])", text):
            word = _display_name(m.group(1))
            if word in _STOP_NAMES:
                continue
            if m.group(1).isupper() and not re.match(r"\s*\((?:\d|[a-z])", text[m.end():]):
                continue  # capitals name a person only where the script introduces them: "LÉA (20s, …)"
            before = text[:m.start()].rstrip()
            if re.search(r"(?:^|\s)(?:the|a|an|our|your|their)$", before, re.I):
                things.add(word)
            if (before and before[-1] not in ".!?:\"“") or re.match(r"\s*\((?:\d|[a-z])", text[m.end():]):
                trusted.add(word)
            seen.add(word)
        for w in seen:
            counts[w] = counts.get(w, 0) + 1
    return [w for w, c in counts.items() if c >= 2 and w not in things and (w in trusted or c >= 3)]


_ZH_NOT_NAMES = {"小时", "小区", "小心", "小店", "小吃", "小巷", "小镇", "小城", "小桌", "小小", "小孩", "小路", "小河", "小屋",
                 "老家", "老街", "老房", "老式", "老旧", "老老", "老人", "老板", "老师", "阿拉", "阿姨", "小朋", "老屋", "小狗",
                 "小猫", "老爷", "小姐", "小伙"}


def _zh_names(drafts: list[Draft]) -> list[str]:
    """Familiar Chinese names that recur: 小林, 老周, 阿杰."""
    counts: dict[str, int] = {}
    for d in drafts:
        for m in set(re.findall(r"[小老阿][\u4e00-\u9fff]", d.description)):
            if m not in _ZH_NOT_NAMES:
                counts[m] = counts.get(m, 0) + 1
    return [n for n, c in counts.items() if c >= 2]


def _mentions(name: str, draft: Draft, pattern: re.Pattern | None = None) -> bool:
    if any(ln.speaker and ln.speaker.lower() == name.lower() for ln in draft.lines if ln.kind == "dialogue"):
        return True
    if name in draft.characters:
        return True
    text = draft.description
    if name.isascii():
        pattern = pattern or re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])", re.I)
        return pattern.search(text) is not None
    return name in text


def build_bible(drafts: list[Draft], meta, lang: str | None = None) -> tuple[list[BibleEntry], list[list[str]]]:
    """(bible entries, bible ids per draft). Recurring = named in the brief's cast/product sections, or seen in at
    least two shots."""
    lang = lang or meta.language
    zh = lang == "zh"
    entries: list[BibleEntry] = []
    members: list[list[str]] = [[] for _ in drafts]
    texts = [d.description for d in drafts]

    def add(kind: str, prefix: str, name: str, description: str, where: list[int]) -> None:
        if not where and kind != "product":
            return
        entry = BibleEntry(id=f"{prefix}{sum(1 for e in entries if e.kind == kind) + 1}", kind=kind,
                           name=_display_name(name), description=description)
        entries.append(entry)
        for i in where:
            members[i].append(entry.id)

    # Characters: the cast list, speakers, and names that recur.
    names: list[tuple[str, str]] = list(meta.characters)
    known = {n.lower() for n, _ in names}
    speakers: dict[str, int] = {}
    for d in drafts:
        for ln in d.lines:
            if ln.kind == "dialogue" and ln.speaker:
                speakers[ln.speaker] = speakers.get(ln.speaker, 0) + 1
        for c in d.characters:
            speakers.setdefault(c, 1)
    for s in speakers:
        if s.lower() not in known:
            names.append((s, ""))
            known.add(s.lower())
    for s in (_zh_names(drafts) if zh else _en_names(drafts)):
        if s.lower() not in known:
            names.append((s, ""))
            known.add(s.lower())
    for name, given in names:
        pattern = re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])", re.I) if name.isascii() else None
        where = [i for i, d in enumerate(drafts) if _mentions(name, d, pattern)]
        if len(where) < 2 and not given:
            continue
        intro = given or _intro(name, texts)
        shown = _display_name(name)
        if intro and not intro.lower().startswith(shown.lower()):
            description = f"{shown}（{intro}）" if zh else f"{shown} ({intro})"
        else:
            description = intro or shown
        add("character", "C", name, description, where)

    # Products: named in the brief; shown in product and end-card shots and wherever named.
    for name, given in meta.products:
        tokens = _product_tokens(name) or [name.lower()]
        where = [i for i, d in enumerate(drafts)
                 if d.role == "product" or any(t in d.description.lower() for t in tokens)]
        add("product", "P", name, given or name, where)

    # Places: a location that two or more scenes share, described by its first action line.
    by_place: dict[str, list[int]] = {}
    for i, d in enumerate(drafts):
        if d.heading:
            loc = _location(d.heading)
            if loc:
                by_place.setdefault(loc, []).append(i)
    scenes_at = {loc: {drafts[i].scene for i in idx} for loc, idx in by_place.items()}
    for loc, idx in by_place.items():
        if len(scenes_at[loc]) < 2:
            continue
        first = drafts[idx[0]].description
        sentence = re.split(r"(?<=[.!?。！？])\s*", first)[0][:160]
        shown = _display_name(loc)
        add("place", "L", loc, f"{shown}：{sentence}" if zh else f"{shown}: {sentence}", idx)
    for name, given in meta.places:
        where = [i for i, d in enumerate(drafts) if name.lower() in (d.description + d.heading).lower()]
        if where:
            add("place", "L", name, given or name, where)
    return entries, members


# -- prompts --------------------------------------------------------------------------------------------------------

def _light(heading: str, description: str, lang: str) -> str:
    text = description.lower()
    if _LIGHT_HINTS.search(text):
        return ""
    words = re.split(r"[\s\-–—./、]+", heading.lower()) if heading else []
    joined = heading.lower()
    for keys, en, zh in LIGHT_WORDS:
        for k in keys:
            if (k.isascii() and k in words) or (not k.isascii() and k in joined):
                return zh if lang == "zh" else en
    for keys, en, zh in LIGHT_WORDS[:4]:
        if any(k in text for k in keys):
            return zh if lang == "zh" else en
    return "柔和的自然光" if lang == "zh" else "soft natural light"


# Notes about sound in a tone line ("no voice-over hype", 音乐轻快) say nothing a video model can draw.
_AUDIO_NOTE = re.compile(
    r"\b(?:voice[- ]?over|vo|narrat\w*|music|soundtrack|score|sound\w*|audio|sfx|jingle|song|dialogue|"
    r"announcer|voice|hype)\b|旁白|配音|音乐|配乐|音效|声音|解说|歌|台词|人声", re.IGNORECASE)


def visual_tone(tone: str) -> str:
    """The tone line without its notes about sound: "warm, quiet, hopeful; natural light, no voice-over hype" →
    "warm, quiet, hopeful; natural light"."""
    if not tone:
        return ""
    parts = re.split(r"([,;，；、])", tone)
    kept: list[str] = []
    for i in range(0, len(parts), 2):
        piece, sep = parts[i], (parts[i + 1] if i + 1 < len(parts) else "")
        if piece.strip() and not _AUDIO_NOTE.search(piece):
            kept.append(piece + sep)
    return "".join(kept).strip().rstrip(",;，；、").strip()


def build_prompt(shot: Shot, board: Storyboard, heading: str | None = None) -> str:
    """The T2V prompt of one shot, from its fields and the board's bible, style and aspect ratio. ``heading`` (the
    shot's scene heading) is looked up in ``board.scenes`` when not given."""
    zh = board.language == "zh"
    lang = "zh" if zh else "en"
    size = label(shot.size, lang)
    head = size if shot.angle == Angle.eye_level else f"{size}{'，' if zh else ', '}{label(shot.angle, lang)}"
    parts = [head]
    description = shot.description.strip().rstrip("。.")
    parts.append(description)
    bible = {b.id: b for b in board.bible}
    for cid in shot.characters:
        entry = bible.get(cid)
        if entry and entry.description not in parts:
            parts.append(entry.description)
    if heading is None:
        heading = next((s.heading for s in board.scenes if s.number == shot.scene), "")
    place = _location(heading) if heading and not any(
        bible.get(c) and bible[c].kind == "place" for c in shot.characters) else ""
    if place and place.lower() not in description.lower():
        parts.append(("场景：" if zh else "Setting: ") + _display_name(place))
    light = _light(heading, description, lang)
    if light:
        parts.append(light)
    parts.append(move_phrase(shot.movement, shot.movement_speed, lang))
    if shot.movement_note and shot.movement not in (Movement.static,):
        note = shot.movement_note
        if note.startswith(("also ", "另有")):
            parts.append(note.replace("also ", "also ", 1))
    style = board.style or DEFAULT_STYLE[1 if zh else 0]
    tone = visual_tone(board.tone)
    if tone and tone not in style:
        style = f"{style}{'，' if zh else ', '}{tone}"
    parts.append(style)
    aspect = ASPECT_WORDS.get(board.aspect_ratio, ("", ""))[1 if zh else 0]
    if aspect:
        parts.append(aspect)
    verbatim = {bible[c].description for c in shot.characters if c in bible}
    text = ""
    for part in parts:
        if not part or not part.strip():
            continue
        if part not in verbatim:  # the bible's words are repeated exactly; the rest in sentence case
            part = part.strip().rstrip("。.")
            part = part if zh else part[0].upper() + part[1:]
        text += (" " if text and not zh else "") + part
        if not part.endswith(("。", ".", "!", "?", "！", "？")):
            text += "。" if zh else "."
    return text
