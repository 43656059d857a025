"""The fields inside one enumerated item, found anywhere and in any order, with notes tolerated.

    draft = read_item("07 — CU (hands) — STATIC — She folds the letter. SFX: paper rustle. (2s)")
    draft.size, draft.movement, draft.duration, draft.sfx, draft.note   # CU, static, 2.0, "paper rustle.", "hands"

An item is cut into fields at its separators ("|", " — ", ": " after camera words, sentence ends). Each field is, in
this order of questions: a duration ("(2s)", "2 sec", "：03"); a sound cue ("SFX: …", "MUSIC: …", "音效：…",
"(room tone)") → ``sfx``; a spoken line ("VO: …", "旁白：…", "ANNA (quietly): …", whose parenthetical is a note and
never spoken); a camera field (sizes, angles and moves, with a parenthesised note such as "CU (hands)" kept in
``note``); else description. A field that opens with a camera move and goes on ("TILT UP to the sign") gives its
move and stays description. Where no size is given, ``size_inferred`` is set so the planner can say it chose one.
"""

from __future__ import annotations

import re

from briefreel.storyboard.cast import mentions_person
from briefreel.storyboard.draft import (Draft, SpokenLine, join_wrapped, parse_spoken, reported_speech, split_tags,
                                        spoken_line, strip_quotes)
from briefreel.storyboard.durations import find_seconds, is_age, parse_seconds
from briefreel.storyboard.vocabulary import CELL, camera_coverage, parse_camera, parse_direction

SOUND_TAGS = ("sfx", "fx", "music", "mx", "sound", "sound effect", "sound effects", "atmos", "ambience", "audio",
              "音效", "音乐", "配乐", "音响", "环境音", "声音", "效果音")
_SOUND_CUE = re.compile(r"(?:^|(?<=[\s.。;；|｜!?！？，,]))(?P<tag>" + "|".join(
    sorted((re.escape(t) for t in SOUND_TAGS), key=len, reverse=True)) + r")\s*[:：]\s*", re.I)
_CUE_END = re.compile(r"(?<=[.。!！?？])\s+(?=[A-Z\"“\u4e00-\u9fff])|(?<=[。！？])|\s*[|｜]\s*|\s+(?=(?:VO|V\.O\.|SUPER|"
                      r"[A-Z][A-Z'\-]{1,20})\s*(?:[(（][^)）]{0,12}[)）])?\s*[:：])")
_PAREN = re.compile(r"[（(]([^()（）]{1,60})[)）]")
_FIELD_SPLIT = re.compile(r"\s*[|｜]\s*|\s+[·•]\s+|\s+[—–]\s+|\s+-\s+|\s*——\s*")
PARENTHETICAL = re.compile(r"^\s*[（(][^)）]{1,40}[)）]\s*|\s*[（(][^)）]{1,40}[)）]\s*$")


def strip_parenthetical(text: str) -> tuple[str, str]:
    """(spoken text, note): "(quietly) I know." → ("I know.", "quietly"). Parentheticals are never spoken."""
    notes = []
    while True:
        m = PARENTHETICAL.search(text)
        if not m or not text.strip():
            break
        notes.append(m.group().strip().strip("()（）").strip())
        text = (text[:m.start()] + " " + text[m.end():]).strip()
    return text.strip(), "; ".join(notes)


def take_sound(text: str) -> tuple[str, str]:
    """(text without its sound cues, the cues): "She enters. SFX: door slam. She turns." → ("She enters. She
    turns.", "door slam.")."""
    cues = []
    while True:
        m = _SOUND_CUE.search(text)
        if not m:
            break
        after = text[m.end():]
        end = _CUE_END.search(after)
        cue = after[:end.start()] if end else after
        cues.append(cue.strip(" |｜"))
        rest = after[end.end():] if end else ""
        text = (text[:m.start()].rstrip() + " " + rest.lstrip()).strip()
    return text, " ".join(c for c in cues if c)


def _duration_field(field: str) -> float | None:
    f = field.strip(" ()（）[]【】.。")
    if not f or len(f) > 14:
        return None
    f = re.sub(r"^[：:]", "", f)  # ":03"
    if re.fullmatch(r":?\d{1,2}", field.strip()) and field.strip().startswith(":"):
        return float(field.strip()[1:])
    if find_seconds(f) or re.fullmatch(r":\d{2}", field.strip()):
        return parse_seconds(f)
    return None


_LEAD_SECONDS = re.compile(r"^(\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds))\.\s+(?=\S)", re.I)


def take_seconds(text: str) -> tuple[str, float | None]:
    """A duration standing on its own anywhere in the item ("(2s)", "（3秒）", "| 4 sec", "— :03", ":04" at the end)
    taken out; durations inside a longer parenthesis ("(30s, green cardigan)") stay."""
    for m in _PAREN.finditer(text):
        inner = m.group(1).strip()
        found = find_seconds(inner)
        if not found:
            continue
        if is_age(inner, text[:m.start()]):
            continue  # "SAM and LOU (30s)": an age, not a duration
        left = (inner[:found[1][0]] + inner[found[1][1]:]).strip(" ,，;；/")
        if len(left) <= 2:
            return (text[:m.start()] + " " + text[m.end():]).strip(), found[0]
        if camera_coverage(left) >= 0.6:  # "(WS, 3s)": the duration goes, the camera words stay
            return (text[:m.start()] + "(" + left + ")" + text[m.end():]).strip(), found[0]
    m = re.search(r"(?:^|[\s|｜—–-])(:\d{2}|\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds|秒|''|″|\"))\s*[.。]?\s*$", text, re.I)
    if m:
        seconds = parse_seconds(m.group(1).lstrip(":")) if not m.group(1).startswith(":") else float(m.group(1)[1:])
        if seconds:
            return text[:m.start()].rstrip(" |｜—–-,，"), seconds
    return text, None


def _camera_part(field: str, least: float = 0.6) -> tuple[str, str] | None:
    """(camera words, note) when ``field`` is a camera field, notes in parentheses tolerated: "CU (hands)"."""
    bare = _PAREN.sub(" ", field).strip(" .。,，")
    if not bare or len(bare) > 40:
        return None
    if parse_camera(bare, mode=CELL).found and camera_coverage(bare) >= least:
        notes = [m.group(1).strip() for m in _PAREN.finditer(field) if not find_seconds(m.group(1))]
        return bare, "; ".join(notes)
    return None


def _untimed(text: str) -> str:
    """ "CU, 2s" → "CU": a head's words without the duration in it."""
    found = find_seconds(text)
    return (text[:found[1][0]] + text[found[1][1]:]).strip(" ,，;；") if found else text


def _leading_camera(field: str) -> tuple[str, str] | None:
    """ "TILT UP to the sign" → ("TILT UP", "to the sign"): a field that opens with camera words and goes on."""
    words = field.split()
    for n in (3, 2, 1):
        head = " ".join(words[:n])
        if len(words) > n and parse_camera(head, mode=CELL).found and camera_coverage(head) >= 0.99:
            return head, " ".join(words[n:])
    return None


_SPEAKER_NOTE = re.compile(r"(?P<name>\b[A-Z][A-Z'\-]{1,20}|[\u4e00-\u9fff]{2,4})\s*[(（](?P<note>[^)）]{1,24})[)）]\s*(?=[:：])")
_VOICE_EXT = re.compile(r"^\s*(?:V\.?\s?O\.?|O\.?\s?S\.?|O\.?\s?C\.?|CONT['’]?D|画外音?|旁白)\s*$", re.I)


def _speaker_notes(text: str) -> tuple[str, list[str]]:
    """ 'ANNA (quietly): "I know."' → 'ANNA: "I know."' and the note "quietly"; "(V.O.)" stays (it says who)."""
    notes: list[str] = []

    def drop(m: re.Match) -> str:
        if _VOICE_EXT.match(m.group("note")):
            return m.group()
        notes.append(m.group("note").strip())
        return m.group("name")

    return _SPEAKER_NOTE.sub(drop, text), notes


_CHUNK = re.compile(r"([^,，、.。;；]+)([,，、.。;；]\s*|$)")


def _peel_camera(field: str, cam_fields: list[str]) -> str:
    """ "近景，固定。陈师傅抬头……", "WS, static. An empty room…": leading chunks that are only camera words move to
    ``cam_fields``; the rest is the description."""
    pos = 0
    taken = []
    for m in _CHUNK.finditer(field):
        chunk = m.group(1).strip()
        if not chunk or m.end() >= len(field) or (_camera_part(chunk, 0.6) is None and not _short_size(chunk)):
            break
        taken.append(chunk)
        pos = m.end()
    if taken and field[pos:].strip():
        cam_fields.extend(taken)
        return field[pos:].strip()
    return field


def _spoken(field: str) -> list[SpokenLine]:
    tagged = spoken_line(field)
    if tagged:
        return [tagged]
    said = [ln for ln in parse_spoken(field, "") if ln.kind and (ln.speaker or ln.kind == "sfx")]
    if any(ln.kind == "dialogue" and (_thing_label(ln.speaker) or _not_a_speaker(ln.speaker, ln.text)) for ln in said):
        return []  # the field is a labelled picture ("Wide of the windowsill: …", "手机屏幕：…"), not speech
    return said


_BRACKET_NOTE = re.compile(r"\[([^\[\]]{1,200})\]")
_INNER_QUOTE = re.compile(r"\S\s*[:：]\s*[\"“「]")


def _not_a_speaker(label: str, said: str) -> bool:
    """ "Wide of the windowsill: a row of…", "Locked-off time-lapse: …", "HOOK: Selfie-style MCU, Maya to camera:
    “…”": a label that frames or names a beat, not someone speaking — it holds camera words or words that are not a
    name, or what follows opens with camera words or quotes someone else."""
    label = label.strip()
    if not label or not label.isascii() or label.lower() in ("vo", "v.o.", "v/o", "super", "sfx", "music"):
        return False
    if parse_camera(label, mode=CELL).found:
        return True
    words = label.split()
    if len(words) >= 2 and any(w[:1].islower() for w in words):
        return True
    head = re.split(r"[,，.。:：]", said.strip(), maxsplit=1)[0]
    return bool(_INNER_QUOTE.search(said)) or (bool(head) and _camera_part(head, 0.6) is not None) or \
        _short_size(head)


def _short_size(chunk: str) -> bool:
    """ "Selfie-style MCU", "Tight CU": two words at most, one of them a shot size."""
    return 0 < len(chunk.split()) <= 2 and parse_camera(chunk, mode=CELL).size is not None


_BEAT_LABEL = re.compile(r"^(?P<label>[A-Z][A-Z0-9&'\-]{1,12}(?: [A-Z0-9&'\-]{1,12})?)\s*[:：]\s*(?=\S)")
_QUOTE_END = re.compile(r"^(?P<before>.+?\S)\s*[:：]\s*(?P<q>“[^”]{2,200}”|\"[^\"]{2,200}\")\s*[.。]?\s*$")
_NAMED_SUBJECT = re.compile(r"^(?:[A-Z][\w'’-]+\s+){1,2}[a-z]+s\b")  # "Maya holds…", "Mr Ferris waves…"
_SHOWN_WORDS = ("super", "caption", "card", "title", "text", "logo", "sign", "screen", "reads", "tagline", "slogan",
                "字幕", "标版", "落版", "屏幕", "文字")


def _thing_label(label: str) -> bool:
    """ "手机屏幕：订单页面……", "产品特写：…": a Chinese label of three characters or more with no person in it names
    what is shown, not who speaks (names and 男友, 陈师傅, 小女孩 do speak)."""
    cjk = [ch for ch in label if "\u3400" <= ch <= "\u9fff"]
    return len(cjk) >= 3 and len(cjk) == len(label.strip()) and not mentions_person(label)


_QUOTED_SENTENCE = re.compile(r"(?P<lead>[:：]\s*|(?<=[.!?])\s+|^)(?P<q>“(?P<t>[^”]{6,240}?[.!?…])”)(?=\s|$)")
_SHOWN_BEFORE = _SHOWN_WORDS + ("headed", "showing", "shows", "printed", "written", "label", "reading", "titled")


def _quoted_speech(body: str) -> tuple[str, list[SpokenLine]]:
    """Whole quoted sentences standing on their own in an item ('… click it up. Over it: “This lives in my pocket
    now.”', '… no white cast. “Swipe, swipe, done.”') are what the talent says, unless the words before name a
    thing that shows text (a sign, a card, a super, "headed", "reads")."""
    lines: list[SpokenLine] = []
    out = body
    for m in _QUOTED_SENTENCE.finditer(body):
        before = body[max(0, m.start() - 40):m.start()].lower()
        if len(m.group("t").split()) < 2 or any(re.search(r"\b" + re.escape(w) + r"\b", before) for w in _SHOWN_BEFORE):
            continue
        lines.append(SpokenLine(m.group("t").strip(), "dialogue", ""))
        out = out.replace(m.group("q"), " ", 1)
    if not lines:
        return body, []
    out = re.sub(r"\s*[:：]\s*(?=\s*$)", ".", re.sub(r"\s{2,}", " ", out)).strip()
    return out, lines


def take_camera_notes(text: str) -> tuple[str, list[str]]:
    """ "…一扇窗还亮着。（远景，固定）" → the text without the parenthesis, and its camera words ["远景", "固定"]; a
    parenthesis that is not all camera words ("(hands)", "(quietly)") stays."""
    found: list[str] = []

    def take(m: re.Match) -> str:
        parts = [p.strip() for p in re.split(r"[,，、;；/]", m.group(1)) if p.strip()]
        if parts and all(_camera_part(p, 0.6) is not None for p in parts):
            found.extend(parts)
            return " "
        return m.group()

    out = _PAREN.sub(take, text)
    return (re.sub(r"\s{2,}", " ", out).strip() if found else text), found


def _camera_line(line: str) -> bool:
    """Is every field of ``line`` a camera field or a duration ("WS · Static · Eye level · 3s")?"""
    fields = [f.strip() for f in _FIELD_SPLIT.split(line) if f and f.strip()]
    return len(fields) >= 2 and all(_duration_field(f) or _camera_part(f, 0.6) for f in fields)


def read_item(text: str, lang: str = "en") -> Draft:
    """One enumerated item (the marker already removed) → a Draft with what it states."""
    body_lines, own_lines = [], []
    for k, raw in enumerate(x.strip() for x in text.split("\n")):
        said = _spoken(raw) if k and raw else []
        if said and all(ln.kind != "sfx" for ln in said) and _camera_part(said[0].speaker or "") is None:
            own_lines.append(raw)  # "旁白：…" / "ANNA: …" on a line of its own under the item
        elif raw:
            body_lines.append(raw)
    if len(body_lines) > 1 and _camera_line(body_lines[0]):
        # "MS · Follow · Eye level · 3s" over "Ama walks up…": a board's camera line above its action line
        text = body_lines[0] + " | " + join_wrapped("\n".join(body_lines[1:]))
    else:
        text = join_wrapped("\n".join(body_lines))
    if own_lines:
        text = text + " | " + " | ".join(own_lines)
    text, seconds = take_seconds(text.strip())
    bracketed = [m.group(1).strip() for m in _BRACKET_NOTE.finditer(text)]
    text = _BRACKET_NOTE.sub(" ", text).strip()  # "[note: 04 + 06 same setup]", "[shoot 48fps]": the crew's notes
    text, sfx = take_sound(text)
    text, paren_camera = take_camera_notes(text)
    text, reported = reported_speech(text, lang == "zh" or bool(re.search(r"[\u3400-\u9fff]", text)))
    cam_fields: list[str] = list(paren_camera)
    notes: list[str] = bracketed
    beat = _BEAT_LABEL.match(text)
    if beat and not parse_camera(beat.group("label"), mode=CELL).found and \
            _not_a_speaker(beat.group("label") + " x", text[beat.end():]):
        notes.append(beat.group("label"))  # "HOOK:", "CTA:": the beat's name in the script, not a speaker
        text = text[beat.end():]
    description: list[str] = []
    lines: list[SpokenLine] = list(reported)
    fields = [f for f in _FIELD_SPLIT.split(text) if f and f.strip()]
    for k, field in enumerate(fields):
        f = field.strip()
        if seconds is None and _duration_field(f):
            seconds = _duration_field(f)
            continue
        lead_time = _LEAD_SECONDS.match(f) if seconds is None else None
        if lead_time:  # "— 1 sec. VO (whispered): “Orbit. Stay in.”": the duration, then the item goes on
            seconds, f = parse_seconds(lead_time.group(1)), f[lead_time.end():].strip()
        spoken = _spoken(f) if ":" in f or "：" in f or f[:1] in "(（" else []
        if spoken and (spoken[0].kind == "sfx" or _camera_part(_untimed(spoken[0].speaker or "")) is None):
            for ln in spoken:
                if ln.kind == "sfx":
                    sfx = (sfx + " " + ln.text).strip()
                else:
                    said, note = strip_parenthetical(ln.text)
                    if said:
                        lines.append(SpokenLine(strip_quotes(said), ln.kind, ln.speaker))
                    if note:
                        notes.append(note)
            continue
        if not description:
            # "CU: her hands on the wheel", "MCU 近景 缓慢推进 slow push：…": camera words before a colon.
            head, sep, tail = f.partition(":") if ":" in f else f.partition("：")
            timed = find_seconds(head) if sep and tail.strip() and seconds is None else None
            if timed and _camera_part(_untimed(head)):
                # "End frame, 3 sec: library crest…", "CU, 2s: …": the duration goes, the camera words stay
                seconds, head = timed[0], _untimed(head)
            if sep and tail.strip() and _camera_part(head):
                cam_fields.append(_camera_part(head)[0])
                f = tail.strip()
            # A loosely camera field ("Rack focus, his shoulder to skyline") is camera only when a description follows.
            cam = _camera_part(f, 0.6 if k + 1 < len(fields) else 0.8)
            if cam is not None:
                cam_fields.append(cam[0])
                if cam[1]:
                    notes.append(cam[1])
                continue
            lead = _leading_camera(f)
            if lead is not None and k == len(cam_fields):
                cam_fields.append(lead[0])
            f = _peel_camera(f, cam_fields)
        description.append(f)
    body = " — ".join(description) if len(description) > 1 else (description[0] if description else "")
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", body)[1:]:
        lead = _leading_camera(sentence.rstrip(". "))
        if lead is not None and parse_camera(lead[0], mode=CELL).movement is not None:
            cam_fields.append(lead[0])  # "…a row of dead plants. Slow pan along them."
    body, notes_inside = _speaker_notes(body)
    notes.extend(notes_inside)
    inline = spoken_line(body)
    if inline is not None:  # the whole description is a "VO: …" line
        lines.insert(0, inline)
        body = ""
    else:
        body, tagged, tagged_sfx = split_tags(body)
        for ln in tagged:
            if ln.kind == "sfx":
                sfx = (sfx + " " + ln.text).strip()
            else:
                said, note = strip_parenthetical(ln.text)
                if said:
                    lines.insert(len(lines) - len(lines), SpokenLine(strip_quotes(said), ln.kind, ln.speaker))
                if note:
                    notes.append(note)
        sfx = (sfx + " " + tagged_sfx).strip()
    said = _QUOTE_END.match(body) if not lines else None
    if said and (mentions_person(said.group("before")) or _NAMED_SUBJECT.match(said.group("before"))) and not any(
            w in said.group("before").lower() for w in _SHOWN_WORDS):
        # "Maya holds the pot up and points at the link: “Link in bio.”": the person in the picture says it
        lines.append(SpokenLine(said.group("q")[1:-1].strip(), "dialogue", ""))
        body = said.group("before")
    if not lines:
        body, quoted = _quoted_speech(body)
        lines.extend(quoted)
    cam = parse_camera(" ".join(cam_fields), lang, mode=CELL)
    prose = parse_direction(body, lang) if body else parse_camera("")
    draft = Draft(description=body.strip(" -–—,，:：").strip(), size=cam.size or prose.size,
                  angle=cam.angle or prose.angle, movement=cam.movement or prose.movement,
                  speed=cam.speed if cam.movement else prose.speed, note="; ".join(x for x in [cam.note or prose.note, *notes] if x),
                  duration=seconds, lines=lines, sfx=sfx.strip())
    return draft


def size_inferred(draft: Draft) -> bool:
    """Did the item leave the shot size open (so the planner chose one as a director would)?"""
    return draft.size is None
