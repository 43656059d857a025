"""Ruled tables and drawn storyboard panels on a scanned page (OpenCV), with the OCR'd words placed in them.

Long horizontal and vertical strokes are kept (a morphological opening), slightly thickened, and their outlines
traced (``cv2.findContours``, two levels: each frame and its holes). A frame is

* a **table** when its holes line up in rows of two or more cells and at least half of them hold text: each hole is
  a cell, its words joined as a wrapped cell is in a text PDF (``parsers/tables.py``);
* a **panel** (a drawn storyboard frame) when it is a large quadrilateral whose inside is mostly drawing: its
  inside is straightened (a perspective warp of its inner corners, so a phone's keystone comes out square) and kept
  as PNG. Captions ("Scene 1", "镜头 3", "SHOT 4A") next to a frame and the lines written under it go with it.

Panels are ordered as the page reads: rows of frames top to bottom (frames overlapping vertically are one row),
left to right within a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CAPTION = re.compile(
    r"^\s*(?:(?:scene|shot|sc|sh|panel|frame|cut|镜头|镜号|镜|场景|场|分镜|画面)\s*[.:#：]?\s*(?:no\.?\s*)?"
    r"|#\s*|第\s*)(\d{1,3}[a-z]?)(?:\s*[镜场个])?\s*(?:[.:：\-–—]\s*)?(.*)$",
    re.IGNORECASE)
_BARE = re.compile(r"^\s*\(?(\d{1,3}[a-z]?)[.)]?\s*$", re.IGNORECASE)


@dataclass
class Table:
    rows: list[list[str]]
    top: float  # pixels
    bottom: float
    x0: float
    x1: float


@dataclass
class FoundPanel:
    index: int
    x0: float
    top: float
    x1: float
    bottom: float
    png: bytes
    caption: str = ""
    text: str = ""
    _lines: list = field(default_factory=list)


@dataclass
class Layout:
    tables: list[Table]
    panels: list[FoundPanel]


def caption_number(text: str) -> str | None:
    """The shot number a caption gives ("Scene 1" → "1", "SHOT 4A" → "4A", "镜头 3" → "3"), or None."""
    m = CAPTION.match(text) or _BARE.match(text)
    return m.group(1).upper() if m else None


def find_layout(img, ink, words) -> Layout:
    """Tables and panels of a deskewed page: ``img`` RGB, ``ink`` its ink mask, ``words`` the OCR boxes."""
    import cv2
    import numpy as np

    h, w = ink.shape
    # thin rules come out broken from noise and JPEG: close small gaps along each direction before keeping long runs
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    faint = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 8) | ink
    rect = cv2.getStructuringElement
    horiz = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (3, 1)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (max(60, w // 15), 1)))
    vert = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, 3)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, max(25, h // 50))))
    grid = cv2.dilate(horiz | vert, np.ones((3, 3), np.uint8))
    contours, hier = cv2.findContours(grid, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    tables: list[Table] = []
    frames = []  # (outer contour, largest hole contour)
    if hier is None:
        return Layout([], [])
    hier = hier[0]
    for i, c in enumerate(contours):
        if hier[i][3] != -1:
            continue
        x, y, cw, ch = cv2.boundingRect(c)
        if cw < 0.1 * w or ch < 0.04 * h:
            continue
        holes = []
        j = hier[i][2]
        while j != -1:
            hx, hy, hw, hh = cv2.boundingRect(contours[j])
            if hw >= 20 and hh >= 15:
                holes.append((j, (hx, hy, hx + hw, hy + hh)))
            j = hier[j][0]
        table = _table(holes, words, img, ink)
        if table is not None:
            tables.append(table)
        elif cw >= 0.12 * w and ch >= 0.06 * h and 0.25 <= cw / ch <= 5:
            inner = max(holes, key=lambda hc: (hc[1][2] - hc[1][0]) * (hc[1][3] - hc[1][1]))[0] if holes else None
            frames.append((c, contours[inner] if inner is not None else None))
    panels = _panels(img, frames, words, tables)
    tables.sort(key=lambda t: t.top)
    return Layout(tables, panels)


def _centre_in(word, box) -> bool:
    cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _cell_text(ws) -> str:
    from briefreel.parsers.tables import join_wrapped

    out = ""
    for line in _rows_of(ws):
        out = join_wrapped(out, _join(line))
    return out.strip()


def _join(line) -> str:
    """The words of one line: a space between Latin words, none at a CJK boundary."""
    from briefreel.parsers.tables import join_wrapped

    out = ""
    for wd in line:
        out = join_wrapped(out, wd.text)
    return out


def _rows_of(ws) -> list[list]:
    """Words grouped into lines (vertical overlap), each line left to right, lines top to bottom."""
    rows: list[list] = []
    for wd in sorted(ws, key=lambda x: (x.top + x.bottom) / 2):
        if rows:
            last = rows[-1]
            top, bot = min(x.top for x in last), max(x.bottom for x in last)
            if min(bot, wd.bottom) - max(top, wd.top) > 0.5 * min(bot - top, wd.bottom - wd.top):
                last.append(wd)
                continue
        rows.append([wd])
    return [sorted(r, key=lambda x: x.x0) for r in rows]


def _table(holes, words, img=None, ink=None) -> Table | None:
    """Holes that line up as a grid of cells holding text, as a table (rows of cell strings)."""
    if len(holes) < 4:
        return None
    boxes = sorted((b for _, b in holes), key=lambda b: (b[1], b[0]))
    rows: list[list[tuple]] = []
    for b in boxes:
        if rows and abs(b[1] - rows[-1][0][1]) <= 12:
            rows[-1].append(b)
        else:
            rows.append([b])
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return None
    cells = [[_cell_text([wd for wd in words if _centre_in(wd, b)]) or _read_cell(img, ink, b) for b in sorted(r)]
             for r in rows]
    filled = sum(1 for r in cells for c in r if c)
    if filled * 2 < sum(len(r) for r in cells):
        return None
    cells = [r for r in cells if any(r)]
    return Table(rows=cells, top=float(boxes[0][1]), bottom=float(max(b[3] for b in boxes)),
                 x0=float(min(b[0] for b in boxes)), x1=float(max(b[2] for b in boxes)))


def _read_cell(img, ink, box) -> str:
    """A cell the page-wide detector found nothing in but that holds ink (a lone "4", "推"): recognise its ink
    alone."""
    if img is None or ink is None:
        return ""
    import numpy as np

    from briefreel.parsers.ocr_engine import engine

    x0, y0, x1, y1 = (int(v) for v in box)
    inner = ink[y0 + 4:y1 - 4, x0 + 4:x1 - 4]
    if inner.size == 0 or np.count_nonzero(inner) < 15:
        return ""
    ys, xs = np.nonzero(inner)
    top, bottom = y0 + 4 + ys.min(), y0 + 4 + ys.max()
    left, right = x0 + 4 + xs.min(), x0 + 4 + xs.max()
    if bottom - top < 6:
        return ""
    pad = 6
    crop = img[max(0, top - pad):bottom + pad + 1, max(0, left - pad):right + pad + 1]
    result, _ = engine()(np.ascontiguousarray(crop), use_det=False, use_cls=False)
    if not result:
        return ""
    text, score = result[0][0], float(result[0][1])
    return text.strip() if score >= 0.5 else ""


def _quad(contour):
    """Four corners (top-left, top-right, bottom-right, bottom-left) of a roughly rectangular outline."""
    import cv2
    import numpy as np

    peri = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, 0.02 * peri, True)
    pts = approx.reshape(-1, 2).astype(np.float32) if len(approx) == 4 else \
        cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _crop(img, quad, inset: float = 4.0) -> bytes:
    """The inside of ``quad``, warped to a rectangle, as PNG bytes."""
    import cv2
    import numpy as np

    tl, tr, br, bl = quad
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    dst = np.array([[-inset, -inset], [width - 1 + inset, -inset], [width - 1 + inset, height - 1 + inset],
                    [-inset, height - 1 + inset]], np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    out = cv2.warpPerspective(img, m, (max(1, width), max(1, height)), flags=cv2.INTER_LINEAR,
                              borderValue=(255, 255, 255))
    ok, buf = cv2.imencode(".png", cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    return buf.tobytes() if ok else b""


def _panels(img, frames, words, tables) -> list[FoundPanel]:
    import cv2

    boxes = []
    for outer, inner in frames:
        x, y, cw, ch = cv2.boundingRect(outer)
        boxes.append(((x, y, x + cw, y + ch), outer, inner))
    # a rectangle drawn inside a frame (a window in the sketch) is not a panel
    boxes = [b for b in boxes if not any(o is not b and o[0][0] <= b[0][0] and o[0][1] <= b[0][1]
                                         and o[0][2] >= b[0][2] and o[0][3] >= b[0][3] for o in boxes)]
    if not boxes:
        return []
    # reading order: rows of frames that overlap vertically, left to right
    boxes.sort(key=lambda b: b[0][1])
    rows: list[list] = []
    for b in boxes:
        if rows:
            r_bot = min(o[0][3] for o in rows[-1])
            r_top = max(o[0][1] for o in rows[-1])
            if b[0][1] < r_bot and b[0][3] > r_top and (min(r_bot, b[0][3]) - max(r_top, b[0][1])) > \
                    0.5 * (b[0][3] - b[0][1]):
                rows[-1].append(b)
                continue
        rows.append([b])
    ordered = [b for r in rows for b in sorted(r, key=lambda o: o[0][0])]
    panels = []
    for i, (box, outer, inner) in enumerate(ordered):
        quad = _quad(inner if inner is not None and cv2.contourArea(inner) > 0.5 * cv2.contourArea(outer)
                     else outer)
        panels.append(FoundPanel(i, *map(float, box), png=_crop(img, quad)))
    _attach_text(panels, words, tables)
    return panels


def _attach_text(panels: list[FoundPanel], words, tables) -> None:
    """Captions and the lines under each frame: a caption line goes to the frame it labels (the one just below it,
    else the one just above it); other lines to the nearest frame above them in the same column."""
    inside = [(p.x0, p.top, p.x1, p.bottom) for p in panels] + [(t.x0, t.top, t.x1, t.bottom) for t in tables]
    free = [wd for wd in words if not any(_centre_in(wd, b) for b in inside)]
    for line in _rows_of(free):
        for part in _split_by_panels(line, panels):
            text = _join(part)
            top = min(wd.top for wd in part)
            bottom = max(wd.bottom for wd in part)
            cx = (min(wd.x0 for wd in part) + max(wd.x1 for wd in part)) / 2
            line_h = bottom - top
            col = [p for p in panels if p.x0 - 0.05 * (p.x1 - p.x0) <= cx <= p.x1 + 0.05 * (p.x1 - p.x0)]
            above = [p for p in col if p.bottom <= top + 5]
            below = [p for p in col if p.top >= bottom - 5]
            near_above = min(above, key=lambda p: top - p.bottom, default=None)
            near_below = min(below, key=lambda p: p.top - bottom, default=None)
            if caption_number(text) is not None:
                if near_below is not None and near_below.top - bottom <= 2.5 * line_h and not near_below.caption:
                    near_below.caption = text
                    continue
                if near_above is not None and not near_above.caption and top - near_above.bottom <= 2.5 * line_h:
                    near_above.caption = text
                    continue
            if near_above is not None:
                near_above._lines.append(text)
    for p in panels:
        p.text = "\n".join(p._lines)


def _split_by_panels(line, panels) -> list[list]:
    """A row of words that spans several columns of frames, cut where a word's centre moves to another column."""
    if len(line) < 2:
        return [line]

    def column(wd):
        cx = (wd.x0 + wd.x1) / 2
        hits = [i for i, p in enumerate(panels) if p.x0 - 10 <= cx <= p.x1 + 10]
        return min((round(panels[i].x0 / 20) for i in hits), default=None)

    parts: list[list] = [[line[0]]]
    for prev, wd in zip(line, line[1:]):
        if column(wd) != column(prev) and column(wd) is not None:
            parts.append([wd])
        else:
            parts[-1].append(wd)
    return parts
