"""Two-column pages read in column order: the left column top to bottom, then the right one.

Both text paths use it: PDFium's glyph lines (``parsers/pdfium_text.py``) and OCR'd lines (``parsers/ocr.py``).
A page is read as two columns only when a gutter runs down the middle of it: an empty vertical strip near the
centre (between 35 % and 65 % of the width, at least ``min_gap`` wide) with prose on both sides over at least
``min_rows`` line pairs. A line that crosses the gutter (a title, a full-width paragraph) closes a band: the bands
are read top to bottom, and inside each band the left column before the right one. Tables and shot lists are not
columns: pages with storyboard header words (VIDEO/AUDIO, Shot/Size/…) keep row order.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

T = TypeVar("T")


def find_gutter(spans: Sequence[tuple[float, float, float]], width: float, *, min_gap: float = 10.0,
                min_rows: int = 6) -> float | None:
    """The x of the middle gutter of a page, or None. ``spans``: (x0, x1, top) of every glyph or word.

    The gutter is the widest strip between 35 % and 65 % of the width that at most a few rows (titles, full-width
    paragraphs: 15 % of the rows) cross, with text on both sides of it in at least ``min_rows`` rows."""
    if width <= 0 or len(spans) < 2 * min_rows:
        return None
    lo, hi = 0.35 * width, 0.65 * width
    steps = 90
    step = (hi - lo) / steps
    rows_in: list[set[int]] = [set() for _ in range(steps)]
    rows = set()
    for x0, x1, top in spans:
        rows.add(round(top))
        if x1 < lo or x0 > hi:
            continue
        for i in range(max(0, int((x0 - lo) / step)), min(steps - 1, int((x1 - lo) / step)) + 1):
            rows_in[i].add(round(top))
    allowed = max(1, int(0.15 * len(rows)))
    best_run, start = (0, 0), None
    for i in range(steps + 1):
        free = i < steps and len(rows_in[i]) <= allowed
        if free and start is None:
            start = i
        elif not free and start is not None:
            if i - start > best_run[1] - best_run[0]:
                best_run = (start, i)
            start = None
    if (best_run[1] - best_run[0]) * step < min_gap:
        return None
    x = lo + (best_run[0] + best_run[1]) / 2 * step
    # each column is prose: rows whose text on that side spans a fair part of the column (not a scene number or a
    # page number in the margin, nor a screenplay's indented cue), on both sides, in many rows
    extent: dict[tuple[int, int], list[float]] = {}
    for x0, x1, t in spans:
        if x1 <= x or x0 >= x:
            side = 0 if x1 <= x else 1
            e = extent.setdefault((round(t), side), [x0, x1])
            e[0], e[1] = min(e[0], x0), max(e[1], x1)
    wide = 0.25 * width
    left = {r for (r, side), (a, b) in extent.items() if side == 0 and b - a >= wide}
    right = {r for (r, side), (a, b) in extent.items() if side == 1 and b - a >= wide}
    return x if len(left) >= min_rows and len(right) >= min_rows and len(left & right) >= min_rows // 2 else None


def column_order(items: list[T], gutter: float, *, x0: Callable[[T], float], x1: Callable[[T], float],
                 top: Callable[[T], float]) -> list[T]:
    """``items`` (lines already split at the gutter) in reading order: bands split by lines that cross the gutter,
    the left column of each band before its right column."""
    out: list[T] = []
    band_left: list[T] = []
    band_right: list[T] = []
    for it in sorted(items, key=top):
        if x0(it) < gutter < x1(it):
            out += band_left + band_right
            band_left, band_right = [], []
            out.append(it)
        elif x1(it) <= gutter:
            band_left.append(it)
        else:
            band_right.append(it)
    return out + band_left + band_right


def header_line(text: str) -> bool:
    """A storyboard / AV-script header line (VIDEO AUDIO, Shot Size Movement…, 镜号 景别…): short, and most of its
    words are header words. Pages with one keep row order."""
    from briefreel.parsers.tables import header_hits, is_storyboard_header

    tokens = text.split()
    if not 2 <= len(tokens) <= 10:
        return False
    return is_storyboard_header(tokens, 2) and sum(1 for t in tokens if header_hits(t)) >= 0.6 * len(tokens)
