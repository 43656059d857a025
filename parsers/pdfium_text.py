"""Fast text lines with pypdfium2: the same line model as pdfplumber's, about 6-8x faster.

pdfplumber (pdfminer) interprets every page in Python: ~20-30 pages/s. PDFium does it in C. We read each glyph's
Unicode value, loose box (advance width; one em tall from the descent, like pdfminer's) and size, then build lines the way
pdfplumber's ``extract_text_lines`` does: cluster glyphs by their top (within 3 pt), sort each cluster left to
right, and put a space wherever the content has one or the gap between glyphs is wider than 3 pt. Pages that hold
tables (lines drawn, or storyboard header words) are read again with pdfplumber by parsers/extract.py.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from briefreel.parsers.brief import Line
from briefreel.parsers.columns import column_order, find_gutter, header_line

X_TOLERANCE = 3.0
LIGATURES = {"\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb01": "fi", "\ufb02": "fl", "\ufb06": "st",
             "\ufb05": "st"}  # expanded as pdfplumber does
Y_TOLERANCE = 3.0


@dataclass
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    index: int
    space_before: bool = False  # PDFium generated a space before this glyph


@dataclass
class PageGlyphs:
    lines: list[Line]
    bottoms: list[float]
    width: float
    height: float
    paths: int  # vector path objects (rules, boxes): a ruled table may be here
    visible: int  # visible glyphs
    unreadable: int  # glyphs with no Unicode value (control, private use, U+FFFD)


def _is_bold(textpage, index: int, buf) -> bool:
    import pypdfium2.raw as raw

    weight = raw.FPDFText_GetFontWeight(textpage, index)
    if weight >= 600:
        return True
    flags = ctypes.c_int(0)
    n = raw.FPDFText_GetFontInfo(textpage, index, buf, len(buf), ctypes.byref(flags))
    name = bytes(buf[: max(0, n - 1)]).decode("latin-1", "replace").lower() if n else ""
    return any(k in name for k in ("bold", "black", "heavy", "semibold", "demi")) or bool(flags.value & (1 << 18))


def _bold_glyph(textpage, index: int, buf, cache: dict[int, bool]) -> bool:
    import pypdfium2.raw as raw

    obj = raw.FPDFText_GetTextObject(textpage, index)
    key = ctypes.cast(obj, ctypes.c_void_p).value or -index - 1
    if key not in cache:
        cache[key] = _is_bold(textpage, index, buf)
    return cache[key]


def read_page(page) -> PageGlyphs:
    """Lines (reading order: top to bottom, left to right) of one pypdfium2 page."""
    import pypdfium2.raw as raw

    height = page.get_height()
    width = page.get_width()
    tp = page.get_textpage()
    raw_tp = tp.raw
    n = raw.FPDFText_CountChars(raw_tp)
    glyphs: list[Glyph] = []
    rect = raw.FS_RECTF()
    visible = unreadable = 0
    space_before = False
    for i in range(n):
        code = raw.FPDFText_GetUnicode(raw_tp, i)
        if code in (0x0D, 0x0A) or code == 0xFFFE:
            continue
        if raw.FPDFText_IsGenerated(raw_tp, i):
            space_before |= code == 0x20  # PDFium saw a word break where the content has no space
            continue
        if code == 0x02:  # PDFium's mark for a hyphen at the end of a line
            code = 0x2D
        ch = chr(code) if code < 0x110000 else "\ufffd"
        if not raw.FPDFText_GetLooseCharBox(raw_tp, i, rect):
            continue
        size = raw.FPDFText_GetFontSize(raw_tp, i)
        if not ch.isspace():
            visible += 1
            if code < 0x20 or 0xE000 <= code <= 0xF8FF or code == 0xFFFD:
                unreadable += 1
        bottom_y = height - rect.bottom
        # pdfminer's glyph box is exactly one em tall, from the descent up: match it, so gaps read the same.
        top_y = bottom_y - size if size > 0 else height - rect.top
        glyphs.append(Glyph(ch, rect.left, rect.right, top_y, bottom_y, size, i, space_before))
        space_before = False
    paths = 0
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        paths += 1
        if paths >= 4:
            break
    gutter = None if paths >= 2 else find_gutter([(g.x0, g.x1, g.top) for g in glyphs if not g.text.isspace()],
                                                  width)
    lines, bottoms = _lines(glyphs, raw_tp)
    if gutter is not None and not any(header_line(ln.text) for ln in lines):
        lines, bottoms = _lines(glyphs, raw_tp, gutter)
    tp.close()
    return PageGlyphs(lines, bottoms, width, height, paths, visible, unreadable)


def _lines(glyphs: list[Glyph], raw_tp, gutter: float | None = None) -> tuple[list[Line], list[float]]:
    """Cluster glyphs into lines by top (pdfplumber's rule), then order each line left to right. With a
    ``gutter`` (a two-column page, ``parsers/columns.py``) lines are split at it and read column by column."""
    clusters: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: g.top):
        if clusters and g.top - clusters[-1][0].top <= Y_TOLERANCE:
            clusters[-1].append(g)
        else:
            clusters.append([g])
    if gutter is not None:
        clusters = _split_at(clusters, gutter)
    buf = (ctypes.c_ubyte * 128)()
    fonts: dict[int, bool] = {}  # boldness per text object (its glyphs share one font)
    lines: list[Line] = []
    bottoms: list[float] = []
    for cl in clusters:
        cl.sort(key=lambda g: g.x0)
        parts: list[str] = []
        prev = None
        for g in cl:
            if g.text.isspace():
                if parts and parts[-1] != " ":
                    parts.append(" ")
                prev = g
                continue
            if prev is not None and parts and parts[-1] != " " and (
                    g.x0 - prev.x1 > X_TOLERANCE or (g.space_before and g.x0 - prev.x1 > 0.1 * g.size)):
                parts.append(" ")
            parts.append(LIGATURES.get(g.text, g.text))
            prev = g
        text = "".join(parts).strip()
        if not text:
            continue
        ink = [g for g in cl if not g.text.isspace()]
        sizes: dict[float, int] = {}
        for g in ink:
            s = round(g.size + 1e-6, 1)
            sizes[s] = sizes.get(s, 0) + 1
        size = max(sizes, key=sizes.get)
        bold = sum(_bold_glyph(raw_tp, g.index, buf, fonts) for g in ink) * 2 > len(ink)
        lines.append(Line(text=text, x0=round(ink[0].x0, 2), top=round(min(g.top for g in ink), 2),
                          x1=round(ink[-1].x1, 2), size=size, bold=bold))
        bottoms.append(max(g.bottom for g in ink))
    if gutter is not None:
        order = column_order(list(range(len(lines))), gutter, x0=lambda i: lines[i].x0, x1=lambda i: lines[i].x1,
                             top=lambda i: lines[i].top)
        lines, bottoms = [lines[i] for i in order], [bottoms[i] for i in order]
    return lines, bottoms


def _split_at(clusters: list[list[Glyph]], gutter: float) -> list[list[Glyph]]:
    """Each line that has glyphs on both sides of the gutter and none across it becomes two lines."""
    out: list[list[Glyph]] = []
    for cl in clusters:
        ink = [g for g in cl if not g.text.isspace()]
        if any(g.x0 < gutter < g.x1 for g in ink):
            out.append(cl)
            continue
        left = [g for g in cl if g.x1 <= gutter]
        right = [g for g in cl if g.x1 > gutter]
        li = [g for g in left if not g.text.isspace()]
        ri = [g for g in right if not g.text.isspace()]
        if li and ri and min(g.x0 for g in ri) - max(g.x1 for g in li) < max(8.0, max(g.size for g in ink)):
            out.append(cl)  # a word space that happens to sit on the gutter: a line across both columns
            continue
        out += [part for part in (left, right) if any(not g.text.isspace() for g in part)]
    return out
