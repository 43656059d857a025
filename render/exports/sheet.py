"""``storyboard.pdf``: the sheet a client signs off. Panels in a grid on landscape pages, each with its frame
(the camera move drawn on it), shot id, duration, size · angle · move, the picture description and the line.

Six panels per A4 page for 16:9 boards, four tall ones for 9:16, eight for 1:1. Chinese boards get Chinese
labels; all text is set in Noto Sans SC, embedded (see ``pdffont``), so pdftotext finds every word.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from briefreel.render.base import ANIMATIC_FPS, FRAME_SIZES
from briefreel.render.exports import common as C
from briefreel.render.exports.common import Timed, atomic_path, timed_shots
from briefreel.render.exports.pdffont import register
from briefreel.storyboard.schema import Storyboard

INK = HexColor("#1c1f24")
MUTED = HexColor("#6b7280")
RULE = HexColor("#d6d9de")
ACCENT = HexColor("#e4572e")

GRIDS = {"16:9": (3, 2), "9:16": (4, 1), "1:1": (4, 2)}
STILL_WIDTH = {"16:9": 800, "9:16": 450, "1:1": 600}  # pixels: about 200 dpi at the printed panel size
PAGES = {"A4": A4, "Letter": LETTER}


@dataclass
class _Layout:
    page_w: float
    page_h: float
    margin: float = 30
    gutter_x: float = 16
    gutter_y: float = 14
    header_h: float = 44
    footer_h: float = 22


def _jpeg(img: Image.Image) -> ImageReader:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=88, optimize=True)
    buf.seek(0)
    return ImageReader(buf)


def _bold(c: canvas.Canvas, x: float, y: float, text: str, font: str, size: float, color) -> float:
    """Faux-bold text (fill + thin stroke: the embedded face has one weight); returns its width."""
    c.saveState()
    c.setFont(font, size)
    c.setFillColor(color)
    c.setStrokeColor(color)
    c.setLineWidth(size * 0.045)
    t = c.beginText(x, y)
    t.setTextRenderMode(2)
    t.textLine(text)
    c.drawText(t)
    c.restoreState()
    return c.stringWidth(text, font, size)


def _text_block(board: Storyboard, t: Timed, font: str, size: float) -> list[Paragraph]:
    s = t.shot
    wrap = "CJK" if board.language == "zh" else None
    body = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.32, textColor=INK,
                          wordWrap=wrap, spaceAfter=size * 0.35)
    paras = [Paragraph(escape(s.description), body)]
    if s.dialogue.strip():
        q = ("“", "”") if board.language == "en" else ("“", "”")
        line = (f'<font color="#e4572e">{escape(C.line_kind(board, s))}</font>'
                f'&nbsp;&nbsp;<font color="#1f3b63">{q[0]}{escape(s.dialogue.strip())}{q[1]}</font>')
        paras.append(Paragraph(line, body))
    if s.sfx.strip():
        paras.append(Paragraph(
            f'<font color="#e4572e">{escape(C.label(board, "sfx"))}</font>&nbsp;&nbsp;{escape(s.sfx.strip())}', body))
    if s.on_screen_text.strip() and s.on_screen_text.strip() != s.dialogue.strip():
        paras.append(Paragraph(
            f'<font color="#e4572e">{escape(C.label(board, "on_screen_text"))}</font>&nbsp;&nbsp;'
            f'{escape(s.on_screen_text.strip())}', body))
    return paras


def _fit(board: Storyboard, t: Timed, font: str, width: float, height: float) -> tuple[list[Paragraph], float]:
    """The text block at the largest size (9 pt down to 6.5 pt) that fits; the description is cut last."""
    for size in (9, 8.5, 8, 7.5, 7, 6.5):
        paras = _text_block(board, t, font, size)
        if sum(p.wrap(width, 1e6)[1] + p.style.spaceAfter for p in paras) <= height:
            return paras, size
    shot = t.shot
    text = shot.description
    lo, hi = 0, len(text)
    best = None
    while lo < hi:  # longest description prefix that fits with an ellipsis
        mid = (lo + hi + 1) // 2
        t2 = Timed(t.index, shot.model_copy(update={"description": text[:mid].rstrip() + "…"}), t.start, t.end, t.fps)
        paras = _text_block(board, t2, font, 6.5)
        if sum(p.wrap(width, 1e6)[1] + p.style.spaceAfter for p in paras) <= height:
            lo, best = mid, paras
        else:
            hi = mid - 1
    if best is None:
        t2 = Timed(t.index, shot.model_copy(update={"description": "…", "dialogue": shot.dialogue[:40] + "…"}),
                   t.start, t.end, t.fps)
        best = _text_block(board, t2, font, 6.5)
    return best, 6.5


def _meta_line(board: Storyboard, t: Timed, short: bool = False) -> list[tuple[str, str]]:
    s = t.shot
    size = s.size.value if short else (f"{s.size.value} {C.size_name(board, s)}" if board.language == "zh"
                                       else f"{s.size.value} · {C.size_name(board, s)}")
    return [
        (C.label(board, "size"), size),
        (C.label(board, "angle"), C.angle_name(board, s)),
        (C.label(board, "movement"), C.move_name(board, s)),
    ]


def _meta_width(c: canvas.Canvas, items, font: str, k: float) -> float:
    w = 0.0
    for i, (lab, val) in enumerate(items):
        if i:
            w += c.stringWidth("|", font, 7.5 * k) + 5 * k
        w += c.stringWidth(lab, font, 6.8 * k) + 3 * k + c.stringWidth(val, font, 8 * k) + 6 * k
    return w


def _panel(c: canvas.Canvas, board: Storyboard, t: Timed, still: Image.Image, font: str,
           x: float, y_top: float, w: float, h: float) -> None:
    s = t.shot
    aspect = FRAME_SIZES[board.aspect_ratio][0] / FRAME_SIZES[board.aspect_ratio][1]
    head = 17
    # Header: shot id chip, scene, duration on the right.
    chip_w = c.stringWidth(s.id, font, 10) + 12
    c.setFillColor(INK)
    c.roundRect(x, y_top - head + 2, chip_w, head - 3, 3, stroke=0, fill=1)
    _bold(c, x + 6, y_top - head + 6.5, s.id, font, 10, HexColor("#ffffff"))
    c.setFont(font, 7.5)
    c.setFillColor(MUTED)
    c.drawString(x + chip_w + 6, y_top - head + 7, f"{C.label(board, 'scene')} {s.scene}  ·  {C.timecode(t.start)}")
    dur = f"{s.duration_s:g} s" if board.language == "en" else f"{C.label(board, 'duration')} {s.duration_s:g} 秒"
    _bold(c, x + w - c.stringWidth(dur, font, 9.5), y_top - head + 6.5, dur, font, 9.5, INK)

    # Frame.
    min_text = 62 if board.aspect_ratio != "9:16" else 118
    frame_w = w
    frame_h = frame_w / aspect
    if frame_h > h - head - min_text:
        frame_h = h - head - min_text
        frame_w = frame_h * aspect
    fx = x + (w - frame_w) / 2
    fy = y_top - head - frame_h
    c.drawImage(_jpeg(still), fx, fy, frame_w, frame_h)
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.rect(fx, fy, frame_w, frame_h, stroke=1, fill=0)

    # Size · angle · move.
    yy = fy - 11
    xx = x
    items, k = _meta_line(board, t), 1.0
    if _meta_width(c, items, font, k) > w:  # a narrow panel: the size as its code only, then smaller type
        items = _meta_line(board, t, short=True)
        k = min(1.0, w / _meta_width(c, items, font, 1.0))
    for i, (lab, val) in enumerate(items):
        if i:
            c.setFillColor(RULE)
            c.setFont(font, 7.5 * k)
            c.drawString(xx, yy, "|")
            xx += c.stringWidth("|", font, 7.5 * k) + 5 * k
        c.setFont(font, 6.8 * k)
        c.setFillColor(MUTED)
        c.drawString(xx, yy, lab)
        xx += c.stringWidth(lab, font, 6.8 * k) + 3 * k
        xx += _bold(c, xx, yy, val, font, 8 * k, INK) + 6 * k

    # Description and line.
    text_top = yy - 5
    avail = text_top - (y_top - h)
    paras, _ = _fit(board, t, font, w, avail)
    ty = text_top
    for p in paras:
        pw, ph = p.wrap(w, 1e6)
        p.drawOn(c, x, ty - ph)
        ty -= ph + p.style.spaceAfter


def write_sheet(board: Storyboard, path: Path, stills: dict[str, Image.Image], page: str = "A4") -> Path:
    """Write the storyboard sheet for ``board`` with one still per shot id (see ``thumbs.still``)."""
    font = register(C.all_text(board))
    page_w, page_h = landscape(PAGES[page])
    L = _Layout(page_w, page_h)
    cols, rows = GRIDS[board.aspect_ratio]
    per_page = cols * rows
    timed = timed_shots(board)
    n_pages = (len(timed) + per_page - 1) // per_page
    cell_w = (page_w - 2 * L.margin - (cols - 1) * L.gutter_x) / cols
    grid_top = page_h - L.margin - L.header_h
    cell_h = (grid_top - L.margin - L.footer_h - (rows - 1) * L.gutter_y) / rows
    name = C.title(board)
    total = C.clock(board.duration_s)
    n_shots = f"{len(timed)} {C.label(board, 'shots')}"
    subtitle = "  ·  ".join([C.label(board, "storyboard"), n_shots, f"{C.label(board, 'total')} {total}",
                             board.aspect_ratio, f"{ANIMATIC_FPS} fps"])

    with atomic_path(path) as tmp:
        c = canvas.Canvas(str(tmp), pagesize=(page_w, page_h), pageCompression=1, initialFontName=font)
        c.setTitle(f"{name} — {C.label(board, 'storyboard')}")
        c.setAuthor("briefreel")
        c.setSubject(subtitle)
        c.setCreator("briefreel")
        for p in range(n_pages):
            # Header.
            top = page_h - L.margin
            title_size, shown = 17, name
            while c.stringWidth(shown, font, title_size) > page_w * 0.55 and title_size > 11:
                title_size -= 0.5
            while c.stringWidth(shown, font, title_size) > page_w * 0.55 and len(shown) > 1:
                shown = shown[:-2] + "…"
            _bold(c, L.margin, top - 16, shown, font, title_size, INK)
            c.setFont(font, 8.5)
            c.setFillColor(MUTED)
            c.drawRightString(page_w - L.margin, top - 14, subtitle)
            if board.style or board.tone:
                c.setFont(font, 7.5)
                extra = "  ·  ".join(x for x in (board.style, board.tone) if x)
                c.drawRightString(page_w - L.margin, top - 25, extra[:140])
            c.setStrokeColor(ACCENT)
            c.setLineWidth(1.4)
            c.line(L.margin, top - 31, page_w - L.margin, top - 31)
            # Panels.
            for k, t in enumerate(timed[p * per_page:(p + 1) * per_page]):
                col, row = k % cols, k // cols
                x = L.margin + col * (cell_w + L.gutter_x)
                y_top = grid_top - row * (cell_h + L.gutter_y)
                _panel(c, board, t, stills[t.shot.id], font, x, y_top, cell_w, cell_h)
                key = f"shot-{t.index}"  # the outline (bookmarks) lists every shot
                c.bookmarkHorizontal(key, x, y_top + 4)
                desc = t.shot.description if len(t.shot.description) <= 48 else t.shot.description[:47] + "…"
                c.addOutlineEntry(f"{t.shot.id}  {desc}", key, level=0)
            # Footer.
            c.setStrokeColor(RULE)
            c.setLineWidth(0.5)
            c.line(L.margin, L.margin + 12, page_w - L.margin, L.margin + 12)
            c.setFont(font, 7.5)
            c.setFillColor(MUTED)
            short = name if len(name) <= 60 else name[:58].rstrip() + "…"
            if board.language == "zh":
                footer = f"{short}  ·  第 {p + 1}/{n_pages} 页  ·  {C.label(board, 'total')} {total}"
            else:
                footer = f"{short}  ·  page {p + 1}/{n_pages}  ·  total {total}"
            c.drawCentredString(page_w / 2, L.margin, footer)
            c.drawRightString(page_w - L.margin, L.margin, "briefreel")
            c.showPage()
        c.save()
    return Path(path)
