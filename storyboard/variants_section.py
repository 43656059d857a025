"""A brief's own variants matrix: a "Variants" / "版本" section listing values per placeholder.

    Variants:                       版本：
    - City: Shanghai, Chengdu       城市：上海、成都
    - Offer: Free shipping / 20% off   优惠：包邮、八折

:func:`read_variants_section` returns ``{"city": ["Shanghai", "Chengdu"], "offer": [...]}``; ``storyboard.plan``
records it in ``board.source["variants"]`` and ``briefreel variants`` expands it (``briefreel/variants.py``).
"""

from __future__ import annotations

import re

_SECTION = re.compile(r"^\s*(?:#+\s*)?(?:variants?|a/b variants|版本|变体)\s*[:：]?\s*$", re.I)
_LINE = re.compile(r"^\s*(?:[-*•·]\s*)?([\w\u4e00-\u9fff .-]{1,40}?)\s*[:：=]\s*(.+?)\s*$")


def read_variants_section(text: str) -> dict[str, list[str]]:
    """The matrix a brief writes under a "Variants" / "版本" heading: ``city: Shanghai, Chengdu`` or
    ``城市：上海、成都`` per line, until a blank line or the next heading. Names become placeholder names
    (lower case, spaces as ``_``)."""
    sets: dict[str, list[str]] = {}
    inside = False
    for line in text.splitlines():
        if _SECTION.match(line):
            inside = True
            continue
        if not inside:
            continue
        if not line.strip():
            if sets:
                break
            continue
        m = _LINE.match(line)
        if not m:
            break
        name = re.sub(r"\s+", "_", m.group(1).strip()).lower()
        values = [v.strip() for v in re.split(r"\s*[,，、/|]\s*", m.group(2)) if v.strip()]
        if values:
            sets[name] = list(dict.fromkeys(values))
    return sets
