"""Text lines, reading-order text and tables of a decrypted PDF: PDFium for lines, pdfplumber for tables.

Per page: the visual lines (text, x0, top, x1, dominant font size, bold) in reading order; ``text`` = those lines
joined by "\\n", with a blank line where the vertical gap or the font size says a new paragraph starts; tables
(see parsers/tables.py). Across pages: a table that runs onto the next page comes back once, on the page where it
starts, its header row first (repeated header rows and rows broken by the page are merged).
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from briefreel.parsers.brief import Line, Page
from briefreel.parsers.errors import DamagedPDF, NoTextLayer
from briefreel.parsers.ocr import enabled as ocr_enabled
from briefreel.parsers.page_text import PAGE_NUMBER, page_text
from briefreel.parsers.pdfium_text import read_page
from briefreel.parsers.tables import FoundTable, continue_unruled, is_storyboard_header, join_wrapped, page_tables

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|,b$|-b$|\bbd\b", re.IGNORECASE)
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff\ufffd]")

# pdfminer logs a warning per odd object; none of it is for the user.
for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)


# WinAnsiEncoding draws a bullet for every unused code above 0x40 (PDF 32000, Annex D note 5); pdfminer does not.
_WINANSI_BULLETS = re.compile(r"\(cid:(?:127|129|141|143|144|157)\)")


def _line_of(d: dict) -> Line:
    chars = [c for c in d.get("chars", []) if c.get("text", "").strip()]
    sizes = Counter(round(c.get("size", 0.0) + 1e-6, 1) for c in chars)
    size = sizes.most_common(1)[0][0] if sizes else 0.0
    bold = sum(1 for c in chars if _BOLD.search(c.get("fontname", "") or "")) * 2 > len(chars) if chars else False
    return Line(text=_WINANSI_BULLETS.sub("•", d["text"]), x0=round(d["x0"], 2), top=round(d["top"], 2),
                x1=round(d["x1"], 2), size=size, bold=bold)


def _cid_ratio(chars: list[dict]) -> tuple[int, int]:
    """(unreadable, total) visible characters: '(cid:N)' glyphs, controls, private-use and U+FFFD."""
    bad = total = 0
    for c in chars:
        t = c.get("text", "")
        if not t.strip():
            continue
        total += 1
        if t.startswith("(cid:") or _GARBAGE.search(t):
            bad += 1
    return bad, total


def extract_pages(data: bytes, engine: str = "auto") -> list[Page]:
    """Every page of the (unencrypted) PDF ``data``. Raises NoTextLayer when nothing readable is found.

    ``engine="auto"`` reads lines with PDFium (fast) and hands pdfplumber only the pages that may hold a table
    (vector paths drawn, storyboard header words, or a table running on from the page before);
    ``engine="pdfplumber"`` reads every page with pdfplumber.
    """
    import pdfplumber

    fast = None
    if engine == "auto":
        try:
            import pypdfium2 as pdfium

            fast = pdfium.PdfDocument(data)
        except Exception:  # noqa: BLE001: PDFium refuses some files pdfminer reads; fall back to pdfplumber
            fast = None
    try:
        plumber = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001: pdfplumber wraps pdfminer's errors in PdfminerException
        raise DamagedPDF(f"the file is damaged: pdfplumber cannot read it ({type(exc).__name__})") from None
    pages: list[Page] = []
    found: list[list[FoundTable]] = []
    carry: FoundTable | None = None  # a table that ran to the foot of the page before: it may go on here
    bad = total = 0
    per_page: list[tuple[int, int]] = []  # (unreadable, visible) glyphs of each page
    with plumber:
        count = len(plumber.pages) if fast is None else len(fast)
        for number in range(1, count + 1):
            try:
                glyphs = None
                if fast is not None:
                    fp = fast[number - 1]
                    # PDFium reports glyph boxes in unrotated page space; pdfminer applies /Rotate
                    glyphs = read_page(fp) if fp.get_rotation() == 0 else None
                    fp.close()
                if glyphs is not None and not _needs_plumber(glyphs, carry):
                    page_out = Page(number=number, text=page_text(glyphs.lines, glyphs.bottoms),
                                    width=float(glyphs.width), height=float(glyphs.height), lines=glyphs.lines)
                    tables, counts, carry = [], (glyphs.unreadable, glyphs.visible), None
                else:
                    page = plumber.pages[number - 1]
                    try:
                        page_out, tables, counts, carry = _one_page(page, number, carry, glyphs)
                    finally:
                        page.close()
            except (DamagedPDF, MemoryError):
                raise
            except Exception as exc:  # noqa: BLE001: a raw IndexError/TypeError can escape pdfminer on broken files
                raise DamagedPDF(
                    f"the file is damaged: page {number} cannot be read ({type(exc).__name__})") from None
            pages.append(page_out)
            found.append(tables)
            per_page.append(counts)
            bad += counts[0]
            total += counts[1]
    if fast is not None:
        fast.close()
    # pages with no text layer (scans, photos, drawn storyboards) are read by OCR (parsers/ocr.py), when installed
    blank = [p.number for p, (b, t) in zip(pages, per_page) if t - b < 3]
    if blank and ocr_enabled():
        from briefreel.parsers.ocr import read_pages

        try:
            read_all = read_pages(data, blank)
        except ImportError:  # installed (ocr_enabled) but OpenCV/onnxruntime could not be mapped: the memory cap
            raise MemoryError("OCR does not fit in the parse memory limit") from None
        for number, read in read_all.items():
            pages[number - 1] = read.page
            found[number - 1] = read.tables
            seen = sum(1 for c in read.page.text if not c.isspace())
            total += seen
    if total - bad < 3 or bad > 0.5 * total:
        if total and bad > 0.5 * total:
            raise NoTextLayer("the PDF's text cannot be decoded (its fonts have no Unicode map): "
                              "export the brief again with embedded fonts, or OCR it")
        if blank and ocr_enabled():
            raise NoTextLayer("the PDF has no text layer and OCR found no text on its pages (blank, or too faint "
                              "or small to read): scan it again at 150 dpi or more, or export the brief with text")
        raise NoTextLayer()
    for page_out, tables in zip(pages, found):
        page_out.tables = [[[clean_text(c) for c in row] for row in t.rows] for t in tables]
        page_out.text = clean_text(page_out.text)
        for ln in page_out.lines:
            ln.text = clean_text(ln.text)
    return pages


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(s: str) -> str:
    """Lone UTF-16 surrogates (broken ToUnicode maps) become U+FFFD, so the text encodes as UTF-8 and JSON."""
    return _SURROGATE.sub("\ufffd", s) if s else s


def _needs_plumber(glyphs, carry: FoundTable | None) -> bool:
    """May this page hold a table? Vector paths, storyboard header words, or the table of the page before going on."""
    if glyphs.paths >= 2:
        return True
    if carry is not None and not carry.ruled and carry.bounds:
        first = next((ln for ln in glyphs.lines if not PAGE_NUMBER.match(ln.text.strip())), None)
        if first is not None and abs(first.size - carry.size) <= 1.5 and first.x0 >= carry.bounds[0] - 3:
            return True
    return any(is_storyboard_header(ln.text.split()) for ln in glyphs.lines if len(ln.text) < 200)


def _one_page(page, number: int, carry: FoundTable | None, glyphs=None):
    """Tables (and, without PDFium's ``glyphs``, lines and text) of one page with pdfplumber.

    Returns the page, its tables, (unreadable, visible) glyph counts and the table left open at its foot.
    """
    chars = page.chars
    if glyphs is not None:
        lines, bottoms, bad, total = glyphs.lines, glyphs.bottoms, glyphs.unreadable, glyphs.visible
    else:
        bad, total = _cid_ratio(chars)
        # a gap over 0.15 em is a space (a fixed 3 pt glues justified 10 pt text together: "Thisisversion0.21")
        raw = page.extract_text_lines(strip=True, return_chars=True, x_tolerance_ratio=0.15,
                                      y_tolerance=3) if chars else []
        lines = [_line_of(d) for d in raw if d["text"].strip()]
        bottoms = [d["bottom"] for d in raw if d["text"].strip()]
    text = page_text(lines, bottoms)
    tables: list[FoundTable] = []
    open_table = None
    if chars:
        words = page.extract_words(x_tolerance=1.5, y_tolerance=2, extra_attrs=["size"])
        tables = page_tables(page, words)
        for t in tables:
            t.lines_below = sum(1 for ln in lines if ln.top > t.bottom + 1)
        bottom = _continue(carry, words, tables, lines) if carry is not None else None
        if bottom is not None and tables and tables[0].top < bottom + 1:
            tables = tables[1:]  # folded into the carried table
        if tables:
            open_table = tables[-1] if tables[-1].lines_below <= 2 else None
        elif bottom is not None and sum(1 for ln in lines if ln.top > bottom + 1) <= 2:
            open_table = carry
    out = Page(number=number, text=text, width=float(page.width), height=float(page.height), tables=[], lines=lines)
    return out, tables, (bad, total), open_table


def _continue(prev: FoundTable, words, tables: list[FoundTable], lines) -> float | None:
    """Fold the top of this page into ``prev`` when it continues it; returns where the continuation ends."""
    first = tables[0] if tables else None
    lines_above = sum(1 for ln in lines if first is not None and ln.top < first.top - 1)
    header = prev.rows[0]
    if first is not None and lines_above <= 2 and len(first.rows[0]) == len(header):
        repeated = [c.strip() for c in first.rows[0]] == [c.strip() for c in header]
        if repeated or not is_storyboard_header(first.rows[0]):
            _append_rows(prev, first.rows[1:] if repeated else first.rows)
            return first.bottom
    if not prev.ruled and (first is None or lines_above > 2):
        rows, bottom = continue_unruled(prev, words)
        if rows:
            _append_rows(prev, rows)
            return bottom
    return None


def _append_rows(prev: FoundTable, rows: list[list[str]]) -> None:
    for row in rows:
        if prev.storyboard and row and not row[0].strip() and len(prev.rows) > 1:
            prev.rows[-1] = [join_wrapped(a, b) for a, b in zip(prev.rows[-1], row)]
        else:
            prev.rows.append(row)
