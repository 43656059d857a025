"""Prose creative briefs → drafts: the story split into beats at cut cues.

Context sections (background, objective, audience, deliverables…) are never shots; the story is the "Story" /
"Script" / "创意" / "画面" section(s), or, where the brief has no such heading, the text outside context and metadata
sections. A beat starts at each paragraph or list item, at each sentence that opens with a cut cue ("Cut to",
"Then", "We end on", 接着, 切到, 回到, 最后, 随后, 画面转到…) or with a shot size ("Close-up on…", "特写："), and at a
mid-sentence cue after a comma (", then", "，接着"). "VO:"/"旁白：" lines belong to the beat they follow.
"""

from __future__ import annotations

import re

from briefreel.storyboard.blocks import Block, is_synopsis, titled_as_shots
from briefreel.storyboard.enumerations import scene_marker
from briefreel.storyboard.draft import (Draft, SpokenLine, join_wrapped, parse_spoken, reported_speech, split_tags,
                                        spoken_line)
from briefreel.storyboard.meta import Meta, Section, heading_key, read_meta
from briefreel.storyboard.shotlist import SCENE_LINE, scene_number
from briefreel.storyboard.schema import Movement
from briefreel.storyboard.vocabulary import camera_coverage, parse_camera, parse_direction, parse_size

CUES_EN = ["smash cut to", "match cut to", "cut back to", "we cut to", "cut to", "dissolve to", "fade to", "we end on",
           "we end with", "end on", "ending on", "we close on", "we finish on", "finally", "then", "next", "after that",
           "afterwards", "later", "moments later", "meanwhile", "back to", "back in", "we open on", "open on",
           "opening on", "we start on", "now", "suddenly", "at last", "in the end", "lastly", "we see", "we return to",
           "return to", "the film ends", "it ends", "inside", "outside", "back inside", "back outside", "elsewhere",
           "across town", "end card", "endcard", "end frame", "end slate", "closing card", "final shot", "last shot",
           "first shot", "opening shot", "the next morning", "that night", "hours later", "cuts to", "and then"]
CUES_ZH = ["画面转到", "画面切到", "画面切换到", "画面转向", "画面一转", "镜头转到", "镜头切到", "镜头一转", "镜头转向", "紧接着", "接着",
           "切到", "切至", "切回", "回到", "最后", "随后", "然后", "之后", "下一个镜头", "转场", "与此同时", "同时", "结尾", "片尾",
           "此时", "这时", "突然", "开场", "片头", "最终", "紧随其后", "屋内", "室内", "屋外", "室外", "门外", "另一边", "落版",
           "定版", "结尾画面", "最后一个镜头", "第一个镜头"]
MID_CUES_EN = [", then ", "; then ", " — then ", " - then ", ", cut to ", "; cut to ", " — cut to ", ", and then we see ",
               "; next, ", ", before we cut to "]
MID_CUES_ZH = ["，接着", "，然后", "，随后", "，最后", "，切到", "，切至", "，画面转到", "；接着", "；然后", "；随后", "；最后",
               "，紧接着", "，之后", "，回到"]
END_CARD_WORDS = ("end card", "endcard", "end frame", "logo", "tagline", "end line", "endline", "super:", "slate",
                  "落版", "片尾", "logo", "标语", "口号", "广告语", "品牌标志", "定版", "定帧")
PRODUCT_WORDS = ("product", "bottle", "can ", "packshot", "pack shot", "jar", "tube", "产品", "瓶身", "罐", "包装", "新品", "礼盒")
_SENTENCE_EN = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”’)]))\s+(?=[\"“(]?[A-Z0-9])")
_SENTENCE_ZH = re.compile(r"[^。！？；!?]*(?:[。！？；!?]+[”」』\"]?|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·●▪]|\d{1,2}[.)、]|[（(]\d{1,2}[)）]|[一二三四五六七八九十]+、)\s*")
_QUOTED_WHOLE = re.compile(r'^(?:"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』)[.。!！?？]?$')
_SPEAKER_LINE = re.compile(r'^([A-Z][A-Z .\'-]{1,24}|[\u4e00-\u9fff·]{1,6})\s*(?:[(（][^)）]{1,12}[)）])?\s*[:：]\s*'
                           r'(?:"[^"]+"|“[^”]+”|「[^」]+」)[.。!！?？]?$')


def story_sections(meta: Meta, blocks: list[Block] | None = None) -> list[Section | Block]:
    """The sections that tell the story, by heading (a synopsis or rationale is not the story); else the shot
    material of untitled text and of blocks titled as scenes ("Key scenes:"), without front matter or invoice
    lines (``storyboard.blocks``)."""
    if blocks is not None:  # the story's blocks: a VO script or notes under their own heading inside it are not
        story = [b for b in blocks if b.key == "story" and b.role == "shots" and b.text and not is_synopsis(b.title)]
        if story:
            return story
    story = [s for s in meta.sections if s.key == "story" and s.text and not is_synopsis(s.title)]
    if story:
        return story
    if blocks is not None:
        material = [b for b in blocks if b.role == "shots" and b.text and (b.key == "" or titled_as_shots(b))]
        if material:
            return material
    return [s for s in meta.sections if s.key in ("", "vo") and s.text and s.key != "vo"]


_ABOUT_EN = re.compile(r"\b(?:this|the|our) (?:film|spot|ad|commercial|piece|video|campaign)\b|\bshould (?:feel|be|look|"
                       r"sound)\b|\bfeels? like\b|\bthe tone\b|\bwe want\b|^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)? is an? "
                       r"(?:[\w-]+ ){0,3}(?:who|that)\b", re.I)
_ABOUT_ZH = re.compile(r"本片|这支(?:片|广告|视频|短片)|整支片|整体(?:调性|风格|基调|感觉)|希望(?:观众|这支|本片)|基调|调性|风格上|"
                       r"^[\u4e00-\u9fff·]{2,4}是一(?:个|位|名)")


def _about_the_film(sentence: str, zh: bool) -> bool:
    """A sentence about the film or a character, not a picture: "This film is the evening she…", "It should feel
    like exhaling", "Nadia is a consultant who…", "本片的基调是温暖", "林岚是一名向导"."""
    return bool((_ABOUT_ZH if zh else _ABOUT_EN).search(sentence.strip()))


_CAMERA_VERB = re.compile(r"^(?:follows|tracks|pans|tilts|pushes|pulls|cranes|dollies|trucks|arcs|circles|orbits|"
                          r"drifts|whips|zooms|rises|booms)\b", re.I)


_SCENE_LEAD = re.compile(r"^\s*[【\[(（]?\s*(?:(?:scene|sc\.?)\s*\d{1,3}|场景\s*[一二三四五六七八九十\d]{1,3}|"
                         r"第\s*[一二三四五六七八九十\d]{1,3}\s*场)\s*[】\])）]?\s*[:：.\-–—]?\s*", re.I)


def _place_only(text: str, zh: bool) -> bool:
    """ "稻田·清晨。", "Kitchen, night.": a scene's place and time, no picture of its own."""
    s = text.strip(" .。!！")
    if not s or parse_direction(s, "zh" if zh else "en").found:
        return not s
    if zh:
        return len(re.sub(r"[^\u3400-\u9fff]", "", s)) <= 8 and "，" not in s
    return len(s.split()) <= 4


def _title_only(line: str) -> bool:
    """ "Notes", "Production notes": a short line with no sentence in it."""
    s = line.strip()
    return 0 < len(s.split()) <= 3 and len(s) <= 30 and not re.search(r"[.!?,;:。！？，；：\"“”]", s) and s[:1].isupper()


# "A conductor checks her ticket…": a sentence whose subject is someone or something new, doing something.
_NEW_SUBJECT_EN = re.compile(r"^(?:A|An)\s+(?:[a-z-]+\s+){0,2}?[a-z-]+\s+(?!is\b|was\b|has\b)[a-z]+(?<!s)s\b")


def _new_subject(sentence: str, zh: bool) -> bool:
    return not zh and bool(_NEW_SUBJECT_EN.match(sentence.strip()))


def _starts_with_cue(sentence: str, zh: bool) -> str | None:
    s = sentence.lstrip(" \"“'‘(（—–-")
    low = s.lower()
    for cue in (CUES_ZH if zh else CUES_EN):
        if low.startswith(cue):
            after = low[len(cue):len(cue) + 1]
            if zh or not after or not after.isalpha():
                return cue
    return None


def _starts_with_camera(sentence: str, zh: bool) -> bool:
    """ "Quick whip pan to the barbell.", "Slow push in on…", "俯拍：…": a sentence led by a camera direction."""
    s = sentence.strip()
    if not zh:  # "We drift around her…", "The camera cranes up…": the camera as the subject
        s = re.sub(r"^(?:we|the camera|camera|now we|now the camera)\s+", "", s, flags=re.I)
    head = re.split(r"[:：，,]", s, maxsplit=1)[0][:8] if zh else " ".join(s.split()[:3])
    return bool(head) and parse_camera(head, mode="cell").movement is not None and camera_coverage(head) >= 0.6


_BACK_REF = re.compile(r"\b(?:her|his|their|its|him|them|it)\b", re.I)  # "Close on her hand…": the same subject
_CAMERA_BACK_REF = re.compile(r"^(?:we|the camera)\s+(?:\w+\s+){1,4}(?:it|her|him|them|us)[.!]?$", re.I)


def _unframed_fragment(beat: str, zh: bool) -> bool:
    """A beat of one short sentence with no camera words ("She pulls open the spice drawer.", "The beat drops."):
    the framing sentence after it shows that same moment rather than cutting to another."""
    if zh or parse_direction(beat).found or _SENTENCE_EN.search(beat.strip()):
        return False
    return len(beat.split()) <= 7


def _starts_with_size(sentence: str) -> bool:
    head = re.sub(r"^(?:in|on)\s+(?=(?:a|an)\s)", "", sentence.strip(), flags=re.I)[:24]  # "In a close-up, she…"
    if not head:
        return False
    size = parse_size(head, "prose")
    if size is None:
        return False
    low = head.lower()
    return any(low.startswith(w) for w in ("close", "extreme", "wide", "medium", "full", "long", "establishing", "insert",
                                           "pov", "over", "cu", "ecu", "mcu", "ws", "ms", "ls", "a close", "a wide",
                                           "an extreme", "a medium", "aerial", "特写", "大特写", "近景", "中景", "全景",
                                           "远景", "大远景", "中近景", "空镜"))


# ", and then follows her", "; then, in a close-up", ", cuts to a wide of…": a clause that moves to the next picture.
_MID_EN = re.compile(r"(?:[,;]|\s[—–-])\s+(?=(?:and\s+)?(?:then|cuts?\s+to|we\s+cut\s+to)\b)", re.I)
# A clause led by a framing of its own ("…, a wide as the bus pulls away", "…; a close-up of her hands"). A clause that
# only says how the same picture is shot ("…, the drone tracking the car", "…; the camera is handheld") is not one.
_CAMERA_CLAUSE_EN = re.compile(r"(?:[,;]|\s[—–-])\s+(?=(?:and\s+)?(?:a|an)\s+(?:wide|close-up|closeup|medium shot|"
                               r"medium close-up|extreme close-up|extreme wide|insert|top shot|overhead shot)\b)", re.I)


def _split_mid(sentence: str, zh: bool) -> list[str]:
    """Split a sentence at mid-sentence cues (", then", "，接着"); the cue word stays with the second part. In
    English a clause led by a framing of its own ("…, a wide as the bus pulls away") is a picture of its own when
    the part before it is one already and framed otherwise."""
    if not zh:
        out = []
        for part in _MID_EN.split(sentence):
            pieces = _CAMERA_CLAUSE_EN.split(part)
            merged = [pieces[0]]
            for piece in pieces[1:]:
                before, after = parse_direction(merged[-1]).size, parse_direction(piece).size
                if len(merged[-1].split()) >= 4 and before != after:
                    merged.append(piece)
                else:
                    merged[-1] = merged[-1] + ", " + piece
            out.extend(p.strip() for p in merged)
        parts = [p[:-1] if p.endswith((",", ";")) else p for p in out if p]
        if len(parts) > 1:
            parts = [p if p.endswith((".", "!", "?", "…", "\"", "”")) else p + "." for p in parts[:-1]] + parts[-1:]
        return [q for p in parts for q in _split_fixed(p, zh)]
    return _split_fixed(sentence, zh)


def _split_fixed(sentence: str, zh: bool) -> list[str]:
    parts = [sentence]
    for cue in (MID_CUES_ZH if zh else MID_CUES_EN):
        nxt = []
        for p in parts:
            low = p.lower()
            i = low.find(cue)
            while i > 0:
                nxt.append(p[:i].rstrip(" ,;—-，；") + ("" if zh else "."))
                p = p[i:].lstrip(" ,;—-，；")
                low = p.lower()
                i = low.find(cue, 1)
            nxt.append(p)
        parts = nxt
    return [p for p in parts if p.strip()]


def _sentences(paragraph: str, zh: bool) -> list[str]:
    pieces = _SENTENCE_ZH.findall(paragraph) if zh else _SENTENCE_EN.split(paragraph)
    out = []
    for s in pieces:
        s = s.strip()
        if s:
            out.extend(_split_mid(s, zh))
    return out


def _clean(beat: str, zh: bool) -> str:
    """The beat's description without its leading cut cue."""
    text = beat.strip()
    cue = _starts_with_cue(text, zh)
    if cue and cue not in ("we see", "we open on", "open on", "we start on", "开场", "片头", "inside", "outside",
                           "end card", "endcard", "end frame", "end slate", "closing card", "落版", "定版", "结尾画面",
                           "屋内", "室内", "屋外", "室外", "门外", "final shot", "last shot", "first shot", "opening shot"):
        rest = text.lstrip(" \"“'‘(（—–-")[len(cue):].lstrip(" ,:：，、—–-")
        if rest:
            text = rest[0].upper() + rest[1:] if not zh else rest
    return text.strip()


def _paragraphs(section: Section) -> list[tuple[list[str], bool]]:
    """(lines, is_list_item) blocks: blank lines and list items separate them."""
    blocks: list[tuple[list[str], bool]] = []
    current: list[str] = []
    is_item = False
    for line in section.lines:
        if not line.strip():
            if current:
                blocks.append((current, is_item))
            current, is_item = [], False
            continue
        stripped = line.strip()
        if SCENE_LINE.match(stripped) and len(stripped) <= 60:
            if current:
                blocks.append((current, is_item))
            blocks.append(([stripped], "scene"))
            current, is_item = [], False
            continue
        if _spoken_alone(stripped):
            if current:
                blocks.append((current, is_item))
            blocks.append(([stripped], "spoken"))
            current, is_item = [], False
            continue
        if _LIST_ITEM.match(line):
            if current:
                blocks.append((current, is_item))
            current, is_item = [_LIST_ITEM.sub("", line, count=1)], True
            continue
        current.append(line)
    if current:
        blocks.append((current, is_item))
    return blocks


def _spoken_alone(line: str) -> bool:
    """A whole line that is a line of dialogue or VO: 'MIA: "Double espresso."', '旁白：“……”', 'VO: Ride on.'."""
    tagged = spoken_line(line)
    if tagged:
        body = line.split(":", 1)[-1] if ":" in line.split("：", 1)[0] else line.split("：", 1)[-1]
        body = body.strip()
        return not body[:1] in "\"“「『" or _QUOTED_WHOLE.match(body) is not None
    m = _SPEAKER_LINE.match(line)
    return bool(m) and not camera_coverage(m.group(1)) >= 0.6


def _role(text: str, index: int, count: int, meta: Meta, cue: str | None) -> str:
    low = text.lower()
    if any(w in low for w in ("end card", "endcard", "end frame", "落版", "定版", "标版", "片尾")) or (
            index == count - 1 and any(w in low for w in END_CARD_WORDS)):
        return "endcard"
    if index == 0:
        return "establishing"
    names = [n.lower() for n, _ in meta.products]
    if any(n and n in low for n in names) or any(w in low for w in PRODUCT_WORDS):
        return "product"
    return "action"


def _merge_camera_only(beats: list, lang: str) -> list:
    """A beat that is only a camera direction ("接着甩镜头", "Whip pan.") is how the next beat begins: a transition."""
    out: list = []
    carry = ""
    for k, (text, lines, cue, page, scene) in enumerate(beats):
        body = _clean(text, lang == "zh")
        if len(body) <= 24 and camera_coverage(body) >= 0.6 and not lines and (out or k + 1 < len(beats)):
            carry = body  # (a brief of that one beat keeps it: "Close-up of a radish.")
            continue
        out.append((text, lines, cue, page, scene, carry))
        carry = ""
    if carry and out:
        out[-1] = out[-1][:5] + ((out[-1][5] + " " + carry).strip(),)
    return out


def read_prose(brief, meta: Meta | None = None, blocks: list[Block] | None = None) -> list[Draft]:
    """Beats of the brief's story as drafts (empty when the brief has no story text)."""
    meta = meta or read_meta(brief)
    zh = meta.language == "zh"
    beats: list[tuple[str, list[SpokenLine], str | None, int | None]] = []  # (text, lines, cue, page)
    scenes: list[int] = []  # the scene of each beat ("Scene 2: Street" lines)
    scene = 1
    pending: list[SpokenLine] = []
    for section in story_sections(meta, blocks):
        paragraphs = _paragraphs(section)
        for at, (lines, kind) in enumerate(paragraphs):
            first = lines[0].strip()
            if at == len(paragraphs) - 1 and len(lines) == 1 and _title_only(first):
                continue  # "Notes" closing the story: the heading of the section after it
            if kind is not True and not any(parse_direction(x, meta.language).found for x in lines) and all(
                    _about_the_film(x, zh) for x in _sentences(join_wrapped("\n".join(lines)), zh)):
                continue  # "Nadia is a consultant who lives in airports. It should feel like exhaling." — not a picture
            if kind == "scene":
                m = SCENE_LINE.match(first)
                n = scene_number(m)
                scene = n if n else scene + (1 if beats else 0)
                continue
            if kind == "spoken":
                spoken = spoken_line(first)
                said = [spoken] if spoken else parse_spoken(first, "dialogue")
                (beats[-1][1] if beats else pending).extend(ln for ln in said if ln.kind != "sfx")
                continue
            if heading_key(first) and len(lines) == 1:
                continue
            paragraph = join_wrapped("\n".join(lines))
            new_block = True
            for sentence in _sentences(paragraph, zh):
                n = scene_marker(sentence)
                if n:  # "【场景三】灶屋。", "[Scene 2] Kitchen, night.": the scene's heading, not a picture
                    scene, sentence = n, _SCENE_LEAD.sub("", sentence, count=1).strip()
                    new_block = True
                    if _place_only(sentence, zh):
                        continue
                cue = _starts_with_cue(sentence, zh)
                framed = _starts_with_size(sentence) or _starts_with_camera(sentence, zh)
                if framed and not new_block and not cue and (
                        _unframed_fragment(beats[-1][0], zh) and _BACK_REF.search(" ".join(sentence.split()[:6])) or
                        _CAMERA_BACK_REF.match(sentence)):
                    # "She pulls open the drawer. Close on her hand…", "…its panes glowing. We drift slowly toward
                    # it.": how that same beat is shown, not a cut
                    framed = False
                if new_block or cue or framed or _new_subject(sentence, zh):
                    beats.append((sentence, [], cue, section.page))
                    scenes.append(scene)
                    new_block = False
                else:
                    text, lines_, cue0, page = beats[-1]
                    beats[-1] = (text + ("" if zh else " ") + sentence, lines_, cue0, page)
    beats = [b + (scenes[k],) for k, b in enumerate(beats)]
    beats = _merge_camera_only(beats, meta.language)
    drafts: list[Draft] = []
    for i, (text, lines, cue, page, scene, lead_in) in enumerate(beats):
        description, tagged, sfx = split_tags(text)
        description, reported = reported_speech(description, zh)
        tagged = tagged + reported
        description = _clean(description, zh)
        if not description:
            if drafts:
                drafts[-1].lines.extend(tagged + lines)
            else:
                pending.extend(tagged + lines)
            continue
        cam = parse_direction(description, meta.language)
        if not zh and cam.movement is None and _CAMERA_VERB.match(description):
            # "…, and then follows her down the escalators": the clause's subject is the camera of the sentence
            cam = parse_direction("The camera " + description[0].lower() + description[1:], meta.language)
        draft = Draft(description=description, size=cam.size, angle=cam.angle, movement=cam.movement,
                      speed=cam.speed, note=cam.note, lines=tagged + lines, sfx=sfx, page=page, scene=scene)
        if lead_in:
            into = parse_camera(lead_in, meta.language, mode="cell")
            if into.movement == Movement.whip_pan or "甩" in lead_in or "whip" in lead_in.lower():
                draft.transition = "whip_pan"
            if draft.movement is None:
                draft.movement, draft.speed = into.movement, into.speed
            elif into.movement and into.movement != draft.movement:
                draft.note = (draft.note + "; " if draft.note else "") + lead_in
        draft.role = _role(description, i, len(beats), meta, cue)
        if any(ln.kind == "dialogue" for ln in draft.lines) and draft.role == "action":
            draft.role = "dialogue"
        drafts.append(draft)
    if drafts and pending:
        drafts[0].lines[:0] = pending
    return drafts
