"""Shot material that the brief enumerates → drafts: one per item, whatever the list looks like.

    drafts = read_enumerated(brief, meta, blocks)   # [] when nothing is enumerated as shots

The list is found by :func:`storyboard.enumerations.find_enumeration` over the brief's blocks
(:mod:`storyboard.blocks`): a list whose items read as shots on their own (timing, camera words, shot keywords)
is taken from any block but the VO script, the cast list, specs and front matter; a plain list (bullets, numbers
with nothing else) only from shot material. Each item's fields come from :func:`storyboard.items.read_item`;
spans on the film's clock ("0–3s", "00:05–00:08", "第0-3秒") become the items' durations; a scene marker between
items ("SCENE 2", "场景二：厨房", "【场景二】") starts a scene.
"""

from __future__ import annotations

import re

from briefreel.storyboard.blocks import Block
from briefreel.storyboard.draft import Draft
from briefreel.storyboard.durations import MIN_SHOT_S, chained_spans, natural_seconds, spread, time_span
from briefreel.storyboard.enumerations import clock_durations, find_enumeration, scene_marker
from briefreel.storyboard.items import read_item
from briefreel.storyboard.meta import Meta, heading_key

STRONG_ROLES = ("shots", "sound", "context", "synopsis", "")  # where a list that reads as shots is shots
_NUMBERED = ("keyword", "number", "circled", "zh")


def _stream(blocks: list[Block], roles: tuple[str, ...]) -> tuple[list[str], list[int | None]]:
    lines: list[str] = []
    pages: list[int | None] = []
    for b in blocks:
        if b.role not in roles:
            continue
        for line in b.lines + [""]:
            lines.append(line)
            pages.append(b.page)
    return lines, pages


_NOT_BOARDED = re.compile(r"^\s*(?:appendix|annex|attachment)\b|\bdo not board\b|\bnot (?:to be|for) board|"
                          r"^\s*(?:附录|附件)|仅供参考|不用分镜|无需分镜", re.I)


def _ends_list(line: str) -> bool:
    if _NOT_BOARDED.search(line):
        return True  # "Appendix: original radio script (for reference, do not board)"
    found = heading_key(line)
    return found is not None and found[0] not in ("vo", "music", "") and not found[2]


def _pages_of(brief, first_lines: list[str]) -> list[int | None]:
    """The page each item starts on: its first line found in the pages in order."""
    where = [(p.number, line.strip()) for p in brief.pages for line in p.text.split("\n")]
    out: list[int | None] = []
    at = 0
    for first in first_lines:
        key = first.strip()
        k = next((i for i in range(at, len(where)) if where[i][1] == key), None)
        if k is None:
            out.append(out[-1] if out else None)
        else:
            out.append(where[k][0])
            at = k + 1
    return out


def read_enumerated(brief, meta: Meta, blocks: list[Block]) -> list[Draft]:
    """Drafts from the brief's enumerated shot material (empty when it enumerates none)."""
    best = None
    for roles, need_shot_like in ((("shots",), False), (STRONG_ROLES, True)):
        lines, pages = _stream(blocks, roles)
        enum = find_enumeration(lines, stop=_ends_list)
        if enum is None or (need_shot_like and not enum.shot_like):
            continue
        if not enum.shot_like and len(enum.items) < 3:
            continue
        if best is None or (enum.shot_like, len(enum.items)) > (best[0].shot_like, len(best[0].items)):
            best = (enum, lines, pages)
    if best is None:
        return []
    enum, lines, pages = best
    if sum(scene_marker(it.marker.rest) is not None for it in enum.items) * 2 >= len(enum.items):
        return []  # "1. 内景 写字楼办公室 夜": numbered scene headings, a screenplay's
    scenes: list[int] = []
    scene, k = 1, 0
    for i, line in enumerate(lines):
        if k < len(enum.items) and enum.items[k].line_index == i:
            scenes.append(scene)
            k += 1
            continue
        n = scene_marker(line)
        if n is not None and k > 0 or n is not None and not scenes:
            scene = n if n > 0 else scene + (1 if scenes else 0)
    drafts: list[Draft] = []
    names = {w for w in re.findall(r"[A-Za-z]{4,}", meta.title) if w.lower() not in ("shot", "shots", "film")}
    brand = re.compile(r"\b(?:" + "|".join(sorted(names)) + r")\b", re.I) if names else None
    item_pages = _pages_of(brief, [lines[it.line_index] for it in enum.items])
    for item, sc, page in zip(enum.items, scenes, item_pages):
        draft = read_item(item.text, meta.language)
        capitals = [m for m in brand.finditer(item.text) if m.group().isupper()] if brand is not None else []
        if draft.movement is not None and capitals:
            # "End card — ORBIT logo": the brand's name in capitals, not a camera move
            masked = brand.sub(lambda m: " " if m.group().isupper() else m.group(), item.text)
            draft.movement = read_item(masked, meta.language).movement
        if item.marker.kind in _NUMBERED:
            draft.number = item.marker.value
        draft.scene, draft.page = sc, page
        if not draft.description and draft.lines:
            draft.description = draft.lines[0].text
        drafts.append(draft)
    clock = clock_durations(enum.items, meta.target_duration_s)
    chained = chained_spans([it.text for it in enum.items]) if not any(clock) else None
    for d, seconds in zip(drafts, chained or clock):
        if seconds:
            d.duration = seconds
    if all(d.number for d in drafts) and len({d.number for d in drafts}) != len(drafts):
        for d in drafts:
            d.number = None  # numbering that restarts: renumber
    drafts = [d for d in drafts if d.description or d.lines]
    return timed_sections(drafts, [it.marker.rest for it in enum.items if it.marker.rest], blocks, meta.language)


def timed_sections(drafts: list[Draft], firsts: list[str], blocks: list[Block], lang: str) -> list[Draft]:
    """Shot material in sections timed on the film's clock ("HOOK (0–3s)", "BODY (3–16s)", "CTA (16–20s)"): a
    section with no list item under it is one shot (its paragraph), and each section's items share its span."""
    timed = [(b, time_span(b.title)) for b in blocks if b.role == "shots" and b.title]
    if len(timed) < 2 or any(span is None for _, span in timed) or len(firsts) != len(drafts):
        return drafts
    out: list[Draft] = []
    rest = list(zip(drafts, firsts))
    for block, (a, b) in timed:
        text = "\n".join(block.lines)
        mine = [d for d, first in rest if first and first.split("\n")[0][:40] in text]
        rest = [(d, f) for d, f in rest if not any(d is m for m in mine)]
        if not mine and block.text:
            mine = [read_item(block.text, lang)]
            if not mine[0].description and not mine[0].lines:
                continue
        free = [d for d in mine if d.duration is None]
        left = (b - a) - sum(d.duration or 0 for d in mine)
        if free and left >= MIN_SHOT_S * len(free):
            weights = [natural_seconds(d.description, " ".join(ln.text for ln in d.lines)) for d in free]
            for d, seconds in zip(free, spread(weights, left)):
                d.duration = seconds
        out.extend(mine)
    return out + [d for d, _ in rest]
