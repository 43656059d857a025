"""OCR for pages without a text layer (scans, phone photos, drawn storyboards), English and Chinese, offline.

The engine is RapidOCR (``rapidocr-onnxruntime``: PP-OCRv4 detection and recognition as ONNX models shipped inside
the wheel, run by onnxruntime on the CPU; nothing is downloaded). It reads Chinese and English in one pass; it
drops the spaces between English words, so they are put back from the picture (a white gap wider than a fifth of
the line's height between two letters is a space). ``bench/ocr.py`` compares it with Tesseract.

Each page is rendered at 150 dpi, deskewed (the angle whose row profile is sharpest, ±8°), read, and put back into
the structures a text PDF gives (``parsers/brief.py``): ``Line`` objects in PDF points in reading order (columns
too, ``parsers/columns.py``), the page text, ruled tables as rows of cells (``parsers/scan_layout.py`` finds the
grid), and drawn storyboard panels (``Page.panels``: the frame's crop as PNG, its caption and the text under it).
It runs where parsing runs: in the sandboxed child, under its memory, CPU and time limits.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from briefreel.parsers.brief import Line, Page, Panel
from briefreel.parsers.ocr_engine import ENGINE, OcrUnavailable, engine  # noqa: F401  (re-exported)
from briefreel.text import is_cjk

DPI = 150
SCALE = DPI / 72.0  # pixels per PDF point


def enabled() -> bool:
    """OCR runs unless ``BRIEFREEL_OCR=0`` (then a scan is exit 15 as before), and only when installed."""
    if os.environ.get("BRIEFREEL_OCR", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None  # installed; imported when a page needs it


@dataclass
class Word:
    """One recognised run of text (RapidOCR's box), in pixels of the deskewed page."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    score: float


# -- picture ----------------------------------------------------------------------------------------------------------

def render(pdfium_page):
    """The page as an RGB array at :data:`DPI`."""
    import numpy as np

    bitmap = pdfium_page.render(scale=SCALE)
    img = np.asarray(bitmap.to_pil().convert("RGB"))
    bitmap.close()
    return img


def skew_angle(gray) -> float:
    """Degrees to rotate the page by (``cv2.getRotationMatrix2D`` sense) so its lines of text are level."""
    import cv2
    import numpy as np

    h, w = gray.shape[:2]
    f = min(1.0, 900.0 / max(w, 1))
    small = cv2.resize(gray, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(cv2.GaussianBlur(small, (3, 3), 0), 1, cv2.ADAPTIVE_THRESH_MEAN_C,
                                cv2.THRESH_BINARY_INV, 31, 15).astype(np.float32)
    if ink.sum() < 50:
        return 0.0
    sh, sw = ink.shape
    centre = (sw / 2, sh / 2)

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(ink, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        prof = rot.sum(axis=1)
        return float(np.sum(np.diff(prof) ** 2))

    coarse = max(np.arange(-8.0, 8.01, 0.5), key=score)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=score)
    return round(float(fine), 2)


def deskew(img):
    """``img`` rotated level (white fills the corners) and the angle used."""
    import cv2

    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    angle = skew_angle(gray)
    if abs(angle) < 0.05:
        return img, 0.0
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    fill = (255, 255, 255) if img.ndim == 3 else 255
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill), angle


def ink_mask(gray):
    """Dark strokes as 255 on 0: a local threshold, so paper tone and a phone's uneven light do not matter."""
    import cv2

    return cv2.adaptiveThreshold(cv2.GaussianBlur(gray, (3, 3), 0), 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                 cv2.THRESH_BINARY_INV, 31, 15)


# -- recognition ------------------------------------------------------------------------------------------------------

def recognise(img, ink) -> list[Word]:
    """Every text box on the (deskewed) page, spaces between English words restored from the picture."""
    result, _ = engine()(img, use_cls=False, return_word_box=True)
    words: list[Word] = []
    for item in result or []:
        box, text, score = item[0], item[1], float(item[2])
        chars = item[3] if len(item) > 3 else None
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
        if chars and len(chars) == len(text) and " " in text:  # a box per character, spaces included
            chars = [c for c, ch in zip(chars, text) if ch != " "]
        if chars and len(chars) == len(text.replace(" ", "")):
            text = _respace(text, chars, ink, top, bottom)
        text = _tidy(text)
        if text:
            words.append(Word(text, float(x0), float(top), float(x1), float(bottom), score))
    return words


def _respace(text: str, chars, ink, top: float, bottom: float) -> str:
    """Put back the spaces RapidOCR drops between Latin words: a column of white wider than ~a fifth of the line
    height between two letters' centres is a word gap."""
    import numpy as np

    letters = [c for c in text if c != " "]
    h, w = ink.shape
    y0, y1 = max(0, int(top) + 2), min(h, int(bottom) - 2)
    if y1 <= y0 or len(letters) < 2:
        return text
    centres = [(min(p[0] for p in c) + max(p[0] for p in c)) / 2 for c in chars]
    a, b = max(0, int(min(centres)) - 2), min(w, int(max(centres)) + 3)
    cols = ink[y0:y1, a:b].max(axis=0) > 0 if b > a else np.zeros(0, bool)
    gap_min = max(4, int(0.2 * (bottom - top)))
    out = [letters[0]]
    given = _given_spaces(text)
    for i in range(1, len(letters)):
        prev, cur = letters[i - 1], letters[i]
        space = i in given
        if not space and not (is_cjk(prev) or is_cjk(cur)) and (prev.isalnum() or prev in ",.;:!?)\"'%") \
                and (cur.isalnum() or cur in "(\"'"):
            l, r = int(centres[i - 1]) - a, int(centres[i]) - a
            run = best = 0
            for v in cols[max(0, l):max(0, r)]:
                run = 0 if v else run + 1
                best = max(best, run)
            space = best >= gap_min
        if space:
            out.append(" ")
        out.append(cur)
    return "".join(out)


def _given_spaces(text: str) -> set[int]:
    """Indexes (in the text without spaces) of letters that RapidOCR itself put a space before."""
    given, n = set(), 0
    for i, c in enumerate(text):
        if c == " ":
            given.add(n)
        else:
            n += 1
    return given


_PUNCT_ZH = {":": "：", ",": "，", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}


def _tidy(text: str) -> str:
    """Collapse spaces; between CJK characters no space, and half-width punctuation beside CJK becomes full-width
    (what a Chinese text layer holds)."""
    text = re.sub(r"\s+", " ", text).strip()
    if not any(is_cjk(c) for c in text):
        return text
    chars = list(text)
    for i, c in enumerate(chars):
        if c in _PUNCT_ZH:
            before = chars[i - 1] if i else ""
            after = chars[i + 1] if i + 1 < len(chars) else ""
            if (before and is_cjk(before)) or (after and is_cjk(after) and c not in ")"):
                chars[i] = _PUNCT_ZH[c]
    text = "".join(chars)
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


# -- a page -----------------------------------------------------------------------------------------------------------

@dataclass
class OcrPage:
    page: Page
    tables: list  # scan_layout.Table, in page order
    confidence: float  # mean recognition score of the page's boxes (0 without text)
    angle: float  # the deskew rotation, degrees


def ocr_page(pdfium_page, number: int) -> OcrPage:
    """Read one page without a text layer into a :class:`Page` (lines, text, tables, panels)."""
    img = render(pdfium_page)
    width_pt, height_pt = pdfium_page.get_width(), pdfium_page.get_height()
    return ocr_image(img, number, width_pt, height_pt)


def ocr_image(img, number: int, width_pt: float, height_pt: float) -> OcrPage:
    """:func:`ocr_page` on an RGB array (``img.shape[1]`` pixels are ``width_pt`` points wide)."""
    import cv2

    from briefreel.parsers.page_text import page_text
    from briefreel.parsers.scan_layout import find_layout

    img, angle = deskew(img)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    ink = ink_mask(gray)
    if ink.max() == 0:
        return OcrPage(Page(number=number, text="", width=width_pt, height=height_pt), [], 0.0, angle)
    words = recognise(img, ink)
    scale = img.shape[1] / width_pt if width_pt else SCALE
    layout = find_layout(img, ink, words)
    panels = [_panel(p, scale) for p in layout.panels]
    lines, bottoms = _lines([w for w in words], scale, img.shape[1])
    page = Page(number=number, text=page_text(lines, bottoms), width=float(width_pt), height=float(height_pt),
                tables=[], lines=lines, panels=panels)
    confidence = sum(w.score for w in words) / len(words) if words else 0.0
    page.ocr = round(confidence, 3)
    return OcrPage(page, layout.tables, round(confidence, 3), angle)


def _panel(p, scale: float) -> Panel:
    import base64

    return Panel(index=p.index, x0=round(p.x0 / scale, 2), top=round(p.top / scale, 2), x1=round(p.x1 / scale, 2),
                 bottom=round(p.bottom / scale, 2), caption=p.caption, text=p.text,
                 png=base64.b64encode(p.png).decode("ascii"))


def _lines(words: list[Word], scale: float, width_px: int) -> tuple[list[Line], list[float]]:
    """Boxes grouped into visual lines (boxes that overlap vertically by half their height), in reading order, in
    PDF points; two-column pages column by column."""
    from briefreel.parsers.columns import column_order, find_gutter, header_line
    from briefreel.parsers.tables import join_wrapped

    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        h = w.bottom - w.top
        for row in rows[::-1][:3]:
            r_top = min(x.top for x in row)
            r_bot = max(x.bottom for x in row)
            overlap = min(r_bot, w.bottom) - max(r_top, w.top)
            if overlap > 0.5 * min(h, r_bot - r_top) and not any(x.x0 < w.x1 and w.x0 < x.x1 for x in row):
                row.append(w)
                break
        else:
            rows.append([w])
    spans = [(w.x0 / scale, w.x1 / scale, round(min(x.top for x in r) / scale)) for r in rows for w in r]
    gutter = find_gutter(spans, width_px / scale)
    if gutter is not None and any(header_line(" ".join(w.text for w in r)) for r in rows):
        gutter = None
    pieces: list[list[Word]] = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        left = [w for w in row if w.x1 / scale <= gutter] if gutter is not None else []
        right = [w for w in row if w.x1 / scale > gutter] if gutter is not None else []
        if left and right and not any(w.x0 / scale < gutter < w.x1 / scale for w in row) and \
                (min(w.x0 for w in right) - max(w.x1 for w in left)) / scale >= 8.0:
            pieces += [left, right]
        else:
            pieces.append(row)
    heights = sorted(w.bottom - w.top for w in words) or [1.0]
    body = heights[len(heights) // 2] / scale
    built = []
    for row in pieces:
        text = ""
        for w in row:
            text = join_wrapped(text, w.text) if text else w.text
        top = min(w.top for w in row) / scale
        bottom = max(w.bottom for w in row) / scale
        size = _font_size(bottom - top, body)
        built.append((Line(text=text, x0=round(row[0].x0 / scale, 2), top=round(top, 2),
                           x1=round(row[-1].x1 / scale, 2), size=size, bold=False), bottom))
    if gutter is not None:
        built = column_order(built, gutter, x0=lambda b: b[0].x0, x1=lambda b: b[0].x1, top=lambda b: b[0].top)
    else:
        built.sort(key=lambda b: b[0].top)
    return [b[0] for b in built], [b[1] for b in built]


def _font_size(box_pt: float, body_pt: float) -> float:
    """A font size from a text box's height: boxes within 30 % of the page's usual height are body text (one size,
    so paragraph breaks are not invented from jitter); others scale from it."""
    body_size = round(body_pt * 0.75 * 2) / 2
    if abs(box_pt - body_pt) <= 0.3 * body_pt:
        return body_size
    return round(box_pt * 0.75 * 2) / 2


def read_pages(data: bytes, numbers: list[int]) -> dict[int, OcrPage]:
    """OCR the pages ``numbers`` (1-based) of the unencrypted PDF ``data``; a ruled table that runs on from one
    OCR'd page to the next comes back once, on the page where it starts (repeated header rows dropped)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    out: dict[int, OcrPage] = {}
    try:
        for n in numbers:
            page = doc[n - 1]
            try:
                out[n] = ocr_page(page, n)
            finally:
                page.close()
    finally:
        doc.close()
    _merge_running_tables(out)
    return out


def _norm(cells: list[str]) -> list[str]:
    return [re.sub(r"[\W_]+", "", c).lower() for c in cells]


def _merge_running_tables(pages: dict[int, OcrPage]) -> None:
    from briefreel.parsers.tables import is_storyboard_header, join_wrapped

    for n in sorted(pages):
        prev, cur = pages.get(n - 1), pages[n]
        if prev is None or not prev.tables or not cur.tables:
            continue
        last, first = prev.tables[-1], cur.tables[0]
        height_px = prev.page.height * SCALE
        below = [ln for ln in prev.page.lines if ln.top * SCALE > last.bottom + 2]
        above = [ln for ln in cur.page.lines if ln.top * SCALE < first.top - 2]
        if len(below) > 2 or len(above) > 2 or not last.rows or not first.rows or \
                len(first.rows[0]) != len(last.rows[0]) or last.bottom < 0.5 * height_px:
            continue
        rows = first.rows
        header = last.rows[0]
        if _norm(rows[0]) == _norm(header) or (is_storyboard_header(rows[0]) and is_storyboard_header(header)):
            rows = rows[1:]
        for row in rows:
            if row and not row[0].strip() and len(last.rows) > 1:
                last.rows[-1] = [join_wrapped(a, b) for a, b in zip(last.rows[-1], row)]
            else:
                last.rows.append(row)
        cur.tables = cur.tables[1:]


def mean_confidence(pages: list[Page]) -> float:
    scored = [p.ocr for p in pages if p.ocr is not None]
    return round(sum(scored) / len(scored), 3) if scored else 0.0
