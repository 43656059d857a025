"""Scene lines and stand-alone durations in shot material: the small readers the planner's other modules share.

    SCENE_LINE.match("场景二：厨房"), scene_number(match)       # 2
    take_duration("Hand grabs the bottle (2s)")               # ("Hand grabs the bottle", 2.0)

Shot lists themselves are read by ``storyboard.enumerations`` (which lines are items) and ``storyboard.items`` (the
fields inside an item), through ``storyboard.enumerated``.
"""

from __future__ import annotations

import re

from briefreel.storyboard.durations import find_seconds, is_age, zh_number
from briefreel.storyboard.vocabulary import camera_coverage

SCENE_LINE = re.compile(
    r"^\s*(?:(?:scene|sc\.?)\s*(?P<n1>\d+)\b|场景\s*(?P<n2>[一二三四五六七八九十\d]+)|第\s*(?P<n3>[一二三四五六七八九十\d]+)\s*场|"
    r"(?:int|ext|int\./ext|i/e)\.\s|内景|外景)", re.I)
_PAREN_ANY = re.compile(r"[（(][^()（）]*[)）]")
_PAREN_DURATION = re.compile(r"[（(]\s*([^()（）]{1,24}?)\s*[)）]")


def scene_number(match: re.Match) -> int | None:
    for g in ("n1", "n2", "n3"):
        v = match.group(g)
        if v:
            if v.isdigit():
                return int(v)
            n = zh_number(v)
            return int(n) if n else None
    return None


def _tidy(text: str) -> str:
    return re.sub(r"\s+([.,;:!?。，；：！？])", r"\1", text).strip()


def take_duration(text: str) -> tuple[str, float | None]:
    """Remove "(3s)", "（3秒）", "- 3s" from a shot line; return (rest, seconds)."""
    for m in _PAREN_DURATION.finditer(text):
        inner = m.group(1)
        found = find_seconds(inner)
        if found and not is_age(inner, text[:m.start()]):
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
