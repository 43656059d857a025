"""The planner's working shape: a shot as the brief states it, before defaults, durations, ids and prompts.

Each format reader (shot_table, shotlist, screenplay, prose) turns a brief into a list of :class:`Draft`; the rules
planner (``storyboard/rules.py``) then fills what the brief left open and builds the :class:`~storyboard.schema.Shot`.

Below the dataclasses are the text helpers every reader (and ``meta``) shares, so that the readers import this
module and never each other: wrapped text joined, shot numbers, spoken lines ("VO: …", "ANNA: …"), tags inside a
description (:func:`split_tags`) and scene headings (:func:`is_heading`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.storyboard.schema import Angle, Movement, ShotSize
from briefreel.text import is_cjk


@dataclass
class SpokenLine:
    """One line heard or shown: dialogue (a character on screen), voice-over, or a super (on-screen text)."""

    text: str
    kind: str = "vo"  # "dialogue" | "vo" | "super" (readers also use "sfx" for sound cues, which are not lines)
    speaker: str = ""


@dataclass
class Draft:
    description: str
    number: str | None = None  # the brief's own shot number ("3", "12A"); None where it has none
    scene: int = 1
    heading: str = ""  # scene heading or location ("EXT. HARBOUR - DAWN")
    size: ShotSize | None = None
    angle: Angle | None = None
    movement: Movement | None = None
    speed: str | None = None
    note: str = ""
    duration: float | None = None  # explicit seconds from the brief: kept exactly
    lines: list[SpokenLine] = field(default_factory=list)
    on_screen_text: str = ""
    sfx: str = ""
    transition: str = "cut"
    page: int | None = None
    role: str = ""  # "establishing" | "product" | "endcard" | "dialogue" | "action" | ""
    characters: list[str] = field(default_factory=list)  # names (bible ids are given later)
    size_inferred: bool = False  # the brief listed the shot without a size; the planner chose one

    @property
    def dialogue(self) -> str:
        return " ".join(ln.text for ln in self.lines if ln.kind != "super")


# -- small text helpers the format readers share ---------------------------------------------------------------------

def join_wrapped(text: str) -> str:
    """Cell or paragraph text with its line wraps undone: no space between Chinese characters, one elsewhere."""
    parts = [p.strip() for p in text.replace("\r", "").split("\n")]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        if out.endswith("-") and not out.endswith(" -") and p[:1].islower():
            out = out[:-1] + p
        elif is_cjk(out[-1]) or is_cjk(p[0]):
            out += p
        else:
            out += " " + p
    return out


def shot_number(text: str) -> str | None:
    """The shot number in a number cell or prefix: "3", "03", "S03", "Shot 3", "镜头3", "12A" → "3"/"12A"."""
    text = text.strip()
    digits_at = None
    for i, ch in enumerate(text):
        if ch.isdigit():
            digits_at = i
            break
    if digits_at is None or digits_at > 8:
        return None
    j = digits_at
    while j < len(text) and text[j].isdigit():
        j += 1
    number = str(int(text[digits_at:j]))
    if j < len(text) and text[j].isascii() and text[j].isalpha() and (j + 1 == len(text) or not text[j + 1].isalpha()):
        number += text[j].upper()
    return number


_SPEAKER_MAX = 24
VO_SPEAKERS = {"vo", "v.o.", "v/o", "voiceover", "voice-over", "voice over", "narrator", "narration", "旁白", "画外音",
               "配音", "解说", "口播", "男声", "女声", "男声旁白", "女声旁白"}
SFX_SPEAKERS = {"sfx", "fx", "sound", "sounds", "music", "mx", "atmos", "ambience", "音效", "音乐", "配乐", "声音", "效果",
                "环境音", "音响"}
SUPER_SPEAKERS = {"super", "supers", "on-screen text", "on-screen", "ost", "title card", "caption", "text", "字幕",
                  "屏幕文字", "标题字幕", "文案字幕"}


def strip_quotes(text: str) -> str:
    text = text.strip()
    pairs = [('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"), ("'", "'"), ("‘", "’")]
    for a, b in pairs:
        if len(text) >= 2 and text.startswith(a) and text.endswith(b):
            return text[1:-1].strip()
    return text


_QUOTES = (('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"))


def _quoted(body: str) -> tuple[str, str]:
    """(the quotation, what follows it) when ``body`` opens with a quote; else (body without quotes, "")."""
    body = body.strip()
    for a, b in _QUOTES:
        if body.startswith(a):
            end = body.find(b, 1)
            if end > 0:
                return body[1:end].strip(), body[end + 1:].strip(" .。,，;；")
    return strip_quotes(body), ""


_NOT_NAMES = {"the", "a", "an", "this", "that", "these", "our", "their", "his", "her", "its", "we", "in", "on", "at"}


def _speaker_like(head: str) -> bool:
    """Can ``head`` be who speaks? "ANNA", "Mum", "小美", "VO" yes; "The skyline", "In the lobby" no (a label
    that introduces a picture, not a line)."""
    if not head.isascii() or head.isupper():
        return True
    first = head.split()[0].lower() if head.split() else ""
    return first not in _NOT_NAMES


def parse_spoken(text: str, default_kind: str = "vo") -> list[SpokenLine]:
    """Lines of a dialogue/VO cell: "VO: …", "旁白：…", "ANNA: …", "小美：“…”", or plain text (``default_kind``).
    Sound cues ("SFX: gulls", "(room tone)") come back with kind "sfx"."""
    out: list[SpokenLine] = []
    for raw in text.replace("\r", "").split("\n"):
        raw = raw.strip()
        if not raw:
            continue
        bare = raw.lstrip(")）")
        if bare[:1] in "(（" and bare[-1:] in ")）":  # "(room tone)", "（音效：开瓶声）": heard, not said
            inner = bare[1:-1].strip()
            head, _, cue = inner.replace("：", ":").partition(":")
            out.append(SpokenLine(cue.strip() if cue and head.strip().lower() in SFX_SPEAKERS else inner, "sfx", ""))
            continue
        speaker, body = "", raw
        found = [i for i in (raw.find(":"), raw.find("：")) if i > 0]
        i = min(found) if found else -1  # the first colon: "字幕：7:58，要迟到了！" is a super, not "字幕：7" speaking
        if 0 < i <= _SPEAKER_MAX:
            head = raw[:i].strip()
            paren = ""
            for a, b in (("(", ")"), ("（", "）")):
                if a in head and head.endswith(b):
                    head, paren = head[:head.index(a)].strip(), head[head.index(a):]
            if head and not any(p in head for p in "。，.!?！？\"“”") and _speaker_like(head):
                speaker, body = head, raw[i + 1:].strip()
                if "V.O" in paren.upper() or "画外" in paren:
                    speaker = speaker + " (V.O.)"
        low = speaker.lower().replace(" (v.o.)", "")
        if low in SFX_SPEAKERS:
            out.append(SpokenLine(body.strip(), "sfx", ""))  # "SFX: gulls", "(room tone)": heard, not said
            continue
        body, rest = _quoted(body)
        if rest:
            out.append(SpokenLine(rest, "sfx", ""))  # 'VO: "Made for first light." Music in.'
        if not body:
            continue
        if not speaker:
            if out and out[-1].kind == default_kind and not out[-1].speaker:
                out[-1].text = join_wrapped(out[-1].text + "\n" + body)  # a wrapped line, not a new one
            else:
                out.append(SpokenLine(body, default_kind, ""))
        elif low in VO_SPEAKERS:
            out.append(SpokenLine(body, "vo", "VO" if low in ("vo", "v.o.", "v/o") else speaker))
        elif low in SUPER_SPEAKERS:
            out.append(SpokenLine(body, "super", ""))
        elif speaker.endswith("(V.O.)"):
            out.append(SpokenLine(body, "vo", speaker[:-7].strip()))
        else:
            out.append(SpokenLine(body, "dialogue", speaker))
    return out


_VO_PREFIX = re.compile(
    r"^\s*(?P<tag>VO|V\.O\.|V/O|Voice-?over|Voice over|Narrator|NARRATOR|Narration|SUPER|Super|On-screen text|"
    r"On-screen|OST|Title card|Caption|旁白|画外音|配音|解说|字幕|口播|屏幕文字|标题字幕)\s*(?:[（(][^)）]{0,12}[)）])?"
    r"\s*[:：]\s*(?P<text>.+)$", re.I)
_SUPER_TAGS = ("super", "on-screen text", "on-screen", "ost", "title card", "caption", "字幕", "屏幕文字", "标题字幕")


def spoken_line(line: str) -> SpokenLine | None:
    """ "VO: …", "旁白：…", "SUPER: …" as a SpokenLine; None for other lines."""
    m = _VO_PREFIX.match(line)
    if not m:
        return None
    tag = m.group("tag").lower()
    kind = "super" if tag in _SUPER_TAGS else "vo"
    return SpokenLine(strip_quotes(m.group("text")), kind, "" if kind == "super" else "VO")


# -- descriptions with spoken lines inside them, and scene headings -------------------------------------------------

_TAG_INSIDE = re.compile(
    r"(?:^|(?<=[\s.。;；|｜!?！？，,、)）]))(?P<tag>VO|V\.O\.|Voice-?over|SUPER|Super|OST|On-screen text|Dialogue|SFX|Sound|"
    r"旁白|画外音|配音|字幕|台词|对白|音效)\s*[:：]", re.I)
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』')
# A character's line inside a description: an upper-case (or short Chinese) name, a colon, then a quote.
_SPEAKER_INSIDE = re.compile(r"(?:^|(?<=[\s.。!?！？”\"]))(?P<name>[A-Z][A-Z'\-]{1,20}(?: [A-Z][A-Z'\-]{1,20})?|"
                             r"[\u4e00-\u9fff]{2,4})\s*(?P<ext>[(（]\s*(?:V\.?\s?O\.?|O\.?\s?S\.?|O\.?\s?C\.?|"
                             r"CONT['’]?D|画外音?|旁白)\s*[)）])?\s*[:：]\s*(?=[\"“「])")


def split_tags(text: str) -> tuple[str, list[SpokenLine], str]:
    """(description, spoken lines, sfx) from "Description. VO: "…" SUPER: …"."""
    tags = list(_TAG_INSIDE.finditer(text))
    starts = {m.start() for m in tags}
    speakers = [m for m in _SPEAKER_INSIDE.finditer(text) if m.start() not in starts and
                m.group("name").lower() not in VO_SPEAKERS | SUPER_SPEAKERS | SFX_SPEAKERS]
    matches = sorted(tags + speakers, key=lambda m: m.start())
    if not matches:
        return text, [], ""
    description = text[:matches[0].start()].strip().rstrip("，,、；;:：").strip()
    lines: list[SpokenLine] = []
    sfx = ""
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        body = text[m.end():end].strip()
        quoted = _QUOTED.match(body)
        if quoted:  # 'VO: "Hello." She smiles.': the quote is the line, what follows is picture again
            after = body[quoted.end():].strip()
            body = quoted.group()
            if after and not _TAG_INSIDE.match(after):
                description = (description + " " + after).strip()
        if "name" in m.groupdict() and m.group("name"):  # 'NINA: "Who's a good boy?"', 'MAREN (V.O.): "…"'
            ext = (m.group("ext") or "").upper()
            kind = "vo" if "V" in ext or "画外" in ext or "旁白" in ext else "dialogue"
            lines.extend(SpokenLine(ln.text, kind, m.group("name").strip()) for ln in parse_spoken(body, "dialogue")
                         if ln.kind != "sfx")
            continue
        tag = m.group("tag").lower()
        if tag in ("sfx", "sound", "音效"):
            sfx = body
            continue
        kind = "super" if tag in ("super", "ost", "on-screen text", "字幕") else (
            "dialogue" if tag in ("dialogue", "台词", "对白") else "vo")
        parsed = parse_spoken(body, kind)
        lines.extend(parsed)
    return description, lines, sfx


_SPEECH_EN = re.compile(r"(?P<who>(?:\b[\w.'’-]+\s+){0,3}?)(?P<verb>says|said|asks|asked|whispers|whispered|replies|replied|"
                        r"answers|smiles|grins|laughs|calls out|calls|shouts|adds|tells (?:her|him|them|us)|[Tt]o camera)\s*[:,]\s*"
                        r"(?P<q>“[^”]{2,200}”|\"[^\"]{2,200}\")[.]?")
_SPEECH_ZH = re.compile(r"(?P<who>[^，。；！？\s]{0,8}?)(?P<verb>说|问|喊|笑道|答道|回答|低声说|轻声说|喊道|说道)\s*[：:]\s*"
                        r"(?P<q>“[^”]{1,120}”|「[^」]{1,120}」)")
_NARRATOR = ("vo", "v.o.", "voice-over", "voiceover", "voice over", "narrator", "旁白", "画外音")


def reported_speech(text: str, zh: bool) -> tuple[str, list[SpokenLine]]:
    """Quoted speech after a speaking verb inside a beat ("A conductor smiles: “Sleep well.”", "as the VO says: “…”",
    "她笑着说：“到了！”") → the line (VO where the narrator speaks, else dialogue) and the beat without the quote."""
    lines: list[SpokenLine] = []

    def take(m: re.Match) -> str:
        who = m.group("who").lower()
        kind = "vo" if any(n in who for n in _NARRATOR) else "dialogue"
        lines.append(SpokenLine(m.group("q")[1:-1].strip(), kind, "VO" if kind == "vo" else ""))
        return m.group("who") + m.group("verb")

    text = (_SPEECH_ZH if zh else _SPEECH_EN).sub(take, text)
    return re.sub(r"\s+([.,;。，])", r"\1", text).strip(), lines


_HEADING = re.compile(
    r"^\s*(?:#?\d+[A-Z]?\s*[.)]?\s+)?(?:INT\./EXT|INT/EXT|EXT\./INT|I/E|INT|EXT|EST)[.\s/]|"
    r"^\s*(?:\d+[.、\s]*)?(?:内景|外景|内/外景|外/内景|日/内|日/外|夜/内|夜/外)|^\s*(?:第\s*[一二三四五六七八九十百\d]+\s*场|场景\s*[一二三四五六七八九十\d]+)|"
    r"^\s*场\s*[一二三四五六七八九十百\d]+[\s　]+(?:日|夜|晨|昏|黄昏|傍晚|清晨|早|晚|内|外)(?:[\s　/]|$)",
    re.I)


def is_heading(line: str) -> bool:
    s = line.strip()
    if s.startswith(".") and len(s) > 1 and s[1] not in ". ":
        return True
    return bool(_HEADING.match(s))
