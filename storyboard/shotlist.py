"""Numbered shot lists → drafts.

    SHOT 3 | MEDIUM | Truck left with the rider… (3s)
    Shot 4: CU, slow push in. Her hand on the bell. VO: "Every day starts somewhere."
    镜头3：中景，横移，骑手穿过街道（3秒）
    3. CU - Hand grabs the bottle (2s)

A shot line is a number prefix ("SHOT 3", "镜头3", "第3镜", "S03", "3.") followed by fields. Leading fields that
are camera words (size, angle, move) are read as such; the first other field starts the description; a duration
"(3s)" anywhere is taken out. Lines after a shot line belong to it: tagged lines ("VO:", "旁白：", "ANNA: …") as
spoken lines, untagged lines (until a blank line) as more description. Scene lines ("SCENE 2", "场景二：厨房",
"INT. KITCHEN - DAY") start a new scene.
"""

from __future__ import annotations

import re

from briefreel.storyboard.draft import Draft, join_wrapped, parse_spoken, split_tags, spoken_line
from briefreel.storyboard.durations import chained_spans, find_seconds, parse_seconds, zh_number
from briefreel.storyboard.meta import heading_key
from briefreel.storyboard.vocabulary import CELL, camera_coverage, parse_camera

_KEYWORD_PREFIX = re.compile(
    r"^\s*[#*【\[]?\s*(?:shot|sh\.|镜头|镜号|分镜|第)\s*(?:no\.?|#)?\s*(?P<n>[A-Za-z]?\d{1,3}[A-Za-z]?|(?<=[头号镜第])[一二三四五六七八九十]{1,3}(?=\s*[（(:：、.|｜]))\s*(?:镜头|镜|个镜头)?"
    r"\s*[】\]]?\s*(?P<sep>[.:：)）、|｜\-–—]?)\s*(?P<rest>.*)$", re.I)
_BARE_PREFIX = re.compile(
    r"^\s*(?:[#*]\s*)?(?P<n>S?\d{1,3}[A-Za-z]?)\s*(?P<sep>[.:：)）、|｜\-–—])\s*(?P<rest>.+)$")
_HASH_PREFIX = re.compile(r"^\s*#\s*(?P<n>\d{1,3}[A-Za-z]?)\s+(?P<rest>.+)$")
SCENE_LINE = re.compile(
    r"^\s*(?:(?:scene|sc\.?)\s*(?P<n1>\d+)\b|场景\s*(?P<n2>[一二三四五六七八九十\d]+)|第\s*(?P<n3>[一二三四五六七八九十\d]+)\s*场|"
    r"(?:int|ext|int\./ext|i/e)\.\s|内景|外景)", re.I)
_FIELD_SPLIT = re.compile(r"(\s*[|｜]\s*|\s+[—–-]\s+|\s*[—–]{1,2}\s*|\s*[,，、;；/:：]\s*|(?<=[.。])\s+)")
_PAREN_ANY = re.compile(r"[（(][^()（）]*[)）]")
_PAREN_DURATION = re.compile(r"[（(]\s*([^()（）]{1,24}?)\s*[)）]")

_ZH_NUMS = "零一二三四五六七八九十"


def scene_number(match: re.Match) -> int | None:
    for g in ("n1", "n2", "n3"):
        v = match.group(g)
        if v:
            if v.isdigit():
                return int(v)
            n = zh_number(v)
            return int(n) if n else None
    return None


def _is_camera_field(field: str) -> bool:
    f = field.strip(" .。…")
    if not f or len(f) > 32:
        return False
    if f.isascii() and len(f.split()) > 4:
        return False
    if not f.isascii() and sum(1 for ch in f if "\u3400" <= ch <= "\u9fff") > 8:
        return False
    return parse_camera(f, mode=CELL).found and camera_coverage(f) >= 0.6


def _tidy(text: str) -> str:
    return re.sub(r"\s+([.,;:!?。，；：！？])", r"\1", text).strip()


def take_duration(text: str) -> tuple[str, float | None]:
    """Remove "(3s)", "（3秒）", "- 3s" from a shot line; return (rest, seconds)."""
    for m in _PAREN_DURATION.finditer(text):
        inner = m.group(1)
        found = find_seconds(inner)
        if found:
            seconds, (a, b) = found
            left = (inner[:a] + inner[b:]).strip(" ,，;；/")
            if left and camera_coverage(left) < 0.6:
                continue  # "(30s, green cardigan)" is an age and a costume
            if left:  # "(WS, 3s)": the duration goes, the camera words stay
                return _tidy(text[:m.start()] + "(" + left + ")" + text[m.end():]), seconds
            return _tidy(text[:m.start()] + text[m.end():]), seconds
    masked = _PAREN_ANY.sub(lambda m: " " * len(m.group()), text)  # durations inside (…) were judged above
    found = find_seconds(masked)
    if found:
        seconds, (a, b) = found
        before, after = text[:a], text[b:]
        # Only a duration standing on its own: at the end, or between separators.
        if not after.strip(" .。|｜)）-–—") or re.search(r"[|｜—–\-,，]\s*$", before):
            return (before.rstrip(" |｜-–—,，:：") + " " + after.lstrip(" |｜-–—,，")).strip(), seconds
    return text, None


def _parse_fields(rest: str) -> Draft:
    """ "中景｜固定｜舰桥上……｜3s｜林夜：全员就位。": each field is camera, duration, a spoken line or description."""
    cam_text, description, lines, sfx = [], [], [], ""
    seconds = None
    for field in re.split(r"\s*[|｜]\s*", rest):
        f = field.strip()
        if not f:
            continue
        tagged = spoken_line(f)
        spoken = [tagged] if tagged else [ln for ln in parse_spoken(f, "") if ln.kind and ln.speaker]
        if not description and (_is_camera_field(f) or all(_is_camera_field(p) for p in re.split(r"[,，、/]\s*", f) if p)):
            cam_text.append(f)
        elif seconds is None and len(f) <= 10 and parse_seconds(f) and find_seconds(f):
            seconds = parse_seconds(f)
        elif spoken and (tagged or not _is_camera_field(spoken[0].speaker)):
            lines.extend(ln for ln in spoken if ln.kind != "sfx")
            sfx = sfx or " ".join(ln.text for ln in spoken if ln.kind == "sfx")
        else:
            description.append(f)
    text, more_seconds = take_duration(" ".join(description))
    text, tagged_lines, tagged_sfx = split_tags(text)
    cam = parse_camera(" ".join(cam_text), mode=CELL)
    prose = parse_camera(text)
    return Draft(description=text.strip(" -–—,，:：").strip(), size=cam.size or prose.size, angle=cam.angle or prose.angle,
                 movement=cam.movement or prose.movement, speed=cam.speed if cam.movement else prose.speed,
                 note=cam.note or prose.note, duration=seconds or more_seconds, lines=tagged_lines + lines,
                 sfx=sfx or tagged_sfx)


_LEAD_PAREN = re.compile(r"^\s*[（(]([^)）]{1,40})[)）]\s*[:：\-–—.]?\s*")


def _parse_rest(rest: str) -> Draft:
    piped = "|" in rest or "｜" in rest
    rest, seconds = (rest, None) if piped else take_duration(rest)  # fields find their own duration
    lead = _LEAD_PAREN.match(rest)
    if lead and all(_is_camera_field(p) for p in re.split(r"[,，、/]\s*", lead.group(1)) if p):
        rest = lead.group(1) + " | " + rest[lead.end():]  # "Shot 1 (WS, slow push): …"
    if "|" in rest or "｜" in rest:
        draft = _parse_fields(rest)
        draft.duration = draft.duration or seconds
        return draft
    parts = _FIELD_SPLIT.split(rest)
    fields, seps = parts[0::2], parts[1::2]
    cam_text = []
    k = 0
    while k < len(fields) and _is_camera_field(fields[k]):
        cam_text.append(fields[k])
        k += 1
    if k < len(fields):
        description = fields[k] + "".join(s + f for s, f in zip(seps[k:], fields[k + 1:]))
    else:
        description = ""
    # A lone duration field left over ("| 3s |") is not description.
    description = description.strip(" |｜-–—,，。").strip()
    description, lines, sfx = split_tags(description)
    cam = parse_camera(" ".join(cam_text), mode=CELL)
    prose = parse_camera(description)
    draft = Draft(
        description=description.strip(" |｜-–—,，:：").strip(),
        size=cam.size or prose.size,
        angle=cam.angle or prose.angle,
        movement=cam.movement or prose.movement,
        speed=cam.speed if cam.movement else prose.speed,
        note=cam.note or prose.note,
        duration=seconds,
        lines=lines,
        sfx=sfx,
    )
    return draft


def _open_quote(text: str) -> bool:
    """Does ``text`` open a quotation it does not close (a VO line wrapped onto the next line)?"""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1 or text.count("「") > text.count("」")


def _norm_number(n: str) -> str:
    if n and all(ch in _ZH_NUMS for ch in n):  # 镜头三 → "3"
        value = zh_number(n)
        return str(int(value)) if value else n
    n = n.lstrip("Ss") if n[:1] in "Ss" and n[1:2].isdigit() else n
    digits = "".join(ch for ch in n if ch.isdigit())
    return str(int(digits)) + n[len(digits):].upper() if digits and n.startswith(digits) else n


def shot_line(line: str, bare: bool = False) -> tuple[str, str] | None:
    """(number, rest) when ``line`` starts a shot ("SHOT 3 | …", "镜头3：…"; with ``bare`` also "3. CU - …")."""
    m = _KEYWORD_PREFIX.match(line)
    if m and (m.group("sep") or m.group("rest") == "" or not m.group("rest")[:1].isalpha()
              or m.group("rest")[:1].isupper() or not line.strip()[:1].isalpha()):
        return _norm_number(m.group("n")), m.group("rest")
    if bare:
        m = _BARE_PREFIX.match(line) or _HASH_PREFIX.match(line)
        if m:
            rest = m.group("rest")
            first = _FIELD_SPLIT.split(rest, maxsplit=1)[0]
            if "|" in rest or "｜" in rest or _is_camera_field(first):
                return _norm_number(m.group("n")), rest
    return None


def count_shot_lines(text: str) -> tuple[int, int]:
    """(keyword shot lines, bare numbered lines that start with a camera word) in ``text``."""
    kw = bare = 0
    for line in text.split("\n"):
        if _KEYWORD_PREFIX.match(line) and shot_line(line):
            kw += 1
        elif shot_line(line, bare=True):
            bare += 1
    return kw, bare


def read_shotlist(brief) -> list[Draft]:
    """Drafts from every numbered shot line in the brief (empty when there are fewer than two)."""
    kw, bare_count = count_shot_lines(brief.text)
    allow_bare = bare_count >= 2 or kw >= 2
    drafts: list[Draft] = []
    raws: list[str] = []  # each draft's shot line as written
    scene = 1
    heading = ""
    block: dict | None = None  # the shot being read: its number, page, body lines and separate spoken lines

    def finish() -> None:
        nonlocal block
        if block is None:
            return
        raw = join_wrapped("\n".join(block["body"]))
        draft = _parse_rest(raw)
        draft.number, draft.scene, draft.heading, draft.page = block["number"], block["scene"], block["heading"], block["page"]
        draft.lines.extend(block["spoken"])
        draft.lines.extend(ln for ln in (spoken_line(raw) for raw in block["spoken_raw"]) if ln and ln.text)
        if draft.description or draft.lines:
            drafts.append(draft)
            raws.append(raw)
        block = None

    for page in brief.pages:
        for line in page.text.split("\n"):
            stripped = line.strip()
            if not stripped:
                if block is not None:
                    block["open"] = False
                continue
            found = shot_line(line, bare=allow_bare)
            if found:
                finish()
                number, rest = found
                block = {"number": number, "scene": scene, "heading": heading, "page": page.number, "body": [rest],
                         "spoken": [], "spoken_raw": [], "open": True}
                continue
            scene_match = SCENE_LINE.match(stripped)
            if scene_match and len(stripped) <= 80:
                finish()
                n = scene_number(scene_match)
                scene = n if n else (scene + 1 if drafts else scene)
                heading = stripped
                continue
            if block is None:
                continue
            tagged = spoken_line(stripped)
            if tagged:
                block["spoken_raw"].append(stripped)  # "VO: …" on its own line: a line of this shot
                continue
            if block["spoken_raw"] and _open_quote(block["spoken_raw"][-1]):
                block["spoken_raw"][-1] = join_wrapped(block["spoken_raw"][-1] + "\n" + stripped)
                continue
            spoken = [] if tagged else [ln for ln in parse_spoken(stripped, "") if ln.kind]
            if spoken and spoken[0].speaker and not heading_key(stripped) and not _is_camera_field(spoken[0].speaker):
                block["spoken"].extend(spoken)  # "MIA: Morning!" on its own line
                continue
            if not tagged and heading_key(stripped):
                finish()  # the list is over: a section of the brief begins
                continue
            if block["open"]:
                block["body"].append(stripped)
    finish()
    spans = chained_spans(raws)
    for d, seconds in zip(drafts, spans or []):
        d.duration = seconds  # "镜头二（2–4.5秒）": a span on the film's clock
    for d in drafts:
        if not d.description:
            d.description = d.lines[0].text
    return drafts if len(drafts) >= 2 or kw >= 1 else []
