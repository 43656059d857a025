"""A brief cut into blocks, each with a role, before any shot is made.

    blocks = segment(brief)                 # [Block(role, title, lines, page), ...]
    [b.title for b in blocks if b.role == "shots"]

Roles: ``front`` (title, client, agency, prepared by, date, version), ``synopsis`` (synopsis, rationale, strategy,
故事梗概, 创意阐述), ``specs`` (length, aspect, resolution, deliverables, mandatories, legal supers, style and tone),
``voiceover`` (a VO / 旁白 / dialogue script), ``sound`` (music and SFX notes), ``cast`` (characters, product,
places: they feed the bible), ``context`` (background, objective, audience…), ``ledger`` (prices, totals, invoice
lines: never pictures) and ``shots``: the shot material. Only shot material becomes shots; the rest feeds
metadata, dialogue and prompts.

The cut starts from the brief's known headings (``storyboard.meta.split_sections``); inside each section a short
line that reads as a heading but names nothing known ("Key scenes:", "Shot list", "【关键画面】") opens a block whose
role its words or its content decide, and front-matter and ledger lines are taken out of untitled text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.storyboard.draft import parse_spoken, spoken_line
from briefreel.storyboard.durations import time_span
from briefreel.storyboard.enumerations import line_marker, scene_marker
from briefreel.storyboard.meta import heading_key, split_sections
from briefreel.storyboard.vocabulary import CELL, parse_camera, parse_direction

ROLES = ("front", "synopsis", "specs", "voiceover", "sound", "cast", "context", "ledger", "shots")

SYNOPSIS_WORDS = ("synopsis", "logline", "rationale", "strategy", "creative rationale", "creative strategy",
                  "summary", "the thinking", "our thinking", "why it works", "insight", "proposition",
                  "the thought", "the world", "故事梗概", "剧情梗概", "梗概", "创意阐述", "创意说明", "创意策略", "策略", "创意理念", "核心创意", "创意核心", "创意概念", "核心概念", "一句话故事")
SHOT_WORDS = ("shot", "shots", "shot list", "shotlist", "scenes", "key scenes", "scene breakdown", "beats", "key beats",
              "moments", "key moments", "running order", "key frames", "keyframes", "sequence", "visuals", "storyboard", "storyboards",
              "boards", "frames", "the film",
              "film", "story", "script", "treatment", "镜头", "分镜", "分镜头", "镜头列表", "场景", "关键场景", "关键画面",
              "画面", "画面描述", "故事板", "脚本", "分镜脚本", "镜头脚本")
SPEC_WORDS = ("deliverables", "deliverable", "specs", "spec", "specifications", "format", "formats", "technical",
              "legal", "supers", "legal supers", "mandatories", "do / don't", "do/don't", "dos and don'ts",
              "do's and don'ts", "guidelines", "rules", "交付", "交付物", "规格", "技术要求", "法务", "法律字幕", "必要", "必须", "要求", "注意事项")
FRONT_LABELS = ("prepared by", "prepared for", "written by", "author", "client", "agency", "date", "version", "job",
                "job no", "job number", "project no", "project number", "ref", "reference no", "contact", "producer",
                "account", "account director", "creative director", "cd", "art director", "copywriter", "status",
                "draft", "revision", "brand", "product", "campaign", "title", "project",
                "撰写", "撰写人", "提案人", "提案", "客户", "代理", "代理商", "日期", "版本", "编号", "项目编号", "联系人",
                "出品", "制作", "制作方", "创意总监", "文案", "品牌", "项目", "项目名称", "标题", "状态")
_KEY_ROLE = {"story": "shots", "context": "context", "vo": "voiceover", "music": "sound", "mandatories": "specs",
             "length": "specs", "aspect": "specs", "style": "specs", "tone": "specs", "tagline": "specs",
             "title": "front", "cast": "cast", "product": "cast", "place": "cast", "": ""}
_MONEY = re.compile(r"(?:[$€£¥￥]\s?\d|\d[\d,]*\.\d{2}\b|\d\s?(?:usd|eur|gbp|rmb|cny|元)\b|\b(?:usd|eur|gbp|rmb|cny)\s?\d)",
                    re.I)
_LEDGER_WORDS = re.compile(r"\b(?:invoice|receipt|subtotal|sub-total|total due|amount due|balance due|total|vat|tax|"
                           r"qty|quantity|unit price|iban|swift|bic|account no|account number|sort code|routing number|payment terms|"
                           r"payment due|due within|due date|bill to|remit|hrs @|hours @)\b|"
                           r"发票|金额|合计|总计|税额|税率|单价|数量|开户行|账号|付款|应付", re.I)
_VERSION = re.compile(r"^(?:v(?:ersion)?\s*\d+(?:\.\d+)*|draft\s*\d*|rev(?:ision)?\.?\s*\d+|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
                      r"\d{1,2}\s+\w+\s+\d{4}|第?\d+版|v\d+)$", re.I)


_RATIO = re.compile(r"^\d{1,2}\s*[:：]\s*\d{1,2}$")
_LENGTH_WORDS = re.compile(r"\b\d+[- ]?(?:second|sec)\b|\d+\s*[\"”″]|\d+秒", re.I)


@dataclass
class Block:
    role: str
    title: str = ""
    lines: list[str] = field(default_factory=list)
    page: int | None = None
    key: str = ""  # the storyboard.meta section key it came from
    loose: bool = False  # opened by a heading storyboard.meta does not know ("Key scenes:", "The world")

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


def _words_in(title: str, words: tuple[str, ...]) -> bool:
    low = title.lower().strip(" :：【】[]#*").replace("’", "'")
    if low in words:
        return True
    tokens = re.findall(r"[a-z']+", low)
    joined = " ".join(tokens)
    return any((w.isascii() and re.search(r"\b" + re.escape(w) + r"\b", joined)) or (not w.isascii() and w in low)
               for w in words)


def front_matter_line(line: str) -> bool:
    """ "Prepared by: Jo Lee", "Client: VELO", "Date: 3 March 2026", "v3", "版本：第二版" — who and when, not what."""
    s = line.strip().strip("*#")
    if not s:
        return False
    if _VERSION.match(s):
        return True
    label, sep, value = s.partition(":") if ":" in s[:40] else s.partition("：")
    if sep and 0 < len(label) <= 30:
        return label.strip().lower() in FRONT_LABELS
    fields = [f.strip() for f in re.split(r"\s+[·•]\s+", s)]
    if len(fields) >= 3 and len(s) <= 160 and any(_RATIO.search(f) for f in fields) and \
            any(_LENGTH_WORDS.search(f) for f in fields) and line_marker(s) is None:
        return True  # "Music video treatment · 40-second teaser edit · 16:9 · director …": the document's specs line
    low = s.lower()
    return low.startswith(("prepared by", "prepared for", "written by", "by ")) and len(s) <= 80 or \
        low.startswith(("©", "(c) ", "confidential")) and len(s) <= 100


_SPEC_VALUE = re.compile(r"^\W*(?:\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds|秒|\"|″)|:\d{2}|\d{1,2}\s*[:：]\s*\d{1,2})(?![A-Za-z0-9])", re.I)


def spec_value(line: str) -> bool:
    """ "25 seconds, 16:9, online pre-roll", ":30", "9:16 竖屏": a value of the film's specs, not a picture."""
    return bool(_SPEC_VALUE.match(line.strip())) and len(line.strip()) <= 60


def ledger_line(line: str) -> bool:
    """A price, a total or an invoice label: a line of an invoice, never a picture."""
    return bool(_MONEY.search(line)) or bool(_LEDGER_WORDS.search(line))


def spoken_alone(line: str) -> bool:
    """A whole line that is a line of VO or dialogue ("旁白：…", "ANNA: …", "VO: …")."""
    s = line.strip()
    if line_marker(s) is not None:
        return False  # "镜头1：大远景……" is an item, not "镜头1" speaking
    if spoken_line(s):
        return True
    said = parse_spoken(s, "")
    return bool(said) and all(ln.kind in ("dialogue", "vo") and ln.speaker for ln in said)


def loose_heading(line: str, following: str) -> str | None:
    """The title when ``line`` reads as a heading that ``storyboard.meta`` does not know: short, no sentence inside,
    ending in a colon, in brackets, or alone above a list ("Key scenes:", "Shot list", "【关键画面】")."""
    s = line.strip()
    if not s or line_marker(s) is not None and not s.startswith("【") or scene_marker(s) is not None:
        return None  # an item, or a scene line ("SCENE 2 - STREET", "【场景二】") that the readers need in place
    cjk = sum(1 for ch in s if "\u3400" <= ch <= "\u9fff")
    if (cjk and len(s) > 16) or (not cjk and len(s.split()) > 5) or any(p in s.rstrip(":：") for p in "。，.!?！？;；"):
        return None
    title = s.strip("【】[]#* ").rstrip(":：").strip()
    if not title:
        return None
    if s.endswith((":", "：")) or (s.startswith("【") and s.endswith("】")) or s.startswith("#"):
        return title
    if not following.strip() or line_marker(following) is not None:  # alone above a blank line or a list
        if not cjk and not (s[:1].isupper() or s.isupper()):
            return None
        return title
    return None


def _content_role(lines: list[str], inherited: str) -> str:
    body = [ln for ln in lines if ln.strip()]
    if not body:
        return inherited
    timed = sum(1 for ln in body if (m := line_marker(ln)) is not None and m.kind in _SHOT_MARKERS)
    if sum(spoken_alone(ln) for ln in body) >= 0.6 * len(body) and len(body) >= 2 and timed < 2:
        return "voiceover"  # (timecoded items with their "VISUAL:" / "VO:" lines are shots, not a VO script)
    if sum(ledger_line(ln) for ln in body) >= 0.5 * len(body):
        return "ledger"
    if all(front_matter_line(ln) for ln in body):
        return "front"
    if len(body) == 1 and spec_value(body[0]):
        return "specs"
    return inherited or "shots"


def _title_role(title: str, inherited: str) -> str:
    if time_span(title) is not None and len(title) <= 40:
        return "shots"  # "HOOK (0–3s)", "BODY (3–16s)": a stretch of the film
    if _words_in(title, SYNOPSIS_WORDS):
        return "synopsis"
    if _words_in(title, SPEC_WORDS):
        return "specs"
    if _words_in(title, SHOT_WORDS):
        return "shots"
    return ""


_SHOT_MARKERS = ("span", "clock", "keyword")  # markers that open a shot on their own, wherever they stand


def segment(brief) -> list[Block]:
    """The brief's blocks in order, each with its role."""
    blocks: list[Block] = []
    first_text = True
    for section in split_sections(brief):
        role = _KEY_ROLE.get(section.key, "context")
        if section.key == "story":
            role = _title_role(section.title, "") or "shots"
        elif section.key == "context" and _words_in(section.title, SPEC_WORDS):
            role = "specs"
        elif section.key == "context" and _words_in(section.title, SYNOPSIS_WORDS):
            role = "synopsis"
        current = Block(role, section.title, [], section.page, section.key)
        blocks.append(current)
        lines = section.lines
        for k, line in enumerate(lines):
            following = next((x for x in lines[k + 1:] if x.strip()), "") if k + 1 < len(lines) and lines[k + 1].strip() else ""
            title = loose_heading(line, following) if role != "voiceover" else None
            if title and role == "cast" and _title_role(title, "") not in ("shots", "synopsis", "specs"):
                title = None  # "Anna (30s)" alone in a cast list is a name, not a heading
            if title and heading_key(line) is None:
                sub = _title_role(title, role)
                current = Block(sub or "?", title, [], section.page, section.key, loose=True)
                blocks.append(current)
                continue
            marker = line_marker(line) if current.role not in ("shots", "voiceover", "?", "") else None
            if marker is not None and marker.kind in _SHOT_MARKERS:
                # "0''–3'' CU, overhead: …", "镜头1（第0-3秒）：…" under a cast or specs field with no blank line or
                # heading between: the shot material has begun.
                current = Block("shots", "", [], section.page, section.key)
                blocks.append(current)
            if section.key == "" and (front_matter_line(line) or first_text and _title_like(line)):
                blocks.append(Block("front", "", [line], section.page, section.key))
                first_text = first_text and True
                continue
            if line.strip():
                first_text = False
            current.lines.append(line)
    out = []
    for b in blocks:
        if not b.text and b.role != "front":
            continue
        if b.role in ("?", ""):
            # The section's own role, not a sibling's: "The teaser" after "The world" is not part of the world.
            parent = next((p.role for p in reversed(out) if p.key == b.key and p.role not in ("?", "front") and
                           not (p.loose and p.role == "synopsis")), "")
            b.role = _content_role(b.lines, "" if b.role == "?" and parent in ("", "sound", "specs") else parent)
        elif b.role in ("shots", "context"):
            b.role = _content_role(b.lines, b.role) if b.role == "shots" or _content_role(b.lines, "") == "ledger" else b.role
        out.append(b)
    return out


def _title_like(line: str) -> bool:
    """The document's first line: short and without a sentence end ("VELO — “Climb” — 20 sec online film")."""
    s = line.strip()
    return bool(s) and len(s) <= 90 and not s.endswith((".", "。", "!", "！", "?", "？")) and line_marker(s) is None


def is_synopsis(title: str) -> bool:
    """A heading that introduces a synopsis, rationale or strategy (故事梗概, 创意阐述): context, not pictures."""
    return bool(title) and _words_in(title, SYNOPSIS_WORDS)


def titled_as_shots(block: Block) -> bool:
    """Does the block's own heading say it holds the pictures ("Key scenes:", "Shot list", "【关键画面】")?"""
    return bool(block.title) and _words_in(block.title, SHOT_WORDS)


def shot_material(blocks: list[Block]) -> list[Block]:
    return [b for b in blocks if b.role == "shots"]


def has_visual_content(blocks: list[Block]) -> bool:
    """Could anything in the brief be a picture? Deliberately generous: a real brief must never be refused. Only a
    text where no line outside the front matter names a camera size, angle or move or opens a shot ("Shot 1",
    "0–3s", "00:05"), and no block but specs and ledgers has a line of a few words that is not a price, a label or a
    spec value, reads as having no visual content (an invoice, a price list, a page of front matter)."""
    for b in blocks:
        if b.role == "front":
            continue
        for line in b.lines:
            s = line.strip()
            if not s or ledger_line(s) or front_matter_line(s) or spec_value(s):
                continue
            marker = line_marker(s)
            if marker is not None and marker.kind in _SHOT_MARKERS:
                return True
            if parse_direction(s).found or parse_camera(s, mode=CELL).found:
                return True
            if b.role not in ("specs", "ledger") and len(re.findall(r"[A-Za-z]{2,}|[\u3400-\u9fff]", s)) >= 3:
                return True
    return False
