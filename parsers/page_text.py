"""A page's text from its lines: paragraphs by the gaps between lines, running page numbers left out.

Shared by the text-layer extractor (``parsers/extract.py``) and OCR (``parsers/ocr.py``), so a scanned page reads
as a text PDF's page does.
"""

from __future__ import annotations

import re

from briefreel.parsers.brief import Line

PAGE_NUMBER = re.compile(
    r"^(page\s*)?\d+\.?$|^-\s*\d+\s*-$|^page\s*\d+\s*(of|/)\s*\d+$|^\d+\s*/\s*\d+$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$",
    re.IGNORECASE)


def page_text(lines: list[Line], bottoms: list[float]) -> str:
    """Lines joined by "\\n"; a blank line where a paragraph ends (a gap over ~0.8 em, or the size changes).

    A running page number ("2.", "Page 3 of 10", "- 4 -", "第5页") as the first or last line is left out of the
    text (it stays in ``lines``).
    """
    keep = list(range(len(lines)))
    for end in (0, -1):
        if keep and PAGE_NUMBER.match(lines[keep[end]].text.strip()):
            keep.pop(end)
    lines = [lines[i] for i in keep]
    bottoms = [bottoms[i] for i in keep]
    out: list[str] = []
    for i, ln in enumerate(lines):
        if i:
            prev = lines[i - 1]
            gap = ln.top - bottoms[i - 1]
            em = max(prev.size, ln.size, 1.0)
            if gap > 0.8 * em or abs(prev.size - ln.size) > 1.0:
                out.append("")
        out.append(ln.text)
    return "\n".join(out)
