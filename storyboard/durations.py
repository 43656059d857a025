"""Shot durations: read them ("3s", "3秒", "0:03", ":30", "三秒"), estimate them from content, spread a target.

    >>> parse_seconds("（3秒）"), parse_seconds(":30"), parse_seconds("1分30秒")
    (3.0, 30.0, 90.0)
    >>> spread([1, 1, 2], target=15, fixed={2: 3.0})
    [6.0, 6.0, 3.0]

Explicit durations are never changed; the others share what is left of the target in proportion to their weights
(usually :func:`natural_seconds`), none under ``min_s``, rounded to ``step`` so that the sum is exact.
"""

from __future__ import annotations

import math
import re

from briefreel.storyboard.schema import MIN_SHOT_S

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def zh_number(text: str) -> float | None:
    """A small Chinese numeral (一 … 九十九, 半) as a number; None if ``text`` is not one."""
    text = text.strip()
    if not text:
        return None
    if text == "半":
        return 0.5
    if text.endswith("半"):
        whole = zh_number(text[:-1])
        return None if whole is None else whole + 0.5
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _ZH_DIGITS.get(tens, None) if tens else 1
        o = _ZH_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else float(t * 10 + o)
    if len(text) == 1 and text in _ZH_DIGITS:
        return float(_ZH_DIGITS[text])
    return None


_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "sixty": 60}
_NUM = (r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十半]{1,4}|(?<![A-Za-z])(?:" +
        "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + r")(?=[\s-]+sec))")
_SEP = r"(?:-|–|\s*(?:~|～|〜|至|到|to)\s*)"  # "2-3s", "2 ~ 3秒"; not "Shot 3 - 4s"
_UNIT_S = r"\s*-?\s*(?:s\b|sec\b|secs\b|seconds?\b|秒钟|秒|\"|''|″|”)"
_UNIT_M = r"\s*-?\s*(?:min\b|mins\b|minutes?\b|分钟|分)"
_MIN_SEC = re.compile(_NUM + _UNIT_M + r"\s*(?:" + _NUM + _UNIT_S + r")?", re.I)
_RANGE_S = re.compile(_NUM + r"(?:" + _SEP + _NUM + r")?" + _UNIT_S, re.I)
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2})?:(\d{2})(?:[.,](\d+))?(?![\d:])")
_TIMECODE = re.compile(r"\b(\d{1,2}):(\d{2}):(\d{2})[:;](\d{2})\b")
_BARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:" + _SEP + r"(\d+(?:\.\d+)?))?\s*$")
_CLOCK_SPAN = re.compile(r"(?<![\d:])(\d{1,2})?:(\d{2})\s*(?:-|–|—|~|～|to|至)\s*(\d{1,2})?:(\d{2})(?![\d:])")
_APOSTROPHE = re.compile(r"(\d+)\s*['′’]\s*(\d+)\s*(?:\"|''|″|”)")


def _num(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        if token.lower() in _EN_NUMBERS:  # "four seconds"
            return float(_EN_NUMBERS[token.lower()])
        return zh_number(token)


def find_seconds(text: str) -> tuple[float, tuple[int, int]] | None:
    """The first duration written with a unit in ``text`` ("(3s)", "3秒", "1分30秒", "0:03"), and where it is."""
    best: tuple[float, tuple[int, int]] | None = None
    for m in _TIMECODE.finditer(text):
        h, mi, s, _ = (int(g) for g in m.groups())
        best = _earlier(best, (h * 3600 + mi * 60 + s, m.span()))
        break
    m = _APOSTROPHE.search(text)
    if m:
        best = _earlier(best, (int(m.group(1)) * 60 + int(m.group(2)), m.span()))
    m = _MIN_SEC.search(text)
    if m:
        minutes = _num(m.group(1))
        secs = _num(m.group(2)) if m.group(2) else 0.0
        if minutes is not None and secs is not None:
            best = _earlier(best, (minutes * 60 + secs, m.span()))
    for m in _RANGE_S.finditer(text):
        a = _num(m.group(1))
        b = _num(m.group(2)) if m.group(2) else None
        if a is None or (m.group(2) and b is None):
            continue
        if best and m.start() >= best[1][0] and m.start() < best[1][1]:
            continue
        best = _earlier(best, ((a + b) / 2 if b is not None else a, m.span()))
        break
    for m in _CLOCK.finditer(text):
        if _TIMECODE.search(text[max(0, m.start() - 6):m.end() + 6]):
            continue
        minutes = int(m.group(1) or 0)
        secs = int(m.group(2))
        if secs >= 60:
            continue
        frac = float("0." + m.group(3)) if m.group(3) else 0.0
        best = _earlier(best, (minutes * 60 + secs + frac, m.span()))
        break
    if best is None or best[0] <= 0:
        return None
    return float(best[0]), best[1]


def _earlier(a, b):
    if a is None:
        return b
    return b if b[1][0] < a[1][0] else a


def parse_seconds(text: str) -> float | None:
    """Seconds in a duration field: with a unit anywhere in it, or a bare number ("3", "2.5", "2-3")."""
    if not text or not text.strip():
        return None
    m = _BARE.match(text)
    if m:
        a = float(m.group(1))
        value = (a + float(m.group(2))) / 2 if m.group(2) else a
        return value if value > 0 else None
    span = _CLOCK_SPAN.search(text)
    if span:  # "0:00–0:03": a start and an end
        a = int(span.group(1) or 0) * 60 + int(span.group(2))
        b = int(span.group(3) or 0) * 60 + int(span.group(4))
        if b > a:
            return float(b - a)
    found = find_seconds(text)
    return found[0] if found else None


def _span(text: str) -> tuple[float, float] | None:
    """The first "a–b" written with a unit ("0–2秒", "2-4.5s") or as clock times ("0:02–0:05") in ``text``."""
    found = []
    m = _CLOCK_SPAN.search(text)
    if m:
        a = int(m.group(1) or 0) * 60 + int(m.group(2))
        b = int(m.group(3) or 0) * 60 + int(m.group(4))
        found.append((m.start(), float(a), float(b)))
    for m in _RANGE_S.finditer(text):
        if m.group(2):
            a, b = _num(m.group(1)), _num(m.group(2))
            if a is not None and b is not None:
                found.append((m.start(), a, b))
            break
    if not found:
        return None
    _, a, b = min(found)
    return (a, b) if b > a else None


_AGE = re.compile(r"(?:early |mid |late |mid-|late-|early-)?[1-9]0s", re.I)
_NAMED_BEFORE = re.compile(r"\b[A-Z][A-Za-z'’-]+\s*$")


def is_age(inner: str, before: str) -> bool:
    """Is "(30s)" after ``before`` someone's age ("SAM and LOU (30s)", "Priya (40s)"), not a duration?"""
    return bool(_AGE.fullmatch(inner.strip())) and bool(_NAMED_BEFORE.search(before))


def time_span(text: str) -> tuple[float, float] | None:
    """The first span on the film's clock in ``text`` ("HOOK (0–3s)" → (0, 3), "0:02–0:05" → (2, 5)), or None."""
    return _span(text)


def chained_spans(texts: list[str]) -> list[float] | None:
    """Durations from time spans that follow each other ("0–2秒", "2–4.5秒", "4.5–6秒"): each shot's end is the next
    one's start, so "2–4.5秒" is 2.5 s of film, not "two to four and a half seconds". None unless every text has a
    span and they chain."""
    if len(texts) < 2:
        return None
    spans = [_span(t) for t in texts]
    if any(sp is None for sp in spans):
        return None
    if any(abs(spans[k][0] - spans[k - 1][1]) > 0.01 for k in range(1, len(spans))):
        return None
    return [round(b - a, 3) for a, b in spans]


# -- estimating -----------------------------------------------------------------------------------------------------

_LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def count_words(text: str) -> float:
    """Spoken length in English-word equivalents: Latin words count 1, CJK characters count 0.5."""
    return len(_LATIN_WORD.findall(text)) + len(_CJK_CHAR.findall(text)) * 0.5


def speech_seconds(text: str) -> float:
    """How long a line takes to say: ~2.5 English words/s, ~4.5 Chinese characters/s, plus a breath."""
    if not text.strip():
        return 0.0
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    latin_words = count_words(text) - cjk * 0.5
    return cjk / 4.5 + latin_words / 2.5 + 0.4


# Typical screen time by shot size (seconds) before the content is counted.
SIZE_BASE_S = {"EWS": 3.5, "LS": 3.0, "FS": 3.0, "MLS": 2.8, "MS": 2.8, "MCU": 2.5, "CU": 2.3, "ECU": 2.0,
               "OTS": 2.8, "POV": 2.8, "INSERT": 2.0}


def natural_seconds(description: str, dialogue: str = "", size: str | None = None) -> float:
    """Screen time a shot wants: its size's base, a little more for a busy description, and at least its lines."""
    base = SIZE_BASE_S.get(size or "MS", 2.8)
    busy = min(count_words(description), 60) * 0.04
    return round(max(base + busy, speech_seconds(dialogue) + 0.3, MIN_SHOT_S), 2)


# -- spreading ------------------------------------------------------------------------------------------------------

def spread(weights: list[float], target: float, fixed: dict[int, float] | None = None, min_s: float = MIN_SHOT_S,
           step: float = 0.1) -> list[float]:
    """Durations for ``len(weights)`` shots that sum to ``target``.

    ``fixed`` maps shot index → seconds that are kept exactly. The free shots share ``target − Σ fixed`` in
    proportion to their weights, none under ``min_s`` (water-filling), then are rounded to ``step`` with the
    remainder given to the largest shots so the sum lands on the target. When the target cannot hold every free shot
    at ``min_s`` the free shots get ``min_s`` each (the fixed ones still win) and the sum exceeds the target.
    """
    fixed = dict(fixed or {})
    n = len(weights)
    out = [0.0] * n
    for i, v in fixed.items():
        out[i] = float(v)
    free = [i for i in range(n) if i not in fixed]
    if not free:
        return out
    budget = target - sum(fixed.values())
    if budget < min_s * len(free) - 1e-9:
        for i in free:
            out[i] = min_s
        return out
    w = {i: max(float(weights[i]), 1e-6) for i in free}
    # Water-filling: shots whose share falls under min_s are pinned at min_s, the rest re-share; sorting by weight
    # makes this one pass.
    order = sorted(free, key=lambda i: w[i])
    remaining_budget = budget
    remaining_weight = sum(w.values())
    shares: dict[int, float] = {}
    for k, i in enumerate(order):
        share = remaining_budget * w[i] / remaining_weight if remaining_weight > 0 else min_s
        if share < min_s:
            shares[i] = min_s
            remaining_budget -= min_s
            remaining_weight -= w[i]
        else:
            for j in order[k:]:
                shares[j] = remaining_budget * w[j] / remaining_weight
            break
    rounded = _round_to_sum(shares, budget, step, min_s)
    for i, v in rounded.items():
        out[i] = v
    return out


def _round_to_sum(shares: dict[int, float], total: float, step: float, min_s: float) -> dict[int, float]:
    """Largest-remainder rounding to multiples of ``step`` that still sums to ``total`` (to within float error)."""
    units_total = round(total / step)
    floors = {i: math.floor(v / step + 1e-9) for i, v in shares.items()}
    min_units = math.ceil(min_s / step - 1e-9)
    for i in floors:
        floors[i] = max(floors[i], min_units)
    left = units_total - sum(floors.values())
    by_remainder = sorted(shares, key=lambda i: -(shares[i] / step - math.floor(shares[i] / step + 1e-9)))
    k = 0
    while left > 0 and by_remainder:
        floors[by_remainder[k % len(by_remainder)]] += 1
        left -= 1
        k += 1
    by_size = sorted(shares, key=lambda i: -floors[i])
    k = 0
    while left < 0 and k < len(by_size) * 4:
        i = by_size[k % len(by_size)]
        if floors[i] > min_units:
            floors[i] -= 1
            left += 1
        k += 1
    out = {i: round(u * step, 3) for i, u in floors.items()}
    # Any residue below one step (a target like 15.04 s) goes to the longest shot.
    residue = round(total - sum(out.values()), 3)
    if residue and out:
        longest = max(out, key=lambda i: out[i])
        out[longest] = round(out[longest] + residue, 3)
    return out
