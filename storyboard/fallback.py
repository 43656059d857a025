"""A floor, never a collapse: when a reading of the brief looks wrong, the planner tries the next one and says so.

    reason = collapse_reason(drafts, meta)     # None, or why this reading is set aside
    drafts = sentence_reading(drafts, "en")    # the next reading of prose: one picture per sentence

A reading is set aside when a brief with a target of 10 s or more yields one or two shots, or when a shot's
description is a title or a metadata line (the film's title, "Prepared by: …", "Length: 30s", a price). The
planner then falls back to the next reading (enumerations → screenplay → prose → sentences) and records the
fallback in ``board.source["warnings"]``.
"""

from __future__ import annotations

import re

from briefreel.storyboard.blocks import Block, front_matter_line, ledger_line, spec_value
from briefreel.storyboard.draft import Draft
from briefreel.storyboard.durations import find_seconds
from briefreel.storyboard.meta import Meta, heading_key
from briefreel.storyboard.vocabulary import parse_direction

FLOOR_TARGET_S = 10.0
_META_KEYS = ("title", "length", "aspect")  # "产品特写：…" names a product and is a picture


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def metadata_line(text: str, meta: Meta) -> bool:
    """Is ``text`` the brief's title, a front-matter line, a "Label: value" metadata line or a bare price line?"""
    s = text.strip()
    if not s:
        return False
    if meta.title and _norm(s) == _norm(meta.title) or front_matter_line(s) or spec_value(s):
        return True
    if ledger_line(s) and len(re.findall(r"[A-Za-z]{3,}|[\u3400-\u9fff]", s)) <= 4 and not re.search(r"[“”\"「」]", s):
        return True  # "Total due: $240.00"; a price on an end card ("Now selling from $1.2M") or a quoted super
        # ("ORBIT logo, “Out 09.05”") is a picture
    found = heading_key(s)
    if found is None or found[0] not in _META_KEYS or not found[2]:
        return False
    value = found[2]
    if found[0] == "aspect":  # "画幅：9:16" is metadata; "手机屏幕：订单页面……" is a picture of a screen
        return bool(re.search(r"\d\s*[:：x×]\s*\d|竖|横|vertical|horizontal|landscape|portrait|square|方", value, re.I))
    if found[0] == "length":
        return find_seconds(value) is not None and len(value) <= 40
    return True


def collapse_reason(drafts: list[Draft], meta: Meta) -> str | None:
    """Why this reading of the brief should give way to the next, or None when it holds."""
    target = meta.target_duration_s
    if target is not None and target >= FLOOR_TARGET_S and 0 < len(drafts) <= 2:
        return f"{len(drafts)} shot{'s' if len(drafts) > 1 else ''} for a {target:g}-second film"
    for k, d in enumerate(drafts):
        if metadata_line(d.description, meta):
            return f"shot {k + 1}'s description is a title or metadata line ({d.description[:60]!r})"
    return None


_SENTENCE_EN = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
_SENTENCE_ZH = re.compile(r"(?<=[。！？；!?])")


def sentence_reading(drafts: list[Draft], lang: str) -> list[Draft]:
    """The next reading of prose: each sentence of each beat its own picture (lines stay with the first)."""
    out: list[Draft] = []
    for d in drafts:
        parts = [p.strip() for p in (_SENTENCE_ZH if lang == "zh" else _SENTENCE_EN).split(d.description) if p.strip()]
        if len(parts) <= 1 or d.role == "endcard":
            out.append(d)
            continue
        for k, part in enumerate(parts):
            cam = parse_direction(part, lang)
            out.append(Draft(description=part, scene=d.scene, heading=d.heading, size=cam.size, angle=cam.angle,
                             movement=cam.movement, speed=cam.speed, note=cam.note, lines=d.lines if k == 0 else [],
                             sfx=d.sfx if k == 0 else "", page=d.page, role="" if k else d.role))
    return out


def last_resort_blocks(blocks: list[Block]) -> list[Block]:
    """When no reading finds shots: the blocks that may still hold a picture, as untitled shot material (a
    one-line brief under a "Client:" field is still a brief). Front matter, specs, ledgers and the VO script never;
    background, synopsis and cast only where a line names the camera ("Close-up of a radish.")."""
    out = []
    for b in blocks:
        if b.role in ("front", "specs", "ledger", "voiceover") or not b.text:
            continue
        if b.role in ("context", "synopsis", "cast") and not any(parse_direction(x).found for x in b.lines if x.strip()):
            continue
        out.append(Block("shots", "", b.lines, b.page, ""))
    return out
