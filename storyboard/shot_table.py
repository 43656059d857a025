"""Storyboard tables → drafts: 镜号/景别/运镜/画面内容/台词/时长 and Shot/Size/Movement/Description/Dialogue/Duration.

Columns are mapped by their header words (``COLUMN_WORDS``), so column order and naming can vary. Handles header
rows that are not the first row, headers repeated on every page, tables that run across pages without a header
(same column count as the table before), wrapped cells and continuation rows (a row without a shot number or
duration continues the shot above), and scene rows ("场景二：客厅", "SCENE 2") between shots.

Tables come from ``Page.tables`` (the extractor's ruled and unruled tables) and, when a page has none, from its
text: pipe or tab separated rows, or columns aligned with spaces under a header line.
"""

from __future__ import annotations

import re

from briefreel.storyboard.draft import Draft, SpokenLine, join_wrapped, parse_spoken, shot_number
from briefreel.storyboard.durations import parse_seconds
from briefreel.storyboard.vocabulary import CELL, parse_camera, parse_direction

COLUMN_WORDS: dict[str, list[str]] = {
    "number": ["镜号", "镜头号", "镜头编号", "镜头序号", "编号", "序号", "镜次", "镜", "shot", "shot#", "shotno", "shotno.",
               "shotnumber", "no", "no.", "#", "num", "number", "id", "shotid", "nr"],
    "scene": ["场次", "场景号", "场号", "场", "scene", "sc", "sc.", "scene#", "sceneno", "scenenumber"],
    "size": ["景别", "镜头类型", "景", "景别类型", "shotsize", "size", "framing", "shottype", "type", "frame", "frame size"],
    "angle": ["角度", "拍摄角度", "机位角度", "镜头角度", "视角", "angle", "cameraangle", "shotangle"],
    "movement": ["运镜", "镜头运动", "运动", "技巧", "摄法", "拍摄方式", "运镜方式", "镜头运动方式", "拍摄手法", "运镜/技巧",
                 "movement", "cameramovement", "cameramove", "move", "camera", "motion", "cameramotion", "moves"],
    "description": ["画面内容", "画面描述", "画面", "内容", "描述", "镜头内容", "画面说明", "镜头描述", "场景描述", "description",
                    "action", "visual", "visuals", "picture", "image", "shotdescription", "whatwesee", "content",
                    "scenedescription", "video", "desc", "details"],
    "dialogue": ["台词", "对白", "旁白", "解说词", "台词/旁白", "对白/旁白", "台词旁白", "配音", "广告词", "口播", "解说", "dialogue",
                 "vo", "v.o.", "voice-over", "voiceover", "audio", "script", "copy", "narration", "lines", "dialog",
                 "dialogue/vo", "vo/dialogue", "spoken"],
    "duration": ["时长", "时间", "秒数", "长度", "镜头时长", "时长(秒)", "duration", "time", "length", "secs", "seconds", "sec",
                 "dur", "timing", "runtime", "tc", "timecode", "tcin-out", "tcin/out", "in-out", "in/out", "时码", "时间码",
                 "时间段"],
    "sfx": ["音效", "音乐", "音响", "配乐", "音乐音效", "音效/配乐", "声音", "音乐音响", "sound", "sfx", "music", "sound/music",
            "music/sfx", "soundeffects"],
    "super": ["字幕", "广告口号", "屏幕文字", "文字", "super", "supers", "on-screentext", "onscreentext", "ost", "text",
              "caption", "captions", "graphics", "titles"],
    "notes": ["备注", "拍摄要点", "说明", "拍摄说明", "notes", "note", "remarks", "comments", "direction", "directions"],
    "transition": ["转场", "场景转换", "转场方式", "transition", "transitions", "cut"],
    "action": ["人物动作", "演员调度", "动作", "表演", "performance"],
    "location": ["location", "place", "setting", "set", "地点", "拍摄地点", "场地", "地点/场景"],
}
_WORD_ROLE = {w: role for role, words in COLUMN_WORDS.items() for w in words}
_EXACT_ONLY = {"tc"}  # too short to look for inside a longer header ("sketch")
_BY_LENGTH = sorted(((w, r) for w, r in _WORD_ROLE.items() if w not in _EXACT_ONLY), key=lambda kv: -len(kv[0]))
_UNWRAP_DIGITS = re.compile(r"(?<=[\d:.])\s+(?=\d)")  # "0:00–0:0\n5" is a timecode wrapped in its cell
_SECOND_CHOICE = {"number": "size", "movement": "angle", "description": "notes"}
_MIXED_AUDIO = ("audio", "sound", "sfx", "music", "声音", "音频", "音效", "音乐")  # VO and effects in one column: only tagged lines are spoken
_EMPTY = {"—", "-", "–", "/", "无", "n/a", "na", "none", "…", "...", "——"}
_DIALOGUE_WORDS = ("对白", "dialogue", "dialog", "台词", "lines")
_SCENE_ROW = re.compile(r"^\s*(?:第?\s*[一二三四五六七八九十\d]+\s*场|场景\s*[一二三四五六七八九十\d]+|scene\s*\d+|sc\.?\s*\d+|"
                        r"(?:int|ext|int\./ext|i/e)[./\s]|内景|外景)", re.I)


def _norm(cell: str) -> str:
    cell = re.sub(r"[（(][^)）]{0,10}[)）]", "", cell or "")
    return re.sub(r"\s+", "", cell).strip().lower().strip(":：")


def column_role(header: str) -> str | None:
    """Which column a header cell names: exact header word first, else the longest header word inside it."""
    h = _norm(header)
    if not h:
        return None
    if h in _WORD_ROLE:
        return _WORD_ROLE[h]
    found = {role for word, role in _BY_LENGTH if len(word) >= 2 and word in h}
    if {"dialogue", "sfx"} <= found or {"dialogue", "super"} <= found:
        return "dialogue"  # "Sound / VO", "VO / Super", "音效/旁白": one audio column, read line by line
    for word, role in _BY_LENGTH:
        if len(word) >= 2 and word in h:
            return role
    return None


def header_map(row: list[str]) -> dict[int, str] | None:
    """Column index → role when ``row`` is a storyboard header (≥2 known columns, one of them about the picture)."""
    mapping: dict[int, str] = {}
    for i, cell in enumerate(row):
        role = column_role(cell or "")
        if role in mapping.values():
            role = _SECOND_CHOICE.get(role)  # "# | Shot | Camera": "Shot" is then the shot size
        if role and role not in mapping.values():
            mapping[i] = role
    roles = set(mapping.values())
    if roles == {"description", "sfx"}:
        # An AV script ("画面 | 声音", "Picture | Sound"): the sound column carries the VO too.
        mapping = {i: ("dialogue" if r == "sfx" else r) for i, r in mapping.items()}
        roles = set(mapping.values())
    if len(roles) >= 2 and roles & {"size", "movement", "number", "dialogue", "angle"}:
        if sum(1 for c in row if (c or "").strip()) - len(mapping) <= max(1, len(mapping) // 2):
            return mapping
    return None


# -- tables hidden in page text --------------------------------------------------------------------------------------

def _split_row(line: str) -> list[str] | None:
    if line.count("|") >= 2:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(set(c) <= set("-:= ") for c in cells):
            return []  # a markdown rule line
        return cells
    if line.count("\t") >= 2:
        return [c.strip() for c in line.split("\t")]
    return None


def text_tables(text: str) -> list[list[list[str]]]:
    """Pipe/tab tables and space-aligned tables found in plain page text."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    lines = text.split("\n")
    for line in lines:
        cells = _split_row(line)
        if cells is None:
            if current:
                tables.append(current)
                current = []
            continue
        if cells:
            current.append(cells)
    if current:
        tables.append(current)
    tables = [t for t in tables if len(t) >= 2]
    if not tables:
        tables = _two_column_tables(lines)
    if not tables:
        aligned = _aligned_table(lines)
        if aligned:
            tables.append(aligned)
    return tables


def _two_column_tables(lines: list[str]) -> list[list[list[str]]]:
    """ "VIDEO | AUDIO" over rows with one '|' each: a two-column table (an AV script) typed as text. The header must
    name both columns; the rows run until a line without a '|'."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.count("|") == 1 or (
            line.count("|") == 3 and line.strip().startswith("|") and line.strip().endswith("|")) else None
        if current is None:
            if cells and len(cells) == 2 and len(header_map(cells) or ()) == 2:
                current = [cells]
            continue
        if cells and len(cells) == 2:
            current.append(cells)
            continue
        if line.strip():
            if len(current) >= 2:
                tables.append(current)
            current = None
    if current is not None and len(current) >= 2:
        tables.append(current)
    return tables


def _segments(line: str) -> list[tuple[int, str]]:
    """Runs of text separated by two or more spaces, with their start columns."""
    out = []
    for m in re.finditer(r"(?:\S+(?: (?! )\S*)*)", line):
        if m.group().strip():
            out.append((m.start(), m.group().strip()))
    return out


def _aligned_table(lines: list[str]) -> list[list[str]] | None:
    """Columns anchored on a header line's words (an unruled table in layout text)."""
    for h, line in enumerate(lines):
        segs = _segments(line)
        if len(segs) < 3:
            continue
        mapping = header_map([s for _, s in segs])
        if not mapping:
            continue
        starts = [pos for pos, _ in segs]
        rows: list[list[str]] = [[s for _, s in segs]]
        number_col = next((i for i, r in mapping.items() if r == "number"), None)
        for body in lines[h + 1:]:
            if not body.strip():
                continue
            cells = [""] * len(starts)
            for pos, text in _segments(body):
                col = max([i for i, st in enumerate(starts) if st <= pos + 2] or [0])
                cells[col] = (cells[col] + "\n" + text) if cells[col] else text
            starts_row = number_col is None or bool(cells[number_col].strip())
            if starts_row or len(rows) == 1:
                rows.append(cells)
            else:
                rows[-1] = [(a + "\n" + b).strip("\n") for a, b in zip(rows[-1], cells)]
        return rows if len(rows) >= 2 else None
    return None


# -- rows → drafts ---------------------------------------------------------------------------------------------------

def _cells(row: list[str], mapping: dict[int, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, role in mapping.items():
        if i < len(row) and row[i] and row[i].strip():
            out[role] = row[i].strip()
    return out


def _is_header_repeat(row: list[str], mapping: dict[int, str]) -> bool:
    hits = sum(1 for i, role in mapping.items() if i < len(row) and column_role(row[i] or "") == role)
    return hits >= max(2, len(mapping) // 2)


def _scene_row(row: list[str]) -> str | None:
    filled = [c.strip() for c in row if c and c.strip()]
    if len(filled) == 1 and _SCENE_ROW.match(filled[0]) and len(filled[0]) <= 60:
        return filled[0]
    return None


def _row_draft(cells: dict[str, str], headers: dict[str, str], page: int) -> Draft:
    picture = join_wrapped(cells.get("description", ""))
    action = join_wrapped(cells.get("action", ""))
    if action and action not in picture:
        picture = (picture + (" " if picture and picture[-1:].isascii() else "") + action).strip()
    camera_text = " ".join(join_wrapped(cells.get(k, "")) for k in ("size", "angle", "movement")).strip()
    number_rest = re.sub(r"^\s*(?:shot|镜头|镜号)?\s*#?\s*[A-Za-z]?\d+[A-Za-z]?", "", cells.get("number", ""), flags=re.I)
    cam = parse_camera((camera_text + " " + number_rest).strip(), mode=CELL)
    prose_cam = parse_direction(picture + " " + join_wrapped(cells.get("notes", "")))
    dialogue_header = headers.get("dialogue", "").lower()
    default_kind = "dialogue" if any(w in dialogue_header for w in _DIALOGUE_WORDS) and not any(
        w in dialogue_header for w in ("旁白", "vo", "voice", "narrat", "解说")) else "vo"
    audio = cells.get("dialogue", "")
    if audio.strip().lower() in _EMPTY:
        audio = ""
    lines = parse_spoken(audio, default_kind)
    effects = [ln.text for ln in lines if ln.kind == "sfx"]
    lines = [ln for ln in lines if ln.kind != "sfx"]
    if any(w in _norm(dialogue_header) for w in _MIXED_AUDIO):
        effects += [ln.text for ln in lines if not ln.speaker and ln.kind == default_kind]
        lines = [ln for ln in lines if ln.speaker or ln.kind != default_kind]
    for ln in parse_spoken(cells.get("sfx", ""), "sfx"):  # a sound column can still hold a "VO:" line
        if ln.kind == "super" or (ln.kind in ("vo", "dialogue") and ln.speaker):
            lines.append(ln)
        else:
            effects.append(ln.text)
    sound = " ".join(join_wrapped(e) for e in effects)
    super_text = join_wrapped(cells.get("super", ""))
    if super_text:
        lines.append(SpokenLine(super_text, "super", ""))
    draft = Draft(
        description=picture or camera_text.strip() or super_text or " ".join(ln.text for ln in lines),
        number=shot_number(cells["number"]) if "number" in cells else None,
        size=cam.size or prose_cam.size,
        angle=cam.angle or prose_cam.angle,
        movement=cam.movement or prose_cam.movement,
        speed=cam.speed or (prose_cam.speed if not cam.movement else None),
        note=cam.note,
        duration=parse_seconds(_UNWRAP_DIGITS.sub("", cells.get("duration", ""))),
        lines=lines,
        on_screen_text=super_text,
        sfx=sound,
        transition=join_wrapped(cells.get("transition", "")) or "cut",
        page=page,
    )
    if "scene" in cells:
        n = shot_number(cells["scene"])
        if n and n.isdigit():
            draft.scene = int(n)
        else:
            draft.heading = join_wrapped(cells["scene"])  # a scene column that names places: "厨房"
    if "location" in cells:
        draft.heading = join_wrapped(cells["location"])
    notes = join_wrapped(cells.get("notes", ""))
    if notes:
        draft.note = (draft.note + "; " + notes).strip("; ")
    return draft


_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z])")
_CAMERA_LABEL = re.compile(r"^(?P<head>[A-Za-z][\w\s,'’/-]{1,40}?)\s*:\s+\S")
_CAPS_NAME = re.compile(r"^[A-Z]{3,}(?:\s+[A-Z]{3,})?\s+[a-z]+s\b")  # "MAREN climbs…": a character brought in


def scene_pictures(text: str) -> list[str]:
    """The pictures of a scene's visual cell: a new one at each sentence that opens with camera words and a colon
    ("Medium close-up: …", "POV, handheld: …", "Aerial: …") or that brings in a character in capitals ("MAREN
    climbs into frame…"); other sentences stay with the picture they follow."""
    parts: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        label = _CAMERA_LABEL.match(sentence)
        framed = label is not None and parse_camera(label.group("head"), mode=CELL).found
        if parts and (framed or _CAPS_NAME.match(sentence)):
            parts.append(sentence)
        elif parts:
            parts[-1] = parts[-1] + " " + sentence
        else:
            parts.append(sentence)
    return [p.strip() for p in parts if p.strip()]


_AUDIO_TAG = re.compile(r"(?:^|(?<=\s))(?=(?:VO|V\.O\.|SFX|FX|MUSIC|SUPER|[A-Z][A-Z'\-]{1,20})\s*(?:\([^)]{0,12}\))?\s*:)")


def _audio_parts(audio: str) -> list[str]:
    """ 'VO: “…” VO: “…” SFX: rain' → its tagged entries in order."""
    return [p.strip() for p in _AUDIO_TAG.split(audio) if p.strip()]


def _wrapped_on(before: str, after: str) -> bool:
    """Without shot numbers, a row continues the one above when the text above stops mid-sentence."""
    if not after:
        return True
    if after[:1].islower():
        return True
    return not before.rstrip().endswith((".", "!", "?", "。", "！", "？", "”", "\"", ")", "）", "…", "」"))


def _merge(prev: Draft, cont: Draft) -> None:
    """A continuation row: its text joins the shot above."""
    if cont.description and cont.description not in (prev.description,):
        end = prev.description[-1:]
        if end and end not in "，。！？；,.!?;:：…" and not cont.description[:1].islower():
            prev.description += "，" if not end.isascii() else "."
        prev.description = join_wrapped(prev.description + "\n" + cont.description)
    prev.lines.extend(cont.lines)
    prev.size = prev.size or cont.size
    prev.angle = prev.angle or cont.angle
    prev.movement = prev.movement or cont.movement
    prev.duration = prev.duration or cont.duration
    if cont.sfx:
        prev.sfx = (prev.sfx + " " + cont.sfx).strip()


def read_tables(brief) -> list[Draft]:
    """Every storyboard table in the brief, in page order, as drafts (empty when there is none)."""
    drafts: list[Draft] = []
    mapping: dict[int, str] | None = None
    headers: dict[str, str] = {}
    width = 0
    scene = 1
    scene_seen = False
    for page in brief.pages:
        tables = list(page.tables) or text_tables(page.text)
        for table in tables:
            rows = [[(c or "") for c in row] for row in table if row]
            if not rows:
                continue
            start = None
            for i, row in enumerate(rows[:4]):
                found = header_map(row)
                if found:
                    mapping, width, start = found, len(row), i + 1
                    headers = {role: row[j] for j, role in found.items()}
                    break
            if start is None:
                # A table that carries on from the last page: same width, no header.
                if mapping is None or abs(len(rows[0]) - width) > 0:
                    continue
                start = 0
            for row in rows[start:]:
                if _is_header_repeat(row, mapping):
                    continue
                heading = _scene_row(row)
                if heading:
                    scene = scene + 1 if scene_seen or drafts else scene
                    scene_seen = True
                    n = shot_number(heading)
                    if n and n.isdigit():
                        scene = int(n)
                    continue
                cells = _cells(row, mapping)
                if not cells:
                    continue
                if "scene" in cells and "number" not in mapping.values() and "duration" not in cells:
                    # A scene-keyed row (Scene | Visual | Audio) whose picture cell holds several pictures: a shot each.
                    parts = scene_pictures(cells.get("description", ""))
                    if len(parts) > 1:
                        audio = _audio_parts(cells.get("dialogue", ""))
                        for k, part in enumerate(parts):
                            sub = {**cells, "description": part}
                            if len(audio) == len(parts):
                                sub["dialogue"] = audio[k]
                            elif k:
                                sub.pop("dialogue", None)
                            drafts.append(_row_draft(sub, headers, page.number))
                        continue
                draft = _row_draft(cells, headers, page.number)
                if "scene" not in cells:
                    draft.scene = scene
                has_number_col = "number" in mapping.values()
                continuation = bool(drafts) and draft.duration is None and (
                    (has_number_col and draft.number is None) or
                    (not has_number_col and not cells.get("size") and _wrapped_on(drafts[-1].description,
                                                                                 draft.description)))
                if continuation:
                    _merge(drafts[-1], draft)
                    continue
                if not draft.description.strip():
                    continue
                drafts.append(draft)
    return drafts
