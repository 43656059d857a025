"""A cutdown: a short version that a brief builds from some shots of a longer board it attaches.

    drafts = select_cutdown(drafts, brief_text, target_s, warnings)

"6” version of the 30”, shots 1, 4 and 8 only, in that order. Timings: shot 1 = 2s, shot 4 = 1.5s, shot 8 = 2.5s."
The attached board (the 30″ master) is read as usual; when the text names the shots to keep ("shots 1, 4 and 8
only", "uses shots 2, 5, 9", "只用镜头1、4、8") and the board as read is longer than the film, only those shots,
in the order named, are the board. Their timings come from the instruction ("shot 4 = 1.5s"); the master's own
timings are dropped (they belong to the longer film), so unnamed timings are shared out over the target.
"""

from __future__ import annotations

import re

from briefreel.storyboard.draft import Draft

_NUM = r"\d{1,3}[A-Za-z]?"
_JOIN = r"\s*(?:,|，|、|&|\+|and|和|及|与)\s*"
_SELECT = re.compile(
    r"(?:\b(?:only\s+|just\s+)?(?:uses?\s+|using\s+|with\s+)?shots?\s*(?:#|no\.?\s*)?(?P<a>" + _NUM + r"(?:" + _JOIN +
    r"#?" + _NUM + r")+)\s*(?P<only>only|\(only\)|,?\s*in\s+that\s+order)?)|"
    r"(?:只用|仅用|只取|选用|使用)\s*(?:镜头|镜号)\s*(?P<b>\d{1,3}(?:" + _JOIN + r"\d{1,3})+)", re.I)
_TIMING = re.compile(r"\bshot\s*#?\s*(?P<n>" + _NUM + r")\s*(?:=|:|–|—|-|is|at|runs)\s*(?P<s>\d+(?:\.\d+)?)\s*"
                     r"(?:s|secs?|seconds?|″|”|'')(?![A-Za-z])|镜头\s*(?P<zn>\d{1,3})\s*[=:：]\s*(?P<zs>\d+(?:\.\d+)?)\s*秒",
                     re.I)
_CUTDOWN_WORDS = re.compile(r"cut-?down|cut down|version of the|short version|bumper|缩减版|剪辑版|短版", re.I)


def _key(n: str) -> str:
    digits = "".join(ch for ch in n if ch.isdigit())
    return (str(int(digits)) if digits else "") + "".join(ch for ch in n if ch.isalpha()).upper()


def select_cutdown(drafts: list[Draft], text: str, target: float | None, warnings: list[str] | None = None) -> list[Draft]:
    """The drafts a cutdown instruction keeps (in its order, with its timings), or ``drafts`` unchanged."""
    if not drafts or target is None or not _CUTDOWN_WORDS.search(text):
        return drafts
    stated = sum(d.duration or 0 for d in drafts)
    if stated <= target * 1.5 and len(drafts) * 1.5 <= target:
        return drafts  # the board as read already fits the film: it is the film
    numbered = {_key(d.number): d for d in drafts if d.number}
    by_number = numbered if len(numbered) == len(drafts) else {str(i + 1): d for i, d in enumerate(drafts)}
    for m in _SELECT.finditer(text):
        listed = m.group("a") or m.group("b")
        if m.group("a") and not m.group("only") and not re.search(r"\b(?:use|uses|using|only|just)\b",
                                                                   text[max(0, m.start() - 12):m.end()], re.I):
            continue
        keys = [_key(n) for n in re.split(_JOIN + r"#?", listed) if n.strip()]
        if len(keys) < 2 or len(keys) >= len(drafts) or any(k not in by_number for k in keys):
            continue
        timings = {_key(t.group("n") or t.group("zn")): float(t.group("s") or t.group("zs")) for t in _TIMING.finditer(text)}
        kept = []
        for k in keys:
            d = by_number[k]
            d.duration = timings.get(k)
            kept.append(d)
        if warnings is not None:
            warnings.append(f"cutdown: shots {', '.join(keys)} of the attached board, as the brief instructs")
        return kept
    return drafts
