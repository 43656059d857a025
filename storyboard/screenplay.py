"""Screenplays (Fountain-style) → drafts, in one pass over the lines.

Each scene heading (INT./EXT., 内景/外景, 第N场) starts a scene; each action paragraph becomes a shot; a character
cue with its dialogue attaches to the shot it follows, and a second speech in a row becomes a shot of its speaker
(coverage: the director cuts to who is talking). Lines are classified by their indentation when the extractor gives
positions (``Page.lines``: action at the left margin, dialogue ~1 inch in, cues ~2.2 inches in), otherwise by the
text itself (upper-case cues, "(parentheticals)", "CUT TO:"). Everything is linear in the length of the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefreel.storyboard.draft import VO_SPEAKERS, Draft, SpokenLine, is_heading, join_wrapped, split_tags
from briefreel.storyboard.vocabulary import CELL, parse_camera, parse_direction

_HEADING_NUMBER = re.compile(r"^\s*#?(\d+)[A-Z]?\s*[.)]?\s+|#(\d+)[A-Z]?#\s*$|^\s*第\s*(\d+)\s*场|^\s*场景\s*(\d+)|^\s*场\s*(\d+)(?=[\s　])")
_TRANSITION_WORDS = ("FADE IN", "FADE OUT", "FADE TO BLACK", "CUT TO BLACK", "SMASH CUT", "MATCH CUT", "DISSOLVE",
                     "切至", "切到", "叠化", "淡入", "淡出", "转场", "黑场")
_CUE_EXTENSION = re.compile(r"\s*[(（][^)）]*[)）]\s*$|\s*\^\s*$")
_NOISE = re.compile(r"^\s*(?:\(?CONTINUED\)?:?|\(MORE\)|CONT'D|\d+\.?)\s*$|^\s*-\s*\d+\s*-\s*$", re.I)
_ZH_INLINE = re.compile(r"^\s*(?P<name>[\u4e00-\u9fffA-Za-z·]{1,8})\s*(?P<ext>[（(][^)）]{1,8}[)）])?\s*[:：]\s*(?P<text>.+)$")
_EN_INLINE = re.compile(r"^\s*(?P<name>[A-Z][A-Z .'\-]{1,24}?)\s*(?P<ext>\([^)]{1,12}\))?\s*:\s*(?P<text>.+)$")


_ACTION_MARK = re.compile(r"^\s*[△▲▽▼]\s*")
_OPENING_PAREN = re.compile(r"^\s*[(（][^)）]{1,30}[)）]\s*")
_STATED = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*(?:seconds?|secs?|秒钟?)\s*[)）]", re.I)


@dataclass
class _Item:
    kind: str  # heading | action | cue | paren | dialogue | transition | blank
    text: str
    page: int


def _place(heading: str) -> str:
    """ "EXT. PARIS ROOFTOPS - CONTINUOUS" → "PARIS ROOFTOPS"."""
    h = re.sub(r"^\s*(?:\d+\s*)?(?:INT\./EXT|INT/EXT|EXT\./INT|I/E|INT|EXT|EST|内景|外景|内/外景)[.\s/]*", "", heading, flags=re.I)
    return re.split(r"\s+[-–—]\s+|\s*[-–—]\s*(?=\S+\s*$)", h)[0].strip().upper()


def _is_transition(s: str) -> bool:
    if s.startswith(">") and not s.endswith("<"):
        return True
    if s.isupper() and (s.endswith("TO:") or s.endswith("TO.")):
        return True
    up = s.rstrip(":.")
    return any(up == w or (up.startswith(w) and len(up) <= len(w) + 10 and s.isupper()) for w in _TRANSITION_WORDS)


def _is_cue(s: str) -> bool:
    if s.startswith("@"):
        return True
    name = _CUE_EXTENSION.sub("", s).strip()
    if not name or len(name) > 32 or not any(ch.isalpha() for ch in name):
        return False
    if not name.isupper() or name.endswith((".", "!", "?", ":")) and not name.endswith("V.O."):
        return False
    return len(name.split()) <= 4


_NOT_NAMES = {"super", "end card", "title", "title card", "insert", "back to scene", "angle on", "later", "note",
              "sfx", "sound", "music", "card", "logo", "字幕", "标版", "落版", "音效", "音乐", "画面", "镜头", "场景", "时间",
              "地点", "人物", "注"}


def _could_be_name(name: str) -> bool:
    """ "MIA:" or "小美：" can start a line of dialogue; "WIDE:", "特写：" or "SUPER:" cannot."""
    n = name.strip().lower()
    return n not in _NOT_NAMES and not parse_camera(name, mode=CELL).found


def _text_items(page) -> list[_Item]:
    """Classify a page's lines from their text alone."""
    items: list[_Item] = []
    in_dialogue = False
    lines = page.text.split("\n")
    n = len(lines)
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            items.append(_Item("blank", "", page.number))
            in_dialogue = False
            continue
        if _NOISE.match(s):
            continue
        if is_heading(s):
            items.append(_Item("heading", s.lstrip("."), page.number))
            in_dialogue = False
        elif _is_transition(s):
            items.append(_Item("transition", s.lstrip(">").strip(), page.number))
            in_dialogue = False
        elif in_dialogue:
            items.append(_Item("paren" if s.startswith(("(", "（")) else "dialogue", s, page.number))
        elif _is_cue(s) and (i + 1 == n or lines[i + 1].strip()):
            items.append(_Item("cue", s.lstrip("@"), page.number))
            in_dialogue = True
        else:
            inline = _ZH_INLINE.match(s) if not s.isascii() else _EN_INLINE.match(s)
            if inline and (not s.isascii() or inline.group("name").isupper()) and _could_be_name(inline.group("name")):
                name = inline.group("name") + (inline.group("ext") or "")
                items.append(_Item("cue", name, page.number))
                items.append(_Item("dialogue", inline.group("text"), page.number))
                items.append(_Item("blank", "", page.number))
            else:
                items.append(_Item("action", s, page.number))
                if _ends_cjk_paragraph(s):
                    items.append(_Item("blank", "", page.number))
    return items


def _layout_items(page, margin: float, spacing: float) -> list[_Item]:
    """Classify a page's lines by indentation (PDF points from the action margin) and vertical gaps."""
    items: list[_Item] = []
    prev_top = None
    in_dialogue = False
    for ln in page.lines:
        s = ln.text.strip()
        if not s or _NOISE.match(s):
            continue
        if prev_top is not None and ln.top - prev_top > spacing * 1.6:
            items.append(_Item("blank", "", page.number))
            in_dialogue = False
        prev_top = ln.top
        offset = ln.x0 - margin
        if is_heading(s) and offset < 36:
            items.append(_Item("heading", s.lstrip("."), page.number))
            in_dialogue = False
        elif _is_transition(s) and (offset > 200 or s.isupper()):
            items.append(_Item("transition", s.lstrip(">").strip(), page.number))
            in_dialogue = False
        elif offset >= 130 and len(s) <= 40:
            items.append(_Item("cue", s, page.number))
            in_dialogue = True
        elif offset >= 30 and (in_dialogue or s.startswith(("(", "（"))):
            items.append(_Item("paren" if s.startswith(("(", "（")) else "dialogue", s, page.number))
            in_dialogue = True
        else:
            items.append(_Item("action", s, page.number))
            in_dialogue = False
            if _ends_cjk_paragraph(s):
                items.append(_Item("blank", "", page.number))
    items.append(_Item("blank", "", page.number))
    return items


def _ends_cjk_paragraph(s: str) -> bool:
    """Chinese scripts put no blank line between action paragraphs: a line that ends a sentence ends one."""
    return s.endswith(("。", "！", "？", "”", "」", "）")) and any("\u4e00" <= ch <= "\u9fff" for ch in s[-12:])


def _layout_geometry(pages) -> tuple[float, float] | None:
    """(action margin, line spacing) when the pages carry line positions, else None."""
    xs: dict[int, int] = {}
    gaps: list[float] = []
    for page in pages:
        prev = None
        for ln in page.lines:
            if ln.text.strip():
                xs[round(ln.x0)] = xs.get(round(ln.x0), 0) + 1
                if prev is not None and 0 < ln.top - prev < 40:
                    gaps.append(ln.top - prev)
                prev = ln.top
    if not xs or sum(xs.values()) < 4:
        return None
    margin = float(min(x for x, c in xs.items() if c >= max(2, sum(xs.values()) // 50)))
    gaps.sort()
    spacing = gaps[len(gaps) // 5] if gaps else 12.0  # single spacing: blank lines make many gaps twice as tall
    spread = max(xs) - margin
    if spread < 100:  # everything flush left: indentation says nothing
        return None
    return margin, spacing


def classify(brief) -> list[_Item]:
    geometry = _layout_geometry(brief.pages)
    items: list[_Item] = []
    for page in brief.pages:
        if geometry and page.lines:
            items.extend(_layout_items(page, *geometry))
        else:
            items.extend(_text_items(page))
            items.append(_Item("blank", "", page.number))
    return items


def count_headings(text: str) -> int:
    """Scene headings that only a script has (INT./EXT., 内景/外景, 第N场); "场景一" also heads prose briefs."""
    return sum(1 for line in text.split("\n") if line.strip() and is_heading(line)
               and not line.strip().startswith("场景"))


def _speaker(cue: str) -> tuple[str, str]:
    """("MIA", "vo"|"dialogue") from "MIA (V.O.)", "MIA (CONT'D)", "小美（画外音）"."""
    ext = ""
    m = _CUE_EXTENSION.search(cue)
    if m:
        ext = m.group().upper()
    name = _CUE_EXTENSION.sub("", cue).strip().lstrip("@")
    kind = "vo" if ("V.O" in ext or "画外" in ext or "旁白" in ext or "VO" in ext or name.lower() in VO_SPEAKERS) else "dialogue"
    return name, kind


def read_screenplay(brief) -> list[Draft]:
    """Drafts, one per action paragraph or speech, with scene numbers and headings."""
    drafts: list[Draft] = []
    scene = 0
    heading = ""
    transition = "cut"
    action: list[str] = []
    action_page = None
    speech: list[str] = []
    speech_meta: tuple[str, str, str, int] | None = None  # (name, kind, parenthetical, page)
    last_kind = ""  # what the most recent draft came from: "action" or "speech"
    seen_places: set[str] = set()  # a scene back at a place already shown needs no establishing shot

    def flush_action():
        nonlocal action, last_kind, transition
        if not action:
            return
        paragraph = _ACTION_MARK.sub("", join_wrapped("\n".join(action)))  # "△ 客厅全景……": 剧本's action mark
        stated = _STATED.search(paragraph)  # "(3 seconds)"; not "(30s)", which is an age in a script
        if stated:
            paragraph = (paragraph[:stated.start()] + paragraph[stated.end():]).strip()
        text, tagged, sfx = split_tags(paragraph)
        if not text:  # "SUPER: …" on its own: it belongs to the shot before
            if drafts:
                drafts[-1].lines.extend(tagged)
            action = []
            return
        cam = parse_direction(text)
        first_in_scene = (not drafts or drafts[-1].scene != max(scene, 1)) and _place(heading) not in seen_places
        seen_places.add(_place(heading))
        drafts.append(Draft(description=text, scene=max(scene, 1), heading=heading, size=cam.size, angle=cam.angle,
                            movement=cam.movement, speed=cam.speed, note=cam.note, page=action_page,
                            transition=transition, role="establishing" if first_in_scene else "action",
                            lines=tagged, sfx=sfx, duration=float(stated.group(1)) if stated else None))
        action, last_kind, transition = [], "action", "cut"

    def flush_speech():
        nonlocal speech, speech_meta, last_kind, transition
        if not speech_meta:
            return
        name, kind, paren, page = speech_meta
        text = join_wrapped("\n".join(speech))
        speech, speech_meta = [], None
        opening = _OPENING_PAREN.match(text)
        if opening and text[opening.end():].strip():
            # "外婆：（自言自语）这个绿的还是红的？": the stage direction is not spoken
            paren = paren or opening.group()
            text = text[opening.end():].strip()
        if not text:
            return
        line = SpokenLine(text, kind, name)
        target = drafts[-1] if drafts and drafts[-1].scene == max(scene, 1) else None
        if target is not None:
            # A speech belongs to the shot it follows: the action paragraph (or speech shot) before it.
            target.lines.append(line)
            if kind == "dialogue" and name not in target.characters:
                target.characters.append(name)
        else:
            zh = any("\u4e00" <= ch <= "\u9fff" for ch in name + text)
            how = paren.strip("()（） ")
            if zh:
                desc = f"{name}{'（' + how + '）' if how else ''}说话"
            else:
                desc = f"{name.title()} speaks{', ' + how if how else ''}"
            drafts.append(Draft(description=desc, scene=max(scene, 1), heading=heading, lines=[line], page=page,
                                role="dialogue", characters=[name] if kind == "dialogue" else [],
                                transition=transition))
            transition = "cut"
        last_kind = "speech"

    items = classify(brief)
    first_heading = next((i for i, it in enumerate(items) if it.kind == "heading"), 0)
    for item in items[first_heading:]:  # a title page before the first scene is not a shot
        k = item.kind
        if k == "action":
            flush_speech()
            if not action:
                action_page = item.page
            action.append(item.text)
        elif k == "blank":
            flush_action()
            flush_speech()
        elif k == "heading":
            flush_action()
            flush_speech()
            m = _HEADING_NUMBER.search(item.text)
            number = next((g for g in m.groups() if g), None) if m else None
            scene = int(number) if number else scene + 1
            heading = _HEADING_NUMBER.sub("", item.text).strip() or item.text
            last_kind = ""
        elif k == "cue":
            flush_action()
            flush_speech()
            name, kind = _speaker(item.text)
            speech_meta = (name, kind, "", item.page)
        elif k == "paren":
            if speech_meta and not speech:
                speech_meta = speech_meta[:2] + (item.text, speech_meta[3])
        elif k == "dialogue":
            if speech_meta:
                speech.append(item.text)
            else:
                action.append(item.text)
        elif k == "transition":
            flush_action()
            flush_speech()
            word = item.text.upper()
            transition = "dissolve" if "DISSOLVE" in word or "叠化" in word else (
                "fade" if "FADE" in word or "淡" in word else "cut")
    flush_action()
    flush_speech()
    return drafts
