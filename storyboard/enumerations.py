"""Enumerations found generically: which lines of a text are the items of a list, whatever the list looks like.

    enum = find_enumeration(lines)          # Enumeration | None
    enum.items[0].marker.kind, enum.items[0].text, enum.shot_like

One detector, not one regular expression per format. Each line gets a :class:`Marker` from a few small token
readers (a timing span at the line start, a shot keyword with a number, a number with a separator, a circled or
Chinese ordinal, a bullet of any glyph), with its indentation. Lines are grouped into families (same marker kind,
same glyph, same indentation), and each family is scored on features:

- how many items it has, and whether its numbers run in sequence;
- timing tokens in the items (spans on the film's clock, "(3s)", "2 sec", "第0-3秒");
- camera-vocabulary density (sizes, angles, moves in the item's first fields);
- a repeated separator ("|", " — ", ":") at the same place in every item;
- shot keywords ("Shot 3", "镜头3", "【镜头5】").

The best family wins. ``shot_like`` says whether its items read as shots on their own (timing, camera words or
shot keywords in most items); a plain bulleted list is an enumeration too, but becomes shots only where the block
it sits in is shot material (``storyboard.blocks``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.storyboard.durations import find_seconds, zh_number
from briefreel.storyboard.vocabulary import CELL, camera_coverage, parse_camera

# -- markers ----------------------------------------------------------------------------------------------------------

_ZH_ORD = "一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
BULLETS = "-*•·●▪◦‣○■□►▶➤✓✔→–—>◆◇★☆"
_SPAN_SEP = r"\s*(?:-|–|—|~|～|〜|至|到|to)\s*"
_CLOCK_T = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_SEC_UNIT = r"(?:s\b|sec\b|secs\b|seconds?\b|秒钟|秒|''|\"|″|”|’’)"
_NUM_T = r"\d+(?:\.\d+)?"

# A span on the film's clock at the start of a line: "00:00–00:03", "[0:05-0:08]", "0–2s", "0''-3''", "第0-3秒".
_CLOCK_SPAN = re.compile(r"^[\[【(（]?\s*(?P<a>" + _CLOCK_T + r")" + _SPAN_SEP + r"(?P<b>" + _CLOCK_T + r")\s*[\]】)）]?")
_SECOND_SPAN = re.compile(r"^[\[【(（]?\s*第?\s*(?P<a>" + _NUM_T + r")\s*" + _SEC_UNIT + r"?" + _SPAN_SEP +
                          r"(?P<b>" + _NUM_T + r")\s*" + _SEC_UNIT + r"\s*[\]】)）]?", re.I)
_CLOCK_START = re.compile(r"^[\[【(（]?\s*(?P<a>\d{1,2}:\d{2}(?::\d{2})?)\s*[\]】)）]?(?=\s|[:：|｜\-–—])")
_KEYWORD = re.compile(
    r"^[#*【\[]?\s*(?:shot|sh\.|镜头|镜号|分镜|第)\s*(?:no\.?|#)?\s*(?P<n>[A-Za-z]?\d{1,3}[A-Za-z]?|[" + _ZH_ORD +
    r"]{1,3})\s*(?:镜头|镜|个镜头)?\s*(?:[】\]]|(?=\s|[.:：)）、|｜\-–—(（]|$))", re.I)
_NUMBER = re.compile(r"^(?:[#]\s*)?(?P<n>S?\d{1,3}[A-Za-z]?)(?:\s*(?P<sep>[.:：)）、|｜])|\s+(?P<dash>[—–-])\s)")
_PAREN_NUMBER = re.compile(r"^[（(]\s*(?P<n>\d{1,3})\s*[)）]")
_HASH = re.compile(r"^#\s*(?P<n>\d{1,3}[A-Za-z]?)\s")
_BARE_NUMBER = re.compile(r"^(?P<n>S?\d{1,3}[A-Za-z]?)\s+(?P<rest>[A-Za-z\u4e00-\u9fff].*)$")
_ZH_ORDINAL = re.compile(r"^(?P<n>[" + _ZH_ORD + r"]{1,3})\s*[、.．]")


RATIOS = ("16:9", "9:16", "1:1", "4:5", "4:3", "3:4", "21:9", "2:1")  # frames, never times


@dataclass
class Marker:
    """What opens a line as an item: ``kind`` ("span", "clock", "keyword", "number", "circled", "zh", "bullet"),
    its number or glyph (``value``), a start/end on the film's clock for spans, the indentation, the text after it."""

    kind: str
    value: str
    rest: str
    indent: int = 0
    start: float | None = None
    end: float | None = None

    @property
    def family(self) -> tuple:
        glyph = self.value if self.kind == "bullet" else ""
        return self.kind, glyph, min(self.indent // 2, 4)


def _clock(token: str) -> float:
    token = token.replace(",", ".")
    parts = token.split(":")
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + float(p)
    return seconds


def _rest(line: str, end: int) -> str:
    return line[end:].strip().lstrip(":：|｜-–—.、)） ").strip()


def line_marker(line: str) -> Marker | None:
    """The marker that opens ``line`` as a list item, or None."""
    indent = len(line) - len(line.lstrip(" \t\u3000"))
    s = line.strip()
    if not s:
        return None
    m = _CLOCK_SPAN.match(s)
    if m:
        return Marker("span", m.group("a"), _rest(s, m.end()), indent, _clock(m.group("a")), _clock(m.group("b")))
    m = _SECOND_SPAN.match(s)
    if m and float(m.group("b")) > float(m.group("a")):
        return Marker("span", m.group("a"), _rest(s, m.end()), indent, float(m.group("a")), float(m.group("b")))
    m = _KEYWORD.match(s)
    if m:
        n = m.group("n")
        if all(ch in _ZH_ORD for ch in n):
            n = str(int(zh_number(n) or 0)) or n
        return Marker("keyword", normalise_number(n), _rest(s, m.end()), indent)
    m = _CLOCK_START.match(s)
    if m and ":" in m.group("a") and m.group("a").replace(" ", "") not in RATIOS:
        return Marker("clock", m.group("a"), _rest(s, m.end()), indent, _clock(m.group("a")))
    m = _NUMBER.match(s) or _PAREN_NUMBER.match(s) or _HASH.match(s)
    if m and (m.groupdict().get("sep") or m.groupdict().get("dash") or m.re is not _NUMBER):
        rest = _rest(s, m.end())
        if rest and not re.match(r"^\d", rest):  # "3.5 seconds", "1:1" are values, not items
            return Marker("number", normalise_number(m.group("n")), rest, indent)
    m = _BARE_NUMBER.match(s)
    if m and camera_density(m.group("rest")) >= 0.5:
        # "01    WS · Static · Eye level · 3s": a number, then straight into camera words (a board's camera line)
        return Marker("number", normalise_number(m.group("n")), m.group("rest").strip(), indent)
    if s[0] in _CIRCLED:
        return Marker("circled", str(_CIRCLED.index(s[0]) + 1), _rest(s, 1), indent)
    m = _ZH_ORDINAL.match(s)
    if m:
        return Marker("zh", str(int(zh_number(m.group("n")) or 0)), _rest(s, m.end()), indent)
    if s[0] in BULLETS and len(s) > 2 and s[1] in " \t\u3000" and not (s[0] in "-–—" and s[1:2] == s[0]):
        return Marker("bullet", s[0], s[1:].strip(), indent)
    return None


def normalise_number(n: str) -> str:
    """ "03" → "3", "S03" → "3", "12a" → "12A"."""
    n = n.strip()
    if n[:1] in "Ss" and n[1:2].isdigit():
        n = n[1:]
    digits = ""
    for ch in n:
        if not ch.isdigit():
            break
        digits += ch
    return str(int(digits)) + n[len(digits):].upper() if digits else n


# -- items ------------------------------------------------------------------------------------------------------------

@dataclass
class Item:
    marker: Marker
    lines: list[str] = field(default_factory=list)  # the marker's rest first, then continuation lines
    line_index: int = 0  # where the item starts in the lines the detector was given

    @property
    def text(self) -> str:
        return "\n".join(x for x in self.lines if x.strip())


@dataclass
class Enumeration:
    items: list[Item]
    score: float
    shot_like: bool
    features: dict = field(default_factory=dict)


_TIMING = re.compile(r"\d\s*(?:s\b|sec|秒|''|\"|″)|\d:\d{2}|[（(]\s*\d", re.I)
_SEPARATORS = ("|", "｜", " · ", " — ", " – ", " - ", ":", "：")


def _has_timing(item: Item) -> bool:
    if item.marker.kind in ("span", "clock"):
        return True
    text = item.text
    return bool(find_seconds(text)) and bool(_TIMING.search(text))


def camera_density(text: str) -> float:
    """How much the item's first fields are camera words: 1.0 for "CU | Static | …", 0 for a plain sentence."""
    head = re.split(r"\s*[|｜·•]\s*|\s+[—–-]\s+|[,，、;；:：.。]\s*", text.strip(), maxsplit=3)[:3]
    best = 0.0
    for part in head:
        part = re.sub(r"[（(][^)）]*[)）]", " ", part).strip()
        if part and len(part) <= 40 and parse_camera(part, mode=CELL).found:
            best = max(best, camera_coverage(part))
    return best


def _separator(text: str) -> str:
    first = text.split("\n")[0]
    found = [(first.find(sep), sep.strip()) for sep in _SEPARATORS if 0 < first.find(sep) <= 60]
    return min(found)[1] if found else ""


def _sequential(items: list[Item]) -> float:
    numbers = []
    for it in items:
        digits = "".join(ch for ch in it.marker.value if ch.isdigit())
        if not digits:
            return 0.0
        numbers.append(int(digits))
    steps = sum(1 for a, b in zip(numbers, numbers[1:]) if b in (a, a + 1))
    return steps / max(1, len(numbers) - 1)


def score_family(items: list[Item]) -> tuple[float, bool, dict]:
    """(score, shot_like, features) of one family of items."""
    n = len(items)
    kind = items[0].marker.kind
    timing = sum(_has_timing(it) for it in items) / n
    camera = sum(camera_density(it.marker.rest or it.text) >= 0.5 for it in items) / n
    seps = [_separator(it.text) for it in items]
    common = max(set(seps), key=seps.count)
    separator = seps.count(common) / n if common else 0.0
    keyword = 1.0 if kind == "keyword" else 0.0
    sequence = _sequential(items) if kind in ("keyword", "number", "circled", "zh") else (
        1.0 if kind in ("span", "clock") and all(
            (b.marker.start or 0) >= (a.marker.start or 0) for a, b in zip(items, items[1:])) else 0.0)
    features = {"items": n, "timing": timing, "camera": camera, "separator": separator, "keyword": keyword,
                "sequence": sequence}
    score = min(n, 12) / 4 + 2 * timing + 2 * camera + separator + 2 * keyword + sequence
    # Timing alone is weak evidence in a two-item list ("• End card (3 seconds)…" among the mandatories).
    shot_like = n >= 2 and (keyword or camera >= 0.5 or (kind in ("span", "clock") and sequence) or
                            (timing >= 0.5 and (n >= 3 or camera > 0)))
    return score, bool(shot_like), features


def _continues(line: str) -> bool:
    """A line that goes on with the item above (not a blank, not a heading-like label line)."""
    return bool(line.strip())


def collect(lines: list[str], family: tuple, stop=None) -> list[Item]:
    """The items of ``family`` in ``lines``, each with the lines under it up to the next item, a blank line followed
    by something that is neither a continuation nor a spoken line, or a line ``stop`` says ends the list."""
    items: list[Item] = []
    open_body = False
    for i, line in enumerate(lines):
        marker = line_marker(line)
        if marker is not None and marker.family == family:
            items.append(Item(marker, [marker.rest], i))
            open_body = True
            continue
        if not items:
            continue
        if not line.strip():
            open_body = False
            continue
        if stop is not None and stop(line):
            break
        if scene_marker(line) is not None:
            open_body = False  # "SCENE 2 - STREET" between items: the next scene, not this item's text
            continue
        if marker is not None and marker.indent <= items[-1].marker.indent and marker.kind != "bullet":
            open_body = False  # another list at the same level: not part of this item
            continue
        if open_body or marker is not None and marker.indent > items[-1].marker.indent:
            items[-1].lines.append(line.strip())
        elif _tagged(line):
            items[-1].lines.append(line.strip())  # "VO: …" after a blank line still belongs to the item above
    return items


_TAG = re.compile(r"^\s*(?:VO|V\.O\.|V/O|SFX|FX|MUSIC|MX|SUPER|OST|Sound|旁白|画外音|配音|字幕|音效|音乐|台词|对白|"
                  r"[A-Z][A-Z'\-]{1,20}(?: [A-Z][A-Z'\-]{1,20})?)\s*(?:[(（][^)）]{0,12}[)）])?\s*[:：]", re.I)


def _tagged(line: str) -> bool:
    m = _TAG.match(line)
    return bool(m) and (m.group().strip(" :：").isupper() or not m.group().isascii() or
                        m.group().strip(" :：").lower() in ("vo", "v.o.", "v/o", "sfx", "fx", "music", "mx", "super",
                                                            "ost", "sound"))


def find_enumeration(lines: list[str], stop=None, min_items: int = 2) -> Enumeration | None:
    """The best-scoring list in ``lines`` (each a line of text, blank lines included), or None."""
    families: dict[tuple, int] = {}
    for line in lines:
        marker = line_marker(line)
        if marker is not None:
            families[marker.family] = families.get(marker.family, 0) + 1
    best: Enumeration | None = None
    for fam, count in families.items():
        if count < min_items:
            continue
        items = collect(lines, fam, stop)
        runs = [run for run in _runs(items) if len(run) >= min_items]
        scored = [(run, *score_family(run)) for run in runs]
        if len(scored) > 1 and any(sl for _, _, sl, _ in scored):
            # Lists numbered from 1 again are separate lists ("Objectives 1. 2." then "Shots 1. 2. 3."): the
            # ones that read as shots are kept together (a shot list numbered per page or per scene).
            items = [it for run, _, sl, _ in scored if sl for it in run]
        elif len(scored) > 1:
            items = max(scored, key=lambda r: r[1])[0]
        if len(items) < min_items:
            continue
        score, shot_like, features = score_family(items)
        if best is None or (shot_like, score) > (best.shot_like, best.score):
            best = Enumeration(items, score, shot_like, features)
    return best


def _runs(items: list[Item]) -> list[list[Item]]:
    """Items cut where a numbering starts again at 1."""
    runs: list[list[Item]] = []
    for it in items:
        digits = "".join(ch for ch in it.marker.value if ch.isdigit())
        if runs and digits == "1" and it.marker.value == "1" and it.marker.kind != "bullet":
            runs.append([it])
        elif runs:
            runs[-1].append(it)
        else:
            runs.append([it])
    return runs


def clock_durations(items: list[Item], target: float | None = None) -> list[float | None]:
    """Seconds per item from spans on the film's clock ("0–3s", "00:05–00:08"), or from start times alone (each
    item lasts until the next starts; the last until ``target``). None where the clock says nothing."""
    out: list[float | None] = []
    for k, it in enumerate(items):
        m = it.marker
        if m.start is not None and m.end is not None and m.end > m.start:
            out.append(round(m.end - m.start, 3))
        elif m.start is not None:
            nxt = items[k + 1].marker.start if k + 1 < len(items) else target
            out.append(round(nxt - m.start, 3) if nxt is not None and nxt > m.start else None)
        else:
            out.append(None)
    return out


_SCENE = re.compile(r"^\s*[【\[(（]?\s*(?:(?:scene|sc\.?)\s*(?P<n1>\d{1,3})\b|场景\s*(?P<n2>[" + _ZH_ORD + r"\d]{1,3})|"
                    r"第\s*(?P<n3>[" + _ZH_ORD + r"\d]{1,3})\s*场)|^\s*(?:INT|EXT|INT\./EXT|I/E)\.\s|^\s*(?:内景|外景)", re.I)


def scene_marker(line: str) -> int | None:
    """A scene line's number ("SCENE 2", "场景二：厨房", "【第二场】" → 2); 0 for an unnumbered one ("INT. KITCHEN");
    None when the line is not a scene marker."""
    s = line.strip()
    if not s or len(s) > 80:
        return None
    m = _SCENE.match(s)
    if not m:
        return None
    for g in ("n1", "n2", "n3"):
        v = m.groupdict().get(g)
        if v:
            return int(v) if v.isdigit() else int(zh_number(v) or 0)
    return 0
